//! The Mini App's server side: a giveaway's page (`/m/g/<id>`) and a bot's page
//! (`/m/b/<bot id>`, what the bot's menu button opens), as Telegram opens them inside
//! the app, for the user the app was opened by.
//!
//! Every request carries the `initData` Telegram handed the page, checked by
//! [`crate::telegram::init_data`] with the token of the bot the giveaway (or page) belongs
//! to. The address only says which token to try: nothing in it is believed until the
//! signature matches, so the bot is the one whose token signed the data, and the user is
//! the one the signed data names. The data names no bot, so a signature that does not
//! match means "this giveaway is not on the bot that opened the app" (or forged data):
//! either way "not found". Data too old to trust is [`ServiceError::MiniAppData`], and
//! so is no data at all (the page was not opened from Telegram).
//!
//! A join goes through the same checks as a join from a chat ([`super::admission`]) and
//! the same join queue ([`super::joiner`]), so the same rules and race-safety hold.
//!
//! May import: the foundation, `telegram::init_data`, `super::{admission, entries,
//! joiner, bot}`.

use super::admission::{self, Admission, Gate};
use super::bot::Offer;
use super::entries::{self, Entrant, Joined};
use super::joiner::{Joiner, Request};
use crate::ServiceError;
use crate::crypto::open_token;
use crate::deps::Deps;
use crate::entities::{bots, giveaways, tenants};
use crate::telegram::init_data::{self, InitDataError, WebAppUser};
use crate::tenancy::{TenantScope, WriterScope};
use domain::bot_text::{BotText, locale_for};
use domain::giveaway::{self as rules, Status, Via};
use domain::{Locale, PublicId};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

/// A checked Mini App request: the bot that opened the app, its tenant, the user.
pub struct Visit {
    pub bot: bots::Model,
    pub tenant: tenants::Model,
    pub user: WebAppUser,
    scope: WriterScope,
    client: teloxide::Bot,
}

impl Visit {
    /// The language to speak to the user in: theirs when we speak it, else the bot's.
    pub fn locale(&self) -> Locale {
        locale_for(self.user.language_code.as_deref(), self.tenant.bot_locale())
    }

    fn gate<'a>(&'a self, deps: &'a Deps, meter: &'a crate::botapi::Meter) -> Gate<'a> {
        Gate {
            deps,
            scope: &self.scope,
            bot: &self.client,
            meter,
        }
    }
}

/// Checks `raw` against bot `bot`'s token (see the module's doc).
async fn visit(deps: &Deps, bot: bots::Model, raw: &str) -> Result<Visit, ServiceError> {
    let tenant = tenants::Entity::find_by_id(bot.tenant_id)
        .one(&deps.db)
        .await?
        .ok_or(ServiceError::NotFound)?;
    // A suspended tenant's bots are silent; so is its Mini App.
    if !bot.enabled || tenant.suspended_at.is_some() {
        return Err(ServiceError::NotFound);
    }
    let token = open_token(&deps.cipher, &bot)?;
    let data =
        init_data::validate(raw, &token, deps.clock.now().timestamp()).map_err(|e| match e {
            InitDataError::BadSignature => ServiceError::NotFound,
            InitDataError::Expired => ServiceError::MiniAppData { expired: true },
            _ => ServiceError::MiniAppData { expired: false },
        })?;
    Ok(Visit {
        scope: WriterScope::of_active(TenantScope::for_bot(tenant.id, bot.id)),
        client: deps.api.bot(&token),
        user: data.user,
        tenant,
        bot,
    })
}

/// A giveaway as its Mini App page shows it to one user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GiveawayPage {
    /// The giveaway as its card in the chat shows it.
    pub offer: Offer,
    /// Each membership condition and whether the user meets it now (`None`: Telegram
    /// could not be asked). Checked only while the giveaway is open.
    pub conditions: Vec<(String, Option<bool>)>,
    /// The question to answer before joining, when the giveaway asks one of this user.
    pub captcha: Option<rules::Captcha>,
    /// The user's entry: number and pseudonym.
    pub entry: Option<(u32, String)>,
    /// Drawn: the winners by number, with their prizes.
    pub winners: Vec<(u32, String)>,
    pub bot_username: String,
    pub locale: Locale,
}

