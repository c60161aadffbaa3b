//! `/metrics` (Prometheus text format) and `/readyz`. Counters of this process (HTTP
//! answers by class, sends by outcome, 429s, limiter waits) and the shared queue depths
//! from the database. Nothing in here names a tenant's data or carries a secret.

use crate::startup::AppState;
use axum::Router;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use backend::Deps;
use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// HTTP answers by status class (1xx…5xx), counted by [`count_responses`].
#[derive(Debug, Default)]
pub struct HttpCounters {
    by_class: [AtomicU64; 5],
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/metrics", get(metrics))
        .route("/readyz", get(readyz))
}

/// A layer: counts every answer by its status class.
pub async fn count_responses(
    State(http): State<Arc<HttpCounters>>,
    req: Request,
    next: Next,
) -> Response {
    let res = next.run(req).await;
    let class = (res.status().as_u16() / 100).clamp(1, 5) as usize - 1;
    http.by_class[class].fetch_add(1, Ordering::Relaxed);
    res
}

async fn readyz(State(deps): State<Deps>) -> Response {
    if backend::ops::metrics::ready(&deps.db).await {
        "ready".into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
    }
}

async fn metrics(State(s): State<AppState>) -> Response {
    let q = match backend::ops::metrics::queues(&s.deps.db).await {
        Ok(q) => q,
        Err(e) => {
            tracing::warn!(error = %e, "metrics: queues unreadable");
            return (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response();
        }
    };
    let mut out = String::new();
    let mut metric = |name: &str, kind: &str, help: &str, samples: &[(&str, f64)]| {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
        for (labels, v) in samples {
            let _ = writeln!(out, "{name}{labels} {v}");
        }
    };
    let load = |a: &AtomicU64| a.load(Ordering::Relaxed) as f64;
    let load_usize = |a: &std::sync::atomic::AtomicUsize| a.load(Ordering::Relaxed) as f64;
    let classes: Vec<(String, f64)> = (0..5)
        .map(|i| {
            (
                format!("{{class=\"{}xx\"}}", i + 1),
                load(&s.http.by_class[i]),
            )
        })
        .collect();
    let classes: Vec<(&str, f64)> = classes.iter().map(|(l, v)| (l.as_str(), *v)).collect();
    metric(
        "tombola_http_responses_total",
        "counter",
        "HTTP answers of this process by status class.",
        &classes,
    );
    metric(
        "tombola_inbox_pending",
        "gauge",
        "Telegram updates stored and not yet handled.",
        &[("", q.inbox_pending as f64)],
    );
    metric(
        "tombola_inbox_oldest_pending_seconds",
        "gauge",
        "Age of the oldest unhandled update.",
        &[("", q.inbox_oldest_secs)],
    );
    metric(
        "tombola_outbox_messages",
        "gauge",
        "Outbox rows by status.",
        &[
            ("{status=\"pending\"}", q.outbox_pending as f64),
            ("{status=\"sent\"}", q.outbox_sent as f64),
            ("{status=\"failed\"}", q.outbox_failed as f64),
        ],
    );
    metric(
        "tombola_outbox_oldest_pending_seconds",
        "gauge",
        "Age of the oldest unsent outbox row.",
        &[("", q.outbox_oldest_secs)],
    );
    metric(
        "tombola_sends_total",
        "counter",
        "Outbox sends of this process by outcome.",
        &[
            ("{outcome=\"sent\"}", load(&s.sends.sent)),
            ("{outcome=\"failed\"}", load(&s.sends.failed)),
            ("{outcome=\"retried\"}", load(&s.sends.retried)),
        ],
    );
    metric(
        "tombola_telegram_429_total",
        "counter",
        "429 answers from the Bot API to this process's sends.",
        &[("", load(&s.sends.too_many_requests))],
    );
    let (waits, waited) = s.deps.limiter.waits();
    metric(
        "tombola_limiter_waits_total",
        "counter",
        "Sends that waited for the per-bot limiter.",
        &[("", waits as f64)],
    );
    metric(
        "tombola_limiter_wait_seconds_total",
        "counter",
        "Time sends waited for the limiter.",
        &[("", waited.as_secs_f64())],
    );
    metric(
        "tombola_pollers_running",
        "gauge",
        "Bots this process long-polls.",
        &[("", s.deps.polls.running() as f64)],
    );
    let hashing = backend::accounts::password::stats();
    metric(
        "tombola_password_hashes_peak",
        "gauge",
        "The most argon2 hashes that ran at once (bounded by password-hash-jobs).",
        &[("", load_usize(&hashing.peak))],
    );
    metric(
        "tombola_password_hashes_refused_total",
        "counter",
        "Logins and sign-ups told to try again because the hashing queue was full.",
        &[("", load_usize(&hashing.refused))],
    );
    let last_minute = chrono::Utc::now() - chrono::TimeDelta::minutes(1);
    let polls = match backend::ops::usage::polls_in_minute(&s.deps.db, None, last_minute).await {
        Ok(p) => p,
        Err(e) => {
            tracing::warn!(error = %e, "metrics: poll counts unreadable");
            return (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response();
        }
    };
    let polls: Vec<(String, f64)> = polls
        .into_iter()
        .map(|(bot, n)| (format!("{{bot=\"{bot}\"}}"), n as f64))
        .collect();
    let polls: Vec<(&str, f64)> = polls.iter().map(|(l, v)| (l.as_str(), *v)).collect();
    metric(
        "tombola_bot_polls_last_minute",
        "gauge",
        "getUpdates calls per polled bot in the last whole minute, every process (at most 60 while nothing comes).",
        &polls,
    );
    metric(
        "tombola_bots_owned",
        "gauge",
        "Bots this process polls, answers and sends for (its leases).",
        &[("", s.deps.leases.owned_ids().len() as f64)],
    );
    let bots: Vec<(String, f64)> = q
        .bots
        .iter()
        .map(|(m, st, n)| (format!("{{mode=\"{m}\",status=\"{st}\"}}"), *n as f64))
        .collect();
    let bots: Vec<(&str, f64)> = bots.iter().map(|(l, v)| (l.as_str(), *v)).collect();
    metric(
        "tombola_bots",
        "gauge",
        "Enabled bots by mode and status.",
        &bots,
    );
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out).into_response()
}
