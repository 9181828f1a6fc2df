//! Hardening seen from the outside: what answers may be stored and which browser features are off,
//! HSTS behind HTTPS, confirmations that no link can word, and the second factor over HTTP.

use frmo_domain::access::Actor;
use frmo_registry::Caller;
use frmo_registry::identity::local::NewLocalUser;
use frmo_registry::identity::totp;
use frmo_testkit::{Backend, Browser, TestApp, TestDb, backend_tests, input_value};

use super::{REAVIZ, REAVIZ_OGRN, REAVIZ_OID, esia_person};

fn header(response: &reqwest::Response, name: &str) -> String {
    response.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned()
}

async fn get(app: &TestApp, path: &str, session: Option<&str>) -> reqwest::Response {
    let mut request = app.client.get(format!("{}{path}", app.base));
    if let Some(token) = session {
        request = request.header("cookie", format!("frmo_session={token}"));
    }
    request.send().await.expect("GET")
}

async fn session_dependent_answers_are_never_stored(backend: Backend) {
    let app = TestApp::demo(backend, 0).await;
    let chief = esia_person(&app, "7001", "Иванова Мария Петровна", None, true, Some((REAVIZ_OGRN, true))).await;
    // Public answers to anonymous visitors: no `no-store`, but the permissions policy everywhere.
    for path in ["/", "/healthz", "/api/v1/organizations?inn=6317006620"] {
        let response = get(&app, path, None).await;
        assert_eq!(response.status(), 200, "{path}");
        assert!(!header(&response, "cache-control").contains("no-store"), "{path}");
        let policy = header(&response, "permissions-policy");
        assert!(["camera=()", "microphone=()", "geolocation=()"].iter().all(|f| policy.contains(f)), "{policy}");
        assert!(header(&response, "strict-transport-security").is_empty(), "plain HTTP: no HSTS");
    }
    // Anything for a signed-in viewer, the cabinet, its API and worker data — refused or not.
    let workers = format!("/cabinet/organizations/{REAVIZ_OID}/workers");
    let api_workers = format!("/api/v1/organizations/{REAVIZ_OID}/workers");
    for (path, session) in [
        ("/", Some(chief.token.as_str())),
        ("/cabinet", Some(chief.token.as_str())),
        ("/cabinet/profile", Some(chief.token.as_str())),
        (workers.as_str(), Some(chief.token.as_str())),
        (api_workers.as_str(), Some(chief.token.as_str())),
        ("/api/v1/me", Some(chief.token.as_str())),
        ("/cabinet", None),
        (api_workers.as_str(), None),
        ("/api/v1/workers/11223344595", None),
        ("/login", None),
        ("/support/new", None),
    ] {
        let response = get(&app, path, session).await;
        assert_eq!(
            header(&response, "cache-control"),
            "no-store",
            "{path} ({}): {}",
            session.is_some(),
            response.status()
        );
        assert!(header(&response, "permissions-policy").contains("camera=()"), "{path}");
    }
}

/// Serves `state` on an ephemeral port; its address.
async fn serve(state: frmo_web::AppState) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    tokio::spawn(frmo_web::serve(listener, state, std::future::pending()));
    base
}

async fn hsts_is_sent_when_served_over_https(backend: Backend) {
    let db = TestDb::new(backend).await;
    let registry = frmo_registry::Registry::open(db.store().await).await.expect("open");
    let behind_tls = serve(frmo_web::AppState::new(registry.clone(), "https://frmo.example")).await;
    let mut switched_off = frmo_web::Shared::new(registry.clone(), "https://frmo.example");
    let mut auth = frmo_web::AuthSettings::new("https://frmo.example");
    auth.hsts = false;
    switched_off.auth = std::sync::Arc::new(auth);
    let switched_off = serve(switched_off.into()).await;
    let client = reqwest::Client::new();
    let response = client.get(format!("{behind_tls}/healthz")).send().await.expect("GET");
    assert_eq!(header(&response, "strict-transport-security"), "max-age=31536000");
    let response = client.get(format!("{switched_off}/healthz")).send().await.expect("GET");
    assert!(header(&response, "strict-transport-security").is_empty());
}

