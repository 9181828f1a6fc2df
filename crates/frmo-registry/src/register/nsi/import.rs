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

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt::Write as _;

use frmo_domain::access::{Action, Actor, Target};
use frmo_domain::error::ValidationError;
use frmo_domain::ident::{Inn, Kpp, Ogrn, Ogrnip, OrgOid, PostIndex, RegionCode};
use frmo_domain::org::{Address, Contacts, NsiDetails, OrgStatus, Organization};
use frmo_domain::reference;
use serde::Deserialize;
use serde_json::Value;
use time::{Date, OffsetDateTime, Time};

use super::{FIELDS, position};
use crate::workers::{ImportReport, RowError};
use crate::{Registry, Result};

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

/// The records of an import file, told by content: JSON (1461 `{"records": […]}`, or ФРМО API
/// organizations), XML (starts with `<`) or CSV (anything else in UTF-8).
pub fn parse_file(bytes: &[u8]) -> std::result::Result<Vec<RawRecord>, Vec<RowError>> {
    let mut records = Vec::new();
    read_file(bytes, &mut |round| {
        records.extend(round);
        true
    })?;
    Ok(records)
}

/// Reads an import file (as [`parse_file`]) and hands its records to `emit` in rounds of
/// [`CHUNK`] as they are read, so that checking and writing start before the file is read whole;
/// `emit` answers `false` to stop the reading. A file error comes after the rounds read before it.
pub fn read_file(bytes: &[u8], emit: &mut dyn FnMut(Vec<RawRecord>) -> bool) -> std::result::Result<(), Vec<RowError>> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let line = bytes[..e.valid_up_to()].iter().filter(|b| **b == b'\n').count() + 1;
        file_error(line, "файл не в кодировке UTF-8")
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut out = Emitter { emit, round: Vec::new(), emitted: 0, open: true };
    match text.trim_start().as_bytes().first() {
        None => return Err(file_error(1, "файл пуст")),
        Some(b'{' | b'[') => parse_json(text, &mut out)?,
        Some(b'<') => parse_xml(text, &mut out)?,
        Some(_) => parse_csv(text, &mut out)?,
    }
    out.flush();
    if out.emitted == 0 {
        return Err(file_error(1, "в файле нет ни одной записи"));
    }
    Ok(())
}

/// Gathers records into rounds for [`read_file`]'s `emit`.
struct Emitter<'a> {
    emit: &'a mut dyn FnMut(Vec<RawRecord>) -> bool,
    round: Vec<RawRecord>,
    emitted: usize,
    open: bool,
}

impl Emitter<'_> {
    /// Adds a record; `false` once the reading is to stop.
    fn push(&mut self, record: RawRecord) -> bool {
        self.round.push(record);
        if self.round.len() >= CHUNK { self.flush() } else { self.open }
    }

    fn flush(&mut self) -> bool {
        if self.open && !self.round.is_empty() {
            self.emitted += self.round.len();
            self.open = (self.emit)(std::mem::take(&mut self.round));
        }
        self.open
    }
}

fn json_error(error: &serde_json::Error) -> Vec<RowError> {
    file_error(error.line().max(1), format!("файл не читается как JSON: {error}"))
}

/// A value of a flat record as text: strings as they are, numbers and booleans spelled out.
struct Scalar<'de>(Cow<'de, str>);

impl<'de> Deserialize<'de> for Scalar<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Scalar<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a value")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> std::result::Result<Scalar<'de>, E> {
                Ok(Scalar(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> std::result::Result<Scalar<'de>, E> {
                Ok(Scalar(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> std::result::Result<Scalar<'de>, E> {
                Ok(Scalar(Cow::Owned(v)))
            }
            fn visit_unit<E>(self) -> std::result::Result<Scalar<'de>, E> {
                Ok(Scalar(Cow::Borrowed("")))
            }
            fn visit_none<E>(self) -> std::result::Result<Scalar<'de>, E> {
                Ok(Scalar(Cow::Borrowed("")))
            }
            fn visit_bool<E>(self, v: bool) -> std::result::Result<Scalar<'de>, E> {
                Ok(Scalar(Cow::Owned(v.to_string())))
            }
            fn visit_i64<E>(self, v: i64) -> std::result::Result<Scalar<'de>, E> {
                Ok(Scalar(Cow::Owned(v.to_string())))
            }
            fn visit_u64<E>(self, v: u64) -> std::result::Result<Scalar<'de>, E> {
                Ok(Scalar(Cow::Owned(v.to_string())))
            }
            fn visit_f64<E>(self, v: f64) -> std::result::Result<Scalar<'de>, E> {
                Ok(Scalar(Cow::Owned(serde_json::Number::from_f64(v).map_or_else(String::new, |n| n.to_string()))))
            }
            // An array or object where a value belongs: kept as its JSON text (the check refuses it).
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, seq: A) -> std::result::Result<Scalar<'de>, A::Error> {
                let value = Value::deserialize(serde::de::value::SeqAccessDeserializer::new(seq))?;
                Ok(Scalar(Cow::Owned(value.to_string())))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> std::result::Result<Scalar<'de>, A::Error> {
                let value = Value::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
                Ok(Scalar(Cow::Owned(value.to_string())))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

