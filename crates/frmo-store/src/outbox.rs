//! Notifications in the cabinet and the e-mail outbox (migrations 0002 and 0005). Mail is claimed
//! with a lease by one worker at a time: the claiming `UPDATE` re-checks the lease on each row it
//! takes, so two workers (threads or processes) never take the same message.

use crate::sql::{Statement, Value, take_text as text};
use crate::{Result, Store};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailRecord {
    pub id: i64,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    pub attempts: i64,
}

/// A notification in the cabinet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotificationRecord {
    pub id: i64,
    pub at: i64,
    pub title: String,
    pub body: String,
    pub link: String,
    pub read: bool,
}

/// The statement that queues one e-mail (to run in the transaction of what it tells about).
pub fn mail_statement(recipient: &str, subject: &str, body: &str, now: i64) -> Statement {
    (
        "INSERT INTO mail_outbox (recipient, subject, body, created_at, next_attempt_at) VALUES ($1, $2, $3, $4, $4)",
        vec![recipient.into(), subject.into(), body.into(), now.into()],
    )
}

/// The statement that adds one notification to a person's cabinet.
pub fn notification_statement(user_id: i64, title: &str, body: &str, link: &str, now: i64) -> Statement {
    (
        "INSERT INTO notifications (user_id, at, title, body, link) VALUES ($1, $2, $3, $4, $5)",
        vec![user_id.into(), now.into(), title.into(), body.into(), link.into()],
    )
}

fn mail(mut r: Vec<Value>) -> MailRecord {
    MailRecord {
        id: r[0].int().unwrap_or_default(),
        recipient: text(&mut r, 1).unwrap_or_default(),
        subject: text(&mut r, 2).unwrap_or_default(),
        body: text(&mut r, 3).unwrap_or_default(),
        attempts: r[4].int().unwrap_or_default(),
    }
}

impl Store {
    pub async fn queue_mail(&self, recipient: &str, subject: &str, body: &str, now: i64) -> Result<()> {
        let (sql, values) = mail_statement(recipient, subject, body, now);
        self.execute(sql, values).await.map(drop)
    }

    /// Runs statements (notifications, mail) in one transaction.
    pub async fn run_all(&self, statements: Vec<Statement>) -> Result<()> {
        if statements.is_empty() {
            return Ok(());
        }
        self.transact(statements).await.map(drop)
    }

    /// Mail to one recipient, newest first (sent or not).
    pub async fn mail_to(&self, recipient: &str) -> Result<Vec<MailRecord>> {
        let rows = self
            .query(
                "SELECT id, recipient, subject, body, attempts FROM mail_outbox WHERE recipient = $1 ORDER BY id DESC",
                vec![recipient.into()],
            )
            .await?;
        Ok(rows.into_iter().map(mail).collect())
    }

    /// Takes up to `limit` messages due at `now` for `lease` seconds; nobody else gets them meanwhile.
    pub async fn claim_mail(&self, now: i64, lease: i64, limit: i64) -> Result<Vec<MailRecord>> {
        let rows = self
            .execute(
                "UPDATE mail_outbox SET locked_until = $1
                 WHERE id IN (SELECT id FROM mail_outbox
                              WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= $2
                                AND (locked_until IS NULL OR locked_until <= $2)
                              ORDER BY id LIMIT $3)
                   AND sent_at IS NULL AND failed_at IS NULL AND (locked_until IS NULL OR locked_until <= $2)
                 RETURNING id, recipient, subject, body, attempts",
                vec![(now + lease).into(), now.into(), limit.into()],
            )
            .await?;
        let mut list: Vec<MailRecord> = rows.into_iter().map(mail).collect();
        list.sort_by_key(|m| m.id);
        Ok(list)
    }

    pub async fn mail_sent(&self, id: i64, now: i64) -> Result<()> {
        self.execute(
            "UPDATE mail_outbox SET sent_at = $2, attempts = attempts + 1, locked_until = NULL WHERE id = $1",
            vec![id.into(), now.into()],
        )
        .await
        .map(drop)
    }

    /// A failed attempt: tried again at `retry_at`, or given up (`None`).
    pub async fn mail_failed(&self, id: i64, now: i64, error: &str, retry_at: Option<i64>) -> Result<()> {
        self.execute(
            "UPDATE mail_outbox SET attempts = attempts + 1, last_error = $2, locked_until = NULL,
                 next_attempt_at = coalesce($3, next_attempt_at), failed_at = $4
             WHERE id = $1",
            vec![id.into(), error.into(), retry_at.into(), retry_at.map_or(Some(now), |_| None).into()],
        )
        .await
        .map(drop)
    }

    /// (waiting, sent, given up) messages.
    pub async fn mail_counts(&self) -> Result<(i64, i64, i64)> {
        let rows = self
            .query(
                "SELECT
                     sum(CASE WHEN sent_at IS NULL AND failed_at IS NULL THEN 1 ELSE 0 END),
                     sum(CASE WHEN sent_at IS NOT NULL THEN 1 ELSE 0 END),
                     sum(CASE WHEN failed_at IS NOT NULL THEN 1 ELSE 0 END)
                 FROM mail_outbox",
                vec![],
            )
            .await?;
        let row = rows.first();
        let at = |i: usize| row.and_then(|r| r[i].int()).unwrap_or(0);
        Ok((at(0), at(1), at(2)))
    }

    /// A person's latest notifications, newest first.
    pub async fn notifications(&self, user_id: i64, limit: i64) -> Result<Vec<NotificationRecord>> {
        let rows = self
            .query(
                "SELECT id, at, title, body, link, read_at FROM notifications WHERE user_id = $1 ORDER BY id DESC LIMIT $2",
                vec![user_id.into(), limit.into()],
            )
            .await?;
        Ok(rows
            .into_iter()
            .map(|mut r| NotificationRecord {
                id: r[0].int().unwrap_or_default(),
                at: r[1].int().unwrap_or_default(),
                title: text(&mut r, 2).unwrap_or_default(),
                body: text(&mut r, 3).unwrap_or_default(),
                link: text(&mut r, 4).unwrap_or_default(),
                read: r[5].int().is_some(),
            })
            .collect())
    }

    pub async fn unread_notifications(&self, user_id: i64) -> Result<i64> {
        let rows = self
            .query("SELECT count(*) FROM notifications WHERE user_id = $1 AND read_at IS NULL", vec![user_id.into()])
            .await?;
        Ok(rows.first().and_then(|r| r[0].int()).unwrap_or(0))
    }

    /// Marks all of a person's notifications read.
    pub async fn read_notifications(&self, user_id: i64, now: i64) -> Result<()> {
        self.execute(
            "UPDATE notifications SET read_at = $2 WHERE user_id = $1 AND read_at IS NULL",
            vec![user_id.into(), now.into()],
        )
        .await
        .map(drop)
    }

    /// The people who moderate a region (its operators), with their e-mail addresses.
    pub async fn operators_of(&self, region: u8) -> Result<Vec<(i64, Option<String>)>> {
        let rows = self
            .query(
                "SELECT u.id, u.email FROM operator_regions r JOIN users u ON u.id = r.user_id WHERE r.region = $1 ORDER BY u.id",
                vec![i64::from(region).into()],
            )
            .await?;
        Ok(rows.into_iter().map(|mut r| (r[0].int().unwrap_or_default(), text(&mut r, 1))).collect())
    }
}
