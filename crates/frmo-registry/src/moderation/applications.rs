//! Applications for inclusion of a new organization: the form's requisites checked (check digits,
//! directories), duplicates refused (the same ИНН and КПП in the register, or an application for
//! them already waiting), similar names in the region shown before submitting; then the same road
//! as change requests (an `ЗВ-2026-000123` number, the operator's queue, deadlines, decisions), and
//! on approval the organization gets an OID in its region and its card.

use frmo_domain::access::{Action, Actor, DenyCode, Target};
use frmo_domain::error::ValidationError;
use frmo_domain::ident::{Inn, Kpp, Ogrn, Ogrnip, OrgOid, RegionCode};
use frmo_domain::org::{Address, Contacts, OrgStatus, Organization};
use frmo_domain::status::RequestStatus;
use frmo_store::requests::{NewRequest, RequestRecord, StatusChange};
use serde_json::json;
use time::OffsetDateTime;

use crate::Caller;
use crate::moderation::requests::{RequestView, request_number};
use crate::register::search::SearchQuery;
use crate::{Registry, RegistryError, Result};

/// The OID kind of medical organizations (`1.2.643.5.1.13.13.12.2.RR.N`).
pub const MEDICAL_ORGANIZATION_KIND: u8 = 2;
/// The kind of a request that is an application for inclusion.
pub const INCLUSION: &str = "inclusion";

/// The application form as typed: every field a string, read into a card with every problem named.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct ApplicationForm {
    pub name_full: String,
    pub name_short: String,
    pub inn: String,
    pub ogrn: String,
    pub ogrnip: String,
    pub kpp: String,
    pub region: String,
    pub organization_type: String,
    pub medical_subject: String,
    pub agency_kind: String,
    pub legal_address: String,
    pub head_full_name: String,
    pub phone: String,
    pub email: String,
    pub site: String,
    pub reason: String,
    /// «Это другая организация» after similar names were shown.
    pub confirm_similar: String,
}

fn text(value: &str) -> Option<String> {
    Some(value.trim().to_owned()).filter(|v| !v.is_empty())
}

/// The value, or its error kept with the others.
fn keep<T>(errors: &mut Vec<ValidationError>, result: std::result::Result<T, ValidationError>) -> Option<T> {
    result.map_err(|e| errors.push(e)).ok()
}

