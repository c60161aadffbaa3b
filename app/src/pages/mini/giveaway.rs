//! `/m/g/<id>`: one giveaway in the Mini App — its card, prizes, time left, entries so
//! far, the conditions with a live ✓/✗ for this user, the captcha when asked, Join; then
//! the user's number and pseudonym; after the draw the result and the verify check, run
//! here by the same code as `/verify` (`domain::draw::verify`, compiled to wasm).

use super::{Loading, MiniFrame, on_open, time_left};
use crate::api::giveaways::verify_record;
use crate::api::miniapp::{mini_giveaway, mini_join};
use crate::dto::{MiniGiveawayDto, MiniJoinDto};
use crate::i18n::{Key, use_i18n};
use domain::draw::verify;
use domain::giveaway::Status;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

#[component]
pub fn MiniGiveawayPage() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    let id = move || params.read_untracked().get("id").unwrap_or_default();
    let state = RwSignal::new(Loading::<MiniGiveawayDto>::Opening);
    let load = move |init: String| async move {
        let next = match mini_giveaway(id(), init).await {
            Ok(g) => {
                i18n.locale.set(g.locale);
                Loading::Ready(g)
            }
            Err(e) => Loading::Failed(e),
        };
        state.set(next);
    };
    let init = on_open(state, load);
    let said = RwSignal::new(None::<MiniJoinDto>);
    let busy = RwSignal::new(false);
    let join = Callback::new(move |answer: Option<u8>| {
        let Some(data) = init.get_untracked() else {
            return;
        };
        busy.set(true);
        leptos::task::spawn_local(async move {
            match mini_join(id(), data.clone(), answer).await {
                Ok(a) => said.set(Some(a)),
                Err(e) => state.set(Loading::Failed(e)),
            }
            load(data).await;
            busy.set(false);
        });
    });
    view! {
        <MiniFrame state body=move |g| view! { <Card g join said busy /> } />
    }
}

