//! The embedded backend: one SQLite file in WAL mode, one writer connection and a pool of readers.
//! Every call runs on a blocking thread and hands its connection back inside that thread, so a
//! client that drops its request never loses a connection.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use frmo_domain::org::OrgStatus;
use rusqlite::{Connection, OptionalExtension, params};
use time::OffsetDateTime;
use time::macros::format_description;

use crate::search::head::{HEAD_BYTES, read_head};
use crate::search::index::IndexedVersion;
use crate::sql::{Statement, Value, sqlite_row, sqlite_sql};
use crate::{
    BulkLoad, CardRow, ColumnInfo, Identifier, ListItem, Result, SQLITE_MIGRATIONS, StoreError, VersionRecord,
};

/// Timestamps are stored as fixed-width UTC text, so text order is time order.
const STAMP: &[time::format_description::FormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z");

fn stamp(at: OffsetDateTime) -> String {
    at.to_offset(time::UtcOffset::UTC).format(STAMP).unwrap_or_default()
}

fn parse_stamp(text: &str) -> OffsetDateTime {
    time::PrimitiveDateTime::parse(text, STAMP).map(|t| t.assume_utc()).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

pub(crate) fn parse_status(text: &str) -> OrgStatus {
    OrgStatus::parse(text).unwrap_or(OrgStatus::Active)
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

/// Appends journal entries inside the writer's transaction (SQLite has one writer: the head is ours).
fn append_audit(tx: &Connection, entries: &[crate::audit::AuditEntry]) -> Result<i64> {
    let head = crate::audit::head(run(tx, crate::audit::HEAD, &[])?);
    let mut last = head.0;
    let mut insert = tx.prepare_cached(&sqlite_sql(crate::audit::INSERT))?;
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

fn run(conn: &Connection, sql: &str, values: &[Value]) -> Result<Vec<Vec<Value>>> {
    let mut statement = conn.prepare_cached(&sqlite_sql(sql))?;
    let columns = statement.column_count();
    let rows = statement.query_map(rusqlite::params_from_iter(values), |row| sqlite_row(row, columns))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Writes one version row; `previous` is the version it supersedes.
/// `from` is `r.valid_from` as stored.
fn insert_version(tx: &rusqlite::Transaction<'_>, r: &VersionRecord, previous: Option<i64>, from: &str) -> Result<i64> {
    tx.prepare_cached(
        "INSERT INTO organization_versions (oid, previous_id, valid_from, name_short, name_full, inn, ogrn, kpp,
             region, org_type, agency_kind, status, address, search_terms, card, create_date, delete_date)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
    )?
    .execute(params![
        r.oid,
        previous,
        from,
        r.name_short,
        r.name_full,
        r.inn,
        r.ogrn,
        r.kpp,
        r.region,
        r.org_type,
        r.agency_kind,
        r.status.as_str(),
        r.address,
        r.search_terms,
        r.card,
        r.create_date,
        r.delete_date
    ])?;
    Ok(tx.last_insert_rowid())
}

/// Writes new organizations (their first versions) and moves the OID sequences past their numbers.
fn insert_organizations(tx: &rusqlite::Transaction<'_>, records: &[VersionRecord]) -> Result<()> {
    let mut org = tx.prepare_cached(
        "INSERT INTO organizations (oid, kind, region, number, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    let mut sequence = tx.prepare_cached(
        "INSERT INTO oid_sequences (kind, region, last_number) VALUES (?1, ?2, ?3)
         ON CONFLICT (kind, region) DO UPDATE SET last_number = max(last_number, excluded.last_number)",
    )?;
    let mut highest = std::collections::BTreeMap::new();
    for r in records {
        let from = stamp(r.valid_from);
        org.execute(params![r.oid, r.key.0, r.key.1, r.key.2, from])?;
        insert_version(tx, r, None, &from)?;
        let top = highest.entry((r.key.0, r.key.1)).or_insert(0u32);
        *top = (*top).max(r.key.2);
    }
    for ((kind, region), number) in highest {
        sequence.execute(params![kind, region, number])?;
    }
    Ok(())
}

/// Closes `expected_current` (it must be the organization's current version) and writes `r` after it.
fn append_in(tx: &rusqlite::Transaction<'_>, r: &VersionRecord, expected_current: i64) -> Result<i64> {
    let from = stamp(r.valid_from);
    let closed = tx
        .prepare_cached(
            "UPDATE organization_versions SET valid_to = ?1 WHERE id = ?2 AND oid = ?3 AND valid_to IS NULL",
        )?
        .execute(params![from, expected_current, r.oid])?;
    if closed != 1 {
        return Err(StoreError::Conflict(format!(
            "версия {expected_current} организации {} уже не действующая",
            r.oid
        )));
    }
    insert_version(tx, r, Some(expected_current), &from)
}

impl SqliteStore {
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
                }),
            })
        })
        .await?
    }

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
    pub async fn query(&self, sql: &'static str, values: Vec<Value>) -> Result<Vec<Vec<Value>>> {
        self.point(move |c| run(c, sql, &values))
    }

    /// Runs `first` (which returns the new row's id), then each of `then` with that id bound as its
    /// last parameter, in one write transaction; the id.
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
    pub async fn transact(&self, statements: Vec<Statement>) -> Result<Vec<Vec<Vec<Value>>>> {
        self.write(move |tx| statements.iter().map(|(sql, values)| run(tx, sql, values)).collect()).await
    }

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
    pub fn pool_use(&self) -> crate::PoolUse {
        let idle = self.inner.readers.lock().unwrap_or_else(|e| e.into_inner()).len();
        let busy = READERS.saturating_sub(self.inner.permits.available_permits());
        crate::PoolUse { open: 1 + idle, busy: Some(busy), size: READERS }
    }

    /// A consistent copy of the whole database in a new file at `path` (`VACUUM INTO`: one read
    /// transaction, so writers go on while it runs and the copy is the state when it began).
    pub async fn backup_into(&self, path: &std::path::Path) -> Result<()> {
        let path =
            path.to_str().ok_or_else(|| StoreError::Unexpected("путь резервной копии не UTF-8".into()))?.to_owned();
        self.read(move |c| Ok(c.execute("VACUUM INTO ?1", [path]).map(drop)?)).await
    }

    pub async fn ping(&self) -> Result<()> {
        self.point(|c| Ok(c.query_row("SELECT 1", [], |r| r.get::<_, i64>(0)).map(drop)?))
    }

    pub async fn insert_new(
        &self,
        records: Vec<VersionRecord>,
        audit: Vec<crate::audit::AuditEntry>,
        transition: crate::sql::Transition,
    ) -> Result<()> {
        self.write(move |tx| {
            if let Some((sql, values)) = &transition.guard
                && run(tx, sql, values)?.is_empty()
            {
                return Err(StoreError::Conflict(transition.conflict));
            }
            insert_organizations(tx, &records)?;
            for (sql, values) in &transition.after {
                run(tx, sql, values)?;
            }
            append_audit(tx, &audit)?;
            Ok(())
        })
        .await
    }

    /// Prepares an empty register for a big load: drops the versions' indexes (rebuilt once by
    /// [`Self::finish_bulk_load`]) and stops the writer's automatic checkpoints, so the load's commit
    /// leaves its pages in the WAL for a checkpoint that runs beside the index build.
    pub async fn begin_bulk_load(&self) -> Result<Option<BulkLoad>> {
        self.write(|tx| {
            let empty: bool =
                tx.query_row("SELECT NOT EXISTS (SELECT 1 FROM organization_versions)", [], |r| r.get(0))?;
            if !empty {
                return Ok(None);
            }
            let indexes = tx
                .prepare(
                    "SELECT name, sql FROM sqlite_master
                     WHERE type = 'index' AND tbl_name = 'organization_versions' AND sql IS NOT NULL",
                )?
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<rusqlite::Result<Vec<(String, String)>>>()?;
            for (name, _) in &indexes {
                tx.execute_batch(&format!("DROP INDEX \"{name}\""))?;
            }
            tx.execute_batch("PRAGMA wal_autocheckpoint = 0")?;
            Ok(Some(BulkLoad { indexes }))
        })
        .await
    }

    /// Rebuilds the indexes a bulk load dropped (and the planner's statistics, from a sample) while
    /// a second connection copies the load's pages from the WAL into the database file: the two
    /// overlap instead of the checkpoint's writes and syncs stalling the load's commit.
    pub async fn finish_bulk_load(&self, load: BulkLoad) -> Result<()> {
        let path = self.inner.path.clone();
        let checkpoint = tokio::task::spawn_blocking(move || -> Result<()> {
            connect(&path)?.execute_batch("PRAGMA wal_checkpoint(PASSIVE)")?;
            Ok(())
        });
        let built = self
            .write(move |tx| {
                // First, so that a failed build does not leave the writer without checkpoints.
                tx.execute_batch(&format!("PRAGMA wal_autocheckpoint = {WAL_AUTOCHECKPOINT}"))?;
                for (_, sql) in &load.indexes {
                    tx.execute_batch(sql)?;
                }
                tx.execute_batch(&format!(
                    "PRAGMA analysis_limit = {ANALYSIS_LIMIT}; ANALYZE; PRAGMA analysis_limit = 0;"
                ))?;
                Ok(())
            })
            .await;
        checkpoint.await??;
        built
    }

    pub async fn append_audit(&self, entries: Vec<crate::audit::AuditEntry>) -> Result<i64> {
        self.write(move |tx| append_audit(tx, &entries)).await
    }

    pub async fn append_version(
        &self,
        r: VersionRecord,
        expected_current: i64,
        audit: Vec<crate::audit::AuditEntry>,
        transition: crate::sql::Transition,
    ) -> Result<i64> {
        self.write(move |tx| {
            if let Some((sql, values)) = &transition.guard
                && run(tx, sql, values)?.is_empty()
            {
                return Err(StoreError::Conflict(transition.conflict));
            }
            let id = append_in(tx, &r, expected_current)?;
            for (sql, values) in &transition.after {
                run(tx, sql, values)?;
            }
            append_audit(tx, &audit)?;
            Ok(id)
        })
        .await
    }

    pub async fn allocate_oid_number(&self, kind: u8, region: u8) -> Result<u32> {
        self.write(move |tx| {
            Ok(tx.query_row(
                "INSERT INTO oid_sequences (kind, region, last_number) VALUES (?1, ?2, 1)
                 ON CONFLICT (kind, region) DO UPDATE SET last_number = last_number + 1
                 RETURNING last_number",
                params![kind, region],
                |r| r.get(0),
            )?)
        })
        .await
    }

    pub async fn last_oid_number(&self, kind: u8, region: u8) -> Result<u32> {
        self.read(move |c| {
            Ok(c.query_row(
                "SELECT coalesce(max(last_number), 0) FROM oid_sequences WHERE kind = ?1 AND region = ?2",
                params![kind, region],
                |r| r.get(0),
            )?)
        })
        .await
    }

    pub async fn card(&self, oid: &str, at: Option<OffsetDateTime>) -> Result<Option<CardRow>> {
        self.point(|c| {
            let row = |r: &rusqlite::Row<'_>| {
                Ok(CardRow {
                    version_id: r.get(0)?,
                    valid_from: parse_stamp(&r.get::<_, String>(1)?),
                    valid_to: r.get::<_, Option<String>>(2)?.as_deref().map(parse_stamp),
                    card: r.get(3)?,
                })
            };
            let found = match at {
                None => c
                    .prepare_cached(
                        "SELECT id, valid_from, valid_to, card FROM organization_versions
                         WHERE oid = ?1 AND valid_to IS NULL",
                    )?
                    .query_row([&oid], row)
                    .optional()?,
                Some(at) => {
                    let at = stamp(at);
                    c.prepare_cached(
                        "SELECT id, valid_from, valid_to, card FROM organization_versions
                         WHERE oid = ?1 AND valid_from <= ?2 AND (valid_to IS NULL OR valid_to > ?2)
                         ORDER BY valid_from DESC LIMIT 1",
                    )?
                    .query_row(params![oid, at], row)
                    .optional()?
                }
            };
            Ok(found)
        })
    }

    pub async fn versions_with(&self, identifier: Identifier, value: &str) -> Result<Vec<i64>> {
        self.point(|c| {
            let sql = format!(
                "SELECT id FROM organization_versions WHERE {} = ?1 ORDER BY id LIMIT 10000",
                identifier.column()
            );
            let mut stmt = c.prepare_cached(&sql)?;
            let ids = stmt.query_map([value], |r| r.get(0))?.collect::<rusqlite::Result<Vec<i64>>>()?;
            Ok(ids)
        })
    }

    pub async fn list_items(&self, version_ids: &[i64]) -> Result<Vec<ListItem>> {
        let ids = version_ids;
        self.point(|c| {
            let json = serde_json::to_string(&ids)?;
            let mut stmt = c.prepare_cached(
                "SELECT id, oid, name_short, name_full, inn, ogrn, kpp, region, org_type, agency_kind, status, address
                 FROM organization_versions WHERE id IN (SELECT value FROM json_each(?1))",
            )?;
            let items = stmt
                .query_map([json], |r| {
                    Ok(ListItem {
                        version_id: r.get(0)?,
                        oid: r.get(1)?,
                        name_short: r.get(2)?,
                        name_full: r.get(3)?,
                        inn: r.get(4)?,
                        ogrn: r.get(5)?,
                        kpp: r.get(6)?,
                        region: r.get(7)?,
                        org_type: r.get(8)?,
                        agency_kind: r.get(9)?,
                        status: parse_status(&r.get::<_, String>(10)?),
                        address: r.get(11)?,
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(items)
        })
    }

    pub async fn versions_after(&self, after: i64, limit: usize) -> Result<Vec<IndexedVersion>> {
        self.read(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT v.id, v.previous_id, o.kind, o.region, o.number, v.region, v.org_type, v.agency_kind, v.status,
                        v.valid_from, v.valid_to, v.search_terms, substr(CAST(v.card AS BLOB), 1, ?3)
                 FROM organization_versions v JOIN organizations o ON o.oid = v.oid
                 WHERE v.id > ?1 ORDER BY v.id LIMIT ?2",
            )?;
            let rows = stmt
                .query_map(params![after, limit as i64, HEAD_BYTES as i64], |r| {
                    Ok(IndexedVersion {
                        version_id: r.get(0)?,
                        previous_id: r.get(1)?,
                        key: (r.get(2)?, r.get(3)?, r.get(4)?),
                        region: r.get(5)?,
                        org_type: r.get(6)?,
                        agency_kind: r.get(7)?,
                        status: parse_status(&r.get::<_, String>(8)?),
                        valid_from: crate::micros(parse_stamp(&r.get::<_, String>(9)?)),
                        valid_to: r.get::<_, Option<String>>(10)?.map(|t| crate::micros(parse_stamp(&t))),
                        terms: r.get(11)?,
                        head: read_head(r.get_ref(12)?.as_bytes().unwrap_or_default()),
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
        .await
    }

    pub async fn current_cards_after(&self, after: i64, limit: i64) -> Result<Vec<(i64, String)>> {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            let mut slot = inner.scan.lock().unwrap_or_else(|e| e.into_inner());
            let conn = match slot.take() {
                Some(conn) => conn,
                None => {
                    let conn = connect(&inner.path)?;
                    conn.execute_batch("PRAGMA mmap_size = 0; PRAGMA cache_size = -8192;")?;
                    conn
                }
            };
            let rows = (|| -> Result<Vec<(i64, String)>> {
                let mut stmt = conn.prepare_cached(
                    "SELECT id, card FROM organization_versions WHERE valid_to IS NULL AND id > ?1 ORDER BY id LIMIT ?2",
                )?;
                let rows = stmt.query_map(params![after, limit], |r| Ok((r.get(0)?, r.get(1)?)))?;
                Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
            })();
            *slot = Some(conn);
            rows
        })
        .await?
    }

    pub async fn current_cards_of(&self, oids: Vec<String>) -> Result<Vec<(String, i64, String)>> {
        self.read(move |c| {
            let mut found = Vec::with_capacity(oids.len());
            let mut stmt = c.prepare_cached(
                "SELECT oid, id, card FROM organization_versions
                 WHERE valid_to IS NULL AND oid IN (SELECT value FROM json_each(?1))",
            )?;
            for chunk in oids.chunks(5_000) {
                let json = serde_json::to_string(chunk)?;
                let rows = stmt.query_map([json], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
                for row in rows {
                    found.push(row?);
                }
            }
            Ok(found)
        })
        .await
    }

    pub async fn write_import(&self, mut batches: tokio::sync::mpsc::Receiver<crate::ImportBatch>) -> Result<()> {
        self.write(move |tx| {
            loop {
                match batches.blocking_recv() {
                    Some(crate::ImportBatch::Write { new, changed, audit }) => {
                        insert_organizations(tx, &new)?;
                        for (record, expected) in &changed {
                            append_in(tx, record, *expected)?;
                        }
                        append_audit(tx, &audit)?;
                        // Freeing a round's strings is not the writer's work: it is the one thread
                        // the import waits on.
                        std::thread::spawn(move || drop((new, changed, audit)));
                    }
                    Some(crate::ImportBatch::Commit) => return Ok(()),
                    None => return Err(StoreError::Conflict("импорт прерван, ничего не записано".into())),
                }
            }
        })
        .await
    }

    pub async fn count_organizations(&self) -> Result<i64> {
        self.read(|c| Ok(c.query_row("SELECT count(*) FROM organizations", [], |r| r.get(0))?)).await
    }

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
