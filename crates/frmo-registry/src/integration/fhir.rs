//! What the FHIR R4 (IHE mCSD) face of the register reads beyond the public card: the versions of
//! organizations' cards as a history feed, and the directory of an organization's medical workers
//! with their personal data only for those who may read it (docs/fhir.md says what and why).

use std::collections::HashMap;

use frmo_domain::access::{Action, Actor, Target, decide};
use frmo_domain::date::iso;
use frmo_domain::ident::OrgOid;
use frmo_store::micros;
use frmo_store::workers::{CardRecord, CredentialRecord, PersonRecord};
use time::OffsetDateTime;

use crate::Caller;
use crate::{Registry, RegistryError, Result};

/// The most versions one page of the history feed holds.
pub const MAX_HISTORY_PAGE: usize = 500;

/// One version of an organization's card in the history feed.
pub struct HistoryEntry {
    pub version_id: i64,
    /// When the version took effect (the card's effective date).
    pub valid_from: OffsetDateTime,
    /// The card's JSON, as stored.
    pub card: String,
}

/// A page of the history feed, oldest first; `next_after` continues it.
pub struct HistoryPage {
    pub entries: Vec<HistoryEntry>,
    pub next_after: Option<i64>,
}

/// A person as the worker directory shows them.
#[derive(Debug, Clone)]
pub struct DirectoryPerson {
    /// The organization's record of the person (one per employer).
    pub id: i64,
    pub oid: String,
    pub last_name: String,
    pub first_name: String,
    pub patronymic: Option<String>,
    /// Has an employment card open today.
    pub active: bool,
    /// Certificates and accreditations: (kind, specialty, issued on, valid until), codes of the
    /// `credential_kinds` and `specialties` directories, ISO dates.
    pub credentials: Vec<(i64, i64, String, String)>,
    /// Only for those who may read personal data (and then journaled).
    pub personal: Option<PersonalData>,
}

/// What only those who may read workers' personal data see.
#[derive(Debug, Clone)]
pub struct PersonalData {
    pub snils: String,
    /// ISO date.
    pub birth_date: String,
    /// 1 man, 2 woman (the ФРМР codes).
    pub sex: i64,
    pub phone: Option<String>,
    pub email: Option<String>,
}

/// An employment card, as a worker's `PractitionerRole` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmploymentCard {
    pub id: i64,
    /// The organization's record of the person.
    pub person_id: i64,
    pub oid: String,
    /// The department as written on the card.
    pub department: String,
    /// Codes of the `positions` and `employment_types` directories.
    pub position: i64,
    pub position_type: i64,
    /// ISO dates.
    pub begin_date: String,
    pub end_date: Option<String>,
}

impl From<CardRecord> for EmploymentCard {
    fn from(card: CardRecord) -> Self {
        let CardRecord { id, person_id, oid, department, position, position_type, begin_date, end_date, .. } = card;
        EmploymentCard { id, person_id, oid, department, position, position_type, begin_date, end_date }
    }
}

/// A worker directory: people and their employment cards (roles) in one organization.
#[derive(Debug, Clone, Default)]
pub struct WorkerDirectory {
    pub persons: Vec<DirectoryPerson>,
    pub roles: Vec<EmploymentCard>,
    /// Personal data was shown (and journaled).
    pub personal: bool,
}

/// Which part of an organization's directory is asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DirectoryPart {
    All,
    Person(i64),
    Role(i64),
}

impl Registry {
    /// The FHIR Organization of the open register's card `version_id` as `write` makes it, kept by
    /// version id as the integration API's models are (a version never changes; directory codes
    /// re-numbered in place clear it): a read of an unchanged card is then its bytes.
    pub fn fhir_organization<E>(
        &self,
        version_id: i64,
        write: impl FnOnce() -> std::result::Result<String, E>,
    ) -> std::result::Result<std::sync::Arc<str>, E> {
        if let Some(kept) = self.fhir_written.get(version_id) {
            return Ok(kept);
        }
        let written: std::sync::Arc<str> = write()?.into();
        self.fhir_written.keep(version_id, std::sync::Arc::clone(&written));
        Ok(written)
    }

