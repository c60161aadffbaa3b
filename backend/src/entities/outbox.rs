use crate::ids::{BotId, GiveawayId, TenantId};
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "outbox")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub tenant_id: TenantId,
    pub bot_id: BotId,
    pub giveaway_id: Option<GiveawayId>,
    pub kind: Kind,
    pub chat_id: i64,
    /// JSON `crate::outbox::Message`.
    pub payload: String,
    /// One message per purpose: writing the same notice twice finds this and does nothing.
    #[sea_orm(unique)]
    pub dedupe_key: String,
    pub status: Status,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub not_before: DateTimeUtc,
    /// A sender holds the row until then (another process skips it).
    pub claimed_until: Option<DateTimeUtc>,
    pub message_id: Option<i64>,
    pub created_at: DateTimeUtc,
    pub sent_at: Option<DateTimeUtc>,
}

/// What a message is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum Kind {
    /// A winner's direct message.
    #[sea_orm(string_value = "winner_dm")]
    WinnerDm,
    /// The result, posted where the giveaway was announced.
    #[sea_orm(string_value = "result_post")]
    ResultPost,
    /// An answer to a user that waits its turn in the bot's rate (a join's receipt:
    /// the press itself was answered at once).
    #[sea_orm(string_value = "reply")]
    Reply,
    /// An entrant told that a friend joined through their link.
    #[sea_orm(string_value = "referral")]
    Referral,
    /// A winner's prize code, sent when they press "Claim".
    #[sea_orm(string_value = "prize_code")]
    PrizeCode,
}

/// Where a message stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum Status {
    #[sea_orm(string_value = "pending")]
    Pending,
    #[sea_orm(string_value = "sent")]
    Sent,
    /// Given up, with the reason in `last_error`.
    #[sea_orm(string_value = "failed")]
    Failed,
}

impl Status {
    /// The stored code, as exports and metrics label it.
    pub fn code(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Sent => "sent",
            Status::Failed => "failed",
        }
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
