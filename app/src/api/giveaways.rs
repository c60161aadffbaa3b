//! Giveaways: the dashboard's list, form, publish/cancel, entries and announcement; the
//! public record behind `/verify/<id>`.

// `save_giveaway` takes the form's fields one by one (a plain HTML form posts them so,
// without JavaScript); the macro's expansion cannot carry an item-level allow.
#![allow(clippy::too_many_arguments)]

use crate::dto::{BotChoice, EntriesPageDto, GiveawayDto};
use crate::error::AppError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
mod convert {
    use super::*;
    use crate::dto::{EntryDto, NoticeProgressDto};
    use backend::giveaways::{EntryRow, GiveawayView};

    pub fn local(t: chrono::DateTime<chrono::Utc>, tz: chrono_tz::Tz, fmt: &str) -> String {
        t.with_timezone(&tz).format(fmt).to_string()
    }

    pub fn giveaway(
        v: GiveawayView,
        tz: chrono_tz::Tz,
        now: chrono::DateTime<chrono::Utc>,
        notices: Option<backend::telegram::outbox::Progress>,
    ) -> GiveawayDto {
        let outcome = v.outcome.clone().unwrap_or_default();
        let winners = domain::giveaway::assign_prizes(&v.prizes, &outcome.winners)
            .into_iter()
            .map(|(n, p)| (n, p.to_owned()))
            .collect();
        GiveawayDto {
            prizes_text: domain::giveaway::prizes_text(&v.prizes),
            starts_at_local: local(v.starts_at, tz, "%Y-%m-%dT%H:%M"),
            ends_at_local: local(v.ends_at, tz, "%Y-%m-%dT%H:%M"),
            ends_at: v.ends_at.to_rfc3339(),
            time_zone: tz.name().to_owned(),
            editable: v.status.editable(),
            conditions_text: v.conditions.join("\n"),
            secs_left: (v.ends_at - now).num_seconds(),
            winners,
            reserve_winners: outcome.reserves,
            skipped: outcome.skipped,
            beacon: v.beacon.as_ref().and_then(|b| {
                let chain = b.chain().ok()?;
                let at = chrono::DateTime::from_timestamp(chain.time_of(b.round), 0)?;
                Some((b.round, chain.test, local(at, tz, "%Y-%m-%d %H:%M:%S")))
            }),
            rerolls: v.rerolls,
            claims: Vec::new(),
            notices: notices.map(|p| NoticeProgressDto {
                sent: p.sent,
                pending: p.pending,
                failed: p.failed,
                reasons: p.reasons.into_iter().collect(),
            }),
            id: v.public_id.to_string(),
            title: v.title,
            description: v.description,
            prizes: v.prizes,
            reserves: v.reserves,
            status: v.status,
            bot: v.bot.map(|b| b.to_string()),
            bot_username: v.bot_username,
            max_entries: v.max_entries,
            captcha: v.captcha,
            referral_cap: v.referral_cap,
            premium_only: v.premium_only,
            past_winner_days: v.past_winner_days,
            min_account_days: v.min_account_days,
            boost_chat: v.boost_chat,
            boost_required: v.boost_required,
            boost_tickets_cap: v.boost_tickets_cap,
            claim_hours: v.claim_hours,
            entries: v.entries,
            commitment: v.commitment,
            entries_hash: v.entries_hash,
            seed: v.seed,
        }
    }

    pub fn entry(e: EntryRow, tz: chrono_tz::Tz) -> EntryDto {
        EntryDto {
            number: e.number,
            pseudonym: e.pseudonym,
            name: e.first_name,
            username: e.username,
            via: e.via,
            joined_at: local(e.joined_at, tz, "%Y-%m-%d %H:%M"),
            tickets: e.tickets,
            referrals: e.referrals,
        }
    }
}

