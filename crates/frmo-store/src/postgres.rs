//! The scale-out backend: PostgreSQL through tokio-postgres. Reads go to a few pipelined clients
//! with prepared statements; writes go through one client, one transaction at a time, holding an
//! advisory lock so version ids commit in increasing order (the search index follows them by id).

use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::value::RawValue;
use time::OffsetDateTime;
use tokio::sync::{Mutex, OnceCell};
use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::types::{Json, ToSql, Type};
use tokio_postgres::{Client, Config, NoTls, Statement};

use crate::search::head::{HEAD_BYTES, read_head};
use crate::search::index::IndexedVersion;
use crate::sql::{self, Value, postgres_row};
use crate::sqlite::parse_status;
use crate::{
    BulkLoad, CardRow, ColumnInfo, Identifier, ListItem, POSTGRES_MIGRATIONS, Result, StoreError, VersionRecord,
};

/// Three pipelined readers measured best on 2 cores (2: 18.5k, 3: 21.9k, 4: 15.5k card req/s on 300k organizations).
const READERS: usize = 3;
/// Serialises writers of organization versions (any number of processes).
const VERSION_WRITE_LOCK: i64 = 1461;

struct Statements {
    card_current: Statement,
    card_at: Statement,
    list_items: Statement,
    versions_after: Statement,
    by_inn: Statement,
    by_ogrn: Statement,
    by_kpp: Statement,
    by_oid: Statement,
}

struct Reader {
    client: Client,
    statements: OnceCell<Statements>,
    /// The portable read statements ([`PgStore::query`]) prepared on this connection, by their text:
    /// a lookup is then one round trip, not a parse and an execute.
    prepared: std::sync::Mutex<std::collections::HashMap<&'static str, Statement>>,
}

pub struct PgStore {
    readers: Vec<Reader>,
    next: AtomicUsize,
    writer: Mutex<Client>,
    /// Readers on a streaming replica, for the public reads it may serve (`Store::public_card`).
    replica: Vec<Reader>,
}

impl Reader {
    async fn open(config: &Config) -> Result<Reader> {
        Ok(Reader { client: connect(config).await?, statements: OnceCell::new(), prepared: Default::default() })
    }
}

async fn connect(config: &Config) -> Result<Client> {
    let (client, connection) = config.connect(NoTls).await?;
    tokio::spawn(async move {
        if let Err(error) = connection.await {
            tracing::warn!(%error, "PostgreSQL connection closed");
        }
    });
    Ok(client)
}

const LIST_COLUMNS: &str =
    "id, oid, name_short, name_full, inn, ogrn, kpp, region, org_type, agency_kind, status, address";

/// The columns a version is written with, in the order of `PgVersion::values` and `VERSION_TYPES`.
const VERSION_COLUMNS: &str = "oid, valid_from, name_short, name_full, inn, ogrn, kpp, region, org_type, agency_kind, status, address, search_terms, card, create_date, delete_date";

const VERSION_TYPES: [Type; 16] = [
    Type::TEXT,
    Type::TIMESTAMPTZ,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::INT2,
    Type::INT4,
    Type::INT4,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::JSON,
    Type::TEXT,
    Type::TEXT,
];

/// A version's values in the types of its PostgreSQL columns.
struct PgVersion<'a> {
    record: &'a VersionRecord,
    region: i16,
    org_type: i32,
    agency_kind: i32,
    status: &'static str,
    card: Json<Box<RawValue>>,
}

impl<'a> PgVersion<'a> {
    fn new(record: &'a VersionRecord) -> Result<Self> {
        Ok(PgVersion {
            record,
            region: i16::from(record.region),
            org_type: record.org_type as i32,
            agency_kind: record.agency_kind as i32,
            status: record.status.as_str(),
            card: Json(RawValue::from_string(record.card.clone())?),
        })
    }

    fn values(&self) -> [&(dyn ToSql + Sync); 16] {
        let r = self.record;
        [
            &r.oid,
            &r.valid_from,
            &r.name_short,
            &r.name_full,
            &r.inn,
            &r.ogrn,
            &r.kpp,
            &self.region,
            &self.org_type,
            &self.agency_kind,
            &self.status,
            &r.address,
            &r.search_terms,
            &self.card,
            &r.create_date,
            &r.delete_date,
        ]
    }
}

impl PgStore {
    pub async fn connect(config: Config) -> Result<Self> {
        let writer = connect(&config).await?;
        let mut readers = Vec::with_capacity(READERS);
        for _ in 0..READERS {
            readers.push(Reader::open(&config).await?);
        }
        Ok(PgStore { readers, next: AtomicUsize::new(0), writer: Mutex::new(writer), replica: Vec::new() })
    }

