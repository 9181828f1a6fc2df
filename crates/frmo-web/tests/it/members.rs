//! An organization's chief gives colleagues access to its cabinet and takes it away, through the
//! page's forms; a member sees the list but not the forms.

use frmo_registry::identity::NewSession;
use frmo_testkit::{Backend, Browser, TestApp, backend_tests, input_value};

use super::{REAVIZ_OGRN, REAVIZ_OID, esia_person};

async fn browser_of(app: &TestApp, session: &NewSession) -> Browser {
    let mut browser = Browser::new(app);
    browser.cookies.insert("frmo_session".into(), session.token.clone());
    browser
}

async fn a_chief_grants_and_revokes_access(backend: Backend) {
    let app = TestApp::demo(backend, 0).await;
    let chief = esia_person(
        &app,
        "2001",
        "Иванова Мария Петровна",
        Some("ivanova@example.ru"),
        true,
        Some((REAVIZ_OGRN, true)),
    )
    .await;
    let page_path = format!("/cabinet/organizations/{REAVIZ_OID}");
    let mut browser = browser_of(&app, &chief).await;
    let page = browser.get(&page_path).await;
    assert!(page.body.contains("id=\"grant-form\""), "{}", page.body);
    let csrf = input_value(&page.body, "csrf").expect("csrf");
    let grant = format!("{page_path}/members");

    let forged = browser.post(&grant, &[("csrf", "forged"), ("who", "sidorov@example.ru"), ("role", "member")]).await;
    assert_eq!(forged.status, 400, "a form without this session's token is refused");
    let bad = browser.post(&grant, &[("csrf", &csrf), ("who", "123-456"), ("role", "member")]).await;
    assert_eq!(bad.status, 400);
    assert!(bad.body.contains("Пользователь: СНИЛС: неверный номер"), "{}", bad.body);
    assert!(bad.body.contains("value=\"123-456\""), "what was typed is kept");
    assert!(bad.body.contains("<a href=\"#who\">") && bad.body.contains("id=\"who-error\""), "{}", bad.body);

    // An invitation looks nobody up: a name nobody bears and a colleague's are answered alike, and
    // the page shows the name as typed, never whose it is.
    let unknown = browser.post(&grant, &[("csrf", &csrf), ("who", "nobody@example.ru"), ("role", "member")]).await;
    let known = browser.post(&grant, &[("csrf", &csrf), ("who", "sidorov@example.ru"), ("role", "member")]).await;
    assert_eq!((unknown.status, known.status), (303, 303), "{}", known.body);
    assert_eq!(unknown.location, known.location, "answered alike");
    let known = browser.follow(known).await;
    assert!(known.body.contains("id=\"invited\"") && known.body.contains("Приглашение создано"), "{}", known.body);
    assert!(known.body.contains("почта sidorov@example.ru") && known.body.contains("почта nobody@example.ru"));
    assert!(!known.body.contains("Сидоров Сергей"), "{}", known.body);
    assert_eq!(app.registry.store().members_of(REAVIZ_OID).await.expect("members").len(), 1, "nothing changed yet");

    // The colleague signs in: the invitation becomes access, and their name appears.
    let colleague = esia_person(&app, "2002", "Сидоров Сергей", Some("sidorov@example.ru"), true, None).await;
    let granted = browser.get(&page_path).await;
    assert!(granted.body.contains("Сидоров Сергей") && !granted.body.contains("почта sidorov@example.ru"));

    // The colleague now sees the organization, but not the forms that manage its people.
    let mut colleague_browser = browser_of(&app, &colleague).await;
    let cabinet = colleague_browser.get("/cabinet").await;
    assert!(cabinet.body.contains(REAVIZ_OID), "{}", cabinet.body);
    let theirs = colleague_browser.get(&page_path).await;
    assert_eq!(theirs.status, 200);
    assert!(!theirs.body.contains("grant-form") && !theirs.body.contains("Снять доступ"));
    let refused = colleague_browser
        .post(
            &grant,
            &[("csrf", &input_value(&theirs.body, "csrf").unwrap_or_default()), ("who", "x"), ("role", "member")],
        )
        .await;
    assert_eq!(refused.status, 403);
    assert!(refused.body.contains("NOT_CHIEF"));

    let id = app.registry.store().user_by_subject("esia", "2002").await.expect("lookup").expect("user").id.to_string();
    let revoked = browser.post(&format!("{grant}/revoke"), &[("csrf", &csrf), ("user", &id)]).await;
    assert_eq!(revoked.status, 303, "{}", revoked.body);
    let revoked = browser.follow(revoked).await;
    assert!(revoked.body.contains("Список сотрудников изменён."), "{}", revoked.body);
    assert!(!revoked.body.contains("Сидоров Сергей"));
    assert_eq!(colleague_browser.get(&page_path).await.status, 403, "access ends at once");
}

backend_tests!(a_chief_grants_and_revokes_access);
