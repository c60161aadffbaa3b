//! The page's side of Telegram's WebApp object (`window.Telegram.WebApp`, defined by
//! `telegram-web-app.js`): the signed `initData` and telling the app the page is ready.
//! Outside a browser (on the server) there is none.

/// Telegram's script, loaded before the page's own code. It reads the launch data from
/// the address Telegram opened, sets the `--tg-theme-*` colour variables the page's
/// style follows, and defines `window.Telegram.WebApp`.
pub const SCRIPT: &str = "https://telegram.org/js/telegram-web-app.js";

/// The `initData` Telegram handed the page; `None` outside Telegram (no WebApp object,
/// or an empty string: the page was opened some other way).
pub fn init_data() -> Option<String> {
    #[cfg(feature = "hydrate")]
    {
        web_app()
            .and_then(|app| get(&app, "initData"))
            .and_then(|d| d.as_string())
            .filter(|d| !d.is_empty())
    }
    #[cfg(not(feature = "hydrate"))]
    None
}

/// Tells Telegram the page is ready to be shown, full height.
pub fn ready() {
    #[cfg(feature = "hydrate")]
    if let Some(app) = web_app() {
        for method in ["ready", "expand"] {
            if let Some(f) = get(&app, method)
                .and_then(|f| f.dyn_into::<leptos::web_sys::js_sys::Function>().ok())
            {
                let _ = f.call0(&app);
            }
        }
    }
}

#[cfg(feature = "hydrate")]
use leptos::wasm_bindgen::{JsCast, JsValue};

#[cfg(feature = "hydrate")]
fn get(on: &JsValue, key: &str) -> Option<JsValue> {
    leptos::web_sys::js_sys::Reflect::get(on, &JsValue::from_str(key))
        .ok()
        .filter(|v| !v.is_undefined() && !v.is_null())
}

#[cfg(feature = "hydrate")]
fn web_app() -> Option<JsValue> {
    let window: JsValue = leptos::prelude::window().into();
    get(&window, "Telegram").and_then(|t| get(&t, "WebApp"))
}
