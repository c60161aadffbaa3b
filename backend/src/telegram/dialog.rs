//! The dialog a tenant's audience has with its bot: the handler tree every update goes
//! through, and [`Ctx`], what a handler gets for the bot the update came to.
//!
//! The dialog itself owns the menu, help, the record of who talked to the bot
//! ([`remember_all`], written by the workers for a whole batch at once), and the
//! answer to every button press (the user's client spins until it comes): a feature's
//! press is answered with the feature's short reply as soon as its work is done; the
//! dialog's own buttons are answered before anything else. Features add their deep links
//! and buttons through [`Feature`] — `giveaways` is one — so this module needs none of
//! them.

use super::outbox;
use crate::ServiceError;
use crate::botapi::{Meter, classify};
use crate::deps::Deps;
use crate::entities::outbox::Kind;
use crate::entities::{telegram_users, tenants};
use crate::error::TelegramError;
use crate::ids::BotId;
use crate::tenancy::WriterScope;
use chrono::Utc;
use domain::Locale;
use domain::bot_text::{BotText, locale_for};
use sea_orm::EntityTrait;
use sea_orm::Set;
use sea_orm::sea_query::OnConflict;
use std::sync::Arc;
use teloxide::Bot;
use teloxide::dispatching::{DpHandlerDescription, UpdateFilterExt};
use teloxide::dptree::{self, Handler};
use teloxide::payloads::{AnswerCallbackQuerySetters, SendMessageSetters};
use teloxide::prelude::Requester;
use teloxide::types::{
    AllowedUpdate, CallbackQuery, ChatId, ChatMemberKind, ChatMemberUpdated, InlineKeyboardButton,
    InlineKeyboardMarkup, Message, Update, UpdateKind, User,
};

/// Callback data of the main menu's buttons (well under Telegram's 64 bytes). Join and
/// Mine are the giveaways feature's; Help and Menu the dialog's own.
pub const CB_JOIN: &str = "m:join";
pub const CB_MINE: &str = "m:mine";
pub const CB_HELP: &str = "m:help";
pub const CB_MENU: &str = "m:menu";

/// What a handler returns: a Telegram refusal or a service error decides retry or not.
pub type HandlerResult = Result<(), ServiceError>;
/// The handler tree the inbox workers run every update through.
pub type Tree = Handler<'static, HandlerResult, DpHandlerDescription>;
/// The features plugged into the dialog, asked in order.
pub type Features = Arc<[Arc<dyn Feature>]>;

/// What a feature adds to the dialog: its `t.me/<bot>?start=<payload>` links and its
/// buttons. Implemented above this folder (`giveaways::bot`).
#[async_trait::async_trait]
pub trait Feature: Send + Sync {
    /// `/start <payload>` in a private chat. `None`: not this feature's payload.
    async fn on_start(
        &self,
        ctx: &Ctx,
        chat: ChatId,
        user: &User,
        payload: &str,
    ) -> Option<HandlerResult>;

    /// Whether a button's callback data is one of this feature's.
    fn owns_button(&self, data: &str) -> bool;

    /// A press on one of this feature's buttons. `Some(text)`: the press is answered
    /// with it (a notice in the user's client, at most 200 characters); `None`: answered
    /// without text.
    async fn on_button(
        &self,
        ctx: &Ctx,
        chat: ChatId,
        user: &User,
        data: &str,
    ) -> Result<Option<String>, ServiceError>;
}

/// Tombola's handler tree. Each update arrives with an `Arc<Ctx>` (the tenant's bot
/// client, its scope and its settings) and the [`Features`].
pub fn tree() -> Tree {
    dptree::entry()
        .branch(
            Update::filter_message()
                .filter(|m: Message| m.chat.is_private())
                .filter_map(|m: Message| m.from.clone())
                .branch(
                    dptree::filter(|m: Message| m.text().is_some_and(|t| t.starts_with("/help")))
                        .endpoint(on_help_command),
                )
                .endpoint(on_private_message),
        )
        .branch(Update::filter_callback_query().endpoint(on_callback))
        .branch(
            Update::filter_my_chat_member()
                .filter(|m: ChatMemberUpdated| m.chat.is_private())
                .endpoint(on_my_chat_member),
        )
}

/// The update kinds the tree handles, for setWebhook and getUpdates. Keep in step with
/// [`tree`]'s branches (teloxide keeps the tree's own list private).
pub fn allowed_updates() -> Vec<AllowedUpdate> {
    vec![
        AllowedUpdate::Message,
        AllowedUpdate::CallbackQuery,
        AllowedUpdate::MyChatMember,
    ]
}

