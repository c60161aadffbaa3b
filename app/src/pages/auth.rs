//! Log in and sign up. Both are plain forms posting to server functions, so they work
//! with JavaScript off; hydrated, they submit in place and show errors without a reload.

use crate::api::auth::{LogIn, SignUp};
use crate::auth::{reload_on_success, use_auth};
use crate::components::{ErrorMessage, LangSwitch, action_error};
use crate::i18n::{Key, use_i18n};
use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;
use thaw::{Button, ButtonAppearance, ButtonType, Card, Input, InputType};

/// The frame around both forms; sends a logged-in visitor to the dashboard.
#[component]
fn AuthFrame(title: Key, children: ChildrenFn) -> impl IntoView {
    let i18n = use_i18n();
    let auth = use_auth();
    let children = StoredValue::new(children);
    view! {
        <Title text=crate::i18n::title(title) />
        <Suspense>
            {move || Suspend::new(async move {
                if matches!(auth.user.await, Ok(Some(_))) {
                    Either::Left(view! { <Redirect path="/" /> })
                } else {
                    Either::Right(view! {
                        <div class="auth-page">
                            <header class="auth-brand">
                                <span class="logo" aria-hidden="true">"🎁"</span>
                                <h1>{move || i18n.t(Key::AppName)}</h1>
                                <p class="tagline">{move || i18n.t(Key::Tagline)}</p>
                            </header>
                            <Card class="auth-card">
                                <h2>{move || i18n.t(title)}</h2>
                                {children.with_value(|c| c())}
                            </Card>
                            <LangSwitch />
                        </div>
                    })
                }
            })}
        </Suspense>
    }
}

#[component]
fn LabeledInput(
    label: Key,
    name: &'static str,
    input_type: InputType,
    autocomplete: &'static str,
    #[prop(optional)] hint: Option<Key>,
) -> impl IntoView {
    let i18n = use_i18n();
    let id = format!("field-{name}");
    view! {
        <div class="field">
            <label for=id.clone()>{move || i18n.t(label)}</label>
            <Input id=id name=name input_type autocomplete=autocomplete />
            {hint.map(|h| view! { <small class="hint">{move || i18n.t(h)}</small> })}
        </div>
    }
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let i18n = use_i18n();
    let action = ServerAction::<LogIn>::new();
    reload_on_success(action, "/");
    view! {
        <AuthFrame title=Key::PageTitleLogin>
            <ActionForm action attr:class="auth-form" attr:data-testid="login-form">
                <LabeledInput label=Key::Email name="email" input_type=InputType::Email autocomplete="username" />
                <LabeledInput label=Key::Password name="password" input_type=InputType::Password autocomplete="current-password" />
                <ErrorMessage error=action_error(action) />
                <Button button_type=ButtonType::Submit appearance=ButtonAppearance::Primary block=true loading=action.pending()>
                    {move || i18n.t(Key::LogIn)}
                </Button>
            </ActionForm>
            <p class="switch-form">
                {move || i18n.t(Key::NoAccountYet)} " " <a href="/signup">{move || i18n.t(Key::SignUp)}</a>
            </p>
        </AuthFrame>
    }
}

#[component]
pub fn SignupPage() -> impl IntoView {
    let i18n = use_i18n();
    let action = ServerAction::<SignUp>::new();
    reload_on_success(action, "/");
    view! {
        <AuthFrame title=Key::PageTitleSignup>
            <ActionForm action attr:class="auth-form" attr:data-testid="signup-form">
                <LabeledInput label=Key::Company name="company" input_type=InputType::Text autocomplete="organization" />
                <LabeledInput label=Key::Email name="email" input_type=InputType::Email autocomplete="username" />
                <LabeledInput label=Key::Password name="password" input_type=InputType::Password autocomplete="new-password" hint=Key::PasswordHint />
                <ErrorMessage error=action_error(action) />
                <Button button_type=ButtonType::Submit appearance=ButtonAppearance::Primary block=true loading=action.pending()>
                    {move || i18n.t(Key::CreateAccount)}
                </Button>
            </ActionForm>
            <p class="switch-form">
                {move || i18n.t(Key::HaveAccount)} " " <a href="/login">{move || i18n.t(Key::LogIn)}</a>
            </p>
        </AuthFrame>
    }
}
