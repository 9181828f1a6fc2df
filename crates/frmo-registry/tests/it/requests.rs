//! Change requests on both backends: what is moderated and what applies at once, deadlines in
//! business days, the operator's decisions (one wins when two decide at once), return and
//! resubmission, withdrawal, refusals and bad input that store nothing.

use frmo_domain::access::{Actor, DenyCode};
use frmo_domain::calendar::ProductionCalendar;
use frmo_domain::org::Organization;
use frmo_registry::identity::cabinet::CardEdit;
use frmo_registry::identity::local::NewLocalUser;
use frmo_registry::moderation::requests::{Moderation, Proposal, RequestView, Verdict};
use frmo_registry::{Caller, Registry, RegistryError};
use frmo_testkit::{Backend, backend_tests};

use super::identity::{consenting, esia_sign_in};
use super::{REAVIZ, REAVIZ_OID, demo};

/// A local operator of `regions`, signed in with consent.
async fn operator(registry: &Registry, login: &str, regions: &[u8]) -> Caller {
    let account =
        NewLocalUser {
            login, name: "Оператор", email: None, password: "пароль-оператора-01", role: None, regions
        };
    let id = registry.add_local_user(&Actor::System, &account).await.expect("operator");
    let session = registry.start_session(id, "local", "{}").await.expect("session");
    consenting(registry, &session).await
}

/// The card with a new phone, and the version it was made from.
async fn with_phone(registry: &Registry, phone: &str) -> (Organization, i64) {
    let card = registry.card(&Actor::Anonymous, &REAVIZ, None).await.expect("card");
    let mut org = card.organization;
    org.contacts.phone = Some(phone.into());
    (org, card.row.version_id)
}

async fn submitted(registry: &Registry, author: &Caller, phone: &str) -> RequestView {
    let (org, version) = with_phone(registry, phone).await;
    match registry.propose_change(author, org, version, "сменился номер", true).await.expect("propose") {
        Proposal::Request(view) => *view,
        Proposal::Applied { .. } => panic!("contacts are moderated by default"),
    }
}

async fn current_phone(registry: &Registry) -> Option<String> {
    registry.card(&Actor::Anonymous, &REAVIZ, None).await.expect("card").organization.contacts.phone
}

async fn a_moderated_change_waits_for_the_operator_of_its_region(backend: Backend) {
    let (_db, registry) = demo(backend, 0).await;
    let member = registry.sign_in(esia_sign_in("1000299654", true, false)).await.expect("sign in");
    let member = consenting(&registry, &member).await;
    let before = current_phone(&registry).await;
    let view = submitted(&registry, &member, "+7 846 111-22-33").await;
    assert_eq!((view.status.as_str(), view.status.label()), ("submitted", "на проверке"));
    assert!(view.number.starts_with("ИЗ-20") && view.number.ends_with(&format!("{:06}", view.id)), "{}", view.number);
    assert!(view.changes.iter().any(|c| c["field"] == "contacts"), "{:?}", view.changes);
    let due = view.due_on.expect("a deadline");
    let moderation = registry.moderation();
    let submitted_on = time::OffsetDateTime::from_unix_timestamp(view.submitted_at.expect("submitted"))
        .expect("time")
        .to_offset(time::UtcOffset::from_hms(3, 0, 0).expect("offset"))
        .date();
    assert_eq!(moderation.calendar.business_days_between(submitted_on, due), 5, "five business days");
    assert_eq!(current_phone(&registry).await, before, "nothing changes before the decision");
    assert_eq!(registry.my_requests(member.actor()).await.expect("mine")[0].id, view.id);

    // The organization's people and other regions' operators do not decide.
    let refused = registry.decide_request(&member, view.id, view.revision, Verdict::approve()).await;
    assert!(matches!(refused, Err(RegistryError::Forbidden(DenyCode::OperatorRequired))), "{refused:?}");
    let moscow = operator(&registry, "op77", &[77]).await;
    assert!(registry.moderation_queue(&moscow).await.expect("queue").is_empty());
    let refused = registry.decide_request(&moscow, view.id, view.revision, Verdict::approve()).await;
    assert!(matches!(refused, Err(RegistryError::Forbidden(DenyCode::OutsideRegion))), "{refused:?}");

    let samara = operator(&registry, "op63", &[63]).await;
    let queue = registry.moderation_queue(&samara).await.expect("queue");
    assert_eq!(queue.iter().map(|r| r.id).collect::<Vec<_>>(), [view.id]);
    assert!(!queue[0].overdue);
    // The approval's comment is kept and shown to the author.
    let approve = Verdict::Approve { comment: "  Проверено по выписке ЕГРЮЛ.  ".into() };
    let decided =
        registry.decide_request(&samara.with_request_id("r3"), view.id, view.revision, approve).await.expect("approve");
    assert_eq!(decided.status.as_str(), "approved");
    assert_eq!(decided.comment.as_deref(), Some("Проверено по выписке ЕГРЮЛ."));
    assert_eq!(current_phone(&registry).await.as_deref(), Some("+7 846 111-22-33"));
    let card = registry.card(&Actor::Anonymous, &REAVIZ, None).await.expect("card");
    assert_eq!(decided.applied_version, Some(card.row.version_id));
    assert_eq!(decided.events.iter().map(|e| e.status.as_str()).collect::<Vec<_>>(), ["submitted", "approved"]);
    assert!(registry.moderation_queue(&samara).await.expect("queue").is_empty());

    // The journal has the decision and the change, linked to the request.
    let history = registry.journal_of(REAVIZ_OID, 10).await.expect("history");
    let change = history.iter().find(|e| e.kind == "change").expect("change");
    assert!(change.detail.contains(&view.number) && change.detail.contains("сменился номер"));
    assert!(history.iter().any(|e| e.kind == "decision" && e.request_id == "r3"));
}

