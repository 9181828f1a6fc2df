//! The НСИ 1461 publication, read by independent readers (Python's json and csv modules) with the
//! real loaders' field list, on both backends.

use frmo_registry::nsi::{FIELDS, Format};
use frmo_testkit::{Backend, backend_tests};

use super::{REAVIZ_OID, demo};

/// Runs a Python script over `file`; its standard output.
fn python(script: &str, file: &std::path::Path) -> String {
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
             assert all(list(r.keys()) == '{fields}'.split(',') for r in records)\n\
             assert all(isinstance(v, str) for r in records for v in r.values())\n\
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

backend_tests!(the_register_is_published_as_nsi_1461);
