//! Token buckets for Telegram's send limits.

use std::time::{Duration, Instant};

/// A rate: `per_sec` tokens flow in each second, up to `burst` stored.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Rate {
    pub per_sec: f64,
    pub burst: f64,
}

/// The limits Telegram enforces on sending, as the simulator applies them.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RateLimits {
    pub enabled: bool,
    /// Per private chat: about one message a second, short bursts allowed.
    pub per_chat: Rate,
    /// Per group or channel: 20 messages a minute.
    pub per_group: Rate,
    /// Per bot, across chats: about 30 messages a second.
    pub per_bot: Rate,
}

impl Default for RateLimits {
    fn default() -> Self {
        RateLimits {
            enabled: true,
            per_chat: Rate {
                per_sec: 1.0,
                burst: 3.0,
            },
            per_group: Rate {
                per_sec: 20.0 / 60.0,
                burst: 20.0,
            },
            per_bot: Rate {
                per_sec: 30.0,
                burst: 30.0,
            },
        }
    }
}

#[derive(Debug, Clone)]
pub struct Bucket {
    tokens: f64,
    last: Instant,
}

impl Bucket {
    pub fn new(rate: Rate, now: Instant) -> Bucket {
        Bucket {
            tokens: rate.burst,
            last: now,
        }
    }

    fn refill(&mut self, rate: Rate, now: Instant) {
        let dt = now.saturating_duration_since(self.last).as_secs_f64();
        self.tokens = (self.tokens + dt * rate.per_sec).min(rate.burst);
        self.last = now;
    }

    /// How long until a token is available (zero when one is).
    pub fn wait(&mut self, rate: Rate, now: Instant) -> Duration {
        self.refill(rate, now);
        if self.tokens >= 1.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64((1.0 - self.tokens) / rate.per_sec)
        }
    }

    pub fn take(&mut self) {
        self.tokens -= 1.0;
    }
}

/// Telegram's `retry_after`: whole seconds, at least one.
pub fn retry_after_secs(wait: Duration) -> u64 {
    (wait.as_secs_f64().ceil() as u64).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_allows_a_burst_then_meters() {
        let rate = Rate {
            per_sec: 1.0,
            burst: 3.0,
        };
        let t0 = Instant::now();
        let mut b = Bucket::new(rate, t0);
        for _ in 0..3 {
            assert_eq!(b.wait(rate, t0), Duration::ZERO);
            b.take();
        }
        let w = b.wait(rate, t0);
        assert!(
            w > Duration::from_millis(900) && w <= Duration::from_secs(1),
            "{w:?}"
        );
        assert_eq!(retry_after_secs(w), 1);
        assert_eq!(b.wait(rate, t0 + Duration::from_secs(1)), Duration::ZERO);
    }
}
