//! `/m/b/<bot id>`: what a bot's menu button opens — the bot's open giveaways (each to
//! its `/m/g/<id>` page) and the user's entries with this tenant.

use super::{Loading, MiniFrame, on_open, time_left};
use crate::api::miniapp::mini_bot;
use crate::dto::MiniBotDto;
use crate::i18n::{Key, use_i18n};
use domain::giveaway::Status;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

#[component]
pub fn MiniBotPage() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    let state = RwSignal::new(Loading::<MiniBotDto>::Opening);
    on_open(state, move |init: String| async move {
        let bot = params.read_untracked().get("id").unwrap_or_default();
        state.set(match mini_bot(bot, init).await {
            Ok(b) => {
                i18n.locale.set(b.locale);
                Loading::Ready(b)
            }
            Err(e) => Loading::Failed(e),
        });
    });
    view! { <MiniFrame state body=move |b| view! { <Lists b /> } /> }
}

#[component]
fn Lists(b: MiniBotDto) -> impl IntoView {
    let i18n = use_i18n();
    let none = move || view! { <p class="muted">{move || i18n.t(Key::MiniNone)}</p> };
    let open = if b.open.is_empty() {
        none().into_any()
    } else {
        view! {
            <ul class="mini-list" data-testid="mini-open">
                {b.open.into_iter().map(|o| {
                    let secs = o.secs_left;
                    view! {
                        <li>
                            <a href=format!("/m/g/{}", o.id)>{o.title}</a>
                            <small class="muted">" · " {time_left(&i18n, secs)} " · "
                                {i18n.t(Key::MiniEntries).replace("{n}", &o.entries.to_string())}</small>
                        </li>
                    }
                }).collect_view()}
            </ul>
        }
        .into_any()
    };
    let mine = if b.mine.is_empty() {
        none().into_any()
    } else {
        view! {
            <ul class="mini-list" data-testid="mini-mine">
                {b.mine.into_iter().map(|e| {
                    let outcome = match (e.status, e.prize) {
                        (Status::Drawn, Some(p)) => i18n.t(Key::MiniWon).replace("{prize}", &p),
                        (Status::Drawn, None) => i18n.t(Key::MiniLost).to_owned(),
                        _ => String::new(),
                    };
                    view! {
                        <li>
                            <a href=format!("/m/g/{}", e.id)>{e.title}</a>
                            <small class="muted">" · #" {e.number} " " {outcome}</small>
                        </li>
                    }
                }).collect_view()}
            </ul>
        }
        .into_any()
    };
    view! {
        <h1>{b.shop}</h1>
        <h2>{move || i18n.t(Key::MiniOpenGiveaways)}</h2>
        {open}
        <h2>{move || i18n.t(Key::MiniMine)}</h2>
        {mine}
    }
}
