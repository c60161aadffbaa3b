//! A simulator of the Telegram Bot API that speaks the real HTTP protocol.
//!
//! Point any Bot API client at it (teloxide: `Bot::new(token).set_api_url(url)`) and it
//! answers as api.telegram.org does: the `{ok, result}` envelope, Telegram's error texts,
//! webhooks delivered with the secret header and retries, long polling with offsets and
//! its 409s, send limits with `retry_after`. A control API under `/sim/` creates bots,
//! users and chats, makes users write, press buttons and block bots, injects faults and
//! reads back what every chat received. See the README section "Telegram simulator".
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! let sim = telegram_sim::start(telegram_sim::SimConfig::default()).await?;
//! let bot = sim.sim().create_bot(None, "lucky_draw_bot", None).map_err(anyhow::Error::msg)?;
//! println!("Bot API at {}, token {}", sim.api_url(), bot["token"]);
//! # Ok(()) }
//! ```

pub mod beacon;
mod error;
mod http;
mod limits;
mod methods;
mod model;
mod params;
mod sim;
mod webapp;
mod webhook;

pub use error::ApiError;
pub use limits::{Rate, RateLimits};
pub use model::{ChatKind, Fault, FaultKind};
pub use sim::{Sim, SimConfig};

use std::net::SocketAddr;

/// A running simulator. Dropping it stops the server and the webhook deliveries.
pub struct RunningSim {
    sim: Sim,
    addr: SocketAddr,
    server: tokio::task::JoinHandle<()>,
    delivery: tokio::task::JoinHandle<()>,
}

impl RunningSim {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The base URL to give a Bot API client (`…/bot<token>/<method>` hang off it).
    pub fn api_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Direct access to the simulated world, for in-process tests.
    pub fn sim(&self) -> &Sim {
        &self.sim
    }
}

impl Drop for RunningSim {
    fn drop(&mut self) {
        self.server.abort();
        self.delivery.abort();
    }
}

/// Starts a simulator on a random port of 127.0.0.1.
pub async fn start(config: SimConfig) -> std::io::Result<RunningSim> {
    start_on("127.0.0.1:0".parse().expect("literal address"), config).await
}

/// Starts a simulator on `addr`.
pub async fn start_on(addr: SocketAddr, config: SimConfig) -> std::io::Result<RunningSim> {
    let sim = Sim::new(config);
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let app = http::router(sim.clone());
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let delivery = tokio::spawn(webhook::run(sim.clone()));
    Ok(RunningSim {
        sim,
        addr,
        server,
        delivery,
    })
}
