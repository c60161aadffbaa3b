//! Tenants, their accounts, browser sessions, login throttling and platform settings.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Tenants {
    Table,
    Id,
    PublicId,
    Name,
    TimeZone,
    BotLocale,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Id,
    PublicId,
    TenantId,
    Email,
    PasswordHash,
    IsOperator,
    Locale,
    CreatedAt,
    LastLoginAt,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    Id,
    Data,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum LoginFailures {
    Table,
    Id,
    Key,
    At,
}

#[derive(DeriveIden)]
enum PlatformSettings {
    Table,
    Key,
    Value,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Tenants::Table)
                    .col(pk_auto(Tenants::Id))
                    .col(string_len_uniq(Tenants::PublicId, 32))
                    .col(string_len(Tenants::Name, 320))
                    .col(string_len(Tenants::TimeZone, 64))
                    .col(string_len(Tenants::BotLocale, 16))
                    .col(timestamp_with_time_zone(Tenants::CreatedAt))
                    .col(timestamp_with_time_zone(Tenants::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Accounts::Table)
                    .col(pk_auto(Accounts::Id))
                    .col(string_len_uniq(Accounts::PublicId, 32))
                    .col(integer(Accounts::TenantId))
                    .col(string_len_uniq(Accounts::Email, 320))
                    .col(string_len(Accounts::PasswordHash, 255))
                    .col(boolean(Accounts::IsOperator).default(false))
                    .col(string_len_null(Accounts::Locale, 16))
                    .col(timestamp_with_time_zone(Accounts::CreatedAt))
                    .col(timestamp_with_time_zone_null(Accounts::LastLoginAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_accounts_tenant")
                            .from(Accounts::Table, Accounts::TenantId)
                            .to(Tenants::Table, Tenants::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_accounts_tenant")
                    .table(Accounts::Table)
                    .col(Accounts::TenantId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Sessions::Table)
                    .col(string_len(Sessions::Id, 64).primary_key())
                    .col(text(Sessions::Data))
                    .col(timestamp_with_time_zone(Sessions::ExpiresAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_sessions_expires_at")
                    .table(Sessions::Table)
                    .col(Sessions::ExpiresAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(LoginFailures::Table)
                    .col(pk_auto(LoginFailures::Id))
                    .col(string_len(LoginFailures::Key, 400))
                    .col(timestamp_with_time_zone(LoginFailures::At))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_login_failures_key_at")
                    .table(LoginFailures::Table)
                    .col(LoginFailures::Key)
                    .col(LoginFailures::At)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PlatformSettings::Table)
                    .col(string_len(PlatformSettings::Key, 64).primary_key())
                    .col(text(PlatformSettings::Value))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            PlatformSettings::Table.into_iden(),
            LoginFailures::Table.into_iden(),
            Sessions::Table.into_iden(),
            Accounts::Table.into_iden(),
            Tenants::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
