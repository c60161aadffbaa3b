//! The operator's platform controls.

use crate::api::operator::{SetSignupEnabled, get_operator_overview};
use crate::components::{ErrorMessage, action_error};
use crate::i18n::{Key, use_i18n};
use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;
use thaw::{Button, ButtonAppearance, ButtonType, Card};

#[component]
pub fn OperatorPage() -> impl IntoView {
    let i18n = use_i18n();
    let toggle = ServerAction::<SetSignupEnabled>::new();
    let overview = Resource::new_blocking(|| (), |_| get_operator_overview());
    view! {
        <Title text=move || i18n.t(Key::OperatorTitle) />
        <h1>{move || i18n.t(Key::OperatorTitle)}</h1>
        <Suspense fallback=move || view! { <p>{move || i18n.t(Key::Loading)}</p> }>
            {move || Suspend::new(async move {
                match overview.await {
                    Ok(o) => {
                        // The last answer of the toggle wins over the loaded state.
                        let enabled = move || match toggle.value().get() {
                            Some(Ok(now)) => now,
                            _ => o.signup_enabled,
                        };
                        Either::Left(view! {
                        <Card class="operator-card">
                            <h2>{move || i18n.t(Key::TenantCount)}</h2>
                            <p class="big-number" data-testid="tenant-count">{o.tenants}</p>
                        </Card>
                        <Card class="operator-card">
                            <h2>{move || i18n.t(Key::SignupSetting)}</h2>
                            <p data-testid="signup-state">
                                {move || i18n.t(if enabled() { Key::SignupIsOn } else { Key::SignupIsOff })}
                            </p>
                            <ActionForm action=toggle>
                                <input type="hidden" name="enabled" value=move || (!enabled()).to_string() />
                                <Button button_type=ButtonType::Submit appearance=ButtonAppearance::Primary loading=toggle.pending()>
                                    {move || i18n.t(if enabled() { Key::TurnOff } else { Key::TurnOn })}
                                </Button>
                            </ActionForm>
                            <ErrorMessage error=action_error(toggle) />
                        </Card>
                    })
                    }
                    Err(e) => Either::Right(view! { <ErrorMessage error=Some(e) /> }),
                }
            })}
        </Suspense>
    }
}
