//! Confirmations after an action (the GOV.UK «confirmation panel»): what was done, its reference
//! number where there is one, and what happens next. The form answers with a redirect (Post/
//! Redirect/Get) whose address carries only a code (`?done=document`); the text is fixed here, so
//! nobody can make the registry show their words as its own by sending a link. An unknown code
//! shows nothing. Confirmations with a number (a change request, a support request) are made from
//! the record itself by the page that shows it.

/// After a workers file was imported.
pub const IMPORTED: &str = "import";
/// After a document was uploaded.
pub const DOCUMENT: &str = "document";
/// After a change applied at once (no review needed).
pub const CARD_SAVED: &str = "card";
/// After an invitation to the organization's cabinet.
pub const INVITED: &str = "invited";
/// After a member's access was revoked or an invitation withdrawn.
pub const MEMBERS: &str = "members";
/// After the consent was given.
pub const CONSENT: &str = "consent";
/// After the consent was withdrawn.
pub const CONSENT_WITHDRAWN: &str = "consent-withdrawn";
/// After signing out.
pub const LOGOUT: &str = "logout";
/// After signing out on every device.
pub const LOGOUT_EVERYWHERE: &str = "logout-everywhere";
/// After a worker was added or changed, or a diploma or category added.
pub const WORKER_SAVED: &str = "worker";
/// After a worker was dismissed.
pub const DISMISSED: &str = "dismissed";
/// After a line of the staffing table was saved.
pub const STAFFING: &str = "staffing";
/// After the second factor was switched on.
pub const TOTP_ON: &str = "totp";
/// After the second factor was switched off.
pub const TOTP_OFF: &str = "totp-off";
/// After an information system's key was revoked.
pub const SYSTEM_REVOKED: &str = "system-revoked";

/// A confirmation panel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Confirmation {
    /// The panel's element id (tests and the browser walk find it by this).
    pub id: &'static str,
    pub title: String,
    /// The reference's label and value («Номер заявки», «ИЗ-2026-000123»).
    pub reference: Option<(&'static str, String)>,
    /// What happens next, a paragraph each.
    pub next: Vec<String>,
    /// Where to go on: address and words.
    pub link: Option<(String, String)>,
}

impl Confirmation {
    pub fn new(id: &'static str, title: impl Into<String>, next: &[&str]) -> Self {
        Confirmation {
            id,
            title: title.into(),
            reference: None,
            next: next.iter().map(|p| (*p).to_owned()).collect(),
            link: None,
        }
    }

    pub fn reference(mut self, label: &'static str, value: impl Into<String>) -> Self {
        self.reference = Some((label, value.into()));
        self
    }

    pub fn link(mut self, href: impl Into<String>, text: impl Into<String>) -> Self {
        self.link = Some((href.into(), text.into()));
        self
    }
}

/// The query of a page that shows a confirmation (`?done=…`).
#[derive(Debug, Default, serde::Deserialize)]
pub struct DoneQuery {
    pub done: Option<String>,
}

/// The address `path` with the confirmation `code` (`/cabinet?done=consent`).
pub fn to(path: &str, code: &str) -> String {
    let separator = if path.contains('?') { '&' } else { '?' };
    format!("{path}{separator}done={code}")
}

