//! Real НСИ directories installed over the shipped ones (`frmo directories import FILE`).
//!
//! A download is read in any of the shapes the НСИ portal gives: the REST data answer
//! `{"list": [[{"column", "value"}…]…]}`, the passport's JSON download `{"records": [{…}]}` and its
//! CSV download (a header row, `;` or `,`). The entries are matched to the directory now in use by
//! name (codes decide only inside one directory version; our shipped codes are local), every stored
//! code is moved to its new number in the transaction that installs the directory, and the import
//! is journaled. Anything wrong (an unknown shape, a missing column, a duplicate code, a code in use
//! that the download lacks) refuses the file naming what is wrong, and nothing changes.

use std::collections::{BTreeMap, HashMap};

use frmo_domain::access::{Action, Actor, Target};
use frmo_domain::error::ValidationError;
use frmo_domain::reference::{self, Directory, Entry};
use frmo_store::directories::{CodeColumn, DetailsRewrite, InstalledDirectory, Rewrite};
use serde_json::{Value, json};

use crate::Caller;
use crate::{Registry, RegistryError, Result};

mod cards;

/// Columns that hold a row's code, name and parent in НСИ downloads, tried in this order
/// (1002: `ID`/`NAME`/`PID`; 1066: `ID`/`NAME`/`PARENT`; 1494, 217: `S_NAME`).
const CODE_COLUMNS: &[&str] = &["ID", "RECID", "CODE", "S_CODE", "TERR_KOD"];
const NAME_COLUMNS: &[&str] = &["NAME", "S_NAME", "NAME_FULL", "FULLNAME", "TERR_NAME"];
const PARENT_COLUMNS: &[&str] = &["PID", "PARENT", "PARENT_ID", "HIGH"];

/// Which code of a person's qualification (`details.qualifications[]`) a directory numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum QualificationCode {
    Specialty,
    Category,
}

impl QualificationCode {
    fn of(self, q: &mut frmo_domain::worker::Qualification) -> &mut u32 {
        match self {
            QualificationCode::Specialty => &mut q.specialty,
            QualificationCode::Category => &mut q.category,
        }
    }
}

/// Where the register stores a directory's codes in plain columns and persons' qualifications.
/// Codes inside organization cards are found by [`cards::card_code`].
fn stored_in(directory: &str) -> Option<(&'static [CodeColumn], Option<QualificationCode>)> {
    match directory {
        "positions" => Some((&[CodeColumn::EmploymentPosition, CodeColumn::StaffingPosition], None)),
        "employment_types" => Some((&[CodeColumn::EmploymentType], None)),
        "dismissal_reasons" => Some((&[CodeColumn::DismissalReason], None)),
        "specialties" => Some((&[CodeColumn::CredentialSpecialty], Some(QualificationCode::Specialty))),
        "qualification_categories" => Some((&[], Some(QualificationCode::Category))),
        _ => None,
    }
}

/// Persons' details whose qualification codes move, rewritten; and every such code in use.
fn qualification_rewrites(
    all: &[(i64, String)],
    code: QualificationCode,
    moved: &HashMap<u32, u32>,
) -> (Vec<DetailsRewrite>, Vec<u32>) {
    let mut rewrites = Vec::new();
    let mut in_use = Vec::new();
    for (person_id, before) in all {
        // Details that do not parse are not ours to rewrite (and hold no code we could read).
        let Ok(mut details) = serde_json::from_str::<crate::workers::Details>(before) else { continue };
        let mut changed = false;
        for q in &mut details.qualifications {
            let value = code.of(q);
            in_use.push(*value);
            if let Some(&new) = moved.get(value) {
                *value = new;
                changed = true;
            }
        }
        if changed && let Ok(after) = serde_json::to_string(&details) {
            rewrites.push(DetailsRewrite { person_id: *person_id, before: before.clone(), after });
        }
    }
    (rewrites, in_use)
}

