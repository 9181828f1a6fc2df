//! The authorization matrix: every route of the cabinet's route tables (and the public ones) × every
//! kind of actor, on both backends. The expected answer comes from the pure access decision; the
//! server must agree, and journal every refusal.

use frmo_domain::access::{Action, Actor, Decision, DenyCode, FederalRole, Target, decide};
use frmo_testkit::{Backend, Browser, TestApp, backend_tests, input_value};

use super::{REAVIZ, REAVIZ_OGRN, REAVIZ_OID, esia_person};
use frmo_registry::Caller;

const REAVIZ_REGION: u8 = 63;

/// The public routes: everyone may read them.
const PUBLIC: &[&str] = &[
    "/",
    "/organizations/{oid}",
    "/api/v1/organizations?q=%D0%A0%D0%B5%D0%B0%D0%B2%D0%B8%D0%B7",
    "/api/v1/organizations/{oid}",
    "/fhir/r4/Organization/{oid}",
];

struct ActorKind {
    name: &'static str,
    /// The session token, none for the anonymous visitor.
    token: Option<String>,
    actor: Actor,
}

/// A federal role and operator regions.
type Staff = Option<(Option<FederalRole>, Vec<u8>)>;

async fn person(app: &TestApp, subject: &str, confirmed: bool, ogrn: Option<&str>, staff: Staff) -> (String, Actor) {
    let name = format!("Пользователь {subject}");
    let new = esia_person(app, subject, &name, None, confirmed, ogrn.map(|ogrn| (ogrn, false))).await;
    if let Some((role, regions)) = staff {
        app.registry
            .store()
            .set_staff_roles(new.user_id, role.map(FederalRole::as_str), &regions)
            .await
            .expect("roles");
    }
    let session = app.registry.session(&new.token).await.expect("lookup").expect("session");
    (new.token, session.actor())
}

async fn actors(app: &TestApp) -> Vec<ActorKind> {
    let orgs = frmo_web::demo::stand_orgs(&app.registry).await.expect("orgs");
    let other_ogrn = orgs[1].ogrn.clone();
    let mut list = vec![ActorKind { name: "anonymous", token: None, actor: Actor::Anonymous }];
    let people: Vec<(&str, bool, Option<&str>, Staff)> = vec![
        ("member", true, Some(REAVIZ_OGRN), None),
        ("member of another organization", true, Some(&other_ogrn), None),
        ("unconfirmed member", false, Some(REAVIZ_OGRN), None),
        ("operator of the region", true, None, Some((None, vec![REAVIZ_REGION]))),
        ("operator of another region", true, None, Some((None, vec![77]))),
        ("administrator", true, None, Some((Some(FederalRole::Admin), vec![]))),
        ("auditor", true, None, Some((Some(FederalRole::Auditor), vec![]))),
    ];
    for (i, (name, confirmed, ogrn, staff)) in people.into_iter().enumerate() {
        let (token, actor) = person(app, &format!("10000000{i}"), confirmed, ogrn, staff).await;
        list.push(ActorKind { name, token: Some(token), actor });
    }
    list
}

/// A form body the route accepts when access is allowed (so only access decides the answer).
async fn form_for(app: &TestApp, path: &str, csrf: &str) -> Vec<(String, String)> {
    let mut form = vec![("csrf".to_owned(), csrf.to_owned())];
    if path.ends_with("/card") {
        let card = app.registry.card(&Actor::Anonymous, &REAVIZ, None).await.expect("card");
        form.push(("version".into(), card.row.version_id.to_string()));
        form.push(("phone".into(), "+7 (846) 333-54-51".into()));
    }
    if path.ends_with("/consent") {
        form.push(("decision".into(), "accept".into()));
    }
    if path.ends_with("/members") {
        form.push(("who".into(), "nobody@example.org".into()));
        form.push(("role".into(), "member".into()));
    }
    if path.ends_with("/members/revoke") {
        form.push(("user".into(), "0".into()));
    }
    if path.ends_with("/withdraw") || path.ends_with("/decision") {
        let id = path.split('/').nth(3).and_then(|id| id.parse().ok()).expect("request id");
        let request = app.registry.store().request(id).await.expect("lookup").expect("request");
        form.push(("revision".into(), request.revision.to_string()));
        form.push(("verdict".into(), "approve".into()));
    }
    if path.ends_with("/totp/confirm") {
        form.push(("code".into(), "000000".into()));
    }
    form
}

