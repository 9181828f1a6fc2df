//! Identity on both backends: sign-in and memberships, sessions and their time-outs, consent,
//! local accounts (lock-out, TOTP, reset links) and the journal of denials.

use frmo_domain::access::{Action, Actor, DenyCode, FederalRole, Target};
use frmo_registry::identity::local::NewLocalUser;
use frmo_registry::identity::{NewUser, OrgRole, SignIn, local, totp};
use frmo_registry::{Caller, RegistryError};
use frmo_testkit::{Backend, backend_tests};

use super::{REAVIZ, REAVIZ_OID, demo};

fn account<'a>(
    login: &'a str,
    name: &'a str,
    email: Option<&'a str>,
    password: &'a str,
    role: Option<FederalRole>,
    regions: &'a [u8],
) -> NewLocalUser<'a> {
    NewLocalUser { login, name, email, password, role, regions }
}

pub(super) fn esia_sign_in(oid: &str, trusted: bool, chief: bool) -> SignIn {
    SignIn {
        user: NewUser {
            provider: "esia".into(),
            subject: oid.into(),
            display_name: "Иванова Мария Петровна".into(),
            snils: Some("112-233-445 95".into()),
            email: Some("ivanova@example.ru".into()),
            confirmed: trusted,
        },
        organizations: Some(vec![OrgRole {
            ogrn: "1026301420716".into(),
            inn: Some("6317006620".into()),
            name: "Реавиз".into(),
            chief,
        }]),
        method: "esia-pwd".into(),
        provider_data: "{}".into(),
    }
}

async fn sign_in_matches_organizations_and_sessions_are_new_each_time(backend: Backend) {
    let (_db, registry) = demo(backend, 20).await;
    let first = registry.sign_in(esia_sign_in("1000299654", true, true)).await.expect("sign in");
    let second = registry.sign_in(esia_sign_in("1000299654", true, true)).await.expect("sign in");
    assert_ne!(first.token, second.token, "every sign-in gets a new session id");
    assert_eq!(first.user_id, second.user_id);
    let session = registry.session(&first.token).await.expect("lookup").expect("live session");
    let principal = session.principal();
    assert_eq!(principal.memberships.len(), 1);
    assert_eq!(principal.memberships[0].org_oid, REAVIZ_OID);
    assert!(principal.memberships[0].chief && principal.confirmed);
    // The stored row is not the token: a copy of the table opens nothing.
    assert!(registry.store().session_with_user(&first.token).await.expect("lookup").is_none());

    assert_eq!(registry.sign_out_everywhere(&session).await.expect("sign out"), 2);
    assert!(registry.session(&first.token).await.expect("lookup").is_none());
    assert!(registry.session(&second.token).await.expect("lookup").is_none());
}

/// A session is read with its person in one go (`Store::session_with_user`): the same person, regions
/// in order, memberships and latest consent as reading them one by one.
async fn a_session_is_read_with_everything_its_person_has(backend: Backend) {
    let (_db, registry) = demo(backend, 20).await;
    let signed = registry.sign_in(esia_sign_in("1000299654", true, true)).await.expect("sign in");
    let store = registry.store();
    store.set_staff_roles(signed.user_id, Some("operator"), &[77, 2, 63]).await.expect("regions");
    let session = registry.session(&signed.token).await.expect("lookup").expect("live");
    registry.decide_consent(&session, true).await.expect("accept");
    let accepted = registry.session(&signed.token).await.expect("lookup").expect("live");
    assert!(accepted.principal().consent, "the latest consent is an acceptance");
    registry.decide_consent(&accepted, false).await.expect("withdraw");
    let session = registry.session(&signed.token).await.expect("lookup").expect("live");
    let principal = session.principal();
    assert!(!principal.consent, "the latest consent, a withdrawal, wins over the earlier acceptance");
    assert_eq!(principal.operator_regions, vec![2, 63, 77]);
    assert_eq!(principal.memberships.len(), 1);
    assert_eq!((principal.memberships[0].org_oid.as_str(), principal.memberships[0].chief), (REAVIZ_OID, true));
    let one_by_one = store.user(signed.user_id).await.expect("user").expect("exists");
    assert_eq!(session.user.display_name, one_by_one.display_name);
    assert_eq!(principal.operator_regions, one_by_one.operator_regions);
    assert_eq!(principal.memberships.len(), one_by_one.memberships.len());
    assert!(registry.session("no-such-token").await.expect("lookup").is_none());
}

