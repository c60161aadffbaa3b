//! Platform-wide settings the operator controls.

use crate::ServiceError;
use crate::entities::platform_settings as ps;
use crate::tenancy::OperatorScope;
use domain::Plan;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};

const SIGNUP_ENABLED: &str = "signup_enabled";

/// Whether strangers may sign up. On until an operator turns it off.
pub async fn signup_enabled(db: &impl ConnectionTrait) -> Result<bool, ServiceError> {
    Ok(ps::Entity::find_by_id(SIGNUP_ENABLED)
        .one(db)
        .await?
        .is_none_or(|row| row.value != "false"))
}

/// Turns self-service sign-up on or off.
pub async fn set_signup_enabled(
    db: &impl ConnectionTrait,
    operator: &OperatorScope,
    enabled: bool,
) -> Result<(), ServiceError> {
    ps::Entity::insert(ps::ActiveModel {
        key: Set(SIGNUP_ENABLED.to_owned()),
        value: Set(enabled.to_string()),
    })
    .on_conflict(
        OnConflict::column(ps::Column::Key)
            .update_column(ps::Column::Value)
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    tracing::info!(
        operator = operator.account_id,
        enabled,
        "sign-up setting changed"
    );
    Ok(())
}

/// How many tenants the platform has.
pub async fn tenant_count(
    db: &impl ConnectionTrait,
    _operator: &OperatorScope,
) -> Result<u64, ServiceError> {
    use sea_orm::PaginatorTrait;
    Ok(crate::entities::tenants::Entity::find().count(db).await?)
}

/// A tenant as the operator's console lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantOverview {
    pub public_id: String,
    pub name: String,
    pub plan: Plan,
    pub bots: u64,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// Every tenant, oldest first, with its plan and how many bots it has.
pub async fn tenants(
    db: &impl ConnectionTrait,
    _operator: &OperatorScope,
) -> Result<Vec<TenantOverview>, ServiceError> {
    use crate::entities::{bots, tenants};
    let counts: std::collections::HashMap<i32, i64> = bots::Entity::find()
        .select_only()
        .column(bots::Column::TenantId)
        .column_as(bots::Column::Id.count(), "n")
        .group_by(bots::Column::TenantId)
        .into_tuple::<(i32, i64)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    Ok(tenants::Entity::find()
        .order_by_asc(tenants::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|t| TenantOverview {
            bots: counts.get(&t.id).copied().unwrap_or(0).max(0) as u64,
            plan: Plan::from_code(&t.plan).unwrap_or_default(),
            public_id: t.public_id,
            name: t.name,
            created_at: t.created_at,
        })
        .collect())
}

/// Puts a tenant on a plan. A smaller plan keeps what the tenant already has; it only
/// refuses new things beyond the new limits.
pub async fn set_plan(
    db: &impl ConnectionTrait,
    operator: &OperatorScope,
    tenant_public_id: &str,
    plan: Plan,
) -> Result<(), ServiceError> {
    use crate::entities::tenants;
    use sea_orm::sea_query::Expr;
    let res = tenants::Entity::update_many()
        .col_expr(tenants::Column::Plan, Expr::value(plan.code()))
        .col_expr(tenants::Column::UpdatedAt, Expr::value(chrono::Utc::now()))
        .filter(tenants::Column::PublicId.eq(tenant_public_id))
        .exec(db)
        .await?;
    if res.rows_affected == 0 {
        return Err(ServiceError::NotFound);
    }
    tracing::info!(
        operator = operator.account_id,
        plan = plan.code(),
        "tenant plan changed"
    );
    Ok(())
}
