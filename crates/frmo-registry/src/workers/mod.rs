//! Medical workers (ФРМР) of an organization: the list with search and filters, a worker's page,
//! adding, editing and dismissing, the staffing table beside the cards, and the bulk import and
//! export of CSV. Personal data (СНИЛС, birth date, contacts, identity document) is masked for those
//! who may not see it (`Action::ReadPersonalData`), and every unmasked view and every export is
//! written to the audit journal.

mod files;
mod form;
mod read;
mod views;
mod write;

pub(crate) use files::{office_error, staffing_lines};
pub use files::{rows_from_csv, rows_from_file, rows_from_xlsx, template_csv, template_example, template_xlsx};
pub use form::{COLUMNS, WorkerForm, WorkerInput};
use form::{REQUIRED, keep};
pub use views::*;

use frmo_domain::access::{Action, Target, decide};
use frmo_domain::date::{format as format_date, iso, read as read_date};
use frmo_domain::ident::Snils;
use frmo_domain::reference;
use frmo_domain::worker::{Credential, Employment, Person};
use frmo_store::sql::Statement;
use frmo_store::workers::{self as store, CardRecord, CredentialRecord, PersonRecord, PersonWrite};

use crate::Caller;
use crate::{Registry, Result};

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
        caller: &Caller,
        target: Target<'_>,
        what: serde_json::Value,
    ) -> Result<bool> {
        let Target::Organization { oid, .. } = target else { return Ok(false) };
        if !decide(caller.actor(), Action::ReadPersonalData, target).is_allowed() {
            return Ok(false);
        }
        self.journal(caller, "personal_data", oid, what).await?;
        Ok(true)
    }
}