#[cfg(feature = "ssr")]
async fn tz_of(
    call: &crate::server::Call,
    scope: &backend::tenancy::TenantScope,
) -> Result<chrono_tz::Tz, AppError> {
    let s = backend::accounts::settings(call.db(), scope).await?;
    Ok(s.time_zone.parse().unwrap_or(chrono_tz::Tz::UTC))
}

#[cfg(feature = "ssr")]
async fn dto(
    call: &crate::server::Call,
    scope: &backend::tenancy::TenantScope,
    v: backend::giveaways::GiveawayView,
) -> Result<GiveawayDto, AppError> {
    let tz = tz_of(call, scope).await?;
    let notices = if v.status == domain::giveaway::Status::Drawn {
        backend::giveaways::notice_progress(call.db(), scope, &v.public_id).await?
    } else {
        None
    };
    let claims = backend::giveaways::rerolls::claim_states(call.deps(), scope, &v.public_id)
        .await?
        .into_iter()
        .map(|c| {
            let by = c.deadline.map(|d| convert::local(d, tz, "%Y-%m-%d %H:%M"));
            (c.number, c.claimed, by.unwrap_or_default())
        })
        .collect();
    let mut g = convert::giveaway(v, tz, call.deps().clock.now(), notices);
    g.claims = claims;
    Ok(g)
}

/// The tenant's giveaways, newest first.
#[server(endpoint = "giveaways/list")]
pub async fn list_giveaways() -> Result<Vec<GiveawayDto>, AppError> {
    let call = crate::server::Call::start()?;
    let p = call.principal().await?;
    let tz = tz_of(&call, &p.scope).await?;
    let now = call.deps().clock.now();
    Ok(
        backend::giveaways::list(call.db(), &p.scope, &call.deps().cipher)
            .await?
            .into_iter()
            .map(|v| convert::giveaway(v, tz, now, None))
            .collect(),
    )
}

/// One giveaway with its notice progress.
#[server(endpoint = "giveaways/get")]
pub async fn get_giveaway(id: String) -> Result<GiveawayDto, AppError> {
    let call = crate::server::Call::start()?;
    let p = call.principal().await?;
    let id = crate::server::public_id(&id)?;
    let v = backend::giveaways::get(call.db(), &p.scope, &call.deps().cipher, &id).await?;
    dto(&call, &p.scope, v).await
}

/// The bots a giveaway can run on.
#[server(endpoint = "giveaways/bots")]
pub async fn bot_choices() -> Result<Vec<BotChoice>, AppError> {
    let call = crate::server::Call::start()?;
    let p = call.principal().await?;
    Ok(backend::bots::list(call.deps(), &p.scope)
        .await?
        .into_iter()
        .map(|b| BotChoice {
            id: b.public_id.to_string(),
            username: b.username,
        })
        .collect())
}

/// Creates (empty `id`) or edits a giveaway, within the edit rules of its state.
#[server(endpoint = "giveaways/save")]
pub async fn save_giveaway(
    id: String,
    title: String,
    description: String,
    prizes: String,
    reserves: String,
    starts_at: String,
    ends_at: String,
    bot: String,
    conditions: String,
    max_entries: String,
    /// A checkbox: "on" when ticked, absent otherwise.
    #[server(default)]
    captcha: Option<String>,
    /// Extra tickets by referrals, up to this many (absent or empty: none).
    #[server(default)]
    referral_cap: Option<String>,
    /// Checkboxes and fields of the entry rules; absent: off.
    #[server(default)]
    premium_only: Option<String>,
    #[server(default)] past_winner_days: Option<String>,
    #[server(default)] min_account_days: Option<String>,
    #[server(default)] boost_chat: Option<String>,
    #[server(default)] boost_required: Option<String>,
    #[server(default)] boost_tickets_cap: Option<String>,
    /// Hours to claim a prize (absent or empty: no claiming).
    #[server(default)]
    claim_hours: Option<String>,
) -> Result<GiveawayDto, AppError> {
    let ticked = |c: Option<String>| c.is_some_and(|c| !c.is_empty() && c != "false");
    let call = crate::server::Call::start()?;
    let p = call.principal().await?;
    let scope = p.writer()?;
    let form = backend::giveaways::GiveawayForm {
        title,
        description,
        prizes,
        reserves,
        starts_at,
        ends_at,
        bot,
        conditions,
        max_entries,
        captcha: ticked(captcha),
        referral_cap: referral_cap.unwrap_or_default(),
        premium_only: ticked(premium_only),
        past_winner_days: past_winner_days.unwrap_or_default(),
        min_account_days: min_account_days.unwrap_or_default(),
        boost_chat: boost_chat.unwrap_or_default(),
        boost_required: ticked(boost_required),
        boost_tickets_cap: boost_tickets_cap.unwrap_or_default(),
        claim_hours: claim_hours.unwrap_or_default(),
    };
    let now = call.deps().clock.now();
    let v = if id.is_empty() {
        backend::giveaways::create(call.deps(), &scope, &form, now).await?
    } else {
        let id = crate::server::public_id(&id)?;
        backend::giveaways::update(call.deps(), &scope, &id, &form, now).await?
    };
    call.redirect_plain_form(&format!("/giveaways/{}", v.public_id));
    dto(&call, &p.scope, v).await
}

