//! Server-only helpers for the server functions: who is calling, where state lives.
//! Compiled only with `ssr`.

use crate::error::AppError;
use crate::i18n::{LANG_COOKIE, locale_of};
use backend::accounts::{self, LoginLimits, Principal};
use backend::ids::AccountId;
use backend::{DatabaseConnection, Deps};
use domain::{Locale, PublicId};
use http::header::SET_COOKIE;
use leptos::prelude::*;
use std::net::IpAddr;
use tower_sessions::Session;

/// What server functions need from the running server, provided as context per request.
#[derive(Clone)]
pub struct ServerContext {
    /// The process's shared parts (database, cipher, Bot API, clock, wake-ups…).
    pub deps: Deps,
    pub login_limits: LoginLimits,
    /// Whether cookies get `Secure` (the public URL is https).
    pub secure_cookies: bool,
    /// The bots' join queue, for joins from the Mini App.
    pub joiner: backend::giveaways::joiner::WeakJoiner,
}

/// The client's address as the server decided it (peer address, or the proxy's header
/// when the configuration trusts it). Inserted into request extensions by the server.
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub Option<IpAddr>);

/// The session key holding the signed-in account's id.
pub const ACCOUNT_KEY: &str = "account";

/// Everything a server function needs from its request, read once at its start.
///
/// The request's log span, put in the request's extensions by the server, so the tenant
/// can be recorded on it once the session is resolved (the code of a server function
/// runs in spans of its own, which would not carry it).
#[derive(Clone, Debug)]
pub struct RequestSpan(pub tracing::Span);

/// Leptos provides these as context, but a server function that the server calls for
/// itself while rendering a page can resume after an `.await` outside that context;
/// reading them all up front makes every later step independent of it.
#[derive(Clone)]
pub struct Call {
    pub ctx: ServerContext,
    parts: http::request::Parts,
    response: Option<leptos_axum::ResponseOptions>,
}

impl Call {
    /// Reads the request's context. Call before the first `.await`.
    #[track_caller]
    pub fn start() -> Result<Call, AppError> {
        let caller = std::panic::Location::caller();
        let (Some(ctx), Some(parts)) = (
            use_context::<ServerContext>(),
            use_context::<http::request::Parts>(),
        ) else {
            tracing::error!(%caller, "server function called without its request context");
            return Err(AppError::Internal);
        };
        Ok(Call {
            ctx,
            parts,
            response: use_context::<leptos_axum::ResponseOptions>(),
        })
    }

    pub fn db(&self) -> &DatabaseConnection {
        &self.ctx.deps.db
    }

    pub fn deps(&self) -> &Deps {
        &self.ctx.deps
    }

    fn session(&self) -> Result<Session, AppError> {
        self.parts
            .extensions
            .get::<Session>()
            .cloned()
            .ok_or_else(|| {
                tracing::error!("session layer missing");
                AppError::Internal
            })
    }

    /// The authenticated caller, or `Unauthorized`.
    pub async fn principal(&self) -> Result<Principal, AppError> {
        let session = self.session()?;
        let Some(id) = session.get::<i32>(ACCOUNT_KEY).await.map_err(session_err)? else {
            return Err(AppError::Unauthorized);
        };
        match accounts::resolve_session(self.db(), AccountId(id)).await? {
            Some(p) => {
                // The request's log lines carry the tenant from here on.
                if let Some(span) = self.parts.extensions.get::<RequestSpan>() {
                    span.0.record("tenant", p.scope.tenant_id().0);
                }
                Ok(p)
            }
            None => {
                // The account is gone: the session must not linger.
                session.flush().await.map_err(session_err)?;
                Err(AppError::Unauthorized)
            }
        }
    }

    /// Puts an account into the session with a fresh id (no session fixation).
    pub async fn start_session(&self, account: AccountId) -> Result<(), AppError> {
        let session = self.session()?;
        session.cycle_id().await.map_err(session_err)?;
        session
            .insert(ACCOUNT_KEY, account.0)
            .await
            .map_err(session_err)?;
        Ok(())
    }

    pub async fn end_session(&self) -> Result<(), AppError> {
        self.session()?.flush().await.map_err(session_err)
    }

    pub fn client_ip(&self) -> Option<IpAddr> {
        self.parts.extensions.get::<ClientIp>().and_then(|c| c.0)
    }

    /// The request's locale (see [`locale_of`]).
    pub fn locale(&self) -> Locale {
        locale_of(&self.parts.headers)
    }

    /// Sets the language cookie on the response (a year; readable by the server only).
    pub fn set_lang_cookie(&self, locale: Locale) {
        let cookie = format!(
            "{LANG_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax; HttpOnly{}",
            locale.tag(),
            if self.ctx.secure_cookies {
                "; Secure"
            } else {
                ""
            }
        );
        if let (Some(opts), Ok(value)) = (&self.response, http::HeaderValue::from_str(&cookie)) {
            opts.append_header(SET_COOKIE, value);
        }
    }

    /// Redirects a plain HTML form post (no JS) to `path`. A hydrated page calls the
    /// server function with `fetch` and moves on by itself (see `auth::reload_on_success`),
    /// so it gets no redirect header that its router would follow.
    pub fn redirect_plain_form(&self, path: &str) {
        let plain_form = self
            .parts
            .headers
            .get(http::header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("text/html"));
        if let (true, Some(opts), Ok(location)) = (
            plain_form,
            &self.response,
            http::HeaderValue::from_str(path),
        ) {
            opts.set_status(http::StatusCode::FOUND);
            opts.insert_header(http::header::LOCATION, location);
        }
    }
}

fn session_err(e: tower_sessions::session::Error) -> AppError {
    tracing::error!(error = %e, "session store");
    AppError::Internal
}

/// A public id from a request; one that cannot be ours is "not found" at once.
pub fn public_id(raw: &str) -> Result<PublicId, AppError> {
    PublicId::parse(raw.trim()).ok_or(AppError::NotFound)
}