async fn bad_proposals_store_nothing(backend: Backend) {
    let (_db, registry) = demo(backend, 0).await;
    let member = registry.sign_in(esia_sign_in("1000299654", true, false)).await.expect("sign in");
    let member = consenting(&registry, &member).await;
    let (org, version) = with_phone(&registry, "+7 846 111-22-33").await;
    let no_reason = registry.propose_change(&member, org.clone(), version, "   ", true).await;
    assert!(matches!(&no_reason, Err(RegistryError::Invalid(e)) if e[0].field == "reason"), "{no_reason:?}");
    let stale = registry.propose_change(&member, org.clone(), version - 1, "причина", true).await;
    assert!(matches!(stale, Err(RegistryError::Conflict(_))), "{stale:?}");
    let card = registry.card(&Actor::Anonymous, &REAVIZ, None).await.expect("card");
    let unchanged = registry.propose_change(&member, card.organization.clone(), version, "причина", true).await;
    assert!(matches!(&unchanged, Err(RegistryError::Invalid(e)) if e[0].field == "card"), "{unchanged:?}");
    let mut nameless = org;
    nameless.name_full = String::new();
    let invalid = registry.propose_change(&member, nameless, version, "причина", true).await;
    assert!(matches!(&invalid, Err(RegistryError::Invalid(e)) if e[0].field == "nameFull"), "{invalid:?}");
    assert!(registry.my_requests(member.actor()).await.expect("mine").is_empty());
    assert_eq!(registry.card(&Actor::Anonymous, &REAVIZ, None).await.expect("card").row.version_id, version);

    let unconfirmed = registry.sign_in(esia_sign_in("1000299656", false, false)).await.expect("sign in");
    let unconfirmed = consenting(&registry, &unconfirmed).await;
    let (org, version) = with_phone(&registry, "+7 846 111-22-33").await;
    let refused = registry.propose_change(&unconfirmed, org, version, "причина", true).await;
    assert!(matches!(refused, Err(RegistryError::Forbidden(DenyCode::AccountNotConfirmed))), "{refused:?}");
}

async fn structure_changes_apply_at_once_with_their_journal_entry(backend: Backend) {
    let (_db, registry) = demo(backend, 0).await;
    let member = registry.sign_in(esia_sign_in("1000299654", true, false)).await.expect("sign in");
    let member = consenting(&registry, &member).await;
    let card = registry.card(&Actor::Anonymous, &REAVIZ, None).await.expect("card");
    let mut org = card.organization.clone();
    let department = org.departments.first_mut().expect("a department");
    department.depart_name = format!("{} (перепрофилировано)", department.depart_name);
    let proposal = registry
        .propose_change(&member.with_request_id("r-d"), org, card.row.version_id, "перепрофилирование", true)
        .await;
    let Ok(Proposal::Applied { version }) = proposal else { panic!("departments change directly: {proposal:?}") };
    let now = registry.card(&Actor::Anonymous, &REAVIZ, None).await.expect("card");
    assert_eq!(now.row.version_id, version);
    assert!(now.organization.departments[0].depart_name.ends_with("(перепрофилировано)"));
    let history = registry.journal_of(REAVIZ_OID, 5).await.expect("history");
    assert!(history.iter().any(|e| e.kind == "change" && e.request_id == "r-d"));
    assert!(registry.my_requests(member.actor()).await.expect("mine").is_empty(), "no request was needed");
}

