//! Background jobs (migrations 0009, 0020): a row per job with its progress and, when done, the
//! file it left in the object store. A job is `queued` until a process claims it with a lease
//! (`running`, `lease_owner`, `lease_until`); the owner keeps the lease alive while it works, and a
//! job whose lease ran out is claimed again by any process.

use frmo_domain::status::JobStatus;

use crate::sql::{Value, dialects, skip_locked, take_code, take_text as text};
use crate::{Result, Store};

/// A job as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobRecord {
    pub id: i64,
    pub user_id: Option<i64>,
    pub kind: String,
    pub params: String,
    pub title: String,
    pub status: JobStatus,
    pub progress: i64,
    pub total: i64,
    pub file_key: Option<String>,
    pub file_name: Option<String>,
    pub media_type: Option<String>,
    pub size: Option<i64>,
    pub error: Option<String>,
    pub created_at: i64,
    pub finished_at: Option<i64>,
    /// The process that holds (or last held) the job.
    pub lease_owner: Option<String>,
    /// How many times a process claimed it.
    pub attempts: i64,
}

/// One claim of a job: the job, the process that claimed it and which claim it was (`attempts`
/// after the claim). Writes under a claim only land while it is the job's latest: a run that lost
/// its lease — even to a later claim of the same process — can no longer touch the job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobClaim {
    pub id: i64,
    pub owner: String,
    pub attempt: i64,
}

impl JobRecord {
    /// The claim this record is the result of (after `claim_job`).
    pub fn claim(&self) -> JobClaim {
        JobClaim { id: self.id, owner: self.lease_owner.clone().unwrap_or_default(), attempt: self.attempts }
    }
}

/// The file a finished job left.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobFile {
    pub key: String,
    pub name: String,
    pub media_type: String,
    pub size: i64,
}

macro_rules! job_select {
    ($tail:literal) => {
        concat!(
            "SELECT id, user_id, kind, params, title, status, progress, total, file_key, file_name, media_type, size,
                 error, created_at, finished_at, lease_owner, attempts FROM jobs ",
            $tail
        )
    };
}

fn record(mut r: Vec<Value>) -> Result<JobRecord> {
    Ok(JobRecord {
        id: r[0].int().unwrap_or_default(),
        user_id: r[1].int(),
        kind: text(&mut r, 2).unwrap_or_default(),
        params: text(&mut r, 3).unwrap_or_default(),
        title: text(&mut r, 4).unwrap_or_default(),
        status: take_code(&mut r, 5, JobStatus::parse, "job status")?,
        progress: r[6].int().unwrap_or_default(),
        total: r[7].int().unwrap_or_default(),
        file_key: text(&mut r, 8),
        file_name: text(&mut r, 9),
        media_type: text(&mut r, 10),
        size: r[11].int(),
        error: text(&mut r, 12),
        created_at: r[13].int().unwrap_or_default(),
        finished_at: r[14].int(),
        lease_owner: text(&mut r, 15),
        attempts: r[16].int().unwrap_or_default(),
    })
}

impl Store {
    /// Records a queued job; its id.
    pub async fn insert_job(
        &self,
        user_id: Option<i64>,
        kind: &str,
        params: &str,
        title: &str,
        total: i64,
        now: i64,
    ) -> Result<i64> {
        let rows = self
            .execute(
                "INSERT INTO jobs (user_id, kind, params, title, status, total, created_at)
                 VALUES ($1, $2, $3, $4, 'queued', $5, $6) RETURNING id",
                vec![user_id.into(), kind.into(), params.into(), title.into(), total.into(), now.into()],
            )
            .await?;
        Ok(rows.first().and_then(|r| r[0].int()).unwrap_or_default())
    }

    pub async fn job(&self, id: i64) -> Result<Option<JobRecord>> {
        self.query(job_select!("WHERE id = $1"), vec![id.into()]).await?.into_iter().next().map(record).transpose()
    }

    /// A person's jobs, newest first.
    pub async fn jobs_of(&self, user_id: i64, limit: i64) -> Result<Vec<JobRecord>> {
        let rows = self
            .query(job_select!("WHERE user_id = $1 ORDER BY id DESC LIMIT $2"), vec![user_id.into(), limit.into()])
            .await?;
        rows.into_iter().map(record).collect()
    }

