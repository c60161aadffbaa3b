//! Service errors.
//!
//! Policy: services return [`ServiceError`]. Every variant but `Database` and `Internal`
//! describes something the caller did and carries a typed reason ([`Field`],
//! [`Conflict`], [`PlanResource`], [`TelegramError`]) that is safe to show, translated,
//! to the user. `Database` and `Internal` carry the cause for the server log only: the
//! server-function boundary logs them and sends the browser a generic message. The HTTP
//! status of each is decided in one place, `app::error::AppError::status`.
//! Unique-constraint violations are mapped once, in [`on_unique`].
//!
//! Foundation: imports nothing of this crate.

use domain::{Conflict, Field, PlanResource, StatusReason, ValidationError};

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("invalid {field}: {error}")]
    Validation {
        field: Field,
        error: ValidationError,
    },
    #[error("conflict: {0}")]
    Conflict(Conflict),
    #[error("wrong email or password")]
    InvalidCredentials,
    #[error("too many attempts; retry in {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
    /// The server has too much of this work in hand (password hashing); nothing was done.
    #[error("busy; retry in {retry_after_secs} s")]
    Busy { retry_after_secs: u64 },
    #[error("self-service sign-up is closed")]
    SignupDisabled,
    #[error("not found")]
    NotFound,
    /// A Mini App's `initData` was missing, unreadable or (`expired`) too old to trust.
    #[error("the Mini App's data was refused")]
    MiniAppData { expired: bool },
    #[error("forbidden")]
    Forbidden,
    /// The tenant's plan allows at most `limit` of `what`.
    #[error("the plan allows {limit} {what}")]
    PlanLimit { what: PlanResource, limit: u32 },
    /// The operator suspended the tenant: its dashboard is read-only.
    #[error("the tenant is suspended")]
    Suspended { reason: Option<String> },
    #[error("telegram: {0}")]
    Telegram(#[from] TelegramError),
    #[error("database: {0}")]
    Database(#[from] sea_orm::DbErr),
    #[error("internal: {0}")]
    Internal(String),
}

impl ServiceError {
    /// `map_err(ServiceError::validation(Field::Email))`.
    pub fn validation(field: Field) -> impl FnOnce(ValidationError) -> ServiceError {
        move |error| ServiceError::Validation { field, error }
    }

    /// An invalid `field` right away.
    pub fn invalid(field: Field, error: ValidationError) -> ServiceError {
        ServiceError::Validation { field, error }
    }
}

/// Maps a unique-constraint violation to `Conflict(what)`; any other error passes through.
pub fn on_unique(what: Conflict) -> impl FnOnce(sea_orm::DbErr) -> ServiceError {
    move |e| match e.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => ServiceError::Conflict(what),
        _ => ServiceError::Database(e),
    }
}

/// How a Bot API call failed, without any of its text (the request's URL holds the
/// token, so no text of teloxide's or reqwest's errors is ever kept).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TelegramError {
    /// 401: the token is wrong or was revoked in @BotFather.
    #[error("Telegram rejected the token")]
    TokenRejected,
    /// The Bot API could not be reached or answered with a server error.
    #[error("Telegram is unreachable")]
    Unavailable,
    /// 429 with the seconds to wait.
    #[error("Telegram asks to retry after {0} s")]
    RetryAfter(u64),
    /// Any other refusal (a 4xx with a description).
    #[error("Telegram refused the request")]
    Refused,
    /// The Bot API said `ok` to this method but its answer was not of the documented
    /// shape (an odd proxy or emulator, or a Bot API change): the call went through,
    /// its result cannot be used. Not a reason to retry as if unreachable.
    #[error("Telegram answered {0} with something we could not read")]
    Unreadable(&'static str),
}

impl TelegramError {
    /// Why a bot stands as it does after this failure (for the Bots page).
    pub fn reason(self) -> StatusReason {
        match self {
            TelegramError::TokenRejected => StatusReason::TokenRejected,
            TelegramError::Unavailable => StatusReason::Unavailable,
            TelegramError::RetryAfter(_) => StatusReason::RetryAfter,
            TelegramError::Refused => StatusReason::Refused,
            TelegramError::Unreadable(_) => StatusReason::Unreadable,
        }
    }

    /// The reason's stable code.
    pub fn code(self) -> &'static str {
        self.reason().code()
    }
}
