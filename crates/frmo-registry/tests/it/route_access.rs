//! The access a web route asks for before its handler runs (`Registry::authorize_route`): what the
//! use case behind the route decides, each refusal journaled once, a missing target left to the
//! use case.

use frmo_domain::access::{Action, Actor, DenyCode};
use frmo_domain::ident::OrgOid;
use frmo_registry::identity::SignIn;
use frmo_registry::identity::route::RouteTarget;
use frmo_registry::moderation::requests::Proposal;
use frmo_registry::workers::WorkerFilter;
use frmo_registry::{Caller, Registry, RegistryError};
use frmo_testkit::{Backend, backend_tests};

use super::identity::{consenting, esia_sign_in};
use super::{REAVIZ, REAVIZ_OID, demo};

/// Asks for a route and returns the refusal's code (`None` when allowed) and the denials it
/// journaled.
async fn ask(registry: &Registry, caller: &Caller, action: Action, on: RouteTarget<'_>) -> (Option<DenyCode>, usize) {
    let before = registry.store().denials(1000).await.expect("denials").len();
    let code = match registry.authorize_route(&caller.with_request_id("route-test"), action, on).await {
        Ok(_) => None,
        Err(RegistryError::Forbidden(code)) => Some(code),
        Err(other) => panic!("{action:?} on {on:?}: {other:?}"),
    };
    let after = registry.store().denials(1000).await.expect("denials").len();
    (code, after - before)
}

async fn a_route_is_allowed_or_refused_as_its_use_case_decides(backend: Backend) {
    let (_db, registry) = demo(backend, 0).await;
    let author =
        consenting(&registry, &registry.sign_in(esia_sign_in("1000299654", true, false)).await.expect("in")).await;
    let colleague =
        consenting(&registry, &registry.sign_in(esia_sign_in("1000299657", true, false)).await.expect("in")).await;
    let card = registry.card(&Actor::Anonymous, &REAVIZ, None).await.expect("card");
    let mut proposed = card.organization;
    proposed.contacts.phone = Some("+7 846 111-22-33".into());
    let Proposal::Request(request) = registry
        .propose_change(&author, proposed, card.row.version_id, "сменился номер", true)
        .await
        .expect("a request")
    else {
        panic!("contacts are moderated")
    };
    let org = RouteTarget::Organization(REAVIZ_OID);
    let own = |author_only| RouteTarget::Request { id: request.id, author_only };

    // The anonymous are asked to sign in, journaled as the cabinet's use cases journal it.
    assert_eq!(
        ask(&registry, &Caller::anonymous("t"), Action::EditOrganization, org).await,
        (Some(DenyCode::NotSignedIn), 1)
    );
    let denial = &registry.store().denials(1).await.expect("denials")[0];
    assert_eq!(
        (denial.action.as_str(), denial.target.as_str(), denial.request_id.as_str()),
        ("use_cabinet", "", "route-test")
    );

    // On an organization: the member edits, only its chief manages members; the refusal names it.
    assert_eq!(ask(&registry, &author, Action::EditOrganization, org).await, (None, 0));
    assert_eq!(ask(&registry, &author, Action::ManageMembers, org).await, (Some(DenyCode::NotChief), 1));
    let denial = &registry.store().denials(1).await.expect("denials")[0];
    assert_eq!((denial.action.as_str(), denial.target.as_str()), ("manage_members", REAVIZ_OID));
    // Without a target: the action at all.
    assert_eq!(
        ask(&registry, &author, Action::Moderate, RouteTarget::None).await,
        (Some(DenyCode::OperatorRequired), 1)
    );

    // On a request: its organization's people read it, only its author moves it.
    assert_eq!(ask(&registry, &colleague, Action::ReadOrganization, own(false)).await, (None, 0));
    assert_eq!(
        ask(&registry, &colleague, Action::EditOrganization, own(true)).await,
        (Some(DenyCode::NotTheAuthor), 1)
    );
    assert_eq!(ask(&registry, &author, Action::EditOrganization, own(true)).await, (None, 0));

    // Its author reads it after leaving the organization, and no longer moves it.
    let left = SignIn { organizations: Some(Vec::new()), ..esia_sign_in("1000299654", true, false) };
    let author = consenting(&registry, &registry.sign_in(left).await.expect("in")).await;
    assert_eq!(ask(&registry, &author, Action::ReadOrganization, own(false)).await, (None, 0));
    assert_eq!(ask(&registry, &author, Action::EditOrganization, own(true)).await, (Some(DenyCode::NotAMember), 1));
    assert_eq!(ask(&registry, &colleague, Action::ReadOrganization, own(false)).await, (None, 0));

    // A target that does not exist is the use case's to answer: nothing is journaled.
    let before = registry.store().denials(1000).await.expect("denials").len();
    let missing = registry
        .authorize_route(&author, Action::ReadOrganization, RouteTarget::Request { id: 999_999, author_only: false })
        .await;
    assert!(matches!(missing, Err(RegistryError::NotFound(_))), "{missing:?}");
    let unknown = "1.2.643.5.1.13.13.12.2.78.999999";
    let missing = registry.authorize_route(&author, Action::ReadOrganization, RouteTarget::Organization(unknown)).await;
    assert!(matches!(missing, Err(RegistryError::NotFound(_))), "{missing:?}");
    assert_eq!(registry.store().denials(1000).await.expect("denials").len(), before);
}

