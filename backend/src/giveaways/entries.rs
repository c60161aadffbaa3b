//! Entries: joining a giveaway (race-safe numbers within the plan's and the giveaway's
//! cap), a user's own entries, the dashboard's entries table, the canonical list the
//! draw hashes.

use super::find_owned;
use crate::ServiceError;
use crate::crypto::TokenCipher;
use crate::db::WriteGate;
use crate::entities::{entries, giveaways};
use crate::error::on_unique;
use crate::ids::GiveawayId;
use crate::tenancy::{TenantScope, WriterScope};
use chrono::{DateTime, Utc};
use domain::draw;
use domain::giveaway::{self as rules, Status, Via};
use domain::{Conflict, PlanLimits, PublicId};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};

/// An entry as the dashboard's table shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryRow {
    pub number: u32,
    pub pseudonym: String,
    pub first_name: String,
    pub username: Option<String>,
    pub telegram_user_id: i64,
    pub via: Via,
    pub joined_at: DateTime<Utc>,
    /// Its chances in the draw (protocol v2): 1 plus what referrals earned.
    pub tickets: u32,
    /// Friends who joined through its invite link.
    pub referrals: u32,
}

pub(super) fn entry_row(e: entries::Model) -> EntryRow {
    EntryRow {
        number: e.number.max(0) as u32,
        pseudonym: e.pseudonym,
        first_name: e.first_name,
        username: e.username,
        telegram_user_id: e.telegram_user_id,
        via: e.via,
        joined_at: e.joined_at,
        tickets: e.tickets.max(1) as u32,
        referrals: e.referrals.max(0) as u32,
    }
}

/// A page of entries (by number), optionally filtered by a search over name, username,
/// pseudonym and number. Returns the page and the number of matches.
pub async fn entries_page(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    public_id: &PublicId,
    search: &str,
    page: u64,
    per_page: u64,
) -> Result<(Vec<EntryRow>, u64), ServiceError> {
    let g = find_owned(db, scope, public_id).await?;
    let mut q = entries::Entity::find().filter(entries::Column::GiveawayId.eq(g.id));
    let search = search.trim();
    if !search.is_empty() {
        let s = search.chars().take(64).collect::<String>();
        let mut any = Condition::any()
            .add(entries::Column::FirstName.contains(&s))
            .add(entries::Column::Username.contains(s.trim_start_matches('@')))
            .add(entries::Column::Pseudonym.contains(&s));
        if let Ok(n) = s.trim_start_matches('#').parse::<i32>() {
            any = any.add(entries::Column::Number.eq(n));
        }
        q = q.filter(any);
    }
    let total = q.clone().count(db).await?;
    let per_page = per_page.clamp(1, 200);
    // Any page number is accepted; past the end is simply empty.
    let offset = page.min(u64::from(u32::MAX)).saturating_mul(per_page);
    let rows = q
        .order_by_asc(entries::Column::Number)
        .offset(offset)
        .limit(per_page)
        .all(db)
        .await?;
    Ok((rows.into_iter().map(entry_row).collect(), total))
}

/// Every entry, by number (for the CSV export).
pub async fn all_entries(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    public_id: &PublicId,
) -> Result<Vec<EntryRow>, ServiceError> {
    let g = find_owned(db, scope, public_id).await?;
    Ok(entries::Entity::find()
        .filter(entries::Column::GiveawayId.eq(g.id))
        .order_by_asc(entries::Column::Number)
        .all(db)
        .await?
        .into_iter()
        .map(entry_row)
        .collect())
}

/// Who joins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entrant {
    pub telegram_user_id: i64,
    pub first_name: String,
    pub username: Option<String>,
    pub language_code: Option<String>,
    /// Extra tickets the user's boosts give (within the giveaway's cap), found at the join.
    pub boost_tickets: u32,
}

/// What a join came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Joined {
    New { number: u32, pseudonym: String },
    Already { number: u32, pseudonym: String },
    NotOpen(Status),
    Full,
}

/// Joins a giveaway of the bot the scope acts for (conditions already checked by the
/// caller), reading the giveaway and the tenant's plan first; see [`join_giveaway`].
#[allow(clippy::too_many_arguments)]
pub async fn join(
    db: &DatabaseConnection,
    writes: &WriteGate,
    scope: &WriterScope,
    cipher: &TokenCipher,
    public_id: &PublicId,
    who: &Entrant,
    via: Via,
    now: DateTime<Utc>,
) -> Result<Joined, ServiceError> {
    let g = super::bot::giveaway_on_bot(db, scope, public_id).await?;
    let plan = crate::accounts::plans::limits(db, scope).await?;
    join_giveaway(db, writes, scope, cipher, &g, who, via, plan, now).await
}

