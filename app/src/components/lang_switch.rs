use crate::api::i18n::SetLanguage;
use crate::i18n::{Key, use_i18n};
use domain::Locale;
use leptos::prelude::*;

/// One button per language. A plain form post without JS (the server sets the cookie
/// and sends the browser back); with JS the page switches language in place.
#[component]
pub fn LangSwitch() -> impl IntoView {
    let i18n = use_i18n();
    let action = ServerAction::<SetLanguage>::new();
    Effect::new(move |_| {
        if let Some(Ok(locale)) = action.value().get() {
            i18n.locale.set(locale);
        }
    });
    view! {
        <ActionForm action attr:class="lang-switch" attr:aria-label=move || i18n.t(Key::Language)>
            {Locale::ALL
                .into_iter()
                .map(|l| {
                    view! {
                        <button
                            type="submit"
                            name="lang"
                            value=l.tag()
                            lang=l.tag()
                            class="lang-option"
                            class:active=move || i18n.locale.get() == l
                            aria-pressed=move || (i18n.locale.get() == l).to_string()
                        >
                            {l.native_name()}
                        </button>
                    }
                })
                .collect_view()}
        </ActionForm>
    }
}
