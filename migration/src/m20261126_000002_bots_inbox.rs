//! Tenants' bots and the durable inbox of Telegram updates.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Tenants {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Bots {
    Table,
    Id,
    PublicId,
    TenantId,
    TelegramId,
    Username,
    TokenSealed,
    TokenFingerprint,
    WebhookId,
    Enabled,
    Mode,
    Status,
    StatusReason,
    PollOffset,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Inbox {
    Table,
    Id,
    BotId,
    UpdateId,
    ChatId,
    Kind,
    Payload,
    ReceivedAt,
    ProcessedAt,
    Attempts,
    LastError,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Bots::Table)
                    .col(pk_auto(Bots::Id))
                    .col(string_len_uniq(Bots::PublicId, 32))
                    .col(integer(Bots::TenantId))
                    .col(big_integer(Bots::TelegramId))
                    .col(string_len(Bots::Username, 64))
                    .col(text(Bots::TokenSealed))
                    .col(string_len_uniq(Bots::TokenFingerprint, 64))
                    .col(string_len_uniq(Bots::WebhookId, 64))
                    .col(boolean(Bots::Enabled).default(true))
                    .col(string_len(Bots::Mode, 16))
                    .col(string_len(Bots::Status, 16))
                    .col(text_null(Bots::StatusReason))
                    .col(big_integer(Bots::PollOffset).default(0))
                    .col(timestamp_with_time_zone(Bots::CreatedAt))
                    .col(timestamp_with_time_zone(Bots::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_bots_tenant")
                            .from(Bots::Table, Bots::TenantId)
                            .to(Tenants::Table, Tenants::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_bots_tenant")
                    .table(Bots::Table)
                    .col(Bots::TenantId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Inbox::Table)
                    .col(big_pk_auto(Inbox::Id))
                    .col(integer(Inbox::BotId))
                    .col(big_integer(Inbox::UpdateId))
                    .col(big_integer_null(Inbox::ChatId))
                    .col(string_len(Inbox::Kind, 64))
                    .col(text(Inbox::Payload))
                    .col(timestamp_with_time_zone(Inbox::ReceivedAt))
                    .col(timestamp_with_time_zone_null(Inbox::ProcessedAt))
                    .col(integer(Inbox::Attempts).default(0))
                    .col(text_null(Inbox::LastError))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_inbox_bot")
                            .from(Inbox::Table, Inbox::BotId)
                            .to(Bots::Table, Bots::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // One row per (bot, update): a replayed delivery finds its twin and changes nothing.
        manager
            .create_index(
                Index::create()
                    .name("uq_inbox_bot_update")
                    .table(Inbox::Table)
                    .col(Inbox::BotId)
                    .col(Inbox::UpdateId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        // Workers look for unprocessed rows per bot and chat in update order.
        manager
            .create_index(
                Index::create()
                    .name("idx_inbox_pending")
                    .table(Inbox::Table)
                    .col(Inbox::ProcessedAt)
                    .col(Inbox::BotId)
                    .col(Inbox::ChatId)
                    .col(Inbox::UpdateId)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Inbox::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Bots::Table).to_owned())
            .await
    }
}