/// A flat 1461 record in JSON: the known fields by name, the rest skipped.
struct FlatRecord(RawRecord);

impl<'de> Deserialize<'de> for FlatRecord {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = FlatRecord;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object with the fields of a 1461 record")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> std::result::Result<FlatRecord, A::Error> {
                let mut record = RawRecord::new(0);
                // Publications list the fields in their order: the one after the last is tried first.
                let mut next = 0;
                while let Some(key) = map.next_key::<Cow<'de, str>>()? {
                    let found = match FIELDS.get(next) {
                        Some(field) if *field == key => Some(next),
                        _ => position(&key),
                    };
                    next = found.map_or(next, |i| i + 1);
                    match found {
                        Some(i) => record.set_at(i, &map.next_value::<Scalar<'de>>()?.0),
                        None => {
                            map.next_value::<serde::de::IgnoredAny>()?;
                        }
                    }
                }
                Ok(FlatRecord(record))
            }
        }
        deserializer.deserialize_map(Visitor)
    }
}

/// A JSON object read as it streams: its `records` array (a 1461 publication) handed on in rounds
/// while the rest of the file is still being read, or, without one, the object itself (a ФРМО API
/// organization).
struct Publication<'o, 'e> {
    text: &'o str,
    out: &'o mut Emitter<'e>,
    /// A record that could not be read: the reading stops with a parse error, this is the report.
    failed: &'o mut Option<Vec<RowError>>,
}

impl<'de> serde::de::Visitor<'de> for Publication<'_, '_> {
    /// Whether the object had `records`, and its other members.
    type Value = (bool, serde_json::Map<String, Value>);

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an object")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> std::result::Result<Self::Value, A::Error> {
        let (mut streamed, mut rest) = (false, serde_json::Map::new());
        while let Some(key) = map.next_key::<String>()? {
            if key == "records" && !streamed {
                map.next_value_seed(Records { text: self.text, out: &mut *self.out, failed: &mut *self.failed })?;
                streamed = true;
            } else {
                rest.insert(key, map.next_value()?);
            }
        }
        Ok((streamed, rest))
    }
}

/// The `records` array: every [`CHUNK`] records are parsed on every core and handed on.
struct Records<'o, 'e> {
    text: &'o str,
    out: &'o mut Emitter<'e>,
    failed: &'o mut Option<Vec<RowError>>,
}

impl<'de> serde::de::DeserializeSeed<'de> for Records<'_, '_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> std::result::Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Records<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an array of records")
    }

    /// Stops early (with an error the caller sets aside) when a record fails or the reading is
    /// to stop.
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<(), A::Error> {
        use serde::de::Error as _;
        let text = self.text;
        // Lines counted on from the previous record (records come in file order).
        let (mut counted, mut line, mut number) = (0, 1, 0);
        let mut round: Vec<(usize, usize, &'de serde_json::value::RawValue)> = Vec::with_capacity(CHUNK);
        loop {
            let raw = seq.next_element::<&'de serde_json::value::RawValue>()?;
            if let Some(raw) = raw {
                let offset = (raw.get().as_ptr() as usize).saturating_sub(text.as_ptr() as usize).min(text.len());
                line += memchr::memchr_iter(b'\n', &text.as_bytes()[counted..offset.max(counted)]).count();
                counted = counted.max(offset);
                number += 1;
                round.push((number, line, raw));
                if round.len() < CHUNK {
                    continue;
                }
            }
            let read = |(number, line, raw): (usize, usize, &serde_json::value::RawValue)| {
                serde_json::from_str::<FlatRecord>(raw.get())
                    .map(|flat| RawRecord { line, ..flat.0 })
                    .map_err(|e| file_error(line, format!("запись {number} не читается как запись НСИ 1461: {e}")))
            };
            for record in on_every_core(std::mem::take(&mut round), read) {
                match record {
                    Ok(record) => {
                        if !self.out.push(record) {
                            return Err(A::Error::custom("чтение остановлено"));
                        }
                    }
                    Err(errors) => {
                        *self.failed = Some(errors);
                        return Err(A::Error::custom("запись не читается"));
                    }
                }
            }
            if raw.is_none() {
                return Ok(());
            }
        }
    }
}

fn parse_json(text: &str, out: &mut Emitter<'_>) -> std::result::Result<(), Vec<RowError>> {
    if text.trim_start().starts_with('{') {
        let mut deserializer = serde_json::Deserializer::from_str(text);
        let mut failed = None;
        let publication = Publication { text, out: &mut *out, failed: &mut failed };
        let read = serde::Deserializer::deserialize_map(&mut deserializer, publication)
            .and_then(|read| deserializer.end().map(|()| read));
        return match (read, failed) {
            (_, Some(errors)) => Err(errors),
            (Err(_), None) if !out.open => Ok(()),
            (Err(error), None) => Err(json_error(&error)),
            (Ok((true, _)), None) => Ok(()),
            (Ok((false, object)), None) => push_api_answer(Value::Object(object), out),
        };
    }
    let organizations: Value = serde_json::from_str(text).map_err(|e| json_error(&e))?;
    push_api_answer(organizations, out)
}

