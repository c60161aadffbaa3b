//! The login state shared by every page, and the actions that change it.

use crate::api::auth::{LogIn, LogOut, SignUp, get_current_user};
use crate::dto::CurrentUser;
use crate::error::AppError;
use leptos::prelude::*;

/// Provided at the root: the auth actions and the current user, refetched after each.
#[derive(Clone, Copy)]
pub struct Auth {
    pub login: ServerAction<LogIn>,
    pub signup: ServerAction<SignUp>,
    pub logout: ServerAction<LogOut>,
    pub user: Resource<Result<Option<CurrentUser>, AppError>>,
}

pub fn provide_auth() {
    let login = ServerAction::<LogIn>::new();
    let signup = ServerAction::<SignUp>::new();
    let logout = ServerAction::<LogOut>::new();
    let user = Resource::new_blocking(
        move || (login.version().get(), signup.version().get(), logout.version().get()),
        |_| get_current_user(),
    );
    // In the browser a successful login, sign-up or logout reloads the page at its new
    // home, so nothing of the previous identity survives in memory. Without JS the
    // server answers the form with a redirect instead.
    let go = move |path: &'static str| {
        #[cfg(feature = "hydrate")]
        {
            let _ = window().location().assign(path);
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = path;
    };
    Effect::new(move |_| {
        if matches!(login.value().get(), Some(Ok(()))) || matches!(signup.value().get(), Some(Ok(()))) {
            go("/");
        }
    });
    Effect::new(move |_| {
        if matches!(logout.value().get(), Some(Ok(()))) {
            go("/login");
        }
    });
    provide_context(Auth { login, signup, logout, user });
}

pub fn use_auth() -> Auth {
    expect_context::<Auth>()
}
