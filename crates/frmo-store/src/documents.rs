//! Documents of organizations (migration 0007): the rows that name files in the object store.
//! A replacement marks the old version in the same transaction that adds the new one, guarded so
//! that of two replacements of one version exactly one lands.

use crate::sql::{Statement, Value, take_text as text};
use crate::{Result, Store, StoreError};

/// A stored document version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentRecord {
    pub id: i64,
    pub oid: String,
    pub series: String,
    pub version: i64,
    pub kind: i64,
    pub number: String,
    /// `YYYY-MM-DD`.
    pub issued_on: String,
    pub valid_until: Option<String>,
    pub public: bool,
    pub file_key: String,
    pub file_name: String,
    pub media_type: String,
    pub size: i64,
    pub sha256: String,
    pub signature_key: Option<String>,
    pub signature_name: Option<String>,
    /// The signature's verdict at upload, as JSON.
    pub verdict: Option<String>,
    pub uploaded_by: Option<i64>,
    pub uploaded_at: i64,
    pub replaced_at: Option<i64>,
}

macro_rules! document_select {
    ($rest:literal) => {
        concat!(
            "SELECT id, oid, series, version, kind, number, issued_on, valid_until, public, file_key, file_name,
                    media_type, size, sha256, signature_key, signature_name, verdict, uploaded_by, uploaded_at,
                    replaced_at
             FROM documents",
            $rest
        )
    };
}

fn record(mut r: Vec<Value>) -> DocumentRecord {
    DocumentRecord {
        id: r[0].int().unwrap_or_default(),
        oid: text(&mut r, 1).unwrap_or_default(),
        series: text(&mut r, 2).unwrap_or_default(),
        version: r[3].int().unwrap_or_default(),
        kind: r[4].int().unwrap_or_default(),
        number: text(&mut r, 5).unwrap_or_default(),
        issued_on: text(&mut r, 6).unwrap_or_default(),
        valid_until: text(&mut r, 7),
        public: r[8].flag(),
        file_key: text(&mut r, 9).unwrap_or_default(),
        file_name: text(&mut r, 10).unwrap_or_default(),
        media_type: text(&mut r, 11).unwrap_or_default(),
        size: r[12].int().unwrap_or_default(),
        sha256: text(&mut r, 13).unwrap_or_default(),
        signature_key: text(&mut r, 14),
        signature_name: text(&mut r, 15),
        verdict: text(&mut r, 16),
        uploaded_by: r[17].int(),
        uploaded_at: r[18].int().unwrap_or_default(),
        replaced_at: r[19].int(),
    }
}

impl Store {
    /// Writes a document version with its journal entries in one transaction. With `replaces`, that
    /// version (of the same organization, still current) is marked replaced and the new one joins
    /// its series; if it is no longer current, nothing is written and `Conflict` says so.
    pub async fn insert_document(
        &self,
        document: &DocumentRecord,
        replaces: Option<i64>,
        audit: Vec<crate::audit::AuditEntry>,
    ) -> Result<i64> {
        let d = document;
        let guard: Statement = match replaces {
            Some(old) => (
                "UPDATE documents SET replaced_at = $2 WHERE id = $1 AND oid = $3 AND series = $4 AND replaced_at IS NULL
                 RETURNING id",
                vec![old.into(), d.uploaded_at.into(), d.oid.as_str().into(), d.series.as_str().into()],
            ),
            None => ("SELECT oid FROM organizations WHERE oid = $1", vec![d.oid.as_str().into()]),
        };
        let insert: Statement = (
            "INSERT INTO documents (oid, series, version, kind, number, issued_on, valid_until, public, file_key,
                 file_name, media_type, size, sha256, signature_key, signature_name, verdict, uploaded_by, uploaded_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)",
            vec![
                d.oid.as_str().into(),
                d.series.as_str().into(),
                d.version.into(),
                d.kind.into(),
                d.number.as_str().into(),
                d.issued_on.as_str().into(),
                d.valid_until.clone().into(),
                d.public.into(),
                d.file_key.as_str().into(),
                d.file_name.as_str().into(),
                d.media_type.as_str().into(),
                d.size.into(),
                d.sha256.as_str().into(),
                d.signature_key.clone().into(),
                d.signature_name.clone().into(),
                d.verdict.clone().into(),
                d.uploaded_by.into(),
                d.uploaded_at.into(),
            ],
        );
        if !self.transact_guarded(vec![guard, insert], audit).await? {
            return Err(StoreError::Conflict(match replaces {
                Some(_) => "Этот документ уже заменён или удалён; обновите страницу".into(),
                None => format!("Организация {} в реестре не найдена", d.oid),
            }));
        }
        let rows = self.query("SELECT id FROM documents WHERE file_key = $1", vec![d.file_key.as_str().into()]).await?;
        crate::sql::returned_id(rows)
    }

    /// Every version of every document of an organization, newest first.
    pub async fn documents_of(&self, oid: &str) -> Result<Vec<DocumentRecord>> {
        let rows = self.query(document_select!(" WHERE oid = $1 ORDER BY id DESC"), vec![oid.into()]).await?;
        Ok(rows.into_iter().map(record).collect())
    }

    pub async fn document(&self, id: i64) -> Result<Option<DocumentRecord>> {
        let rows = self.query(document_select!(" WHERE id = $1"), vec![id.into()]).await?;
        Ok(rows.into_iter().next().map(record))
    }

    /// The object keys (files and signatures) the rows of an organization name.
    pub async fn document_keys_of(&self, oid: &str) -> Result<Vec<String>> {
        let rows = self.query("SELECT file_key, signature_key FROM documents WHERE oid = $1", vec![oid.into()]).await?;
        Ok(rows.into_iter().flat_map(|mut r| [text(&mut r, 0), text(&mut r, 1)]).flatten().collect())
    }

    /// Current documents valid until `until` (inclusive, `YYYY-MM-DD`) and not yet reminded of.
    pub async fn documents_to_remind(&self, until: &str, limit: i64) -> Result<Vec<DocumentRecord>> {
        let rows = self
            .query(
                document_select!(
                    " WHERE replaced_at IS NULL AND reminded_at IS NULL AND valid_until IS NOT NULL
                      AND valid_until <= $1 ORDER BY valid_until, id LIMIT $2"
                ),
                vec![until.into(), limit.into()],
            )
            .await?;
        Ok(rows.into_iter().map(record).collect())
    }

    /// Marks a document reminded of and runs `notices` with it, once: `false` when another worker
    /// came first.
    pub async fn remind_document(&self, id: i64, now: i64, notices: Vec<Statement>) -> Result<bool> {
        let mut statements: Vec<Statement> = vec![(
            "UPDATE documents SET reminded_at = $2 WHERE id = $1 AND reminded_at IS NULL RETURNING id",
            vec![id.into(), now.into()],
        )];
        statements.extend(notices);
        self.transact_guarded(statements, Vec::new()).await
    }
}
