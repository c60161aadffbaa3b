use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "outbox")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub tenant_id: i32,
    pub bot_id: i32,
    pub giveaway_id: Option<i32>,
    /// "winner_dm", "result_post", …
    pub kind: String,
    pub chat_id: i64,
    /// JSON `crate::outbox::Message`.
    pub payload: String,
    /// One message per purpose: writing the same notice twice finds this and does nothing.
    #[sea_orm(unique)]
    pub dedupe_key: String,
    /// "pending", "sent" or "failed".
    pub status: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub not_before: DateTimeUtc,
    /// A sender holds the row until then (another process skips it).
    pub claimed_until: Option<DateTimeUtc>,
    pub message_id: Option<i64>,
    pub created_at: DateTimeUtc,
    pub sent_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
