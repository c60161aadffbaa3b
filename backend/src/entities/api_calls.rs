use crate::ids::{BotId, TenantId};
use sea_orm::entity::prelude::*;

/// Bot API calls of one bot in one minute, by method and outcome.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "api_calls")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub tenant_id: TenantId,
    pub bot_id: BotId,
    pub minute: DateTimeUtc,
    pub method: String,
    /// `ok`, `4xx`, `429`, `5xx` or `network`.
    pub outcome: String,
    pub calls: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