fn code(field: &'static str, label: &'static str, value: &str, errors: &mut Vec<ValidationError>) -> u32 {
    match value.trim().parse() {
        Ok(code) => code,
        Err(_) => {
            errors.push(ValidationError::new(field, label, "выберите значение из справочника"));
            0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::distinctive_name;

    #[test]
    fn names_lose_their_legal_form() {
        assert_eq!(distinctive_name("ООО «Реавиз»"), "Реавиз");
        assert_eq!(distinctive_name("ГБУЗ Самарская областная больница"), "Самарская областная больница");
        assert_eq!(distinctive_name("ООО"), "ООО");
    }
}

impl ApplicationForm {
    /// The card this form describes (its OID a placeholder until approval), or every problem.
    pub fn card(&self, today: time::Date) -> std::result::Result<Organization, Vec<ValidationError>> {
        let mut errors = Vec::new();
        let inn = keep(&mut errors, Inn::parse(&self.inn));
        let ogrn = text(&self.ogrn).and_then(|v| keep(&mut errors, Ogrn::parse(&v)));
        let ogrnip = text(&self.ogrnip).and_then(|v| keep(&mut errors, Ogrnip::parse(&v)));
        let kpp = text(&self.kpp).and_then(|v| keep(&mut errors, Kpp::parse(&v)));
        let region = keep(&mut errors, RegionCode::parse(&self.region));
        let organization_type_id = code("organizationTypeId", "Тип организации", &self.organization_type, &mut errors);
        let medical_subject_id = code("medicalSubjectId", "Вид субъекта", &self.medical_subject, &mut errors);
        let mo_agency_kind_id = code("moAgencyKindId", "Вид медицинской организации", &self.agency_kind, &mut errors);
        let Some(legal_text) = text(&self.legal_address) else {
            errors.push(ValidationError::new("legalAddress", "Юридический адрес", "не заполнен"));
            return Err(errors);
        };
        let (Some(inn), Some(region)) = (inn, region) else { return Err(errors) };
        let Ok(placeholder) = OrgOid::new(MEDICAL_ORGANIZATION_KIND, region, 999_999) else { return Err(errors) };
        let organization = Organization {
            oid: placeholder,
            old_oid: None,
            parent_oid: None,
            name_full: self.name_full.trim().to_owned(),
            name_short: self.name_short.trim().to_owned(),
            organization_type_id,
            medical_subject_id,
            mo_agency_kind_id,
            mo_level_id: None,
            mo_dept_name: None,
            founder: None,
            inn,
            ogrn,
            ogrnip,
            kpp,
            region_id: region,
            legal_address: Address { text: legal_text, ..Address::default() },
            actual_address: None,
            contacts: Contacts { phone: text(&self.phone), email: text(&self.email), site: text(&self.site) },
            head_full_name: text(&self.head_full_name),
            bank: None,
            status: OrgStatus::Active,
            delete_date: None,
            delete_reason_id: None,
            create_date: today,
            modify_date: today,
            departments: Vec::new(),
            buildings: Vec::new(),
            licences: Vec::new(),
            nsi: Default::default(),
        };
        if let Err(more) = organization.validate() {
            errors.extend(more);
        }
        if errors.is_empty() { Ok(organization) } else { Err(errors) }
    }
}

/// The words of a name that tell it apart: the quoted part («Реавиз») when there is one, else the
/// name without its legal-form abbreviations (ООО, ГБУЗ…).
pub fn distinctive_name(name: &str) -> String {
    if let Some((_, rest)) = name.split_once('«')
        && let Some((quoted, _)) = rest.split_once('»')
        && !quoted.trim().is_empty()
    {
        return quoted.trim().to_owned();
    }
    let abbreviation = |word: &&str| word.chars().count() <= 6 && word.chars().all(|c| c.is_uppercase());
    let words: Vec<&str> = name.split_whitespace().filter(|w| !abbreviation(w)).collect();
    if words.is_empty() { name.to_owned() } else { words.join(" ") }
}

/// What became of an application.
#[derive(Debug, Clone)]
pub enum Application {
    /// Submitted: it waits for the region's operator.
    Submitted(Box<RequestView>),
    /// Not stored: organizations with a similar name in the region (OID, name); the applicant
    /// confirms that theirs is another one.
    Similar(Vec<(String, String)>),
}

impl Registry {
    /// Applies for the inclusion of a new organization.
    pub async fn apply_for_inclusion(&self, caller: &Caller, form: &ApplicationForm) -> Result<Application> {
        self.authorize(caller, Action::Apply, Target::None).await?;
        let Actor::User(person) = caller.actor() else { return Err(RegistryError::Forbidden(DenyCode::NotSignedIn)) };
        let today = OffsetDateTime::from_unix_timestamp(self.now()).map_or(time::Date::MIN, |t| t.date());
        let mut organization = form.card(today).map_err(RegistryError::Invalid)?;
        let reason = form.reason.trim();
        if reason.is_empty() {
            return Err(RegistryError::invalid(ValidationError::new(
                "reason",
                "Основание",
                "укажите основание внесения",
            )));
        }
        let kpp = organization.kpp.as_ref().map(|k| k.as_str().to_owned());
        let same = self
            .search(
                &Actor::System,
                &SearchQuery { inn: Some(organization.inn.clone()), limit: 50, ..Default::default() },
            )
            .await?;
        if let Some(existing) = same.items.iter().find(|item| item.kpp == kpp) {
            return Err(RegistryError::Duplicate { oid: existing.oid.clone(), name: existing.name_short.clone() });
        }
        if let Some(waiting) =
            self.store.applications_with_inn(organization.inn.as_str()).await?.into_iter().find(|r| {
                serde_json::from_str::<serde_json::Value>(&r.proposed)
                    .is_ok_and(|c| c["kpp"].as_str() == kpp.as_deref())
            })
        {
            return Err(RegistryError::Conflict(format!(
                "Заявка {} на внесение этой организации уже подана и ждёт решения.",
                request_number(&waiting.kind, waiting.id, waiting.created_at)
            )));
        }
        if form.confirm_similar.is_empty() {
            let query = SearchQuery {
                text: Some(distinctive_name(&organization.name_short)),
                region: Some(organization.region_id),
                limit: 5,
                ..Default::default()
            };
            let similar = self.search(&Actor::System, &query).await?;
            if !similar.items.is_empty() {
                return Ok(Application::Similar(similar.items.into_iter().map(|i| (i.oid, i.name_short)).collect()));
            }
        }
        organization.modify_date = today;
        let now = self.now();
        let region = organization.region_id.code();
        let due = self.due_on(now).to_string();
        let proposed = serde_json::to_string(&organization).map_err(frmo_store::StoreError::from)?;
        let new = NewRequest {
            kind: INCLUSION,
            org_oid: "",
            region,
            author_id: person.user_id,
            status: RequestStatus::Submitted,
            base_version: 0,
            proposed: &proposed,
            changes: "[]",
            reason,
            now,
            due_on: Some(&due),
        };
        let label = self.actor_label(caller.actor()).await.1;
        let id = self.store.create_request(&new, &label).await?;
        let number = request_number(INCLUSION, id, now);
        let detail = json!({"request": number, "status": "submitted", "inn": organization.inn.as_str()});
        self.journal(caller, "request", &format!("region:{region}"), detail).await?;
        let notices = self.submission_notices(region, id, &number, &organization.name_short, reason).await?;
        self.store.run_all(notices).await?;
        Ok(Application::Submitted(Box::new(self.request_view(caller, id).await?)))
    }

    /// Approves an application: an OID in the region, the card, and the application's status,
    /// history, journal entries and notices in one transaction.
    pub(crate) async fn approve_inclusion(
        &self,
        caller: &Caller,
        record: &RequestRecord,
        change: &StatusChange<'_>,
        decision_entry: frmo_store::audit::AuditEntry,
    ) -> Result<String> {
        let mut organization: Organization =
            serde_json::from_str(&record.proposed).map_err(frmo_store::StoreError::from)?;
        let number = request_number(&record.kind, record.id, record.created_at);
        let oid = self.allocate_oid(&Actor::System, MEDICAL_ORGANIZATION_KIND, organization.region_id).await?;
        organization.oid = oid.clone();
        let now = OffsetDateTime::now_utc();
        organization.create_date = now.date();
        organization.modify_date = now.date();
        let detail = json!({"reason": record.reason, "request": number, "created": oid.as_str()});
        let created = self.entry(caller, "change", oid.as_str(), detail).await;
        let notices = self
            .notice(
                record.author_id,
                &format!("Заявка {number} одобрена"),
                &format!("Организация «{}» внесена в реестр, её OID {}.", organization.name_short, oid.as_str()),
                &format!("/cabinet/requests/{}", record.id),
            )
            .await?;
        let version = frmo_store::VersionRecord::new(&organization, now)?;
        self.store
            .approve_application(
                change,
                version,
                vec![decision_entry, created],
                notices,
                crate::moderation::requests::moved_message(&number),
            )
            .await?;
        self.refresh_index().await?;
        Ok(oid.as_str().to_owned())
    }
}
