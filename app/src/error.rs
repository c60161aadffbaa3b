//! The one error type that crosses the server-function boundary.
//!
//! Variants are stable and carry no internal text: the browser translates them with
//! [`AppError::message`]; their HTTP status is [`AppError::status`], the one place that
//! decides it (server functions and the CSV routes alike). On the server,
//! `From<ServiceError>` logs the cause of database and internal failures and sends only
//! `Internal`.

use crate::i18n::{I18n, Key};
use domain::{Conflict, Field, PlanResource, ValidationError};
use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("invalid {field}: {code}")]
    Validation { field: Field, code: ValidationError },
    #[error("conflict: {what}")]
    Conflict { what: Conflict },
    #[error("wrong email or password")]
    InvalidCredentials,
    #[error("rate limited for {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
    /// Too many logins at once: nothing was done; try again in a moment.
    #[error("busy for {retry_after_secs} s")]
    Busy { retry_after_secs: u64 },
    #[error("sign-up disabled")]
    SignupDisabled,
    #[error("not logged in")]
    Unauthorized,
    #[error("forbidden")]
    Forbidden,
    #[error("not found")]
    NotFound,
    /// A Mini App page was opened without Telegram's data, or (`expired`) long ago.
    #[error("mini app data refused")]
    MiniAppData { expired: bool },
    /// The tenant's plan allows at most `limit` of `what`.
    #[error("plan limit: {limit} {what}")]
    PlanLimit { what: PlanResource, limit: u32 },
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
    /// Telegram said `ok` to `method` in a shape we could not read: not "unreachable".
    #[error("telegram answered {method} unreadably")]
    TelegramUnreadable { method: String },
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
    /// The HTTP status of this error: 400, 401, 403, 404, 409, 429, 502, 503 or 500. The
    /// server's layer gives every server function's error this status (server_fn would
    /// answer 500 to all), and the CSV routes answer with it too.
    pub fn status(&self) -> u16 {
        match self {
            AppError::Validation { .. }
            | AppError::BadRequest
            | AppError::TelegramRejectedToken
            | AppError::TelegramRefused => 400,
            AppError::InvalidCredentials
            | AppError::Unauthorized
            | AppError::MiniAppData { .. } => 401,
            AppError::Forbidden
            | AppError::SignupDisabled
            | AppError::PlanLimit { .. }
            | AppError::Suspended { .. } => 403,
            AppError::NotFound => 404,
            AppError::Conflict { .. } => 409,
            AppError::RateLimited { .. } => 429,
            AppError::TelegramUnavailable | AppError::TelegramUnreadable { .. } => 502,
            AppError::Busy { .. } => 503,
            AppError::Internal => 500,
        }
    }

    /// Seconds to wait before trying again, for a `Retry-After` header.
    pub fn retry_after_secs(&self) -> Option<u64> {
        match self {
            AppError::RateLimited { retry_after_secs } | AppError::Busy { retry_after_secs } => {
                Some(*retry_after_secs)
            }
            _ => None,
        }
    }

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
            AppError::Conflict { what } => i18n
                .t(match what {
                    Conflict::Email => Key::ErrEmailTaken,
                    Conflict::Bot => Key::ErrBotAlreadyYours,
                    Conflict::BotElsewhere => Key::ErrBotElsewhere,
                    Conflict::NoReserveLeft => Key::ErrNoReserveLeft,
                    Conflict::PrizeCodes => Key::ErrPrizeCodes,
                    w if w.is_giveaway_lock() => Key::ErrGiveawayLocked,
                    _ => Key::ErrConflict,
                })
                .to_owned(),
            AppError::InvalidCredentials => i18n.t(Key::ErrInvalidCredentials).to_owned(),
            AppError::Busy { .. } => i18n.t(Key::ErrBusy).to_owned(),
            AppError::RateLimited { retry_after_secs } => i18n.t(Key::ErrRateLimited).replace(
                "{minutes}",
                &retry_after_secs.div_ceil(60).max(1).to_string(),
            ),
            AppError::SignupDisabled => i18n.t(Key::ErrSignupDisabled).to_owned(),
            AppError::Unauthorized => i18n.t(Key::ErrUnauthorized).to_owned(),
            AppError::Forbidden => i18n.t(Key::ErrForbidden).to_owned(),
            AppError::NotFound => i18n.t(Key::ErrNotFound).to_owned(),
            AppError::MiniAppData { expired: true } => i18n.t(Key::ErrMiniAppExpired).to_owned(),
            AppError::MiniAppData { expired: false } => i18n.t(Key::ErrMiniAppData).to_owned(),
            AppError::PlanLimit { what, limit } => i18n
                .t(match what {
                    PlanResource::Bots => Key::ErrPlanBots,
                    PlanResource::OpenGiveaways => Key::ErrPlanOpenGiveaways,
                    PlanResource::Entries => Key::ErrPlanEntries,
                })
                .replace("{limit}", &limit.to_string()),
            AppError::Suspended { reason } => suspended_message(i18n, reason.as_deref()),
            AppError::TelegramRejectedToken => i18n.t(Key::ErrTelegramRejectedToken).to_owned(),
            AppError::TelegramUnavailable => i18n.t(Key::ErrTelegramUnavailable).to_owned(),
            AppError::TelegramRefused => i18n.t(Key::ErrTelegramRefused).to_owned(),
            AppError::TelegramUnreadable { method } => i18n
                .t(Key::ErrTelegramUnreadable)
                .replace("{method}", method),
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