backend_tests!(
    a_route_is_allowed_or_refused_as_its_use_case_decides,
    a_routes_decision_serves_its_own_use_case_and_nothing_else
);

/// The route layer's decision reaches the use case in the caller, for that organization and that
/// action only: the use case then reads no region again. Without it — a use case called directly,
/// another action, another organization, another request — the use case decides by itself, and
/// refuses (journaled) whoever lacks the right.
async fn a_routes_decision_serves_its_own_use_case_and_nothing_else(backend: Backend) {
    let (_db, registry) = demo(backend, 20).await;
    let member =
        consenting(&registry, &registry.sign_in(esia_sign_in("1000299654", true, false)).await.expect("in")).await;
    let nobody = SignIn { organizations: Some(Vec::new()), ..esia_sign_in("1000299690", true, false) };
    let stranger = consenting(&registry, &registry.sign_in(nobody).await.expect("in")).await;
    let everyone = WorkerFilter::default();
    let denials = || async { registry.store().denials(1000).await.expect("denials").len() };

    // Called directly, with no decision made: a stranger is refused, and the refusal journaled.
    let before = denials().await;
    let refused = registry.workers(&stranger, &REAVIZ, &everyone).await;
    assert!(matches!(refused, Err(RegistryError::Forbidden(DenyCode::NotAMember))), "{refused:?}");
    let refused = registry.organization_page(&stranger, &REAVIZ).await;
    assert!(matches!(refused, Err(RegistryError::Forbidden(DenyCode::NotAMember))), "{:?}", refused.err());
    assert_eq!(denials().await, before + 2);

    // The layer's decision, carried for exactly that organization and action.
    let org = RouteTarget::Organization(REAVIZ_OID);
    let allowed = registry.authorize_route(&member, Action::ReadOrganization, org).await.expect("a member reads");
    assert!(allowed.is_authorized(REAVIZ_OID, Action::ReadOrganization));
    assert!(!allowed.is_authorized(REAVIZ_OID, Action::ManageMembers));
    assert!(!member.is_authorized(REAVIZ_OID, Action::ReadOrganization), "the caller asked is left as it was");
    assert!(!allowed.with_request_id("next").is_authorized(REAVIZ_OID, Action::ReadOrganization));
    registry.workers(&allowed, &REAVIZ, &everyone).await.expect("the use case behind the route");
    let page = registry.organization_page(&allowed, &REAVIZ).await.expect("the organization's page");
    assert_eq!(page.card.organization.oid.as_str(), REAVIZ_OID);
    assert!(!page.may_manage_members, "a member, not its chief");

    // Another action on the same organization is decided again: a member does not manage members.
    let before = denials().await;
    let refused = registry.grant_member(&allowed, &REAVIZ, "someone@example.ru", "member").await;
    assert!(matches!(refused, Err(RegistryError::Forbidden(DenyCode::NotChief))), "{refused:?}");
    // Another organization is decided again: the member is not one of its people.
    let elsewhere = super::search(&registry, super::q("больница")).await.expect("search");
    let other = elsewhere.items.iter().find(|i| i.oid != REAVIZ_OID).expect("another organization");
    let refused = registry.workers(&allowed, &OrgOid::parse(&other.oid).expect("an OID"), &everyone).await;
    assert!(matches!(refused, Err(RegistryError::Forbidden(DenyCode::NotAMember))), "{refused:?}");
    assert_eq!(denials().await, before + 2);

    // A refused route hands on no caller at all.
    let refused = registry.authorize_route(&stranger, Action::ReadOrganization, org).await;
    assert!(matches!(refused, Err(RegistryError::Forbidden(DenyCode::NotAMember))), "{refused:?}");
}
