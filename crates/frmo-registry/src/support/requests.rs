//! Support requests: filed from the cabinet (the person's own) or the public site (with an e-mail
//! for the answer), classified into a topic, routed to a queue with a first-answer deadline in
//! business hours, then answered, replied to, resolved, reopened, rated and closed — every step
//! guarded by the revision its author saw, journaled, and told to the other side through the
//! outbox. Requesters' e-mails are shown only to the people who handle the request.

use frmo_domain::access::{Action, Actor, Decision, DenyCode, Principal, Target, decide};
use frmo_domain::calendar::ProductionCalendar;
use frmo_domain::status::SupportStatus;
use frmo_store::support::{SupportAttachment, SupportMessage, SupportRecord};
use time::{Duration, OffsetDateTime, Time};

use super::classifier::{Classifier, Topic};
use crate::Caller;
use crate::documents::files_error;
use crate::moderation::requests::MOSCOW;
use crate::{Registry, RegistryError, Result};

/// The working day, Moscow time: 09:00–18:00.
const DAY_START: u8 = 9;
const DAY_END: u8 = 18;
/// A resolved request may be reopened by its author this many days after.
pub const REOPEN_DAYS: i64 = 7;
/// At most this many files per request.
pub const MAX_ATTACHMENTS: usize = 5;
/// The longest text of a request or message.
pub const MAX_TEXT: usize = 5000;

/// Where a topic goes and how many business hours its first answer may take.
pub fn route(topic: Topic, region: Option<u8>) -> (&'static str, u32) {
    match topic {
        Topic::Failure => ("desk", 8),
        Topic::Access => ("desk", 8),
        Topic::Interface => ("desk", 16),
        Topic::Data if region.is_some() => ("region", 24),
        Topic::Data => ("admin", 24),
        Topic::Proposal => ("admin", 40),
    }
}

pub fn queue_label(queue: &str) -> &'static str {
    match queue {
        "desk" => "Служба поддержки",
        "region" => "Оператор региона",
        "admin" => "Администратор реестра",
        _ => "—",
    }
}

/// `start` plus `hours` working hours (09:00–18:00 Moscow time on the calendar's working days),
/// unix seconds. A request filed at night or on a holiday starts its clock the next working morning.
pub fn add_business_hours(calendar: &ProductionCalendar, start: i64, hours: u32) -> i64 {
    let mut at = OffsetDateTime::from_unix_timestamp(start).unwrap_or(OffsetDateTime::UNIX_EPOCH).to_offset(MOSCOW);
    let mut left = Duration::hours(i64::from(hours));
    let open = |date: time::Date| {
        date.with_time(Time::from_hms(DAY_START, 0, 0).unwrap_or(Time::MIDNIGHT)).assume_offset(MOSCOW)
    };
    let close = |date: time::Date| {
        date.with_time(Time::from_hms(DAY_END, 0, 0).unwrap_or(Time::MIDNIGHT)).assume_offset(MOSCOW)
    };
    // At most a few years of days: a calendar without working days cannot loop forever.
    for _ in 0..3000 {
        let date = at.date();
        if !calendar.is_working_day(date) || at >= close(date) {
            at = open(date.next_day().unwrap_or(date));
            continue;
        }
        if at < open(date) {
            at = open(date);
        }
        let available = close(date) - at;
        if left <= available {
            return (at + left).unix_timestamp();
        }
        left -= available;
        at = open(date.next_day().unwrap_or(date));
    }
    at.unix_timestamp()
}

/// The request form, as typed.
#[derive(Debug, Clone, Default)]
pub struct SupportForm {
    /// A topic code, or empty to let the classifier choose.
    pub topic: String,
    pub text: String,
    /// Required on the public form; in the cabinet the person's own address is used when empty.
    pub email: String,
    /// The organization it is about (optional).
    pub org_oid: String,
    /// Where the requester came from: page, error code, request id of the error page.
    pub page: String,
    pub error_code: String,
    pub error_request: String,
}

/// A step on a request, as asked for.
#[derive(Debug, Clone, Default)]
pub struct StepForm {
    /// `take`, `answer`, `resolve`, `reclassify`, `close` (staff); `reply`, `reopen`, `rate`,
    /// `close` (author).
    pub action: String,
    pub text: String,
    pub topic: String,
    pub rating: String,
    pub revision: i64,
}

