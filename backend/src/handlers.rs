//! Inbox workers: claim stored updates, answer them, mark them done.
//!
//! A process claims only updates of bots it owns ([`crate::cluster`]), with
//! `FOR UPDATE SKIP LOCKED` on PostgreSQL, and never an update whose chat has an earlier
//! one still waiting: each (bot, chat) stays in update order while different chats are
//! answered side by side. A claimed row is held for [`CLAIM_SECS`]; a process that dies
//! holding it leaves it to be claimed again then. The handlers answer through teloxide;
//! a failed answer is retried with the row (up to `MAX_ATTEMPTS`, its chat waiting
//! meanwhile), never lost, never endless.

use crate::ServiceError;
use crate::clock::Clock;
use crate::cluster::Cluster;
use crate::crypto::TokenCipher;
use crate::entities::{bots, inbox, telegram_users, tenants};
use crate::giveaways;
use crate::limiter::Limiter;
use crate::telegram::{TelegramApi, TelegramError, classify};
use crate::tenancy::TenantScope;
use chrono::Utc;
use domain::Locale;
use domain::bot_text::{BotText, locale_for};
use domain::giveaway::{self as rules, Status};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};
use std::ops::ControlFlow;
use std::sync::Arc;
use std::time::Duration;
use teloxide::Bot;
use teloxide::dispatching::{DpHandlerDescription, UpdateFilterExt};
use teloxide::dptree::{self, Handler};
use teloxide::payloads::SendMessageSetters;
use teloxide::prelude::Requester;
use teloxide::types::{
    AllowedUpdate, CallbackQuery, ChatId, ChatMemberKind, ChatMemberUpdated, InlineKeyboardButton,
    InlineKeyboardMarkup, Message, Update, User,
};
use tokio::sync::Notify;

/// After this many failed attempts an update is set aside with its last error.
pub const MAX_ATTEMPTS: i32 = 5;
const BATCH: i64 = 50;
/// Updates of different chats answered at once by one process.
const CONCURRENCY: usize = 16;
/// How long a claimed update is held before another worker may take it.
pub const CLAIM_SECS: i64 = 60;

/// Callback data of the main menu's buttons (well under Telegram's 64 bytes).
pub const CB_JOIN: &str = "m:join";
pub const CB_MINE: &str = "m:mine";
pub const CB_HELP: &str = "m:help";
pub const CB_MENU: &str = "m:menu";

#[derive(Clone)]
pub struct Workers {
    db: DatabaseConnection,
    cipher: Arc<TokenCipher>,
    api: TelegramApi,
    limiter: Arc<Limiter>,
    clock: Clock,
    cluster: Cluster,
    tree: Tree,
    /// Woken when an update is stored, so answers do not wait for the next tick.
    pub wake: Arc<Notify>,
}

impl Workers {
    pub fn new(
        db: DatabaseConnection,
        cipher: Arc<TokenCipher>,
        api: TelegramApi,
        limiter: Arc<Limiter>,
        clock: Clock,
        cluster: Cluster,
    ) -> Workers {
        Workers {
            db,
            cipher,
            api,
            limiter,
            clock,
            cluster,
            tree: tree(),
            wake: Arc::new(Notify::new()),
        }
    }

