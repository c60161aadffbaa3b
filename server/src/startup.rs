//! Builds the application: database, migrations, sessions, routes, background upkeep.

use crate::config::{Config, SecretKey, key_bytes};
use crate::http_guard::{self, GuardConfig};
use crate::webhook::{self, WebhookState};
use app::error::AppError;
use app::server::ServerContext;
use app::{App, shell};
use axum::Router;
use axum::extract::{FromRef, Request};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use backend::DatabaseConnection;
use backend::clock::Clock;
use backend::cluster::Cluster;
use backend::crypto::TokenCipher;
use backend::handlers::Workers;
use backend::limiter::Limiter;
use backend::outbox::Sender;
use backend::poller::Pollers;
use backend::scheduler::Scheduler;
use backend::session_store::SeaOrmSessionStore;
use backend::shutdown::{Stop, StopSender};
use backend::telegram::TelegramApi;
use http::StatusCode;
use leptos::config::LeptosOptions;
use leptos::prelude::provide_context;
use leptos_axum::{LeptosRoutes, generate_route_list};
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tower_http::limit::RequestBodyLimitLayer;
use tower_sessions::cookie::SameSite;
use tower_sessions::session_store::ExpiredDeletion;
use tower_sessions::{Expiry, SessionManagerLayer};

/// Largest request body accepted by the dashboard routes; forms are a few hundred bytes.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// Shared by every handler.
#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub ctx: ServerContext,
}

/// A built server, bound to its port but not yet serving.
pub struct Application {
    listener: TcpListener,
    router: Router,
    db: DatabaseConnection,
    background: Background,
}