/// A ФРМО API answer (a card, an array of cards or an envelope around them), card by card.
fn push_api_answer(answer: Value, out: &mut Emitter<'_>) -> std::result::Result<(), Vec<RowError>> {
    let cards = match answer {
        Value::Object(mut object) if object.contains_key("content") && !object.contains_key("oid") => {
            match object.remove("content").unwrap_or(Value::Null) {
                Value::Null => {
                    let message = object.get("errorUserMessage").and_then(Value::as_str).unwrap_or_default();
                    return Err(file_error(
                        1,
                        if message.is_empty() {
                            "ответ ФРМО без содержимого (content пуст)".to_owned()
                        } else {
                            format!("ответ ФРМО с ошибкой: «{message}»")
                        },
                    ));
                }
                Value::Array(cards) => cards,
                card => vec![card],
            }
        }
        Value::Array(cards) => cards,
        card => vec![card],
    };
    for card in &cards {
        if let Some(kind) = not_an_organization(card) {
            return Err(file_error(
                1,
                format!("{kind}, а не организация: ожидается публикация НСИ 1461 или карточка организации ФРМО"),
            ));
        }
        if !out.push(from_frmo_api(card, 1)) {
            break;
        }
    }
    Ok(())
}

/// What a JSON value that is not an organization card is, said in Russian; `None` for a card.
fn not_an_organization(value: &Value) -> Option<String> {
    let Value::Object(object) = value else {
        return Some("в файле не объект JSON".to_owned());
    };
    let has = |key: &str| object.get(key).is_some_and(|v| !v.is_null());
    if has("nameFull") || has("orgType") || has("inn") && has("regionId") {
        return None;
    }
    Some(if has("snils") || has("lastName") {
        "в файле сведения о медицинском работнике ФРМР (person: СНИЛС, фамилия)".to_owned()
    } else if has("departName") || has("departOid") {
        "в файле подразделение организации ФРМО (depart)".to_owned()
    } else if has("buildName") {
        "в файле здание организации ФРМО (building)".to_owned()
    } else if object.is_empty() {
        "в файле пустой объект JSON".to_owned()
    } else {
        let keys: Vec<&str> = object.keys().map(String::as_str).take(5).collect();
        format!("в файле объект неизвестного вида (поля {})", keys.join(", "))
    })
}

/// A ФРМО API organization (`GET org/{oid}`, nested objects) as a flat 1461 record.
fn from_frmo_api(org: &Value, line: usize) -> RawRecord {
    let mut record = RawRecord::new(line);
    record.from_api = true;
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => String::new(),
    };
    let date = |v: &Value| {
        let t = text(v);
        let head = t.get(..10).unwrap_or(&t);
        frmo_domain::date::read(head).map_or(t.clone(), frmo_domain::date::format)
    };
    for (field, key) in [
        ("oid", "oid"),
        ("oldOid", "oldOid"),
        ("nameFull", "nameFull"),
        ("nameShort", "nameShort"),
        ("inn", "inn"),
        ("kpp", "kpp"),
        ("ogrn", "ogrn"),
        ("founder", "founder"),
    ] {
        record.set(field, text(&org[key]));
    }
    record.set("parentId", text(if org["headOid"].is_null() { &org["parentId"] } else { &org["headOid"] }));
    for field in ["createDate", "modifyDate", "deleteDate"] {
        record.set(field, date(&org[field]));
    }
    // The code decides; without one, the name.
    let organization_type = &org["orgType"];
    let type_code = text(&organization_type["code"]);
    record.set("organizationType", if type_code.is_empty() { text(&organization_type["name"]) } else { type_code });
    let subject = match &org["medicalSubjectId"] {
        Value::Array(items) => items.first().cloned().unwrap_or(Value::Null),
        other => other.clone(),
    };
    record.set("medicalSubjectId", text(&subject["id"]));
    record.set("medicalSubjectName", text(&subject["medicalSubject"]));
    record.set("moAgencyKindId", text(&org["moAgencyKindId"]["id"]));
    record.set("moAgencyKind", text(&org["moAgencyKindId"]["agencyKind"]));
    record.set("moLevel", text(&org["moLevelId"]["moLevel"]));
    record.level_code = Some(text(&org["moLevelId"]["id"])).filter(|c| !c.is_empty());
    record.set("moDeptId", text(&org["moDeptId"]["id"]));
    record.set("moDeptName", text(&org["moDeptId"]["nameFull"]));
    let profile = &org["moAgencyProfileId"];
    record.set("profileAgencyKindId", text(&profile["id"]));
    let profile_name = ["agencyProfile", "profileAgencyKind", "agencyKind", "name"]
        .into_iter()
        .map(|key| text(&profile[key]))
        .find(|name| !name.is_empty())
        .unwrap_or_default();
    record.set("profileAgencyKind", profile_name);
    // A reason means something only with the date (the API's cards carry a stale reason otherwise).
    if !record.get("deleteDate").is_empty() {
        record.set("deleteReason", text(&org["deleteReason"]["deleteReason"]));
        record.delete_reason_code = Some(text(&org["deleteReason"]["id"])).filter(|c| !c.is_empty());
    }
    let region = &org["regionId"];
    record.set("regionId", text(if region.is_object() { &region["id"] } else { region }));
    record.set("regionName", text(&region["region"]));
    let place = &org["moAddress"];
    let address = if place["address"].is_object() { &place["address"] } else { &org["legalAddress"] };
    for (field, key) in [
        ("areaName", "areaName"),
        ("prefixArea", "prefixArea"),
        ("streetName", "streetName"),
        ("prefixStreet", "prefixStreet"),
        ("house", "house"),
        ("building", "building"),
        ("struct", "struct"),
        ("aoidArea", "aoidArea"),
        ("aoidStreet", "aoidStreet"),
    ] {
        record.set(field, text(&address[key]));
    }
    // ФИАС's house id; ГАР's when the card has only that.
    let house_id =
        ["houseid", "houseguid", "GARguid"].into_iter().map(|key| text(&address[key])).find(|id| !id.is_empty());
    record.set("houseid", house_id.unwrap_or_default());
    // The address's own region: the place's `addrRegion`, else the address's `region`.
    let (address_region, place_region) = (&address["region"], &place["addrRegion"]);
    let (code, name) = if place_region.is_object() {
        (text(&place_region["code"]), text(&place_region["name"]))
    } else {
        (text(&address_region["id"]), text(&address_region["region"]))
    };
    record.set("addrRegionId", code);
    record.set("addrRegionName", name);
    record.set("territoryCode", text(&address_region["territoryCode"]));
    record.set("isFederalCity", text(&address_region["isFederalCity"]));
    let post_index = if place["postIndex"].is_null() { &address["postIndex"] } else { &place["postIndex"] };
    record.set("postIndex", text(post_index));
    record.set("cadastralNumber", text(&place["cadastralNumber"]));
    record.set("latitude", text(&place["latitude"]));
    record.set("longtitude", text(&place["longitude"]));
    record
}