    /// Runs until `stop`: a batch whenever woken, and at least every half second. A batch
    /// under way is finished first (its handlers answer, its rows are marked).
    pub fn spawn(self, stop: crate::shutdown::Stop) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            while !stop.is_set() {
                let notified = self.wake.notified();
                match self.run_once().await {
                    Ok(n) if n > 0 => continue,
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "inbox batch failed"),
                }
                stop.pause(Duration::from_millis(500), notified).await;
            }
        })
    }

    /// Claims and answers up to one batch of updates; returns how many were claimed.
    pub async fn run_once(&self) -> Result<usize, ServiceError> {
        let rows = claim(&self.db, self.cluster.node_id(), BATCH).await?;
        let n = rows.len();
        let permits = Arc::new(tokio::sync::Semaphore::new(CONCURRENCY));
        let mut tasks = tokio::task::JoinSet::new();
        for row in rows {
            let (me, permits) = (self.clone(), permits.clone());
            tasks.spawn(async move {
                let _permit = permits.acquire_owned().await;
                me.process(row).await
            });
        }
        while let Some(done) = tasks.join_next().await {
            match done {
                Ok(Ok(())) => {}
                Ok(Err(e)) => tracing::warn!(error = %e, "inbox row not updated"),
                Err(e) => tracing::error!(error = %e, "inbox handler panicked"),
            }
        }
        Ok(n)
    }

    /// Answers one claimed update and records the outcome.
    async fn process(&self, row: inbox::Model) -> Result<(), ServiceError> {
        let span = tracing::info_span!(
            "update",
            tenant = tracing::field::Empty,
            bot = row.bot_id,
            update = row.update_id,
            kind = %row.kind
        );
        let outcome = tracing::Instrument::instrument(self.handle(&row), span).await;
        let mut q = inbox::Entity::update_many()
            .col_expr(
                inbox::Column::ClaimedUntil,
                Expr::value(None::<chrono::DateTime<Utc>>),
            )
            .filter(inbox::Column::Id.eq(row.id));
        match outcome {
            Ok(()) => q = q.col_expr(inbox::Column::ProcessedAt, Expr::value(Some(Utc::now()))),
            Err(e) => {
                let attempts = row.attempts + 1;
                tracing::warn!(bot = row.bot_id, update = row.update_id, attempts, error = %e, "update not handled");
                q = q
                    .col_expr(inbox::Column::Attempts, Expr::value(attempts))
                    .col_expr(inbox::Column::LastError, Expr::value(e.to_string()));
                if attempts >= MAX_ATTEMPTS {
                    q = q.col_expr(inbox::Column::ProcessedAt, Expr::value(Some(Utc::now())));
                } else {
                    // Held a growing while; its chat's later updates wait behind it.
                    let wait = chrono::Duration::seconds(1 << attempts.clamp(0, 8));
                    q = q.col_expr(
                        inbox::Column::ClaimedUntil,
                        Expr::value(Some(Utc::now() + wait)),
                    );
                }
            }
        }
        q.exec(&self.db).await?;
        Ok(())
    }

    async fn handle(&self, row: &inbox::Model) -> Result<(), ServiceError> {
        let Ok(update) = serde_json::from_str::<Update>(&row.payload) else {
            return Ok(()); // a kind we do not know: stored, acknowledged, ignored
        };
        let Some((bot_row, tenant)) = bots::Entity::find_by_id(row.bot_id)
            .find_also_related(tenants::Entity)
            .one(&self.db)
            .await?
            .and_then(|(b, t)| t.map(|t| (b, t)))
        else {
            return Ok(()); // the bot was removed meanwhile
        };
        if !bot_row.enabled || bot_row.status == crate::bots::STATUS_REVOKED {
            return Ok(());
        }
        tracing::Span::current().record("tenant", tenant.id);
        if tenant.suspended_at.is_some() {
            // The operator suspended the tenant: its bots are silent; the update is
            // acknowledged, not answered later.
            tracing::debug!(
                tenant = tenant.id,
                bot = bot_row.id,
                "tenant suspended; update ignored"
            );
            return Ok(());
        }
        let ctx = Arc::new(Ctx {
            bot: self
                .api
                .bot(&crate::bots::open_token(&self.cipher, &bot_row)?),
            bot_id: bot_row.id,
            meter: self.api.meter(tenant.id, bot_row.id),
            db: self.db.clone(),
            cipher: self.cipher.clone(),
            limiter: self.limiter.clone(),
            clock: self.clock.clone(),
            // The update came for this bot (its secret matched, or its token polled it).
            scope: TenantScope::for_bot(tenant.id, bot_row.id),
            default_locale: Locale::from_tag(&tenant.bot_locale).unwrap_or_default(),
            tenant,
        });
        let res = match self.tree.dispatch(dptree::deps![ctx, update]).await {
            ControlFlow::Break(res) => res,
            ControlFlow::Continue(_) => Ok(()), // nothing of ours: acknowledged, ignored
        };
        match res {
            Ok(()) => Ok(()),
            // The user blocked the bot or never started it: nothing to retry.
            Err(ServiceError::Telegram(TelegramError::Refused)) => Ok(()),
            Err(ServiceError::Telegram(TelegramError::TokenRejected)) => {
                // Revoked in @BotFather: stop its traffic until the tenant pastes a new token.
                tracing::warn!(bot = bot_row.id, "token revoked while answering");
                crate::bots::set_status(
                    &self.db,
                    bot_row.id,
                    crate::bots::STATUS_REVOKED,
                    Some("token_rejected"),
                )
                .await?;
                Ok(())
            }
            Err(e) => Err(e),
        }
    }
}

