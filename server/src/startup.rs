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
use backend::crypto::TokenCipher;
use backend::handlers::Workers;
use backend::limiter::Limiter;
use backend::outbox::Sender;
use backend::poller::Pollers;
use backend::scheduler::Scheduler;
use backend::session_store::SeaOrmSessionStore;
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
        let workers = Workers::new(
            db.clone(),
            cipher.clone(),
            telegram.clone(),
            limiter.clone(),
            clock.clone(),
        );
        let wake = workers.wake.clone();
        workers.spawn();
        let sender = Sender::new(
            db.clone(),
            cipher.clone(),
            telegram.clone(),
            limiter.clone(),
        );
        let sender_wake = sender.wake.clone();
        let sends = sender.counters();
        sender.spawn();
        let scheduler = Scheduler::new(
            db.clone(),
            cipher.clone(),
            telegram.clone(),
            clock.clone(),
            config.public_url.clone(),
            sender_wake.clone(),
        );
        let scheduler_wake = scheduler.wake.clone();
        scheduler.spawn();
        let pollers = Pollers::new(db.clone(), cipher.clone(), telegram.clone(), wake.clone());
        backend::bots::reconcile_modes(&db, &config.public_url).await?;
        let resumed = pollers.resume_all().await?;
        tracing::info!(bots = resumed, "pollers resumed");
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
                pollers,
                inbox_wake: wake,
                clock,
                scheduler_wake,
                sender_wake,
                sends,
                limiter,
            },
        );
        spawn_upkeep(db.clone(), config.login_limits);
        Ok(Application {
            listener,
            router,
            db,
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

    /// Serves until `shutdown` completes, then finishes in-flight requests.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        axum::serve(
            self.listener,
            self.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await
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
    } = services;
    let http_counters = Arc::new(crate::metrics::HttpCounters::default());
    let metrics = crate::metrics::router(crate::metrics::MetricsState {
        db: db.clone(),
        http: http_counters.clone(),
        sends,
        limiter,
        pollers: pollers.clone(),
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
        .layer(tower_http::trace::TraceLayer::new_for_http())
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
            AppError::Forbidden | AppError::SignupDisabled | AppError::PlanLimit { .. } => {
                StatusCode::FORBIDDEN
            }
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
        }
    });
}