async fn sessions_end_when_idle_or_too_old(backend: Backend) {
    let (_db, registry) = demo(backend, 0).await;
    let policy = registry.session_policy();
    let idle = registry.sign_in(esia_sign_in("1", true, false)).await.expect("sign in");
    let busy = registry.sign_in(esia_sign_in("2", true, false)).await.expect("sign in");
    let mut elapsed = 0;
    while elapsed + 600 < policy.absolute_seconds {
        registry.advance_clock(600);
        elapsed += 600;
        assert!(registry.session(&busy.token).await.expect("lookup").is_some(), "busy session alive at {elapsed}s");
    }
    assert!(registry.session(&idle.token).await.expect("lookup").is_none(), "idle session ended");
    registry.advance_clock(policy.absolute_seconds - elapsed);
    assert!(registry.session(&busy.token).await.expect("lookup").is_none(), "absolute time-out");
}

async fn consent_is_required_to_edit_and_its_history_is_kept(backend: Backend) {
    let (_db, registry) = demo(backend, 0).await;
    let new = registry.sign_in(esia_sign_in("3", true, false)).await.expect("sign in");
    let session = registry.session(&new.token).await.expect("lookup").expect("session");
    let target = Target::Organization { oid: REAVIZ_OID, region: 63 };
    let refused = registry.authorize(&Caller::new(session.actor(), "req-1"), Action::EditOrganization, target).await;
    assert!(matches!(refused, Err(RegistryError::Forbidden(DenyCode::ConsentMissing))), "{refused:?}");

    registry.decide_consent(&session, true).await.expect("accept");
    let session = registry.session(&new.token).await.expect("lookup").expect("session");
    registry
        .authorize(&Caller::new(session.actor(), "req-2"), Action::EditOrganization, target)
        .await
        .expect("allowed");
    registry.decide_consent(&session, false).await.expect("withdraw");
    let session = registry.session(&new.token).await.expect("lookup").expect("session");
    assert!(!session.principal().consent);
    let history = registry.consent_history(&session).await.expect("history");
    assert_eq!(history.iter().map(|c| c.accepted).collect::<Vec<_>>(), [false, true]);

    let denials = registry.store().denials(10).await.expect("denials");
    assert_eq!(denials[0].code, "CONSENT_MISSING");
    assert_eq!(denials[0].request_id, "req-1");
    assert_eq!(denials[0].target, REAVIZ_OID);
}

async fn unconfirmed_accounts_read_but_do_not_edit(backend: Backend) {
    let (_db, registry) = demo(backend, 0).await;
    let new = registry.sign_in(esia_sign_in("4", false, false)).await.expect("sign in");
    let session = registry.session(&new.token).await.expect("lookup").expect("session");
    registry.decide_consent(&session, true).await.expect("accept");
    let session = registry.session(&new.token).await.expect("lookup").expect("session");
    let target = Target::Organization { oid: REAVIZ_OID, region: 63 };
    registry.authorize(&Caller::new(session.actor(), "r"), Action::ReadOrganization, target).await.expect("reads");
    let refused = registry.authorize(&Caller::new(session.actor(), "r"), Action::EditOrganization, target).await;
    assert!(matches!(refused, Err(RegistryError::Forbidden(DenyCode::AccountNotConfirmed))));
}

