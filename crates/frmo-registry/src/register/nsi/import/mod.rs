//! Reading the publication back: a 1461 file (JSON `{"records": […]}`, `;`/`,` CSV or the XML of
//! `export`, told apart by content) or real ФРМО API organization JSON (one object or an array),
//! each record validated into a card, merged by OID into the register, all or nothing.
//!
//! What a record carries replaces the card's 1461 fields; what it does not (departments,
//! buildings, licences, contacts, head, bank requisites, the address line of an unchanged address)
//! stays. Every 1461 field is kept: `id` when it is not the one derived from the OID, the address's
//! own region (`addrRegionId`) when it is not `regionId`; `territoryCode` and `isFederalCity` follow
//! the address's region.
//!
//! Codes decide, names inform: a directory name that differs from ours for a known code (another
//! spelling of a region, a hyphen for a dash) is imported with a warning in the report; an unknown
//! code is an error. A field given only by its name (`moLevel`, `deleteReason`, `organizationType`
//! without its code) must name an entry, spelled loosely (case, dashes, spaces and «ё» aside).
//!
//! The ФРМО integration API's answers are read as they come: one card, an array of cards, the
//! single-object envelope `{requestId, errorUserMessage, content}` and the paged list
//! `{offset, limit, total, content: […]}`. A JSON file of another kind (a ФРМР person) is refused
//! saying what it is.

mod check;
mod read;

pub(crate) use check::{address_line, card_from_api};
pub use read::{parse_file, read_file};

use std::collections::HashMap;
use std::fmt::Write as _;

use frmo_domain::access::{Action, Target};
use frmo_domain::error::ValidationError;
use frmo_domain::ident::OrgOid;
use frmo_domain::org::Organization;
use serde_json::Value;
use time::{Date, OffsetDateTime, Time};

use super::{FIELDS, position};
use crate::Caller;
use crate::workers::{ImportReport, RowError};
use crate::{Registry, Result};
use check::{Fields, card_field, fields, merge};

/// Russian names of the [`FIELDS`], for the report.
const LABELS: [&str; 48] = [
    "Идентификатор записи",
    "OID",
    "Прежний OID",
    "Полное наименование",
    "Краткое наименование",
    "OID головной организации",
    "Код вида субъекта",
    "Вид субъекта",
    "ИНН",
    "КПП",
    "ОГРН",
    "Код субъекта РФ",
    "Субъект РФ",
    "Тип организации",
    "Код ведомственной принадлежности",
    "Ведомственная принадлежность",
    "Учредитель",
    "Дата исключения",
    "Причина исключения",
    "Дата создания",
    "Дата изменения",
    "Уровень",
    "Код вида медицинской организации",
    "Вид медицинской организации",
    "Код профиля",
    "Профиль",
    "Почтовый индекс",
    "Кадастровый номер",
    "Широта",
    "Долгота",
    "Версия ФИАС",
    "Код населённого пункта ФИАС",
    "Код улицы ФИАС",
    "Код дома ФИАС",
    "Код субъекта РФ адреса",
    "Субъект РФ адреса",
    "Код территории",
    "Город федерального значения",
    "Населённый пункт",
    "Тип населённого пункта",
    "Улица",
    "Тип улицы",
    "Дом",
    "Корпус",
    "Строение",
    "OID головного ОСП",
    "OID ОСП",
    "OID дочерних ОСП",
];

/// One record of an import file: where it starts, and its values in [`FIELDS`] order (empty when
/// absent), kept one after another in one string (a big file is a hundred thousand of these).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawRecord {
    pub line: usize,
    /// From a ФРМО API card, which has no `createDate`/`modifyDate`: a new organization is created
    /// today, a known one keeps its dates.
    pub from_api: bool,
    /// Directory codes the ФРМО API gives beside names that 1461 carries alone (`moLevelId`,
    /// `deleteReason`): the code decides, the name is checked against it.
    level_code: Option<String>,
    delete_reason_code: Option<String>,
    text: String,
    /// Where each field's value lies in `text`.
    spans: [(u32, u32); FIELDS.len()],
}

