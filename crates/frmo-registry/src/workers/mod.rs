//! Medical workers (ФРМР) of an organization: the list with search and filters, a worker's page,
//! adding, editing and dismissing, the staffing table beside the cards, and the bulk import and
//! export of CSV. Personal data (СНИЛС, birth date, contacts, identity document) is masked for those
//! who may not see it (`Action::ReadPersonalData`), and every unmasked view and every export is
//! written to the audit journal.

use std::collections::{HashMap, HashSet};

use frmo_domain::access::{Action, Actor, Target, decide};
use frmo_domain::date::{format as format_date, iso, parse as parse_date, read as read_date};
use frmo_domain::error::ValidationError;
use frmo_domain::ident::Snils;
use frmo_domain::reference;
use frmo_domain::worker::{
    Credential, Education, Employment, Person, Qualification, Sex, birth_date, directory_code, format_rate, name_part,
    parse_rate,
};
use frmo_store::sql::Statement;
use frmo_store::workers::{self as store, CardRecord, CredentialRecord, PersonRecord, PersonWrite, StaffingRecord};
use serde::Serialize;
use time::Date;

use crate::{Registry, RegistryError, Result};

/// What a worker form (the cabinet's, or a row of an import) says, as typed.
#[derive(Debug, Clone, Default)]
pub struct WorkerForm {
    pub snils: String,
    pub last_name: String,
    pub first_name: String,
    pub patronymic: String,
    pub sex: String,
    pub birth_date: String,
    /// ОКСМ code; empty: 643 (Россия).
    pub citizenship: String,
    pub phone: String,
    pub email: String,
    pub document: String,
    pub department: String,
    pub position: String,
    pub position_type: String,
    pub rate: String,
    pub begin_date: String,
    pub specialty: String,
    pub credential_kind: String,
    pub credential_number: String,
    pub credential_issued_on: String,
    pub credential_valid_until: String,
}

/// A checked form.
#[derive(Debug, Clone)]
pub struct WorkerInput {
    pub person: Person,
    pub card: Employment,
    pub credential: Option<Credential>,
}

/// The columns of the import and export files: the key and the Russian header. The first ten
/// are required.
pub const COLUMNS: [(&str, &str); 20] = [
    ("snils", "СНИЛС"),
    ("last_name", "Фамилия"),
    ("first_name", "Имя"),
    ("sex", "Пол"),
    ("birth_date", "Дата рождения"),
    ("department", "Подразделение"),
    ("position", "Должность (код)"),
    ("position_type", "Тип занятости (код)"),
    ("rate", "Ставка"),
    ("begin_date", "Дата приёма"),
    ("patronymic", "Отчество"),
    ("citizenship", "Гражданство (код ОКСМ)"),
    ("phone", "Телефон"),
    ("email", "Электронная почта"),
    ("document", "Документ, удостоверяющий личность"),
    ("specialty", "Специальность (код)"),
    ("credential_kind", "Вид допуска (код)"),
    ("credential_number", "Номер сертификата или аккредитации"),
    ("credential_issued_on", "Дата выдачи"),
    ("credential_valid_until", "Действует до"),
];
const REQUIRED: usize = 10;

impl WorkerForm {
    fn set(&mut self, key: &str, value: String) {
        let slot = match key {
            "snils" => &mut self.snils,
            "last_name" => &mut self.last_name,
            "first_name" => &mut self.first_name,
            "patronymic" => &mut self.patronymic,
            "sex" => &mut self.sex,
            "birth_date" => &mut self.birth_date,
            "citizenship" => &mut self.citizenship,
            "phone" => &mut self.phone,
            "email" => &mut self.email,
            "document" => &mut self.document,
            "department" => &mut self.department,
            "position" => &mut self.position,
            "position_type" => &mut self.position_type,
            "rate" => &mut self.rate,
            "begin_date" => &mut self.begin_date,
            "specialty" => &mut self.specialty,
            "credential_kind" => &mut self.credential_kind,
            "credential_number" => &mut self.credential_number,
            "credential_issued_on" => &mut self.credential_issued_on,
            _ => &mut self.credential_valid_until,
        };
        *slot = value;
    }

