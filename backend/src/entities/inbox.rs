use crate::ids::BotId;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "inbox")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub bot_id: BotId,
    pub update_id: i64,
    pub chat_id: Option<i64>,
    pub kind: String,
    pub payload: String,
    pub received_at: DateTimeUtc,
    pub processed_at: Option<DateTimeUtc>,
    pub attempts: i32,
    pub last_error: Option<String>,
    /// A worker holds the row until then (set when claimed).
    pub claimed_until: Option<DateTimeUtc>,
    /// How handling it ended; `None` while it waits (or waits to be retried).
    pub outcome: Option<Outcome>,
}

/// How handling an update ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum Outcome {
    /// The handlers answered it.
    #[sea_orm(string_value = "answered")]
    Answered,
    /// Acknowledged without an answer: a kind we do not handle, a bot removed, disabled
    /// or revoked, a suspended tenant, a user who blocked the bot.
    #[sea_orm(string_value = "ignored")]
    Ignored,
    /// Set aside after `telegram::worker::MAX_ATTEMPTS` failed attempts (its last error kept).
    #[sea_orm(string_value = "failed")]
    Failed,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::bots::Entity",
        from = "Column::BotId",
        to = "super::bots::Column::Id",
        on_delete = "Cascade"
    )]
    Bot,
}

impl Related<super::bots::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Bot.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
