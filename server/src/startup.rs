//! Builds the application: database, migrations, the shared [`Deps`], the background
//! [`Runtime`], and the HTTP routes over one [`AppState`].

use crate::config::{Config, SecretKey, key_bytes};
use crate::http_guard::{self, GuardConfig};
use crate::metrics::HttpCounters;
use app::error::AppError;
use app::server::ServerContext;
use app::{App, shell};
use axum::Router;
use axum::extract::{FromRef, Request};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use backend::accounts::session_store::SeaOrmSessionStore;
use backend::botapi::TelegramApi;
use backend::crypto::TokenCipher;
use backend::giveaways::joiner::WeakJoiner;
use backend::ops::{Runtime, RuntimeOptions};
use backend::telegram::inbox::InboxWriter;
use backend::telegram::outbox::Counters;
use backend::{DatabaseConnection, Deps};
use http::StatusCode;
use leptos::config::LeptosOptions;
use leptos::prelude::provide_context;
use leptos_axum::{AxumRouteListing, LeptosRoutes, generate_route_list};
use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use tokio::net::TcpListener;
use tower_http::limit::RequestBodyLimitLayer;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

/// Largest request body accepted by the dashboard routes; forms are a few hundred bytes.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// The one state of every route; each extracts the part it needs (`State<Deps>`, …).
/// One `Arc`: axum hands every request its own copy of the state.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

/// What [`AppState`] holds.
pub struct Shared {
    pub leptos_options: LeptosOptions,
    /// What server functions get as context.
    pub ctx: ServerContext,
    pub deps: Deps,
    /// HTTP answers by status class, for `/metrics`.
    pub http: Arc<HttpCounters>,
    /// Outbox send outcomes, for `/metrics`.
    pub sends: Arc<Counters>,
    /// Where the webhook stores deliveries.
    pub inbox: InboxWriter,
    pub guard: Arc<GuardConfig>,
}

impl std::ops::Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

macro_rules! from_ref {
    ($($field:ident: $ty:ty),*) => {$(
        impl FromRef<AppState> for $ty {
            fn from_ref(s: &AppState) -> $ty {
                s.0.$field.clone()
            }
        }
    )*};
}
from_ref!(leptos_options: LeptosOptions, ctx: ServerContext, deps: Deps, inbox: InboxWriter);