fn field_label(field: &Field) -> Key {
    match field {
        Field::Email => Key::Email,
        Field::Password => Key::Password,
        Field::Company => Key::Company,
        Field::TimeZone => Key::TimeZone,
        Field::BotLocale => Key::BotLanguage,
        Field::Language => Key::Language,
        Field::Token => Key::BotToken,
        Field::Mode => Key::BotMode,
        Field::Plan => Key::Plan,
        Field::Reason => Key::SuspendReason,
        Field::Title => Key::GaTitle,
        Field::Description => Key::GaDescription,
        Field::Prizes => Key::GaPrizes,
        Field::Reserves => Key::GaReserves,
        Field::StartsAt => Key::GaStartsAt,
        Field::EndsAt => Key::GaEndsAt,
        Field::Bot => Key::GaBot,
        Field::Conditions => Key::GaConditions,
        Field::MaxEntries => Key::GaMaxEntries,
        Field::RerollNumber => Key::GaRerollNumber,
        Field::RerollReason => Key::GaRerollReason,
        Field::ClaimHours => Key::GaClaimHours,
        Field::ReferralCap => Key::GaReferralCap,
        Field::PastWinnerDays => Key::GaPastWinnerDays,
        Field::BoostChat => Key::GaBoostChat,
        Field::BoostTicketsCap => Key::GaBoostTicketsCap,
        Field::Chat => Key::GaAnnounceChat,
        Field::Codes => Key::GaCodesText,
        Field::CodePrize => Key::GaCodesPrize,
        Field::MinAccountDays => Key::GaMinAccountDays,
    }
}

#[cfg(feature = "ssr")]
impl From<backend::ServiceError> for AppError {
    fn from(e: backend::ServiceError) -> Self {
        use backend::ServiceError as S;
        match e {
            S::Validation { field, error } => AppError::Validation { field, code: error },
            S::Conflict(what) => AppError::Conflict { what },
            S::InvalidCredentials => AppError::InvalidCredentials,
            S::RateLimited { retry_after_secs } => AppError::RateLimited { retry_after_secs },
            S::Busy { retry_after_secs } => AppError::Busy { retry_after_secs },
            S::SignupDisabled => AppError::SignupDisabled,
            S::NotFound => AppError::NotFound,
            S::MiniAppData { expired } => AppError::MiniAppData { expired },
            S::Forbidden => AppError::Forbidden,
            S::PlanLimit { what, limit } => AppError::PlanLimit { what, limit },
            S::Suspended { reason } => AppError::Suspended { reason },
            S::Telegram(t) => {
                use backend::error::TelegramError as T;
                match t {
                    T::TokenRejected => AppError::TelegramRejectedToken,
                    T::Unavailable | T::RetryAfter(_) => AppError::TelegramUnavailable,
                    T::Refused => AppError::TelegramRefused,
                    T::Unreadable(method) => AppError::TelegramUnreadable {
                        method: method.to_owned(),
                    },
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Every variant and the status it answers with: the one table.
    #[test]
    fn each_error_has_its_http_status() {
        let table = [
            (
                AppError::Validation {
                    field: Field::Email,
                    code: ValidationError::Required,
                },
                400,
            ),
            (AppError::BadRequest, 400),
            (AppError::TelegramRejectedToken, 400),
            (AppError::TelegramRefused, 400),
            (AppError::InvalidCredentials, 401),
            (AppError::Unauthorized, 401),
            (AppError::MiniAppData { expired: true }, 401),
            (AppError::Forbidden, 403),
            (AppError::SignupDisabled, 403),
            (
                AppError::PlanLimit {
                    what: PlanResource::Bots,
                    limit: 2,
                },
                403,
            ),
            (AppError::Suspended { reason: None }, 403),
            (AppError::NotFound, 404),
            (
                AppError::Conflict {
                    what: Conflict::Email,
                },
                409,
            ),
            (
                AppError::RateLimited {
                    retry_after_secs: 60,
                },
                429,
            ),
            (AppError::TelegramUnavailable, 502),
            (
                AppError::TelegramUnreadable {
                    method: "getMe".into(),
                },
                502,
            ),
            (
                AppError::Busy {
                    retry_after_secs: 1,
                },
                503,
            ),
            (AppError::Internal, 500),
        ];
        for (e, status) in &table {
            assert_eq!(e.status(), *status, "{e:?}");
        }
        assert_eq!(
            AppError::RateLimited {
                retry_after_secs: 60
            }
            .retry_after_secs(),
            Some(60)
        );
        assert_eq!(AppError::NotFound.retry_after_secs(), None);
    }

    /// The wire keeps the codes the dashboard always sent.
    #[test]
    fn typed_reasons_cross_the_wire_as_their_codes() {
        let e = AppError::Conflict {
            what: Conflict::BotElsewhere,
        };
        let json = serde_json::to_string(&e).unwrap();
        assert_eq!(json, r#"{"Conflict":{"what":"bot_elsewhere"}}"#);
        assert_eq!(serde_json::from_str::<AppError>(&json).unwrap(), e);
        let e = AppError::Validation {
            field: Field::MaxEntries,
            code: ValidationError::CapBelowWinners,
        };
        assert_eq!(
            serde_json::to_string(&e).unwrap(),
            r#"{"Validation":{"field":"max_entries","code":"CapBelowWinners"}}"#
        );
    }
}
