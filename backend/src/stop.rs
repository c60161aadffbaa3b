//! The stop signal: background loops see [`Stop`] set, finish what they hold (an update
//! being answered, a message being sent, a draw) and take nothing new. The order in which
//! the parts stop is `ops::runtime`'s.
//!
//! Foundation: imports nothing of this crate.

use tokio::sync::watch;

/// Set once, when the process should wind down. Cloning shares it.
#[derive(Clone, Debug)]
pub struct Stop(watch::Receiver<bool>);

/// The side that sets [`Stop`].
#[derive(Debug)]
pub struct StopSender(watch::Sender<bool>);

impl Stop {
    pub fn channel() -> (StopSender, Stop) {
        let (tx, rx) = watch::channel(false);
        (StopSender(tx), Stop(rx))
    }

    /// A `Stop` that never fires (tests and benchmarks driving one part by hand).
    pub fn never() -> Stop {
        let (tx, rx) = watch::channel(false);
        std::mem::forget(tx);
        Stop(rx)
    }

    pub fn is_set(&self) -> bool {
        *self.0.borrow()
    }

    /// Completes when stopping begins.
    pub async fn wait(&self) {
        let mut rx = self.0.clone();
        let _ = rx.wait_for(|s| *s).await;
    }

    /// Sleeps for `d`, or less when stopping begins.
    pub async fn sleep(&self, d: std::time::Duration) {
        self.pause(d, std::future::pending::<()>()).await
    }

    /// Sleeps for `d`, or less when woken by `notify` or when stopping begins.
    pub async fn pause(&self, d: std::time::Duration, notified: impl std::future::Future) {
        tokio::select! {
            _ = tokio::time::timeout(d, notified) => {}
            _ = self.wait() => {}
        }
    }
}

impl StopSender {
    pub fn stop(&self) {
        let _ = self.0.send(true);
    }
}