async fn local_accounts_lock_out_with_back_off(backend: Backend) {
    let (_db, registry) = demo(backend, 0).await;
    let password = "очень-длинный-пароль";
    registry
        .add_local_user(
            &Actor::System,
            &account("admin", "Администратор", None, password, Some(FederalRole::Admin), &[]),
        )
        .await
        .expect("add");
    assert!(registry.local_sign_in("admin", password, None, ATTACKER).await.is_ok());
    for _ in 0..local::LOCK_AFTER {
        let error = registry.local_sign_in("admin", "неверный пароль", None, ATTACKER).await.expect_err("refused");
        assert_eq!(error.to_string(), WRONG, "{error}");
    }
    let locked = registry.local_sign_in("admin", password, None, ATTACKER).await.expect_err("held back");
    assert!(locked.to_string().contains("приостановлен"), "{locked}");
    // Failures from one address do not lock the owner out from another.
    registry.local_sign_in("admin", password, None, OWNER).await.expect("the owner's address is not held back");
    registry.advance_clock(61);
    let session = registry.local_sign_in("admin", password, None, ATTACKER).await.expect("unlocked after a minute");
    let session = registry.session(&session.token).await.expect("lookup").expect("session");
    assert_eq!(session.principal().federal_role, Some(FederalRole::Admin));
    // The success reset the counter: one more failure does not hold the address back again.
    registry.local_sign_in("admin", "неверный пароль", None, ATTACKER).await.expect_err("refused");
    registry.local_sign_in("admin", password, None, ATTACKER).await.expect("not held back after one failure");
    // An unknown login gets the same answers as a known one: the same refusal, then the same hold.
    for _ in 0..local::LOCK_AFTER {
        let unknown = registry.local_sign_in("nobody", password, None, ATTACKER).await.expect_err("refused");
        assert_eq!(unknown.to_string(), WRONG);
    }
    let unknown_locked = registry.local_sign_in("nobody", password, None, ATTACKER).await.expect_err("held back");
    assert_eq!(unknown_locked.to_string(), locked.to_string().replace("2 мин", "1 мин"));
    // Short passwords are refused, naming the field.
    match registry.add_local_user(&Actor::System, &account("x", "X", None, "короткий", None, &[])).await {
        Err(RegistryError::Invalid(errors)) => assert_eq!(errors[0].field, "password"),
        other => panic!("expected a field error, got {other:?}"),
    }
    // Only administrators add accounts.
    let member = registry.sign_in(esia_sign_in("5", true, false)).await.expect("sign in");
    let member = registry.session(&member.token).await.expect("lookup").expect("session").actor();
    assert!(matches!(
        registry.add_local_user(&member, &account("y", "Y", None, password, None, &[])).await,
        Err(RegistryError::Forbidden(DenyCode::RoleRequired))
    ));
}

const OWNER: &str = "192.0.2.1";
const ATTACKER: &str = "198.51.100.7";
const WRONG: &str = "неверные данные: Пароль: неверный логин, пароль или одноразовый код";

/// A code of `secret` from a later time-step than any used so far (the registry's clock moves on).
fn next_code(registry: &frmo_registry::Registry, secret: &[u8]) -> String {
    registry.advance_clock(30);
    totp::code(secret, registry.now())
}

/// A local account `op` (an operator of region 63) with `password`; its id.
async fn operator_account(registry: &frmo_registry::Registry, password: &str) -> i64 {
    registry.add_local_user(&Actor::System, &account("op", "Оператор", None, password, None, &[63])).await.expect("add")
}

