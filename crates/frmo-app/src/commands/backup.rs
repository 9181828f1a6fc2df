//! `frmo backup DIR` and `frmo restore DIR` for the embedded default (SQLite and a local folder of
//! document files). The backup is online: the database is copied in one read transaction
//! (`VACUUM INTO`) while `frmo serve` may be writing, then the files folder is copied (files are
//! written before the rows that name them, so every file the copied database names is there; a file
//! added meanwhile is an orphan the sweep removes). `manifest.json` lists the counts and the
//! SHA-256 of every file. A restore checks every checksum before writing anything, refuses a data
//! directory that is not empty, and then opens the restored register and verifies its journal.
//! PostgreSQL is backed up with pg_dump: both commands print the exact command instead.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use frmo_domain::access::Actor;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::{App, Config};

const MANIFEST: &str = "manifest.json";
const DATABASE: &str = "frmo.db";
const FILES: &str = "files";

/// What a backup holds, written last (a folder without it is no backup).
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Manifest {
    format: u32,
    frmo_version: String,
    created_at: String,
    organizations: i64,
    journal_entries: i64,
    journal_head: (i64, String),
    database: Entry,
    files: Vec<Entry>,
}

/// A file of the backup: its path inside it, size and SHA-256 (hex).
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
struct Entry {
    path: String,
    bytes: u64,
    sha256: String,
}

/// The local folder of document files; `None` for S3.
fn files_folder(config: &Config) -> Option<PathBuf> {
    let location = config.files_location();
    (!location.starts_with("s3://")).then(|| location.strip_prefix("file://").unwrap_or(&location).into())
}

/// The database URL without its password (the tools read it from PGPASSWORD or ~/.pgpass).
fn without_password(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let user = url[scheme + 3..at].split(':').next().unwrap_or("");
            format!("{}{user}{}", &url[..scheme + 3], &url[at..])
        }
        _ => url.to_owned(),
    }
}

/// Prints the PostgreSQL tool's command for `config` and returns exit code 2.
fn use_postgres_tool(config: &Config, what: &str) -> ExitCode {
    let url = without_password(&config.database_url);
    let command = match what {
        "backup" => format!("pg_dump --format=custom --no-owner --file=frmo.dump '{url}'"),
        _ => format!("pg_restore --no-owner --exit-on-error --dbname='{url}' frmo.dump"),
    };
    eprintln!(
        "frmo {what}: база данных — PostgreSQL; используйте его средства (пароль — в PGPASSWORD или ~/.pgpass):\n  {command}"
    );
    super::misused()
}

pub async fn backup(config: Config, dir: PathBuf) -> anyhow::Result<ExitCode> {
    if config.sqlite_path().is_none() {
        return Ok(use_postgres_tool(&config, "backup"));
    }
    if !is_empty(&dir)? {
        eprintln!("frmo backup: папка {} не пуста; укажите новую", dir.display());
        return Ok(super::misused());
    }
    std::fs::create_dir_all(&dir).with_context(|| format!("не удалось создать {}", dir.display()))?;
    let folder = files_folder(&config);
    let app = App::build(config.for_batch()).await?;
    let database = dir.join(DATABASE);
    app.registry.backup_database(&Actor::System, &database).await?;
    let (journal_entries, journal_head) = match app.registry.verify_journal().await? {
        frmo_registry::moderation::journal::Verdict::Intact { entries, head } => (entries, head),
        frmo_registry::moderation::journal::Verdict::Broken { id, reason } => {
            bail!("журнал аудита повреждён (запись № {id}: {reason}); копия не сделана")
        }
    };
    let mut files = Vec::new();
    match &folder {
        Some(folder) => copy_tree(folder, &dir.join(FILES), Path::new(""), &mut files)?,
        None => eprintln!("frmo backup: файлы документов лежат в S3 и не копируются (версионирование корзины)"),
    }
    let manifest = Manifest {
        format: 1,
        frmo_version: env!("CARGO_PKG_VERSION").into(),
        created_at: time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339)?,
        organizations: app.registry.count().await?,
        journal_entries,
        journal_head,
        database: checksum(&database, DATABASE)?,
        files,
    };
    std::fs::write(dir.join(MANIFEST), serde_json::to_vec_pretty(&manifest)?)?;
    println!(
        "резервная копия в {}: организаций {}, записей журнала {}, файлов {}",
        dir.display(),
        manifest.organizations,
        manifest.journal_entries,
        manifest.files.len()
    );
    Ok(ExitCode::SUCCESS)
}

