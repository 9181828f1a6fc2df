//! Change requests: a member proposes a new card, the registry shows what differs and asks why;
//! what the moderation policy lets through changes at once (with its journal entry), the rest waits
//! «На проверке» for the region's operator, who approves (the card changes), rejects (with a reason)
//! or returns it for correction; the author may resubmit or withdraw. Deadlines are counted in
//! business days by the production calendar. Every decision names the revision its operator saw:
//! of two decisions at once exactly one lands.

mod author;
mod review;

pub use review::{ReviewFigures, ReviewStatistics};

use std::collections::BTreeSet;

use frmo_domain::access::{Action, Actor, DenyCode, Target};
use frmo_domain::calendar::ProductionCalendar;
use frmo_domain::error::ValidationError;
use frmo_domain::org::Organization;
use frmo_domain::status::RequestStatus;
use frmo_store::requests::{RequestEvent, RequestRecord};
use serde_json::Value;
use time::{Date, OffsetDateTime, UtcOffset};

use crate::Caller;
use crate::moderation::journal::differences;
use crate::{Registry, RegistryError, Result};

/// Card fields that always wait for an operator, whatever the policy says.
pub const KEY_FIELDS: &[&str] =
    &["nameFull", "nameShort", "inn", "ogrn", "ogrnip", "kpp", "organizationTypeId", "regionId", "legalAddress"];

/// The fields that change without moderation by default: the structure (departments with their
/// subdivisions and beds, buildings), as in the real ФРМО.
pub const DEFAULT_DIRECT: &[&str] = &["departments", "buildings"];

/// Fields the registry maintains itself; they never make a change.
const SYSTEM_FIELDS: &[&str] = &["modifyDate"];

/// Deadlines and "today" are Moscow dates.
pub(crate) const MOSCOW: UtcOffset = match UtcOffset::from_hms(3, 0, 0) {
    Ok(offset) => offset,
    Err(_) => UtcOffset::UTC,
};

/// What changes without moderation, and how long operators have.
#[derive(Debug, Clone)]
pub struct Moderation {
    /// Top-level card fields that change directly (with their journal entry).
    direct: BTreeSet<String>,
    pub review_days: u32,
    pub calendar: ProductionCalendar,
}

impl Default for Moderation {
    /// As in the real ФРМО: the card is moderated, the structure (departments with their
    /// subdivisions and beds, buildings) changes directly; five business days to decide.
    fn default() -> Self {
        Moderation {
            direct: DEFAULT_DIRECT.iter().map(|f| (*f).to_owned()).collect(),
            review_days: 5,
            calendar: ProductionCalendar::default(),
        }
    }
}

impl Moderation {
    /// A policy from configuration; key requisites cannot be made direct. An error names the
    /// setting (`direct_fields` or `review_days`) and what is wrong.
    pub fn new(
        direct: &[String],
        review_days: u32,
        calendar: ProductionCalendar,
    ) -> std::result::Result<Self, (&'static str, String)> {
        if let Some(key) = direct.iter().find(|f| KEY_FIELDS.contains(&f.as_str())) {
            return Err((
                "direct_fields",
                format!("поле «{key}» — ключевой реквизит, его изменения всегда проверяет оператор"),
            ));
        }
        if review_days == 0 {
            return Err(("review_days", "срок рассмотрения должен быть не меньше одного рабочего дня".into()));
        }
        Ok(Moderation { direct: direct.iter().cloned().collect(), review_days, calendar })
    }

    fn is_direct(&self, field: &str) -> bool {
        self.direct.contains(field)
    }
}

/// A step an author takes with their request: from which statuses to which, with the submission
/// (time, deadline) and a corrected proposal (card, changes, reason, base version) when resubmitting.
struct AuthorStep<'a> {
    from: &'a [RequestStatus],
    to: RequestStatus,
    submitted: Option<(i64, &'a str)>,
    proposal: Option<(&'a str, &'a str, &'a str, i64)>,
}

/// What became of a proposed change.
#[derive(Debug, Clone)]
pub enum Proposal {
    /// Only direct fields changed: the card has its new version.
    Applied { version: i64 },
    /// It waits for an operator (or, as a draft, for its author).
    Request(Box<RequestView>),
}

/// A step of a request's history as people read it: when, who (a name, never an account), the
/// status it moved to and the comment given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestStep {
    pub at: i64,
    pub actor: String,
    pub status: RequestStatus,
    pub comment: Option<String>,
}

/// A request as people see it.
#[derive(Debug, Clone)]
pub struct RequestView {
    pub id: i64,
    /// `change` or `inclusion`.
    pub kind: String,
    /// The organization's short name (of the proposal).
    pub title: String,
    /// The proposed card (JSON).
    pub proposal: Value,
    /// `ИЗ-2026-000123`.
    pub number: String,
    pub org_oid: String,
    pub region: u8,
    pub author_id: i64,
    pub status: RequestStatus,
    pub reason: String,
    /// `{"field", "before", "after"}` per changed field.
    pub changes: Vec<Value>,
    pub submitted_at: Option<i64>,
    pub due_on: Option<Date>,
    /// Submitted, undecided and past its deadline.
    pub overdue: bool,
    /// Business days since submission (to the decision, or to today).
    pub business_days: Option<u32>,
    pub comment: Option<String>,
    pub revision: i64,
    pub base_version: i64,
    pub applied_version: Option<i64>,
    pub events: Vec<RequestStep>,
}

/// An operator's decision.
#[derive(Debug, Clone)]
pub enum Verdict {
    /// The comment may be empty; when given it is kept and shown like the others.
    Approve {
        comment: String,
    },
    Reject {
        reason: String,
    },
    Return {
        comment: String,
    },
}