/// A request as a person sees it.
#[derive(Debug, Clone)]
pub struct SupportView {
    pub id: i64,
    /// The organization it is about, or empty.
    pub org_oid: String,
    /// The queue's code (`federal`, `region-63`, …).
    pub queue: String,
    pub body: String,
    /// The page it was sent from, and the error (code, request id) it reports, or empty.
    pub page: String,
    pub error_code: String,
    pub error_request: String,
    pub status: SupportStatus,
    pub created_at: i64,
    pub due_at: i64,
    /// The author's rating of the answer, 1–5.
    pub rating: Option<i64>,
    /// Steps are taken on the revision their author saw.
    pub revision: i64,
    /// `ОБ-2026-000123`.
    pub number: String,
    pub topic: Topic,
    pub topic_label: &'static str,
    pub queue_label: &'static str,
    pub status_label: &'static str,
    /// Not answered yet and past the deadline.
    pub overdue: bool,
    /// The viewer handles it (and so sees the requester's e-mail).
    pub handler: bool,
    /// The viewer filed it.
    pub author: bool,
    /// The requester's e-mail: only for handlers.
    pub email: Option<String>,
    pub messages: Vec<MessageView>,
    pub attachments: Vec<AttachmentView>,
    /// The author may still reopen it.
    pub reopenable: bool,
}

/// A message of a request's conversation (or a status step, with `status`), as its page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageView {
    pub at: i64,
    /// Who wrote it, as named at the time.
    pub actor: String,
    /// Written by the support staff.
    pub staff: bool,
    pub body: String,
    /// The status the request moved to with it, if it is a step.
    pub status: Option<SupportStatus>,
}

impl From<SupportMessage> for MessageView {
    fn from(message: SupportMessage) -> Self {
        let SupportMessage { at, user_id: _, actor, staff, body, status } = message;
        MessageView { at, actor, staff, body, status }
    }
}

/// A file attached to a request, as its page lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentView {
    pub id: i64,
    pub name: String,
    /// `pdf`, `docx`, `jpg` or `png`.
    pub format: String,
    /// Bytes.
    pub size: i64,
}

impl From<SupportAttachment> for AttachmentView {
    fn from(attachment: SupportAttachment) -> Self {
        let SupportAttachment { id, name, format, size, .. } = attachment;
        AttachmentView { id, name, format, size }
    }
}

/// The request number: `ОБ-<year>-<id, 6 digits>`.
pub fn number(id: i64, created_at: i64) -> String {
    let year = OffsetDateTime::from_unix_timestamp(created_at).map(|t| t.to_offset(MOSCOW).year()).unwrap_or(1970);
    format!("ОБ-{year}-{id:06}")
}

/// A plausible e-mail address: one `@`, a local part, a dotted domain, no spaces, at most 254.
pub fn valid_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else { return false };
    !local.is_empty()
        && email.len() <= 254
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !email.chars().any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | ',' | ';' | '"'))
}

/// Text fit to keep: trimmed, without control characters other than line breaks and tabs.
pub(super) fn clean(text: &str) -> String {
    text.trim().chars().filter(|c| !c.is_control() || matches!(c, '\n' | '\t')).collect::<String>().replace("\r", "")
}

/// A short context field (page, code, request id): one line, at most 300 characters.
pub(super) fn short(text: &str) -> String {
    text.trim().chars().filter(|c| !c.is_control()).take(300).collect()
}

pub(super) fn principal(actor: &Actor) -> Option<&Principal> {
    match actor {
        Actor::User(p) => Some(p),
        _ => None,
    }
}

impl Registry {
    /// The number a request is known by (`number`), for the confirmation of the public form.
    pub async fn support_request_number(&self, id: i64) -> Result<Option<String>> {
        Ok(self.store.support_request(id).await?.map(|r| number(r.id, r.created_at)))
    }
}

impl Registry {
    /// The topic model: the shipped training set and every re-classified request.
    pub async fn support_classifier(&self) -> Result<Classifier> {
        let stored = self.store.support_training().await?;
        let extra = stored.into_iter().filter_map(|(topic, text)| Topic::parse(&topic).map(|t| (t, text)));
        Ok(Classifier::shipped_with(extra))
    }

