//! Giveaways, their entries, and the durable outbox of messages to send.

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
}

#[derive(DeriveIden)]
enum Giveaways {
    Table,
    Id,
    PublicId,
    TenantId,
    BotId,
    Title,
    Description,
    Prizes,
    Reserves,
    StartsAt,
    EndsAt,
    Conditions,
    MaxEntries,
    Captcha,
    Status,
    SeedSealed,
    Commitment,
    EntriesHash,
    Result,
    EntriesCount,
    AnnounceChatId,
    AnnounceMessageId,
    PublishedAt,
    ClosedAt,
    DrawnAt,
    CancelledAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Entries {
    Table,
    Id,
    GiveawayId,
    TenantId,
    TelegramUserId,
    Number,
    Pseudonym,
    FirstName,
    Username,
    LanguageCode,
    Via,
    JoinedAt,
}

#[derive(DeriveIden)]
enum Outbox {
    Table,
    Id,
    TenantId,
    BotId,
    GiveawayId,
    Kind,
    ChatId,
    Payload,
    DedupeKey,
    Status,
    Attempts,
    LastError,
    NotBefore,
    ClaimedUntil,
    MessageId,
    CreatedAt,
    SentAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Giveaways::Table)
                    .col(pk_auto(Giveaways::Id))
                    .col(string_len_uniq(Giveaways::PublicId, 32))
                    .col(integer(Giveaways::TenantId))
                    .col(integer_null(Giveaways::BotId))
                    .col(string_len(Giveaways::Title, 200))
                    .col(text(Giveaways::Description))
                    .col(text(Giveaways::Prizes))
                    .col(integer(Giveaways::Reserves).default(0))
                    .col(timestamp_with_time_zone(Giveaways::StartsAt))
                    .col(timestamp_with_time_zone(Giveaways::EndsAt))
                    .col(text(Giveaways::Conditions))
                    .col(integer_null(Giveaways::MaxEntries))
                    .col(boolean(Giveaways::Captcha).default(false))
                    .col(string_len(Giveaways::Status, 16))
                    .col(text(Giveaways::SeedSealed))
                    .col(string_len(Giveaways::Commitment, 64))
                    .col(string_len_null(Giveaways::EntriesHash, 64))
                    .col(text_null(Giveaways::Result))
                    .col(integer(Giveaways::EntriesCount).default(0))
                    .col(big_integer_null(Giveaways::AnnounceChatId))
                    .col(big_integer_null(Giveaways::AnnounceMessageId))
                    .col(timestamp_with_time_zone_null(Giveaways::PublishedAt))
                    .col(timestamp_with_time_zone_null(Giveaways::ClosedAt))
                    .col(timestamp_with_time_zone_null(Giveaways::DrawnAt))
                    .col(timestamp_with_time_zone_null(Giveaways::CancelledAt))
                    .col(timestamp_with_time_zone(Giveaways::CreatedAt))
                    .col(timestamp_with_time_zone(Giveaways::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_giveaways_tenant")
                            .from(Giveaways::Table, Giveaways::TenantId)
                            .to(Tenants::Table, Tenants::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_giveaways_bot")
                            .from(Giveaways::Table, Giveaways::BotId)
                            .to(Bots::Table, Bots::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            (
                "idx_giveaways_tenant",
                [Giveaways::TenantId, Giveaways::Status],
            ),
            (
                "idx_giveaways_starts",
                [Giveaways::Status, Giveaways::StartsAt],
            ),
            ("idx_giveaways_ends", [Giveaways::Status, Giveaways::EndsAt]),
        ] {
            let mut idx = Index::create();
            idx.name(name).table(Giveaways::Table);
            for c in cols {
                idx.col(c);
            }
            manager.create_index(idx.to_owned()).await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(Entries::Table)
                    .col(big_pk_auto(Entries::Id))
                    .col(integer(Entries::GiveawayId))
                    .col(integer(Entries::TenantId))
                    .col(big_integer(Entries::TelegramUserId))
                    .col(integer(Entries::Number))
                    .col(string_len(Entries::Pseudonym, 32))
                    .col(string_len(Entries::FirstName, 256))
                    .col(string_len_null(Entries::Username, 64))
                    .col(string_len_null(Entries::LanguageCode, 16))
                    .col(string_len(Entries::Via, 16))
                    .col(timestamp_with_time_zone(Entries::JoinedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_entries_giveaway")
                            .from(Entries::Table, Entries::GiveawayId)
                            .to(Giveaways::Table, Giveaways::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // One entry per user and giveaway (a second join, even a concurrent one, fails
        // here), and entry numbers are unique within a giveaway.
        manager
            .create_index(
                Index::create()
                    .name("uq_entries_user")
                    .table(Entries::Table)
                    .col(Entries::GiveawayId)
                    .col(Entries::TelegramUserId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_entries_number")
                    .table(Entries::Table)
                    .col(Entries::GiveawayId)
                    .col(Entries::Number)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_entries_tenant_user")
                    .table(Entries::Table)
                    .col(Entries::TenantId)
                    .col(Entries::TelegramUserId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Outbox::Table)
                    .col(big_pk_auto(Outbox::Id))
                    .col(integer(Outbox::TenantId))
                    .col(integer(Outbox::BotId))
                    .col(integer_null(Outbox::GiveawayId))
                    .col(string_len(Outbox::Kind, 32))
                    .col(big_integer(Outbox::ChatId))
                    .col(text(Outbox::Payload))
                    .col(string_len_uniq(Outbox::DedupeKey, 160))
                    .col(string_len(Outbox::Status, 16))
                    .col(integer(Outbox::Attempts).default(0))
                    .col(text_null(Outbox::LastError))
                    .col(timestamp_with_time_zone(Outbox::NotBefore))
                    .col(timestamp_with_time_zone_null(Outbox::ClaimedUntil))
                    .col(big_integer_null(Outbox::MessageId))
                    .col(timestamp_with_time_zone(Outbox::CreatedAt))
                    .col(timestamp_with_time_zone_null(Outbox::SentAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_outbox_bot")
                            .from(Outbox::Table, Outbox::BotId)
                            .to(Bots::Table, Bots::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_outbox_giveaway")
                            .from(Outbox::Table, Outbox::GiveawayId)
                            .to(Giveaways::Table, Giveaways::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_outbox_pending")
                    .table(Outbox::Table)
                    .col(Outbox::Status)
                    .col(Outbox::NotBefore)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_outbox_giveaway")
                    .table(Outbox::Table)
                    .col(Outbox::GiveawayId)
                    .col(Outbox::Status)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            Outbox::Table.into_iden(),
            Entries::Table.into_iden(),
            Giveaways::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(t).to_owned())
                .await?;
        }
        Ok(())
    }
}
