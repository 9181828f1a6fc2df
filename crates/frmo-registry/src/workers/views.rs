//! What the workers' pages and exports show: the list's filter and lines, a worker's view with its
//! credentials, the staffing lines, the check and import reports.

use frmo_domain::worker::{Education, Qualification};
use serde::Serialize;
use time::Date;

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
