//! The one error type that crosses the server-function boundary.
//!
//! Variants are stable and carry no internal text: the browser translates them with
//! [`AppError::message`]. On the server, `From<ServiceError>` logs the cause of
//! database and internal failures and sends only `Internal`.

use crate::i18n::{I18n, Key};
use domain::ValidationError;
use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("invalid {field}: {code}")]
    Validation {
        field: String,
        code: ValidationError,
    },
    #[error("{what} already exists")]
    Conflict { what: String },
    #[error("wrong email or password")]
    InvalidCredentials,
    #[error("rate limited for {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
    #[error("sign-up disabled")]
    SignupDisabled,
    #[error("not logged in")]
    Unauthorized,
    #[error("forbidden")]
    Forbidden,
    #[error("not found")]
    NotFound,
    /// The tenant's plan allows at most `limit` of `what` ("bots", "open_giveaways",
    /// "entries").
    #[error("plan limit: {limit} {what}")]
    PlanLimit { what: String, limit: u32 },
    /// The operator suspended this tenant: nothing can be changed until it is resumed.
    #[error("tenant suspended")]
    Suspended { reason: Option<String> },
    /// Telegram said the bot token is wrong or revoked.
    #[error("telegram rejected the token")]
    TelegramRejectedToken,
    /// Telegram could not be reached, or asked us to slow down.
    #[error("telegram unavailable")]
    TelegramUnavailable,
    /// Telegram refused the request for another reason.
    #[error("telegram refused")]
    TelegramRefused,
    /// The request could not be read: a missing or malformed argument, a network error.
    #[error("bad request")]
    BadRequest,
    #[error("internal error")]
    Internal,
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Args(_)
            | ServerFnErrorErr::MissingArg(_)
            | ServerFnErrorErr::Request(_)
            | ServerFnErrorErr::Deserialization(_)
            | ServerFnErrorErr::Serialization(_) => AppError::BadRequest,
            _ => AppError::Internal,
        }
    }
}

impl AppError {
    /// A sentence for the user, in the current language.
    pub fn message(&self, i18n: &I18n) -> String {
        match self {
            AppError::Validation { field, code } => {
                let key = match code {
                    ValidationError::Required => Key::ErrRequired,
                    ValidationError::TooLong => Key::ErrTooLong,
                    ValidationError::TooShort => Key::ErrTooShort,
                    ValidationError::InvalidEmail => Key::ErrInvalidEmail,
                    ValidationError::ForbiddenCharacters => Key::ErrForbiddenCharacters,
                    ValidationError::UnknownTimeZone => Key::ErrUnknownTimeZone,
                    ValidationError::UnsupportedLanguage => Key::ErrUnsupportedLanguage,
                    ValidationError::InvalidBotToken => Key::ErrInvalidBotToken,
                    ValidationError::DifferentBot => Key::ErrDifferentBot,
                    ValidationError::WebhookNeedsHttps => Key::ErrWebhookNeedsHttps,
                    ValidationError::UnknownPlan => Key::ErrUnknownPlan,
                    ValidationError::InvalidNumber => Key::ErrInvalidNumber,
                    ValidationError::InvalidDateTime => Key::ErrInvalidDateTime,
                    ValidationError::EndBeforeStart => Key::ErrEndBeforeStart,
                    ValidationError::InPast => Key::ErrInPast,
                    ValidationError::InvalidChat => Key::ErrInvalidChat,
                    ValidationError::TooMany => Key::ErrTooMany,
                    ValidationError::CapBelowWinners => Key::ErrCapBelowWinners,
                    ValidationError::InvalidPrizeLine => Key::ErrInvalidPrizeLine,
                };
                i18n.t(key).replace("{field}", i18n.t(field_label(field)))
            }
            AppError::Conflict { what } if what == "email" => i18n.t(Key::ErrEmailTaken).to_owned(),
            AppError::Conflict { what } if what == "bot" => {
                i18n.t(Key::ErrBotAlreadyYours).to_owned()
            }
            AppError::Conflict { what } if what == "bot_elsewhere" => {
                i18n.t(Key::ErrBotElsewhere).to_owned()
            }
            AppError::Conflict { what } if what.starts_with("giveaway_") => {
                i18n.t(Key::ErrGiveawayLocked).to_owned()
            }
            AppError::Conflict { .. } => i18n.t(Key::ErrConflict).to_owned(),
            AppError::InvalidCredentials => i18n.t(Key::ErrInvalidCredentials).to_owned(),
            AppError::RateLimited { retry_after_secs } => i18n.t(Key::ErrRateLimited).replace(
                "{minutes}",
                &retry_after_secs.div_ceil(60).max(1).to_string(),
            ),
            AppError::SignupDisabled => i18n.t(Key::ErrSignupDisabled).to_owned(),
            AppError::Unauthorized => i18n.t(Key::ErrUnauthorized).to_owned(),
            AppError::Forbidden => i18n.t(Key::ErrForbidden).to_owned(),
            AppError::NotFound => i18n.t(Key::ErrNotFound).to_owned(),
            AppError::PlanLimit { what, limit } => i18n
                .t(match what.as_str() {
                    "bots" => Key::ErrPlanBots,
                    "open_giveaways" => Key::ErrPlanOpenGiveaways,
                    _ => Key::ErrPlanEntries,
                })
                .replace("{limit}", &limit.to_string()),
            AppError::Suspended { reason } => suspended_message(i18n, reason.as_deref()),
            AppError::TelegramRejectedToken => i18n.t(Key::ErrTelegramRejectedToken).to_owned(),
            AppError::TelegramUnavailable => i18n.t(Key::ErrTelegramUnavailable).to_owned(),
            AppError::TelegramRefused => i18n.t(Key::ErrTelegramRefused).to_owned(),
            AppError::BadRequest => i18n.t(Key::ErrBadRequest).to_owned(),
            AppError::Internal => i18n.t(Key::ErrInternal).to_owned(),
        }
    }
}

