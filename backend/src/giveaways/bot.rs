//! The bot's side of giveaways, plugged into the dialog as a [`Feature`]: 🎁 Join (the
//! open giveaways on this bot), one giveaway's card, joining by button or by a
//! `t.me/<bot>?start=g_<id>` link (captcha, then membership conditions, then the entry),
//! and 🎊 My giveaways. An invite link (`?start=r_<id>_<number>`, see
//! [`super::referrals`]) joins like a giveaway link after remembering who invited; a new
//! entry of a giveaway with referrals is told its own invite link. A join by button is answered on the press itself, its receipt
//! following through the outbox; a join by link is answered with a message. Entries are
//! made by the join queue ([`super::joiner`]).

use super::admission::{self, Admission, Gate};
use super::entries::{self, Entrant, Joined};
use super::joiner::{Joiner, Receipt, Request};
use super::publication::card_text;
use crate::ServiceError;
use crate::deps::Deps;
use crate::entities::giveaways;
use crate::telegram::dialog::{CB_JOIN, CB_MINE, Ctx, Feature, HandlerResult};
use crate::tenancy::TenantScope;
use chrono::{DateTime, Utc};
use domain::bot_text::BotText;
use domain::giveaway::{self as rules, Callback, Prize, Status, Via};
use domain::{Locale, PublicId};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use teloxide::types::{ChatId, InlineKeyboardButton, InlineKeyboardMarkup, User, WebAppInfo};

/// The giveaways feature of the dialog; its joins go through the join queue.
#[derive(Debug, Clone)]
pub struct Giveaways {
    joiner: Joiner,
}

impl Giveaways {
    /// The feature, with its join queue's task (which ends when the feature is dropped).
    pub fn spawn(deps: Deps) -> (Giveaways, tokio::task::JoinHandle<()>) {
        let (joiner, task) = Joiner::spawn(deps);
        (Giveaways { joiner }, task)
    }

    /// The join queue, for the other ways in (the Mini App).
    pub fn joiner(&self) -> &Joiner {
        &self.joiner
    }
}

#[async_trait::async_trait]
impl Feature for Giveaways {
    async fn on_start(
        &self,
        ctx: &Ctx,
        chat: ChatId,
        user: &User,
        payload: &str,
    ) -> Option<HandlerResult> {
        // `/start g_<id>` from a t.me link joins that giveaway in one step; an invite
        // link `r_<id>_<number>` too, crediting entry <number> if the user is new.
        let (id, inviter) = match rules::parse_referral_link(payload) {
            Some((id, number)) => (id, Some(number)),
            None => (rules::parse_deep_link(payload)?, None),
        };
        Some(
            match join(ctx, &self.joiner, chat, user, id, Via::Link, false, inviter).await {
                Ok(Step::Done(text)) => {
                    let l = ctx.locale(user);
                    let mut keyboard = ctx.back(l);
                    if let Some(b) = app_button(ctx, l, id) {
                        keyboard.inline_keyboard.insert(0, vec![b]);
                    }
                    ctx.say(chat, &text, Some(keyboard))
                        .await
                        .map_err(Into::into)
                }
                Ok(Step::Said) => Ok(()),
                Err(e) => Err(e),
            },
        )
    }

    fn owns_button(&self, data: &str) -> bool {
        matches!(data, CB_JOIN | CB_MINE) || Callback::decode(data).is_some()
    }

