//! Keeps each bot within Telegram's rate limits: about 30 messages a second per bot,
//! one a second per private chat, 20 a minute per group or channel; and after a 429 the
//! bot (or the chat) waits as long as Telegram said. Interactive answers and bulk notices
//! pass through the same limiter, so they share one budget per bot.
//!
//! Token buckets, in memory, created on a bot's first send and dropped when idle: an idle
//! bot costs nothing here. Senders waiting for a bot's budget wait in line, in the order
//! they came: only the first polls the bucket, the others sleep until their turn (a
//! thousand waiters are not a thousand timers waking every 34 ms). A sender held up by
//! its own chat's limit, or by a pause after a 429, leaves the line and holds up nobody.
//! Across processes, the outbox gives each bot's bulk sending to one process at a time
//! (`crate::leases`).

use crate::ids::BotId;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

/// A rate: `per_sec` tokens flow in each second, up to `burst` stored.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    pub per_sec: f64,
    pub burst: f64,
}

/// The limits the limiter keeps: a little under Telegram's, so that two clocks never
/// disagree about a second. Per bot 29.6 a second (98.7 % of the 30 Telegram allows for
/// bulk sends) with a burst of 1.35: a token bucket lets at most `burst + rate × T`
/// sends into any window of length T, so any second, wherever it starts, holds at most
/// 30 (1.35 + 29.6 < 31). The burst above one is what keeps the pace: a timer that
/// wakes a millisecond late leaves its lateness in the bucket for the next send
/// instead of losing it (with a burst of exactly one each late wake-up is lost, about
/// 3 % of the rate at 34 ms spacing).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rates {
    pub per_bot: Rate,
    pub per_chat: Rate,
    pub per_group: Rate,
}

