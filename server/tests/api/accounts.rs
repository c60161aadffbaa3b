//! Sign-up, login, logout, throttling, sessions, tenancy and the operator role.

use crate::helpers::*;
use app::error::AppError;
use domain::ValidationError;
use reqwest::StatusCode;
use sea_orm::ConnectionTrait;

db_test!(sign_up_log_out_log_in, |db| async move {
    let app = spawn(db, "").await;
    assert_eq!(app.me().await, None);
    let a = app
        .sign_up("Ann@Example.com", PASSWORD, "  Ann's   Shop ")
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let me = app.me().await.expect("logged in after sign-up");
    assert_eq!(me["email"], "ann@example.com");
    assert_eq!(me["tenant_name"], "Ann's Shop");
    assert_eq!(me["is_operator"], true, "the first account is the operator");

    assert_eq!(app.call("auth/logout", &[]).await.status, StatusCode::OK);
    assert_eq!(app.me().await, None);

    let a = app.log_in("ANN@example.com ", PASSWORD).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(app.me().await.unwrap()["email"], "ann@example.com");
});

db_test!(session_id_changes_at_login, |db| async move {
    let app = spawn(db, "").await;
    app.sign_up("cycle@example.com", PASSWORD, "Cycle").await;
    let before = session_ids(&app).await;
    assert_eq!(before.len(), 1);
    // Logging in again from a browser that already holds a session id must not keep it.
    assert_eq!(
        app.log_in("cycle@example.com", PASSWORD).await.status,
        StatusCode::OK
    );
    let after = session_ids(&app).await;
    assert_eq!(after.len(), 1, "the old session row is gone");
    assert_ne!(before[0], after[0], "login issues a fresh session id");
    assert!(app.me().await.is_some());
});

async fn session_ids(app: &TestApp) -> Vec<String> {
    app.db
        .query_all_raw(sea_orm::Statement::from_string(
            app.db.get_database_backend(),
            "SELECT id FROM sessions".to_owned(),
        ))
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.try_get::<String>("", "id").unwrap())
        .collect()
}

db_test!(
    duplicate_email_is_refused_and_changes_nothing,
    |db| async move {
        let app = spawn(db, "").await;
        assert_eq!(
            app.sign_up("dup@example.com", PASSWORD, "First")
                .await
                .status,
            StatusCode::OK
        );
        let other = TestApp {
            client: new_client(),
            ..app
        };
        let a = other
            .sign_up(" DUP@example.COM", "another password", "Second")
            .await;
        assert_eq!(a.status, StatusCode::CONFLICT);
        assert_eq!(
            a.error(),
            AppError::Conflict {
                what: domain::Conflict::Email
            }
        );
        assert_eq!(other.count("tenants").await, 1);
        assert_eq!(other.count("accounts").await, 1);
        assert_eq!(other.me().await, None, "no session for the refused sign-up");
    }
);

