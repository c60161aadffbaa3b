//! What is published about a giveaway: the public record `/verify/<id>` and
//! `tombola verify` check, the card a bot shows, the announcement in a channel, and the
//! winners with how their notices stand.

use super::bot::{Offer, offer};
use super::draw::winner_notice_key;
use super::entries::{EntryRow, canonical_list, entry_row};
use super::{bot_of_giveaway, find_owned, open_seed, protocol_of};
use crate::ServiceError;
use crate::botapi::classify;
use crate::crypto::{TokenCipher, open_token};
use crate::deps::Deps;
use crate::entities::outbox::Status as OutboxStatus;
use crate::entities::{bots, entries, giveaways, outbox as outbox_rows};
use crate::telegram::membership::recipient;
use crate::telegram::outbox::{self, Progress};
use crate::tenancy::{TenantScope, WriterScope};
use domain::draw::{self, Hash32, Outcome};
use domain::giveaway::{self as rules, Prize, Status};
use domain::{Conflict, Field, PublicId, ValidationError};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

/// Remembers where the bot announced a giveaway (the result is posted there).
async fn set_announcement(
    db: &impl ConnectionTrait,
    scope: &WriterScope,
    public_id: &PublicId,
    chat_id: i64,
    message_id: i64,
) -> Result<(), ServiceError> {
    giveaways::Entity::update_many()
        .col_expr(giveaways::Column::AnnounceChatId, Expr::value(chat_id))
        .col_expr(
            giveaways::Column::AnnounceMessageId,
            Expr::value(message_id),
        )
        .filter(giveaways::Column::PublicId.eq(public_id.as_str()))
        .filter(giveaways::Column::TenantId.eq(scope.tenant_id()))
        .exec(db)
        .await?;
    Ok(())
}

/// A giveaway and the bot that runs it (the announcement is sent through it).
async fn bot_row(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    public_id: &PublicId,
) -> Result<(giveaways::Model, bots::Model), ServiceError> {
    let g = find_owned(db, scope, public_id).await?;
    let bot = bot_of_giveaway(db, &g)
        .await?
        .ok_or(ServiceError::invalid(Field::Bot, ValidationError::Required))?;
    Ok((g, bot))
}

/// Everything public about a giveaway, for `/verify/<id>` and the `verify` CLI. Before
/// the draw only the commitment; after it, the list, the hashes and the seed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PublicRecord {
    pub public_id: PublicId,
    pub title: String,
    pub status: Status,
    pub commitment: String,
    pub prizes: Vec<Prize>,
    /// The frozen list's canonical text, from the close on.
    pub entry_list: Option<String>,
    /// From the draw on.
    pub published: Option<draw::Published>,
    /// E, from the close on (before the draw: what the beacon round cannot have known).
    pub entries_hash: Option<String>,
    /// The beacon round the draw is bound to (v3), from publication on; its signature
    /// once drawn.
    pub beacon: Option<draw::BeaconRound>,
}

/// The public record of any giveaway by its public id (it is public by design: the id is
/// in the bot's messages). Drafts are not public.
pub async fn public_record(
    db: &impl ConnectionTrait,
    cipher: &TokenCipher,
    public_id: &PublicId,
) -> Result<PublicRecord, ServiceError> {
    let g = giveaways::Entity::find()
        .filter(giveaways::Column::PublicId.eq(public_id.as_str()))
        .one(db)
        .await?
        .filter(|g| g.status != Status::Draft)
        .ok_or(ServiceError::NotFound)?;
    let status = g.status;
    let closed = matches!(status, Status::Closed | Status::Drawn);
    let entry_list = if closed {
        Some(canonical_list(db, g.id, protocol_of(&g)?).await?)
    } else {
        None
    };
    let published = match (&g.result, &g.entries_hash) {
        (Some(result), Some(e)) if status == Status::Drawn => {
            let o: Outcome = serde_json::from_str(result)
                .map_err(|e| ServiceError::Internal(format!("giveaway result: {e}")))?;
            Some(draw::Published {
                protocol: protocol_of(&g)?,
                seed: open_seed(cipher, &g)?,
                commitment: Hash32::from_hex(&g.commitment)
                    .map_err(|_| ServiceError::Internal("commitment".into()))?,
                entries_hash: Hash32::from_hex(e)
                    .map_err(|_| ServiceError::Internal("entries hash".into()))?,
                winners_wanted: rules::total_winners(&g.prizes()),
                reserves_wanted: g.reserves.max(0) as u32,
                skipped: o.skipped,
                winners: o.winners,
                reserves: o.reserves,
                rerolls: g.rerolls(),
                beacon: g.beacon().filter(|b| !b.signature.is_empty()),
            })
        }
        _ => None,
    };
    Ok(PublicRecord {
        beacon: g.beacon(),
        entries_hash: g.entries_hash.clone().filter(|_| closed),
        prizes: g.prizes(),
        public_id: g.public_id,
        title: g.title,
        status,
        commitment: g.commitment,
        entry_list,
        published,
    })
}

