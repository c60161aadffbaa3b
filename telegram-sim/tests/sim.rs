//! The simulator over real HTTP: envelope, methods, webhooks, polling, limits, faults,
//! and a teloxide `Bot` pointed at it.

use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use telegram_sim::{RunningSim, SimConfig};

const TOKEN: &str = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0";

struct T {
    sim: RunningSim,
    http: reqwest::Client,
}

async fn start(config: SimConfig) -> T {
    let sim = telegram_sim::start(config).await.unwrap();
    let t = T {
        sim,
        http: reqwest::Client::new(),
    };
    t.ctl(
        "/sim/bots",
        json!({"token": TOKEN, "username": "lucky_draw_bot", "first_name": "Lucky Draw"}),
    )
    .await;
    t
}

fn quick() -> SimConfig {
    SimConfig {
        retry_base_ms: 20,
        retry_max_ms: 100,
        webhook_timeout_ms: 1_000,
        ..SimConfig::default()
    }
}

impl T {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.sim.api_url())
    }

    async fn ctl(&self, path: &str, body: Value) -> Value {
        let res = self
            .http
            .post(self.url(path))
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = res.status();
        let v: Value = res.json().await.unwrap();
        assert!(status.is_success(), "{path}: {v}");
        v
    }

    async fn get(&self, path: &str) -> Value {
        self.http
            .get(self.url(path))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// Calls a Bot API method with a JSON body; returns (HTTP status, envelope).
    async fn api(&self, method: &str, body: Value) -> (u16, Value) {
        self.api_as(TOKEN, method, body).await
    }

    async fn api_as(&self, token: &str, method: &str, body: Value) -> (u16, Value) {
        let res = self
            .http
            .post(self.url(&format!("/bot{token}/{method}")))
            .json(&body)
            .send()
            .await
            .unwrap();
        (res.status().as_u16(), res.json().await.unwrap())
    }

    async fn ok(&self, method: &str, body: Value) -> Value {
        let (status, v) = self.api(method, body).await;
        assert_eq!(status, 200, "{method}: {v}");
        assert_eq!(v["ok"], true);
        v["result"].clone()
    }

    async fn user(&self, name: &str) -> i64 {
        self.ctl(
            "/sim/users",
            json!({"first_name": name, "language_code": "zh-hans"}),
        )
        .await["id"]
            .as_i64()
            .unwrap()
    }

    /// A user who has sent /start, so the bot may write to them.
    async fn started_user(&self, name: &str) -> i64 {
        let id = self.user(name).await;
        self.ctl(
            &format!("/sim/users/{id}/start"),
            json!({"bot": "@lucky_draw_bot"}),
        )
        .await;
        id
    }
}

fn assert_error(res: &(u16, Value), code: u16, description: &str) {
    assert_eq!(res.0, code, "{}", res.1);
    assert_eq!(
        res.1,
        json!({"ok": false, "error_code": code, "description": description})
    );
}