/// Takes up to `limit` updates of bots `owner` holds, oldest first, at most the first
/// waiting one of each chat, and holds them for [`CLAIM_SECS`].
pub async fn claim(
    db: &DatabaseConnection,
    owner: &str,
    limit: i64,
) -> Result<Vec<inbox::Model>, ServiceError> {
    let backend = db.get_database_backend();
    let now = Utc::now();
    let sql = format!(
        "UPDATE inbox SET claimed_until = ? WHERE id IN (\
           SELECT i.id FROM inbox i \
           WHERE i.processed_at IS NULL \
           AND (i.claimed_until IS NULL OR i.claimed_until < ?) \
           AND i.bot_id IN (SELECT b.id FROM bots b WHERE b.owner = ?) \
           AND NOT EXISTS (SELECT 1 FROM inbox o WHERE o.processed_at IS NULL \
             AND o.bot_id = i.bot_id AND o.chat_id = i.chat_id AND o.update_id < i.update_id) \
           ORDER BY i.id LIMIT ?{}) \
         RETURNING id, bot_id, update_id, chat_id, kind, payload, received_at, processed_at, \
           attempts, last_error, claimed_until",
        crate::db::skip_locked(backend)
    );
    let stmt = crate::db::statement(
        backend,
        &sql,
        [
            (now + chrono::Duration::seconds(CLAIM_SECS)).into(),
            now.into(),
            owner.to_owned().into(),
            limit.into(),
        ],
    );
    let mut rows = inbox::Entity::find().from_raw_sql(stmt).all(db).await?;
    rows.sort_by_key(|r| r.id);
    Ok(rows)
}

/// What a handler returns: a Telegram refusal or a service error decides retry or not.
pub type HandlerResult = Result<(), ServiceError>;
/// The handler tree the inbox workers run every update through.
pub type Tree = Handler<'static, HandlerResult, DpHandlerDescription>;

/// Tombola's handler tree. Each update arrives with an `Arc<Ctx>`: the tenant's bot
/// client, its [`TenantScope`] and its settings.
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

async fn on_private_message(ctx: Arc<Ctx>, m: Message, from: User) -> HandlerResult {
    ctx.remember(&from, false).await?;
    // `/start g_<id>` from a t.me link joins that giveaway in one step.
    let payload = m
        .text()
        .and_then(|t| t.strip_prefix("/start "))
        .map(str::trim);
    if let Some(id) = payload.and_then(rules::parse_deep_link) {
        return ctx.join(m.chat.id, &from, id, "link", false).await;
    }
    // /start, and anything else we do not understand: the menu.
    Ok(ctx.menu(m.chat.id, &from).await?)
}

async fn on_help_command(ctx: Arc<Ctx>, m: Message, from: User) -> HandlerResult {
    ctx.remember(&from, false).await?;
    Ok(ctx.help(m.chat.id, &from).await?)
}

