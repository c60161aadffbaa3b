//! Platform-wide settings the operator controls.

use crate::ServiceError;
use crate::entities::platform_settings as ps;
use crate::ids::TenantId;
use crate::tenancy::OperatorScope;
use domain::{Plan, PublicId};
use sea_orm::sea_query::OnConflict;
use sea_orm::sea_query::{Alias, Asterisk, Expr, Func};
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
        operator = %operator.account_id(),
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
    pub public_id: PublicId,
    pub name: String,
    pub plan: Plan,
    pub bots: u64,
    pub giveaways: u64,
    pub entries: u64,
    /// When one of its bots last received an update.
    pub last_activity: Option<chrono::DateTime<chrono::Utc>>,
    /// In the last 24 hours: updates that failed to be answered, and Bot API calls that
    /// failed (429, 5xx, network).
    pub errors_24h: u64,
    /// `Some(reason)` (possibly empty) when suspended.
    pub suspended: Option<String>,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// Every tenant, oldest first, with its plan, its size, its activity and its errors.
pub async fn tenants(
    db: &impl ConnectionTrait,
    _operator: &OperatorScope,
) -> Result<Vec<TenantOverview>, ServiceError> {
    use crate::entities::{api_calls, bots, entries, giveaways, inbox, tenants};
    use sea_orm::{JoinType, RelationTrait};
    use std::collections::HashMap;
    let since = chrono::Utc::now() - chrono::Duration::hours(24);
    let per_tenant = |rows: Vec<(TenantId, i64)>| -> HashMap<TenantId, u64> {
        rows.into_iter()
            .map(|(t, n)| (t, n.max(0) as u64))
            .collect()
    };
    let bots_n = per_tenant(count_by_tenant::<bots::Entity>(db, bots::Column::TenantId).await?);
    let giveaways_n =
        per_tenant(count_by_tenant::<giveaways::Entity>(db, giveaways::Column::TenantId).await?);
    let entries_n =
        per_tenant(count_by_tenant::<entries::Entity>(db, entries::Column::TenantId).await?);
    let last: HashMap<TenantId, chrono::DateTime<chrono::Utc>> = inbox::Entity::find()
        .select_only()
        .column(bots::Column::TenantId)
        .column_as(inbox::Column::ReceivedAt.max(), "last")
        .join(JoinType::InnerJoin, inbox::Relation::Bot.def())
        .group_by(bots::Column::TenantId)
        .into_tuple::<(TenantId, Option<chrono::DateTime<chrono::Utc>>)>()
        .all(db)
        .await?
        .into_iter()
        .filter_map(|(t, at)| at.map(|at| (t, at)))
        .collect();
    let mut errors = per_tenant(
        inbox::Entity::find()
            .select_only()
            .column(bots::Column::TenantId)
            .column_as(inbox::Column::Id.count(), "n")
            .join(JoinType::InnerJoin, inbox::Relation::Bot.def())
            .filter(inbox::Column::LastError.is_not_null())
            .filter(inbox::Column::ReceivedAt.gte(since))
            .group_by(bots::Column::TenantId)
            .into_tuple()
            .all(db)
            .await?,
    );
    let failed_calls: Vec<(TenantId, Option<i64>)> = api_calls::Entity::find()
        .select_only()
        .column(api_calls::Column::TenantId)
        // SUM of a bigint is numeric on PostgreSQL: cast back.
        .column_as(
            Expr::expr(Func::cast_as(
                Func::sum(Expr::col(api_calls::Column::Calls)),
                Alias::new("BIGINT"),
            )),
            "n",
        )
        .filter(api_calls::Column::Outcome.is_in(["429", "5xx", "network"]))
        .filter(api_calls::Column::Minute.gte(since))
        .group_by(api_calls::Column::TenantId)
        .into_tuple()
        .all(db)
        .await?;
    for (t, n) in failed_calls {
        *errors.entry(t).or_default() += n.unwrap_or(0).max(0) as u64;
    }
    Ok(tenants::Entity::find()
        .order_by_asc(tenants::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|t| TenantOverview {
            bots: bots_n.get(&t.id).copied().unwrap_or(0),
            giveaways: giveaways_n.get(&t.id).copied().unwrap_or(0),
            entries: entries_n.get(&t.id).copied().unwrap_or(0),
            last_activity: last.get(&t.id).copied(),
            errors_24h: errors.get(&t.id).copied().unwrap_or(0),
            suspended: t
                .suspended_at
                .map(|_| t.suspended_reason.unwrap_or_default()),
            plan: t.plan,
            public_id: t.public_id,
            name: t.name,
            created_at: t.created_at,
        })
        .collect())
}

