//! Forms as GOV.UK patterns them: a refused submit answers with the error summary (each problem a
//! link to its field), the message next to the field, and everything typed kept — but never a
//! password or a one-time code; every action ends on a confirmation that says what happens next,
//! chosen by a code and made from the record, never from the address's text.

use frmo_domain::access::Actor;
use frmo_testkit::{Backend, Browser, TestApp, backend_tests, input_value};

use super::requests::operator_browser;
use super::{REAVIZ, REAVIZ_OGRN, REAVIZ_OID, esia_person};
use frmo_registry::Caller;

/// The summary lists the problem as a link to `field`, and the field carries its message.
fn assert_refused_at(body: &str, field: &str, message: &str) {
    assert!(body.contains("id=\"error-summary\"") && body.contains("Исправьте ошибки"), "no summary: {body}");
    assert!(body.contains(&format!("<a href=\"#{field}\">")), "no link to #{field}: {body}");
    let inline = format!("id=\"{field}-error\"><span class=\"visually-hidden\">Ошибка: </span>");
    assert!(body.contains(&inline), "no message next to #{field}: {body}");
    assert!(body.contains(&format!("aria-describedby=\"{field}-error\"")), "#{field} not described: {body}");
    assert!(body.contains(message), "no «{message}»: {body}");
}

async fn the_card_form_keeps_what_was_typed_and_confirms_the_request(backend: Backend) {
    let app = TestApp::demo(backend, 0).await;
    let member = esia_person(&app, "5001", "Иванова Мария Петровна", None, true, Some((REAVIZ_OGRN, false))).await;
    let mut browser = Browser::new(&app);
    browser.cookies.insert("frmo_session".into(), member.token.clone());
    let path = format!("/cabinet/organizations/{REAVIZ_OID}");
    let page = browser.get(&path).await;
    let (csrf, version) =
        (input_value(&page.body, "csrf").expect("csrf"), input_value(&page.body, "version").expect("version"));
    let card = format!("{path}/card");
    let typed = [
        ("csrf", csrf.as_str()),
        ("version", version.as_str()),
        ("name_short", "ООО «Реавиз» (новое)"),
        ("phone", "12"),
        ("email", "нет-почты"),
        ("reason", "сменились контакты"),
    ];
    let bad = browser.post(&card, &typed).await;
    assert_eq!(bad.status, 400);
    assert_refused_at(&bad.body, "phone", "Телефон: от 10 до 15 цифр");
    assert_refused_at(&bad.body, "email", "Электронная почта: ожидается адрес");
    assert!(bad.body.contains("id=\"phone\" name=\"phone\" value=\"12\" aria-invalid=\"true\""), "{}", bad.body);
    assert_eq!(input_value(&bad.body, "name_short").as_deref(), Some("ООО «Реавиз» (новое)"), "typed name kept");
    assert_eq!(input_value(&bad.body, "reason").as_deref(), Some("сменились контакты"), "the reason is kept");
    assert!(!bad.body.contains("aria-invalid=\"true\" aria-describedby=\"name_short-error\""), "only bad fields");

    let good = browser
        .post(
            &card,
            &[("csrf", &csrf), ("version", &version), ("phone", "+7 846 333-54-51"), ("reason", "сменился телефон")],
        )
        .await;
    assert_eq!(good.status, 303, "Post/Redirect/Get: {}", good.body);
    let request = app.registry.store().requests_of_org(REAVIZ_OID, 1).await.expect("requests").remove(0);
    assert_eq!(good.location.as_deref(), Some(format!("{path}?sent={}", request.id).as_str()));
    let done = browser.follow(good).await;
    let number = frmo_registry::moderation::requests::request_number(&request.kind, request.id, request.created_at);
    assert!(done.body.contains("class=\"panel\" role=\"status\" id=\"request-submitted\""), "{}", done.body);
    assert!(done.body.contains(&format!("Номер заявки: <strong>{number}</strong>")), "{}", done.body);
    assert!(
        done.body.contains(&format!(
            "Заявка {number} отправлена на проверку оператору региона. Решение — в течение 5 рабочих дней, до "
        )),
        "{}",
        done.body
    );
    assert!(done.body.contains("Уведомление о решении придёт в кабинет и на электронную почту."));
    assert!(done.body.contains(&format!("href=\"/cabinet/requests/{}\"", request.id)));

    // Another person's link to the same address shows nothing: the panel comes from a request the
    // viewer may read and of this organization.
    let stranger = esia_person(&app, "5002", "Петров Пётр", None, true, None).await;
    let mut other = Browser::new(&app);
    other.cookies.insert("frmo_session".into(), stranger.token);
    let elsewhere = format!("/cabinet/organizations/{REAVIZ_OID}?sent={}", request.id);
    assert!(!other.get(&elsewhere).await.body.contains("request-submitted"));
}