fn parse_csv(text: &str, out: &mut Emitter<'_>) -> std::result::Result<(), Vec<RowError>> {
    let csv_error = |e: crate::csv::CsvError| file_error(e.line, e.message);
    let mut records = crate::csv::Records::new(text);
    let mut fields = Vec::new();
    if records.next_into(&mut fields).map_err(csv_error)?.is_none() {
        return Err(file_error(1, "файл пуст"));
    }
    // Which field each column holds.
    let columns: Vec<Option<usize>> = fields.iter().map(|name| position(name.trim())).collect();
    let missing: Vec<&str> =
        ["oid", "nameFull", "inn"].into_iter().filter(|f| !columns.contains(&position(f))).collect();
    if !missing.is_empty() {
        return Err(file_error(
            1,
            format!("в заголовке нет столбцов {}: ожидаются имена полей НСИ 1461", missing.join(", ")),
        ));
    }
    while let Some(line) = records.next_into(&mut fields).map_err(csv_error)? {
        let mut record = RawRecord::new(line);
        record.text.reserve(fields.iter().map(|f| f.len()).sum());
        for (column, value) in columns.iter().zip(&fields) {
            if let Some(i) = column {
                record.set_at(*i, value);
            }
        }
        if !out.push(record) {
            break;
        }
    }
    Ok(())
}

