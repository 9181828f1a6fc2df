//! «Войти через …» with OpenID Connect end to end: the registry's login page, a real certified
//! provider (the npm package `oidc-provider`), its login and consent pages, the callback, a new
//! session and the cabinet — and the refusals on the way.

use frmo_testkit::oidc::{OpenIdProvider, ProviderBrowser};
use frmo_testkit::{Backend, Browser, TestApp, backend_tests};

const PROVIDER_NAME: &str = "Тестовый провайдер";

/// The registry with the provider's `frmo` client; the provider lives as long as the returned handle.
async fn app(backend: Backend, trusted: bool) -> (TestApp, OpenIdProvider) {
    let mut started = None;
    let slot = &mut started;
    let app = TestApp::with_oidc(backend, 0, |redirect_uri| async move {
        let op = OpenIdProvider::start(&redirect_uri);
        let settings = frmo_app::config::OidcSettings {
            issuer: op.issuer.clone(),
            client_id: "frmo".into(),
            client_secret: "frmo-secret".into(),
            name: PROVIDER_NAME.into(),
            trusted,
        };
        *slot = Some(op);
        settings
    })
    .await;
    (app, started.expect("the provider started"))
}

/// From the registry's button to the callback URL the provider sends the browser back with.
async fn through_the_provider(browser: &mut Browser, op: &OpenIdProvider, login: &str) -> String {
    let start = browser.get("/login/oidc").await;
    assert_eq!(start.status, 303, "{}", start.body);
    let authorization = start.location.expect("to the provider");
    assert!(authorization.starts_with(&format!("{}/auth?", op.issuer)), "{authorization}");
    assert!(authorization.contains("code_challenge_method=S256"), "PKCE: {authorization}");
    let mut provider_browser = ProviderBrowser::new();
    let callback = provider_browser.log_in(&authorization, login, &op.redirect_uri).await;
    assert_eq!(provider_browser.pages, ["login", "consent"], "the provider's own pages were used");
    callback.to_string()
}

async fn a_person_signs_in_with_a_new_session_id(backend: Backend) {
    let (app, op) = app(backend, true).await;
    let mut browser = Browser::new(&app);
    let login = browser.get("/login").await;
    assert!(login.body.contains(&format!("Войти через {PROVIDER_NAME}")), "{}", login.body);

    // A session id planted before sign-in (session fixation) is never the one given at sign-in.
    browser.cookies.insert("frmo_session".into(), "planted-by-someone-else-0123456789abcdef".into());
    let callback = through_the_provider(&mut browser, &op, "ivanov").await;
    let returned = browser.get(&callback).await;
    assert_eq!((returned.status, returned.location.as_deref()), (303, Some("/cabinet")), "{}", returned.body);
    let token = browser.cookies["frmo_session"].clone();
    assert_ne!(token, "planted-by-someone-else-0123456789abcdef");
    assert!(app.registry.session(&token).await.expect("lookup").is_some());

    let cabinet = browser.get("/cabinet").await;
    assert_eq!(cabinet.status, 200);
    assert!(cabinet.body.contains("Иванов Иван Иванович"), "{}", cabinet.body);
    let me: serde_json::Value = serde_json::from_str(&browser.get("/api/v1/me").await.body).expect("JSON");
    assert_eq!(me["provider"], "oidc");
    assert_eq!(me["confirmed"], true, "a trusted provider vouches for its people");

    // The same callback again: the sign-in was used up.
    let replay = browser.get(&callback).await;
    assert_eq!(replay.status, 400);
    assert!(replay.body.contains("LOGIN_STATE_MISMATCH"), "{}", replay.body);
    // A second sign-in gives another session id for the same person.
    let callback = through_the_provider(&mut browser, &op, "ivanov").await;
    browser.get(&callback).await;
    assert_ne!(browser.cookies["frmo_session"], token);
    let user = app.registry.session(&token).await.expect("lookup").expect("first session").user;
    let second = app.registry.session(&browser.cookies["frmo_session"]).await.expect("lookup").expect("second");
    assert_eq!(user.id, second.user.id);
}

async fn a_callback_from_another_browser_or_a_refusal_signs_nobody_in(backend: Backend) {
    let (app, op) = app(backend, false).await;
    let mut victim = Browser::new(&app);
    let callback = through_the_provider(&mut victim, &op, "petrova").await;
    // Someone else's browser (no flow cookie of this sign-in) gets nothing from the code.
    let mut other = Browser::new(&app);
    let stolen = other.get(&callback).await;
    assert_eq!(stolen.status, 400);
    assert!(stolen.body.contains("LOGIN_STATE_MISMATCH"));
    assert!(!other.cookies.contains_key("frmo_session"));

    // The provider refusing (the person pressed «Отмена»): a clear page, no session.
    let mut refused = Browser::new(&app);
    let start = refused.get("/login/oidc").await;
    let state = start.location.as_deref().and_then(|l| l.split("state=").nth(1)).and_then(|s| s.split('&').next());
    let denied = refused
        .get(&format!(
            "/login/oidc/callback?error=access_denied&error_description=cancelled&state={}",
            state.expect("state")
        ))
        .await;
    assert_eq!(denied.status, 400);
    assert!(denied.body.contains("Поставщик входа отказал во входе (access_denied)"), "{}", denied.body);
    assert!(!denied.body.contains("cancelled"), "the address's own text is not shown");
    assert!(!refused.cookies.contains_key("frmo_session"));

    // The victim's own browser still signs in; an untrusted provider's people are not confirmed.
    let returned = victim.get(&callback).await;
    assert_eq!(returned.status, 303, "{}", returned.body);
    let me: serde_json::Value = serde_json::from_str(&victim.get("/api/v1/me").await.body).expect("JSON");
    assert_eq!(me["confirmed"], false);
    assert_eq!(me["name"], "Петрова Мария");
}

backend_tests!(a_person_signs_in_with_a_new_session_id, a_callback_from_another_browser_or_a_refusal_signs_nobody_in);
