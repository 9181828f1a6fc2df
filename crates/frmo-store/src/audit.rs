//! The audit journal (migration 0003): append-only in both databases (triggers refuse UPDATE and
//! DELETE), every entry chained to the one before by SHA-256 over its number, its fields and the
//! previous hash. `verify` walks the chain and names the first entry that was edited, deleted or
//! moved.
//!
//! Appending takes the journal's head under a lock (SQLite's single writer; a table lock in
//! PostgreSQL), so entries from several processes still form one chain. A change to the register
//! writes its entry in the same transaction as the change ([`Store::append_version`]).

use sha2::{Digest, Sha256};

use crate::sql::{Value, take_text};
use crate::{Result, Store};

/// The `prev_hash` of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What happened, by whom, to what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// Unix seconds.
    pub at: i64,
    pub user_id: Option<i64>,
    /// Who, as it was at the time: name (provider, subject), or «система».
    pub actor: String,
    /// `sign_in`, `sign_in_failed`, `denial`, `change`, `membership`, `consent`, `export`…
    pub kind: String,
    /// An OID, `user:ID` or `-`.
    pub target: String,
    /// Details as JSON.
    pub detail: String,
    pub request_id: String,
}

/// A stored entry with its place in the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    pub id: i64,
    pub entry: AuditEntry,
    pub prev_hash: String,
    pub hash: String,
}

/// The hash of entry number `id` after `prev_hash`: SHA-256 over every field, each written with
/// its length so that no two different entries share an encoding.
pub fn entry_hash(id: i64, entry: &AuditEntry, prev_hash: &str) -> String {
    let mut hasher = Sha256::new();
    let user = entry.user_id.map_or_else(|| "-".to_owned(), |id| id.to_string());
    for field in [
        id.to_string().as_str(),
        &entry.at.to_string(),
        &user,
        &entry.actor,
        &entry.kind,
        &entry.target,
        &entry.detail,
        &entry.request_id,
        prev_hash,
    ] {
        hasher.update(field.len().to_string().as_bytes());
        hasher.update(b":");
        hasher.update(field.as_bytes());
        hasher.update(b"\n");
    }
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut hex = String::with_capacity(64);
    for b in hasher.finalize() {
        hex.push(char::from(HEX[usize::from(b >> 4)]));
        hex.push(char::from(HEX[usize::from(b & 0x0f)]));
    }
    hex
}

pub(crate) const HEAD: &str = "SELECT id, hash FROM audit_journal ORDER BY id DESC LIMIT 1";
pub(crate) const INSERT: &str = "INSERT INTO audit_journal
    (id, at, user_id, actor, kind, target, detail, request_id, prev_hash, hash)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
macro_rules! audit_select {
    ($tail:literal) => {
        concat!(
            "SELECT id, at, user_id, actor, kind, target, detail, request_id, prev_hash, hash FROM audit_journal",
            $tail
        )
    };
}

/// The number and hash of the last entry (0 and [`GENESIS`] for an empty journal).
pub(crate) fn head(rows: Vec<Vec<Value>>) -> (i64, String) {
    match rows.into_iter().next() {
        Some(mut row) => (
            row[0].int().unwrap_or_default(),
            std::mem::replace(&mut row[1], Value::Null).into_text().unwrap_or_default(),
        ),
        None => (0, GENESIS.to_owned()),
    }
}

/// An entry as it is appended: its number and its place in the chain.
pub(crate) struct Link<'a> {
    pub id: i64,
    pub entry: &'a AuditEntry,
    pub prev_hash: String,
    pub hash: String,
}

impl Link<'_> {
    /// The values of [`INSERT`], in its order.
    pub fn values(&self) -> Vec<Value> {
        let entry = self.entry;
        vec![
            self.id.into(),
            entry.at.into(),
            entry.user_id.into(),
            entry.actor.as_str().into(),
            entry.kind.as_str().into(),
            entry.target.as_str().into(),
            entry.detail.as_str().into(),
            entry.request_id.as_str().into(),
            self.prev_hash.as_str().into(),
            self.hash.as_str().into(),
        ]
    }
}

