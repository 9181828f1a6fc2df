//! The one boot of frmo. `App::build(Config)` opens everything a process of the registry runs on —
//! the store (migrated), the document files, the search index, the reference directories installed
//! from НСИ, the demo register, sign-in through ЕСИА and OpenID Connect, the mailer — and
//! `App::serve` starts the background jobs and the server. `frmo serve`, every command of the `frmo`
//! binary (`commands`) and the tests (`frmo-testkit`'s `TestApp`) come in through it, so what the
//! tests boot is what production boots.

pub mod commands;
pub mod config;
mod sign_in;

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use frmo_domain::access::Actor;
use frmo_registry::Registry;
use frmo_store::Store;

pub use config::{Config, Run};

/// A booted registry: its configuration, its use cases and how people reach it over HTTP.
pub struct App {
    pub config: Config,
    pub registry: Registry,
    auth: Arc<frmo_web::AuthSettings>,
    /// Services mounted beside the registry (the ЕСИА stand of the demo).
    mounts: Vec<(&'static str, axum::Router)>,
    limits: Arc<frmo_web::limits::Limits>,
    metrics: Arc<frmo_web::metrics::Metrics>,
    mailer: Option<frmo_registry::mail::Mailer>,
}

impl App {
    /// Opens everything `config` names; what it opens besides the store is `config.run`'s choice.
    pub async fn build(config: Config) -> anyhow::Result<App> {
        let store = open_store(&config).await?;
        let registry = open_registry(&config, store).await?;
        if config.run.demo && registry.seed_demo(&Actor::System, config.demo_orgs).await? {
            tracing::info!(orgs = config.demo_orgs, "demo register seeded");
        }
        let limits = Arc::new(frmo_web::limits::Limits::new(config.limits.clone()).map_err(anyhow::Error::msg)?);
        let metrics = Arc::new(frmo_web::metrics::Metrics::new(&config.metrics).map_err(anyhow::Error::msg)?);
        let (auth, mounts) = if config.run.sign_in {
            sign_in::settings(&config, &registry).await?
        } else {
            (frmo_web::AuthSettings::new(&config.public_url), Vec::new())
        };
        let mailer = config.mail.mailer().map_err(anyhow::Error::msg)?;
        Ok(App { config, registry, auth: Arc::new(auth), mounts, limits, metrics, mailer })
    }

    /// Applies the migrations the database lacks; their names.
    pub async fn migrate(config: &Config) -> anyhow::Result<Vec<&'static str>> {
        connect(config).await?.migrate().await.context("миграции не применены")
    }

    /// What the web layer serves from: the registry, sign-in, mounts, limits and metrics.
    pub fn web_state(&self) -> frmo_web::AppState {
        let mut state = frmo_web::Shared::new(self.registry.clone(), &self.config.public_url);
        state.auth = self.auth.clone();
        state.mounts = self.mounts.clone();
        state.limits = self.limits.clone();
        state.metrics = self.metrics.clone();
        state.into()
    }

    /// Starts the background jobs `frmo serve` runs: the search index following other processes'
    /// writes, the mail worker, document reminders and the orphan sweep, support deadlines, and the
    /// claiming of background jobs nobody runs. They stop when `Jobs` is dropped.
    pub async fn start_jobs(&self) -> anyhow::Result<Jobs> {
        let registry = &self.registry;
        // Versions written by other processes reach this one's search index within a quarter second.
        let mut handles = vec![registry.follow_store(Duration::from_millis(250))];
        match &self.mailer {
            Some(mailer) => {
                let every = Duration::from_secs(self.config.mail.poll_seconds);
                handles.push(registry.spawn_mail_worker(mailer.clone(), every));
            }
            None => tracing::info!("[mail] smtp_host is not set: e-mail waits in the outbox"),
        }
        // Jobs nobody runs — queued while every slot was busy, or left by a process that died —
        // are claimed here; another process's live jobs are left alone (their leases hold).
        handles.push(registry.spawn_job_worker(Duration::from_secs(self.config.jobs.poll_seconds)));
        handles.push(registry.spawn_document_jobs(Duration::from_secs(self.config.documents.jobs_minutes * 60)));
        handles.push(registry.spawn_support_jobs(Duration::from_secs(3600)));
        Ok(Jobs(handles))
    }

    /// Serves on `listener` with the background jobs running, until `shutdown` completes and the
    /// requests in flight are answered.
    pub async fn serve(
        self,
        listener: tokio::net::TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let jobs = self.start_jobs().await?;
        frmo_web::serve(listener, self.web_state(), shutdown).await?;
        drop(jobs);
        tracing::info!("stopped");
        Ok(())
    }
}

/// Background jobs of a serving process; aborted when dropped.
pub struct Jobs(Vec<tokio::task::JoinHandle<()>>);

impl Drop for Jobs {
    fn drop(&mut self) {
        for handle in &self.0 {
            handle.abort();
        }
    }
}

async fn connect(config: &Config) -> anyhow::Result<Store> {
    Store::open(&config.database_url)
        .await
        .with_context(|| format!("не удалось открыть базу данных {}", config.redacted_database_url()))
}

/// The store, opened and migrated, with its read replica when one is configured.
async fn open_store(config: &Config) -> anyhow::Result<Store> {
    let store = connect(config).await?;
    let applied = store.migrate().await.context("миграции не применены")?;
    if !applied.is_empty() {
        tracing::info!(?applied, "migrations applied");
    }
    if config.database_replica_url.is_empty() {
        return Ok(store);
    }
    let store = store
        .with_replica(&config.database_replica_url)
        .await
        .with_context(|| format!("не удалось открыть реплику {}", config.redacted_replica_url()))?;
    tracing::info!(replica = %config.redacted_replica_url(), "public reads go to the read replica");
    Ok(store)
}

/// The registry over `store` with the configuration's policies, files and installed directories.
async fn open_registry(config: &Config, store: Store) -> anyhow::Result<Registry> {
    let started = Instant::now();
    let moderation = config.moderation.build().map_err(anyhow::Error::msg)?;
    let documents = config.document_settings().map_err(anyhow::Error::msg)?;
    let files = config.files().map_err(anyhow::Error::msg)?;
    let jobs = config.jobs.checked().map_err(anyhow::Error::msg)?;
    tracing::info!(files = %files.location, "document store");
    let registry = if config.run.search_index {
        let registry = Registry::open(store).await.context("не удалось построить поисковый индекс")?;
        tracing::info!(elapsed = ?started.elapsed(), "search index built");
        registry
    } else {
        Registry::open_unindexed(store)
    };
    let registry = registry
        .with_moderation(moderation)
        .with_documents(files, documents)
        .with_public_url(&config.public_url)
        .with_limits(config.limits.registry())
        .with_job_settings(jobs)
        .with_session_policy(frmo_registry::identity::SessionPolicy {
            idle_seconds: config.session_idle_minutes * 60,
            absolute_seconds: config.session_absolute_hours * 3600,
        });
    let installed = registry.install_directories().await.context("установленные справочники не прочитаны")?;
    if installed > 0 {
        tracing::info!(installed, "reference directories installed from НСИ downloads");
    }
    Ok(registry)
}

/// Logs to stderr with the configuration's filter (`FRMO_LOG` wins), as JSON lines when asked.
pub fn init_logging(config: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("FRMO_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(&config.log));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    if config.log_json {
        builder.json().init();
    } else {
        builder.init();
    }
}