async fn on_private_message(
    ctx: Arc<Ctx>,
    features: Features,
    m: Message,
    from: User,
) -> HandlerResult {
    // `/start <payload>` from a t.me link: a feature's (e.g. joining a giveaway).
    let payload = m
        .text()
        .and_then(|t| t.strip_prefix("/start "))
        .map(str::trim);
    if let Some(payload) = payload {
        for f in features.iter() {
            if let Some(done) = f.on_start(&ctx, m.chat.id, &from, payload).await {
                return done;
            }
        }
    }
    // /start, and anything else we do not understand: the menu.
    Ok(ctx.menu(m.chat.id, &from).await?)
}

async fn on_help_command(ctx: Arc<Ctx>, m: Message, from: User) -> HandlerResult {
    Ok(ctx.help(m.chat.id, &from).await?)
}

async fn on_callback(ctx: Arc<Ctx>, features: Features, q: CallbackQuery) -> HandlerResult {
    let l = ctx.locale(&q.from);
    let chat = ChatId(q.from.id.0 as i64);
    let data = q.data.as_deref().unwrap_or_default();
    if let Some(f) = features.iter().find(|f| f.owns_button(data)) {
        let reply = f.on_button(&ctx, chat, &q.from, data).await?;
        return ctx.answer_press(&q, reply.as_deref()).await;
    }
    // The dialog's own buttons: answered first, then the message (which waits its turn
    // in the bot's rate).
    let known = matches!(data, CB_HELP | CB_MENU);
    ctx.answer_press(&q, (!known).then(|| BotText::StaleButton.text(l)))
        .await?;
    match data {
        CB_HELP => Ok(ctx.help(chat, &q.from).await?),
        CB_MENU => Ok(ctx.menu(chat, &q.from).await?),
        _ => Ok(()),
    }
}

/// Blocking (or unblocking) the bot: recorded by [`remember_all`] before dispatch.
async fn on_my_chat_member(_m: ChatMemberUpdated) -> HandlerResult {
    Ok(())
}

/// Who an update is from, as the tenant's record of its audience keeps them: the sender
/// of a private message, the presser of a button, the user who blocked or unblocked the
/// bot (`true`: blocked). The same updates the tree answers.
pub fn who(update: &Update) -> Option<(User, bool)> {
    match &update.kind {
        UpdateKind::Message(m) if m.chat.is_private() => m.from.clone().map(|u| (u, false)),
        UpdateKind::CallbackQuery(q) => Some((q.from.clone(), false)),
        UpdateKind::MyChatMember(m) if m.chat.is_private() => Some((
            m.from.clone(),
            matches!(m.new_chat_member.kind, ChatMemberKind::Banned(_)),
        )),
        _ => None,
    }
}

