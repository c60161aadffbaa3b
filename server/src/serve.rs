//! The HTTP/1.1 server loop: what a client may hold of the server ([`HttpLimits`]).
//!
//! `axum::serve` waits for a request's headers and body as long as the client likes, so
//! a client that sends half a request (slowloris) keeps its connection, and its memory,
//! for ever. Here:
//! - the request line and headers must arrive within `header_timeout` of the connection
//!   opening or of the previous answer (hyper's header-read timer, which also closes an
//!   idle keep-alive connection after that long);
//! - the whole body must arrive within `body_timeout` of the headers ([`body_deadline`]:
//!   408 and the connection closed, the handler never runs);
//! - at most `max_connections` connections are open; further ones wait in the kernel's
//!   accept queue until one closes.
//!
//! Shutdown stops accepting, lets the requests under way finish (keep-alive connections
//! close after their answer) and waits for them. Imports `config` and `startup`'s body cap.

use crate::config::HttpLimits;
use axum::Router;
use axum::body::Body;
use axum::body::HttpBody as _;
use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::{StatusCode, header};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::ServiceExt;

/// The largest body any route takes (a Telegram update); the dashboard's own cap, 64 KiB,
/// is enforced further in.
pub const MAX_ANY_BODY_BYTES: usize = crate::webhook::MAX_UPDATE_BYTES;

/// How long shutdown waits for the requests under way.
pub const DRAIN_SECS: u64 = 30;

/// Serves `router` on `listener` until `shutdown` completes, within `limits`.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: HttpLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let router = router.layer(axum::middleware::from_fn_with_state(
        limits.body_timeout,
        body_deadline,
    ));
    let open = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let mut http1 = hyper::server::conn::http1::Builder::new();
    http1
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .keep_alive(true);
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            p = open.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break, // never closed
            },
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: pause rather than spin.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let service = router.clone().map_request(move |req: Request<Incoming>| {
            let mut req = req.map(Body::new);
            req.extensions_mut().insert(ConnectInfo(peer));
            req
        });
        let conn = http1.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            // Errors here are the client's: a header timeout, a reset, a bad request line.
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, "connection ended");
            }
            drop(permit);
        });
    }
    tracing::info!("shutting down: no new connections");
    drop(listener);
    if tokio::time::timeout(Duration::from_secs(DRAIN_SECS), graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("requests still running after {DRAIN_SECS} s; stopping anyway");
    }
    Ok(())
}

/// Reads the whole body of a request that has one within `limit` of its headers, before
/// any handler runs: a client that sends it slowly gets 408 and its connection closed.
/// Bodies are small here (forms, Telegram updates), so holding one in memory is what the
/// handlers do anyway.
pub async fn body_deadline(State(limit): State<Duration>, req: Request, next: Next) -> Response {
    if req.body().size_hint().exact() == Some(0) {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    match tokio::time::timeout(limit, axum::body::to_bytes(body, MAX_ANY_BODY_BYTES)).await {
        Ok(Ok(bytes)) => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        Ok(Err(e)) => {
            let too_large = e
                .into_inner()
                .downcast_ref::<http_body_util::LengthLimitError>()
                .is_some();
            if too_large {
                (StatusCode::PAYLOAD_TOO_LARGE, "request body too large\n").into_response()
            } else {
                (StatusCode::BAD_REQUEST, "request body unreadable\n").into_response()
            }
        }
        Err(_) => (
            StatusCode::REQUEST_TIMEOUT,
            [(header::CONNECTION, "close")],
            "request body not received in time\n",
        )
            .into_response(),
    }
}