async fn on_callback(ctx: Arc<Ctx>, q: CallbackQuery) -> HandlerResult {
    ctx.remember(&q.from, false).await?;
    let l = ctx.locale(&q.from);
    let chat = ChatId(q.from.id.0 as i64);
    let data = q.data.as_deref().unwrap_or_default();
    let giveaway = rules::Callback::decode(data);
    let known = giveaway.is_some() || matches!(data, CB_JOIN | CB_MINE | CB_HELP | CB_MENU);
    // Answer first: the user's client spins until we do.
    let mut answer = ctx.bot.answer_callback_query(q.id.clone());
    if !known {
        answer = teloxide::payloads::AnswerCallbackQuerySetters::text(
            answer,
            BotText::StaleButton.text(l),
        );
    }
    ctx.meter
        .count("answerCallbackQuery", answer.await)
        .map_err(|e| classify(&e))?;
    match giveaway {
        Some(rules::Callback::Join(id)) => {
            return ctx.join(chat, &q.from, &id, "button", false).await;
        }
        Some(rules::Callback::Captcha(id, n)) => {
            let expected =
                rules::Captcha::from_bytes(ctx.cipher.captcha_bytes(&id, q.from.id.0 as i64))
                    .answer();
            if n != expected {
                ctx.say(chat, BotText::CaptchaWrong.text(l), None).await?;
                return ctx.join(chat, &q.from, &id, "button", false).await;
            }
            return ctx.join(chat, &q.from, &id, "button", true).await;
        }
        Some(rules::Callback::Show(id)) => return ctx.show(chat, &q.from, &id).await,
        None => {}
    }
    match data {
        CB_JOIN => ctx.open_list(chat, &q.from).await,
        CB_MINE => ctx.mine(chat, &q.from).await,
        CB_HELP => Ok(ctx.help(chat, &q.from).await?),
        CB_MENU => Ok(ctx.menu(chat, &q.from).await?),
        _ => Ok(()),
    }
}

async fn on_my_chat_member(ctx: Arc<Ctx>, m: ChatMemberUpdated) -> HandlerResult {
    let blocked = matches!(m.new_chat_member.kind, ChatMemberKind::Banned(_));
    ctx.remember(&m.from, blocked).await
}

/// What every handler gets for the bot an update came to.
pub struct Ctx {
    pub bot: Bot,
    pub bot_id: i32,
    /// Counts this bot's calls for the tenant's Usage page.
    pub meter: crate::usage::Meter,
    pub db: DatabaseConnection,
    pub cipher: Arc<TokenCipher>,
    pub limiter: Arc<Limiter>,
    pub clock: Clock,
    pub scope: TenantScope,
    pub tenant: tenants::Model,
    pub default_locale: Locale,
}

impl Ctx {
    fn locale(&self, user: &User) -> Locale {
        locale_for(user.language_code.as_deref(), self.default_locale)
    }

    /// Records (or refreshes) the Telegram user for this tenant.
    async fn remember(&self, user: &User, blocked: bool) -> Result<(), ServiceError> {
        let now = Utc::now();
        let row = telegram_users::ActiveModel {
            tenant_id: Set(self.scope.tenant_id),
            telegram_user_id: Set(user.id.0 as i64),
            first_name: Set(user.first_name.chars().take(256).collect()),
            username: Set(user.username.clone()),
            language_code: Set(user.language_code.clone()),
            blocked_bot: Set(blocked),
            first_seen_at: Set(now),
            last_seen_at: Set(now),
            ..Default::default()
        };
        telegram_users::Entity::insert(row)
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
            .exec_without_returning(&self.db)
            .await?;
        Ok(())
    }

    fn back(&self, l: Locale) -> InlineKeyboardMarkup {
        InlineKeyboardMarkup::new([[InlineKeyboardButton::callback(
            BotText::ButtonMenu.text(l),
            CB_MENU,
        )]])
    }

    async fn say(
        &self,
        chat: ChatId,
        text: &str,
        keyboard: Option<InlineKeyboardMarkup>,
    ) -> Result<(), TelegramError> {
        // Interactive answers share the bot's budget with bulk notices.
        self.limiter.acquire(self.bot_id, chat.0).await;
        let mut req = self.bot.send_message(chat, text);
        if let Some(k) = keyboard {
            req = req.reply_markup(k);
        }
        self.meter
            .count("sendMessage", req.await)
            .map(|_| ())
            .map_err(|e| classify(&e))
    }