async fn a_refused_decision_keeps_the_verdict_and_the_comment_and_a_decision_is_confirmed(backend: Backend) {
    let app = TestApp::demo(backend, 0).await;
    let member = esia_person(&app, "5101", "Иванова Мария Петровна", None, true, Some((REAVIZ_OGRN, false))).await;
    let proposal = frmo_registry::identity::cabinet::CardEdit {
        contacts: Some(frmo_domain::org::Contacts { phone: Some("+7 846 111-22-33".into()), ..Default::default() }),
        ..Default::default()
    };
    let session = app.registry.session(&member.token).await.expect("lookup").expect("session");
    let version = app.registry.card(&Actor::Anonymous, &REAVIZ, None).await.expect("card").row.version_id;
    let sent = app
        .registry
        .edit_card(&Caller::new(session.actor(), "test"), &REAVIZ, proposal, version, "новый номер")
        .await
        .expect("request");
    let frmo_registry::moderation::requests::Proposal::Request(view) = sent else { panic!("contacts are moderated") };
    let path = format!("/cabinet/requests/{}", view.id);

    let mut operator = operator_browser(&app).await;
    // A code asked for by the address is shown only when the request bears it out.
    assert!(!operator.get(&format!("{path}?done=decision")).await.body.contains("decision-made"));
    let page = operator.get(&path).await;
    let (csrf, revision) =
        (input_value(&page.body, "csrf").expect("csrf"), input_value(&page.body, "revision").expect("revision"));
    let decision = format!("{path}/decision");
    let no_verdict =
        operator.post(&decision, &[("csrf", &csrf), ("revision", &revision), ("comment", "уточните номер")]).await;
    assert_eq!(no_verdict.status, 400);
    assert_refused_at(&no_verdict.body, "verdict", "Решение: выберите");
    assert!(no_verdict.body.contains(">уточните номер</textarea>"), "the comment is kept: {}", no_verdict.body);
    let silent = operator.post(&decision, &[("csrf", &csrf), ("revision", &revision), ("verdict", "return")]).await;
    assert_refused_at(&silent.body, "comment", "Комментарий: укажите, что исправить");
    assert!(silent.body.contains("value=\"return\" checked"), "the verdict is kept: {}", silent.body);

    let returned = operator
        .post(
            &decision,
            &[("csrf", &csrf), ("revision", &revision), ("verdict", "return"), ("comment", "уточните номер")],
        )
        .await;
    assert_eq!(returned.location.as_deref(), Some(format!("{path}?done=decision").as_str()));
    let done = operator.follow(returned).await;
    assert!(done.body.contains("id=\"decision-made\"") && done.body.contains("Заявка возвращена на доработку"));
    assert!(done.body.contains(&format!("Номер заявки: <strong>{}</strong>", view.number)), "{}", done.body);

    // The author's correction, refused: what was typed stays in the form.
    let mut author = Browser::new(&app);
    author.cookies.insert("frmo_session".into(), member.token.clone());
    let own = author.get(&path).await;
    let (csrf, revision) =
        (input_value(&own.body, "csrf").expect("csrf"), input_value(&own.body, "revision").expect("revision"));
    let refused = author
        .post(
            &format!("{path}/resubmit"),
            &[("csrf", &csrf), ("version", &revision), ("phone", "неверный"), ("reason", "поправила номер")],
        )
        .await;
    assert_eq!(refused.status, 400);
    assert_refused_at(&refused.body, "re-phone", "Телефон");
    assert_eq!(input_value(&refused.body, "phone").as_deref(), Some("неверный"));
    assert!(refused.body.contains(">поправила номер</textarea>"), "{}", refused.body);
}

