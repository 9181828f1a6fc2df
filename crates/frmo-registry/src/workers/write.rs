//! Changing workers: adding, editing, a credential or contact added, dismissal, the staffing table.

use frmo_domain::access::Action;
use frmo_domain::date::{iso, parse as parse_date, read as read_date};
use frmo_domain::error::ValidationError;
use frmo_domain::ident::OrgOid;
use frmo_domain::ident::Snils;
use frmo_domain::worker::{Education, Qualification, Sex, directory_code, format_rate};
use frmo_store::workers::{self as store, StaffingRecord};

use super::{
    DetailForm, Details, WorkerForm, card_record, credential_statement, formatted_snils, keep, person_statement,
};
use crate::Caller;
use crate::{Registry, RegistryError, Result};

impl Registry {
    /// Adds a worker (or a new card of a person already in the register) to the organization.
    pub async fn add_worker(&self, caller: &Caller, oid: &OrgOid, form: &WorkerForm) -> Result<i64> {
        let report = self.import_workers(caller, oid, vec![(0, form.clone())]).await?;
        if !report.applied {
            return Err(RegistryError::Invalid(
                report.errors.into_iter().map(|e| ValidationError::new(e.field, e.label, e.message)).collect(),
            ));
        }
        let snils = Snils::parse(&form.snils).map_err(RegistryError::invalid)?;
        let person = self.store.persons_by_snils(oid.as_str(), &[snils.as_str()]).await?.pop();
        person.map(|p| p.id).ok_or_else(|| RegistryError::NotFound("работник не сохранён".into()))
    }

    /// Changes a worker: their personal details and one open card (department, position, type,
    /// rate, begin date), and adds or refreshes a credential. The СНИЛС is the person's identity and
    /// is not changed here. Journaled with the fields before and after.
    pub async fn edit_worker(&self, caller: &Caller, oid: &OrgOid, card_id: i64, form: &WorkerForm) -> Result<()> {
        self.organization_target(caller, oid, Action::EditOrganization).await?;
        let missing = || RegistryError::NotFound(format!("Карточка {card_id} в организации {oid} не найдена"));
        let card = self.store.card_record(card_id).await?.filter(|c| c.oid == oid.as_str()).ok_or_else(missing)?;
        if card.end_date.is_some() {
            return Err(RegistryError::Conflict("Работник по этой карточке уволен; карточка не изменяется.".into()));
        }
        let person = self.store.person(card.person_id).await?.ok_or_else(missing)?;
        let input = form.validate(self.today()).map_err(RegistryError::Invalid)?;
        if input.person.snils.as_str() != person.snils {
            return Err(RegistryError::invalid(ValidationError::new(
                "snils",
                "СНИЛС",
                "СНИЛС работника не меняется; если он указан неверно, добавьте работника с верным СНИЛС, а ошибочную карточку закройте",
            )));
        }
        let p = &input.person;
        let birth = iso(p.birth_date);
        let updated = card_record(card.id, card.person_id, oid.as_str(), &input.card);
        let now = self.now();
        let mut statements =
            vec![store::update_card(&updated, now), person_statement(p, oid.as_str(), &person.details, now)];
        statements.extend(input.credential.as_ref().map(|cr| credential_statement(&person.snils, oid.as_str(), cr)));
        let mut fields = Vec::new();
        let mut changed = |field: &str, before: String, after: String| {
            if before != after {
                fields.push(serde_json::json!({"field": field, "before": before, "after": after}));
            }
        };
        changed("lastName", person.last_name.clone(), p.last_name.clone());
        changed("firstName", person.first_name.clone(), p.first_name.clone());
        changed("patronymic", person.patronymic.clone().unwrap_or_default(), p.patronymic.clone().unwrap_or_default());
        changed("birthDate", person.birth_date.clone(), birth.clone());
        changed("department", card.department.clone(), updated.department.clone());
        changed("position", card.position.to_string(), updated.position.to_string());
        changed("positionType", card.position_type.to_string(), updated.position_type.to_string());
        changed("rate", format_rate(card.rate), format_rate(updated.rate));
        changed("beginDate", card.begin_date.clone(), updated.begin_date.clone());
        let detail = serde_json::json!({"edit": card_id, "personId": person.id, "fields": fields});
        let entry = self.entry(caller, "worker", oid.as_str(), detail).await;
        if self.store.transact_guarded(statements, vec![entry]).await? {
            Ok(())
        } else {
            Err(RegistryError::Conflict("Работник по этой карточке уже уволен; обновите страницу.".into()))
        }
    }

