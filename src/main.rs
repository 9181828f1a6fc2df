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
/// mimalloc: the bulk paths (imports, exports, seeding) allocate many small strings per record.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
    /// Serve the ЕСИА stand alone (the server side of ЕСИА's protocol, with demo persons).
    EsiaStand {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8090")]
        bind: String,
    },
    /// Manage local accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Electronic signatures of documents.
    Esign {
        #[command(subcommand)]
        command: EsignCommand,
    },
    /// Documents of organizations: expiry reminders and the sweep of orphaned files (both also run
    /// in `serve`, every `[documents] jobs_minutes`).
    Documents {
        #[command(subcommand)]
        command: DocumentsCommand,
    },
    /// Medical workers (ФРМР) of an organization: bulk import and export.
    Workers {
        #[command(subcommand)]
        command: WorkersCommand,
    },
    /// Publish the open register.
    Export {
        #[command(subcommand)]
        command: ExportCommand,
    },
    /// Load the register from open data.
    Import {
        #[command(subcommand)]
        command: ImportCommand,
    },
    /// Reference directories: install a real НСИ download over a shipped one.
    Directories {
        #[command(subcommand)]
        command: DirectoriesCommand,
    },
    /// Information systems of the integration API (`/ips`): keys bound to organizations or regions.
    Systems {
        #[command(subcommand)]
        command: SystemsCommand,
    },
    /// The audit journal.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Publish a new version of the open register (НСИ 1461): its files and the list of changes
    /// since the previous version (the same as «Опубликовать» on /open-data).
    Publish,
    /// The report catalogue (the cabinet's «Отчёты»), run over the whole register.
    Report {
        #[command(subcommand)]
        command: ReportCommand,
    },
    /// Support requests: the topic classifier.
    Support {
        #[command(subcommand)]
        command: SupportCommand,
    },
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

#[derive(Subcommand)]
enum EsignCommand {
    /// Verify a detached signature (CMS: DER, PEM or base64) of a document; print the verdict as
    /// JSON (valid, status, reason, algorithm, signer, certificate); exit 0 only when valid, 1 when
    /// not, 2 when the files cannot be read.
    Verify {
        /// The signed document.
        #[arg(long)]
        content: std::path::PathBuf,
        /// The signature file.
        #[arg(long)]
        signature: std::path::PathBuf,
        /// A folder of trusted CA certificates (PEM or DER); without it the chain is not checked.
        #[arg(long)]
        trust: Option<std::path::PathBuf>,
    },
}

#[derive(Subcommand)]
enum WorkersCommand {
    /// Import a CSV (UTF-8) or XLSX file (the columns of the cabinet's template, Russian headers or
    /// keys): every row
    /// is checked; with any error nothing changes, the report goes to stderr and the exit code is 1.
    Import {
        /// The organization's OID.
        #[arg(long)]
        org: String,
        file: std::path::PathBuf,
    },
    /// Export the organization's current workers (the import's columns) to stdout or `--out`.
    Export {
        #[arg(long)]
        org: String,
        /// `csv`, `xlsx` or `pdf`.
        #[arg(long, default_value = "csv")]
        format: String,
        #[arg(long)]
        out: Option<std::path::PathBuf>,
    },
}

#[derive(Subcommand)]
enum ExportCommand {
    /// The register as НСИ directory 1.2.643.5.1.13.13.11.1461: JSON `{"records": […]}`, CSV (`;`),
    /// XML or XLSX; real field names, dates dd.MM.yyyy, empty strings for missing values; streamed.
    Nsi {
        /// `json`, `csv`, `xml` or `xlsx`.
        #[arg(long, default_value = "json")]
        format: String,
        /// The file to write (standard output when absent).
        #[arg(long)]
        out: Option<std::path::PathBuf>,
    },
}

#[derive(Subcommand)]
enum SystemsCommand {
    /// Issue a key to a system: it acts as a member of these organizations, or of every
    /// organization of these regions. The key is printed once and stored only as a digest.
    Add {
        /// The system's name (Latin letters, digits, «-», «_», «.»), e.g. `mis-samara`.
        name: String,
        /// An organization's OID (repeatable).
        #[arg(long = "org")]
        orgs: Vec<String>,
        /// A region's code (repeatable).
        #[arg(long = "region")]
        regions: Vec<String>,
    },
    /// End a system's key: its next call is refused.
    Revoke { name: String },
    /// Every system: name, key hint, organizations, regions, revoked.
    List,
}

