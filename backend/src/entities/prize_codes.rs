use crate::ids::GiveawayId;
use sea_orm::entity::prelude::*;

/// One prize code: uploaded for a prize of a giveaway, sealed (`crate::crypto`), given to
/// a winner when revealed to them.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "prize_codes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub giveaway_id: GiveawayId,
    /// The prize's place in the giveaway's prize list (from 0).
    pub prize: i32,
    /// The code, sealed; the AAD names the giveaway.
    pub sealed: String,
    /// The entry number it was given to; `None` while free.
    pub number: Option<i32>,
    pub given_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
