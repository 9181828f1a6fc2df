//! Change requests: a member proposes a new card, the registry shows what differs and asks why;
//! what the moderation policy lets through changes at once (with its journal entry), the rest waits
//! «На проверке» for the region's operator, who approves (the card changes), rejects (with a reason)
//! or returns it for correction; the author may resubmit or withdraw. Deadlines are counted in
//! business days by the production calendar. Every decision names the revision its operator saw:
//! of two decisions at once exactly one lands.

use std::collections::BTreeSet;

use frmo_domain::access::{Action, Actor, DenyCode, Target};
use frmo_domain::calendar::ProductionCalendar;
use frmo_domain::error::ValidationError;
use frmo_domain::org::Organization;
use frmo_store::VersionRecord;
use frmo_store::requests::{NewRequest, RequestEvent, RequestRecord, StatusChange};
use serde_json::{Value, json};
use time::{Date, OffsetDateTime, UtcOffset};

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

/// The statuses of a request, with their Russian names.
pub fn status_label(status: &str) -> &'static str {
    match status {
        "draft" => "черновик",
        "submitted" => "на проверке",
        "returned" => "возвращена на доработку",
        "approved" => "одобрена",
        "rejected" => "отклонена",
        "withdrawn" => "отозвана",
        _ => "неизвестно",
    }
}