async fn totp_becomes_required_once_confirmed(backend: Backend) {
    let (_db, registry) = demo(backend, 0).await;
    let password = "очень-длинный-пароль";
    let id = operator_account(&registry, password).await;
    let enrolment = registry.begin_totp(id, None, OWNER).await.expect("begin");
    assert!(enrolment.qr_svg.contains("<svg") && enrolment.otpauth_url.contains(&enrolment.secret_base32));
    // Not yet confirmed: the password alone still works.
    registry.local_sign_in("op", password, None, OWNER).await.expect("password only");
    let secret = totp::from_base32(&enrolment.secret_base32).expect("base32");
    assert!(registry.confirm_totp(id, "000000").await.is_err() || totp::code(&secret, registry.now()) == "000000");
    let confirmation = totp::code(&secret, registry.now());
    registry.confirm_totp(id, &confirmation).await.expect("confirm");
    // The confirming code is used up: it does not sign in.
    let reused = registry.local_sign_in("op", password, Some(&confirmation), OWNER).await.expect_err("used code");
    assert_eq!(reused.to_string(), WRONG);
    let without = registry.local_sign_in("op", password, None, OWNER).await.expect_err("code required");
    // A right password with a missing or wrong code gets the answer of a wrong password.
    assert_eq!(without.to_string(), WRONG);
    let wrong_password = registry.local_sign_in("op", "неверный пароль", None, OWNER).await.expect_err("refused");
    assert_eq!(wrong_password.to_string(), without.to_string());
    let code = next_code(&registry, &secret);
    let with = registry.local_sign_in("op", password, Some(&code), OWNER).await.expect("in");
    let session = registry.session(&with.token).await.expect("lookup").expect("session");
    assert_eq!(session.record.method, "local-totp");
    // A code is accepted once: replayed within its window it is refused, like a wrong one.
    let replay = registry.local_sign_in("op", password, Some(&code), OWNER).await.expect_err("replayed");
    assert_eq!(replay.to_string(), WRONG);
}

async fn changing_the_second_factor_needs_a_current_code(backend: Backend) {
    let (_db, registry) = demo(backend, 0).await;
    let password = "очень-длинный-пароль";
    let id = operator_account(&registry, password).await;
    let first = registry.begin_totp(id, None, OWNER).await.expect("begin");
    let secret = totp::from_base32(&first.secret_base32).expect("base32");
    registry.confirm_totp(id, &totp::code(&secret, registry.now())).await.expect("confirm");
    let before = registry.store().user(id).await.expect("lookup").expect("user");

    // Without a current code (a stolen session, say) nothing changes; each try counts as a failure.
    for code in [None, Some("12345")] {
        let refused = registry.begin_totp(id, code, OWNER).await.expect_err("re-enrol refused");
        assert!(matches!(&refused, RegistryError::Invalid(e) if e[0].field == "code"), "{refused:?}");
        let refused = registry.disable_totp(id, code, OWNER).await.expect_err("switch-off refused");
        assert!(matches!(&refused, RegistryError::Invalid(e) if e[0].field == "code"), "{refused:?}");
    }
    let after = registry.store().user(id).await.expect("lookup").expect("user");
    assert_eq!((after.totp_enabled, &after.totp_secret), (true, &before.totp_secret));

    // Re-enrolling with a current code: the old app stays in force until the new one is confirmed.
    let code = next_code(&registry, &secret);
    let second = registry.begin_totp(id, Some(&code), OWNER).await.expect("re-enrol");
    let new_secret = totp::from_base32(&second.secret_base32).expect("base32");
    let still = registry.local_sign_in("op", password, Some(&next_code(&registry, &secret)), OWNER).await;
    still.expect("the old app works until the new one is confirmed");
    registry.confirm_totp(id, &next_code(&registry, &new_secret)).await.expect("confirm the new app");
    let old = registry.local_sign_in("op", password, Some(&next_code(&registry, &secret)), OWNER).await;
    assert_eq!(old.expect_err("the old app no longer works").to_string(), WRONG);

    // Switching off with a current code; then the password alone signs in.
    let code = next_code(&registry, &new_secret);
    registry.disable_totp(id, Some(&code), OWNER).await.expect("switch off");
    let session = registry.local_sign_in("op", password, None, OWNER).await.expect("password only");
    let session = registry.session(&session.token).await.expect("lookup").expect("session");
    assert_eq!(session.record.method, "local");
}

