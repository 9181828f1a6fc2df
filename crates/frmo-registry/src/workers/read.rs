//! Reading workers: the list with its filters, a worker's page (by id or СНИЛС) and the check report.
//! Personal data is masked unless the reader may see it; an unmasked view is journaled.

use std::collections::HashMap;

use frmo_domain::access::{Action, Target, decide};
use frmo_domain::date::{format as format_date, iso, read as read_date};
use frmo_domain::error::ValidationError;
use frmo_domain::ident::OrgOid;
use frmo_domain::ident::Snils;
use frmo_domain::reference;
use frmo_domain::worker::{Sex, format_rate};
use frmo_store::workers::{CardRecord, CredentialRecord, PersonRecord};
use time::Date;

use super::{
    CredentialView, Details, HIDDEN, WorkerCheck, WorkerFilter, WorkerLine, WorkerView, WorkersPage, display_date,
    formatted_snils, full_name, mask_snils, name_in, staffing_lines,
};
use crate::Caller;
use crate::{Registry, RegistryError, Result};

impl Registry {
    fn line(
        &self,
        person: &PersonRecord,
        card: &CardRecord,
        credentials: &[&CredentialRecord],
        personal: bool,
        today: Date,
    ) -> WorkerLine {
        let soon = iso(today + time::Duration::days(self.workers_expiring_days()));
        let until = credentials.iter().map(|c| c.valid_until.as_str()).min();
        let mut specialties: Vec<String> = credentials.iter().map(|c| name_in("specialties", c.specialty)).collect();
        specialties.dedup();
        WorkerLine {
            person_id: person.id,
            card_id: card.id,
            name: full_name(person),
            snils: if personal { formatted_snils(&person.snils) } else { mask_snils(&person.snils) },
            birth_date: if personal { display_date(&person.birth_date) } else { HIDDEN.into() },
            department: card.department.clone(),
            position: u32::try_from(card.position).unwrap_or_default(),
            position_name: name_in("positions", card.position),
            position_type: name_in("employment_types", card.position_type),
            rate: format_rate(card.rate),
            begin_date: display_date(&card.begin_date),
            end_date: card.end_date.as_deref().map(display_date),
            specialties,
            credential_until: until.map(display_date),
            expiring: until.is_some_and(|u| u <= soon.as_str()),
            expired: until.is_some_and(|u| u < iso(today).as_str()),
        }
    }

    fn workers_expiring_days(&self) -> i64 {
        self.documents.as_deref().map_or(30, |d| d.settings.expiring_days)
    }

    /// The organization's workers (open cards; dismissed too on request), filtered, with the
    /// staffing table.
    pub async fn workers(&self, caller: &Caller, oid: &OrgOid, filter: &WorkerFilter) -> Result<WorkersPage> {
        let target = self.organization_target(caller, oid, Action::ReadOrganization).await?;
        let today = self.today();
        let persons: HashMap<i64, PersonRecord> =
            self.store.persons_of(oid.as_str()).await?.into_iter().map(|p| (p.id, p)).collect();
        let credentials = self.store.credentials_of(oid.as_str()).await?;
        let mut by_person: HashMap<i64, Vec<&CredentialRecord>> = HashMap::new();
        for c in &credentials {
            by_person.entry(c.person_id).or_default().push(c);
        }
        let cards = self.store.cards_of(oid.as_str()).await?;
        // Whoever sees the СНИЛС masked may not search by it, nor by any part of it: matching digits
        // would confirm them one at a time.
        let personal = decide(caller.actor(), Action::ReadPersonalData, target).is_allowed();
        let q = filter.q.trim().to_lowercase();
        let q_digits: String = q.chars().filter(char::is_ascii_digit).collect();
        if !q_digits.is_empty() && !personal {
            return Err(RegistryError::invalid(ValidationError::new(
                "q",
                "Поиск",
                "поиск по СНИЛС доступен только тем, кому открыты персональные данные работников; ищите по фамилии",
            )));
        }
        let soon = iso(today + time::Duration::days(filter.expiring_days.unwrap_or(0)));
        let department = filter.department.trim().to_lowercase();
        let selected: Vec<&CardRecord> = cards
            .iter()
            .filter(|c| match filter.on {
                Some(day) => {
                    let day = iso(day);
                    c.begin_date <= day && c.end_date.as_deref().is_none_or(|end| end >= day.as_str())
                }
                None => filter.dismissed || c.end_date.as_deref().is_none_or(|end| end >= iso(today).as_str()),
            })
            .filter(|c| department.is_empty() || c.department.to_lowercase().contains(&department))
            .filter(|c| filter.position.is_none_or(|p| i64::from(p) == c.position))
            .filter(|c| filter.position_type.is_none_or(|t| i64::from(t) == c.position_type))
            .filter(|c| {
                let creds = by_person.get(&c.person_id).map(Vec::as_slice).unwrap_or_default();
                filter.specialty.is_none_or(|s| creds.iter().any(|cr| cr.specialty == i64::from(s)))
                    && (filter.expiring_days.is_none()
                        || creds.iter().any(|cr| cr.valid_until.as_str() <= soon.as_str()))
            })
            .filter(|c| {
                q.is_empty()
                    || persons.get(&c.person_id).is_some_and(|p| {
                        full_name(p).to_lowercase().contains(&q) || (q_digits.len() >= 3 && p.snils.contains(&q_digits))
                    })
            })
            .collect();
        let personal = personal
            && !selected.is_empty()
            && self
                .personal_view(caller, target, serde_json::json!({"view": "workers", "count": selected.len()}))
                .await?;
        let mut lines: Vec<WorkerLine> = selected
            .iter()
            .filter_map(|c| {
                let person = persons.get(&c.person_id)?;
                let creds = by_person.get(&c.person_id).map(Vec::as_slice).unwrap_or_default();
                Some(self.line(person, c, creds, personal, today))
            })
            .collect();
        lines.sort_by(|a, b| a.name.cmp(&b.name).then(a.card_id.cmp(&b.card_id)));
        let staffing = staffing_lines(self.store.staffing_of(oid.as_str()).await?, &cards, today);
        Ok(WorkersPage { lines, personal, staffing })
    }