    /// The form checked on `today`, or every problem with it (each naming its field).
    pub fn validate(&self, today: Date) -> std::result::Result<WorkerInput, Vec<ValidationError>> {
        let mut errors = Vec::new();
        let snils = keep(&mut errors, Snils::parse(&self.snils));
        let last_name = keep(&mut errors, name_part(&self.last_name, "lastName", "Фамилия"));
        let first_name = keep(&mut errors, name_part(&self.first_name, "firstName", "Имя"));
        let patronymic = match self.patronymic.trim() {
            "" => Some(None),
            text => keep(&mut errors, name_part(text, "patronymic", "Отчество")).map(Some),
        };
        let sex = keep(&mut errors, Sex::parse(&self.sex));
        let born = keep(
            &mut errors,
            parse_date("birthDate", "Дата рождения", &self.birth_date).and_then(|d| birth_date(d, today)),
        );
        let citizenship = match self.citizenship.trim() {
            "" => Some(643),
            text => keep(
                &mut errors,
                text.parse::<u32>().ok().filter(|c| (1..=999).contains(c)).ok_or_else(|| {
                    ValidationError::new("citizenship", "Гражданство", "ожидается трёхзначный код ОКСМ (643 — Россия)")
                }),
            ),
        };
        let optional = |v: &str| Some(v.trim().to_owned()).filter(|v| !v.is_empty());
        let phone = optional(&self.phone);
        if let Some(phone) = &phone {
            let digits = phone.chars().filter(char::is_ascii_digit).count();
            if !(10..=15).contains(&digits) || phone.chars().any(|c| !(c.is_ascii_digit() || " +()-".contains(c))) {
                keep(
                    &mut errors,
                    Err::<(), _>(ValidationError::new(
                        "phone",
                        "Телефон",
                        "от 10 до 15 цифр, допустимы + ( ) - и пробелы",
                    )),
                );
            }
        }
        let email = optional(&self.email);
        if email.as_ref().is_some_and(|e| !e.split_once('@').is_some_and(|(u, h)| !u.is_empty() && h.contains('.'))) {
            keep(
                &mut errors,
                Err::<(), _>(ValidationError::new(
                    "email",
                    "Электронная почта",
                    "ожидается адрес вида name@example.ru",
                )),
            );
        }
        let department = match self.department.trim() {
            "" => keep(&mut errors, Err(ValidationError::new("department", "Подразделение", "не заполнено"))),
            text if text.chars().count() > 200 => {
                keep(&mut errors, Err(ValidationError::new("department", "Подразделение", "не длиннее 200 символов")))
            }
            text => Some(text.to_owned()),
        };
        let position = keep(&mut errors, directory_code(&self.position, "positions", "position", "Должность"));
        let position_type =
            keep(&mut errors, directory_code(&self.position_type, "employment_types", "positionType", "Тип занятости"));
        let rate = keep(&mut errors, parse_rate(&self.rate));
        let begin = match keep(&mut errors, parse_date("beginDate", "Дата приёма", &self.begin_date)) {
            Some(date) if date > today + time::Duration::days(366) => {
                keep(&mut errors, Err(ValidationError::new("beginDate", "Дата приёма", "больше чем на год вперёд")))
            }
            Some(date) if born.is_some_and(|b| date < b + time::Duration::days(14 * 365)) => {
                keep(&mut errors, Err(ValidationError::new("beginDate", "Дата приёма", "раньше 14-летия работника")))
            }
            other => other,
        };
        let credential_fields = [
            &self.specialty,
            &self.credential_kind,
            &self.credential_number,
            &self.credential_issued_on,
            &self.credential_valid_until,
        ];
        let credential = if credential_fields.iter().all(|f| f.trim().is_empty()) {
            Some(None)
        } else {
            let specialty =
                keep(&mut errors, directory_code(&self.specialty, "specialties", "specialty", "Специальность"));
            let kind = keep(
                &mut errors,
                directory_code(&self.credential_kind, "credential_kinds", "credentialKind", "Вид допуска"),
            );
            let number = match self.credential_number.trim() {
                "" => keep(
                    &mut errors,
                    Err(ValidationError::new("credentialNumber", "Номер сертификата или аккредитации", "не заполнен")),
                ),
                text => Some(text.to_owned()),
            };
            let issued = keep(&mut errors, parse_date("credentialIssuedOn", "Дата выдачи", &self.credential_issued_on));
            let until = match keep(
                &mut errors,
                parse_date("credentialValidUntil", "Действует до", &self.credential_valid_until),
            ) {
                Some(until) if issued.is_some_and(|i| until <= i) => keep(
                    &mut errors,
                    Err(ValidationError::new("credentialValidUntil", "Действует до", "не позже даты выдачи")),
                ),
                other => other,
            };
            match (specialty, kind, number, issued, until) {
                (Some(specialty), Some(kind), Some(number), Some(issued_on), Some(valid_until)) => {
                    Some(Some(Credential { kind, specialty, number, issued_on, valid_until }))
                }
                _ => None,
            }
        };
        match (
            snils,
            last_name,
            first_name,
            patronymic,
            sex,
            born,
            citizenship,
            department,
            position,
            position_type,
            rate,
            begin,
            credential,
        ) {
            (
                Some(snils),
                Some(last_name),
                Some(first_name),
                Some(patronymic),
                Some(sex),
                Some(birth_date),
                Some(citizenship),
                Some(department),
                Some(position),
                Some(position_type),
                Some(rate),
                Some(begin_date),
                Some(credential),
            ) if errors.is_empty() => Ok(WorkerInput {
                person: Person {
                    snils,
                    last_name,
                    first_name,
                    patronymic,
                    sex,
                    birth_date,
                    citizenship,
                    phone,
                    email,
                    document: optional(&self.document),
                },
                card: Employment {
                    department,
                    position,
                    position_type,
                    rate,
                    begin_date,
                    end_date: None,
                    dismissal_reason: None,
                },
                credential,
            }),
            _ => Err(errors),
        }
    }
}

/// The value of `result`, or `None` with its error kept.
fn keep<T>(errors: &mut Vec<ValidationError>, result: std::result::Result<T, ValidationError>) -> Option<T> {
    result.map_err(|e| errors.push(e)).ok()
}

/// Filters of the list.
#[derive(Debug, Clone, Default)]
pub struct WorkerFilter {
    /// A part of the name, or a СНИЛС.
    pub q: String,
    pub department: String,
    pub position: Option<u32>,
    pub specialty: Option<u32>,
    pub position_type: Option<u32>,
    /// Only those whose certificate or accreditation ends within this many days.
    pub expiring_days: Option<i64>,
    /// Dismissed ones too.
    pub dismissed: bool,
    /// Who worked here on this date: cards begun by then and not ended before it.
    pub on: Option<Date>,
}

/// A line of the list: one employment card.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkerLine {
    pub person_id: i64,
    pub card_id: i64,
    pub name: String,
    /// Masked (`***-***-*** 95`) for those who may not see personal data.
    pub snils: String,
    /// `dd.MM.yyyy`, or «скрыто».
    pub birth_date: String,
    pub department: String,
    pub position: u32,
    pub position_name: String,
    pub position_type: String,
    pub rate: String,
    pub begin_date: String,
    pub end_date: Option<String>,
    pub specialties: Vec<String>,
    /// The nearest end of a certificate or accreditation.
    pub credential_until: Option<String>,
    /// It ends within the expiry warning period (or has ended).
    pub expiring: bool,
    /// It has ended: «истёк», not «истекает».
    pub expired: bool,
}

/// A line of the staffing table: declared against what the cards say.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StaffingLine {
    pub department: String,
    pub position: u32,
    pub position_name: String,
    pub declared: String,
    /// Rates of open cards of internal workers (основное, внутреннее совместительство, совмещение).
    pub busy: String,
    /// Rates of external part-timers.
    pub external: String,
    pub vacancy: String,
    /// The cards hold more than declared, or a position has cards but no line.
    pub mismatch: bool,
}

/// The list page's content.
#[derive(Debug, Clone, Serialize)]
pub struct WorkersPage {
    pub lines: Vec<WorkerLine>,
    /// Personal data shown unmasked.
    pub personal: bool,
    pub staffing: Vec<StaffingLine>,
}

