//! HTTP answers for [`AppError`]s: the status is `AppError::status` (one table, in `app`),
//! a rate limit adds `Retry-After`. Used by the server-function layer and by the plain
//! routes (CSV and verify downloads) alike.

use app::error::AppError;
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};

/// Sets `parts`' status (and `Retry-After`) for `err`.
pub fn apply(err: &AppError, parts: &mut http::response::Parts) {
    parts.status = status(err);
    if let Some(secs) = err.retry_after_secs()
        && let Ok(v) = HeaderValue::from_str(&secs.to_string())
    {
        parts.headers.insert(header::RETRY_AFTER, v);
    }
}

/// `err`'s status.
pub fn status(err: &AppError) -> StatusCode {
    StatusCode::from_u16(err.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

/// An [`AppError`] as a plain route's answer: its status, and its JSON for clients that
/// read it. A handler returns `Result<_, HttpError>` and uses `?` on services.
#[derive(Debug)]
pub struct HttpError(pub AppError);

impl<E: Into<AppError>> From<E> for HttpError {
    fn from(e: E) -> Self {
        HttpError(e.into())
    }
}

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        let (mut parts, body) = axum::Json(&self.0).into_response().into_parts();
        apply(&self.0, &mut parts);
        Response::from_parts(parts, body)
    }
}