impl Default for Rates {
    fn default() -> Self {
        Rates {
            per_bot: Rate {
                per_sec: 29.6,
                burst: 1.35,
            },
            per_chat: Rate {
                per_sec: 1.0,
                burst: 1.0,
            },
            per_group: Rate {
                per_sec: 20.0 / 60.0,
                burst: 2.0,
            },
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl Bucket {
    fn full(rate: Rate, now: Instant) -> Bucket {
        Bucket {
            tokens: rate.burst,
            at: now,
        }
    }

    fn refill(&mut self, rate: Rate, now: Instant) {
        let dt = now.saturating_duration_since(self.at).as_secs_f64();
        self.tokens = (self.tokens + dt * rate.per_sec).min(rate.burst);
        self.at = now;
    }

    /// How long until one token is there.
    fn wait(&self, rate: Rate) -> Duration {
        if self.tokens >= 1.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64((1.0 - self.tokens) / rate.per_sec)
        }
    }
}

#[derive(Debug)]
struct BotState {
    bucket: Bucket,
    chats: HashMap<i64, Bucket>,
    paused_until: Option<Instant>,
    last_used: Instant,
    /// The senders waiting for the bot's bucket, first come first served.
    line: Arc<tokio::sync::Mutex<()>>,
}

impl BotState {
    fn new(rates: Rates, now: Instant) -> BotState {
        BotState {
            bucket: Bucket::full(rates.per_bot, now),
            chats: HashMap::new(),
            paused_until: None,
            last_used: now,
            line: Arc::default(),
        }
    }
}

/// What a sender may do now.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Take {
    /// Send: the slot is taken.
    Now,
    /// The bot's bucket is empty for this long (wait in the bot's line).
    Bot(Duration),
    /// The chat's bucket is empty, or the bot is paused after a 429, for this long.
    Chat(Duration),
}

impl Take {
    #[cfg(test)]
    fn wait(self) -> Duration {
        match self {
            Take::Now => Duration::ZERO,
            Take::Bot(d) | Take::Chat(d) => d,
        }
    }
}

/// Private chats have positive ids; groups and channels negative ones.
fn is_group(chat_id: i64) -> bool {
    chat_id < 0
}

/// The limiter. One per process, shared by the handlers and the sender.
#[derive(Debug, Default)]
pub struct Limiter {
    rates: Rates,
    bots: Mutex<HashMap<BotId, BotState>>,
    waits: AtomicU64,
    wait_micros: AtomicU64,
    /// How often a bucket was looked at (tests count the wake-ups of waiting senders).
    #[cfg(test)]
    polls: AtomicU64,
}

impl Limiter {
    pub fn new(rates: Rates) -> Limiter {
        Limiter {
            rates,
            ..Limiter::default()
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, HashMap<BotId, BotState>> {
        self.bots.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Waits until `bot_id` may send one message to `chat_id`, and takes that slot.
    pub async fn acquire(&self, bot_id: BotId, chat_id: i64) {
        let start = Instant::now();
        let mut waited = false;
        loop {
            let line = self.line(bot_id);
            let turn = match line.try_lock() {
                Ok(turn) => turn,
                Err(_) => {
                    waited = true;
                    line.lock().await
                }
            };
            // First in line: this sender alone polls the bot's bucket.
            let chat_wait = loop {
                match self.try_take(bot_id, chat_id, Instant::now()) {
                    Take::Now => break None,
                    Take::Bot(wait) => {
                        waited = true;
                        tokio::time::sleep(wait).await;
                    }
                    Take::Chat(wait) => break Some(wait),
                }
            };
            drop(turn);
            match chat_wait {
                None => break,
                // The chat's own limit or a pause: out of the line meanwhile.
                Some(wait) => {
                    waited = true;
                    tokio::time::sleep(wait).await;
                }
            }
        }
        if waited {
            self.waits.fetch_add(1, Ordering::Relaxed);
            self.wait_micros
                .fetch_add(start.elapsed().as_micros() as u64, Ordering::Relaxed);
        }
    }

    /// The line of senders waiting for `bot_id`'s bucket.
    fn line(&self, bot_id: BotId) -> Arc<tokio::sync::Mutex<()>> {
        let (rates, now) = (self.rates, Instant::now());
        self.state()
            .entry(bot_id)
            .or_insert_with(|| BotState::new(rates, now))
            .line
            .clone()
    }

    /// Takes a slot now, or says what stands in the way and for how long.
    fn try_take(&self, bot_id: BotId, chat_id: i64, now: Instant) -> Take {
        #[cfg(test)]
        self.polls.fetch_add(1, Ordering::Relaxed);
        let rates = self.rates;
        let mut bots = self.state();
        if bots.len() > 10_000 {
            // Forget idle bots (their buckets would be full again anyway).
            bots.retain(|_, s| {
                now.saturating_duration_since(s.last_used) < Duration::from_secs(120)
            });
        }
        let s = bots
            .entry(bot_id)
            .or_insert_with(|| BotState::new(rates, now));
        s.last_used = now;
        if let Some(until) = s.paused_until {
            if until > now {
                return Take::Chat(until - now);
            }
            s.paused_until = None;
        }
        let chat_rate = if is_group(chat_id) {
            rates.per_group
        } else {
            rates.per_chat
        };
        if s.chats.len() > 50_000 {
            s.chats
                .retain(|_, b| now.saturating_duration_since(b.at) < Duration::from_secs(180));
        }
        let chat = s
            .chats
            .entry(chat_id)
            .or_insert_with(|| Bucket::full(chat_rate, now));
        chat.refill(chat_rate, now);
        s.bucket.refill(rates.per_bot, now);
        let chat_wait = chat.wait(chat_rate);
        if !chat_wait.is_zero() {
            return Take::Chat(chat_wait);
        }
        let bot_wait = s.bucket.wait(rates.per_bot);
        if !bot_wait.is_zero() {
            return Take::Bot(bot_wait);
        }
        chat.tokens -= 1.0;
        s.bucket.tokens -= 1.0;
        Take::Now
    }

    /// Telegram answered 429 with `retry_after`: the bot waits that long (for a group
    /// chat only that chat, as Telegram's per-chat limits go).
    pub fn retry_after(&self, bot_id: BotId, chat_id: i64, secs: u64) {
        let until = Instant::now() + Duration::from_secs(secs.min(3600));
        let rates = self.rates;
        let mut bots = self.state();
        let now = Instant::now();
        let s = bots
            .entry(bot_id)
            .or_insert_with(|| BotState::new(rates, now));
        if is_group(chat_id) {
            let b = s
                .chats
                .entry(chat_id)
                .or_insert_with(|| Bucket::full(rates.per_group, now));
            // An empty bucket that refills only after the wait.
            b.tokens = -(secs as f64) * rates.per_group.per_sec;
            b.at = now;
        } else {
            s.paused_until = Some(s.paused_until.map_or(until, |u| u.max(until)));
        }
    }

    /// How many sends had to wait, and for how long in all (for metrics).
    pub fn waits(&self) -> (u64, Duration) {
        (
            self.waits.load(Ordering::Relaxed),
            Duration::from_micros(self.wait_micros.load(Ordering::Relaxed)),
        )
    }

    /// How many bots hold limiter state now.
    pub fn tracked_bots(&self) -> usize {
        self.state().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_bot_stays_under_its_rate_and_each_chat_under_one_a_second() {
        let l = Limiter::default();
        let start = Instant::now();
        // 90 messages to 90 different users: one at once, then 29.6 a second.
        for chat in 0..90 {
            l.acquire(BotId(1), 1000 + chat).await;
        }
        let took = start.elapsed().as_secs_f64();
        assert!((2.8..3.2).contains(&took), "{took}");

        // Three messages to one user take two seconds; another bot is not held up.
        let start = Instant::now();
        for _ in 0..3 {
            l.acquire(BotId(2), 7).await;
        }
        assert!((1.9..2.1).contains(&start.elapsed().as_secs_f64()));
        let start = Instant::now();
        l.acquire(BotId(3), 7).await;
        assert!(start.elapsed() < Duration::from_millis(1));
    }

    #[test]
    fn late_timers_keep_the_pace_and_no_second_holds_more_than_thirty() {
        // A timer wakes on the next millisecond tick and then some (tokio's resolution
        // is one millisecond); a send takes a little time of its own.
        let l = Limiter::default();
        let mut now = Instant::now();
        let mut sent = Vec::new();
        while sent.len() < 600 {
            let wait = l.try_take(BotId(1), 1000 + sent.len() as i64, now).wait();
            if wait.is_zero() {
                sent.push(now);
                now += Duration::from_micros(300);
            } else {
                let ms = wait.as_micros().div_ceil(1000) as u64;
                now += Duration::from_millis(ms) + Duration::from_micros(700);
            }
        }
        let rate = 599.0 / (sent[599] - sent[0]).as_secs_f64();
        assert!(rate >= 0.98 * 30.0, "{rate} a second");
        for (i, t) in sent.iter().enumerate() {
            let in_a_second = sent[i..]
                .iter()
                .take_while(|u| u.duration_since(*t) < Duration::from_secs(1))
                .count();
            assert!(in_a_second <= 30, "{in_a_second} sends within a second");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn groups_get_twenty_a_minute_and_429_pauses() {
        let l = Limiter::default();
        let start = Instant::now();
        for _ in 0..22 {
            l.acquire(BotId(1), -100).await;
        }
        // 2 at once, then one every 3 s.
        assert!((59.0..61.0).contains(&start.elapsed().as_secs_f64()));

        l.retry_after(BotId(1), 5, 7);
        let start = Instant::now();
        l.acquire(BotId(1), 6).await;
        assert!((6.9..7.1).contains(&start.elapsed().as_secs_f64()));
        assert!(l.waits().0 > 0);
    }

    #[tokio::test(start_paused = true)]
    async fn waiters_take_turns_in_order_each_waking_about_once() {
        let l = Arc::new(Limiter::default());
        let start = Instant::now();
        let order = Arc::new(Mutex::new(Vec::new()));
        let mut senders = Vec::new();
        for i in 0..100 {
            let (l, order) = (l.clone(), order.clone());
            senders.push(tokio::spawn(async move {
                l.acquire(BotId(1), 1000 + i).await;
                order.lock().unwrap().push(i);
            }));
            // Each sender is in line before the next comes.
            tokio::task::yield_now().await;
        }
        for s in senders {
            s.await.unwrap();
        }
        assert_eq!(*order.lock().unwrap(), (0..100).collect::<Vec<_>>());
        // The pace is the bot's: one at once, then 29.6 a second.
        let took = start.elapsed().as_secs_f64();
        assert!((3.2..3.5).contains(&took), "{took}");
        // The one at the head looks at the bucket; the others sleep. (Each waiter
        // polling on its own timer looked about 5,000 times for these 100 sends.)
        let polls = l.polls.load(Ordering::Relaxed);
        assert!(polls < 300, "{polls} looks at the bucket for 100 sends");
    }

    #[tokio::test(start_paused = true)]
    async fn a_sender_held_by_its_chat_does_not_hold_up_the_bot() {
        let l = Arc::new(Limiter::default());
        l.acquire(BotId(1), 7).await;
        // The same user again: a second's wait for that chat…
        let again = {
            let l = l.clone();
            tokio::spawn(async move { l.acquire(BotId(1), 7).await })
        };
        tokio::task::yield_now().await;
        // …while another user is answered at the bot's pace.
        let start = Instant::now();
        l.acquire(BotId(1), 8).await;
        assert!(start.elapsed() < Duration::from_millis(50));
        let start = Instant::now();
        again.await.unwrap();
        assert!(start.elapsed() > Duration::from_millis(900));
    }
}
