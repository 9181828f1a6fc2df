//! Change requests and their status history (migration 0004). Status changes are conditional on
//! the revision the decider saw: the statement returns no row when someone else moved first.

use frmo_domain::status::RequestStatus;

use crate::sql::{Statement, Transition, Value, take_code, take_text as text};
use crate::{Result, Store};

/// A change request as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestRecord {
    pub id: i64,
    /// `change` (of an organization's card) or `inclusion` (of a new organization).
    pub kind: String,
    pub org_oid: String,
    pub region: u8,
    pub author_id: i64,
    pub status: RequestStatus,
    pub base_version: i64,
    pub proposed: String,
    pub changes: String,
    pub reason: String,
    pub created_at: i64,
    pub submitted_at: Option<i64>,
    pub due_on: Option<String>,
    pub decided_at: Option<i64>,
    pub decided_by: Option<i64>,
    pub comment: Option<String>,
    pub applied_version: Option<i64>,
    pub revision: i64,
}

/// A step of a request's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestEvent {
    pub at: i64,
    pub user_id: Option<i64>,
    pub actor: String,
    pub status: RequestStatus,
    pub comment: Option<String>,
}

/// A new request.
#[derive(Debug, Clone)]
pub struct NewRequest<'a> {
    pub kind: &'a str,
    /// Empty for an application for inclusion.
    pub org_oid: &'a str,
    pub region: u8,
    pub author_id: i64,
    pub status: RequestStatus,
    pub base_version: i64,
    pub proposed: &'a str,
    pub changes: &'a str,
    pub reason: &'a str,
    pub now: i64,
    pub due_on: Option<&'a str>,
}

/// A status change: from which status and revision (as the decider saw them) to which, and what
/// else the request gets.
#[derive(Debug, Clone)]
pub struct StatusChange<'a> {
    pub id: i64,
    pub from: &'a [RequestStatus],
    pub revision: i64,
    pub to: RequestStatus,
    pub at: i64,
    pub user_id: i64,
    pub actor: &'a str,
    pub comment: Option<&'a str>,
}

macro_rules! request_select {
    ($tail:literal) => {
        concat!(
            "SELECT id, org_oid, region, author_id, status, base_version, proposed, changes, reason, created_at,
                submitted_at, due_on, decided_at, decided_by, comment, applied_version, revision, kind
             FROM change_requests ",
            $tail
        )
    };
}

fn record(mut r: Vec<Value>) -> Result<RequestRecord> {
    Ok(RequestRecord {
        id: r[0].int().unwrap_or_default(),
        org_oid: text(&mut r, 1).unwrap_or_default(),
        region: r[2].int().and_then(|v| u8::try_from(v).ok()).unwrap_or_default(),
        author_id: r[3].int().unwrap_or_default(),
        status: take_code(&mut r, 4, RequestStatus::parse, "request status")?,
        base_version: r[5].int().unwrap_or_default(),
        proposed: text(&mut r, 6).unwrap_or_default(),
        changes: text(&mut r, 7).unwrap_or_default(),
        reason: text(&mut r, 8).unwrap_or_default(),
        created_at: r[9].int().unwrap_or_default(),
        submitted_at: r[10].int(),
        due_on: text(&mut r, 11),
        decided_at: r[12].int(),
        decided_by: r[13].int(),
        comment: text(&mut r, 14),
        applied_version: r[15].int(),
        revision: r[16].int().unwrap_or_default(),
        kind: text(&mut r, 17).unwrap_or_default(),
    })
}

const EVENT: &str = "INSERT INTO request_events (at, user_id, actor, status, comment, request_id)
    VALUES ($1, $2, $3, $4, $5, $6)";

fn event(change: &StatusChange<'_>) -> Statement {
    (
        EVENT,
        vec![
            change.at.into(),
            change.user_id.into(),
            change.actor.into(),
            change.to.as_str().into(),
            change.comment.into(),
            change.id.into(),
        ],
    )
}

/// The guarded update of a status change; it returns the id only when the request was still in
/// one of `from` at `revision`. Up to three `from` statuses (unused ones repeat the first).
fn guard(change: &StatusChange<'_>, submitted_at: Option<i64>, due_on: Option<&str>) -> Statement {
    let from = |i: usize| change.from.get(i).or(change.from.first()).map_or("", |s| s.as_str());
    let decided = matches!(change.to, RequestStatus::Approved | RequestStatus::Rejected);
    (
        "UPDATE change_requests SET status = $1, revision = revision + 1,
             comment = coalesce($2, comment),
             decided_at = CASE WHEN $3 THEN $4 ELSE decided_at END,
             decided_by = CASE WHEN $3 THEN $5 ELSE decided_by END,
             submitted_at = coalesce($6, submitted_at),
             due_on = coalesce($7, due_on)
         WHERE id = $8 AND revision = $9 AND status IN ($10, $11, $12)
         RETURNING id",
        vec![
            change.to.as_str().into(),
            change.comment.into(),
            decided.into(),
            change.at.into(),
            change.user_id.into(),
            submitted_at.into(),
            due_on.into(),
            change.id.into(),
            change.revision.into(),
            from(0).into(),
            from(1).into(),
            from(2).into(),
        ],
    )
}