async fn every_route_answers_every_actor_as_the_decision_says(backend: Backend) {
    let app = TestApp::with_esia(backend, 20).await;
    let actors = actors(&app).await;
    let target = Target::Organization { oid: REAVIZ_OID, region: REAVIZ_REGION };
    // A change request of the member, for the routes on a request (`{id}`).
    let author = &actors[1];
    assert_eq!(author.name, "member");
    let card = app.registry.card(&Actor::Anonymous, &REAVIZ, None).await.expect("card");
    let contacts = frmo_domain::org::Contacts { phone: Some("+7 846 000-00-01".into()), ..Default::default() };
    let proposal = app
        .registry
        .edit_contacts(&Caller::new(author.actor.clone(), "setup"), &REAVIZ, contacts, card.row.version_id, "матрица")
        .await
        .expect("a request");
    let frmo_registry::moderation::requests::Proposal::Request(request) = proposal else {
        panic!("contacts are moderated")
    };
    let routes: Vec<_> = frmo_web::routes::cabinet().collect();
    let mut checked = 0;
    for kind in &actors {
        let mut browser = Browser::new(&app);
        if let Some(token) = &kind.token {
            browser.cookies.insert("frmo_session".into(), token.clone());
        }
        let csrf = if kind.token.is_some() {
            input_value(&browser.get("/cabinet").await.body, "csrf").expect("csrf of the session")
        } else {
            String::new()
        };
        for spec in &routes {
            let path = spec
                .path
                .replace("{oid}", REAVIZ_OID)
                .replace("{id}", &request.id.to_string())
                .replace("{name}", "organizations")
                .replace("{job}", "1")
                .replace("{ticket}", "1")
                .replace("{file}", "1")
                .replace("{slug}", "esia-errors");
            let on_org = spec.path.contains("{oid}") || spec.path.contains("{id}");
            let route_target = if on_org { target } else { Target::None };
            let expected = match decide(&kind.actor, spec.action, route_target) {
                Decision::Allow if spec.author_only && kind.name != author.name => {
                    Decision::Deny(DenyCode::NotTheAuthor)
                }
                decision => decision,
            };
            let denials_before = app.registry.store().denials(1000).await.expect("denials").len();
            let page = if spec.method == "GET" {
                browser.get(&path).await
            } else {
                let form = form_for(&app, &path, &csrf).await;
                let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
                browser.post(&path, &pairs).await
            };
            let context = format!(
                "{} {} as {}: {} {}",
                spec.method,
                path,
                kind.name,
                page.status,
                &page.body.chars().take(300).collect::<String>()
            );
            match expected {
                Decision::Allow => {
                    assert!(![401, 403].contains(&page.status) && page.status < 500, "expected access: {context}");
                }
                Decision::Deny(code) => {
                    let status = if code == DenyCode::NotSignedIn { 401 } else { 403 };
                    assert_eq!(page.status, status, "expected {code:?}: {context}");
                    assert!(page.body.contains(code.as_str()), "the answer names {}: {context}", code.as_str());
                    let denials = app.registry.store().denials(1000).await.expect("denials");
                    assert_eq!(denials.len(), denials_before + 1, "the refusal is journaled once: {context}");
                    assert_eq!(denials[0].code, code.as_str());
                }
            }
            checked += 1;
        }
        for path in PUBLIC {
            let page = browser.get(&path.replace("{oid}", REAVIZ_OID)).await;
            assert_eq!(page.status, 200, "{path} as {}", kind.name);
            assert_eq!(decide(&kind.actor, Action::ReadPublicRegister, Target::None), Decision::Allow);
            checked += 1;
        }
    }
    assert_eq!(checked, actors.len() * (routes.len() + PUBLIC.len()));
}

backend_tests!(every_route_answers_every_actor_as_the_decision_says);
