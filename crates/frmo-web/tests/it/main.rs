//! HTTP tests against the real router on an ephemeral port, on both backends.

use frmo_registry::identity::NewUser;
use frmo_registry::identity::{NewSession, OrgRole, SignIn};
use frmo_testkit::{Backend, TestApp, backend_tests};

mod api_contract;
mod database;
mod directories;
mod documents;
mod e2e_pages;
mod esia;
mod fhir;
mod forms;
mod frame;
mod ips;
mod limits;
mod locale;
mod matrix;
mod members;
mod metrics;
mod oid_paths;
mod oidc;
mod open_data;
mod paging;
mod reports;
mod requests;
mod security;
mod support;
mod workers;

const REAVIZ_OID: &str = "1.2.643.5.1.13.13.12.2.78.6258";
/// [`REAVIZ_OID`] parsed once, for the use cases that take an organization's OID.
static REAVIZ: std::sync::LazyLock<frmo_domain::ident::OrgOid> =
    std::sync::LazyLock::new(|| frmo_domain::ident::OrgOid::parse(REAVIZ_OID).expect("Реавиз's OID"));
const REAVIZ_OGRN: &str = "1026301420716";

/// Signs a ЕСИА person in through the registry itself (no browser) and accepts the consent. `org` is
/// the ОГРН of their organization and whether they are its chief.
async fn esia_person(
    app: &TestApp,
    subject: &str,
    name: &str,
    email: Option<&str>,
    confirmed: bool,
    org: Option<(&str, bool)>,
) -> NewSession {
    let sign_in = SignIn {
        user: NewUser {
            provider: "esia".into(),
            subject: subject.into(),
            display_name: name.into(),
            snils: None,
            email: email.map(Into::into),
            confirmed,
        },
        organizations: Some(
            org.map(|(ogrn, chief)| OrgRole { ogrn: ogrn.into(), inn: None, name: String::new(), chief })
                .into_iter()
                .collect(),
        ),
        method: "esia-pwd".into(),
        provider_data: "{}".into(),
    };
    let new = app.registry.sign_in(sign_in).await.expect("sign in");
    let session = app.registry.session(&new.token).await.expect("lookup").expect("session");
    app.registry.decide_consent(&session, true).await.expect("consent");
    new
}

async fn api_finds_the_real_organization(backend: Backend) {
    let app = TestApp::demo(backend, 200).await;
    for path in [
        "/api/v1/organizations?q=%D1%83%D0%BD%D0%B8%D0%B2%D0%B5%D1%80%D1%81%D0%B8%D1%82%D0%B5%D1%82%D0%B0",
        "/api/v1/organizations?inn=6317006620",
        "/api/v1/organizations?ogrn=1026301420716",
        "/api/v1/organizations?kpp=631501001",
        "/api/v1/organizations?oid=1.2.643.5.1.13.13.12.2.78.6258",
    ] {
        let (status, body) = app.get_json(path).await;
        assert_eq!(status, 200, "{path}: {body}");
        assert_eq!(body["items"][0]["oid"], REAVIZ_OID, "{path}: {body}");
        assert_eq!(body["items"][0]["inn"], "6317006620");
        assert_eq!(body["items"][0]["regionName"], "Самарская область");
    }
}

async fn api_bad_parameters_answer_400_naming_the_field(backend: Backend) {
    let app = TestApp::demo(backend, 5).await;
    let (status, body) = app.get_json("/api/v1/organizations?inn=6317006621").await;
    assert_eq!(status, 400);
    assert_eq!(body["code"], "invalid_parameter");
    assert_eq!(body["field"], "inn");
    assert_eq!(body["message"], "ИНН: неверное контрольное число");
    let (status, body) = app.get_json("/api/v1/organizations?ogrn=1026301420717").await;
    assert_eq!((status, body["field"].as_str()), (400, Some("ogrn")));
    for (path, field) in [
        ("/api/v1/organizations?limit=0", "limit"),
        ("/api/v1/organizations?limit=abc", "limit"),
        ("/api/v1/organizations?cursor=garbage", "cursor"),
        ("/api/v1/organizations?as_of=2024-13-45", "as_of"),
        ("/api/v1/organizations?region=999", "region"),
        ("/api/v1/organizations?type=9999", "type"),
        ("/api/v1/organizations?q=a&q=b", "q"),
        ("/api/v1/organizations?q=%FF", "q"),
        ("/api/v1/organizations/not-an-oid", "oid"),
        ("/api/v1/organizations/1.2.643.5.1.13.13.12.2.78.6258?as_of=вчера", "as_of"),
    ] {
        let (status, body) = app.get_json(path).await;
        assert_eq!(status, 400, "{path}: {body}");
        assert_eq!(body["field"], field, "{path}: {body}");
        assert!(!body["message"].as_str().unwrap_or("").is_empty());
    }
}

