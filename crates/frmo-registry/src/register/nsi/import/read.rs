//! The files an import reads, told apart by content: a 1461 JSON file (streamed, record by record),
//! CSV, the XML of `export`, and ФРМО API answers (a card, an array, the integration API's envelopes),
//! each turned into raw records of the 1461 fields.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::Value;

use super::{CHUNK, RawRecord, file_error, on_every_core};
use crate::register::nsi::{FIELDS, position};
use crate::workers::RowError;

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
pub(super) struct Emitter<'a> {
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

pub(super) fn json_error(error: &serde_json::Error) -> Vec<RowError> {
    file_error(error.line().max(1), format!("файл не читается как JSON: {error}"))
}

/// A value of a flat record as text: strings as they are, numbers and booleans spelled out.
pub(super) struct Scalar<'de>(Cow<'de, str>);

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
pub(super) struct FlatRecord(RawRecord);

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
pub(super) struct Publication<'o, 'e> {
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
pub(super) struct Records<'o, 'e> {
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

pub(super) fn parse_json(text: &str, out: &mut Emitter<'_>) -> std::result::Result<(), Vec<RowError>> {
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
pub(super) fn push_api_answer(answer: Value, out: &mut Emitter<'_>) -> std::result::Result<(), Vec<RowError>> {
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
pub(super) fn not_an_organization(value: &Value) -> Option<String> {
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
pub(super) fn from_frmo_api(org: &Value, line: usize) -> RawRecord {
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

pub(super) fn parse_csv(text: &str, out: &mut Emitter<'_>) -> std::result::Result<(), Vec<RowError>> {
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

pub(super) fn parse_xml(text: &str, out: &mut Emitter<'_>) -> std::result::Result<(), Vec<RowError>> {
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
