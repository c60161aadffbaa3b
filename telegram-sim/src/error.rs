//! The Bot API's error envelope and Telegram's own error texts.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub code: u16,
    pub description: String,
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(code: u16, description: &str) -> ApiError {
        ApiError {
            code,
            description: description.to_owned(),
            retry_after: None,
        }
    }
    pub fn bad_request(msg: &str) -> ApiError {
        ApiError::new(400, &format!("Bad Request: {msg}"))
    }
    pub fn unauthorized() -> ApiError {
        ApiError::new(401, "Unauthorized")
    }
    pub fn forbidden(msg: &str) -> ApiError {
        ApiError::new(403, &format!("Forbidden: {msg}"))
    }
    pub fn not_found() -> ApiError {
        ApiError::new(404, "Not Found")
    }
    pub fn conflict(msg: &str) -> ApiError {
        ApiError::new(409, &format!("Conflict: {msg}"))
    }
    pub fn too_many(retry_after: u64) -> ApiError {
        ApiError {
            code: 429,
            description: format!("Too Many Requests: retry after {retry_after}"),
            retry_after: Some(retry_after),
        }
    }
    pub fn chat_not_found() -> ApiError {
        ApiError::bad_request("chat not found")
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body =
            json!({"ok": false, "error_code": self.code, "description": self.description});
        if let Some(n) = self.retry_after {
            body["parameters"] = json!({"retry_after": n});
        }
        let status = StatusCode::from_u16(self.code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (status, Json(body)).into_response()
    }
}