/// `(tenant id, rows)` of a table with a tenant column.
async fn count_by_tenant<E: EntityTrait>(
    db: &impl ConnectionTrait,
    tenant: E::Column,
) -> Result<Vec<(TenantId, i64)>, ServiceError> {
    Ok(E::find()
        .select_only()
        .column(tenant)
        .column_as(Expr::expr(Func::count(Expr::col(Asterisk))), "n")
        .group_by(tenant)
        .into_tuple()
        .all(db)
        .await?)
}

/// Suspends a tenant (its bots stop answering and sending, its dashboard becomes
/// read-only, giveaways keep their schedule and their messages wait in the outbox) or
/// resumes it. The operator's own tenant cannot be suspended.
pub async fn set_suspended(
    db: &impl ConnectionTrait,
    operator: &OperatorScope,
    tenant_public_id: &PublicId,
    suspend: bool,
    reason: &str,
) -> Result<(), ServiceError> {
    use crate::entities::{accounts, tenants};
    use sea_orm::PaginatorTrait;
    let reason = domain::giveaway::clean_text(reason, 200)
        .map_err(ServiceError::validation(domain::Field::Reason))?;
    let tenant = tenants::Entity::find()
        .filter(tenants::Column::PublicId.eq(tenant_public_id.as_str()))
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if suspend {
        let operators = accounts::Entity::find()
            .filter(accounts::Column::TenantId.eq(tenant.id))
            .filter(accounts::Column::IsOperator.eq(true))
            .count(db)
            .await?;
        if operators > 0 {
            return Err(ServiceError::Forbidden);
        }
    }
    let now = chrono::Utc::now();
    tenants::Entity::update_many()
        .col_expr(
            tenants::Column::SuspendedAt,
            Expr::value(suspend.then_some(now)),
        )
        .col_expr(
            tenants::Column::SuspendedReason,
            Expr::value((suspend && !reason.is_empty()).then_some(reason)),
        )
        .col_expr(tenants::Column::UpdatedAt, Expr::value(now))
        .filter(tenants::Column::Id.eq(tenant.id))
        .exec(db)
        .await?;
    tracing::info!(
        operator = %operator.account_id(),
        tenant = %tenant.id,
        suspend,
        "tenant suspension changed"
    );
    Ok(())
}

/// Puts a tenant on a plan. A smaller plan keeps what the tenant already has; it only
/// refuses new things beyond the new limits.
pub async fn set_plan(
    db: &impl ConnectionTrait,
    operator: &OperatorScope,
    tenant_public_id: &PublicId,
    plan: Plan,
) -> Result<(), ServiceError> {
    use crate::entities::tenants;
    let res = tenants::Entity::update_many()
        .col_expr(tenants::Column::Plan, Expr::value(plan))
        .col_expr(tenants::Column::UpdatedAt, Expr::value(chrono::Utc::now()))
        .filter(tenants::Column::PublicId.eq(tenant_public_id.as_str()))
        .exec(db)
        .await?;
    if res.rows_affected == 0 {
        return Err(ServiceError::NotFound);
    }
    tracing::info!(
        operator = %operator.account_id(),
        plan = plan.code(),
        "tenant plan changed"
    );
    Ok(())
}
