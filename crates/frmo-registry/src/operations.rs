//! What an operator watches (the `/metrics` of `frmo serve`): the background job queue, the mail
//! outbox, how far the search index trails the store and what the store's connections are doing.
//! Aggregate counts only, nothing about any person or organization.

use crate::{Registry, Result};

/// The store's connections: open now, in use (where the backend can tell) and the most it keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolUse {
    pub open: usize,
    pub busy: Option<usize>,
    pub size: usize,
}

impl From<frmo_store::PoolUse> for PoolUse {
    fn from(pool: frmo_store::PoolUse) -> Self {
        let frmo_store::PoolUse { open, busy, size } = pool;
        PoolUse { open, busy, size }
    }
}

/// The state of the process's store and queues at one instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gauges {
    /// Background jobs (exports, reports) not finished.
    pub jobs_unfinished: i64,
    /// Seconds since the oldest unfinished job was created (0 with none).
    pub oldest_job_seconds: i64,
    /// E-mails waiting in the outbox, and those given up on.
    pub mail_waiting: i64,
    pub mail_failed: i64,
    /// Organization versions in the store that this process's search index has not taken yet.
    pub index_lag_versions: i64,
    pub pool: PoolUse,
    /// How far the read replica's replay trails the primary, milliseconds; `None` without one.
    pub replica_lag_ms: Option<i64>,
}

impl Registry {
    /// Reads the gauges: three small queries, and one on the replica when there is one.
    pub async fn gauges(&self) -> Result<Gauges> {
        let (jobs_unfinished, oldest) = self.store.unfinished_jobs().await?;
        let now = self.now();
        let (mail_waiting, _, mail_failed) = self.store.mail_counts().await?;
        let newest = self.store.last_version_id().await?;
        Ok(Gauges {
            jobs_unfinished,
            oldest_job_seconds: oldest.map_or(0, |created| (now - created).max(0)),
            mail_waiting,
            mail_failed,
            index_lag_versions: (newest - self.index.last_version_id()).max(0),
            pool: self.store.pool_use().into(),
            replica_lag_ms: self.store.replica_lag().await?.map(|seconds| (seconds * 1000.0).round() as i64),
        })
    }
}

impl Registry {
    /// A consistent copy of the embedded database written to `path` while the registry is in use;
    /// `false` on PostgreSQL, which is copied with pg_dump (docs/operations.md).
    pub async fn backup_database(&self, actor: &frmo_domain::access::Actor, path: &std::path::Path) -> Result<bool> {
        Self::check(actor, frmo_domain::access::Action::Administer)?;
        match self.store.backup_into(path).await {
            Some(result) => Ok(result.map(|()| true)?),
            None => Ok(false),
        }
    }
}
