//! Writing updates into the inbox table: one statement for a batch of any size, on a
//! connection held for a run of batches ([`Held`]).
//!
//! May import: what its parent module may.

use super::IncomingUpdate;
use crate::ServiceError;
use crate::ids::BotId;
use chrono::Utc;
use sea_orm::sqlx::pool::PoolConnection;
use sea_orm::sqlx::{self, Postgres, Row, Sqlite};
use sea_orm::{ConnAcquireErr, DatabaseConnection, DbBackend, DbErr, RuntimeErr};
use std::collections::HashSet;
use std::sync::Arc;

/// Most rows in one statement (SQLite allows 32,766 bound values; a row has 6).
pub const MAX_BATCH: usize = 1024;

/// Stores updates of one bot (a batch of getUpdates), each once, in one statement.
/// Returns, per update, whether it was new (`false`: a replay).
pub async fn store_many(
    db: &DatabaseConnection,
    bot_id: BotId,
    updates: Vec<IncomingUpdate>,
) -> Result<Vec<bool>, ServiceError> {
    let mut conn = Held::acquire(db).await?;
    conn.insert(updates.into_iter().map(|u| (bot_id, u)).collect())
        .await
}

/// A connection kept for a run of inserts. sqlx tests a pooled connection each time it
/// goes back to its pool (a ping: a second round trip to SQLite's thread or to
/// PostgreSQL after every statement), so the inbox writer keeps one for its life and
/// gives it back only after an error.
pub(crate) enum Held {
    Sqlite(PoolConnection<Sqlite>),
    Postgres(PoolConnection<Postgres>),
}

fn sqlx_error(e: sqlx::Error) -> ServiceError {
    ServiceError::Database(DbErr::Query(RuntimeErr::SqlxError(Arc::new(e))))
}

/// A failed acquire, labelled the way sea-orm labels its own (no connection, not a query).
fn acquire_error(e: sqlx::Error) -> ServiceError {
    ServiceError::Database(match e {
        sqlx::Error::PoolTimedOut => DbErr::ConnectionAcquire(ConnAcquireErr::Timeout),
        sqlx::Error::PoolClosed => DbErr::ConnectionAcquire(ConnAcquireErr::ConnectionClosed),
        e => DbErr::Conn(RuntimeErr::SqlxError(Arc::new(e))),
    })
}

impl Held {
    /// One connection of `db`'s pool, held until dropped.
    pub(crate) async fn acquire(db: &DatabaseConnection) -> Result<Held, ServiceError> {
        match db.get_database_backend() {
            DbBackend::Sqlite => Ok(Held::Sqlite(
                db.get_sqlite_connection_pool()
                    .acquire()
                    .await
                    .map_err(acquire_error)?,
            )),
            DbBackend::Postgres => Ok(Held::Postgres(
                db.get_postgres_connection_pool()
                    .acquire()
                    .await
                    .map_err(acquire_error)?,
            )),
            other => Err(ServiceError::Internal(format!(
                "the inbox cannot be stored in {other:?}"
            ))),
        }
    }

