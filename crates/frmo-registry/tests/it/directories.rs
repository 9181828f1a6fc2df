//! Installing a real НСИ directory download over a shipped one, on both backends: stored codes
//! move to the new numbers in one transaction and every worker keeps the same position; the
//! installed directory survives a restart; a bad download changes nothing and says why.

use frmo_domain::access::Actor;
use frmo_domain::reference;
use frmo_registry::directories::DirectoryImport;
use frmo_registry::workers::WorkerFilter;
use frmo_registry::{Registry, RegistryError};
use frmo_testkit::{Backend, backend_tests};
use serde_json::json;

use super::workers::{form, member};
use super::{REAVIZ_OID, demo};

const POSITIONS_OID: &str = "1.2.643.5.1.13.13.11.1002";

/// The shipped positions renumbered as НСИ's REST answer: врач-терапевт 4 → 109, медицинская сестра
/// 42 → 4 (onto a number in use: a permutation), the others + 200; names spelled as НСИ does.
fn renumbered_positions(drop_name: Option<&str>) -> Vec<u8> {
    let shipped = reference::shipped("positions").expect("positions");
    let rows: Vec<_> = shipped
        .entries
        .iter()
        .filter(|e| Some(e.name.as_str()) != drop_name)
        .map(|e| {
            let (id, name) = match e.id {
                4 => (109, "Врач-терапевт".to_owned()),
                42 => (4, "Медицинская сестра".to_owned()),
                id => (id + 200, e.name.clone()),
            };
            json!([{"column": "ID", "value": id.to_string()}, {"column": "NAME", "value": name}, {"column": "PID", "value": ""}])
        })
        .collect();
    json!({"result": "OK", "total": rows.len(), "list": rows}).to_string().into_bytes()
}

fn import(bytes: Vec<u8>) -> DirectoryImport {
    DirectoryImport { bytes, file_name: format!("{POSITIONS_OID}_9.12_json.json"), ..DirectoryImport::default() }
}

/// (position code, position name) of every card and staffing line of the organization.
async fn positions_shown(registry: &Registry, chief: &Actor) -> (Vec<(u32, String)>, Vec<(u32, String)>) {
    let page = registry.workers(chief, REAVIZ_OID, &WorkerFilter::default(), "t").await.expect("list");
    // Names compare as НСИ may capitalise them.
    let mut cards: Vec<_> = page.lines.iter().map(|l| (l.position, l.position_name.to_lowercase())).collect();
    let mut staffing: Vec<_> = page.staffing.iter().map(|s| (s.position, s.position_name.to_lowercase())).collect();
    cards.sort();
    staffing.sort();
    (cards, staffing)
}

