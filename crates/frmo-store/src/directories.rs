//! Reference directories installed from НСИ downloads (migration 0018) and the codes the register
//! stores, re-numbered in the same transaction that installs a directory: plain columns by SQL,
//! persons' `details` JSON rewritten by the caller and written back only if unchanged meanwhile.

use crate::audit::AuditEntry;
use crate::sql::take_text as text;
use crate::{Result, Store};

/// A directory as installed: its entries as JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstalledDirectory {
    pub id: String,
    pub oid: String,
    pub name: String,
    pub version: String,
    pub source: String,
    /// JSON `[{"id", "name", "parent_id"?}]`.
    pub entries: String,
    pub installed_at: i64,
}

/// A person's `details` JSON rewritten: written only while it still reads `before`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DetailsRewrite {
    pub person_id: i64,
    pub before: String,
    pub after: String,
}

/// An organization version's card JSON rewritten, with the code columns kept beside it; written
/// only while the card still reads `before`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardRewrite {
    pub version_id: i64,
    pub before: String,
    pub after: String,
    pub org_type: i64,
    pub agency_kind: i64,
}

/// A change request's proposed card and its list of changes rewritten; written only while both
/// still read `before`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestRewrite {
    pub request_id: i64,
    pub proposed: (String, String),
    pub changes: (String, String),
}

/// One JSON value of the register rewritten because the codes inside it moved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rewrite {
    Details(DetailsRewrite),
    Card(CardRewrite),
    Request(RequestRewrite),
}

impl From<DetailsRewrite> for Rewrite {
    fn from(rewrite: DetailsRewrite) -> Self {
        Rewrite::Details(rewrite)
    }
}

impl Rewrite {
    /// The checked update (it returns the row's id only when the row still read `before`).
    fn statement(self) -> crate::sql::Statement {
        match self {
            Rewrite::Details(d) => (
                "UPDATE persons SET details = $1 WHERE id = $2 AND details = $3 RETURNING id",
                vec![d.after.into(), d.person_id.into(), d.before.into()],
            ),
            Rewrite::Card(c) => (
                "UPDATE organization_versions SET card = $1, org_type = $2, agency_kind = $3
                 WHERE id = $4 AND card = $5 RETURNING id",
                vec![c.after.into(), c.org_type.into(), c.agency_kind.into(), c.version_id.into(), c.before.into()],
            ),
            Rewrite::Request(r) => (
                "UPDATE change_requests SET proposed = $1, changes = $2
                 WHERE id = $3 AND proposed = $4 AND changes = $5 RETURNING id",
                vec![
                    r.proposed.1.into(),
                    r.changes.1.into(),
                    r.request_id.into(),
                    r.proposed.0.into(),
                    r.changes.0.into(),
                ],
            ),
        }
    }
}

/// A column that holds codes of a directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeColumn {
    /// `employment_cards.position` (positions).
    EmploymentPosition,
    /// `staffing.position` (positions).
    StaffingPosition,
    /// `employment_cards.position_type` (employment types).
    EmploymentType,
    /// `employment_cards.dismissal_reason` (dismissal reasons).
    DismissalReason,
    /// `worker_credentials.specialty` (specialties).
    CredentialSpecialty,
}

impl CodeColumn {
    /// The distinct codes stored; moving code `$1` to the placeholder `-$2 - 1`; placeholders back.
    /// Two steps, so that a permutation (4 → 109 while 109 → 4) never meets itself mid-way.
    fn sql(self) -> [&'static str; 3] {
        macro_rules! column {
            ($table:literal, $column:literal) => {
                [
                    concat!("SELECT DISTINCT ", $column, " FROM ", $table, " WHERE ", $column, " IS NOT NULL"),
                    concat!("UPDATE ", $table, " SET ", $column, " = -CAST($2 AS BIGINT) - 1 WHERE ", $column, " = $1"),
                    concat!("UPDATE ", $table, " SET ", $column, " = -", $column, " - 1 WHERE ", $column, " < 0"),
                ]
            };
        }
        match self {
            CodeColumn::EmploymentPosition => column!("employment_cards", "position"),
            CodeColumn::StaffingPosition => column!("staffing", "position"),
            CodeColumn::EmploymentType => column!("employment_cards", "position_type"),
            CodeColumn::DismissalReason => column!("employment_cards", "dismissal_reason"),
            CodeColumn::CredentialSpecialty => column!("worker_credentials", "specialty"),
        }
    }
}

