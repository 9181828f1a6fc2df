//! The registry's side of the audit journal: who did what, written as it happens (sign-ins,
//! denials, changes with their fields before and after, memberships, consent, exports), checked
//! by `frmo audit verify`, exported as CSV for auditors.

use frmo_domain::access::{Action, Actor, Target};
use frmo_domain::ident::OrgOid;
use frmo_domain::org::Organization;
use frmo_domain::status::RequestStatus;
use frmo_store::audit::{AuditEntry, AuditRecord};
use serde_json::{Value, json};

use crate::Caller;
use crate::{Registry, Result};

/// Who changes the register, why, and in answer to which request.
#[derive(Debug, Clone, Copy)]
pub struct ChangeContext<'a> {
    pub by: &'a Actor,
    pub reason: &'a str,
    pub request_id: &'a str,
}

impl<'a> ChangeContext<'a> {
    /// A change made by the deployment itself (command line, import, seeding).
    pub fn system(reason: &'a str) -> Self {
        ChangeContext { by: &Actor::System, reason, request_id: "-" }
    }
}

/// The fields of a card that differ, as `{"field", "before", "after"}` (top-level fields of the
/// card's JSON; lists compare whole).
pub fn differences(before: &Organization, after: &Organization) -> Vec<Value> {
    let (Ok(Value::Object(before)), Ok(Value::Object(after))) =
        (serde_json::to_value(before), serde_json::to_value(after))
    else {
        return Vec::new();
    };
    let mut fields: Vec<&String> = before.keys().chain(after.keys()).collect();
    fields.sort();
    fields.dedup();
    fields
        .into_iter()
        .filter(|field| before.get(*field) != after.get(*field))
        .map(|field| {
            json!({
                "field": field,
                "before": before.get(field).cloned().unwrap_or(Value::Null),
                "after": after.get(field).cloned().unwrap_or(Value::Null),
            })
        })
        .collect()
}

use crate::csv::field as csv_field;

/// Journal entries written together (group commit): a call queues its entry and waits for the
/// writer's turn; whoever has the turn writes every queued entry in one transaction. An entry is
/// written before its call returns — by its own turn, or by an earlier turn that took it and ended
/// before this one began — so nothing is lost, while many calls at once share one write.
#[derive(Default)]
pub(crate) struct GroupCommit {
    queue: std::sync::Mutex<Vec<AuditEntry>>,
    turn: tokio::sync::Mutex<()>,
}

impl GroupCommit {
    fn queue(&self) -> std::sync::MutexGuard<'_, Vec<AuditEntry>> {
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) async fn append(&self, store: &frmo_store::Store, entry: AuditEntry) -> Result<()> {
        self.queue().push(entry);
        let _turn = self.turn.lock().await;
        // Let the calls already running on this process queue theirs first: under load one write
        // then carries many entries; alone, a call loses only two trips through the scheduler.
        for _ in 0..2 {
            tokio::task::yield_now().await;
        }
        let batch = std::mem::take(&mut *self.queue());
        if batch.is_empty() {
            return Ok(());
        }
        if let Err(error) = store.append_audit(batch.clone()).await {
            // Back in the queue, first, for the next turn; this call reports the failure.
            self.queue().splice(0..0, batch);
            return Err(error.into());
        }
        Ok(())
    }
}

/// An entry of the journal, as tests and tools read it (its place in the chain stays with
/// `verify_journal`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalEntry {
    /// Unix seconds.
    pub at: i64,
    /// Who, as it was at the time: name (provider, subject), or «система».
    pub actor: String,
    /// `sign_in`, `sign_in_failed`, `denial`, `change`, `membership`, `consent`, `export`…
    pub kind: String,
    /// Details as JSON.
    pub detail: String,
    pub request_id: String,
}

impl From<AuditRecord> for JournalEntry {
    fn from(record: AuditRecord) -> Self {
        let AuditEntry { at, actor, kind, detail, request_id, .. } = record.entry;
        JournalEntry { at, actor, kind, detail, request_id }
    }
}