async fn reset_links_work_once_and_expire(backend: Backend) {
    let (_db, registry) = demo(backend, 0).await;
    let old = "старый-пароль-123";
    registry
        .add_local_user(&Actor::System, &account("petrov", "Петров", Some("petrov@example.ru"), old, None, &[]))
        .await
        .expect("add");
    let before = registry.local_sign_in("petrov", old, None, OWNER).await.expect("sign in");
    registry.request_password_reset("petrov@example.ru", "https://frmo.example").await.expect("request");
    // Unknown addresses get the same answer and no mail.
    registry.request_password_reset("nobody@example.ru", "https://frmo.example").await.expect("request");
    assert!(registry.store().mail_to("nobody@example.ru").await.expect("mail").is_empty());
    let mail = registry.store().mail_to("petrov@example.ru").await.expect("mail");
    let token = mail[0].body.split("/login/reset/").nth(1).and_then(|t| t.split_whitespace().next()).expect("link");
    registry.reset_password(token, "новый-пароль-456").await.expect("reset");
    assert!(registry.reset_password(token, "ещё-пароль-789").await.is_err(), "a link works once");
    assert!(registry.session(&before.token).await.expect("lookup").is_none(), "old sessions ended");
    registry.local_sign_in("petrov", "новый-пароль-456", None, OWNER).await.expect("new password");
    assert!(registry.local_sign_in("petrov", old, None, OWNER).await.is_err());

    registry.request_password_reset("petrov", "https://frmo.example").await.expect("request");
    let mail = registry.store().mail_to("petrov@example.ru").await.expect("mail");
    let token = mail[0].body.split("/login/reset/").nth(1).and_then(|t| t.split_whitespace().next()).expect("link");
    registry.advance_clock(local::RESET_TTL_SECONDS + 1);
    let expired = registry.reset_password(token, "новый-пароль-000").await.expect_err("expired");
    assert!(expired.to_string().contains("устарела"), "{expired}");
}

/// A signed-in actor with consent given, as the caller of use cases in the request `test`.
pub(super) async fn consenting(
    registry: &frmo_registry::Registry,
    new: &frmo_registry::identity::NewSession,
) -> Caller {
    let session = registry.session(&new.token).await.expect("lookup").expect("session");
    registry.decide_consent(&session, true).await.expect("accept");
    let actor = registry.session(&new.token).await.expect("lookup").expect("session").actor();
    Caller::new(actor, "test")
}

/// The cabinet page's one statement for members and invitations reads what the two lists read one
/// by one, in their orders.
async fn both_lists_agree(registry: &frmo_registry::Registry) {
    let store = registry.store();
    let both = store.members_and_invitations(REAVIZ_OID).await.expect("both");
    let one_by_one = (
        store.members_of(REAVIZ_OID).await.expect("members"),
        store.invitations_of(REAVIZ_OID).await.expect("invitations"),
    );
    assert_eq!(both, one_by_one);
}

