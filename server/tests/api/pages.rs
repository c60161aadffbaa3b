//! Server-rendered pages: redirects, 404, language negotiation.

use crate::helpers::*;
use reqwest::StatusCode;

db_test!(pages_render_and_guard, |db| async move {
    let app = spawn(db, "").await;
    let (status, headers, _) = app.get_page("/").await;
    assert_eq!(status, StatusCode::FOUND, "the dashboard needs a session");
    assert_eq!(headers["location"], "/login");

    let (status, _, html) = app.get_page("/login").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("name=\"email\"") && html.contains("name=\"password\""));
    assert!(html.contains("lang=\"zh-CN\""), "zh-CN by default");
    assert!(html.contains("登录"));
    assert!(html.contains("/pkg/tombola.js"), "hydration script linked");

    let res = app
        .client
        .get(format!("{}/signup", app.base))
        .header("accept", "text/html")
        .header("accept-language", "en-US,en;q=0.9")
        .send()
        .await
        .unwrap();
    let html = res.text().await.unwrap();
    assert!(html.contains("lang=\"en\"") && html.contains("Create account"));

    let (status, _, html) = app.get_page("/no/such/page").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(html.contains("404"));

    app.sign_up("pages@example.com", PASSWORD, "Pages & Co <b>")
        .await;
    let (status, _, html) = app.get_page("/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("Pages &amp; Co &lt;b&gt;"),
        "names are escaped"
    );
    for path in ["/bots", "/giveaways", "/usage", "/settings", "/operator"] {
        let (status, _, _) = app.get_page(path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
    }
    let (status, headers, _) = app.get_page("/login").await;
    assert_eq!(
        status,
        StatusCode::FOUND,
        "logged-in visitors skip the login page"
    );
    assert_eq!(headers["location"], "/");

    let (status, _, body) = app.get_page("/healthz").await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "ok"));
});

db_test!(session_cookie_is_http_only_and_same_site, |db| async move {
    let app = spawn(db, "").await;
    let a = app.sign_up("cookie@example.com", PASSWORD, "Cookie").await;
    let cookie = a
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("tombola_session="))
        .expect("session cookie");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(!cookie.contains("Secure"), "plain http in tests: {cookie}");
});

db_test!(https_public_url_makes_cookies_secure, |db| async move {
    let app = spawn(db, "public-url = \"https://giveaways.example.com\"\n").await;
    // The browser's Origin is the public URL's.
    let a = app
        .call_with(
            &app.client,
            "auth/signup",
            &[
                ("email", "secure@example.com"),
                ("password", PASSWORD),
                ("company", "Secure"),
            ],
            &[("origin", "https://giveaways.example.com")],
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let cookie = a.headers["set-cookie"].to_str().unwrap();
    assert!(
        cookie.starts_with("tombola_session=") && cookie.contains("Secure"),
        "{cookie}"
    );
});

/// Pages rendered while other servers start in the same process all come back. (Leptos
/// walks the routes under a flag of the whole process that stalls every resource starting
/// to load; walked per server, a page of one test now and then hung while another test
/// built its server.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_render_while_other_servers_start() {
    within_limit(module_path!(), async {
        let app = spawn(Db::Sqlite, "").await;
        let building = tokio::spawn(async {
            for _ in 0..16 {
                spawn(Db::Sqlite, "").await;
            }
        });
        let mut rendered = 0;
        // A page that never comes back fails on the client's REQUEST_LIMIT.
        while !building.is_finished() || rendered == 0 {
            let (status, _, html) = app.get_page("/login").await;
            assert_eq!(
                status,
                StatusCode::OK,
                "page {rendered} while servers start"
            );
            assert!(html.contains("name=\"email\""));
            rendered += 1;
        }
        building.await.unwrap();
        eprintln!("{rendered} pages rendered while 16 servers started");
    })
    .await;
}