    /// Adds readers on a streaming replica of this database.
    pub async fn with_replica(mut self, config: Config) -> Result<Self> {
        let mut replica = Vec::with_capacity(READERS);
        for _ in 0..READERS {
            replica.push(Reader::open(&config).await?);
        }
        self.replica = replica;
        Ok(self)
    }

    pub fn has_replica(&self) -> bool {
        !self.replica.is_empty()
    }

    async fn reader(&self) -> Result<(&Client, &Statements)> {
        self.reader_of(&self.readers).await
    }

    /// A reader of `set` (the primary's or the replica's) with its statements prepared.
    async fn reader_of<'a>(&'a self, set: &'a [Reader]) -> Result<(&'a Client, &'a Statements)> {
        let reader = &set[self.next.fetch_add(1, Ordering::Relaxed) % set.len()];
        let client = &reader.client;
        let statements = reader
            .statements
            .get_or_try_init(|| async {
                let by = |column: &str| {
                    format!("SELECT id FROM organization_versions WHERE {column} = $1 ORDER BY id LIMIT 10000")
                };
                Ok::<_, StoreError>(Statements {
                    card_current: client
                        .prepare(
                            "SELECT id, valid_from, valid_to, card::text FROM organization_versions
                             WHERE oid = $1 AND valid_to IS NULL",
                        )
                        .await?,
                    card_at: client
                        .prepare(
                            "SELECT id, valid_from, valid_to, card::text FROM organization_versions
                             WHERE oid = $1 AND valid_from <= $2 AND (valid_to IS NULL OR valid_to > $2)
                             ORDER BY valid_from DESC LIMIT 1",
                        )
                        .await?,
                    list_items: client
                        .prepare(&format!("SELECT {LIST_COLUMNS} FROM organization_versions WHERE id = ANY($1)"))
                        .await?,
                    versions_after: client
                        .prepare(
                            "SELECT v.id, v.previous_id, o.kind, o.region, o.number, v.region, v.org_type, v.agency_kind,
                                    v.status, v.valid_from, v.valid_to, v.search_terms, left(v.card::text, $3)
                             FROM organization_versions v JOIN organizations o ON o.oid = v.oid
                             WHERE v.id > $1 ORDER BY v.id LIMIT $2",
                        )
                        .await?,
                    by_inn: client.prepare(&by("inn")).await?,
                    by_ogrn: client.prepare(&by("ogrn")).await?,
                    by_kpp: client.prepare(&by("kpp")).await?,
                    by_oid: client.prepare(&by("oid")).await?,
                })
            })
            .await?;
        Ok((client, statements))
    }

    /// Runs a portable read statement on a reader.
    pub async fn query(&self, sql: &'static str, values: Vec<Value>) -> Result<Vec<Vec<Value>>> {
        let reader = &self.readers[self.next.fetch_add(1, Ordering::Relaxed) % self.readers.len()];
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
    pub async fn insert_with(&self, first: sql::Statement, then: Vec<sql::Statement>) -> Result<i64> {
        let mut client = self.writer.lock().await;
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
    pub async fn transact_guarded(
        &self,
        statements: Vec<sql::Statement>,
        audit: Vec<crate::audit::AuditEntry>,
    ) -> Result<bool> {
        let mut client = self.writer.lock().await;
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
    pub async fn transact_checked(
        &self,
        statements: Vec<sql::Statement>,
        checked_from: usize,
        audit: Vec<crate::audit::AuditEntry>,
    ) -> Result<()> {
        let mut client = self.writer.lock().await;
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
    pub async fn transact(&self, statements: Vec<sql::Statement>) -> Result<Vec<Vec<Vec<Value>>>> {
        let mut client = self.writer.lock().await;
        let tx = client.transaction().await?;
        let results = run_many(&tx, &statements).await?;
        tx.commit().await?;
        Ok(results)
    }

    pub async fn migrate(&self) -> Result<Vec<&'static str>> {
        let mut client = self.writer.lock().await;
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
    pub fn pool_use(&self) -> crate::PoolUse {
        let readers = self.readers.iter().filter(|r| !r.client.is_closed()).count();
        let writer = self.writer.try_lock().map_or(1, |w| usize::from(!w.is_closed()));
        crate::PoolUse { open: readers + writer, busy: None, size: READERS + 1 }
    }

    /// How far the replica's replay is behind, in seconds (0 when it has replayed everything it
    /// received); `None` without a replica.
    pub async fn replica_lag(&self) -> Result<Option<f64>> {
        let Some(reader) = self.replica.first() else { return Ok(None) };
        let row = reader
            .client
            .query_one(
                "SELECT CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
                        ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0) END::float8",
                &[],
            )
            .await?;
        Ok(Some(row.get(0)))
    }

    pub async fn ping(&self) -> Result<()> {
        let reader = &self.readers[self.next.fetch_add(1, Ordering::Relaxed) % self.readers.len()];
        reader.client.simple_query("SELECT 1").await?;
        Ok(())
    }

    pub async fn insert_new(
        &self,
        records: Vec<VersionRecord>,
        audit: Vec<crate::audit::AuditEntry>,
        transition: sql::Transition,
    ) -> Result<()> {
        let mut client = self.writer.lock().await;
        let tx = client.transaction().await?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&VERSION_WRITE_LOCK]).await?;
        if let Some(guard) = &transition.guard
            && run(&tx, guard).await?.is_empty()
        {
            return Err(StoreError::Conflict(transition.conflict));
        }

        insert_organizations(&tx, &records).await?;
        for statement in &transition.after {
            run(&tx, statement).await?;
        }
        append_audit(&tx, &audit).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn begin_bulk_load(&self) -> Result<Option<BulkLoad>> {
        let mut client = self.writer.lock().await;
        let tx = client.transaction().await?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&VERSION_WRITE_LOCK]).await?;
        let empty: bool = tx.query_one("SELECT NOT EXISTS (SELECT 1 FROM organization_versions)", &[]).await?.get(0);
        if !empty {
            return Ok(None);
        }
        let indexes: Vec<(String, String)> = tx
            .query(
                "SELECT indexname::text, indexdef FROM pg_indexes
                 WHERE schemaname = current_schema() AND tablename = 'organization_versions'
                   AND indexname NOT IN (SELECT conname FROM pg_constraint)",
                &[],
            )
            .await?
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect();
        for (name, _) in &indexes {
            tx.batch_execute(&format!("DROP INDEX \"{name}\"")).await?;
        }
        // Foreign keys too: checked row by row they were a tenth of the load; added back after the
        // indexes, each is checked once over the whole table.
        let foreign_keys: Vec<(String, String)> = tx
            .query(
                "SELECT conname::text, pg_get_constraintdef(oid) FROM pg_constraint
                 WHERE conrelid = 'organization_versions'::regclass AND contype = 'f' ORDER BY conname",
                &[],
            )
            .await?
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect();
        let mut restore = indexes;
        for (name, definition) in foreign_keys {
            tx.batch_execute(&format!("ALTER TABLE organization_versions DROP CONSTRAINT \"{name}\"")).await?;
            let add = format!("ALTER TABLE organization_versions ADD CONSTRAINT \"{name}\" {definition}");
            restore.push((name, add));
        }
        tx.commit().await?;
        Ok(Some(BulkLoad { indexes: restore }))
    }

    pub async fn finish_bulk_load(&self, load: BulkLoad) -> Result<()> {
        let mut client = self.writer.lock().await;
        let tx = client.transaction().await?;
        for (_, sql) in &load.indexes {
            tx.batch_execute(sql).await?;
        }
        tx.commit().await?;
        // Fresh statistics and hint bits now, not on the first reads of every page.
        // One statement per call: several in one string would run in a transaction, where VACUUM cannot.
        client.batch_execute("VACUUM (ANALYZE) organizations").await?;
        client.batch_execute("VACUUM (ANALYZE) organization_versions").await?;
        Ok(())
    }

    pub async fn append_audit(&self, entries: Vec<crate::audit::AuditEntry>) -> Result<i64> {
        let mut client = self.writer.lock().await;
        let tx = client.transaction().await?;
        let last = append_audit(&tx, &entries).await?;
        tx.commit().await?;
        Ok(last)
    }

    pub async fn append_version(
        &self,
        r: VersionRecord,
        expected_current: i64,
        audit: Vec<crate::audit::AuditEntry>,
        transition: sql::Transition,
    ) -> Result<i64> {
        let mut client = self.writer.lock().await;
        let tx = client.transaction().await?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&VERSION_WRITE_LOCK]).await?;
        if let Some(guard) = &transition.guard
            && run(&tx, guard).await?.is_empty()
        {
            return Err(StoreError::Conflict(transition.conflict));
        }
        let id = append_in(&tx, &r, expected_current).await?;
        for statement in &transition.after {
            run(&tx, statement).await?;
        }
        append_audit(&tx, &audit).await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn allocate_oid_number(&self, kind: u8, region: u8) -> Result<u32> {
        let client = self.writer.lock().await;
        let number: i32 = client
            .query_one(
                "INSERT INTO oid_sequences (kind, region, last_number) VALUES ($1, $2, 1)
                 ON CONFLICT (kind, region) DO UPDATE SET last_number = oid_sequences.last_number + 1
                 RETURNING last_number",
                &[&i16::from(kind), &i16::from(region)],
            )
            .await?
            .get(0);
        Ok(number as u32)
    }

    pub async fn last_oid_number(&self, kind: u8, region: u8) -> Result<u32> {
        let (client, _) = self.reader().await?;
        let number: i32 = client
            .query_one(
                "SELECT coalesce(max(last_number), 0) FROM oid_sequences WHERE kind = $1 AND region = $2",
                &[&i16::from(kind), &i16::from(region)],
            )
            .await?
            .get(0);
        Ok(number as u32)
    }

    pub async fn card(&self, oid: &str, at: Option<OffsetDateTime>) -> Result<Option<CardRow>> {
        self.card_on(false, oid, at).await
    }

    /// [`PgStore::card`] on the replica (`replica` and one is configured) or the primary.
    pub async fn card_on(&self, replica: bool, oid: &str, at: Option<OffsetDateTime>) -> Result<Option<CardRow>> {
        let set = if replica && self.has_replica() { &self.replica } else { &self.readers };
        let (client, s) = self.reader_of(set).await?;
        let row = match at {
            None => client.query_opt(&s.card_current, &[&oid]).await?,
            Some(at) => client.query_opt(&s.card_at, &[&oid, &at]).await?,
        };
        Ok(row.map(|r| CardRow { version_id: r.get(0), valid_from: r.get(1), valid_to: r.get(2), card: r.get(3) }))
    }

    pub async fn versions_with(&self, identifier: Identifier, value: &str) -> Result<Vec<i64>> {
        let (client, s) = self.reader().await?;
        let statement = match identifier {
            Identifier::Inn => &s.by_inn,
            Identifier::Ogrn => &s.by_ogrn,
            Identifier::Kpp => &s.by_kpp,
            Identifier::Oid => &s.by_oid,
        };
        Ok(client.query(statement, &[&value]).await?.iter().map(|r| r.get(0)).collect())
    }

    pub async fn list_items(&self, version_ids: &[i64]) -> Result<Vec<ListItem>> {
        self.list_items_on(false, version_ids).await
    }

    /// [`PgStore::list_items`] on the replica (`replica` and one is configured) or the primary.
    pub async fn list_items_on(&self, replica: bool, version_ids: &[i64]) -> Result<Vec<ListItem>> {
        let set = if replica && self.has_replica() { &self.replica } else { &self.readers };
        let (client, s) = self.reader_of(set).await?;
        let rows = client.query(&s.list_items, &[&version_ids]).await?;
        Ok(rows
            .iter()
            .map(|r| ListItem {
                version_id: r.get(0),
                oid: r.get(1),
                name_short: r.get(2),
                name_full: r.get(3),
                inn: r.get(4),
                ogrn: r.get(5),
                kpp: r.get(6),
                region: r.get::<_, i16>(7) as u8,
                org_type: r.get::<_, i32>(8) as u32,
                agency_kind: r.get::<_, i32>(9) as u32,
                status: parse_status(r.get(10)),
                address: r.get(11),
            })
            .collect())
    }

    pub async fn versions_after(&self, after: i64, limit: usize) -> Result<Vec<IndexedVersion>> {
        let (client, s) = self.reader().await?;
        let rows = client.query(&s.versions_after, &[&after, &(limit as i64), &(HEAD_BYTES as i32)]).await?;
        Ok(rows
            .iter()
            .map(|r| IndexedVersion {
                version_id: r.get(0),
                previous_id: r.get(1),
                key: (r.get::<_, i16>(2) as u8, r.get::<_, i16>(3) as u8, r.get::<_, i32>(4) as u32),
                region: r.get::<_, i16>(5) as u8,
                org_type: r.get::<_, i32>(6) as u32,
                agency_kind: r.get::<_, i32>(7) as u32,
                status: parse_status(r.get(8)),
                valid_from: crate::micros(r.get(9)),
                valid_to: r.get::<_, Option<OffsetDateTime>>(10).map(crate::micros),
                terms: r.get(11),
                head: read_head(r.get::<_, &str>(12).as_bytes()),
            })
            .collect())
    }

    pub async fn current_cards_of(&self, oids: Vec<String>) -> Result<Vec<(String, i64, String)>> {
        let (client, _) = self.reader().await?;
        let mut found = Vec::with_capacity(oids.len());
        for chunk in oids.chunks(5_000) {
            let rows = client
                .query(
                    "SELECT oid, id, CAST(card AS TEXT) FROM organization_versions
                     WHERE valid_to IS NULL AND oid = ANY($1)",
                    &[&chunk],
                )
                .await?;
            for row in rows {
                found.push((row.try_get(0)?, row.try_get(1)?, row.try_get(2)?));
            }
        }
        Ok(found)
    }

    pub async fn write_import(&self, mut batches: tokio::sync::mpsc::Receiver<crate::ImportBatch>) -> Result<()> {
        let mut client = self.writer.lock().await;
        let tx = client.transaction().await?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&VERSION_WRITE_LOCK]).await?;
        loop {
            match batches.recv().await {
                Some(crate::ImportBatch::Write { new, changed, audit }) => {
                    insert_organizations(&tx, &new).await?;
                    for (record, expected) in &changed {
                        append_in(&tx, record, *expected).await?;
                    }
                    append_audit(&tx, &audit).await?;
                }
                Some(crate::ImportBatch::Commit) => break,
                None => return Err(StoreError::Conflict("импорт прерван, ничего не записано".into())),
            }
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn count_organizations(&self) -> Result<i64> {
        let (client, _) = self.reader().await?;
        Ok(client.query_one("SELECT count(*) FROM organizations", &[]).await?.get(0))
    }

    pub async fn columns(&self) -> Result<Vec<ColumnInfo>> {
        let (client, _) = self.reader().await?;
        let rows = client
            .query(
                "SELECT table_name::text, column_name::text, is_nullable = 'NO' FROM information_schema.columns
                 WHERE table_schema = current_schema()",
                &[],
            )
            .await?;
        Ok(rows.iter().map(|r| ColumnInfo { table: r.get(0), column: r.get(1), not_null: r.get(2) }).collect())
    }
}

