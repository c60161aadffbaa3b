//! The login state shared by every page.

use crate::api::auth::get_current_user;
use crate::dto::CurrentUser;
use crate::error::AppError;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;

/// Provided above the routes: the current user, loaded before the page is sent.
#[derive(Clone, Copy)]
pub struct Auth {
    pub user: Resource<Result<Option<CurrentUser>, AppError>>,
}

pub fn provide_auth() {
    let user = Resource::new_blocking(|| (), |_| get_current_user());
    provide_context(Auth { user });
}

pub fn use_auth() -> Auth {
    expect_context::<Auth>()
}

/// After a successful login, sign-up or logout in the browser, load `path` afresh so
/// nothing of the previous identity survives in memory. (Without JavaScript the server
/// answers the form post with a redirect instead.)
///
/// Create the action inside the route's view: only there can a `ServerAction` pick up the
/// error of a plain form post, which comes back in the URL.
pub fn reload_on_success<S>(action: ServerAction<S>, path: &'static str)
where
    S: ServerFn<Error = AppError> + Send + Sync + Clone + 'static,
    S::Output: Send + Sync + 'static,
{
    Effect::new(move |_| {
        if action.value().with(|v| matches!(v, Some(Ok(_)))) {
            #[cfg(feature = "hydrate")]
            {
                let _ = window().location().assign(path);
            }
            #[cfg(not(feature = "hydrate"))]
            let _ = path;
        }
    });
}
