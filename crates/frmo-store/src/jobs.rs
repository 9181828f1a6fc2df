//! Background jobs (migration 0009): a row per job with its progress and, when done, the file it
//! left in the object store.

use crate::sql::{Value, take_text as text};
use crate::{Result, Store};

/// A job as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobRecord {
    pub id: i64,
    pub user_id: Option<i64>,
    pub kind: String,
    pub params: String,
    pub title: String,
    /// `running`, `done` or `failed`.
    pub status: String,
    pub progress: i64,
    pub total: i64,
    pub file_key: Option<String>,
    pub file_name: Option<String>,
    pub media_type: Option<String>,
    pub size: Option<i64>,
    pub error: Option<String>,
    pub created_at: i64,
    pub finished_at: Option<i64>,
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
                 error, created_at, finished_at FROM jobs ",
            $tail
        )
    };
}

fn record(mut r: Vec<Value>) -> JobRecord {
    JobRecord {
        id: r[0].int().unwrap_or_default(),
        user_id: r[1].int(),
        kind: text(&mut r, 2).unwrap_or_default(),
        params: text(&mut r, 3).unwrap_or_default(),
        title: text(&mut r, 4).unwrap_or_default(),
        status: text(&mut r, 5).unwrap_or_default(),
        progress: r[6].int().unwrap_or_default(),
        total: r[7].int().unwrap_or_default(),
        file_key: text(&mut r, 8),
        file_name: text(&mut r, 9),
        media_type: text(&mut r, 10),
        size: r[11].int(),
        error: text(&mut r, 12),
        created_at: r[13].int().unwrap_or_default(),
        finished_at: r[14].int(),
    }
}

impl Store {
    /// Records a running job; its id.
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
                 VALUES ($1, $2, $3, $4, 'running', $5, $6) RETURNING id",
                vec![user_id.into(), kind.into(), params.into(), title.into(), total.into(), now.into()],
            )
            .await?;
        Ok(rows.first().and_then(|r| r[0].int()).unwrap_or_default())
    }

    pub async fn job(&self, id: i64) -> Result<Option<JobRecord>> {
        Ok(self.query(job_select!("WHERE id = $1"), vec![id.into()]).await?.into_iter().next().map(record))
    }

    /// A person's jobs, newest first.
    pub async fn jobs_of(&self, user_id: i64, limit: i64) -> Result<Vec<JobRecord>> {
        let rows = self
            .query(job_select!("WHERE user_id = $1 ORDER BY id DESC LIMIT $2"), vec![user_id.into(), limit.into()])
            .await?;
        Ok(rows.into_iter().map(record).collect())
    }

    pub async fn set_job_progress(&self, id: i64, progress: i64) -> Result<()> {
        self.execute(
            "UPDATE jobs SET progress = $2 WHERE id = $1 AND status = 'running'",
            vec![id.into(), progress.into()],
        )
        .await
        .map(drop)
    }

    pub async fn finish_job(&self, id: i64, progress: i64, file: &JobFile, now: i64) -> Result<()> {
        self.execute(
            "UPDATE jobs SET status = 'done', progress = $2, file_key = $3, file_name = $4, media_type = $5, size = $6,
                 finished_at = $7 WHERE id = $1",
            vec![
                id.into(),
                progress.into(),
                file.key.as_str().into(),
                file.name.as_str().into(),
                file.media_type.as_str().into(),
                file.size.into(),
                now.into(),
            ],
        )
        .await
        .map(drop)
    }

    pub async fn fail_job(&self, id: i64, error: &str, now: i64) -> Result<()> {
        self.execute(
            "UPDATE jobs SET status = 'failed', error = $2, finished_at = $3 WHERE id = $1 AND status = 'running'",
            vec![id.into(), error.into(), now.into()],
        )
        .await
        .map(drop)
    }

    /// Jobs not yet finished (`running`) and when the oldest of them was created (Unix seconds), for
    /// the metrics of the job queue.
    pub async fn unfinished_jobs(&self) -> Result<(i64, Option<i64>)> {
        let rows = self.query("SELECT count(*), min(created_at) FROM jobs WHERE status = 'running'", vec![]).await?;
        let row = rows.first();
        Ok((row.and_then(|r| r[0].int()).unwrap_or(0), row.and_then(|r| r[1].int())))
    }

    /// Marks every running job failed with `error` (at start-up: their process is gone); how many.
    pub async fn fail_running_jobs(&self, error: &str, now: i64) -> Result<usize> {
        let rows = self
            .execute(
                "UPDATE jobs SET status = 'failed', error = $1, finished_at = $2 WHERE status = 'running' RETURNING id",
                vec![error.into(), now.into()],
            )
            .await?;
        Ok(rows.len())
    }
}