#[derive(Subcommand)]
enum DirectoriesCommand {
    /// Load an НСИ directory download (the REST answer `{"list": …}`, the passport's JSON
    /// `{"records": …}` or CSV) over the directory it stands for: stored codes are moved to the new
    /// numbers by name in one journaled transaction; with any error nothing changes.
    Import {
        /// The downloaded file (its name may start with `<OID>_<version>`).
        file: std::path::PathBuf,
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

#[derive(Subcommand)]
enum ImportCommand {
    /// НСИ 1461 records (JSON, CSV or XML, told by content) or ФРМО API organization JSON, merged by
    /// OID; all or nothing: with any error nothing changes and the report names each record and field.
    Nsi {
        /// The file to import.
        file: std::path::PathBuf,
    },
}

#[derive(Subcommand)]
enum ReportCommand {
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
        out: Option<std::path::PathBuf>,
    },
}

#[derive(Subcommand)]
enum SupportCommand {
    /// The classifier's accuracy on the held-out part of the labelled set (every 5th request of
    /// data/support/requests.tsv, never trained on): per topic and overall; `--mistakes` lists
    /// the texts it got wrong.
    Eval {
        #[arg(long)]
        mistakes: bool,
    },
    /// Print the topic of one text (as a request without a chosen topic would get it) and why.
    Classify {
        text: String,
        /// Train also on the requests operators re-classified (reads the database).
        #[arg(long)]
        with_reclassified: bool,
    },
}

#[derive(Subcommand)]
enum DocumentsCommand {
    /// Notify the people of organizations whose documents expire within `reminder_days`.
    Remind,
    /// Delete files that no document names (left by an interrupted upload), older than the grace.
    Sweep {
        #[arg(long, default_value_t = 60)]
        grace_minutes: u32,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Walk the journal's hash chain; exit 1 naming the first entry that was edited, deleted or
    /// moved. Prints the number and hash of the last entry: keep them, and compare next time (an
    /// entry cut off the end leaves a shorter chain that is whole in itself).
    Verify,
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a local account (the first administrator, or users of deployments without ЕСИА).
    /// The password is read from `FRMO_PASSWORD` or, when unset, from standard input.
    Add {
        login: String,
        /// Full name.
        #[arg(long)]
        name: String,
        #[arg(long)]
        email: Option<String>,
        /// `admin`, `auditor` or `operator` (with `--region`), or `member` (no federal role).
        #[arg(long, default_value = "member")]
        role: String,
        /// Regions an operator moderates (repeatable).
        #[arg(long)]
        region: Vec<u8>,
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
    open_with(config, true).await
}

/// The registry; `index: false` skips the search index (batch commands that never search: a
/// register of a million organizations would otherwise be indexed in memory first).
async fn open_with(config: &Config, index: bool) -> anyhow::Result<Registry> {
    let store = Store::open(&config.database_url)
        .await
        .with_context(|| format!("не удалось открыть базу данных {}", config.redacted_database_url()))?;
    let applied = store.migrate().await.context("миграции не применены")?;
    if !applied.is_empty() {
        tracing::info!(?applied, "migrations applied");
    }
    let started = Instant::now();
    let moderation = config.moderation.build().map_err(anyhow::Error::msg)?;
    let documents = config.document_settings().map_err(anyhow::Error::msg)?;
    let files = config.files().map_err(anyhow::Error::msg)?;
    tracing::info!(files = %files.location, "document store");
    let registry = if index {
        let registry = Registry::open(store).await.context("не удалось построить поисковый индекс")?;
        tracing::info!(elapsed = ?started.elapsed(), "search index built");
        registry
    } else {
        Registry::open_unindexed(store)
    };
    let registry = registry.with_moderation(moderation).with_documents(files, documents);
    let installed = registry.install_directories().await.context("установленные справочники не прочитаны")?;
    if installed > 0 {
        tracing::info!(installed, "reference directories installed from НСИ downloads");
    }
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
        Command::EsiaStand { bind } => {
            let listener = tokio::net::TcpListener::bind(&bind)
                .await
                .with_context(|| format!("не удалось занять адрес {bind}"))?;
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
            axum::serve(listener, stand).with_graceful_shutdown(shutdown_signal()).await?;
            Ok(())
        }
        Command::User { command: UserCommand::Add { login, name, email, role, region } } => {
            let registry = open(&config).await?;
            let federal = match role.as_str() {
                "admin" => Some(frmo_domain::access::FederalRole::Admin),
                "auditor" => Some(frmo_domain::access::FederalRole::Auditor),
                "operator" | "member" => None,
                other => anyhow::bail!("--role: ожидается admin, auditor, operator или member, получено «{other}»"),
            };
            if role == "operator" && region.is_empty() {
                anyhow::bail!("--region: оператору нужен хотя бы один регион");
            }
            let password = match std::env::var("FRMO_PASSWORD") {
                Ok(password) => password,
                Err(_) => {
                    eprint!("Пароль для {login}: ");
                    let mut line = String::new();
                    std::io::stdin().read_line(&mut line)?;
                    line.trim_end_matches(['\r', '\n']).to_owned()
                }
            };
            let account = frmo_registry::identity::local::NewLocalUser {
                login: &login,
                name: &name,
                email: email.as_deref(),
                password: &password,
                role: federal,
                regions: &region,
            };
            let id = registry.add_local_user(&Actor::System, &account).await?;
            println!("создан пользователь {login} (id {id}, роль {role})");
            Ok(())
        }
        Command::Esign { command: EsignCommand::Verify { content, signature, trust } } => {
            let read = |path: &std::path::PathBuf| {
                std::fs::read(path).with_context(|| format!("не удалось прочитать {}", path.display()))
            };
            let (content, signature) = match (read(&content), read(&signature)) {
                (Ok(c), Ok(s)) => (c, s),
                (Err(error), _) | (_, Err(error)) => {
                    eprintln!("frmo esign verify: {error:#}");
                    std::process::exit(2);
                }
            };
            let anchors = match trust.as_deref().map(trust_anchors).transpose() {
                Ok(anchors) => anchors.unwrap_or_default(),
                Err(error) => {
                    eprintln!("frmo esign verify: --trust: {error:#}");
                    std::process::exit(2);
                }
            };
            match frmo_esign::verify(&content, &signature, &anchors, time::OffsetDateTime::now_utc()) {
                Ok(verdict) => {
                    println!("{}", serde_json::to_string_pretty(&verdict)?);
                    std::process::exit(if verdict.valid { 0 } else { 1 });
                }
                Err(error) => {
                    eprintln!("frmo esign verify: {error}");
                    std::process::exit(2);
                }
            }
        }
        Command::Workers { command: WorkersCommand::Import { org, file } } => {
            let bytes = std::fs::read(&file).with_context(|| format!("не удалось прочитать {}", file.display()))?;
            let registry = open_with(&config, false).await?;
            let progress = indicatif::ProgressBar::new_spinner();
            progress.set_message(format!("проверка и загрузка {}", file.display()));
            progress.enable_steady_tick(Duration::from_millis(120));
            let started = Instant::now();
            let report = match frmo_registry::workers::rows_from_file(&bytes) {
                Ok(rows) => registry.import_workers(&Actor::System, &org, rows, "cli").await?,
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
                Ok(())
            } else {
                eprintln!("файл не загружен, ничего не изменено; ошибок: {}", report.errors.len());
                eprint!("{}", report.errors_csv().trim_start_matches('\u{feff}'));
                std::process::exit(1);
            }
        }
        Command::Workers { command: WorkersCommand::Export { org, format, out } } => {
            if !["csv", "xlsx", "pdf"].contains(&format.as_str()) {
                eprintln!("frmo workers export: --format: ожидается csv, xlsx или pdf, получено «{format}»");
                std::process::exit(2);
            }
            let registry = open_with(&config, false).await?;
            let bytes = match format.as_str() {
                "xlsx" => registry.export_workers_xlsx(&Actor::System, &org, "cli").await?,
                "pdf" => registry.export_workers_pdf(&Actor::System, &org, "cli").await?,
                _ => registry.export_workers_csv(&Actor::System, &org, "cli").await?.into_bytes(),
            };
            match out {
                Some(path) => {
                    std::fs::write(&path, bytes).with_context(|| format!("не удалось записать {}", path.display()))?
                }
                None => std::io::stdout().write_all(&bytes)?,
            }
            Ok(())
        }
        Command::Directories { command: DirectoriesCommand::Import { file, directory, version, map } } => {
            let bytes = std::fs::read(&file).with_context(|| format!("не удалось прочитать {}", file.display()))?;
            let registry = open_with(&config, false).await?;
            let file_name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            let import = frmo_registry::directories::DirectoryImport { bytes, file_name, directory, version, map };
            match registry.import_directory(&Actor::System, import).await {
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
                    Ok(())
                }
                Err(frmo_registry::RegistryError::Invalid(errors)) => {
                    eprintln!("справочник не загружен, ничего не изменено:");
                    for error in errors {
                        eprintln!("  {error}");
                    }
                    std::process::exit(1);
                }
                Err(error) => Err(error.into()),
            }
        }
        Command::Systems { command } => {
            let registry = open_with(&config, false).await?;
            match command {
                SystemsCommand::Add { name, orgs, regions } => {
                    let issued = registry.add_system(&Actor::System, &name, &orgs, &regions, "cli").await?;
                    println!("система {name} добавлена; ключ (показывается один раз, сохраните его):");
                    println!("{}", issued.key);
                    println!("адрес для её клиента ИПС: <адрес реестра>/ips/{}/", issued.key);
                }
                SystemsCommand::Revoke { name } => {
                    registry.revoke_system(&Actor::System, &name, "cli").await?;
                    println!("ключ системы {name} отозван");
                }
                SystemsCommand::List => {
                    for s in registry.systems(&Actor::System, "cli").await? {
                        let regions: Vec<String> = s.regions.iter().map(u8::to_string).collect();
                        let revoked = if s.revoked_at.is_some() { "отозван" } else { "действует" };
                        println!("{}\t{}…\t{}\t{}\t{revoked}", s.name, s.key_hint, s.orgs.join(" "), regions.join(" "));
                    }
                }
            }
            Ok(())
        }
        Command::Directories { command: DirectoriesCommand::List } => {
            let _registry = open_with(&config, false).await?;
            for d in frmo_domain::reference::all() {
                let kind = if d.is_local() { "локальный" } else { "НСИ" };
                println!("{}\t{}\t{kind}\t{}\t{}", d.id, d.oid.as_deref().unwrap_or("-"), d.version, d.entries.len());
            }
            Ok(())
        }
        Command::Import { command: ImportCommand::Nsi { file } } => {
            let bytes = std::fs::read(&file).with_context(|| format!("не удалось прочитать {}", file.display()))?;
            let registry = open_with(&config, false).await?;
            let started = Instant::now();
            // The file is read while it is imported: how many records it holds is known at the end.
            let progress = indicatif::ProgressBar::new_spinner().with_style(
                indicatif::ProgressStyle::with_template("{spinner} {pos} записей, {per_sec}")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
            );
            let advance = |done: usize| progress.set_position(done as u64);
            let report = registry.import_nsi_file(&Actor::System, bytes, "cli", advance).await?;
            progress.finish_and_clear();
            if report.applied {
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
                    print!("{}", frmo_registry::nsi::report_text(&report.warnings));
                }
                Ok(())
            } else {
                eprintln!("файл не загружен, ничего не изменено; ошибок: {}", report.errors.len());
                eprint!("{}", frmo_registry::nsi::report_text(&report.errors));
                if !report.warnings.is_empty() {
                    eprintln!("предупреждений (не мешают загрузке): {}", report.warnings.len());
                    eprint!("{}", frmo_registry::nsi::report_text(&report.warnings));
                }
                std::process::exit(1);
            }
        }
        Command::Export { command: ExportCommand::Nsi { format, out } } => {
            let format = match frmo_registry::nsi::Format::parse(&format) {
                Ok(format) => format,
                Err(error) => {
                    eprintln!("frmo export nsi: --format: {error}");
                    std::process::exit(2);
                }
            };
            let registry = open_with(&config, false).await?;
            let total = u64::try_from(registry.count().await?).unwrap_or_default();
            let started = Instant::now();
            let written = match &out {
                Some(path) => {
                    let file = std::fs::File::create(path)
                        .with_context(|| format!("не удалось создать {}", path.display()))?;
                    let progress = indicatif::ProgressBar::new(total);
                    let mut writer = std::io::BufWriter::new(file);
                    let written = registry.export_nsi(format, &mut writer, |n| progress.set_position(n)).await?;
                    progress.finish_and_clear();
                    written
                }
                None => registry.export_nsi(format, &mut std::io::BufWriter::new(std::io::stdout()), |_| {}).await?,
            };
            eprintln!("выгружено записей НСИ 1461: {written} за {:.1} с", started.elapsed().as_secs_f64());
            Ok(())
        }
        Command::Support { command: SupportCommand::Eval { mistakes } } => {
            use frmo_registry::support::classifier;
            let evaluation = classifier::evaluate_shipped();
            println!("{:<34} {:>7} {:>7} {:>9}", "тема", "верно", "всего", "точность");
            for (topic, right, total) in &evaluation.per_topic {
                let share = if *total == 0 { 0.0 } else { *right as f64 / *total as f64 };
                println!("{:<34} {right:>7} {total:>7} {:>8.1}%", topic.label(), share * 100.0);
            }
            println!(
                "{:<34} {:>7} {:>7} {:>8.1}%",
                "итого (отложенная выборка)",
                evaluation.right,
                evaluation.total,
                evaluation.accuracy() * 100.0
            );
            if mistakes {
                for (line, expected, guessed, text) in &evaluation.mistakes {
                    println!("строка {line}: {} → {}: {text}", expected.as_str(), guessed.as_str());
                }
            }
            Ok(())
        }
        Command::Support { command: SupportCommand::Classify { text, with_reclassified } } => {
            use frmo_registry::support::classifier::{Basis, Classifier};
            let classifier = if with_reclassified {
                open_with(&config, false).await?.support_classifier().await?
            } else {
                Classifier::shipped_with::<&str>([])
            };
            let guess = classifier.classify(&text, None);
            let basis = match guess.basis {
                Basis::Rule(rule) => format!("правило: {rule}"),
                Basis::Model => format!("модель, вероятность {:.2}", guess.confidence),
                Basis::Explicit => "выбрана пользователем".to_owned(),
            };
            println!("{}\t{}\t{basis}", guess.topic.as_str(), guess.topic.label());
            Ok(())
        }
        Command::Publish => {
            let registry = open_with(&config, false).await?;
            let total = u64::try_from(registry.count().await?).unwrap_or_default()
                * frmo_registry::publication::FILES_PER_VERSION;
            let progress = indicatif::ProgressBar::new(total);
            let started = Instant::now();
            let result = registry.publish_nsi(&Actor::System, "cli", |n| progress.set_position(n)).await;
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
                    Ok(())
                }
                Err(frmo_registry::RegistryError::Conflict(message)) => {
                    eprintln!("frmo publish: {message}");
                    std::process::exit(1);
                }
                Err(error) => Err(error.into()),
            }
        }
        Command::Report { command: ReportCommand::List } => {
            for definition in frmo_registry::reports::CATALOGUE {
                let groups: Vec<_> =
                    definition.groups.iter().map(|(value, label)| format!("{value} ({label})")).collect();
                println!("{} — {}", definition.name, definition.title);
                if !groups.is_empty() {
                    println!("    --group: {}", groups.join(", "));
                }
                println!("    {}", definition.description);
            }
            Ok(())
        }
        Command::Report { command: ReportCommand::Run { name, period, group, format, out } } => {
            use frmo_registry::reports::output::{self, CsvFlavour};
            if !["table", "csv", "csv-rfc", "xlsx", "pdf", "json"].contains(&format.as_str()) {
                eprintln!(
                    "frmo report run: --format: ожидается table, csv, csv-rfc, xlsx, pdf или json, получено «{format}»"
                );
                std::process::exit(2);
            }
            let registry = open_with(&config, false).await?;
            let params = frmo_registry::reports::ReportParams { period, group, ..Default::default() };
            let progress = indicatif::ProgressBar::new_spinner().with_message(format!("отчёт «{name}»…"));
            progress.enable_steady_tick(Duration::from_millis(120));
            let started = Instant::now();
            let report = match registry.run_report(&Actor::System, &name, &params, "cli").await {
                Ok(report) => report,
                Err(error @ (frmo_registry::RegistryError::Invalid(_) | frmo_registry::RegistryError::NotFound(_))) => {
                    progress.finish_and_clear();
                    eprintln!("frmo report run: {error}");
                    std::process::exit(2);
                }
                Err(error) => return Err(error.into()),
            };
            let bytes = match format.as_str() {
                "csv" => output::csv(&report, CsvFlavour::Excel),
                "csv-rfc" => output::csv(&report, CsvFlavour::Rfc4180),
                "xlsx" => output::xlsx(&report)?,
                "pdf" => output::pdf(&report)?,
                "json" => serde_json::to_vec_pretty(&output::json(&report))?,
                _ => output::text(&report).into_bytes(),
            };
            progress.finish_and_clear();
            match out {
                Some(path) => {
                    std::fs::write(&path, bytes).with_context(|| format!("не удалось записать {}", path.display()))?
                }
                None => std::io::stdout().write_all(&bytes)?,
            }
            eprintln!("{}: строк {} за {:.2} с", report.title(), report.rows.len(), started.elapsed().as_secs_f64());
            Ok(())
        }
        Command::Documents { command } => {
            let registry = open_with(&config, false).await?;
            match command {
                DocumentsCommand::Remind => {
                    let reminded = registry.remind_expiring_documents().await?;
                    println!("напоминаний об истекающих документах: {reminded}");
                }
                DocumentsCommand::Sweep { grace_minutes } => {
                    let removed = registry.sweep_orphan_files(i64::from(grace_minutes) * 60).await?;
                    println!("удалено файлов без документа: {removed}");
                }
            }
            Ok(())
        }
        Command::Audit { command: AuditCommand::Verify } => {
            let registry = open_with(&config, false).await?;
            match registry.verify_journal().await? {
                frmo_store::audit::Verdict::Intact { entries, head } => {
                    println!("журнал аудита цел: записей {entries}; последняя № {} {}", head.0, head.1);
                    Ok(())
                }
                frmo_store::audit::Verdict::Broken { id, reason } => {
                    eprintln!("журнал аудита повреждён: первая неверная запись № {id}: {reason}");
                    std::process::exit(1);
                }
            }
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
            let state = app_state(&config, registry, demo, &address).await?;
            let mail_worker = match config.mail.mailer().map_err(anyhow::Error::msg)? {
                Some(mailer) => {
                    let every = Duration::from_secs(config.mail.poll_seconds);
                    Some(state.registry.spawn_mail_worker(mailer, every))
                }
                None => {
                    tracing::info!("[mail] smtp_host is not set: e-mail waits in the outbox");
                    None
                }
            };
            let interrupted = state.registry.fail_interrupted_jobs().await?;
            if interrupted > 0 {
                tracing::warn!(interrupted, "background exports interrupted by the last stop are marked failed");
            }
            let jobs = state.registry.spawn_document_jobs(Duration::from_secs(config.documents.jobs_minutes * 60));
            let support_jobs = state.registry.spawn_support_jobs(Duration::from_secs(3600));
            frmo_web::serve(listener, state, shutdown_signal()).await?;
            follower.abort();
            jobs.abort();
            support_jobs.abort();
            if let Some(worker) = mail_worker {
                worker.abort();
            }
            tracing::info!("stopped");
            Ok(())
        }
    }
}

