//! Configuration: defaults → `frmo.toml` (or `--config FILE`) → `FRMO_*` environment. A wrong
//! value stops start-up with a message naming it.

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};
use std::path::Path;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Directory for the embedded database and documents.
    pub data_dir: String,
    /// `sqlite://PATH` or `postgres://…`; empty means `sqlite://<data_dir>/frmo.db`.
    pub database_url: String,
    /// A streaming replica of the PostgreSQL database (`postgres://…`) for the public reads —
    /// anonymous cards and search results; empty: every read goes to `database_url`.
    pub database_replica_url: String,
    /// Listen address.
    pub bind: String,
    /// Log filter (tracing syntax), e.g. `info` or `frmo=debug`.
    pub log: String,
    /// Logs as JSON lines.
    pub log_json: bool,
    /// Generated organizations in the demo register (besides the real ones).
    pub demo_orgs: u64,
    /// The address users reach the registry at (links in e-mails, return addresses from ЕСИА and
    /// OpenID Connect); empty means `http://<bind>`. Cookies are `Secure` when it is `https://`.
    pub public_url: String,
    /// `Strict-Transport-Security` (a year) on every response when `public_url` is `https://`;
    /// `false` switches it off (a first HTTPS trial that may still go back to HTTP).
    pub hsts: bool,
    /// Minutes an unused session lives.
    pub session_idle_minutes: i64,
    /// Hours a session lives at most.
    pub session_absolute_hours: i64,
    pub esia: EsiaSettings,
    pub oidc: OidcSettings,
    pub moderation: ModerationSettings,
    pub mail: MailSettings,
    /// Where document files live: a folder, or `s3://bucket[/prefix]` (with `[documents] s3_*`);
    /// empty means `<data_dir>/files`.
    pub files: String,
    pub documents: DocumentsSettings,
    /// Rate limits per client address and account, connection caps and timeouts, what the
    /// anonymous may attach; see `frmo_web::limits::LimitSettings` and docs/architecture.md.
    pub limits: frmo_web::limits::LimitSettings,
    /// Who may read `/metrics` (loopback by default); see docs/operations.md.
    pub metrics: frmo_web::metrics::MetricsSettings,
    pub jobs: JobsSettings,
    /// What this process boots: set by the command that runs, never read from a file.
    #[serde(skip)]
    pub run: Run,
}

/// What `App::build` opens besides the store: chosen by the command (`serve` everything, batch
/// commands neither the index nor the sign-in clients), never by a setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Run {
    /// Build the search index (a register of a million organizations is indexed in memory first).
    pub search_index: bool,
    /// Set up sign-in: ЕСИА, OpenID Connect (discovered over the network), and the demo's stand.
    pub sign_in: bool,
    /// `serve --demo`: fill an empty database with the demo register and, without a configured
    /// ЕСИА, mount the ЕСИА stand.
    pub demo: bool,
}

impl Default for Run {
    /// What `frmo serve` boots.
    fn default() -> Self {
        Run { search_index: true, sign_in: true, demo: false }
    }
}

/// Background jobs (exports, reports, publications): any serving process claims them with a lease.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct JobsSettings {
    /// Seconds a claim holds without renewal: how long a dead process's job waits for another.
    pub lease_seconds: u64,
    /// Claims before a job is given up.
    pub max_attempts: i64,
    /// Jobs one process runs at once.
    pub concurrent: usize,
    /// How often a process looks for jobs nobody runs, seconds.
    pub poll_seconds: u64,
}

impl Default for JobsSettings {
    fn default() -> Self {
        JobsSettings { lease_seconds: 30, max_attempts: 3, concurrent: 2, poll_seconds: 2 }
    }
}