#[tokio::test]
async fn envelope_tokens_methods_and_body_encodings() {
    let t = start(SimConfig::default()).await;
    let me = t.ok("getMe", json!({})).await;
    assert_eq!(me["id"], 123456789);
    assert_eq!(me["is_bot"], true);
    assert_eq!(me["username"], "lucky_draw_bot");

    assert_error(
        &t.api_as(
            "999:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0",
            "getMe",
            json!({}),
        )
        .await,
        401,
        "Unauthorized",
    );
    assert_error(&t.api("noSuchMethod", json!({})).await, 404, "Not Found");
    let res = t.http.get(t.url("/not-a-bot/getMe")).send().await.unwrap();
    assert_eq!(res.status(), 404);

    // GET with a query string, urlencoded and multipart bodies all carry parameters.
    let user = t.started_user("Ann").await;
    let res: Value = t
        .http
        .get(t.url(&format!(
            "/bot{TOKEN}/sendMessage?chat_id={user}&text=via+query"
        )))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(res["result"]["text"], "via query");
    let res: Value = t
        .http
        .post(t.url(&format!("/bot{TOKEN}/sendMessage")))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("chat_id={user}&text=form%20%E4%BD%A0%E5%A5%BD&reply_markup=%7B%22inline_keyboard%22%3A%5B%5B%7B%22text%22%3A%22a%22%2C%22callback_data%22%3A%22x%22%7D%5D%5D%7D"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(res["result"]["text"], "form 你好");
    assert_eq!(
        res["result"]["reply_markup"]["inline_keyboard"][0][0]["callback_data"],
        "x"
    );
    let form = reqwest::multipart::Form::new()
        .text("chat_id", user.to_string())
        .text("caption", "multipart")
        .part(
            "photo",
            reqwest::multipart::Part::bytes(vec![1, 2, 3]).file_name("p.jpg"),
        );
    let res: Value = t
        .http
        .post(t.url(&format!("/bot{TOKEN}/sendPhoto")))
        .multipart(form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(res["result"]["caption"], "multipart", "{res}");
    assert!(res["result"]["photo"][0]["file_id"].is_string());

    // Malformed JSON is a clear 400.
    let res = t
        .http
        .post(t.url(&format!("/bot{TOKEN}/sendMessage")))
        .header("content-type", "application/json")
        .body("{nope")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);

    // Revoked mid-run: every later call is 401.
    t.ctl(&format!("/sim/bots/{TOKEN}/revoke"), json!({})).await;
    assert_error(&t.api("getMe", json!({})).await, 401, "Unauthorized");
    let calls = t.get(&format!("/sim/bots/{TOKEN}/calls")).await;
    assert_eq!(
        calls["getMe"]["calls"], 1,
        "a call with a revoked token is refused before it reaches the bot"
    );
    assert_eq!(calls["getMe"]["ok"], 1);
}

#[tokio::test]
async fn send_message_validation() {
    let t = start(SimConfig::default()).await;
    let stranger = t.user("Stranger").await;
    let user = t.started_user("Bo").await;
    assert_error(
        &t.api("sendMessage", json!({"chat_id": 42, "text": "x"}))
            .await,
        400,
        "Bad Request: chat not found",
    );
    assert_error(
        &t.api("sendMessage", json!({"chat_id": stranger, "text": "x"}))
            .await,
        403,
        "Forbidden: bot can't initiate conversation with a user",
    );
    assert_error(
        &t.api("sendMessage", json!({"chat_id": user, "text": ""}))
            .await,
        400,
        "Bad Request: message text is empty",
    );
    assert_error(
        &t.api(
            "sendMessage",
            json!({"chat_id": user, "text": "x".repeat(4097)}),
        )
        .await,
        400,
        "Bad Request: message is too long",
    );
    assert!(
        t.api(
            "sendMessage",
            json!({"chat_id": user, "text": "é".repeat(4096)})
        )
        .await
        .0 == 200,
        "4096 characters, not bytes"
    );
    assert_error(
        &t.api(
            "sendMessage",
            json!({"chat_id": user, "text": "x", "parse_mode": "BBCode"}),
        )
        .await,
        400,
        "Bad Request: unsupported parse_mode \"BBCode\"",
    );
    for data in ["", &"d".repeat(65)] {
        let kb = json!({"inline_keyboard": [[{"text": "Join", "callback_data": data}]]});
        assert_error(
            &t.api(
                "sendMessage",
                json!({"chat_id": user, "text": "x", "reply_markup": kb}),
            )
            .await,
            400,
            "Bad Request: BUTTON_DATA_INVALID",
        );
    }
    let kb = json!({"inline_keyboard": [[{"text": "Join", "callback_data": "d".repeat(64)}]]});
    let m = t
        .ok(
            "sendMessage",
            json!({"chat_id": user, "text": "<b>hi</b>", "parse_mode": "HTML", "reply_markup": kb}),
        )
        .await;
    assert_eq!(m["chat"]["id"], user);
    assert_eq!(m["from"]["is_bot"], true);

    t.ctl(&format!("/sim/users/{user}/block"), json!({"bot": TOKEN}))
        .await;
    assert_error(
        &t.api("sendMessage", json!({"chat_id": user, "text": "x"}))
            .await,
        403,
        "Forbidden: bot was blocked by the user",
    );

    let events = t.get(&format!("/sim/chats/{user}/events")).await;
    let kinds: Vec<&str> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["user_action", "message", "message", "user_action"],
        "{events}"
    );
    assert_eq!(
        events[2]["message"]["reply_markup"]["inline_keyboard"][0][0]["text"],
        "Join"
    );
}

