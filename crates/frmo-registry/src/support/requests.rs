//! Support requests: filed from the cabinet (the person's own) or the public site (with an e-mail
//! for the answer), classified into a topic, routed to a queue with a first-answer deadline in
//! business hours, then answered, replied to, resolved, reopened, rated and closed — every step
//! guarded by the revision its author saw, journaled, and told to the other side through the
//! outbox. Requesters' e-mails are shown only to the people who handle the request.

use frmo_domain::access::{Action, Actor, Decision, DenyCode, Principal, Target, decide};
use frmo_domain::calendar::ProductionCalendar;
use frmo_domain::error::ValidationError;
use frmo_store::outbox::{mail_statement, notification_statement};
use frmo_store::sql::Statement;
use frmo_store::support::{
    NewSupportRequest, SupportAttachment, SupportMessage, SupportRecord, SupportStep, attachment_statement,
};
use serde_json::json;
use time::{Duration, OffsetDateTime, Time};

use super::classifier::{Basis, Classifier, Topic};
use crate::documents::files::Staged;
use crate::documents::{files_error, megabytes};
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

pub fn status_label(status: &str) -> &'static str {
    match status {
        "new" => "новое",
        "in_progress" => "в работе",
        "waiting_user" => "ожидает ответа пользователя",
        "resolved" => "решено",
        "closed" => "закрыто",
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
    pub record: SupportRecord,
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
    pub messages: Vec<SupportMessage>,
    pub attachments: Vec<SupportAttachment>,
    /// The author may still reopen it.
    pub reopenable: bool,
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
fn clean(text: &str) -> String {
    text.trim().chars().filter(|c| !c.is_control() || matches!(c, '\n' | '\t')).collect::<String>().replace("\r", "")
}

/// A short context field (page, code, request id): one line, at most 300 characters.
fn short(text: &str) -> String {
    text.trim().chars().filter(|c| !c.is_control()).take(300).collect()
}

fn principal(actor: &Actor) -> Option<&Principal> {
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

    /// Files a request. Everything is checked before anything is stored: a refused request leaves
    /// no row and no file. Returns its id.
    pub async fn submit_support_request(
        &self,
        actor: &Actor,
        form: SupportForm,
        attachments: Vec<Staged>,
        request_id: &str,
    ) -> Result<i64> {
        let signed_in = principal(actor);
        if signed_in.is_some() {
            self.authorize(actor, Action::AskSupport, Target::None, request_id).await?;
        }
        let mut errors = Vec::new();
        let text = clean(&form.text);
        match text.chars().count() {
            0 => errors.push(ValidationError::new("text", "Текст обращения", "не заполнен: опишите, что случилось")),
            n if n > MAX_TEXT => errors.push(ValidationError::new(
                "text",
                "Текст обращения",
                format!("не длиннее {MAX_TEXT} символов (сейчас {n})"),
            )),
            _ => {}
        }
        let chosen = match form.topic.trim() {
            "" => None,
            code => match Topic::parse(code) {
                Some(topic) => Some(topic),
                None => {
                    errors.push(ValidationError::new("topic", "Тема", "выберите тему из списка"));
                    None
                }
            },
        };
        let typed_email = form.email.trim().to_owned();
        let email = if !typed_email.is_empty() {
            if !valid_email(&typed_email) {
                errors.push(ValidationError::new(
                    "email",
                    "Электронная почта",
                    format!("«{typed_email}» не похоже на адрес электронной почты"),
                ));
            }
            Some(typed_email)
        } else if let Some(person) = signed_in {
            self.store.user_label(person.user_id).await?.and_then(|u| u.email)
        } else {
            errors.push(ValidationError::new(
                "email",
                "Электронная почта",
                "не заполнена: на неё придёт ответ службы поддержки",
            ));
            None
        };
        let org_oid = form.org_oid.trim().to_owned();
        let region = if org_oid.is_empty() {
            None
        } else {
            match self.organization_region(&org_oid).await {
                Ok(region) => Some(region),
                Err(RegistryError::NotFound(_) | RegistryError::Invalid(_)) => {
                    errors.push(ValidationError::new(
                        "org",
                        "Организация",
                        format!("организация с OID «{org_oid}» не найдена в реестре"),
                    ));
                    None
                }
                Err(other) => return Err(other),
            }
        };
        let mut files = Vec::new();
        let attachments: Vec<Staged> = attachments.into_iter().filter(|f| f.size > 0).collect();
        // The public form is not a file drop: the anonymous attach fewer and smaller files.
        let (max_files, anonymous_bytes) = match signed_in {
            Some(_) => (MAX_ATTACHMENTS, u64::MAX),
            None => (self.limits.settings.anonymous_support_files, self.limits.settings.anonymous_support_file_bytes),
        };
        if attachments.len() > max_files {
            let message = match max_files {
                0 => "к обращению без входа в кабинет файлы не прикладываются; войдите, чтобы приложить их".to_owned(),
                n => format!("не больше {n} файлов"),
            };
            errors.push(ValidationError::new("files", "Вложения", message));
        } else if !attachments.is_empty() {
            match self.documents_store() {
                Err(_) => {
                    errors.push(ValidationError::new("files", "Вложения", "файлы в этом развёртывании не принимаются"))
                }
                Ok(documents) => {
                    let max_bytes = documents.settings.max_bytes.min(anonymous_bytes);
                    for mut staged in attachments {
                        if staged.size > max_bytes {
                            let limit = megabytes(max_bytes);
                            errors.push(ValidationError::new(
                                "files",
                                "Вложения",
                                format!("файл «{}» больше допустимых {limit}", staged.name),
                            ));
                            continue;
                        }
                        let sha = staged.finish().map_err(|e| RegistryError::Store(e.into()))?;
                        match crate::documents::sniff_staged(&staged, documents.settings.package_limits).await? {
                            Ok(format) => files.push((staged, sha, format)),
                            Err(error) => errors.push(ValidationError::new(
                                "files",
                                "Вложения",
                                format!("файл «{}»: {}", staged.name, error.message),
                            )),
                        }
                    }
                }
            }
        }
        if !errors.is_empty() {
            return Err(RegistryError::Invalid(errors));
        }

        let guess = self.support_classifier().await?.classify(&text, chosen);
        let (queue, hours) = route(guess.topic, region);
        let now = self.now();
        let due_at = add_business_hours(&self.moderation.calendar, now, hours);
        let basis = match guess.basis {
            Basis::Explicit => "explicit",
            Basis::Rule(_) => "rule",
            Basis::Model => "model",
        };
        let mut stored: Vec<String> = Vec::new();
        let mut statements = Vec::new();
        for (staged, sha, format) in &files {
            let documents = self.documents_store()?;
            let key = format!("support/{}", uuid::Uuid::new_v4().simple());
            if let Err(error) = documents.files.put_file(&key, staged.path()).await {
                for key in &stored {
                    let _ = documents.files.delete(key).await;
                }
                return Err(files_error(error));
            }
            statements.push(attachment_statement(&key, &staged.name, format.extension(), staged.size as i64, sha));
            stored.push(key);
        }
        let (_, actor_label) = self.actor_label(actor).await;
        let author_label = if signed_in.is_some() {
            actor_label
        } else {
            "заявитель (публичная форма)".to_owned()
        };
        let new = NewSupportRequest {
            author_id: signed_in.map(|p| p.user_id),
            email: email.as_deref(),
            org_oid: &org_oid,
            region,
            chosen_topic: chosen.map(Topic::as_str),
            topic: guess.topic.as_str(),
            topic_basis: basis,
            queue,
            body: &text,
            page: &short(&form.page),
            error_code: &short(&form.error_code),
            error_request: &short(&form.error_request),
            now,
            due_at,
            actor: &author_label,
        };
        let id = match self.store.create_support_request(&new, statements).await {
            Ok(id) => id,
            Err(error) => {
                if let Ok(documents) = self.documents_store() {
                    for key in &stored {
                        let _ = documents.files.delete(key).await;
                    }
                }
                return Err(error.into());
            }
        };
        let number = number(id, now);
        let detail = json!({
            "action": "create", "number": number, "topic": guess.topic.as_str(), "basis": basis,
            "queue": queue, "attachments": stored.len(),
        });
        self.journal(actor, "support", &format!("support:{id}"), detail, request_id).await?;
        // Tell the requester the number, and the region's operators about a request in their queue.
        let mut notices = Vec::new();
        let due = super::format_time(due_at);
        let title = format!("Обращение {number} принято");
        let body = format!("Ваше обращение зарегистрировано: тема «{}», ответ — до {due}.", guess.topic.label());
        if let Some(person) = signed_in {
            notices.push(notification_statement(person.user_id, &title, &body, &format!("/cabinet/support/{id}"), now));
        }
        if let Some(email) = &email {
            // Only fixed text and the number: the address is whatever the sender typed, and the
            // registry must not relay a stranger's words to it.
            let text = format!(
                "{body}\n\nЕсли вы не обращались в службу поддержки реестра медицинских организаций, \
                 ничего не делайте.\n\n— Служба поддержки ФРМО"
            );
            notices.push(mail_statement(email, &title, &text, now));
        }
        if queue == "region"
            && let Some(region) = region
        {
            for (operator, _) in self.store.operators_of(region).await? {
                notices.push(notification_statement(
                    operator,
                    &format!("Новое обращение {number}"),
                    &format!("Тема «{}», ответ до {due}.", guess.topic.label()),
                    &format!("/cabinet/support/{id}"),
                    now,
                ));
            }
        }
        self.store.run_all(notices).await?;
        Ok(id)
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
    pub async fn support_request(&self, actor: &Actor, id: i64, request_id: &str) -> Result<SupportView> {
        self.authorize(actor, Action::AskSupport, Target::None, request_id).await?;
        let not_found = || RegistryError::NotFound(format!("Обращение {id} не найдено"));
        let record = self.store.support_request(id).await?.ok_or_else(not_found)?;
        let author = principal(actor).is_some_and(|p| Some(p.user_id) == record.author_id);
        let handler = Self::handles(actor, &record);
        if !author && !handler {
            let _ = self.refuse(actor, Action::HandleSupport, Target::None, DenyCode::RoleRequired, request_id).await;
            return Err(not_found());
        }
        let messages = self.store.support_messages(id).await?;
        let attachments = self.store.support_attachments(id).await?;
        Ok(self.support_view(record, author, handler, messages, attachments))
    }

    fn support_view(
        &self,
        record: SupportRecord,
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
            status_label: status_label(&record.status),
            overdue: record.first_answer_at.is_none()
                && !matches!(record.status.as_str(), "resolved" | "closed")
                && now > record.due_at,
            handler,
            author,
            email: if handler { record.email.clone() } else { None },
            reopenable: record.status == "resolved"
                && record.resolved_at.is_some_and(|at| now - at <= REOPEN_DAYS * 86_400),
            messages,
            attachments,
            record,
        }
    }

    /// The person's own requests, newest first.
    pub async fn my_support_requests(&self, actor: &Actor, request_id: &str) -> Result<Vec<SupportView>> {
        self.authorize(actor, Action::AskSupport, Target::None, request_id).await?;
        let Some(person) = principal(actor) else { return Ok(Vec::new()) };
        let records = self.store.support_requests_of(person.user_id, 200).await?;
        Ok(records.into_iter().map(|r| self.support_view(r, true, false, Vec::new(), Vec::new())).collect())
    }

    /// The operator's queue: open requests the actor handles, the nearest deadline first.
    pub async fn support_queue(&self, actor: &Actor, request_id: &str) -> Result<Vec<SupportView>> {
        self.authorize(actor, Action::HandleSupport, Target::None, request_id).await?;
        let records = self.store.open_support_requests(1000).await?;
        Ok(records
            .into_iter()
            .filter(|r| Self::handles(actor, r))
            .map(|r| {
                let author = principal(actor).is_some_and(|p| Some(p.user_id) == r.author_id);
                self.support_view(r, author, true, Vec::new(), Vec::new())
            })
            .collect())
    }

    /// An attachment's record, for the request's author and handlers.
    pub async fn support_attachment(
        &self,
        actor: &Actor,
        id: i64,
        attachment: i64,
        request_id: &str,
    ) -> Result<(SupportAttachment, bytes::Bytes)> {
        let view = self.support_request(actor, id, request_id).await?;
        let found = view
            .attachments
            .into_iter()
            .find(|a| a.id == attachment)
            .ok_or_else(|| RegistryError::NotFound(format!("Вложение {attachment} не найдено")))?;
        let bytes = self.documents_store()?.files.read(&found.file_key).await.map_err(files_error)?;
        Ok((found, bytes))
    }

    /// Takes a step on a request (see [`StepForm`]); the status it is in afterwards.
    pub async fn support_step(&self, actor: &Actor, id: i64, form: StepForm, request_id: &str) -> Result<&'static str> {
        let view = self.support_request(actor, id, request_id).await?;
        let record = &view.record;
        let text = clean(&form.text);
        if text.chars().count() > MAX_TEXT {
            return Err(RegistryError::invalid(ValidationError::new(
                "text",
                "Сообщение",
                format!("не длиннее {MAX_TEXT} символов"),
            )));
        }
        let need_text = |label: &'static str| {
            if text.is_empty() {
                Err(RegistryError::invalid(ValidationError::new("text", label, "не заполнено")))
            } else {
                Ok(())
            }
        };
        let person = principal(actor).map(|p| p.user_id);
        let (_, label) = self.actor_label(actor).await;
        let now = self.now();
        let open: &[&str] = &["new", "in_progress", "waiting_user"];
        let note: String;
        let mut step = SupportStep {
            id,
            revision: form.revision,
            at: now,
            user_id: person,
            actor: &label,
            ..SupportStep::default()
        };
        let staff_only = |allowed: bool| {
            if allowed { Ok(()) } else { Err(RegistryError::Forbidden(DenyCode::RoleRequired)) }
        };
        let author_only = |allowed: bool| {
            if allowed { Ok(()) } else { Err(RegistryError::Forbidden(DenyCode::NotTheAuthor)) }
        };
        let rating;
        let new_topic;
        let routed;
        // Who is told, what.
        let mut tell_author: Option<(String, String)> = None;
        let mut tell_assignee: Option<(String, String)> = None;
        match form.action.as_str() {
            "take" => {
                staff_only(view.handler)?;
                step.from = &["new", "in_progress", "waiting_user"];
                step.to = "in_progress";
                step.assignee = person;
            }
            "answer" => {
                staff_only(view.handler)?;
                need_text("Ответ")?;
                step.from = open;
                step.to = "waiting_user";
                step.staff_answer = true;
                step.assignee = record.assignee_id.or(person);
                step.message = Some((&text, true));
                tell_author = Some((format!("Ответ на обращение {}", view.number), text.clone()));
            }
            "resolve" => {
                staff_only(view.handler)?;
                step.from = open;
                step.to = "resolved";
                step.resolved = true;
                step.staff_answer = !text.is_empty();
                step.message = Some((&text, true));
                let body = if text.is_empty() { "Обращение решено.".to_owned() } else { text.clone() };
                tell_author = Some((
                    format!("Обращение {} решено", view.number),
                    format!(
                        "{body}\n\nОцените, пожалуйста, ответ в личном кабинете; если проблема осталась, обращение можно открыть снова в течение {REOPEN_DAYS} дней."
                    ),
                ));
            }
            "reclassify" => {
                staff_only(view.handler)?;
                let topic = Topic::parse(form.topic.trim()).ok_or_else(|| {
                    RegistryError::invalid(ValidationError::new("topic", "Тема", "выберите тему из списка"))
                })?;
                new_topic = topic;
                let (queue, hours) = route(topic, record.region);
                routed = (queue, add_business_hours(&self.moderation.calendar, record.created_at, hours));
                // The status stays: the guard lists only the current one.
                step.from = match record.status.as_str() {
                    "new" => &["new"],
                    "in_progress" => &["in_progress"],
                    "waiting_user" => &["waiting_user"],
                    "resolved" => &["resolved"],
                    _ => &["-"],
                };
                step.to = status_of(&record.status);
                step.topic = Some((new_topic.as_str(), "operator", routed.0, routed.1));
                step.training = Some(&record.body);
                note = format!("Тема изменена: «{}» → «{}»", view.topic_label, topic.label());
                step.message = Some((&note, true));
            }
            "reply" => {
                author_only(view.author)?;
                need_text("Сообщение")?;
                step.from = open;
                step.to = if record.status == "new" { "new" } else { "in_progress" };
                step.message = Some((&text, false));
                tell_assignee = Some((format!("Пользователь ответил: {}", view.number), text.clone()));
            }
            "reopen" => {
                author_only(view.author)?;
                if !view.reopenable {
                    return Err(RegistryError::Conflict(format!(
                        "Открыть снова можно только решённое обращение в течение {REOPEN_DAYS} дней после решения."
                    )));
                }
                step.from = &["resolved"];
                step.to = "in_progress";
                step.reopened = true;
                step.message = Some((&text, false));
                tell_assignee = Some((format!("Обращение {} открыто снова", view.number), text.clone()));
            }
            "rate" => {
                author_only(view.author)?;
                rating = form.rating.trim().parse::<i64>().ok().filter(|r| (1..=5).contains(r)).ok_or_else(|| {
                    RegistryError::invalid(ValidationError::new("rating", "Оценка", "выберите от 1 до 5"))
                })?;
                step.from = &["resolved"];
                step.to = "closed";
                step.rating = Some(rating);
                step.message = Some((&text, false));
            }
            "close" => {
                if !view.author && !view.handler {
                    return Err(RegistryError::Forbidden(DenyCode::NotTheAuthor));
                }
                step.from = &["new", "in_progress", "waiting_user", "resolved"];
                step.to = "closed";
                step.message = Some((&text, view.handler && !view.author));
            }
            other => {
                return Err(RegistryError::invalid(ValidationError::new(
                    "action",
                    "Действие",
                    format!("неизвестное действие «{other}»"),
                )));
            }
        }
        let mut notices: Vec<Statement> = Vec::new();
        let link = format!("/cabinet/support/{id}");
        if let Some((title, body)) = &tell_author {
            match record.author_id {
                Some(author) => notices.extend(self.notice(author, title, body, &link).await?),
                None => {
                    if let Some(email) = &record.email {
                        let text = format!(
                            "{body}\n\nЧтобы ответить, отправьте новое обращение и укажите номер {}.\n\n— Служба поддержки ФРМО",
                            view.number
                        );
                        notices.push(mail_statement(email, title, &text, now));
                    }
                }
            }
        }
        if let (Some((title, body)), Some(assignee)) = (&tell_assignee, record.assignee_id) {
            notices.extend(self.notice(assignee, title, body, &link).await?);
        }
        let detail = json!({
            "action": form.action, "number": view.number, "from": record.status, "to": step.to,
            "topic": step.topic.map(|t| t.0), "rating": step.rating,
        });
        let audit = vec![self.entry(actor, "support", &format!("support:{id}"), detail, request_id).await];
        if self.store.support_step(&step, audit, notices).await? {
            Ok(status_of(step.to))
        } else {
            Err(RegistryError::Conflict(
                "Обращение уже изменилось (ответ или смена статуса); обновите страницу.".into(),
            ))
        }
    }
}

impl Registry {
    /// Closes requests resolved more than [`REOPEN_DAYS`] ago (their authors can no longer reopen
    /// them); returns how many. Runs in `serve` every hour.
    pub async fn close_resolved_support_requests(&self, request_id: &str) -> Result<usize> {
        let cutoff = self.now() - REOPEN_DAYS * 86_400;
        let mut closed = 0;
        for record in self.store.open_support_requests(10_000).await? {
            if record.status != "resolved" || record.resolved_at.is_none_or(|at| at >= cutoff) {
                continue;
            }
            let step = StepForm {
                action: "close".into(),
                text: format!("Закрыто автоматически: прошло {REOPEN_DAYS} дней после решения."),
                revision: record.revision,
                ..StepForm::default()
            };
            match self.support_step(&Actor::System, record.id, step, request_id).await {
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

/// The static spelling of a status.
fn status_of(status: &str) -> &'static str {
    match status {
        "new" => "new",
        "in_progress" => "in_progress",
        "waiting_user" => "waiting_user",
        "resolved" => "resolved",
        _ => "closed",
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
