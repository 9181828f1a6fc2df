//! The audit journal on both backends: append-only by the database's own triggers, one chain even
//! with several writers, and `verify` names the first entry that was edited, deleted or moved.

use frmo_store::Store;
use frmo_store::audit::{AuditEntry, Verdict};
use frmo_store::backend_tests;
use frmo_store::testing::{Backend, TestDb};

fn entry(n: usize) -> AuditEntry {
    AuditEntry {
        at: 1_790_000_000 + n as i64,
        user_id: Some(n as i64),
        actor: format!("Пользователь {n} (esia 100{n})"),
        kind: "change".into(),
        target: "1.2.643.5.1.13.13.12.2.63.1".into(),
        detail: format!(r#"{{"fields":[{{"field":"phone","before":"{n}","after":"{}"}}]}}"#, n + 1),
        request_id: format!("req-{n}"),
    }
}

async fn append(store: &Store, range: std::ops::Range<usize>) {
    for n in range {
        store.append_audit(vec![entry(n)]).await.expect("append");
    }
}

/// Runs SQL behind the journal's back, as someone with the database's password could.
async fn tamper(backend: Backend, store: &Store, sql: &'static str) {
    let unlock: &'static str = match backend {
        Backend::Sqlite => "DROP TRIGGER IF EXISTS audit_journal_no_update",
        Backend::Postgres => "ALTER TABLE audit_journal DISABLE TRIGGER USER",
    };
    let unlock_delete: &'static str = match backend {
        Backend::Sqlite => "DROP TRIGGER IF EXISTS audit_journal_no_delete",
        Backend::Postgres => "SELECT 1",
    };
    store.transact(vec![(unlock, vec![]), (unlock_delete, vec![]), (sql, vec![])]).await.expect("tamper");
}

async fn broken_at(store: &Store) -> i64 {
    match store.verify_audit().await.expect("verify") {
        Verdict::Broken { id, .. } => id,
        intact => panic!("tampering went unnoticed: {intact:?}"),
    }
}

async fn the_database_refuses_to_edit_or_delete_entries(backend: Backend) {
    let db = TestDb::new(backend).await;
    let store = db.store().await;
    append(&store, 0..3).await;
    for sql in
        ["UPDATE audit_journal SET actor = 'кто-то другой' WHERE id = 2", "DELETE FROM audit_journal WHERE id = 3"]
    {
        let refused = store.transact(vec![(sql, vec![])]).await.expect_err(sql);
        assert!(refused.to_string().contains("только дополняется"), "{sql}: {refused}");
    }
    if backend == Backend::Postgres {
        let refused = store.transact(vec![("TRUNCATE audit_journal", vec![])]).await.expect_err("truncate");
        assert!(refused.to_string().contains("только дополняется"), "{refused}");
    }
    match store.verify_audit().await.expect("verify") {
        Verdict::Intact { entries, head } => {
            assert_eq!(entries, 3);
            assert_eq!(head.0, 3);
        }
        broken => panic!("{broken:?}"),
    }
}

async fn verify_names_the_first_edited_deleted_or_moved_entry(backend: Backend) {
    for (sql, first_bad) in [
        // an edited field
        ("UPDATE audit_journal SET detail = replace(detail, '\"after\":\"6\"', '\"after\":\"7\"') WHERE id = 5", 5),
        // a forged hash
        (
            "UPDATE audit_journal SET hash = '0000000000000000000000000000000000000000000000000000000000000001' WHERE id = 4",
            4,
        ),
        // a deleted entry in the middle
        ("DELETE FROM audit_journal WHERE id = 6", 6),
        // two entries swapped (their contents moved, numbers kept)
        (
            "UPDATE audit_journal SET user_id = CASE id WHEN 3 THEN 4 ELSE 3 END,
                 request_id = CASE id WHEN 3 THEN 'req-4' ELSE 'req-3' END WHERE id IN (3, 4)",
            3,
        ),
    ] {
        let db = TestDb::new(backend).await;
        let store = db.store().await;
        append(&store, 1..10).await;
        tamper(backend, &store, sql).await;
        assert_eq!(broken_at(&store).await, first_bad, "{sql}");
    }
}

async fn several_writers_make_one_chain(backend: Backend) {
    let db = TestDb::new(backend).await;
    let first = db.store().await;
    // A second store on the same database: another process.
    let second = Store::open(&db.url).await.expect("second store");
    let (a, b) = tokio::join!(append(&first, 0..60), append(&second, 100..160));
    let ((), ()) = (a, b);
    match first.verify_audit().await.expect("verify") {
        Verdict::Intact { entries, .. } => assert_eq!(entries, 120),
        broken => panic!("{broken:?}"),
    }
}

backend_tests!(
    the_database_refuses_to_edit_or_delete_entries,
    verify_names_the_first_edited_deleted_or_moved_entry,
    several_writers_make_one_chain,
);
