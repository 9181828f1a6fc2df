//! PostgreSQL's code for the organization tables (organizations, their versions, the OID sequences)
//! that stays per backend by reason: versions are written by binary COPY with typed columns
//! (`TIMESTAMPTZ`, cards as lz4-compressed text), the bulk load drops indexes and foreign keys from
//! the catalogue, and the hot paths — the card read, the result list, the index feed — run
//! statements prepared once per reader and read columns straight through tokio-postgres, without
//! the portable runner's rows of values. The statements that are the same in both dialects are
//! portable ones in `lib.rs`.

use time::OffsetDateTime;
use tokio_postgres::Statement;
use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::types::{ToSql, Type};

use super::{PgStore, Reader, VERSION_WRITE_LOCK, append_audit, run};
use crate::backend::parse_status;
use crate::search::head::{HEAD_BYTES, read_head};
use crate::search::index::IndexedVersion;
use crate::sql;
use crate::{BulkLoad, CardRow, Identifier, ListItem, Result, StoreError, VersionRecord};

pub(super) struct Statements {
    card_current: Statement,
    card_at: Statement,
    list_items: Statement,
    versions_after: Statement,
    by_inn: Statement,
    by_ogrn: Statement,
    by_kpp: Statement,
    by_oid: Statement,
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
    Type::TEXT,
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
}

