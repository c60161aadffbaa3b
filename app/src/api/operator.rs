//! Platform-wide controls for the operator.

use crate::dto::{OperatorOverview, TenantDto};
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
        signup_enabled: backend::accounts::platform::signup_enabled(call.db()).await?,
        tenants: backend::accounts::platform::tenant_count(call.db(), &op).await?,
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
    backend::accounts::platform::set_signup_enabled(call.db(), &op, enabled).await?;
    Ok(enabled)
}

/// Every tenant with its plan and bots.
#[server(endpoint = "operator/tenants")]
pub async fn list_tenants() -> Result<Vec<TenantDto>, AppError> {
    let call = crate::server::Call::start()?;
    let op = operator(&call).await?;
    Ok(backend::accounts::platform::tenants(call.db(), &op)
        .await?
        .into_iter()
        .map(|t| TenantDto {
            id: t.public_id.to_string(),
            name: t.name,
            plan: t.plan,
            bots: t.bots,
            giveaways: t.giveaways,
            entries: t.entries,
            last_activity: t
                .last_activity
                .map(|at| at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
            errors_24h: t.errors_24h,
            suspended: t.suspended,
            created_at: t
                .created_at
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        })
        .collect())
}

/// Suspends (`action` = "suspend", with an optional reason shown to the tenant) or resumes
/// (`action` = "resume") a tenant.
#[server(endpoint = "operator/suspend")]
pub async fn set_tenant_suspended(
    tenant: String,
    action: String,
    #[server(default)] reason: String,
) -> Result<(), AppError> {
    let call = crate::server::Call::start()?;
    let op = operator(&call).await?;
    let suspend = match action.as_str() {
        "suspend" => true,
        "resume" => false,
        _ => return Err(AppError::BadRequest),
    };
    let tenant = crate::server::public_id(&tenant)?;
    backend::accounts::platform::set_suspended(call.db(), &op, &tenant, suspend, &reason).await?;
    call.redirect_plain_form("/operator");
    Ok(())
}

/// Puts a tenant on a plan ("starter", "pro", "business").
#[server(endpoint = "operator/plan")]
pub async fn set_tenant_plan(tenant: String, plan: String) -> Result<(), AppError> {
    let call = crate::server::Call::start()?;
    let op = operator(&call).await?;
    let plan = domain::Plan::from_code(&plan).ok_or(AppError::Validation {
        field: domain::Field::Plan,
        code: domain::ValidationError::UnknownPlan,
    })?;
    let tenant = crate::server::public_id(&tenant)?;
    backend::accounts::platform::set_plan(call.db(), &op, &tenant, plan).await?;
    call.redirect_plain_form("/operator");
    Ok(())
}