    /// Whether `actor` handles the request (its queue's staff). Pure on the record.
    fn handles(actor: &Actor, record: &SupportRecord) -> bool {
        let action = match (record.queue.as_str(), record.region) {
            ("region", Some(region)) => {
                decide(actor, Action::HandleSupport, Target::Organization { oid: &record.org_oid, region })
            }
            _ => decide(actor, Action::Administer, Target::None),
        };
        action == Decision::Allow
    }

    /// A request for its author or its handlers; others get «not found» (a request's existence is
    /// not theirs to know), and the refusal is journaled.
    pub async fn support_request(&self, caller: &Caller, id: i64) -> Result<SupportView> {
        self.readable_support_request(caller, id).await.map(|(_, view)| view)
    }

    /// [`Registry::support_request`] with the row as stored, for the registry's own steps.
    pub(super) async fn readable_support_request(
        &self,
        caller: &Caller,
        id: i64,
    ) -> Result<(SupportRecord, SupportView)> {
        self.authorize(caller, Action::AskSupport, Target::None).await?;
        let not_found = || RegistryError::NotFound(format!("Обращение {id} не найдено"));
        let record = self.store.support_request(id).await?.ok_or_else(not_found)?;
        let author = principal(caller.actor()).is_some_and(|p| Some(p.user_id) == record.author_id);
        let handler = Self::handles(caller.actor(), &record);
        if !author && !handler {
            let _ = self.refuse(caller, Action::HandleSupport, Target::None, DenyCode::RoleRequired).await;
            return Err(not_found());
        }
        let messages = self.store.support_messages(id).await?;
        let attachments = self.store.support_attachments(id).await?;
        let view = self.support_view(&record, author, handler, messages, attachments);
        Ok((record, view))
    }

    fn support_view(
        &self,
        record: &SupportRecord,
        author: bool,
        handler: bool,
        messages: Vec<SupportMessage>,
        attachments: Vec<SupportAttachment>,
    ) -> SupportView {
        let topic = Topic::parse(&record.topic).unwrap_or(Topic::Interface);
        let now = self.now();
        SupportView {
            number: number(record.id, record.created_at),
            topic,
            topic_label: topic.label(),
            queue_label: queue_label(&record.queue),
            status_label: record.status.label(),
            overdue: record.first_answer_at.is_none() && record.status.is_open() && now > record.due_at,
            handler,
            author,
            email: if handler { record.email.clone() } else { None },
            reopenable: record.status == SupportStatus::Resolved
                && record.resolved_at.is_some_and(|at| now - at <= REOPEN_DAYS * 86_400),
            messages: messages.into_iter().map(MessageView::from).collect(),
            attachments: attachments.into_iter().map(AttachmentView::from).collect(),
            id: record.id,
            org_oid: record.org_oid.clone(),
            queue: record.queue.clone(),
            body: record.body.clone(),
            page: record.page.clone(),
            error_code: record.error_code.clone(),
            error_request: record.error_request.clone(),
            status: record.status,
            created_at: record.created_at,
            due_at: record.due_at,
            rating: record.rating,
            revision: record.revision,
        }
    }

    /// The person's own requests, newest first.
    pub async fn my_support_requests(&self, caller: &Caller) -> Result<Vec<SupportView>> {
        self.authorize(caller, Action::AskSupport, Target::None).await?;
        let Some(person) = principal(caller.actor()) else { return Ok(Vec::new()) };
        let records = self.store.support_requests_of(person.user_id, 200).await?;
        Ok(records.into_iter().map(|r| self.support_view(&r, true, false, Vec::new(), Vec::new())).collect())
    }

    /// The operator's queue: open requests the actor handles, the nearest deadline first.
    pub async fn support_queue(&self, caller: &Caller) -> Result<Vec<SupportView>> {
        self.authorize(caller, Action::HandleSupport, Target::None).await?;
        let records = self.store.open_support_requests(1000).await?;
        Ok(records
            .into_iter()
            .filter(|r| Self::handles(caller.actor(), r))
            .map(|r| {
                let author = principal(caller.actor()).is_some_and(|p| Some(p.user_id) == r.author_id);
                self.support_view(&r, author, true, Vec::new(), Vec::new())
            })
            .collect())
    }

