//! Support requests, their conversation, attachments and the re-classified texts the topic model
//! learns from (migration 0011). A step (answer, status, assignment, re-classification, rating) is
//! guarded by the revision its author saw: of two steps at once exactly one lands.

use frmo_domain::status::SupportStatus;

use crate::audit::AuditEntry;
use crate::sql::{Statement, Value, take_code, take_text as text};
use crate::{Result, Store};

/// A support request as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupportRecord {
    pub id: i64,
    pub author_id: Option<i64>,
    pub email: Option<String>,
    pub org_oid: String,
    pub region: Option<u8>,
    pub chosen_topic: Option<String>,
    pub topic: String,
    pub topic_basis: String,
    pub queue: String,
    pub body: String,
    pub page: String,
    pub error_code: String,
    pub error_request: String,
    pub status: SupportStatus,
    pub assignee_id: Option<i64>,
    pub created_at: i64,
    pub due_at: i64,
    pub first_answer_at: Option<i64>,
    pub resolved_at: Option<i64>,
    pub rating: Option<i64>,
    pub revision: i64,
}

/// A message of the conversation (or a status step, with `status`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupportMessage {
    pub at: i64,
    pub user_id: Option<i64>,
    pub actor: String,
    pub staff: bool,
    pub body: String,
    pub status: Option<SupportStatus>,
}

/// A file attached to a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupportAttachment {
    pub id: i64,
    pub request_id: i64,
    pub file_key: String,
    pub name: String,
    pub format: String,
    pub size: i64,
    pub sha256: String,
}

/// A new request; `actor` names its author in the conversation.
#[derive(Debug, Clone)]
pub struct NewSupportRequest<'a> {
    pub author_id: Option<i64>,
    pub email: Option<&'a str>,
    pub org_oid: &'a str,
    pub region: Option<u8>,
    pub chosen_topic: Option<&'a str>,
    pub topic: &'a str,
    pub topic_basis: &'a str,
    pub queue: &'a str,
    pub body: &'a str,
    pub page: &'a str,
    pub error_code: &'a str,
    pub error_request: &'a str,
    pub now: i64,
    pub due_at: i64,
    pub actor: &'a str,
}

