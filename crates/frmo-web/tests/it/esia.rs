//! «Войти через Госуслуги» end to end over HTTP, against the ЕСИА stand the demo mounts: the signed
//! request, the stand's real checks, tokens, person, roles, the session, consent and the cabinet.

use crate::REAVIZ;
use std::collections::HashMap;

use frmo_testkit::{Backend, Browser, Page, TestApp, backend_tests, input_value};

use super::REAVIZ_OID;

const CHIEF: &str = "1000299654";
const UNCONFIRMED: &str = "1000299656";
const SIGNATURE_USER: &str = "1000299655";

fn query(url: &str) -> HashMap<String, String> {
    let query = url.split_once('?').map_or("", |(_, q)| q);
    serde_urlencoded::from_str(query).expect("query")
}

/// Goes through «Войти через Госуслуги» as `person`; returns the page after the return.
async fn sign_in(browser: &mut Browser, person: &str) -> Page {
    let start = browser.get("/login/esia").await;
    assert_eq!(start.status, 303);
    let chooser = browser.follow(start).await;
    assert_eq!(chooser.status, 200, "{}", chooser.body);
    assert!(chooser.body.contains("подпись client_secret и хэш сертификата верны"));
    let flow = input_value(&chooser.body, "flow").expect("flow");
    let back = browser.post("/esia-stand/aas/oauth2/v2/ac/login", &[("flow", &flow), ("person", person)]).await;
    assert_eq!(back.status, 303);
    let callback = back.location.clone().expect("callback");
    assert!(callback.contains("/login/esia/callback?code="), "{callback}");
    browser.get(&callback).await
}

async fn the_authorization_request_is_signed_as_esia_documents(backend: Backend) {
    let app = TestApp::with_esia(backend, 20).await;
    let mut browser = Browser::new(&app);
    let login = browser.get("/login").await;
    assert!(login.body.contains("Войти через Госуслуги"));
    let start = browser.get("/login/esia").await;
    let location = start.location.expect("redirect to ЕСИА");
    assert!(location.contains("/esia-stand/aas/oauth2/v2/ac?"), "{location}");
    let params = query(&location);
    // The certificate hash is the Streebog-256 of the DER certificate (OpenSSL's print in
    // fixtures/make.sh), in upper case as CryptoPro's cpverify prints it.
    let expected = include_str!("../../../frmo-esia/fixtures/client.crt.hash").trim().to_ascii_uppercase();
    assert_eq!(params["client_certificate_hash"], expected);
    assert_eq!(params["client_id"], "FRMO01");
    assert_eq!(params["response_type"], "code");
    assert_eq!(params["access_type"], "offline");
    assert!(params.contains_key("scope_org"));
    let state = uuid::Uuid::parse_str(&params["state"]).expect("state is a UUID");
    assert_eq!(state.get_version_num(), 4);
    let stamp = &params["timestamp"];
    assert!(frmo_esia::protocol::parse_timestamp(stamp).is_some(), "timestamp {stamp}");
    let secret = frmo_esia::protocol::decode_secret(&params["client_secret"]).expect("base64url");
    assert_eq!(secret.len(), 64, "a raw GOST R 34.10-2012 256 signature");
    // The state is remembered for this browser only.
    assert_eq!(browser.cookies.get("frmo_flow").map(String::as_str), Some(params["state"].as_str()));
}