impl RawRecord {
    fn new(line: usize) -> Self {
        RawRecord {
            line,
            from_api: false,
            level_code: None,
            delete_reason_code: None,
            text: String::new(),
            spans: [(0, 0); FIELDS.len()],
        }
    }

    /// A field's value, trimmed.
    fn get(&self, field: &str) -> &str {
        position(field).map_or("", |i| self.at(i))
    }

    fn at(&self, i: usize) -> &str {
        let (start, end) = self.spans[i];
        self.text.get(start as usize..end as usize).map_or("", str::trim)
    }

    fn set(&mut self, field: &str, value: impl AsRef<str>) {
        if let Some(i) = position(field) {
            self.set_at(i, value.as_ref());
        }
    }

    fn set_at(&mut self, i: usize, value: &str) {
        let start = self.text.len();
        self.text.push_str(value);
        // A record is a line of a file: no value comes near 4 GiB.
        self.spans[i] = (u32::try_from(start).unwrap_or(u32::MAX), u32::try_from(self.text.len()).unwrap_or(u32::MAX));
    }
}

fn file_error(line: usize, message: impl Into<String>) -> Vec<RowError> {
    vec![RowError { line, record: 0, field: "file", label: "Файл", message: message.into() }]
}

/// The error of a record's field, named by its 1461 field and Russian label.
fn at(field: &'static str, message: impl Into<String>) -> ValidationError {
    let label = position(field).and_then(|i| LABELS.get(i)).copied().unwrap_or(field);
    ValidationError::new(field, label, message)
}

/// The report's text: one line per error, «строка N, запись M: ИНН — …».
pub fn report_text(errors: &[RowError]) -> String {
    let mut out = String::new();
    for e in errors {
        let _ = if e.record > 0 {
            writeln!(out, "строка {}, запись {}: {} ({}) — {}", e.line, e.record, e.label, e.field, e.message)
        } else {
            writeln!(out, "строка {}: {} — {}", e.line, e.label, e.message)
        };
    }
    out
}

/// What a validated record does to the register.
enum Step {
    Create(Organization),
    Change { before: Box<Organization>, after: Organization, version: i64 },
}

