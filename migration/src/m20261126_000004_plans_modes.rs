//! Each tenant is on a plan (its limits live in `domain::plan`); a bot remembers whether
//! its tenant chose how it receives updates (else the platform chooses at start-up).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Tenants {
    Table,
    Plan,
}

#[derive(DeriveIden)]
enum Bots {
    Table,
    ModeChosen,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Tenants::Table)
                    .add_column(string_len(Tenants::Plan, 32).default("starter"))
                    .to_owned(),
            )
            .await?;
        // SQLite alters one column per statement.
        manager
            .alter_table(
                Table::alter()
                    .table(Bots::Table)
                    .add_column(boolean(Bots::ModeChosen).default(false))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Tenants::Table)
                    .drop_column(Tenants::Plan)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Bots::Table)
                    .drop_column(Bots::ModeChosen)
                    .to_owned(),
            )
            .await
    }
}
