//! The join queue: the bot's joins, many in one transaction.
//!
//! A giveaway announced in a big channel brings thousands of taps a minute on one bot.
//! One transaction per tap spends most of its time handing statements to the database
//! and waiting for its turn to write; here every join that arrives while a batch
//! commits goes into the next one: per giveaway one locking read of its row, one read
//! of which of the batch's users are in already, one insert of the new entries and one
//! update of the counter, and the receipts of the whole batch in one insert, all in one
//! commit. Numbers are given in the order the joins arrived; the counter row stays
//! locked until commit (PostgreSQL's row lock, SQLite's single writer), so no other join
//! of the giveaway — from this process or another — can interleave. A batch that fails
//! is retried one join at a time through [`super::entries::join_giveaway`], each with
//! its own receipt.
//!
//! A friend who came through an invite link (`super::referrals`) is credited to the
//! inviter in the same transaction as the friend's entry.
//!
//! May import: the foundation, `telegram::outbox`, `super::entries` and
//! `super::referrals`.

use super::entries::{self, Entrant, Joined};
use super::referrals;
use crate::ServiceError;
use crate::deps::Deps;
use crate::entities::{entries as rows, giveaways};
use crate::ids::GiveawayId;
use crate::telegram::outbox::{self, NewMessage};
use crate::tenancy::WriterScope;
use chrono::{DateTime, Utc};
use domain::giveaway::{Status, Via};
use domain::{Locale, PlanLimits};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, TransactionTrait};
use std::collections::{BTreeMap, HashMap};
use tokio::sync::{mpsc, oneshot};

/// Joins in one transaction at most.
const MAX_BATCH: usize = 256;
/// Joins waiting before a caller waits to queue one.
const QUEUE: usize = 4096;

/// Builds the message that tells the user how the join ended (queued with the entry).
pub type Receipt = Box<dyn FnOnce(&Joined) -> NewMessage + Send>;

/// One join to make: the giveaway as read through the bot's scope, who, and how.
pub struct Request {
    pub scope: WriterScope,
    pub giveaway: giveaways::Model,
    pub who: Entrant,
    pub via: Via,
    pub plan: PlanLimits,
    /// The tenant's bot language, for messages to users other than this one.
    pub locale: Locale,
    pub now: DateTime<Utc>,
    pub receipt: Option<Receipt>,
}

struct Queued {
    request: Request,
    done: oneshot::Sender<Result<Joined, ServiceError>>,
}

/// The handle callers queue joins on; cloning shares the queue.
#[derive(Clone)]
pub struct Joiner {
    tx: mpsc::Sender<Queued>,
}

/// A [`Joiner`] that lets the queue end when the runtime's own handles are gone.
#[derive(Clone)]
pub struct WeakJoiner {
    tx: mpsc::WeakSender<Queued>,
}

impl WeakJoiner {
    /// The queue, while it runs.
    pub fn upgrade(&self) -> Option<Joiner> {
        self.tx.upgrade().map(|tx| Joiner { tx })
    }
}

impl std::fmt::Debug for WeakJoiner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WeakJoiner")
    }
}

impl std::fmt::Debug for Joiner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Joiner")
    }
}

impl Joiner {
    /// Starts the queue's task. It ends when every handle is gone, after the batch it
    /// holds (a caller waits for its answer, so none is left unanswered).
    pub fn spawn(deps: Deps) -> (Joiner, tokio::task::JoinHandle<()>) {
        let (tx, mut rx) = mpsc::channel::<Queued>(QUEUE);
        let task = tokio::spawn(async move {
            while let Some(first) = rx.recv().await {
                let mut batch = vec![first];
                while batch.len() < MAX_BATCH {
                    match rx.try_recv() {
                        Ok(q) => batch.push(q),
                        Err(_) => break,
                    }
                }
                run(&deps, batch).await;
            }
        });
        (Joiner { tx }, task)
    }

    /// A handle that does not keep the queue running (for callers outside the runtime's
    /// own loops, like the Mini App's server functions).
    pub fn downgrade(&self) -> WeakJoiner {
        WeakJoiner {
            tx: self.tx.downgrade(),
        }
    }