impl Verdict {
    /// Approval without a comment.
    pub fn approve() -> Self {
        Verdict::Approve { comment: String::new() }
    }
}

/// `ИЗ-2026-000123` for a change request, `ЗВ-2026-000123` for an application for inclusion.
pub fn request_number(kind: &str, id: i64, created_at: i64) -> String {
    let year = OffsetDateTime::from_unix_timestamp(created_at).map_or(0, |t| t.to_offset(MOSCOW).year());
    let prefix = if kind == crate::moderation::applications::INCLUSION { "ЗВ" } else { "ИЗ" };
    format!("{prefix}-{year}-{id:06}")
}

/// The id in a number like `ИЗ-2026-000123` (or a bare id).
pub fn parse_request_number(text: &str) -> Option<i64> {
    text.trim().rsplit('-').next()?.parse().ok().filter(|id| *id > 0)
}

pub(crate) fn moscow_date(unix: i64) -> Date {
    OffsetDateTime::from_unix_timestamp(unix).map_or(Date::MIN, |t| t.to_offset(MOSCOW).date())
}

fn required(field: &'static str, label: &'static str, text: &str, what: &str) -> Result<String> {
    let text = text.trim();
    if text.is_empty() {
        return Err(RegistryError::invalid(ValidationError::new(field, label, what)));
    }
    if text.chars().count() > 2000 {
        return Err(RegistryError::invalid(ValidationError::new(field, label, "не длиннее 2000 символов")));
    }
    Ok(text.to_owned())
}

impl Registry {
    /// A request, for its author, the organization's people, its region's operators and auditors.
    pub async fn request_view(&self, caller: &Caller, id: i64) -> Result<RequestView> {
        let record = self.request_record(id).await?;
        let target = Target::Organization { oid: &record.org_oid, region: record.region };
        let is_author = crate::identity::route::is_author(caller.actor(), record.author_id);
        if !is_author {
            self.authorize(caller, Action::ReadOrganization, target).await?;
        }
        let events = self.store.request_events(id).await?;
        Ok(self.view(record, events))
    }

    /// The requests a person made, newest first.
    pub async fn my_requests(&self, actor: &Actor) -> Result<Vec<RequestView>> {
        let Actor::User(person) = actor else { return Err(RegistryError::Forbidden(DenyCode::NotSignedIn)) };
        let records = self.store.requests_of_author(person.user_id, 200).await?;
        Ok(records.into_iter().map(|r| self.view(r, Vec::new())).collect())
    }

    async fn request_record(&self, id: i64) -> Result<RequestRecord> {
        self.store.request(id).await?.ok_or_else(|| RegistryError::NotFound(format!("Заявка {id} не найдена.")))
    }

    pub(crate) fn due_on(&self, submitted_at: i64) -> Date {
        self.moderation.calendar.add_business_days(moscow_date(submitted_at), self.moderation.review_days)
    }

    fn view(&self, record: RequestRecord, events: Vec<RequestEvent>) -> RequestView {
        let due_on = record
            .due_on
            .as_deref()
            .and_then(|d| Date::parse(d, time::macros::format_description!("[year]-[month]-[day]")).ok());
        let today = moscow_date(self.now());
        let overdue = record.status == RequestStatus::Submitted && due_on.is_some_and(|due| today > due);
        let business_days = record.submitted_at.map(|at| {
            let end =
                record.decided_at.filter(|_| record.status != RequestStatus::Submitted).map_or(today, moscow_date);
            self.moderation.calendar.business_days_between(moscow_date(at), end)
        });
        let proposal: Value = serde_json::from_str(&record.proposed).unwrap_or_default();
        let title = proposal["nameShort"].as_str().unwrap_or_default().to_owned();
        RequestView {
            id: record.id,
            title,
            proposal,
            number: request_number(&record.kind, record.id, record.created_at),
            kind: record.kind.clone(),
            org_oid: record.org_oid,
            region: record.region,
            author_id: record.author_id,
            status: record.status,
            reason: record.reason,
            changes: serde_json::from_str(&record.changes).unwrap_or_default(),
            submitted_at: record.submitted_at,
            due_on,
            overdue,
            business_days,
            comment: record.comment,
            revision: record.revision,
            base_version: record.base_version,
            applied_version: record.applied_version,
            events: events
                .into_iter()
                .map(|e| RequestStep {
                    at: e.at,
                    actor: crate::moderation::journal::person_name(&e.actor),
                    status: e.status,
                    comment: e.comment,
                })
                .collect(),
        }
    }
}

/// The fields that differ, without those the registry maintains itself.
fn changed_fields(before: &Organization, after: &Organization) -> Vec<Value> {
    differences(before, after)
        .into_iter()
        .filter(|c| !SYSTEM_FIELDS.contains(&c["field"].as_str().unwrap_or_default()))
        .collect()
}

fn stale_card(oid: &str) -> RegistryError {
    RegistryError::Conflict(format!("Карточка {oid} изменилась после того, как вы её открыли; обновите страницу"))
}

pub(crate) fn moved_message(number: &str) -> String {
    format!(
        "Заявку {number} уже рассмотрели или изменили, пока вы её читали; обновите страницу, чтобы увидеть её состояние."
    )
}

fn moved(record: &RequestRecord) -> RegistryError {
    let number = request_number(&record.kind, record.id, record.created_at);
    RegistryError::Conflict(format!(
        "Заявка {number} сейчас в статусе «{}»; обновите страницу, чтобы увидеть её состояние.",
        record.status.label()
    ))
}
