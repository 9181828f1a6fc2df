//! The scale-out backend: PostgreSQL through tokio-postgres. Reads go to a few pipelined clients
//! with prepared statements; writes go through one client, one transaction at a time, holding an
//! advisory lock so version ids commit in increasing order (the search index follows them by id).
//!
//! A connection that closes (the server restarted, or an administrator ended its backend) is opened
//! anew by the next statement that needs it; the statements in flight on it fail.
//!
//! Per backend by nature: the clients (readers, writer, replica), the portable statements' runner
//! (prepared once per client, pipelined in transactions), the migrator, the replica's lag and the
//! schema's catalogue. The organization tables' tuned code is in `versions.rs`.

mod notices;
mod versions;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::{Mutex, MutexGuard, OnceCell};
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, Config, NoTls, Statement};

use crate::backend::kept::KeptReads;
use crate::sql::{self, Value, postgres_row};
use crate::{ColumnInfo, POSTGRES_MIGRATIONS, Result};
use versions::Statements;

/// Three pipelined readers measured best on 2 cores (2: 18.5k, 3: 21.9k, 4: 15.5k card req/s on 300k organizations).
const READERS: usize = 3;
/// Serialises writers of organization versions (any number of processes).
const VERSION_WRITE_LOCK: i64 = 1461;

struct Reader {
    client: Client,
    statements: OnceCell<Statements>,
    /// The portable read statements ([`PgStore::query`]) prepared on this connection, by their text:
    /// a lookup is then one round trip, not a parse and an execute.
    prepared: std::sync::Mutex<std::collections::HashMap<&'static str, Statement>>,
}

/// Where a reader lives: the connection it holds now, replaced by a new one once it has closed.
struct Slot {
    config: Config,
    current: std::sync::RwLock<Arc<Reader>>,
    /// One reopening at a time: the requests that find the connection closed wait for it.
    reopening: Mutex<()>,
}

pub struct PgStore {
    readers: Vec<Slot>,
    next: AtomicUsize,
    config: Config,
    writer: Mutex<Client>,
    /// Readers on a streaming replica, for the public reads it may serve (`Store::public_card`).
    replica: Vec<Slot>,
    /// What is kept while the database's notices of changes are listened for (`notices.rs`).
    kept: Arc<KeptReads>,
    /// Ends the notices' listener when the store is dropped; it starts with the first kept read.
    listener: std::sync::OnceLock<tokio::sync::oneshot::Sender<()>>,
}

impl Reader {
    /// Per backend: a pipelined client with its own prepared statements.
    async fn open(config: &Config) -> Result<Reader> {
        Ok(Reader { client: connect(config).await?, statements: OnceCell::new(), prepared: Default::default() })
    }
}

impl Slot {
    /// Per backend: a reader's connection is opened here, and again whenever it has closed.
    async fn open(config: &Config) -> Result<Slot> {
        let reader = Arc::new(Reader::open(config).await?);
        Ok(Slot { config: config.clone(), current: std::sync::RwLock::new(reader), reopening: Mutex::new(()) })
    }

    /// Per backend: the connection as it is now, without waiting.
    fn now(&self) -> Arc<Reader> {
        Arc::clone(&self.current.read().unwrap_or_else(|e| e.into_inner()))
    }

    /// The reader, its connection opened anew if it has closed; an error if it cannot be.
    /// Per backend: a closed tokio-postgres client stays closed.
    async fn reader(&self) -> Result<Arc<Reader>> {
        let reader = self.now();
        if !reader.client.is_closed() {
            return Ok(reader);
        }
        let _turn = self.reopening.lock().await;
        let reader = self.now();
        if !reader.client.is_closed() {
            return Ok(reader); // reopened by the request before this one
        }
        let fresh = Arc::new(Reader::open(&self.config).await?);
        tracing::warn!("a PostgreSQL reader's connection had closed: opened anew");
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = Arc::clone(&fresh);
        Ok(fresh)
    }
}

/// Per backend: a client's connection runs on a task of its own.
async fn connect(config: &Config) -> Result<Client> {
    let (client, connection) = config.connect(NoTls).await.map_err(crate::StoreError::Unreachable)?;
    tokio::spawn(async move {
        if let Err(error) = connection.await {
            tracing::warn!(%error, "PostgreSQL connection closed");
        }
    });
    Ok(client)
}

