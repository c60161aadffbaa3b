//! Cross-origin refusal and the plain-form (no JavaScript) path of server functions.

use crate::helpers::*;
use reqwest::StatusCode;

db_test!(
    cross_origin_posts_are_refused_and_change_nothing,
    |db| async move {
        let app = spawn(db, "").await;
        let form = [
            ("email", "csrf@example.com"),
            ("password", PASSWORD),
            ("company", "X"),
        ];
        let a = app
            .call_with(
                &app.client,
                "auth/signup",
                &form,
                &[("origin", "https://evil.example")],
            )
            .await;
        assert_eq!(a.status, StatusCode::FORBIDDEN);
        assert!(a.body.contains("cross-origin"));
        let a = app
            .call_with(&app.client, "auth/signup", &form, &[("origin", "null")])
            .await;
        assert_eq!(a.status, StatusCode::FORBIDDEN);
        // No Origin but the browser says cross-site.
        let res = app
            .client
            .post(format!("{}/api/auth/signup", app.base))
            .header("sec-fetch-site", "cross-site")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(encode_form(&form))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        assert_eq!(app.count("accounts").await, 0);
        // Same origin passes.
        assert_eq!(
            app.call_with(&app.client, "auth/signup", &form, &[])
                .await
                .status,
            StatusCode::OK
        );
    }
);

db_test!(
    plain_form_posts_redirect_with_errors_and_on_success,
    |db| async move {
        let app = spawn(db, "").await;
        app.sign_up("form@example.com", PASSWORD, "Form").await;
        app.call("auth/logout", &[]).await;
        let post = |form: Vec<(&'static str, &'static str)>| {
            app.client
                .post(format!("{}/api/auth/login", app.base))
                .header("accept", "text/html,application/xhtml+xml")
                .header("origin", &app.base)
                .header("referer", format!("{}/login", app.base))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(encode_form(&form))
                .send()
        };
        let res = post(vec![
            ("email", "form@example.com"),
            ("password", "wrong wrong"),
        ])
        .await
        .unwrap();
        assert_eq!(res.status(), StatusCode::FOUND);
        let location = res.headers()["location"].to_str().unwrap().to_owned();
        assert!(
            location.starts_with(&format!("{}/login?", app.base)),
            "{location}"
        );
        // The error travels in the URL and the login page renders it.
        let html = app
            .client
            .get(&location)
            .header("accept", "text/html")
            .header("accept-language", "en")
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            html.contains("Wrong email or password."),
            "error shown without JS: {location} {}",
            &html[html.find("<body").unwrap_or(0)..]
        );

        let res = post(vec![("email", "form@example.com"), ("password", PASSWORD)])
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::FOUND);
        assert_eq!(res.headers()["location"], "/");
        assert!(app.me().await.is_some());
    }
);
