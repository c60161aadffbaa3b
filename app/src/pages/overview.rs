//! The first page a tenant sees: what to do next.

use crate::auth::use_auth;
use crate::i18n::{Key, use_i18n};
use leptos::prelude::*;
use leptos_meta::Title;
use thaw::Card;

#[component]
pub fn OverviewPage() -> impl IntoView {
    let i18n = use_i18n();
    let auth = use_auth();
    let name = move || {
        auth.user
            .get()
            .and_then(|r| r.ok().flatten())
            .map(|u| u.tenant_name)
            .unwrap_or_default()
    };
    let steps = [
        (Key::StepConnectBot, Key::StepConnectBotBody, Some("/bots")),
        (
            Key::StepCreateGiveaway,
            Key::StepCreateGiveawayBody,
            Some("/giveaways"),
        ),
        (Key::StepShare, Key::StepShareBody, None),
    ];
    view! {
        <Title text=crate::i18n::title(Key::NavOverview) />
        <h1 data-testid="welcome">{move || i18n.t(Key::WelcomeTitle).replace("{name}", &name())}</h1>
        <p>{move || i18n.t(Key::WelcomeBody)}</p>
        <ol class="steps">
            {steps
                .into_iter()
                .enumerate()
                .map(|(i, (title, body, href))| {
                    view! {
                        <li>
                            <Card class="step">
                                <span class="step-number" aria-hidden="true">{i + 1}</span>
                                <div>
                                    <h3>{move || i18n.t(title)}</h3>
                                    <p>{move || i18n.t(body)}</p>
                                    {href.map(|h| view! { <a class="step-link" href=h>{move || i18n.t(Key::Open)} " →"</a> })}
                                </div>
                            </Card>
                        </li>
                    }
                })
                .collect_view()}
        </ol>
    }
}
