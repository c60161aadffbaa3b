//! Service errors.
//!
//! Policy: services return [`ServiceError`]. Variants other than `Database` and
//! `Internal` describe something the caller did and are safe to show (translated) to the
//! user. `Database` and `Internal` carry the cause for the server log only: the
//! server-function boundary logs them and sends the browser a generic message.
//! Unique-constraint violations are mapped once, in [`on_unique`].

use domain::ValidationError;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("invalid {field}: {error}")]
    Validation {
        field: &'static str,
        error: ValidationError,
    },
    #[error("{0} already exists")]
    Conflict(&'static str),
    #[error("wrong email or password")]
    InvalidCredentials,
    #[error("too many attempts; retry in {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
    #[error("self-service sign-up is closed")]
    SignupDisabled,
    #[error("not found")]
    NotFound,
    #[error("forbidden")]
    Forbidden,
    /// The tenant's plan allows at most `limit` of `what` (e.g. "bots").
    #[error("the plan allows {limit} {what}")]
    PlanLimit { what: &'static str, limit: u32 },
    /// The operator suspended the tenant: its dashboard is read-only.
    #[error("the tenant is suspended")]
    Suspended { reason: Option<String> },
    #[error("telegram: {0}")]
    Telegram(#[from] crate::telegram::TelegramError),
    #[error("database: {0}")]
    Database(#[from] sea_orm::DbErr),
    #[error("internal: {0}")]
    Internal(String),
}

impl ServiceError {
    pub fn validation(field: &'static str) -> impl FnOnce(ValidationError) -> ServiceError {
        move |error| ServiceError::Validation { field, error }
    }
}

/// Maps a unique-constraint violation to `Conflict(what)`; any other error passes through.
pub fn on_unique(what: &'static str) -> impl FnOnce(sea_orm::DbErr) -> ServiceError {
    move |e| match e.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => ServiceError::Conflict(what),
        _ => ServiceError::Database(e),
    }
}
