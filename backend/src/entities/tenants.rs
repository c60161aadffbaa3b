use crate::ids::TenantId;
use domain::{Plan, PublicId};
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "tenants")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: TenantId,
    #[sea_orm(unique)]
    pub public_id: PublicId,
    pub name: String,
    pub time_zone: String,
    pub bot_locale: String,
    pub plan: Plan,
    /// Set by the operator: the tenant's bots are silent and its dashboard read-only.
    pub suspended_at: Option<DateTimeUtc>,
    pub suspended_reason: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::accounts::Entity")]
    Accounts,
}

impl Related<super::accounts::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Accounts.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}

impl Model {
    /// The language its bots speak to users whose own they do not speak.
    pub fn bot_locale(&self) -> domain::Locale {
        domain::Locale::from_tag(&self.bot_locale).unwrap_or_default()
    }
}