/// The text a bot shows for a giveaway: title, description, prizes, end (in the tenant's
/// time zone), entries so far and the start of the fairness commitment.
pub fn card_text(l: domain::Locale, o: &Offer, tz: chrono_tz::Tz) -> String {
    use domain::bot_text::BotText;
    let prizes = o
        .prizes
        .iter()
        .map(|p| format!("• {} × {}", p.name, p.winners))
        .collect::<Vec<_>>()
        .join("\n");
    BotText::GiveawayCard
        .text(l)
        .replace("{title}", &o.title)
        .replace("{description}", &o.description)
        .replace("{prizes}", &prizes)
        .replace(
            "{ends}",
            &o.ends_at
                .with_timezone(&tz)
                .format("%Y-%m-%d %H:%M %Z")
                .to_string(),
        )
        .replace("{entries}", &o.entries.to_string())
        .replace("{commitment}", &o.commitment[..16.min(o.commitment.len())])
}

/// Posts a scheduled or open giveaway in a channel or group the bot administers, with a
/// Join button that opens the bot (`t.me/<bot>?start=g_<id>`: one tap joins). The result
/// is posted in the same chat after the draw.
pub async fn announce(
    deps: &Deps,
    scope: &WriterScope,
    public_id: &PublicId,
    chat: &str,
) -> Result<(), ServiceError> {
    use domain::bot_text::BotText;
    use teloxide::payloads::SendMessageSetters;
    use teloxide::prelude::Requester;
    use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup};
    let db = &deps.db;
    let chat = match rules::parse_conditions(chat)
        .map_err(ServiceError::validation(Field::Chat))?
        .as_slice()
    {
        [one] => one.clone(),
        _ => {
            return Err(ServiceError::invalid(
                Field::Chat,
                ValidationError::InvalidChat,
            ));
        }
    };
    let (g, bot) = bot_row(db, scope, public_id).await?;
    if !g.status.is_live() {
        return Err(ServiceError::Conflict(Conflict::GiveawayState));
    }
    let tenant = crate::entities::tenants::Entity::find_by_id(scope.tenant_id())
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let l = tenant.bot_locale();
    let tz = tenant.time_zone.parse().unwrap_or(chrono_tz::Tz::UTC);
    let token = open_token(&deps.cipher, &bot)?;
    let link: reqwest::Url = format!(
        "https://t.me/{}?start={}",
        bot.username,
        rules::deep_link_payload(g.public_id.as_str())
    )
    .parse()
    .map_err(|_| ServiceError::Internal("join link".into()))?;
    let text = card_text(l, &offer(g.clone()), tz);
    let sent = deps
        .api
        .bot(&token)
        .send_message(recipient(&chat), text)
        .reply_markup(InlineKeyboardMarkup::new([[InlineKeyboardButton::url(
            BotText::ButtonJoin.text(l),
            link,
        )]]))
        .await
        .map_err(|e| ServiceError::Telegram(classify("sendMessage", &e)))?;
    set_announcement(db, scope, public_id, sent.chat.id.0, i64::from(sent.id.0)).await?;
    tracing::info!(
        tenant = %scope.tenant_id(),
        giveaway = %g.id,
        "giveaway announced"
    );
    Ok(())
}

/// A winner for the export: the entry, what it won (`None` for a reserve), and how the
/// winner's notice stands ("sent", "pending", "failed: <reason>").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WinnerRow {
    pub entry: EntryRow,
    pub prize: Option<String>,
    pub notice: String,
}

/// How the winners' notices of a giveaway stand; `None` when it has no bot (its rows
/// went with the bot).
pub async fn notice_progress(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    public_id: &PublicId,
) -> Result<Option<Progress>, ServiceError> {
    let g = find_owned(db, scope, public_id).await?;
    if bot_of_giveaway(db, &g).await?.is_none() {
        return Ok(None);
    }
    Ok(Some(outbox::progress(db, g.id).await?))
}

/// The drawn winners (in pick order) and then the reserves.
pub async fn winners(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    public_id: &PublicId,
) -> Result<Vec<WinnerRow>, ServiceError> {
    let g = find_owned(db, scope, public_id).await?;
    let Some(outcome) = g.current_outcome() else {
        return Ok(vec![]);
    };
    let prizes = g.prizes();
    let assigned = rules::assign_prizes(&prizes, &outcome.winners);
    let picks: Vec<(u32, Option<String>)> = assigned
        .into_iter()
        .map(|(n, p)| (n, Some(p.to_owned())))
        .chain(outcome.reserves.iter().map(|n| (*n, None)))
        .collect();
    let mut out = Vec::with_capacity(picks.len());
    for (number, prize) in picks {
        let Some(e) = entries::Entity::find()
            .filter(entries::Column::GiveawayId.eq(g.id))
            .filter(entries::Column::Number.eq(number as i32))
            .one(db)
            .await?
        else {
            continue;
        };
        let notice = if prize.is_some() {
            match outbox_rows::Entity::find()
                .filter(outbox_rows::Column::DedupeKey.eq(winner_notice_key(g.id, number)))
                .one(db)
                .await?
            {
                Some(o) if o.status == OutboxStatus::Failed => {
                    format!("failed: {}", o.last_error.unwrap_or_default())
                }
                Some(o) => o.status.code().to_owned(),
                None => "none".into(),
            }
        } else {
            String::new()
        };
        out.push(WinnerRow {
            entry: entry_row(e),
            prize,
            notice,
        });
    }
    Ok(out)
}
