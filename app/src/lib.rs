//! Tombola's dashboard: Leptos pages rendered on the server and hydrated in the browser.
//!
//! Layout: `api/` holds the server functions (thin adapters over `backend` services),
//! `dto` the wire types, `pages/` the routes, `components/` shared pieces, `i18n` every
//! string in zh-CN and English. Server-only code lives in `server` behind the `ssr`
//! feature; the wasm bundle links none of it.

pub mod api;
pub mod auth;
pub mod components;
pub mod dto;
pub mod error;
pub mod i18n;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod server;
pub mod thaw_css;

use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::{SsrMode, path};

/// The HTML document the server renders around the app.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    let i18n = i18n::provide_i18n();
    let lang = i18n.locale.get_untracked().tag();
    view! {
            <!DOCTYPE html>
            <html lang=lang>
                <head>
                    <meta charset="utf-8" />
                    <meta name="viewport" content="width=device-width, initial-scale=1" />
                    <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                    <link rel="stylesheet" href="/thaw.css" />
                    <AutoReload options=options.clone() />
                    <HydrationScripts options />
                    <MetaTags />
                </head>
                <body>
                    <App />
                </body>
            </html>
    }
}

/// The app: providers, routes and the hydration marker the end-to-end tests wait for.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let i18n = match use_context::<i18n::I18n>() {
        Some(i18n) => i18n,
        None => i18n::provide_i18n(),
    };
    // Marks the page once the wasm has taken over, and keeps `<html lang>` in step.
    Effect::new(move |_| {
        let locale = i18n.locale.get();
        let doc = document();
        if let Some(html) = doc.document_element() {
            let _ = html.set_attribute("lang", locale.tag());
        }
        if let Some(body) = doc.body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });

    // The formatter runs when the `<title>` is rendered; on the server that may be outside
    // the request's reactive arena, so it must not read a signal there (see `i18n::title`).
    #[cfg(feature = "ssr")]
    let app_name = {
        let name = i18n.t(i18n::Key::AppName);
        move || name
    };
    #[cfg(not(feature = "ssr"))]
    let app_name = move || i18n.t(i18n::Key::AppName);
    view! {
        <Stylesheet id="leptos" href="/pkg/tombola.css" />
        <Title formatter=move |t: String| {
            if t.is_empty() { app_name().to_owned() } else { format!("{t} · {}", app_name()) }
        } />
        <thaw::ConfigProvider theme_id=thaw_css::THEME_ID.to_string()>
            <Router>
                <AppRoutes />
            </Router>
        </thaw::ConfigProvider>
    }
}

/// The routes. The auth actions are created here, inside the router, because a plain
/// form post that failed comes back with its error in the URL, and only inside the
/// router can a `ServerAction` read it from there.
#[component]
fn AppRoutes() -> impl IntoView {
    auth::provide_auth();
    view! {
        <Routes fallback=pages::not_found::NotFound>
            <Route path=path!("/login") view=pages::auth::LoginPage ssr=SsrMode::Async />
            <Route path=path!("/signup") view=pages::auth::SignupPage ssr=SsrMode::Async />
            <Route path=path!("/verify/:id") view=pages::verify::VerifyPage ssr=SsrMode::Async />
            <Route path=path!("/m/g/:id") view=pages::mini::giveaway::MiniGiveawayPage ssr=SsrMode::Async />
            <Route path=path!("/m/b/:id") view=pages::mini::bot::MiniBotPage ssr=SsrMode::Async />
            <ParentRoute path=path!("") view=pages::shell::DashboardShell ssr=SsrMode::Async>
                <Route path=path!("") view=pages::overview::OverviewPage ssr=SsrMode::Async />
                <Route path=path!("bots") view=pages::bots::BotsPage ssr=SsrMode::Async />
                <Route path=path!("giveaways") view=pages::giveaways::GiveawaysPage ssr=SsrMode::Async />
                <Route path=path!("giveaways/new") view=pages::giveaways::GiveawayNewPage ssr=SsrMode::Async />
                <Route path=path!("giveaways/:id") view=pages::giveaways::GiveawayDetailPage ssr=SsrMode::Async />
                <Route path=path!("giveaways/:id/edit") view=pages::giveaways::GiveawayEditPage ssr=SsrMode::Async />
                <Route path=path!("usage") view=pages::usage::UsagePage ssr=SsrMode::Async />
                <Route path=path!("settings") view=pages::settings::SettingsPage ssr=SsrMode::Async />
                <Route path=path!("operator") view=pages::operator::OperatorPage ssr=SsrMode::Async />
            </ParentRoute>
        </Routes>
    }
}