/// Opens giveaway `public_id`'s page for the user `raw` names.
pub async fn giveaway_page(
    deps: &Deps,
    public_id: &str,
    raw: &str,
) -> Result<GiveawayPage, ServiceError> {
    let (g, v) = open_giveaway(deps, public_id, raw).await?;
    let user = v.user.id;
    let entry = entries::entry_of(&deps.db, g.id, user).await?;
    let meter = deps.api.meter(v.tenant.id, v.bot.id);
    let open = g.status == Status::Open;
    let mut conditions = Vec::new();
    if open {
        for chat in g.conditions() {
            let met = match crate::telegram::membership::missing_memberships(
                &v.client,
                &meter,
                std::slice::from_ref(&chat),
                user,
            )
            .await
            {
                Ok(missing) => Some(missing.is_empty()),
                Err(_) => None,
            };
            conditions.push((chat, met));
        }
    }
    let captcha = (open && g.captcha && entry.is_none())
        .then(|| admission::captcha_for(deps, g.public_id.as_str(), user));
    let winners = g
        .current_outcome()
        .filter(|_| g.status == Status::Drawn)
        .map(|o| {
            rules::assign_prizes(&g.prizes(), &o.winners)
                .into_iter()
                .map(|(n, p)| (n, p.to_owned()))
                .collect()
        })
        .unwrap_or_default();
    Ok(GiveawayPage {
        offer: super::bot::offer(g),
        entry: entry.map(|e| (e.number as u32, e.pseudonym)),
        locale: v.locale(),
        bot_username: v.bot.username.clone(),
        conditions,
        captcha,
        winners,
    })
}

/// How a join from the Mini App ended: `joined` when the user has an entry now (new or
/// not), and what to tell them, in their language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinAnswer {
    pub joined: bool,
    pub text: String,
}

/// Joins giveaway `public_id` as the user `raw` names, through the same checks and join
/// queue as a join from a chat. `answer`: the user's answer to the captcha, if asked.
pub async fn join(
    deps: &Deps,
    joiner: &Joiner,
    public_id: &str,
    raw: &str,
    answer: Option<u8>,
) -> Result<JoinAnswer, ServiceError> {
    let (g, v) = open_giveaway(deps, public_id, raw).await?;
    let l = v.locale();
    let user = v.user.id;
    let refused = |text: String| {
        Ok(JoinAnswer {
            joined: false,
            text,
        })
    };
    let captcha_passed = match answer {
        Some(n) if n == admission::captcha_for(deps, g.public_id.as_str(), user).answer() => true,
        Some(_) => return refused(BotText::CaptchaWrong.text(l).to_owned()),
        None => false,
    };
    let mut who = Entrant {
        telegram_user_id: user,
        first_name: v.user.first_name.clone(),
        username: v.user.username.clone(),
        language_code: v.user.language_code.clone(),
        boost_tickets: 0,
    };
    let meter = deps.api.meter(v.tenant.id, v.bot.id);
    match admission::admit(
        &v.gate(deps, &meter),
        &g,
        &who,
        v.user.is_premium,
        captcha_passed,
    )
    .await?
    {
        Admission::Admit { boost_tickets } => who.boost_tickets = boost_tickets,
        other => return refused(other.refusal(l, &v.tenant.name).unwrap_or_default()),
    }
    let invites = super::bot::invite_base(deps, &g).await?;
    let joined = joiner
        .join(Request {
            scope: v.scope,
            giveaway: g,
            who,
            via: Via::MiniApp,
            plan: v.tenant.plan.limits(),
            locale: v.tenant.bot_locale(),
            now: deps.clock.now(),
            receipt: None,
        })
        .await?;
    Ok(JoinAnswer {
        joined: matches!(joined, Joined::New { .. } | Joined::Already { .. }),
        text: super::bot::joined_text(l, &joined, invites.as_ref()),
    })
}

/// The giveaway `public_id` (not a draft, on a bot) and the checked visit of its bot.
async fn open_giveaway(
    deps: &Deps,
    public_id: &str,
    raw: &str,
) -> Result<(giveaways::Model, Visit), ServiceError> {
    let public_id = PublicId::parse(public_id).ok_or(ServiceError::NotFound)?;
    let g = giveaways::Entity::find()
        .filter(giveaways::Column::PublicId.eq(public_id.as_str()))
        .filter(giveaways::Column::Status.ne(Status::Draft))
        .one(&deps.db)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let bot = super::bot_of_giveaway(&deps.db, &g)
        .await?
        .filter(|b| b.tenant_id == g.tenant_id)
        .ok_or(ServiceError::NotFound)?;
    let v = visit(deps, bot, raw).await?;
    Ok((g, v))
}

/// A bot's page: its open giveaways and the user's entries with this tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BotPage {
    pub shop: String,
    pub bot_username: String,
    pub open: Vec<Offer>,
    pub mine: Vec<entries::MyEntry>,
    pub locale: Locale,
}

/// Opens bot `bot_public_id`'s page for the user `raw` names.
pub async fn bot_page(
    deps: &Deps,
    bot_public_id: &str,
    raw: &str,
) -> Result<BotPage, ServiceError> {
    let id = PublicId::parse(bot_public_id).ok_or(ServiceError::NotFound)?;
    let bot = bots::Entity::find()
        .filter(bots::Column::PublicId.eq(id.as_str()))
        .one(&deps.db)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let v = visit(deps, bot, raw).await?;
    Ok(BotPage {
        open: super::bot::open_on_bot(&deps.db, &v.scope).await?,
        mine: entries::mine(&deps.db, &v.scope, v.user.id).await?,
        locale: v.locale(),
        shop: v.tenant.name.clone(),
        bot_username: v.bot.username.clone(),
    })
}
