//! The report catalogue on both backends: figures checked against the cards themselves, scope by
//! actor, and the same numbers in CSV (both flavours), XLSX, PDF and the chart.

use frmo_domain::access::{Actor, Membership, Principal};
use frmo_registry::reports::output::{self, CsvFlavour};
use frmo_registry::reports::{CATALOGUE, Datum, Report, ReportParams};
use frmo_registry::{Caller, Registry, RegistryError};
use frmo_testkit::{Backend, backend_tests};

use super::{REAVIZ_OID, demo};

fn params(period: &str, group: &str) -> ReportParams {
    ReportParams { period: Some(period.into()), group: Some(group.into()), ..ReportParams::default() }
}

fn operator(region: u8) -> Caller {
    let actor = Actor::User(Principal {
        user_id: 7,
        confirmed: true,
        consent: true,
        operator_regions: vec![region],
        ..Default::default()
    });
    Caller::new(actor, "t")
}

/// Every current card as (region, createDate, deleteDate) — counted here independently of the
/// report's SQL.
async fn cards(registry: &Registry) -> Vec<(u8, String, Option<String>)> {
    let mut cards = Vec::new();
    let mut after = 0;
    loop {
        let batch = registry.store().current_cards_after(after, 500).await.expect("cards");
        let Some(last) = batch.last().map(|(id, _)| *id) else { break };
        for (_, card) in batch {
            let card: serde_json::Value = serde_json::from_str(&card).expect("json");
            let text = |f: &str| card[f].as_str().map(str::to_owned);
            let region = card["regionId"].as_u64().and_then(|r| u8::try_from(r).ok()).expect("region");
            cards.push((region, text("createDate").expect("createDate"), text("deleteDate")));
        }
        after = last;
    }
    cards
}

fn int(datum: &Datum) -> i64 {
    match datum {
        Datum::Int(n) => *n,
        other => panic!("not a count: {other:?}"),
    }
}

async fn organization_counts_match_the_cards_and_follow_the_scope(backend: Backend) {
    let (_db, registry) = demo(backend, 400).await;
    let period = "2020";
    let report =
        registry.run_report(&Caller::system("t"), "organizations", &params(period, "region")).await.expect("run");
    assert_eq!(report.columns.len(), 5);
    let cards = cards(&registry).await;
    let (from, to) = ("2020-01-01", "2020-12-31");
    let alive_at_end = cards.iter().filter(|(_, c, d)| c.as_str() <= to && d.as_deref().is_none_or(|d| d > to)).count();
    let opened = cards.iter().filter(|(_, c, _)| (from..=to).contains(&c.as_str())).count();
    let totals = report.totals.as_ref().expect("totals");
    assert_eq!(int(&totals[4]), i64::try_from(alive_at_end).expect("n"), "at the end of 2020");
    assert_eq!(int(&totals[2]), i64::try_from(opened).expect("n"), "opened in 2020");
    assert!(opened > 0, "the demo register has organizations created in 2020");
    // Every row balances: start + opened − closed = end.
    for row in &report.rows {
        assert_eq!(int(&row[1]) + int(&row[2]) - int(&row[3]), int(&row[4]), "{row:?}");
    }

    // An operator of Samara sees one region; a member sees its organization; others are refused.
    let samara = registry.run_report(&operator(63), "organizations", &params(period, "region")).await.expect("op");
    assert_eq!(samara.rows.len(), 1, "{:?}", samara.rows);
    assert!(samara.rows[0][0].display().contains("Самарская"), "{:?}", samara.rows[0]);
    let in_samara =
        cards.iter().filter(|(r, c, d)| *r == 63 && c.as_str() <= to && d.as_deref().is_none_or(|d| d > to)).count();
    assert_eq!(int(&samara.rows[0][4]), i64::try_from(in_samara).expect("n"));
    assert!(samara.scope.contains("Самарская"), "{}", samara.scope);

    let member = Actor::User(Principal {
        user_id: 8,
        confirmed: true,
        consent: true,
        memberships: vec![Membership { org_oid: REAVIZ_OID.into(), chief: false }],
        ..Default::default()
    });
    let own = registry
        .run_report(&Caller::new(member, "t"), "organizations", &params("2026", "status"))
        .await
        .expect("member");
    assert_eq!(own.totals.as_ref().map(|t| int(&t[4])), Some(1), "{:?}", own.rows);
    assert!(own.scope.contains("Реавиз"), "{}", own.scope);

    for actor in [Actor::Anonymous, Actor::User(Principal { user_id: 9, ..Default::default() })] {
        let refused =
            registry.run_report(&Caller::new(actor.clone(), "t"), "organizations", &params(period, "region")).await;
        assert!(matches!(refused, Err(RegistryError::Forbidden(_))), "{actor:?}: {refused:?}");
    }
}

