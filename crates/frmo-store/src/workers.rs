//! Medical workers (migrations 0008, 0014): each employer's record of a person (by СНИЛС and
//! organization), employment cards, credentials, the staffing table. Writes are statements run together in one transaction with their journal entries
//! (`Store::transact_guarded`), so an import of ten thousand rows is all or nothing.

use crate::sql::{Statement, Value, dialects, json_texts, take_text as text};
use crate::{Result, Store};

/// A person as one employer keeps them (the personal data included: the registry decides who sees
/// it). The same СНИЛС has one record per organization that employs or employed them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonRecord {
    pub id: i64,
    pub snils: String,
    /// The organization whose record this is.
    pub oid: String,
    pub last_name: String,
    pub first_name: String,
    pub patronymic: Option<String>,
    pub sex: i64,
    /// `YYYY-MM-DD`.
    pub birth_date: String,
    pub citizenship: i64,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub document: Option<String>,
    /// JSON: `{"education": […], "qualifications": […]}`.
    pub details: String,
}

/// An employment card as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardRecord {
    pub id: i64,
    pub person_id: i64,
    pub oid: String,
    pub department: String,
    pub position: i64,
    pub position_type: i64,
    /// Hundredths.
    pub rate: i64,
    pub begin_date: String,
    pub end_date: Option<String>,
    pub dismissal_reason: Option<i64>,
}

/// A certificate or accreditation as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialRecord {
    pub person_id: i64,
    pub kind: i64,
    pub specialty: i64,
    pub number: String,
    pub issued_on: String,
    pub valid_until: String,
}

/// A line of the staffing table as declared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffingRecord {
    pub department: String,
    pub position: i64,
    pub rate: i64,
    pub note: Option<String>,
}

/// A person's row in one organization, for writing.
pub struct PersonWrite<'a> {
    pub snils: &'a str,
    pub oid: &'a str,
    pub last_name: &'a str,
    pub first_name: &'a str,
    pub patronymic: Option<&'a str>,
    pub sex: i64,
    pub birth_date: &'a str,
    pub citizenship: i64,
    pub phone: Option<&'a str>,
    pub email: Option<&'a str>,
    pub document: Option<&'a str>,
    pub details: &'a str,
    pub search_name: &'a str,
}

macro_rules! person_select {
    ($rest:literal) => {
        concat!(
            "SELECT id, snils, oid, last_name, first_name, patronymic, sex, birth_date, citizenship, phone, email, document, details FROM persons",
            $rest
        )
    };
}

macro_rules! card_select {
    ($rest:literal) => {
        concat!(
            "SELECT c.id, c.person_id, c.oid, c.department, c.position, c.position_type, c.rate, c.begin_date, c.end_date,
                    c.dismissal_reason FROM employment_cards c",
            $rest
        )
    };
}

fn person(mut r: Vec<Value>) -> PersonRecord {
    PersonRecord {
        id: r[0].int().unwrap_or_default(),
        snils: text(&mut r, 1).unwrap_or_default(),
        oid: text(&mut r, 2).unwrap_or_default(),
        last_name: text(&mut r, 3).unwrap_or_default(),
        first_name: text(&mut r, 4).unwrap_or_default(),
        patronymic: text(&mut r, 5),
        sex: r[6].int().unwrap_or_default(),
        birth_date: text(&mut r, 7).unwrap_or_default(),
        citizenship: r[8].int().unwrap_or_default(),
        phone: text(&mut r, 9),
        email: text(&mut r, 10),
        document: text(&mut r, 11),
        details: text(&mut r, 12).unwrap_or_else(|| "{}".into()),
    }
}

fn card(mut r: Vec<Value>) -> CardRecord {
    CardRecord {
        id: r[0].int().unwrap_or_default(),
        person_id: r[1].int().unwrap_or_default(),
        oid: text(&mut r, 2).unwrap_or_default(),
        department: text(&mut r, 3).unwrap_or_default(),
        position: r[4].int().unwrap_or_default(),
        position_type: r[5].int().unwrap_or_default(),
        rate: r[6].int().unwrap_or_default(),
        begin_date: text(&mut r, 7).unwrap_or_default(),
        end_date: text(&mut r, 8),
        dismissal_reason: r[9].int(),
    }
}

fn credential(mut r: Vec<Value>) -> CredentialRecord {
    CredentialRecord {
        person_id: r[0].int().unwrap_or_default(),
        kind: r[1].int().unwrap_or_default(),
        specialty: r[2].int().unwrap_or_default(),
        number: text(&mut r, 3).unwrap_or_default(),
        issued_on: text(&mut r, 4).unwrap_or_default(),
        valid_until: text(&mut r, 5).unwrap_or_default(),
    }
}