db_test!(hostile_sign_up_values_get_clear_errors, |db| async move {
    let app = spawn(db, "").await;
    let huge = "x".repeat(60_000);
    let cases: Vec<(Vec<(&str, &str)>, AppError)> = vec![
        (
            vec![("email", ""), ("password", PASSWORD), ("company", "A")],
            v("email", ValidationError::Required),
        ),
        (
            vec![("email", "   "), ("password", PASSWORD), ("company", "A")],
            v("email", ValidationError::Required),
        ),
        (
            vec![
                ("email", "not-an-email"),
                ("password", PASSWORD),
                ("company", "A"),
            ],
            v("email", ValidationError::InvalidEmail),
        ),
        (
            vec![
                ("email", "a\u{0}b@x.com"),
                ("password", PASSWORD),
                ("company", "A"),
            ],
            v("email", ValidationError::InvalidEmail),
        ),
        (
            vec![("email", &huge), ("password", PASSWORD), ("company", "A")],
            v("email", ValidationError::TooLong),
        ),
        (
            vec![
                ("email", "ok@example.com"),
                ("password", PASSWORD),
                ("company", ""),
            ],
            v("company", ValidationError::Required),
        ),
        (
            vec![
                ("email", "ok@example.com"),
                ("password", PASSWORD),
                ("company", "\u{200B}\u{202E}evil"),
            ],
            v("company", ValidationError::ForbiddenCharacters),
        ),
        (
            vec![
                ("email", "ok@example.com"),
                ("password", PASSWORD),
                ("company", &huge),
            ],
            v("company", ValidationError::TooLong),
        ),
        (
            vec![
                ("email", "ok@example.com"),
                ("password", "short"),
                ("company", "A"),
            ],
            v("password", ValidationError::TooShort),
        ),
        (
            vec![
                ("email", "ok@example.com"),
                ("password", &huge),
                ("company", "A"),
            ],
            v("password", ValidationError::TooLong),
        ),
        (
            vec![("email", "ok@example.com"), ("company", "A")],
            AppError::BadRequest,
        ),
    ];
    for (form, expected) in cases {
        let a = app.call("auth/signup", &form).await;
        assert_eq!(
            a.error(),
            expected,
            "{:?}",
            form.iter().map(|(k, v)| (k, v.len())).collect::<Vec<_>>()
        );
        assert!(a.status == StatusCode::BAD_REQUEST, "{}", a.status);
    }
    // A body over the cap is refused before any parsing.
    let too_big = "y".repeat(70_000);
    let a = app
        .call(
            "auth/signup",
            &[
                ("email", "big@example.com"),
                ("password", PASSWORD),
                ("company", &too_big),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::PAYLOAD_TOO_LARGE);
    // Emoji, CJK and mixed scripts are fine.
    assert_eq!(
        app.sign_up("用户@例子.中国", PASSWORD, "🎁 抽奖小铺 Ünïcode")
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        app.count("tenants").await,
        1,
        "only the valid sign-up created anything"
    );
});

fn v(field: &str, code: ValidationError) -> AppError {
    AppError::Validation {
        field: domain::Field::from_code(field).expect("a form field"),
        code,
    }
}

db_test!(wrong_password_then_account_rate_limit, |db| async move {
    let app = spawn(db, "login-max-failures-per-account = 3\n").await;
    app.sign_up("victim@example.com", PASSWORD, "Victim").await;
    app.sign_up("bystander@example.com", PASSWORD, "Bystander")
        .await;
    app.call("auth/logout", &[]).await;
    for _ in 0..3 {
        let a = app.log_in("victim@example.com", "wrong password").await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED);
        assert_eq!(a.error(), AppError::InvalidCredentials);
    }
    // Locked now, even with the right password.
    let a = app.log_in("victim@example.com", PASSWORD).await;
    assert_eq!(a.status, StatusCode::TOO_MANY_REQUESTS);
    let AppError::RateLimited { retry_after_secs } = a.error() else {
        panic!("{}", a.body)
    };
    assert!((1..=900).contains(&retry_after_secs));
    assert_eq!(
        a.headers["retry-after"],
        retry_after_secs.to_string().as_str()
    );
    assert_eq!(app.me().await, None);
    // Another account from the same client is not locked.
    assert_eq!(
        app.log_in("bystander@example.com", PASSWORD).await.status,
        StatusCode::OK
    );
    // Unknown accounts answer exactly like wrong passwords.
    let a = app.log_in("nobody@example.com", "whatever it is").await;
    assert_eq!(a.error(), AppError::InvalidCredentials);
});

