//! Medical workers (ФРМР) of an organization: `frmo workers import|export`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Subcommand;

use crate::{App, Config};
use frmo_domain::ident::OrgOid;
use frmo_registry::{Caller, RegistryError};

#[derive(Subcommand, Debug)]
pub enum WorkersCommand {
    /// Import a CSV (UTF-8) or XLSX file (the columns of the cabinet's template, Russian headers or
    /// keys): every row
    /// is checked; with any error nothing changes, the report goes to stderr and the exit code is 1.
    Import {
        /// The organization's OID.
        #[arg(long)]
        org: String,
        file: PathBuf,
    },
    /// Export the organization's current workers (the import's columns) to stdout or `--out`.
    Export {
        #[arg(long)]
        org: String,
        /// `csv`, `xlsx` or `pdf`.
        #[arg(long, default_value = "csv")]
        format: String,
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

pub async fn run(config: Config, command: WorkersCommand) -> anyhow::Result<ExitCode> {
    match command {
        WorkersCommand::Import { org, file } => import(config, &org, &file).await,
        WorkersCommand::Export { org, format, out } => {
            if !["csv", "xlsx", "pdf"].contains(&format.as_str()) {
                eprintln!("frmo workers export: --format: ожидается csv, xlsx или pdf, получено «{format}»");
                return Ok(super::misused());
            }
            let app = App::build(config.for_batch()).await?;
            let registry = &app.registry;
            let org = organization(&org)?;
            let bytes = match format.as_str() {
                "xlsx" => registry.export_workers_xlsx(&Caller::system("cli"), &org).await?,
                "pdf" => registry.export_workers_pdf(&Caller::system("cli"), &org).await?,
                _ => registry.export_workers_csv(&Caller::system("cli"), &org).await?.into_bytes(),
            };
            super::write_out(out.as_ref(), &bytes)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn import(config: Config, org: &str, file: &std::path::Path) -> anyhow::Result<ExitCode> {
    let bytes = super::read(file)?;
    let app = App::build(config.for_batch()).await?;
    let progress = indicatif::ProgressBar::new_spinner();
    progress.set_message(format!("проверка и загрузка {}", file.display()));
    progress.enable_steady_tick(Duration::from_millis(120));
    let started = Instant::now();
    let org = organization(org)?;
    let report = match frmo_registry::workers::rows_from_file(&bytes) {
        Ok(rows) => app.registry.import_workers(&Caller::system("cli"), &org, rows).await?,
        Err(errors) => frmo_registry::workers::ImportReport { errors, ..Default::default() },
    };
    progress.finish_and_clear();
    if report.applied {
        println!(
            "загружено строк: {} (новых карточек {}, обновлено {}) за {:.1} с",
            report.rows,
            report.created,
            report.updated,
            started.elapsed().as_secs_f64()
        );
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!("файл не загружен, ничего не изменено; ошибок: {}", report.errors.len());
        eprint!("{}", report.errors_csv().trim_start_matches('\u{feff}'));
        Ok(super::failed())
    }
}

/// `--org`: an organization's OID, refused as the registry refuses one that does not parse.
fn organization(org: &str) -> Result<OrgOid, RegistryError> {
    OrgOid::parse(org).map_err(RegistryError::invalid)
}
