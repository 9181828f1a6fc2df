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
}

backend_tests!(the_register_is_published_as_nsi_1461);
