//! Entry rules a tenant switches on per giveaway: Telegram Premium only, no recent
//! winners of the tenant's giveaways, a boost of a chat as a condition and/or extra
//! tickets per boost; each entry records the tickets its boosts gave.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Giveaways {
    Table,
    PremiumOnly,
    PastWinnerDays,
    BoostChat,
    BoostRequired,
    BoostTicketsCap,
}

#[derive(DeriveIden)]
enum Entries {
    Table,
    BoostTickets,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite's ALTER TABLE adds one at a time.
        let columns = [
            boolean(Giveaways::PremiumOnly).default(false).to_owned(),
            integer(Giveaways::PastWinnerDays).default(0).to_owned(),
            string_len_null(Giveaways::BoostChat, 64).to_owned(),
            boolean(Giveaways::BoostRequired).default(false).to_owned(),
            integer(Giveaways::BoostTicketsCap).default(0).to_owned(),
        ];
        for mut c in columns {
            manager
                .alter_table(
                    Table::alter()
                        .table(Giveaways::Table)
                        .add_column(&mut c)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Entries::Table)
                    .add_column(integer(Entries::BoostTickets).default(0))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Entries::Table)
                    .drop_column(Entries::BoostTickets)
                    .to_owned(),
            )
            .await?;
        for c in [
            Giveaways::BoostTicketsCap,
            Giveaways::BoostRequired,
            Giveaways::BoostChat,
            Giveaways::PastWinnerDays,
            Giveaways::PremiumOnly,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Giveaways::Table)
                        .drop_column(c)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
