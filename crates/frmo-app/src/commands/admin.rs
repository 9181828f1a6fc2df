//! Running the registry: `frmo migrate`, `frmo seed`, `frmo user add`, `frmo audit verify`, `frmo systems`.

use std::process::ExitCode;
use std::time::Instant;

use clap::Subcommand;
use frmo_domain::access::{Actor, FederalRole};

use crate::{App, Config};
use frmo_registry::Caller;

/// Applies the migrations the database lacks and names them.
pub async fn migrate(config: &Config) -> anyhow::Result<ExitCode> {
    let applied = App::migrate(config).await?;
    println!("применено миграций: {} {:?}", applied.len(), applied);
    Ok(ExitCode::SUCCESS)
}

#[derive(clap::Args, Debug)]
pub struct SeedArgs {
    /// How many organizations to generate.
    #[arg(long, default_value_t = 1000)]
    pub orgs: u64,
    /// Generator seed.
    #[arg(long, default_value_t = 1461)]
    pub seed: u64,
}

/// Generates organizations (the same seed gives the same register), with a progress bar.
pub async fn seed(config: Config, args: SeedArgs) -> anyhow::Result<ExitCode> {
    let SeedArgs { orgs, seed } = args;
    let app = App::build(config.for_batch()).await?;
    let bar = indicatif::ProgressBar::new(orgs).with_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} организаций, {per_sec}, осталось {eta}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let started = Instant::now();
    app.registry.seed(&Actor::System, seed, orgs, |done| bar.set_position(done)).await?;
    bar.finish_and_clear();
    let seconds = started.elapsed().as_secs_f64();
    println!("seeded {orgs} organizations in {seconds:.1} s ({:.0} orgs/s)", orgs as f64 / seconds.max(1e-9));
    Ok(ExitCode::SUCCESS)
}

#[derive(Subcommand, Debug)]
pub enum UserCommand {
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

pub async fn user(config: Config, command: UserCommand) -> anyhow::Result<ExitCode> {
    let UserCommand::Add { login, name, email, role, region } = command;
    let app = App::build(config.for_batch()).await?;
    let federal = match role.as_str() {
        "admin" => Some(FederalRole::Admin),
        "auditor" => Some(FederalRole::Auditor),
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
    let id = app.registry.add_local_user(&Actor::System, &account).await?;
    println!("создан пользователь {login} (id {id}, роль {role})");
    Ok(ExitCode::SUCCESS)
}

#[derive(Subcommand, Debug)]
pub enum AuditCommand {
    /// Walk the journal's hash chain; exit 1 naming the first entry that was edited, deleted or
    /// moved. Prints the number and hash of the last entry: keep them, and compare next time (an
    /// entry cut off the end leaves a shorter chain that is whole in itself).
    Verify,
}

pub async fn audit(config: Config, command: AuditCommand) -> anyhow::Result<ExitCode> {
    let AuditCommand::Verify = command;
    let app = App::build(config.for_batch()).await?;
    match app.registry.verify_journal().await? {
        frmo_registry::moderation::journal::Verdict::Intact { entries, head } => {
            println!("журнал аудита цел: записей {entries}; последняя № {} {}", head.0, head.1);
            Ok(ExitCode::SUCCESS)
        }
        frmo_registry::moderation::journal::Verdict::Broken { id, reason } => {
            eprintln!("журнал аудита повреждён: первая неверная запись № {id}: {reason}");
            Ok(super::failed())
        }
    }
}

#[derive(Subcommand, Debug)]
pub enum SystemsCommand {
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

/// `frmo systems …`: the keys of the integration API (`/ips`, docs/ips.md).
pub async fn systems(config: Config, command: SystemsCommand) -> anyhow::Result<ExitCode> {
    let app = App::build(config.for_batch()).await?;
    let registry = &app.registry;
    match command {
        SystemsCommand::Add { name, orgs, regions } => {
            let issued = registry.add_system(&Caller::system("cli"), &name, &orgs, &regions).await?;
            println!("система {name} добавлена; ключ (показывается один раз, сохраните его):");
            println!("{}", issued.key);
            println!("адрес для её клиента ИПС: <адрес реестра>/ips/{}/", issued.key);
        }
        SystemsCommand::Revoke { name } => {
            registry.revoke_system(&Caller::system("cli"), &name).await?;
            println!("ключ системы {name} отозван");
        }
        SystemsCommand::List => {
            for s in registry.systems(&Caller::system("cli")).await? {
                let regions: Vec<String> = s.regions.iter().map(u8::to_string).collect();
                let revoked = if s.revoked_at.is_some() { "отозван" } else { "действует" };
                println!("{}\t{}…\t{}\t{}\t{revoked}", s.name, s.key_hint, s.orgs.join(" "), regions.join(" "));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