/// Publishes a draft (scheduled, or open when its start has passed).
#[server(endpoint = "giveaways/publish")]
pub async fn publish_giveaway(id: String) -> Result<GiveawayDto, AppError> {
    let call = crate::server::Call::start()?;
    let p = call.principal().await?;
    let scope = p.writer()?;
    let id = crate::server::public_id(&id)?;
    let deps = call.deps();
    let v =
        backend::giveaways::publish(call.db(), &scope, &deps.cipher, &id, deps.clock.now()).await?;
    deps.wake.scheduler.notify_one();
    call.redirect_plain_form(&format!("/giveaways/{id}"));
    dto(&call, &p.scope, v).await
}

/// Cancels a giveaway that has not closed.
#[server(endpoint = "giveaways/cancel")]
pub async fn cancel_giveaway(id: String) -> Result<GiveawayDto, AppError> {
    let call = crate::server::Call::start()?;
    let p = call.principal().await?;
    let scope = p.writer()?;
    let id = crate::server::public_id(&id)?;
    let deps = call.deps();
    let v =
        backend::giveaways::cancel(call.db(), &scope, &deps.cipher, &id, deps.clock.now()).await?;
    call.redirect_plain_form(&format!("/giveaways/{id}"));
    dto(&call, &p.scope, v).await
}

/// Replaces a drawn giveaway's winner `number` by the next reserve, `reason` published.
#[server(endpoint = "giveaways/reroll")]
pub async fn reroll_winner(
    id: String,
    number: String,
    reason: String,
) -> Result<GiveawayDto, AppError> {
    let call = crate::server::Call::start()?;
    let p = call.principal().await?;
    let scope = p.writer()?;
    let id = crate::server::public_id(&id)?;
    let deps = call.deps();
    backend::giveaways::rerolls::reroll(deps, &scope, &id, &number, &reason).await?;
    let v = backend::giveaways::get(call.db(), &p.scope, &deps.cipher, &id).await?;
    call.redirect_plain_form(&format!("/giveaways/{id}"));
    dto(&call, &p.scope, v).await
}

/// A giveaway's prize codes, opened, for its own tenant only; its prizes, and whether
/// codes may be added.
#[server(endpoint = "giveaways/codes")]
pub async fn prize_codes(id: String) -> Result<crate::dto::PrizeCodesDto, AppError> {
    let call = crate::server::Call::start()?;
    let p = call.principal().await?;
    let tz = tz_of(&call, &p.scope).await?;
    let id = crate::server::public_id(&id)?;
    let g = backend::giveaways::get(call.db(), &p.scope, &call.deps().cipher, &id).await?;
    let rows = backend::giveaways::codes::list(call.deps(), &p.scope, &id).await?;
    let codes = rows
        .into_iter()
        .map(|c| crate::dto::PrizeCodeDto {
            prize: c.prize_name,
            code: c.code,
            number: c.number,
            given_at: c.given_at.map(|t| convert::local(t, tz, "%Y-%m-%d %H:%M")),
            claimed: c.claimed,
        })
        .collect();
    Ok(crate::dto::PrizeCodesDto {
        prizes: g.prizes.into_iter().map(|p| p.name).collect(),
        open: g.status != domain::giveaway::Status::Cancelled,
        codes,
    })
}