impl JobsSettings {
    /// The settings, checked; an error names the setting.
    pub fn checked(&self) -> Result<frmo_registry::reports::jobs::JobSettings, String> {
        if !(2..=3600).contains(&self.lease_seconds) {
            return Err(format!("jobs.lease_seconds: ожидается от 2 до 3600 секунд, получено {}", self.lease_seconds));
        }
        if !(1..=100).contains(&self.max_attempts) {
            return Err(format!("jobs.max_attempts: ожидается от 1 до 100, получено {}", self.max_attempts));
        }
        if !(1..=64).contains(&self.concurrent) {
            return Err(format!("jobs.concurrent: ожидается от 1 до 64, получено {}", self.concurrent));
        }
        if !(1..=3600).contains(&self.poll_seconds) {
            return Err(format!("jobs.poll_seconds: ожидается от 1 до 3600 секунд, получено {}", self.poll_seconds));
        }
        Ok(frmo_registry::reports::jobs::JobSettings {
            lease: std::time::Duration::from_secs(self.lease_seconds),
            max_attempts: self.max_attempts,
            concurrent: self.concurrent,
        })
    }
}

/// Documents of organizations: limits, expiry, signature trust, and the S3 endpoint of `files`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DocumentsSettings {
    /// Largest file accepted, in megabytes.
    pub max_mb: u64,
    /// A document is «истекает» this many days before its valid-until date.
    pub expiring_days: i64,
    /// Members are reminded this many days before a document expires.
    pub reminder_days: i64,
    /// A folder of trusted CA certificates (PEM or DER) for signatures; empty: chains not checked.
    pub trust_dir: String,
    /// How often reminders and the orphan sweep run, minutes.
    pub jobs_minutes: u64,
    /// S3 endpoint (MinIO, moto, a cloud's S3); empty: AWS.
    pub s3_endpoint: String,
    pub s3_region: String,
    /// Empty: `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` from the environment.
    pub s3_access_key_id: String,
    pub s3_secret_access_key: String,
}

impl Default for DocumentsSettings {
    fn default() -> Self {
        DocumentsSettings {
            max_mb: 10,
            expiring_days: 30,
            reminder_days: 30,
            trust_dir: String::new(),
            jobs_minutes: 60,
            s3_endpoint: String::new(),
            s3_region: String::new(),
            s3_access_key_id: String::new(),
            s3_secret_access_key: String::new(),
        }
    }
}

impl Config {
    /// Where document files live: `files`, or `<data_dir>/files`.
    /// The SQLite database file, when the database is the embedded one.
    pub fn sqlite_path(&self) -> Option<std::path::PathBuf> {
        let url = &self.database_url;
        let path = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
        Some(path.into())
    }

    /// Where document files live: a folder path, or `s3://…`.
    pub fn files_location(&self) -> String {
        if self.files.is_empty() {
            format!("{}/files", self.data_dir.trim_end_matches('/'))
        } else {
            self.files.clone()
        }
    }

    /// The document settings, checked; an error names the setting. Touches nothing but the trust
    /// folder (read).
    pub fn document_settings(&self) -> Result<frmo_registry::documents::DocumentSettings, String> {
        let d = &self.documents;
        if d.max_mb == 0 || d.max_mb > 1024 {
            return Err(format!("documents.max_mb: ожидается число мегабайт от 1 до 1024, получено {}", d.max_mb));
        }
        if d.expiring_days < 0 || d.reminder_days < 0 || d.jobs_minutes == 0 {
            return Err("documents.expiring_days, reminder_days, jobs_minutes: ожидаются положительные числа".into());
        }
        let trust = if d.trust_dir.is_empty() {
            Vec::new()
        } else {
            trust_anchors(Path::new(&d.trust_dir)).map_err(|e| format!("documents.trust_dir: {e:#}"))?
        };
        frmo_registry::documents::files::Files::check_location(&self.files_location())
            .map_err(|e| format!("files (FRMO_FILES): {e}"))?;
        Ok(frmo_registry::documents::DocumentSettings {
            max_bytes: d.max_mb * 1024 * 1024,
            expiring_days: d.expiring_days,
            reminder_days: d.reminder_days,
            trust,
            ..Default::default()
        })
    }

