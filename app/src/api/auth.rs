//! Sign-up, login, logout and the current user.

use crate::dto::CurrentUser;
use crate::error::AppError;
use leptos::prelude::*;

/// Creates a tenant and its account, logs it in and goes to the dashboard.
#[server(endpoint = "auth/signup")]
pub async fn sign_up(email: String, password: String, company: String) -> Result<(), AppError> {
    let call = crate::server::Call::start()?;
    let input = backend::accounts::SignupInput {
        email,
        password,
        company,
        locale: call.locale(),
    };
    let account = backend::accounts::sign_up(call.db(), input).await?;
    call.start_session(account).await?;
    call.redirect_plain_form("/");
    Ok(())
}

/// Checks the credentials (throttled), starts a session and goes to the dashboard.
#[server(endpoint = "auth/login")]
pub async fn log_in(email: String, password: String) -> Result<(), AppError> {
    let call = crate::server::Call::start()?;
    let limits = call.ctx.login_limits;
    let account =
        backend::accounts::log_in(call.db(), &limits, &email, &password, call.client_ip()).await?;
    call.start_session(account).await?;
    // The dashboard opens in the language this account chose last.
    if let Some(locale) = backend::accounts::resolve_session(call.db(), account)
        .await?
        .and_then(|p| p.locale)
    {
        call.set_lang_cookie(locale);
    }
    call.redirect_plain_form("/");
    Ok(())
}

/// Ends the session.
#[server(endpoint = "auth/logout")]
pub async fn log_out() -> Result<(), AppError> {
    let call = crate::server::Call::start()?;
    call.end_session().await?;
    call.redirect_plain_form("/login");
    Ok(())
}

/// The logged-in account, or `None`.
#[server(endpoint = "auth/me")]
pub async fn get_current_user() -> Result<Option<CurrentUser>, AppError> {
    match crate::server::Call::start()?.principal().await {
        Ok(p) => Ok(Some(CurrentUser {
            email: p.email,
            tenant_name: p.tenant_name,
            is_operator: p.operator.is_some(),
            suspended: p.suspended,
        })),
        Err(AppError::Unauthorized) => Ok(None),
        Err(e) => Err(e),
    }
}
