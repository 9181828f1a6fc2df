//! Publications of the open register (migration 0010): numbered versions, their files and the
//! organizations whose record changed since the previous version.

use crate::sql::{Statement, Value, take_text as text};
use crate::{Result, Store};

/// A published version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NsiVersion {
    pub version: i64,
    pub published_at: i64,
    pub published_by: Option<i64>,
    /// The last organization version this publication had seen.
    pub watermark: i64,
    pub records: i64,
    pub added: i64,
    pub changed: i64,
    pub closed: i64,
    /// JSON: `[{"format", "key", "name", "size", "sha256"}]`.
    pub files: String,
}

macro_rules! version_select {
    ($tail:literal) => {
        concat!(
            "SELECT version, published_at, published_by, watermark, records, added, changed, closed, files FROM nsi_versions ",
            $tail
        )
    };
}

fn version(mut r: Vec<Value>) -> NsiVersion {
    NsiVersion {
        version: r[0].int().unwrap_or_default(),
        published_at: r[1].int().unwrap_or_default(),
        published_by: r[2].int(),
        watermark: r[3].int().unwrap_or_default(),
        records: r[4].int().unwrap_or_default(),
        added: r[5].int().unwrap_or_default(),
        changed: r[6].int().unwrap_or_default(),
        closed: r[7].int().unwrap_or_default(),
        files: text(&mut r, 8).unwrap_or_default(),
    }
}

impl Store {
    /// The newest organization version's id (0 in an empty register).
    pub async fn last_version_id(&self) -> Result<i64> {
        let rows = self.query("SELECT COALESCE(MAX(id), 0) FROM organization_versions", vec![]).await?;
        Ok(rows.first().and_then(|r| r[0].int()).unwrap_or_default())
    }

    pub async fn nsi_versions(&self) -> Result<Vec<NsiVersion>> {
        Ok(self.query(version_select!("ORDER BY version DESC"), vec![]).await?.into_iter().map(version).collect())
    }

    pub async fn nsi_version(&self, number: i64) -> Result<Option<NsiVersion>> {
        Ok(self
            .query(version_select!("WHERE version = $1"), vec![number.into()])
            .await?
            .into_iter()
            .next()
            .map(version))
    }

    /// Organizations with versions in `after..=upto`, each with the id of its first version ever.
    pub async fn organizations_changed_between(&self, after: i64, upto: i64) -> Result<Vec<(String, i64)>> {
        let rows = self
            .query(
                "SELECT c.oid, (SELECT MIN(f.id) FROM organization_versions f WHERE f.oid = c.oid)
                 FROM (SELECT DISTINCT oid FROM organization_versions WHERE id > $1 AND id <= $2) c ORDER BY c.oid",
                vec![after.into(), upto.into()],
            )
            .await?;
        Ok(rows
            .into_iter()
            .map(|mut r| (text(&mut r, 0).unwrap_or_default(), r[1].int().unwrap_or_default()))
            .collect())
    }

    /// The organization's card as it was when version `upto` was the newest: `(version id, JSON)`.
    pub async fn card_at(&self, oid: &str, upto: i64) -> Result<Option<(i64, String)>> {
        let rows = self
            .query(
                "SELECT id, card FROM organization_versions WHERE oid = $1 AND id <= $2 ORDER BY id DESC LIMIT 1",
                vec![oid.into(), upto.into()],
            )
            .await?;
        Ok(rows.into_iter().next().map(|mut r| (r[0].int().unwrap_or_default(), text(&mut r, 1).unwrap_or_default())))
    }

    /// How many organizations the register held when version `upto` was the newest.
    pub async fn count_cards_at(&self, upto: i64) -> Result<i64> {
        let rows = self
            .query("SELECT COUNT(DISTINCT oid) FROM organization_versions WHERE id <= $1", vec![upto.into()])
            .await?;
        Ok(rows.first().and_then(|r| r[0].int()).unwrap_or_default())
    }

    /// A page of the register as it was when version `upto` was the newest: each organization's
    /// card of that moment (JSON), in the order of those versions, `limit` from `offset`.
    pub async fn cards_at(&self, upto: i64, offset: i64, limit: i64) -> Result<Vec<String>> {
        let rows = self
            .query(
                // The page's version ids first, then only their cards (sorting the cards themselves
                // costs seconds at 100,000 organizations).
                "SELECT card FROM organization_versions WHERE id IN
                   (SELECT MAX(id) FROM organization_versions WHERE id <= $1 GROUP BY oid
                    ORDER BY MAX(id) LIMIT $2 OFFSET $3)
                 ORDER BY id",
                vec![upto.into(), limit.into(), offset.into()],
            )
            .await?;
        Ok(rows.into_iter().map(|mut r| text(&mut r, 0).unwrap_or_default()).collect())
    }

    /// Records version `v.version` with its changes, if `v.version - 1` is still the newest (two
    /// publishers never make the same number); `false` when another came first.
    pub async fn insert_nsi_version(
        &self,
        v: &NsiVersion,
        changes: &[(String, &'static str)],
        audit: Vec<crate::audit::AuditEntry>,
    ) -> Result<bool> {
        let mut statements: Vec<Statement> = vec![(
            "SELECT 1 WHERE COALESCE((SELECT MAX(version) FROM nsi_versions), 0) = $1",
            vec![(v.version - 1).into()],
        )];
        statements.push((
            "INSERT INTO nsi_versions (version, published_at, published_by, watermark, records, added, changed, closed, files)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            vec![
                v.version.into(),
                v.published_at.into(),
                v.published_by.into(),
                v.watermark.into(),
                v.records.into(),
                v.added.into(),
                v.changed.into(),
                v.closed.into(),
                v.files.as_str().into(),
            ],
        ));
        statements.extend(changes.iter().map(|(oid, change)| -> Statement {
            (
                "INSERT INTO nsi_changes (version, oid, change) VALUES ($1, $2, $3)",
                vec![v.version.into(), oid.as_str().into(), (*change).into()],
            )
        }));
        self.transact_guarded(statements, audit).await
    }

    /// The changes recorded by versions after `after` up to `upto`: `(version, oid, change)` in
    /// version order.
    pub async fn nsi_changes(&self, after: i64, upto: i64) -> Result<Vec<(i64, String, String)>> {
        let rows = self
            .query(
                "SELECT version, oid, change FROM nsi_changes WHERE version > $1 AND version <= $2 ORDER BY version, oid",
                vec![after.into(), upto.into()],
            )
            .await?;
        Ok(rows
            .into_iter()
            .map(|mut r| {
                (
                    r[0].int().unwrap_or_default(),
                    text(&mut r, 1).unwrap_or_default(),
                    text(&mut r, 2).unwrap_or_default(),
                )
            })
            .collect())
    }
}
