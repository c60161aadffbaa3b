//! The Bot API client: one shared HTTP client, a teloxide `Bot` built per call.
//!
//! teloxide's `Bot` and reqwest's errors carry the token (it is part of every URL):
//! neither is ever formatted. Failures become [`TelegramError`], which holds no text
//! from the request.

use super::meter::{CallCounts, Meter};
use crate::error::TelegramError;
use crate::ids::{BotId, TenantId};
use domain::BotToken;
use teloxide::{ApiError, Bot, RequestError};

/// Where the Bot API lives (`https://api.telegram.org`, a self-hosted
/// telegram-bot-api server, or the simulator in tests) and the client that talks to it.
#[derive(Clone)]
pub struct TelegramApi {
    url: reqwest::Url,
    http: reqwest::Client,
    /// For single sends: a short timeout, so an outbox lease can be short too.
    http_send: reqwest::Client,
    /// Calls counted for the Usage page.
    counts: std::sync::Arc<CallCounts>,
}

impl std::fmt::Debug for TelegramApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TelegramApi({})", self.url)
    }
}

/// The longest a single send may take before it counts as failed (and is retried).
pub const SEND_TIMEOUT_SECS: u64 = 20;

impl TelegramApi {
    /// `url` is the Bot API's base URL, e.g. `https://api.telegram.org`.
    pub fn new(url: &str) -> Result<TelegramApi, String> {
        let url = reqwest::Url::parse(url).map_err(|e| format!("telegram-api-url: {e}"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err("telegram-api-url: must be http or https".into());
        }
        let http = reqwest::Client::builder()
            .connect_timeout(std::time::Duration::from_secs(10))
            .timeout(std::time::Duration::from_secs(70))
            .build()
            .map_err(|e| format!("HTTP client: {e}"))?;
        let http_send = reqwest::Client::builder()
            .connect_timeout(std::time::Duration::from_secs(10))
            .timeout(std::time::Duration::from_secs(SEND_TIMEOUT_SECS))
            .build()
            .map_err(|e| format!("HTTP client: {e}"))?;
        Ok(TelegramApi {
            url,
            http,
            http_send,
            counts: Default::default(),
        })
    }

    /// This process's call counts (written to the database by `ops::usage`).
    pub fn counts(&self) -> &std::sync::Arc<CallCounts> {
        &self.counts
    }

    /// Counts one bot's calls.
    pub fn meter(&self, tenant: TenantId, bot: BotId) -> Meter {
        Meter::new(self.counts.clone(), tenant, bot)
    }

    pub fn url(&self) -> &reqwest::Url {
        &self.url
    }

    /// The shared HTTP client (for calls teloxide does not make for us).
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// `<base>/bot<token>/<method>`. The result is a secret: never log it.
    pub fn method_url(&self, token: &BotToken, method: &str) -> String {
        format!(
            "{}/bot{}/{method}",
            self.url.as_str().trim_end_matches('/'),
            token.expose()
        )
    }

    /// A client for one bot. Cheap: the HTTP client and its connections are shared.
    pub fn bot(&self, token: &BotToken) -> Bot {
        Bot::with_client(token.expose(), self.http.clone()).set_api_url(self.url.clone())
    }

    /// A client for one bot whose calls give up after [`SEND_TIMEOUT_SECS`].
    pub fn sending_bot(&self, token: &BotToken) -> Bot {
        Bot::with_client(token.expose(), self.http_send.clone()).set_api_url(self.url.clone())
    }
}

/// Sorts a teloxide failure of a call to `method` into a [`TelegramError`].
///
/// teloxide reports any body it could not decode as `InvalidJson`: a proxy's HTML error
/// page (Telegram was not reached: `Unavailable`) as well as an `{"ok": true, …}` whose
/// result has another shape than the method's (Telegram, or what stands in for it, took
/// the call: `Unreadable`, naming the method; the raw text is never kept).
pub fn classify(method: &'static str, e: &RequestError) -> TelegramError {
    match e {
        RequestError::Api(ApiError::InvalidToken) => TelegramError::TokenRejected,
        RequestError::Api(_) | RequestError::MigrateToChatId(_) => TelegramError::Refused,
        RequestError::RetryAfter(s) => TelegramError::RetryAfter(u64::from(s.seconds())),
        RequestError::InvalidJson { raw, .. } if answered_ok(raw) => {
            TelegramError::Unreadable(method)
        }
        RequestError::Network(_) | RequestError::InvalidJson { .. } | RequestError::Io(_) => {
            TelegramError::Unavailable
        }
    }
}

/// Whether a body is a Bot API envelope that says `"ok": true`.
pub fn answered_ok(body: &str) -> bool {
    #[derive(serde::Deserialize)]
    struct Envelope {
        ok: bool,
    }
    serde_json::from_str::<Envelope>(body).is_ok_and(|e| e.ok)
}

/// A user blocked the bot.
pub const BLOCKED: &str = "blocked";
/// A user never started the bot (or is unknown to it).
pub const NOT_STARTED: &str = "not_started";
/// A user deleted their account.
pub const DEACTIVATED: &str = "deactivated";
/// The refusals that mean a user cannot be reached by the bot at all.
pub const UNREACHABLE: [&str; 3] = [BLOCKED, NOT_STARTED, DEACTIVATED];

/// Why Telegram would not deliver a message to a user, as a stable code for the notice
/// progress: one of [`UNREACHABLE`], or [`TelegramError::code`].
pub fn refusal(method: &'static str, e: &RequestError) -> &'static str {
    match e {
        RequestError::Api(ApiError::BotBlocked) => BLOCKED,
        RequestError::Api(
            ApiError::CantInitiateConversation | ApiError::ChatNotFound | ApiError::UserNotFound,
        ) => NOT_STARTED,
        RequestError::Api(ApiError::UserDeactivated) => DEACTIVATED,
        RequestError::Api(ApiError::Unknown(s)) if s.contains("initiate conversation") => {
            NOT_STARTED
        }
        RequestError::Api(ApiError::Unknown(s)) if s.contains("blocked by the user") => BLOCKED,
        _ => classify(method, e).code(),
    }
}