    /// Opens the document store (a local folder is created when missing).
    pub fn files(&self) -> Result<frmo_registry::documents::files::Files, String> {
        let d = &self.documents;
        let env = |name: &str| std::env::var(name).unwrap_or_default();
        let s3 = frmo_registry::documents::files::S3Settings {
            endpoint: d.s3_endpoint.clone(),
            region: d.s3_region.clone(),
            access_key_id: if d.s3_access_key_id.is_empty() {
                env("AWS_ACCESS_KEY_ID")
            } else {
                d.s3_access_key_id.clone()
            },
            secret_access_key: if d.s3_secret_access_key.is_empty() {
                env("AWS_SECRET_ACCESS_KEY")
            } else {
                d.s3_secret_access_key.clone()
            },
        };
        frmo_registry::documents::files::Files::open(&self.files_location(), &s3)
            .map_err(|e| format!("files (FRMO_FILES): {e}"))
    }
}

/// E-mail through an SMTP relay. Without `smtp_host` messages wait in the outbox (and the cabinet
/// still shows every notification).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MailSettings {
    pub smtp_host: String,
    pub smtp_port: u16,
    /// The sender, e.g. `Реестр МО <noreply@example.ru>`.
    pub from: String,
    /// How often the worker looks into the outbox.
    pub poll_seconds: u64,
}

impl Default for MailSettings {
    fn default() -> Self {
        MailSettings { smtp_host: String::new(), smtp_port: 25, from: "frmo@localhost".into(), poll_seconds: 10 }
    }
}

impl MailSettings {
    /// The SMTP relay, when configured; an error names the setting.
    pub fn mailer(&self) -> Result<Option<frmo_registry::mail::Mailer>, String> {
        if self.smtp_host.is_empty() {
            return Ok(None);
        }
        if self.poll_seconds == 0 {
            return Err("mail.poll_seconds: ожидается положительное число секунд".into());
        }
        frmo_registry::mail::Mailer::smtp(&self.smtp_host, self.smtp_port, &self.from)
            .map(Some)
            .map_err(|e| format!("mail.from: {e}"))
    }
}

/// What operators check and how long they have.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ModerationSettings {
    /// Top-level card fields that change without moderation (key requisites may not be listed).
    pub direct_fields: Vec<String>,
    /// Business days an operator has to decide.
    pub review_days: u32,
    /// A production calendar replacing the shipped one (the format of
    /// crates/frmo-domain/data/production-calendar.txt); empty: the shipped one.
    pub calendar_file: String,
}

impl Default for ModerationSettings {
    fn default() -> Self {
        ModerationSettings {
            direct_fields: frmo_registry::moderation::requests::DEFAULT_DIRECT
                .iter()
                .map(|f| (*f).to_owned())
                .collect(),
            review_days: 5,
            calendar_file: String::new(),
        }
    }
}

impl ModerationSettings {
    /// The policy, with its calendar read and checked; an error names the setting.
    pub fn build(&self) -> Result<frmo_registry::moderation::requests::Moderation, String> {
        let calendar = if self.calendar_file.is_empty() {
            frmo_domain::calendar::ProductionCalendar::default()
        } else {
            let text = std::fs::read_to_string(&self.calendar_file)
                .map_err(|e| format!("moderation.calendar_file: не удалось прочитать {}: {e}", self.calendar_file))?;
            frmo_domain::calendar::ProductionCalendar::parse(&text)
                .map_err(|e| format!("moderation.calendar_file ({}): {e}", self.calendar_file))?
        };
        frmo_registry::moderation::requests::Moderation::new(&self.direct_fields, self.review_days, calendar)
            .map_err(|(setting, message)| format!("moderation.{setting}: {message}"))
    }
}

