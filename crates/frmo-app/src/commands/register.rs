//! The open register: `frmo export nsi`, `frmo import nsi`, `frmo publish`, `frmo directories`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use clap::Subcommand;
use frmo_domain::access::Actor;
use frmo_registry::{Caller, RegistryError};

use crate::{App, Config};

#[derive(Subcommand, Debug)]
pub enum ExportCommand {
    /// The register as НСИ directory 1.2.643.5.1.13.13.11.1461: JSON `{"records": […]}`, CSV (`;`),
    /// XML or XLSX; real field names, dates dd.MM.yyyy, empty strings for missing values; streamed.
    Nsi {
        /// `json`, `csv`, `xml` or `xlsx`.
        #[arg(long, default_value = "json")]
        format: String,
        /// The file to write (standard output when absent).
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

pub async fn export(config: Config, command: ExportCommand) -> anyhow::Result<ExitCode> {
    let ExportCommand::Nsi { format, out } = command;
    let format = match frmo_registry::register::nsi::Format::parse(&format) {
        Ok(format) => format,
        Err(error) => {
            eprintln!("frmo export nsi: --format: {error}");
            return Ok(super::misused());
        }
    };
    let app = App::build(config.for_batch()).await?;
    let registry = &app.registry;
    let total = u64::try_from(registry.count().await?).unwrap_or_default();
    let started = Instant::now();
    let written = match &out {
        Some(path) => {
            let file = std::fs::File::create(path).with_context(|| format!("не удалось создать {}", path.display()))?;
            let progress = indicatif::ProgressBar::new(total);
            let mut writer = std::io::BufWriter::new(file);
            let written = registry.export_nsi(format, &mut writer, |n| progress.set_position(n)).await?;
            progress.finish_and_clear();
            written
        }
        None => registry.export_nsi(format, &mut std::io::BufWriter::new(std::io::stdout()), |_| {}).await?,
    };
    eprintln!("выгружено записей НСИ 1461: {written} за {:.1} с", started.elapsed().as_secs_f64());
    Ok(ExitCode::SUCCESS)
}

#[derive(Subcommand, Debug)]
pub enum ImportCommand {
    /// НСИ 1461 records (JSON, CSV or XML, told by content) or ФРМО API organization JSON, merged by
    /// OID; all or nothing: with any error nothing changes and the report names each record and field.
    Nsi {
        /// The file to import.
        file: PathBuf,
    },
}

pub async fn import(config: Config, command: ImportCommand) -> anyhow::Result<ExitCode> {
    let ImportCommand::Nsi { file } = command;
    let bytes = super::read(&file)?;
    let app = App::build(config.for_batch()).await?;
    let started = Instant::now();
    // The file is read while it is imported: how many records it holds is known at the end.
    let progress = indicatif::ProgressBar::new_spinner().with_style(
        indicatif::ProgressStyle::with_template("{spinner} {pos} записей, {per_sec}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
    );
    let advance = |done: usize| progress.set_position(done as u64);
    let report = app.registry.import_nsi_file(&Caller::system("cli"), bytes, advance).await?;
    progress.finish_and_clear();
    let report_text = frmo_registry::register::nsi::report_text;
    if !report.applied {
        eprintln!("файл не загружен, ничего не изменено; ошибок: {}", report.errors.len());
        eprint!("{}", report_text(&report.errors));
        if !report.warnings.is_empty() {
            eprintln!("предупреждений (не мешают загрузке): {}", report.warnings.len());
            eprint!("{}", report_text(&report.warnings));
        }
        return Ok(super::failed());
    }
    println!(
        "загружено записей НСИ 1461: {} (новых организаций {}, изменено {}, без изменений {}) за {:.1} с",
        report.rows,
        report.created,
        report.updated,
        report.rows - report.created - report.updated,
        started.elapsed().as_secs_f64()
    );
    if !report.warnings.is_empty() {
        println!("предупреждений: {} (загружено по кодам, проверьте названия)", report.warnings.len());
        print!("{}", report_text(&report.warnings));
    }
    Ok(ExitCode::SUCCESS)
}

/// `frmo publish`: a new numbered version of НСИ 1461 with its files and change list.
pub async fn publish(config: Config) -> anyhow::Result<ExitCode> {
    let app = App::build(config.for_batch()).await?;
    let registry = &app.registry;
    let total = u64::try_from(registry.count().await?).unwrap_or_default()
        * frmo_registry::register::publication::FILES_PER_VERSION;
    let progress = indicatif::ProgressBar::new(total);
    let started = Instant::now();
    let result = registry.publish_nsi(&Caller::system("cli"), |n| progress.set_position(n)).await;
    progress.finish_and_clear();
    match result {
        Ok(publication) => {
            let v = &publication.version;
            println!(
                "опубликована версия {} НСИ 1461: записей {}, добавлено {}, изменено {}, закрыто {} ({:.1} с)",
                v.version,
                v.records,
                v.added,
                v.changed,
                v.closed,
                started.elapsed().as_secs_f64()
            );
            for file in &publication.files {
                println!("  {} {} байт sha256 {}", file.name, file.size, file.sha256);
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(RegistryError::Conflict(message)) => {
            eprintln!("frmo publish: {message}");
            Ok(super::failed())
        }
        Err(error) => Err(error.into()),
    }
}

#[derive(Subcommand, Debug)]
pub enum DirectoriesCommand {
    /// Load an НСИ directory download (the REST answer `{"list": …}`, the passport's JSON
    /// `{"records": …}` or CSV) over the directory it stands for: stored codes are moved to the new
    /// numbers by name in one journaled transaction; with any error nothing changes.
    Import {
        /// The downloaded file (its name may start with `<OID>_<version>`).
        file: PathBuf,
        /// The directory: machine name (`positions`) or НСИ OID; else the OID in the file name.
        #[arg(long)]
        directory: Option<String>,
        /// The НСИ version of the download; else the one in the file name.
        #[arg(long)]
        version: Option<String>,
        /// Old code = new code, where names differ (repeatable): `--map 40=281`.
        #[arg(long, value_parser = parse_code_pair)]
        map: Vec<(u32, u32)>,
    },
    /// The directories in use: id, OID (real НСИ or local), version, number of entries.
    List,
}

fn parse_code_pair(text: &str) -> Result<(u32, u32), String> {
    let (old, new) = text.split_once('=').ok_or("ожидается СТАРЫЙ=НОВЫЙ")?;
    let code = |s: &str| s.trim().parse::<u32>().map_err(|_| format!("«{s}» — не код"));
    Ok((code(old)?, code(new)?))
}

pub async fn directories(config: Config, command: DirectoriesCommand) -> anyhow::Result<ExitCode> {
    match command {
        DirectoriesCommand::Import { file, directory, version, map } => {
            let bytes = super::read(&file)?;
            let app = App::build(config.for_batch()).await?;
            let file_name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            let import =
                frmo_registry::register::directories::DirectoryImport { bytes, file_name, directory, version, map };
            match app.registry.import_directory(&Actor::System, import).await {
                Ok(report) => {
                    println!(
                        "справочник {} установлен: НСИ {}, версия {}, значений {}; перекодировано в реестре: {}",
                        report.directory,
                        report.oid,
                        report.version,
                        report.entries,
                        report.remapped.len()
                    );
                    for (old, new, name) in &report.remapped {
                        println!("  {old} → {new}  {name}");
                    }
                    Ok(ExitCode::SUCCESS)
                }
                Err(RegistryError::Invalid(errors)) => {
                    eprintln!("справочник не загружен, ничего не изменено:");
                    for error in errors {
                        eprintln!("  {error}");
                    }
                    Ok(super::failed())
                }
                Err(error) => Err(error.into()),
            }
        }
        DirectoriesCommand::List => {
            // Booting installs the directories loaded from НСИ over the shipped ones.
            let _app = App::build(config.for_batch()).await?;
            for d in frmo_domain::reference::all() {
                let kind = if d.is_local() { "локальный" } else { "НСИ" };
                println!("{}\t{}\t{kind}\t{}\t{}", d.id, d.oid.as_deref().unwrap_or("-"), d.version, d.entries.len());
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