    /// The versions of one organization's card (`oid`) or of all, written after version `after`
    /// and in force from `since` on, oldest first: FHIR `_history`.
    pub async fn card_history(
        &self,
        actor: &Actor,
        oid: Option<&OrgOid>,
        since: Option<OffsetDateTime>,
        after: i64,
        limit: usize,
    ) -> Result<HistoryPage> {
        Self::check(actor, Action::ReadPublicRegister)?;
        let key = oid.map(frmo_store::search::head::key_of);
        let since = since.map_or(i64::MIN, micros);
        let (found, more) = self.index.history(key, since, after, limit.clamp(1, MAX_HISTORY_PAGE));
        let mut entries = Vec::with_capacity(found.len());
        for (version_id, valid_from) in &found {
            let Some((_, card)) = self.store.card_version(*version_id).await? else { continue };
            let valid_from = OffsetDateTime::from_unix_timestamp_nanos(i128::from(*valid_from) * 1_000)
                .unwrap_or(OffsetDateTime::UNIX_EPOCH);
            entries.push(HistoryEntry { version_id: *version_id, valid_from, card });
        }
        let next_after = if more { found.last().map(|(id, _)| *id) } else { None };
        Ok(HistoryPage { entries, next_after })
    }

    /// The organization whose record person `id` is, for reading one practitioner.
    pub async fn directory_of_person(&self, caller: &Caller, id: i64) -> Result<WorkerDirectory> {
        let person = self.store.person(id).await?.ok_or_else(|| practitioner_missing(id))?;
        let found = self
            .worker_directory(caller, &crate::register::organization_oid(&person.oid)?, DirectoryPart::Person(id))
            .await?;
        if found.persons.is_empty() { Err(practitioner_missing(id)) } else { Ok(found) }
    }

    /// The organization of employment card `id`, for reading one practitioner role.
    pub async fn directory_of_role(&self, caller: &Caller, id: i64) -> Result<WorkerDirectory> {
        let card = self.store.card_record(id).await?.ok_or_else(|| role_missing(id))?;
        let found = self
            .worker_directory(caller, &crate::register::organization_oid(&card.oid)?, DirectoryPart::Role(id))
            .await?;
        if found.roles.is_empty() { Err(role_missing(id)) } else { Ok(found) }
    }

    /// An organization's medical workers as the public directory shows them: whoever may read the
    /// organization's personal data (`Action::ReadPersonalData`) gets every record with СНИЛС,
    /// birth date, sex and contacts, and the view is journaled; everyone else gets the people
    /// working there today (name, credentials, positions) and nothing personal.
    pub async fn worker_directory(
        &self,
        caller: &Caller,
        oid: &OrgOid,
        part: DirectoryPart,
    ) -> Result<WorkerDirectory> {
        Self::check(caller.actor(), Action::ReadPublicRegister)?;
        let region = self.organization_region(oid).await?;
        let oid = oid.as_str();
        let target = Target::Organization { oid, region };
        let personal = decide(caller.actor(), Action::ReadPersonalData, target).is_allowed();
        let today = iso(self.today());
        let open = |c: &CardRecord| c.end_date.as_deref().is_none_or(|end| end >= today.as_str());
        let mut roles: Vec<CardRecord> = self.store.cards_of(oid).await?;
        roles.retain(|c| personal || open(c));
        roles.retain(|c| match part {
            DirectoryPart::All => true,
            DirectoryPart::Person(id) => c.person_id == id,
            DirectoryPart::Role(id) => c.id == id,
        });
        let mut credentials: HashMap<i64, Vec<CredentialRecord>> = HashMap::new();
        for c in self.store.credentials_of(oid).await? {
            credentials.entry(c.person_id).or_default().push(c);
        }
        let persons: Vec<PersonRecord> = self
            .store
            .persons_of(oid)
            .await?
            .into_iter()
            .filter(|p| roles.iter().any(|c| c.person_id == p.id))
            .collect();
        let shown = personal && !persons.is_empty();
        if shown {
            let detail = serde_json::json!({"view": "fhir", "persons": persons.len(), "roles": roles.len()});
            self.journal(caller, "personal_data", oid, detail).await?;
        }
        let persons = persons
            .into_iter()
            .map(|p| DirectoryPerson {
                active: roles.iter().any(|c| c.person_id == p.id && open(c)),
                credentials: credentials
                    .remove(&p.id)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|c| (c.kind, c.specialty, c.issued_on, c.valid_until))
                    .collect(),
                personal: shown.then(|| PersonalData {
                    snils: p.snils.clone(),
                    birth_date: p.birth_date.clone(),
                    sex: p.sex,
                    phone: p.phone.clone(),
                    email: p.email.clone(),
                }),
                id: p.id,
                oid: p.oid,
                last_name: p.last_name,
                first_name: p.first_name,
                patronymic: p.patronymic,
            })
            .collect();
        let roles = roles.into_iter().map(EmploymentCard::from).collect();
        Ok(WorkerDirectory { persons, roles, personal: shown })
    }
}

fn practitioner_missing(id: i64) -> RegistryError {
    RegistryError::NotFound(format!("Работник {id} не найден"))
}

fn role_missing(id: i64) -> RegistryError {
    RegistryError::NotFound(format!("Должность (карточка) {id} не найдена"))
}
