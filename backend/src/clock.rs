//! The time the scheduler goes by. Normally the system clock; with `test-clock = true`
//! (refused in production) an offset can be added at run time, so end-to-end tests move
//! a giveaway past its end without sleeping.
//!
//! Foundation: imports nothing of this crate.

use chrono::{DateTime, Duration, Utc};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

#[derive(Debug, Clone, Default)]
pub struct Clock {
    offset_secs: Arc<AtomicI64>,
}

impl Clock {
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + Duration::seconds(self.offset_secs.load(Ordering::Relaxed))
    }

    /// Moves this clock forward (tests only; the server exposes it only with a test clock).
    pub fn advance(&self, secs: i64) {
        self.offset_secs.fetch_add(secs.max(0), Ordering::Relaxed);
    }

    pub fn offset_secs(&self) -> i64 {
        self.offset_secs.load(Ordering::Relaxed)
    }
}
