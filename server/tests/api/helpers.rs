//! `TestApp`: a server on a random port with its own database, and a cookie-keeping client.

use app::error::AppError;
use reqwest::{Client, StatusCode};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use server::config::Config;
use server::startup::Application;
use std::collections::HashMap;

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

/// Generates `<name>::sqlite` and `<name>::postgres` from one async test body taking a `Db`.
/// Each fails after [`TEST_LIMIT`] instead of hanging the run.
macro_rules! db_test {
    ($name:ident, $body:expr) => {
        mod $name {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                $crate::helpers::within_limit(module_path!(), ($body)($crate::helpers::Db::Sqlite))
                    .await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if $crate::helpers::postgres_or_skip(&format!("{}::postgres", module_path!()))
                    .is_none()
                {
                    return;
                }
                $crate::helpers::within_limit(
                    module_path!(),
                    ($body)($crate::helpers::Db::Postgres),
                )
                .await;
                eprintln!("ran on PostgreSQL: {}", module_path!());
            }
        }
    };
}
pub(crate) use db_test;

/// The longest a test may take; the slowest take under a minute on two cores.
pub const TEST_LIMIT: std::time::Duration = std::time::Duration::from_secs(300);

/// The longest one request of a test's client may take, answer included.
pub const REQUEST_LIMIT: std::time::Duration = std::time::Duration::from_secs(60);

/// Runs a test's body, failing it (with its name) if it takes longer than [`TEST_LIMIT`]:
/// a hang fails one test instead of the whole run's time.
pub async fn within_limit(test: &str, body: impl std::future::Future<Output = ()>) {
    if tokio::time::timeout(TEST_LIMIT, body).await.is_err() {
        panic!("{test} did not finish within {TEST_LIMIT:?}");
    }
}

pub fn postgres_url() -> Option<String> {
    std::env::var("TOMBOLA_TEST_POSTGRES_URL")
        .ok()
        .filter(|s| !s.is_empty())
}

/// [`postgres_url`] for a test (or the part of one) that runs on PostgreSQL only: when it
/// is unset, says so visibly, naming `test`, and the test returns.
pub fn postgres_or_skip(test: &str) -> Option<String> {
    let url = postgres_url();
    if url.is_none() {
        eprintln!("SKIPPED {test}: TOMBOLA_TEST_POSTGRES_URL is not set");
    }
    url
}

/// A fresh, empty database URL for one test.
pub async fn fresh_database(db: Db) -> String {
    let name = format!(
        "tombola_t_{}_{:016x}",
        std::process::id(),
        rand::random::<u64>()
    );
    match db {
        Db::Sqlite => {
            let dir = std::env::temp_dir().join("tombola-tests");
            std::fs::create_dir_all(&dir).unwrap();
            format!("sqlite://{}/{name}.db", dir.display())
        }
        Db::Postgres => {
            let base = postgres_url().expect("checked by the caller");
            let admin = Database::connect(&base)
                .await
                .expect("connect to TOMBOLA_TEST_POSTGRES_URL");
            admin
                .execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await
                .expect("create test database");
            admin.close().await.ok();
            let (prefix, _) = base.rsplit_once('/').expect("URL has a database");
            format!("{prefix}/{name}")
        }
    }
}

pub struct TestApp {
    pub base: String,
    pub client: Client,
    pub db: DatabaseConnection,
    pub database_url: String,
}

/// Extra `Leptos.toml` text for a test, e.g. tighter login limits.
pub async fn spawn(db: Db, tombola_toml: &str) -> TestApp {
    spawn_on(fresh_database(db).await, tombola_toml).await
}

pub async fn spawn_on(database_url: String, tombola_toml: &str) -> TestApp {
    // No internet here: draws use the seed and list only (v2) unless a test sets up a
    // beacon (the simulator's relay, `beacon.rs`).
    let beacon = if tombola_toml.contains("beacon") {
        ""
    } else {
        "beacon = \"off\"\n"
    };
    let toml = format!(
        "[leptos]\nsite-addr = \"127.0.0.1:0\"\n[tombola]\ndatabase-url = \"{database_url}\"\n{beacon}{tombola_toml}"
    );
    let config = Config::from_toml_and_env(&toml, |_| None).expect("test config");
    let key = secrecy::SecretBox::new(Box::new(TEST_MASTER_KEY));
    let app = Application::build(config, &key).await.expect("build app");
    let addr = app.local_addr();
    let db = app.db().clone();
    tokio::spawn(app.run(std::future::pending()));
    TestApp {
        base: format!("http://{addr}"),
        client: new_client(),
        db,
        database_url,
    }
}

impl TestApp {
    /// A client of a server started with [`spawn_binary`] on `database_url`.
    pub async fn of_process(database_url: &str, base: String) -> TestApp {
        TestApp {
            base,
            client: new_client(),
            db: backend::db::connect(database_url).await.unwrap(),
            database_url: database_url.to_owned(),
        }
    }
}