/// The CA certificates of a folder (PEM or DER files), as DER.
fn trust_anchors(dir: &std::path::Path) -> anyhow::Result<Vec<Vec<u8>>> {
    let mut anchors = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("папка {} не читается", dir.display()))?
    {
        let path = entry?.path();
        if !path.is_file() {
            continue;
        }
        let bytes = std::fs::read(&path)?;
        let der = match std::str::from_utf8(&bytes) {
            Ok(text) if text.contains("-----BEGIN CERTIFICATE-----") => frmo_gost::pem_to_der(text, "CERTIFICATE")
                .with_context(|| format!("{}: неверный PEM", path.display()))?,
            _ if bytes.first() == Some(&0x30) => bytes,
            _ => continue,
        };
        anchors.push(der);
    }
    Ok(anchors)
}

/// How people sign in, from the configuration (and the demo's ЕСИА stand with `--demo`).
async fn app_state(
    config: &Config,
    registry: Registry,
    demo: bool,
    address: &std::net::SocketAddr,
) -> anyhow::Result<frmo_web::AppState> {
    // With the default bind, the public address follows the port actually taken.
    let public_url = if config.public_url == format!("http://{}", config.bind) {
        format!("http://{address}")
    } else {
        config.public_url.clone()
    };
    let registry = registry.with_public_url(&public_url).with_limits(config.limits.registry()).with_session_policy(
        frmo_registry::identity::SessionPolicy {
            idle_seconds: config.session_idle_minutes * 60,
            absolute_seconds: config.session_absolute_hours * 3600,
        },
    );
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(20))
        .build()?;
    let mut state = frmo_web::AppState::new(registry.clone(), &public_url);
    state.limits =
        std::sync::Arc::new(frmo_web::limits::Limits::new(config.limits.clone()).map_err(anyhow::Error::msg)?);
    let mut auth = frmo_web::AuthSettings::new(&public_url);
    auth.hsts &= config.hsts;
    if !config.esia.portal_url.is_empty() {
        auth.esia = Some(esia_client(&config.esia, &public_url, http.clone())?);
    } else if demo {
        let (client, stand) =
            frmo_web::demo::esia(&registry, &public_url, http.clone()).await.map_err(anyhow::Error::msg)?;
        auth.esia = Some(client);
        state.mounts.push((frmo_web::demo::STAND_PATH, stand));
        tracing::info!("ЕСИА stand mounted at {}{}", public_url, frmo_web::demo::STAND_PATH);
    }
    if !config.oidc.issuer.is_empty() {
        let o = &config.oidc;
        let provider = frmo_oidc::Provider::discover(
            &http,
            frmo_oidc::ProviderConfig {
                issuer: o.issuer.clone(),
                client_id: o.client_id.clone(),
                client_secret: Some(o.client_secret.clone()).filter(|s| !s.is_empty()),
                redirect_uri: format!("{public_url}/login/oidc/callback"),
                scopes: vec!["openid".into(), "profile".into(), "email".into()],
            },
        )
        .await
        .with_context(|| format!("OpenID Connect: поставщик {} недоступен", o.issuer))?;
        let name = if o.name.is_empty() { "OpenID Connect".to_owned() } else { o.name.clone() };
        auth.oidc = Some(frmo_web::oidc::OidcLogin { name, provider, http: http.clone(), trusted: o.trusted });
    }
    state.auth = std::sync::Arc::new(auth);
    Ok(state)
}

