//! The Telegram users who talk to a tenant's bots, per tenant.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Tenants {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum TelegramUsers {
    Table,
    Id,
    TenantId,
    TelegramUserId,
    FirstName,
    Username,
    LanguageCode,
    BlockedBot,
    FirstSeenAt,
    LastSeenAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(TelegramUsers::Table)
                    .col(big_pk_auto(TelegramUsers::Id))
                    .col(integer(TelegramUsers::TenantId))
                    .col(big_integer(TelegramUsers::TelegramUserId))
                    .col(string_len(TelegramUsers::FirstName, 256))
                    .col(string_len_null(TelegramUsers::Username, 64))
                    .col(string_len_null(TelegramUsers::LanguageCode, 16))
                    .col(boolean(TelegramUsers::BlockedBot).default(false))
                    .col(timestamp_with_time_zone(TelegramUsers::FirstSeenAt))
                    .col(timestamp_with_time_zone(TelegramUsers::LastSeenAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_telegram_users_tenant")
                            .from(TelegramUsers::Table, TelegramUsers::TenantId)
                            .to(Tenants::Table, Tenants::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_telegram_users_tenant_user")
                    .table(TelegramUsers::Table)
                    .col(TelegramUsers::TenantId)
                    .col(TelegramUsers::TelegramUserId)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(TelegramUsers::Table).to_owned())
            .await
    }
}
