//! The НСИ 1461 publication, read by independent readers (Python's json and csv modules) with the
//! real loaders' field list, on both backends.

use crate::REAVIZ;
use frmo_domain::access::Actor;
use frmo_registry::register::nsi::{FIELDS, Format, parse_file, report_text};
use frmo_registry::workers::ImportReport;
use frmo_registry::{Caller, Registry};
use frmo_testkit::{Backend, TestDb, backend_tests};

use super::{REAVIZ_OID, demo};

/// Runs a Python script over `file`; its standard output.
pub(super) fn python(script: &str, file: &std::path::Path) -> String {
    let output = std::process::Command::new("python3").arg("-c").arg(script).arg(file).output().expect("python3");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

async fn the_register_is_published_as_nsi_1461(backend: Backend) {
    let (_db, registry) = demo(backend, 300).await;
    let count = registry.count().await.expect("count");
    let dir = tempfile::tempdir().expect("temp");
    let mut seen = Vec::new();
    let mut json = Vec::new();
    let written = registry.export_nsi(Format::Json, &mut json, |n| seen.push(n)).await.expect("json");
    assert_eq!(written, u64::try_from(count).expect("count"));
    assert_eq!(seen.last().copied(), Some(written), "progress reaches the total");
    let json_path = dir.path().join("1461.json");
    std::fs::write(&json_path, &json).expect("write");
    let fields = FIELDS.join(",");
    let checked = python(
        &format!(
            "import json, sys, re\n\
             records = json.load(open(sys.argv[1], encoding='utf-8'))['records']\n\
             fields = '{fields}'.split(',')\n\
             numbers = {{'moDeptId', 'profileAgencyKindId', 'fiasVersion', 'latitude', 'longtitude'}}\n\
             assert all(list(r.keys()) == [k for k in fields if k in r] for r in records)\n\
             assert all(k in r for r in records for k in fields if k not in numbers)\n\
             ints = {{'id', 'medicalSubjectId', 'regionId', 'organizationType', 'moAgencyKindId', 'addrRegionId', 'territoryCode'}}\n\
             assert all(isinstance(r[k], int) for r in records for k in ints)\n\
             assert all(isinstance(r[k], float) for r in records for k in ('latitude', 'longtitude') if k in r)\n\
             assert all(isinstance(v, str) for r in records for k, v in r.items() if k not in ints and k not in numbers)\n\
             assert all(re.fullmatch(r'\\d\\d\\.\\d\\d\\.\\d{{4}}', r['createDate']) for r in records)\n\
             r = [r for r in records if r['oid'] == '{REAVIZ_OID}'][0]\n\
             print(len(records), r['inn'], r['regionName'], r['deleteDate'] == '')"
        ),
        &json_path,
    );
    assert_eq!(checked, format!("{count} 6317006620 Самарская область True"));

    let mut csv = Vec::new();
    registry.export_nsi(Format::Csv, &mut csv, |_| {}).await.expect("csv");
    let csv_path = dir.path().join("1461.csv");
    std::fs::write(&csv_path, &csv).expect("write");
    let checked = python(
        &format!(
            "import csv, sys\n\
             rows = list(csv.reader(open(sys.argv[1], encoding='utf-8', newline=''), delimiter=';'))\n\
             assert rows[0] == '{fields}'.split(','), rows[0]\n\
             oid = rows[0].index('oid')\n\
             print(len(rows) - 1, sum(1 for r in rows[1:] if r[oid] == '{REAVIZ_OID}'))"
        ),
        &csv_path,
    );
    assert_eq!(checked, format!("{count} 1"));

    let mut xml = Vec::new();
    registry.export_nsi(Format::Xml, &mut xml, |_| {}).await.expect("xml");
    let xml_path = dir.path().join("1461.xml");
    std::fs::write(&xml_path, &xml).expect("write");
    let checked = python(
        &format!(
            "import sys, xml.etree.ElementTree as ET\n\
             root = ET.parse(sys.argv[1]).getroot()\n\
             assert root.tag == 'records' and root.get('directory') == '1.2.643.5.1.13.13.11.1461'\n\
             assert all([c.tag for c in r] == '{fields}'.split(',') for r in root)\n\
             r = [r for r in root if r.findtext('oid') == '{REAVIZ_OID}'][0]\n\
             print(len(root), r.findtext('inn'), r.findtext('regionName'), r.findtext('id'), repr(r.findtext('oldOid')))"
        ),
        &xml_path,
    );
    assert_eq!(checked, format!("{count} 6317006620 Самарская область 278006258 ''"));

    let mut xlsx = Vec::new();
    registry.export_nsi(Format::Xlsx, &mut xlsx, |_| {}).await.expect("xlsx");
    let xlsx_path = dir.path().join("1461.xlsx");
    std::fs::write(&xlsx_path, &xlsx).expect("write");
    let checked = python(
        &format!(
            "import sys, datetime, openpyxl\n\
             ws = openpyxl.load_workbook(sys.argv[1]).active\n\
             rows = list(ws.iter_rows(values_only=True))\n\
             assert list(rows[0]) == '{fields}'.split(','), rows[0]\n\
             assert ws.freeze_panes == 'A2' and ws.auto_filter.ref == 'A1:AV%d' % len(rows), (ws.freeze_panes, ws.auto_filter.ref)\n\
             h = {{name: i for i, name in enumerate(rows[0])}}\n\
             r = [r for r in rows[1:] if r[h['oid']] == '{REAVIZ_OID}'][0]\n\
             assert isinstance(r[h['createDate']], datetime.datetime)\n\
             print(len(rows) - 1, repr(r[h['inn']]), r[h['regionId']], r[h['id']], r[h['nameShort']])"
        ),
        &xlsx_path,
    );
    assert_eq!(checked, format!("{count} '6317006620' 63 278006258 Медицинский Университет «Реавиз»"));
}

pub(super) async fn export(registry: &Registry, format: Format) -> Vec<u8> {
    let mut out = Vec::new();
    registry.export_nsi(format, &mut out, |_| {}).await.expect("export");
    out
}

pub(super) async fn import(registry: &Registry, file: &[u8]) -> ImportReport {
    let records = parse_file(file).unwrap_or_else(|errors| panic!("{}", report_text(&errors)));
    registry.import_nsi(&Caller::system("test"), records, |_| {}).await.expect("import")
}

/// Versions and journal entries: what a change would add to.
async fn footprint(registry: &Registry) -> (i64, usize, usize) {
    let store = registry.store();
    let versions = store.versions_after(0, 10_000_000).await.expect("versions").len();
    let journal = store.audit_after(0, 10_000_000).await.expect("journal").len();
    (registry.count().await.expect("count"), versions, journal)
}

/// Export → import into an empty registry → export again gives the same bytes, from each format;
/// importing the same file again changes nothing.
async fn export_import_export_gives_identical_files(backend: Backend) {
    let (_db, registry) = demo(backend, 200).await;
    let formats = [Format::Json, Format::Csv, Format::Xml];
    let mut published = Vec::new();
    for format in formats {
        published.push(export(&registry, format).await);
    }
    for (from, file) in formats.iter().zip(&published) {
        let db = TestDb::new(backend).await;
        let copy = Registry::open(db.store().await).await.expect("open");
        let report = import(&copy, file).await;
        assert!(report.applied, "{from:?}: {}", report_text(&report.errors));
        assert_eq!(report.created as i64, registry.count().await.expect("count"), "{from:?}");
        for (format, original) in formats.iter().zip(&published) {
            let again = export(&copy, *format).await;
            assert!(again == *original, "{from:?} → {format:?} differs");
        }
        // Idempotent: the same file again writes no version and no journal entry.
        let before = footprint(&copy).await;
        let report = import(&copy, file).await;
        assert!(report.applied && report.created == 0 && report.updated == 0, "{from:?}: {report:?}");
        assert_eq!(footprint(&copy).await, before, "{from:?}");
    }
}

/// A file with a bad ИНН in record 7 is refused naming record 7 and the field; nothing changes.
async fn a_bad_record_is_named_and_nothing_is_imported(backend: Backend) {
    let (_db, registry) = demo(backend, 50).await;
    let csv = String::from_utf8(export(&registry, Format::Csv).await).expect("utf-8");
    let mut lines: Vec<String> = csv.split_inclusive("\r\n").map(str::to_owned).collect();
    let inn = FIELDS.iter().position(|f| *f == "inn").expect("inn");
    let name = FIELDS.iter().position(|f| *f == "nameShort").expect("nameShort");
    // Record 3 renamed (a valid change), record 7 with a wrong check digit.
    let mut third: Vec<String> = lines[3].trim_end().split(';').map(str::to_owned).collect();
    third[name] = "Переименованная".into();
    lines[3] = format!("{}\r\n", third.join(";"));
    let mut seventh: Vec<String> = lines[7].trim_end().split(';').map(str::to_owned).collect();
    let last = seventh[inn].pop().and_then(|c| c.to_digit(10)).expect("digit");
    seventh[inn].push(char::from_digit((last + 1) % 10, 10).expect("digit"));
    lines[7] = format!("{}\r\n", seventh.join(";"));
    let before = footprint(&registry).await;
    let report = import(&registry, lines.concat().as_bytes()).await;
    assert!(!report.applied);
    assert_eq!(report.errors.len(), 1, "{}", report_text(&report.errors));
    let error = &report.errors[0];
    assert_eq!((error.line, error.record, error.field, error.label), (8, 7, "inn", "ИНН"));
    assert!(
        report_text(&report.errors).starts_with("строка 8, запись 7: ИНН (inn) — "),
        "{}",
        report_text(&report.errors)
    );
    assert_eq!(footprint(&registry).await, before, "nothing written, not even record 3");
    assert_eq!(export(&registry, Format::Csv).await, csv.into_bytes());

    // The same error found in JSON and XML: record 7, field inn.
    for format in [Format::Json, Format::Xml] {
        let text = String::from_utf8(export(&registry, format).await).expect("utf-8");
        let seventh_inn = lines[7].trim_end().split(';').nth(inn).expect("inn").to_owned();
        let original_inn = seventh_inn[..seventh_inn.len() - 1].to_owned()
            + &((seventh_inn.as_bytes()[seventh_inn.len() - 1] - b'0' + 9) % 10).to_string();
        let broken = text.replacen(&original_inn, &seventh_inn, 1);
        let records = parse_file(broken.as_bytes()).expect("parses");
        let report = registry.import_nsi(&Caller::system("test"), records, |_| {}).await.expect("import");
        assert_eq!(
            report.errors.iter().map(|e| (e.record, e.field)).collect::<Vec<_>>(),
            vec![(7, "inn")],
            "{format:?}"
        );
    }
    assert_eq!(footprint(&registry).await, before);

    // An error past the first round of 10,000 records (written, then rolled back) still leaves
    // nothing behind.
    let template: Vec<String> = lines[1].trim_end().split(';').map(str::to_owned).collect();
    let mut big = lines[0].clone();
    for n in 1..=12_000 {
        let mut record = template.clone();
        record[1] = format!("1.2.643.5.1.13.13.12.2.50.{n}");
        if n == 11_500 {
            record[inn] = seventh[inn].clone();
        }
        big.push_str(&record.join(";"));
        big.push_str("\r\n");
    }
    let report = import(&registry, big.as_bytes()).await;
    assert!(!report.applied && report.created == 0);
    assert_eq!(report.errors.iter().map(|e| (e.record, e.field)).collect::<Vec<_>>(), vec![(11_500, "inn")]);
    assert_eq!(footprint(&registry).await, before, "the first round was rolled back");

    // Files that are not 1461 at all are refused as files.
    for bad in [&b"<records><record><oid>1"[..], b"{\"records\": [", b"\xff\xfe", b"a;b\n1;2\n"] {
        assert!(parse_file(bad).is_err_and(|e| e[0].field == "file" && e[0].record == 0), "{bad:?}");
    }
}

/// An import merges by OID: a changed record gets a journaled version keeping what 1461 does not
/// carry; a new OID is created with that OID and never handed out again.
async fn import_merges_by_oid_and_keeps_the_rest_of_the_card(backend: Backend) {
    let (_db, registry) = demo(backend, 20).await;
    let before = registry.card(&Actor::System, &REAVIZ, None).await.expect("card");
    let csv = String::from_utf8(export(&registry, Format::Csv).await).expect("utf-8");
    let header = csv.lines().next().expect("header").to_owned();
    let reaviz = csv.lines().find(|l| l.contains(REAVIZ_OID)).expect("reaviz").to_owned();
    let name = FIELDS.iter().position(|f| *f == "nameShort").expect("nameShort");
    let mut changed: Vec<String> = reaviz.split(';').map(str::to_owned).collect();
    changed[name] = "Университет «Реавиз»".into();
    let new_oid = "1.2.643.5.1.13.13.12.2.63.900000";
    let mut new: Vec<String> = changed.clone();
    new[1] = new_oid.into();
    new[name] = "Новая клиника".into();
    let file = format!("{header}\r\n{}\r\n{}\r\n", changed.join(";"), new.join(";"));
    let (count, versions, journal) = footprint(&registry).await;
    let report = import(&registry, file.as_bytes()).await;
    assert!((report.applied, report.created, report.updated) == (true, 1, 1), "{report:?}");
    assert_eq!(footprint(&registry).await, (count + 1, versions + 2, journal + 2));
    let after = registry.card(&Actor::System, &REAVIZ, None).await.expect("card");
    assert_eq!(after.organization.name_short, "Университет «Реавиз»");
    assert!(after.row.version_id > before.row.version_id);
    let mut expected = before.organization.clone();
    expected.name_short = after.organization.name_short.clone();
    assert_eq!(after.organization, expected, "departments, buildings, licences, contacts kept");
    let history = registry.journal_of(REAVIZ_OID, 5).await.expect("journal");
    assert!(history.iter().any(|r| r.kind == "change" && r.detail.contains("Университет «Реавиз»")));
    let created = registry
        .card(&Actor::System, &frmo_domain::ident::OrgOid::parse(new_oid).expect("an OID"), None)
        .await
        .expect("new card");
    assert_eq!(created.organization.name_short, "Новая клиника");
    let region = frmo_domain::ident::RegionCode::parse("63").expect("region");
    let next = registry.allocate_oid(&Actor::System, 2, region).await.expect("oid");
    assert_eq!(next.as_str(), "1.2.643.5.1.13.13.12.2.63.900001", "the imported number is never handed out");

    // A real ФРМО API card (reference §1.12) merges into the same organization.
    let api = r#"{"oid":"1.2.643.5.1.13.13.12.2.78.6258","nameShort":"Медицинский Университет «Реавиз»",
        "nameFull":"Частное учреждение образовательная организация высшего образования «Медицинский университет «Реавиз»",
        "inn":"6317006620","kpp":"631501001","ogrn":"1026301420716",
        "orgType":{"code":3,"name":"Частное юридическое лицо"},
        "medicalSubjectId":[{"id":2,"medicalSubject":"Медицинская организация"}],
        "moAgencyKindId":{"id":1,"parentId":0,"agencyKind":"Больница (в том числе детская)"},
        "moLevelId":{"id":1,"moLevel":"I уровень"},
        "regionId":{"id":63,"region":"Самарская область","territoryCode":63,"isFederalCity":false},
        "deleteReason":{"id":2,"deleteReason":"Дубль карточки МО"}}"#;
    let report = import(&registry, api.as_bytes()).await;
    assert!(report.applied, "{}", report_text(&report.errors));
    let card = registry.card(&Actor::System, &REAVIZ, None).await.expect("card").organization;
    assert_eq!((card.name_short.as_str(), card.mo_level_id), ("Медицинский Университет «Реавиз»", Some(1)));
    assert_eq!(
        (card.create_date, card.departments.len()),
        (before.organization.create_date, before.organization.departments.len())
    );
    let again = footprint(&registry).await;
    assert_eq!(import(&registry, format!("[{api}]").as_bytes()).await.updated, 0, "an array of one, the same");
    assert_eq!(footprint(&registry).await, again);
}

backend_tests!(
    the_register_is_published_as_nsi_1461,
    export_import_export_gives_identical_files,
    a_bad_record_is_named_and_nothing_is_imported,
    import_merges_by_oid_and_keeps_the_rest_of_the_card
);
