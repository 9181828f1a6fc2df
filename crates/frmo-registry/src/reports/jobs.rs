//! Background jobs: exports too long to wait for on a page (the whole register as НСИ 1461, a
//! report in a file, a publication). A job is queued in the store; any serving process claims it
//! with a lease ([`JobSettings`]), usually the one that accepted it, at once. The owner writes the
//! output to a local temporary file, renews its lease and reports progress about once a second, and
//! finally puts the file in the object store for the job's owner to download. A process that dies
//! or hangs stops renewing: when the lease runs out another process claims the job and runs it
//! again from the start; after [`JobSettings::max_attempts`] claims the job is failed.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::Semaphore;

use frmo_domain::access::{Action, Actor, FederalRole, Target};
use frmo_domain::error::ValidationError;
use frmo_domain::status::JobStatus;
use frmo_store::jobs::{JobClaim, JobFile, JobRecord};
use serde::{Deserialize, Serialize};

use crate::Caller;
use crate::documents::Download;
use crate::reports::ReportParams;
use crate::{Registry, RegistryError, Result};

/// What a job makes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum JobSpec {
    /// The whole register as НСИ 1461.
    Register { format: String },
    /// A report of the catalogue in a file.
    Report { name: String, period: String, group: String, format: String },
    /// A new version of the open register (its summary is the job's file).
    Publish,
}

const REGISTER_FORMATS: &[&str] = &["csv", "json", "xml", "xlsx"];
const REPORT_FORMATS: &[&str] = &["xlsx", "pdf", "csv", "csv-rfc"];

fn media_type(format: &str) -> &'static str {
    match format {
        "json" => "application/json",
        "xml" => "application/xml",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "pdf" => "application/pdf",
        _ => "text/csv; charset=utf-8",
    }
}

fn format_error(format: &str, allowed: &[&str]) -> RegistryError {
    RegistryError::invalid(ValidationError::new(
        "format",
        "Формат",
        format!("«{format}» — ожидается {}", allowed.join(", ")),
    ))
}

fn io(error: std::io::Error) -> RegistryError {
    RegistryError::Store(frmo_store::StoreError::Io(error))
}

/// How this process takes part in running jobs (configuration `[jobs]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JobSettings {
    /// How long a claim holds without renewal: a dead process's job waits this long for another.
    pub lease: Duration,
    /// Claims before a job is given up (each claim after the first follows a process's death).
    pub max_attempts: i64,
    /// Jobs this process runs at once.
    pub concurrent: usize,
}

impl Default for JobSettings {
    fn default() -> Self {
        JobSettings { lease: Duration::from_secs(30), max_attempts: 3, concurrent: 2 }
    }
}

/// The process's part in running jobs: who it is in the leases, and its free slots.
pub(crate) struct JobRunner {
    /// This process in `lease_owner`: host, process id and a random tail (a restarted process
    /// with the same id is someone else).
    owner: String,
    settings: JobSettings,
    slots: Arc<Semaphore>,
}

impl JobRunner {
    pub(crate) fn new(settings: JobSettings) -> Self {
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
        let tail = &crate::identity::random_token()[..8];
        JobRunner {
            owner: format!("{}:{}:{tail}", host.trim(), std::process::id()),
            settings,
            slots: Arc::new(Semaphore::new(settings.concurrent.max(1))),
        }
    }
}

impl Default for JobRunner {
    fn default() -> Self {
        JobRunner::new(JobSettings::default())
    }
}

/// Why a job was given up after its process died too many times.
const GAVE_UP: &str = "Прервано: обработчик несколько раз останавливался. Запустите выгрузку снова.";

/// A job as its owner sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobView {
    pub id: i64,
    pub title: String,
    pub status: JobStatus,
    /// Steps done, of `total`.
    pub progress: i64,
    pub total: i64,
    /// The file's name and size, once done.
    pub file_name: Option<String>,
    pub size: Option<i64>,
    /// Why it failed.
    pub error: Option<String>,
}