/// Joins a giveaway already read through the bot's scope (conditions checked by the
/// caller; `plan`: the limits of the tenant's plan as read with its bot). Race-safe: the giveaway's counter gives the number inside the transaction
/// that stores the entry, and the unique (giveaway, user) key makes a concurrent second
/// join of the same user roll back with its number. The transaction waits for this
/// process's turn to write (`writes`), not for SQLite's busy handler.
#[allow(clippy::too_many_arguments)]
pub(super) async fn join_giveaway(
    db: &DatabaseConnection,
    writes: &WriteGate,
    scope: &WriterScope,
    cipher: &TokenCipher,
    g: &giveaways::Model,
    who: &Entrant,
    via: Via,
    plan: PlanLimits,
    now: DateTime<Utc>,
) -> Result<Joined, ServiceError> {
    if let Some(e) = entry_of(db, g.id, who.telegram_user_id).await? {
        return Ok(Joined::Already {
            number: e.number as u32,
            pseudonym: e.pseudonym,
        });
    }
    let status = g.status;
    if status != Status::Open || g.ends_at <= now {
        return Ok(Joined::NotOpen(status));
    }
    let cap = entry_cap(g, plan);
    let turn = writes.enter().await;
    let txn = db.begin().await?;
    // Takes the next number (and reads it back in the same statement); holds the
    // giveaway's row until commit.
    let taken = giveaways::Entity::update_many()
        .col_expr(
            giveaways::Column::EntriesCount,
            sea_orm::sea_query::ExprTrait::add(Expr::col(giveaways::Column::EntriesCount), 1),
        )
        .filter(giveaways::Column::Id.eq(g.id))
        .filter(giveaways::Column::Status.eq(Status::Open))
        .filter(giveaways::Column::EntriesCount.lt(cap))
        .exec_with_returning(&txn)
        .await?;
    let Some(number) = taken.first().map(|g| g.entries_count) else {
        drop(txn);
        drop(turn);
        let g = giveaways::Entity::find_by_id(g.id).one(db).await?;
        return Ok(match g.map(|g| g.status) {
            Some(Status::Open) => Joined::Full,
            Some(s) => Joined::NotOpen(s),
            None => Joined::NotOpen(Status::Cancelled),
        });
    };
    let pseudonym = cipher.pseudonym(g.public_id.as_str(), who.telegram_user_id);
    let insert = entries::Entity::insert(new_entry(g, scope, who, number, &pseudonym, via, now))
        .exec_without_returning(&txn)
        .await
        .map_err(on_unique(Conflict::Entry));
    match insert {
        Ok(_) => {
            txn.commit().await?;
            drop(turn);
            Ok(Joined::New {
                number: number as u32,
                pseudonym,
            })
        }
        Err(ServiceError::Conflict(_)) => {
            // A concurrent join of the same user won; ours (and its number) rolls back.
            drop(txn);
            drop(turn);
            let e = entry_of(db, g.id, who.telegram_user_id)
                .await?
                .ok_or(ServiceError::Conflict(Conflict::Entry))?;
            Ok(Joined::Already {
                number: e.number as u32,
                pseudonym: e.pseudonym,
            })
        }
        Err(e) => Err(e),
    }
}

/// The most entries the giveaway may have: its own cap within the plan's.
pub(super) fn entry_cap(g: &giveaways::Model, plan: PlanLimits) -> i32 {
    let plan_cap = plan.entries_per_giveaway.min(i32::MAX as u32) as i32;
    g.max_entries.map_or(plan_cap, |m| m.min(plan_cap))
}

/// The row of a new entry with its number.
pub(super) fn new_entry(
    g: &giveaways::Model,
    scope: &WriterScope,
    who: &Entrant,
    number: i32,
    pseudonym: &str,
    via: Via,
    now: DateTime<Utc>,
) -> entries::ActiveModel {
    entries::ActiveModel {
        giveaway_id: Set(g.id),
        tenant_id: Set(scope.tenant_id()),
        telegram_user_id: Set(who.telegram_user_id),
        number: Set(number),
        pseudonym: Set(pseudonym.to_owned()),
        first_name: Set(who.first_name.chars().take(256).collect()),
        username: Set(who.username.clone()),
        language_code: Set(who.language_code.clone()),
        via: Set(via),
        joined_at: Set(now),
        // Every row of a batch insert names the same columns; the join queue sets it
        // for a friend who came through an invite link.
        referred_by: Set(None),
        boost_tickets: Set(who.boost_tickets as i32),
        tickets: Set(1 + who.boost_tickets as i32),
        ..Default::default()
    }
}

