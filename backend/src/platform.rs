//! Platform-wide settings the operator controls.

use crate::ServiceError;
use crate::entities::platform_settings as ps;
use crate::tenancy::OperatorScope;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ConnectionTrait, EntityTrait, Set};

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