/// The outcome of walking the journal's chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Every entry is in place: how many, and the last one's number and hash (keep them: an
    /// entry cut off the end leaves a shorter chain that is whole in itself).
    Intact { entries: i64, head: (i64, String) },
    /// The first entry that is not what was written, and why (in Russian).
    Broken { id: i64, reason: String },
}

impl From<frmo_store::audit::Verdict> for Verdict {
    fn from(verdict: frmo_store::audit::Verdict) -> Self {
        match verdict {
            frmo_store::audit::Verdict::Intact { entries, head } => Verdict::Intact { entries, head },
            frmo_store::audit::Verdict::Broken { id, reason } => Verdict::Broken { id, reason },
        }
    }
}

/// The CSV header of the journal export.
pub const CSV_HEADER: &str = "id;at;user_id;actor;kind;target;detail;request_id;prev_hash;hash\r\n";

/// One journal entry as a CSV line (`;`-separated, UTF-8).
fn csv_line(record: &AuditRecord) -> String {
    let e = &record.entry;
    let at = time::OffsetDateTime::from_unix_timestamp(e.at)
        .ok()
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_default();
    let user = e.user_id.map(|id| id.to_string()).unwrap_or_default();
    let fields = [
        record.id.to_string(),
        at,
        user,
        csv_field(&e.actor),
        csv_field(&e.kind),
        csv_field(&e.target),
        csv_field(&e.detail),
        csv_field(&e.request_id),
        record.prev_hash.clone(),
        record.hash.clone(),
    ];
    let mut line = fields.join(";");
    line.push_str("\r\n");
    line
}

/// A line of an organization's history.
#[derive(Debug, Clone)]
pub struct HistoryEntry {
    pub at: i64,
    pub who: String,
    /// `change`, `decision`, `request` or `membership`.
    pub kind: String,
    /// `{"field", "before", "after"}` for a change.
    pub fields: Vec<Value>,
    /// Why (a change's reason, a decision's comment).
    pub why: String,
    /// The request it belongs to: its number (`ИЗ-2026-000123`).
    pub request: Option<String>,
    /// What happened, in a few words: «одобрена», «grant: member»…
    pub what: String,
}

fn history_entry(record: AuditRecord) -> Option<HistoryEntry> {
    let e = record.entry;
    if !["change", "decision", "request", "membership"].contains(&e.kind.as_str()) {
        return None;
    }
    let detail: Value = serde_json::from_str(&e.detail).unwrap_or_default();
    let text = |key: &str| detail[key].as_str().map(str::to_owned);
    let what = match e.kind.as_str() {
        "decision" => text("decision").and_then(|d| RequestStatus::parse(&d)).map(|s| s.label().to_owned()),
        "request" => text("status").and_then(|s| RequestStatus::parse(&s)).map(|s| s.label().to_owned()),
        "membership" => match (text("grant"), text("revoke")) {
            (Some(role), _) => Some(format!("доступ дан ({role})")),
            (_, Some(role)) => Some(format!("доступ снят ({role})")),
            _ => None,
        },
        _ => None,
    };
    Some(HistoryEntry {
        at: e.at,
        who: person_name(&e.actor),
        fields: detail["fields"].as_array().cloned().unwrap_or_default(),
        why: text("reason").or_else(|| text("comment")).unwrap_or_default(),
        request: text("request"),
        what: what.unwrap_or_default(),
        kind: e.kind,
    })
}

impl Registry {
    /// Who the actor is, as the journal and request histories name them.
    pub(crate) async fn actor_label(&self, actor: &Actor) -> (Option<i64>, String) {
        match actor {
            Actor::System => (None, "система".to_owned()),
            Actor::Anonymous => (None, "аноним".to_owned()),
            Actor::User(p) => match self.store.user_label(p.user_id).await {
                Ok(Some(u)) => (Some(p.user_id), format!("{} ({} {})", u.display_name, u.provider, u.subject)),
                _ => (Some(p.user_id), format!("пользователь {}", p.user_id)),
            },
        }
    }