async fn api_card_has_structure_and_etag(backend: Backend) {
    let app = TestApp::demo(backend, 5).await;
    let response = app.get(&format!("/api/v1/organizations/{REAVIZ_OID}")).await;
    assert_eq!(response.status(), 200);
    let etag = response.headers()["etag"].to_str().expect("etag").to_owned();
    let card: serde_json::Value = response.json().await.expect("json");
    assert_eq!(card["oid"], REAVIZ_OID);
    assert_eq!(card["kpp"], "631501001");
    assert!(card["departments"].as_array().is_some_and(|d| !d.is_empty()));
    assert!(card["licences"][0]["places"][0]["works"].as_array().is_some_and(|w| !w.is_empty()));

    let again = app
        .client
        .get(format!("{}/api/v1/organizations/{REAVIZ_OID}", app.base))
        .header("if-none-match", &etag)
        .send()
        .await
        .expect("request");
    assert_eq!(again.status(), 304);

    let (status, body) = app.get_json("/api/v1/organizations/1.2.643.5.1.13.13.12.2.78.999999").await;
    assert_eq!((status, body["code"].as_str()), (404, Some("not_found")));
    let (status, _) = app.get_json(&format!("/api/v1/organizations/{REAVIZ_OID}?as_of=1999-01-01")).await;
    assert_eq!(status, 404, "the organization did not exist yet");
}