async fn of_two_decisions_at_once_exactly_one_lands(backend: Backend) {
    let (_db, registry) = demo(backend, 0).await;
    let member = registry.sign_in(esia_sign_in("1000299654", true, false)).await.expect("sign in");
    let member = consenting(&registry, &member).await;
    let first = operator(&registry, "op-a", &[63]).await;
    let second = operator(&registry, "op-b", &[63]).await;
    let before = current_phone(&registry).await;
    let view = submitted(&registry, &member, "+7 846 999-00-00").await;
    let (approve, reject) = tokio::join!(
        registry.decide_request(&first, view.id, view.revision, Verdict::approve()),
        registry.decide_request(&second, view.id, view.revision, Verdict::Reject { reason: "нет документа".into() }),
    );
    assert!(approve.is_ok() != reject.is_ok(), "exactly one wins: {approve:?} / {reject:?}");
    let loser = if approve.is_ok() { reject } else { approve.map(|_| unreachable!()) };
    let Err(RegistryError::Conflict(message)) = loser else { panic!("the other gets a conflict: {loser:?}") };
    assert!(message.contains(&view.number), "{message}");
    let final_view = registry.request_view(&member, view.id).await.expect("view");
    let phone = current_phone(&registry).await;
    match final_view.status.as_str() {
        "approved" => assert_eq!(phone.as_deref(), Some("+7 846 999-00-00")),
        "rejected" => {
            assert_eq!(phone, before, "a rejection changes nothing");
            assert_eq!(final_view.comment.as_deref(), Some("нет документа"));
        }
        other => panic!("status {other}"),
    }
    assert_eq!(final_view.events.len(), 2, "one decision in the history");
}

async fn returned_requests_are_corrected_and_resubmitted_or_withdrawn(backend: Backend) {
    let (_db, registry) = demo(backend, 0).await;
    let member = registry.sign_in(esia_sign_in("1000299654", true, false)).await.expect("sign in");
    let member = consenting(&registry, &member).await;
    let colleague = registry.sign_in(esia_sign_in("1000299657", true, false)).await.expect("sign in");
    let colleague = consenting(&registry, &colleague).await;
    let samara = operator(&registry, "op63", &[63]).await;
    let view = submitted(&registry, &member, "+7 846 111-22-33").await;

    let no_comment =
        registry.decide_request(&samara, view.id, view.revision, Verdict::Return { comment: " ".into() }).await;
    assert!(matches!(&no_comment, Err(RegistryError::Invalid(e)) if e[0].field == "comment"), "{no_comment:?}");
    let returned = registry
        .decide_request(&samara, view.id, view.revision, Verdict::Return { comment: "укажите код города".into() })
        .await
        .expect("return");
    assert_eq!((returned.status.as_str(), returned.comment.as_deref()), ("returned", Some("укажите код города")));

    // Only the author corrects it.
    let (org, _) = with_phone(&registry, "+7 (846) 111-22-34").await;
    let refused =
        registry.submit_request(&colleague, view.id, returned.revision, Some((org.clone(), "исправлено"))).await;
    assert!(matches!(refused, Err(RegistryError::Forbidden(DenyCode::NotTheAuthor))), "{refused:?}");
    let resubmitted = registry
        .submit_request(&member, view.id, returned.revision, Some((org, "исправлено")))
        .await
        .expect("resubmit");
    assert_eq!(resubmitted.status.as_str(), "submitted");
    assert_eq!(resubmitted.reason, "исправлено");
    assert!(
        resubmitted.changes.iter().any(|c| c["after"]["phone"] == "+7 (846) 111-22-34"),
        "{:?}",
        resubmitted.changes
    );
    // A decision on the revision before the resubmission does not land.
    let stale = registry.decide_request(&samara, view.id, returned.revision, Verdict::approve()).await;
    assert!(matches!(stale, Err(RegistryError::Conflict(_))), "{stale:?}");

    let withdrawn = registry.withdraw_request(&member, view.id, resubmitted.revision).await.expect("withdraw");
    assert_eq!(withdrawn.status.as_str(), "withdrawn");
    assert_eq!(
        withdrawn.events.iter().map(|e| e.status.as_str()).collect::<Vec<_>>(),
        ["submitted", "returned", "submitted", "withdrawn"]
    );
    let again = registry.withdraw_request(&member, view.id, withdrawn.revision).await;
    assert!(matches!(again, Err(RegistryError::Conflict(_))), "{again:?}");
}

async fn an_approval_after_the_card_changed_is_refused(backend: Backend) {
    let (_db, registry) = demo(backend, 0).await;
    let member = registry.sign_in(esia_sign_in("1000299654", true, false)).await.expect("sign in");
    let member = consenting(&registry, &member).await;
    let samara = operator(&registry, "op63", &[63]).await;
    let first = submitted(&registry, &member, "+7 846 111-22-33").await;
    let second = submitted(&registry, &member, "+7 846 444-55-66").await;
    registry.decide_request(&samara, first.id, first.revision, Verdict::approve()).await.expect("first");
    let conflict = registry.decide_request(&samara, second.id, second.revision, Verdict::approve()).await;
    let Err(RegistryError::Conflict(message)) = conflict else { panic!("{conflict:?}") };
    assert!(message.contains("изменилась после подачи"), "{message}");
    assert_eq!(current_phone(&registry).await.as_deref(), Some("+7 846 111-22-33"));
    let view = registry.request_view(&samara, second.id).await.expect("view");
    assert_eq!(view.status.as_str(), "submitted", "still waiting: the operator returns it");
}

