//! Documents of organizations and their signatures: `frmo documents remind|sweep` (both also run
//! in `serve`) and `frmo esign verify`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Subcommand;

use crate::{App, Config};

#[derive(Subcommand, Debug)]
pub enum DocumentsCommand {
    /// Notify the people of organizations whose documents expire within `reminder_days`.
    Remind,
    /// Delete files that no document names (left by an interrupted upload), older than the grace.
    Sweep {
        #[arg(long, default_value_t = 60)]
        grace_minutes: u32,
    },
}

pub async fn run(config: Config, command: DocumentsCommand) -> anyhow::Result<ExitCode> {
    let app = App::build(config.for_batch()).await?;
    match command {
        DocumentsCommand::Remind => {
            let reminded = app.registry.remind_expiring_documents().await?;
            println!("напоминаний об истекающих документах: {reminded}");
        }
        DocumentsCommand::Sweep { grace_minutes } => {
            let removed = app.registry.sweep_orphan_files(i64::from(grace_minutes) * 60).await?;
            println!("удалено файлов без документа: {removed}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Subcommand, Debug)]
pub enum EsignCommand {
    /// Verify a detached signature (CMS: DER, PEM or base64) of a document; print the verdict as
    /// JSON (valid, status, reason, algorithm, signer, certificate); exit 0 only when valid, 1 when
    /// not, 2 when the files cannot be read.
    Verify {
        /// The signed document.
        #[arg(long)]
        content: PathBuf,
        /// The signature file.
        #[arg(long)]
        signature: PathBuf,
        /// A folder of trusted CA certificates (PEM or DER); without it the chain is not checked.
        #[arg(long)]
        trust: Option<PathBuf>,
    },
}

/// Needs no database: the verdict is the signature's and the trust folder's alone.
pub fn esign(command: EsignCommand) -> anyhow::Result<ExitCode> {
    let EsignCommand::Verify { content, signature, trust } = command;
    let (content, signature) = match (super::read(&content), super::read(&signature)) {
        (Ok(c), Ok(s)) => (c, s),
        (Err(error), _) | (_, Err(error)) => {
            eprintln!("frmo esign verify: {error:#}");
            return Ok(super::misused());
        }
    };
    let anchors = match trust.as_deref().map(crate::config::trust_anchors).transpose() {
        Ok(anchors) => anchors.unwrap_or_default(),
        Err(error) => {
            eprintln!("frmo esign verify: --trust: {error:#}");
            return Ok(super::misused());
        }
    };
    match frmo_esign::verify(&content, &signature, &anchors, time::OffsetDateTime::now_utc()) {
        Ok(verdict) => {
            println!("{}", serde_json::to_string_pretty(&verdict)?);
            Ok(if verdict.valid { ExitCode::SUCCESS } else { super::failed() })
        }
        Err(error) => {
            eprintln!("frmo esign verify: {error}");
            Ok(super::misused())
        }
    }
}