impl Store {
    /// Every installed directory.
    pub async fn installed_directories(&self) -> Result<Vec<InstalledDirectory>> {
        let rows = self
            .query(
                "SELECT id, oid, name, version, source, entries, installed_at FROM reference_directories ORDER BY id",
                Vec::new(),
            )
            .await?;
        Ok(rows
            .into_iter()
            .map(|mut r| InstalledDirectory {
                id: text(&mut r, 0).unwrap_or_default(),
                oid: text(&mut r, 1).unwrap_or_default(),
                name: text(&mut r, 2).unwrap_or_default(),
                version: text(&mut r, 3).unwrap_or_default(),
                source: text(&mut r, 4).unwrap_or_default(),
                entries: text(&mut r, 5).unwrap_or_default(),
                installed_at: r[6].int().unwrap_or_default(),
            })
            .collect())
    }

    /// What tells one installation of the directories from another: each installed directory's id,
    /// version and time of installation (a few rows, read by every process's follow of the store).
    /// Sorted by id byte by byte (not by the database's collation).
    pub async fn directories_stamp(&self) -> Result<Vec<(String, String, i64)>> {
        let rows = self.query("SELECT id, version, installed_at FROM reference_directories", Vec::new()).await?;
        let mut stamp: Vec<_> = rows
            .into_iter()
            .map(|mut r| {
                (
                    text(&mut r, 0).unwrap_or_default(),
                    text(&mut r, 1).unwrap_or_default(),
                    r[2].int().unwrap_or_default(),
                )
            })
            .collect();
        stamp.sort();
        Ok(stamp)
    }

    /// The codes stored in `column`.
    pub async fn codes_in_use(&self, column: CodeColumn) -> Result<Vec<i64>> {
        let rows = self.query(column.sql()[0], Vec::new()).await?;
        Ok(rows.iter().filter_map(|r| r.first().and_then(crate::sql::Value::int)).collect())
    }

    /// Every person's `details` JSON, by id.
    pub async fn all_person_details(&self) -> Result<Vec<(i64, String)>> {
        let rows = self.query("SELECT id, details FROM persons ORDER BY id", Vec::new()).await?;
        Ok(rows
            .into_iter()
            .map(|mut r| (r[0].int().unwrap_or_default(), text(&mut r, 1).unwrap_or_default()))
            .collect())
    }

    /// Every organization version's card JSON, by version id.
    pub async fn all_cards(&self) -> Result<Vec<(i64, String)>> {
        let rows = self.query("SELECT id, card FROM organization_versions ORDER BY id", Vec::new()).await?;
        Ok(rows
            .into_iter()
            .map(|mut r| (r[0].int().unwrap_or_default(), text(&mut r, 1).unwrap_or_default()))
            .collect())
    }

    /// Every change request's (and application's) proposed card and changes JSON, by id.
    pub async fn all_request_cards(&self) -> Result<Vec<(i64, String, String)>> {
        let rows = self.query("SELECT id, proposed, changes FROM change_requests ORDER BY id", Vec::new()).await?;
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

    /// Installs `directory` (replacing an installed one of its id), moves every stored code of
    /// `columns` from `old` to `new` for each pair of `remap`, writes the `rewrites` of persons'
    /// details, cards and requests, and journals `audit`: all in one transaction, none of it when
    /// a rewritten value changed meanwhile (a `Conflict`).
    pub async fn install_directory(
        &self,
        directory: &InstalledDirectory,
        columns: &[CodeColumn],
        remap: &[(i64, i64)],
        rewrites: Vec<Rewrite>,
        audit: AuditEntry,
    ) -> Result<()> {
        let d = directory.clone();
        let mut statements: Vec<crate::sql::Statement> = vec![(
            "INSERT INTO reference_directories (id, oid, name, version, source, entries, installed_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (id) DO UPDATE SET oid = excluded.oid, name = excluded.name, version = excluded.version,
                 source = excluded.source, entries = excluded.entries, installed_at = excluded.installed_at
             RETURNING id",
            vec![
                d.id.into(),
                d.oid.into(),
                d.name.into(),
                d.version.into(),
                d.source.into(),
                d.entries.into(),
                d.installed_at.into(),
            ],
        )];
        for column in columns {
            let [_, park, back] = column.sql();
            statements.extend(remap.iter().map(|&(old, new)| (park, vec![old.into(), new.into()])));
            statements.push((back, Vec::new()));
        }
        let checked_from = statements.len();
        statements.extend(rewrites.into_iter().map(Rewrite::statement));
        self.transact_checked(statements, checked_from, vec![audit]).await
    }
}