async fn a_confirmed_chief_signs_in_consents_and_edits(backend: Backend) {
    let app = TestApp::with_esia(backend, 20).await;
    let mut browser = Browser::new(&app);
    let returned = sign_in(&mut browser, CHIEF).await;
    assert_eq!((returned.status, returned.location.as_deref()), (303, Some("/cabinet")), "{}", returned.body);
    let session = returned.set_cookies.iter().find(|c| c.starts_with("frmo_session=")).expect("session cookie");
    assert!(session.contains("HttpOnly") && session.contains("SameSite=Lax"), "{session}");
    let first_id = browser.cookies["frmo_session"].clone();

    let cabinet = browser.get("/cabinet").await;
    assert_eq!(cabinet.status, 200);
    assert!(cabinet.body.contains("Иванова Мария Петровна"));
    assert!(cabinet.body.contains("id=\"consent-needed\""), "consent is asked first");
    assert!(cabinet.body.contains(REAVIZ_OID));

    // Without consent the organization is read-only, and the page says why.
    let org = browser.get(&format!("/cabinet/organizations/{REAVIZ_OID}")).await;
    assert_eq!(org.status, 200);
    assert!(org.body.contains("CONSENT_MISSING"), "{}", org.body);

    let profile = browser.get("/cabinet/profile").await;
    assert!(profile.body.contains("Госуслуги (ЕСИА), логин и пароль"));
    assert!(profile.body.contains("112-233-445 95"));
    let csrf = input_value(&profile.body, "csrf").expect("csrf");
    // A form without its token changes nothing.
    let forged = browser.post("/cabinet/consent", &[("decision", "accept")]).await;
    assert_eq!(forged.status, 400);
    assert!(browser.get("/cabinet").await.body.contains("consent-needed"));
    let accepted = browser.post("/cabinet/consent", &[("csrf", &csrf), ("decision", "accept")]).await;
    assert_eq!(accepted.status, 303);
    assert!(!browser.get("/cabinet").await.body.contains("consent-needed"));

    let org = browser.get(&format!("/cabinet/organizations/{REAVIZ_OID}")).await;
    assert!(org.body.contains("id=\"card-form\""), "{}", org.body);
    let version = input_value(&org.body, "version").expect("version");
    let bad = browser
        .post(
            &format!("/cabinet/organizations/{REAVIZ_OID}/card"),
            &[("csrf", &csrf), ("version", &version), ("phone", "12"), ("email", "не почта"), ("site", "")],
        )
        .await;
    assert_eq!(bad.status, 400);
    assert!(bad.body.contains("Телефон") && bad.body.contains("Электронная почта"), "{}", bad.body);
    let before = app.registry.card(&frmo_domain::access::Actor::Anonymous, &REAVIZ, None).await.expect("card");
    assert_eq!(before.row.version_id.to_string(), version, "a refused edit stores nothing");
    let saved = browser
        .post(
            &format!("/cabinet/organizations/{REAVIZ_OID}/card"),
            &[
                ("csrf", &csrf),
                ("version", &version),
                ("phone", "+7 (846) 333-54-51"),
                ("email", "info@reaviz.ru"),
                ("site", "https://reaviz.ru"),
                ("reason", "сменился телефон"),
            ],
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    // Contacts are moderated by default: a request waits for the region's operator.
    let saved = browser.follow(saved).await;
    assert!(saved.body.contains("id=\"request-submitted\""), "{}", saved.body);
    let after = app.registry.card(&frmo_domain::access::Actor::Anonymous, &REAVIZ, None).await.expect("card");
    assert_eq!(after.row.version_id.to_string(), version, "nothing changes before the decision");
    let requests = app.registry.store().requests_of_org(REAVIZ_OID, 5).await.expect("requests");
    assert_eq!((requests.len(), requests[0].status.as_str()), (1, "submitted"));

    // Signing in again gives a new session id.
    let again = sign_in(&mut browser, CHIEF).await;
    assert_eq!(again.status, 303);
    assert_ne!(browser.cookies["frmo_session"], first_id, "session id changes at sign-in");

    // Signing out ends the session here and at ЕСИА, and comes back to the register.
    let csrf = input_value(&browser.get("/cabinet").await.body, "csrf").expect("csrf");
    let out = browser.post("/logout", &[("csrf", &csrf)]).await;
    let to_esia = out.location.clone().expect("to ЕСИА logout");
    assert!(to_esia.contains("/esia-stand/idp/ext/Logout?client_id=FRMO01"), "{to_esia}");
    let back = browser.get(&to_esia).await;
    assert_eq!(back.location.as_deref(), Some(format!("{}/login?done=logout", app.base).as_str()));
    let back = browser.follow(back).await;
    assert!(back.body.contains("id=\"signed-out\"") && back.body.contains("Вы вышли из реестра."), "{}", back.body);
    assert_eq!(browser.get("/cabinet").await.status, 401);
}

async fn an_unconfirmed_account_sees_why_it_cannot_edit(backend: Backend) {
    let app = TestApp::with_esia(backend, 20).await;
    let mut browser = Browser::new(&app);
    sign_in(&mut browser, UNCONFIRMED).await;
    let cabinet = browser.get("/cabinet").await;
    assert!(cabinet.body.contains("id=\"unconfirmed\""));
    let csrf = input_value(&cabinet.body, "csrf").expect("csrf");
    browser.post("/cabinet/consent", &[("csrf", &csrf), ("decision", "accept")]).await;
    let org = browser.get(&format!("/cabinet/organizations/{REAVIZ_OID}")).await;
    assert!(org.body.contains("ACCOUNT_NOT_CONFIRMED") && org.body.contains("не подтверждена"), "{}", org.body);
    assert!(!org.body.contains("card-form"));
    // The server refuses the edit too, and journals it.
    let refused = browser
        .post(
            &format!("/cabinet/organizations/{REAVIZ_OID}/card"),
            &[("csrf", &csrf), ("version", "1"), ("phone", "+78463335451")],
        )
        .await;
    assert_eq!(refused.status, 403);
    let denials = app.registry.store().denials(5).await.expect("denials");
    assert_eq!(denials[0].code, "ACCOUNT_NOT_CONFIRMED");
}

async fn a_signature_login_is_shown_as_such(backend: Backend) {
    let app = TestApp::with_esia(backend, 20).await;
    let mut browser = Browser::new(&app);
    sign_in(&mut browser, SIGNATURE_USER).await;
    let profile = browser.get("/cabinet/profile").await;
    assert!(profile.body.contains("электронная подпись"), "{}", profile.body);
    let me = browser.get("/api/v1/me").await;
    let me: serde_json::Value = serde_json::from_str(&me.body).expect("json");
    assert_eq!(me["method"], "esia-ds");
    assert_eq!(me["organizations"][0]["oid"], REAVIZ_OID);
    assert_eq!(me["organizations"][0]["chief"], false);
}

async fn a_callback_from_another_browser_is_refused(backend: Backend) {
    let app = TestApp::with_esia(backend, 5).await;
    let mut victim = Browser::new(&app);
    let start = victim.get("/login/esia").await;
    let chooser = victim.follow(start).await;
    let flow = input_value(&chooser.body, "flow").expect("flow");
    let back = victim.post("/esia-stand/aas/oauth2/v2/ac/login", &[("flow", &flow), ("person", CHIEF)]).await;
    // An attacker replays the return address in their own browser: no session.
    let mut attacker = Browser::new(&app);
    let replay = attacker.get(&back.location.expect("callback")).await;
    assert_eq!(replay.status, 400);
    assert!(replay.body.contains("LOGIN_STATE_MISMATCH"));
    assert!(!attacker.cookies.contains_key("frmo_session"));
}

backend_tests!(
    the_authorization_request_is_signed_as_esia_documents,
    a_confirmed_chief_signs_in_consents_and_edits,
    an_unconfirmed_account_sees_why_it_cannot_edit,
    a_signature_login_is_shown_as_such,
    a_callback_from_another_browser_is_refused,
);
