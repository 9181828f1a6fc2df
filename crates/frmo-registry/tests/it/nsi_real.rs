//! Real files in and out of НСИ 1461: the ФРМО integration API's card and its envelopes import
//! and every field of the card survives export → import → export; names that differ from ours for
//! known codes are warnings, unknown codes errors; and a public НСИ 1461 loader's reading rules
//! load every record of every format we publish with the values we wrote.
//!
//! The samples are real public data kept outside the repository (`../shared/reference/samples`
//! beside the repository root, or `FRMO_REFERENCE_SAMPLES`); see their `SOURCE.md`.

use crate::REAVIZ;
use frmo_domain::access::Actor;
use frmo_registry::Registry;
use frmo_registry::register::nsi::{Format, parse_file, report_text};
use frmo_testkit::{Backend, TestDb, backend_tests};
use serde_json::Value;

use super::nsi::{export, import, python};
use super::{REAVIZ_OID, demo};

use frmo_testkit::reference_sample as sample;

const CARD: &str = "parusrx_org_1.2.643.5.1.13.13.12.2.78.6258.json";
const SINGLE: &str = "frmo-api_single_response_org_6258.json";
const PAGED: &str = "frmo-api_list_paged_response_org_6258.json";
const PERSON: &str = "parusrx_person_post_2022.0055647.json";

async fn empty(backend: Backend) -> (TestDb, Registry) {
    let db = TestDb::new(backend).await;
    let registry = Registry::open(db.store().await).await.expect("open");
    (db, registry)
}

/// The one record of a JSON publication.
fn only_record(json: &[u8]) -> serde_json::Map<String, Value> {
    let file: Value = serde_json::from_slice(json).expect("json");
    match &file["records"] {
        Value::Array(records) if records.len() == 1 => records[0].as_object().expect("object").clone(),
        other => panic!("one record expected: {other}"),
    }
}

/// The real card, bare and in both envelopes, imports without a warning (its region spelled as
/// ФРМО spells it); its record carries every field the card has; export → import into an empty register → export
/// gives the same files from JSON, CSV and XML.
async fn the_real_frmo_card_imports_and_every_field_round_trips(backend: Backend) {
    let mut first_exports = Vec::new();
    for name in [CARD, SINGLE, PAGED] {
        let (_db, registry) = empty(backend).await;
        let report = import(&registry, &sample(name)).await;
        assert!(report.applied && report.created == 1, "{name}: {}", report_text(&report.errors));
        // «Республика Адыгея (Адыгея)» is how ФРМО spells region 1: no warning.
        assert!(report.warnings.is_empty(), "{name}: {}", report_text(&report.warnings));
        let card = registry.card(&Actor::System, &REAVIZ, None).await.expect("card").organization;
        assert_eq!(card.nsi.mo_dept_id, Some(1_320_705));
        assert_eq!(card.region_id.code(), 63);
        let address = &card.legal_address;
        assert_eq!(address.region.map(|r| r.code()), Some(1), "the address keeps its own region");
        assert_eq!(address.cadastral_number.as_deref(), Some("12:31:2312312:31"));
        assert_eq!(address.houseguid.as_deref(), Some("9850bdeb-2009-4539-a8bf-97c5897547f6"));
        first_exports.push(export(&registry, Format::Json).await);
    }
    assert!(first_exports.windows(2).all(|w| w[0] == w[1]), "a card reads the same bare or in an envelope");

    let mut record = only_record(&first_exports[0]);
    // An API card has no dates of its own: created and changed on the day of the import.
    let (created, modified) = (record.remove("createDate"), record.remove("modifyDate"));
    assert!(created.is_some() && created == modified, "{created:?} {modified:?}");
    let expected: Value = serde_json::from_str(
        r#"{
        "id": 278006258, "oid": "1.2.643.5.1.13.13.12.2.78.6258", "oldOid": "",
        "nameFull": "Частное учреждение образовательная организация высшего образования «Медицинский университет «Реавиз»",
        "nameShort": "Медицинский Университет «Реавиз»", "parentId": "",
        "medicalSubjectId": 2, "medicalSubjectName": "Медицинская организация",
        "inn": "6317006620", "kpp": "631501001", "ogrn": "1026301420716",
        "regionId": 63, "regionName": "Самарская область", "organizationType": 1,
        "moDeptId": 1320705, "moDeptName": "Федеральная служба по надзору в сфере здравоохранения", "founder": "",
        "deleteDate": "27.06.2022", "deleteReason": "Дубль карточки МО",
        "moLevel": "I уровень", "moAgencyKindId": 1, "moAgencyKind": "Больница (в том числе детская)",
        "profileAgencyKind": "", "postIndex": "123456",
        "cadastralNumber": "12:31:2312312:31", "latitude": 44.429867, "longtitude": 40.252975,
        "aoidArea": "a0548913-da5c-4732-a421-2251d9aed895", "aoidStreet": "2fea8389-c6ff-4844-9ec1-67bd10061174",
        "houseid": "9850bdeb-2009-4539-a8bf-97c5897547f6",
        "addrRegionId": 1, "addrRegionName": "Республика Адыгея (Адыгея)", "territoryCode": 1, "isFederalCity": "false",
        "areaName": "Абадзехское", "prefixArea": "с/п", "streetName": "Песчаная", "prefixStreet": "ул", "house": "10",
        "building": "", "struct": "", "parentOspOid": "", "ospOid": "", "childrenOspOid": ""
    }"#,
    )
    .expect("expected record");
    assert_eq!(Value::Object(record), expected);

    let (_db, registry) = empty(backend).await;
    assert!(import(&registry, &sample(CARD)).await.applied);
    let formats = [Format::Json, Format::Csv, Format::Xml];
    let mut published = Vec::new();
    for format in formats {
        published.push(export(&registry, format).await);
    }
    for (from, file) in formats.iter().zip(&published) {
        let (_db, copy) = empty(backend).await;
        let report = import(&copy, file).await;
        assert!(report.applied && report.warnings.is_empty(), "{from:?}: {report:?}");
        for (format, original) in formats.iter().zip(&published) {
            assert!(export(&copy, *format).await == *original, "{from:?} → {format:?} differs");
        }
    }

    // A file of another kind is refused saying what it is.
    let errors = parse_file(&sample(PERSON)).expect_err("a person is not an organization");
    assert_eq!((errors.len(), errors[0].field), (1, "file"));
    assert!(errors[0].message.contains("медицинском работнике ФРМР"), "{}", errors[0].message);
    let failed = r#"{"requestId":"x","errorUserMessage":"Организация не найдена","content":null}"#;
    let errors = parse_file(failed.as_bytes()).expect_err("an error answer");
    assert!(errors[0].message.contains("«Организация не найдена»"), "{}", errors[0].message);
}

