//! Server-only helpers for the server functions: who is calling, where state lives.
//! Compiled only with `ssr`.

use crate::error::AppError;
use crate::i18n::LANG_COOKIE;
use backend::DatabaseConnection;
use backend::accounts::{self, AccountId, Principal};
use backend::throttle::LoginLimits;
use domain::Locale;
use http::HeaderMap;
use http::header::{ACCEPT_LANGUAGE, COOKIE, SET_COOKIE};
use leptos::prelude::*;
use std::net::IpAddr;
use tower_sessions::Session;

/// What server functions need from the running server, provided as context per request.
#[derive(Clone)]
pub struct ServerContext {
    pub db: DatabaseConnection,
    pub login_limits: LoginLimits,
    /// Whether cookies get `Secure` (the public URL is https).
    pub secure_cookies: bool,
}

/// The client's address as the server decided it (peer address, or the proxy's header
/// when the configuration trusts it). Inserted into request extensions by the server.
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub Option<IpAddr>);

const ACCOUNT_KEY: &str = "account";

pub fn ctx() -> Result<ServerContext, AppError> {
    use_context::<ServerContext>().ok_or_else(|| {
        tracing::error!("ServerContext missing from the server-function context");
        AppError::Internal
    })
}

pub async fn session() -> Result<Session, AppError> {
    leptos_axum::extract::<Session>().await.map_err(|e| {
        tracing::error!(error = ?e, "session layer missing");
        AppError::Internal
    })
}

fn session_err(e: tower_sessions::session::Error) -> AppError {
    tracing::error!(error = %e, "session store");
    AppError::Internal
}

/// The authenticated caller, or `Unauthorized`.
pub async fn principal() -> Result<Principal, AppError> {
    let ctx = ctx()?;
    let session = session().await?;
    let Some(id) = session.get::<i32>(ACCOUNT_KEY).await.map_err(session_err)? else {
        return Err(AppError::Unauthorized);
    };
    match accounts::resolve_session(&ctx.db, AccountId(id)).await? {
        Some(p) => Ok(p),
        None => {
            // The account is gone: the session must not linger.
            session.flush().await.map_err(session_err)?;
            Err(AppError::Unauthorized)
        }
    }
}

/// Puts an account into the session with a fresh id (no session fixation).
pub async fn start_session(account: AccountId) -> Result<(), AppError> {
    let session = session().await?;
    session.cycle_id().await.map_err(session_err)?;
    session
        .insert(ACCOUNT_KEY, account.0)
        .await
        .map_err(session_err)?;
    Ok(())
}

pub async fn end_session() -> Result<(), AppError> {
    session().await?.flush().await.map_err(session_err)
}

pub fn client_ip() -> Option<IpAddr> {
    use_context::<http::request::Parts>()
        .and_then(|p| p.extensions.get::<ClientIp>().copied())
        .and_then(|c| c.0)
}

/// The locale of a request: the language cookie, then `Accept-Language`, then zh-CN.
pub fn locale_of(headers: &HeaderMap) -> Locale {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(name, _)| *name == LANG_COOKIE)
        .and_then(|(_, value)| Locale::from_tag(value))
        .or_else(|| {
            headers
                .get(ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .and_then(Locale::negotiate)
        })
        .unwrap_or_default()
}

/// Sets the language cookie on the response (a year; readable by the server only).
pub fn set_lang_cookie(locale: Locale) {
    let secure = ctx().map(|c| c.secure_cookies).unwrap_or(false);
    let cookie = format!(
        "{LANG_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax; HttpOnly{}",
        locale.tag(),
        if secure { "; Secure" } else { "" }
    );
    if let (Some(opts), Ok(value)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        http::HeaderValue::from_str(&cookie),
    ) {
        opts.append_header(SET_COOKIE, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookie_beats_accept_language_which_beats_default() {
        let mut h = HeaderMap::new();
        assert_eq!(locale_of(&h), Locale::ZhCn);
        h.insert(ACCEPT_LANGUAGE, "en-GB,en;q=0.8".parse().unwrap());
        assert_eq!(locale_of(&h), Locale::En);
        h.insert(COOKIE, "a=b; tombola_lang=zh-CN".parse().unwrap());
        assert_eq!(locale_of(&h), Locale::ZhCn);
        h.insert(COOKIE, "tombola_lang=klingon".parse().unwrap());
        assert_eq!(locale_of(&h), Locale::En);
    }
}

/// Redirects a plain HTML form post (no JS) to `path`. A hydrated page calls the server
/// function with `fetch` and moves on by itself (see `auth::provide_auth`), so it gets
/// no redirect header that its router would follow.
pub fn redirect_plain_form(path: &str) {
    let plain_form = use_context::<http::request::Parts>().is_some_and(|p| {
        p.headers
            .get(http::header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("text/html"))
    });
    if plain_form {
        leptos_axum::redirect(path);
    }
}
