//! `/verify/<id>`: anyone recomputes a draw. The checks run in the browser (the same
//! `domain::draw` code, compiled to wasm) on the published entry list, which the visitor
//! may edit or replace with a downloaded copy; without JavaScript the server runs the same
//! code on the published list.

use crate::api::giveaways::verify_record;
use crate::components::{BeaconLine, ErrorMessage, LangSwitch, RerollLine};
use crate::dto::PublicRecordDto;
use crate::i18n::{Key, use_i18n};
use domain::draw::{CheckKind, Protocol, verify};
use domain::giveaway::{Status, assign_prizes};
use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

#[component]
pub fn VerifyPage() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    let record = Resource::new_blocking(
        move || params.read().get("id").unwrap_or_default(),
        verify_record,
    );
    view! {
        <Title text=crate::i18n::title(Key::VerifyTitle) />
        <main class="verify-page">
            <div class="verify-head">
                <a class="brand" href="/">"🎁 " {move || i18n.t(Key::AppName)}</a>
                <LangSwitch />
            </div>
            <Suspense fallback=move || view! { <p>{move || i18n.t(Key::Loading)}</p> }>
                {move || Suspend::new(async move {
                    match record.await {
                        Ok(r) => Either::Left(view! { <Record r=r /> }),
                        Err(e) => Either::Right(view! { <ErrorMessage error=Some(e) /> }),
                    }
                })}
            </Suspense>
        </main>
    }
}