/// A worker's page: the person and their cards here.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkerView {
    pub person_id: i64,
    pub name: String,
    pub snils: String,
    pub sex: &'static str,
    pub birth_date: String,
    pub citizenship: String,
    pub phone: String,
    pub email: String,
    pub document: String,
    pub personal: bool,
    pub cards: Vec<WorkerLine>,
    pub credentials: Vec<CredentialView>,
    /// «Уровень, организация, диплом № …, дата, специальность».
    pub education: Vec<String>,
    /// «категория по специальности, с … по …».
    pub qualifications: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CredentialView {
    pub kind: String,
    pub specialty: String,
    pub number: String,
    pub issued_on: String,
    pub valid_until: String,
    pub expiring: bool,
    pub expired: bool,
}

/// Education or a qualification category as typed on the worker's page.
#[derive(Debug, Clone, Default)]
pub struct DetailForm {
    /// `education` or `qualification`.
    pub kind: String,
    /// Education level (directory `education_levels`) or category (`qualification_categories`).
    pub code: String,
    pub institution: String,
    pub document_number: String,
    pub specialty: String,
    /// Issue date of the diploma, or the date the category was assigned.
    pub date: String,
    /// Until when a category is valid.
    pub valid_until: String,
}

/// A person's education and qualification categories (the `details` JSON).
#[derive(Debug, Clone, Default, Serialize, serde::Deserialize)]
pub struct Details {
    #[serde(default)]
    pub education: Vec<Education>,
    #[serde(default)]
    pub qualifications: Vec<Qualification>,
}

/// The check report of an organization's workers.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkerCheck {
    pub days: i64,
    /// Certificates or accreditations ending within `days` (or ended).
    pub expiring: Vec<WorkerLine>,
    /// Cards whose position is not (or no longer) in the directory.
    pub without_position: Vec<WorkerLine>,
    /// Likely duplicates, described.
    pub duplicates: Vec<String>,
}

/// A problem in a row of an import file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowError {
    /// The file's line (the header is line 1).
    pub line: usize,
    /// The data record (the first row under the header is record 1).
    pub record: usize,
    pub field: &'static str,
    pub label: &'static str,
    pub message: String,
}

/// What an import did — or, with errors, would not do.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ImportReport {
    pub rows: usize,
    pub created: usize,
    pub updated: usize,
    /// Problems that stop the import: with any, nothing is changed.
    pub errors: Vec<RowError>,
    /// What was imported as the file's codes say but deserves a look (a directory name spelled
    /// otherwise than ours for a known code): listed, not refused.
    pub warnings: Vec<RowError>,
    /// False when errors stopped it: then nothing was changed.
    pub applied: bool,
}

impl ImportReport {
    /// The errors as a CSV file (строка; поле; ошибка), for download.
    pub fn errors_csv(&self) -> String {
        let mut out = String::from("\u{feff}");
        out.push_str(&crate::csv::line(&["Строка файла", "Запись", "Поле", "Ошибка"]));
        for e in &self.errors {
            let record = if e.record > 0 { e.record.to_string() } else { String::new() };
            out.push_str(&crate::csv::line(&[e.line.to_string(), record, e.label.to_owned(), e.message.clone()]));
        }
        out
    }
}

fn name_in(directory: &str, code: i64) -> String {
    u32::try_from(code)
        .ok()
        .and_then(|c| reference::get(directory).and_then(|d| d.name_of(c)).map(str::to_owned))
        .unwrap_or_else(|| code.to_string())
}

fn display_date(text: &str) -> String {
    read_date(text).map_or_else(|| text.to_owned(), format_date)
}

const HIDDEN: &str = "скрыто";

fn mask_snils(snils: &str) -> String {
    format!("***-***-*** {}", snils.get(9..).unwrap_or("**"))
}

fn formatted_snils(snils: &str) -> String {
    Snils::parse(snils).map_or_else(|_| snils.to_owned(), |s| s.formatted())
}

