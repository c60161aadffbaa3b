//! Bot API calls counted per tenant, bot, minute, method and outcome, in memory as they
//! happen. `ops::usage` writes the counts to `api_calls` every few seconds (and at
//! shutdown); the Usage page and the operator's error figures read them back.

use crate::ids::{BotId, TenantId};
use chrono::Utc;
use std::collections::HashMap;
use std::sync::Mutex;
use teloxide::RequestError;

/// How a call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CallOutcome {
    Ok,
    /// A refusal: 4xx other than 429 (blocked user, bad request, revoked token…).
    ClientError,
    TooManyRequests,
    ServerError,
    /// No answer: connection failed or timed out.
    Network,
}

impl CallOutcome {
    pub const ALL: [CallOutcome; 5] = [
        CallOutcome::Ok,
        CallOutcome::ClientError,
        CallOutcome::TooManyRequests,
        CallOutcome::ServerError,
        CallOutcome::Network,
    ];

    pub fn code(self) -> &'static str {
        match self {
            CallOutcome::Ok => "ok",
            CallOutcome::ClientError => "4xx",
            CallOutcome::TooManyRequests => "429",
            CallOutcome::ServerError => "5xx",
            CallOutcome::Network => "network",
        }
    }

    pub fn from_code(code: &str) -> Option<CallOutcome> {
        CallOutcome::ALL.into_iter().find(|o| o.code() == code)
    }

    /// From an HTTP status (0: no answer).
    pub fn of_status(status: u16) -> CallOutcome {
        match status {
            200..=299 => CallOutcome::Ok,
            429 => CallOutcome::TooManyRequests,
            400..=499 => CallOutcome::ClientError,
            0 => CallOutcome::Network,
            _ => CallOutcome::ServerError,
        }
    }

    /// From teloxide's result.
    pub fn of<T>(result: &Result<T, RequestError>) -> CallOutcome {
        match result {
            Ok(_) => CallOutcome::Ok,
            Err(RequestError::RetryAfter(_)) => CallOutcome::TooManyRequests,
            Err(RequestError::Api(_) | RequestError::MigrateToChatId(_)) => {
                CallOutcome::ClientError
            }
            // An answer that was not the Bot API's JSON: a proxy's or server's error page.
            Err(RequestError::InvalidJson { .. }) => CallOutcome::ServerError,
            Err(RequestError::Network(_) | RequestError::Io(_)) => CallOutcome::Network,
        }
    }
}

/// What one count is of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CallKey {
    pub tenant: TenantId,
    pub bot: BotId,
    /// Minutes since the Unix epoch.
    pub minute: i64,
    pub method: &'static str,
    pub outcome: CallOutcome,
}

/// The counts not yet written. One per process, shared by everything that calls Telegram.
#[derive(Debug, Default)]
pub struct CallCounts {
    pending: Mutex<HashMap<CallKey, i64>>,
}

impl CallCounts {
    fn pending(&self) -> std::sync::MutexGuard<'_, HashMap<CallKey, i64>> {
        self.pending.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn record(&self, tenant: TenantId, bot: BotId, method: &'static str, outcome: CallOutcome) {
        let key = CallKey {
            tenant,
            bot,
            minute: Utc::now().timestamp().div_euclid(60),
            method,
            outcome,
        };
        *self.pending().entry(key).or_default() += 1;
    }

    /// Takes every count out (to be written).
    pub fn drain(&self) -> Vec<(CallKey, i64)> {
        self.pending().drain().collect()
    }

    /// Puts counts back (their write failed; the next one takes them).
    pub fn restore(&self, counts: &[(CallKey, i64)]) {
        let mut pending = self.pending();
        for (k, calls) in counts {
            *pending.entry(*k).or_default() += calls;
        }
    }
}

/// Counts one bot's calls: what the code that calls Telegram for a bot carries.
#[derive(Debug, Clone)]
pub struct Meter {
    counts: std::sync::Arc<CallCounts>,
    tenant: TenantId,
    bot: BotId,
}

impl Meter {
    pub fn new(counts: std::sync::Arc<CallCounts>, tenant: TenantId, bot: BotId) -> Meter {
        Meter {
            counts,
            tenant,
            bot,
        }
    }

    /// Counts a teloxide call's result and hands it back.
    pub fn count<T>(
        &self,
        method: &'static str,
        result: Result<T, RequestError>,
    ) -> Result<T, RequestError> {
        self.counts
            .record(self.tenant, self.bot, method, CallOutcome::of(&result));
        result
    }

    /// Counts a call made without teloxide, by its HTTP status (0: no answer).
    pub fn count_status(&self, method: &'static str, status: u16) {
        self.counts.record(
            self.tenant,
            self.bot,
            method,
            CallOutcome::of_status(status),
        );
    }
}