/// A step on a request, taken only while it is in one of `from` at `revision`.
#[derive(Debug, Clone, Default)]
pub struct SupportStep<'a> {
    pub id: i64,
    pub revision: i64,
    /// At most five statuses.
    pub from: &'a [SupportStatus],
    pub to: SupportStatus,
    pub at: i64,
    pub user_id: Option<i64>,
    pub actor: &'a str,
    pub assignee: Option<i64>,
    /// A new topic: (topic, basis, queue, due_at), and the text to learn it from.
    pub topic: Option<(&'a str, &'a str, &'a str, i64)>,
    pub training: Option<&'a str>,
    /// Staff's first answer stamps `first_answer_at`.
    pub staff_answer: bool,
    pub resolved: bool,
    pub reopened: bool,
    pub rating: Option<i64>,
    /// A message for the conversation: (body, from staff).
    pub message: Option<(&'a str, bool)>,
}

macro_rules! support_select {
    ($tail:literal) => {
        concat!(
            "SELECT id, author_id, email, org_oid, region, chosen_topic, topic, topic_basis, queue, body,
                page, error_code, error_request, status, assignee_id, created_at, due_at, first_answer_at,
                resolved_at, rating, revision FROM support_requests ",
            $tail
        )
    };
}

fn record(mut r: Vec<Value>) -> Result<SupportRecord> {
    Ok(SupportRecord {
        id: r[0].int().unwrap_or_default(),
        author_id: r[1].int(),
        email: text(&mut r, 2),
        org_oid: text(&mut r, 3).unwrap_or_default(),
        region: r[4].int().and_then(|v| u8::try_from(v).ok()),
        chosen_topic: text(&mut r, 5),
        topic: text(&mut r, 6).unwrap_or_default(),
        topic_basis: text(&mut r, 7).unwrap_or_default(),
        queue: text(&mut r, 8).unwrap_or_default(),
        body: text(&mut r, 9).unwrap_or_default(),
        page: text(&mut r, 10).unwrap_or_default(),
        error_code: text(&mut r, 11).unwrap_or_default(),
        error_request: text(&mut r, 12).unwrap_or_default(),
        status: take_code(&mut r, 13, SupportStatus::parse, "support status")?,
        assignee_id: r[14].int(),
        created_at: r[15].int().unwrap_or_default(),
        due_at: r[16].int().unwrap_or_default(),
        first_answer_at: r[17].int(),
        resolved_at: r[18].int(),
        rating: r[19].int(),
        revision: r[20].int().unwrap_or_default(),
    })
}

const MESSAGE: &str = "INSERT INTO support_messages (at, user_id, actor, staff, body, status, request_id)
    VALUES ($1, $2, $3, $4, $5, $6, $7)";

/// The statement that attaches a stored file to the request whose id is bound last.
pub fn attachment_statement(file_key: &str, name: &str, format: &str, size: i64, sha256: &str) -> Statement {
    (
        "INSERT INTO support_attachments (file_key, name, format, size, sha256, request_id)
         VALUES ($1, $2, $3, $4, $5, $6)",
        vec![file_key.into(), name.into(), format.into(), size.into(), sha256.into()],
    )
}

impl Store {
    /// Creates a request with its text as the first message and its `attachments`
    /// ([`attachment_statement`]s); its id.
    pub async fn create_support_request(
        &self,
        new: &NewSupportRequest<'_>,
        attachments: Vec<Statement>,
    ) -> Result<i64> {
        let first: Statement = (
            "INSERT INTO support_requests (author_id, email, org_oid, region, chosen_topic, topic, topic_basis, queue,
                 body, page, error_code, error_request, status, created_at, due_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $15, $13, $14) RETURNING id",
            vec![
                new.author_id.into(),
                new.email.into(),
                new.org_oid.into(),
                new.region.map(i64::from).into(),
                new.chosen_topic.into(),
                new.topic.into(),
                new.topic_basis.into(),
                new.queue.into(),
                new.body.into(),
                new.page.into(),
                new.error_code.into(),
                new.error_request.into(),
                new.now.into(),
                new.due_at.into(),
                SupportStatus::New.as_str().into(),
            ],
        );
        let message: Statement = (
            MESSAGE,
            vec![
                new.now.into(),
                new.author_id.into(),
                new.actor.into(),
                false.into(),
                new.body.into(),
                SupportStatus::New.as_str().into(),
            ],
        );
        let then = std::iter::once(message).chain(attachments).collect();
        self.insert_with(first, then).await
    }

    pub async fn support_request(&self, id: i64) -> Result<Option<SupportRecord>> {
        let rows = self.query(support_select!("WHERE id = $1"), vec![id.into()]).await?;
        rows.into_iter().next().map(record).transpose()
    }

    /// A person's requests, newest first.
    pub async fn support_requests_of(&self, author_id: i64, limit: i64) -> Result<Vec<SupportRecord>> {
        let rows = self
            .query(
                support_select!("WHERE author_id = $1 ORDER BY id DESC LIMIT $2"),
                vec![author_id.into(), limit.into()],
            )
            .await?;
        rows.into_iter().map(record).collect()
    }

    /// Requests not closed, the nearest deadline first (the operators' queue before filtering by
    /// what each may see).
    pub async fn open_support_requests(&self, limit: i64) -> Result<Vec<SupportRecord>> {
        let rows = self
            .query(support_select!("WHERE status <> 'closed' ORDER BY due_at, id LIMIT $1"), vec![limit.into()])
            .await?;
        rows.into_iter().map(record).collect()
    }

    /// Requests created in `[from, to)` (unix seconds), for statistics.
    pub async fn support_requests_between(&self, from: i64, to: i64) -> Result<Vec<SupportRecord>> {
        let rows = self
            .query(
                support_select!("WHERE created_at >= $1 AND created_at < $2 ORDER BY id"),
                vec![from.into(), to.into()],
            )
            .await?;
        rows.into_iter().map(record).collect()
    }

    pub async fn support_messages(&self, request_id: i64) -> Result<Vec<SupportMessage>> {
        let rows = self
            .query(
                "SELECT at, user_id, actor, staff, body, status FROM support_messages WHERE request_id = $1 ORDER BY id",
                vec![request_id.into()],
            )
            .await?;
        Ok(rows
            .into_iter()
            .map(|mut r| SupportMessage {
                at: r[0].int().unwrap_or_default(),
                user_id: r[1].int(),
                actor: text(&mut r, 2).unwrap_or_default(),
                staff: r[3].flag(),
                body: text(&mut r, 4).unwrap_or_default(),
                status: text(&mut r, 5).as_deref().and_then(SupportStatus::parse),
            })
            .collect())
    }

    pub async fn support_attachments(&self, request_id: i64) -> Result<Vec<SupportAttachment>> {
        let rows = self
            .query(
                "SELECT id, request_id, file_key, name, format, size, sha256 FROM support_attachments
                 WHERE request_id = $1 ORDER BY id",
                vec![request_id.into()],
            )
            .await?;
        Ok(rows.into_iter().map(attachment).collect())
    }

    pub async fn support_attachment(&self, id: i64) -> Result<Option<SupportAttachment>> {
        let rows = self
            .query(
                "SELECT id, request_id, file_key, name, format, size, sha256 FROM support_attachments WHERE id = $1",
                vec![id.into()],
            )
            .await?;
        Ok(rows.into_iter().next().map(attachment))
    }

    /// Takes a step unless the request moved first (then `false`, nothing written). `notices`
    /// (notifications, mail) and `audit` are written with it.
    pub async fn support_step(
        &self,
        step: &SupportStep<'_>,
        audit: Vec<AuditEntry>,
        notices: Vec<Statement>,
    ) -> Result<bool> {
        let from = |i: usize| step.from.get(i).or(step.from.first()).map_or("", |s| s.as_str());
        let (topic, basis, queue, due_at) = match step.topic {
            Some((topic, basis, queue, due_at)) => (Some(topic), Some(basis), Some(queue), Some(due_at)),
            None => (None, None, None, None),
        };
        let guard: Statement = (
            "UPDATE support_requests SET status = $1, revision = revision + 1,
                 assignee_id = coalesce($2, assignee_id),
                 topic = coalesce($3, topic), topic_basis = coalesce($4, topic_basis),
                 queue = coalesce($5, queue), due_at = coalesce($6, due_at),
                 first_answer_at = CASE WHEN $7 AND first_answer_at IS NULL THEN $8 ELSE first_answer_at END,
                 resolved_at = CASE WHEN $9 THEN $8 WHEN $10 THEN NULL ELSE resolved_at END,
                 rating = coalesce($11, rating)
             WHERE id = $12 AND revision = $13 AND status IN ($14, $15, $16, $17, $18)
             RETURNING id",
            vec![
                step.to.as_str().into(),
                step.assignee.into(),
                topic.into(),
                basis.into(),
                queue.into(),
                due_at.into(),
                step.staff_answer.into(),
                step.at.into(),
                step.resolved.into(),
                step.reopened.into(),
                step.rating.into(),
                step.id.into(),
                step.revision.into(),
                from(0).into(),
                from(1).into(),
                from(2).into(),
                from(3).into(),
                from(4).into(),
            ],
        );
        let mut statements = vec![guard];
        let (body, staff) = step.message.unwrap_or(("", false));
        statements.push((
            MESSAGE,
            vec![
                step.at.into(),
                step.user_id.into(),
                step.actor.into(),
                staff.into(),
                body.into(),
                step.to.as_str().into(),
                step.id.into(),
            ],
        ));
        if let (Some(topic), Some(body)) = (topic, step.training) {
            statements.push((
                "INSERT INTO support_training (request_id, topic, body, at) VALUES ($1, $2, $3, $4)",
                vec![step.id.into(), topic.into(), body.into(), step.at.into()],
            ));
        }
        statements.extend(notices);
        self.transact_guarded(statements, audit).await
    }

    /// The texts operators re-classified, as (topic, text), oldest first.
    pub async fn support_training(&self) -> Result<Vec<(String, String)>> {
        let rows = self.query("SELECT topic, body FROM support_training ORDER BY id", vec![]).await?;
        Ok(rows
            .into_iter()
            .map(|mut r| (text(&mut r, 0).unwrap_or_default(), text(&mut r, 1).unwrap_or_default()))
            .collect())
    }
}