fn full_name(p: &PersonRecord) -> String {
    [Some(p.last_name.as_str()), Some(p.first_name.as_str()), p.patronymic.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ")
}

fn search_name(p: &Person) -> String {
    p.full_name().to_lowercase()
}

/// The statement that writes the organization's record of a person (by СНИЛС) with their
/// `details` kept.
fn person_statement(p: &Person, oid: &str, details: &str, now: i64) -> Statement {
    let birth = iso(p.birth_date);
    let name = search_name(p);
    store::upsert_person(
        &PersonWrite {
            snils: p.snils.as_str(),
            oid,
            last_name: &p.last_name,
            first_name: &p.first_name,
            patronymic: p.patronymic.as_deref(),
            sex: p.sex.code(),
            birth_date: &birth,
            citizenship: i64::from(p.citizenship),
            phone: p.phone.as_deref(),
            email: p.email.as_deref(),
            document: p.document.as_deref(),
            details,
            search_name: &name,
        },
        now,
    )
}

/// An open card of the organization as the store writes it.
fn card_record(id: i64, person_id: i64, oid: &str, c: &Employment) -> CardRecord {
    CardRecord {
        id,
        person_id,
        oid: oid.to_owned(),
        department: c.department.clone(),
        position: i64::from(c.position),
        position_type: i64::from(c.position_type),
        rate: i64::from(c.rate),
        begin_date: iso(c.begin_date),
        end_date: None,
        dismissal_reason: None,
    }
}

/// The statement that adds or refreshes a credential in the organization's record of the person
/// with this СНИЛС.
fn credential_statement(snils: &str, oid: &str, cr: &Credential) -> Statement {
    let record = CredentialRecord {
        person_id: 0,
        kind: i64::from(cr.kind),
        specialty: i64::from(cr.specialty),
        number: cr.number.clone(),
        issued_on: iso(cr.issued_on),
        valid_until: iso(cr.valid_until),
    };
    store::upsert_credential(snils, oid, &record)
}

/// Internal workers hold busy rates; external part-timers (type 4) their own column.
const EXTERNAL: i64 = 4;

impl Registry {
    /// Whether `actor` sees personal data here; when they do, the view is journaled.
    pub(crate) async fn personal_view(
        &self,
        actor: &Actor,
        target: Target<'_>,
        what: serde_json::Value,
        request_id: &str,
    ) -> Result<bool> {
        let Target::Organization { oid, .. } = target else { return Ok(false) };
        if !decide(actor, Action::ReadPersonalData, target).is_allowed() {
            return Ok(false);
        }
        self.journal(actor, "personal_data", oid, what, request_id).await?;
        Ok(true)
    }

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
    pub async fn workers(
        &self,
        actor: &Actor,
        oid: &str,
        filter: &WorkerFilter,
        request_id: &str,
    ) -> Result<WorkersPage> {
        let target = self.organization_target(actor, oid, Action::ReadOrganization, request_id).await?;
        let today = self.today();
        let persons: HashMap<i64, PersonRecord> =
            self.store.persons_of(oid).await?.into_iter().map(|p| (p.id, p)).collect();
        let credentials = self.store.credentials_of(oid).await?;
        let mut by_person: HashMap<i64, Vec<&CredentialRecord>> = HashMap::new();
        for c in &credentials {
            by_person.entry(c.person_id).or_default().push(c);
        }
        let cards = self.store.cards_of(oid).await?;
        // Whoever sees the СНИЛС masked may not search by it, nor by any part of it: matching digits
        // would confirm them one at a time.
        let personal = decide(actor, Action::ReadPersonalData, target).is_allowed();
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
                .personal_view(
                    actor,
                    target,
                    serde_json::json!({"view": "workers", "count": selected.len()}),
                    request_id,
                )
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
        let staffing = staffing_lines(self.store.staffing_of(oid).await?, &cards, today);
        Ok(WorkersPage { lines, personal, staffing })
    }

    /// A worker's page: the person and their cards in this organization.
    pub async fn worker(&self, actor: &Actor, oid: &str, person_id: i64, request_id: &str) -> Result<WorkerView> {
        let target = self.organization_target(actor, oid, Action::ReadOrganization, request_id).await?;
        let missing = || RegistryError::NotFound(format!("Работник {person_id} в организации {oid} не найден"));
        let person = self.store.person(person_id).await?.ok_or_else(missing)?;
        let cards: Vec<CardRecord> =
            self.store.cards_of_person(person_id).await?.into_iter().filter(|c| c.oid == oid).collect();
        if cards.is_empty() {
            return Err(missing());
        }
        let credentials = self.store.credentials_of_person(person_id).await?;
        let personal = self
            .personal_view(actor, target, serde_json::json!({"view": "worker", "personId": person_id}), request_id)
            .await?;
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
    pub async fn worker_by_snils(&self, actor: &Actor, snils: &str, request_id: &str) -> Result<WorkerView> {
        let snils = Snils::parse(snils).map_err(RegistryError::invalid)?;
        let missing = || RegistryError::NotFound(format!("Работник со СНИЛС {} не найден", snils.formatted()));
        let mut records = Vec::new();
        for person in self.store.persons_with_snils(snils.as_str()).await? {
            let region = self.organization_region(&person.oid).await?;
            if decide(actor, Action::ReadPersonalData, Target::Organization { oid: &person.oid, region }).is_allowed() {
                records.push(person);
            }
        }
        if records.is_empty() {
            // Journaled as a refusal whether or not the СНИЛС is known: the answer is the same.
            self.authorize(actor, Action::ReadPersonalData, Target::None, request_id).await.ok();
            return Err(missing());
        }
        // Each organization's journal shows that its record was read.
        for record in &records {
            let detail = serde_json::json!({"view": "worker", "personId": record.id});
            self.journal(actor, "personal_data", &record.oid, detail, request_id).await?;
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

    /// Adds a worker (or a new card of a person already in the register) to the organization.
    pub async fn add_worker(&self, actor: &Actor, oid: &str, form: &WorkerForm, request_id: &str) -> Result<i64> {
        let report = self.import_workers(actor, oid, vec![(0, form.clone())], request_id).await?;
        if !report.applied {
            return Err(RegistryError::Invalid(
                report.errors.into_iter().map(|e| ValidationError::new(e.field, e.label, e.message)).collect(),
            ));
        }
        let snils = Snils::parse(&form.snils).map_err(RegistryError::invalid)?;
        let person = self.store.persons_by_snils(oid, &[snils.as_str()]).await?.pop();
        person.map(|p| p.id).ok_or_else(|| RegistryError::NotFound("работник не сохранён".into()))
    }

    /// Changes a worker: their personal details and one open card (department, position, type,
    /// rate, begin date), and adds or refreshes a credential. The СНИЛС is the person's identity and
    /// is not changed here. Journaled with the fields before and after.
    pub async fn edit_worker(
        &self,
        actor: &Actor,
        oid: &str,
        card_id: i64,
        form: &WorkerForm,
        request_id: &str,
    ) -> Result<()> {
        self.organization_target(actor, oid, Action::EditOrganization, request_id).await?;
        let missing = || RegistryError::NotFound(format!("Карточка {card_id} в организации {oid} не найдена"));
        let card = self.store.card_record(card_id).await?.filter(|c| c.oid == oid).ok_or_else(missing)?;
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
        let updated = card_record(card.id, card.person_id, oid, &input.card);
        let now = self.now();
        let mut statements = vec![store::update_card(&updated, now), person_statement(p, oid, &person.details, now)];
        statements.extend(input.credential.as_ref().map(|cr| credential_statement(&person.snils, oid, cr)));
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
        let entry = self.entry(actor, "worker", oid, detail, request_id).await;
        if self.store.transact_guarded(statements, vec![entry]).await? {
            Ok(())
        } else {
            Err(RegistryError::Conflict("Работник по этой карточке уже уволен; обновите страницу.".into()))
        }
    }

    /// The worker form filled from the register (person and one card), for editing: needs the
    /// right to edit and to see personal data (the view is journaled).
    pub async fn worker_form(
        &self,
        actor: &Actor,
        oid: &str,
        person_id: i64,
        card_id: i64,
        request_id: &str,
    ) -> Result<WorkerForm> {
        let target = self.organization_target(actor, oid, Action::EditOrganization, request_id).await?;
        self.authorize(actor, Action::ReadPersonalData, target, request_id).await?;
        let missing = || RegistryError::NotFound(format!("Карточка {card_id} работника {person_id} не найдена"));
        let card = self
            .store
            .card_record(card_id)
            .await?
            .filter(|c| c.oid == oid && c.person_id == person_id)
            .ok_or_else(missing)?;
        let p = self.store.person(person_id).await?.ok_or_else(missing)?;
        self.journal(
            actor,
            "personal_data",
            oid,
            serde_json::json!({"view": "edit", "personId": person_id}),
            request_id,
        )
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
        actor: &Actor,
        oid: &str,
        person_id: i64,
        form: &DetailForm,
        request_id: &str,
    ) -> Result<()> {
        self.organization_target(actor, oid, Action::EditOrganization, request_id).await?;
        let missing = || RegistryError::NotFound(format!("Работник {person_id} в организации {oid} не найден"));
        let person = self.store.person(person_id).await?.filter(|p| p.oid == oid).ok_or_else(missing)?;
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
        let entry = self.entry(actor, "worker", oid, detail, request_id).await;
        let statement = store::set_details(person_id, &person.details, &after, self.now());
        if self.store.transact_guarded(vec![statement], vec![entry]).await? {
            Ok(())
        } else {
            Err(RegistryError::Conflict("Сведения о работнике изменились; обновите страницу.".into()))
        }
    }

    /// The check report of an organization's workers: certificates and accreditations ending
    /// within `days`, cards whose position is not in the directory, and likely duplicates (the
    /// same name and birth date under different СНИЛС — for those who may see birth dates — or two
    /// open cards of one person in the same department and position).
    pub async fn check_workers(&self, actor: &Actor, oid: &str, days: i64, request_id: &str) -> Result<WorkerCheck> {
        let all = self.workers(actor, oid, &WorkerFilter::default(), request_id).await?;
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
            self.store.persons_of(oid).await?.into_iter().map(|p| (p.id, p)).collect();
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

    /// Closes an open card: the last working day and the reason (directory `dismissal_reasons`).
    pub async fn dismiss_worker(
        &self,
        actor: &Actor,
        oid: &str,
        card_id: i64,
        end_date: &str,
        reason: &str,
        request_id: &str,
    ) -> Result<()> {
        self.organization_target(actor, oid, Action::EditOrganization, request_id).await?;
        let card = self
            .store
            .card_record(card_id)
            .await?
            .filter(|c| c.oid == oid)
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
        let entry = self.entry(actor, "worker", oid, detail, request_id).await;
        let statement = store::dismiss_card(card_id, oid, &iso(end), i64::from(reason), self.now());
        if self.store.transact_guarded(vec![statement], vec![entry]).await? {
            Ok(())
        } else {
            Err(RegistryError::Conflict("Работник по этой карточке уже уволен; обновите страницу.".into()))
        }
    }

    /// Declares the rate of a department × position in the staffing table (0 removes the line).
    pub async fn set_staffing(
        &self,
        actor: &Actor,
        oid: &str,
        department: &str,
        position: &str,
        rate: &str,
        request_id: &str,
    ) -> Result<()> {
        self.organization_target(actor, oid, Action::EditOrganization, request_id).await?;
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
        let entry = self.entry(actor, "staffing", oid, detail, request_id).await;
        let statements = vec![store::organization_exists(oid), store::set_staffing(oid, &line, self.now())];
        self.store.transact_guarded(statements, vec![entry]).await?;
        Ok(())
    }

    /// Imports rows (`(file line, form)`) into the organization: every row is checked (СНИЛС
    /// checksum, dates, directory codes, duplicates inside the file, a СНИЛС the register knows
    /// with another birth date); with any error nothing is changed and the report lists them all.
    /// A person is matched by СНИЛС; a card by department and position (an open one is updated).
    pub async fn import_workers(
        &self,
        actor: &Actor,
        oid: &str,
        rows: Vec<(usize, WorkerForm)>,
        request_id: &str,
    ) -> Result<ImportReport> {
        self.organization_target(actor, oid, Action::EditOrganization, request_id).await?;
        let today = self.today();
        let mut report = ImportReport { rows: rows.len(), ..ImportReport::default() };
        let mut inputs = Vec::with_capacity(rows.len());
        let mut seen: HashMap<(String, String, u32), usize> = HashMap::new();
        let mut births: HashMap<String, (Date, usize)> = HashMap::new();
        for (index, (line, form)) in rows.iter().enumerate() {
            let record = index + 1;
            let row_error = |e: ValidationError| RowError {
                line: *line,
                record,
                field: e.field,
                label: e.label,
                message: e.message,
            };
            match form.validate(today) {
                Err(errors) => report.errors.extend(errors.into_iter().map(row_error)),
                Ok(input) => {
                    let snils = input.person.snils.as_str().to_owned();
                    let key = (snils.clone(), input.card.department.to_lowercase(), input.card.position);
                    if let Some(first) = seen.insert(key, *line) {
                        report.errors.push(row_error(ValidationError::new(
                            "snils",
                            "СНИЛС",
                            format!("дублирует строку {first}: тот же работник в том же подразделении и должности"),
                        )));
                    }
                    match births.get(&snils) {
                        Some((born, first)) if *born != input.person.birth_date => {
                            report.errors.push(row_error(ValidationError::new(
                                "birthDate",
                                "Дата рождения",
                                format!("у этого СНИЛС в строке {first} другая дата рождения"),
                            )));
                        }
                        _ => {
                            births.insert(snils, (input.person.birth_date, *line));
                        }
                    }
                    inputs.push((*line, record, input));
                }
            }
        }
        // Against the organization's own records (never another's: docs/workers.md): a СНИЛС it
        // already keeps must be the same person.
        let numbers: Vec<&str> = inputs.iter().map(|(_, _, input)| input.person.snils.as_str()).collect();
        let existing: HashMap<String, PersonRecord> =
            self.store.persons_by_snils(oid, &numbers).await?.into_iter().map(|p| (p.snils.clone(), p)).collect();
        let mut reported = HashSet::new();
        for (line, record, input) in &inputs {
            let snils = input.person.snils.as_str();
            if let Some(person) = existing.get(snils)
                && person.birth_date != iso(input.person.birth_date)
                && reported.insert(snils)
            {
                report.errors.push(RowError {
                    line: *line,
                    record: *record,
                    field: "birthDate",
                    label: "Дата рождения",
                    message:
                        "в карточках организации этот СНИЛС записан с другой датой рождения; проверьте СНИЛС и дату"
                            .into(),
                });
            }
        }
        if !report.errors.is_empty() {
            report.errors.sort_by_key(|e| e.line);
            return Ok(report);
        }
        let cards = self.store.cards_of(oid).await?;
        let open: HashMap<(i64, String, i64), &CardRecord> = cards
            .iter()
            .filter(|c| c.end_date.is_none())
            .map(|c| ((c.person_id, c.department.to_lowercase(), c.position), c))
            .collect();
        let now = self.now();
        let mut statements: Vec<Statement> = vec![store::organization_exists(oid)];
        let mut written: HashSet<String> = HashSet::new();
        for (_, _, input) in &inputs {
            let p = &input.person;
            let snils = p.snils.as_str();
            let known = existing.get(snils);
            if written.insert(snils.to_owned()) {
                statements.push(person_statement(p, oid, known.map_or("{}", |k| k.details.as_str()), now));
            }
            let c = &input.card;
            let matching = known.and_then(|k| open.get(&(k.id, c.department.to_lowercase(), i64::from(c.position))));
            let record = card_record(matching.map_or(0, |m| m.id), known.map_or(0, |k| k.id), oid, c);
            if matching.is_some() {
                report.updated += 1;
                statements.push(store::update_card(&record, now));
            } else {
                report.created += 1;
                statements.push(store::insert_card(snils, &record, now));
            }
            statements.extend(input.credential.as_ref().map(|cr| credential_statement(snils, oid, cr)));
        }
        let detail = serde_json::json!({"import": report.rows, "created": report.created, "updated": report.updated});
        let entry = self.entry(actor, "worker", oid, detail, request_id).await;
        if !self.store.transact_guarded(statements, vec![entry]).await? {
            return Err(RegistryError::NotFound(format!("Организация {oid} в реестре не найдена")));
        }
        report.applied = true;
        Ok(report)
    }

    /// The organization's current workers in the import's columns (open cards; personal data
    /// masked unless the actor may see it), and the organization's short name. Journaled as an
    /// export of `format`.
    async fn workers_table(
        &self,
        actor: &Actor,
        oid: &str,
        format: &str,
        request_id: &str,
    ) -> Result<(String, Vec<Vec<String>>)> {
        let target = self.organization_target(actor, oid, Action::ReadOrganization, request_id).await?;
        let personal = decide(actor, Action::ReadPersonalData, target).is_allowed();
        let today = iso(self.today());
        let persons: HashMap<i64, PersonRecord> =
            self.store.persons_of(oid).await?.into_iter().map(|p| (p.id, p)).collect();
        let credentials = self.store.credentials_of(oid).await?;
        let cards = self.store.cards_of(oid).await?;
        let mut rows = Vec::new();
        for card in cards.iter().filter(|c| c.end_date.as_deref().is_none_or(|e| e >= today.as_str())) {
            let Some(p) = persons.get(&card.person_id) else { continue };
            let credential =
                credentials.iter().filter(|c| c.person_id == p.id).max_by(|a, b| a.valid_until.cmp(&b.valid_until));
            let hide = |v: String| if personal { v } else { HIDDEN.to_owned() };
            let credential_field = |f: fn(&CredentialRecord) -> String| credential.map(f).unwrap_or_default();
            rows.push(
                COLUMNS
                    .iter()
                    .map(|(key, _)| match *key {
                        "snils" if personal => formatted_snils(&p.snils),
                        "snils" => mask_snils(&p.snils),
                        "last_name" => p.last_name.clone(),
                        "first_name" => p.first_name.clone(),
                        "patronymic" => p.patronymic.clone().unwrap_or_default(),
                        "sex" => Sex::from_code(p.sex).letter().to_owned(),
                        "birth_date" => hide(display_date(&p.birth_date)),
                        "citizenship" => p.citizenship.to_string(),
                        "phone" => hide(p.phone.clone().unwrap_or_default()),
                        "email" => hide(p.email.clone().unwrap_or_default()),
                        "document" => hide(p.document.clone().unwrap_or_default()),
                        "department" => card.department.clone(),
                        "position" => card.position.to_string(),
                        "position_type" => card.position_type.to_string(),
                        "rate" => format_rate(card.rate),
                        "begin_date" => display_date(&card.begin_date),
                        "specialty" => credential_field(|c| c.specialty.to_string()),
                        "credential_kind" => credential_field(|c| c.kind.to_string()),
                        "credential_number" => credential_field(|c| c.number.clone()),
                        "credential_issued_on" => credential_field(|c| display_date(&c.issued_on)),
                        _ => credential_field(|c| display_date(&c.valid_until)),
                    })
                    .collect(),
            );
        }
        let detail =
            serde_json::json!({"export": format!("workers.{format}"), "rows": rows.len(), "personal": personal});
        self.journal(actor, if personal { "personal_data" } else { "export" }, oid, detail, request_id).await?;
        let name = self.card(&Actor::System, oid, None).await?.organization.name_short;
        Ok((name, rows))
    }

    /// The organization's workers as a CSV file in the import's columns.
    pub async fn export_workers_csv(&self, actor: &Actor, oid: &str, request_id: &str) -> Result<String> {
        let (_, rows) = self.workers_table(actor, oid, "csv", request_id).await?;
        let mut out = template_csv();
        for row in rows {
            out.push_str(&crate::csv::line(&row));
        }
        Ok(out)
    }

    /// The organization's workers as an XLSX workbook in the import's columns: dates as dates,
    /// rates as numbers, codes as integers (it loads back through the import).
    pub async fn export_workers_xlsx(&self, actor: &Actor, oid: &str, request_id: &str) -> Result<Vec<u8>> {
        use frmo_office::xlsx::{Cell, Column, Sheet};
        let (_, rows) = self.workers_table(actor, oid, "xlsx", request_id).await?;
        let cell = |key: &str, value: String| -> Cell {
            if value.is_empty() {
                return Cell::Empty;
            }
            match key {
                "birth_date" | "begin_date" | "credential_issued_on" | "credential_valid_until" => {
                    read_date(&value).map_or(Cell::Text(value), Cell::Date)
                }
                "position" | "position_type" | "specialty" | "credential_kind" | "citizenship" => {
                    value.parse().map_or(Cell::Text(value), Cell::Integer)
                }
                "rate" => value.replace(',', ".").parse().map_or(Cell::Text(value), Cell::Number),
                _ => Cell::Text(value),
            }
        };
        let sheet = Sheet {
            name: "Работники".into(),
            columns: COLUMNS.iter().map(|(_, title)| Column { title: (*title).into(), width: 18.0 }).collect(),
            rows: rows
                .into_iter()
                .map(|row| row.into_iter().zip(COLUMNS).map(|(value, (key, _))| cell(key, value)).collect())
                .collect(),
        };
        frmo_office::xlsx::write(&[sheet]).map_err(office_error)
    }

    /// The organization's workers as a PDF list (A4 landscape, Cyrillic font embedded).
    pub async fn export_workers_pdf(&self, actor: &Actor, oid: &str, request_id: &str) -> Result<Vec<u8>> {
        let (name, rows) = self.workers_table(actor, oid, "pdf", request_id).await?;
        let at = |key: &str| COLUMNS.iter().position(|(k, _)| *k == key).unwrap_or_default();
        let [snils, last, first, patronymic, born, department, position, kind, rate, begin, until] = [
            "snils",
            "last_name",
            "first_name",
            "patronymic",
            "birth_date",
            "department",
            "position",
            "position_type",
            "rate",
            "begin_date",
            "credential_valid_until",
        ]
        .map(at);
        let table = frmo_office::pdf::Table {
            title: format!("Медицинские работники: {name}"),
            subtitle: vec![
                format!("OID {oid}"),
                format!("Сформировано {}; работников: {}", frmo_domain::date::moscow_time(self.now()), rows.len()),
            ],
            columns: vec![
                ("ФИО".into(), 3.0),
                ("СНИЛС".into(), 1.6),
                ("Дата рождения".into(), 1.2),
                ("Подразделение".into(), 2.2),
                ("Должность".into(), 2.4),
                ("Тип занятости".into(), 1.6),
                ("Ставка".into(), 0.7),
                ("Принят".into(), 1.1),
                ("Допуск до".into(), 1.1),
            ],
            rows: rows
                .iter()
                .map(|r| {
                    let full = [&r[last], &r[first], &r[patronymic]]
                        .iter()
                        .filter(|s| !s.is_empty())
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(" ");
                    vec![
                        full,
                        r[snils].clone(),
                        r[born].clone(),
                        r[department].clone(),
                        r[position].parse().map(|code| name_in("positions", code)).unwrap_or_default(),
                        r[kind].parse().map(|code| name_in("employment_types", code)).unwrap_or_default(),
                        r[rate].clone(),
                        r[begin].clone(),
                        r[until].clone(),
                    ]
                })
                .collect(),
            landscape: true,
        };
        frmo_office::pdf::table(&table).map_err(office_error)
    }
}

pub(crate) fn office_error(error: frmo_office::OfficeError) -> RegistryError {
    RegistryError::Store(frmo_store::StoreError::Unexpected(error.to_string()))
}

/// A declared staffing rate: like a card's, but up to 9999 per line.
fn parse_staffing_rate(text: &str) -> std::result::Result<i64, ValidationError> {
    frmo_domain::worker::hundredths(text)
        .filter(|rate| (1..=999_900).contains(rate))
        .map(i64::from)
        .ok_or_else(|| ValidationError::new("rate", "Ставка", "ожидается число ставок, например 2,5"))
}

/// The staffing table with the busy rates the open cards give, and the differences flagged.
pub(crate) fn staffing_lines(declared: Vec<StaffingRecord>, cards: &[CardRecord], today: Date) -> Vec<StaffingLine> {
    let today = iso(today);
    let mut busy: HashMap<(String, i64), (i64, i64, String)> = HashMap::new();
    for c in cards.iter().filter(|c| c.end_date.as_deref().is_none_or(|e| e >= today.as_str())) {
        let entry = busy.entry((c.department.to_lowercase(), c.position)).or_insert((0, 0, c.department.clone()));
        if c.position_type == EXTERNAL {
            entry.1 += c.rate;
        } else {
            entry.0 += c.rate;
        }
    }
    let mut lines = Vec::new();
    for d in &declared {
        let (internal, external, _) = busy.remove(&(d.department.to_lowercase(), d.position)).unwrap_or_default();
        lines.push(StaffingLine {
            department: d.department.clone(),
            position: u32::try_from(d.position).unwrap_or_default(),
            position_name: name_in("positions", d.position),
            declared: format_rate(d.rate),
            busy: format_rate(internal),
            external: format_rate(external),
            vacancy: format_rate((d.rate - internal - external).max(0)),
            mismatch: internal + external > d.rate,
        });
    }
    let mut rest: Vec<_> = busy.into_iter().collect();
    rest.sort();
    for ((_, position), (internal, external, department)) in rest {
        lines.push(StaffingLine {
            department,
            position: u32::try_from(position).unwrap_or_default(),
            position_name: name_in("positions", position),
            declared: "0".into(),
            busy: format_rate(internal),
            external: format_rate(external),
            vacancy: "0".into(),
            mismatch: true,
        });
    }
    lines
}

/// Rows of a CSV file in the import's columns (Russian headers or the keys), or the file's errors.
pub fn rows_from_csv(text: &str) -> std::result::Result<Vec<(usize, WorkerForm)>, Vec<RowError>> {
    let records = crate::csv::parse(text).map_err(|e| file_error(e.line, e.message))?;
    rows_from_records(records)
}

/// Rows of the first sheet of an XLSX workbook in the import's columns (dates typed as dates are
/// read as `dd.MM.yyyy`).
pub fn rows_from_xlsx(bytes: &[u8]) -> std::result::Result<Vec<(usize, WorkerForm)>, Vec<RowError>> {
    let rows = frmo_office::xlsx::read_rows(bytes).map_err(|e| file_error(1, e.to_string()))?;
    let records = rows
        .into_iter()
        .enumerate()
        .filter(|(_, fields)| fields.iter().any(|f| !f.trim().is_empty()))
        .map(|(i, fields)| (i + 1, fields))
        .collect();
    rows_from_records(records)
}

/// Rows of an import file: XLSX when it is a ZIP package, CSV in UTF-8 otherwise.
pub fn rows_from_file(bytes: &[u8]) -> std::result::Result<Vec<(usize, WorkerForm)>, Vec<RowError>> {
    if bytes.starts_with(b"PK\x03\x04") {
        return rows_from_xlsx(bytes);
    }
    let text = std::str::from_utf8(bytes).map_err(|_| {
        file_error(
            1,
            "ожидается CSV в кодировке UTF-8 или книга XLSX (в Excel: «Сохранить как» → «CSV UTF-8» или «Книга Excel»)"
                .into(),
        )
    })?;
    rows_from_csv(text)
}

fn file_error(line: usize, message: String) -> Vec<RowError> {
    vec![RowError { line, record: 0, field: "file", label: "Файл", message }]
}

fn rows_from_records(
    records: Vec<(usize, Vec<String>)>,
) -> std::result::Result<Vec<(usize, WorkerForm)>, Vec<RowError>> {
    let mut records = records.into_iter();
    let Some((_, header)) = records.next() else { return Err(file_error(1, "файл пуст".into())) };
    let mut keys = Vec::with_capacity(header.len());
    for name in &header {
        let name = name.trim();
        let key = COLUMNS
            .iter()
            .find(|(key, russian)| name.eq_ignore_ascii_case(key) || name.to_lowercase() == russian.to_lowercase())
            .map(|(key, _)| *key);
        keys.push(key);
    }
    let missing: Vec<&str> = COLUMNS[..REQUIRED]
        .iter()
        .filter(|(key, _)| !keys.contains(&Some(*key)))
        .map(|(_, russian)| *russian)
        .collect();
    if !missing.is_empty() {
        return Err(file_error(1, format!("нет обязательных столбцов: {}", missing.join(", "))));
    }
    let mut rows = Vec::new();
    for (line, fields) in records {
        let mut form = WorkerForm::default();
        for (key, value) in keys.iter().zip(fields) {
            if let Some(key) = key {
                form.set(key, value);
            }
        }
        rows.push((line, form));
    }
    Ok(rows)
}

/// The import template: the header, and a sample row to overwrite.
/// The «Пример» row of the import template: every column filled as the import reads it.
pub fn template_example() -> Vec<frmo_office::xlsx::Cell> {
    use frmo_office::xlsx::Cell;
    // The example's codes are looked up by name, so the example stays right whatever the codes.
    let code = |directory: &str, name: &str| -> Cell {
        let entries = reference::get(directory).map(|d| d.entries.as_slice()).unwrap_or_default();
        let entry = entries.iter().find(|e| e.name.to_lowercase() == name.to_lowercase()).or(entries.first());
        entry.map_or(Cell::Empty, |e| Cell::Integer(i64::from(e.id)))
    };
    let date = |y, m, d| time::Date::from_calendar_date(y, m, d).map_or(Cell::Empty, Cell::Date);
    let text = |t: &str| Cell::Text(t.to_owned());
    vec![
        text("112-233-445 95"),
        text("Петрова"),
        text("Анна"),
        text("ж"),
        date(1985, time::Month::April, 12),
        text("Терапевтическое отделение"),
        code("positions", "медицинская сестра"),
        code("employment_types", "основное место работы"),
        Cell::Number(1.0),
        date(2020, time::Month::September, 1),
        text("Сергеевна"),
        Cell::Integer(643),
        text("+7 846 200-00-01"),
        text("petrova@example.ru"),
        text("паспорт 3600 123456"),
        code("specialties", "Сестринское дело"),
        code("credential_kinds", "первичная аккредитация"),
        text("7724 031234567"),
        date(2021, time::Month::June, 1),
        date(2031, time::Month::May, 31),
    ]
}

/// The import template as an XLSX workbook: «Работники» (the columns to fill, empty: what is left
/// there is imported), «Пример» (one filled row showing every format) and «Справочники» (the codes the
/// columns accept, from the directories the import checks against).
pub fn template_xlsx() -> std::result::Result<Vec<u8>, frmo_office::OfficeError> {
    use frmo_office::xlsx::{Cell, Column, Sheet};
    let columns = || COLUMNS.iter().map(|(_, title)| Column { title: (*title).into(), width: 18.0 }).collect();
    let text = |t: &str| Cell::Text(t.to_owned());
    let mut codes = vec![
        vec![text("Пол"), text("м"), text("мужской")],
        vec![text("Пол"), text("ж"), text("женский")],
        vec![text("Гражданство (код ОКСМ)"), Cell::Integer(643), text("Россия")],
    ];
    for (directory, column) in [
        ("positions", "Должность (код)"),
        ("employment_types", "Тип занятости (код)"),
        ("specialties", "Специальность (код)"),
        ("credential_kinds", "Вид допуска (код)"),
    ] {
        for entry in reference::get(directory).map(|d| d.entries.as_slice()).unwrap_or_default() {
            codes.push(vec![text(column), Cell::Integer(i64::from(entry.id)), text(&entry.name)]);
        }
    }
    let reference_columns = ["Столбец", "Код", "Значение"]
        .iter()
        .zip([28.0, 10.0, 70.0])
        .map(|(title, width)| Column { title: (*title).into(), width })
        .collect();
    frmo_office::xlsx::write(&[
        Sheet { name: "Работники".into(), columns: columns(), rows: Vec::new() },
        Sheet { name: "Пример".into(), columns: columns(), rows: vec![template_example()] },
        Sheet { name: "Справочники".into(), columns: reference_columns, rows: codes },
    ])
}

pub fn template_csv() -> String {
    let mut out = String::from("\u{feff}");
    out.push_str(&crate::csv::line(&COLUMNS.map(|(_, header)| header)));
    out
}