    async fn on_button(
        &self,
        ctx: &Ctx,
        chat: ChatId,
        user: &User,
        data: &str,
    ) -> Result<Option<String>, ServiceError> {
        let l = ctx.locale(user);
        let step = match Callback::decode(data) {
            Some(Callback::Join(id)) => {
                join(ctx, &self.joiner, chat, user, &id, Via::Button, false, None).await?
            }
            Some(Callback::Captcha(id, n)) => {
                let expected = admission::captcha_for(&ctx.deps, &id, user.id.0 as i64).answer();
                if n != expected {
                    ctx.say(chat, BotText::CaptchaWrong.text(l), None).await?;
                }
                join(
                    ctx,
                    &self.joiner,
                    chat,
                    user,
                    &id,
                    Via::Button,
                    n == expected,
                    None,
                )
                .await?
            }
            Some(Callback::Show(id)) => {
                show(ctx, chat, user, &id).await?;
                Step::Said
            }
            Some(Callback::Claim(id)) => {
                let text = match giveaway_named_on_bot(&ctx.deps.db, &ctx.scope, &id).await {
                    Ok(g) => match super::rerolls::claim(&ctx.deps, &g, user.id.0 as i64).await? {
                        super::rerolls::Claim::Claimed => BotText::Claimed,
                        super::rerolls::Claim::TooLate => BotText::ClaimTooLate,
                        super::rerolls::Claim::NotAWinner => BotText::StaleButton,
                    },
                    Err(ServiceError::NotFound) => BotText::StaleButton,
                    Err(e) => return Err(e),
                };
                // The press is answered with it; the chat gets it too.
                ctx.say(chat, text.text(l), None).await?;
                Step::Done(text.text(l).to_owned())
            }
            None if data == CB_JOIN => {
                open_list(ctx, chat, user).await?;
                Step::Said
            }
            None if data == CB_MINE => {
                mine(ctx, chat, user).await?;
                Step::Said
            }
            None => Step::Said,
        };
        match step {
            // The press is answered with the outcome at once; the same words, with the
            // way back to the menu, follow as a message when the bot's rate allows (a
            // giveaway announced in a big channel brings thousands of presses a minute,
            // and a bot may send only about 30 messages a second): the join queue wrote
            // that receipt with the entry.
            Step::Done(text) => Ok(Some(text)),
            Step::Said => Ok(None),
        }
    }
}

/// Where a join ended: with its outcome, for the caller to tell the user, or with a
/// message already sent (the captcha's question, the chats still to join, not found).
enum Step {
    Done(String),
    Said,
}

/// A giveaway as the bot shows it to its audience.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offer {
    pub public_id: PublicId,
    pub title: String,
    pub description: String,
    pub prizes: Vec<Prize>,
    pub ends_at: DateTime<Utc>,
    pub entries: u32,
    pub commitment: String,
    pub conditions: Vec<String>,
    pub captcha: bool,
    pub status: Status,
}

pub(super) fn offer(g: giveaways::Model) -> Offer {
    Offer {
        prizes: g.prizes(),
        conditions: g.conditions(),
        status: g.status,
        captcha: g.captcha,
        entries: g.entries_count.max(0) as u32,
        public_id: g.public_id,
        title: g.title,
        description: g.description,
        ends_at: g.ends_at,
        commitment: g.commitment,
    }
}

/// The giveaways open for joining on the bot the scope acts for.
pub async fn open_on_bot(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
) -> Result<Vec<Offer>, ServiceError> {
    let bot_id = scope.bot_id().ok_or(ServiceError::Forbidden)?;
    Ok(giveaways::Entity::find()
        .filter(giveaways::Column::TenantId.eq(scope.tenant_id()))
        .filter(giveaways::Column::BotId.eq(bot_id))
        .filter(giveaways::Column::Status.eq(Status::Open))
        .order_by_asc(giveaways::Column::EndsAt)
        .limit(10)
        .all(db)
        .await?
        .into_iter()
        .map(offer)
        .collect())
}

/// One giveaway of this tenant on this bot, in any state but draft; another tenant's
/// id (or another bot's) is "not found".
pub async fn offer_on_bot(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    public_id: &str,
) -> Result<Offer, ServiceError> {
    giveaway_named_on_bot(db, scope, public_id).await.map(offer)
}

/// [`giveaway_on_bot`] for an id as a user's button or link carries it (not parsed
/// yet): one that cannot be an id is "not found" too.
async fn giveaway_named_on_bot(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    public_id: &str,
) -> Result<giveaways::Model, ServiceError> {
    let public_id = PublicId::parse(public_id).ok_or(ServiceError::NotFound)?;
    giveaway_on_bot(db, scope, &public_id).await
}

