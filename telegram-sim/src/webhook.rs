//! Webhook delivery as Telegram does it: per bot, updates in update_id order, at most
//! `max_connections` requests in flight, the secret header, retries with growing
//! delays on any non-2xx answer, error or timeout, and nothing older than the retention.

use crate::sim::{Sim, unix_now};
use serde_json::Value;
use std::time::{Duration, Instant};

struct Job {
    bot_id: i64,
    update_id: i64,
    url: String,
    secret: Option<String>,
    body: Value,
}

/// Runs until the simulator is dropped (the task is aborted with the server).
pub async fn run(sim: Sim) {
    loop {
        let notified = sim.changed.notified();
        let (jobs, wake) = pick(&sim);
        for job in jobs {
            tokio::spawn(deliver(sim.clone(), job));
        }
        tokio::select! {
            _ = notified => {}
            _ = tokio::time::sleep_until(wake.into()) => {}
        }
    }
}

fn pick(sim: &Sim) -> (Vec<Job>, Instant) {
    let config = sim.config();
    let retention = Duration::from_millis(config.retention_ms);
    let now = Instant::now();
    let mut wake = now + Duration::from_secs(1);
    let mut jobs = Vec::new();
    let mut w = sim.world();
    for bot in w.bots.values_mut() {
        let Some(hook) = bot.webhook.clone() else {
            continue;
        };
        if bot.revoked {
            continue;
        }
        // Updates are queued in the order they came, so those past the retention are at
        // the front: the queue is walked only as far as they go (a retain over the whole
        // queue after every delivery was quadratic in a backlog of thousands). One being
        // delivered stays until its delivery ends.
        let expired = bot
            .queue
            .iter()
            .take_while(|q| now.duration_since(q.enqueued_at) >= retention)
            .count();
        if expired > 0 {
            let mut seen = 0;
            bot.queue.retain(|q| {
                seen += 1;
                seen > expired || q.in_flight
            });
        }
        for q in bot.queue.iter_mut() {
            if q.in_flight {
                continue;
            }
            if bot.in_flight >= hook.max_connections as usize {
                break;
            }
            if q.next_attempt > now {
                // Order holds: nothing overtakes an update that waits for its retry.
                wake = wake.min(q.next_attempt);
                break;
            }
            q.in_flight = true;
            q.attempts += 1;
            bot.in_flight += 1;
            bot.max_in_flight_seen = bot.max_in_flight_seen.max(bot.in_flight);
            jobs.push(Job {
                bot_id: bot.id,
                update_id: q.update_id,
                url: hook.url.clone(),
                secret: hook.secret_token.clone(),
                body: q.update.clone(),
            });
        }
    }
    (jobs, wake)
}

/// `url` with its scheme, host and port replaced by `base`'s.
fn rebase(url: &str, base: &str) -> String {
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    let path = after_scheme.find('/').map_or("", |i| &after_scheme[i..]);
    format!("{}{path}", base.trim_end_matches('/'))
}

async fn deliver(sim: Sim, job: Job) {
    let config = sim.config();
    let url = match &config.webhook_base_override {
        Some(base) => rebase(&job.url, base),
        None => job.url.clone(),
    };
    let mut req = sim
        .http
        .post(&url)
        .timeout(Duration::from_millis(config.webhook_timeout_ms))
        .header("content-type", "application/json")
        .body(job.body.to_string());
    if let Some(s) = &job.secret {
        req = req.header("X-Telegram-Bot-Api-Secret-Token", s);
    }
    let outcome: Result<(), String> = match req.send().await {
        Ok(res) if res.status().is_success() => Ok(()),
        Ok(res) => {
            let s = res.status();
            Err(format!(
                "Wrong response from the webhook: {} {}",
                s.as_u16(),
                s.canonical_reason().unwrap_or("")
            ))
        }
        Err(e) if e.is_timeout() => Err("Read timeout expired".into()),
        Err(e) if e.is_connect() => Err("Connection refused".into()),
        Err(_) => Err("Connection closed".into()),
    };
    {
        let mut w = sim.world();
        if let Some(bot) = w.bots.get_mut(&job.bot_id) {
            bot.in_flight = bot.in_flight.saturating_sub(1);
            if let Some(pos) = bot.queue.iter().position(|q| q.update_id == job.update_id) {
                match &outcome {
                    Ok(()) => {
                        bot.queue.remove(pos);
                    }
                    Err(msg) => {
                        let q = &mut bot.queue[pos];
                        q.in_flight = false;
                        let factor = 1u64 << q.attempts.min(16).saturating_sub(1);
                        let delay = config
                            .retry_base_ms
                            .saturating_mul(factor)
                            .min(config.retry_max_ms);
                        q.next_attempt = Instant::now() + Duration::from_millis(delay);
                        if let Some(hook) = bot.webhook.as_mut() {
                            hook.last_error_date = Some(unix_now());
                            hook.last_error_message = Some(msg.clone());
                        }
                    }
                }
            }
        }
    }
    sim.changed.notify_waiters();
}

#[cfg(test)]
mod tests {
    #[test]
    fn rebase_keeps_the_path() {
        assert_eq!(
            super::rebase(
                "https://shop.example:8443/tg/abc?x=1",
                "http://127.0.0.1:3000/"
            ),
            "http://127.0.0.1:3000/tg/abc?x=1"
        );
        assert_eq!(
            super::rebase("https://shop.example", "http://h:1"),
            "http://h:1"
        );
    }
}
