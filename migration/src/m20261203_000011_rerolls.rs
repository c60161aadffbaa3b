//! A drawn giveaway's rerolls (`domain::draw::Reroll`, as JSON, in order): winners
//! replaced by the next reserve after the draw, published beside the first result.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Giveaways {
    Table,
    Rerolls,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Giveaways::Table)
                    .add_column(text_null(Giveaways::Rerolls))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Giveaways::Table)
                    .drop_column(Giveaways::Rerolls)
                    .to_owned(),
            )
            .await
    }
}