    /// The worker form filled from the register (person and one card), for editing: needs the
    /// right to edit and to see personal data (the view is journaled).
    pub async fn worker_form(&self, caller: &Caller, oid: &OrgOid, person_id: i64, card_id: i64) -> Result<WorkerForm> {
        let target = self.organization_target(caller, oid, Action::EditOrganization).await?;
        self.authorize(caller, Action::ReadPersonalData, target).await?;
        let missing = || RegistryError::NotFound(format!("Карточка {card_id} работника {person_id} не найдена"));
        let card = self
            .store
            .card_record(card_id)
            .await?
            .filter(|c| c.oid == oid.as_str() && c.person_id == person_id)
            .ok_or_else(missing)?;
        let p = self.store.person(person_id).await?.ok_or_else(missing)?;
        self.journal(caller, "personal_data", oid.as_str(), serde_json::json!({"view": "edit", "personId": person_id}))
            .await?;
        Ok(WorkerForm {
            snils: formatted_snils(&p.snils),
            last_name: p.last_name,
            first_name: p.first_name,
            patronymic: p.patronymic.unwrap_or_default(),
            sex: Sex::from_code(p.sex).letter().into(),
            birth_date: p.birth_date,
            citizenship: p.citizenship.to_string(),
            phone: p.phone.unwrap_or_default(),
            email: p.email.unwrap_or_default(),
            document: p.document.unwrap_or_default(),
            department: card.department,
            position: card.position.to_string(),
            position_type: card.position_type.to_string(),
            rate: format_rate(card.rate),
            begin_date: card.begin_date,
            ..WorkerForm::default()
        })
    }

    /// Adds a diploma or a qualification category to a worker of the organization.
    pub async fn add_worker_detail(
        &self,
        caller: &Caller,
        oid: &OrgOid,
        person_id: i64,
        form: &DetailForm,
    ) -> Result<()> {
        self.organization_target(caller, oid, Action::EditOrganization).await?;
        let missing = || RegistryError::NotFound(format!("Работник {person_id} в организации {oid} не найден"));
        let person = self.store.person(person_id).await?.filter(|p| p.oid == oid.as_str()).ok_or_else(missing)?;
        let mut details: Details = serde_json::from_str(&person.details).unwrap_or_default();
        let mut errors = Vec::new();
        let date = keep(&mut errors, parse_date("date", "Дата", &form.date));
        let text = |value: &str, field: &'static str, label: &'static str, errors: &mut Vec<ValidationError>| {
            let value = value.trim();
            if value.is_empty() || value.chars().count() > 300 {
                errors.push(ValidationError::new(field, label, "заполните (не длиннее 300 символов)"));
            }
            value.to_owned()
        };
        match form.kind.as_str() {
            "education" => {
                let level =
                    keep(&mut errors, directory_code(&form.code, "education_levels", "code", "Уровень образования"));
                let institution = text(&form.institution, "institution", "Образовательная организация", &mut errors);
                let document_number = text(&form.document_number, "documentNumber", "Номер диплома", &mut errors);
                let specialty = text(&form.specialty, "specialty", "Специальность по диплому", &mut errors);
                if let (Some(level), Some(issued_on), true) = (level, date, errors.is_empty()) {
                    details.education.push(Education { level, institution, document_number, issued_on, specialty });
                }
            }
            "qualification" => {
                let category =
                    keep(&mut errors, directory_code(&form.code, "qualification_categories", "code", "Категория"));
                let specialty =
                    keep(&mut errors, directory_code(&form.specialty, "specialties", "specialty", "Специальность"));
                let until = keep(&mut errors, parse_date("validUntil", "Действует до", &form.valid_until));
                if let (Some(category), Some(specialty), Some(assigned_on), Some(valid_until)) =
                    (category, specialty, date, until)
                {
                    if valid_until <= assigned_on {
                        errors.push(ValidationError::new("validUntil", "Действует до", "не позже даты присвоения"));
                    } else if errors.is_empty() {
                        details.qualifications.push(Qualification { category, specialty, assigned_on, valid_until });
                    }
                }
            }
            _ => errors.push(ValidationError::new("kind", "Сведения", "ожидается образование или категория")),
        }
        if !errors.is_empty() {
            return Err(RegistryError::Invalid(errors));
        }
        let after = serde_json::to_string(&details).map_err(frmo_store::StoreError::from)?;
        let detail = serde_json::json!({"detail": form.kind, "personId": person_id});
        let entry = self.entry(caller, "worker", oid.as_str(), detail).await;
        let statement = store::set_details(person_id, &person.details, &after, self.now());
        if self.store.transact_guarded(vec![statement], vec![entry]).await? {
            Ok(())
        } else {
            Err(RegistryError::Conflict("Сведения о работнике изменились; обновите страницу.".into()))
        }
    }