#[tokio::test]
async fn edits_deletes_buttons_and_callback_answers() {
    let t = start(SimConfig {
        callback_answer_timeout_ms: 300,
        ..SimConfig::default()
    })
    .await;
    let user = t.started_user("Cy").await;
    let kb = json!({"inline_keyboard": [[{"text": "🎁 Join", "callback_data": "g:join:1"}]]});
    let m = t
        .ok(
            "sendMessage",
            json!({"chat_id": user, "text": "menu", "reply_markup": kb}),
        )
        .await;
    let mid = m["message_id"].as_i64().unwrap();

    let edited = t
        .ok(
            "editMessageText",
            json!({"chat_id": user, "message_id": mid, "text": "menu v2", "reply_markup": kb}),
        )
        .await;
    assert_eq!(edited["text"], "menu v2");
    assert_error(
        &t.api(
            "editMessageText",
            json!({"chat_id": user, "message_id": mid, "text": "menu v2", "reply_markup": kb}),
        )
        .await,
        400,
        "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message",
    );
    let plain = t
        .ok(
            "editMessageReplyMarkup",
            json!({"chat_id": user, "message_id": mid}),
        )
        .await;
    assert!(plain.get("reply_markup").is_none());
    t.ok(
        "editMessageReplyMarkup",
        json!({"chat_id": user, "message_id": mid, "reply_markup": kb}),
    )
    .await;

    // Pressing the button produces a callback_query with a fresh id.
    let press = t
        .ctl(
            &format!("/sim/users/{user}/press"),
            json!({"bot": TOKEN, "message_id": mid, "data": "g:join:1"}),
        )
        .await;
    let cq = &press["update"]["callback_query"];
    assert_eq!(cq["data"], "g:join:1");
    assert_eq!(cq["message"]["message_id"], mid);
    let id = cq["id"].as_str().unwrap().to_owned();
    let press2 = t
        .ctl(
            &format!("/sim/users/{user}/press"),
            json!({"bot": TOKEN, "message_id": mid, "data": "g:join:1"}),
        )
        .await;
    assert_ne!(press2["callback_query_id"], json!(id));
    let res = t
        .http
        .post(t.url(&format!("/sim/users/{user}/press")))
        .json(&json!({"bot": TOKEN, "message_id": mid, "data": "nope"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400, "only buttons that exist can be pressed");

    t.ok(
        "answerCallbackQuery",
        json!({"callback_query_id": id, "text": "Joined! #7"}),
    )
    .await;
    let too_old =
        "Bad Request: query is too old and response timeout expired or query ID is invalid";
    assert_error(
        &t.api("answerCallbackQuery", json!({"callback_query_id": id}))
            .await,
        400,
        too_old,
    );
    assert_error(
        &t.api(
            "answerCallbackQuery",
            json!({"callback_query_id": "made-up"}),
        )
        .await,
        400,
        too_old,
    );
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_error(
        &t.api(
            "answerCallbackQuery",
            json!({"callback_query_id": press2["callback_query_id"]}),
        )
        .await,
        400,
        too_old,
    );

    t.ok("deleteMessage", json!({"chat_id": user, "message_id": mid}))
        .await;
    assert_error(
        &t.api("deleteMessage", json!({"chat_id": user, "message_id": mid}))
            .await,
        400,
        "Bad Request: message to delete not found",
    );
    assert_error(
        &t.api(
            "editMessageText",
            json!({"chat_id": user, "message_id": mid, "text": "z"}),
        )
        .await,
        400,
        "Bad Request: message to edit not found",
    );

    let events = t
        .get(&format!("/sim/chats/{user}/events?bot={TOKEN}"))
        .await;
    let answers: Vec<&Value> = events
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "callback_answer")
        .collect();
    assert_eq!(answers.len(), 1);
    assert_eq!(answers[0]["text"], "Joined! #7");
}

#[tokio::test]
async fn chats_members_and_commands() {
    let t = start(SimConfig::default()).await;
    let user = t.user("Di").await;
    let channel = t
        .ctl(
            "/sim/chats",
            json!({"type": "channel", "title": "Deals", "username": "deals"}),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    let group = t
        .ctl("/sim/chats", json!({"type": "supergroup", "title": "Fans"}))
        .await["id"]
        .as_i64()
        .unwrap();
    assert!(channel < 0 && group < 0);
    assert_error(
        &t.api("getChat", json!({"chat_id": channel})).await,
        400,
        "Bad Request: chat not found",
    );
    t.ctl(
        &format!("/sim/chats/{channel}/members"),
        json!({"bot": TOKEN, "status": "member"}),
    )
    .await;
    assert_eq!(
        t.ok("getChat", json!({"chat_id": "@deals"})).await["title"],
        "Deals"
    );
    assert_error(
        &t.api(
            "getChatMember",
            json!({"chat_id": channel, "user_id": user}),
        )
        .await,
        400,
        "Bad Request: member list is inaccessible",
    );
    t.ctl(
        &format!("/sim/chats/{channel}/members"),
        json!({"bot": TOKEN, "status": "administrator"}),
    )
    .await;
    assert_eq!(
        t.ok(
            "getChatMember",
            json!({"chat_id": channel, "user_id": user})
        )
        .await["status"],
        "left"
    );
    t.ctl(
        &format!("/sim/chats/{channel}/members"),
        json!({"user_id": user, "status": "member"}),
    )
    .await;
    assert_eq!(
        t.ok(
            "getChatMember",
            json!({"chat_id": channel, "user_id": user})
        )
        .await["status"],
        "member"
    );
    let res = t
        .http
        .delete(t.url(&format!("/sim/chats/{channel}/members/{user}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        t.ok(
            "getChatMember",
            json!({"chat_id": channel, "user_id": user})
        )
        .await["status"],
        "left"
    );

    assert_error(
        &t.api(
            "setMyCommands",
            json!({"commands": [{"command": "Start!", "description": "x"}]}),
        )
        .await,
        400,
        "Bad Request: BOT_COMMAND_INVALID",
    );
    t.ok(
        "setMyCommands",
        json!({"commands": [{"command": "start", "description": "菜单"}]}),
    )
    .await;
    assert_eq!(
        t.ok("getMyCommands", json!({})).await,
        json!([{"command": "start", "description": "菜单"}])
    );
    assert_eq!(t.ok("logOut", json!({})).await, true);
    assert_eq!(t.ok("close", json!({})).await, true);
}

#[tokio::test]
async fn set_webhook_validates_like_telegram() {
    let t = start(SimConfig {
        strict_webhook_urls: true,
        ..SimConfig::default()
    })
    .await;
    let refusals = [
        (
            json!({"url": "http://example.com/hook"}),
            "bad webhook: An HTTPS URL must be provided for webhook",
        ),
        (
            json!({"url": "https://example.com:8080/hook"}),
            "bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443",
        ),
        (
            json!({"url": "https://example.com/hook", "max_connections": 0}),
            "bad max_connections",
        ),
        (
            json!({"url": "https://example.com/hook", "max_connections": 101}),
            "bad max_connections",
        ),
        (
            json!({"url": "https://example.com/hook", "secret_token": "has space"}),
            "secret token contains unallowed characters",
        ),
        (
            json!({"url": "https://example.com/hook", "secret_token": "a".repeat(257)}),
            "secret token contains unallowed characters",
        ),
        (
            json!({"url": "https://example.com/hook", "allowed_updates": "nope"}),
            "can't parse allowed_updates JSON object",
        ),
    ];
    for (body, description) in refusals {
        assert_error(
            &t.api("setWebhook", body).await,
            400,
            &format!("Bad Request: {description}"),
        );
    }
    t.ok("setWebhook", json!({"url": "https://example.com:8443/tg/abc", "secret_token": "s3cr3t_-", "max_connections": 7, "allowed_updates": ["message", "callback_query"]})).await;
    let info = t.ok("getWebhookInfo", json!({})).await;
    assert_eq!(info["url"], "https://example.com:8443/tg/abc");
    assert_eq!(info["max_connections"], 7);
    assert_eq!(
        info["allowed_updates"],
        json!(["message", "callback_query"])
    );
    assert_eq!(info["pending_update_count"], 0);
    assert!(
        info.get("secret_token").is_none(),
        "the secret is never echoed"
    );
    assert_error(
        &t.api("getUpdates", json!({})).await,
        409,
        "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
    );
    t.ok("deleteWebhook", json!({})).await;
    assert_eq!(t.ok("getWebhookInfo", json!({})).await["url"], "");
}

/// One delivery as the receiver saw it: the secret header and the update.
type Delivery = (Option<String>, Value);

/// A webhook receiver on a real port that records what arrives and answers with a script.
#[derive(Clone, Default)]
struct Receiver {
    got: Arc<Mutex<Vec<Delivery>>>,
    statuses: Arc<Mutex<Vec<u16>>>,
    delay_ms: Arc<Mutex<u64>>,
    in_flight: Arc<Mutex<(usize, usize)>>,
}

impl Receiver {
    async fn start(&self) -> String {
        let me = self.clone();
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(
                move |headers: axum::http::HeaderMap, body: axum::body::Bytes| {
                    let me = me.clone();
                    async move {
                        {
                            let mut f = me.in_flight.lock().unwrap();
                            f.0 += 1;
                            f.1 = f.1.max(f.0);
                        }
                        let delay = *me.delay_ms.lock().unwrap();
                        tokio::time::sleep(Duration::from_millis(delay)).await;
                        me.in_flight.lock().unwrap().0 -= 1;
                        let status = {
                            let mut s = me.statuses.lock().unwrap();
                            if s.is_empty() { 200 } else { s.remove(0) }
                        };
                        if status == 200 {
                            let secret = headers
                                .get("x-telegram-bot-api-secret-token")
                                .map(|v| v.to_str().unwrap().to_owned());
                            me.got
                                .lock()
                                .unwrap()
                                .push((secret, serde_json::from_slice(&body).unwrap()));
                        }
                        axum::http::StatusCode::from_u16(status).unwrap()
                    }
                },
            ),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        format!("http://{addr}/hook")
    }

    fn ids(&self) -> Vec<i64> {
        self.got
            .lock()
            .unwrap()
            .iter()
            .map(|(_, u)| u["update_id"].as_i64().unwrap())
            .collect()
    }

    async fn wait_for(&self, n: usize) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.got.lock().unwrap().len() < n {
            assert!(
                Instant::now() < deadline,
                "only {} of {n} updates arrived",
                self.got.lock().unwrap().len()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

#[tokio::test]
async fn webhook_delivers_in_order_with_the_secret_and_retries() {
    let t = start(quick()).await;
    let rx = Receiver::default();
    *rx.statuses.lock().unwrap() = vec![500, 502];
    let url = rx.start().await;
    t.ok(
        "setWebhook",
        json!({"url": url, "secret_token": "top-secret_1", "max_connections": 1}),
    )
    .await;
    let user = t.user("Ed").await;
    let mut sent = Vec::new();
    for i in 0..20 {
        let r = t
            .ctl(
                &format!("/sim/users/{user}/send"),
                json!({"bot": TOKEN, "text": format!("m{i}")}),
            )
            .await;
        sent.push(r["update_id"].as_i64().unwrap());
    }
    rx.wait_for(20).await;
    assert_eq!(
        rx.ids(),
        sent,
        "one connection: strictly in update_id order, retried head first"
    );
    assert!(
        rx.got
            .lock()
            .unwrap()
            .iter()
            .all(|(s, _)| s.as_deref() == Some("top-secret_1"))
    );
    let info = t.ok("getWebhookInfo", json!({})).await;
    assert_eq!(info["pending_update_count"], 0);
    assert_eq!(
        info["last_error_message"],
        "Wrong response from the webhook: 502 Bad Gateway"
    );
    assert!(info["last_error_date"].as_i64().unwrap() > 1_700_000_000);
}

#[tokio::test]
async fn webhook_respects_max_connections() {
    let t = start(quick()).await;
    let rx = Receiver::default();
    *rx.delay_ms.lock().unwrap() = 150;
    let url = rx.start().await;
    t.ok("setWebhook", json!({"url": url, "max_connections": 3}))
        .await;
    let user = t.user("Fay").await;
    for i in 0..12 {
        t.ctl(
            &format!("/sim/users/{user}/send"),
            json!({"bot": TOKEN, "text": format!("m{i}")}),
        )
        .await;
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    let pending = t.ok("getWebhookInfo", json!({})).await["pending_update_count"]
        .as_i64()
        .unwrap();
    assert!(pending > 0, "getWebhookInfo shows the real backlog");
    rx.wait_for(12).await;
    let max = rx.in_flight.lock().unwrap().1;
    assert_eq!(
        max, 3,
        "never more than max_connections in flight, and it is used"
    );
    assert_eq!(
        t.get(&format!("/sim/bots/{TOKEN}/state")).await["max_in_flight_seen"],
        3
    );
}

#[tokio::test]
async fn webhook_filters_allowed_updates_and_drops_old_ones() {
    let t = start(SimConfig {
        retention_ms: 300,
        ..quick()
    })
    .await;
    let rx = Receiver::default();
    let url = rx.start().await;
    t.ok(
        "setWebhook",
        json!({"url": url, "allowed_updates": ["callback_query"]}),
    )
    .await;
    let user = t.started_user("Gus").await;
    assert_eq!(
        t.ctl(
            &format!("/sim/users/{user}/send"),
            json!({"bot": TOKEN, "text": "hi"})
        )
        .await["queued"],
        false
    );
    let kb = json!({"inline_keyboard": [[{"text": "b", "callback_data": "b"}]]});
    let m = t
        .ok(
            "sendMessage",
            json!({"chat_id": user, "text": "x", "reply_markup": kb}),
        )
        .await;
    t.ctl(
        &format!("/sim/users/{user}/press"),
        json!({"bot": TOKEN, "message_id": m["message_id"], "data": "b"}),
    )
    .await;
    rx.wait_for(1).await;
    assert!(rx.got.lock().unwrap()[0].1.get("callback_query").is_some());

    // A webhook nobody answers: updates wait, then expire after the retention.
    t.ok("setWebhook", json!({"url": "http://127.0.0.1:9/hook"}))
        .await;
    t.ctl(
        &format!("/sim/users/{user}/send"),
        json!({"bot": TOKEN, "text": "lost"}),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let info = t.ok("getWebhookInfo", json!({})).await;
    assert_eq!(info["pending_update_count"], 1);
    assert_eq!(info["last_error_message"], "Connection refused");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        t.ok("getWebhookInfo", json!({})).await["pending_update_count"],
        0
    );
}

#[tokio::test]
async fn polling_offsets_long_polls_and_conflicts() {
    let t = start(SimConfig::default()).await;
    let user = t.user("Hu").await;
    for text in ["a", "b", "c"] {
        t.ctl(
            &format!("/sim/users/{user}/send"),
            json!({"bot": TOKEN, "text": text}),
        )
        .await;
    }
    let all = t.ok("getUpdates", json!({})).await;
    let ids: Vec<i64> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["update_id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids.len(), 3);
    assert_eq!(ids[1], ids[0] + 1);
    assert_eq!(
        t.ok("getUpdates", json!({"limit": 1}))
            .await
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // Confirming with offset = last + 1 forgets them.
    let rest = t.ok("getUpdates", json!({"offset": ids[1]})).await;
    assert_eq!(rest.as_array().unwrap().len(), 2);
    assert_eq!(
        t.ok("getUpdates", json!({"offset": ids[2] + 1})).await,
        json!([])
    );

    // A long poll returns as soon as an update arrives.
    let started = Instant::now();
    let poll = tokio::spawn({
        let http = t.http.clone();
        let url = t.url(&format!("/bot{TOKEN}/getUpdates"));
        async move {
            http.post(url)
                .json(&json!({"timeout": 10, "offset": ids[2] + 1}))
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    t.ctl(
        &format!("/sim/users/{user}/send"),
        json!({"bot": TOKEN, "text": "d"}),
    )
    .await;
    let got = poll.await.unwrap();
    assert_eq!(got["result"][0]["message"]["text"], "d");
    assert!(started.elapsed() < Duration::from_secs(5));

    // An empty long poll waits for its timeout.
    let started = Instant::now();
    let next = got["result"][0]["update_id"].as_i64().unwrap() + 1;
    assert_eq!(
        t.ok("getUpdates", json!({"timeout": 1, "offset": next}))
            .await,
        json!([])
    );
    assert!(started.elapsed() >= Duration::from_millis(900));

    // A second poller terminates the first with 409.
    let first = tokio::spawn({
        let http = t.http.clone();
        let url = t.url(&format!("/bot{TOKEN}/getUpdates"));
        async move {
            let res = http
                .post(url)
                .json(&json!({"timeout": 10, "offset": next}))
                .send()
                .await
                .unwrap();
            (res.status().as_u16(), res.json::<Value>().await.unwrap())
        }
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    let second = tokio::spawn({
        let http = t.http.clone();
        let url = t.url(&format!("/bot{TOKEN}/getUpdates"));
        async move {
            http.post(url)
                .json(&json!({"timeout": 1, "offset": next}))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    });
    let first = first.await.unwrap();
    assert_error(
        &first,
        409,
        "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
    );
    assert_eq!(second.await.unwrap(), 200);
}

#[tokio::test]
async fn rate_limits_answer_429_with_retry_after() {
    let t = start(SimConfig::default()).await;
    // Assertions allow for the tokens that flow in while the requests run, so a slow
    // machine cannot make them flaky: at least the burst passes, at most burst + refill.
    let user = t.started_user("Ida").await;
    let mut results = Vec::new();
    let started = Instant::now();
    for i in 0..6 {
        results.push(
            t.api(
                "sendMessage",
                json!({"chat_id": user, "text": format!("{i}")}),
            )
            .await,
        );
    }
    let refill = started.elapsed().as_secs_f64().ceil() as usize;
    let ok = results.iter().filter(|r| r.0 == 200).count();
    assert!(
        ok >= 3 && ok <= 3 + refill,
        "a burst of 3 per chat, then about one a second: {ok} ok"
    );
    assert!(results[..3].iter().all(|r| r.0 == 200));
    let limited = results
        .iter()
        .find(|r| r.0 == 429)
        .expect("the burst is limited");
    assert_eq!(limited.1["parameters"]["retry_after"], 1);
    assert_eq!(limited.1["description"], "Too Many Requests: retry after 1");
    let private_limited = 6 - ok;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(
        t.api("sendMessage", json!({"chat_id": user, "text": "later"}))
            .await
            .0,
        200,
        "retry_after was honest"
    );

    // 20 a minute in a group.
    let group = t
        .ctl("/sim/chats", json!({"type": "supergroup", "title": "G"}))
        .await["id"]
        .as_i64()
        .unwrap();
    t.ctl(
        &format!("/sim/chats/{group}/members"),
        json!({"bot": TOKEN, "status": "member"}),
    )
    .await;
    for i in 0..20 {
        assert_eq!(
            t.api(
                "sendMessage",
                json!({"chat_id": group, "text": format!("{i}")})
            )
            .await
            .0,
            200
        );
    }
    let over = t
        .api("sendMessage", json!({"chat_id": group, "text": "21"}))
        .await;
    assert_eq!(over.0, 429);
    assert_eq!(
        over.1["parameters"]["retry_after"], 3,
        "one message per 3 s refills"
    );

    // About 30 a second per bot, across chats (after the bucket refilled).
    let mut users = Vec::new();
    for i in 0..35 {
        users.push(t.started_user(&format!("U{i}")).await);
    }
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let started = Instant::now();
    let mut bulk_ok = 0;
    for u in &users {
        if t.api("sendMessage", json!({"chat_id": u, "text": "bulk"}))
            .await
            .0
            == 200
        {
            bulk_ok += 1;
        }
    }
    let refill = (started.elapsed().as_secs_f64() * 30.0).ceil() as usize;
    assert!(
        bulk_ok >= 30,
        "the per-bot burst of 30 goes through: {bulk_ok}"
    );
    assert!(
        bulk_ok <= 30 + refill,
        "no more than 30/s per bot: {bulk_ok} in {:?}",
        started.elapsed()
    );
    let calls = t.get(&format!("/sim/bots/{TOKEN}/calls")).await;
    assert_eq!(
        calls["sendMessage"]["too_many_requests"].as_u64().unwrap() as usize,
        private_limited + 1 + (35 - bulk_ok)
    );
}

#[tokio::test]
async fn injected_faults() {
    let t = start(SimConfig::default()).await;
    t.ctl("/sim/faults", json!({"token": TOKEN, "method": "getMe", "kind": {"type": "status", "code": 502, "description": "Bad Gateway"}, "count": 2})).await;
    assert_error(&t.api("getMe", json!({})).await, 502, "Bad Gateway");
    assert_error(&t.api("getMe", json!({})).await, 502, "Bad Gateway");
    assert_eq!(t.api("getMe", json!({})).await.0, 200);

    t.ctl(
        "/sim/faults",
        json!({"method": "getMe", "kind": {"type": "slow", "millis": 300}}),
    )
    .await;
    let started = Instant::now();
    assert_eq!(t.api("getMe", json!({})).await.0, 200);
    assert!(started.elapsed() >= Duration::from_millis(300));

    t.ctl("/sim/faults", json!({"kind": {"type": "drop"}}))
        .await;
    let res = t
        .http
        .post(t.url(&format!("/bot{TOKEN}/getMe")))
        .send()
        .await;
    let failed = match res {
        Err(_) => true,
        Ok(r) => r.bytes().await.is_err(),
    };
    assert!(failed, "a dropped connection is an error for the client");
    assert_eq!(t.api("getMe", json!({})).await.0, 200);
    let calls = t.get(&format!("/sim/bots/{TOKEN}/calls")).await;
    assert_eq!(calls["getMe"]["server_errors"], 3);
}

#[tokio::test]
async fn teloxide_works_unchanged() {
    use teloxide::prelude::*;
    use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup, UpdateKind};
    let t = start(SimConfig::default()).await;
    let bot = Bot::new(TOKEN).set_api_url(reqwest::Url::parse(&t.sim.api_url()).unwrap());
    let me = bot.get_me().await.unwrap();
    assert_eq!(me.username(), "lucky_draw_bot");

    let user = t.user("Jun").await;
    t.ctl(
        &format!("/sim/users/{user}/start"),
        json!({"bot": "@lucky_draw_bot", "payload": "g_42"}),
    )
    .await;
    let updates = bot.get_updates().await.unwrap();
    assert_eq!(updates.len(), 1);
    let UpdateKind::Message(msg) = &updates[0].kind else {
        panic!("{:?}", updates[0].kind)
    };
    assert_eq!(msg.text(), Some("/start g_42"));
    let next = updates[0].id.as_offset();

    let kb = InlineKeyboardMarkup::new([[InlineKeyboardButton::callback("🎁 Join", "m:join")]]);
    let sent = bot
        .send_message(msg.chat.id, "Menu")
        .reply_markup(kb)
        .await
        .unwrap();
    t.ctl(
        &format!("/sim/users/{user}/press"),
        json!({"bot": TOKEN, "message_id": sent.id.0, "data": "m:join"}),
    )
    .await;
    let updates = bot.get_updates().offset(next).await.unwrap();
    let UpdateKind::CallbackQuery(q) = &updates[0].kind else {
        panic!("{:?}", updates[0].kind)
    };
    assert_eq!(q.data.as_deref(), Some("m:join"));
    bot.answer_callback_query(q.id.clone())
        .text("ok")
        .await
        .unwrap();
    let again = bot.answer_callback_query(q.id.clone()).await.unwrap_err();
    assert!(again.to_string().contains("query is too old"), "{again}");

    let long = InlineKeyboardMarkup::new([[InlineKeyboardButton::callback("x", "y".repeat(65))]]);
    let err = bot
        .send_message(msg.chat.id, "x")
        .reply_markup(long)
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("BUTTON_DATA_INVALID")
            || format!("{err:?}").contains("ButtonDataInvalid"),
        "{err:?}"
    );
}

#[tokio::test]
async fn drop_pending_updates_clears_the_queue() {
    let t = start(quick()).await;
    let user = t.user("Kai").await;
    for text in ["a", "b", "c"] {
        t.ctl(
            &format!("/sim/users/{user}/send"),
            json!({"bot": TOKEN, "text": text}),
        )
        .await;
    }
    // Nothing listens on port 9: the updates would wait there.
    t.ok("setWebhook", json!({"url": "http://127.0.0.1:9/hook"}))
        .await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(
        t.ok("getWebhookInfo", json!({})).await["pending_update_count"],
        3
    );
    t.ok(
        "setWebhook",
        json!({"url": "http://127.0.0.1:9/hook", "drop_pending_updates": true}),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(
        t.ok("getWebhookInfo", json!({})).await["pending_update_count"],
        0
    );
    t.ok("deleteWebhook", json!({"drop_pending_updates": true}))
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(t.ok("getUpdates", json!({})).await, json!([]));
}

#[tokio::test]
async fn reissued_token_replaces_the_old_one() {
    let t = start(SimConfig::default()).await;
    let fresh = t.ctl(&format!("/sim/bots/{TOKEN}/token"), json!({})).await["token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(fresh.starts_with("123456789:") && fresh != TOKEN);
    assert_error(&t.api("getMe", json!({})).await, 401, "Unauthorized");
    let (status, me) = t.api_as(&fresh, "getMe", json!({})).await;
    assert_eq!(
        (status, me["result"]["id"].clone()),
        (200, json!(123456789))
    );
    let res = t
        .http
        .post(t.url(&format!("/sim/bots/{fresh}/token")))
        .json(&json!({"token": "999:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400, "a new token keeps the bot's id");
}

#[tokio::test]
async fn premium_users_and_their_chat_boosts() {
    let t = start(quick()).await;
    let user = t.started_user("Boosty").await;
    let channel = t
        .ctl(
            "/sim/chats",
            json!({"type": "channel", "title": "Deals", "username": "deals"}),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    // Not Premium: no boost, and the updates say nothing of Premium.
    let res = t
        .http
        .post(t.url(&format!("/sim/chats/{channel}/boosts")))
        .json(&json!({"user_id": user}))
        .send()
        .await
        .unwrap();
    assert!(!res.status().is_success());
    t.ctl(
        &format!("/sim/users/{user}/premium"),
        json!({"premium": true}),
    )
    .await;
    let boost = t
        .ctl(
            &format!("/sim/chats/{channel}/boosts"),
            json!({"user_id": user}),
        )
        .await["boost_id"]
        .as_str()
        .unwrap()
        .to_owned();
    // The bot must administer the chat to read boosts.
    t.ctl(
        &format!("/sim/chats/{channel}/members"),
        json!({"bot": TOKEN, "status": "member"}),
    )
    .await;
    assert_error(
        &t.api(
            "getUserChatBoosts",
            json!({"chat_id": "@deals", "user_id": user}),
        )
        .await,
        400,
        "Bad Request: not enough rights",
    );
    t.ctl(
        &format!("/sim/chats/{channel}/members"),
        json!({"bot": TOKEN, "status": "administrator"}),
    )
    .await;
    let boosts = t
        .ok(
            "getUserChatBoosts",
            json!({"chat_id": "@deals", "user_id": user}),
        )
        .await;
    assert_eq!(boosts["boosts"].as_array().unwrap().len(), 1);
    assert_eq!(boosts["boosts"][0]["boost_id"], boost);
    assert_eq!(boosts["boosts"][0]["source"]["source"], "premium");
    assert_eq!(boosts["boosts"][0]["source"]["user"]["is_premium"], true);
    let res = t
        .http
        .delete(t.url(&format!("/sim/chats/{channel}/boosts/{boost}")))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success());
    let boosts = t
        .ok(
            "getUserChatBoosts",
            json!({"chat_id": channel, "user_id": user}),
        )
        .await;
    assert_eq!(boosts["boosts"], json!([]));
}