pub fn new_client() -> Client {
    Client::builder()
        .timeout(REQUEST_LIMIT)
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// What a server function answered.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub body: String,
    pub headers: reqwest::header::HeaderMap,
}

impl Answer {
    pub fn error(&self) -> AppError {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not an AppError ({e}): {} {}", self.status, self.body))
    }
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> T {
        assert!(self.status.is_success(), "{} {}", self.status, self.body);
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
}

impl TestApp {
    /// Calls a server function the way the hydrated page does (fetch, same origin).
    pub async fn call(&self, endpoint: &str, form: &[(&str, &str)]) -> Answer {
        self.call_with(&self.client, endpoint, form, &[]).await
    }

    pub async fn call_with(
        &self,
        client: &Client,
        endpoint: &str,
        form: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> Answer {
        let mut req = client
            .post(format!("{}/api/{endpoint}", self.base))
            .header("accept", "application/json")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(encode_form(form));
        if !headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("origin"))
        {
            req = req.header("origin", &self.base);
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let res = req.send().await.expect("request");
        Answer {
            status: res.status(),
            headers: res.headers().clone(),
            body: res.text().await.unwrap(),
        }
    }

    pub async fn sign_up(&self, email: &str, password: &str, company: &str) -> Answer {
        self.call(
            "auth/signup",
            &[
                ("email", email),
                ("password", password),
                ("company", company),
            ],
        )
        .await
    }

    pub async fn log_in(&self, email: &str, password: &str) -> Answer {
        self.call("auth/login", &[("email", email), ("password", password)])
            .await
    }

    pub async fn me(&self) -> Option<HashMap<String, serde_json::Value>> {
        self.call("auth/me", &[]).await.json()
    }

    pub async fn get_page(&self, path: &str) -> (StatusCode, reqwest::header::HeaderMap, String) {
        page(self.client.get(format!("{}{path}", self.base))).await
    }

    /// A page as `client` sees it, in English.
    pub async fn get_page_as(
        &self,
        client: &Client,
        path: &str,
    ) -> (StatusCode, reqwest::header::HeaderMap, String) {
        page(
            client
                .get(format!("{}{path}", self.base))
                .header("accept-language", "en"),
        )
        .await
    }

    pub async fn count_where(&self, table: &str, condition: &str) -> i64 {
        self.count(&format!("{table} WHERE {condition}")).await
    }

    pub async fn count(&self, table: &str) -> i64 {
        let row = self
            .db
            .query_one_raw(sea_orm::Statement::from_string(
                self.db.get_database_backend(),
                format!("SELECT COUNT(*) AS n FROM {table}"),
            ))
            .await
            .unwrap()
            .unwrap();
        row.try_get::<i64>("", "n").unwrap()
    }
}

/// Fetches a page as a browser asks for one: status, headers, HTML.
async fn page(req: reqwest::RequestBuilder) -> (StatusCode, reqwest::header::HeaderMap, String) {
    let res = req
        .header("accept", "text/html,application/xhtml+xml")
        .send()
        .await
        .unwrap();
    (
        res.status(),
        res.headers().clone(),
        res.text().await.unwrap(),
    )
}

pub fn encode_form(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", urlencode(k), urlencode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

pub const PASSWORD: &str = "correct horse battery";

/// The master key of every test server (tests derive the same sub-keys from it).
pub const TEST_MASTER_KEY: [u8; 32] = [42; 32];

/// The real `tombola` binary in a process of its own (so it can really be killed),
/// on a free port, with the test master key. Returns the child and its base URL once
/// `/healthz` answers.
/// A server process started by a test; killed when dropped, so a failing test leaves
/// nothing running (and holding the test's output open).
pub struct Proc(std::process::Child);

impl Proc {
    pub fn kill(&mut self) -> std::io::Result<()> {
        self.0.kill()
    }
    /// SIGTERM: what systemd sends to stop it.
    pub fn terminate(&self) {
        let ok = std::process::Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill -TERM failed");
    }
    pub fn pid(&self) -> u32 {
        self.0.id()
    }
    pub fn wait(&mut self) -> std::io::Result<std::process::ExitStatus> {
        self.0.wait()
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub async fn spawn_binary(database_url: &str, env: &[(&str, &str)]) -> (Proc, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = std::env::temp_dir().join(format!("tombola-bin-{}", rand::random::<u64>()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_tombola"));
    cmd.current_dir(&dir)
        .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
        .env("LEPTOS_SITE_ROOT", &dir)
        .env("TOMBOLA_DATABASE_URL", database_url)
        .env("TOMBOLA_SECRET_KEY", hex::encode(TEST_MASTER_KEY))
        .env("TOMBOLA_LOG", "warn")
        .env("TOMBOLA_BEACON", "off")
        .stdout(std::process::Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let child = Proc(cmd.spawn().unwrap());
    let base = format!("http://127.0.0.1:{port}");
    let client = new_client();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while client.get(format!("{base}/healthz")).send().await.is_err() {
        assert!(std::time::Instant::now() < deadline, "server did not start");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    (child, base)
}
