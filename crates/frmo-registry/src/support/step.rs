//! A step in a support conversation: a reply, taking the request, a change of topic or queue,
//! resolving, reopening within the reopen window, and the author's rating.

use frmo_domain::access::DenyCode;
use frmo_domain::error::ValidationError;
use frmo_domain::status::SupportStatus;
use frmo_store::outbox::mail_statement;
use frmo_store::sql::Statement;
use frmo_store::support::SupportStep;
use serde_json::json;

use crate::Caller;
use crate::support::classifier::Topic;
use crate::support::requests::{MAX_TEXT, REOPEN_DAYS, StepForm, add_business_hours, clean, principal, route};
use crate::{Registry, RegistryError, Result};

impl Registry {
    /// Takes a step on a request (see [`StepForm`]); the status it is in afterwards.
    pub async fn support_step(&self, caller: &Caller, id: i64, form: StepForm) -> Result<SupportStatus> {
        let (record, view) = self.readable_support_request(caller, id).await?;
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
        let person = principal(caller.actor()).map(|p| p.user_id);
        let (_, label) = self.actor_label(caller.actor()).await;
        let now = self.now();
        let open: &[SupportStatus] = &[SupportStatus::New, SupportStatus::InProgress, SupportStatus::WaitingUser];
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
                step.from = open;
                step.to = SupportStatus::InProgress;
                step.assignee = person;
            }
            "answer" => {
                staff_only(view.handler)?;
                need_text("Ответ")?;
                step.from = open;
                step.to = SupportStatus::WaitingUser;
                step.staff_answer = true;
                step.assignee = record.assignee_id.or(person);
                step.message = Some((&text, true));
                tell_author = Some((format!("Ответ на обращение {}", view.number), text.clone()));
            }
            "resolve" => {
                staff_only(view.handler)?;
                step.from = open;
                step.to = SupportStatus::Resolved;
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
                // A closed request keeps its topic: no status lets the guard through.
                step.from =
                    if record.status == SupportStatus::Closed { &[] } else { std::slice::from_ref(&record.status) };
                step.to = record.status;
                step.topic = Some((new_topic.as_str(), "operator", routed.0, routed.1));
                step.training = Some(&record.body);
                note = format!("Тема изменена: «{}» → «{}»", view.topic_label, topic.label());
                step.message = Some((&note, true));
            }
            "reply" => {
                author_only(view.author)?;
                need_text("Сообщение")?;
                step.from = open;
                step.to =
                    if record.status == SupportStatus::New { SupportStatus::New } else { SupportStatus::InProgress };
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
                step.from = &[SupportStatus::Resolved];
                step.to = SupportStatus::InProgress;
                step.reopened = true;
                step.message = Some((&text, false));
                tell_assignee = Some((format!("Обращение {} открыто снова", view.number), text.clone()));
            }
            "rate" => {
                author_only(view.author)?;
                rating = form.rating.trim().parse::<i64>().ok().filter(|r| (1..=5).contains(r)).ok_or_else(|| {
                    RegistryError::invalid(ValidationError::new("rating", "Оценка", "выберите от 1 до 5"))
                })?;
                step.from = &[SupportStatus::Resolved];
                step.to = SupportStatus::Closed;
                step.rating = Some(rating);
                step.message = Some((&text, false));
            }
            "close" => {
                if !view.author && !view.handler {
                    return Err(RegistryError::Forbidden(DenyCode::NotTheAuthor));
                }
                step.from = &[
                    SupportStatus::New,
                    SupportStatus::InProgress,
                    SupportStatus::WaitingUser,
                    SupportStatus::Resolved,
                ];
                step.to = SupportStatus::Closed;
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
            "action": form.action, "number": view.number, "from": record.status.as_str(), "to": step.to.as_str(),
            "topic": step.topic.map(|t| t.0), "rating": step.rating,
        });
        let audit = vec![self.entry(caller, "support", &format!("support:{id}"), detail).await];
        if self.store.support_step(&step, audit, notices).await? {
            Ok(step.to)
        } else {
            Err(RegistryError::Conflict(
                "Обращение уже изменилось (ответ или смена статуса); обновите страницу.".into(),
            ))
        }
    }
}