#[component]
fn Card(
    g: MiniGiveawayDto,
    join: Callback<Option<u8>>,
    said: RwSignal<Option<MiniJoinDto>>,
    busy: RwSignal<bool>,
) -> impl IntoView {
    let i18n = use_i18n();
    let status = g.status;
    let secs_left = g.secs_left;
    let entries = g.entries;
    let prizes = g
        .prizes
        .iter()
        .map(|p| view! { <li>{format!("{} × {}", p.name, p.winners)}</li> })
        .collect_view();
    let conditions = (!g.conditions.is_empty()).then(|| {
        let rows = g
            .conditions
            .iter()
            .map(|c| {
                let (mark, class) = match c.met {
                    Some(true) => ("✓", "met"),
                    Some(false) => ("✗", "unmet"),
                    None => ("?", "unknown"),
                };
                view! { <li class=class data-testid="mini-condition"><span class="mark">{mark}</span>" "{c.chat.clone()}</li> }
            })
            .collect_view();
        view! {
            <h2>{move || i18n.t(Key::MiniConditions)}</h2>
            <ul class="mini-conditions">{rows}</ul>
        }
    });
    let state_line = move || match status {
        Status::Open => time_left(&i18n, secs_left),
        Status::Scheduled | Status::Draft => i18n.t(Key::MiniNotOpenYet).to_owned(),
        Status::Closed => i18n.t(Key::MiniClosed).to_owned(),
        Status::Cancelled => i18n.t(Key::MiniCancelled).to_owned(),
        Status::Drawn => i18n.t(Key::MiniDrawn).to_owned(),
    };
    let entry = g.entry.clone();
    let join_part = (status == Status::Open && entry.is_none()).then(|| match g.captcha {
        Some((a, b, choices)) => view! {
            <p class="mini-captcha" data-testid="mini-captcha">
                {move || i18n.t(Key::MiniCaptcha).replace("{a}", &a.to_string()).replace("{b}", &b.to_string())}
            </p>
            <div class="mini-choices">
                {choices.into_iter().map(|n| view! {
                    <button class="mini-button" disabled=move || busy.get() on:click=move |_| join.run(Some(n))>{n.to_string()}</button>
                }).collect_view()}
            </div>
        }.into_any(),
        None => view! {
            <button class="mini-button mini-join" data-testid="mini-join" disabled=move || busy.get()
                on:click=move |_| join.run(None)>{move || i18n.t(Key::MiniJoin)}</button>
        }.into_any(),
    });
    let mine = entry.clone().map(|(number, pseudonym)| view! {
        <p class="mini-entry" data-testid="mini-entry">
            {move || i18n.t(Key::MiniYourEntry).replace("{number}", &number.to_string()).replace("{pseudonym}", &pseudonym)}
        </p>
    });
    let result = (status == Status::Drawn).then(|| {
        let my = entry.as_ref().map(|(n, _)| *n);
        let won = my.and_then(|n| {
            g.winners
                .iter()
                .find(|(w, _)| *w == n)
                .map(|(_, p)| p.clone())
        });
        let line = match (my, won) {
            (_, Some(prize)) => i18n.t(Key::MiniWon).replace("{prize}", &prize),
            (Some(_), None) => i18n.t(Key::MiniLost).to_owned(),
            (None, None) => String::new(),
        };
        let winners = g
            .winners
            .iter()
            .map(|(n, p)| view! { <li>{format!("#{n} — {p}")}</li> })
            .collect_view();
        view! {
            <p class="mini-result" data-testid="mini-result">{line}</p>
            <h2>{move || i18n.t(Key::GaWinners)}</h2>
            <ol class="winner-list">{winners}</ol>
            <Check id=g.id.clone() />
        }
    });
    view! {
        <article class="mini-card" data-testid="mini-card">
            <h1>{g.title.clone()}</h1>
            {(!g.description.is_empty()).then(|| view! { <p class="mini-description">{g.description.clone()}</p> })}
            <p class="mini-state" data-testid="mini-state">{state_line}</p>
            <p class="mini-count" data-testid="mini-count">
                {move || i18n.t(Key::MiniEntries).replace("{n}", &entries.to_string())}
            </p>
            <h2>{move || i18n.t(Key::GaPrizes)}</h2>
            <ul class="mini-prizes">{prizes}</ul>
            {conditions}
            {mine}
            {join_part}
            {move || said.get().map(|a| view! {
                <p class=if a.joined { "mini-said" } else { "mini-said mini-bad" } role="status" data-testid="mini-said">{a.text}</p>
            })}
            {result}
            <p class="mini-commitment"><small>{move || i18n.t(Key::GaCommitment)} ": "<code>{g.commitment.clone()}</code></small></p>
        </article>
    }
}

/// The draw's check, recomputed here from the published record.
#[component]
fn Check(id: String) -> impl IntoView {
    let i18n = use_i18n();
    let verdict = RwSignal::new(None::<bool>);
    // A draw on a test chain (not drand's) says so here too.
    let test_beacon = RwSignal::new(false);
    let href = format!("/verify/{id}");
    Effect::new(move |_| {
        let id = id.clone();
        leptos::task::spawn_local(async move {
            let ok = match verify_record(id).await {
                Ok(r) => match (r.entry_list, r.published) {
                    (Some(list), Some(p)) => {
                        test_beacon.set(
                            p.beacon
                                .as_ref()
                                .is_some_and(domain::draw::BeaconRound::is_test),
                        );
                        verify(&list, &p).is_ok_and(|checks| checks.iter().all(|c| c.ok))
                    }
                    _ => false,
                },
                Err(_) => false,
            };
            verdict.set(Some(ok));
        });
    });
    view! {
        <p class="mini-check" data-testid="mini-check">
            {move || match verdict.get() {
                None => i18n.t(Key::MiniChecking).to_owned(),
                Some(true) => format!("✓ {}", i18n.t(Key::VerifyOk)),
                Some(false) => format!("✗ {}", i18n.t(Key::VerifyBad)),
            }}
            " "
            <a href=href target="_blank">{move || i18n.t(Key::MiniVerifyLink)}</a>
        </p>
        {move || test_beacon.get().then(|| view! {
            <p class="mini-note mini-bad" data-testid="mini-test-beacon">{move || i18n.t(Key::MiniTestBeacon)}</p>
        })}
    }
}