    async fn menu(&self, chat: ChatId, user: &User) -> Result<(), TelegramError> {
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

impl Ctx {
    fn status_text(&self, l: Locale, status: Status, prize: Option<&str>) -> String {
        match (status, prize) {
            (Status::Drawn, Some(p)) => BotText::StatusDrawnWon.text(l).replace("{prize}", p),
            (Status::Drawn, None) => BotText::StatusDrawnLost.text(l).to_owned(),
            (Status::Open, _) => BotText::StatusOpen.text(l).to_owned(),
            (Status::Closed, _) => BotText::StatusClosed.text(l).to_owned(),
            (Status::Cancelled, _) => BotText::StatusCancelled.text(l).to_owned(),
            (Status::Scheduled | Status::Draft, _) => BotText::StatusScheduled.text(l).to_owned(),
        }
    }

    fn card(&self, l: Locale, o: &giveaways::Offer) -> String {
        let tz: chrono_tz::Tz = self.tenant.time_zone.parse().unwrap_or(chrono_tz::Tz::UTC);
        giveaways::card_text(l, o, tz)
    }

    fn join_keyboard(&self, l: Locale, public_id: &str) -> InlineKeyboardMarkup {
        InlineKeyboardMarkup::new([
            vec![InlineKeyboardButton::callback(
                BotText::ButtonJoinThis.text(l),
                rules::Callback::Join(public_id.to_owned()).encode(),
            )],
            vec![InlineKeyboardButton::callback(
                BotText::ButtonMenu.text(l),
                CB_MENU,
            )],
        ])
    }

    /// 🎁 Join: this tenant's open giveaways on this bot.
    async fn open_list(&self, chat: ChatId, user: &User) -> HandlerResult {
        let l = self.locale(user);
        let open = giveaways::open_on_bot(&self.db, &self.scope).await?;
        match open.as_slice() {
            [] => Ok(self
                .say(chat, BotText::NoneOpen.text(l), Some(self.back(l)))
                .await?),
            [one] => Ok(self
                .say(
                    chat,
                    &self.card(l, one),
                    Some(self.join_keyboard(l, &one.public_id)),
                )
                .await?),
            many => {
                let mut rows: Vec<Vec<InlineKeyboardButton>> = many
                    .iter()
                    .map(|o| {
                        vec![InlineKeyboardButton::callback(
                            format!("🎁 {}", o.title),
                            rules::Callback::Show(o.public_id.clone()).encode(),
                        )]
                    })
                    .collect();
                rows.push(vec![InlineKeyboardButton::callback(
                    BotText::ButtonMenu.text(l),
                    CB_MENU,
                )]);
                Ok(self
                    .say(
                        chat,
                        BotText::OpenListTitle.text(l),
                        Some(InlineKeyboardMarkup::new(rows)),
                    )
                    .await?)
            }
        }
    }

    /// One giveaway's card; another tenant's (or bot's) id is "not found".
    async fn show(&self, chat: ChatId, user: &User, public_id: &str) -> HandlerResult {
        let l = self.locale(user);
        match giveaways::offer_on_bot(&self.db, &self.scope, public_id).await {
            Ok(o) if o.status == Status::Open => Ok(self
                .say(
                    chat,
                    &self.card(l, &o),
                    Some(self.join_keyboard(l, &o.public_id)),
                )
                .await?),
            Ok(o) => {
                let text = format!(
                    "{}\n\n{}",
                    self.card(l, &o),
                    self.status_text(l, o.status, None)
                );
                Ok(self.say(chat, &text, Some(self.back(l))).await?)
            }
            Err(ServiceError::NotFound) => Ok(self
                .say(chat, BotText::NotFound.text(l), Some(self.back(l)))
                .await?),
            Err(e) => Err(e),
        }
    }

    /// Joins: conditions checked with getChatMember, exactly what is missing said.
    async fn join(
        &self,
        chat: ChatId,
        user: &User,
        public_id: &str,
        via: &str,
        captcha_passed: bool,
    ) -> HandlerResult {
        let l = self.locale(user);
        let offer = match giveaways::offer_on_bot(&self.db, &self.scope, public_id).await {
            Ok(o) => o,
            Err(ServiceError::NotFound) => {
                return Ok(self
                    .say(chat, BotText::NotFound.text(l), Some(self.back(l)))
                    .await?);
            }
            Err(e) => return Err(e),
        };
        let who = giveaways::Entrant {
            telegram_user_id: user.id.0 as i64,
            first_name: user.first_name.clone(),
            username: user.username.clone(),
            language_code: user.language_code.clone(),
        };
        if offer.status == Status::Open && offer.captcha && !captcha_passed {
            let joined = giveaways::has_joined(
                &self.db,
                &self.scope,
                &offer.public_id,
                who.telegram_user_id,
            )
            .await?;
            if !joined {
                let c = rules::Captcha::from_bytes(
                    self.cipher
                        .captcha_bytes(&offer.public_id, who.telegram_user_id),
                );
                let text = BotText::CaptchaQuestion
                    .text(l)
                    .replace("{a}", &c.a.to_string())
                    .replace("{b}", &c.b.to_string());
                let buttons = c.choices.map(|n| {
                    InlineKeyboardButton::callback(
                        n.to_string(),
                        rules::Callback::Captcha(offer.public_id.clone(), n).encode(),
                    )
                });
                return Ok(self
                    .say(chat, &text, Some(InlineKeyboardMarkup::new([buttons])))
                    .await?);
            }
        }
        if offer.status == Status::Open && !offer.conditions.is_empty() {
            match crate::scheduler::missing_memberships(
                &self.bot,
                &self.meter,
                &offer.conditions,
                who.telegram_user_id,
            )
            .await
            {
                Ok(missing) if !missing.is_empty() => {
                    let text = BotText::MissingMembership
                        .text(l)
                        .replace("{chats}", &missing.join(", "));
                    return Ok(self
                        .say(chat, &text, Some(self.join_keyboard(l, public_id)))
                        .await?);
                }
                Ok(_) => {}
                Err(_) => {
                    return Ok(self.say(chat, BotText::CannotCheck.text(l), None).await?);
                }
            }
        }
        let now = self.clock.now();
        let text = match giveaways::join(
            &self.db,
            &self.scope,
            &self.cipher,
            public_id,
            &who,
            via,
            now,
        )
        .await?
        {
            giveaways::Joined::New { number, pseudonym } => BotText::Joined
                .text(l)
                .replace("{number}", &number.to_string())
                .replace("{pseudonym}", &pseudonym),
            giveaways::Joined::Already { number, .. } => BotText::AlreadyJoined
                .text(l)
                .replace("{number}", &number.to_string()),
            giveaways::Joined::Full => BotText::Full.text(l).to_owned(),
            giveaways::Joined::NotOpen(Status::Scheduled | Status::Draft) => {
                BotText::NotOpenYet.text(l).to_owned()
            }
            giveaways::Joined::NotOpen(Status::Cancelled) => BotText::Cancelled.text(l).to_owned(),
            giveaways::Joined::NotOpen(_) => BotText::Ended.text(l).to_owned(),
        };
        Ok(self.say(chat, &text, Some(self.back(l))).await?)
    }

    /// 🎊 My giveaways: this tenant's giveaways the user joined, with their state.
    async fn mine(&self, chat: ChatId, user: &User) -> HandlerResult {
        let l = self.locale(user);
        let mine = giveaways::mine(&self.db, &self.scope, user.id.0 as i64).await?;
        if mine.is_empty() {
            return Ok(self
                .say(chat, BotText::NoneJoined.text(l), Some(self.back(l)))
                .await?);
        }
        let lines = mine
            .iter()
            .map(|e| {
                BotText::MineLine
                    .text(l)
                    .replace("{title}", &e.title)
                    .replace("{number}", &e.number.to_string())
                    .replace(
                        "{status}",
                        &self.status_text(l, e.status, e.prize.as_deref()),
                    )
            })
            .collect::<Vec<_>>()
            .join("\n");
        let text = format!("{}\n{lines}", BotText::MineTitle.text(l));
        Ok(self.say(chat, &text, Some(self.back(l))).await?)
    }
}
