//! Applications for inclusion on both backends: the form's problems named field by field, the
//! register's own organizations refused as duplicates, similar names shown before submitting, the
//! operator's approval giving an OID in the region and a card, and a second application for the
//! same organization refused while the first waits.

use frmo_domain::access::{Actor, DenyCode};
use frmo_domain::ident::checksum::{inn10_check_digit, ogrn_check_digit};
use frmo_registry::RegistryError;
use frmo_registry::identity::local::NewLocalUser;
use frmo_registry::moderation::applications::{Application, ApplicationForm};
use frmo_registry::moderation::requests::Verdict;
use frmo_testkit::{Backend, backend_tests};

use super::identity::{consenting, esia_sign_in};
use super::{REAVIZ_OID, demo};

/// A legal entity's ИНН and ОГРН with valid check digits, registered in Samara (63).
fn identifiers(serial: u8) -> (String, String) {
    let first9 = [6, 3, 1, 5, 0, 0, 0, 7, serial % 10];
    let inn = format!("{}{}", first9.iter().map(u8::to_string).collect::<String>(), inn10_check_digit(&first9));
    let body = 119_630_000_000 + u64::from(serial);
    (inn, format!("{body}{}", ogrn_check_digit(body)))
}

fn form(serial: u8, name: &str) -> ApplicationForm {
    let (inn, ogrn) = identifiers(serial);
    ApplicationForm {
        name_full: format!("Общество с ограниченной ответственностью «{name}»"),
        name_short: format!("ООО «{name}»"),
        inn,
        ogrn,
        kpp: "631501001".into(),
        region: "63".into(),
        organization_type: "1".into(),
        medical_subject: "1".into(),
        agency_kind: "1".into(),
        legal_address: "443001, г. Самара, ул. Молодогвардейская, д. 1".into(),
        phone: "+7 846 200-00-00".into(),
        reason: "открытие новой клиники".into(),
        ..ApplicationForm::default()
    }
}

async fn a_new_organization_is_applied_for_approved_and_gets_its_oid(backend: Backend) {
    let (_db, registry) = demo(backend, 0).await;
    let applicant = registry.sign_in(esia_sign_in("1000299658", true, false)).await.expect("sign in");
    let applicant_id = applicant.user_id;
    let applicant = consenting(&registry, &applicant).await;

    let mut bad = form(1, "Здоровье");
    bad.inn = "6315000711".into();
    bad.region = "100".into();
    bad.organization_type = "".into();
    let Err(RegistryError::Invalid(errors)) = registry.apply_for_inclusion(&applicant, &bad).await else {
        panic!("a bad form is refused")
    };
    let fields: Vec<&str> = errors.iter().map(|e| e.field).collect();
    assert!(
        fields.contains(&"inn") && fields.contains(&"region") && fields.contains(&"organizationTypeId"),
        "{fields:?}"
    );

    // The register's own organization is a duplicate, with its OID named.
    let mut reaviz = form(2, "Реавиз-2");
    reaviz.inn = "6317006620".into();
    reaviz.ogrn = "1026301420716".into();
    let duplicate = registry.apply_for_inclusion(&applicant, &reaviz).await;
    assert!(matches!(&duplicate, Err(RegistryError::Duplicate { oid, .. }) if oid == REAVIZ_OID), "{duplicate:?}");
    assert!(registry.my_requests(applicant.actor()).await.expect("mine").is_empty(), "nothing stored");

    // A similar name in the region is shown first; the applicant confirms.
    let mut similar = form(3, "Реавиз");
    let shown = registry.apply_for_inclusion(&applicant, &similar).await;
    let Ok(Application::Similar(names)) = shown else { panic!("similar names are shown: {shown:?}") };
    assert!(names.iter().any(|(oid, _)| oid == REAVIZ_OID), "{names:?}");
    similar.confirm_similar = "1".into();
    let Ok(Application::Submitted(view)) = registry.apply_for_inclusion(&applicant, &similar).await else {
        panic!("submitted after confirmation")
    };
    assert!(view.number.starts_with("ЗВ-"), "{}", view.number);
    assert_eq!((view.status.as_str(), view.title.as_str(), view.region), ("submitted", "ООО «Реавиз»", 63));
    let again = registry.apply_for_inclusion(&applicant, &similar).await;
    assert!(matches!(&again, Err(RegistryError::Conflict(m)) if m.contains(&view.number)), "{again:?}");

    let account = NewLocalUser {
        login: "op63",
        name: "Оператор",
        email: None,
        password: "пароль-оператора-01",
        role: None,
        regions: &[63],
    };
    let operator_id = registry.add_local_user(&Actor::System, &account).await.expect("operator");
    let session = registry.start_session(operator_id, "local", "{}").await.expect("session");
    let operator = consenting(&registry, &session).await;
    assert!(registry.moderation_queue(&operator).await.expect("queue").iter().any(|r| r.id == view.id));
    let decided =
        registry.decide_request(&operator, view.id, view.revision, Verdict::approve()).await.expect("approve");
    assert_eq!(decided.status.as_str(), "approved");
    let oid = decided.org_oid.clone();
    assert!(oid.starts_with("1.2.643.5.1.13.13.12.2.63."), "an OID in the region: {oid}");
    let card = registry
        .card(&Actor::Anonymous, &frmo_domain::ident::OrgOid::parse(&oid).expect("an OID"), None)
        .await
        .expect("the new card");
    assert_eq!(card.organization.name_short, "ООО «Реавиз»");
    assert_eq!(decided.applied_version, Some(card.row.version_id));
    let notes = registry.store().notifications(applicant_id, 5).await.expect("notifications");
    assert!(notes[0].body.contains(&oid), "{:?}", notes[0]);
    assert!(registry.journal_of(&oid, 5).await.expect("journal").iter().any(|e| e.kind == "change"));
}

async fn unconfirmed_accounts_cannot_apply(backend: Backend) {
    let (_db, registry) = demo(backend, 0).await;
    let unconfirmed = registry.sign_in(esia_sign_in("1000299656", false, false)).await.expect("sign in");
    let unconfirmed = consenting(&registry, &unconfirmed).await;
    let refused = registry.apply_for_inclusion(&unconfirmed, &form(4, "Медик")).await;
    assert!(matches!(refused, Err(RegistryError::Forbidden(DenyCode::AccountNotConfirmed))), "{refused:?}");
}

backend_tests!(a_new_organization_is_applied_for_approved_and_gets_its_oid, unconfirmed_accounts_cannot_apply);
