//! Running several processes on one database, suspending tenants, and usage figures:
//! claim columns on the inbox and giveaways (the outbox has one), a lease on each bot
//! (which process polls it, answers it and sends for it), the processes themselves, a
//! tenant's suspension, webhook health, and Bot API calls counted per minute.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Inbox {
    Table,
    ClaimedUntil,
}

#[derive(DeriveIden)]
enum Giveaways {
    Table,
    ClaimedUntil,
}

#[derive(DeriveIden)]
enum Bots {
    Table,
    Owner,
    OwnerUntil,
    WebhookPending,
    WebhookLastError,
    WebhookCheckedAt,
}

#[derive(DeriveIden)]
enum Tenants {
    Table,
    SuspendedAt,
    SuspendedReason,
}

#[derive(DeriveIden)]
enum Nodes {
    Table,
    Id,
    Host,
    StartedAt,
    SeenAt,
}

#[derive(DeriveIden)]
enum ApiCalls {
    Table,
    Id,
    TenantId,
    BotId,
    Minute,
    Method,
    Outcome,
    Calls,
}

/// SQLite alters one column per statement, so each column is its own `ALTER TABLE`.
async fn add(
    manager: &SchemaManager<'_>,
    table: impl IntoIden,
    col: ColumnDef,
) -> Result<(), DbErr> {
    let mut col = col;
    manager
        .alter_table(Table::alter().table(table).add_column(&mut col).to_owned())
        .await
}

async fn drop(
    manager: &SchemaManager<'_>,
    table: impl IntoIden,
    col: impl IntoIden,
) -> Result<(), DbErr> {
    manager
        .alter_table(Table::alter().table(table).drop_column(col).to_owned())
        .await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add(
            manager,
            Inbox::Table,
            timestamp_with_time_zone_null(Inbox::ClaimedUntil),
        )
        .await?;
        add(
            manager,
            Giveaways::Table,
            timestamp_with_time_zone_null(Giveaways::ClaimedUntil),
        )
        .await?;
        add(manager, Bots::Table, string_len_null(Bots::Owner, 64)).await?;
        add(
            manager,
            Bots::Table,
            timestamp_with_time_zone_null(Bots::OwnerUntil),
        )
        .await?;
        add(manager, Bots::Table, integer_null(Bots::WebhookPending)).await?;
        add(manager, Bots::Table, text_null(Bots::WebhookLastError)).await?;
        add(
            manager,
            Bots::Table,
            timestamp_with_time_zone_null(Bots::WebhookCheckedAt),
        )
        .await?;
        add(
            manager,
            Tenants::Table,
            timestamp_with_time_zone_null(Tenants::SuspendedAt),
        )
        .await?;
        add(manager, Tenants::Table, text_null(Tenants::SuspendedReason)).await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_bots_owner")
                    .table(Bots::Table)
                    .col(Bots::Owner)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Nodes::Table)
                    .col(string_len(Nodes::Id, 64).primary_key())
                    .col(string_len(Nodes::Host, 255))
                    .col(timestamp_with_time_zone(Nodes::StartedAt))
                    .col(timestamp_with_time_zone(Nodes::SeenAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ApiCalls::Table)
                    .col(big_pk_auto(ApiCalls::Id))
                    .col(integer(ApiCalls::TenantId))
                    .col(integer(ApiCalls::BotId))
                    .col(timestamp_with_time_zone(ApiCalls::Minute))
                    .col(string_len(ApiCalls::Method, 64))
                    .col(string_len(ApiCalls::Outcome, 16))
                    .col(big_integer(ApiCalls::Calls))
                    .to_owned(),
            )
            .await?;
        // One row per bot, minute, method and outcome: flushes add to it.
        manager
            .create_index(
                Index::create()
                    .name("uq_api_calls")
                    .table(ApiCalls::Table)
                    .col(ApiCalls::BotId)
                    .col(ApiCalls::Minute)
                    .col(ApiCalls::Method)
                    .col(ApiCalls::Outcome)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_api_calls_tenant")
                    .table(ApiCalls::Table)
                    .col(ApiCalls::TenantId)
                    .col(ApiCalls::Minute)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ApiCalls::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Nodes::Table).to_owned())
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("idx_bots_owner")
                    .table(Bots::Table)
                    .to_owned(),
            )
            .await?;
        drop(manager, Tenants::Table, Tenants::SuspendedReason).await?;
        drop(manager, Tenants::Table, Tenants::SuspendedAt).await?;
        drop(manager, Bots::Table, Bots::WebhookCheckedAt).await?;
        drop(manager, Bots::Table, Bots::WebhookLastError).await?;
        drop(manager, Bots::Table, Bots::WebhookPending).await?;
        drop(manager, Bots::Table, Bots::OwnerUntil).await?;
        drop(manager, Bots::Table, Bots::Owner).await?;
        drop(manager, Giveaways::Table, Giveaways::ClaimedUntil).await?;
        drop(manager, Inbox::Table, Inbox::ClaimedUntil).await
    }
}