/// The dashboard's routes, walked once per process.
///
/// While leptos walks the routes it sets a flag of the whole process
/// (`SuppressResourceLoad`) under which a resource that starts to load, in any server of
/// the process, waits forever. Walked once, before the first server answers anything,
/// the walk cannot meet a page being rendered. The tests build many servers in one
/// process: walked per server, a page of one test now and then never came back while
/// another test built its server (about 1 run in 100 of `pages_render_and_guard`).
fn route_list() -> Vec<AxumRouteListing> {
    static ROUTES: OnceLock<Vec<AxumRouteListing>> = OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

/// A built server, bound to its port but not yet serving.
pub struct Application {
    listener: TcpListener,
    router: Router,
    runtime: Runtime,
    limits: crate::config::HttpLimits,
}

impl Application {
    /// Connects and migrates the database, starts the background loops, then binds
    /// `config.leptos.site_addr` (port 0 picks a free port).
    pub async fn build(config: Config, master_key: &SecretKey) -> anyhow::Result<Application> {
        let jobs = backend::accounts::password::configure(config.password_hash_jobs);
        tracing::debug!(jobs, "password hashing pool");
        let db = backend::db::connect_and_migrate(&config.database_url).await?;
        let listener = TcpListener::bind(config.leptos.site_addr).await?;
        let telegram = TelegramApi::new(&config.telegram_api_url).map_err(anyhow::Error::msg)?;
        let deps = Deps::new(
            db,
            TokenCipher::single(key_bytes(master_key)),
            telegram,
            &config.public_url,
            domain::giveaway::account_age::Table::new(&config.account_age_points),
            config.beacon.clone(),
        );
        let inbox_db = if config.database_url.starts_with("sqlite:") {
            backend::db::connect_with(&config.database_url, config.sqlite_synchronous, 1).await?
        } else {
            deps.db.clone()
        };
        let runtime = Runtime::start(
            deps.clone(),
            RuntimeOptions {
                login_limits: config.login_limits,
                inbox_db,
            },
        )
        .await?;
        let router = router(
            &config,
            deps,
            runtime.sends(),
            runtime.inbox(),
            runtime.joiner(),
        );
        Ok(Application {
            listener,
            router,
            runtime,
            limits: config.http,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    pub fn db(&self) -> &DatabaseConnection {
        &self.runtime.deps().db
    }

    /// Serves until `shutdown` completes, within the configured time and connection
    /// bounds (`crate::serve`); then stops accepting, finishes the requests under way, and
    /// stops the runtime (see `backend::ops::runtime`).
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let served = crate::serve::serve(self.listener, self.router, self.limits, shutdown).await;
        self.runtime.stop().await;
        served
    }
}

/// The HTTP routes: server functions, the Leptos pages, static files, health, and the
/// Telegram webhook (outside the dashboard's session, origin and body-size layers).
pub fn router(
    config: &Config,
    deps: Deps,
    sends: Arc<Counters>,
    inbox: InboxWriter,
    joiner: WeakJoiner,
) -> Router {
    let state = AppState(Arc::new(Shared {
        leptos_options: config.leptos.clone(),
        ctx: ServerContext {
            deps: deps.clone(),
            login_limits: config.login_limits,
            secure_cookies: config.https(),
            joiner,
        },
        http: Arc::default(),
        sends,
        inbox,
        guard: Arc::new(GuardConfig {
            public_origin: config.public_origin(),
            trust_forwarded_for: config.trust_forwarded_for,
        }),
        deps,
    }));
    let sessions = SessionManagerLayer::new(SeaOrmSessionStore::new(state.deps.db.clone()))
        .with_name("tombola_session")
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(config.https())
        .with_expiry(Expiry::OnInactivity(time::Duration::days(i64::from(
            config.session_days,
        ))));

    let routes = route_list();
    let (ctx, fallback_ctx) = (state.ctx.clone(), state.ctx.clone());
    let options = state.leptos_options.clone();
    let dashboard = Router::new()
        .leptos_routes_with_context(&state, routes, move || provide_context(ctx.clone()), {
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
        .layer(axum::middleware::from_fn(page_redirects))
        .layer(axum::middleware::from_fn_with_state(
            state.guard.clone(),
            http_guard::same_origin,
        ))
        .layer(sessions.clone())
        .layer(axum::middleware::from_fn_with_state(
            state.guard.clone(),
            http_guard::client_ip,
        ))
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES));
    let mut app = dashboard
        .merge(crate::webhook::router())
        .merge(crate::exports::router().layer(sessions))
        .merge(crate::metrics::router());
    if config.test_clock {
        app = app.merge(test_clock_router());
    }
    let http = state.http.clone();
    app.with_state(state)
        .layer(axum::middleware::from_fn_with_state(
            http,
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

/// `POST /test/clock {"advance_secs": n}`: only with `test-clock = true` (never in
/// production). Moves the scheduler's clock and runs a round at once.
fn test_clock_router() -> Router<AppState> {
    #[derive(serde::Deserialize)]
    struct Advance {
        advance_secs: i64,
    }
    async fn advance(
        axum::extract::State(deps): axum::extract::State<Deps>,
        axum::Json(a): axum::Json<Advance>,
    ) -> Response {
        if !(0..=400 * 86_400).contains(&a.advance_secs) {
            return (StatusCode::BAD_REQUEST, "advance_secs: 0 to 400 days").into_response();
        }
        deps.clock.advance(a.advance_secs);
        deps.wake.scheduler.notify_one();
        axum::Json(serde_json::json!({
            "offset_secs": deps.clock.offset_secs(),
            "now": deps.clock.now().to_rfc3339(),
        }))
        .into_response()
    }
    Router::new().route("/test/clock", axum::routing::post(advance))
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

/// A page that redirects while it renders (`<Redirect>`, e.g. a dashboard page without a
/// session) gets a `Location` header from leptos_axum, but a 302 status only when the
/// request's `Accept` names `text/html`; a client that sends `*/*` would get 200 with the
/// whole page. Any page answer with a `Location` is a redirect: 302, no body, whatever the
/// `Accept`. Server functions (`/api/`) keep leptos' own signal for their fetch client.
async fn page_redirects(req: Request, next: Next) -> Response {
    let is_server_fn = req.uri().path().starts_with("/api/");
    let res = next.run(req).await;
    let status = res.status();
    if is_server_fn
        || !(status.is_success() || status.is_redirection())
        || !res.headers().contains_key(http::header::LOCATION)
    {
        return res;
    }
    let (mut parts, _page) = res.into_parts();
    parts.status = StatusCode::FOUND;
    parts.headers.remove(http::header::CONTENT_LENGTH);
    parts.headers.remove(http::header::CONTENT_TYPE);
    Response::from_parts(parts, axum::body::Body::empty())
}

/// server_fn answers every error with 500. Give each [`AppError`] its HTTP meaning
/// ([`AppError::status`]) so clients and logs can tell a refusal from a fault. The body,
/// the JSON-encoded error, is kept as it is.
async fn with_error_status(res: Response) -> Response {
    if res.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_BODY_BYTES).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response();
    };
    if let Ok(err) = serde_json::from_slice::<AppError>(&bytes) {
        crate::errors::apply(&err, &mut parts);
    }
    Response::from_parts(parts, axum::body::Body::from(bytes))
}