async fn key_requisites_wait_for_the_operator_whatever_the_policy(backend: Backend) {
    let (_db, registry) = demo(backend, 0).await;
    let direct = vec!["contacts".to_owned(), "headFullName".to_owned()];
    let policy = Moderation::new(&direct, 5, ProductionCalendar::default()).expect("policy");
    let registry = registry.with_moderation(policy);
    let member = registry.sign_in(esia_sign_in("1000299654", true, false)).await.expect("sign in");
    let member = consenting(&registry, &member).await;
    let card = registry.card(&Actor::Anonymous, &REAVIZ, None).await.expect("card");
    let edit = CardEdit {
        head_full_name: Some("Пивень Дмитрий Валентинович".into()), ..CardEdit::default()
    };
    let direct = registry.edit_card(&member, &REAVIZ, edit, card.row.version_id, "новый ректор").await;
    let Ok(Proposal::Applied { version }) = direct else { panic!("a direct field applies at once: {direct:?}") };
    let edit = CardEdit {
        name_short: Some("Университет «Реавиз»".into()),
        head_full_name: Some("Иванов Иван Иванович".into()),
        ..CardEdit::default()
    };
    let moderated = registry.edit_card(&member, &REAVIZ, edit, version, "переименование").await;
    let Ok(Proposal::Request(view)) = moderated else { panic!("a key requisite is moderated: {moderated:?}") };
    let fields: Vec<&str> = view.changes.iter().filter_map(|c| c["field"].as_str()).collect();
    assert_eq!(fields, ["headFullName", "nameShort"]);
    let bad = registry
        .edit_card(&member, &REAVIZ, CardEdit { legal_address: Some(" ".into()), ..CardEdit::default() }, version, "r")
        .await;
    assert!(matches!(&bad, Err(RegistryError::Invalid(e)) if e[0].field == "legalAddress"), "{bad:?}");
    assert!(Moderation::new(&["inn".to_owned()], 5, ProductionCalendar::default()).is_err(), "key fields never direct");
}

async fn overdue_requests_are_flagged_and_review_times_counted(backend: Backend) {
    let (_db, registry) = demo(backend, 0).await;
    let member = registry.sign_in(esia_sign_in("1000299654", true, false)).await.expect("sign in");
    let member = consenting(&registry, &member).await;
    let samara = operator(&registry, "op63", &[63]).await;
    let first = submitted(&registry, &member, "+7 846 111-22-33").await;
    registry.decide_request(&samara, first.id, first.revision, Verdict::approve()).await.expect("approve");
    let second = submitted(&registry, &member, "+7 846 444-55-66").await;
    assert!(!registry.moderation_queue(&samara).await.expect("queue")[0].overdue);
    // Three weeks later the second is past its five business days.
    registry.advance_clock(21 * 86_400);
    let queue = registry.moderation_queue(&samara).await.expect("queue");
    assert_eq!(queue[0].id, second.id);
    assert!(queue[0].overdue && queue[0].business_days.is_some_and(|d| d > 5), "{:?}", queue[0]);

    let since = time::Date::from_calendar_date(2000, time::Month::January, 1).expect("date");
    let stats = registry.review_statistics(&samara, since).await.expect("statistics");
    let region = &stats.by_region[0];
    assert_eq!((region.key.as_str(), region.decided, region.waiting, region.overdue), ("63", 1, 1, 1));
    assert_eq!(region.decided_late, 0);
    assert!(region.average_days < 1.0, "decided the same day: {}", region.average_days);
    assert_eq!(stats.by_operator[0].key, "Оператор");
    assert_eq!(stats.by_operator[0].decided, 1);
    let refused = registry.review_statistics(&member, since).await;
    assert!(matches!(refused, Err(RegistryError::Forbidden(DenyCode::OperatorRequired))), "{refused:?}");
}

backend_tests!(
    key_requisites_wait_for_the_operator_whatever_the_policy,
    overdue_requests_are_flagged_and_review_times_counted,
    a_moderated_change_waits_for_the_operator_of_its_region,
    bad_proposals_store_nothing,
    structure_changes_apply_at_once_with_their_journal_entry,
    of_two_decisions_at_once_exactly_one_lands,
    returned_requests_are_corrected_and_resubmitted_or_withdrawn,
    an_approval_after_the_card_changed_is_refused,
);