    /// Joins (in the next batch) and says how it ended; the receipt is queued with it.
    pub async fn join(&self, request: Request) -> Result<Joined, ServiceError> {
        let (done, answer) = oneshot::channel();
        let stopped = || ServiceError::Internal("the join queue has stopped".into());
        self.tx
            .send(Queued { request, done })
            .await
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

async fn run(deps: &Deps, mut batch: Vec<Queued>) {
    match together(deps, &mut batch).await {
        Ok(outcomes) => {
            for (q, outcome) in batch.into_iter().zip(outcomes) {
                let _ = q.done.send(Ok(outcome));
            }
        }
        Err(e) => {
            tracing::warn!(error = %e, joins = batch.len(), "join batch failed; joining one by one");
            for q in batch {
                let _ = q.done.send(alone(deps, q.request).await);
            }
        }
    }
}

/// The whole batch in one transaction; the outcomes in the batch's order.
async fn together(deps: &Deps, batch: &mut [Queued]) -> Result<Vec<Joined>, ServiceError> {
    let mut by_giveaway: BTreeMap<GiveawayId, Vec<usize>> = BTreeMap::new();
    for (i, q) in batch.iter().enumerate() {
        by_giveaway
            .entry(q.request.giveaway.id)
            .or_default()
            .push(i);
    }
    let mut outcomes: Vec<Option<Joined>> = vec![None; batch.len()];
    let mut notices: Vec<NewMessage> = Vec::new();
    let turn = deps.writes.enter().await;
    let txn = deps.db.begin().await?;
    for (gid, idxs) in by_giveaway {
        // A write that changes nothing, as the first statement: it locks the row (and on
        // SQLite takes the write lock) and reads the counter as it is now.
        let locked = giveaways::Entity::update_many()
            .col_expr(
                giveaways::Column::EntriesCount,
                Expr::col(giveaways::Column::EntriesCount),
            )
            .filter(giveaways::Column::Id.eq(gid))
            .exec_with_returning(&txn)
            .await?;
        let Some(g) = locked.into_iter().next() else {
            for i in idxs {
                outcomes[i] = Some(Joined::NotOpen(Status::Cancelled));
            }
            continue;
        };
        let users: Vec<i64> = idxs
            .iter()
            .map(|&i| batch[i].request.who.telegram_user_id)
            .collect();
        let mut known: HashMap<i64, (u32, String)> = rows::Entity::find()
            .filter(rows::Column::GiveawayId.eq(gid))
            .filter(rows::Column::TelegramUserId.is_in(users))
            .all(&txn)
            .await?
            .into_iter()
            .map(|e| (e.telegram_user_id, (e.number.max(0) as u32, e.pseudonym)))
            .collect();
        let mut count = g.entries_count;
        let mut new_rows = Vec::new();
        let mut new_users: Vec<(i64, i32)> = Vec::new();
        let locale = batch[idxs[0]].request.locale;
        for i in idxs {
            let r = &batch[i].request;
            let user = r.who.telegram_user_id;
            outcomes[i] = Some(if let Some((number, pseudonym)) = known.get(&user) {
                Joined::Already {
                    number: *number,
                    pseudonym: pseudonym.clone(),
                }
            } else if g.status != Status::Open || g.ends_at <= r.now {
                Joined::NotOpen(g.status)
            } else if count >= entries::entry_cap(&g, r.plan) {
                Joined::Full
            } else {
                count += 1;
                let pseudonym = deps.cipher.pseudonym(g.public_id.as_str(), user);
                new_rows.push(entries::new_entry(
                    &g, &r.scope, &r.who, count, &pseudonym, r.via, r.now,
                ));
                new_users.push((user, count));
                // A second tap of the same user in this batch finds this entry.
                known.insert(user, (count as u32, pseudonym.clone()));
                Joined::New {
                    number: count as u32,
                    pseudonym,
                }
            });
        }
        // Friends who came through an invite link: the entry says who invited it, and
        // the inviter gets a ticket (after the insert, in the same transaction).
        let inviters = referrals::inviters_of(&txn, &g, &new_users).await?;
        let mut referred = Vec::new();
        for ((row, (_, number)), inviter) in new_rows.iter_mut().zip(&new_users).zip(inviters) {
            if let Some(inviter) = inviter {
                row.referred_by = sea_orm::Set(Some(inviter));
                referred.push((*number, inviter));
            }
        }
        if !new_rows.is_empty() {
            rows::Entity::insert_many(new_rows)
                .exec_without_returning(&txn)
                .await?;
            giveaways::Entity::update_many()
                .col_expr(giveaways::Column::EntriesCount, Expr::value(count))
                .filter(giveaways::Column::Id.eq(gid))
                .exec(&txn)
                .await?;
            notices.extend(referrals::credit(&txn, &g, &referred, locale).await?);
        }
    }
    let outcomes: Vec<Joined> = outcomes
        .into_iter()
        .map(|o| o.unwrap_or(Joined::NotOpen(Status::Cancelled)))
        .collect();
    let receipts: Vec<NewMessage> = batch
        .iter_mut()
        .zip(&outcomes)
        .filter_map(|(q, o)| q.request.receipt.take().map(|f| f(o)))
        .chain(notices)
        .collect();
    if !receipts.is_empty() {
        outbox::enqueue(&txn, receipts).await?;
    }
    txn.commit().await?;
    drop(turn);
    deps.wake.sender.notify_one();
    Ok(outcomes)
}

/// One join in its own transaction, then its receipt (the batch's fallback).
async fn alone(deps: &Deps, r: Request) -> Result<Joined, ServiceError> {
    let joined = entries::join_giveaway(
        &deps.db,
        &deps.writes,
        &r.scope,
        &deps.cipher,
        &r.giveaway,
        &r.who,
        r.via,
        r.plan,
        r.now,
    )
    .await?;
    let mut messages: Vec<NewMessage> = r.receipt.map(|f| f(&joined)).into_iter().collect();
    if let Joined::New { number, .. } = &joined
        && r.giveaway.referral_cap > 0
    {
        // The friend's credit, in a transaction of its own after the entry's.
        let user = r.who.telegram_user_id;
        let turn = deps.writes.enter().await;
        let txn = deps.db.begin().await?;
        let number = *number as i32;
        let inviters = referrals::inviters_of(&txn, &r.giveaway, &[(user, number)]).await?;
        if let Some(Some(inviter)) = inviters.first().copied() {
            rows::Entity::update_many()
                .col_expr(rows::Column::ReferredBy, Expr::value(inviter))
                .filter(rows::Column::GiveawayId.eq(r.giveaway.id))
                .filter(rows::Column::Number.eq(number))
                .exec(&txn)
                .await?;
            messages.extend(
                referrals::credit(&txn, &r.giveaway, &[(number, inviter)], r.locale).await?,
            );
        }
        txn.commit().await?;
        drop(turn);
    }
    if !messages.is_empty() {
        outbox::enqueue_now(deps, messages).await?;
    }
    Ok(joined)
}