fn attachment(mut r: Vec<Value>) -> SupportAttachment {
    SupportAttachment {
        id: r[0].int().unwrap_or_default(),
        request_id: r[1].int().unwrap_or_default(),
        file_key: text(&mut r, 2).unwrap_or_default(),
        name: text(&mut r, 3).unwrap_or_default(),
        format: text(&mut r, 4).unwrap_or_default(),
        size: r[5].int().unwrap_or_default(),
        sha256: text(&mut r, 6).unwrap_or_default(),
    }
}

/// A version of a help article written by an administrator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HelpArticleRecord {
    pub slug: String,
    pub version: i64,
    pub source: String,
    pub author_id: Option<i64>,
    pub created_at: i64,
}

impl Store {
    /// The newest stored version of every article, by slug.
    pub async fn help_articles(&self) -> Result<Vec<HelpArticleRecord>> {
        let rows = self
            .query(
                "SELECT slug, version, source, author_id, created_at FROM help_articles ORDER BY slug, version",
                vec![],
            )
            .await?;
        let mut latest: Vec<HelpArticleRecord> = Vec::new();
        for mut r in rows {
            let record = HelpArticleRecord {
                slug: text(&mut r, 0).unwrap_or_default(),
                version: r[1].int().unwrap_or_default(),
                source: text(&mut r, 2).unwrap_or_default(),
                author_id: r[3].int(),
                created_at: r[4].int().unwrap_or_default(),
            };
            match latest.last_mut() {
                Some(last) if last.slug == record.slug => *last = record,
                _ => latest.push(record),
            }
        }
        Ok(latest)
    }

    /// Stores a new version of an article with its journal entry; `Conflict` when that version
    /// exists already (someone saved first; two saves at the very same moment meet the unique key).
    pub async fn add_help_article(&self, record: &HelpArticleRecord, audit: Vec<AuditEntry>) -> Result<()> {
        let free: Statement = (
            "SELECT 1 WHERE NOT EXISTS (SELECT 1 FROM help_articles WHERE slug = $1 AND version = $2)",
            vec![record.slug.as_str().into(), record.version.into()],
        );
        let insert: Statement = (
            "INSERT INTO help_articles (slug, version, source, author_id, created_at) VALUES ($1, $2, $3, $4, $5)",
            vec![
                record.slug.as_str().into(),
                record.version.into(),
                record.source.as_str().into(),
                record.author_id.into(),
                record.created_at.into(),
            ],
        );
        if self.transact_guarded(vec![free, insert], audit).await? {
            Ok(())
        } else {
            Err(crate::StoreError::Conflict("Статью уже изменили; откройте её снова и повторите правку.".into()))
        }
    }
}
