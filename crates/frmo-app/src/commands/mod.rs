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

/// Completes on Ctrl-C or SIGTERM. The handlers are installed when this is called, not when the
/// future is first polled, so a signal sent as soon as the server says it listens is not the
/// default action (death) but a graceful stop.
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    let signals = {
        use tokio::signal::unix::{SignalKind, signal};
        (signal(SignalKind::interrupt()), signal(SignalKind::terminate()))
    };
    async move {
        #[cfg(unix)]
        match signals {
            (Ok(mut interrupt), Ok(mut terminate)) => {
                tokio::select! {
                    _ = interrupt.recv() => {},
                    _ = terminate.recv() => {},
                }
            }
            (Err(error), _) | (_, Err(error)) => {
                tracing::warn!(%error, "signal handlers not installed: stop with Ctrl-C");
                let _ = tokio::signal::ctrl_c().await;
            }
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("shutting down: finishing requests in flight");
    }
}
