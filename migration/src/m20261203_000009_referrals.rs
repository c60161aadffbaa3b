//! Invite-a-friend tickets: a giveaway's cap on the extra tickets referrals earn (0: no
//! referrals), each entry's count of friends who joined through its link and which entry
//! invited it, and the links opened before their user joined (a user may pass a captcha
//! or join a channel first; the first link opened counts).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Giveaways {
    Table,
    Id,
    ReferralCap,
}

#[derive(DeriveIden)]
enum Entries {
    Table,
    Referrals,
    ReferredBy,
}

#[derive(DeriveIden)]
enum ReferralLinks {
    Table,
    GiveawayId,
    TelegramUserId,
    InviterNumber,
    OpenedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Giveaways::Table)
                    .add_column(integer(Giveaways::ReferralCap).default(0))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Entries::Table)
                    .add_column(integer(Entries::Referrals).default(0))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Entries::Table)
                    .add_column(integer_null(Entries::ReferredBy))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ReferralLinks::Table)
                    .col(integer(ReferralLinks::GiveawayId))
                    .col(big_integer(ReferralLinks::TelegramUserId))
                    .col(integer(ReferralLinks::InviterNumber))
                    .col(timestamp_with_time_zone(ReferralLinks::OpenedAt))
                    .primary_key(
                        Index::create()
                            .col(ReferralLinks::GiveawayId)
                            .col(ReferralLinks::TelegramUserId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_referral_links_giveaway")
                            .from(ReferralLinks::Table, ReferralLinks::GiveawayId)
                            .to(Giveaways::Table, Giveaways::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ReferralLinks::Table).to_owned())
            .await?;
        for col in [Entries::Referrals, Entries::ReferredBy] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Entries::Table)
                        .drop_column(col)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Giveaways::Table)
                    .drop_column(Giveaways::ReferralCap)
                    .to_owned(),
            )
            .await
    }
}