/// Codes decide, names inform: names that differ from ours for known codes are imported and
/// listed as warnings; an unknown code is an error and nothing is imported; `organizationType`
/// is read as its code or its name.
async fn codes_decide_and_names_inform(backend: Backend) {
    let (_db, registry) = demo(backend, 5).await;
    let json = export(&registry, Format::Json).await;
    let file: Value = serde_json::from_slice(&json).expect("json");
    let reaviz =
        file["records"].as_array().expect("records").iter().find(|r| r["oid"] == REAVIZ_OID).expect("reaviz").clone();
    let with = |changes: &[(&str, Value)]| {
        let mut record = reaviz.clone();
        for (field, value) in changes {
            record[*field] = value.clone();
        }
        serde_json::to_vec(&serde_json::json!({ "records": [record] })).expect("json")
    };
    // Other spellings of known codes: a warning each, the card as the codes say.
    let before = registry.card(&Actor::System, &REAVIZ, None).await.expect("card").organization;
    let kind = reaviz["moAgencyKind"].as_str().expect("kind").to_owned();
    let spelled = with(&[
        ("regionName", "Самарская обл.".into()),
        ("moAgencyKind", format!("{kind} (иначе)").into()),
        ("medicalSubjectName", "МО".into()),
        ("organizationType", "государственное юридическое лицо".into()),
    ]);
    let report = import(&registry, &spelled).await;
    assert!(report.applied && report.errors.is_empty(), "{}", report_text(&report.errors));
    let mut warned: Vec<&str> = report.warnings.iter().map(|w| w.field).collect();
    warned.sort_unstable();
    assert_eq!(warned, ["medicalSubjectName", "moAgencyKind", "regionName"], "{}", report_text(&report.warnings));
    assert!(report_text(&report.warnings).contains("«Самарская обл.» — в справочнике для кода 63 «Самарская область»"));
    let card = registry.card(&Actor::System, &REAVIZ, None).await.expect("card").organization;
    assert_eq!(
        (card.region_id.code(), card.mo_agency_kind_id, card.organization_type_id),
        (63, before.mo_agency_kind_id, 1)
    );
    // Case and spaces are not a different name.
    let same = with(&[
        ("moAgencyKind", kind.to_uppercase().replace(' ', "  ").into()),
        ("regionName", "САМАРСКАЯ ОБЛАСТЬ".into()),
    ]);
    assert!(import(&registry, &same).await.warnings.is_empty());

    // Unknown codes: errors, nothing imported.
    let before = export(&registry, Format::Json).await;
    let unknown = with(&[("organizationType", 999.into()), ("moAgencyKindId", 99_999.into())]);
    let report = import(&registry, &unknown).await;
    assert!(!report.applied);
    let mut failed: Vec<&str> = report.errors.iter().map(|e| e.field).collect();
    failed.sort_unstable();
    assert_eq!(failed, ["moAgencyKindId", "organizationType"], "{}", report_text(&report.errors));
    assert!(report_text(&report.errors).contains("нет кода «999» в справочнике"));
    assert_eq!(export(&registry, Format::Json).await, before, "nothing changed");

    // The source's НСИ row id is kept and published.
    let report = import(&registry, &with(&[("id", 1_461_000_001_u64.into())])).await;
    assert!(report.applied, "{}", report_text(&report.errors));
    let json = export(&registry, Format::Json).await;
    let file: Value = serde_json::from_slice(&json).expect("json");
    let ids: Vec<&Value> = file["records"]
        .as_array()
        .expect("records")
        .iter()
        .filter(|r| r["oid"] == REAVIZ_OID)
        .map(|r| &r["id"])
        .collect();
    assert_eq!(ids, [&Value::from(1_461_000_001_u64)]);
}