/// A step an author takes with their request: from which statuses to which, with the submission
/// (time, deadline) and a corrected proposal (card, changes, reason, base version) when resubmitting.
struct AuthorStep<'a> {
    from: &'a [&'a str],
    to: &'a str,
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
    pub status: String,
    pub status_label: &'static str,
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
    pub events: Vec<RequestEvent>,
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
    /// Proposes `proposed` as the new card of its organization, made from `edited_version`. With
    /// `submit` false a request stays a draft. Direct-only changes apply at once.
    pub async fn propose_change(
        &self,
        actor: &Actor,
        proposed: Organization,
        edited_version: i64,
        reason: &str,
        submit: bool,
        request_id: &str,
    ) -> Result<Proposal> {
        let current = self.card(&Actor::System, proposed.oid.as_str(), None).await?;
        let target = Target::Organization { oid: proposed.oid.as_str(), region: current.organization.region_id.code() };
        self.authorize(actor, Action::EditOrganization, target, request_id).await?;
        self.propose_from(actor, current, proposed, edited_version, reason, submit, request_id).await
    }

    /// [`Registry::propose_change`] once access is checked and the current card read.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn propose_from(
        &self,
        actor: &Actor,
        current: crate::Card,
        proposed: Organization,
        edited_version: i64,
        reason: &str,
        submit: bool,
        request_id: &str,
    ) -> Result<Proposal> {
        let Actor::User(person) = actor else { return Err(RegistryError::Forbidden(DenyCode::NotSignedIn)) };
        let oid = proposed.oid.as_str().to_owned();
        let region = current.organization.region_id.code();
        if current.row.version_id != edited_version {
            return Err(stale_card(&oid));
        }
        let mut proposed = proposed;
        proposed.modify_date = OffsetDateTime::now_utc().to_offset(MOSCOW).date();
        proposed.validate().map_err(RegistryError::Invalid)?;
        let changes = changed_fields(&current.organization, &proposed);
        if changes.is_empty() {
            return Err(RegistryError::invalid(ValidationError::new("card", "Карточка", "изменений нет")));
        }
        let reason = required("reason", "Причина изменения", reason, "укажите, почему меняются данные")?;
        let moderated = changes.iter().any(|c| !self.moderation.is_direct(c["field"].as_str().unwrap_or_default()));
        if !moderated {
            let context = crate::moderation::journal::ChangeContext { by: actor, reason: &reason, request_id };
            let version = self
                .apply_change(
                    &Actor::System,
                    &current.organization,
                    &proposed,
                    edited_version,
                    OffsetDateTime::now_utc(),
                    context,
                )
                .await?;
            return Ok(Proposal::Applied { version });
        }
        let now = self.now();
        let status = if submit { "submitted" } else { "draft" };
        let due = submit.then(|| self.due_on(now).to_string());
        let proposed_json = serde_json::to_string(&proposed).map_err(frmo_store::StoreError::from)?;
        let changes_json = Value::Array(changes).to_string();
        let new = NewRequest {
            kind: "change",
            org_oid: &oid,
            region,
            author_id: person.user_id,
            status,
            base_version: edited_version,
            proposed: &proposed_json,
            changes: &changes_json,
            reason: &reason,
            now,
            due_on: due.as_deref(),
        };
        let label = self.actor_label(actor).await.1;
        let id = self.store.create_request(&new, &label).await?;
        let number = request_number("change", id, now);
        self.journal(actor, "request", &oid, json!({"request": number, "status": status}), request_id).await?;
        if submit {
            // After the request is in (its number is its id): the queue shows it even if this fails.
            let notices = self.submission_notices(region, id, &number, &oid, &reason).await?;
            self.store.run_all(notices).await?;
        }
        Ok(Proposal::Request(Box::new(self.request_view(actor, id, request_id).await?)))
    }

    /// A request, for its author, the organization's people, its region's operators and auditors.
    pub async fn request_view(&self, actor: &Actor, id: i64, request_id: &str) -> Result<RequestView> {
        let record = self.request_record(id).await?;
        let target = Target::Organization { oid: &record.org_oid, region: record.region };
        let is_author = matches!(actor, Actor::User(p) if p.user_id == record.author_id);
        if !is_author {
            self.authorize(actor, Action::ReadOrganization, target, request_id).await?;
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

    /// The requests waiting for an operator of the actor's regions (all regions for an
    /// administrator), oldest first, with overdue ones flagged.
    pub async fn moderation_queue(&self, actor: &Actor, request_id: &str) -> Result<Vec<RequestView>> {
        self.authorize(actor, Action::Moderate, Target::None, request_id).await?;
        let regions: &[u8] = match actor {
            Actor::User(person) if person.federal_role.is_none() => &person.operator_regions,
            _ => &[],
        };
        let records = self.store.submitted_requests(regions, 1000).await?;
        Ok(records.into_iter().map(|r| self.view(r, Vec::new())).collect())
    }

    /// An operator decides. `revision` is the one the operator saw.
    pub async fn decide_request(
        &self,
        actor: &Actor,
        id: i64,
        revision: i64,
        verdict: Verdict,
        request_id: &str,
    ) -> Result<RequestView> {
        let record = self.request_record(id).await?;
        let target = Target::Organization { oid: &record.org_oid, region: record.region };
        self.authorize(actor, Action::Moderate, target, request_id).await?;
        if record.status != "submitted" || record.revision != revision {
            return Err(moved(&record));
        }
        let Actor::User(person) = actor else { return Err(RegistryError::Forbidden(DenyCode::NotSignedIn)) };
        let label = self.actor_label(actor).await.1;
        let number = request_number(&record.kind, id, record.created_at);
        let (to, comment) = match &verdict {
            Verdict::Approve { comment } => {
                let comment = comment.trim();
                if comment.chars().count() > 2000 {
                    return Err(RegistryError::invalid(ValidationError::new(
                        "comment",
                        "Комментарий",
                        "не длиннее 2000 символов",
                    )));
                }
                ("approved", Some(comment.to_owned()).filter(|c| !c.is_empty()))
            }
            Verdict::Reject { reason } => {
                ("rejected", Some(required("comment", "Причина отказа", reason, "укажите причину отказа")?))
            }
            Verdict::Return { comment } => {
                ("returned", Some(required("comment", "Комментарий", comment, "укажите, что исправить")?))
            }
        };
        let change = StatusChange {
            id,
            from: &["submitted"],
            revision,
            to,
            at: self.now(),
            user_id: person.user_id,
            actor: &label,
            comment: comment.as_deref(),
        };
        let decision = json!({"request": number, "decision": to, "comment": comment});
        let decision_entry = self.entry(actor, "decision", &record.org_oid, decision, request_id).await;
        if record.kind == crate::moderation::applications::INCLUSION && matches!(verdict, Verdict::Approve { .. }) {
            self.approve_inclusion(actor, &record, &change, decision_entry, request_id).await?;
            return self.request_view(actor, id, request_id).await;
        }
        let notices = self.decision_notices(&record, &number, to, comment.as_deref()).await?;
        if let Verdict::Approve { .. } = verdict {
            let proposed: Organization =
                serde_json::from_str(&record.proposed).map_err(frmo_store::StoreError::from)?;
            let current = self.card(&Actor::System, &record.org_oid, None).await?;
            if current.row.version_id != record.base_version {
                return Err(RegistryError::Conflict(format!(
                    "Карточка организации изменилась после подачи заявки {number}; одобрить её как есть нельзя. \
                     Верните заявку автору на доработку."
                )));
            }
            let author = self.store.user_label(record.author_id).await?.map(|u| u.display_name).unwrap_or_default();
            let detail = json!({
                "reason": record.reason,
                "request": number,
                "requestedBy": author,
                "editedVersion": record.base_version,
                "fields": changed_fields(&current.organization, &proposed),
            });
            let change_entry = self.entry(actor, "change", &record.org_oid, detail, request_id).await;
            let version_record = VersionRecord::new(&proposed, OffsetDateTime::now_utc())?;
            self.store
                .approve_request(
                    &change,
                    version_record,
                    record.base_version,
                    vec![decision_entry, change_entry],
                    notices,
                    moved_message(&number),
                )
                .await?;
            self.refresh_index().await?;
        } else if !self.store.change_request_status(&change, None, None, vec![decision_entry], notices).await? {
            return Err(RegistryError::Conflict(moved_message(&number)));
        }
        self.request_view(actor, id, request_id).await
    }

    /// The author withdraws a request not yet decided.
    pub async fn withdraw_request(
        &self,
        actor: &Actor,
        id: i64,
        revision: i64,
        request_id: &str,
    ) -> Result<RequestView> {
        let record = self.authored(actor, id, request_id).await?;
        let step =
            AuthorStep { from: &["draft", "submitted", "returned"], to: "withdrawn", submitted: None, proposal: None };
        self.author_moves(actor, &record, revision, step, request_id).await
    }

    /// The author submits a draft, or resubmits a returned request with a corrected card (made
    /// from the card's current version) and reason.
    pub async fn submit_request(
        &self,
        actor: &Actor,
        id: i64,
        revision: i64,
        correction: Option<(Organization, &str)>,
        request_id: &str,
    ) -> Result<RequestView> {
        let record = self.authored(actor, id, request_id).await?;
        let proposal = match correction {
            None => None,
            Some((mut proposed, reason)) => {
                let reason = required("reason", "Причина изменения", reason, "укажите, почему меняются данные")?;
                let current = self.card(&Actor::System, &record.org_oid, None).await?;
                if proposed.oid.as_str() != record.org_oid {
                    return Err(RegistryError::invalid(ValidationError::new(
                        "oid",
                        "OID",
                        "заявка о другой организации",
                    )));
                }
                proposed.modify_date = OffsetDateTime::now_utc().to_offset(MOSCOW).date();
                proposed.validate().map_err(RegistryError::Invalid)?;
                let changes = changed_fields(&current.organization, &proposed);
                if changes.is_empty() {
                    return Err(RegistryError::invalid(ValidationError::new("card", "Карточка", "изменений нет")));
                }
                let json = serde_json::to_string(&proposed).map_err(frmo_store::StoreError::from)?;
                Some((json, Value::Array(changes).to_string(), reason, current.row.version_id))
            }
        };
        let due = self.due_on(self.now()).to_string();
        let submitted = Some((self.now(), due.as_str()));
        let proposal_ref = proposal.as_ref().map(|(p, c, r, v)| (p.as_str(), c.as_str(), r.as_str(), *v));
        let step = AuthorStep { from: &["draft", "returned"], to: "submitted", submitted, proposal: proposal_ref };
        self.author_moves(actor, &record, revision, step, request_id).await
    }

    /// The author corrects a change request the operator returned and sends it again: the same
    /// request (number and history kept), its proposal edited from what was proposed, not from a
    /// blank form.
    pub async fn resubmit_request(
        &self,
        actor: &Actor,
        id: i64,
        revision: i64,
        edit: crate::identity::cabinet::CardEdit,
        reason: &str,
        request_id: &str,
    ) -> Result<RequestView> {
        let record = self.authored(actor, id, request_id).await?;
        if record.status != "returned"
            || record.kind == crate::moderation::applications::INCLUSION
            || record.revision != revision
        {
            return Err(moved(&record));
        }
        let proposed: Organization = serde_json::from_str(&record.proposed).map_err(frmo_store::StoreError::from)?;
        let corrected = edit.apply(proposed)?;
        self.submit_request(actor, id, revision, Some((corrected, reason)), request_id).await
    }

    async fn authored(&self, actor: &Actor, id: i64, request_id: &str) -> Result<RequestRecord> {
        let record = self.request_record(id).await?;
        let target = Target::Organization { oid: &record.org_oid, region: record.region };
        self.authorize(actor, Action::EditOrganization, target, request_id).await?;
        let is_author = matches!(actor, Actor::User(p) if p.user_id == record.author_id);
        if !is_author {
            return Err(self.refuse(actor, Action::EditOrganization, target, DenyCode::NotTheAuthor, request_id).await);
        }
        Ok(record)
    }

    async fn author_moves(
        &self,
        actor: &Actor,
        record: &RequestRecord,
        revision: i64,
        step: AuthorStep<'_>,
        request_id: &str,
    ) -> Result<RequestView> {
        let AuthorStep { from, to, submitted, proposal } = step;
        let number = request_number(&record.kind, record.id, record.created_at);
        if !from.contains(&record.status.as_str()) || record.revision != revision {
            return Err(moved(record));
        }
        let label = self.actor_label(actor).await.1;
        let change = StatusChange {
            id: record.id,
            from,
            revision,
            to,
            at: self.now(),
            user_id: record.author_id,
            actor: &label,
            comment: None,
        };
        let entry =
            self.entry(actor, "request", &record.org_oid, json!({"request": number, "status": to}), request_id).await;
        let notices = if to == "submitted" {
            let reason = proposal.map_or(record.reason.as_str(), |p| p.2);
            self.submission_notices(record.region, record.id, &number, &record.org_oid, reason).await?
        } else {
            Vec::new()
        };
        if !self.store.change_request_status(&change, submitted, proposal, vec![entry], notices).await? {
            return Err(RegistryError::Conflict(moved_message(&number)));
        }
        self.request_view(actor, record.id, request_id).await
    }

    /// Tells the region's operators that a request waits for them.
    pub(crate) async fn submission_notices(
        &self,
        region: u8,
        id: i64,
        number: &str,
        oid: &str,
        reason: &str,
    ) -> Result<Vec<frmo_store::sql::Statement>> {
        let due = self
            .due_on(self.now())
            .format(time::macros::format_description!("[day].[month].[year]"))
            .unwrap_or_default();
        let title = format!("Новая заявка {number} на проверку");
        let body =
            format!("Организация {oid} просит изменить данные. Причина: {reason}. Срок рассмотрения — до {due}.");
        let mut statements = Vec::new();
        for (operator, _) in self.store.operators_of(region).await? {
            statements.extend(self.notice(operator, &title, &body, &format!("/cabinet/requests/{id}")).await?);
        }
        Ok(statements)
    }

    /// Tells the author what the operator decided.
    async fn decision_notices(
        &self,
        record: &RequestRecord,
        number: &str,
        to: &str,
        comment: Option<&str>,
    ) -> Result<Vec<frmo_store::sql::Statement>> {
        let title = format!("Заявка {number} {}", status_label(to));
        let body = match (to, comment) {
            ("approved", None) => format!("Изменения в карточке организации {} внесены в реестр.", record.org_oid),
            ("approved", Some(comment)) => format!(
                "Изменения в карточке организации {} внесены в реестр. Комментарий оператора: {comment}",
                record.org_oid
            ),
            ("returned", Some(comment)) => {
                format!("Оператор вернул заявку на доработку: {comment}. Исправьте её и отправьте снова.")
            }
            (_, Some(comment)) => format!("Оператор отклонил заявку. Причина: {comment}"),
            (_, None) => String::new(),
        };
        self.notice(record.author_id, &title, &body, &format!("/cabinet/requests/{}", record.id)).await
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
        let overdue = record.status == "submitted" && due_on.is_some_and(|due| today > due);
        let business_days = record.submitted_at.map(|at| {
            let end = record.decided_at.filter(|_| record.status != "submitted").map_or(today, moscow_date);
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
            status_label: status_label(&record.status),
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
                .map(|e| RequestEvent { actor: crate::moderation::journal::person_name(&e.actor), ..e })
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
        status_label(&record.status)
    ))
}

/// Review times of one region or one operator.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReviewFigures {
    /// The region's code, or the operator's name.
    pub key: String,
    pub decided: usize,
    /// Decided after their deadline.
    pub decided_late: usize,
    /// Waiting now, and of them past the deadline.
    pub waiting: usize,
    pub overdue: usize,
    /// Average business days from submission to decision.
    pub average_days: f64,
}

/// Review-time statistics of a period: per region and per operator.
#[derive(Debug, Clone)]
pub struct ReviewStatistics {
    pub since: Date,
    pub by_region: Vec<ReviewFigures>,
    pub by_operator: Vec<ReviewFigures>,
}

impl ReviewFigures {
    fn add(&mut self, view: &RequestView, decided: bool) {
        if decided {
            let days = view.business_days.unwrap_or(0);
            self.average_days = (self.average_days * self.decided as f64 + f64::from(days)) / (self.decided + 1) as f64;
            self.decided += 1;
        } else {
            self.waiting += 1;
        }
    }
}

impl Registry {
    /// How long requests submitted since `since` took: per region (of the actor's regions, or all
    /// for an administrator) and per deciding operator.
    pub async fn review_statistics(&self, actor: &Actor, since: Date, request_id: &str) -> Result<ReviewStatistics> {
        self.authorize(actor, Action::Moderate, Target::None, request_id).await?;
        let regions: &[u8] = match actor {
            Actor::User(person) if person.federal_role.is_none() => &person.operator_regions,
            _ => &[],
        };
        let from = since.midnight().assume_offset(MOSCOW).unix_timestamp();
        let records = self.store.requests_submitted_since(from, regions).await?;
        let (by_region, by_operator) = self.review_figures(records).await?;
        Ok(ReviewStatistics { since, by_region, by_operator })
    }

    /// Review figures of `records`: per region, and per deciding operator (named).
    pub(crate) async fn review_figures(
        &self,
        records: Vec<RequestRecord>,
    ) -> Result<(Vec<ReviewFigures>, Vec<ReviewFigures>)> {
        let mut by_region: std::collections::BTreeMap<u8, ReviewFigures> = Default::default();
        let mut by_operator: std::collections::BTreeMap<i64, ReviewFigures> = Default::default();
        for record in records {
            // Returned, withdrawn and draft requests are with their authors: neither decided nor waiting.
            let decided_by = record.decided_by;
            let decided = ["approved", "rejected"].contains(&record.status.as_str());
            if !decided && record.status != "submitted" {
                continue;
            }
            let late = decided
                && match (record.due_on.as_deref(), record.decided_at) {
                    (Some(due), Some(at)) => moscow_date(at).to_string().as_str() > due,
                    _ => false,
                };
            let region = record.region;
            let view = self.view(record, Vec::new());
            let figures = by_region
                .entry(region)
                .or_insert_with(|| ReviewFigures { key: region.to_string(), ..Default::default() });
            figures.add(&view, decided);
            figures.decided_late += usize::from(late);
            figures.overdue += usize::from(view.overdue);
            if let (true, Some(operator)) = (decided, decided_by) {
                let figures = by_operator.entry(operator).or_default();
                figures.add(&view, true);
                figures.decided_late += usize::from(late);
            }
        }
        let mut operators = Vec::new();
        for (id, mut figures) in by_operator {
            figures.key =
                self.store.user_label(id).await?.map_or_else(|| format!("пользователь {id}"), |u| u.display_name);
            operators.push(figures);
        }
        Ok((by_region.into_values().collect(), operators))
    }
}