impl From<JobRecord> for JobView {
    fn from(record: JobRecord) -> Self {
        JobView {
            id: record.id,
            title: record.title,
            status: record.status,
            progress: record.progress,
            total: record.total,
            file_name: record.file_name,
            size: record.size,
            error: record.error,
        }
    }
}

impl JobView {
    pub fn percent(&self) -> i64 {
        if self.status == JobStatus::Done {
            100
        } else if self.total > 0 {
            (self.progress * 100 / self.total).clamp(0, 99)
        } else {
            0
        }
    }

    /// Not finished yet: queued or running (the page refreshes itself).
    pub fn is_open(&self) -> bool {
        self.status.is_open()
    }

    /// Its file is ready to download.
    pub fn is_done(&self) -> bool {
        self.status == JobStatus::Done
    }

    pub fn status_label(&self) -> &'static str {
        self.status.label()
    }
}

impl Registry {
    /// Starts a job for `actor`; its id. The parameters are checked before anything starts.
    pub async fn start_job(&self, caller: &Caller, spec: JobSpec) -> Result<i64> {
        self.authorize(caller, Action::ReadReports, Target::None).await?;
        // Where the job's file will go: without it the job is refused before it is queued.
        self.documents_store()?;
        let (title, total) = match &spec {
            JobSpec::Register { format } => {
                if !REGISTER_FORMATS.contains(&format.as_str()) {
                    return Err(format_error(format, REGISTER_FORMATS));
                }
                let total = self.count().await?;
                (format!("Реестр (НСИ 1461), {}", format.to_uppercase()), total)
            }
            JobSpec::Report { name, period, group, format } => {
                if !REPORT_FORMATS.contains(&format.as_str()) {
                    return Err(format_error(format, REPORT_FORMATS));
                }
                // A wrong name, period or grouping is refused before the job exists.
                let (definition, group, period) = self.report_request(name, &report_params(period, group))?;
                (format!("{}, {}, {}", definition.title_of(group), period.label(), format.to_uppercase()), 1)
            }
            JobSpec::Publish => {
                self.authorize(caller, Action::Administer, Target::None).await?;
                let files = crate::register::publication::FILES_PER_VERSION as i64;
                ("Публикация новой версии НСИ 1461".to_owned(), self.count().await? * files)
            }
        };
        let user_id = match caller.actor() {
            Actor::User(person) => Some(person.user_id),
            _ => None,
        };
        let params = serde_json::to_string(&spec).map_err(frmo_store::StoreError::from)?;
        let kind = match spec {
            JobSpec::Register { .. } => "register",
            JobSpec::Report { .. } => "report",
            JobSpec::Publish => "publish",
        };
        let id = self.store.insert_job(user_id, kind, &params, &title, total, self.now()).await?;
        // This process takes it at once if it has a free slot; otherwise another, or a later round.
        let registry = self.clone();
        tokio::spawn(async move {
            if let Err(error) = registry.take_jobs().await {
                tracing::warn!(%error, "could not claim background jobs");
            }
        });
        Ok(id)
    }

    /// Claims jobs (queued ones, and those whose lease ran out) while this process has a free slot,
    /// and starts each; how many it took.
    pub async fn take_jobs(&self) -> Result<usize> {
        let runner = &self.jobs;
        let lease = i64::try_from(runner.settings.lease.as_secs()).unwrap_or(i64::MAX);
        let mut taken = 0;
        while let Ok(slot) = runner.slots.clone().try_acquire_owned() {
            let now = self.now();
            let claimed = self.store.claim_job(&runner.owner, now, now + lease, runner.settings.max_attempts, GAVE_UP);
            let Some(job) = claimed.await? else { break };
            tracing::info!(job = job.id, attempt = job.attempts, owner = %runner.owner, "background job claimed");
            taken += 1;
            let registry = self.clone();
            tokio::spawn(async move {
                registry.run_claimed(job).await;
                drop(slot);
            });
        }
        Ok(taken)
    }

