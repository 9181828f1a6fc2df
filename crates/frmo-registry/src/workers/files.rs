//! Workers in files: the bulk import (CSV or XLSX, all-or-nothing), the exports (CSV, XLSX, PDF) and
//! the import template.

use std::collections::{HashMap, HashSet};

use frmo_domain::access::{Action, Actor, decide};
use frmo_domain::date::{iso, read as read_date};
use frmo_domain::error::ValidationError;
use frmo_domain::ident::OrgOid;
use frmo_domain::reference;
use frmo_domain::worker::{Sex, format_rate};
use frmo_store::sql::Statement;
use frmo_store::workers::{self as store, CardRecord, CredentialRecord, PersonRecord, StaffingRecord};
use time::Date;

use super::{
    COLUMNS, EXTERNAL, HIDDEN, ImportReport, REQUIRED, RowError, StaffingLine, WorkerForm, card_record,
    credential_statement, display_date, formatted_snils, mask_snils, name_in, person_statement,
};
use crate::Caller;
use crate::{Registry, RegistryError, Result};

impl Registry {
    /// Imports rows (`(file line, form)`) into the organization: every row is checked (СНИЛС
    /// checksum, dates, directory codes, duplicates inside the file, a СНИЛС the register knows
    /// with another birth date); with any error nothing is changed and the report lists them all.
    /// A person is matched by СНИЛС; a card by department and position (an open one is updated).
    pub async fn import_workers(
        &self,
        caller: &Caller,
        oid: &OrgOid,
        rows: Vec<(usize, WorkerForm)>,
    ) -> Result<ImportReport> {
        self.organization_target(caller, oid, Action::EditOrganization).await?;
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
        let existing: HashMap<String, PersonRecord> = self
            .store
            .persons_by_snils(oid.as_str(), &numbers)
            .await?
            .into_iter()
            .map(|p| (p.snils.clone(), p))
            .collect();
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
        let cards = self.store.cards_of(oid.as_str()).await?;
        let open: HashMap<(i64, String, i64), &CardRecord> = cards
            .iter()
            .filter(|c| c.end_date.is_none())
            .map(|c| ((c.person_id, c.department.to_lowercase(), c.position), c))
            .collect();
        let now = self.now();
        let mut statements: Vec<Statement> = vec![store::organization_exists(oid.as_str())];
        let mut written: HashSet<String> = HashSet::new();
        for (_, _, input) in &inputs {
            let p = &input.person;
            let snils = p.snils.as_str();
            let known = existing.get(snils);
            if written.insert(snils.to_owned()) {
                statements.push(person_statement(p, oid.as_str(), known.map_or("{}", |k| k.details.as_str()), now));
            }
            let c = &input.card;
            let matching = known.and_then(|k| open.get(&(k.id, c.department.to_lowercase(), i64::from(c.position))));
            let record = card_record(matching.map_or(0, |m| m.id), known.map_or(0, |k| k.id), oid.as_str(), c);
            if matching.is_some() {
                report.updated += 1;
                statements.push(store::update_card(&record, now));
            } else {
                report.created += 1;
                statements.push(store::insert_card(snils, &record, now));
            }
            statements.extend(input.credential.as_ref().map(|cr| credential_statement(snils, oid.as_str(), cr)));
        }
        let detail = serde_json::json!({"import": report.rows, "created": report.created, "updated": report.updated});
        let entry = self.entry(caller, "worker", oid.as_str(), detail).await;
        if !self.store.transact_guarded(statements, vec![entry]).await? {
            return Err(RegistryError::NotFound(format!("Организация {oid} в реестре не найдена")));
        }
        report.applied = true;
        Ok(report)
    }

    /// The organization's current workers in the import's columns (open cards; personal data
    /// masked unless the actor may see it), and the organization's short name. Journaled as an
    /// export of `format`.
    async fn workers_table(&self, caller: &Caller, oid: &OrgOid, format: &str) -> Result<(String, Vec<Vec<String>>)> {
        let target = self.organization_target(caller, oid, Action::ReadOrganization).await?;
        let personal = decide(caller.actor(), Action::ReadPersonalData, target).is_allowed();
        let today = iso(self.today());
        let persons: HashMap<i64, PersonRecord> =
            self.store.persons_of(oid.as_str()).await?.into_iter().map(|p| (p.id, p)).collect();
        let credentials = self.store.credentials_of(oid.as_str()).await?;
        let cards = self.store.cards_of(oid.as_str()).await?;
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
        self.journal(caller, if personal { "personal_data" } else { "export" }, oid.as_str(), detail).await?;
        let name = self.card(&Actor::System, oid, None).await?.organization.name_short;
        Ok((name, rows))
    }

    /// The organization's workers as a CSV file in the import's columns.
    pub async fn export_workers_csv(&self, caller: &Caller, oid: &OrgOid) -> Result<String> {
        let (_, rows) = self.workers_table(caller, oid, "csv").await?;
        let mut out = template_csv();
        for row in rows {
            out.push_str(&crate::csv::line(&row));
        }
        Ok(out)
    }

    /// The organization's workers as an XLSX workbook in the import's columns: dates as dates,
    /// rates as numbers, codes as integers (it loads back through the import).
    pub async fn export_workers_xlsx(&self, caller: &Caller, oid: &OrgOid) -> Result<Vec<u8>> {
        use frmo_office::xlsx::{Cell, Column, Sheet};
        let (_, rows) = self.workers_table(caller, oid, "xlsx").await?;
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
    pub async fn export_workers_pdf(&self, caller: &Caller, oid: &OrgOid) -> Result<Vec<u8>> {
        let (name, rows) = self.workers_table(caller, oid, "pdf").await?;
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

pub(super) fn file_error(line: usize, message: String) -> Vec<RowError> {
    vec![RowError { line, record: 0, field: "file", label: "Файл", message }]
}

pub(super) fn rows_from_records(
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