/// What to import: the file and what the command line says about it.
#[derive(Debug, Clone, Default)]
pub struct DirectoryImport {
    pub bytes: Vec<u8>,
    /// The file's name: an НСИ download's name carries its OID and version (`<OID>_<version>…`).
    pub file_name: String,
    /// The directory: its machine name or НСИ OID (else the OID in the file name).
    pub directory: Option<String>,
    /// The НСИ version (else from the file name, else from the file's `version`).
    pub version: Option<String>,
    /// Explicit old → new codes, for names that differ between our directory and НСИ.
    pub map: Vec<(u32, u32)>,
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectoryImportReport {
    pub directory: &'static str,
    pub oid: String,
    pub version: String,
    pub entries: usize,
    /// Old → new codes moved in stored data (codes in use whose number changed).
    pub remapped: Vec<(u32, u32, String)>,
}

fn invalid(field: &'static str, label: &'static str, message: impl Into<String>) -> RegistryError {
    RegistryError::Invalid(vec![ValidationError::new(field, label, message)])
}

fn file_error(message: impl Into<String>) -> RegistryError {
    invalid("file", "Файл справочника", message)
}

/// A JSON value as the text of a cell (numbers without quotes, null as empty).
fn cell(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The rows of an НСИ download, each column → value.
pub fn parse_download(bytes: &[u8]) -> Result<Vec<BTreeMap<String, String>>> {
    let text = std::str::from_utf8(bytes).map_err(|_| file_error("ожидается текст в UTF-8"))?;
    let text = text.trim_start_matches('\u{feff}');
    if text.trim_start().starts_with(['{', '[']) {
        let value: Value = serde_json::from_str(text).map_err(|e| file_error(format!("JSON не разобран: {e}")))?;
        if let Some(list) = value.get("list") {
            let rows = list.as_array().ok_or_else(|| file_error("«list» должен быть массивом строк"))?;
            return rows
                .iter()
                .enumerate()
                .map(|(i, row)| {
                    let cells = row.as_array().ok_or_else(|| {
                        file_error(format!("строка {} в «list»: ожидается массив {{column, value}}", i + 1))
                    })?;
                    cells
                        .iter()
                        .map(|c| match (c.get("column").and_then(Value::as_str), c.get("value")) {
                            (Some(column), Some(value)) => Ok((column.to_owned(), cell(value))),
                            _ => {
                                Err(file_error(format!("строка {} в «list»: у ячейки нет «column» или «value»", i + 1)))
                            }
                        })
                        .collect()
                })
                .collect();
        }
        if let Some(records) = value.get("records") {
            let rows = records.as_array().ok_or_else(|| file_error("«records» должен быть массивом записей"))?;
            return rows
                .iter()
                .enumerate()
                .map(|(i, row)| {
                    let fields = row
                        .as_object()
                        .ok_or_else(|| file_error(format!("запись {} в «records»: ожидается объект", i + 1)))?;
                    Ok(fields.iter().map(|(k, v)| (k.clone(), cell(v))).collect())
                })
                .collect();
        }
        return Err(file_error(
            "неизвестный вид JSON: ожидается ответ НСИ {\"list\": [[{\"column\", \"value\"}…]…]} \
             или выгрузка паспорта {\"records\": […]}",
        ));
    }
    let records = crate::csv::parse(text).map_err(|e| file_error(format!("строка {}: {}", e.line, e.message)))?;
    let mut records = records.into_iter();
    let Some((_, header)) = records.next() else { return Err(file_error("файл пуст")) };
    if header.len() < 2 {
        return Err(file_error("неизвестный вид файла: ожидается JSON НСИ или CSV с заголовком (ID;NAME;…)"));
    }
    records
        .map(|(line, fields)| {
            if fields.len() != header.len() {
                return Err(file_error(format!(
                    "строка {line}: {} полей, а в заголовке {}",
                    fields.len(),
                    header.len()
                )));
            }
            Ok(header.iter().map(|h| h.trim().to_owned()).zip(fields).collect())
        })
        .collect()
}

/// The first of `candidates` that every row has (case-insensitive).
fn column_of(rows: &[BTreeMap<String, String>], candidates: &[&str]) -> Option<String> {
    let first = rows.first()?;
    candidates.iter().find_map(|c| {
        let name = first.keys().find(|k| k.eq_ignore_ascii_case(c))?;
        rows.iter().all(|r| r.contains_key(name)).then(|| name.clone())
    })
}

/// The entries of a download: codes unique numbers, names present.
pub fn entries_of(rows: &[BTreeMap<String, String>]) -> Result<Vec<Entry>> {
    if rows.is_empty() {
        return Err(file_error("в файле нет строк справочника"));
    }
    let code = column_of(rows, CODE_COLUMNS)
        .ok_or_else(|| file_error(format!("нет столбца кода ({}) в каждой строке", CODE_COLUMNS.join(", "))))?;
    let name = column_of(rows, NAME_COLUMNS)
        .ok_or_else(|| file_error(format!("нет столбца наименования ({}) в каждой строке", NAME_COLUMNS.join(", "))))?;
    let parent = column_of(rows, PARENT_COLUMNS);
    let number =
        |row: usize, column: &str, text: &str| -> Result<u32> {
            text.trim().parse::<u32>().ok().filter(|n| *n < i32::MAX as u32).ok_or_else(|| {
                file_error(format!("строка {row}: {column} «{text}» — ожидается целый неотрицательный код"))
            })
        };
    let mut seen: HashMap<u32, usize> = HashMap::new();
    let mut entries = Vec::with_capacity(rows.len());
    for (i, row) in rows.iter().enumerate() {
        let line = i + 1;
        let id = number(line, &code, &row[&code])?;
        if let Some(first) = seen.insert(id, line) {
            return Err(file_error(format!("код {id} повторяется: строки {first} и {line}")));
        }
        let entry_name = row[&name].trim().to_owned();
        if entry_name.is_empty() {
            return Err(file_error(format!("строка {line}: пустое наименование ({name}) у кода {id}")));
        }
        let parent_id = match parent.as_deref().map(|p| (p, row[p].trim())) {
            None | Some((_, "" | "0")) => None,
            Some((column, text)) => Some(number(line, column, text)?),
        };
        entries.push(Entry { id, name: entry_name, parent_id });
    }
    if let Some(e) = entries.iter().find(|e| e.parent_id.is_some_and(|p| !seen.contains_key(&p))) {
        return Err(file_error(format!(
            "код {}: родителя {} нет в справочнике",
            e.id,
            e.parent_id.unwrap_or_default()
        )));
    }
    Ok(entries)
}

/// A name compared across spellings: case, «ё», dashes and spaces around them, repeated spaces.
fn comparable(name: &str) -> String {
    let lower = name.to_lowercase().replace('ё', "е").replace(['—', '–', '‑', '−'], "-");
    lower.split_whitespace().collect::<Vec<_>>().join(" ").replace(" - ", "-").replace(" -", "-").replace("- ", "-")
}

/// `<OID>_<version>` at the start of an НСИ download's file name.
fn oid_and_version_in(file_name: &str) -> (Option<String>, Option<String>) {
    let stem = file_name.rsplit(['/', '\\']).next().unwrap_or(file_name);
    let mut parts = stem.splitn(3, '_');
    let oid = parts.next().filter(|p| p.starts_with("1.2.643.") && p.bytes().all(|b| b.is_ascii_digit() || b == b'.'));
    let version = oid.and(parts.next()).map(|v| v.trim_end_matches(".json").trim_end_matches(".csv").to_owned());
    (oid.map(str::to_owned), version.filter(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit() || b == b'.')))
}

/// Which stored code becomes which: by `map`, else by name. Codes not in `in_use` may vanish.
fn remap(current: &Directory, new: &[Entry], map: &[(u32, u32)], in_use: &[u32]) -> Result<Vec<(u32, u32)>> {
    let by_name: HashMap<String, u32> = new.iter().map(|e| (comparable(&e.name), e.id)).collect();
    let known: std::collections::HashSet<u32> = new.iter().map(|e| e.id).collect();
    if let Some((old, new)) = map.iter().find(|(old, new)| !current.contains(*old) || !known.contains(new)) {
        return Err(invalid(
            "map",
            "Соответствие кодов",
            format!("{old}={new}: кода {old} нет в текущем справочнике или кода {new} нет в загружаемом"),
        ));
    }
    let mut pairs = Vec::new();
    let mut missing = Vec::new();
    for entry in &current.entries {
        let explicit = map.iter().find(|(old, _)| *old == entry.id).map(|&(_, new)| new);
        match explicit.or_else(|| by_name.get(&comparable(&entry.name)).copied()) {
            Some(new) => pairs.push((entry.id, new)),
            None if in_use.contains(&entry.id) => missing.push(format!("{} «{}»", entry.id, entry.name)),
            None => {}
        }
    }
    if !missing.is_empty() {
        return Err(file_error(format!(
            "в загружаемом справочнике нет используемых в реестре значений: {} (укажите соответствие: --map СТАРЫЙ=НОВЫЙ)",
            missing.join(", ")
        )));
    }
    let mut targets: Vec<u32> = pairs.iter().map(|&(_, new)| new).collect();
    targets.sort_unstable();
    if let Some(twice) = targets.windows(2).find(|w| w[0] == w[1]) {
        return Err(invalid("map", "Соответствие кодов", format!("два значения переходят в один код {}", twice[0])));
    }
    Ok(pairs)
}

fn to_installed(d: &InstalledDirectory) -> Option<Directory> {
    let id = reference::shipped(&d.id)?.id;
    let entries: Vec<Entry> = serde_json::from_str(&d.entries).ok()?;
    Some(Directory::with(
        id,
        Some(d.oid.clone()),
        Some(d.oid.clone()),
        d.name.clone(),
        d.version.clone(),
        d.source.clone(),
        entries,
    ))
}

/// What tells one installation of the directories from another: each installed directory's id,
/// version and time of installation, sorted.
pub(crate) type Stamp = Vec<(String, String, i64)>;

/// A directory's part of the [`Stamp`].
fn stamped(d: &InstalledDirectory) -> (String, String, i64) {
    (d.id.clone(), d.version.clone(), d.installed_at)
}

impl Registry {
    /// Installs the directories stored by earlier imports over the shipped ones (at start).
    pub async fn install_directories(&self) -> Result<usize> {
        let installed = self.store.installed_directories().await?;
        let mut stamp: Stamp = installed.iter().map(stamped).collect();
        stamp.sort();
        *self.directories_seen.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(stamp);
        Ok(installed.iter().filter_map(to_installed).map(reference::install).filter(|done| *done).count())
    }