async fn wrong_parameters_name_the_field(backend: Backend) {
    let (_db, registry) = demo(backend, 5).await;
    for (period, group, field) in [("2026-13", "region", "period"), ("2026", "планета", "group")] {
        let error =
            registry.run_report(&Caller::system("t"), "organizations", &params(period, group)).await.expect_err(period);
        match error {
            RegistryError::Invalid(errors) => assert_eq!(errors[0].field, field, "{errors:?}"),
            other => panic!("{other:?}"),
        }
    }
    let missing = registry.run_report(&Caller::system("t"), "нет-такого", &params("2026", "")).await;
    assert!(matches!(missing, Err(RegistryError::NotFound(_))), "{missing:?}");
}

/// Whitespace-separated tokens that are numbers (`12`, `1,25`, `1.25`), in order, as numbers:
/// formats may pad decimals differently, not change values.
fn numbers(text: &str) -> Vec<f64> {
    text.split_whitespace()
        .filter(|t| {
            let (whole, fraction) = t.split_once([',', '.']).unwrap_or((t, "0"));
            !whole.is_empty()
                && !fraction.is_empty()
                && whole.bytes().chain(fraction.bytes()).all(|b| b.is_ascii_digit())
        })
        .filter_map(|t| t.replace(',', ".").parse().ok())
        .collect()
}

/// The numbers of the report's rows and totals, as every format should print them.
fn expected_numbers(report: &Report) -> Vec<f64> {
    report
        .rows
        .iter()
        .chain(report.totals.as_ref())
        .flat_map(|row| row.iter().flat_map(|d| numbers(&d.display())))
        .collect()
}

fn python(script: &str, file: &std::path::Path) -> String {
    let output = std::process::Command::new("python3").arg("-c").arg(script).arg(file).output().expect("python3");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

async fn every_format_prints_the_same_numbers(backend: Backend) {
    let (_db, registry) = demo(backend, 300).await;
    for definition in CATALOGUE {
        for group in definition.groups.iter().map(|g| g.0).chain(definition.groups.is_empty().then_some("")) {
            let report = registry
                .run_report(&Caller::system("t"), definition.name, &params("2023-07-01..2026-12-31", group))
                .await
                .unwrap_or_else(|e| panic!("{} {group}: {e}", definition.name));
            check_formats(&report);
        }
    }
    // The organizations report has rows in the demo register, so the comparison is not vacuous.
    let report =
        registry.run_report(&Caller::system("t"), "organizations", &params("2026", "type")).await.expect("run");
    assert!(expected_numbers(&report).len() > 10);
    let svg = output::svg(&report).expect("a chart");
    for row in &report.rows {
        assert!(svg.contains(&format!(">{}</text>", row[4].display())), "the chart prints each value");
    }
    assert!(svg.contains("<title id=\"chart-title\">") && svg.contains("<desc id=\"chart-desc\">Диаграмма"));
}

fn check_formats(report: &Report) {
    let name = report.title();
    let expected = expected_numbers(report);
    let dir = tempfile::tempdir().expect("temp");

    let header_numbers = numbers(&report.columns.join(" ")).len();
    let excel = output::csv(report, CsvFlavour::Excel);
    assert!(excel.starts_with("\u{feff}".as_bytes()), "{name}: BOM");
    let rfc = output::csv(report, CsvFlavour::Rfc4180);
    for (file, bytes, reader) in [
        ("excel.csv", excel, "csv.reader(open(sys.argv[1], encoding='utf-8-sig', newline=''), delimiter=';')"),
        ("rfc.csv", rfc, "csv.reader(open(sys.argv[1], encoding='utf-8', newline=''))"),
    ] {
        let path = dir.path().join(file);
        std::fs::write(&path, &bytes).expect("write");
        let cells = python(&format!("import csv, sys\nfor row in {reader}:\n    print(' '.join(row))"), &path);
        assert_eq!(numbers(&cells)[header_numbers..], expected[..], "{name}: {file}");
    }

    let xlsx = output::xlsx(report).expect("xlsx");
    let path = dir.path().join("report.xlsx");
    std::fs::write(&path, &xlsx).expect("write");
    let cells = python(
        "import openpyxl, sys\nws = openpyxl.load_workbook(sys.argv[1])['Отчёт']\nassert ws.freeze_panes == 'A2', ws.freeze_panes\nassert ws.auto_filter.ref\nfor row in ws.iter_rows(min_row=2, values_only=True):\n    print(' '.join('' if v is None else ('%g' % v if isinstance(v, float) else str(v)) for v in row))",
        &path,
    );
    assert_eq!(numbers(&cells), expected, "{name}: XLSX");

    let pdf = output::pdf(report).expect("pdf");
    let path = dir.path().join("report.pdf");
    std::fs::write(&path, &pdf).expect("write");
    let text = std::process::Command::new("pdftotext").arg("-layout").arg(&path).arg("-").output().expect("pdftotext");
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("Страница 1 из"), "{name}: page numbers");
    assert!(text.contains(&report.period.label()), "{name}: the period is printed");
    let header = report.columns[0].as_str();
    let body: String = text
        .lines()
        .skip_while(|l| !l.trim_start().starts_with(header))
        .filter(|l| !l.trim_start().starts_with(header) && !l.contains("Страница"))
        .collect::<Vec<_>>()
        .join("\n");
    assert_eq!(numbers(&body), expected, "{name}: PDF");
}

