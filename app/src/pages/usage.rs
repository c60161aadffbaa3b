//! Usage: one bot at a time — its Bot API calls by outcome over the last hour, day or
//! month (an SVG chart and a table by method), its webhook's health, what waits in the
//! inbox and the outbox, and its entries per day. A GET form picks bot and range, so
//! the page works without JavaScript.

use crate::api::usage::get_usage;
use crate::components::ErrorMessage;
use crate::dto::UsageDto;
use crate::i18n::{I18n, Key, use_i18n};
use leptos::either::{Either, EitherOf3};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use thaw::Card;

const OUTCOMES: [(Key, &str); 5] = [
    (Key::OutcomeOk, "o-ok"),
    (Key::Outcome4xx, "o-4xx"),
    (Key::Outcome429, "o-429"),
    (Key::Outcome5xx, "o-5xx"),
    (Key::OutcomeNetwork, "o-net"),
];

#[component]
pub fn UsagePage() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let usage = Resource::new_blocking(
        move || {
            let q = query.read();
            (
                q.get("bot").unwrap_or_default(),
                q.get("range").unwrap_or_default(),
            )
        },
        |(bot, range)| get_usage(bot, range),
    );
    view! {
        <Title text=crate::i18n::title(Key::NavUsage) />
        <h1>{move || i18n.t(Key::NavUsage)}</h1>
        <Suspense fallback=move || view! { <p>{move || i18n.t(Key::Loading)}</p> }>
            {move || Suspend::new(async move {
                match usage.await {
                    Ok(u) if u.bot.is_none() => EitherOf3::A(view! {
                        <p class="empty-state">{move || i18n.t(Key::UsageEmpty)}</p>
                    }),
                    Ok(u) => EitherOf3::B(view! { <UsageView u /> }),
                    Err(e) => EitherOf3::C(view! { <ErrorMessage error=Some(e) /> }),
                }
            })}
        </Suspense>
    }
}

fn secs(i18n: I18n, s: f64) -> String {
    i18n.t(Key::UsageSeconds)
        .replace("{secs}", &format!("{:.0}", s.ceil()))
}

#[component]
fn UsageView(u: UsageDto) -> impl IntoView {
    let i18n = use_i18n();
    let chosen = u.bot.clone().unwrap_or_default();
    let range = u.range.clone();
    let totals: [u64; 5] = u.counts.iter().fold([0; 5], |mut acc, c| {
        for (a, v) in acc.iter_mut().zip(c) {
            *a += v;
        }
        acc
    });
    let webhook = if u.mode == Some(domain::BotMode::Webhook) {
        Either::Left(view! {
            <dl class="facts" data-testid="webhook-health">
                <dt>{move || i18n.t(Key::UsageWebhookPending)}</dt>
                <dd>{u.webhook_pending.map_or_else(|| "—".to_owned(), |n| n.to_string())}</dd>
                <dt>{move || i18n.t(Key::UsageWebhookError)}</dt>
                <dd>{u.webhook_last_error.clone().unwrap_or_else(|| "—".into())}</dd>
                <dt>{move || i18n.t(Key::UsageWebhookChecked)}</dt>
                <dd>{u.webhook_checked_at.clone().map(|t| t.replace('T', " ").replace('Z', " UTC")).unwrap_or_else(|| "—".into())}</dd>
            </dl>
        })
    } else {
        let polls = u.polls_last_minute;
        Either::Right(view! {
            <p data-testid="webhook-health">{move || i18n.t(Key::UsagePolling)}</p>
            <p class="muted" data-testid="polls-per-minute">
                {move || i18n.t(Key::UsagePollsPerMinute).replace("{n}", &polls.to_string())}
            </p>
        })
    };
    view! {
        <form method="get" class="usage-form" data-testid="usage-form">
            <label for="usage-bot">{move || i18n.t(Key::UsageBot)}</label>
            <select id="usage-bot" name="bot">
                {u.bots.iter().map(|(id, name)| view! {
                    <option value=id.clone() selected=*id == chosen>{name.clone()}</option>
                }).collect_view()}
            </select>
            <label for="usage-range">{move || i18n.t(Key::UsageRange)}</label>
            <select id="usage-range" name="range">
                {[("hour", Key::RangeHour), ("day", Key::RangeDay), ("month", Key::RangeMonth)]
                    .into_iter()
                    .map(|(code, key)| view! {
                        <option value=code selected=code == range>{move || i18n.t(key)}</option>
                    })
                    .collect_view()}
            </select>
            <button class="plain-button" type="submit">{move || i18n.t(Key::UsageShow)}</button>
        </form>
        <div class="usage-cards">
            <Card class="usage-card">
                <h2>{move || i18n.t(Key::UsageInbox)}</h2>
                <p class="big-number" data-testid="inbox-pending">{u.inbox_pending}</p>
                <p class="muted">{move || i18n.t(Key::UsageOldest)}" "{secs(i18n, u.inbox_lag_secs)}</p>
            </Card>
            <Card class="usage-card">
                <h2>{move || i18n.t(Key::UsageOutbox)}</h2>
                <p class="big-number" data-testid="outbox-pending">{u.outbox_pending}</p>
                <p class="muted">{move || i18n.t(Key::UsageOldest)}" "{secs(i18n, u.outbox_oldest_secs)}</p>
            </Card>
            <Card class="usage-card">
                <h2>{move || i18n.t(Key::UsageWebhook)}</h2>
                {webhook}
            </Card>
        </div>
        <h2>{move || i18n.t(Key::UsageCalls)}</h2>
        <Legend />
        <CallsChart labels=u.labels.clone() counts=u.counts.clone() />
        <table class="data-table" data-testid="calls-table">
            <thead>
                <tr>
                    <th>{move || i18n.t(Key::UsageMethod)}</th>
                    {OUTCOMES.iter().map(|(k, _)| { let k = *k; view! { <th>{move || i18n.t(k)}</th> } }).collect_view()}
                </tr>
            </thead>
            <tbody>
                {u.by_method.iter().map(|(method, c)| view! {
                    <tr data-testid="method-row">
                        <td><code>{method.clone()}</code></td>
                        {c.iter().map(|n| view! { <td>{*n}</td> }).collect_view()}
                    </tr>
                }).collect_view()}
                <tr class="total-row">
                    <td>{move || i18n.t(Key::UsageTotal)}</td>
                    {totals.iter().map(|n| view! { <td>{*n}</td> }).collect_view()}
                </tr>
            </tbody>
        </table>
        <h2>{move || i18n.t(Key::UsageEntries)}</h2>
        <EntriesChart days=u.entries_per_day.clone() />
        <p class="muted">{move || i18n.t(Key::UsageUtc)}</p>
    }
}

