//! The limits of a tenant's plan, enforced where a tenant would cross them.

use crate::ServiceError;
use crate::entities::tenants;
use crate::tenancy::TenantScope;
use domain::{Plan, PlanLimits, PlanResource};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, QueryFilter, QuerySelect,
};

/// The tenant's plan.
pub async fn plan_of(db: &impl ConnectionTrait, scope: &TenantScope) -> Result<Plan, ServiceError> {
    let row = tenants::Entity::find_by_id(scope.tenant_id())
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound)?;
    Ok(row.plan)
}

pub async fn limits(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
) -> Result<PlanLimits, ServiceError> {
    Ok(plan_of(db, scope).await?.limits())
}

/// Refuses when the tenant already has `have` of `what` and its plan allows no more.
pub fn ensure_below(limits: PlanLimits, what: PlanResource, have: u64) -> Result<(), ServiceError> {
    let limit = limits.get(what);
    if have >= u64::from(limit) {
        return Err(ServiceError::PlanLimit { what, limit });
    }
    Ok(())
}

/// Inside a transaction, as its first statement: holds the tenant's row until commit, so
/// two requests of one tenant that check a limit and then insert cannot both pass.
/// PostgreSQL locks the row; SQLite gets its write lock now, by a write that changes
/// nothing (a deferred transaction that read first could fail with "database is locked"
/// at its first write when another writer committed meanwhile; taking the lock first
/// waits for the other writer instead). Returns the tenant's limits.
pub async fn lock_tenant(
    txn: &impl ConnectionTrait,
    scope: &TenantScope,
) -> Result<PlanLimits, ServiceError> {
    let mut q = tenants::Entity::find_by_id(scope.tenant_id());
    match txn.get_database_backend() {
        DatabaseBackend::Postgres => q = q.lock_exclusive(),
        _ => {
            use sea_orm::sea_query::Expr;
            tenants::Entity::update_many()
                .col_expr(
                    tenants::Column::UpdatedAt,
                    Expr::col(tenants::Column::UpdatedAt),
                )
                .filter(tenants::Column::Id.eq(scope.tenant_id()))
                .exec(txn)
                .await?;
        }
    }
    let row = q.one(txn).await?.ok_or(ServiceError::NotFound)?;
    Ok(row.plan.limits())
}