/// «Войти через Госуслуги». Without `portal_url` ЕСИА is off, except in `serve --demo`, which
/// mounts the ЕСИА stand at `/esia-stand` and signs with the demo keys.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EsiaSettings {
    /// `https://esia.gosuslugi.ru`, `https://esia-portal1.test.gosuslugi.ru` or a stand.
    pub portal_url: String,
    /// The system's mnemonic on ЕСИА's technology portal.
    pub client_id: String,
    /// The system's certificate (PEM or DER) registered on the portal.
    pub certificate: String,
    /// `openssl` (key file, Debian's libengine-gost-openssl), `cryptopro` (csptest, container) or
    /// `builtin` (key file, signed in-process).
    pub signer: String,
    /// The private key file (PEM) for `openssl` and `builtin`.
    pub key: String,
    /// The CryptoPro container name for `cryptopro`.
    pub container: String,
    /// The `csptest` program for `cryptopro` (default `csptest` on the PATH).
    pub csptest: String,
    /// The container's PIN for `cryptopro`, when it has one (csptest takes it on its command line).
    pub pin: String,
    /// Where `cryptopro` writes its temporary message and signature files (default: the system's
    /// temporary directory; a private tmpfs in production).
    pub temp_dir: String,
    /// ЕСИА's token-signing certificates (GOST and/or RSA), several during a rotation.
    pub esia_certificates: Vec<String>,
    pub scope: String,
    pub scope_org: String,
}

/// Sign-in through another OpenID Connect provider; off without `issuer`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OidcSettings {
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    /// Shown on the button «Войти через …».
    pub name: String,
    /// Accounts of this provider count as confirmed.
    pub trusted: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            data_dir: "./data".into(),
            database_url: String::new(),
            database_replica_url: String::new(),
            bind: "127.0.0.1:8080".into(),
            log: "info".into(),
            log_json: false,
            demo_orgs: 2000,
            public_url: String::new(),
            hsts: true,
            session_idle_minutes: 30,
            session_absolute_hours: 12,
            esia: EsiaSettings::default(),
            oidc: OidcSettings::default(),
            moderation: ModerationSettings::default(),
            mail: MailSettings::default(),
            files: String::new(),
            documents: DocumentsSettings::default(),
            limits: frmo_web::limits::LimitSettings::default(),
            metrics: frmo_web::metrics::MetricsSettings::default(),
            jobs: JobsSettings::default(),
            run: Run::default(),
        }
    }
}