/// Why the tenant cannot change anything, with the operator's reason when one was given.
pub fn suspended_message(i18n: &I18n, reason: Option<&str>) -> String {
    match reason.filter(|r| !r.is_empty()) {
        Some(r) => i18n.t(Key::SuspendedBecause).replace("{reason}", r),
        None => i18n.t(Key::Suspended).to_owned(),
    }
}

fn field_label(field: &str) -> Key {
    match field {
        "email" => Key::Email,
        "password" => Key::Password,
        "company" => Key::Company,
        "time_zone" => Key::TimeZone,
        "bot_locale" => Key::BotLanguage,
        "token" => Key::BotToken,
        "mode" => Key::BotMode,
        "plan" => Key::Plan,
        "title" => Key::GaTitle,
        "description" => Key::GaDescription,
        "prizes" => Key::GaPrizes,
        "reserves" => Key::GaReserves,
        "starts_at" => Key::GaStartsAt,
        "ends_at" => Key::GaEndsAt,
        "bot" => Key::GaBot,
        "conditions" => Key::GaConditions,
        "max_entries" => Key::GaMaxEntries,
        "chat" => Key::GaAnnounceChat,
        _ => Key::ErrBadRequest,
    }
}

#[cfg(feature = "ssr")]
impl From<backend::ServiceError> for AppError {
    fn from(e: backend::ServiceError) -> Self {
        use backend::ServiceError as S;
        match e {
            S::Validation { field, error } => AppError::Validation {
                field: field.to_owned(),
                code: error,
            },
            S::Conflict(what) => AppError::Conflict {
                what: what.to_owned(),
            },
            S::InvalidCredentials => AppError::InvalidCredentials,
            S::RateLimited { retry_after_secs } => AppError::RateLimited { retry_after_secs },
            S::SignupDisabled => AppError::SignupDisabled,
            S::NotFound => AppError::NotFound,
            S::Forbidden => AppError::Forbidden,
            S::PlanLimit { what, limit } => AppError::PlanLimit {
                what: what.to_owned(),
                limit,
            },
            S::Suspended { reason } => AppError::Suspended { reason },
            S::Telegram(t) => {
                use backend::telegram::TelegramError as T;
                match t {
                    T::TokenRejected => AppError::TelegramRejectedToken,
                    T::Unavailable | T::RetryAfter(_) => AppError::TelegramUnavailable,
                    T::Refused => AppError::TelegramRefused,
                }
            }
            S::Database(e) => {
                tracing::error!(error = %e, "database error in a server function");
                AppError::Internal
            }
            S::Internal(e) => {
                tracing::error!(error = %e, "internal error in a server function");
                AppError::Internal
            }
        }
    }
}