async fn confirmations_come_from_codes_never_from_the_address(backend: Backend) {
    let app = TestApp::demo(backend, 0).await;
    let chief = esia_person(&app, "7002", "Иванова Мария Петровна", None, true, Some((REAVIZ_OGRN, true))).await;
    let planted = "Ваш пароль устарел, позвоните по номеру +7 900 000-00-00";
    let encoded = serde_urlencoded::to_string([("done", planted)]).expect("encode");
    let org = format!("/cabinet/organizations/{REAVIZ_OID}");
    for page in ["/cabinet", "/cabinet/profile", &format!("{org}/workers"), &format!("{org}/documents"), &org] {
        let body = get(&app, &format!("{page}?{encoded}"), Some(&chief.token)).await.text().await.expect("page");
        assert!(!body.contains("позвоните") && !body.contains("class=\"panel\""), "{page}: {body}");
    }
    let body = get(&app, &format!("{org}/workers?done=import"), Some(&chief.token)).await.text().await.expect("page");
    assert!(body.contains("id=\"import-saved\">\n<h2>Файл загружен"), "{body}");
    let body =
        get(&app, &format!("{org}/documents?done=document"), Some(&chief.token)).await.text().await.expect("page");
    assert!(body.contains("id=\"upload-saved\">\n<h2>Документ сохранён.</h2>"), "{body}");
}

/// A refusal from ЕСИА comes back in the address, which anyone can write: the page shows only a
/// well-formed ЕСИА code with the registry's explanation, never the address's text.
async fn identity_provider_refusals_show_no_text_from_the_address(backend: Backend) {
    let app = TestApp::with_esia(backend, 0).await;
    let planted = "Ваша учётная запись заблокирована, позвоните +7 900 000-00-00";
    for (description, shows) in [
        (format!("ESIA-007004: {planted}"), "Вы отказались предоставить доступ"),
        (planted.to_owned(), "ЕСИА отказала во входе"),
        (format!("ESIA-CALL-US {planted}"), "ЕСИА отказала во входе"),
    ] {
        let query = serde_urlencoded::to_string([("error", "invalid_request"), ("error_description", &description)])
            .expect("encode");
        let response = get(&app, &format!("/login/esia/callback?{query}&state=x"), None).await;
        assert_eq!(response.status(), 400);
        let body = response.text().await.expect("page");
        assert!(body.contains(shows) && !body.contains("позвоните") && !body.contains("CALL-US"), "{body}");
    }
}

/// Signs in at `/login/local`; the page (a redirect when it worked).
async fn sign_in(browser: &mut Browser, login: &str, password: &str, code: &str) -> frmo_testkit::Page {
    let form = browser.get("/login").await;
    let csrf = input_value(&form.body, "csrf").expect("csrf");
    browser.post("/login/local", &[("login", login), ("password", password), ("code", code), ("csrf", &csrf)]).await
}

async fn the_second_factor_over_http(backend: Backend) {
    let app = TestApp::demo(backend, 0).await;
    let password = "очень-длинный-пароль";
    let account =
        NewLocalUser { login: "op", name: "Оператор", email: None, password, role: None, regions: &[63] };
    let id = app.registry.add_local_user(&Actor::System, &account).await.expect("add");
    let mut browser = Browser::new(&app);
    assert_eq!(sign_in(&mut browser, "op", password, "").await.status, 303);
    let profile = browser.get("/cabinet/profile").await;
    let csrf = input_value(&profile.body, "csrf").expect("csrf");
    let enrol = browser.post("/cabinet/totp", &[("csrf", &csrf)]).await;
    assert_eq!(enrol.status, 200, "{}", enrol.body);
    let secret = app.registry.store().user(id).await.expect("lookup").expect("user").totp_pending_secret;
    let secret = totp::from_base32(&secret.expect("a pending secret")).expect("base32");
    let code = totp::code(&secret, app.registry.now());
    // A wrong code shows the same enrolment again with the error at its field, not an error page.
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let refused = browser.post("/cabinet/totp/confirm", &[("csrf", &csrf), ("code", wrong)]).await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(refused.body.contains(&totp::base32(&secret)), "the same secret is shown again");
    assert!(refused.body.contains("неверный код") && refused.body.contains("aria-invalid"), "{}", refused.body);
    assert_eq!(browser.post("/cabinet/totp/confirm", &[("csrf", &csrf), ("code", &code)]).await.status, 303);

    // With the session alone the factor is neither switched off nor replaced.
    for path in ["/cabinet/totp/disable", "/cabinet/totp"] {
        let refused = browser.post(path, &[("csrf", &csrf), ("code", "")]).await;
        assert_eq!(refused.status, 400, "{path}: {}", refused.body);
        assert!(refused.body.contains("неверный или уже использованный код"), "{path}");
    }
    let user = app.registry.store().user(id).await.expect("lookup").expect("user");
    assert!(user.totp_enabled && user.totp_pending_secret.is_none());

    // A wrong password, and the right one with a wrong or a used code, get one answer.
    let mut stranger = Browser::new(&app);
    let answers = [
        sign_in(&mut stranger, "op", "неверный-пароль-1", "").await,
        sign_in(&mut stranger, "op", password, "").await,
        sign_in(&mut stranger, "op", password, &code).await,
        sign_in(&mut stranger, "nobody", password, "").await,
    ];
    for page in &answers {
        assert_eq!(page.status, 400);
        assert!(page.body.contains("неверный логин, пароль или одноразовый код"), "{}", page.body);
    }
    // Five failures from this address (two refused changes, three sign-ins) hold it back a minute.
    let held = sign_in(&mut stranger, "op", password, &totp::code(&secret, app.registry.now() + 30)).await;
    assert!(held.status == 400 && held.body.contains("приостановлен"), "{}", held.body);
    app.registry.advance_clock(90);
    let code = totp::code(&secret, app.registry.now());
    assert_eq!(sign_in(&mut stranger, "op", password, &code).await.status, 303, "a fresh code signs in");
}

