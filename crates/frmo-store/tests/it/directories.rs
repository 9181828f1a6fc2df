//! Installed directories on both backends: an install is one transaction with its journal entry,
//! a re-install replaces the directory, and a person's details changed meanwhile roll it all back.

use frmo_store::StoreError;
use frmo_store::audit::AuditEntry;
use frmo_store::backend_tests;
use frmo_store::directories::{CodeColumn, DetailsRewrite, InstalledDirectory};
use frmo_store::testing::{Backend, TestDb};

fn directory(version: &str) -> InstalledDirectory {
    InstalledDirectory {
        id: "positions".into(),
        oid: "1.2.643.5.1.13.13.11.1002".into(),
        name: "Должности медицинских и фармацевтических работников".into(),
        version: version.into(),
        source: "НСИ".into(),
        entries: r#"[{"id":109,"name":"Врач-терапевт"}]"#.into(),
        installed_at: 1_790_000_000,
    }
}

fn journal_entry() -> AuditEntry {
    AuditEntry {
        at: 1_790_000_000,
        user_id: None,
        actor: "система".into(),
        kind: "directory_import".into(),
        target: "1.2.643.5.1.13.13.11.1002".into(),
        detail: "{}".into(),
        request_id: "-".into(),
    }
}

async fn an_install_is_all_or_nothing_with_its_journal_entry(backend: Backend) {
    let db = TestDb::new(backend).await;
    let store = db.store().await;
    let columns = [CodeColumn::EmploymentPosition, CodeColumn::StaffingPosition];
    // A person's details that no longer read as expected (here: no such person) undo everything.
    let stale = DetailsRewrite { person_id: 999, before: "{}".into(), after: "{}".into() };
    let result =
        store.install_directory(&directory("9.12"), &columns, &[(4, 109)], vec![stale.into()], journal_entry()).await;
    assert!(matches!(result, Err(StoreError::Conflict(_))), "{result:?}");
    assert!(store.installed_directories().await.expect("installed").is_empty());
    assert!(store.audit_of_target("1.2.643.5.1.13.13.11.1002", 10).await.expect("journal").is_empty());

    store
        .install_directory(&directory("9.12"), &columns, &[(4, 109)], Vec::new(), journal_entry())
        .await
        .expect("install");
    store.install_directory(&directory("9.13"), &columns, &[], Vec::new(), journal_entry()).await.expect("again");
    let installed = store.installed_directories().await.expect("installed");
    assert_eq!(installed, [directory("9.13")], "a re-install replaces the directory");
    assert_eq!(store.audit_of_target("1.2.643.5.1.13.13.11.1002", 10).await.expect("journal").len(), 2);
}

backend_tests!(an_install_is_all_or_nothing_with_its_journal_entry);
