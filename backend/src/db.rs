//! Connecting to the database and bringing its schema up to date.
//!
//! SQLite runs in WAL mode (readers beside the one writer). How long a commit waits for
//! the disk is chosen per connection ([`Durability`]): the pool's commits survive a crash
//! of the process; the inbox writer's — the ones Telegram's 200 depends on — do too by
//! default, or survive the machine losing power as well with `sqlite-synchronous =
//! "full"` (measured: about half the webhook throughput, every commit waiting for the
//! disk). PostgreSQL's commits are durable by its own `synchronous_commit` (on by
//! default; keep it on).
//!
//! SQLite has one writer at a time; a second writer that finds the lock taken is put to
//! sleep by SQLite's busy handler in steps of 1, 2, 5, 10 … 100 ms, far longer than a
//! write holds the lock. [`WriteGate`] queues this process's hot writers (inbox
//! workers, joins, the outbox) in memory instead, so each takes the lock the moment the
//! previous one lets go; on PostgreSQL it lets everyone through (row locks do the job).
//!
//! Foundation: imports nothing of this crate.

use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbErr};
use std::time::Duration;

/// Queues writes to a SQLite database inside this process (see the module's doc); a
/// no-op for PostgreSQL. Hold the guard around one short write or write transaction,
/// never across a call to Telegram, and never take it twice in one task (it is not
/// re-entrant).
#[derive(Debug, Default)]
pub struct WriteGate(Option<tokio::sync::Mutex<()>>);

impl WriteGate {
    /// A gate for `db`: a queue on SQLite, open on PostgreSQL.
    pub fn for_db(db: &DatabaseConnection) -> WriteGate {
        WriteGate(
            (db.get_database_backend() == sea_orm::DatabaseBackend::Sqlite)
                .then(|| tokio::sync::Mutex::new(())),
        )
    }

    /// Waits for this process's turn to write (at once on PostgreSQL).
    pub async fn enter(&self) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        match &self.0 {
            Some(m) => Some(m.lock().await),
            None => None,
        }
    }
}

/// What a committed write survives (SQLite; PostgreSQL is always the stronger).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// A crash of this process (kill -9): with WAL and `synchronous = NORMAL` a commit
    /// is in the WAL file when it returns, and the next start reads it; the operating
    /// system going down may lose the last commits (never corrupt the file). SQLite's
    /// own recommendation for WAL; the pool's setting.
    Process,
    /// The machine losing power: `synchronous = FULL` fsyncs the WAL at every commit,
    /// and with it every earlier commit of any connection. For the inbox writer with
    /// `sqlite-synchronous = "full"`: an update answered 200 is on the disk.
    Machine,
}

/// Connects, applies SQLite's settings, and runs every pending migration.
///
/// A SQLite URL without a `mode` gets `mode=rwc` so a fresh file is created, and its
/// folder is created too: the zero-configuration start needs nothing to exist.
pub async fn connect_and_migrate(url: &str) -> Result<DatabaseConnection, DbErr> {
    let db = connect(url).await?;
    Migrator::up(&db, None).await?;
    Ok(db)
}

/// Connects the pool without migrating (commits survive a crash of the process).
pub async fn connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    let sqlite = url.starts_with("sqlite:");
    connect_with(url, Durability::Process, if sqlite { 8 } else { 20 }).await
}

/// A pool of up to `max` connections whose SQLite commits are as durable as `durability`.
pub async fn connect_with(
    url: &str,
    durability: Durability,
    max: u32,
) -> Result<DatabaseConnection, DbErr> {
    let url = prepare_postgres_url(&prepare_sqlite_url(url)?);
    let mut opts = ConnectOptions::new(url);
    opts.max_connections(max)
        .min_connections(1)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(10))
        // sqlx pings a connection on every acquire by default: a round trip to
        // PostgreSQL (a hop to SQLite's thread) before each query, 9 % of our CPU in the
        // PostgreSQL ingest profile. Only a connection idle this long (one a server, a
        // proxy or a firewall may have dropped) is pinged first.
        .test_before_acquire_if_idle_for(Duration::from_secs(30))
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(move |o| {
            o.journal_mode(SqliteJournalMode::Wal)
                .synchronous(match durability {
                    Durability::Process => SqliteSynchronous::Normal,
                    Durability::Machine => SqliteSynchronous::Full,
                })
        });
    Database::connect(opts).await
}

