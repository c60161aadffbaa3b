use crate::error::AppError;
use crate::i18n::use_i18n;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use thaw::{MessageBar, MessageBarBody, MessageBarIntent};

/// Shows an error, if any, as a sentence in the user's language.
#[component]
pub fn ErrorMessage(
    /// The error to show; `None` renders nothing.
    #[prop(into)]
    error: Signal<Option<AppError>>,
) -> impl IntoView {
    let i18n = use_i18n();
    move || {
        error.get().map(|e| {
            view! {
                <MessageBar intent=MessageBarIntent::Error attr:role="alert" attr:data-testid="form-error">
                    <MessageBarBody>{e.message(&i18n)}</MessageBarBody>
                </MessageBar>
            }
        })
    }
}

/// The error of an action's last call, if it failed.
pub fn action_error<S>(action: ServerAction<S>) -> Signal<Option<AppError>>
where
    S: ServerFn<Error = AppError> + Send + Sync + Clone + 'static,
    S::Output: Send + Sync + Clone + 'static,
{
    Signal::derive(move || action.value().get().and_then(|r| r.err()))
}
