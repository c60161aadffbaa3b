//! Whether a user may join a giveaway now: the captcha, then the membership conditions
//! (getChatMember), then the entry rules (Premium, account age, no recent win, a boost).
//! One decision for every way in — a chat button, a `t.me` link, the Mini App — each of
//! which tells the user in its own way; the entry itself is then made by the join queue
//! ([`super::joiner`]).
//!
//! May import: the foundation, `telegram::membership`, `super::entries`.

use super::entries::{self, Entrant};
use crate::ServiceError;
use crate::botapi::Meter;
use crate::deps::Deps;
use crate::entities::giveaways;
use crate::telegram::membership::{boosts_of, missing_memberships};
use crate::tenancy::TenantScope;
use domain::Locale;
use domain::bot_text::BotText;
use domain::giveaway::{self as rules, Status};

/// What the checks need of the bot the user came through.
pub struct Gate<'a> {
    pub deps: &'a Deps,
    pub scope: &'a TenantScope,
    /// The bot's client, for getChatMember and getUserChatBoosts.
    pub bot: &'a teloxide::Bot,
    pub meter: &'a Meter,
}

/// The decision on one join.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Admission {
    /// The giveaway asks for a captcha this user has not answered.
    Captcha(rules::Captcha),
    /// The user is not (yet) a member of these chats.
    Missing(Vec<String>),
    /// Telegram could not be asked (the user may try again).
    CannotCheck,
    /// An entry rule refuses this user.
    Refused(Refusal),
    /// May join, with this many extra tickets from boosts. Also for a giveaway that is not
    /// open, or a user already in: the join queue then says which.
    Admit { boost_tickets: u32 },
}

impl Admission {
    /// What the user is told when this is not `Admit` (`shop`: the tenant's name): the
    /// captcha's question, the chats still to join, that Telegram could not be asked, or
    /// the rule's reason.
    pub fn refusal(&self, l: Locale, shop: &str) -> Option<String> {
        Some(match self {
            Admission::Admit { .. } => return None,
            Admission::Captcha(c) => BotText::CaptchaQuestion
                .text(l)
                .replace("{a}", &c.a.to_string())
                .replace("{b}", &c.b.to_string()),
            Admission::Missing(missing) => BotText::MissingMembership
                .text(l)
                .replace("{chats}", &missing.join(", ")),
            Admission::CannotCheck => BotText::CannotCheck.text(l).to_owned(),
            Admission::Refused(r) => r.text(l, shop),
        })
    }
}

/// Which entry rule refused a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    PremiumOnly,
    AccountTooNew { days: u32 },
    RecentWinner { days: u32 },
    NeedBoost { chat: String },
}

impl Refusal {
    /// The reason, as the user is told it (`shop`: the tenant's name).
    pub fn text(&self, l: Locale, shop: &str) -> String {
        match self {
            Refusal::PremiumOnly => BotText::PremiumOnly.text(l).to_owned(),
            Refusal::AccountTooNew { days } => BotText::AccountTooNew
                .text(l)
                .replace("{days}", &days.to_string()),
            Refusal::RecentWinner { days } => BotText::RecentWinner
                .text(l)
                .replace("{days}", &days.to_string())
                .replace("{shop}", shop),
            Refusal::NeedBoost { chat } => BotText::NeedBoost.text(l).replace("{chat}", chat),
        }
    }
}

/// The captcha question `user` gets for giveaway `public_id` (stable: the same each time).
pub fn captcha_for(deps: &Deps, public_id: &str, user: i64) -> rules::Captcha {
    rules::Captcha::from_bytes(deps.cipher.captcha_bytes(public_id, user))
}

/// Decides whether `who` (a Telegram Premium user when `premium`) may join `g` now.
/// `captcha_passed`: the user has just answered the captcha right.
pub async fn admit(
    gate: &Gate<'_>,
    g: &giveaways::Model,
    who: &Entrant,
    premium: bool,
    captcha_passed: bool,
) -> Result<Admission, ServiceError> {
    if g.status != Status::Open {
        return Ok(Admission::Admit { boost_tickets: 0 });
    }
    let user = who.telegram_user_id;
    // Read once: a user already in passes the captcha and the rules (the join then says
    // "already joined"); the conditions are checked again all the same.
    let already = if g.captcha || has_entry_rules(g) {
        entries::entry_of(&gate.deps.db, g.id, user)
            .await?
            .is_some()
    } else {
        false
    };
    if g.captcha && !captcha_passed && !already {
        return Ok(Admission::Captcha(captcha_for(
            gate.deps,
            g.public_id.as_str(),
            user,
        )));
    }
    let conditions = g.conditions();
    if !conditions.is_empty() {
        match missing_memberships(gate.bot, gate.meter, &conditions, user).await {
            Ok(missing) if !missing.is_empty() => return Ok(Admission::Missing(missing)),
            Ok(_) => {}
            Err(_) => return Ok(Admission::CannotCheck),
        }
    }
    if already || !has_entry_rules(g) {
        return Ok(Admission::Admit { boost_tickets: 0 });
    }
    entry_rules(gate, g, user, premium).await
}

fn has_entry_rules(g: &giveaways::Model) -> bool {
    g.premium_only || g.past_winner_days > 0 || g.min_account_days > 0 || g.boost_chat.is_some()
}

/// The entry rules for a user not yet in.
async fn entry_rules(
    gate: &Gate<'_>,
    g: &giveaways::Model,
    user: i64,
    premium: bool,
) -> Result<Admission, ServiceError> {
    let deps = gate.deps;
    let refused = |r| Ok(Admission::Refused(r));
    if g.premium_only && !premium {
        return refused(Refusal::PremiumOnly);
    }
    if g.min_account_days > 0 {
        let days = g.min_account_days as u32;
        if !deps
            .account_ages
            .old_enough(user as u64, days, deps.clock.now().timestamp())
        {
            return refused(Refusal::AccountTooNew { days });
        }
    }
    if g.past_winner_days > 0 {
        let since = deps.clock.now() - chrono::Duration::days(i64::from(g.past_winner_days));
        if entries::won_since(&deps.db, gate.scope, user, since).await? {
            return refused(Refusal::RecentWinner {
                days: g.past_winner_days as u32,
            });
        }
    }
    let mut boost_tickets = 0;
    if let Some(chat) = &g.boost_chat {
        let Ok(boosts) = boosts_of(gate.bot, gate.meter, chat, user).await else {
            return Ok(Admission::CannotCheck);
        };
        if g.boost_required && boosts == 0 {
            return refused(Refusal::NeedBoost { chat: chat.clone() });
        }
        boost_tickets = boosts.min(g.boost_tickets_cap.max(0) as u32);
    }
    Ok(Admission::Admit { boost_tickets })
}