/// The fixed confirmation of a code, if the code is known.
pub fn fixed(code: Option<&str>) -> Option<Confirmation> {
    let c = Confirmation::new;
    Some(match code? {
        IMPORTED => c(
            "import-saved",
            "Файл загружен: все строки проверены и сохранены.",
            &["Работники уже в списке ниже и в выгрузках организации; в ФРМР их видят после следующей публикации."],
        ),
        DOCUMENT => c(
            "upload-saved",
            "Документ сохранён.",
            &["Он уже в списке документов организации; лицензии видны и в публичной карточке."],
        ),
        WORKER_SAVED => c(
            "worker-saved",
            "Сведения о работнике сохранены.",
            &["Они уже в списке работников и в выгрузках организации; в ФРМР — после следующей публикации."],
        ),
        DISMISSED => c(
            "worker-dismissed",
            "Работник уволен.",
            &["Карточка закрыта датой увольнения; ставка освободилась в штатном расписании."],
        ),
        STAFFING => c(
            "staffing-saved",
            "Строка штатного расписания сохранена.",
            &["Вакансии и расхождения со штатом пересчитаны в таблице ниже."],
        ),
        CARD_SAVED => c(
            "card-saved",
            "Изменения сохранены.",
            &["Они не требуют проверки оператора и уже видны в публичной карточке; запись — в истории изменений."],
        ),
        INVITED => c(
            "invited",
            "Приглашение создано.",
            &[
                "Доступ появится, когда человек с этим логином, почтой или СНИЛС войдёт в реестр. До того приглашение можно отозвать.",
            ],
        ),
        SYSTEM_REVOKED => c(
            "system-revoked",
            "Ключ системы отозван.",
            &["Следующий вызов с этим ключом получит отказ (401); отзыв записан в журнал аудита."],
        ),
        MEMBERS => c("members-saved", "Список сотрудников изменён.", &["Изменение действует с этой минуты."]),
        CONSENT => c(
            "consent-given",
            "Согласие принято.",
            &[
                "Теперь вы можете изменять данные своих организаций и подавать заявки. Отозвать согласие можно в профиле.",
            ],
        ),
        CONSENT_WITHDRAWN => c(
            "consent-withdrawn",
            "Согласие отозвано.",
            &["Кабинет открыт только для просмотра, пока вы снова не примете согласие."],
        ),
        LOGOUT => c("signed-out", "Вы вышли из реестра.", &["Чтобы продолжить работу в кабинете, войдите снова."]),
        LOGOUT_EVERYWHERE => c(
            "signed-out",
            "Вы вышли из реестра на всех устройствах.",
            &["Все ваши сеансы завершены; чтобы продолжить работу, войдите снова."],
        ),
        TOTP_ON => c(
            "totp-on",
            "Вход по одноразовому коду включён.",
            &["При каждом входе по логину и паролю реестр попросит код из приложения."],
        ),
        TOTP_OFF => {
            c("totp-off", "Вход по одноразовому коду выключен.", &["Для входа снова достаточно логина и пароля."])
        }
        _ => return None,
    })
}

/// The confirmation of a request just sent or sent again: its number, the deadline, what next.
pub fn request_sent(view: &frmo_registry::moderation::requests::RequestView, review_days: u32) -> Confirmation {
    let due = crate::moderation::requests::date(view.due_on);
    let mut sent = format!("Заявка {} отправлена на проверку оператору региона.", view.number);
    if !due.is_empty() {
        sent.push_str(&format!(" Решение — в течение {review_days} рабочих дней, до {due}."));
    }
    let mut done = Confirmation::new("request-submitted", "Заявка отправлена", &[])
        .reference("Номер заявки", view.number.clone())
        .link(format!("/cabinet/requests/{}", view.id), format!("Открыть заявку {}", view.number));
    done.next = vec![sent, "Уведомление о решении придёт в кабинет и на электронную почту.".to_owned()];
    done
}

/// The confirmation of an action on a request, made from the request as it now is (`?done=` only
/// chooses which): a link cannot make the page claim what did not happen.
pub fn of_request(
    view: &frmo_registry::moderation::requests::RequestView,
    code: &str,
    review_days: u32,
) -> Option<Confirmation> {
    let number = view.number.clone();
    let decided = |title: &str, next: &[&str]| {
        Some(Confirmation::new("decision-made", title, next).reference("Номер заявки", number.clone()))
    };
    match (code, view.status.as_str()) {
        ("sent", "submitted") => Some(request_sent(view, review_days)),
        ("decision", "approved") => decided(
            "Заявка одобрена",
            &[
                "Изменения внесены в реестр и видны в публичной карточке.",
                "Автор получит уведомление в кабинете и на электронную почту.",
            ],
        ),
        ("decision", "returned") => decided(
            "Заявка возвращена на доработку",
            &[
                "Автор получит ваш комментарий в кабинете и на электронную почту, исправит заявку и отправит её снова; она вернётся в очередь.",
            ],
        ),
        ("decision", "rejected") => decided(
            "Заявка отклонена",
            &["Данные организации не изменены. Автор получит причину отказа в кабинете и на электронную почту."],
        ),
        ("withdrawn", "withdrawn") => Some(
            Confirmation::new(
                "request-withdrawn",
                "Заявка отозвана",
                &["Оператор её не рассматривает; данные организации не изменены."],
            )
            .reference("Номер заявки", number),
        ),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_known_codes_show_a_fixed_text() {
        assert_eq!(fixed(Some(DOCUMENT)).map(|c| c.title), Some("Документ сохранён.".to_owned()));
        assert!(fixed(Some(IMPORTED)).is_some_and(|c| c.title.starts_with("Файл загружен") && c.id == "import-saved"));
        assert_eq!(fixed(Some("Ваш пароль истёк, позвоните +7 999")), None);
        assert_eq!(fixed(None), None);
    }

    #[test]
    fn the_code_is_added_to_the_address() {
        assert_eq!(to("/cabinet", CONSENT), "/cabinet?done=consent");
        assert_eq!(to("/cabinet/requests/5?x=1", "sent"), "/cabinet/requests/5?x=1&done=sent");
    }
}
