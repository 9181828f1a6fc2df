//! The embedded backend: one SQLite file in WAL mode, one writer connection and a pool of readers.
//! Longer calls run on a blocking thread and hand their connection back inside that thread, so a
//! client that drops its request never loses a connection; point lookups run on the calling thread.
//!
//! Per backend by nature: connections and their PRAGMAs, the reader pool, the portable statements'
//! runner (`?n` spelling, rusqlite binding), the migrator, the online backup and the schema's
//! catalogue. The organization tables' tuned code is in `versions.rs`.

mod versions;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use rusqlite::{Connection, params};
use time::OffsetDateTime;
use time::macros::format_description;

use crate::backend::kept::KeptReads;
use crate::sql::{Statement, Value, sqlite_row, sqlite_sql};
use crate::{ColumnInfo, Result, SQLITE_MIGRATIONS, StoreError};

/// Timestamps are stored as fixed-width UTC text, so text order is time order.
const STAMP: &[time::format_description::FormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z");

/// Per backend: SQLite stores times as fixed-width UTC text.
fn stamp(at: OffsetDateTime) -> String {
    at.to_offset(time::UtcOffset::UTC).format(STAMP).unwrap_or_default()
}

fn parse_stamp(text: &str) -> OffsetDateTime {
    time::PrimitiveDateTime::parse(text, STAMP).map(|t| t.assume_utc()).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// Readers at once: enough to keep both cores busy while one waits on the disk, few enough that
/// their page caches stay small. More concurrent requests queue for a permit.
const READERS: usize = 4;

struct Inner {
    path: PathBuf,
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
    /// The connection of whole-register scans (exports): no memory map, a small page cache.
    scan: Mutex<Option<Connection>>,
    permits: Arc<tokio::sync::Semaphore>,
    /// Reads kept until something is committed (`backend/kept.rs`).
    kept: KeptReads,
    /// A connection that never writes, and its `data_version` when last looked at.
    watch: Mutex<Option<(Connection, i64)>>,
}

#[derive(Clone)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}
/// WAL pages (16 KiB) after which a commit copies the WAL into the database file.
const WAL_AUTOCHECKPOINT: u32 = 8192;

/// Rows per index that `ANALYZE` samples after a bulk load: enough for the planner's choices,
/// milliseconds instead of a pass over every index.
const ANALYSIS_LIMIT: u32 = 1000;

/// Per backend: opening a connection is where SQLite's settings (PRAGMAs) are made.
fn connect(path: &PathBuf) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    // Cards are a few kilobytes: 16 KiB pages keep them out of overflow chains. Takes effect only
    // when the file is new (before WAL is switched on).
    conn.execute_batch(
        "PRAGMA page_size = 16384;
         PRAGMA journal_mode = WAL;
         PRAGMA synchronous = NORMAL;
         PRAGMA foreign_keys = ON;
         PRAGMA busy_timeout = 5000;
         PRAGMA cache_size = -16384;
         PRAGMA mmap_size = 1073741824;",
    )?;
    conn.execute_batch(&format!("PRAGMA wal_autocheckpoint = {WAL_AUTOCHECKPOINT}"))?;
    conn.set_prepared_statement_cache_capacity(64);
    // The query planner's stability guarantee: plans never depend on bound values. Without it,
    // SQLite 3.54 marks a statement whose plan looked at a bound value (any `WHERE col = ?
    // ORDER BY …`) for re-preparing at every reuse from the statement cache — measured: 199 of 200
    // executions re-prepared while another connection wrote, 0 with this.
    conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
    Ok(conn)
}

/// Per backend: one writer, so the journal's head is read and extended in the same transaction.
fn append_audit(tx: &Connection, entries: &[crate::audit::AuditEntry]) -> Result<i64> {
    let head = crate::audit::head(run(tx, crate::audit::HEAD, &[])?);
    let mut last = head.0;
    let mut insert = tx.prepare_cached(spelled(crate::audit::INSERT))?;
    for link in crate::audit::chained(head, entries) {
        let entry = link.entry;
        insert.execute(params![
            link.id,
            entry.at,
            entry.user_id,
            entry.actor,
            entry.kind,
            entry.target,
            entry.detail,
            entry.request_id,
            link.prev_hash,
            link.hash
        ])?;
        last = link.id;
    }
    Ok(last)
}

/// SQLite's spelling of a portable statement ([`sqlite_sql`]), made once per statement and
/// process: every read spelled it anew before (a character-by-character copy per statement).
/// Statements are static text, so a statement's address names it; each thread keeps what it looked
/// up, and a spelling is made (and kept for the process's life) once.
fn spelled(sql: &'static str) -> &'static str {
    use std::cell::RefCell;
    use std::collections::HashMap;
    thread_local! {
        static LOOKED_UP: RefCell<HashMap<(usize, usize), &'static str>> = RefCell::new(HashMap::new());
    }
    static MADE: Mutex<Vec<(&'static str, &'static str)>> = Mutex::new(Vec::new());
    let key = (sql.as_ptr() as usize, sql.len());
    LOOKED_UP.with_borrow_mut(|looked_up| {
        *looked_up.entry(key).or_insert_with(|| {
            let mut made = MADE.lock().unwrap_or_else(|e| e.into_inner());
            if let Some((_, spelling)) = made.iter().find(|(portable, _)| std::ptr::eq(*portable, sql)) {
                return spelling;
            }
            let spelling: &'static str = Box::leak(sqlite_sql(sql).into_boxed_str());
            made.push((sql, spelling));
            spelling
        })
    })
}

/// Runs a portable statement in SQLite's spelling.
fn run(conn: &Connection, sql: &'static str, values: &[Value]) -> Result<Vec<Vec<Value>>> {
    let mut statement = conn.prepare_cached(spelled(sql))?;
    let columns = statement.column_count();
    let rows = statement.query_map(rusqlite::params_from_iter(values), |row| sqlite_row(row, columns))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

impl SqliteStore {
    /// Per backend: a file, one writer with a large page cache, readers opened on demand.
    pub async fn open(path: PathBuf) -> Result<Self> {
        tokio::task::spawn_blocking(move || {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)?;
            }
            let writer = connect(&path)?;
            // The writer keeps the indexes it grows in memory; readers rely on the shared mmap.
            writer.execute_batch("PRAGMA cache_size = -262144")?;
            Ok(SqliteStore {
                inner: Arc::new(Inner {
                    path,
                    writer: Mutex::new(writer),
                    readers: Mutex::new(Vec::new()),
                    scan: Mutex::new(None),
                    permits: Arc::new(tokio::sync::Semaphore::new(READERS)),
                    kept: KeptReads::default(),
                    watch: Mutex::new(None),
                }),
            })
        })
        .await?
    }

    /// What this process keeps (`backend/kept.rs`), all of it forgotten first if anything was
    /// committed to the file since the last look, by this process or another: the `data_version`
    /// of a connection that never writes changes with every commit of any other. One small
    /// statement instead of the reads it saves.
    /// Per backend: SQLite has no notices; its file counts commits.
    pub(crate) fn kept(&self) -> Result<&KeptReads> {
        let mut watch = self.inner.watch.lock().unwrap_or_else(|e| e.into_inner());
        let (conn, seen) = match watch.take() {
            Some(watch) => watch,
            None => {
                let conn = connect(&self.inner.path)?;
                self.inner.kept.set_listening(true);
                (conn, -1)
            }
        };
        let version: i64 = conn.prepare_cached("PRAGMA data_version")?.query_row([], |row| row.get(0))?;
        if version != seen {
            self.inner.kept.forget_everything();
        }
        *watch = Some((conn, version));
        Ok(&self.inner.kept)
    }

    /// Per backend: a longer read on a blocking thread (rusqlite is synchronous), a permit each.
    async fn read<T: Send + 'static>(&self, f: impl FnOnce(&Connection) -> Result<T> + Send + 'static) -> Result<T> {
        let inner = self.inner.clone();
        let permit = inner.permits.clone().acquire_owned().await.ok();
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let pooled = inner.readers.lock().unwrap_or_else(|e| e.into_inner()).pop();
            let conn = match pooled {
                Some(conn) => conn,
                None => connect(&inner.path)?,
            };
            let result = f(&conn);
            inner.readers.lock().unwrap_or_else(|e| e.into_inner()).push(conn);
            result
        })
        .await?
    }

    /// A short lookup (one row, or a few by key) on the calling thread: probing page-cached B-trees
    /// costs less than the hand-off to a blocking thread and back (docs/benchmarks.md). Nothing
    /// awaits between taking the connection and returning it, so it cannot be lost.
    /// Per backend: rusqlite is synchronous, so a lookup may run on the calling thread.
    fn point<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let pooled = self.inner.readers.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let conn = match pooled {
            Some(conn) => conn,
            None => connect(&self.inner.path)?,
        };
        let result = f(&conn);
        self.inner.readers.lock().unwrap_or_else(|e| e.into_inner()).push(conn);
        result
    }

    /// Per backend: SQLite's one writer, `BEGIN IMMEDIATE`, on a blocking thread.
    async fn write<T: Send + 'static>(
        &self,
        f: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = inner.writer.lock().unwrap_or_else(|e| e.into_inner());
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let value = f(&tx)?;
            tx.commit()?;
            Ok(value)
        })
        .await?
    }

    /// Runs a portable read statement on a reader.
    /// Per backend: the portable runner (`?n` spelling, rusqlite binding).
    pub async fn query(&self, sql: &'static str, values: Vec<Value>) -> Result<Vec<Vec<Value>>> {
        self.point(move |c| run(c, sql, &values))
    }

    /// Runs `first` (which returns the new row's id), then each of `then` with that id bound as its
    /// last parameter, in one write transaction; the id.
    /// Per backend: the portable runner in the one writer.
    pub async fn insert_with(&self, first: Statement, then: Vec<Statement>) -> Result<i64> {
        self.write(move |tx| {
            let id = crate::sql::returned_id(run(tx, first.0, &first.1)?)?;
            for (sql, mut values) in then {
                values.push(id.into());
                run(tx, sql, &values)?;
            }
            Ok(id)
        })
        .await
    }

    /// Runs `statements` in one write transaction when the first (a guard) returns a row, then
    /// appends `audit`; `false` (and nothing written) when the guard returns none.
    /// Per backend: the portable runner in the one writer.
    pub async fn transact_guarded(
        &self,
        statements: Vec<Statement>,
        audit: Vec<crate::audit::AuditEntry>,
    ) -> Result<bool> {
        self.write(move |tx| {
            let mut statements = statements.iter();
            if let Some((sql, values)) = statements.next()
                && run(tx, sql, values)?.is_empty()
            {
                return Ok(false);
            }
            for (sql, values) in statements {
                run(tx, sql, values)?;
            }
            append_audit(tx, &audit)?;
            Ok(true)
        })
        .await
    }

    /// Runs `statements` and appends `audit` in one transaction; rolls back with a `Conflict` when
    /// a statement from `checked_from` on returns no row (the row it meant was changed meanwhile).
    /// Per backend: the portable runner in the one writer.
    pub async fn transact_checked(
        &self,
        statements: Vec<Statement>,
        checked_from: usize,
        audit: Vec<crate::audit::AuditEntry>,
    ) -> Result<()> {
        self.write(move |tx| {
            for (i, (sql, values)) in statements.iter().enumerate() {
                if run(tx, sql, values)?.is_empty() && i >= checked_from {
                    return Err(crate::StoreError::Conflict(crate::CHANGED_MEANWHILE.into()));
                }
            }
            append_audit(tx, &audit).map(drop)
        })
        .await
    }

    /// Runs portable statements in one write transaction; the rows each returned, in order.
    /// Per backend: the portable runner in the one writer.
    pub async fn transact(&self, statements: Vec<Statement>) -> Result<Vec<Vec<Vec<Value>>>> {
        self.write(move |tx| statements.iter().map(|(sql, values)| run(tx, sql, values)).collect()).await
    }

    /// Per backend: the migrations are DDL per dialect; `applied_at` is a stamp here.
    pub async fn migrate(&self) -> Result<Vec<&'static str>> {
        self.write(|tx| {
            tx.execute_batch(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version TEXT PRIMARY KEY, applied_at TEXT NOT NULL)",
            )?;
            let mut applied = Vec::new();
            for migration in SQLITE_MIGRATIONS {
                let done: bool = tx.query_row(
                    "SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = ?1)",
                    [migration.version],
                    |r| r.get(0),
                )?;
                if !done {
                    tx.execute_batch(migration.sql)?;
                    tx.execute(
                        "INSERT INTO schema_migrations (version, applied_at) VALUES (?1, ?2)",
                        params![migration.version, stamp(OffsetDateTime::now_utc())],
                    )?;
                    applied.push(migration.version);
                }
            }
            Ok(applied)
        })
        .await
    }

    /// Connections open now (the writer and the idle readers) and the longer reads running on
    /// blocking threads out of the most allowed at once.
    /// Per backend: the reader pool is this backend's own.
    pub fn pool_use(&self) -> crate::PoolUse {
        let idle = self.inner.readers.lock().unwrap_or_else(|e| e.into_inner()).len();
        let busy = READERS.saturating_sub(self.inner.permits.available_permits());
        crate::PoolUse { open: 1 + idle, busy: Some(busy), size: READERS }
    }

    /// A consistent copy of the whole database in a new file at `path` (`VACUUM INTO`: one read
    /// transaction, so writers go on while it runs and the copy is the state when it began).
    /// Per backend: `VACUUM INTO` is SQLite's online backup.
    pub async fn backup_into(&self, path: &std::path::Path) -> Result<()> {
        let path =
            path.to_str().ok_or_else(|| StoreError::Unexpected("путь резервной копии не UTF-8".into()))?.to_owned();
        self.read(move |c| Ok(c.execute("VACUUM INTO ?1", [path]).map(drop)?)).await
    }

    /// Per backend: one writer, so the head is read in its transaction.
    pub async fn append_audit(&self, entries: Vec<crate::audit::AuditEntry>) -> Result<i64> {
        self.write(move |tx| append_audit(tx, &entries)).await
    }

    /// Per backend, the readiness probe: straight on a reader, without the runner's rows of values.
    pub async fn ping(&self) -> Result<()> {
        self.point(|c| Ok(c.query_row("SELECT 1", [], |r| r.get::<_, i64>(0)).map(drop)?))
    }

    /// Per backend: the schema as `pragma_table_xinfo` describes it.
    pub async fn columns(&self) -> Result<Vec<ColumnInfo>> {
        self.read(|c| {
            let mut stmt = c.prepare(
                "SELECT m.name, p.name, p.\"notnull\" OR p.pk > 0 FROM sqlite_master m, pragma_table_xinfo(m.name) p
                 WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'",
            )?;
            let columns = stmt
                .query_map([], |r| Ok(ColumnInfo { table: r.get(0)?, column: r.get(1)?, not_null: r.get(2)? }))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(columns)
        })
        .await
    }
}
