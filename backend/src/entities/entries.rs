use crate::ids::{GiveawayId, TenantId};
use domain::giveaway::Via;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "entries")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub giveaway_id: GiveawayId,
    pub tenant_id: TenantId,
    pub telegram_user_id: i64,
    /// 1, 2, 3, … in join order: the number the entrant is told and the draw uses.
    pub number: i32,
    /// Published beside the number; recognisable by the entrant, reveals no identity.
    pub pseudonym: String,
    pub first_name: String,
    pub username: Option<String>,
    pub language_code: Option<String>,
    pub via: Via,
    pub joined_at: DateTimeUtc,
    /// Its chances in a v2 draw: 1, plus what referrals and boosts added; published in
    /// the entry list.
    pub tickets: i32,
    /// Friends who joined through this entry's link (counted past the cap too).
    pub referrals: i32,
    /// The number of the entry whose link brought this one in.
    pub referred_by: Option<i32>,
    /// Extra tickets its boosts gave at the join (within the giveaway's cap).
    pub boost_tickets: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::giveaways::Entity",
        from = "Column::GiveawayId",
        to = "super::giveaways::Column::Id",
        on_delete = "Cascade"
    )]
    Giveaway,
}

impl Related<super::giveaways::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Giveaway.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
