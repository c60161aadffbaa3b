//! `POST /tg/<webhook id>`: where Telegram delivers a bot's updates.
//!
//! Unknown id → 404; wrong or missing secret header → 401 (compared in constant time);
//! body over the cap → 413; not an update → 400; otherwise the update is written to the
//! inbox and only then answered 200 (many deliveries share one commit: see
//! `backend::telegram::inbox::InboxWriter`). A replayed update finds its twin and is answered
//! 200 too, so Telegram stops retrying; unknown update kinds are stored like any other.

use crate::startup::AppState;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use backend::Deps;
use backend::telegram::inbox::{InboxWriter, IncomingUpdate};
use subtle::ConstantTimeEq;

/// Telegram's updates are a few KiB; a cap far above that still bounds the work.
pub const MAX_UPDATE_BYTES: usize = 1024 * 1024;
pub const SECRET_HEADER: &str = "x-telegram-bot-api-secret-token";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/tg/{webhook_id}", post(receive))
        .layer(DefaultBodyLimit::max(MAX_UPDATE_BYTES))
}

async fn receive(
    State(deps): State<Deps>,
    State(inbox): State<InboxWriter>,
    Path(webhook_id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, &'static str) {
    let target = match backend::bots::webhook_target(&deps, &webhook_id).await {
        Ok(Some(t)) => {
            let span = tracing::Span::current();
            span.record("tenant", t.tenant_id.0);
            span.record("bot", t.bot_id.0);
            t
        }
        Ok(None) => return (StatusCode::NOT_FOUND, "unknown webhook\n"),
        Err(e) => {
            tracing::error!(error = %e, "webhook lookup failed");
            return (StatusCode::INTERNAL_SERVER_ERROR, "try again\n");
        }
    };
    let expected = &target.secret;
    let given = headers
        .get(SECRET_HEADER)
        .map(|v| v.as_bytes())
        .unwrap_or_default();
    if !bool::from(given.ct_eq(expected.as_bytes())) {
        tracing::warn!(
            bot = %target.bot_id,
            "webhook delivery with a wrong or missing secret"
        );
        return (StatusCode::UNAUTHORIZED, "bad secret\n");
    }
    let update = match IncomingUpdate::parse(&body) {
        Ok(u) => u,
        Err(e) => {
            tracing::warn!(bot = %target.bot_id, error = %e, "webhook body is not an update");
            return (StatusCode::BAD_REQUEST, "not an update\n");
        }
    };
    let update_id = update.update_id;
    // The writer wakes the workers (and other processes) once per batch it commits.
    match inbox.store(target.bot_id, update).await {
        Ok(new) => {
            tracing::debug!(
                bot = %target.bot_id,
                tenant = %target.tenant_id,
                update_id,
                new,
                "update stored"
            );
            (StatusCode::OK, "ok\n")
        }
        Err(e) => {
            // Not stored, so not acknowledged: Telegram retries it.
            tracing::error!(bot = %target.bot_id, error = %e, "inbox insert failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "try again\n")
        }
    }
}