    /// An attachment and its bytes, for the request's author and handlers.
    pub async fn support_attachment(
        &self,
        caller: &Caller,
        id: i64,
        attachment: i64,
    ) -> Result<(AttachmentView, bytes::Bytes)> {
        self.support_request(caller, id).await?;
        let found = (self.store.support_attachments(id).await?.into_iter())
            .find(|a| a.id == attachment)
            .ok_or_else(|| RegistryError::NotFound(format!("Вложение {attachment} не найдено")))?;
        let bytes = self.documents_store()?.files.read(&found.file_key).await.map_err(files_error)?;
        Ok((found.into(), bytes))
    }
}

impl Registry {
    /// Closes requests resolved more than [`REOPEN_DAYS`] ago (their authors can no longer reopen
    /// them); returns how many. Runs in `serve` every hour.
    pub async fn close_resolved_support_requests(&self, request_id: &str) -> Result<usize> {
        let cutoff = self.now() - REOPEN_DAYS * 86_400;
        let mut closed = 0;
        for record in self.store.open_support_requests(10_000).await? {
            if record.status != SupportStatus::Resolved || record.resolved_at.is_none_or(|at| at >= cutoff) {
                continue;
            }
            let step = StepForm {
                action: "close".into(),
                text: format!("Закрыто автоматически: прошло {REOPEN_DAYS} дней после решения."),
                revision: record.revision,
                ..StepForm::default()
            };
            match self.support_step(&Caller::system(request_id), record.id, step).await {
                Ok(_) => closed += 1,
                // Someone moved it meanwhile (reopened or rated): nothing to do.
                Err(RegistryError::Conflict(_)) => {}
                Err(other) => return Err(other),
            }
        }
        Ok(closed)
    }

    /// The hourly support job of `serve`: closing requests resolved long ago.
    pub fn spawn_support_jobs(&self, every: std::time::Duration) -> tokio::task::JoinHandle<()> {
        let registry = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            loop {
                tick.tick().await;
                if let Err(error) = registry.close_resolved_support_requests("support-job").await {
                    tracing::warn!(%error, "closing resolved support requests failed");
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn at(moment: OffsetDateTime) -> i64 {
        moment.unix_timestamp()
    }

    #[test]
    fn business_hours_skip_nights_weekends_and_holidays() {
        let calendar = ProductionCalendar::default();
        // Friday 17:00 + 8 h: one hour on Friday, seven on Monday.
        let friday = at(datetime!(2026-11-20 17:00 +3));
        assert_eq!(add_business_hours(&calendar, friday, 8), at(datetime!(2026-11-23 16:00 +3)));
        // Filed on Saturday night: the clock starts on Monday morning.
        let saturday = at(datetime!(2026-11-21 23:30 +3));
        assert_eq!(add_business_hours(&calendar, saturday, 2), at(datetime!(2026-11-23 11:00 +3)));
        // 4 November (Day of National Unity) is a holiday.
        let before = at(datetime!(2026-11-03 17:00 +3));
        assert_eq!(add_business_hours(&calendar, before, 2), at(datetime!(2026-11-05 10:00 +3)));
        // Early morning counts from nine.
        let early = at(datetime!(2026-11-24 06:00 +3));
        assert_eq!(add_business_hours(&calendar, early, 9), at(datetime!(2026-11-24 18:00 +3)));
    }

    #[test]
    fn routes_and_addresses() {
        assert_eq!(route(Topic::Data, Some(63)).0, "region");
        assert_eq!(route(Topic::Data, None).0, "admin");
        assert_eq!(route(Topic::Proposal, Some(63)).0, "admin");
        assert_eq!(route(Topic::Access, None), ("desk", 8));
        for good in ["ivanov@mail.ru", "a.b+c@xn--80a.xn--p1ai"] {
            assert!(valid_email(good), "{good}");
        }
        for bad in ["", "ivanov", "ivanov@", "@mail.ru", "a b@mail.ru", "a@b@c.ru", "a@mailru", "a@.ru"] {
            assert!(!valid_email(bad), "{bad}");
        }
    }
}