    /// Takes jobs every `every` (the jobs of dead processes, and those no process had a slot for).
    pub fn spawn_job_worker(&self, every: Duration) -> tokio::task::JoinHandle<()> {
        let registry = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            loop {
                tick.tick().await;
                if let Err(error) = registry.take_jobs().await {
                    tracing::warn!(%error, "could not claim background jobs");
                }
            }
        })
    }

    /// Runs a job this process claimed; a failure is recorded on the job.
    async fn run_claimed(&self, job: JobRecord) {
        let claim = job.claim();
        let result = async {
            let spec: JobSpec = serde_json::from_str(&job.params).map_err(frmo_store::StoreError::from)?;
            let actor = match job.user_id {
                Some(user_id) => self.actor_of_user(user_id).await?,
                None => Actor::System,
            };
            let files = self.documents_store()?.files.clone();
            self.run_job(&claim, &actor, spec, files).await
        };
        if let Err(error) = result.await {
            tracing::error!(job = claim.id, %error, "background job failed");
            let message = format!("Выгрузка не удалась: {error}");
            if let Err(error) = self.store.fail_job(&claim, &message, self.now()).await {
                tracing::error!(job = claim.id, %error, "could not record a failed job");
            }
        }
    }

    async fn run_job(
        &self,
        claim: &JobClaim,
        actor: &Actor,
        spec: JobSpec,
        files: crate::documents::files::Files,
    ) -> Result<()> {
        let id = claim.id;
        let progress = Arc::new(AtomicU64::new(0));
        // The lease is renewed (and progress recorded) by a task of its own, so a job busy on its
        // thread does not starve it; if the claim is no longer the job's — the lease ran out while
        // this process hung and it was claimed again — the run stops here.
        let (lost_tx, lost) = tokio::sync::oneshot::channel::<()>();
        let renewal = {
            let (registry, claim, progress) = (self.clone(), claim.clone(), progress.clone());
            tokio::spawn(async move {
                let settings = registry.jobs.settings;
                let lease = i64::try_from(settings.lease.as_secs()).unwrap_or(i64::MAX);
                let every = (settings.lease / 3).clamp(Duration::from_millis(200), Duration::from_secs(1));
                let mut tick = tokio::time::interval(every);
                loop {
                    tick.tick().await;
                    let done = i64::try_from(progress.load(Ordering::Relaxed)).unwrap_or(i64::MAX);
                    match registry.store.renew_job(&claim, done, registry.now() + lease).await {
                        Ok(true) => {}
                        Ok(false) => {
                            let _ = lost_tx.send(());
                            return;
                        }
                        Err(error) => tracing::warn!(job = claim.id, %error, "could not renew a job's lease"),
                    }
                }
            })
        };
        let result = tokio::select! {
            result = self.write_job(actor, &spec, &progress) => result,
            Ok(()) = lost => {
                tracing::warn!(job = id, "a job's lease passed to another claim: this run stops");
                return Ok(());
            }
        };
        renewal.abort();
        let (file, name, format) = result?;
        let size = std::fs::metadata(file.path()).map_err(io)?.len();
        let key = format!("jobs/{id}/{}", crate::documents::files::clean_name(&name));
        files.put_file(&key, file.path()).await.map_err(crate::documents::files_error)?;
        let done = i64::try_from(progress.load(Ordering::Relaxed)).unwrap_or(i64::MAX);
        let record = JobFile {
            key,
            name,
            media_type: media_type(&format).to_owned(),
            size: i64::try_from(size).unwrap_or(i64::MAX),
        };
        if !self.store.finish_job(claim, done, &record, self.now()).await? {
            tracing::warn!(job = id, "a job finished after its lease passed to another claim");
        }
        Ok(())
    }

    /// Writes the job's output to a temporary file; the file, its download name and format.
    async fn write_job(
        &self,
        actor: &Actor,
        spec: &JobSpec,
        progress: &AtomicU64,
    ) -> Result<(tempfile::NamedTempFile, String, String)> {
        let mut file = tempfile::NamedTempFile::new().map_err(io)?;
        match spec {
            JobSpec::Register { format } => {
                let nsi_format = crate::register::nsi::Format::parse(format)
                    .map_err(|message| RegistryError::invalid(ValidationError::new("format", "Формат", message)))?;
                let mut out = std::io::BufWriter::new(file.as_file_mut());
                self.export_nsi(nsi_format, &mut out, |n| progress.store(n, Ordering::Relaxed)).await?;
                drop(out);
                let today = frmo_domain::date::iso(self.today());
                Ok((file, format!("nsi-1461-{today}.{format}"), format.clone()))
            }
            JobSpec::Publish => {
                let publication = self
                    .publish_nsi(&Caller::new(actor.clone(), "job"), |n| progress.store(n, Ordering::Relaxed))
                    .await?;
                let v = &publication.version;
                let summary = serde_json::json!({
                    "version": v.version, "records": v.records, "added": v.added, "changed": v.changed,
                    "closed": v.closed, "files": publication.files,
                });
                let bytes = serde_json::to_vec_pretty(&summary).map_err(frmo_store::StoreError::from)?;
                std::io::Write::write_all(file.as_file_mut(), &bytes).map_err(io)?;
                Ok((file, format!("publication-{}.json", v.version), "json".to_owned()))
            }
            JobSpec::Report { name, period, group, format } => {
                use crate::reports::output::{self, CsvFlavour};
                let report =
                    self.run_report(&Caller::new(actor.clone(), "job"), name, &report_params(period, group)).await?;
                let bytes = match format.as_str() {
                    "xlsx" => output::xlsx(&report)?,
                    "pdf" => output::pdf(&report)?,
                    "csv-rfc" => output::csv(&report, CsvFlavour::Rfc4180),
                    _ => output::csv(&report, CsvFlavour::Excel),
                };
                std::io::Write::write_all(file.as_file_mut(), &bytes).map_err(io)?;
                progress.store(1, Ordering::Relaxed);
                let extension = if format == "csv-rfc" { "csv" } else { format.as_str() };
                Ok((file, report.file_name(extension), format.clone()))
            }
        }
    }

    /// A job its owner (or an administrator) may see; anyone else is told it does not exist.
    pub async fn job(&self, caller: &Caller, id: i64) -> Result<JobView> {
        self.owned_job(caller, id).await.map(JobView::from)
    }

    async fn owned_job(&self, caller: &Caller, id: i64) -> Result<JobRecord> {
        self.authorize(caller, Action::ReadReports, Target::None).await?;
        let missing = || RegistryError::NotFound(format!("Задание {id} не найдено."));
        let record = self.store.job(id).await?.ok_or_else(missing)?;
        let allowed = match caller.actor() {
            Actor::System => true,
            Actor::User(person) => {
                person.federal_role == Some(FederalRole::Admin) || record.user_id == Some(person.user_id)
            }
            Actor::Anonymous => false,
        };
        if !allowed {
            return Err(missing());
        }
        Ok(record)
    }

    /// The person's jobs, newest first.
    pub async fn my_jobs(&self, caller: &Caller) -> Result<Vec<JobView>> {
        self.authorize(caller, Action::ReadReports, Target::None).await?;
        let Actor::User(person) = caller.actor() else { return Ok(Vec::new()) };
        Ok(self.store.jobs_of(person.user_id, 20).await?.into_iter().map(JobView::from).collect())
    }

    /// The file of a finished job.
    pub async fn job_file(&self, caller: &Caller, id: i64) -> Result<Download> {
        let job = self.owned_job(caller, id).await?;
        let (Some(key), Some(name), Some(media_type)) = (job.file_key, job.file_name, job.media_type) else {
            return Err(RegistryError::Conflict(format!("Задание {id} ещё не готово.")));
        };
        let files = &self.documents_store()?.files;
        let body = files.get(&key).await.map_err(crate::documents::files_error)?;
        Ok(Download { name, media_type, size: job.size, body })
    }
}

fn report_params(period: &str, group: &str) -> ReportParams {
    ReportParams { period: Some(period.to_owned()), group: Some(group.to_owned()), ..ReportParams::default() }
}
