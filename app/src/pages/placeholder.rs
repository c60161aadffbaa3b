//! Sections whose features arrive with later work: each shows its honest empty state.

use crate::i18n::{Key, use_i18n};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
fn EmptySection(title: Key, body: Key) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <Title text=crate::i18n::title(title) />
        <h1>{move || i18n.t(title)}</h1>
        <p class="empty-state">{move || i18n.t(body)}</p>
    }
}

#[component]
pub fn UsagePage() -> impl IntoView {
    view! { <EmptySection title=Key::NavUsage body=Key::UsageEmpty /> }
}