/// Text a person typed is shown as text: in the public search (reflected), in a worker's department
/// (stored, shown to the organization) and in an invitation's name (stored, shown to the chief).
async fn user_text_is_escaped_where_it_is_shown(backend: Backend) {
    let app = TestApp::demo(backend, 0).await;
    let payload = "<img src=x onerror=alert(1)>";
    let encoded = "%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E";
    // Shown as text (askama writes `<` as `&#60;`), never as a tag.
    let escaped = |page: &str| {
        !page.contains(payload) && (page.contains("&#60;img src=x onerror") || page.contains("&lt;img src=x onerror"))
    };
    let search = get(&app, &format!("/?q={encoded}"), None).await.text().await.expect("page");
    assert!(escaped(&search), "{search}");

    let chief = esia_person(&app, "7101", "Иванова Мария Петровна", None, true, Some((REAVIZ_OGRN, true))).await;
    let actor = app.registry.session(&chief.token).await.expect("lookup").expect("session").actor();
    let caller = Caller::new(actor, "t");
    let worker = frmo_registry::workers::WorkerForm {
        snils: "112-233-445 95".into(),
        last_name: "Петрова".into(),
        first_name: "Анна".into(),
        sex: "ж".into(),
        birth_date: "1985-04-12".into(),
        department: payload.into(),
        position: "42".into(),
        position_type: "1".into(),
        rate: "1".into(),
        begin_date: "2020-09-01".into(),
        ..Default::default()
    };
    app.registry.add_worker(&caller, &REAVIZ, &worker).await.expect("a worker");
    let list = get(&app, &format!("/cabinet/organizations/{REAVIZ_OID}/workers"), Some(&chief.token)).await;
    let list = list.text().await.expect("page");
    assert!(escaped(&list), "{list}");

    app.registry.grant_member(&caller, &REAVIZ, payload, "member").await.expect("an invitation");
    let page = get(&app, &format!("/cabinet/organizations/{REAVIZ_OID}"), Some(&chief.token)).await;
    let page = page.text().await.expect("page");
    assert!(escaped(&page), "{page}");
}

/// The journal of denials is listed in pages of 50 with page numbers, newest first.
async fn denials_are_listed_in_pages(backend: Backend) {
    use frmo_domain::access::{Action, Principal, Target};
    let app = TestApp::demo(backend, 0).await;
    let stranger = Actor::User(Principal { user_id: 1, confirmed: true, consent: true, ..Principal::default() });
    let target = Target::Organization { oid: REAVIZ_OID, region: 63 };
    for i in 0..60 {
        let refused = app
            .registry
            .authorize(&Caller::new(stranger.clone(), format!("req-{i:02}")), Action::EditOrganization, target)
            .await;
        assert!(refused.is_err());
    }
    let mut auditor = app.as_auditor().await.browser(&app);
    let first = auditor.get("/cabinet/audit/denials").await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert!(first.body.contains("req-59") && !first.body.contains("req-05"), "newest first, 50 a page");
    assert!(first.body.contains("/cabinet/audit/denials?page=2"), "a link to the next page");
    let second = auditor.get("/cabinet/audit/denials?page=2").await;
    assert!(second.body.contains("req-05") && !second.body.contains("req-59"), "{}", second.body);
    assert!(second.body.contains("rel=\"prev\""), "«Предыдущая» on the second page");
}

backend_tests!(
    denials_are_listed_in_pages,
    user_text_is_escaped_where_it_is_shown,
    session_dependent_answers_are_never_stored,
    hsts_is_sent_when_served_over_https,
    confirmations_come_from_codes_never_from_the_address,
    identity_provider_refusals_show_no_text_from_the_address,
    the_second_factor_over_http,
);
