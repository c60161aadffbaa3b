use crate::ids::GiveawayId;
use sea_orm::entity::prelude::*;

/// A referral link opened by a user who had no entry yet: the first one counts when the
/// user's entry is made (after a captcha or a channel join, perhaps).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "referral_links")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub giveaway_id: GiveawayId,
    #[sea_orm(primary_key, auto_increment = false)]
    pub telegram_user_id: i64,
    pub inviter_number: i32,
    pub opened_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