/// The background loops, stopped in order at shutdown.
struct Background {
    stop: StopSender,
    pollers: Pollers,
    cluster: Cluster,
    usage: Arc<backend::usage::Usage>,
    /// Inbox workers, sender, scheduler, cluster beat: each ends after its work under way.
    loops: Vec<(&'static str, tokio::task::JoinHandle<()>)>,
}

/// How long shutdown waits for work under way before leaving it to the next start.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

impl Background {
    async fn wind_down(self, db: &DatabaseConnection) {
        self.stop.stop();
        // Polling first: an update fetched but not stored is fetched again next time.
        self.pollers.stop_all();
        for (name, task) in self.loops {
            match tokio::time::timeout(SHUTDOWN_GRACE, task).await {
                Ok(_) => tracing::info!(part = name, "stopped"),
                Err(_) => {
                    tracing::warn!(part = name, "did not stop in time; its work stays queued")
                }
            }
        }
        // Everything that calls Telegram has stopped: the last counts.
        if let Err(e) = self.usage.flush(db).await {
            tracing::warn!(error = %e, "last API call counts not written");
        }
        // The bots go back at once, so another process takes them at its next beat.
        if let Err(e) = self.cluster.leave().await {
            tracing::warn!(error = %e, "bot leases not given back; they lapse on their own");
        }
    }
}

impl Application {
    /// Connects and migrates the database, then binds `config.leptos.site_addr`
    /// (port 0 picks a free port).
    pub async fn build(config: Config, master_key: &SecretKey) -> anyhow::Result<Application> {
        let db = backend::db::connect_and_migrate(&config.database_url).await?;
        let listener = TcpListener::bind(config.leptos.site_addr).await?;
        let cipher = Arc::new(TokenCipher::single(key_bytes(master_key)));
        let telegram = TelegramApi::new(&config.telegram_api_url).map_err(anyhow::Error::msg)?;
        let clock = Clock::default();
        let limiter = Arc::new(Limiter::default());
        let usage = telegram.usage().clone();
        let (stop_tx, stop) = Stop::channel();
        let cluster = Cluster::new(db.clone());
        backend::bots::reconcile_modes(&db, &config.public_url).await?;
        // Take this process's share of the bots before anything acts for them.
        let beat = cluster.beat().await?;
        tracing::info!(
            node = cluster.node_id(),
            nodes = beat.live_nodes,
            bots = beat.owned,
            "joined"
        );
        let workers = Workers::new(
            db.clone(),
            cipher.clone(),
            telegram.clone(),
            limiter.clone(),
            clock.clone(),
            cluster.clone(),
        );
        let wake = workers.wake.clone();
        let mut loops = vec![("inbox", workers.spawn(stop.clone()))];
        if let Some(listener) = backend::inbox::spawn_listener(&db, wake.clone(), stop.clone()) {
            loops.push(("inbox listener", listener));
        }
        let sender = Sender::new(
            db.clone(),
            cipher.clone(),
            telegram.clone(),
            limiter.clone(),
            cluster.clone(),
        );
        let sender_wake = sender.wake.clone();
        let sends = sender.counters();
        loops.push(("outbox", sender.spawn(stop.clone())));
        let scheduler = Scheduler::new(
            db.clone(),
            cipher.clone(),
            telegram.clone(),
            clock.clone(),
            config.public_url.clone(),
            sender_wake.clone(),
        );
        let scheduler_wake = scheduler.wake.clone();
        loops.push(("scheduler", scheduler.spawn(stop.clone())));
        let pollers = Pollers::new(
            db.clone(),
            cipher.clone(),
            telegram.clone(),
            cluster.clone(),
            wake.clone(),
        );
        let resumed = pollers.sync().await?;
        tracing::info!(bots = resumed, "pollers resumed");
        loops.push((
            "cluster",
            spawn_beats(
                cluster.clone(),
                pollers.clone(),
                sender_wake.clone(),
                stop.clone(),
            ),
        ));
        loops.push((
            "usage",
            spawn_usage(
                db.clone(),
                cipher.clone(),
                telegram.clone(),
                cluster.clone(),
                stop.clone(),
            ),
        ));
        // Webhooks are checked in the background: a slow Telegram must not delay start-up.
        {
            let (db, cipher, telegram, public_url) = (
                db.clone(),
                cipher.clone(),
                telegram.clone(),
                config.public_url.clone(),
            );
            tokio::spawn(async move {
                match backend::bots::resume_webhooks(&db, &cipher, &telegram, &public_url).await {
                    Ok(n) => tracing::info!(bots = n, "webhooks checked"),
                    Err(e) => tracing::warn!(error = %e, "webhook check at start-up failed"),
                }
            });
        }
        let router = router(
            &config,
            Services {
                db: db.clone(),
                cipher,
                telegram,
                pollers: pollers.clone(),
                inbox_wake: wake,
                clock,
                scheduler_wake,
                sender_wake,
                sends,
                limiter,
                cluster: cluster.clone(),
            },
        );
        spawn_upkeep(db.clone(), config.login_limits);
        Ok(Application {
            listener,
            router,
            db,
            background: Background {
                stop: stop_tx,
                pollers,
                cluster,
                usage,
                loops,
            },
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    pub fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    /// Serves until `shutdown` completes; then stops accepting, finishes the requests
    /// under way, stops polling, lets the inbox workers answer what they hold, the sender
    /// finish the sends under way and the scheduler its round (unsent messages stay in
    /// the outbox), and gives this process's bots back.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let served = axum::serve(
            self.listener,
            self.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            shutdown.await;
            tracing::info!("shutting down: no new connections");
        })
        .await;
        self.background.wind_down(&self.db).await;
        served
    }
}

/// The HTTP routes: server functions, the Leptos pages, static files, health, and the
/// Telegram webhook (outside the dashboard's session, origin and body-size layers).
pub fn router(config: &Config, services: Services) -> Router {
    let Services {
        db,
        cipher,
        telegram,
        pollers,
        inbox_wake: wake,
        clock,
        scheduler_wake,
        sender_wake,
        sends,
        limiter,
        cluster,
    } = services;
    let http_counters = Arc::new(crate::metrics::HttpCounters::default());
    let metrics = crate::metrics::router(crate::metrics::MetricsState {
        db: db.clone(),
        http: http_counters.clone(),
        sends,
        limiter,
        pollers: pollers.clone(),
        cluster,
    });
    let leptos_options = config.leptos.clone();
    let test_clock = config
        .test_clock
        .then(|| (clock.clone(), scheduler_wake.clone()));
    let state = AppState {
        leptos_options: leptos_options.clone(),
        ctx: ServerContext {
            db: db.clone(),
            telegram,
            cipher: cipher.clone(),
            pollers,
            clock,
            scheduler_wake,
            sender_wake,
            public_url: config.public_url.clone(),
            login_limits: config.login_limits,
            secure_cookies: config.https(),
        },
    };
    let guard = Arc::new(GuardConfig {
        public_origin: config.public_origin(),
        trust_forwarded_for: config.trust_forwarded_for,
    });
    let db_for_webhook = db.clone();
    let sessions = SessionManagerLayer::new(SeaOrmSessionStore::new(db))
        .with_name("tombola_session")
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(config.https())
        .with_expiry(Expiry::OnInactivity(time::Duration::days(i64::from(
            config.session_days,
        ))));

    let exports = crate::exports::router(crate::exports::ExportState {
        db: db_for_webhook.clone(),
        cipher: cipher.clone(),
    })
    .layer(sessions.clone());
    let routes = generate_route_list(App);
    let ctx = state.ctx.clone();
    let fallback_ctx = state.ctx.clone();
    Router::new()
        .leptos_routes_with_context(&state, routes, move || provide_context(ctx.clone()), {
            let options = leptos_options.clone();
            move || shell(options.clone())
        })
        .route("/healthz", get(|| async { "ok" }))
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(
            move || provide_context(fallback_ctx.clone()), shell
        ))
        .layer(axum::middleware::from_fn(server_fn_errors))
        .layer(axum::middleware::from_fn_with_state(
            guard.clone(),
            http_guard::same_origin,
        ))
        .layer(sessions)
        .layer(axum::middleware::from_fn_with_state(
            guard,
            http_guard::client_ip,
        ))
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .with_state(state)
        .merge(webhook::router(WebhookState {
            db: db_for_webhook,
            cipher,
            wake,
        }))
        .merge(exports)
        .merge(metrics)
        .merge(test_clock.map(test_clock_router).unwrap_or_default())
        .layer(axum::middleware::from_fn_with_state(
            http_counters,
            crate::metrics::count_responses,
        ))
        .layer(axum::middleware::from_fn(
            |mut req: Request, next: Next| async move {
                // Inside the trace layer: the current span is the request's.
                req.extensions_mut()
                    .insert(app::server::RequestSpan(tracing::Span::current()));
                next.run(req).await
            },
        ))
        .layer(
            tower_http::trace::TraceLayer::new_for_http()
                .make_span_with(request_span)
                .on_response(
                    tower_http::trace::DefaultOnResponse::new().level(tracing::Level::DEBUG),
                ),
        )
}

