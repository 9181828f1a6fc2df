//! Store tests: every case runs on SQLite and on PostgreSQL.

mod audit;
mod directories;
mod notices;

use frmo_domain::ident::RegionCode;
use frmo_store::backend_tests;
use frmo_store::seed::{Generator, records};
use frmo_store::testing::{Backend, TestDb};
use frmo_store::{Identifier, Store, StoreError, VersionRecord};
use time::OffsetDateTime;
use time::macros::datetime;

fn region(code: &str) -> RegionCode {
    RegionCode::parse(code).expect("a real region")
}

async fn with_orgs(db: &TestDb, count: u32) -> Store {
    let store = db.store().await;
    let generator = Generator::new(7);
    let orgs: Vec<_> = (1..=count).map(|n| generator.organization(region("63"), n)).collect();
    store.insert_new(records(&orgs).expect("valid generated orgs")).await.expect("insert");
    store
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_backends_migrate_to_the_same_schema() {
    let sqlite = TestDb::new(Backend::Sqlite).await;
    let postgres = TestDb::new(Backend::Postgres).await;
    let (sqlite, postgres) = (sqlite.store().await, postgres.store().await);
    let sqlite_columns = sqlite.columns().await.expect("sqlite columns");
    let postgres_columns = postgres.columns().await.expect("postgres columns");
    assert!(sqlite_columns.iter().any(|c| c.table == "organization_versions" && c.column == "card"));
    assert_eq!(sqlite_columns, postgres_columns);
}

/// A PostgreSQL connection that closes (a restart of the server, a failover, an administrator
/// ending its backend) is opened anew by the next statement that needs it: the process keeps
/// serving without a restart. Before, every reader stayed closed and each read failed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_connections_that_close_are_opened_anew() {
    let db = TestDb::new(Backend::Postgres).await;
    let store = with_orgs(&db, 3).await;
    let oid = Generator::new(7).organization(region("63"), 1).oid.as_str().to_owned();
    let first = store.card(&oid, None).await.expect("read").expect("current");
    assert_eq!(store.pool_use().open, 4, "three readers and the writer");

    // The server ends every connection and, for a moment, takes no new ones: reads fail as
    // "unavailable", not as an internal error.
    db.set_reachable(false).await;
    for _ in 0..100 {
        if store.pool_use().open == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(store.pool_use().open, 0, "the store saw its connections close");
    let refused = store.card(&oid, None).await;
    assert!(matches!(&refused, Err(error) if error.is_unavailable()), "{refused:?}");
    db.set_reachable(true).await;

    // Every reader (round robin, twice over), the portable runner, the readiness probe and the
    // writer work again.
    for _ in 0..6 {
        let card = store.card(&oid, None).await.expect("a read after the connections closed");
        assert_eq!(card.map(|c| c.version_id), Some(first.version_id));
    }
    assert_eq!(store.current_head(&oid).await.expect("portable read").map(|h| h.version_id), Some(first.version_id));
    store.ping().await.expect("readiness");
    let mut renamed = Generator::new(7).organization(region("63"), 1);
    renamed.name_short = "ГБУЗ «После перезапуска»".into();
    let record = VersionRecord::new(&renamed, OffsetDateTime::now_utc()).expect("record");
    let second = store.append_version(record, first.version_id, Vec::new()).await.expect("a write after");
    let card = store.card(&oid, None).await.expect("read").expect("current");
    assert_eq!(card.version_id, second);
    assert!(card.card.contains("После перезапуска"));
    assert_eq!(store.pool_use().open, 4, "every connection is open again");
}

async fn migrations_are_idempotent(backend: Backend) {
    let db = TestDb::new(backend).await;
    let store = db.store().await;
    assert!(store.migrate().await.expect("second migrate").is_empty());
}

async fn cards_are_effective_dated(backend: Backend) {
    let db = TestDb::new(backend).await;
    let store = with_orgs(&db, 3).await;
    let org = Generator::new(7).organization(region("63"), 2);
    let oid = org.oid.as_str().to_owned();
    let first = store.card(&oid, None).await.expect("read").expect("current version exists");

    let mut renamed = org.clone();
    renamed.name_short = "ГБУЗ «Новое имя»".into();
    let at = datetime!(2025-03-01 10:00 UTC);
    let second_id = store
        .append_version(VersionRecord::new(&renamed, at).expect("record"), first.version_id, Vec::new())
        .await
        .expect("append");

    let current = store.card(&oid, None).await.expect("read").expect("current");
    assert_eq!(current.version_id, second_id);
    assert!(current.card.contains("Новое имя"));
    let before = store.card(&oid, Some(datetime!(2025-02-28 23:59 UTC))).await.expect("read").expect("past");
    assert_eq!(before.version_id, first.version_id);
    assert_eq!(before.valid_to, Some(at));
    let before_creation = store.card(&oid, Some(datetime!(1900-01-01 0:00 UTC))).await.expect("read");
    assert_eq!(before_creation, None);

    // Editing a version that is no longer current is a conflict, and changes nothing.
    let stale = store
        .append_version(
            VersionRecord::new(&org, OffsetDateTime::now_utc()).expect("record"),
            first.version_id,
            Vec::new(),
        )
        .await;
    assert!(matches!(stale, Err(StoreError::Conflict(_))), "{stale:?}");
    assert_eq!(store.card(&oid, None).await.expect("read").expect("current").version_id, second_id);
}

async fn identifiers_are_looked_up_exactly(backend: Backend) {
    let db = TestDb::new(backend).await;
    let store = with_orgs(&db, 5).await;
    let org = Generator::new(7).organization(region("63"), 4);
    let ids = store.versions_with(Identifier::Inn, org.inn.as_str()).await.expect("by inn");
    assert_eq!(ids.len(), 1);
    let items = store.list_items(&ids).await.expect("items");
    assert_eq!(items[0].oid, org.oid.as_str());
    assert_eq!(store.versions_with(Identifier::Oid, org.oid.as_str()).await.expect("by oid"), ids);
    assert!(store.versions_with(Identifier::Inn, "0000000000").await.expect("none").is_empty());
}

async fn oid_numbers_are_never_reused(backend: Backend) {
    let db = TestDb::new(backend).await;
    let store = with_orgs(&db, 3).await;
    assert_eq!(store.last_oid_number(2, 63).await.expect("last"), 3);
    let a = store.allocate_oid_number(2, 63).await.expect("allocate");
    let b = store.allocate_oid_number(2, 63).await.expect("allocate");
    assert_eq!((a, b), (4, 5));
    assert_eq!(store.allocate_oid_number(2, 77).await.expect("other region"), 1);
    // Writing an organization numbered below the sequence (an import) never moves it back.
    let generator = Generator::new(7);
    let late = generator.organization(region("77"), 9);
    store.insert_new(records(&[late]).expect("valid")).await.expect("insert 9");
    assert_eq!(store.last_oid_number(2, 77).await.expect("last"), 9);
    let low = generator.organization(region("77"), 5);
    store.insert_new(records(&[low]).expect("valid")).await.expect("insert 5");
    assert_eq!(store.last_oid_number(2, 77).await.expect("last"), 9);
}

async fn a_failed_batch_leaves_nothing(backend: Backend) {
    let db = TestDb::new(backend).await;
    let store = with_orgs(&db, 2).await;
    let generator = Generator::new(7);
    // Number 2 exists already: the whole batch (3 is new) must be refused.
    let orgs: Vec<_> = (2..=3).map(|n| generator.organization(region("63"), n)).collect();
    assert!(store.insert_new(records(&orgs).expect("valid")).await.is_err());
    assert_eq!(store.count_organizations().await.expect("count"), 2);
    assert_eq!(store.last_oid_number(2, 63).await.expect("last"), 2);
}

async fn the_index_feed_follows_versions(backend: Backend) {
    let db = TestDb::new(backend).await;
    let store = with_orgs(&db, 4).await;
    let all = store.versions_after(0, 100).await.expect("feed");
    assert_eq!(all.len(), 4);
    assert!(all.windows(2).all(|w| w[0].version_id < w[1].version_id));
    let rest = store.versions_after(all[1].version_id, 100).await.expect("feed");
    assert_eq!(rest.len(), 2);
    assert_eq!(all[0].region, 63);
    assert!(!all[0].terms.is_empty());
}

async fn a_bulk_load_rebuilds_the_indexes_it_dropped(backend: Backend) {
    let db = TestDb::new(backend).await;
    let store = db.store().await;
    let columns = store.columns().await.expect("columns");
    let bulk = store.begin_bulk_load().await.expect("begin").expect("an empty register is bulk-loaded");
    let generator = Generator::new(7);
    let orgs: Vec<_> = (1..=3).map(|n| generator.organization(region("63"), n)).collect();
    store.insert_new(records(&orgs).expect("valid")).await.expect("insert");
    store.finish_bulk_load(bulk).await.expect("finish");
    assert_eq!(store.columns().await.expect("columns"), columns);
    if backend == Backend::Postgres {
        // The foreign keys the load dropped are back, checked.
        let (client, connection) = tokio_postgres::connect(&db.url, tokio_postgres::NoTls).await.expect("connect");
        tokio::spawn(connection);
        let keys: Vec<String> = client
            .query(
                "SELECT conname::text FROM pg_constraint WHERE conrelid = 'organization_versions'::regclass
                 AND contype = 'f' AND convalidated ORDER BY 1",
                &[],
            )
            .await
            .expect("constraints")
            .iter()
            .map(|r| r.get(0))
            .collect();
        assert_eq!(keys, ["organization_versions_oid_fkey", "organization_versions_previous_id_fkey"]);
    }
    assert_eq!(store.versions_with(Identifier::Inn, orgs[1].inn.as_str()).await.expect("by inn").len(), 1);
    assert!(store.begin_bulk_load().await.expect("begin").is_none(), "a register with data is not bulk-loaded");
    // The one-current-version rule is back in force.
    let first = store.card(orgs[0].oid.as_str(), None).await.expect("read").expect("current");
    let record = VersionRecord::new(&orgs[0], OffsetDateTime::now_utc()).expect("record");
    store.append_version(record.clone(), first.version_id, Vec::new()).await.expect("append");
    assert!(store.append_version(record, first.version_id, Vec::new()).await.is_err());
}

/// Migration 0013 turns the generated report dates into written columns: a register created before
/// it gets them filled from its cards, and new versions write them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn report_dates_written_before_0013_are_filled_from_the_cards() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("frmo.db");
    {
        let conn = rusqlite::Connection::open(&path).expect("open");
        conn.execute_batch("CREATE TABLE schema_migrations (version TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
            .expect("migrations table");
        for migration in frmo_store::SQLITE_MIGRATIONS.iter().take_while(|m| m.version < "0013") {
            conn.execute_batch(migration.sql).expect(migration.version);
            conn.execute(
                "INSERT INTO schema_migrations VALUES (?1, '2026-01-01T00:00:00.000000Z')",
                [migration.version],
            )
            .expect("record migration");
        }
        conn.execute_batch(
            r#"INSERT INTO organizations VALUES ('1.2.643.5.1.13.13.12.2.63.1', 2, 63, 1, '2026-01-01T00:00:00.000000Z');
               INSERT INTO organization_versions (oid, valid_from, name_short, name_full, inn, region, org_type,
                   agency_kind, status, address, search_terms, card)
               VALUES ('1.2.643.5.1.13.13.12.2.63.1', '2026-01-01T00:00:00.000000Z', 'a', 'b', '6317006620', 63, 1,
                   12, 'liquidated', '', '', '{"createDate":"1994-01-30","deleteDate":"2025-12-31"}');"#,
        )
        .expect("a version written before 0013");
    }
    let store = Store::open(&format!("sqlite://{}", path.display())).await.expect("open");
    let applied = store.migrate().await.expect("migrate");
    assert_eq!(applied.first().copied(), Some("0013_report_dates_written"), "{applied:?}");
    let conn = rusqlite::Connection::open(&path).expect("open");
    let dates: (String, String) = conn
        .query_row("SELECT create_date, delete_date FROM organization_versions", [], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("dates");
    assert_eq!(dates, ("1994-01-30".to_owned(), "2025-12-31".to_owned()));
    let plan: String = conn
        .query_row(
            "EXPLAIN QUERY PLAN SELECT count(*) FROM organization_versions WHERE valid_to IS NULL AND region = 63
             AND create_date <= '2026-01-01'",
            [],
            |r| r.get(3),
        )
        .expect("plan");
    assert!(plan.contains("organization_versions_report"), "{plan}");
    drop(conn);

    let org = Generator::new(7).organization(region("63"), 2);
    store.insert_new(records(std::slice::from_ref(&org)).expect("valid")).await.expect("insert");
    let conn = rusqlite::Connection::open(&path).expect("open");
    let written: (String, Option<String>) = conn
        .query_row(
            "SELECT create_date, delete_date FROM organization_versions WHERE oid = ?1",
            [org.oid.as_str()],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("new version's dates");
    assert_eq!(
        written,
        (frmo_domain::org::iso_date_text(org.create_date), org.delete_date.map(frmo_domain::org::iso_date_text))
    );
}

backend_tests!(
    a_bulk_load_rebuilds_the_indexes_it_dropped,
    migrations_are_idempotent,
    cards_are_effective_dated,
    identifiers_are_looked_up_exactly,
    oid_numbers_are_never_reused,
    a_failed_batch_leaves_nothing,
    the_index_feed_follows_versions,
    persons_are_split_per_employer_by_0014,
);

/// A register before 0014: one person (one СНИЛС) with cards in two organizations and a credential.
const WORKERS_BEFORE_0014: &str = "
    INSERT INTO organizations (oid, kind, region, number, created_at) VALUES
        ('1.2.643.5.1.13.13.12.2.63.1', 2, 63, 1, '2026-01-01T00:00:00Z'),
        ('1.2.643.5.1.13.13.12.2.63.2', 2, 63, 2, '2026-01-01T00:00:00Z');
    INSERT INTO persons (id, snils, last_name, first_name, sex, birth_date, citizenship, phone, details, search_name,
        updated_at) VALUES
        (7, '11223344595', 'Петрова', 'Анна', 2, '1985-04-12', 643, '+7 846 200-00-01', '{}', 'петрова анна', 1);
    INSERT INTO employment_cards (id, person_id, oid, department, position, position_type, rate, begin_date,
        updated_at) VALUES
        (1, 7, '1.2.643.5.1.13.13.12.2.63.1', 'Терапия', 42, 1, 100, '2020-09-01', 1),
        (2, 7, '1.2.643.5.1.13.13.12.2.63.2', 'Хирургия', 42, 2, 50, '2021-09-01', 1),
        (3, 7, '1.2.643.5.1.13.13.12.2.63.2', 'Приёмное', 42, 2, 25, '2022-09-01', 1);
    INSERT INTO worker_credentials (person_id, kind, specialty, number, issued_on, valid_until) VALUES
        (7, 4, 34, 'A-1', '2021-06-01', '2026-06-01');";

/// Migration 0014 gives each employer its own record of a person: a person employed by two
/// organizations is split in two (the first keeps the id, both keep the credential), the cards
/// follow their organization's record, and a new employer's record never touches the other's.
async fn persons_are_split_per_employer_by_0014(backend: Backend) {
    let db = TestDb::new(backend).await;
    let earlier = |migrations: &'static [frmo_store::Migration]| {
        migrations.iter().take_while(|m| m.version < "0014").map(|m| m.sql).collect::<Vec<_>>().join(";\n")
    };
    match backend {
        Backend::Sqlite => {
            let path = db.url.trim_start_matches("sqlite://");
            let conn = rusqlite::Connection::open(path).expect("open");
            conn.execute_batch(&earlier(frmo_store::SQLITE_MIGRATIONS)).expect("0001–0013");
            conn.execute_batch(WORKERS_BEFORE_0014).expect("workers");
            conn.execute_batch("CREATE TABLE schema_migrations (version TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
                .expect("migrations table");
            let done: Vec<&str> =
                frmo_store::SQLITE_MIGRATIONS.iter().map(|m| m.version).filter(|v| *v < "0014").collect();
            conn.execute(
                "INSERT INTO schema_migrations SELECT value, '2026-01-01' FROM json_each(?1)",
                [serde_json::to_string(&done).expect("json")],
            )
            .expect("record migrations");
        }
        Backend::Postgres => {
            let (client, connection) = tokio_postgres::connect(&db.url, tokio_postgres::NoTls).await.expect("connect");
            tokio::spawn(connection);
            client.batch_execute(&earlier(frmo_store::POSTGRES_MIGRATIONS)).await.expect("0001–0013");
            client.batch_execute(WORKERS_BEFORE_0014).await.expect("workers");
            client
                .batch_execute("CREATE TABLE schema_migrations (version TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
                .await
                .expect("migrations table");
            for m in frmo_store::POSTGRES_MIGRATIONS.iter().filter(|m| m.version < "0014") {
                client
                    .execute("INSERT INTO schema_migrations VALUES ($1, '2026-01-01')", &[&m.version])
                    .await
                    .expect("record migration");
            }
        }
    }
    let store = Store::open(&db.url).await.expect("open");
    assert_eq!(store.migrate().await.expect("migrate")[0], "0014_person_per_employer");
    let (first, second) = ("1.2.643.5.1.13.13.12.2.63.1", "1.2.643.5.1.13.13.12.2.63.2");
    let ours = store.persons_of(first).await.expect("persons");
    let theirs = store.persons_of(second).await.expect("persons");
    assert_eq!((ours.len(), theirs.len()), (1, 1));
    assert_eq!(ours[0].id, 7, "the first employer keeps the row");
    assert_ne!(theirs[0].id, 7);
    assert_eq!((theirs[0].snils.as_str(), theirs[0].phone.as_deref()), ("11223344595", Some("+7 846 200-00-01")));
    let cards = store.cards_of(second).await.expect("cards");
    assert_eq!(cards.len(), 2);
    assert!(cards.iter().all(|c| c.person_id == theirs[0].id));
    assert!(store.cards_of(first).await.expect("cards").iter().all(|c| c.person_id == 7));
    assert_eq!(store.credentials_of(first).await.expect("credentials").len(), 1);
    let copied = store.credentials_of(second).await.expect("credentials");
    assert_eq!((copied.len(), copied[0].person_id, copied[0].number.as_str()), (1, theirs[0].id, "A-1"));
    assert_eq!(store.persons_with_snils("11223344595").await.expect("by snils").len(), 2);

    // A write by the second employer changes only its record.
    let write = frmo_store::workers::PersonWrite {
        snils: "11223344595",
        oid: second,
        last_name: "Подменная",
        first_name: "Анна",
        patronymic: None,
        sex: 2,
        birth_date: "1985-04-12",
        citizenship: 643,
        phone: Some("+7 999 000-00-00"),
        email: None,
        document: None,
        details: "{}",
        search_name: "подменная анна",
    };
    store.transact(vec![frmo_store::workers::upsert_person(&write, 2)]).await.expect("write");
    assert_eq!(store.persons_of(first).await.expect("persons")[0].last_name, "Петрова");
    assert_eq!(store.persons_of(second).await.expect("persons")[0].last_name, "Подменная");
}
