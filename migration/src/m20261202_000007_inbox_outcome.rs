//! An update's outcome (answered, ignored, failed) is recorded beside `processed_at`, so
//! what became of it is a typed column rather than a reading of attempts and errors.
//! Updates handled before this migration are marked from what their rows say.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Inbox {
    Table,
    Outcome,
    ProcessedAt,
    Attempts,
    LastError,
}

/// `telegram::worker::MAX_ATTEMPTS` when this migration was written.
const MAX_ATTEMPTS: i32 = 5;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Inbox::Table)
                    .add_column(string_len_null(Inbox::Outcome, 16))
                    .to_owned(),
            )
            .await?;
        manager
            .exec_stmt(
                Query::update()
                    .table(Inbox::Table)
                    .value(Inbox::Outcome, "failed")
                    .and_where(Expr::col(Inbox::ProcessedAt).is_not_null())
                    .and_where(Expr::col(Inbox::LastError).is_not_null())
                    .and_where(Expr::col(Inbox::Attempts).gte(MAX_ATTEMPTS))
                    .to_owned(),
            )
            .await?;
        manager
            .exec_stmt(
                Query::update()
                    .table(Inbox::Table)
                    .value(Inbox::Outcome, "answered")
                    .and_where(Expr::col(Inbox::ProcessedAt).is_not_null())
                    .and_where(Expr::col(Inbox::Outcome).is_null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Inbox::Table)
                    .drop_column(Inbox::Outcome)
                    .to_owned(),
            )
            .await
    }
}