/// Every request's span: an id for following it through the log, method and path (a
/// webhook's path is a capability and is never written), and the tenant and bot once
/// known (recorded by the session lookup and the webhook).
fn request_span(req: &Request) -> tracing::Span {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    let id = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let path = req.uri().path();
    let path = if path.starts_with("/tg/") {
        "/tg/…"
    } else {
        path
    };
    tracing::info_span!(
        "request",
        id,
        method = %req.method(),
        path = %path,
        tenant = tracing::field::Empty,
        bot = tracing::field::Empty,
    )
}

/// The running parts the routes talk to.
pub struct Services {
    pub db: DatabaseConnection,
    pub cipher: Arc<TokenCipher>,
    pub telegram: TelegramApi,
    pub pollers: Pollers,
    pub inbox_wake: Arc<tokio::sync::Notify>,
    pub clock: Clock,
    pub scheduler_wake: Arc<tokio::sync::Notify>,
    pub sender_wake: Arc<tokio::sync::Notify>,
    pub sends: Arc<backend::outbox::Counters>,
    pub limiter: Arc<Limiter>,
    pub cluster: Cluster,
}

/// `POST /test/clock {"advance_secs": n}`: only with `test-clock = true` (never in
/// production). Moves the scheduler's clock and runs a round at once.
fn test_clock_router((clock, wake): (Clock, Arc<tokio::sync::Notify>)) -> Router {
    #[derive(serde::Deserialize)]
    struct Advance {
        advance_secs: i64,
    }
    Router::new().route(
        "/test/clock",
        axum::routing::post(move |axum::Json(a): axum::Json<Advance>| {
            let (clock, wake) = (clock.clone(), wake.clone());
            async move {
                if !(0..=400 * 86_400).contains(&a.advance_secs) {
                    return (StatusCode::BAD_REQUEST, "advance_secs: 0 to 400 days")
                        .into_response();
                }
                clock.advance(a.advance_secs);
                wake.notify_one();
                axum::Json(serde_json::json!({
                    "offset_secs": clock.offset_secs(),
                    "now": clock.now().to_rfc3339(),
                }))
                .into_response()
            }
        }),
    )
}

/// Server functions are routed by `leptos_routes_with_context` (each under `/api/`);
/// this layer only gives their errors an HTTP status.
async fn server_fn_errors(req: Request, next: Next) -> Response {
    let is_server_fn = req.uri().path().starts_with("/api/");
    let res = next.run(req).await;
    if is_server_fn {
        with_error_status(res).await
    } else {
        res
    }
}