db_test!(ip_rate_limit_counts_across_accounts, |db| async move {
    let app = spawn(
        db,
        "login-max-failures-per-ip = 3\ntrust-forwarded-for = true\n",
    )
    .await;
    app.sign_up("real@example.com", PASSWORD, "Real").await;
    app.call("auth/logout", &[]).await;
    let from = |ip: &'static str| [("x-forwarded-for", ip)];
    for i in 0..3 {
        let email = format!("guess{i}@example.com");
        let a = app
            .call_with(
                &app.client,
                "auth/login",
                &[("email", &email), ("password", "nope nope")],
                &from("203.0.113.9"),
            )
            .await;
        assert_eq!(a.error(), AppError::InvalidCredentials);
    }
    let a = app
        .call_with(
            &app.client,
            "auth/login",
            &[("email", "real@example.com"), ("password", PASSWORD)],
            &from("203.0.113.9"),
        )
        .await;
    assert_eq!(a.status, StatusCode::TOO_MANY_REQUESTS, "{}", a.body);
    let a = app
        .call_with(
            &app.client,
            "auth/login",
            &[("email", "real@example.com"), ("password", PASSWORD)],
            &from("198.51.100.7"),
        )
        .await;
    assert_eq!(
        a.status,
        StatusCode::OK,
        "another address is not limited: {}",
        a.body
    );
});

db_test!(expired_session_is_logged_out, |db| async move {
    let app = spawn(db, "").await;
    app.sign_up("exp@example.com", PASSWORD, "Exp").await;
    assert!(app.me().await.is_some());
    let past = chrono::Utc::now() - chrono::Duration::hours(1);
    let backend = app.db.get_database_backend();
    app.db
        .execute_raw(sea_orm::Statement::from_sql_and_values(
            backend,
            match backend {
                sea_orm::DbBackend::Postgres => "UPDATE sessions SET expires_at = $1",
                _ => "UPDATE sessions SET expires_at = ?",
            },
            [past.into()],
        ))
        .await
        .unwrap();
    assert_eq!(app.me().await, None);
    let a = app.call("settings/get", &[]).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    assert_eq!(a.error(), AppError::Unauthorized);
    let a = app
        .call(
            "settings/save",
            &[
                ("company", "Hijack"),
                ("time_zone", "UTC"),
                ("bot_locale", "en"),
            ],
        )
        .await;
    assert_eq!(a.error(), AppError::Unauthorized);
    assert_eq!(app.count("tenants").await, 1);
});

db_test!(tenants_see_only_their_own_data, |db| async move {
    let a = spawn(db, "").await;
    a.sign_up("a@example.com", PASSWORD, "Alpha Shop").await;
    let b = TestApp {
        client: new_client(),
        ..a
    };
    b.sign_up("b@example.com", PASSWORD, "Beta Club").await;
    let a = TestApp {
        client: new_client(),
        ..b
    };
    a.log_in("a@example.com", PASSWORD).await;
    let b_client = new_client();
    a.call_with(
        &b_client,
        "auth/login",
        &[("email", "b@example.com"), ("password", PASSWORD)],
        &[],
    )
    .await;

    let saved = a
        .call(
            "settings/save",
            &[
                ("company", "Alpha Shop 2"),
                ("time_zone", "Europe/Berlin"),
                ("bot_locale", "en"),
            ],
        )
        .await;
    let saved: serde_json::Value = saved.json();
    assert_eq!(saved["company"], "Alpha Shop 2");

    let b_settings: serde_json::Value = a
        .call_with(&b_client, "settings/get", &[], &[])
        .await
        .json();
    assert_eq!(b_settings["company"], "Beta Club");
    assert_eq!(b_settings["time_zone"], "Asia/Shanghai");

    let res = b_client
        .get(format!("{}/", a.base))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    let html = res.text().await.unwrap();
    assert!(
        html.contains("Beta Club") && !html.contains("Alpha Shop"),
        "B's dashboard shows only B"
    );

    // Hostile settings values change nothing.
    let bad = a
        .call_with(
            &b_client,
            "settings/save",
            &[
                ("company", "Beta"),
                ("time_zone", "Mars/Olympus"),
                ("bot_locale", "en"),
            ],
            &[],
        )
        .await;
    assert_eq!(
        bad.error(),
        v("time_zone", ValidationError::UnknownTimeZone)
    );
    let bad = a
        .call_with(
            &b_client,
            "settings/save",
            &[
                ("company", "Beta"),
                ("time_zone", "UTC"),
                ("bot_locale", "xx"),
            ],
            &[],
        )
        .await;
    assert_eq!(
        bad.error(),
        v("bot_locale", ValidationError::UnsupportedLanguage)
    );
    let b_settings: serde_json::Value = a
        .call_with(&b_client, "settings/get", &[], &[])
        .await
        .json();
    assert_eq!(b_settings["company"], "Beta Club");
});