/// [`giveaway_named_on_bot`] for a button or link of an update: read once per batch
/// of the bot's updates (hundreds of presses of one Join button share the read; the
/// join queue locks and reads the row again before it writes).
async fn pressed_giveaway(ctx: &Ctx, public_id: &str) -> Result<giveaways::Model, ServiceError> {
    ctx.memo
        .get_or_read(public_id, || {
            giveaway_named_on_bot(&ctx.deps.db, &ctx.scope, public_id)
        })
        .await
}

/// The row behind [`offer_on_bot`].
pub(super) async fn giveaway_on_bot(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    public_id: &PublicId,
) -> Result<giveaways::Model, ServiceError> {
    let bot_id = scope.bot_id().ok_or(ServiceError::Forbidden)?;
    giveaways::Entity::find()
        .filter(giveaways::Column::PublicId.eq(public_id.as_str()))
        .filter(giveaways::Column::TenantId.eq(scope.tenant_id()))
        .filter(giveaways::Column::BotId.eq(bot_id))
        .filter(giveaways::Column::Status.ne(Status::Draft))
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound)
}

fn status_text(l: Locale, status: Status, prize: Option<&str>) -> String {
    match (status, prize) {
        (Status::Drawn, Some(p)) => BotText::StatusDrawnWon.text(l).replace("{prize}", p),
        (Status::Drawn, None) => BotText::StatusDrawnLost.text(l).to_owned(),
        (Status::Open, _) => BotText::StatusOpen.text(l).to_owned(),
        (Status::Closed, _) => BotText::StatusClosed.text(l).to_owned(),
        (Status::Cancelled, _) => BotText::StatusCancelled.text(l).to_owned(),
        (Status::Scheduled | Status::Draft, _) => BotText::StatusScheduled.text(l).to_owned(),
    }
}

fn card(ctx: &Ctx, l: Locale, o: &Offer) -> String {
    let tz: chrono_tz::Tz = ctx.tenant.time_zone.parse().unwrap_or(chrono_tz::Tz::UTC);
    card_text(l, o, tz)
}

/// The card's keyboard (always in the user's private chat with the bot): Join, the
/// giveaway's Mini App when the deployment can offer one, back to the menu.
fn join_keyboard(ctx: &Ctx, l: Locale, public_id: &str) -> InlineKeyboardMarkup {
    let mut rows = vec![vec![InlineKeyboardButton::callback(
        BotText::ButtonJoinThis.text(l),
        Callback::Join(public_id.to_owned()).encode(),
    )]];
    rows.extend(app_button(ctx, l, public_id).map(|b| vec![b]));
    rows.push(ctx.back(l).inline_keyboard.remove(0));
    InlineKeyboardMarkup::new(rows)
}

/// The button that opens giveaway `public_id`'s Mini App page. Telegram allows `web_app`
/// buttons only in private chats: announcements in channels and groups carry a `url`
/// button to the bot's `t.me/<bot>?start=g_<id>` link instead, whose answer (in the
/// private chat) has this button.
fn app_button(ctx: &Ctx, l: Locale, public_id: &str) -> Option<InlineKeyboardButton> {
    let url = ctx.deps.mini_app_url(&format!("/m/g/{public_id}"))?;
    Some(InlineKeyboardButton::web_app(
        BotText::ButtonOpenApp.text(l),
        WebAppInfo { url },
    ))
}