    /// Closes an open card: the last working day and the reason (directory `dismissal_reasons`).
    pub async fn dismiss_worker(
        &self,
        caller: &Caller,
        oid: &OrgOid,
        card_id: i64,
        end_date: &str,
        reason: &str,
    ) -> Result<()> {
        self.organization_target(caller, oid, Action::EditOrganization).await?;
        let card = self
            .store
            .card_record(card_id)
            .await?
            .filter(|c| c.oid == oid.as_str())
            .ok_or_else(|| RegistryError::NotFound(format!("Карточка {card_id} в организации {oid} не найдена")))?;
        let mut errors = Vec::new();
        let end = parse_date("endDate", "Дата увольнения", end_date).map_err(|e| errors.push(e)).ok();
        if let Some(end) = end
            && read_date(&card.begin_date).is_some_and(|begin| end < begin)
        {
            errors.push(ValidationError::new("endDate", "Дата увольнения", "раньше даты приёма"));
        }
        let reason = directory_code(reason, "dismissal_reasons", "dismissalReason", "Причина увольнения")
            .map_err(|e| errors.push(e))
            .ok();
        let (Some(end), Some(reason), true) = (end, reason, errors.is_empty()) else {
            return Err(RegistryError::Invalid(errors));
        };
        let detail =
            serde_json::json!({"dismiss": card_id, "personId": card.person_id, "endDate": iso(end), "reason": reason});
        let entry = self.entry(caller, "worker", oid.as_str(), detail).await;
        let statement = store::dismiss_card(card_id, oid.as_str(), &iso(end), i64::from(reason), self.now());
        if self.store.transact_guarded(vec![statement], vec![entry]).await? {
            Ok(())
        } else {
            Err(RegistryError::Conflict("Работник по этой карточке уже уволен; обновите страницу.".into()))
        }
    }

    /// Declares the rate of a department × position in the staffing table (0 removes the line).
    pub async fn set_staffing(
        &self,
        caller: &Caller,
        oid: &OrgOid,
        department: &str,
        position: &str,
        rate: &str,
    ) -> Result<()> {
        self.organization_target(caller, oid, Action::EditOrganization).await?;
        let mut errors = Vec::new();
        let department = department.trim();
        if department.is_empty() {
            errors.push(ValidationError::new("department", "Подразделение", "не заполнено"));
        }
        let position = directory_code(position, "positions", "position", "Должность").map_err(|e| errors.push(e)).ok();
        let rate = match rate.trim() {
            "0" => Some(0),
            text => parse_staffing_rate(text).map_err(|e| errors.push(e)).ok(),
        };
        let (Some(position), Some(rate), true) = (position, rate, errors.is_empty()) else {
            return Err(RegistryError::Invalid(errors));
        };
        let line =
            StaffingRecord { department: department.to_owned(), position: i64::from(position), rate, note: None };
        let detail = serde_json::json!({"staffing": department, "position": position, "rate": rate});
        let entry = self.entry(caller, "staffing", oid.as_str(), detail).await;
        let statements =
            vec![store::organization_exists(oid.as_str()), store::set_staffing(oid.as_str(), &line, self.now())];
        self.store.transact_guarded(statements, vec![entry]).await?;
        Ok(())
    }
}

/// A declared staffing rate: like a card's, but up to 9999 per line.
pub(super) fn parse_staffing_rate(text: &str) -> std::result::Result<i64, ValidationError> {
    frmo_domain::worker::hundredths(text)
        .filter(|rate| (1..=999_900).contains(rate))
        .map(i64::from)
        .ok_or_else(|| ValidationError::new("rate", "Ставка", "ожидается число ставок, например 2,5"))
}