async fn chiefs_grant_members_and_operators_name_chiefs(backend: Backend) {
    let (_db, registry) = demo(backend, 0).await;
    let chief = registry.sign_in(esia_sign_in("10", true, true)).await.expect("chief");
    let chief = consenting(&registry, &chief).await;
    let oidc_user = NewUser {
        provider: "oidc".into(),
        subject: "https://id.example.org sub-1".into(),
        display_name: "Петров Пётр".into(),
        snils: None,
        email: Some("Petrov@Example.org".into()),
        confirmed: true,
    };
    let sign_in = SignIn { user: oidc_user, organizations: None, method: "oidc".into(), provider_data: "{}".into() };
    let again = SignIn { user: sign_in.user.clone(), ..sign_in.clone() };
    let newcomer = registry.sign_in(sign_in).await.expect("newcomer");
    let before = registry.store().members_of(REAVIZ_OID).await.expect("members");

    // Bad input names its field and changes nothing.
    let bad_role = registry.grant_member(&chief, &REAVIZ, "petrov@example.org", "owner").await;
    assert!(matches!(&bad_role, Err(RegistryError::Invalid(e)) if e[0].field == "role"), "{bad_role:?}");
    let bad_snils = registry.grant_member(&chief, &REAVIZ, "112-233-445 00", "member").await;
    assert!(matches!(&bad_snils, Err(RegistryError::Invalid(e)) if e[0].field == "who"), "{bad_snils:?}");
    // A chief names members, not chiefs.
    let chief_by_chief = registry.grant_member(&chief, &REAVIZ, "petrov@example.org", "chief").await;
    assert!(matches!(&chief_by_chief, Err(RegistryError::Invalid(e)) if e[0].field == "role"));
    assert!(registry.store().invitations_of(REAVIZ_OID).await.expect("invitations").is_empty());

    // Inviting looks nobody up: a name nobody bears is answered like one somebody bears, and
    // neither changes who has access until that person signs in.
    registry.grant_member(&chief, &REAVIZ, "nobody@example.org", "member").await.expect("invite");
    registry.grant_member(&chief, &REAVIZ, " PETROV@example.org ", "member").await.expect("invite");
    assert_eq!(registry.store().members_of(REAVIZ_OID).await.expect("members"), before);
    both_lists_agree(&registry).await;
    let session = registry.session(&newcomer.token).await.expect("lookup").expect("session");
    assert!(session.principal().memberships.is_empty());
    let page = registry.organization_page(&chief, &REAVIZ).await.expect("page");
    assert!(page.may_manage_members);
    let listed: Vec<&str> = page.invitations.iter().map(|i| i.who.as_str()).collect();
    assert_eq!(listed.len(), 2, "{listed:?}");
    assert!(listed.contains(&"почта petrov@example.org"), "the e-mail matches whatever its case: {listed:?}");
    // The person signs in: the invitation becomes a membership, and is used up.
    let newcomer = registry.sign_in(again.clone()).await.expect("sign in again");
    let session = registry.session(&newcomer.token).await.expect("lookup").expect("session");
    assert_eq!(session.principal().memberships.len(), 1);
    let granted = newcomer.user_id;
    let page = registry.organization_page(&chief, &REAVIZ).await.expect("page");
    assert!(page.members.iter().any(|m| m.user_id == granted && m.revocable));
    assert!(page.members.iter().any(|m| m.name == "Иванова Мария Петровна" && !m.revocable), "ЕСИА roles stay");
    assert_eq!(page.invitations.len(), 1, "only the unused invitation is left");
    both_lists_agree(&registry).await;
    registry.withdraw_invitation(&chief, &REAVIZ, page.invitations[0].id).await.expect("withdraw");
    let gone = registry.withdraw_invitation(&chief, &REAVIZ, page.invitations[0].id).await;
    assert!(matches!(gone, Err(RegistryError::NotFound(_))), "{gone:?}");
    let journal = registry.journal_of(REAVIZ_OID, 50).await.expect("journal");
    assert!(journal.iter().any(|r| r.kind == "membership" && r.detail.contains("\"claim\"")));

    // A member may not manage members; the refusal is journaled.
    let member = consenting(&registry, &newcomer).await;
    let refused = registry.grant_member(&member.with_request_id("r-77"), &REAVIZ, "petrov@example.org", "member").await;
    assert!(matches!(refused, Err(RegistryError::Forbidden(DenyCode::NotChief))), "{refused:?}");
    assert_eq!(registry.store().denials(1).await.expect("denials")[0].request_id, "r-77");

    // The region's operator names a chief; ЕСИА roles are not changed here.
    let operator = registry
        .add_local_user(&Actor::System, &account("op63", "Оператор", None, "пароль-оператора-1", None, &[63]))
        .await
        .expect("operator");
    let operator_session = registry.start_session(operator, "local", "{}").await.expect("session");
    let operator = consenting(&registry, &operator_session).await;
    registry.grant_member(&operator, &REAVIZ, "petrov@example.org", "chief").await.expect("chief by operator");
    // …and invites the ЕСИА chief as a member: the role ЕСИА vouches for is kept at their sign-in.
    registry.grant_member(&operator, &REAVIZ, "ivanova@example.ru", "member").await.expect("invite");
    registry.sign_in(esia_sign_in("10", true, true)).await.expect("chief again");
    let newcomer = registry.sign_in(again).await.expect("sign in again");
    let session = registry.session(&newcomer.token).await.expect("lookup").expect("session");
    assert!(session.principal().memberships[0].chief, "named chief by the operator");
    let members = registry.store().members_of(REAVIZ_OID).await.expect("members");
    assert!(members.iter().any(|m| m.role == "chief" && m.source == "esia"), "{members:?}");
    both_lists_agree(&registry).await;
    let esia_chief = registry.store().user_by_subject("esia", "10").await.expect("lookup").expect("user");
    let esia_role = registry.revoke_member(&operator, &REAVIZ, esia_chief.id).await;
    assert!(matches!(esia_role, Err(RegistryError::Conflict(_))), "{esia_role:?}");
    registry.revoke_member(&operator, &REAVIZ, granted).await.expect("revoke");
    let session = registry.session(&newcomer.token).await.expect("lookup").expect("session");
    assert!(session.principal().memberships.is_empty());
    let again = registry.revoke_member(&operator, &REAVIZ, granted).await;
    assert!(matches!(again, Err(RegistryError::NotFound(_))), "{again:?}");
}