/// Maps `items` with `f` on every core (scoped threads), keeping their order.
fn on_every_core<T: Send, U: Send>(items: Vec<T>, f: impl Fn(T) -> U + Sync) -> Vec<U> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(8);
    let size = items.len().div_ceil(threads).max(1);
    let mut chunks: Vec<Vec<T>> = Vec::with_capacity(threads);
    let mut items = items.into_iter();
    loop {
        let chunk: Vec<T> = items.by_ref().take(size).collect();
        if chunk.is_empty() {
            break;
        }
        chunks.push(chunk);
    }
    std::thread::scope(|scope| {
        let f = &f;
        let workers: Vec<_> =
            chunks.into_iter().map(|chunk| scope.spawn(move || chunk.into_iter().map(f).collect::<Vec<U>>())).collect();
        let mut out = Vec::new();
        for worker in workers {
            match worker.join() {
                Ok(part) => out.extend(part),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        out
    })
}

/// [`on_every_core`] off the async threads.
async fn map_parallel<T, U, F>(items: Vec<T>, f: F) -> Result<Vec<U>>
where
    T: Send + 'static,
    U: Send + 'static,
    F: Fn(T) -> U + Send + Sync + 'static,
{
    let mapped =
        tokio::task::spawn_blocking(move || on_every_core(items, f)).await.map_err(frmo_store::StoreError::from)?;
    Ok(mapped)
}

/// A record's errors as report lines.
fn row_errors(line: usize, record: usize, errors: Vec<ValidationError>) -> impl Iterator<Item = RowError> {
    errors.into_iter().map(move |e| RowError { line, record, field: e.field, label: e.label, message: e.message })
}

/// Who writes the journal entries of an import, and when.
#[derive(Clone)]
struct Journal {
    now: OffsetDateTime,
    user_id: Option<i64>,
    actor: String,
    request_id: String,
}

impl Journal {
    fn entry(&self, oid: &OrgOid, detail: Value) -> frmo_store::audit::AuditEntry {
        frmo_store::audit::AuditEntry {
            at: self.now.unix_timestamp(),
            user_id: self.user_id,
            actor: self.actor.clone(),
            kind: "change".to_owned(),
            target: oid.as_str().to_owned(),
            detail: detail.to_string(),
            request_id: self.request_id.clone(),
        }
    }

    /// The version and journal entry of a step, and the version it closes.
    fn build(
        &self,
        step: Step,
    ) -> std::result::Result<
        (frmo_store::audit::AuditEntry, frmo_store::VersionRecord, Option<i64>),
        frmo_store::StoreError,
    > {
        match step {
            Step::Create(org) => {
                let from = org.create_date.with_time(Time::MIDNIGHT).assume_utc();
                let detail = serde_json::json!({"reason": REASON, "created": org.oid.as_str()});
                Ok((self.entry(&org.oid, detail), frmo_store::VersionRecord::new(&org, from)?, None))
            }
            Step::Change { before, after, version } => {
                let detail = serde_json::json!({
                    "reason": REASON,
                    "editedVersion": version,
                    "validFrom": self.now.unix_timestamp(),
                    "fields": crate::moderation::journal::differences(&before, &after),
                });
                Ok((self.entry(&after.oid, detail), frmo_store::VersionRecord::new(&after, self.now)?, Some(version)))
            }
        }
    }
}

/// The reason journal entries of an import give.
const REASON: &str = "импорт НСИ 1461";

/// Records checked, merged and handed to the writer per round.
const CHUNK: usize = 10_000;

/// What merging a record gave: a step (or nothing to do), the card's errors, or a store failure.
type Merged = std::result::Result<Option<Step>, std::result::Result<Vec<RowError>, frmo_store::StoreError>>;

fn merge_record(
    (number, line, existing, fields): (usize, usize, Option<(i64, String)>, Fields),
    today: Date,
) -> Merged {
    let existing = match existing {
        Some((version, card)) => match serde_json::from_str::<Organization>(&card) {
            Ok(org) => Some((version, org)),
            Err(error) => return Err(Err(frmo_store::StoreError::from(error))),
        },
        None => None,
    };
    let after = merge(fields, existing.as_ref().map(|(_, org)| org), today);
    if let Err(errors) = after.validate() {
        return Err(Ok(row_errors(line, number, errors.into_iter().map(card_field).collect()).collect()));
    }
    Ok(match existing {
        None => Some(Step::Create(after)),
        Some((_, before)) if before == after => None,
        Some((version, before)) => Some(Step::Change { before: Box::new(before), after, version }),
    })
}

/// A round of records from a file being read, or the file's error.
type Round = std::result::Result<Vec<RawRecord>, Vec<RowError>>;

impl Registry {
    /// Imports an НСИ 1461 file (anything [`read_file`] reads), merged by OID, all or nothing. The
    /// file is read on a blocking thread while the rounds it yields are checked and written, so a
    /// big file is read, checked and written at once rather than one after another.
    pub async fn import_nsi_file(
        &self,
        caller: &Caller,
        bytes: Vec<u8>,
        progress: impl FnMut(usize) + Send,
    ) -> Result<ImportReport> {
        self.authorize(caller, Action::WriteRegister, Target::None).await?;
        let (sender, receiver) = tokio::sync::mpsc::channel::<Round>(2);
        let reader = tokio::task::spawn_blocking(move || {
            // A closed channel means the import stopped reading: nothing more to send.
            let read = read_file(&bytes, &mut |round| sender.blocking_send(Ok(round)).is_ok());
            if let Err(errors) = read {
                let _ = sender.blocking_send(Err(errors));
            }
        });
        let report = self.import_rounds(caller, receiver, progress).await;
        reader.await.map_err(frmo_store::StoreError::from)?;
        report
    }

    /// Imports НСИ 1461 records already read (from [`parse_file`]); see [`Self::import_nsi_file`].
    pub async fn import_nsi(
        &self,
        caller: &Caller,
        records: Vec<RawRecord>,
        progress: impl FnMut(usize) + Send,
    ) -> Result<ImportReport> {
        self.authorize(caller, Action::WriteRegister, Target::None).await?;
        let (sender, receiver) = tokio::sync::mpsc::channel::<Round>(records.len().div_ceil(CHUNK).max(1));
        let mut records = records.into_iter();
        loop {
            let round: Vec<RawRecord> = records.by_ref().take(CHUNK).collect();
            if round.is_empty() || sender.try_send(Ok(round)).is_err() {
                break;
            }
        }
        drop(sender);
        self.import_rounds(caller, receiver, progress).await
    }

    /// The import proper. Rounds are checked, merged with the current cards, and handed to one
    /// write transaction while the next round is read and prepared. At the first error (a record's
    /// or the file's) nothing more is written, the rest is still checked for the report (each
    /// error names its record and field), and the transaction is rolled back. Records equal to the
    /// register change nothing: re-importing a file writes no versions and no journal entries.
    /// `progress` hears how many records are done. Into an empty register the versions' indexes
    /// are rebuilt once at the end (the store decides whether it is empty).
    async fn import_rounds(
        &self,
        caller: &Caller,
        mut rounds: tokio::sync::mpsc::Receiver<Round>,
        mut progress: impl FnMut(usize) + Send,
    ) -> Result<ImportReport> {
        let started = std::time::Instant::now();
        let mut report = ImportReport::default();
        let today = self.today();
        let (user_id, label) = self.actor_label(caller.actor()).await;
        let journal = Journal {
            now: OffsetDateTime::from_unix_timestamp(self.now()).unwrap_or_else(|_| OffsetDateTime::now_utc()),
            user_id,
            actor: label,
            request_id: if caller.request_id().is_empty() { "-".to_owned() } else { caller.request_id().to_owned() },
        };
        let bulk = self.store.begin_bulk_load().await?;
        let (sender, receiver) = tokio::sync::mpsc::channel(1);
        let store = self.store.clone();
        let writer = tokio::spawn(async move { store.write_import(receiver).await });

        let mut produced: Result<()> = Ok(());
        let mut seen: HashMap<String, usize> = HashMap::new();
        let mut number = 0;
        while let Some(round) = rounds.recv().await {
            let chunk = match round {
                Ok(chunk) => chunk,
                Err(errors) => {
                    report.errors.extend(errors);
                    break;
                }
            };
            let chunk: Vec<(usize, RawRecord)> = chunk
                .into_iter()
                .map(|record| {
                    number += 1;
                    (number, record)
                })
                .collect();
            report.rows += chunk.len();
            let round = async {
                let validated = map_parallel(chunk, |(number, record)| (number, record.line, fields(&record))).await?;
                let mut checked = Vec::with_capacity(validated.len());
                for (number, line, result) in validated {
                    match result {
                        Err(errors) => report.errors.extend(row_errors(line, number, errors)),
                        Ok(mut fields) => {
                            let warnings = std::mem::take(&mut fields.warnings);
                            report.warnings.extend(row_errors(line, number, warnings));
                            if let Some(first) = seen.insert(fields.oid.as_str().to_owned(), number) {
                                let error = at("oid", format!("повторяет OID записи {first}"));
                                report.errors.extend(row_errors(line, number, vec![error]));
                            }
                            checked.push((number, line, fields));
                        }
                    }
                }
                let oids: Vec<String> = checked.iter().map(|(_, _, f)| f.oid.as_str().to_owned()).collect();
                let mut current: HashMap<String, (i64, String)> = self
                    .store
                    .current_cards_of(oids)
                    .await?
                    .into_iter()
                    .map(|(oid, id, card)| (oid, (id, card)))
                    .collect();
                let paired: Vec<_> =
                    checked.into_iter().map(|(n, l, f)| (n, l, current.remove(f.oid.as_str()), f)).collect();
                let merged = map_parallel(paired, move |record| merge_record(record, today)).await?;
                let mut steps = Vec::with_capacity(merged.len());
                for result in merged {
                    match result {
                        Ok(step) => steps.extend(step),
                        Err(Ok(errors)) => report.errors.extend(errors),
                        Err(Err(error)) => return Err(crate::RegistryError::from(error)),
                    }
                }
                if !report.errors.is_empty() || steps.is_empty() {
                    return Ok(true);
                }
                let journal = journal.clone();
                let built = map_parallel(steps, move |step| journal.build(step)).await?;
                let (mut new, mut changed, mut audit) = (Vec::new(), Vec::new(), Vec::with_capacity(built.len()));
                for result in built {
                    let (entry, record, version) = result?;
                    audit.push(entry);
                    match version {
                        None => new.push(record),
                        Some(version) => changed.push((record, version)),
                    }
                }
                report.created += new.len();
                report.updated += changed.len();
                // A closed channel means the writer failed: its error comes from `writer`.
                Ok(sender.send(frmo_store::ImportBatch::Write { new, changed, audit }).await.is_ok())
            };
            match round.await {
                Ok(true) => progress(number),
                Ok(false) => break,
                Err(error) => {
                    produced = Err(error);
                    break;
                }
            }
        }
        let commit = produced.is_ok() && report.errors.is_empty();
        if commit {
            // An error here means the writer is gone; `writer` says why.
            let _ = sender.send(frmo_store::ImportBatch::Commit).await;
        }
        drop(sender);
        let written = writer.await.map_err(frmo_store::StoreError::from)?;
        if let Some(bulk) = bulk {
            self.store.finish_bulk_load(bulk).await?;
        }
        produced?;
        tracing::debug!(elapsed = ?started.elapsed(), records = report.rows, "import of НСИ 1461 done");
        if !commit {
            report.created = 0;
            report.updated = 0;
            return Ok(report);
        }
        written?;
        if self.indexed && report.created + report.updated > 0 {
            self.refresh_index().await?;
        }
        report.applied = true;
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::check::{nsi_date, same_name};
    use super::*;

    #[test]
    fn labels_follow_the_fields() {
        assert_eq!(LABELS.len(), FIELDS.len());
        assert_eq!(at("inn", "x").label, "ИНН");
        assert_eq!(at("longtitude", "x").label, "Долгота");
    }

    #[test]
    fn names_are_compared_loosely() {
        assert!(same_name("Больница (в том числе детская)", "больница  (в том числе детская)"));
        assert!(same_name("Ханты-Мансийский автономный округ — Югра", "ханты-мансийский автономный округ - Югра"));
        assert!(same_name("Орёл", "Орел"));
        assert!(!same_name("Республика Адыгея", "Республика Адыгея (Адыгея)"));
        assert!(!same_name("г. Москва", "Москва"));
    }

    #[test]
    fn dates_are_dd_mm_yyyy_only() {
        assert!(nsi_date("createDate", "01.03.2024").is_ok());
        assert_eq!(nsi_date("createDate", "2024-03-01").map_err(|e| e.field), Err("createDate"));
        assert!(nsi_date("createDate", "31.02.2024").is_err());
    }

    #[test]
    fn files_are_told_by_content() {
        let csv = "oid;nameFull;inn\n1.2.643.5.1.13.13.12.2.78.6258;Реавиз;6317006620\n";
        let records = parse_file(csv.as_bytes()).expect("csv");
        assert_eq!((records[0].get("inn"), records[0].line), ("6317006620", 2));
        let xml =
            "<records>\n<record><oid>1</oid><nameFull>A &amp; B</nameFull></record>\n<record><inn/></record></records>";
        let records = parse_file(xml.as_bytes()).expect("xml");
        assert_eq!((records.len(), records[0].get("nameFull"), records[1].line), (2, "A & B", 3));
        let json = "{\"records\": [\n{\"oid\": \"1\", \"regionId\": 63, \"x\": [1]},\n{\"inn\": \"2\"}]}";
        let records = parse_file(json.as_bytes()).expect("json");
        assert_eq!((records[0].get("regionId"), records[1].line), ("63", 3));
        let api = r#"{"oid":"1.2.643.5.1.13.13.12.2.78.6258","orgType":{"code":1,"name":"x"},
            "regionId":{"id":63,"region":"Самарская область"},"medicalSubjectId":[{"id":2,"medicalSubject":"Медицинская организация"}]}"#;
        let records = parse_file(api.as_bytes()).expect("api");
        assert_eq!(records[0].get("organizationType"), "1", "the code decides");
        assert_eq!((records[0].get("regionId"), records[0].get("medicalSubjectId")), ("63", "2"));
        let envelope = format!(r#"{{"offset":0,"limit":10,"total":2,"content":[{api},{api}]}}"#);
        assert_eq!(parse_file(envelope.as_bytes()).map(|r| r.len()), Ok(2));
        let unknown = parse_file(br#"{"code": 1}"#).expect_err("not a card");
        assert!(unknown[0].message.contains("объект неизвестного вида (поля code)"), "{}", unknown[0].message);
        assert!(parse_file(b"{}").is_err_and(|e| e[0].message.contains("пустой объект")));
        assert_eq!(parse_file(b"").map_err(|e| e[0].field), Err("file"));
        assert_eq!(parse_file(b"<records><record>").map_err(|e| e[0].field), Err("file"));
        assert_eq!(parse_file(b"a;b\n1;2\n").map_err(|e| e[0].field), Err("file"));
    }

    #[test]
    fn a_streamed_json_file_names_its_bad_record_or_its_break() {
        let bad_record = "{\"records\": [\n{\"oid\": \"1\"},\n{\"oid\": {\"x\": [}}]}";
        let errors = parse_file(bad_record.as_bytes()).expect_err("a broken record");
        assert_eq!(errors[0].field, "file");
        assert!(errors[0].message.contains("файл не читается как JSON"), "{}", errors[0].message);
        assert_eq!(errors[0].line, 3);
        let wrong_shape = "{\"records\": [\n{\"oid\": \"1\"},\n[1, 2]]}";
        let errors = parse_file(wrong_shape.as_bytes()).expect_err("a record that is not an object");
        assert!(errors[0].message.starts_with("запись 2 не читается"), "{}", errors[0].message);
        assert_eq!(errors[0].line, 3);
        let cut = "{\"records\": [\n{\"oid\": \"1\"},\n{\"oid\": \"2\"}";
        assert!(parse_file(cut.as_bytes()).is_err_and(|e| e[0].message.contains("JSON")));
        let trailing = "{\"records\": [{\"oid\": \"1\"}]} x";
        assert!(parse_file(trailing.as_bytes()).is_err_and(|e| e[0].message.contains("JSON")));
        // Reading stops when the import stops listening: one round handed on, no more.
        let many: Vec<String> = (0..CHUNK + 5).map(|n| format!("{{\"oid\": \"{n}\"}}")).collect();
        let text = format!("{{\"records\": [{}]}}", many.join(","));
        let mut rounds = Vec::new();
        let read = read_file(text.as_bytes(), &mut |round| {
            rounds.push(round.len());
            false
        });
        assert_eq!((read.is_ok(), rounds), (true, vec![CHUNK]));
    }
}