/// Creates the organization's record of the person or updates it (by СНИЛС and organization).
pub fn upsert_person(p: &PersonWrite<'_>, now: i64) -> Statement {
    (
        "INSERT INTO persons (snils, last_name, first_name, patronymic, sex, birth_date, citizenship, phone, email,
             document, details, search_name, updated_at, oid)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
         ON CONFLICT (snils, oid) DO UPDATE SET last_name = excluded.last_name, first_name = excluded.first_name,
             patronymic = excluded.patronymic, sex = excluded.sex, birth_date = excluded.birth_date,
             citizenship = excluded.citizenship, phone = excluded.phone, email = excluded.email,
             document = excluded.document, details = excluded.details, search_name = excluded.search_name,
             updated_at = excluded.updated_at",
        vec![
            p.snils.into(),
            p.last_name.into(),
            p.first_name.into(),
            p.patronymic.into(),
            p.sex.into(),
            p.birth_date.into(),
            p.citizenship.into(),
            p.phone.into(),
            p.email.into(),
            p.document.into(),
            p.details.into(),
            p.search_name.into(),
            now.into(),
            p.oid.into(),
        ],
    )
}

/// Adds an employment card of the person with this СНИЛС in the card's organization (the record
/// written earlier in the same transaction).
pub fn insert_card(snils: &str, c: &CardRecord, now: i64) -> Statement {
    (
        "INSERT INTO employment_cards (person_id, oid, department, position, position_type, rate, begin_date,
             end_date, dismissal_reason, updated_at)
         VALUES ((SELECT id FROM persons WHERE snils = $1 AND oid = $2), $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        vec![
            snils.into(),
            c.oid.as_str().into(),
            c.department.as_str().into(),
            c.position.into(),
            c.position_type.into(),
            c.rate.into(),
            c.begin_date.as_str().into(),
            c.end_date.clone().into(),
            c.dismissal_reason.into(),
            now.into(),
        ],
    )
}

/// Changes an open card of the organization (its department, position, type, rate, begin date).
pub fn update_card(c: &CardRecord, now: i64) -> Statement {
    (
        "UPDATE employment_cards SET department = $3, position = $4, position_type = $5, rate = $6, begin_date = $7,
             updated_at = $8
         WHERE id = $1 AND oid = $2 AND end_date IS NULL RETURNING id",
        vec![
            c.id.into(),
            c.oid.as_str().into(),
            c.department.as_str().into(),
            c.position.into(),
            c.position_type.into(),
            c.rate.into(),
            c.begin_date.as_str().into(),
            now.into(),
        ],
    )
}

/// Closes an open card: the last day and the reason (a guard: nothing when it is closed already).
pub fn dismiss_card(id: i64, oid: &str, end_date: &str, reason: i64, now: i64) -> Statement {
    (
        "UPDATE employment_cards SET end_date = $3, dismissal_reason = $4, updated_at = $5
         WHERE id = $1 AND oid = $2 AND end_date IS NULL RETURNING id",
        vec![id.into(), oid.into(), end_date.into(), reason.into(), now.into()],
    )
}

/// Adds or refreshes a credential in the organization's record of the person with this СНИЛС.
pub fn upsert_credential(snils: &str, oid: &str, c: &CredentialRecord) -> Statement {
    (
        "INSERT INTO worker_credentials (person_id, kind, specialty, number, issued_on, valid_until)
         VALUES ((SELECT id FROM persons WHERE snils = $1 AND oid = $7), $2, $3, $4, $5, $6)
         ON CONFLICT (person_id, kind, number) DO UPDATE SET specialty = excluded.specialty,
             issued_on = excluded.issued_on, valid_until = excluded.valid_until",
        vec![
            snils.into(),
            c.kind.into(),
            c.specialty.into(),
            c.number.as_str().into(),
            c.issued_on.as_str().into(),
            c.valid_until.as_str().into(),
            oid.into(),
        ],
    )
}

/// Declares the rate of a department × position (0 removes the line).
pub fn set_staffing(oid: &str, line: &StaffingRecord, now: i64) -> Statement {
    (
        "INSERT INTO staffing (oid, department, position, rate, note, updated_at) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (oid, department, position) DO UPDATE SET rate = excluded.rate, note = excluded.note,
             updated_at = excluded.updated_at",
        vec![
            oid.into(),
            line.department.as_str().into(),
            line.position.into(),
            line.rate.into(),
            line.note.clone().into(),
            now.into(),
        ],
    )
}

