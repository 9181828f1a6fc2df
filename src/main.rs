//! The `frmo` command: serve the registry, migrate its database, seed generated data. Wiring only:
//! configuration, logging, and calls into the crates.

mod config;

use std::io::Write;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::{Parser, Subcommand};
use frmo_domain::access::Actor;
use frmo_registry::Registry;
use frmo_store::Store;

use crate::config::Config;

/// Федеральный реестр медицинских организаций (ФРМО): server and tools.
#[derive(Parser)]
#[command(name = "frmo", version, about)]
struct Cli {
    /// Configuration file (TOML); `frmo.toml` in the working directory is read when present.
    #[arg(long, global = true, env = "FRMO_CONFIG")]
    config: Option<std::path::PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the public register and the API.
    Serve {
        /// Fill an empty database with demo organizations first.
        #[arg(long)]
        demo: bool,
        /// Address to listen on (overrides `bind` of the configuration); port 0 picks a free one.
        #[arg(long)]
        bind: Option<String>,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Generate organizations (deterministic: the same seed gives the same register).
    Seed {
        /// How many organizations to generate.
        #[arg(long, default_value_t = 1000)]
        orgs: u64,
        /// Generator seed.
        #[arg(long, default_value_t = 1461)]
        seed: u64,
    },
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let config = match Config::load(cli.config.as_deref()) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("frmo: ошибка конфигурации: {error}");
            return std::process::ExitCode::from(2);
        }
    };
    init_logging(&config);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("frmo: {error}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command, config)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("frmo: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn init_logging(config: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("FRMO_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(&config.log));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    if config.log_json {
        builder.json().init();
    } else {
        builder.init();
    }
}

async fn open(config: &Config) -> anyhow::Result<Registry> {
    let store = Store::open(&config.database_url)
        .await
        .with_context(|| format!("не удалось открыть базу данных {}", config.redacted_database_url()))?;
    let applied = store.migrate().await.context("миграции не применены")?;
    if !applied.is_empty() {
        tracing::info!(?applied, "migrations applied");
    }
    let started = Instant::now();
    let registry = Registry::open(store).await.context("не удалось построить поисковый индекс")?;
    tracing::info!(elapsed = ?started.elapsed(), "search index built");
    Ok(registry)
}

async fn run(command: Command, config: Config) -> anyhow::Result<()> {
    match command {
        Command::Migrate => {
            let store = Store::open(&config.database_url).await?;
            let applied = store.migrate().await?;
            println!("применено миграций: {} {:?}", applied.len(), applied);
            Ok(())
        }
        Command::Seed { orgs, seed } => {
            let registry = open(&config).await?;
            let bar = indicatif::ProgressBar::new(orgs).with_style(
                indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} организаций, {per_sec}, осталось {eta}")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            let started = Instant::now();
            registry.seed(&Actor::System, seed, orgs, |done| bar.set_position(done)).await?;
            bar.finish_and_clear();
            let seconds = started.elapsed().as_secs_f64();
            println!("seeded {orgs} organizations in {seconds:.1} s ({:.0} orgs/s)", orgs as f64 / seconds.max(1e-9));
            Ok(())
        }
        Command::Serve { demo, bind } => {
            let registry = open(&config).await?;
            if demo && registry.seed_demo(&Actor::System, config.demo_orgs).await? {
                tracing::info!(orgs = config.demo_orgs, "demo register seeded");
            }
            let follower = registry.follow_store(Duration::from_secs(1));
            let bind = bind.unwrap_or(config.bind.clone());
            let listener = tokio::net::TcpListener::bind(&bind)
                .await
                .with_context(|| format!("не удалось занять адрес {bind}"))?;
            let address = listener.local_addr()?;
            println!("frmo: listening on http://{address}");
            std::io::stdout().flush()?;
            frmo_web::serve(listener, frmo_web::AppState { registry }, shutdown_signal()).await?;
            follower.abort();
            tracing::info!("stopped");
            Ok(())
        }
    }
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = interrupt => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