/// The reset link in the newest mail to `to`.
async fn newest_link(registry: &frmo_registry::Registry, to: &str) -> String {
    let mail = registry.store().mail_to(to).await.expect("mail");
    let body = &mail[0].body;
    body.split("/login/reset/").nth(1).and_then(|t| t.split_whitespace().next()).expect("link").to_owned()
}

async fn a_new_reset_link_or_password_voids_older_links(backend: Backend) {
    let (_db, registry) = demo(backend, 0).await;
    let to = "sidorov@example.ru";
    let id = registry
        .add_local_user(&Actor::System, &account("sidorov", "Сидоров", Some(to), "старый-пароль-123", None, &[]))
        .await
        .expect("add");
    registry.request_password_reset("sidorov", "https://frmo.example").await.expect("request");
    let first = newest_link(&registry, to).await;
    registry.request_password_reset(to, "https://frmo.example").await.expect("request again");
    let second = newest_link(&registry, to).await;
    assert_ne!(first, second);
    let voided = registry.reset_password(&first, "новый-пароль-456").await.expect_err("an older link is void");
    assert!(matches!(&voided, RegistryError::Invalid(e) if e[0].field == "token"), "{voided:?}");
    registry.local_sign_in("sidorov", "старый-пароль-123", None, OWNER).await.expect("the password is unchanged");
    registry.reset_password(&second, "новый-пароль-456").await.expect("the newest link works");

    // Any change of the password voids the links still open.
    registry.request_password_reset(to, "https://frmo.example").await.expect("request");
    let third = newest_link(&registry, to).await;
    let hash = local::hash_password("другой-пароль-789").expect("hash");
    registry.store().set_password_hash(id, &hash).await.expect("change the password");
    assert!(registry.reset_password(&third, "новый-пароль-000").await.is_err(), "voided by the change");
    registry.local_sign_in("sidorov", "другой-пароль-789", None, OWNER).await.expect("the changed password holds");
}

backend_tests!(
    a_session_is_read_with_everything_its_person_has,
    chiefs_grant_members_and_operators_name_chiefs,
    sign_in_matches_organizations_and_sessions_are_new_each_time,
    sessions_end_when_idle_or_too_old,
    consent_is_required_to_edit_and_its_history_is_kept,
    unconfirmed_accounts_read_but_do_not_edit,
    local_accounts_lock_out_with_back_off,
    totp_becomes_required_once_confirmed,
    changing_the_second_factor_needs_a_current_code,
    reset_links_work_once_and_expire,
    a_new_reset_link_or_password_voids_older_links,
);
