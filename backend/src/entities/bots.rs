use crate::ids::{BotId, TenantId};
use domain::{BotMode, BotStatus, PublicId, StatusReason};
use sea_orm::entity::prelude::*;

#[derive(Clone, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "bots")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: BotId,
    #[sea_orm(unique)]
    pub public_id: PublicId,
    pub tenant_id: TenantId,
    pub telegram_id: i64,
    pub username: String,
    pub token_sealed: String,
    #[sea_orm(unique)]
    pub token_fingerprint: String,
    #[sea_orm(unique)]
    pub webhook_id: String,
    pub enabled: bool,
    pub mode: BotMode,
    /// The tenant picked `mode`; otherwise start-up picks it from the public URL.
    pub mode_chosen: bool,
    pub status: BotStatus,
    pub status_reason: Option<StatusReason>,
    pub poll_offset: i64,
    /// The process that polls, answers and sends for this bot, and until when (a lease).
    pub owner: Option<String>,
    pub owner_until: Option<DateTimeUtc>,
    /// From the last getWebhookInfo: updates Telegram holds for us and its last error.
    pub webhook_pending: Option<i32>,
    pub webhook_last_error: Option<String>,
    pub webhook_checked_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The sealed token and the webhook id (a capability) stay out of logs.
        f.debug_struct("Bot")
            .field("id", &self.id)
            .field("tenant_id", &self.tenant_id)
            .field("username", &self.username)
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::tenants::Entity",
        from = "Column::TenantId",
        to = "super::tenants::Column::Id",
        on_delete = "Cascade"
    )]
    Tenant,
}

impl Related<super::tenants::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Tenant.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
