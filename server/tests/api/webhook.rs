//! `POST /tg/<webhook id>`: the door Telegram knocks on.

use crate::helpers::*;
use backend::crypto::TokenCipher;
use backend::entities::{bots, tenants};
use reqwest::StatusCode;
use sea_orm::{ActiveModelTrait, Set};
use std::time::{Duration, Instant};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/updates");

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!("{FIXTURES}/{name}")).unwrap()
}

/// A tenant with one bot row, as connecting a bot will leave it; returns its webhook id.
async fn bot_row(app: &TestApp, enabled: bool) -> String {
    insert_bot(&app.db, enabled).await
}

async fn insert_bot(db: &sea_orm::DatabaseConnection, enabled: bool) -> String {
    let now = chrono::Utc::now();
    let tenant = tenants::ActiveModel {
        public_id: Set(backend::ids::new_public_id()),
        name: Set("Hook Shop".into()),
        time_zone: Set("UTC".into()),
        bot_locale: Set("en".into()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
    .unwrap();
    let webhook_id = backend::ids::new_public_id().to_string();
    bots::ActiveModel {
        public_id: Set(backend::ids::new_public_id()),
        tenant_id: Set(tenant.id),
        telegram_id: Set(123456789),
        username: Set("hook_bot".into()),
        token_sealed: Set("v1.test.sealed".into()),
        token_fingerprint: Set(backend::ids::new_public_id().to_string()),
        webhook_id: Set(webhook_id.clone()),
        enabled: Set(enabled),
        mode: Set(domain::BotMode::Webhook),
        status: Set(domain::BotStatus::Live),
        status_reason: Set(None),
        poll_offset: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
    .unwrap();
    webhook_id
}

fn secret(webhook_id: &str) -> String {
    TokenCipher::single(&TEST_MASTER_KEY).webhook_secret(webhook_id)
}

async fn deliver(
    app: &TestApp,
    webhook_id: &str,
    secret: Option<&str>,
    body: impl Into<reqwest::Body>,
) -> StatusCode {
    let mut req = app
        .client
        .post(format!("{}/tg/{webhook_id}", app.base))
        .header("content-type", "application/json")
        .body(body);
    if let Some(s) = secret {
        req = req.header("X-Telegram-Bot-Api-Secret-Token", s);
    }
    req.send().await.unwrap().status()
}

/// Like `deliver`, for bodies the server may refuse before reading them all: it answers
/// 413 and closes, and the client may see either the 413 or the closed connection.
/// A client of its own: the connection the server closes must not go back into the
/// shared client's pool, where the next request could pick it up half-closed.
async fn deliver_oversized(
    app: &TestApp,
    webhook_id: &str,
    secret: &str,
    body: String,
) -> Option<StatusCode> {
    reqwest::Client::new()
        .post(format!("{}/tg/{webhook_id}", app.base))
        .header("content-type", "application/json")
        .header("X-Telegram-Bot-Api-Secret-Token", secret)
        .body(body)
        .send()
        .await
        .ok()
        .map(|r| r.status())
}

db_test!(deliveries_are_checked_then_stored_once, |db| async move {
    let app = spawn(db, "").await;
    let hook = bot_row(&app, true).await;
    let good = secret(&hook);
    let start = fixture("message_start.json");

    assert_eq!(
        deliver(&app, "no-such-hook", Some(&good), start.clone()).await,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        deliver(&app, &"x".repeat(500), Some(&good), start.clone()).await,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        deliver(&app, &hook, None, start.clone()).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        deliver(&app, &hook, Some("wrong"), start.clone()).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        deliver(&app, &hook, Some(&secret("another-hook")), start.clone()).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        deliver(&app, &hook, Some(&good), "{not json").await,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        deliver(&app, &hook, Some(&good), r#"{"message":{}}"#).await,
        StatusCode::BAD_REQUEST
    );
    let huge = format!(
        r#"{{"update_id":1,"message":{{"text":"{}"}}}}"#,
        "x".repeat(2 * 1024 * 1024)
    );
    let refused = deliver_oversized(&app, &hook, &good, huge).await;
    assert!(
        matches!(refused, None | Some(StatusCode::PAYLOAD_TOO_LARGE)),
        "{refused:?}"
    );
    assert_eq!(app.count("inbox").await, 0, "nothing refused was stored");

    assert_eq!(
        deliver(&app, &hook, Some(&good), start.clone()).await,
        StatusCode::OK
    );
    assert_eq!(
        deliver(&app, &hook, Some(&good), start.clone()).await,
        StatusCode::OK,
        "a replay is acknowledged"
    );
    assert_eq!(app.count("inbox").await, 1, "and stored once");

    for name in [
        "callback_query.json",
        "channel_post.json",
        "edited_message.json",
        "group_message.json",
        "message_start_deeplink.json",
        "my_chat_member_blocked.json",
        "unknown_kind.json",
    ] {
        assert_eq!(
            deliver(&app, &hook, Some(&good), fixture(name)).await,
            StatusCode::OK,
            "{name}"
        );
    }
    assert_eq!(app.count("inbox").await, 8);
    // An update without a chat (the unknown kind) is stored without one, on both
    // databases (PostgreSQL's batch insert sends it as a stand-in value).
    assert_eq!(app.count_where("inbox", "chat_id IS NULL").await, 1);
    assert_eq!(
        app.count_where("inbox", "chat_id = -9223372036854775808")
            .await,
        0
    );
});

db_test!(a_disabled_bot_has_no_webhook, |db| async move {
    let app = spawn(db, "").await;
    let hook = bot_row(&app, false).await;
    assert_eq!(
        deliver(
            &app,
            &hook,
            Some(&secret(&hook)),
            fixture("message_start.json")
        )
        .await,
        StatusCode::NOT_FOUND
    );
    assert_eq!(app.count("inbox").await, 0);
});

db_test!(an_acknowledged_update_survives_kill_9, |db| async move {
    let database_url = fresh_database(db).await;
    let setup = backend::db::connect_and_migrate(&database_url)
        .await
        .unwrap();
    let hook = insert_bot(&setup, true).await;
    setup.close().await.unwrap();

    let (mut child, base) = spawn_binary(&database_url, &[]).await;
    let client = new_client();
    let status = client
        .post(format!("{base}/tg/{hook}"))
        .header("X-Telegram-Bot-Api-Secret-Token", secret(&hook))
        .body(fixture("callback_query.json"))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, StatusCode::OK);
    child.kill().unwrap(); // SIGKILL: no shutdown, no flush
    child.wait().unwrap();

    let after = backend::db::connect(&database_url).await.unwrap();
    let app = TestApp {
        base,
        client,
        db: after,
        database_url,
    };
    assert_eq!(
        app.count("inbox").await,
        1,
        "the acknowledged update is on disk"
    );
});

/// On PostgreSQL a process that stores an update announces it; every other process's
/// listener wakes its inbox workers (the bot's owner answers at once). SQLite has one
/// process and no listener.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_update_stored_by_one_process_wakes_the_others() {
    let sqlite = backend::db::connect_and_migrate(&fresh_database(Db::Sqlite).await)
        .await
        .unwrap();
    let never = backend::stop::Stop::never();
    let wake = std::sync::Arc::new(tokio::sync::Notify::new());
    assert!(backend::telegram::inbox::spawn_listener(&sqlite, wake.clone(), never).is_none());
    if postgres_or_skip("webhook::an_update_stored_by_one_process_wakes_the_others (PostgreSQL)")
        .is_none()
    {
        return;
    }
    let url = fresh_database(Db::Postgres).await;
    let db = backend::db::connect_and_migrate(&url).await.unwrap();
    let (stop_tx, stop) = backend::stop::Stop::channel();
    let listener = backend::telegram::inbox::spawn_listener(&db, wake.clone(), stop).unwrap();
    // Another process's connection announces (again, until the listener is listening).
    let other = backend::db::connect(&url).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        backend::telegram::inbox::announce(&other).await;
        if tokio::time::timeout(Duration::from_millis(200), wake.notified())
            .await
            .is_ok()
        {
            break;
        }
        assert!(Instant::now() < deadline, "the listener never woke");
    }
    stop_tx.stop();
    listener.await.unwrap();
    eprintln!("ran on PostgreSQL: webhook::an_update_stored_by_one_process_wakes_the_others");
}

/// On PostgreSQL the inbox writer tells the other processes (NOTIFY) of an update only
/// when this process does not hold its bot: the holder answers it itself, and a NOTIFY
/// per batch cost PostgreSQL a fifth to a third of its insert rate (docs/performance.md).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_inbox_writer_tells_others_only_of_bots_it_does_not_hold() {
    use backend::telegram::inbox::{CHANNEL, InboxWriter, IncomingUpdate};
    use sea_orm::sqlx::postgres::PgListener;
    if postgres_or_skip("webhook::the_inbox_writer_tells_others_only_of_bots_it_does_not_hold")
        .is_none()
    {
        return;
    }
    let url = fresh_database(Db::Postgres).await;
    let db = backend::db::connect_and_migrate(&url).await.unwrap();
    let webhook_id = insert_bot(&db, true).await;
    let bot = {
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        bots::Entity::find()
            .filter(bots::Column::WebhookId.eq(&webhook_id))
            .one(&db)
            .await
            .unwrap()
            .unwrap()
            .id
    };
    let mut listener = PgListener::connect(&url).await.unwrap();
    listener.listen(CHANNEL).await.unwrap();
    let leases = backend::leases::Leases::new(db.clone());
    let (stop_tx, stop) = backend::stop::Stop::channel();
    let (writer, task) = InboxWriter::spawn(
        db.clone(),
        std::sync::Arc::new(backend::db::WriteGate::for_db(&db)),
        std::sync::Arc::new(tokio::sync::Notify::new()),
        leases.clone(),
        stop,
    );
    let update = |id: i64| {
        IncomingUpdate::parse(
            format!(r#"{{"update_id":{id},"message":{{"chat":{{"id":5}},"text":"hi"}}}}"#)
                .as_bytes(),
        )
        .unwrap()
    };

    // Held by no process here: the others are told.
    assert!(writer.store(bot, update(1)).await.unwrap());
    assert!(
        heard(&mut listener, Duration::from_secs(5)).await,
        "an update of a bot this process does not hold is announced"
    );
    // A replay stores nothing new, so nobody is told.
    assert!(!writer.store(bot, update(1)).await.unwrap());
    assert!(
        !heard(&mut listener, Duration::from_millis(500)).await,
        "a replay is not announced"
    );
    // Held by this process: it answers the update itself.
    assert!(leases.claim(bot).await.unwrap());
    assert!(writer.store(bot, update(2)).await.unwrap());
    assert!(
        !heard(&mut listener, Duration::from_millis(500)).await,
        "an update of a bot this process holds is not announced"
    );
    stop_tx.stop();
    task.await.unwrap();
    eprintln!(
        "ran on PostgreSQL: webhook::the_inbox_writer_tells_others_only_of_bots_it_does_not_hold"
    );
}

/// Whether a notification arrives on `listener` within `within`.
async fn heard(listener: &mut sea_orm::sqlx::postgres::PgListener, within: Duration) -> bool {
    tokio::time::timeout(within, listener.recv()).await.is_ok()
}