async fn sign_in_keeps_the_login_never_the_password_and_sign_out_is_confirmed(backend: Backend) {
    let app = TestApp::demo(backend, 0).await;
    let account = frmo_registry::identity::local::NewLocalUser {
        login: "petrova",
        name: "Петрова Анна",
        email: None,
        password: "верный-пароль-01",
        role: None,
        regions: &[],
    };
    app.registry.add_local_user(&Actor::System, &account).await.expect("account");
    let mut browser = Browser::new(&app);
    let form = browser.get("/login").await;
    let csrf = input_value(&form.body, "csrf").expect("csrf");
    let secret = "неверный-пароль-42";
    let refused = browser
        .post("/login/local", &[("csrf", &csrf), ("login", "petrova"), ("password", secret), ("code", "123456")])
        .await;
    assert_eq!(refused.status, 400);
    assert_refused_at(&refused.body, "password", "Пароль: неверный логин, пароль или одноразовый код");
    assert!(refused.body.contains("value=\"petrova\""), "the login is kept");
    assert!(!refused.body.contains(secret) && !refused.body.contains("123456"), "{}", refused.body);

    let signed_in =
        browser.post("/login/local", &[("csrf", &csrf), ("login", "petrova"), ("password", "верный-пароль-01")]).await;
    assert_eq!(signed_in.status, 303, "{}", signed_in.body);
    let cabinet = browser.get("/cabinet").await;
    let csrf = input_value(&cabinet.body, "csrf").expect("csrf");
    let consent = browser.post("/cabinet/consent", &[("csrf", &csrf), ("decision", "accept")]).await;
    assert_eq!(consent.location.as_deref(), Some("/cabinet?done=consent"));
    let home = browser.follow(consent).await;
    assert!(home.body.contains("id=\"consent-given\"") && home.body.contains("Согласие принято."), "{}", home.body);
    let out = browser.post("/logout", &[("csrf", &csrf)]).await;
    assert_eq!(out.location.as_deref(), Some("/login?done=logout"));
    let login = browser.follow(out).await;
    assert!(login.body.contains("id=\"signed-out\"") && login.body.contains("Вы вышли из реестра."), "{}", login.body);
    assert_eq!(browser.get("/cabinet").await.status, 401, "signed out");
}

async fn the_support_form_and_the_application_keep_what_was_typed(backend: Backend) {
    let app = TestApp::demo(backend, 0).await;
    let member = esia_person(&app, "5201", "Иванова Мария Петровна", None, true, Some((REAVIZ_OGRN, false))).await;
    let session = app.registry.session(&member.token).await.expect("lookup").expect("session");
    let cookie = format!("frmo_session={}", member.token);
    let form = frmo_testkit::multipart(
        &[("csrf", &session.record.csrf), ("text", " "), ("topic", "нет-такой"), ("email", "ivanova@example.ru")],
        &[],
    );
    let (status, _, body) = super::support::post(&app, "/cabinet/support", &cookie, form).await;
    assert_eq!(status, 400);
    assert_refused_at(&body, "support-text", "Текст обращения: не заполнен");
    assert_refused_at(&body, "topic", "Тема: выберите тему из списка");
    assert!(body.contains("value=\"ivanova@example.ru\""), "the address is kept: {body}");

    let mut browser = Browser::new(&app);
    browser.cookies.insert("frmo_session".into(), member.token.clone());
    let page = browser.get("/cabinet/applications/new").await;
    let csrf = input_value(&page.body, "csrf").expect("csrf");
    let typed = [
        ("csrf", csrf.as_str()),
        ("name_full", "Общество «Клиника»"),
        ("name_short", "ООО «Клиника»"),
        ("inn", "6317006621"),
        ("region", "63"),
        ("legal_address", "г. Самара"),
        ("reason", "новая клиника"),
    ];
    let refused = browser.post("/cabinet/applications", &typed).await;
    assert_eq!(refused.status, 400);
    assert_refused_at(&refused.body, "inn", "ИНН: неверное контрольное число");
    assert_refused_at(&refused.body, "organization_type", "Тип организации");
    assert_eq!(input_value(&refused.body, "inn").as_deref(), Some("6317006621"));
    assert_eq!(input_value(&refused.body, "reason").as_deref(), Some("новая клиника"));
    assert!(refused.body.contains("<option value=\"63\" selected>"), "the region is kept");
}

backend_tests!(
    the_support_form_and_the_application_keep_what_was_typed,
    the_card_form_keeps_what_was_typed_and_confirms_the_request,
    a_refused_decision_keeps_the_verdict_and_the_comment_and_a_decision_is_confirmed,
    sign_in_keeps_the_login_never_the_password_and_sign_out_is_confirmed
);
