//! The test kit's role helpers sign in the person they name: the registry sees the role, the
//! region or the organization, and their browser reaches the cabinet; an anonymous visitor does not.

use frmo_domain::access::{Actor, FederalRole, Membership, Principal};
use frmo_testkit::{Backend, SignedIn, TestApp, backend_tests};

const REAVIZ_OID: &str = "1.2.643.5.1.13.13.12.2.78.6258";

fn principal(person: &SignedIn) -> &Principal {
    match person.actor() {
        Actor::User(principal) => principal,
        other => panic!("a signed-in person, not {other:?}"),
    }
}

async fn each_role_helper_signs_in_the_person_it_names(backend: Backend) {
    let app = TestApp::demo(backend, 0).await;
    let admin = app.as_admin().await;
    assert_eq!(principal(&admin).federal_role, Some(FederalRole::Admin));
    let auditor = app.as_auditor().await;
    assert_eq!(principal(&auditor).federal_role, Some(FederalRole::Auditor));
    let operator = app.as_operator(63).await;
    assert_eq!(
        (principal(&operator).federal_role, principal(&operator).operator_regions.as_slice()),
        (None, &[63][..])
    );
    let member = app.as_member(REAVIZ_OID).await;
    assert_eq!(principal(&member).memberships, [Membership { org_oid: REAVIZ_OID.into(), chief: false }]);
    let chief = app.as_chief(REAVIZ_OID).await;
    assert_eq!(principal(&chief).memberships, [Membership { org_oid: REAVIZ_OID.into(), chief: true }]);
    let people = [&admin, &auditor, &operator, &member, &chief];
    for person in people {
        assert!(principal(person).consent && principal(person).confirmed, "{:?}", person.actor());
        assert_eq!(person.browser(&app).get("/cabinet").await.status, 200, "{:?}", person.actor());
    }
    let ids: std::collections::BTreeSet<i64> = people.iter().map(|p| p.user_id).collect();
    assert_eq!(ids.len(), people.len(), "every call makes a new person");
    let anonymous = app.anonymous().get("/cabinet").await;
    assert_ne!(anonymous.status, 200, "the cabinet is not for visitors");
}

backend_tests!(each_role_helper_signs_in_the_person_it_names);