/// The reading rules of a public НСИ 1461 loader, asaf1n/EGISZ-Proxy-Reports-Airflow @b41c330,
/// `scripts/load_nsi_organization_1461.py` (`load_records`, `record_to_row`, `clean_text`,
/// `int_value`, `numeric_value`, `parse_nsi_date`): `int()` on `id`, `medicalSubjectId`,
/// `regionId`, `organizationType`, `moDeptId`, `moAgencyKindId`, `addrRegionId`,
/// `profileAgencyKindId`; `,` → `.` on `latitude`/`longtitude` for a PostgreSQL `numeric`;
/// `dd.MM.yyyy` split on `.` for the dates; `str(v).strip()` or `None` for the rest. The loader is
/// published on GitHub only (not reachable from CI), so its rules are restated here, as the loader
/// applies them to a JSON `{"records": […]}`; the same rules are applied to the CSV (Python's csv
/// module), the XML (ElementTree) and the XLSX (openpyxl; typed cells as openpyxl gives them: a
/// date cell is a date already). Every format must give every record the same row.
const LOADER_RULES: &str = r#"
import csv, datetime, json, sys, xml.etree.ElementTree as ET
from decimal import Decimal

def clean_text(value):
    if value is None:
        return None
    text = str(value).strip()
    return text or None

def int_value(value):
    text = clean_text(value)
    return None if text is None else int(text)

def numeric_value(value):
    text = clean_text(value)
    # The loader hands this text to a PostgreSQL `numeric` column: compared here as that number.
    return None if text is None else float(Decimal(text.replace(",", ".")))

def parse_nsi_date(value):
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    text = clean_text(value)
    if text is None:
        return None
    day, month, year = text.split(".")
    return datetime.date(int(year), int(month), int(day)).isoformat()

INTS = ["id", "medicalSubjectId", "regionId", "organizationType", "moDeptId", "moAgencyKindId", "addrRegionId", "profileAgencyKindId"]
DATES = ["deleteDate", "createDate", "modifyDate"]
NUMERIC = ["latitude", "longtitude"]
TEXT = ["oid", "nameFull", "nameShort", "medicalSubjectName", "inn", "kpp", "ogrn", "regionName", "moDeptName",
        "deleteReason", "moLevel", "moAgencyKind", "postIndex", "aoidArea", "aoidStreet", "houseid", "addrRegionName",
        "areaName", "prefixArea", "streetName", "prefixStreet", "house", "building", "struct", "founder",
        "profileAgencyKind", "cadastralNumber", "oldOid", "parentId"]

def row(record):
    out = {k: int_value(record.get(k)) for k in INTS}
    out.update({k: parse_nsi_date(record.get(k)) for k in DATES})
    out.update({k: numeric_value(record.get(k)) for k in NUMERIC})
    out.update({k: clean_text(record.get(k)) for k in TEXT})
    return out

def records(path):
    if path.endswith(".json"):
        with open(path, encoding="utf-8-sig") as fh:
            return json.load(fh)["records"]
    if path.endswith(".csv"):
        with open(path, encoding="utf-8", newline="") as fh:
            return list(csv.DictReader(fh, delimiter=";"))
    if path.endswith(".xml"):
        return [{c.tag: c.text for c in r} for r in ET.parse(path).getroot()]
    import openpyxl
    rows = list(openpyxl.load_workbook(path).active.iter_rows(values_only=True))
    return [dict(zip(rows[0], r)) for r in rows[1:]]

print(json.dumps([row(r) for r in records(sys.argv[1])], ensure_ascii=False, sort_keys=True))
"#;