/// Replaces a person's `details` (education, qualifications) if they are still `before`.
pub fn set_details(person_id: i64, before: &str, after: &str, now: i64) -> Statement {
    (
        "UPDATE persons SET details = $3, updated_at = $4 WHERE id = $1 AND details = $2 RETURNING id",
        vec![person_id.into(), before.into(), after.into(), now.into()],
    )
}

/// The guard of a write to an organization's workers: the organization exists.
pub fn organization_exists(oid: &str) -> Statement {
    ("SELECT oid FROM organizations WHERE oid = $1", vec![oid.into()])
}

impl Store {
    /// Every employer's record of the person with this СНИЛС, oldest first.
    pub async fn persons_with_snils(&self, snils: &str) -> Result<Vec<PersonRecord>> {
        let rows = self.query(person_select!(" WHERE snils = $1 ORDER BY id"), vec![snils.into()]).await?;
        Ok(rows.into_iter().map(person).collect())
    }

    /// The organization's records of the persons with these СНИЛС (any order; unknown ones are
    /// absent). One query per thousand.
    pub async fn persons_by_snils(&self, oid: &str, snils: &[&str]) -> Result<Vec<PersonRecord>> {
        let mut found = Vec::new();
        for chunk in snils.chunks(1000) {
            let list = serde_json::to_string(chunk)?;
            let sql = dialects![(person_select!(" WHERE oid = $2 AND snils IN (")), {json_texts "$1"}, ")"];
            let rows = self.query(self.dialect(sql), vec![list.into(), oid.into()]).await?;
            found.extend(rows.into_iter().map(person));
        }
        Ok(found)
    }

    pub async fn person(&self, id: i64) -> Result<Option<PersonRecord>> {
        let rows = self.query(person_select!(" WHERE id = $1"), vec![id.into()]).await?;
        Ok(rows.into_iter().next().map(person))
    }

    /// The organization's records of its people (with open or closed cards), by name.
    pub async fn persons_of(&self, oid: &str) -> Result<Vec<PersonRecord>> {
        let rows = self.query(person_select!(" WHERE oid = $1 ORDER BY search_name, id"), vec![oid.into()]).await?;
        Ok(rows.into_iter().map(person).collect())
    }

    /// Every card of the organization, oldest first.
    pub async fn cards_of(&self, oid: &str) -> Result<Vec<CardRecord>> {
        let rows = self.query(card_select!(" WHERE c.oid = $1 ORDER BY c.id"), vec![oid.into()]).await?;
        Ok(rows.into_iter().map(card).collect())
    }

    /// Every card of a person, in every organization.
    pub async fn cards_of_person(&self, person_id: i64) -> Result<Vec<CardRecord>> {
        let rows = self.query(card_select!(" WHERE c.person_id = $1 ORDER BY c.id"), vec![person_id.into()]).await?;
        Ok(rows.into_iter().map(card).collect())
    }

    pub async fn card_record(&self, id: i64) -> Result<Option<CardRecord>> {
        let rows = self.query(card_select!(" WHERE c.id = $1"), vec![id.into()]).await?;
        Ok(rows.into_iter().next().map(card))
    }

    /// The credentials of the people with a card in the organization.
    pub async fn credentials_of(&self, oid: &str) -> Result<Vec<CredentialRecord>> {
        let rows = self
            .query(
                "SELECT person_id, kind, specialty, number, issued_on, valid_until FROM worker_credentials
                 WHERE person_id IN (SELECT id FROM persons WHERE oid = $1) ORDER BY person_id, valid_until",
                vec![oid.into()],
            )
            .await?;
        Ok(rows.into_iter().map(credential).collect())
    }

    pub async fn credentials_of_person(&self, person_id: i64) -> Result<Vec<CredentialRecord>> {
        let rows = self
            .query(
                "SELECT person_id, kind, specialty, number, issued_on, valid_until FROM worker_credentials
                 WHERE person_id = $1 ORDER BY valid_until",
                vec![person_id.into()],
            )
            .await?;
        Ok(rows.into_iter().map(credential).collect())
    }

    pub async fn staffing_of(&self, oid: &str) -> Result<Vec<StaffingRecord>> {
        let rows = self
            .query(
                "SELECT department, position, rate, note FROM staffing WHERE oid = $1 AND rate > 0 ORDER BY department, position",
                vec![oid.into()],
            )
            .await?;
        Ok(rows
            .into_iter()
            .map(|mut r| StaffingRecord {
                department: text(&mut r, 0).unwrap_or_default(),
                position: r[1].int().unwrap_or_default(),
                rate: r[2].int().unwrap_or_default(),
                note: text(&mut r, 3),
            })
            .collect())
    }
}