impl Config {
    pub fn load(file: Option<&Path>) -> Result<Self, String> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        match file {
            Some(path) if !path.exists() => return Err(format!("файл {} не найден", path.display())),
            Some(path) => figment = figment.merge(Toml::file(path)),
            None => figment = figment.merge(Toml::file("frmo.toml")),
        }
        figment = figment.merge(Env::prefixed("FRMO_").only(&[
            "data_dir",
            "database_url",
            "database_replica_url",
            "bind",
            "log",
            "log_json",
            "demo_orgs",
            "public_url",
            "hsts",
            "session_idle_minutes",
            "session_absolute_hours",
            "files",
        ]));
        figment = figment.merge(Env::prefixed("FRMO_DOCUMENTS_").map(|k| format!("documents.{k}").into()));
        figment = figment.merge(Env::prefixed("FRMO_ESIA_").map(|k| format!("esia.{k}").into()));
        figment = figment.merge(Env::prefixed("FRMO_OIDC_").map(|k| format!("oidc.{k}").into()));
        figment = figment.merge(Env::prefixed("FRMO_MAIL_").map(|k| format!("mail.{k}").into()));
        figment = figment.merge(Env::prefixed("FRMO_LIMITS_").map(|k| format!("limits.{k}").into()));
        figment = figment.merge(Env::prefixed("FRMO_METRICS_").map(|k| format!("metrics.{k}").into()));
        figment = figment.merge(Env::prefixed("FRMO_JOBS_").map(|k| format!("jobs.{k}").into()));
        let mut config: Config = figment.extract().map_err(|e| describe(&e))?;
        if config.database_url.is_empty() {
            config.database_url = format!("sqlite://{}/frmo.db", config.data_dir.trim_end_matches('/'));
        }
        if config.public_url.is_empty() {
            config.public_url = format!("http://{}", config.bind);
        }
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), String> {
        let url = &self.database_url;
        let known = ["sqlite://", "sqlite:", "postgres://", "postgresql://"];
        if !known.iter().any(|p| url.starts_with(p)) {
            return Err(format!(
                "database_url (FRMO_DATABASE_URL): ожидается sqlite://ПУТЬ или postgres://…, получено «{}»",
                self.redacted_database_url()
            ));
        }
        let replica = &self.database_replica_url;
        let postgres = |url: &str| url.starts_with("postgres://") || url.starts_with("postgresql://");
        let replica_fits = replica.is_empty() || (postgres(replica) && postgres(url));
        if !replica_fits {
            return Err(format!(
                "database_replica_url (FRMO_DATABASE_REPLICA_URL): реплика бывает только у PostgreSQL — \
                 ожидается postgres://… при database_url postgres://…, получено «{}»",
                self.redacted_replica_url()
            ));
        }
        if self.bind.parse::<std::net::SocketAddr>().is_err() {
            return Err(format!("bind (FRMO_BIND): ожидается адрес вида 127.0.0.1:8080, получено «{}»", self.bind));
        }
        if !self.public_url.is_empty()
            && !self.public_url.starts_with("http://")
            && !self.public_url.starts_with("https://")
        {
            return Err(format!(
                "public_url (FRMO_PUBLIC_URL): ожидается адрес http(s)://…, получено «{}»",
                self.public_url
            ));
        }
        if self.session_idle_minutes <= 0 || self.session_absolute_hours <= 0 {
            return Err("session_idle_minutes и session_absolute_hours: ожидаются положительные числа".into());
        }
        if !["", "openssl", "cryptopro", "builtin"].contains(&self.esia.signer.as_str()) {
            return Err(format!(
                "esia.signer: ожидается openssl, cryptopro или builtin, получено «{}»",
                self.esia.signer
            ));
        }
        self.moderation.build()?;
        self.mail.mailer()?;
        self.document_settings()?;
        frmo_web::limits::Limits::new(self.limits.clone())?;
        frmo_web::metrics::Metrics::new(&self.metrics)?;
        self.jobs.checked()?;
        if tracing_subscriber::EnvFilter::try_new(&self.log).is_err() {
            return Err(format!("log (FRMO_LOG): неверный фильтр журнала «{}»", self.log));
        }
        Ok(())
    }

    /// For commands that read or write in bulk and never search nor sign anyone in.
    pub fn for_batch(mut self) -> Self {
        self.run.search_index = false;
        self.run.sign_in = false;
        self
    }

    /// The configuration of a server listening on `address`: with the default `public_url`
    /// (`http://<bind>`, or none), the public address follows the port actually taken.
    pub fn listening_on(mut self, address: std::net::SocketAddr) -> Self {
        if self.public_url.is_empty() || self.public_url == format!("http://{}", self.bind) {
            self.public_url = format!("http://{address}");
        }
        self
    }

    /// The database URL without its password, for messages and logs.
    pub fn redacted_database_url(&self) -> String {
        redacted(&self.database_url)
    }

    pub fn redacted_replica_url(&self) -> String {
        redacted(&self.database_replica_url)
    }
}

/// A database URL with its password replaced by `***`.
fn redacted(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &url[scheme + 3..at];
            let user = credentials.split(':').next().unwrap_or("");
            format!("{}{user}:***{}", &url[..scheme + 3], &url[at..])
        }
        _ => url.to_owned(),
    }
}