#[component]
fn Record(r: PublicRecordDto) -> impl IntoView {
    let i18n = use_i18n();
    let list = RwSignal::new(r.entry_list.clone().unwrap_or_default());
    // The published facts (draw.json) as text: editable too, so a visitor can see a
    // changed seed, winner or beacon signature fail.
    let facts = RwSignal::new(
        r.published
            .as_ref()
            .and_then(|p| serde_json::to_string_pretty(p).ok())
            .unwrap_or_default(),
    );
    let in_browser = RwSignal::new(false);
    Effect::new(move |_| in_browser.set(true));
    let published = r.published.clone();
    let checks = {
        let drawn = published.is_some();
        Memo::new(move |_| {
            drawn.then(|| {
                let p: domain::draw::Published = facts
                    .with(|f| serde_json::from_str(f))
                    .map_err(|e| format!("draw.json: {e}"))?;
                list.with(|l| verify(l, &p).map_err(|e| e.to_string()))
            })
        })
    };
    let ok = move || {
        checks
            .get()
            .map(|c| c.is_ok_and(|c| c.iter().all(|c| c.ok)))
    };
    let check_key = |k: CheckKind| match k {
        CheckKind::Commitment => Key::VerifyCheckCommitment,
        CheckKind::EntriesHash => Key::VerifyCheckEntries,
        CheckKind::Winners => Key::VerifyCheckWinners,
        CheckKind::Rerolls => Key::VerifyCheckRerolls,
        CheckKind::Beacon => Key::VerifyCheckBeacon,
    };
    let winners = published
        .as_ref()
        .map(|p| {
            assign_prizes(&r.prizes, &p.winners)
                .into_iter()
                .map(|(n, prize)| format!("#{n} — {prize}"))
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    let files = (
        format!("/verify/{}/entries.txt", r.id),
        format!("/verify/{}/draw.json", r.id),
    );
    let drawn = r.status == Status::Drawn;
    let rerolls = published
        .as_ref()
        .map(|p| p.rerolls.clone())
        .unwrap_or_default();
    view! {
        <h1>{r.title.clone()}</h1>
        <p class="muted">{move || i18n.t(Key::VerifyIntro)}</p>
        <div class="hash-line"><span>{move || i18n.t(Key::GaCommitment)} ": "</span><code>{r.commitment.clone()}</code></div>
        {published.clone().map(|p| view! {
            <div class="hash-line" data-testid="protocol"><span>{move || i18n.t(Key::VerifyProtocol)} ": "</span>
                {move || i18n.t(match p.protocol {
                    Protocol::V1 => Key::VerifyProtocolV1,
                    Protocol::V2 => Key::VerifyProtocolV2,
                    Protocol::V3 => Key::VerifyProtocolV3,
                })}
            </div>
            <div class="hash-line"><span>{move || i18n.t(Key::GaSeed)} ": "</span><code>{p.seed.to_hex()}</code></div>
            {p.beacon.clone().map(|b| {
                let test = b.is_test();
                view! { <BeaconLine round=b.round test /> }
            })}
            <div class="hash-line"><span>{move || i18n.t(Key::GaEntriesHash)} ": "</span><code>{p.entries_hash.to_hex()}</code></div>
        })}
        {if drawn {
            Either::Left(view! {
                <div class=move || if ok() == Some(true) { "verdict verdict-ok" } else { "verdict verdict-bad" } data-testid="verdict">
                    {move || if ok() == Some(true) { format!("✓ {}", i18n.t(Key::VerifyOk)) } else { format!("✗ {}", i18n.t(Key::VerifyBad)) }}
                </div>
                <small class="muted" data-testid="computed-where">
                    {move || i18n.t(if in_browser.get() { Key::VerifyInBrowser } else { Key::VerifyOnServer })}
                </small>
                <ul class="checks">
                    {move || match checks.get() {
                        Some(Ok(cs)) => cs.into_iter().map(|c| {
                            let key = check_key(c.what);
                            view! { <li class:bad=!c.ok>{if c.ok { "✓ " } else { "✗ " }}{move || i18n.t(key)}</li> }
                        }).collect_view().into_any(),
                        Some(Err(e)) => view! { <li class="bad">"✗ " {e}</li> }.into_any(),
                        None => ().into_any(),
                    }}
                </ul>
                <h2>{move || i18n.t(Key::GaWinners)}</h2>
                <ol class="winner-list">{winners.into_iter().map(|w| view! { <li>{w}</li> }).collect_view()}</ol>
                {(!rerolls.is_empty()).then(|| view! {
                    <h2>{move || i18n.t(Key::VerifyRerolls)}</h2>
                    <ul class="reroll-list" data-testid="rerolls">
                        {rerolls.iter().map(|r| view! { <RerollLine r=r.clone() /> }).collect_view()}
                    </ul>
                })}
                <h2>{move || i18n.t(Key::VerifyList)}</h2>
                <p class="muted">{move || i18n.t(Key::VerifyListHint)}</p>
                <p>
                    <a href=files.0.clone() download>{move || i18n.t(Key::VerifyDownloadList)}</a>
                    " · "
                    <a href=files.1.clone() download>{move || i18n.t(Key::VerifyDownloadDraw)}</a>
                </p>
                <label class="visually-hidden" for="verify-list">{move || i18n.t(Key::VerifyList)}</label>
                <textarea id="verify-list" class="entry-list" data-testid="entry-list" rows="12"
                    prop:value=move || list.get()
                    on:input=move |ev| list.set(event_target_value(&ev))
                >{list.get_untracked()}</textarea>
                <label for="verify-facts"><h2>{move || i18n.t(Key::VerifyFacts)}</h2></label>
                <p class="muted">{move || i18n.t(Key::VerifyFactsHint)}</p>
                <textarea id="verify-facts" class="entry-list" data-testid="draw-json" rows="12"
                    prop:value=move || facts.get()
                    on:input=move |ev| facts.set(event_target_value(&ev))
                >{facts.get_untracked()}</textarea>
            })
        } else {
            // Before the draw: E once the list is frozen, and the round the draw waits for.
            let waiting = r.entries_hash.clone();
            let round = r.beacon;
            Either::Right(view! {
                <p class="verdict verdict-pending" data-testid="verdict">{move || i18n.t(Key::VerifyPending)}</p>
                {waiting.map(|e| view! {
                    <div class="hash-line"><span>{move || i18n.t(Key::GaEntriesHash)} ": "</span><code data-testid="entries-hash">{e}</code></div>
                })}
                {round.map(|(round, test)| view! { <BeaconLine round test /> })}
            })
        }}
    }
}