/// server_fn answers every error with 500. Give each [`AppError`] its HTTP meaning
/// (400, 401, 403, 404, 409, 429) so clients and logs can tell a refusal from a fault.
/// The body, the JSON-encoded error, is kept as it is.
async fn with_error_status(res: Response) -> Response {
    if res.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_BODY_BYTES).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response();
    };
    if let Ok(err) = serde_json::from_slice::<AppError>(&bytes) {
        parts.status = match err {
            AppError::Validation { .. }
            | AppError::BadRequest
            | AppError::TelegramRejectedToken
            | AppError::TelegramRefused => StatusCode::BAD_REQUEST,
            AppError::TelegramUnavailable => StatusCode::BAD_GATEWAY,
            AppError::InvalidCredentials | AppError::Unauthorized => StatusCode::UNAUTHORIZED,
            AppError::Forbidden
            | AppError::SignupDisabled
            | AppError::PlanLimit { .. }
            | AppError::Suspended { .. } => StatusCode::FORBIDDEN,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Conflict { .. } => StatusCode::CONFLICT,
            AppError::RateLimited { retry_after_secs } => {
                if let Ok(v) = http::HeaderValue::from_str(&retry_after_secs.to_string()) {
                    parts.headers.insert(http::header::RETRY_AFTER, v);
                }
                StatusCode::TOO_MANY_REQUESTS
            }
            AppError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        };
    }
    Response::from_parts(parts, axum::body::Body::from(bytes))
}

/// Every [`backend::cluster::BEAT`]: renews this process's bot leases, balances the bots
/// between processes, and polls exactly the polling bots it owns; wakes the sender when
/// bots arrived (their queued messages are now this process's to send).
fn spawn_beats(
    cluster: Cluster,
    pollers: Pollers,
    sender_wake: Arc<tokio::sync::Notify>,
    stop: Stop,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            stop.sleep(backend::cluster::BEAT).await;
            if stop.is_set() {
                return;
            }
            let beat = cluster.beat().await;
            // Also after a failed beat: a lease that lapsed locally stops its poller.
            if let Err(e) = pollers.sync().await {
                tracing::warn!(error = %e, "pollers not synchronised");
            }
            match beat {
                Ok(b) => {
                    // Their pollers are stopped now: another process may take them.
                    if let Err(e) = cluster.give_back(&b.released).await {
                        tracing::warn!(error = %e, "bots not given back; their leases lapse");
                    }
                    if !b.acquired.is_empty() || !b.released.is_empty() {
                        tracing::info!(
                            nodes = b.live_nodes,
                            share = b.share,
                            owned = b.owned,
                            acquired = b.acquired.len(),
                            released = b.released.len(),
                            "bots rebalanced"
                        );
                        sender_wake.notify_one();
                    }
                }
                Err(e) => tracing::warn!(error = %e, "bot leases not renewed"),
            }
        }
    })
}

/// Every few seconds the Bot API call counts go to the database; every few minutes the webhook bots
/// this process owns have their webhook's health read.
fn spawn_usage(
    db: DatabaseConnection,
    cipher: Arc<TokenCipher>,
    telegram: TelegramApi,
    cluster: Cluster,
    stop: Stop,
) -> tokio::task::JoinHandle<()> {
    const FLUSH: Duration = Duration::from_secs(5);
    const WEBHOOK_CHECK_EVERY: u32 = 60; // flushes: five minutes
    tokio::spawn(async move {
        let mut round: u32 = 0;
        while !stop.is_set() {
            stop.sleep(FLUSH).await;
            if let Err(e) = telegram.usage().flush(&db).await {
                tracing::warn!(error = %e, "API call counts not written; kept for the next try");
            }
            round = round.wrapping_add(1);
            if round % WEBHOOK_CHECK_EVERY == 1
                && !stop.is_set()
                && let Err(e) =
                    backend::bots::check_webhooks(&db, &cipher, &telegram, cluster.node_id()).await
            {
                tracing::warn!(error = %e, "webhook health check failed");
            }
        }
        // The last counts are written by `Background::wind_down`, after every loop ended.
    })
}

/// Hourly: expired sessions and login failures that no longer count are deleted.
fn spawn_upkeep(db: DatabaseConnection, limits: backend::throttle::LoginLimits) {
    tokio::spawn(async move {
        let store = SeaOrmSessionStore::new(db.clone());
        let mut tick = tokio::time::interval(Duration::from_secs(3600));
        loop {
            tick.tick().await;
            if let Err(e) = store.delete_expired().await {
                tracing::warn!(error = %e, "expired-session clean-up failed");
            }
            if let Err(e) = backend::throttle::prune(&db, &limits).await {
                tracing::warn!(error = %e, "login-failure clean-up failed");
            }
            if let Err(e) = backend::usage::prune(&db).await {
                tracing::warn!(error = %e, "API call count clean-up failed");
            }
        }
    });
}
