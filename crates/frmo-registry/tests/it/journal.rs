//! What the registry writes to the audit journal: a change with its fields before and after, by
//! whom and in answer to which request, in the same transaction as the change; sign-ins and
//! denials; and the CSV export auditors get.

use frmo_domain::access::{Action, Actor, Target};
use frmo_domain::calendar::ProductionCalendar;
use frmo_domain::org::Contacts;
use frmo_registry::Caller;
use frmo_registry::moderation::journal::Verdict;
use frmo_registry::moderation::requests::{Moderation, Proposal};
use frmo_testkit::{Backend, backend_tests};

use super::identity::{consenting, esia_sign_in};
use super::{REAVIZ, REAVIZ_OID, demo};

async fn a_change_is_journaled_with_its_fields_and_its_author(backend: Backend) {
    let (_db, registry) = demo(backend, 0).await;
    // Contacts change directly here (the default policy sends them to an operator).
    let direct = vec!["contacts".to_owned()];
    let moderation = Moderation::new(&direct, 5, ProductionCalendar::default()).expect("policy");
    let registry = registry.with_moderation(moderation);
    let new = registry.sign_in(esia_sign_in("1000299654", true, true)).await.expect("sign in");
    let actor = consenting(&registry, &new).await;

    let card = registry.card(&Actor::Anonymous, &REAVIZ, None).await.expect("card");
    let before = card.organization.contacts.phone.clone();
    let contacts = Contacts { phone: Some("+7 846 333-54-51".into()), ..card.organization.contacts.clone() };
    let proposal = registry
        .edit_contacts(&actor.with_request_id("req-edit"), &REAVIZ, contacts, card.row.version_id, "новый номер")
        .await;
    assert!(matches!(proposal, Ok(Proposal::Applied { .. })), "{proposal:?}");

    let history = registry.journal_of(REAVIZ_OID, 10).await.expect("history");
    let change = history.iter().find(|r| r.kind == "change").expect("the change is journaled");
    assert_eq!(change.request_id, "req-edit");
    assert_eq!(change.actor, "Иванова Мария Петровна (esia 1000299654)");
    let detail: serde_json::Value = serde_json::from_str(&change.detail).expect("JSON");
    let fields = detail["fields"].as_array().expect("fields");
    let phone = fields.iter().find(|f| f["field"] == "contacts").expect("contacts changed");
    assert_eq!(phone["before"]["phone"].as_str(), before.as_deref());
    assert_eq!(phone["after"]["phone"], "+7 846 333-54-51");
    assert_eq!(detail["editedVersion"], card.row.version_id);
    assert_eq!(detail["reason"], "новый номер");

    // A refused change is journaled as a denial, and changes nothing.
    let refused = registry
        .authorize(
            &Caller::anonymous("r-9"),
            Action::EditOrganization,
            Target::Organization { oid: REAVIZ_OID, region: 63 },
        )
        .await;
    assert!(refused.is_err());
    let denial = registry.store().audit_of_kind("denial", 1).await.expect("denials");
    assert_eq!((denial[0].entry.request_id.as_str(), denial[0].entry.actor.as_str()), ("r-9", "аноним"));

    let kinds: Vec<String> =
        registry.store().audit_after(0, 100).await.expect("all").into_iter().map(|r| r.entry.kind).collect();
    assert_eq!(kinds, ["sign_in", "consent", "change", "denial"]);
    assert!(matches!(registry.verify_journal().await.expect("verify"), Verdict::Intact { entries: 4, .. }));
}

async fn auditors_export_the_journal_as_csv_and_the_export_is_journaled(backend: Backend) {
    let (_db, registry) = demo(backend, 0).await;
    let auditor = registry
        .add_local_user(
            &Actor::System,
            &frmo_registry::identity::local::NewLocalUser {
                login: "auditor",
                name: "Аудитор",
                email: None,
                password: "пароль-аудитора-01",
                role: Some(frmo_domain::access::FederalRole::Auditor),
                regions: &[],
            },
        )
        .await
        .expect("auditor");
    let session = registry.start_session(auditor, "local", "{}").await.expect("session");
    let actor = registry.session(&session.token).await.expect("lookup").expect("session").actor();
    registry.begin_journal_export(&Caller::new(actor, "req-export")).await.expect("auditors may export");
    let (sink, mut pages) = tokio::sync::mpsc::channel(4);
    registry.export_journal(sink).await;
    let mut csv = String::new();
    while let Some(page) = pages.recv().await {
        csv.push_str(&page.expect("page"));
    }
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "id;at;user_id;actor;kind;target;detail;request_id;prev_hash;hash");
    assert_eq!(lines.len(), 4, "account, sign-in, export: {csv}");
    assert!(lines[3].contains(";export;audit_journal;") && lines[3].contains("req-export"), "{}", lines[3]);
    // A JSON detail with `"` is quoted as RFC 4180 says.
    assert!(lines[1].contains(r#";"{""created"":""auditor"""#), "{}", lines[1]);

    let member = Caller::new(Actor::User(frmo_domain::access::Principal { user_id: 999, ..Default::default() }), "t");
    assert!(registry.begin_journal_export(&member).await.is_err(), "others may not");
}

backend_tests!(
    a_change_is_journaled_with_its_fields_and_its_author,
    auditors_export_the_journal_as_csv_and_the_export_is_journaled
);