impl PgStore {
    /// Per backend: pipelined reader clients and one writer client.
    pub async fn connect(config: Config) -> Result<Self> {
        let writer = connect(&config).await?;
        let mut readers = Vec::with_capacity(READERS);
        for _ in 0..READERS {
            readers.push(Slot::open(&config).await?);
        }
        Ok(PgStore {
            readers,
            next: AtomicUsize::new(0),
            config,
            writer: Mutex::new(writer),
            replica: Vec::new(),
            kept: Arc::default(),
            listener: std::sync::OnceLock::new(),
        })
    }

    /// What is kept; the listener that keeps it true is started with the first use.
    /// Per backend: other processes' changes are announced by PostgreSQL's notices.
    pub(crate) fn kept(&self) -> &KeptReads {
        self.listener.get_or_init(|| notices::start(&self.kept, &self.config));
        &self.kept
    }

    /// What is kept, for forgetting what this process has just changed: a process that never
    /// reads what is kept (a command-line tool) starts no listener.
    pub(crate) fn forgetting(&self) -> &KeptReads {
        &self.kept
    }

    /// Whether the database's notices of changes are being received (and anything kept).
    pub fn listening_for_changes(&self) -> bool {
        self.kept.listening()
    }

    /// The writer's client, held until the guard drops; opened anew if its connection has closed.
    /// Per backend: one writer connection, one transaction at a time.
    async fn writer(&self) -> Result<MutexGuard<'_, Client>> {
        let mut client = self.writer.lock().await;
        if client.is_closed() {
            *client = connect(&self.config).await?;
            tracing::warn!("the PostgreSQL writer's connection had closed: opened anew");
        }
        Ok(client)
    }

    /// Adds readers on a streaming replica of this database.
    /// Per backend: only PostgreSQL has streaming replicas.
    pub async fn with_replica(mut self, config: Config) -> Result<Self> {
        let mut replica = Vec::with_capacity(READERS);
        for _ in 0..READERS {
            replica.push(Slot::open(&config).await?);
        }
        self.replica = replica;
        Ok(self)
    }

    /// Per backend: only PostgreSQL has streaming replicas.
    pub fn has_replica(&self) -> bool {
        !self.replica.is_empty()
    }

    /// The next reader of `set` (the primary's or the replica's), round robin.
    /// Per backend: readers are pipelined clients.
    async fn next_of(&self, set: &[Slot]) -> Result<Arc<Reader>> {
        set[self.next.fetch_add(1, Ordering::Relaxed) % set.len()].reader().await
    }

    /// The next reader of the primary.
    /// Per backend: readers are pipelined clients.
    async fn reader_client(&self) -> Result<Arc<Reader>> {
        self.next_of(&self.readers).await
    }

    /// Runs a portable read statement on a reader.
    /// Per backend: the portable runner (prepared once per client).
    pub async fn query(&self, sql: &'static str, values: Vec<Value>) -> Result<Vec<Vec<Value>>> {
        let reader = self.reader_client().await?;
        let cached = reader.prepared.lock().unwrap_or_else(|e| e.into_inner()).get(sql).cloned();
        let statement = match cached {
            Some(statement) => statement,
            None => {
                let statement = reader.client.prepare(sql).await?;
                reader.prepared.lock().unwrap_or_else(|e| e.into_inner()).insert(sql, statement.clone());
                statement
            }
        };
        let params: Vec<&(dyn ToSql + Sync)> = values.iter().map(|v| v as &(dyn ToSql + Sync)).collect();
        reader.client.query(&statement, &params).await?.iter().map(postgres_row).collect()
    }

    /// Runs `first` (which returns the new row's id), then each of `then` with that id bound as its
    /// last parameter, in one write transaction; the id.
    /// Per backend: the portable runner on the writer's client.
    pub async fn insert_with(&self, first: sql::Statement, then: Vec<sql::Statement>) -> Result<i64> {
        let mut client = self.writer().await?;
        let tx = client.transaction().await?;
        let id = sql::returned_id(run(&tx, &first).await?)?;
        for (sql, mut values) in then {
            values.push(id.into());
            run(&tx, &(sql, values)).await?;
        }
        tx.commit().await?;
        Ok(id)
    }

    /// Runs `statements` in one write transaction when the first (a guard) returns a row, then
    /// appends `audit`; `false` (and nothing written) when the guard returns none.
    /// Per backend: the portable runner on the writer's client.
    pub async fn transact_guarded(
        &self,
        statements: Vec<sql::Statement>,
        audit: Vec<crate::audit::AuditEntry>,
    ) -> Result<bool> {
        let mut client = self.writer().await?;
        let tx = client.transaction().await?;
        let mut statements = statements.iter();
        if let Some(guard) = statements.next()
            && run(&tx, guard).await?.is_empty()
        {
            return Ok(false);
        }
        run_many(&tx, statements.as_slice()).await?;
        append_audit(&tx, &audit).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Runs `statements` and appends `audit` in one transaction; rolls back with a `Conflict` when
    /// a statement from `checked_from` on returns no row (the row it meant was changed meanwhile).
    /// Per backend: the portable runner on the writer's client.
    pub async fn transact_checked(
        &self,
        statements: Vec<sql::Statement>,
        checked_from: usize,
        audit: Vec<crate::audit::AuditEntry>,
    ) -> Result<()> {
        let mut client = self.writer().await?;
        let tx = client.transaction().await?;
        let results = run_many(&tx, &statements).await?;
        if results.iter().skip(checked_from).any(Vec::is_empty) {
            return Err(crate::StoreError::Conflict(crate::CHANGED_MEANWHILE.into()));
        }
        append_audit(&tx, &audit).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Runs portable statements in one write transaction; the rows each returned, in order.
    /// Per backend: the portable runner on the writer's client.
    pub async fn transact(&self, statements: Vec<sql::Statement>) -> Result<Vec<Vec<Vec<Value>>>> {
        let mut client = self.writer().await?;
        let tx = client.transaction().await?;
        let results = run_many(&tx, &statements).await?;
        tx.commit().await?;
        Ok(results)
    }

    /// Per backend: DDL per dialect, an advisory lock for one migrator across processes.
    pub async fn migrate(&self) -> Result<Vec<&'static str>> {
        let mut client = self.writer().await?;
        let tx = client.transaction().await?;
        // One migrator at a time, whichever process runs it.
        tx.execute("SELECT pg_advisory_xact_lock(1)", &[]).await?;
        tx.batch_execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version TEXT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL)",
        )
        .await?;
        let mut applied = Vec::new();
        for migration in POSTGRES_MIGRATIONS {
            let done: bool = tx
                .query_one("SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = $1)", &[&migration.version])
                .await?
                .get(0);
            if !done {
                tx.batch_execute(migration.sql).await?;
                tx.execute(
                    "INSERT INTO schema_migrations (version, applied_at) VALUES ($1, now())",
                    &[&migration.version],
                )
                .await?;
                applied.push(migration.version);
            }
        }
        tx.commit().await?;
        Ok(applied)
    }

    /// Connections still open (the pipelined readers and the writer); a pipelined client has no
    /// "busy" state to report.
    /// Per backend: the clients are this backend's own.
    pub fn pool_use(&self) -> crate::PoolUse {
        let readers = self.readers.iter().filter(|r| !r.now().client.is_closed()).count();
        let writer = self.writer.try_lock().map_or(1, |w| usize::from(!w.is_closed()));
        crate::PoolUse { open: readers + writer, busy: None, size: READERS + 1 }
    }

    /// How far the replica's replay is behind, in seconds (0 when it has replayed everything it
    /// received); `None` without a replica.
    /// Per backend: only PostgreSQL has streaming replicas.
    pub async fn replica_lag(&self) -> Result<Option<f64>> {
        let Some(slot) = self.replica.first() else { return Ok(None) };
        let row = slot
            .reader()
            .await?
            .client
            .query_one(
                "SELECT CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
                        ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0) END::float8",
                &[],
            )
            .await?;
        Ok(Some(row.get(0)))
    }

    /// Per backend: a table lock makes appenders of every process take turns.
    pub async fn append_audit(&self, entries: Vec<crate::audit::AuditEntry>) -> Result<i64> {
        let mut client = self.writer().await?;
        let tx = client.transaction().await?;
        let last = append_audit(&tx, &entries).await?;
        tx.commit().await?;
        Ok(last)
    }

    /// Per backend, the readiness probe: the simple protocol needs no prepared statement.
    pub async fn ping(&self) -> Result<()> {
        self.reader_client().await?.client.simple_query("SELECT 1").await?;
        Ok(())
    }

    /// Per backend: the schema as the catalogue describes it.
    pub async fn columns(&self) -> Result<Vec<ColumnInfo>> {
        let rows = self
            .reader_client()
            .await?
            .client
            .query(
                "SELECT table_name::text, column_name::text, is_nullable = 'NO' FROM information_schema.columns
                 WHERE table_schema = current_schema()",
                &[],
            )
            .await?;
        Ok(rows.iter().map(|r| ColumnInfo { table: r.get(0), column: r.get(1), not_null: r.get(2) }).collect())
    }
}