fn parse_xml(text: &str, out: &mut Emitter<'_>) -> std::result::Result<(), Vec<RowError>> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(text);
    let mut depth = 0usize;
    let mut current: Option<RawRecord> = None;
    let mut field: Option<usize> = None;
    let mut value = String::new();
    let (mut line, mut counted) = (1usize, 0usize);
    loop {
        let offset = usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX).min(text.len());
        line += text.as_bytes()[counted..offset].iter().filter(|b| **b == b'\n').count();
        counted = offset;
        let broken = |e: &dyn std::fmt::Display| file_error(line, format!("файл не читается как XML: {e}"));
        let event = reader.read_event().map_err(|e| broken(&e))?;
        match event {
            Event::Start(element) => {
                depth += 1;
                match depth {
                    2 => current = Some(RawRecord::new(line)),
                    3 => {
                        field = position(&String::from_utf8_lossy(element.local_name().as_ref()));
                        value.clear();
                    }
                    _ => {}
                }
            }
            Event::Empty(_) if depth == 1 => {
                let reading = out.push(RawRecord::new(line));
                if !reading {
                    return Ok(());
                }
            }
            Event::End(_) => {
                match depth {
                    2 => {
                        if let Some(record) = current.take()
                            && !out.push(record)
                        {
                            return Ok(());
                        }
                    }
                    3 => {
                        if let (Some(i), Some(record)) = (field.take(), current.as_mut()) {
                            record.set_at(i, &value);
                        }
                    }
                    _ => {}
                }
                depth = depth.saturating_sub(1);
            }
            Event::Text(t) if depth == 3 => value.push_str(&t.xml10_content().map_err(|e| broken(&e))?),
            Event::CData(t) if depth == 3 => value.push_str(&t.decode().map_err(|e| broken(&e))?),
            Event::GeneralRef(r) if depth == 3 => {
                if let Some(c) = r.resolve_char_ref().map_err(|e| broken(&e))? {
                    value.push(c);
                } else {
                    let name = r.decode().map_err(|e| broken(&e))?;
                    let resolved = quick_xml::escape::resolve_predefined_entity(&name)
                        .ok_or_else(|| file_error(line, format!("неизвестная ссылка &{name};")))?;
                    value.push_str(resolved);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if depth != 0 {
        return Err(file_error(line, "XML оборван: не все элементы закрыты"));
    }
    Ok(())
}

/// `dd.MM.yyyy`, as НСИ writes dates.
fn nsi_date(field: &'static str, text: &str) -> std::result::Result<Date, ValidationError> {
    let format = time::macros::format_description!("[day].[month].[year]");
    match text.as_bytes() {
        [_, _, b'.', _, _, b'.', _, _, _, _] => {
            Date::parse(text, format).map_err(|_| at(field, format!("нет такой даты: «{text}»")))
        }
        _ => Err(at(field, format!("ожидается дата в виде ДД.ММ.ГГГГ, получено «{text}»"))),
    }
}

/// Whether two spellings of a directory name are the same name: case, dashes (hyphen, en and em
/// dash), runs of spaces and «ё» aside.
fn same_name(a: &str, b: &str) -> bool {
    fn folded(text: &str) -> impl Iterator<Item = char> + '_ {
        text.split_whitespace()
            .flat_map(|word| std::iter::once(' ').chain(word.chars()))
            .skip(1)
            .flat_map(char::to_lowercase)
            .map(|c| match c {
                '\u{2010}'..='\u{2015}' | '\u{2212}' => '-',
                'ё' => 'е',
                c => c,
            })
    }
    a == b || folded(a).eq(folded(b))
}

/// The id of a directory entry named `name` (spelled loosely: [`same_name`]).
fn id_by_name(directory: &str, name: &str) -> Option<u32> {
    let entries = &reference::get(directory)?.entries;
    let name = name.trim();
    entries.iter().find(|e| e.name == name).or_else(|| entries.iter().find(|e| same_name(&e.name, name))).map(|e| e.id)
}

/// A record's checks: errors refuse the file, warnings are listed with what was imported.
#[derive(Default)]
struct Findings {
    errors: Vec<ValidationError>,
    warnings: Vec<ValidationError>,
}

impl Findings {
    /// A warning when the name a file gives for `code` is not ours (codes decide, names inform).
    fn name_beside(&mut self, name_field: &'static str, name: &str, code: impl std::fmt::Display, ours: &str) {
        if !name.is_empty() && !same_name(name, ours) {
            let message = format!("«{name}» — в справочнике для кода {code} «{ours}»; загружено по коду");
            self.warnings.push(at(name_field, message));
        }
    }
}

/// The entry of `directory` with code `code` (text of the file), or an error on `field`.
fn entry_of(findings: &mut Findings, field: &'static str, code: &str, directory: &str) -> Option<(u32, &'static str)> {
    let entry = code.parse::<u32>().ok().and_then(|c| reference::get(directory)?.entry(c));
    if entry.is_none() {
        findings.errors.push(at(field, format!("нет кода «{code}» в справочнике")));
    }
    entry.map(|e| (e.id, e.name.as_str()))
}

/// A required directory code, the name beside it informing.
fn code_in(
    record: &RawRecord,
    findings: &mut Findings,
    (code_field, name_field): (&'static str, &'static str),
    directory: &str,
) -> Option<u32> {
    let code = record.get(code_field);
    if code.is_empty() {
        findings.errors.push(at(code_field, "не заполнено"));
        return None;
    }
    let (id, ours) = entry_of(findings, code_field, code, directory)?;
    findings.name_beside(name_field, record.get(name_field), code, ours);
    Some(id)
}

/// An optional directory value given by its name, or by the code the ФРМО API gives beside it.
fn named_in(
    record: &RawRecord,
    findings: &mut Findings,
    field: &'static str,
    code: Option<&str>,
    directory: &str,
) -> Option<u32> {
    let name = record.get(field);
    if let Some(code) = code {
        let (id, ours) = entry_of(findings, field, code, directory)?;
        findings.name_beside(field, name, code, ours);
        return Some(id);
    }
    if name.is_empty() {
        return None;
    }
    let found = id_by_name(directory, name);
    if found.is_none() {
        findings.errors.push(at(field, format!("нет значения «{name}» в справочнике")));
    }
    found
}

/// A whole number of an optional field (a code or an id).
fn whole(record: &RawRecord, errors: &mut Vec<ValidationError>, field: &'static str) -> Option<u64> {
    let text = record.get(field);
    if text.is_empty() {
        return None;
    }
    let number = text.parse::<u64>().ok();
    if number.is_none() {
        errors.push(at(field, format!("ожидается целое число, получено «{text}»")));
    }
    number
}

fn optional(text: &str) -> Option<String> {
    (!text.is_empty()).then(|| text.to_owned())
}

fn coordinate(record: &RawRecord, errors: &mut Vec<ValidationError>, field: &'static str, limit: f64) -> Option<f64> {
    let text = record.get(field);
    if text.is_empty() {
        return None;
    }
    match text.replace(',', ".").parse::<f64>() {
        Ok(v) if v.is_finite() && v.abs() <= limit => Some(v),
        _ => {
            errors.push(at(field, format!("ожидается число от −{limit} до {limit}, получено «{text}»")));
            None
        }
    }
}

/// The value of a field's parse, or its error (renamed to the 1461 field) in `errors`.
fn check<T>(
    field: &'static str,
    result: std::result::Result<T, ValidationError>,
    errors: &mut Vec<ValidationError>,
) -> Option<T> {
    result.map_err(|e| errors.push(at(field, e.message))).ok()
}

/// The 1461 fields of a record, checked one by one.
struct Fields {
    oid: OrgOid,
    old_oid: Option<String>,
    parent_oid: Option<OrgOid>,
    name_full: String,
    name_short: String,
    organization_type_id: u32,
    medical_subject_id: u32,
    mo_agency_kind_id: u32,
    mo_level_id: Option<u32>,
    mo_dept_name: Option<String>,
    founder: Option<String>,
    inn: Inn,
    ogrn: Option<Ogrn>,
    ogrnip: Option<Ogrnip>,
    kpp: Option<Kpp>,
    region: RegionCode,
    delete_date: Option<Date>,
    delete_reason_id: Option<u32>,
    create_date: Option<Date>,
    modify_date: Option<Date>,
    address: Address,
    nsi: NsiDetails,
    /// Names that differ from ours for known codes: imported, listed in the report.
    warnings: Vec<ValidationError>,
}

fn fields(record: &RawRecord) -> std::result::Result<Fields, Vec<ValidationError>> {
    let mut findings = Findings::default();
    let errors = &mut findings.errors;
    let oid = check("oid", OrgOid::parse(record.get("oid")), errors);
    let parent_oid = match record.get("parentId") {
        "" => None,
        text => check("parentId", OrgOid::parse(text), errors),
    };
    let required = |field: &'static str, errors: &mut Vec<ValidationError>| {
        let text = record.get(field);
        if text.is_empty() {
            errors.push(at(field, "не заполнено"));
        }
        text.to_owned()
    };
    let name_full = required("nameFull", errors);
    let name_short = required("nameShort", errors);
    let inn = match record.get("inn") {
        "" => {
            errors.push(at("inn", "не заполнено"));
            None
        }
        text => check("inn", Inn::parse(text), errors),
    };
    let kpp = match record.get("kpp") {
        "" => None,
        text => check("kpp", Kpp::parse(text), errors),
    };
    let (mut ogrn, mut ogrnip) = (None, None);
    match record.get("ogrn") {
        "" => {}
        text if text.len() == 15 => ogrnip = check("ogrn", Ogrnip::parse(text), errors),
        text => ogrn = check("ogrn", Ogrn::parse(text), errors),
    }
    let region = |field: &'static str, errors: &mut Vec<ValidationError>| match record.get(field) {
        "" => None,
        text => check(field, RegionCode::parse(text), errors),
    };
    let org_region = region("regionId", errors);
    if record.get("regionId").is_empty() {
        errors.push(at("regionId", "не заполнено"));
    }
    let address_region = region("addrRegionId", errors);
    region("territoryCode", errors);
    if !["", "true", "false"].contains(&record.get("isFederalCity")) {
        errors.push(at("isFederalCity", "ожидается true или false"));
    }
    let nsi_id = whole(record, errors, "id");
    let mo_dept_id = whole(record, errors, "moDeptId");
    let profile_agency_kind_id = whole(record, errors, "profileAgencyKindId");
    let date = |field: &'static str, errors: &mut Vec<ValidationError>| match record.get(field) {
        "" => None,
        text => nsi_date(field, text).map_err(|e| errors.push(e)).ok(),
    };
    let delete_date = date("deleteDate", errors);
    let create_date = date("createDate", errors);
    let modify_date = date("modifyDate", errors);
    for (field, value) in [("createDate", create_date), ("modifyDate", modify_date)] {
        if value.is_none() && record.get(field).is_empty() && !record.from_api {
            errors.push(at(field, "не заполнено"));
        }
    }
    let post_index = match record.get("postIndex") {
        "" => None,
        text => check("postIndex", PostIndex::parse(text), errors),
    };
    let latitude = coordinate(record, errors, "latitude", 90.0);
    let longitude = coordinate(record, errors, "longtitude", 180.0);
    // A subject's name is right in either spelling, НСИ 99.2.206's or ФРМО's.
    for (field, code) in [("regionName", org_region), ("addrRegionName", address_region)] {
        let Some(code) = code else { continue };
        let name = record.get(field);
        if !same_name(name, code.name()) {
            findings.name_beside(field, name, code, code.frmo_name());
        }
    }
    let medical_subject_id =
        code_in(record, &mut findings, ("medicalSubjectId", "medicalSubjectName"), "medical_subject_kinds");
    let mo_agency_kind_id = code_in(record, &mut findings, ("moAgencyKindId", "moAgencyKind"), "agency_kinds");
    // `organizationType` is the directory's code (as НСИ publishes it) or, from older files, its name.
    let organization_type_id = match record.get("organizationType") {
        "" => {
            findings.errors.push(at("organizationType", "не заполнено"));
            None
        }
        text if text.bytes().all(|b| b.is_ascii_digit()) => {
            entry_of(&mut findings, "organizationType", text, "organization_types").map(|(id, _)| id)
        }
        _ => named_in(record, &mut findings, "organizationType", None, "organization_types"),
    };
    let mo_level_id = named_in(record, &mut findings, "moLevel", record.level_code.as_deref(), "levels");
    let delete_reason_id =
        named_in(record, &mut findings, "deleteReason", record.delete_reason_code.as_deref(), "delete_reasons");
    if delete_date.is_none() && record.get("deleteDate").is_empty() && delete_reason_id.is_some() {
        findings.errors.push(at("deleteReason", "указана без даты исключения"));
    }
    let Findings { errors, warnings } = findings;
    let (
        Some(oid),
        Some(inn),
        Some(region),
        Some(organization_type_id),
        Some(medical_subject_id),
        Some(mo_agency_kind_id),
        true,
    ) = (oid, inn, org_region, organization_type_id, medical_subject_id, mo_agency_kind_id, errors.is_empty())
    else {
        return Err(errors);
    };
    let address = Address {
        post_index,
        text: String::new(),
        area_name: optional(record.get("areaName")),
        prefix_area: optional(record.get("prefixArea")),
        street_name: optional(record.get("streetName")),
        prefix_street: optional(record.get("prefixStreet")),
        house: optional(record.get("house")),
        building: optional(record.get("building")),
        houseguid: optional(record.get("houseid")),
        latitude,
        longitude,
        // Kept only where it is not the organization's: a card has one region unless it says two.
        region: address_region.filter(|r| *r != region),
        cadastral_number: optional(record.get("cadastralNumber")),
        fias_version: optional(record.get("fiasVersion")),
        aoid_area: optional(record.get("aoidArea")),
        aoid_street: optional(record.get("aoidStreet")),
        structure: optional(record.get("struct")),
    };
    let nsi = NsiDetails {
        // Kept only when it is not the id every publication derives from the OID.
        id: nsi_id.filter(|id| Some(*id) != super::stable_id(oid.as_str())),
        mo_dept_id,
        profile_agency_kind_id,
        profile_agency_kind: optional(record.get("profileAgencyKind")),
        parent_osp_oid: optional(record.get("parentOspOid")),
        osp_oid: optional(record.get("ospOid")),
        children_osp_oid: optional(record.get("childrenOspOid")),
    };
    Ok(Fields {
        oid,
        old_oid: optional(record.get("oldOid")),
        parent_oid,
        name_full,
        name_short,
        organization_type_id,
        medical_subject_id,
        mo_agency_kind_id,
        mo_level_id,
        mo_dept_name: optional(record.get("moDeptName")),
        founder: optional(record.get("founder")),
        inn,
        ogrn,
        ogrnip,
        kpp,
        region,
        delete_date,
        delete_reason_id,
        create_date,
        modify_date,
        address,
        nsi,
        warnings,
    })
}

