//! Request guards in front of every route: client IP resolution and the cross-origin
//! check for state-changing requests.

use app::server::ClientIp;
use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::{Method, StatusCode, header};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

/// What the guards need to know.
#[derive(Debug, Clone)]
pub struct GuardConfig {
    /// The origin of the configured public URL.
    pub public_origin: String,
    /// Take the client IP from `X-Forwarded-For` (only behind our own proxy).
    pub trust_forwarded_for: bool,
}

/// Inserts [`ClientIp`]: the peer address, or with `trust_forwarded_for` the last
/// `X-Forwarded-For` entry (the one our proxy appended; earlier ones are the client's word).
pub async fn client_ip(
    State(cfg): State<Arc<GuardConfig>>,
    mut req: Request,
    next: Next,
) -> Response {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let forwarded = cfg
        .trust_forwarded_for
        .then(|| {
            req.headers()
                .get_all("x-forwarded-for")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .last()
                .and_then(|ip| ip.trim().parse::<IpAddr>().ok())
        })
        .flatten();
    req.extensions_mut().insert(ClientIp(forwarded.or(peer)));
    next.run(req).await
}

/// Refuses state-changing requests that a browser sent from another site: the `Origin`
/// header must be the public URL's origin or this request's own host; without `Origin`,
/// `Sec-Fetch-Site: cross-site` is refused. Together with SameSite cookies this closes
/// cross-site request forgery on every server function.
pub async fn same_origin(
    State(cfg): State<Arc<GuardConfig>>,
    req: Request,
    next: Next,
) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(req).await;
    }
    let headers = req.headers();
    let allowed = match headers.get(header::ORIGIN).map(|o| o.to_str()) {
        Some(Ok(origin)) => {
            let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
            origin == cfg.public_origin
                || host.is_some_and(|h| {
                    origin == format!("http://{h}") || origin == format!("https://{h}")
                })
        }
        Some(Err(_)) => false,
        None => headers
            .get("sec-fetch-site")
            .and_then(|v| v.to_str().ok())
            .is_none_or(|site| site != "cross-site"),
    };
    if allowed {
        next.run(req).await
    } else {
        tracing::warn!(path = %req.uri().path(), "cross-origin request refused");
        (
            StatusCode::FORBIDDEN,
            "Forbidden: cross-origin request refused\n",
        )
            .into_response()
    }
}
