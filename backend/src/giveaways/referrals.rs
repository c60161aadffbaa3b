//! Invite a friend: every entrant of a giveaway with a referral cap gets a personal link
//! (`t.me/<bot>?start=r_<giveaway>_<entry number>`). A user with no entry yet who opens
//! it is remembered with the inviter ([`remember_link`]; the first link opened counts,
//! so a captcha or a channel to join first loses nothing); when that user's entry is
//! made, the join queue gives the inviter one more ticket, up to the cap, and tells
//! them ([`credit`]). Self-invites and a user invited twice count once by construction:
//! only a new entry credits, and a user has one entry per giveaway. The tickets are
//! published in the entry list and weigh the draw (protocol v2).
//!
//! May import: the foundation, `telegram::outbox`.

use crate::ServiceError;
use crate::deps::Deps;
use crate::entities::outbox::Kind;
use crate::entities::{entries, giveaways, referral_links};
use crate::telegram::outbox::{Message, NewMessage};
use domain::Locale;
use domain::bot_text::{BotText, locale_for};
use domain::giveaway::{Status, tickets_for};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use std::collections::{BTreeMap, HashMap};

/// Remembers that `user` opened entry `inviter`'s link of giveaway `g`, when it can
/// count: referrals on, the giveaway open, the inviter's entry there and not the user's
/// own, the user not in yet, no earlier link remembered.
pub(super) async fn remember_link(
    deps: &Deps,
    g: &giveaways::Model,
    user: i64,
    inviter: u32,
) -> Result<(), ServiceError> {
    if g.referral_cap <= 0 || g.status != Status::Open {
        return Ok(());
    }
    let inviter_entry = entries::Entity::find()
        .filter(entries::Column::GiveawayId.eq(g.id))
        .filter(entries::Column::Number.eq(inviter as i32))
        .one(&deps.db)
        .await?;
    let Some(inviter_entry) = inviter_entry else {
        return Ok(());
    };
    if inviter_entry.telegram_user_id == user
        || super::entries::entry_of(&deps.db, g.id, user)
            .await?
            .is_some()
    {
        return Ok(());
    }
    let _turn = deps.writes.enter().await;
    referral_links::Entity::insert(referral_links::ActiveModel {
        giveaway_id: Set(g.id),
        telegram_user_id: Set(user),
        inviter_number: Set(inviter as i32),
        opened_at: Set(deps.clock.now()),
    })
    .on_conflict(
        OnConflict::columns([
            referral_links::Column::GiveawayId,
            referral_links::Column::TelegramUserId,
        ])
        .do_nothing()
        .to_owned(),
    )
    .exec_without_returning(&deps.db)
    .await?;
    Ok(())
}

/// For each new entry `(user, number)` of giveaway `g`, the number of the entry whose
/// invite link brought it, if any (none while referrals are off).
pub(super) async fn inviters_of(
    db: &impl ConnectionTrait,
    g: &giveaways::Model,
    new: &[(i64, i32)],
) -> Result<Vec<Option<i32>>, ServiceError> {
    if g.referral_cap <= 0 || new.is_empty() {
        return Ok(vec![None; new.len()]);
    }
    let links: HashMap<i64, i32> = referral_links::Entity::find()
        .filter(referral_links::Column::GiveawayId.eq(g.id))
        .filter(referral_links::Column::TelegramUserId.is_in(new.iter().map(|(u, _)| *u)))
        .all(db)
        .await?
        .into_iter()
        .map(|l| (l.telegram_user_id, l.inviter_number))
        .collect();
    // An inviter's entry is older than its friend's.
    Ok(new
        .iter()
        .map(|(user, number)| links.get(user).copied().filter(|i| i < number))
        .collect())
}

/// Gives each inviter one ticket per friend, up to the giveaway's cap (`referred`: the
/// friends' new entry numbers with their inviters'), and returns the messages that tell
/// them (to be queued in the same transaction).
pub(super) async fn credit(
    db: &impl ConnectionTrait,
    g: &giveaways::Model,
    referred: &[(i32, i32)],
    default_locale: Locale,
) -> Result<Vec<NewMessage>, ServiceError> {
    let mut friends: BTreeMap<i32, Vec<i32>> = BTreeMap::new();
    for (friend, inviter) in referred {
        friends.entry(*inviter).or_default().push(*friend);
    }
    if friends.is_empty() {
        return Ok(Vec::new());
    }
    let cap = g.referral_cap.max(0) as u32;
    let inviters = entries::Entity::find()
        .filter(entries::Column::GiveawayId.eq(g.id))
        .filter(entries::Column::Number.is_in(friends.keys().copied()))
        .all(db)
        .await?;
    let mut notices = Vec::new();
    for inviter in inviters {
        let Some(new) = friends.get(&inviter.number) else {
            continue;
        };
        let before = inviter.referrals.max(0) as u32;
        let referrals = before + new.len() as u32;
        let boosts = inviter.boost_tickets.max(0) as u32;
        let tickets = tickets_for(referrals, cap) + boosts;
        let gained = referrals.min(cap) > before.min(cap);
        let (id, user, language) = (
            inviter.id,
            inviter.telegram_user_id,
            inviter.language_code.clone(),
        );
        let mut row: entries::ActiveModel = inviter.into();
        row.referrals = Set(referrals as i32);
        row.tickets = Set(tickets as i32);
        row.update(db).await?;
        let Some(bot_id) = g.bot_id else { continue };
        let l = locale_for(language.as_deref(), default_locale);
        let text = if gained {
            BotText::ReferralCredited
        } else {
            BotText::ReferralCapReached
        };
        notices.push(NewMessage {
            tenant_id: g.tenant_id,
            bot_id,
            giveaway_id: Some(g.id),
            kind: Kind::Referral,
            chat_id: user,
            message: Message {
                text: text
                    .text(l)
                    .replace("{title}", &g.title)
                    .replace("{tickets}", &tickets.to_string()),
                links: vec![],
                callbacks: vec![],
                code: None,
            },
            // One per inviter and friend batch: the newest friend's number is unique.
            dedupe_key: format!(
                "ref:{}:{}:{}",
                g.id,
                id,
                new.iter().max().copied().unwrap_or_default()
            ),
        });
    }
    Ok(notices)
}
