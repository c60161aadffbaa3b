use crate::ids::GiveawayId;
use sea_orm::entity::prelude::*;

/// A prize claimed by its winner (the entry number) with the "Claim" button.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "claims")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub giveaway_id: GiveawayId,
    #[sea_orm(primary_key, auto_increment = false)]
    pub number: i32,
    pub claimed_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
