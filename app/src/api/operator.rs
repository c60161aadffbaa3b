//! Platform-wide controls for the operator.

use crate::dto::OperatorOverview;
use crate::error::AppError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
async fn operator(call: &crate::server::Call) -> Result<backend::tenancy::OperatorScope, AppError> {
    call.principal().await?.operator.ok_or(AppError::Forbidden)
}

#[server(endpoint = "operator/overview")]
pub async fn get_operator_overview() -> Result<OperatorOverview, AppError> {
    let call = crate::server::Call::start()?;
    let op = operator(&call).await?;
    Ok(OperatorOverview {
        signup_enabled: backend::platform::signup_enabled(call.db()).await?,
        tenants: backend::platform::tenant_count(call.db(), &op).await?,
    })
}

/// `enabled` is "true" or "false": two submit buttons, so the form works without JS.
#[server(endpoint = "operator/signup")]
pub async fn set_signup_enabled(enabled: String) -> Result<bool, AppError> {
    let call = crate::server::Call::start()?;
    let op = operator(&call).await?;
    let enabled = match enabled.as_str() {
        "true" => true,
        "false" => false,
        _ => return Err(AppError::BadRequest),
    };
    backend::platform::set_signup_enabled(call.db(), &op, enabled).await?;
    Ok(enabled)
}