/// Records (or refreshes) the Telegram users of one tenant, many in one statement (the
/// last word on each user wins). Rows go in the users' order, so two batches recording
/// some of the same users at once lock them in the same order (no deadlock on
/// PostgreSQL).
pub async fn remember_all(
    db: &impl sea_orm::ConnectionTrait,
    tenant: crate::ids::TenantId,
    users: Vec<(User, bool)>,
) -> Result<(), ServiceError> {
    let mut last: std::collections::BTreeMap<u64, (User, bool)> = Default::default();
    for (u, blocked) in users {
        last.insert(u.id.0, (u, blocked));
    }
    if last.is_empty() {
        return Ok(());
    }
    let now = Utc::now();
    let rows = last
        .into_values()
        .map(|(user, blocked)| telegram_users::ActiveModel {
            tenant_id: Set(tenant),
            telegram_user_id: Set(user.id.0 as i64),
            first_name: Set(user.first_name.chars().take(256).collect()),
            username: Set(user.username.clone()),
            language_code: Set(user.language_code.clone()),
            blocked_bot: Set(blocked),
            first_seen_at: Set(now),
            last_seen_at: Set(now),
            ..Default::default()
        });
    telegram_users::Entity::insert_many(rows)
        .on_conflict(
            OnConflict::columns([
                telegram_users::Column::TenantId,
                telegram_users::Column::TelegramUserId,
            ])
            .update_columns([
                telegram_users::Column::FirstName,
                telegram_users::Column::Username,
                telegram_users::Column::LanguageCode,
                telegram_users::Column::BlockedBot,
                telegram_users::Column::LastSeenAt,
            ])
            .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// What every handler gets for the bot an update came to.
pub struct Ctx {
    /// The process's shared parts (database, cipher, limiter, clock…).
    pub deps: Deps,
    /// The bot's client (holds its token: never formatted).
    pub bot: Bot,
    pub bot_id: BotId,
    /// The update being answered (one later reply per update: see [`Ctx::reply_later`]).
    pub update_id: i64,
    /// Reads shared with the other updates of this bot in the same batch.
    pub memo: Arc<super::memo::BatchMemo>,
    /// Counts this bot's calls for the tenant's Usage page.
    pub meter: Meter,
    /// The update came for this bot (its secret matched, or its token polled it) and
    /// its tenant is not suspended: the bot may act for the tenant.
    pub scope: WriterScope,
    pub tenant: tenants::Model,
    pub default_locale: Locale,
}

impl Ctx {
    /// The language to answer `user` in: theirs when we speak it, else the tenant's.
    pub fn locale(&self, user: &User) -> Locale {
        locale_for(user.language_code.as_deref(), self.default_locale)
    }

    /// A keyboard with one button: back to the menu.
    pub fn back(&self, l: Locale) -> InlineKeyboardMarkup {
        InlineKeyboardMarkup::new([[InlineKeyboardButton::callback(
            BotText::ButtonMenu.text(l),
            CB_MENU,
        )]])
    }

    /// Sends a message now, through the bot's limiter (interactive answers share the
    /// bot's budget with bulk notices).
    pub async fn say(
        &self,
        chat: ChatId,
        text: &str,
        keyboard: Option<InlineKeyboardMarkup>,
    ) -> Result<(), TelegramError> {
        self.deps.limiter.acquire(self.bot_id, chat.0).await;
        let mut req = self.bot.send_message(chat, text);
        if let Some(k) = keyboard {
            req = req.reply_markup(k);
        }
        self.meter
            .count("sendMessage", req.await)
            .map(|_| ())
            .map_err(|e| classify("sendMessage", &e))
    }

    /// Answers a button press (with `text` as a notice, when given). Only a rejected
    /// token fails the update: a press answered too late (the user's client gave up
    /// after ~15 s) or an answer Telegram could not take leaves the work done as it is —
    /// the update is not handled again for it.
    pub async fn answer_press(&self, q: &CallbackQuery, text: Option<&str>) -> HandlerResult {
        let mut answer = self.bot.answer_callback_query(q.id.clone());
        if let Some(text) = text {
            answer = answer.text(text.chars().take(200).collect::<String>());
        }
        match self
            .meter
            .count("answerCallbackQuery", answer.await)
            .map_err(|e| classify("answerCallbackQuery", &e))
        {
            Ok(_) => Ok(()),
            Err(TelegramError::TokenRejected) => Err(TelegramError::TokenRejected.into()),
            Err(e @ TelegramError::Unreadable(_)) => {
                tracing::warn!(bot = %self.bot_id, error = %e, "button press answered; the answer's answer was unreadable");
                Ok(())
            }
            Err(e) => {
                tracing::debug!(bot = %self.bot_id, error = %e, "button press not answered");
                Ok(())
            }
        }
    }

    /// A reply that waits its turn in the bot's rate, through the durable outbox (at
    /// most one per update): what a busy bot sends while its presses are answered at
    /// once.
    pub async fn reply_later(
        &self,
        chat: ChatId,
        text: String,
        buttons: Vec<(String, String)>,
    ) -> HandlerResult {
        outbox::enqueue_now(&self.deps, vec![self.reply_row(chat, text, buttons)]).await
    }

    /// The outbox row of [`Ctx::reply_later`], for a caller that writes it in a
    /// transaction of its own (the join queue writes it with the entry).
    pub fn reply_row(
        &self,
        chat: ChatId,
        text: String,
        buttons: Vec<(String, String)>,
    ) -> outbox::NewMessage {
        outbox::NewMessage {
            tenant_id: self.scope.tenant_id(),
            bot_id: self.bot_id,
            giveaway_id: None,
            kind: Kind::Reply,
            chat_id: chat.0,
            message: outbox::Message {
                text,
                links: vec![],
                callbacks: buttons,
                code: None,
            },
            dedupe_key: format!("reply:{}:{}", self.bot_id, self.update_id),
        }
    }

    /// The button back to the menu, as `reply_later` takes it.
    pub fn back_button(&self, l: Locale) -> (String, String) {
        (BotText::ButtonMenu.text(l).to_owned(), CB_MENU.to_owned())
    }

    /// The tenant's menu: 🎁 Join, 🎊 My giveaways, Help.
    pub async fn menu(&self, chat: ChatId, user: &User) -> Result<(), TelegramError> {
        let l = self.locale(user);
        let text = BotText::Welcome
            .text(l)
            .replace("{name}", &user.first_name)
            .replace("{shop}", &self.tenant.name);
        let keyboard = InlineKeyboardMarkup::new([
            [InlineKeyboardButton::callback(
                BotText::ButtonJoin.text(l),
                CB_JOIN,
            )],
            [InlineKeyboardButton::callback(
                BotText::ButtonMine.text(l),
                CB_MINE,
            )],
            [InlineKeyboardButton::callback(
                BotText::ButtonHelp.text(l),
                CB_HELP,
            )],
        ]);
        self.say(chat, &text, Some(keyboard)).await
    }

    async fn help(&self, chat: ChatId, user: &User) -> Result<(), TelegramError> {
        let l = self.locale(user);
        self.say(chat, BotText::Help.text(l), Some(self.back(l)))
            .await
    }
}