    /// An entry by `actor`, stamped now.
    pub(crate) async fn entry(&self, caller: &Caller, kind: &str, target: &str, detail: Value) -> AuditEntry {
        let (user_id, label) = self.actor_label(caller.actor()).await;
        AuditEntry {
            at: self.now(),
            user_id,
            actor: label,
            kind: kind.to_owned(),
            target: if target.is_empty() { "-".to_owned() } else { target.to_owned() },
            detail: detail.to_string(),
            request_id: if caller.request_id().is_empty() { "-".to_owned() } else { caller.request_id().to_owned() },
        }
    }

    /// Writes one entry to the journal.
    pub async fn journal(&self, caller: &Caller, kind: &str, target: &str, detail: Value) -> Result<()> {
        let entry = self.entry(caller, kind, target, detail).await;
        self.store.append_audit(vec![entry]).await?;
        Ok(())
    }

    /// Walks the whole chain (`frmo audit verify`).
    pub async fn verify_journal(&self) -> Result<Verdict> {
        Ok(self.store.verify_audit().await?.into())
    }

    /// May `actor` export the journal? The answer is journaled either way (a denial, or the export).
    pub async fn begin_journal_export(&self, caller: &Caller) -> Result<()> {
        self.authorize(caller, Action::ReadAudit, Target::None).await?;
        self.journal(caller, "export", "audit_journal", json!({"format": "csv"})).await
    }

    /// The journal as CSV, a page of 2,000 entries at a time, into `sink` (it stops when the
    /// receiver is gone). Call [`Registry::begin_journal_export`] first.
    pub async fn export_journal(&self, sink: tokio::sync::mpsc::Sender<Result<String>>) {
        if sink.send(Ok(CSV_HEADER.to_owned())).await.is_err() {
            return;
        }
        let mut after = 0;
        loop {
            let page = match self.store.audit_after(after, 2000).await {
                Ok(page) => page,
                Err(error) => {
                    let _ = sink.send(Err(error.into())).await;
                    return;
                }
            };
            let Some(last) = page.last() else { return };
            after = last.id;
            let text: String = page.iter().map(csv_line).collect();
            if sink.send(Ok(text)).await.is_err() || page.len() < 2000 {
                return;
            }
        }
    }

    /// The latest journal entries about one target (an OID), for its history.
    pub async fn journal_of(&self, target: &str, limit: i64) -> Result<Vec<JournalEntry>> {
        Ok(self.store.audit_of_target(target, limit).await?.into_iter().map(JournalEntry::from).collect())
    }

    /// «История изменений» of an organization, newest first: changes with their fields before and
    /// after, decisions and requests, and who may act for it, for those who may read the
    /// organization.
    pub async fn organization_history(&self, caller: &Caller, oid: &OrgOid) -> Result<Vec<HistoryEntry>> {
        self.organization_target(caller, oid, Action::ReadOrganization).await?;
        let records = self.store.audit_of_target(oid.as_str(), 500).await?;
        Ok(records.into_iter().filter_map(history_entry).collect())
    }
}

/// A journal's actor as people read it: the name, without the account it signed in with («Иванова
/// Мария Петровна (esia 1000299654)» → «Иванова Мария Петровна»). The journal keeps the whole label
/// for auditors; pages show people.
pub fn person_name(actor: &str) -> String {
    match actor.rsplit_once(" (") {
        Some((name, account))
            if ["esia ", "oidc ", "local "].iter().any(|p| account.starts_with(p)) && account.ends_with(')') =>
        {
            name.to_owned()
        }
        _ => actor.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_show_people_by_name() {
        assert_eq!(person_name("Иванова Мария Петровна (esia 1000299654)"), "Иванова Мария Петровна");
        assert_eq!(person_name("Оператор (local op63)"), "Оператор");
        assert_eq!(person_name("ООО «Ромашка» (Самара)"), "ООО «Ромашка» (Самара)");
        assert_eq!(person_name("система"), "система");
    }

    #[test]
    fn csv_fields_with_separators_are_quoted() {
        assert_eq!(csv_field("a;b"), "\"a;b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("plain"), "plain");
    }
}