#[component]
fn Legend() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <ul class="legend">
            {OUTCOMES.iter().map(|(k, class)| {
                let k = *k;
                view! { <li><span class=format!("swatch {class}")></span>{move || i18n.t(k)}</li> }
            }).collect_view()}
        </ul>
    }
}

const W: f64 = 720.0;
const H: f64 = 180.0;
const LEFT: f64 = 44.0;
const BOTTOM: f64 = 22.0;

/// Stacked bars: one per bucket, one colour (`classes[k]`) per part; each bar tells its
/// label and total on hover (an SVG `<title>`); every `label_every`-th bucket is labelled.
#[component]
fn StackedBars(
    testid: &'static str,
    title: Key,
    labels: Vec<String>,
    values: Vec<Vec<u64>>,
    classes: Vec<&'static str>,
    label_every: usize,
) -> impl IntoView {
    let i18n = use_i18n();
    let n = values.len().max(1) as f64;
    let max = values
        .iter()
        .map(|c| c.iter().sum::<u64>())
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let bar = (W - LEFT) / n;
    let bars = values
        .iter()
        .enumerate()
        .map(|(i, parts)| {
            let x = LEFT + bar * i as f64;
            let mut y = H - BOTTOM;
            let rects = parts
                .iter()
                .zip(&classes)
                .filter(|(v, _)| **v > 0)
                .map(|(v, class)| {
                    let h = (*v as f64 / max) * (H - BOTTOM - 10.0);
                    y -= h;
                    view! {
                        <rect class=*class x=format!("{:.1}", x + 1.0) y=format!("{y:.1}")
                            width=format!("{:.1}", (bar - 2.0).max(1.0)) height=format!("{h:.1}") />
                    }
                })
                .collect_view();
            let label = labels.get(i).cloned().unwrap_or_default();
            let tip = format!("{label}: {}", parts.iter().sum::<u64>());
            let text = (i % label_every.max(1) == 0).then(|| {
                view! {
                    <text class="axis" x=format!("{:.1}", x + bar / 2.0) y=format!("{:.1}", H - 6.0)
                        text-anchor="middle">{label}</text>
                }
            });
            view! { <g><title>{tip}</title>{rects}{text}</g> }
        })
        .collect_view();
    view! {
        <svg class="chart" data-testid=testid viewBox=format!("0 0 {W} {H}") role="img"
            aria-label=move || i18n.t(title)>
            <line class="axis-line" x1=LEFT y1=H - BOTTOM x2=W y2=H - BOTTOM />
            <text class="axis" x=LEFT - 6.0 y="14" text-anchor="end">{max as u64}</text>
            <text class="axis" x=LEFT - 6.0 y=H - BOTTOM text-anchor="end">"0"</text>
            {bars}
        </svg>
    }
}

/// Calls per bucket, by outcome.
#[component]
fn CallsChart(labels: Vec<String>, counts: Vec<[u64; 5]>) -> impl IntoView {
    let every = (counts.len() / 6).max(1);
    view! {
        <StackedBars
            testid="calls-chart"
            title=Key::UsageCalls
            labels=labels
            values=counts.iter().map(|c| c.to_vec()).collect()
            classes=OUTCOMES.iter().map(|(_, class)| *class).collect()
            label_every=every
        />
    }
}

/// Entries per day ("MM-DD" labels every fifth day).
#[component]
fn EntriesChart(days: Vec<(String, u64)>) -> impl IntoView {
    view! {
        <StackedBars
            testid="entries-chart"
            title=Key::UsageEntries
            labels=days.iter().map(|(d, _)| d.get(5..).unwrap_or_default().to_owned()).collect()
            values=days.iter().map(|(_, n)| vec![*n]).collect()
            classes=vec!["o-entries"]
            label_every=5
        />
    }
}