/// A PostgreSQL server on this machine (127.0.0.1, ::1, localhost) is reached without
/// TLS unless the URL asks for it (`sslmode=…`): the bytes never leave the host, and
/// sqlx's default (`prefer`) encrypted every query to a Debian PostgreSQL, about a sixth
/// of the ingest rate (docs/performance.md). Any other host keeps the default.
fn prepare_postgres_url(url: &str) -> String {
    let Some(rest) = url
        .strip_prefix("postgres://")
        .or_else(|| url.strip_prefix("postgresql://"))
    else {
        return url.to_owned();
    };
    let authority = rest.split(['/', '?']).next().unwrap_or("");
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = match host_port.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => host_port.split(':').next().unwrap_or(""),
    };
    let local = matches!(host, "127.0.0.1" | "localhost" | "::1");
    if !local || url.contains("sslmode=") {
        url.to_owned()
    } else if url.contains('?') {
        format!("{url}&sslmode=disable")
    } else {
        format!("{url}?sslmode=disable")
    }
}

fn prepare_sqlite_url(url: &str) -> Result<String, DbErr> {
    let Some(rest) = url.strip_prefix("sqlite:") else {
        return Ok(url.to_owned());
    };
    let path_part = rest.trim_start_matches("//");
    let path = path_part.split('?').next().unwrap_or("");
    if !path.is_empty()
        && path != ":memory:"
        && let Some(parent) = std::path::Path::new(path).parent()
        && !parent.as_os_str().is_empty()
    {
        std::fs::create_dir_all(parent)
            .map_err(|e| DbErr::Custom(format!("cannot create {}: {e}", parent.display())))?;
    }
    if url.contains("mode=") {
        Ok(url.to_owned())
    } else if url.contains('?') {
        Ok(format!("{url}&mode=rwc"))
    } else {
        Ok(format!("{url}?mode=rwc"))
    }
}

#[cfg(test)]
mod tests {
    use super::{prepare_postgres_url, prepare_sqlite_url};

    #[test]
    fn a_local_postgres_is_reached_without_tls_unless_asked() {
        for (given, used) in [
            (
                "postgres://postgres@127.0.0.1:5432/test",
                "postgres://postgres@127.0.0.1:5432/test?sslmode=disable",
            ),
            (
                "postgresql://u:p@localhost/db?application_name=x",
                "postgresql://u:p@localhost/db?application_name=x&sslmode=disable",
            ),
            (
                "postgres://u@[::1]:5433/db",
                "postgres://u@[::1]:5433/db?sslmode=disable",
            ),
            (
                "postgres://u@127.0.0.1/db?sslmode=require",
                "postgres://u@127.0.0.1/db?sslmode=require",
            ),
            (
                "postgres://u@db.example.com/db",
                "postgres://u@db.example.com/db",
            ),
            ("postgres://u@127.0.0.10/db", "postgres://u@127.0.0.10/db"),
            ("sqlite://data/x.db?mode=rwc", "sqlite://data/x.db?mode=rwc"),
        ] {
            assert_eq!(prepare_postgres_url(given), used, "{given}");
        }
    }

    #[test]
    fn sqlite_urls_get_create_mode() {
        let dir = std::env::temp_dir().join(format!("tombola-db-{}", std::process::id()));
        let url = format!("sqlite://{}/x.db", dir.display());
        assert_eq!(prepare_sqlite_url(&url).unwrap(), format!("{url}?mode=rwc"));
        assert!(dir.is_dir());
        assert_eq!(
            prepare_sqlite_url("sqlite::memory:").unwrap(),
            "sqlite::memory:?mode=rwc"
        );
        assert_eq!(
            prepare_sqlite_url("postgres://u@h/db").unwrap(),
            "postgres://u@h/db"
        );
        let _ = std::fs::remove_dir_all(dir);
    }
}
