//! `frmo serve` (the register, its API and cabinet) and `frmo esia-stand`.

use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;

use anyhow::Context;

use crate::{App, Config};

#[derive(clap::Args, Debug, Default)]
pub struct ServeArgs {
    /// Fill an empty database with demo organizations first.
    #[arg(long)]
    pub demo: bool,
    /// Address to listen on (overrides `bind` of the configuration); port 0 picks a free one.
    #[arg(long)]
    pub bind: Option<String>,
}

/// `frmo serve`: until Ctrl-C or SIGTERM.
pub async fn run(config: Config, args: ServeArgs) -> anyhow::Result<ExitCode> {
    let ready = |address: SocketAddr| {
        println!("frmo: listening on http://{address}");
        let _ = std::io::stdout().flush();
    };
    serve(config, args, ready, super::shutdown_signal()).await?;
    Ok(ExitCode::SUCCESS)
}

/// What `frmo serve` runs: takes the address, boots the app for it, tells `ready` where it listens
/// and serves until `shutdown`.
pub async fn serve(
    mut config: Config,
    args: ServeArgs,
    ready: impl FnOnce(SocketAddr),
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    config.run = crate::Run { demo: args.demo, ..crate::Run::default() };
    let bind = args.bind.unwrap_or_else(|| config.bind.clone());
    let listener =
        tokio::net::TcpListener::bind(&bind).await.with_context(|| format!("не удалось занять адрес {bind}"))?;
    let address = listener.local_addr()?;
    let app = App::build(config.listening_on(address)).await?;
    ready(address);
    app.serve(listener, shutdown).await
}

#[derive(clap::Args, Debug)]
pub struct EsiaStandArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8090")]
    pub bind: String,
}

/// `frmo esia-stand`: the server side of ЕСИА's protocol with demo persons, alone.
pub async fn esia_stand(args: EsiaStandArgs) -> anyhow::Result<ExitCode> {
    let bind = args.bind;
    let listener =
        tokio::net::TcpListener::bind(&bind).await.with_context(|| format!("не удалось занять адрес {bind}"))?;
    let persons = frmo_esia::stand::demo_persons(&[frmo_esia::demo::org(
        1_000_001_000,
        "ЧАСТНОЕ УЧРЕЖДЕНИЕ ОБРАЗОВАТЕЛЬНАЯ ОРГАНИЗАЦИЯ ВЫСШЕГО ОБРАЗОВАНИЯ «МЕДИЦИНСКИЙ УНИВЕРСИТЕТ «РЕАВИЗ»",
        "Медицинский Университет «Реавиз»",
        "1026301420716",
        "6317006620",
        "631701001",
    )]);
    let stand = frmo_esia::stand::router(frmo_esia::demo::stand(persons, "").map_err(anyhow::Error::msg)?);
    println!("frmo: ЕСИА stand on http://{}", listener.local_addr()?);
    std::io::stdout().flush()?;
    axum::serve(listener, stand).with_graceful_shutdown(super::shutdown_signal()).await?;
    Ok(ExitCode::SUCCESS)
}
