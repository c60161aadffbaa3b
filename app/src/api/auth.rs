//! Sign-up, login, logout and the current user.

use crate::dto::CurrentUser;
use crate::error::AppError;
use leptos::prelude::*;

/// Creates a tenant and its account, logs it in and goes to the dashboard.
#[server(endpoint = "auth/signup")]
pub async fn sign_up(email: String, password: String, company: String) -> Result<(), AppError> {
    use crate::server;
    let ctx = server::ctx()?;
    let locale = use_context::<http::request::Parts>()
        .map(|p| server::locale_of(&p.headers))
        .unwrap_or_default();
    let input = backend::accounts::SignupInput {
        email,
        password,
        company,
        locale,
    };
    let account = backend::accounts::sign_up(&ctx.db, input).await?;
    server::start_session(account).await?;
    crate::server::redirect_plain_form("/");
    Ok(())
}

/// Checks the credentials (throttled), starts a session and goes to the dashboard.
#[server(endpoint = "auth/login")]
pub async fn log_in(email: String, password: String) -> Result<(), AppError> {
    use crate::server;
    let ctx = server::ctx()?;
    let account = backend::accounts::log_in(
        &ctx.db,
        &ctx.login_limits,
        &email,
        &password,
        server::client_ip(),
    )
    .await?;
    server::start_session(account).await?;
    // The dashboard opens in the language this account chose last.
    if let Some(locale) = backend::accounts::resolve_session(&ctx.db, account)
        .await?
        .and_then(|p| p.locale)
    {
        server::set_lang_cookie(locale);
    }
    crate::server::redirect_plain_form("/");
    Ok(())
}

/// Ends the session.
#[server(endpoint = "auth/logout")]
pub async fn log_out() -> Result<(), AppError> {
    crate::server::end_session().await?;
    crate::server::redirect_plain_form("/login");
    Ok(())
}

/// The logged-in account, or `None`.
#[server(endpoint = "auth/me")]
pub async fn get_current_user() -> Result<Option<CurrentUser>, AppError> {
    match crate::server::principal().await {
        Ok(p) => Ok(Some(CurrentUser {
            email: p.email,
            tenant_name: p.tenant_name,
            is_operator: p.operator.is_some(),
        })),
        Err(AppError::Unauthorized) => Ok(None),
        Err(e) => Err(e),
    }
}