    /// Claims the oldest job that is queued or whose lease ran out before `now`, for `owner` until
    /// `until`; `None` when there is none. Jobs whose lease ran out after `max_attempts` claims are
    /// failed with `gave_up` first. Two processes never claim the same job: PostgreSQL skips rows
    /// another transaction has locked, SQLite writes one transaction at a time.
    pub async fn claim_job(
        &self,
        owner: &str,
        now: i64,
        until: i64,
        max_attempts: i64,
        gave_up: &str,
    ) -> Result<Option<JobRecord>> {
        self.execute(
            "UPDATE jobs SET status = 'failed', error = $1, finished_at = $2, lease_owner = NULL
             WHERE status = 'running' AND (lease_until IS NULL OR lease_until < $2) AND attempts >= $3",
            vec![gave_up.into(), now.into(), max_attempts.into()],
        )
        .await?;
        let claim = self.dialect(dialects![
            "UPDATE jobs SET status = 'running', lease_owner = $1, lease_until = $3, attempts = attempts + 1
             WHERE id = (SELECT id FROM jobs
                         WHERE status = 'queued' OR (status = 'running' AND (lease_until IS NULL OR lease_until < $2))
                         ORDER BY id LIMIT 1",
            { skip_locked },
            ")
             RETURNING id, attempts",
        ]);
        let rows = self.execute(claim, vec![owner.into(), now.into(), until.into()]).await?;
        let Some((id, attempts)) = rows.first().and_then(|r| Some((r[0].int()?, r[1].int()?))) else {
            return Ok(None);
        };
        // The row as claimed (a later claim cannot have happened yet: the lease was just set).
        Ok(self.job(id).await?.map(|job| JobRecord { lease_owner: Some(owner.to_owned()), attempts, ..job }))
    }

    /// Records progress on a job under the claim `claim` and extends its lease to `until`; `false`
    /// when the claim is no longer the job's (its lease ran out and it was claimed again — by
    /// another process or by this one — or it was failed).
    pub async fn renew_job(&self, claim: &JobClaim, progress: i64, until: i64) -> Result<bool> {
        let rows = self
            .execute(
                "UPDATE jobs SET progress = $4, lease_until = $5
                 WHERE id = $1 AND lease_owner = $2 AND attempts = $3 AND status = 'running' RETURNING id",
                vec![claim.id.into(), claim.owner.as_str().into(), claim.attempt.into(), progress.into(), until.into()],
            )
            .await?;
        Ok(!rows.is_empty())
    }

    /// Marks a job done with its file under the claim `claim`; `false` when the claim is no longer
    /// the job's.
    pub async fn finish_job(&self, claim: &JobClaim, progress: i64, file: &JobFile, now: i64) -> Result<bool> {
        let rows = self
            .execute(
                "UPDATE jobs SET status = 'done', progress = $4, file_key = $5, file_name = $6, media_type = $7,
                     size = $8, finished_at = $9
                 WHERE id = $1 AND lease_owner = $2 AND attempts = $3 AND status = 'running' RETURNING id",
                vec![
                    claim.id.into(),
                    claim.owner.as_str().into(),
                    claim.attempt.into(),
                    progress.into(),
                    file.key.as_str().into(),
                    file.name.as_str().into(),
                    file.media_type.as_str().into(),
                    file.size.into(),
                    now.into(),
                ],
            )
            .await?;
        Ok(!rows.is_empty())
    }

    /// Marks a job failed with `error` under the claim `claim` (nothing when it is no longer its).
    pub async fn fail_job(&self, claim: &JobClaim, error: &str, now: i64) -> Result<()> {
        self.execute(
            "UPDATE jobs SET status = 'failed', error = $4, finished_at = $5
             WHERE id = $1 AND lease_owner = $2 AND attempts = $3 AND status = 'running'",
            vec![claim.id.into(), claim.owner.as_str().into(), claim.attempt.into(), error.into(), now.into()],
        )
        .await
        .map(drop)
    }

    /// Jobs not yet finished (queued or running) and when the oldest of them was created (Unix
    /// seconds), for the metrics of the job queue.
    pub async fn unfinished_jobs(&self) -> Result<(i64, Option<i64>)> {
        let rows = self
            .query("SELECT count(*), min(created_at) FROM jobs WHERE status IN ('queued', 'running')", vec![])
            .await?;
        let row = rows.first();
        Ok((row.and_then(|r| r[0].int()).unwrap_or(0), row.and_then(|r| r[1].int())))
    }
}