pub async fn restore(config: Config, dir: PathBuf) -> anyhow::Result<ExitCode> {
    let Some(database) = config.sqlite_path() else { return Ok(use_postgres_tool(&config, "restore")) };
    let manifest: Manifest = serde_json::from_slice(&super::read(&dir.join(MANIFEST))?)
        .with_context(|| format!("{}: не манифест резервной копии", dir.join(MANIFEST).display()))?;
    let folder = files_folder(&config);
    let targets = [Some(PathBuf::from(&config.data_dir)), Some(database.clone()), folder.clone()];
    for target in targets.iter().flatten() {
        if !is_empty(target)? {
            eprintln!("frmo restore: {} не пуст; восстановление — только в пустую папку данных", target.display());
            return Ok(super::misused());
        }
    }
    // Every checksum first: nothing is written from a damaged copy.
    let mut damaged = Vec::new();
    for (entry, path) in entries(&manifest, &dir) {
        if checksum(&path, &entry.path).ok().as_ref() != Some(entry) {
            damaged.push(entry.path.clone());
        }
    }
    if !damaged.is_empty() {
        eprintln!("frmo restore: копия повреждена, ничего не записано; не совпадают: {}", damaged.join(", "));
        return Ok(super::failed());
    }
    if let Some(parent) = database.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::copy(dir.join(DATABASE), &database)
        .with_context(|| format!("не удалось записать {}", database.display()))?;
    if folder.is_none() && !manifest.files.is_empty() {
        eprintln!(
            "frmo restore: файлы документов настроены в S3 и не восстанавливаются; скопируйте {}/files туда сами",
            dir.display()
        );
    }
    if let Some(folder) = &folder {
        for entry in &manifest.files {
            let to = folder.join(&entry.path);
            std::fs::create_dir_all(to.parent().unwrap_or(folder))?;
            std::fs::copy(dir.join(FILES).join(&entry.path), &to)?;
        }
    }
    let app = App::build(config.for_batch()).await?;
    let organizations = app.registry.count().await?;
    let verdict = app.registry.verify_journal().await?;
    let intact = matches!(&verdict, frmo_registry::moderation::journal::Verdict::Intact { entries, head }
        if *entries == manifest.journal_entries && *head == manifest.journal_head);
    if !intact || organizations != manifest.organizations {
        eprintln!(
            "frmo restore: восстановленный реестр не сходится с манифестом: {verdict:?}, организаций {organizations}"
        );
        return Ok(super::failed());
    }
    println!(
        "восстановлено из {}: организаций {organizations}, записей журнала {} (цел), файлов {}",
        dir.display(),
        manifest.journal_entries,
        manifest.files.len()
    );
    Ok(ExitCode::SUCCESS)
}

/// The database and every file of `manifest`, with where they lie in the backup `dir`.
fn entries<'a>(manifest: &'a Manifest, dir: &Path) -> Vec<(&'a Entry, PathBuf)> {
    let database = (&manifest.database, dir.join(DATABASE));
    let files = manifest.files.iter().map(|entry| (entry, dir.join(FILES).join(&entry.path)));
    std::iter::once(database).chain(files).collect()
}

/// Absent, an empty file, or an empty folder.
fn is_empty(path: &Path) -> anyhow::Result<bool> {
    match std::fs::metadata(path) {
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(true),
        Err(error) => Err(error).with_context(|| format!("{}", path.display())),
        Ok(meta) if meta.is_dir() => Ok(std::fs::read_dir(path)?.next().is_none()),
        Ok(meta) => Ok(meta.len() == 0),
    }
}

/// The size and SHA-256 of a file, recorded under `name`.
fn checksum(path: &Path, name: &str) -> anyhow::Result<Entry> {
    let mut file = std::fs::File::open(path).with_context(|| format!("не удалось открыть {}", path.display()))?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 256 * 1024];
    let mut bytes = 0u64;
    loop {
        let n = file.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
        bytes += n as u64;
    }
    let sha256 = frmo_domain::hex::lower(&hasher.finalize());
    Ok(Entry { path: name.to_owned(), bytes, sha256 })
}

/// Copies the folder `from` into `to` (the relative path `under` so far), listing every file.
fn copy_tree(from: &Path, to: &Path, under: &Path, out: &mut Vec<Entry>) -> anyhow::Result<()> {
    let Ok(listing) = std::fs::read_dir(from.join(under)) else { return Ok(()) };
    for item in listing {
        let item = item?;
        let relative = under.join(item.file_name());
        let kind = item.file_type()?;
        if kind.is_dir() {
            copy_tree(from, to, &relative, out)?;
        } else if kind.is_file() {
            let target = to.join(&relative);
            std::fs::create_dir_all(target.parent().unwrap_or(to))?;
            std::fs::copy(item.path(), &target)
                .with_context(|| format!("не удалось скопировать {}", item.path().display()))?;
            let name = relative.to_str().context("имя файла не UTF-8")?;
            out.push(checksum(&target, name)?);
        }
    }
    Ok(())
}