/// The type rules of a second public НСИ 1461 consumer, a Flask + MongoDB service of the
/// directory (found in the code index, file 41701808780; its repository is not named there): its
/// `run_update` turns every stored record's `id`, `medicalSubjectId`, `fiasVersion`,
/// `addrRegionId`, `territoryCode` and `grade` into `int()` wherever the key is present, and
/// `getField` does the same for `id`, `medicalSubjectId`, `grade` in filters; it then gathers the
/// address fields under `addr`. Applied here to our JSON as it would be imported into its collection.
const SECOND_LOADER_RULES: &str = r#"
import json, sys
INT_KEYS = ["id", "medicalSubjectId", "fiasVersion", "addrRegionId", "territoryCode", "grade"]
ADDR = ["postIndex", "latitude", "longtitude", "fiasVersion", "aoidStreet", "houseid", "addrRegionId",
        "addrRegionName", "territoryCode", "isFederalCity", "streetName", "prefixStreet", "house"]
out = []
for data in json.load(open(sys.argv[1], encoding="utf-8-sig"))["records"]:
    for key in list(data.keys()):
        if key in INT_KEYS:
            data[key] = int(data[key])
    addr = {k: data[k] for k in ADDR if data.get(k) is not None}
    if addr:
        data["addr"] = addr
    out.append({"oid": data["oid"], "id": data["id"], "addr": data.get("addr", {})})
print(json.dumps(out, ensure_ascii=False))
"#;

/// The loader's rules load every record of every format we publish, the same rows from each, with
/// the values the cards hold.
async fn a_public_loader_loads_every_record_of_every_format(backend: Backend) {
    let (_db, registry) = demo(backend, 150).await;
    assert!(import(&registry, &sample(CARD)).await.applied, "the real card, address in another region");
    let count = usize::try_from(registry.count().await.expect("count")).expect("count");
    let dir = tempfile::tempdir().expect("temp");
    let mut loaded = Vec::new();
    for (format, extension) in
        [(Format::Json, "json"), (Format::Csv, "csv"), (Format::Xml, "xml"), (Format::Xlsx, "xlsx")]
    {
        let path = dir.path().join(format!("1461.{extension}"));
        std::fs::write(&path, export(&registry, format).await).expect("write");
        let rows: Vec<Value> = serde_json::from_str(&python(LOADER_RULES, &path)).expect("rows");
        assert_eq!(rows.len(), count, "{extension}: every record loaded");
        loaded.push((extension, rows));
    }
    let second: Vec<Value> =
        serde_json::from_str(&python(SECOND_LOADER_RULES, &dir.path().join("1461.json"))).expect("rows");
    assert_eq!(second.len(), count, "the second consumer converts every record");
    let (_, json_rows) = &loaded[0];
    for (row, converted) in json_rows.iter().zip(&second) {
        assert_eq!(row["oid"], converted["oid"]);
        assert_eq!(row["id"], converted["id"], "{}", row["oid"]);
        assert_eq!(row["addrRegionId"], converted["addr"]["addrRegionId"], "{}", row["oid"]);
        assert_eq!(converted["addr"]["territoryCode"], converted["addr"]["addrRegionId"], "{}", row["oid"]);
    }
    for (extension, rows) in &loaded[1..] {
        assert!(rows == json_rows, "{extension} loads as the JSON does");
    }
    for row in json_rows {
        let oid = row["oid"].as_str().expect("oid");
        let card = registry
            .card(&Actor::System, &frmo_domain::ident::OrgOid::parse(oid).expect("an OID"), None)
            .await
            .expect("card")
            .organization;
        let address = card.actual_address.as_ref().unwrap_or(&card.legal_address);
        assert_eq!(row["organizationType"], Value::from(card.organization_type_id), "{oid}");
        assert_eq!(row["regionId"], Value::from(card.region_id.code()), "{oid}");
        assert_eq!(row["addrRegionId"], Value::from(address.region.unwrap_or(card.region_id).code()), "{oid}");
        assert_eq!(row["inn"], Value::from(card.inn.as_str()), "{oid}");
        assert_eq!(row["createDate"], Value::from(frmo_domain::org::iso_date_text(card.create_date)), "{oid}");
        let same_number = |field: &str, value: Option<f64>| row[field].as_f64() == value;
        assert!(same_number("latitude", address.latitude) && same_number("longtitude", address.longitude), "{oid}");
    }
    let reaviz = json_rows.iter().find(|r| r["oid"] == REAVIZ_OID).expect("reaviz");
    assert_eq!(
        (
            &reaviz["regionId"],
            &reaviz["addrRegionId"],
            &reaviz["moDeptId"],
            &reaviz["cadastralNumber"],
            &reaviz["latitude"]
        ),
        (
            &Value::from(63),
            &Value::from(1),
            &Value::from(1_320_705),
            &Value::from("12:31:2312312:31"),
            &Value::from(44.429867)
        )
    );
}

backend_tests!(
    the_real_frmo_card_imports_and_every_field_round_trips,
    codes_decide_and_names_inform,
    a_public_loader_loads_every_record_of_every_format
);
