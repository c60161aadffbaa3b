//! `telegram-sim`: the Bot API simulator as a stand-alone server.

use clap::Parser;
use std::net::SocketAddr;

#[derive(Parser)]
#[command(
    name = "telegram-sim",
    about = "A Telegram Bot API simulator over real HTTP"
)]
struct Cli {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8081")]
    listen: SocketAddr,
    /// A JSON file with a SimConfig (rate limits, retention, retry delays, …).
    #[arg(long)]
    config: Option<std::path::PathBuf>,
    /// Create a bot at start: USERNAME or USERNAME=TOKEN (repeatable).
    #[arg(long = "bot")]
    bots: Vec<String>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let cli = Cli::parse();
    let config = match &cli.config {
        Some(path) => serde_json::from_str(&std::fs::read_to_string(path)?)?,
        None => telegram_sim::SimConfig::default(),
    };
    let running = telegram_sim::start_on(cli.listen, config).await?;
    for spec in &cli.bots {
        let (username, token) = match spec.split_once('=') {
            Some((u, t)) => (u, Some(t.to_owned())),
            None => (spec.as_str(), None),
        };
        let bot = running
            .sim()
            .create_bot(token, username, None)
            .map_err(anyhow::Error::msg)?;
        println!(
            "bot @{} token {}",
            bot["username"].as_str().unwrap_or(""),
            bot["token"].as_str().unwrap_or("")
        );
    }
    println!("telegram-sim listening on {}", running.api_url());
    tokio::signal::ctrl_c().await?;
    Ok(())
}
