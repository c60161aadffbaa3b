//! The waiting updates of the inbox in arrival order, for the workers' claim on
//! PostgreSQL: a partial index on `id` of the rows not yet handled.
//!
//! The claim takes the 64 oldest waiting updates that are the first waiting one of their
//! chat. Planned without statistics (a fresh database before autovacuum's first
//! analyse), PostgreSQL read every waiting row of the bot and sorted them: 401 ms a claim
//! at 70,000 waiting, over and over while a bot drains a burst at its send rate. With this
//! index that plan walks it in order and stops at 64: 1.2 ms (docs/performance.md).
//! SQLite gets no such index: its planner, without statistics, kept the sort with it too
//! (52 ms against 81), and each insert would pay for it.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == sea_orm_migration::sea_orm::DatabaseBackend::Postgres {
            manager
                .get_connection()
                .execute_unprepared(
                    "CREATE INDEX IF NOT EXISTS idx_inbox_waiting ON inbox (id) \
                     WHERE processed_at IS NULL",
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == sea_orm_migration::sea_orm::DatabaseBackend::Postgres {
            manager
                .get_connection()
                .execute_unprepared("DROP INDEX IF EXISTS idx_inbox_waiting")
                .await?;
        }
        Ok(())
    }
}