/// Writes new organizations (their first versions, by COPY) and moves the OID sequences past their
/// numbers.
async fn insert_organizations(tx: &tokio_postgres::Transaction<'_>, records: &[VersionRecord]) -> Result<()> {
    let sink = tx.copy_in("COPY organizations (oid, kind, region, number, created_at) FROM STDIN BINARY").await?;
    let writer = BinaryCopyInWriter::new(sink, &[Type::TEXT, Type::INT2, Type::INT2, Type::INT4, Type::TIMESTAMPTZ]);
    tokio::pin!(writer);
    for r in records {
        let (kind, region, number) = (i16::from(r.key.0), i16::from(r.key.1), r.key.2 as i32);
        writer.as_mut().write(&[&r.oid, &kind, &region, &number, &r.valid_from]).await?;
    }
    writer.finish().await?;

    let sink = tx.copy_in(&format!("COPY organization_versions ({VERSION_COLUMNS}) FROM STDIN BINARY")).await?;
    let writer = BinaryCopyInWriter::new(sink, &VERSION_TYPES);
    tokio::pin!(writer);
    for r in records {
        writer.as_mut().write(&PgVersion::new(r)?.values()).await?;
    }
    writer.finish().await?;

    let mut highest = std::collections::BTreeMap::new();
    for r in records {
        let top = highest.entry((i16::from(r.key.0), i16::from(r.key.1))).or_insert(0i32);
        *top = (*top).max(r.key.2 as i32);
    }
    for ((kind, region), number) in highest {
        tx.execute(
            "INSERT INTO oid_sequences (kind, region, last_number) VALUES ($1, $2, $3)
             ON CONFLICT (kind, region) DO UPDATE SET last_number = greatest(oid_sequences.last_number, excluded.last_number)",
            &[&kind, &region, &number],
        )
        .await?;
    }
    Ok(())
}

/// Closes `expected_current` (it must be the organization's current version) and writes `r` after it.
async fn append_in(tx: &tokio_postgres::Transaction<'_>, r: &VersionRecord, expected_current: i64) -> Result<i64> {
    let closed = tx
        .execute(
            "UPDATE organization_versions SET valid_to = $1 WHERE id = $2 AND oid = $3 AND valid_to IS NULL",
            &[&r.valid_from, &expected_current, &r.oid],
        )
        .await?;
    if closed != 1 {
        return Err(StoreError::Conflict(format!(
            "версия {expected_current} организации {} уже не действующая",
            r.oid
        )));
    }
    let version = PgVersion::new(r)?;
    let mut values = version.values().to_vec();
    values.push(&expected_current);
    let id: i64 = tx
        .query_one(
            &format!(
                "INSERT INTO organization_versions ({VERSION_COLUMNS}, previous_id)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) RETURNING id"
            ),
            &values,
        )
        .await?
        .get(0);
    Ok(id)
}

/// Runs one portable statement inside `tx`; its rows.
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