/// Runs one portable statement inside `tx`; its rows.
/// Per backend: the portable runner inside the writer's transaction.
async fn run(tx: &tokio_postgres::Transaction<'_>, (sql, values): &sql::Statement) -> Result<Vec<Vec<Value>>> {
    let params: Vec<&(dyn ToSql + Sync)> = values.iter().map(|v| v as &(dyn ToSql + Sync)).collect();
    tx.query(*sql, &params).await?.iter().map(postgres_row).collect()
}

/// Statements in flight at once on the writer's connection.
const PIPELINE: usize = 256;

/// Runs `statements` in order inside `tx`, pipelined: each distinct statement is prepared once, and
/// up to [`PIPELINE`] executions are sent before their answers are awaited (the server still runs
/// them one after another, in order). A bulk import is thousands of statements: one round trip
/// each would be most of its time.
/// Per backend: pipelining is tokio-postgres's.
async fn run_many(tx: &tokio_postgres::Transaction<'_>, statements: &[sql::Statement]) -> Result<Vec<Vec<Vec<Value>>>> {
    let mut prepared: std::collections::HashMap<&str, tokio_postgres::Statement> = std::collections::HashMap::new();
    for (sql, _) in statements {
        if !prepared.contains_key(sql) {
            prepared.insert(sql, tx.prepare(sql).await?);
        }
    }
    let mut results = Vec::with_capacity(statements.len());
    for chunk in statements.chunks(PIPELINE) {
        let answers = futures_util::future::try_join_all(chunk.iter().map(|(sql, values)| {
            let statement = &prepared[sql];
            async move {
                let params: Vec<&(dyn ToSql + Sync)> = values.iter().map(|v| v as &(dyn ToSql + Sync)).collect();
                tx.query(statement, &params).await
            }
        }))
        .await?;
        for rows in answers {
            results.push(rows.iter().map(postgres_row).collect::<Result<Vec<_>>>()?);
        }
    }
    Ok(results)
}

/// Appends journal entries inside `tx`. The table lock (which readers do not wait for) makes
/// appenders of every process take turns, so the chain has one head; it is held to the commit.
/// Per backend: a table lock instead of SQLite's single writer.
async fn append_audit(tx: &tokio_postgres::Transaction<'_>, entries: &[crate::audit::AuditEntry]) -> Result<i64> {
    if entries.is_empty() {
        return Ok(0);
    }
    tx.batch_execute("LOCK TABLE audit_journal IN SHARE ROW EXCLUSIVE MODE").await?;
    let rows = tx.query(crate::audit::HEAD, &[]).await?;
    let head = crate::audit::head(rows.iter().map(postgres_row).collect::<Result<Vec<_>>>()?);
    let statements: Vec<sql::Statement> =
        crate::audit::chained(head.clone(), entries).iter().map(|link| (crate::audit::INSERT, link.values())).collect();
    let last = statements.last().and_then(|(_, values)| values[0].int()).unwrap_or(head.0);
    // Pipelined: an import journals thousands of entries, one round trip each would be most of it.
    run_many(tx, &statements).await?;
    Ok(last)
}
