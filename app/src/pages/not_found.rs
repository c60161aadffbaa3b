use crate::i18n::{Key, use_i18n};
use leptos::prelude::*;
use leptos_meta::Title;

/// Any unknown path. Answers with status 404.
#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(resp) = use_context::<leptos_axum::ResponseOptions>() {
        resp.set_status(http::StatusCode::NOT_FOUND);
    }
    let i18n = use_i18n();
    view! {
        <Title text=crate::i18n::title(Key::NotFoundTitle) />
        <section class="not-found">
            <p class="code" aria-hidden="true">"404"</p>
            <h1>{move || i18n.t(Key::NotFoundTitle)}</h1>
            <p>{move || i18n.t(Key::NotFoundBody)}</p>
            <a href="/">{move || i18n.t(Key::BackHome)}</a>
        </section>
    }
}
