//! Prize codes: uploaded by the tenant per prize (its place in the prize list), sealed at
//! rest like bot tokens, and given to a winner (by entry number) when it is revealed to
//! them; the giveaway's minimum account age (days, 0: off) rides along as the other
//! entry rule of this step.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Giveaways {
    Table,
    Id,
    MinAccountDays,
}

#[derive(DeriveIden)]
enum PrizeCodes {
    Table,
    Id,
    GiveawayId,
    Prize,
    Sealed,
    Number,
    GivenAt,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Giveaways::Table)
                    .add_column(integer(Giveaways::MinAccountDays).default(0))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PrizeCodes::Table)
                    .col(big_pk_auto(PrizeCodes::Id))
                    .col(integer(PrizeCodes::GiveawayId))
                    .col(integer(PrizeCodes::Prize))
                    .col(text(PrizeCodes::Sealed))
                    .col(integer_null(PrizeCodes::Number))
                    .col(timestamp_with_time_zone_null(PrizeCodes::GivenAt))
                    .col(timestamp_with_time_zone(PrizeCodes::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_prize_codes_giveaway")
                            .from(PrizeCodes::Table, PrizeCodes::GiveawayId)
                            .to(Giveaways::Table, Giveaways::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // The next free code of a prize, and the code of a winner.
        manager
            .create_index(
                Index::create()
                    .name("ix_prize_codes_free")
                    .table(PrizeCodes::Table)
                    .col(PrizeCodes::GiveawayId)
                    .col(PrizeCodes::Prize)
                    .col(PrizeCodes::Number)
                    .to_owned(),
            )
            .await?;
        // A winner holds one code at most (NULLs, the free codes, are distinct).
        manager
            .create_index(
                Index::create()
                    .name("ux_prize_codes_winner")
                    .table(PrizeCodes::Table)
                    .col(PrizeCodes::GiveawayId)
                    .col(PrizeCodes::Number)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(PrizeCodes::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Giveaways::Table)
                    .drop_column(Giveaways::MinAccountDays)
                    .to_owned(),
            )
            .await
    }
}