/// `entries` appended after `head`, chained.
pub(crate) fn chained(head: (i64, String), entries: &[AuditEntry]) -> Vec<Link<'_>> {
    let (mut id, mut prev) = head;
    entries
        .iter()
        .map(|entry| {
            id += 1;
            let hash = entry_hash(id, entry, &prev);
            let prev_hash = std::mem::replace(&mut prev, hash.clone());
            Link { id, entry, prev_hash, hash }
        })
        .collect()
}

fn record(mut row: Vec<Value>) -> AuditRecord {
    let mut text = |i: usize| take_text(&mut row, i).unwrap_or_default();
    let (actor, kind, target, detail, request_id, prev_hash, hash) =
        (text(3), text(4), text(5), text(6), text(7), text(8), text(9));
    AuditRecord {
        id: row[0].int().unwrap_or_default(),
        entry: AuditEntry {
            at: row[1].int().unwrap_or_default(),
            user_id: row[2].int(),
            actor,
            kind,
            target,
            detail,
            request_id,
        },
        prev_hash,
        hash,
    }
}

/// The outcome of walking the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Every entry is in place: how many, and the last one's number and hash (keep them: an
    /// entry cut off the end leaves a shorter chain that is whole in itself).
    Intact { entries: i64, head: (i64, String) },
    /// The first entry that is not what was written, and why (in Russian).
    Broken { id: i64, reason: String },
}

/// Checks entries in order, continuing from `state` (number and hash of the last good one).
pub fn verify_page(state: &mut (i64, String), records: &[AuditRecord]) -> Option<Verdict> {
    for record in records {
        let expected = state.0 + 1;
        if record.id != expected {
            return Some(Verdict::Broken {
                id: expected,
                reason: format!("запись № {expected} отсутствует: удалена (следом идёт № {})", record.id),
            });
        }
        if record.prev_hash != state.1 {
            return Some(Verdict::Broken {
                id: record.id,
                reason:
                    "ссылка на предыдущую запись не совпадает: предыдущая запись изменена, удалена или переставлена"
                        .into(),
            });
        }
        if entry_hash(record.id, &record.entry, &record.prev_hash) != record.hash {
            return Some(Verdict::Broken {
                id: record.id,
                reason: "содержимое записи изменено после записи в журнал".into(),
            });
        }
        *state = (record.id, record.hash.clone());
    }
    None
}

impl Store {
    /// Appends entries to the journal, chained after its head; returns the last number.
    pub async fn append_audit(&self, entries: Vec<AuditEntry>) -> Result<i64> {
        dispatch!(self, s => s.append_audit(entries).await)
    }

    /// Entries after number `after`, in order, at most `limit`.
    pub async fn audit_after(&self, after: i64, limit: i64) -> Result<Vec<AuditRecord>> {
        let rows =
            self.query(audit_select!(" WHERE id > $1 ORDER BY id LIMIT $2"), vec![after.into(), limit.into()]).await?;
        Ok(rows.into_iter().map(record).collect())
    }

    /// The latest entries of one kind, newest first.
    pub async fn audit_of_kind(&self, kind: &str, limit: i64) -> Result<Vec<AuditRecord>> {
        let rows = self
            .query(audit_select!(" WHERE kind = $1 ORDER BY id DESC LIMIT $2"), vec![kind.into(), limit.into()])
            .await?;
        Ok(rows.into_iter().map(record).collect())
    }

    /// The entries about one target (an OID, `user:ID`), newest first.
    pub async fn audit_of_target(&self, target: &str, limit: i64) -> Result<Vec<AuditRecord>> {
        let rows = self
            .query(audit_select!(" WHERE target = $1 ORDER BY id DESC LIMIT $2"), vec![target.into(), limit.into()])
            .await?;
        Ok(rows.into_iter().map(record).collect())
    }

    /// Walks the whole chain, a page at a time.
    pub async fn verify_audit(&self) -> Result<Verdict> {
        let mut state = (0, GENESIS.to_owned());
        loop {
            let page = self.audit_after(state.0, 5000).await?;
            if let Some(broken) = verify_page(&mut state, &page) {
                return Ok(broken);
            }
            if page.len() < 5000 {
                return Ok(Verdict::Intact { entries: state.0, head: state });
            }
        }
    }
}
