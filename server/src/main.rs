//! The `tombola` binary: wiring only. See `startup.rs`.

use anyhow::Context;
use clap::{Parser, Subcommand};
use server::config::Config;
use server::startup::Application;
use std::io::BufRead;
use std::path::PathBuf;
use tracing_subscriber::EnvFilter;

#[derive(Parser)]
#[command(
    name = "tombola",
    version,
    about = "Tombola: multi-tenant Telegram giveaways"
)]
struct Cli {
    /// The configuration file.
    #[arg(
        long,
        env = "TOMBOLA_CONFIG",
        default_value = "Leptos.toml",
        global = true
    )]
    config: PathBuf,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Migrate the database and serve (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Check a draw offline from its published files (from `/verify/<id>`): the entry
    /// list and the draw data. Exit status 0 when every check passes.
    Verify {
        /// The entry list (`entries-<id>.txt`).
        #[arg(long)]
        list: PathBuf,
        /// The draw data (`draw-<id>.json`).
        #[arg(long)]
        draw: PathBuf,
    },
    /// Platform administration.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create an operator account. The password is read from TOMBOLA_ADMIN_PASSWORD or,
    /// when unset, from the first line of standard input (never from the command line).
    Create {
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "Tombola")]
        company: String,
    },
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            // `{:#}` prints the whole chain on one line: "configuration: session-days: …".
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// `tombola verify`: the same `domain::draw::verify` the verify page runs.
fn verify(list: &std::path::Path, draw: &std::path::Path) -> anyhow::Result<()> {
    use domain::draw::CheckKind;
    let text = std::fs::read_to_string(list).with_context(|| format!("{}", list.display()))?;
    let published: domain::draw::Published = serde_json::from_str(
        &std::fs::read_to_string(draw).with_context(|| format!("{}", draw.display()))?,
    )
    .with_context(|| format!("{}: not draw data", draw.display()))?;
    println!(
        "draw protocol v{}: {}",
        published.protocol.number(),
        match published.protocol {
            domain::draw::Protocol::V1 => "one chance per entry",
            domain::draw::Protocol::V2 => "ticket-weighted, tickets in the list",
            domain::draw::Protocol::V3 =>
                "ticket-weighted, bound to a public randomness beacon round",
        }
    );
    if let Some(b) = &published.beacon {
        let chain = match b.chain() {
            Ok(c) if c.test => "a TEST beacon (locally generated key, not drand)",
            Ok(_) => "drand quicknet",
            Err(_) => "an unknown chain",
        };
        println!("beacon: round {} of {chain}", b.round);
    }
    let checks = domain::draw::verify(&text, &published)
        .map_err(|e| anyhow::anyhow!("{}: {e}", list.display()))?;
    for c in &checks {
        let what = match c.what {
            CheckKind::Commitment => "the seed matches the commitment published in advance",
            CheckKind::EntriesHash => "the list matches the hash published at the close",
            CheckKind::Winners => "drawing again gives the published winners and reserves",
            CheckKind::Rerolls => "each replaced winner's prize went to the next reserve, in order",
            CheckKind::Beacon => {
                "the beacon round's signature is the chain's (BLS, its public key)"
            }
        };
        println!("{} {what}", if c.ok { "✓" } else { "✗" });
    }
    println!("winners: {:?}", published.winners);
    if checks.iter().all(|c| c.ok) {
        println!("verified");
        Ok(())
    } else {
        anyhow::bail!("NOT verified")
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    if let Some(Command::Verify { list, draw }) = &cli.command {
        return verify(list, draw);
    }
    let config = Config::load(&cli.config).context("configuration")?;
    let filter = std::env::var("RUST_LOG").unwrap_or_else(|_| config.log.clone());
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_new(&filter).context("log filter")?)
        .init();

    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            let key = config.secret_key(std::env::var("TOMBOLA_SECRET_KEY").ok())?;
            let public_url = config.public_url.clone();
            let app = Application::build(config, &key).await?;
            tracing::info!(addr = %app.local_addr(), %public_url, "serving");
            app.run(shutdown_signal()).await?;
            tracing::info!("stopped");
        }
        Command::Migrate => {
            backend::db::connect_and_migrate(&config.database_url).await?;
            println!("database is up to date");
        }
        Command::Verify { list, draw } => verify(&list, &draw)?,
        Command::Admin {
            command: AdminCommand::Create { email, company },
        } => {
            let password = match std::env::var("TOMBOLA_ADMIN_PASSWORD") {
                Ok(p) => p,
                Err(_) => {
                    eprintln!("password (one line on standard input):");
                    let mut line = String::new();
                    std::io::stdin().lock().read_line(&mut line)?;
                    line.trim_end_matches(['\r', '\n']).to_owned()
                }
            };
            let db = backend::db::connect_and_migrate(&config.database_url).await?;
            match backend::accounts::create_operator(&db, &email, &password, &company).await {
                Ok(_) => println!("operator account created for {email}"),
                Err(e) => anyhow::bail!("could not create the account: {e}"),
            }
        }
    }
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