/// The relying party of a real ЕСИА (or an external stand) from the configuration.
fn esia_client(
    settings: &config::EsiaSettings,
    public_url: &str,
    http: reqwest::Client,
) -> anyhow::Result<frmo_esia::EsiaClient> {
    let read = |what: &str, path: &str| {
        std::fs::read(path).with_context(|| format!("esia.{what}: не удалось прочитать {path}"))
    };
    let certificate = read("certificate", &settings.certificate)?;
    let certificate_der = match std::str::from_utf8(&certificate) {
        Ok(pem) if pem.contains("-----BEGIN") => {
            frmo_gost::pem_to_der(pem, "CERTIFICATE").map_err(|e| anyhow::anyhow!("esia.certificate: {e}"))?
        }
        _ => certificate,
    };
    let mut esia_keys = Vec::new();
    for path in &settings.esia_certificates {
        esia_keys.push(
            frmo_esia::VerifyKey::from_certificate(&read("esia_certificates", path)?)
                .map_err(|e| anyhow::anyhow!("{e}"))?,
        );
    }
    if esia_keys.is_empty() {
        anyhow::bail!("esia.esia_certificates: укажите сертификаты ЕСИА, которыми проверять токены");
    }
    let signer: std::sync::Arc<dyn frmo_esia::signer::Signer> = match settings.signer.as_str() {
        "cryptopro" => std::sync::Arc::new(frmo_esia::signer::CryptoProSigner {
            csptest: if settings.csptest.is_empty() { "csptest".into() } else { settings.csptest.clone() },
            container: settings.container.clone(),
            pin: Some(settings.pin.clone()).filter(|p| !p.is_empty()),
            temp_dir: Some(std::path::PathBuf::from(&settings.temp_dir)).filter(|_| !settings.temp_dir.is_empty()),
        }),
        "builtin" => {
            let pem = String::from_utf8(read("key", &settings.key)?).context("esia.key: не PEM")?;
            std::sync::Arc::new(frmo_esia::signer::BuiltinSigner::from_pem(&pem)?)
        }
        _ => std::sync::Arc::new(frmo_esia::signer::CommandSigner::openssl(settings.key.clone().into())),
    };
    let scope = if settings.scope.is_empty() {
        "openid fullname snils email mobile usr_org".to_owned()
    } else {
        settings.scope.clone()
    };
    let config = frmo_esia::EsiaConfig {
        portal_url: settings.portal_url.clone(),
        client_id: settings.client_id.clone(),
        certificate_der,
        redirect_uri: format!("{public_url}/login/esia/callback"),
        scope,
        scope_org: settings.scope_org.clone(),
        esia_keys,
    };
    Ok(frmo_esia::EsiaClient::new(config, signer, http))
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