db_test!(operator_controls_sign_up, |db| async move {
    let op = spawn(db, "").await;
    op.sign_up("op@example.com", PASSWORD, "Platform").await;
    let tenant = TestApp {
        client: new_client(),
        ..op
    };
    tenant.sign_up("t@example.com", PASSWORD, "Tenant").await;
    assert_eq!(tenant.me().await.unwrap()["is_operator"], false);
    // A tenant cannot reach operator functions.
    assert_eq!(
        tenant.call("operator/overview", &[]).await.error(),
        AppError::Forbidden
    );
    assert_eq!(
        tenant
            .call("operator/signup", &[("enabled", "false")])
            .await
            .error(),
        AppError::Forbidden
    );

    let op = TestApp {
        client: new_client(),
        ..tenant
    };
    op.log_in("op@example.com", PASSWORD).await;
    let overview: serde_json::Value = op.call("operator/overview", &[]).await.json();
    assert_eq!(overview["tenants"], 2);
    assert_eq!(overview["signup_enabled"], true);
    assert_eq!(
        op.call("operator/signup", &[("enabled", "maybe")])
            .await
            .error(),
        AppError::BadRequest
    );
    assert_eq!(
        op.call("operator/signup", &[("enabled", "false")])
            .await
            .status,
        StatusCode::OK
    );

    let stranger = TestApp {
        client: new_client(),
        ..op
    };
    let a = stranger.sign_up("late@example.com", PASSWORD, "Late").await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert_eq!(a.error(), AppError::SignupDisabled);
    assert_eq!(stranger.count("accounts").await, 2);

    // The command line still creates operators.
    backend::accounts::create_operator(&stranger.db, "second-op@example.com", PASSWORD, "Ops")
        .await
        .unwrap();
    assert_eq!(
        stranger
            .log_in("second-op@example.com", PASSWORD)
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(stranger.me().await.unwrap()["is_operator"], true);
});

db_test!(language_choice_is_remembered, |db| async move {
    let app = spawn(db, "").await;
    app.sign_up("lang@example.com", PASSWORD, "Lang").await;
    let a = app.call("i18n/language", &[("lang", "en")]).await;
    assert_eq!(a.json::<String>(), "en");
    assert!(
        a.headers["set-cookie"]
            .to_str()
            .unwrap()
            .starts_with("tombola_lang=en;")
    );
    assert_eq!(
        app.call("i18n/language", &[("lang", "tlh")]).await.status,
        StatusCode::BAD_REQUEST
    );
    // A new browser gets the account's language at login.
    let fresh = TestApp {
        client: new_client(),
        ..app
    };
    let a = fresh.log_in("lang@example.com", PASSWORD).await;
    assert!(
        a.headers["set-cookie"]
            .to_str()
            .unwrap()
            .contains("tombola_lang=en")
    );
    let (_, _, html) = fresh.get_page("/settings").await;
    assert!(html.contains("lang=\"en\""), "dashboard renders in English");
});

db_test!(an_existing_database_starts_again, |db| async move {
    let first = spawn(db, "").await;
    first.sign_up("keep@example.com", PASSWORD, "Keep").await;
    let again = spawn_on(first.database_url.clone(), "").await;
    assert_eq!(
        again.log_in("keep@example.com", PASSWORD).await.status,
        StatusCode::OK
    );
});