async fn an_installed_directory_renumbers_stored_codes_and_workers_keep_their_positions(backend: Backend) {
    let (db, registry) = demo(backend, 0).await;
    let chief = member(&registry, "1000299654", true).await;
    registry.add_worker(&chief, REAVIZ_OID, &form(1, "Терапия", 42, "1"), "t").await.expect("nurse");
    registry.add_worker(&chief, REAVIZ_OID, &form(2, "Терапия", 4, "1"), "t").await.expect("doctor");
    registry.set_staffing(&chief, REAVIZ_OID, "Терапия", "42", "2", "t").await.expect("staffing");
    registry.set_staffing(&chief, REAVIZ_OID, "Терапия", "4", "1", "t").await.expect("staffing");
    let (cards, staffing) = positions_shown(&registry, &chief).await;
    assert_eq!(cards, [(4, "врач-терапевт".to_owned()), (42, "медицинская сестра".to_owned())]);
    assert_eq!(staffing, cards);

    // Bad downloads change nothing and say why.
    let refused = |result: Result<_, RegistryError>| match result {
        Err(RegistryError::Invalid(errors)) => errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "),
        other => panic!("expected a refusal, got {other:?}"),
    };
    let lacking = refused(
        registry.import_directory(&Actor::System, import(renumbered_positions(Some("медицинская сестра")))).await,
    );
    assert!(lacking.contains("42 «медицинская сестра»"), "{lacking}");
    let duplicate = br#"{"list": [[{"column": "ID", "value": "1"}, {"column": "NAME", "value": "a"}], [{"column": "ID", "value": "1"}, {"column": "NAME", "value": "b"}]]}"#;
    assert!(
        refused(registry.import_directory(&Actor::System, import(duplicate.to_vec())).await)
            .contains("код 1 повторяется")
    );
    let unversioned = DirectoryImport {
        file_name: "positions.json".into(),
        directory: Some("positions".into()),
        ..import(renumbered_positions(None))
    };
    assert!(refused(registry.import_directory(&Actor::System, unversioned).await).contains("Версия"));
    assert!(
        registry.import_directory(&Actor::Anonymous, import(renumbered_positions(None))).await.is_err(),
        "only the deployment installs directories"
    );
    assert_eq!(positions_shown(&registry, &chief).await, (cards.clone(), staffing.clone()));
    assert!(reference::get("positions").expect("positions").is_local());

    let report = registry.import_directory(&Actor::System, import(renumbered_positions(None))).await.expect("import");
    assert_eq!((report.directory, report.oid.as_str(), report.version.as_str()), ("positions", POSITIONS_OID, "9.12"));
    let mut moved: Vec<(u32, u32)> = report.remapped.iter().map(|(o, n, _)| (*o, *n)).collect();
    moved.sort_unstable();
    assert_eq!(moved, [(4, 109), (42, 4)], "only codes in use are moved");
    let renumbered = [(4, "медицинская сестра".to_owned()), (109, "врач-терапевт".to_owned())];
    assert_eq!(positions_shown(&registry, &chief).await, (renumbered.to_vec(), renumbered.to_vec()));
    let positions = reference::get("positions").expect("positions");
    assert!(!positions.is_local());
    assert_eq!((positions.oid.as_deref(), positions.name_of(109)), (Some(POSITIONS_OID), Some("Врач-терапевт")));
    let journal = registry.journal_of(POSITIONS_OID, 10).await.expect("journal");
    let entry = journal.iter().find(|r| r.entry.kind == "directory_import").expect("journaled");
    assert!(
        entry.entry.detail.contains("\"old\":4") && entry.entry.detail.contains("\"new\":109"),
        "{}",
        entry.entry.detail
    );

    // A restart: the shipped directory first, then the installed one from the database.
    reference::uninstall_all();
    assert_eq!(reference::get("positions").and_then(|d| d.name_of(4)), Some("врач-терапевт"));
    let restarted = Registry::open(db.store().await).await.expect("open");
    assert_eq!(restarted.install_directories().await.expect("install"), 1);
    let positions = reference::get("positions").expect("positions");
    assert_eq!((positions.version.as_str(), positions.name_of(4)), ("9.12", Some("Медицинская сестра")));
    assert_eq!(positions_shown(&restarted, &chief).await, (renumbered.to_vec(), renumbered.to_vec()));
    reference::uninstall_all();
}

/// Directories whose codes live inside JSON documents (persons' qualifications, organization
/// cards) keep every code's number on import: a download that would move one is refused.
async fn a_directory_stored_inside_documents_is_not_renumbered(backend: Backend) {
    let (_db, registry) = demo(backend, 0).await;
    let categories =
        r#"{"records": [{"ID": 1, "S_NAME": "вторая"}, {"ID": 3, "S_NAME": "первая"}, {"ID": 2, "S_NAME": "высшая"}]}"#;
    let download = |bytes: &str| DirectoryImport {
        bytes: bytes.as_bytes().to_vec(),
        file_name: "1.2.643.5.1.13.13.11.1494_2.1.json".into(),
        ..DirectoryImport::default()
    };
    let result = registry.import_directory(&Actor::System, download(categories)).await;
    assert!(matches!(&result, Err(RegistryError::Invalid(e)) if e[0].message.contains("2→3")), "{result:?}");
    assert!(reference::get("qualification_categories").expect("categories").is_local(), "nothing installed");
    // The same numbers install.
    let same =
        r#"{"records": [{"ID": 1, "S_NAME": "Вторая"}, {"ID": 2, "S_NAME": "Первая"}, {"ID": 3, "S_NAME": "Высшая"}]}"#;
    let report = registry.import_directory(&Actor::System, download(same)).await.expect("import");
    assert_eq!(
        (report.directory, report.version.as_str(), report.remapped.len()),
        ("qualification_categories", "2.1", 0)
    );
    let categories = reference::get("qualification_categories").expect("categories");
    assert_eq!((categories.oid.as_deref(), categories.name_of(3)), (Some("1.2.643.5.1.13.13.11.1494"), Some("Высшая")));
    reference::uninstall_all();
}

backend_tests!(
    an_installed_directory_renumbers_stored_codes_and_workers_keep_their_positions,
    a_directory_stored_inside_documents_is_not_renumbered,
);