/// The CA certificates of a folder (PEM or DER files), as DER.
pub fn trust_anchors(dir: &Path) -> anyhow::Result<Vec<Vec<u8>>> {
    use anyhow::Context;
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

/// Names the setting (and where it came from) in a figment error.
fn describe(error: &figment::Error) -> String {
    error
        .clone()
        .into_iter()
        .map(|e| {
            let key = e.path.join(".");
            let source = e.metadata.as_ref().map(|m| m.name.to_string()).unwrap_or_default();
            format!("{key}: {} ({source})", e.kind)
        })
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_are_read_from_the_file_and_checked() {
        let dir = tempfile::tempdir().expect("dir");
        let file = dir.path().join("frmo.toml");
        let text = "[limits]\ntrusted_proxies = [\"10.0.0.0/8\"]\nsearch = { per_minute = 10, burst = 5 }\n\
                    connections_per_address = 8\n";
        std::fs::write(&file, text).expect("write");
        let config = Config::load(Some(&file)).expect("config");
        assert_eq!(config.limits.search, frmo_web::limits::ClassLimit { per_minute: 10, burst: 5 });
        assert_eq!(config.limits.connections_per_address, 8);
        assert_eq!(config.limits.api, frmo_web::limits::LimitSettings::default().api, "the rest keeps its defaults");
        std::fs::write(&file, "[limits]\ntrusted_proxies = [\"proxy.local\"]\n").expect("write");
        let error = Config::load(Some(&file)).expect_err("a bad proxy");
        assert!(error.contains("limits.trusted_proxies") && error.contains("proxy.local"), "{error}");
    }

    #[test]
    fn metrics_allow_is_read_and_checked() {
        let dir = tempfile::tempdir().expect("dir");
        let file = dir.path().join("frmo.toml");
        assert_eq!(Config::default().metrics.allow, ["127.0.0.1/32", "::1/128"]);
        std::fs::write(&file, "[metrics]\nallow = [\"10.0.0.0/8\", \"::1\"]\n").expect("write");
        let config = Config::load(Some(&file)).expect("config");
        assert_eq!(config.metrics.allow, ["10.0.0.0/8", "::1"]);
        std::fs::write(&file, "[metrics]\nallow = [\"prometheus\"]\n").expect("write");
        let error = Config::load(Some(&file)).expect_err("a name is no network");
        assert!(error.contains("metrics.allow") && error.contains("prometheus"), "{error}");
    }

    #[test]
    fn jobs_and_the_replica_are_read_and_checked() {
        let dir = tempfile::tempdir().expect("dir");
        let file = dir.path().join("frmo.toml");
        std::fs::write(&file, "[jobs]\nlease_seconds = 10\nconcurrent = 4\n").expect("write");
        let jobs = Config::load(Some(&file)).expect("config").jobs.checked().expect("jobs");
        assert_eq!((jobs.lease.as_secs(), jobs.concurrent, jobs.max_attempts), (10, 4, 3));
        std::fs::write(&file, "[jobs]\nlease_seconds = 1\n").expect("write");
        let error = Config::load(Some(&file)).expect_err("a lease too short");
        assert!(error.contains("jobs.lease_seconds") && error.contains('1'), "{error}");

        let replica = "database_url = \"sqlite://x.db\"\ndatabase_replica_url = \"postgres://u:secret@r/frmo\"\n";
        std::fs::write(&file, replica).expect("write");
        let error = Config::load(Some(&file)).expect_err("SQLite has no replica");
        assert!(error.contains("database_replica_url") && !error.contains("secret"), "{error}");
        let replica = "database_url = \"postgres://p/frmo\"\ndatabase_replica_url = \"postgres://r/frmo\"\n";
        std::fs::write(&file, replica).expect("write");
        assert_eq!(Config::load(Some(&file)).expect("config").database_replica_url, "postgres://r/frmo");
    }

    #[test]
    fn redacts_passwords() {
        let config = Config { database_url: "postgres://frmo:secret@db:5432/frmo".into(), ..Config::default() };
        assert_eq!(config.redacted_database_url(), "postgres://frmo:***@db:5432/frmo");
    }
}
