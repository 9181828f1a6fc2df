//! What the audit journal costs a write: changes to organization cards appended one after another
//! (each its own transaction, as the cabinet makes them), without a journal entry and with one,
//! on SQLite and (when `FRMO_TEST_POSTGRES_URL` is set, as scripts/test sets it) PostgreSQL.
//!
//!   cargo bench -p frmo-store --bench audit_overhead [-- CHANGES]
//!
//! Prints changes per second for both and their ratio; issue #4 asks that the journal not halve
//! write throughput (ratio ≥ 0.5).

use std::time::Instant;

use frmo_domain::ident::RegionCode;
use frmo_store::audit::AuditEntry;
use frmo_store::seed::{Generator, records};
use frmo_store::testing::{Backend, TestDb};
use frmo_store::{Store, VersionRecord};
use time::OffsetDateTime;

const ORGS: u32 = 1000;

async fn run(store: &Store, changes: usize, journal: bool) -> f64 {
    let mut current = Vec::new();
    for n in 1..=ORGS {
        let oid = Generator::new(7).organization(RegionCode::from_code(63).expect("region"), n).oid;
        let row = store.card(oid.as_str(), None).await.expect("card").expect("exists");
        current.push((oid, row.version_id));
    }
    let generator = Generator::new(7);
    let started = Instant::now();
    for i in 0..changes {
        let slot = i % current.len();
        let mut org = generator.organization(RegionCode::from_code(63).expect("region"), slot as u32 + 1);
        org.contacts.phone = Some(format!("+7 846 {:03}-{:02}-{:02}", i % 1000, i % 100, (i / 100) % 100));
        let record = VersionRecord::new(&org, OffsetDateTime::now_utc()).expect("record");
        let audit = if journal {
            vec![AuditEntry {
                at: OffsetDateTime::now_utc().unix_timestamp(),
                user_id: Some(1),
                actor: "Иванова Мария Петровна (esia 1000299654)".into(),
                kind: "change".into(),
                target: org.oid.as_str().into(),
                detail: format!(
                    r#"{{"reason":"контакты","fields":[{{"field":"contacts","after":{{"phone":"{i}"}}}}]}}"#
                ),
                request_id: format!("bench-{i}"),
            }]
        } else {
            Vec::new()
        };
        let id = store.append_version(record, current[slot].1, audit).await.expect("append");
        current[slot].1 = id;
    }
    changes as f64 / started.elapsed().as_secs_f64()
}

async fn bench(backend: Backend, changes: usize) {
    let mut rates = Vec::new();
    for journal in [false, true] {
        let db = TestDb::new(backend).await;
        let store = db.store().await;
        let generator = Generator::new(7);
        let orgs: Vec<_> =
            (1..=ORGS).map(|n| generator.organization(RegionCode::from_code(63).expect("region"), n)).collect();
        store.insert_new(records(&orgs).expect("valid")).await.expect("insert");
        rates.push(run(&store, changes, journal).await);
    }
    println!(
        "{backend:?}: {changes} changes, {:.0}/s without the journal, {:.0}/s with it: ratio {:.2}",
        rates[0],
        rates[1],
        rates[1] / rates[0]
    );
}

#[tokio::main]
async fn main() {
    let changes = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(3000);
    bench(Backend::Sqlite, changes).await;
    if std::env::var("FRMO_TEST_POSTGRES_URL").is_ok() {
        bench(Backend::Postgres, changes).await;
    } else {
        println!("PostgreSQL: FRMO_TEST_POSTGRES_URL is not set, skipped");
    }
}