    /// Notes a directory this process installed itself as taken up (another process's installation
    /// still differs from what was seen, and is followed).
    fn took_up(&self, directory: &InstalledDirectory) {
        let mut seen = self.directories_seen.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(seen) = seen.as_mut() {
            seen.retain(|(id, _, _)| *id != directory.id);
            seen.push(stamped(directory));
            seen.sort();
        }
    }

    /// Takes up directories installed since this process last looked (by another process, or by
    /// this one): their codes, and — since their import rewrote versions in place — a rebuilt index
    /// and nothing kept of the old versions. Whether there were any.
    pub async fn follow_directories(&self) -> Result<bool> {
        let stamp = self.store.directories_stamp().await?;
        let seen = self.directories_seen.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
        if seen.as_ref().is_none_or(|seen| *seen == stamp) {
            return Ok(false);
        }
        self.install_directories().await?;
        if self.indexed {
            self.rebuild_index().await?;
        }
        Ok(true)
    }

    /// Loads a real НСИ directory download over the directory it stands for, re-numbering the
    /// stored codes, in one journaled transaction; nothing changes when anything is wrong.
    pub async fn import_directory(&self, actor: &Actor, import: DirectoryImport) -> Result<DirectoryImportReport> {
        self.authorize(&Caller::new(actor.clone(), "-"), Action::WriteRegister, Target::None).await?;
        let (oid_in_name, version_in_name) = oid_and_version_in(&import.file_name);
        let wanted = import.directory.clone().or_else(|| oid_in_name.clone()).ok_or_else(|| {
            invalid("directory", "Справочник", "не указан: --directory ИМЯ или OID, либо OID в начале имени файла")
        })?;
        let current = reference::all()
            .into_iter()
            .find(|d| d.id == wanted || d.nsi_oid.as_deref() == Some(wanted.as_str()))
            .ok_or_else(|| invalid("directory", "Справочник", format!("«{wanted}» — нет такого справочника")))?;
        // A directory whose НСИ OID is not known to us takes the one the download's name carries.
        let oid = current.nsi_oid.clone().or(oid_in_name).ok_or_else(|| {
            invalid(
                "directory",
                "Справочник",
                format!("OID справочника НСИ для {} не известен: назовите файл <OID>_<версия>…", current.id),
            )
        })?;
        if current.id == "regions" {
            return Err(invalid("directory", "Справочник", "регионы задаются кодами субъектов РФ и не загружаются"));
        }
        let rows = parse_download(&import.bytes)?;
        let version = import.version.clone().or(version_in_name).ok_or_else(|| {
            invalid("version", "Версия", "не указана версия справочника НСИ: --version или имя файла <OID>_<версия>")
        })?;
        let entries = entries_of(&rows)?;
        let stored = stored_in(current.id);
        let (columns, qualification) = stored.unwrap_or_default();
        let mut in_use = Vec::new();
        for column in columns {
            in_use.extend(self.store.codes_in_use(*column).await?.into_iter().filter_map(|c| u32::try_from(c).ok()));
        }
        let details = match qualification {
            Some(_) => self.store.all_person_details().await?,
            None => Vec::new(),
        };
        if let Some(code) = qualification {
            in_use.extend(qualification_rewrites(&details, code, &HashMap::new()).1);
        }
        let card_code = cards::card_code(current.id);
        let (all_cards, all_requests) = match card_code {
            Some(_) => (self.store.all_cards().await?, self.store.all_request_cards().await?),
            None => (Vec::new(), Vec::new()),
        };
        if let Some(code) = card_code {
            in_use.extend(cards::card_rewrites(code, &all_cards, &all_requests, &HashMap::new()).1);
        }
        let renumbered = stored.is_some() || card_code.is_some();
        if !renumbered {
            // A directory the register stores nowhere we can rewrite: every current code must stay.
            in_use = current.entries.iter().map(|e| e.id).collect();
        }
        let pairs = remap(current, &entries, &import.map, &in_use)?;
        let moved: Vec<(u32, u32)> =
            pairs.iter().copied().filter(|(old, new)| old != new && in_use.contains(old)).collect();
        if !renumbered && !moved.is_empty() {
            let list: Vec<String> = moved.iter().map(|(o, n)| format!("{o}→{n}")).collect();
            return Err(file_error(format!(
                "перекодировка справочника {} не поддерживается; меняются коды {}",
                current.id,
                list.join(", ")
            )));
        }
        let moved_map: HashMap<u32, u32> = moved.iter().copied().collect();
        let mut rewrites: Vec<Rewrite> = match qualification {
            Some(code) => qualification_rewrites(&details, code, &moved_map).0.into_iter().map(Rewrite::from).collect(),
            None => Vec::new(),
        };
        if let Some(code) = card_code {
            rewrites.extend(cards::card_rewrites(code, &all_cards, &all_requests, &moved_map).0);
        }
        let cards_moved = rewrites.iter().any(|r| matches!(r, Rewrite::Card(_)));
        let name_of = |code: u32| current.name_of(code).unwrap_or_default().to_owned();
        let source = format!(
            "НСИ {oid}, версия {version}: загружен командой «frmo directories import» из {}",
            if import.file_name.is_empty() { "файла" } else { &import.file_name }
        );
        let installed = InstalledDirectory {
            id: current.id.to_owned(),
            oid: oid.clone(),
            name: current.name.clone(),
            version: version.clone(),
            source,
            entries: serde_json::to_string(&entries).map_err(|e| file_error(e.to_string()))?,
            installed_at: self.now(),
        };
        let detail = json!({
            "directory": current.id,
            "oid": oid,
            "version": version,
            "entries": entries.len(),
            "from_version": current.version,
            "remapped": moved.iter().map(|(o, n)| json!({"old": o, "new": n, "name": name_of(*o)})).collect::<Vec<_>>(),
        });
        let entry = self.entry(&Caller::new(actor.clone(), "-"), "directory_import", &oid, detail).await;
        let remap: Vec<(i64, i64)> = moved.iter().map(|&(o, n)| (i64::from(o), i64::from(n))).collect();
        self.store.install_directory(&installed, columns, &remap, rewrites, entry).await?;
        let report = DirectoryImportReport {
            directory: current.id,
            oid,
            version,
            entries: entries.len(),
            remapped: moved.iter().map(|&(o, n)| (o, n, name_of(o))).collect(),
        };
        self.took_up(&installed);
        if let Some(directory) = to_installed(&installed) {
            reference::install(directory);
        }
        if cards_moved && self.indexed {
            // Versions were rewritten in place: the index, which only takes newer versions, is rebuilt.
            self.rebuild_index().await?;
        }
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_shapes_give_the_same_rows() {
        let rest = r#"{"result":"OK","total":2,"list":[[{"column":"ID","value":"109"},{"column":"NAME","value":"Врач-терапевт"}],[{"column":"ID","value":"122"},{"column":"NAME","value":"врач-хирург"}]]}"#.as_bytes();
        let passport = r#"{"records":[{"ID":109,"NAME":"Врач-терапевт"},{"ID":122,"NAME":"врач-хирург"}]}"#.as_bytes();
        let csv = "\u{feff}ID;NAME\r\n109;Врач-терапевт\r\n122;врач-хирург\r\n".as_bytes();
        let expected = entries_of(&parse_download(rest).expect("rest")).expect("entries");
        assert_eq!(expected.len(), 2);
        assert_eq!(expected[0], Entry { id: 109, name: "Врач-терапевт".into(), parent_id: None });
        assert_eq!(entries_of(&parse_download(passport).expect("passport")).expect("entries"), expected);
        assert_eq!(entries_of(&parse_download(csv).expect("csv")).expect("entries"), expected);
    }

    #[test]
    fn bad_downloads_are_refused_naming_the_fault() {
        let message = |bytes: &[u8]| match parse_download(bytes).and_then(|rows| entries_of(&rows)) {
            Err(e) => e.to_string(),
            Ok(_) => String::new(),
        };
        assert!(message(br#"{"content": []}"#).contains("неизвестный вид JSON"));
        assert!(message(br#"{"records":[{"ID":1,"NAME":"a"},{"ID":1,"NAME":"b"}]}"#).contains("код 1 повторяется"));
        assert!(message(br#"{"records":[{"ID":1,"TITLE":"a"}]}"#).contains("нет столбца наименования"));
        assert!(message(br#"{"records":[{"NAME":"a"}]}"#).contains("нет столбца кода"));
        assert!(message(b"ID;NAME\n1;a;b\n").contains("строка 2"));
        assert!(message(br#"{"records":[{"ID":"x","NAME":"a"}]}"#).contains("«x»"));
        assert!(message(br#"{"records":[{"ID":2,"NAME":"a","PID":7}]}"#).contains("родителя 7"));
    }

    #[test]
    fn names_compare_across_spellings() {
        assert_eq!(comparable("Врач - терапевт"), comparable("врач-терапевт"));
        assert_eq!(comparable("Кемеровская область — Кузбасс"), comparable("кемеровская область-кузбасс"));
        assert_eq!(comparable("Туберкулёзные"), comparable("туберкулезные"));
    }

    #[test]
    fn codes_in_use_map_by_name_or_by_hand() {
        let levels = reference::shipped("levels").expect("levels");
        let entry = |id, name: &str| Entry { id, name: name.into(), parent_id: None };
        let new = [entry(10, "Первый уровень"), entry(20, "II уровень"), entry(30, "III уровень")];
        let error = |result: Result<Vec<(u32, u32)>>| result.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(error(remap(levels, &new, &[], &[1, 2])).contains("1 «I уровень»"));
        assert_eq!(remap(levels, &new, &[], &[2]).expect("1 is not in use"), [(2, 20), (3, 30)]);
        assert_eq!(remap(levels, &new, &[(1, 10)], &[1, 2]).expect("mapped"), [(1, 10), (2, 20), (3, 30)]);
        assert!(error(remap(levels, &new, &[(5, 10)], &[1])).contains("5=10"));
        assert!(error(remap(levels, &new, &[(1, 20)], &[1])).contains("в один код 20"));
    }

    #[test]
    fn the_file_name_carries_oid_and_version() {
        assert_eq!(
            oid_and_version_in("/tmp/1.2.643.5.1.13.13.11.1002_9.12_json.json"),
            (Some("1.2.643.5.1.13.13.11.1002".into()), Some("9.12".into()))
        );
        assert_eq!(oid_and_version_in("positions.json"), (None, None));
    }
}