/// Whether `user` won (a prize, not a reserve place) any of the tenant's giveaways drawn
/// since `since`.
pub(crate) async fn won_since(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    user: i64,
    since: DateTime<Utc>,
) -> Result<bool, ServiceError> {
    let mine: Vec<(GiveawayId, i32)> = entries::Entity::find()
        .select_only()
        .column(entries::Column::GiveawayId)
        .column(entries::Column::Number)
        .filter(entries::Column::TenantId.eq(scope.tenant_id()))
        .filter(entries::Column::TelegramUserId.eq(user))
        .into_tuple()
        .all(db)
        .await?;
    if mine.is_empty() {
        return Ok(false);
    }
    let drawn = giveaways::Entity::find()
        .filter(giveaways::Column::TenantId.eq(scope.tenant_id()))
        .filter(giveaways::Column::Id.is_in(mine.iter().map(|(g, _)| *g)))
        .filter(giveaways::Column::Status.eq(Status::Drawn))
        .filter(giveaways::Column::DrawnAt.gte(since))
        .all(db)
        .await?;
    Ok(drawn.iter().any(|g| {
        let winners = g.outcome().map(|o| o.winners).unwrap_or_default();
        mine.iter()
            .any(|(id, number)| *id == g.id && winners.contains(&(*number as u32)))
    }))
}

/// A user's entry in a giveaway, if any.
pub(crate) async fn entry_of(
    db: &impl ConnectionTrait,
    giveaway_id: GiveawayId,
    telegram_user_id: i64,
) -> Result<Option<entries::Model>, ServiceError> {
    Ok(entries::Entity::find()
        .filter(entries::Column::GiveawayId.eq(giveaway_id))
        .filter(entries::Column::TelegramUserId.eq(telegram_user_id))
        .one(db)
        .await?)
}

/// Whether the user has an entry in this tenant's giveaway.
pub async fn has_joined(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    public_id: &PublicId,
    telegram_user_id: i64,
) -> Result<bool, ServiceError> {
    let g = find_owned(db, scope, public_id).await?;
    Ok(entry_of(db, g.id, telegram_user_id).await?.is_some())
}

/// A giveaway the user joined, for "my giveaways".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MyEntry {
    pub public_id: PublicId,
    pub title: String,
    pub status: Status,
    pub number: u32,
    pub ends_at: DateTime<Utc>,
    /// Drawn: whether this entry won (and what).
    pub prize: Option<String>,
}

/// The giveaways of this tenant the user joined, newest first.
pub async fn mine(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    telegram_user_id: i64,
) -> Result<Vec<MyEntry>, ServiceError> {
    let rows = entries::Entity::find()
        .filter(entries::Column::TenantId.eq(scope.tenant_id()))
        .filter(entries::Column::TelegramUserId.eq(telegram_user_id))
        .order_by_desc(entries::Column::Id)
        .limit(20)
        .find_also_related(giveaways::Entity)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(e, g)| g.map(|g| (e, g)))
        .filter(|(_, g)| g.tenant_id == scope.tenant_id())
        .map(|(e, g)| {
            let prizes = g.prizes();
            let prize = g.current_outcome().and_then(|o| {
                rules::assign_prizes(&prizes, &o.winners)
                    .into_iter()
                    .find(|(n, _)| *n == e.number as u32)
                    .map(|(_, p)| p.to_owned())
            });
            MyEntry {
                status: g.status,
                public_id: g.public_id,
                title: g.title,
                number: e.number as u32,
                ends_at: g.ends_at,
                prize,
            }
        })
        .collect())
}

/// A giveaway's entries as the draw and its list see them, by number.
pub(crate) async fn list_entries(
    db: &impl ConnectionTrait,
    giveaway_id: GiveawayId,
) -> Result<Vec<draw::Entry>, ServiceError> {
    let rows: Vec<(i32, String, i32)> = entries::Entity::find()
        .select_only()
        .column(entries::Column::Number)
        .column(entries::Column::Pseudonym)
        .column(entries::Column::Tickets)
        .filter(entries::Column::GiveawayId.eq(giveaway_id))
        .order_by_asc(entries::Column::Number)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(number, pseudonym, tickets)| draw::Entry {
            number: number as u32,
            pseudonym,
            tickets: tickets.max(1) as u32,
        })
        .collect())
}

/// The canonical list text of a giveaway's entries under its draw protocol.
pub(crate) async fn canonical_list(
    db: &impl ConnectionTrait,
    giveaway_id: GiveawayId,
    protocol: draw::Protocol,
) -> Result<String, ServiceError> {
    Ok(draw::canonical_list(
        &list_entries(db, giveaway_id).await?,
        protocol,
    ))
}
