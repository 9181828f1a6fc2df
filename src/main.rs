//! The `frmo` command: parses the command line and the configuration, then calls the command in
//! `frmo_app::commands`. Everything is booted by `frmo_app::App::build`.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use frmo_app::Config;
use frmo_app::commands::{admin, backup, documents, register, reports, serve, support, workers};

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
    Serve(serve::ServeArgs),
    /// Apply database migrations and exit.
    Migrate,
    /// Serve the ЕСИА stand alone (the server side of ЕСИА's protocol, with demo persons).
    EsiaStand(serve::EsiaStandArgs),
    /// Manage local accounts.
    User {
        #[command(subcommand)]
        command: admin::UserCommand,
    },
    /// Electronic signatures of documents.
    Esign {
        #[command(subcommand)]
        command: documents::EsignCommand,
    },
    /// Documents of organizations: expiry reminders and the sweep of orphaned files (both also run
    /// in `serve`, every `[documents] jobs_minutes`).
    Documents {
        #[command(subcommand)]
        command: documents::DocumentsCommand,
    },
    /// Medical workers (ФРМР) of an organization: bulk import and export.
    Workers {
        #[command(subcommand)]
        command: workers::WorkersCommand,
    },
    /// Publish the open register.
    Export {
        #[command(subcommand)]
        command: register::ExportCommand,
    },
    /// Load the register from open data.
    Import {
        #[command(subcommand)]
        command: register::ImportCommand,
    },
    /// Reference directories: install a real НСИ download over a shipped one.
    Directories {
        #[command(subcommand)]
        command: register::DirectoriesCommand,
    },
    /// Information systems of the integration API (`/ips`): keys bound to organizations or regions.
    Systems {
        #[command(subcommand)]
        command: admin::SystemsCommand,
    },
    /// The audit journal.
    Audit {
        #[command(subcommand)]
        command: admin::AuditCommand,
    },
    /// Publish a new version of the open register (НСИ 1461): its files and the list of changes
    /// since the previous version (the same as «Опубликовать» on /open-data).
    Publish,
    /// The report catalogue (the cabinet's «Отчёты»), run over the whole register.
    Report {
        #[command(subcommand)]
        command: reports::ReportCommand,
    },
    /// Support requests: the topic classifier.
    Support {
        #[command(subcommand)]
        command: support::SupportCommand,
    },
    /// Generate organizations (deterministic: the same seed gives the same register).
    Seed(admin::SeedArgs),
    /// Copy the embedded database (online, while `serve` runs) and the document files into an
    /// empty folder, with a manifest of counts and SHA-256 checksums. PostgreSQL: prints the
    /// pg_dump command to use.
    Backup {
        /// The folder to write (new or empty).
        dir: std::path::PathBuf,
    },
    /// Restore a `frmo backup` folder into an empty data directory, every checksum checked first;
    /// then verify the restored journal. PostgreSQL: prints the pg_restore command to use.
    Restore {
        /// The folder `frmo backup` wrote.
        dir: std::path::PathBuf,
    },
}

fn main() -> ExitCode {
    quiet_on_a_closed_pipe();
    let cli = Cli::parse();
    let config = match Config::load(cli.config.as_deref()) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("frmo: ошибка конфигурации: {error}");
            return ExitCode::from(2);
        }
    };
    frmo_app::init_logging(&config);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("frmo: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command, config)) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("frmo: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Output piped to a reader that has gone (`frmo systems list | head -1`) ends the command quietly
/// with the status a shell gives a command its pipe closed (128 + SIGPIPE), as Unix tools do:
/// Rust ignores SIGPIPE, so `println!` would panic instead.
fn quiet_on_a_closed_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or_default();
        if message.starts_with("failed printing to stdout") && message.contains("Broken pipe") {
            std::process::exit(141);
        }
        default(info);
    }));
}

async fn run(command: Command, config: Config) -> anyhow::Result<ExitCode> {
    match command {
        Command::Serve(args) => serve::run(config, args).await,
        Command::Migrate => admin::migrate(&config).await,
        Command::EsiaStand(args) => serve::esia_stand(args).await,
        Command::User { command } => admin::user(config, command).await,
        Command::Esign { command } => documents::esign(command),
        Command::Documents { command } => documents::run(config, command).await,
        Command::Workers { command } => workers::run(config, command).await,
        Command::Export { command } => register::export(config, command).await,
        Command::Import { command } => register::import(config, command).await,
        Command::Directories { command } => register::directories(config, command).await,
        Command::Audit { command } => admin::audit(config, command).await,
        Command::Systems { command } => admin::systems(config, command).await,
        Command::Publish => register::publish(config).await,
        Command::Report { command } => reports::run(config, command).await,
        Command::Support { command } => support::run(config, command).await,
        Command::Seed(args) => admin::seed(config, args).await,
        Command::Backup { dir } => backup::backup(config, dir).await,
        Command::Restore { dir } => backup::restore(config, dir).await,
    }
}
