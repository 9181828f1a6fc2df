//! SQLite's code for the organization tables (organizations, their versions, the OID sequences)
//! that stays per backend by reason: timestamps are fixed-width UTC text here (`stamp`), and the
//! hot paths — the card read, the result list, the index feed, seeding and imports — bind and read
//! columns straight through rusqlite, without the portable runner's rows of values. The statements
//! that are the same in both dialects are portable ones in `lib.rs`.

use rusqlite::{OptionalExtension, params};
use time::OffsetDateTime;

use super::{ANALYSIS_LIMIT, SqliteStore, WAL_AUTOCHECKPOINT, append_audit, connect, parse_stamp, run, stamp};
use crate::backend::parse_status;
use crate::search::head::{HEAD_BYTES, read_head};
use crate::search::index::IndexedVersion;
use crate::{BulkLoad, CardRow, Identifier, ListItem, Result, StoreError, VersionRecord};

/// Writes one version row; `previous` is the version it supersedes.
/// `from` is `r.valid_from` as stored.
/// Per backend, seeding's hot path: the columns bound straight, times as stamps.
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
/// Per backend, seeding's hot path: prepared inserts are SQLite's fastest load.
fn insert_organizations(tx: &rusqlite::Transaction<'_>, records: &[VersionRecord]) -> Result<()> {
    let mut org = tx.prepare_cached(
        "INSERT INTO organizations (oid, kind, region, number, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
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
        run(
            tx,
            crate::MOVE_OID_SEQUENCE,
            &[i64::from(kind).into(), i64::from(region).into(), i64::from(number).into()],
        )?;
    }
    Ok(())
}

/// Closes `expected_current` (it must be the organization's current version) and writes `r` after it.
/// Per backend: times are stamps here (`TIMESTAMPTZ` in PostgreSQL).
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
    /// Per backend: new organizations through `insert_organizations` in the one writer.
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
    /// Per backend: indexes from `sqlite_master`, WAL checkpoints paused.
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
    /// Per backend: index rebuild beside a WAL checkpoint, sampled `ANALYZE`.
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

    /// Per backend: through `append_in` in the one writer.
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

    /// Per backend, hot path: read on the calling thread straight into a `CardRow`.
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

    /// Per backend, hot path (the ИНН, ОГРН, КПП and OID search): ids read straight, without the
    /// runner's rows of values; the statement is the one text of `Identifier::lookup`.
    pub async fn versions_with(&self, identifier: Identifier, value: &str) -> Result<Vec<i64>> {
        self.point(|c| {
            let mut stmt = c.prepare_cached(super::spelled(identifier.lookup()))?;
            let ids = stmt.query_map([value], |r| r.get(0))?.collect::<rusqlite::Result<Vec<i64>>>()?;
            Ok(ids)
        })
    }

    /// Per backend, hot path: the ids as one JSON parameter, columns read straight.
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

    /// Per backend, the index feed: the card's head as a blob prefix, columns read straight.
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

    /// Per backend: a connection of its own without the memory map.
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

    /// Per backend, hot path: OIDs as one JSON parameter per chunk, columns read straight.
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

    /// Per backend: one writer transaction fed from a channel on its blocking thread.
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
}
