//! A new support request: checked (text, contacts, attachments by content), classified into a topic
//! and a queue, given its deadline in business hours, stored with its files, and acknowledged.

use frmo_domain::access::{Action, Target};
use frmo_domain::error::ValidationError;
use frmo_store::outbox::{mail_statement, notification_statement};
use frmo_store::support::{NewSupportRequest, attachment_statement};
use serde_json::json;

use crate::Caller;
use crate::documents::files::Staged;
use crate::documents::{files_error, megabytes};
use crate::support::classifier::{Basis, Topic};
use crate::support::requests::{
    MAX_ATTACHMENTS, MAX_TEXT, SupportForm, add_business_hours, clean, number, principal, route, short, valid_email,
};
use crate::{Registry, RegistryError, Result};

impl Registry {
    /// Files a request. Everything is checked before anything is stored: a refused request leaves
    /// no row and no file. Returns its id.
    pub async fn submit_support_request(
        &self,
        caller: &Caller,
        form: SupportForm,
        attachments: Vec<Staged>,
    ) -> Result<i64> {
        let signed_in = principal(caller.actor());
        if signed_in.is_some() {
            self.authorize(caller, Action::AskSupport, Target::None).await?;
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
            let region = match crate::register::organization_oid(&org_oid) {
                Ok(oid) => self.organization_region(&oid).await,
                Err(error) => Err(error),
            };
            match region {
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
        let (_, actor_label) = self.actor_label(caller.actor()).await;
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
        self.journal(caller, "support", &format!("support:{id}"), detail).await?;
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
}
