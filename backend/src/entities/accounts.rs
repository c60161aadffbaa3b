use crate::ids::{AccountId, TenantId};
use domain::PublicId;
use sea_orm::entity::prelude::*;

#[derive(Clone, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "accounts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: AccountId,
    #[sea_orm(unique)]
    pub public_id: PublicId,
    pub tenant_id: TenantId,
    #[sea_orm(unique)]
    pub email: String,
    pub password_hash: String,
    pub is_operator: bool,
    pub locale: Option<String>,
    pub created_at: DateTimeUtc,
    pub last_login_at: Option<DateTimeUtc>,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The hash and the address stay out of logs.
        f.debug_struct("Account")
            .field("id", &self.id)
            .field("tenant_id", &self.tenant_id)
            .field("is_operator", &self.is_operator)
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