    /// One `INSERT … ON CONFLICT DO NOTHING RETURNING bot_id, update_id` for every row:
    /// which rows were new, in the order given.
    ///
    /// SQLite: the statement's row count is rounded up to one of a few [`statement_rows`]
    /// sizes by repeating the last row (a repeat is a conflict, skipped): the driver keeps
    /// each distinct statement prepared, so the database parses the insert of a batch
    /// once per size instead of once per batch. PostgreSQL: one array per column, in one
    /// constant statement, so it is parsed and planned once per connection whatever the
    /// batch's size (a `VALUES` list of hundreds of rows is planned again on each
    /// execution).
    pub(crate) async fn insert(
        &mut self,
        mut rows: Vec<(BotId, IncomingUpdate)>,
    ) -> Result<Vec<bool>, ServiceError> {
        let Some(last) = rows.last().cloned() else {
            return Ok(Vec::new());
        };
        let keys: Vec<(BotId, i64)> = rows.iter().map(|(b, u)| (*b, u.update_id)).collect();
        let now = Utc::now();
        let stored: Vec<(i32, i64)> = match self {
            Held::Sqlite(conn) => {
                rows.resize(statement_rows(rows.len()), last);
                let mut sql = String::with_capacity(160 + rows.len() * 24);
                sql.push_str(
                    "INSERT INTO inbox (bot_id, update_id, chat_id, kind, payload, received_at, attempts) VALUES ",
                );
                for i in 0..rows.len() {
                    sql.push_str(if i == 0 {
                        "(?, ?, ?, ?, ?, ?, 0)"
                    } else {
                        ", (?, ?, ?, ?, ?, ?, 0)"
                    });
                }
                sql.push_str(
                    " ON CONFLICT (bot_id, update_id) DO NOTHING RETURNING bot_id, update_id",
                );
                let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
                for (bot, u) in rows {
                    query = query
                        .bind(bot.0)
                        .bind(u.update_id)
                        .bind(u.chat_id)
                        .bind(u.kind)
                        .bind(u.payload)
                        .bind(now);
                }
                query
                    .try_map(|r: sqlx::sqlite::SqliteRow| Ok((r.try_get(0)?, r.try_get(1)?)))
                    .fetch_all(&mut **conn)
                    .await
                    .map_err(sqlx_error)?
            }
            Held::Postgres(conn) => {
                // The driver binds arrays without NULL elements: an update without a chat
                // is sent as `NO_CHAT` (no chat has that id) and stored as NULL.
                const NO_CHAT: i64 = i64::MIN;
                const SQL: &str = "INSERT INTO inbox (bot_id, update_id, chat_id, kind, payload, received_at, attempts) \
                    SELECT b, u, NULLIF(c, -9223372036854775808), k, p, $6, 0 \
                    FROM UNNEST($1::int4[], $2::int8[], $3::int8[], $4::text[], $5::text[]) AS t(b, u, c, k, p) \
                    ON CONFLICT (bot_id, update_id) DO NOTHING RETURNING bot_id, update_id";
                let n = rows.len();
                let (mut bots, mut updates, mut chats, mut kinds, mut payloads) = (
                    Vec::with_capacity(n),
                    Vec::with_capacity(n),
                    Vec::with_capacity(n),
                    Vec::with_capacity(n),
                    Vec::with_capacity(n),
                );
                for (bot, u) in rows {
                    bots.push(bot.0);
                    updates.push(u.update_id);
                    chats.push(u.chat_id.unwrap_or(NO_CHAT));
                    kinds.push(u.kind);
                    payloads.push(u.payload);
                }
                sqlx::query(SQL)
                    .bind(bots)
                    .bind(updates)
                    .bind(chats)
                    .bind(kinds)
                    .bind(payloads)
                    .bind(now)
                    .try_map(|r: sqlx::postgres::PgRow| Ok((r.try_get(0)?, r.try_get(1)?)))
                    .fetch_all(&mut **conn)
                    .await
                    .map_err(sqlx_error)?
            }
        };
        let mut new: HashSet<(BotId, i64)> = stored
            .into_iter()
            .map(|(bot, update)| (BotId(bot), update))
            .collect();
        Ok(keys.iter().map(|k| new.remove(k)).collect())
    }
}

/// The row count of the insert statement for `n` rows: `n` up to 8, beyond that the next
/// of a series growing by a quarter (10, 12, 15, … 891, [`MAX_BATCH`]) — 31 sizes, each at
/// most a quarter larger than needed. Above [`MAX_BATCH`], `n` itself.
fn statement_rows(n: usize) -> usize {
    if n <= 8 || n > MAX_BATCH {
        return n;
    }
    let mut size = 8;
    while size < n {
        size = (size + size / 4).min(MAX_BATCH);
    }
    size
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statement_sizes_are_few_and_close_to_the_batch() {
        let sizes: HashSet<usize> = (1..=MAX_BATCH).map(statement_rows).collect();
        assert_eq!(sizes.len(), 31, "{sizes:?}");
        for n in 1..=MAX_BATCH {
            let size = statement_rows(n);
            assert!(size >= n && size <= MAX_BATCH, "{n} → {size}");
            assert!(size <= 8 || size * 4 <= n * 5 + 4, "{n} → {size}");
        }
        assert_eq!(statement_rows(9), 10);
        assert_eq!(statement_rows(MAX_BATCH + 5), MAX_BATCH + 5);
    }
}
