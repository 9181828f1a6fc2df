//! The commands of the `frmo` binary, one file per group. Each takes its parsed arguments and the
//! configuration, boots through `App::build` when it needs the registry, and returns the exit code;
//! none exits the process itself. `src/main.rs` only parses the command line and calls them.

pub mod admin;
pub mod backup;
pub mod documents;
pub mod register;
pub mod reports;
pub mod serve;
pub mod support;
pub mod workers;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;

/// Exit code 1: the command ran and found a failure it reports (a broken journal, a refused file).
pub(crate) fn failed() -> ExitCode {
    ExitCode::from(1)
}

/// Exit code 2: the command was misused (a wrong option value, an unreadable file).
pub(crate) fn misused() -> ExitCode {
    ExitCode::from(2)
}

/// The whole file, or an error naming it.
pub(crate) fn read(path: &Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("не удалось прочитать {}", path.display()))
}

/// Writes `bytes` to `out`, or to standard output without it.
pub(crate) fn write_out(out: Option<&PathBuf>, bytes: &[u8]) -> anyhow::Result<()> {
    match out {
        Some(path) => std::fs::write(path, bytes).with_context(|| format!("не удалось записать {}", path.display())),
        None => Ok(std::io::stdout().write_all(bytes)?),
    }
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
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