impl<'a> PgVersion<'a> {
    fn new(record: &'a VersionRecord) -> Result<Self> {
        Ok(PgVersion {
            record,
            region: i16::from(record.region),
            org_type: record.org_type as i32,
            agency_kind: record.agency_kind as i32,
            status: record.status.as_str(),
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
            &r.card,
            &r.create_date,
            &r.delete_date,
        ]
    }
}

impl Reader {
    /// This reader's hot reads, prepared on its connection the first time they are needed.
    /// Per backend, hot path: the hot reads prepared once per client.
    async fn statements(&self) -> Result<&Statements> {
        let client = &self.client;
        self.statements
            .get_or_try_init(|| async {
                Ok::<_, StoreError>(Statements {
                    card_current: client
                        .prepare(
                            "SELECT id, valid_from, valid_to, card FROM organization_versions
                             WHERE oid = $1 AND valid_to IS NULL",
                        )
                        .await?,
                    card_at: client
                        .prepare(
                            "SELECT id, valid_from, valid_to, card FROM organization_versions
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
                                    v.status, v.valid_from, v.valid_to, v.search_terms, left(v.card, $3)
                             FROM organization_versions v JOIN organizations o ON o.oid = v.oid
                             WHERE v.id > $1 ORDER BY v.id LIMIT $2",
                        )
                        .await?,
                    by_inn: client.prepare(Identifier::Inn.lookup()).await?,
                    by_ogrn: client.prepare(Identifier::Ogrn.lookup()).await?,
                    by_kpp: client.prepare(Identifier::Kpp.lookup()).await?,
                    by_oid: client.prepare(Identifier::Oid.lookup()).await?,
                })
            })
            .await
    }
}

impl PgStore {
    /// Per backend: binary COPY under the version writers' advisory lock.
    pub async fn insert_new(
        &self,
        records: Vec<VersionRecord>,
        audit: Vec<crate::audit::AuditEntry>,
        transition: sql::Transition,
    ) -> Result<()> {
        let mut client = self.writer().await?;
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

    /// Per backend: indexes and foreign keys from the catalogue.
    pub async fn begin_bulk_load(&self) -> Result<Option<BulkLoad>> {
        let mut client = self.writer().await?;
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

    /// Per backend: indexes and foreign keys restored, then `VACUUM (ANALYZE)`.
    pub async fn finish_bulk_load(&self, load: BulkLoad) -> Result<()> {
        let mut client = self.writer().await?;
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

    /// Per backend: under the advisory lock, times as `TIMESTAMPTZ`.
    pub async fn append_version(
        &self,
        r: VersionRecord,
        expected_current: i64,
        audit: Vec<crate::audit::AuditEntry>,
        transition: sql::Transition,
    ) -> Result<i64> {
        let mut client = self.writer().await?;
        let tx = client.transaction().await?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&VERSION_WRITE_LOCK]).await?;
        if let Some(guard) = &transition.guard
            && run(&tx, guard).await?.is_empty()
        {
            return Err(StoreError::Conflict(transition.conflict));
        }
        let appended = append_many(&tx, &[(&r, expected_current)]).await?;
        let id = appended.first().copied().ok_or_else(|| StoreError::Conflict("no version id returned".into()))?;
        for statement in &transition.after {
            run(&tx, statement).await?;
        }
        append_audit(&tx, &audit).await?;
        tx.commit().await?;
        self.forgetting().forget_organization(&r.oid);
        Ok(id)
    }

    /// Per backend, hot path: a prepared read straight into a `CardRow`.
    pub async fn card(&self, oid: &str, at: Option<OffsetDateTime>) -> Result<Option<CardRow>> {
        self.card_on(false, oid, at).await
    }

    /// [`PgStore::card`] on the replica (`replica` and one is configured) or the primary.
    /// Per backend, hot path: a prepared read straight into a `CardRow`.
    pub async fn card_on(&self, replica: bool, oid: &str, at: Option<OffsetDateTime>) -> Result<Option<CardRow>> {
        let set = if replica && self.has_replica() { &self.replica } else { &self.readers };
        let reader = self.next_of(set).await?;
        let (client, s) = (&reader.client, reader.statements().await?);
        let row = match at {
            None => client.query_opt(&s.card_current, &[&oid]).await?,
            Some(at) => client.query_opt(&s.card_at, &[&oid, &at]).await?,
        };
        Ok(row.map(|r| CardRow { version_id: r.get(0), valid_from: r.get(1), valid_to: r.get(2), card: r.get(3) }))
    }

    /// Per backend, hot path (the ИНН, ОГРН, КПП and OID search): prepared once per reader from the
    /// one text of `Identifier::lookup`, ids read straight.
    pub async fn versions_with(&self, identifier: Identifier, value: &str) -> Result<Vec<i64>> {
        let reader = self.reader_client().await?;
        let (client, s) = (&reader.client, reader.statements().await?);
        let statement = match identifier {
            Identifier::Inn => &s.by_inn,
            Identifier::Ogrn => &s.by_ogrn,
            Identifier::Kpp => &s.by_kpp,
            Identifier::Oid => &s.by_oid,
        };
        Ok(client.query(statement, &[&value]).await?.iter().map(|r| r.get(0)).collect())
    }

    /// Per backend, hot path: the ids as an array, columns read straight.
    pub async fn list_items(&self, version_ids: &[i64]) -> Result<Vec<ListItem>> {
        self.list_items_on(false, version_ids).await
    }

    /// [`PgStore::list_items`] on the replica (`replica` and one is configured) or the primary.
    /// Per backend, hot path: the ids as an array, columns read straight.
    pub async fn list_items_on(&self, replica: bool, version_ids: &[i64]) -> Result<Vec<ListItem>> {
        let set = if replica && self.has_replica() { &self.replica } else { &self.readers };
        let reader = self.next_of(set).await?;
        let (client, s) = (&reader.client, reader.statements().await?);
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

    /// Per backend, the index feed: the card's head as a text prefix, columns read straight.
    pub async fn versions_after(&self, after: i64, limit: usize) -> Result<Vec<IndexedVersion>> {
        let reader = self.reader_client().await?;
        let (client, s) = (&reader.client, reader.statements().await?);
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

    /// Per backend, hot path: OIDs as an array per chunk, columns read straight.
    pub async fn current_cards_of(&self, oids: Vec<String>) -> Result<Vec<(String, i64, String)>> {
        let reader = self.reader_client().await?;
        let client = &reader.client;
        let mut found = Vec::with_capacity(oids.len());
        for chunk in oids.chunks(5_000) {
            let rows = client
                .query(
                    "SELECT oid, id, card FROM organization_versions
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

    /// Per backend: one transaction under the advisory lock, COPY per batch.
    pub async fn write_import(&self, mut batches: tokio::sync::mpsc::Receiver<crate::ImportBatch>) -> Result<()> {
        let mut client = self.writer().await?;
        let tx = client.transaction().await?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&VERSION_WRITE_LOCK]).await?;
        loop {
            match batches.recv().await {
                Some(crate::ImportBatch::Write { new, changed, audit }) => {
                    insert_organizations(&tx, &new).await?;
                    let changed: Vec<_> = changed.iter().map(|(record, expected)| (record, *expected)).collect();
                    append_many(&tx, &changed).await?;
                    append_audit(&tx, &audit).await?;
                }
                Some(crate::ImportBatch::Commit) => break,
                None => return Err(StoreError::Conflict("импорт прерван, ничего не записано".into())),
            }
        }
        tx.commit().await?;
        self.forgetting().forget_current_versions();
        Ok(())
    }
}

/// Writes new organizations (their first versions, by COPY) and moves the OID sequences past their
/// numbers.
/// Per backend, seeding's hot path: binary COPY.
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
        let top = highest.entry((i64::from(r.key.0), i64::from(r.key.1))).or_insert(0i64);
        *top = (*top).max(i64::from(r.key.2));
    }
    for ((kind, region), number) in highest {
        run(tx, &(crate::MOVE_OID_SEQUENCE, vec![kind.into(), region.into(), number.into()])).await?;
    }
    Ok(())
}

/// Statements in flight at once when an import appends versions.
const APPEND_PIPELINE: usize = 256;

/// Closes each `expected` current version (it must be its organization's current one) and writes
/// the record after it; the new versions' ids, in order. Pipelined: the closing of every current
/// version of a chunk is sent before any answer is awaited, then the new versions the same way. An
/// import changes thousands of cards: two round trips each were most of its time (4,300 changed
/// records a second).
/// Per backend: typed columns (`TIMESTAMPTZ`, `SMALLINT`) bound straight; pipelining is
/// tokio-postgres's.
async fn append_many(tx: &tokio_postgres::Transaction<'_>, changed: &[(&VersionRecord, i64)]) -> Result<Vec<i64>> {
    if changed.is_empty() {
        return Ok(Vec::new());
    }
    let close = tx
        .prepare("UPDATE organization_versions SET valid_to = $1 WHERE id = $2 AND oid = $3 AND valid_to IS NULL")
        .await?;
    let insert = tx
        .prepare(&format!(
            "INSERT INTO organization_versions ({VERSION_COLUMNS}, previous_id)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) RETURNING id"
        ))
        .await?;
    let mut ids = Vec::with_capacity(changed.len());
    for chunk in changed.chunks(APPEND_PIPELINE) {
        let (close, insert) = (&close, &insert);
        let closed = futures_util::future::try_join_all(
            chunk
                .iter()
                .map(|(r, expected)| async move { tx.execute(close, &[&r.valid_from, expected, &r.oid]).await }),
        )
        .await?;
        if let Some(((r, expected), _)) = chunk.iter().zip(&closed).find(|(_, closed)| **closed != 1) {
            return Err(StoreError::Conflict(format!("версия {expected} организации {} уже не действующая", r.oid)));
        }
        let versions = chunk.iter().map(|(r, _)| PgVersion::new(r)).collect::<Result<Vec<_>>>()?;
        let rows = futures_util::future::try_join_all(versions.iter().zip(chunk).map(|(version, (_, expected))| {
            let mut values = version.values().to_vec();
            values.push(expected);
            async move { tx.query_one(insert, &values).await }
        }))
        .await?;
        ids.extend(rows.iter().map(|row| row.get::<_, i64>(0)));
    }
    Ok(ids)
}
