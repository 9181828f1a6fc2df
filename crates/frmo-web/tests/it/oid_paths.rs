//! An organization's OID in a cabinet address: one that does not parse is answered exactly as an
//! OID nobody has — the same status and body (naming what was typed), on the pages and in the API —
//! and neither is journaled as a refusal.

use frmo_testkit::{Backend, Browser, TestApp, backend_tests};

use super::REAVIZ_OID;

/// No organization has it: a well-formed OID with a number never handed out.
const UNKNOWN: &str = "1.2.643.5.1.13.13.12.2.78.999999";
/// Not an OID of an organization at all: kind 9 (only 1–4 exist), and plain text.
const MALFORMED: [&str; 2] = ["1.2.643.5.1.13.13.12.9.78.1", "no-such-oid"];

/// The status and body of `path` with `{oid}` as `oid`, the OID as typed put back as `{oid}` and
/// the request's id (in the page's «Сообщить о проблеме» link) as `{request}`.
async fn answer(browser: &mut Browser, path: &str, oid: &str) -> (u16, String) {
    let page = browser.get(&path.replace("{oid}", oid)).await;
    let mut body = page.body.replace(oid, "{oid}");
    if let Some(start) = body.find("request=").map(|at| at + "request=".len())
        && let Some(length) = body[start..].find('&')
    {
        body.replace_range(start..start + length, "{request}");
    }
    (page.status, body)
}

async fn a_malformed_oid_is_answered_as_an_unknown_one(backend: Backend) {
    let app = TestApp::demo(backend, 0).await;
    let mut browser = app.as_member(REAVIZ_OID).await.browser(&app);
    let denials = || async { app.registry.store().denials(1000).await.expect("denials").len() };
    let before = denials().await;
    for path in
        ["/cabinet/organizations/{oid}", "/cabinet/organizations/{oid}/workers", "/api/v1/cabinet/organizations/{oid}"]
    {
        let (status, body) = answer(&mut browser, path, UNKNOWN).await;
        assert_eq!(status, 404, "{path}: {body}");
        assert!(body.contains("Организация {oid} в реестре не найдена"), "{path}: {body}");
        for malformed in MALFORMED {
            assert_eq!(answer(&mut browser, path, malformed).await, (status, body.clone()), "{path} with {malformed}");
        }
    }
    assert_eq!(denials().await, before, "a missing organization is no refusal");
}

backend_tests!(a_malformed_oid_is_answered_as_an_unknown_one);
