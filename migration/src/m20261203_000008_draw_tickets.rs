//! Draw protocol v2 (`domain::draw::Protocol`): a giveaway records the protocol its
//! commitment was made for, and each entry its ticket count. Giveaways created before
//! this migration keep protocol 1 and their entries one ticket each, so their published
//! draws verify as they always did.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Giveaways {
    Table,
    DrawProtocol,
}

#[derive(DeriveIden)]
enum Entries {
    Table,
    Tickets,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Giveaways::Table)
                    .add_column(small_integer(Giveaways::DrawProtocol).default(1))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Entries::Table)
                    .add_column(integer(Entries::Tickets).default(1))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Entries::Table)
                    .drop_column(Entries::Tickets)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Giveaways::Table)
                    .drop_column(Giveaways::DrawProtocol)
                    .to_owned(),
            )
            .await
    }
}