    /// A worker's page: the person and their cards in this organization.
    pub async fn worker(&self, caller: &Caller, oid: &OrgOid, person_id: i64) -> Result<WorkerView> {
        let target = self.organization_target(caller, oid, Action::ReadOrganization).await?;
        let missing = || RegistryError::NotFound(format!("Работник {person_id} в организации {oid} не найден"));
        let person = self.store.person(person_id).await?.ok_or_else(missing)?;
        let cards: Vec<CardRecord> =
            self.store.cards_of_person(person_id).await?.into_iter().filter(|c| c.oid == oid.as_str()).collect();
        if cards.is_empty() {
            return Err(missing());
        }
        let credentials = self.store.credentials_of_person(person_id).await?;
        let personal =
            self.personal_view(caller, target, serde_json::json!({"view": "worker", "personId": person_id})).await?;
        Ok(self.worker_view(person, cards, credentials, personal))
    }

    fn worker_view(
        &self,
        person: PersonRecord,
        cards: Vec<CardRecord>,
        credentials: Vec<CredentialRecord>,
        personal: bool,
    ) -> WorkerView {
        let today = self.today();
        let soon = iso(today + time::Duration::days(self.workers_expiring_days()));
        let today_iso = iso(today);
        let refs: Vec<&CredentialRecord> = credentials.iter().collect();
        let hide = |v: Option<&String>| if personal { v.cloned().unwrap_or_default() } else { HIDDEN.to_owned() };
        let details: Details = serde_json::from_str(&person.details).unwrap_or_default();
        let education = details
            .education
            .iter()
            .map(|e| {
                let level = name_in("education_levels", i64::from(e.level));
                format!(
                    "{level}: {}, диплом № {} от {}, {}",
                    e.institution,
                    e.document_number,
                    format_date(e.issued_on),
                    e.specialty
                )
            })
            .collect();
        let qualifications = details
            .qualifications
            .iter()
            .map(|q| {
                let category = name_in("qualification_categories", i64::from(q.category));
                let specialty = name_in("specialties", i64::from(q.specialty));
                format!(
                    "{category} категория по специальности «{specialty}», с {} по {}",
                    format_date(q.assigned_on),
                    format_date(q.valid_until)
                )
            })
            .collect();
        WorkerView {
            person_id: person.id,
            name: full_name(&person),
            snils: if personal { formatted_snils(&person.snils) } else { mask_snils(&person.snils) },
            sex: Sex::from_code(person.sex).label(),
            birth_date: if personal { display_date(&person.birth_date) } else { HIDDEN.into() },
            citizenship: if person.citizenship == 643 {
                "Россия".into()
            } else {
                format!("код ОКСМ {}", person.citizenship)
            },
            phone: hide(person.phone.as_ref()),
            email: hide(person.email.as_ref()),
            document: hide(person.document.as_ref()),
            personal,
            cards: cards.iter().map(|c| self.line(&person, c, &refs, personal, today)).collect(),
            credentials: credentials
                .iter()
                .map(|c| CredentialView {
                    kind: name_in("credential_kinds", c.kind),
                    specialty: name_in("specialties", c.specialty),
                    number: c.number.clone(),
                    issued_on: display_date(&c.issued_on),
                    valid_until: display_date(&c.valid_until),
                    expiring: c.valid_until <= soon,
                    expired: c.valid_until < today_iso,
                })
                .collect(),
            education,
            qualifications,
        }
    }

