//! Claiming a prize: a giveaway's claim window in hours (0: no claiming) and the prizes
//! claimed, by entry number. A winner who has not claimed in time is replaced by the next
//! reserve (`domain::draw::reroll`, reason "unclaimed").

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Giveaways {
    Table,
    Id,
    ClaimHours,
}

#[derive(DeriveIden)]
enum Claims {
    Table,
    GiveawayId,
    Number,
    ClaimedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Giveaways::Table)
                    .add_column(integer(Giveaways::ClaimHours).default(0))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Claims::Table)
                    .col(integer(Claims::GiveawayId))
                    .col(integer(Claims::Number))
                    .col(timestamp_with_time_zone(Claims::ClaimedAt))
                    .primary_key(Index::create().col(Claims::GiveawayId).col(Claims::Number))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_claims_giveaway")
                            .from(Claims::Table, Claims::GiveawayId)
                            .to(Giveaways::Table, Giveaways::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Claims::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Giveaways::Table)
                    .drop_column(Giveaways::ClaimHours)
                    .to_owned(),
            )
            .await
    }
}