/// Jobs are claimed with leases: a job another process holds is left alone while its lease lasts;
/// once the lease runs out (the process died) this registry claims it and finishes it; a job
/// claimed too many times is given up with a message.
async fn a_job_whose_process_died_is_taken_over_once_its_lease_runs_out(backend: Backend) {
    use frmo_registry::reports::jobs::{JobSettings, JobSpec};
    let db = frmo_testkit::TestDb::new(backend).await;
    let files = frmo_testkit::s3::TestFiles::new(frmo_testkit::s3::Storage::Local);
    let settings = JobSettings { lease: std::time::Duration::from_secs(30), max_attempts: 2, concurrent: 1 };
    let registry = Registry::open(db.store().await)
        .await
        .expect("open")
        .with_documents(files.files(), Default::default())
        .with_job_settings(settings);
    assert!(registry.seed_demo(&Actor::System, 5).await.expect("seed"));
    let store = registry.store();
    let now = registry.now();
    let spec = serde_json::to_string(&JobSpec::Register { format: "csv".into() }).expect("spec");
    let id = store.insert_job(None, "register", &spec, "Реестр", 10, now).await.expect("job");

    // Another process claims it and dies (it never renews); while its lease lasts, nobody else runs it.
    let other = store.claim_job("other:1:dead", now, now + 30, 2, "gave up").await.expect("claim").expect("a job");
    assert_eq!((other.id, other.status.as_str(), other.attempts), (id, "running", 1));
    assert_eq!(registry.take_jobs().await.expect("take"), 0, "a live lease is left alone");
    let stranger = frmo_store::jobs::JobClaim { owner: "someone:else".into(), ..other.claim() };
    assert!(!store.renew_job(&stranger, 1, now + 60).await.expect("renew"), "only the owner renews");
    assert!(store.renew_job(&other.claim(), 1, now + 30).await.expect("renew"), "the owner does");

    // Its lease runs out: this registry claims the job and finishes it; the dead owner's late
    // renewal changes nothing.
    registry.advance_clock(31);
    assert_eq!(registry.take_jobs().await.expect("take"), 1);
    let job = wait_for_job(&registry, id).await;
    assert_eq!((job.status.as_str(), job.attempts), ("done", 2), "{job:?}");
    assert_ne!(job.lease_owner.as_deref(), Some("other:1:dead"));
    assert!(job.file_key.is_some());
    assert!(!store.renew_job(&other.claim(), 1, now + 90).await.expect("renew"), "the dead claim is over");

    // A job whose every claim ended with a dead process is given up after the last one.
    let id = store.insert_job(None, "register", &spec, "Реестр", 10, registry.now()).await.expect("job");
    let t = registry.now();
    for attempt in 0..2 {
        let at = t + attempt * 40;
        store.claim_job("other:1:dead", at, at + 30, 2, "gave up").await.expect("claim").expect("the job");
    }
    registry.advance_clock(80);
    assert_eq!(registry.take_jobs().await.expect("take"), 0);
    let job = store.job(id).await.expect("lookup").expect("job");
    assert_eq!(job.status.as_str(), "failed", "{job:?}");
    assert!(job.error.as_deref().is_some_and(|e| e.contains("Запустите выгрузку снова")), "{job:?}");
}

async fn wait_for_job(registry: &Registry, id: i64) -> frmo_store::jobs::JobRecord {
    for _ in 0..600 {
        let job = registry.store().job(id).await.expect("lookup").expect("job");
        if !job.status.is_open() {
            return job;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("job {id} did not finish in 30 s");
}

backend_tests!(
    organization_counts_match_the_cards_and_follow_the_scope,
    wrong_parameters_name_the_field,
    every_format_prints_the_same_numbers,
    a_job_whose_process_died_is_taken_over_once_its_lease_runs_out,
);
