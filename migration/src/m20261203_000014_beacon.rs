//! Draws bound to a public randomness beacon (draw protocol v3): the chain and round a
//! giveaway names at creation (its commitment covers them), a test chain's public key
//! when the deployment runs one, and the round's signature once the draw used it.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Giveaways {
    Table,
    BeaconChain,
    BeaconRound,
    BeaconTestKey,
    BeaconSignature,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite adds one at a time.
        for col in [
            string_len_null(Giveaways::BeaconChain, 64),
            big_integer_null(Giveaways::BeaconRound),
            text_null(Giveaways::BeaconTestKey),
            text_null(Giveaways::BeaconSignature),
        ] {
            let mut col = col;
            manager
                .alter_table(
                    Table::alter()
                        .table(Giveaways::Table)
                        .add_column(&mut col)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for col in [
            Giveaways::BeaconSignature,
            Giveaways::BeaconTestKey,
            Giveaways::BeaconRound,
            Giveaways::BeaconChain,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Giveaways::Table)
                        .drop_column(col)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
