//! The Mini App: the pages Telegram opens inside its app for a tenant's audience — one
//! giveaway ([`giveaway`], from the bot's `web_app` buttons) and one bot's giveaways
//! ([`bot`], from its menu button). Mobile-first, in Telegram's theme colours and the
//! user's language. Every call to the server carries the `initData` Telegram gave the
//! page ([`telegram`]); without it (not opened from Telegram, or JavaScript off) the
//! page says how to open it and does nothing else.

pub mod bot;
pub mod giveaway;
pub mod telegram;

use crate::error::AppError;
use crate::i18n::{I18n, Key, use_i18n};
use leptos::prelude::*;
use leptos_meta::{Script, Title};

/// Where a Mini App page is.
#[derive(Debug, Clone, PartialEq)]
pub enum Loading<T> {
    /// On the server, and in the browser until Telegram's data is read.
    Opening,
    /// Not opened from Telegram.
    NoTelegram,
    Failed(AppError),
    Ready(T),
}

/// The frame of every Mini App page: Telegram's script, the title, and what shows while
/// it opens or when it cannot (`body` renders a loaded page).
#[component]
pub fn MiniFrame<T, V>(
    state: RwSignal<Loading<T>>,
    body: impl Fn(T) -> V + Send + Sync + 'static,
) -> impl IntoView
where
    T: Clone + Send + Sync + 'static,
    V: IntoView + 'static,
{
    let i18n = use_i18n();
    view! {
        <Script src=telegram::SCRIPT />
        <Title text=crate::i18n::title(Key::AppName) />
        <main class="mini">
            {move || match state.get() {
                Loading::Opening => view! {
                    <p class="mini-note" data-testid="mini-opening">{move || i18n.t(Key::MiniOpening)}</p>
                    <noscript>
                        <p class="mini-note" data-testid="mini-needs-js">{move || i18n.t(Key::MiniNeedsJs)}</p>
                    </noscript>
                }.into_any(),
                Loading::NoTelegram => view! {
                    <p class="mini-note" data-testid="mini-no-telegram">{move || i18n.t(Key::ErrMiniAppData)}</p>
                }.into_any(),
                Loading::Failed(e) => view! {
                    <p class="mini-note mini-bad" role="alert" data-testid="mini-error">{e.message(&i18n)}</p>
                }.into_any(),
                Loading::Ready(t) => body(t).into_any(),
            }}
        </main>
    }
}

/// Reads Telegram's data once the page runs in the browser and calls `load` with it;
/// `NoTelegram` when there is none. Returns the data, for later calls (a join).
pub fn on_open<T, F, Fut>(state: RwSignal<Loading<T>>, load: F) -> RwSignal<Option<String>>
where
    T: Send + Sync + 'static,
    F: Fn(String) -> Fut + 'static,
    Fut: std::future::Future<Output = ()> + 'static,
{
    let init = RwSignal::new(None::<String>);
    // Effects run only in the browser, after hydration.
    Effect::new(move |_| {
        telegram::ready();
        match telegram::init_data() {
            Some(d) => {
                init.set(Some(d.clone()));
                leptos::task::spawn_local(load(d));
            }
            None => state.set(Loading::NoTelegram),
        }
    });
    init
}

/// "2 d 3 h", "3 h 5 min", "4 min" — or ended.
pub fn time_left(i18n: &I18n, secs: i64) -> String {
    if secs <= 0 {
        return i18n.t(Key::MiniEnded).to_owned();
    }
    let (d, h, m) = (
        secs / 86_400,
        secs % 86_400 / 3_600,
        (secs % 3_600).div_euclid(60).max(1),
    );
    let left = if d > 0 {
        i18n.t(Key::MiniDaysHours)
            .replace("{d}", &d.to_string())
            .replace("{h}", &h.to_string())
    } else if h > 0 {
        i18n.t(Key::MiniHoursMinutes)
            .replace("{h}", &h.to_string())
            .replace("{m}", &m.to_string())
    } else {
        i18n.t(Key::MiniMinutes).replace("{m}", &m.to_string())
    };
    i18n.t(Key::MiniEndsIn).replace("{time}", &left)
}