async fn api_pages_with_a_cursor(backend: Backend) {
    let app = TestApp::demo(backend, 150).await;
    let (_, first) = app.get_json("/api/v1/organizations?region=77&limit=1").await;
    let total = first["total"].as_u64().expect("total");
    assert!(total >= 1);
    let mut seen = 0;
    let mut path = "/api/v1/organizations?region=77&limit=1".to_owned();
    loop {
        let (status, page) = app.get_json(&path).await;
        assert_eq!(status, 200);
        seen += page["items"].as_array().map_or(0, Vec::len);
        match page["nextCursor"].as_str() {
            Some(cursor) => path = format!("/api/v1/organizations?region=77&limit=1&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(seen as u64, total);
}

async fn search_page_lists_and_links_cards(backend: Backend) {
    let app = TestApp::demo(backend, 50).await;
    let (status, html) = app.get_text("/").await;
    assert_eq!(status, 200);
    assert!(html.contains(r#"<label for="q">Поиск</label>"#));
    assert!(html.contains("Самарская область"));
    // The help centre is a link away on every page (the header and the footer of the one layout).
    for path in ["/", "/login", "/open-data", &format!("/organizations/{REAVIZ_OID}")] {
        let (_, html) = app.get_text(path).await;
        assert!(html.contains(r#"<a href="/support">Помощь</a>"#) && html.contains("Центр помощи"), "{path}");
    }
    let (status, html) =
        app.get_text("/?q=%D1%83%D0%BD%D0%B8%D0%B2%D0%B5%D1%80%D1%81%D0%B8%D1%82%D0%B5%D1%82%D0%B0").await;
    assert_eq!(status, 200);
    assert!(html.contains(&format!(r#"href="/organizations/{REAVIZ_OID}""#)), "{html}");
    assert!(html.contains("Медицинский Университет «Реавиз»"));

    let (status, html) = app.get_text("/?inn=6317006621").await;
    assert_eq!(status, 400);
    assert!(html.contains("ИНН: неверное контрольное число"));
}

async fn card_page_shows_requisites_structure_and_dates(backend: Backend) {
    let app = TestApp::demo(backend, 5).await;
    let (status, html) = app.get_text(&format!("/organizations/{REAVIZ_OID}")).await;
    assert_eq!(status, 200);
    for text in [
        "<h1>Медицинский Университет «Реавиз»</h1>",
        "6317006620",
        "1026301420716",
        "631501001",
        "Структура",
        "Лицензии",
        "Здания",
        "Карточка на дату",
    ] {
        assert!(html.contains(text), "missing {text}");
    }
    // A date before the organization was in the register: said so, above its current card.
    let (status, html) = app.get_text(&format!("/organizations/{REAVIZ_OID}?as_of=1999-01-01")).await;
    assert_eq!(status, 200);
    assert!(html.contains("На 01.01.1999 организации в реестре ещё не было: её запись действует с"), "{html}");
    assert!(html.contains("Ниже — текущая карточка") && html.contains("Реквизиты"));
    let (status, _) = app.get_text("/organizations/1.2.643.5.1.13.13.12.2.78.999999?as_of=1999-01-01").await;
    assert_eq!(status, 404, "an OID not in the register is still not found");
    let (status, _) = app.get_text("/organizations/garbage").await;
    assert_eq!(status, 400);

    // The printable card, read back by poppler's pdftotext (Debian poppler-utils).
    let dir = tempfile::tempdir().expect("dir");
    for (query, said) in [("", "текущее состояние"), ("?as_of=2010-06-01", "по состоянию на 01.06.2010")]
    {
        let response = app.get(&format!("/organizations/{REAVIZ_OID}/card.pdf{query}")).await;
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "application/pdf");
        let path = dir.path().join("card.pdf");
        std::fs::write(&path, response.bytes().await.expect("bytes")).expect("write");
        let out = std::process::Command::new("pdftotext").arg("-layout").arg(&path).arg("-").output();
        let text = String::from_utf8(out.expect("pdftotext (Debian poppler-utils)").stdout).expect("UTF-8");
        for expected in ["Медицинский Университет «Реавиз»", "6317006620", "Юридический адрес", "Отделение", said]
        {
            assert!(text.contains(expected), "{query}: {expected} missing in\n{text}");
        }
    }
}

async fn operations_endpoints(backend: Backend) {
    let app = TestApp::empty(backend).await;
    assert_eq!(app.get_text("/healthz").await, (200, "ok".to_owned()));
    assert_eq!(app.get_text("/readyz").await.0, 200);
    let response = app.get("/healthz").await;
    assert!(response.headers().contains_key("x-request-id"));
    assert_eq!(response.headers()["x-content-type-options"], "nosniff");
    let (status, spec) = app.get_json("/api/v1/openapi.json").await;
    assert_eq!(status, 200);
    assert!(spec["paths"]["/organizations/{oid}"].is_object());
    let (status, body) = app.get_json("/api/v1/nothing-here").await;
    assert_eq!((status, body["code"].as_str()), (404, Some("not_found")));
}

backend_tests!(
    api_finds_the_real_organization,
    api_bad_parameters_answer_400_naming_the_field,
    api_card_has_structure_and_etag,
    api_pages_with_a_cursor,
    search_page_lists_and_links_cards,
    card_page_shows_requisites_structure_and_dates,
    operations_endpoints,
);

/// Every query parameter the search accepts is described in the OpenAPI document.
#[test]
fn openapi_describes_every_search_parameter() {
    let spec: serde_json::Value =
        serde_json::from_str(include_str!("../../src/register/api/openapi.json")).expect("openapi.json is JSON");
    let documented: Vec<&str> = spec["paths"]["/organizations"]["get"]["parameters"]
        .as_array()
        .expect("parameters")
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    for name in ["q", "inn", "ogrn", "kpp", "oid", "region", "type", "kind", "status", "as_of", "cursor", "limit"] {
        assert!(documented.contains(&name), "{name} is not documented");
    }
}
