//! The report catalogue over the whole register: `frmo report list|run`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Subcommand;

use frmo_registry::reports::output::{self, CsvFlavour};
use frmo_registry::{Caller, RegistryError};

use crate::{App, Config};

#[derive(Subcommand, Debug)]
pub enum ReportCommand {
    /// List the reports, their groupings and what they show.
    List,
    /// Run a report and print it (`table`) or write it as a file.
    Run {
        /// The report's name (`frmo report list`).
        name: String,
        /// `2026-11` (a month), `2026-Q4`, `2026`, or `2026-01-15..2026-02-20`; the current month
        /// when absent.
        #[arg(long)]
        period: Option<String>,
        /// The grouping (the report's first when absent).
        #[arg(long)]
        group: Option<String>,
        /// `table`, `csv` (for Excel: BOM, `;`), `csv-rfc` (RFC 4180), `xlsx`, `pdf` or `json`.
        #[arg(long, default_value = "table")]
        format: String,
        /// The file to write (standard output when absent).
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

pub async fn run(config: Config, command: ReportCommand) -> anyhow::Result<ExitCode> {
    match command {
        ReportCommand::List => {
            list();
            Ok(ExitCode::SUCCESS)
        }
        ReportCommand::Run { name, period, group, format, out } => {
            let params = frmo_registry::reports::ReportParams { period, group, ..Default::default() };
            run_one(config, &name, &params, &format, out.as_ref()).await
        }
    }
}

fn list() {
    for definition in frmo_registry::reports::CATALOGUE {
        let groups: Vec<_> = definition.groups.iter().map(|(value, label)| format!("{value} ({label})")).collect();
        println!("{} — {}", definition.name, definition.title);
        if !groups.is_empty() {
            println!("    --group: {}", groups.join(", "));
        }
        println!("    {}", definition.description);
    }
}

async fn run_one(
    config: Config,
    name: &str,
    params: &frmo_registry::reports::ReportParams,
    format: &str,
    out: Option<&PathBuf>,
) -> anyhow::Result<ExitCode> {
    if !["table", "csv", "csv-rfc", "xlsx", "pdf", "json"].contains(&format) {
        eprintln!("frmo report run: --format: ожидается table, csv, csv-rfc, xlsx, pdf или json, получено «{format}»");
        return Ok(super::misused());
    }
    let app = App::build(config.for_batch()).await?;
    let progress = indicatif::ProgressBar::new_spinner().with_message(format!("отчёт «{name}»…"));
    progress.enable_steady_tick(Duration::from_millis(120));
    let started = Instant::now();
    let report = match app.registry.run_report(&Caller::system("cli"), name, params).await {
        Ok(report) => report,
        Err(error @ (RegistryError::Invalid(_) | RegistryError::NotFound(_))) => {
            progress.finish_and_clear();
            eprintln!("frmo report run: {error}");
            return Ok(super::misused());
        }
        Err(error) => return Err(error.into()),
    };
    let bytes = match format {
        "csv" => output::csv(&report, CsvFlavour::Excel),
        "csv-rfc" => output::csv(&report, CsvFlavour::Rfc4180),
        "xlsx" => output::xlsx(&report)?,
        "pdf" => output::pdf(&report)?,
        "json" => serde_json::to_vec_pretty(&output::json(&report))?,
        _ => output::text(&report).into_bytes(),
    };
    progress.finish_and_clear();
    super::write_out(out, &bytes)?;
    eprintln!("{}: строк {} за {:.2} с", report.title(), report.rows.len(), started.elapsed().as_secs_f64());
    Ok(ExitCode::SUCCESS)
}