/// The address line of an address's parts: «443001, Самарская область, г. Самара, ул. Чапаевская, д. 227».
pub(crate) fn address_line(address: &Address, region: RegionCode) -> String {
    let prefixed = |prefix: &Option<String>, name: &Option<String>| match (prefix, name) {
        (_, None) => None,
        (Some(p), Some(n)) if !p.is_empty() => Some(format!("{}{} {n}", p, if p.ends_with('.') { "" } else { "." })),
        (_, Some(n)) => Some(n.clone()),
    };
    [
        address.post_index.as_ref().map(|p| p.as_str().to_owned()),
        Some(address.region.unwrap_or(region).name().to_owned()),
        prefixed(&address.prefix_area, &address.area_name),
        prefixed(&address.prefix_street, &address.street_name),
        address.house.as_ref().map(|h| format!("д. {h}")),
        address.building.as_ref().map(|b| format!("корп. {b}")),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(", ")
}

/// Sets the 1461 parts of `target`; the address line is rebuilt only when they changed.
fn merge_address(target: &mut Address, parts: Address, region: RegionCode) {
    let before = target.clone();
    target.post_index = parts.post_index;
    target.area_name = parts.area_name;
    target.prefix_area = parts.prefix_area;
    target.street_name = parts.street_name;
    target.prefix_street = parts.prefix_street;
    target.house = parts.house;
    target.building = parts.building;
    target.houseguid = parts.houseguid;
    target.latitude = parts.latitude;
    target.longitude = parts.longitude;
    target.region = parts.region;
    target.cadastral_number = parts.cadastral_number;
    target.fias_version = parts.fias_version;
    target.aoid_area = parts.aoid_area;
    target.aoid_street = parts.aoid_street;
    target.structure = parts.structure;
    if *target != before || target.text.is_empty() {
        target.text = address_line(target, region);
    }
}

/// The card a record makes: `existing` with its 1461 fields replaced, or a new card (created
/// `today` when the record has no dates).
fn merge(fields: Fields, existing: Option<&Organization>, today: Date) -> Organization {
    let mut org = match existing {
        Some(org) => org.clone(),
        None => Organization {
            oid: fields.oid.clone(),
            old_oid: None,
            parent_oid: None,
            name_full: String::new(),
            name_short: String::new(),
            organization_type_id: fields.organization_type_id,
            medical_subject_id: fields.medical_subject_id,
            mo_agency_kind_id: fields.mo_agency_kind_id,
            mo_level_id: None,
            mo_dept_name: None,
            founder: None,
            inn: fields.inn.clone(),
            ogrn: None,
            ogrnip: None,
            kpp: None,
            region_id: fields.region,
            legal_address: Address::default(),
            actual_address: None,
            contacts: Contacts::default(),
            head_full_name: None,
            bank: None,
            status: OrgStatus::Active,
            delete_date: None,
            delete_reason_id: None,
            create_date: today,
            modify_date: today,
            departments: Vec::new(),
            buildings: Vec::new(),
            licences: Vec::new(),
            nsi: NsiDetails::default(),
        },
    };
    org.old_oid = fields.old_oid;
    org.parent_oid = fields.parent_oid;
    org.name_full = fields.name_full;
    org.name_short = fields.name_short;
    org.organization_type_id = fields.organization_type_id;
    org.medical_subject_id = fields.medical_subject_id;
    org.mo_agency_kind_id = fields.mo_agency_kind_id;
    org.mo_level_id = fields.mo_level_id;
    org.mo_dept_name = fields.mo_dept_name;
    org.founder = fields.founder;
    org.inn = fields.inn;
    org.ogrn = fields.ogrn;
    org.ogrnip = fields.ogrnip;
    org.kpp = fields.kpp;
    org.region_id = fields.region;
    org.nsi = fields.nsi;
    org.create_date = fields.create_date.unwrap_or(org.create_date);
    org.modify_date = fields.modify_date.unwrap_or(org.modify_date);
    org.delete_date = fields.delete_date;
    org.delete_reason_id = fields.delete_reason_id;
    org.status = match (fields.delete_date, org.status) {
        (Some(_), OrgStatus::Suspended) => OrgStatus::Suspended,
        (Some(_), _) => OrgStatus::Liquidated,
        (None, OrgStatus::Liquidated) => OrgStatus::Active,
        (None, status) => status,
    };
    let region = org.region_id;
    match org.actual_address.as_mut() {
        Some(actual) => merge_address(actual, fields.address, region),
        None => merge_address(&mut org.legal_address, fields.address, region),
    }
    org
}

/// The card an ИПС `PUT org` body makes of `current`: read as the import reads ФРМО API cards
/// (codes decide, what the body does not carry is kept), then checked.
pub(crate) fn card_from_api(
    body: &Value,
    current: &Organization,
    today: Date,
) -> std::result::Result<Organization, Vec<ValidationError>> {
    let fields = fields(&from_frmo_api(body, 1))?;
    let after = merge(fields, Some(current), today);
    after.validate().map_err(|errors| errors.into_iter().map(card_field).collect::<Vec<_>>())?;
    Ok(after)
}

/// The 1461 field a card rule's error belongs to.
fn card_field(error: ValidationError) -> ValidationError {
    let field = match error.field {
        "organizationTypeId" => "organizationType",
        "ogrnip" => "ogrn",
        "moLevelId" => "moLevel",
        "deleteReasonId" => "deleteReason",
        "nameFull" | "nameShort" | "inn" | "ogrn" | "kpp" | "medicalSubjectId" | "moAgencyKindId" | "deleteDate" => {
            error.field
        }
        _ => return error,
    };
    at(field, error.message)
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
        actor: &Actor,
        bytes: Vec<u8>,
        request_id: &str,
        progress: impl FnMut(usize) + Send,
    ) -> Result<ImportReport> {
        self.authorize(actor, Action::WriteRegister, Target::None, request_id).await?;
        let (sender, receiver) = tokio::sync::mpsc::channel::<Round>(2);
        let reader = tokio::task::spawn_blocking(move || {
            // A closed channel means the import stopped reading: nothing more to send.
            let read = read_file(&bytes, &mut |round| sender.blocking_send(Ok(round)).is_ok());
            if let Err(errors) = read {
                let _ = sender.blocking_send(Err(errors));
            }
        });
        let report = self.import_rounds(actor, receiver, request_id, progress).await;
        reader.await.map_err(frmo_store::StoreError::from)?;
        report
    }

    /// Imports НСИ 1461 records already read (from [`parse_file`]); see [`Self::import_nsi_file`].
    pub async fn import_nsi(
        &self,
        actor: &Actor,
        records: Vec<RawRecord>,
        request_id: &str,
        progress: impl FnMut(usize) + Send,
    ) -> Result<ImportReport> {
        self.authorize(actor, Action::WriteRegister, Target::None, request_id).await?;
        let (sender, receiver) = tokio::sync::mpsc::channel::<Round>(records.len().div_ceil(CHUNK).max(1));
        let mut records = records.into_iter();
        loop {
            let round: Vec<RawRecord> = records.by_ref().take(CHUNK).collect();
            if round.is_empty() || sender.try_send(Ok(round)).is_err() {
                break;
            }
        }
        drop(sender);
        self.import_rounds(actor, receiver, request_id, progress).await
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
        actor: &Actor,
        mut rounds: tokio::sync::mpsc::Receiver<Round>,
        request_id: &str,
        mut progress: impl FnMut(usize) + Send,
    ) -> Result<ImportReport> {
        let started = std::time::Instant::now();
        let mut report = ImportReport::default();
        let today = self.today();
        let (user_id, label) = self.actor_label(actor).await;
        let journal = Journal {
            now: OffsetDateTime::from_unix_timestamp(self.now()).unwrap_or_else(|_| OffsetDateTime::now_utc()),
            user_id,
            actor: label,
            request_id: if request_id.is_empty() { "-".to_owned() } else { request_id.to_owned() },
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