/// Adds codes (one per line, or a CSV's first column) for prize `prize` (its place in
/// the list, from 0). Returns how many were added and how many the giveaway had already.
#[server(endpoint = "giveaways/codes/add")]
pub async fn add_prize_codes(
    id: String,
    prize: String,
    codes: String,
) -> Result<(u32, u32), AppError> {
    let call = crate::server::Call::start()?;
    let scope = call.principal().await?.writer()?;
    let id = crate::server::public_id(&id)?;
    let added = backend::giveaways::codes::add(call.deps(), &scope, &id, &prize, &codes).await?;
    call.redirect_plain_form(&format!("/giveaways/{id}"));
    Ok((added.added, added.duplicates))
}

/// Removes the codes not given to anyone yet.
#[server(endpoint = "giveaways/codes/remove")]
pub async fn remove_unused_codes(id: String) -> Result<u64, AppError> {
    let call = crate::server::Call::start()?;
    let scope = call.principal().await?.writer()?;
    let id = crate::server::public_id(&id)?;
    let n = backend::giveaways::codes::remove_unused(call.deps(), &scope, &id).await?;
    call.redirect_plain_form(&format!("/giveaways/{id}"));
    Ok(n)
}

/// A page of entries; `q` searches name, @username, pseudonym and #number.
#[server(endpoint = "giveaways/entries")]
pub async fn giveaway_entries(
    id: String,
    q: String,
    page: u64,
) -> Result<EntriesPageDto, AppError> {
    const PER_PAGE: u64 = 25;
    let call = crate::server::Call::start()?;
    let p = call.principal().await?;
    let tz = tz_of(&call, &p.scope).await?;
    let id = crate::server::public_id(&id)?;
    let (rows, total) =
        backend::giveaways::entries_page(call.db(), &p.scope, &id, &q, page, PER_PAGE).await?;
    Ok(EntriesPageDto {
        rows: rows.into_iter().map(|e| convert::entry(e, tz)).collect(),
        total,
        page,
        per_page: PER_PAGE,
    })
}

/// Posts the giveaway, with a Join link to the bot, in a channel or group the bot
/// administers; the result is posted there after the draw.
#[server(endpoint = "giveaways/announce")]
pub async fn announce_giveaway(id: String, chat: String) -> Result<(), AppError> {
    let call = crate::server::Call::start()?;
    let scope = call.principal().await?.writer()?;
    let id = crate::server::public_id(&id)?;
    backend::giveaways::announce(call.deps(), &scope, &id, &chat).await?;
    call.redirect_plain_form(&format!("/giveaways/{id}"));
    Ok(())
}

/// The public record of a giveaway (no login): what `/verify/<id>` checks.
#[server(endpoint = "verify/record")]
pub async fn verify_record(id: String) -> Result<crate::dto::PublicRecordDto, AppError> {
    let call = crate::server::Call::start()?;
    let id = crate::server::public_id(&id)?;
    let r = backend::giveaways::public_record(call.db(), &call.deps().cipher, &id).await?;
    Ok(crate::dto::PublicRecordDto {
        id: r.public_id.to_string(),
        title: r.title,
        status: r.status,
        commitment: r.commitment,
        prizes: r.prizes,
        entry_list: r.entry_list,
        published: r.published,
        entries_hash: r.entries_hash,
        beacon: r.beacon.map(|b| (b.round, b.is_test())),
    })
}
