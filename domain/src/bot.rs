//! A tenant's bot as the platform runs it: how it receives its updates and how it stands.
//! Shared by the services, the `bots` table's columns and the Bots page.

use crate::coded::coded;

coded! {
    /// How a bot receives its updates.
    pub enum BotMode {
        /// Telegram delivers to `<public-url>/tg/<webhook id>` (needs https).
        Webhook = "webhook",
        /// This process long-polls `getUpdates`.
        Polling = "polling",
    }
}

coded! {
    /// How a bot stands, as its tenant sees it.
    pub enum BotStatus {
        /// Telegram delivers to us (or answers our polls).
        Live = "live",
        /// Disabled, or not yet live (see the reason).
        Stopped = "stopped",
        /// Telegram rejected the token: silent until the tenant pastes a new one.
        Revoked = "revoked",
        /// Something failed (see the reason); retried.
        Error = "error",
    }
}

coded! {
    /// Why a bot has the status it has.
    pub enum StatusReason {
        /// Waiting for the poller's first answer.
        Starting = "starting",
        /// Telegram answered 401: the token was revoked in @BotFather.
        TokenRejected = "token_rejected",
        /// The sealed token does not open with this server's key.
        TokenUnreadable = "token_unreadable",
        /// Telegram could not be reached or answered with a server error.
        Unavailable = "unavailable",
        /// Telegram asked to slow down (429).
        RetryAfter = "retry_after",
        /// Telegram refused the request.
        Refused = "refused",
        /// Telegram (or what stands in for it) answered in a shape we could not read.
        Unreadable = "unreadable",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_through_serde_and_from_code() {
        for m in BotMode::ALL {
            assert_eq!(BotMode::from_code(m.code()), Some(*m));
            assert_eq!(
                serde_json::to_string(m).unwrap(),
                format!("\"{}\"", m.code())
            );
        }
        for s in BotStatus::ALL {
            assert_eq!(
                serde_json::from_str::<BotStatus>(&format!("\"{s}\"")).unwrap(),
                *s
            );
        }
        assert_eq!(
            StatusReason::from_code("token_rejected"),
            Some(StatusReason::TokenRejected)
        );
        assert_eq!(BotMode::from_code("Webhook"), None);
    }
}
