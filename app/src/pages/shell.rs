//! The dashboard frame: top bar, side navigation, and the page in an error boundary.
//! Visitors without a session are sent to the login page (a 302 when rendered on the server).

use crate::api::auth::LogOut;
use crate::auth::{reload_on_success, use_auth};
use crate::components::LangSwitch;
use crate::dto::CurrentUser;
use crate::i18n::{Key, use_i18n};
use leptos::either::Either;
use leptos::prelude::*;
use leptos_router::components::{Outlet, Redirect};
use leptos_router::hooks::use_location;
use thaw::{Button, ButtonAppearance, ButtonType, NavDrawer, NavItem};

#[component]
pub fn DashboardShell() -> impl IntoView {
    let auth = use_auth();
    view! {
        <Suspense>
            {move || Suspend::new(async move {
                match auth.user.await {
                    Ok(Some(user)) => Either::Left(view! { <Frame user /> }),
                    _ => Either::Right(view! { <Redirect path="/login" /> }),
                }
            })}
        </Suspense>
    }
}

const NAV: [(&str, Key); 5] = [
    ("/", Key::NavOverview),
    ("/bots", Key::NavBots),
    ("/giveaways", Key::NavGiveaways),
    ("/usage", Key::NavUsage),
    ("/settings", Key::NavSettings),
];

#[component]
fn Frame(user: CurrentUser) -> impl IntoView {
    let i18n = use_i18n();
    let logout = ServerAction::<LogOut>::new();
    reload_on_success(logout, "/login");
    let pathname = use_location().pathname;
    let selected = RwSignal::new(Some(pathname.get_untracked()));
    Effect::new(move |_| selected.set(Some(pathname.get())));
    let mut items: Vec<(&'static str, Key)> = NAV.to_vec();
    if user.is_operator {
        items.push(("/operator", Key::NavOperator));
    }
    view! {
        <div class="dash">
            <header class="topbar">
                <a class="brand" href="/">
                    <span aria-hidden="true">"🎁"</span>
                    <span>{move || i18n.t(Key::AppName)}</span>
                </a>
                <span class="tenant-name" data-testid="tenant-name">{user.tenant_name.clone()}</span>
                <div class="topbar-actions">
                    <LangSwitch />
                    <ActionForm action=logout attr:class="logout-form">
                        <Button button_type=ButtonType::Submit appearance=ButtonAppearance::Subtle>
                            {move || i18n.t(Key::LogOut)}
                        </Button>
                    </ActionForm>
                </div>
            </header>
            <div class="dash-body">
                <nav class="sidenav" aria-label=move || i18n.t(Key::Menu)>
                    <NavDrawer selected_value=selected>
                        {items
                            .into_iter()
                            .map(|(href, key)| {
                                view! {
                                    <NavItem value=href href=href>
                                        {move || i18n.t(key)}
                                    </NavItem>
                                }
                            })
                            .collect_view()}
                    </NavDrawer>
                </nav>
                <main class="content">
                    {user.suspended.clone().map(|reason| view! {
                        <div class="notice-bar suspended-bar" role="alert" data-testid="suspended">
                            {move || crate::error::suspended_message(&i18n, Some(reason.as_str()))}
                        </div>
                    })}
                    <ErrorBoundary fallback=move |_| {
                        view! {
                            <section class="page-error" role="alert">
                                <h2>{move || i18n.t(Key::ErrorTitle)}</h2>
                                <p>{move || i18n.t(Key::ErrorBody)}</p>
                            </section>
                        }
                    }>
                        <Outlet />
                    </ErrorBoundary>
                </main>
            </div>
        </div>
    }
}