impl Store {
    /// Creates a request with its first history step; its id.
    pub async fn create_request(&self, new: &NewRequest<'_>, actor: &str) -> Result<i64> {
        let submitted_at = (new.status == RequestStatus::Submitted).then_some(new.now);
        let first: Statement = (
            "INSERT INTO change_requests (org_oid, region, author_id, status, base_version, proposed, changes, reason,
                 created_at, submitted_at, due_on, kind)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
            vec![
                new.org_oid.into(),
                i64::from(new.region).into(),
                new.author_id.into(),
                new.status.as_str().into(),
                new.base_version.into(),
                new.proposed.into(),
                new.changes.into(),
                new.reason.into(),
                new.now.into(),
                submitted_at.into(),
                new.due_on.into(),
                new.kind.into(),
            ],
        );
        let step: Statement =
            (EVENT, vec![new.now.into(), new.author_id.into(), actor.into(), new.status.as_str().into(), Value::Null]);
        self.insert_with(first, vec![step]).await
    }

    pub async fn request(&self, id: i64) -> Result<Option<RequestRecord>> {
        let rows = self.query(request_select!("WHERE id = $1"), vec![id.into()]).await?;
        rows.into_iter().next().map(record).transpose()
    }

    /// A person's requests, newest first.
    pub async fn requests_of_author(&self, author_id: i64, limit: i64) -> Result<Vec<RequestRecord>> {
        let rows = self
            .query(
                request_select!("WHERE author_id = $1 ORDER BY id DESC LIMIT $2"),
                vec![author_id.into(), limit.into()],
            )
            .await?;
        rows.into_iter().map(record).collect()
    }

    /// Requests waiting for a decision, oldest submission first; `regions` empty means all.
    pub async fn submitted_requests(&self, regions: &[u8], limit: i64) -> Result<Vec<RequestRecord>> {
        let mut list = Vec::new();
        if regions.is_empty() {
            let rows = self
                .query(
                    request_select!("WHERE status = 'submitted' ORDER BY submitted_at, id LIMIT $1"),
                    vec![limit.into()],
                )
                .await?;
            list.extend(rows.into_iter().map(record).collect::<Result<Vec<_>>>()?);
        }
        for &region in regions {
            let rows = self
                .query(
                    request_select!("WHERE region = $1 AND status = 'submitted' ORDER BY submitted_at, id LIMIT $2"),
                    vec![i64::from(region).into(), limit.into()],
                )
                .await?;
            list.extend(rows.into_iter().map(record).collect::<Result<Vec<_>>>()?);
        }
        list.sort_by_key(|r| (r.submitted_at, r.id));
        list.truncate(usize::try_from(limit).unwrap_or(0));
        Ok(list)
    }

    /// Requests submitted since `since` (unix seconds) in `regions` (empty: all), for statistics.
    pub async fn requests_submitted_since(&self, since: i64, regions: &[u8]) -> Result<Vec<RequestRecord>> {
        let rows = self.query(request_select!("WHERE submitted_at >= $1 ORDER BY id"), vec![since.into()]).await?;
        rows.into_iter()
            .map(record)
            .filter(|r| r.as_ref().map_or(true, |r| regions.is_empty() || regions.contains(&r.region)))
            .collect()
    }

    /// An organization's requests, newest first.
    pub async fn requests_of_org(&self, oid: &str, limit: i64) -> Result<Vec<RequestRecord>> {
        let rows = self
            .query(request_select!("WHERE org_oid = $1 ORDER BY id DESC LIMIT $2"), vec![oid.into(), limit.into()])
            .await?;
        rows.into_iter().map(record).collect()
    }

    /// The 50 latest requests `author_id` made about `oid`, newest first. (The limit is written into
    /// the statement: SQLite re-prepares a statement whose bound LIMIT changes its plan.)
    pub async fn requests_of_author_for_org(&self, oid: &str, author_id: i64) -> Result<Vec<RequestRecord>> {
        let rows = self
            .query(
                request_select!("WHERE author_id = $1 AND org_oid = $2 ORDER BY id DESC LIMIT 50"),
                vec![author_id.into(), oid.into()],
            )
            .await?;
        rows.into_iter().map(record).collect()
    }

    pub async fn request_events(&self, id: i64) -> Result<Vec<RequestEvent>> {
        let rows = self
            .query(
                "SELECT at, user_id, actor, status, comment FROM request_events WHERE request_id = $1 ORDER BY id",
                vec![id.into()],
            )
            .await?;
        rows.into_iter()
            .map(|mut r| {
                Ok(RequestEvent {
                    at: r[0].int().unwrap_or_default(),
                    user_id: r[1].int(),
                    actor: text(&mut r, 2).unwrap_or_default(),
                    status: take_code(&mut r, 3, RequestStatus::parse, "request status")?,
                    comment: text(&mut r, 4),
                })
            })
            .collect()
    }

    /// Moves a request to another status unless someone moved it first (then `false`). A
    /// resubmission also replaces the proposal (`proposal`: card, changes, reason, base version).
    /// `notices` (notifications, mail) are written with it, or not at all.
    pub async fn change_request_status(
        &self,
        change: &StatusChange<'_>,
        submitted: Option<(i64, &str)>,
        proposal: Option<(&str, &str, &str, i64)>,
        audit: Vec<crate::audit::AuditEntry>,
        notices: Vec<Statement>,
    ) -> Result<bool> {
        let mut statements = vec![guard(change, submitted.map(|s| s.0), submitted.map(|s| s.1))];
        if let Some((proposed, changes, reason, base_version)) = proposal {
            statements.push((
                "UPDATE change_requests SET proposed = $1, changes = $2, reason = $3, base_version = $4 WHERE id = $5
                 AND revision = $6",
                vec![
                    proposed.into(),
                    changes.into(),
                    reason.into(),
                    base_version.into(),
                    change.id.into(),
                    (change.revision + 1).into(),
                ],
            ));
        }
        // The history step and the journal entry are written only when the guard lets the change through.
        statements.push(event(change));
        statements.extend(notices);
        self.transact_guarded(statements, audit).await
    }

    /// Approves an application for inclusion: the new organization, the application's status,
    /// OID and history, the journal entries and the notices, in one transaction.
    pub async fn approve_application(
        &self,
        change: &StatusChange<'_>,
        record: crate::VersionRecord,
        audit: Vec<crate::audit::AuditEntry>,
        notices: Vec<Statement>,
        conflict: String,
    ) -> Result<()> {
        let oid = record.oid.clone();
        let transition = Transition {
            guard: Some(guard(change, None, None)),
            conflict,
            after: vec![
                event(change),
                (
                    "UPDATE change_requests SET org_oid = $1,
                         applied_version = (SELECT id FROM organization_versions WHERE oid = $1 AND valid_to IS NULL)
                     WHERE id = $2",
                    vec![oid.into(), change.id.into()],
                ),
            ]
            .into_iter()
            .chain(notices)
            .collect(),
        };
        self.insert_new_with(vec![record], audit, transition).await
    }

    /// Applications for inclusion waiting or decided with these identifiers (duplicates of a new
    /// application): `inn` and, when given, `kpp`.
    pub async fn applications_with_inn(&self, inn: &str) -> Result<Vec<RequestRecord>> {
        let rows = self
            .query(
                request_select!(
                    "WHERE kind = 'inclusion' AND status IN ('submitted', 'returned', 'draft') ORDER BY id"
                ),
                vec![],
            )
            .await?;
        Ok(rows
            .into_iter()
            .map(record)
            .collect::<Result<Vec<_>>>()?
            .into_iter()
            .filter(|r| serde_json::from_str::<serde_json::Value>(&r.proposed).is_ok_and(|card| card["inn"] == inn))
            .collect())
    }

    /// Approves a request: its new card version, the request's status and history, and the journal
    /// entry, in one transaction; `Conflict` when the request moved or the card changed meanwhile.
    pub async fn approve_request(
        &self,
        change: &StatusChange<'_>,
        record: crate::VersionRecord,
        base_version: i64,
        audit: Vec<crate::audit::AuditEntry>,
        notices: Vec<Statement>,
        conflict: String,
    ) -> Result<i64> {
        let transition = Transition {
            guard: Some(guard(change, None, None)),
            conflict,
            after: vec![
                event(change),
                (
                    "UPDATE change_requests SET applied_version =
                         (SELECT id FROM organization_versions WHERE oid = $1 AND valid_to IS NULL)
                     WHERE id = $2",
                    vec![record.oid.as_str().into(), change.id.into()],
                ),
            ]
            .into_iter()
            .chain(notices)
            .collect(),
        };
        self.append_version_with(record, base_version, audit, transition).await
    }
}
