//! Company name, time zone and the bots' default language.

use crate::api::settings::{SaveSettings, get_settings};
use crate::components::{ErrorMessage, action_error};
use crate::dto::SettingsDto;
use crate::i18n::{Key, use_i18n};
use domain::Locale;
use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;
use thaw::{
    Button, ButtonAppearance, ButtonType, Input, MessageBar, MessageBarBody, MessageBarIntent,
};

#[component]
pub fn SettingsPage() -> impl IntoView {
    let i18n = use_i18n();
    let save = ServerAction::<SaveSettings>::new();
    let settings = Resource::new_blocking(|| (), |_| get_settings());
    view! {
        <Title text=crate::i18n::title(Key::SettingsTitle) />
        <h1>{move || i18n.t(Key::SettingsTitle)}</h1>
        <Suspense fallback=move || view! { <p>{move || i18n.t(Key::Loading)}</p> }>
            {move || Suspend::new(async move {
                match settings.await {
                    Ok(s) => Either::Left(view! { <SettingsForm settings=s save /> }),
                    Err(e) => Either::Right(view! { <ErrorMessage error=Some(e) /> }),
                }
            })}
        </Suspense>
    }
}

#[component]
fn SettingsForm(settings: SettingsDto, save: ServerAction<SaveSettings>) -> impl IntoView {
    let i18n = use_i18n();
    let company = RwSignal::new(settings.company.clone());
    let saved = move || matches!(save.value().get(), Some(Ok(_)));
    view! {
        <ActionForm action=save attr:class="settings-form" attr:data-testid="settings-form">
            <div class="field">
                <label for="field-company">{move || i18n.t(Key::Company)}</label>
                <Input id="field-company" name="company" value=company autocomplete="organization" />
            </div>
            <div class="field">
                <label for="field-time-zone">{move || i18n.t(Key::TimeZone)}</label>
                <select id="field-time-zone" name="time_zone" class="native-select">
                    {settings
                        .time_zones
                        .iter()
                        .map(|tz| {
                            let selected = *tz == settings.time_zone;
                            view! { <option value=tz.clone() selected=selected>{tz.clone()}</option> }
                        })
                        .collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="field-bot-locale">{move || i18n.t(Key::BotLanguage)}</label>
                <select id="field-bot-locale" name="bot_locale" class="native-select">
                    {Locale::ALL
                        .into_iter()
                        .map(|l| {
                            view! { <option value=l.tag() selected=l == settings.bot_locale>{l.native_name()}</option> }
                        })
                        .collect_view()}
                </select>
            </div>
            <ErrorMessage error=action_error(save) />
            <Show when=saved>
                <MessageBar intent=MessageBarIntent::Success attr:role="status">
                    <MessageBarBody>{move || i18n.t(Key::Saved)}</MessageBarBody>
                </MessageBar>
            </Show>
            <Button button_type=ButtonType::Submit appearance=ButtonAppearance::Primary loading=save.pending()>
                {move || i18n.t(Key::Save)}
            </Button>
        </ActionForm>
    }
}
