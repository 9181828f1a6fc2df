//! Installing a real НСИ directory download over a shipped one, on both backends: stored codes
//! move to the new numbers in one transaction and every worker keeps the same position; the
//! installed directory survives a restart; a bad download changes nothing and says why.

use frmo_domain::access::Actor;
use frmo_domain::reference;
use frmo_registry::register::directories::DirectoryImport;
use frmo_registry::workers::{DetailForm, WorkerFilter};
use frmo_registry::{Caller, Registry, RegistryError};
use frmo_testkit::{Backend, backend_tests};
use serde_json::json;

use super::workers::{form, member};
use super::{REAVIZ, demo};

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
async fn positions_shown(registry: &Registry, chief: &Caller) -> (Vec<(u32, String)>, Vec<(u32, String)>) {
    let page = registry.workers(chief, &REAVIZ, &WorkerFilter::default()).await.expect("list");
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
    registry.add_worker(&chief, &REAVIZ, &form(1, "Терапия", 42, "1")).await.expect("nurse");
    registry.add_worker(&chief, &REAVIZ, &form(2, "Терапия", 4, "1")).await.expect("doctor");
    registry.set_staffing(&chief, &REAVIZ, "Терапия", "42", "2").await.expect("staffing");
    registry.set_staffing(&chief, &REAVIZ, "Терапия", "4", "1").await.expect("staffing");
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
    let entry = journal.iter().find(|r| r.kind == "directory_import").expect("journaled");
    assert!(entry.detail.contains("\"old\":4") && entry.detail.contains("\"new\":109"), "{}", entry.detail);

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

/// A download of a shipped directory with `renumber` applied (others keep their codes), each entry
/// spelled with a capital first letter as НСИ does; in the passport's `{"records"}` shape.
fn records(directory: &str, renumber: &[(u32, u32)]) -> Vec<u8> {
    let shipped = reference::shipped(directory).expect("directory");
    let rows: Vec<_> = shipped
        .entries
        .iter()
        .map(|e| {
            let new = |code: u32| renumber.iter().find(|(old, _)| *old == code).map_or(code, |&(_, new)| new);
            let mut name = e.name.chars();
            let name: String = name.next().map(|c| c.to_uppercase().chain(name).collect()).unwrap_or_default();
            json!({"ID": new(e.id), "S_NAME": name, "PARENT": e.parent_id.map(new)})
        })
        .collect();
    json!({ "records": rows }).to_string().into_bytes()
}

/// (credentials, qualifications) as the worker's page shows them, lower case.
async fn worker_shown(registry: &Registry, chief: &Caller, person_id: i64) -> (Vec<String>, Vec<String>) {
    let view = registry.worker(chief, &REAVIZ, person_id).await.expect("worker");
    let credentials =
        view.credentials.iter().map(|c| format!("{} {} {}", c.kind, c.specialty, c.number).to_lowercase());
    (credentials.collect(), view.qualifications.iter().map(|q| q.to_lowercase()).collect())
}

/// Specialties live in credentials (a column) and in qualifications (persons' JSON); categories in
/// qualifications only: both move to the new numbers and the worker's page reads the same.
async fn specialties_and_categories_are_renumbered_in_credentials_and_qualifications(backend: Backend) {
    let (_db, registry) = demo(backend, 0).await;
    let chief = member(&registry, "1000299654", true).await;
    let mut nurse = form(1, "Терапия", 42, "1");
    nurse.specialty = "34".into();
    nurse.credential_kind = "4".into();
    nurse.credential_number = "7724 031234567".into();
    nurse.credential_issued_on = "2021-06-01".into();
    nurse.credential_valid_until = "2026-06-01".into();
    let id = registry.add_worker(&chief, &REAVIZ, &nurse).await.expect("nurse");
    let category = DetailForm {
        kind: "qualification".into(),
        code: "3".into(),
        specialty: "2".into(),
        date: "2022-01-10".into(),
        valid_until: "2027-01-10".into(),
        ..DetailForm::default()
    };
    registry.add_worker_detail(&chief, &REAVIZ, id, &category).await.expect("category");
    let before = worker_shown(&registry, &chief, id).await;
    assert_eq!(before.0, ["периодическая аккредитация сестринское дело 7724 031234567"]);
    assert!(before.1[0].starts_with("высшая категория по специальности «терапия»"), "{:?}", before.1);

    // Specialties: 34 → 2 and 2 → 27 (a number in use moves onto another in use), the rest + 100.
    let mut renumber: Vec<(u32, u32)> =
        reference::shipped("specialties").expect("specialties").entries.iter().map(|e| (e.id, e.id + 100)).collect();
    renumber.retain(|(old, _)| *old != 34 && *old != 2);
    renumber.extend([(34, 2), (2, 27)]);
    let import = |directory: &str, oid: &str, bytes: Vec<u8>| DirectoryImport {
        bytes,
        file_name: format!("{oid}_5.4_json.json"),
        directory: Some(directory.into()),
        ..DirectoryImport::default()
    };
    let report = registry
        .import_directory(
            &Actor::System,
            import("specialties", "1.2.643.5.1.13.13.11.1066", records("specialties", &renumber)),
        )
        .await
        .expect("specialties");
    let mut moved: Vec<(u32, u32)> = report.remapped.iter().map(|(o, n, _)| (*o, *n)).collect();
    moved.sort_unstable();
    assert_eq!(moved, [(2, 27), (34, 2)]);
    assert_eq!(worker_shown(&registry, &chief, id).await, before);
    let by_specialty = WorkerFilter { specialty: Some(2), ..WorkerFilter::default() };
    assert_eq!(registry.workers(&chief, &REAVIZ, &by_specialty).await.expect("list").lines.len(), 1);

    // Categories: высшая 3 → 1, вторая 1 → 3.
    let report = registry
        .import_directory(
            &Actor::System,
            import(
                "qualification_categories",
                "1.2.643.5.1.13.13.11.1494",
                records("qualification_categories", &[(3, 1), (1, 3)]),
            ),
        )
        .await
        .expect("categories");
    assert_eq!(report.remapped, [(3, 1, "высшая".to_owned())], "only the category in use moves");
    assert_eq!(worker_shown(&registry, &chief, id).await, before);
    assert_eq!(reference::get("qualification_categories").and_then(|d| d.name_of(1)), Some("Высшая"));
    reference::uninstall_all();
}

/// What the codes of the card directories in a card (or an object keyed like one) mean: their names.
fn meaning(card: &serde_json::Value) -> Vec<String> {
    let name = |directory: &str, code: &serde_json::Value| {
        let code = code.as_u64().and_then(|c| u32::try_from(c).ok());
        let name = code.and_then(|c| reference::get(directory).and_then(|d| d.name_of(c)));
        format!("{directory}: {}", name.unwrap_or("—").to_lowercase())
    };
    let mut names = vec![
        name("organization_types", &card["organizationTypeId"]),
        name("agency_kinds", &card["moAgencyKindId"]),
        name("levels", &card["moLevelId"]),
    ];
    for department in card["departments"].as_array().into_iter().flatten() {
        names.push(name("department_types", &department["departTypeId"]));
        for subdivision in department["hospitalSubdivisions"].as_array().into_iter().flatten() {
            for beds in subdivision["beds"].as_array().into_iter().flatten() {
                names.push(name("bed_profiles", &beds["bedProfileId"]));
            }
        }
    }
    names
}

/// The meaning of every version of every card, and of every request's proposal and changes.
async fn meanings(db: &frmo_testkit::TestDb) -> Vec<Vec<String>> {
    let store = db.store().await;
    let mut all: Vec<Vec<String>> = Vec::new();
    for (_, card) in store.all_cards().await.expect("cards") {
        all.push(meaning(&serde_json::from_str(&card).expect("card")));
    }
    for (_, proposed, changes) in store.all_request_cards().await.expect("requests") {
        all.push(meaning(&serde_json::from_str(&proposed).expect("proposed")));
        let changes: Vec<serde_json::Value> = serde_json::from_str(&changes).expect("changes");
        for change in changes {
            let field = change["field"].as_str().expect("field").to_owned();
            all.push(meaning(&json!({ field.clone(): change["before"] })));
            all.push(meaning(&json!({ field: change["after"] })));
        }
    }
    all
}

/// OIDs the public search finds with organization type `code`.
async fn of_type(registry: &Registry, code: u32) -> Vec<String> {
    let params = frmo_registry::SearchParams {
        org_type: Some(code.to_string()),
        limit: Some("100".into()),
        ..frmo_registry::SearchParams::default()
    };
    let page = registry.search(&Actor::Anonymous, &params.parse().expect("query")).await.expect("search");
    // The rows say the type the search found them by: none is kept from before a re-numbering.
    assert!(page.items.iter().all(|i| i.org_type == code), "{:?}", page.items);
    let mut oids: Vec<String> = page.items.into_iter().map(|i| i.oid).collect();
    oids.sort();
    oids
}

/// Directories whose codes live inside organization cards (types, kinds, levels, department types,
/// bed profiles …) are re-numbered in every version of every card and in pending requests: every
/// card means what it meant, the search finds by the new codes, and the entrepreneur rule follows
/// the name, not the number.
async fn directories_stored_inside_cards_are_renumbered_and_cards_keep_their_meaning(backend: Backend) {
    let (db, registry) = demo(backend, 20).await;
    // Another process on the same database, started before the import, has read and searched.
    let other = Registry::open(db.store().await).await.expect("another process");
    for process in [&registry, &other] {
        process.install_directories().await.expect("at start");
    }
    // A pending request whose proposal and changes carry a type code.
    let chief = member(&registry, "1000299654", true).await;
    let card = registry.card(&Actor::Anonymous, &REAVIZ, None).await.expect("card");
    let mut proposed = card.organization.clone();
    proposed.organization_type_id = if proposed.organization_type_id == 3 { 1 } else { 3 };
    registry.propose_change(&chief, proposed, card.row.version_id, "смена формы", true).await.expect("propose");
    let before = meanings(&db).await;
    let (state_owned, private) = (of_type(&registry, 1).await, of_type(&registry, 3).await);
    assert_eq!((of_type(&other, 1).await, of_type(&other, 3).await), (state_owned.clone(), private.clone()));
    other.card(&Actor::Anonymous, &REAVIZ, None).await.expect("kept by the other process");
    assert!(!state_owned.is_empty() || !private.is_empty(), "the demo has organizations of types 1 and 3");

    // No НСИ OID is known for the ФРМО directories: the file's name must carry one (a placeholder here).
    let download = |directory: &str, renumber: &[(u32, u32)], file_name: &str| DirectoryImport {
        bytes: records(directory, renumber),
        file_name: file_name.into(),
        directory: Some(directory.into()),
        ..DirectoryImport::default()
    };
    let unnamed = registry.import_directory(&Actor::System, download("levels", &[], "levels.json")).await;
    assert!(matches!(&unnamed, Err(RegistryError::Invalid(e)) if e[0].message.contains("OID")), "{unnamed:?}");

    // Types: 1 ↔ 3 and ИП 4 → 40; agency kinds and bed profiles: every code + 100.
    let shifted = |directory: &str| -> Vec<(u32, u32)> {
        reference::shipped(directory).expect("directory").entries.iter().map(|e| (e.id, e.id + 100)).collect()
    };
    let report = registry
        .import_directory(
            &Actor::System,
            download("organization_types", &[(1, 3), (3, 1), (4, 40)], "1.2.643.0.1_2.0.json"),
        )
        .await
        .expect("types");
    assert!(report.remapped.iter().any(|(o, n, _)| (*o, *n) == (1, 3)), "{:?}", report.remapped);
    for (directory, oid) in [("agency_kinds", "1.2.643.0.2"), ("bed_profiles", "1.2.643.0.3")] {
        let report = registry
            .import_directory(&Actor::System, download(directory, &shifted(directory), &format!("{oid}_2.0.json")))
            .await
            .expect(directory);
        assert!(!report.remapped.is_empty(), "{directory}: codes in use move");
    }
    assert_eq!(meanings(&db).await, before, "every card and request means what it meant");
    assert_eq!((of_type(&registry, 3).await, of_type(&registry, 1).await), (state_owned, private));
    assert!(frmo_domain::org::is_entrepreneur_type(40) && !frmo_domain::org::is_entrepreneur_type(4));
    let after = registry.card(&Actor::Anonymous, &REAVIZ, None).await.expect("card").organization;
    assert_eq!(after.mo_agency_kind_id, card.organization.mo_agency_kind_id + 100);
    assert_eq!(after.validate(), Ok(()), "the card stays valid under the installed directories");
    // The importer has taken up its own imports; the other process takes them up when it follows.
    assert!(!registry.follow_directories().await.expect("follow"), "nothing new for the importer");
    assert!(other.follow_directories().await.expect("follow"), "the other process sees the imports");
    assert!(!other.follow_directories().await.expect("follow"), "and then nothing new");
    assert_eq!(
        (of_type(&other, 3).await, of_type(&other, 1).await),
        (of_type(&registry, 3).await, of_type(&registry, 1).await)
    );
    let theirs = other.card(&Actor::Anonymous, &REAVIZ, None).await.expect("card").organization;
    assert_eq!(theirs.mo_agency_kind_id, after.mo_agency_kind_id);
    reference::uninstall_all();
}

backend_tests!(
    an_installed_directory_renumbers_stored_codes_and_workers_keep_their_positions,
    specialties_and_categories_are_renumbered_in_credentials_and_qualifications,
    directories_stored_inside_cards_are_renumbered_and_cards_keep_their_meaning,
);