/// 🎁 Join: this tenant's open giveaways on this bot.
async fn open_list(ctx: &Ctx, chat: ChatId, user: &User) -> HandlerResult {
    let l = ctx.locale(user);
    let open = open_on_bot(&ctx.deps.db, &ctx.scope).await?;
    match open.as_slice() {
        [] => Ok(ctx
            .say(chat, BotText::NoneOpen.text(l), Some(ctx.back(l)))
            .await?),
        [one] => Ok(ctx
            .say(
                chat,
                &card(ctx, l, one),
                Some(join_keyboard(ctx, l, one.public_id.as_str())),
            )
            .await?),
        many => {
            let mut rows: Vec<Vec<InlineKeyboardButton>> = many
                .iter()
                .map(|o| {
                    vec![InlineKeyboardButton::callback(
                        format!("🎁 {}", o.title),
                        Callback::Show(o.public_id.to_string()).encode(),
                    )]
                })
                .collect();
            rows.extend(ctx.back(l).inline_keyboard);
            Ok(ctx
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
async fn show(ctx: &Ctx, chat: ChatId, user: &User, public_id: &str) -> HandlerResult {
    let l = ctx.locale(user);
    match pressed_giveaway(ctx, public_id).await.map(offer) {
        Ok(o) if o.status == Status::Open => Ok(ctx
            .say(
                chat,
                &card(ctx, l, &o),
                Some(join_keyboard(ctx, l, o.public_id.as_str())),
            )
            .await?),
        Ok(o) => {
            let text = format!("{}\n\n{}", card(ctx, l, &o), status_text(l, o.status, None));
            Ok(ctx.say(chat, &text, Some(ctx.back(l))).await?)
        }
        Err(ServiceError::NotFound) => Ok(ctx
            .say(chat, BotText::NotFound.text(l), Some(ctx.back(l)))
            .await?),
        Err(e) => Err(e),
    }
}

/// Joins: the checks of [`admission`] (captcha, membership conditions, entry rules),
/// each refusal said exactly, then the entry through the join queue.
#[allow(clippy::too_many_arguments)]
async fn join(
    ctx: &Ctx,
    joiner: &Joiner,
    chat: ChatId,
    user: &User,
    public_id: &str,
    via: Via,
    captcha_passed: bool,
    inviter: Option<u32>,
) -> Result<Step, ServiceError> {
    let l = ctx.locale(user);
    let row = match pressed_giveaway(ctx, public_id).await {
        Ok(g) => g,
        Err(ServiceError::NotFound) => {
            ctx.say(chat, BotText::NotFound.text(l), Some(ctx.back(l)))
                .await?;
            return Ok(Step::Said);
        }
        Err(e) => return Err(e),
    };
    if let Some(number) = inviter {
        super::referrals::remember_link(&ctx.deps, &row, user.id.0 as i64, number).await?;
    }
    let mut who = entrant(user);
    let gate = Gate {
        deps: &ctx.deps,
        scope: &ctx.scope,
        bot: &ctx.bot,
        meter: &ctx.meter,
    };
    let admission = admission::admit(&gate, &row, &who, user.is_premium, captcha_passed).await?;
    if let Admission::Admit { boost_tickets } = admission {
        who.boost_tickets = boost_tickets;
    } else {
        let text = admission.refusal(l, &ctx.tenant.name).unwrap_or_default();
        // The captcha is answered with its three buttons; anything else may be retried.
        let keyboard = match &admission {
            Admission::Captcha(c) => InlineKeyboardMarkup::new([c.choices.map(|n| {
                InlineKeyboardButton::callback(
                    n.to_string(),
                    Callback::Captcha(row.public_id.to_string(), n).encode(),
                )
            })]),
            _ => join_keyboard(ctx, l, public_id),
        };
        ctx.say(chat, &text, Some(keyboard)).await?;
        return Ok(Step::Said);
    }
    // A join by button is told by the press's answer at once, and by a receipt that
    // the join queue writes with the entry; a join by link by a message now. The
    // receipt goes to the user's private chat, never to the group or channel where the
    // button was pressed (a thousand receipts there would drown it, at 20 a minute).
    let invites = ctx
        .memo
        .get_or_read(public_id, || invite_base(&ctx.deps, &row))
        .await?;
    let receipt: Option<Receipt> = (via == Via::Button).then(|| {
        let private = ChatId(who.telegram_user_id);
        let template = ctx.reply_row(private, String::new(), vec![ctx.back_button(l)]);
        let invites = invites.clone();
        Box::new(move |j: &Joined| {
            let mut row = template;
            row.message.text = joined_text(l, j, invites.as_ref());
            row
        }) as Receipt
    });
    let joined = joiner
        .join(Request {
            scope: ctx.scope,
            giveaway: row,
            who,
            via,
            plan: ctx.tenant.plan.limits(),
            locale: ctx.default_locale,
            now: ctx.deps.clock.now(),
            receipt,
        })
        .await?;
    Ok(Step::Done(joined_text(l, &joined, invites.as_ref())))
}

/// A Telegram user as an entrant (no boost tickets yet).
fn entrant(user: &User) -> Entrant {
    Entrant {
        telegram_user_id: user.id.0 as i64,
        first_name: user.first_name.clone(),
        username: user.username.clone(),
        language_code: user.language_code.clone(),
        boost_tickets: 0,
    }
}

/// Where a giveaway's invite links point, when it has referrals: the bot's t.me address,
/// the giveaway's public id and the cap.
#[derive(Debug, Clone)]
pub(super) struct Invites {
    bot_username: String,
    public_id: String,
    cap: u32,
}

pub(super) async fn invite_base(
    deps: &Deps,
    g: &giveaways::Model,
) -> Result<Option<Invites>, ServiceError> {
    if g.referral_cap <= 0 {
        return Ok(None);
    }
    let bot = super::bot_of_giveaway(&deps.db, g).await?;
    Ok(bot.map(|b| Invites {
        bot_username: b.username,
        public_id: g.public_id.to_string(),
        cap: g.referral_cap as u32,
    }))
}

/// What the user is told about a join (a new entry of a giveaway with referrals also
/// gets its invite link).
pub(super) fn joined_text(l: Locale, joined: &Joined, invites: Option<&Invites>) -> String {
    match joined {
        Joined::New { number, pseudonym } => {
            let mut text = BotText::Joined
                .text(l)
                .replace("{number}", &number.to_string())
                .replace("{pseudonym}", pseudonym);
            if let Some(i) = invites {
                let link = format!(
                    "https://t.me/{}?start={}",
                    i.bot_username,
                    rules::referral_payload(&i.public_id, *number)
                );
                text.push_str("\n\n");
                text.push_str(
                    &BotText::InviteLink
                        .text(l)
                        .replace("{link}", &link)
                        .replace("{cap}", &i.cap.to_string()),
                );
            }
            text
        }
        Joined::Already { number, .. } => BotText::AlreadyJoined
            .text(l)
            .replace("{number}", &number.to_string()),
        Joined::Full => BotText::Full.text(l).to_owned(),
        Joined::NotOpen(Status::Scheduled | Status::Draft) => {
            BotText::NotOpenYet.text(l).to_owned()
        }
        Joined::NotOpen(Status::Cancelled) => BotText::Cancelled.text(l).to_owned(),
        Joined::NotOpen(_) => BotText::Ended.text(l).to_owned(),
    }
}

/// 🎊 My giveaways: this tenant's giveaways the user joined, with their state.
async fn mine(ctx: &Ctx, chat: ChatId, user: &User) -> HandlerResult {
    let l = ctx.locale(user);
    let mine = entries::mine(&ctx.deps.db, &ctx.scope, user.id.0 as i64).await?;
    if mine.is_empty() {
        return Ok(ctx
            .say(chat, BotText::NoneJoined.text(l), Some(ctx.back(l)))
            .await?);
    }
    let lines = mine
        .iter()
        .map(|e| {
            BotText::MineLine
                .text(l)
                .replace("{title}", &e.title)
                .replace("{number}", &e.number.to_string())
                .replace("{status}", &status_text(l, e.status, e.prize.as_deref()))
        })
        .collect::<Vec<_>>()
        .join("\n");
    let text = format!("{}\n{lines}", BotText::MineTitle.text(l));
    Ok(ctx.say(chat, &text, Some(ctx.back(l))).await?)
}