    /// A person by СНИЛС (API `/workers/{snils}`): the records and cards of the organizations where
    /// `actor` may see personal data. Looking a person up by СНИЛС is a search by it, so whoever may
    /// see it only masked is answered exactly as if the СНИЛС were unknown, and so is anyone the
    /// person never worked for.
    pub async fn worker_by_snils(&self, caller: &Caller, snils: &str) -> Result<WorkerView> {
        let snils = Snils::parse(snils).map_err(RegistryError::invalid)?;
        let missing = || RegistryError::NotFound(format!("Работник со СНИЛС {} не найден", snils.formatted()));
        let mut records = Vec::new();
        for person in self.store.persons_with_snils(snils.as_str()).await? {
            let region = self.organization_region(&crate::register::organization_oid(&person.oid)?).await?;
            if decide(caller.actor(), Action::ReadPersonalData, Target::Organization { oid: &person.oid, region })
                .is_allowed()
            {
                records.push(person);
            }
        }
        if records.is_empty() {
            // Journaled as a refusal whether or not the СНИЛС is known: the answer is the same.
            self.authorize(caller, Action::ReadPersonalData, Target::None).await.ok();
            return Err(missing());
        }
        // Each organization's journal shows that its record was read.
        for record in &records {
            let detail = serde_json::json!({"view": "worker", "personId": record.id});
            self.journal(caller, "personal_data", &record.oid, detail).await?;
        }
        let ids: Vec<i64> = records.iter().map(|p| p.id).collect();
        let mut cards = Vec::new();
        let mut credentials = Vec::new();
        for id in &ids {
            cards.extend(self.store.cards_of_person(*id).await?);
            credentials.extend(self.store.credentials_of_person(*id).await?);
        }
        // One person, however many employers: the record shown is the latest one's.
        let person = records.pop().ok_or_else(missing)?;
        Ok(self.worker_view(person, cards, credentials, true))
    }

    /// The check report of an organization's workers: certificates and accreditations ending
    /// within `days`, cards whose position is not in the directory, and likely duplicates (the
    /// same name and birth date under different СНИЛС — for those who may see birth dates — or two
    /// open cards of one person in the same department and position).
    pub async fn check_workers(&self, caller: &Caller, oid: &OrgOid, days: i64) -> Result<WorkerCheck> {
        let all = self.workers(caller, oid, &WorkerFilter::default()).await?;
        let soon = self.today() + time::Duration::days(days);
        let expiring: Vec<WorkerLine> = all
            .lines
            .iter()
            .filter(|l| l.credential_until.as_deref().and_then(read_date).is_some_and(|until| until <= soon))
            .cloned()
            .collect();
        let positions = reference::get("positions");
        let without_position: Vec<WorkerLine> =
            all.lines.iter().filter(|l| !positions.is_some_and(|d| d.contains(l.position))).cloned().collect();
        let persons: HashMap<i64, PersonRecord> =
            self.store.persons_of(oid.as_str()).await?.into_iter().map(|p| (p.id, p)).collect();
        let mut by_identity: HashMap<(String, String), Vec<i64>> = HashMap::new();
        // Matching birth dates is reading them: only for those who see them.
        for p in persons.values().filter(|_| all.personal) {
            by_identity.entry((full_name(p).to_lowercase(), p.birth_date.clone())).or_default().push(p.id);
        }
        let mut duplicates: Vec<String> = by_identity
            .into_iter()
            .filter(|(_, ids)| ids.len() > 1)
            .map(|((_, born), ids)| {
                let name = persons.get(&ids[0]).map(full_name).unwrap_or_default();
                format!("{name}, {}: {} записи с разными СНИЛС", display_date(&born), ids.len())
            })
            .collect();
        let mut cards: HashMap<(i64, String, u32), usize> = HashMap::new();
        for line in &all.lines {
            *cards.entry((line.person_id, line.department.to_lowercase(), line.position)).or_default() += 1;
        }
        for ((person, department, _), count) in cards {
            if count > 1 {
                let name = persons.get(&person).map(full_name).unwrap_or_default();
                duplicates.push(format!("{name}: {count} открытые карточки в «{department}» на одной должности"));
            }
        }
        duplicates.sort();
        Ok(WorkerCheck { days, expiring, without_position, duplicates })
    }
}
