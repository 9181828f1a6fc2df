//! A change request through the cabinet's pages: the member proposes new contacts with a reason,
//! finds it in «Мои заявки»; the region's operator finds it in the queue, is told what is missing
//! from a decision, approves it, and the card changes; a decision made on a stale page is refused.

use crate::REAVIZ;
use frmo_domain::access::Actor;
use frmo_testkit::{Backend, Browser, TestApp, backend_tests, input_value};

use super::{REAVIZ_OGRN, REAVIZ_OID, esia_person};

pub(crate) async fn operator_browser(app: &TestApp) -> Browser {
    let account = frmo_registry::identity::local::NewLocalUser {
        login: "op63",
        name: "Оператор Самарской области",
        email: None,
        password: "пароль-оператора-01",
        role: None,
        regions: &[63],
    };
    let id = app.registry.add_local_user(&Actor::System, &account).await.expect("operator");
    let new = app.registry.start_session(id, "local", "{}").await.expect("session");
    let session = app.registry.session(&new.token).await.expect("lookup").expect("session");
    app.registry.decide_consent(&session, true).await.expect("consent");
    let mut browser = Browser::new(app);
    browser.cookies.insert("frmo_session".into(), new.token);
    browser
}

async fn a_request_goes_from_the_member_to_the_operator_and_back(backend: Backend) {
    let app = TestApp::demo(backend, 0).await;
    let member = esia_person(&app, "3001", "Иванова Мария Петровна", None, true, Some((REAVIZ_OGRN, false))).await;
    let mut browser = Browser::new(&app);
    browser.cookies.insert("frmo_session".into(), member.token.clone());
    let page = browser.get(&format!("/cabinet/organizations/{REAVIZ_OID}")).await;
    let (csrf, version) =
        (input_value(&page.body, "csrf").expect("csrf"), input_value(&page.body, "version").expect("v"));
    let contacts = format!("/cabinet/organizations/{REAVIZ_OID}/card");
    let no_reason =
        browser.post(&contacts, &[("csrf", &csrf), ("version", &version), ("phone", "+7 846 111-22-33")]).await;
    assert_eq!(no_reason.status, 400);
    assert!(no_reason.body.contains("Причина изменения"), "{}", no_reason.body);
    let sent = browser
        .post(
            &contacts,
            &[("csrf", &csrf), ("version", &version), ("phone", "+7 846 111-22-33"), ("reason", "новый номер")],
        )
        .await;
    assert_eq!(sent.status, 303, "Post/Redirect/Get: {}", sent.body);
    let sent = browser.follow(sent).await;
    assert!(sent.body.contains("отправлена на проверку"), "{}", sent.body);
    let mine = browser.get("/cabinet/requests").await;
    assert!(mine.body.contains("на проверке"), "{}", mine.body);
    let request = app.registry.store().requests_of_org(REAVIZ_OID, 1).await.expect("requests").remove(0);
    let path = format!("/cabinet/requests/{}", request.id);
    let own = browser.get(&path).await;
    assert!(own.body.contains("Контакты") && own.body.contains("+7 846 111-22-33") && own.body.contains("новый номер"));
    assert!(own.body.contains("телефон: +7 846 111-22-33") && !own.body.contains("phone:"), "{}", own.body);
    assert!(
        own.body.contains("withdraw-form") && !own.body.contains("decision-form"),
        "the author withdraws, never decides"
    );

    // An operator who has not yet consented: the home says what to do, a refusal links to it.
    let account = frmo_registry::identity::local::NewLocalUser {
        login: "op63new",
        name: "Новый оператор",
        email: None,
        password: "пароль-оператора-02",
        role: None,
        regions: &[63],
    };
    let id = app.registry.add_local_user(&Actor::System, &account).await.expect("operator");
    let new = app.registry.start_session(id, "local", "{}").await.expect("session");
    let mut newcomer = Browser::new(&app);
    newcomer.cookies.insert("frmo_session".into(), new.token);
    let home = newcomer.get("/cabinet").await;
    assert!(home.body.contains("id=\"operator-work\"") && home.body.contains("/cabinet/profile#consent"));
    assert!(!home.body.contains("Вы не состоите ни в одной организации"), "{}", home.body);
    let refused = newcomer.get("/cabinet/moderation").await;
    assert_eq!(refused.status, 403);
    assert!(refused.body.contains("id=\"way-out\"") && refused.body.contains("href=\"/cabinet/profile#consent\""));

    // The operator's home starts their work: the queue with its counts.
    let mut operator = operator_browser(&app).await;
    let home = operator.get("/cabinet").await;
    assert!(home.body.contains("id=\"queue-waiting\">1<"), "{}", home.body);
    assert!(home.body.contains("href=\"/cabinet/moderation\""));
    let queue = operator.get("/cabinet/moderation").await;
    assert_eq!(queue.status, 200);
    assert!(queue.body.contains(&format!("href=\"{path}\"")), "{}", queue.body);
    assert!(queue.body.contains("Контакты"), "the queue says what changes: {}", queue.body);
    let elsewhere = operator.get("/cabinet/moderation?region=77").await;
    assert!(!elsewhere.body.contains(&format!("href=\"{path}\"")), "filtered by region");
    let overdue = operator.get("/cabinet/moderation?overdue=1").await;
    assert!(!overdue.body.contains(&format!("href=\"{path}\"")), "not overdue yet");
    assert_eq!(operator.get("/cabinet/moderation?region=999").await.status, 400);
    let page = operator.get(&path).await;
    assert!(page.body.contains("decision-form") && !page.body.contains("withdraw-form"));
    let csrf = input_value(&page.body, "csrf").expect("csrf");
    let revision = input_value(&page.body, "revision").expect("revision");
    let undecided = operator.post(&format!("{path}/decision"), &[("csrf", &csrf), ("revision", &revision)]).await;
    assert_eq!(undecided.status, 400);
    assert!(undecided.body.contains("Решение"), "{}", undecided.body);
    let silent = operator
        .post(&format!("{path}/decision"), &[("csrf", &csrf), ("revision", &revision), ("verdict", "return")])
        .await;
    assert_eq!(silent.status, 400);
    assert!(silent.body.contains("Комментарий: укажите, что исправить"), "{}", silent.body);
    // Returned: the author corrects the same request (its proposal filled in) and sends it again.
    let returned = operator
        .post(
            &format!("{path}/decision"),
            &[("csrf", &csrf), ("revision", &revision), ("verdict", "return"), ("comment", "уточните номер")],
        )
        .await;
    assert_eq!(returned.status, 303, "{}", returned.body);
    let own = browser.get(&path).await;
    assert!(own.body.contains("resubmit-form") && own.body.contains("уточните номер"), "{}", own.body);
    assert_eq!(input_value(&own.body, "phone").as_deref(), Some("+7 846 111-22-33"), "what was proposed");
    let (member_csrf, member_revision) =
        (input_value(&own.body, "csrf").expect("csrf"), input_value(&own.body, "revision").expect("revision"));
    let resent = browser
        .post(
            &format!("{path}/resubmit"),
            &[
                ("csrf", &member_csrf),
                ("version", &member_revision),
                ("phone", "+7 846 111-22-34"),
                ("reason", "новый номер, с кодом города"),
            ],
        )
        .await;
    let sent_again = format!("{path}?done=sent");
    assert_eq!((resent.status, resent.location.as_deref()), (303, Some(sent_again.as_str())), "{}", resent.body);
    let own = browser.get(&sent_again).await;
    assert!(own.body.contains("id=\"request-submitted\"") && own.body.contains("Заявка отправлена"), "{}", own.body);
    assert!(own.body.contains("на проверке") && own.body.contains("+7 846 111-22-34"), "{}", own.body);
    assert!(own.body.contains(r#"<strong class="tag tag-submitted">на проверке</strong>"#), "a status tag");
    assert!(!own.body.contains("resubmit-form"));
    assert_eq!(app.registry.store().requests_of_org(REAVIZ_OID, 5).await.expect("requests").len(), 1, "no new request");
    let page = operator.get(&path).await;
    let csrf = input_value(&page.body, "csrf").expect("csrf");
    let revision = input_value(&page.body, "revision").expect("revision");
    let approved = operator
        .post(
            &format!("{path}/decision"),
            &[("csrf", &csrf), ("revision", &revision), ("verdict", "approve"), ("comment", "Проверено")],
        )
        .await;
    let decided = format!("{path}?done=decision");
    assert_eq!((approved.status, approved.location.as_deref()), (303, Some(decided.as_str())));
    let confirmation = operator.get(&decided).await;
    assert!(confirmation.body.contains("id=\"decision-made\"") && confirmation.body.contains("Заявка одобрена"));
    let card = app.registry.card(&Actor::Anonymous, &REAVIZ, None).await.expect("card");
    assert_eq!(card.organization.contacts.phone.as_deref(), Some("+7 846 111-22-34"));
    assert!(browser.get(&path).await.body.contains("Проверено"), "the approval's comment is shown");
    // The same (now stale) page cannot decide again.
    let again = operator
        .post(
            &format!("{path}/decision"),
            &[("csrf", &csrf), ("revision", &revision), ("verdict", "reject"), ("comment", "нет")],
        )
        .await;
    assert_eq!(again.status, 400);
    assert!(again.body.contains("одобрена"), "{}", again.body);
    assert!(browser.get("/cabinet/requests").await.body.contains("одобрена"));

    // The operator's review times.
    let stats = operator.get("/cabinet/moderation/statistics?since=2020-01-01").await;
    assert_eq!(stats.status, 200);
    assert!(stats.body.contains("Оператор Самарской области"), "{}", stats.body);
    let bad = operator.get("/cabinet/moderation/statistics?since=вчера").await;
    assert_eq!(bad.status, 400);
    assert!(bad.body.contains("С даты"), "{}", bad.body);

    // The history says who changed what, why, and on which request.
    let history = browser.get(&format!("/cabinet/organizations/{REAVIZ_OID}/history")).await;
    assert_eq!(history.status, 200);
    let number = request_number(&app, request.id).await;
    for text in
        ["Оператор Самарской области", "Контакты", "+7 846 111-22-34", "новый номер", "одобрена", number.as_str()]
    {
        assert!(history.body.contains(text), "history lacks {text}: {}", history.body);
    }

    // The member is told, in the cabinet.
    let cabinet = browser.get("/cabinet").await;
    assert!(cabinet.body.contains("Новых уведомлений: 2"), "returned, then approved: {}", cabinet.body);
    let notes = browser.get("/cabinet/notifications").await;
    assert!(
        notes.body.contains(&format!("Заявка {} одобрена", request_number(&app, request.id).await)),
        "{}",
        notes.body
    );
    let csrf = input_value(&notes.body, "csrf").expect("csrf");
    assert_eq!(browser.post("/cabinet/notifications/read", &[("csrf", &csrf)]).await.status, 303);
    assert!(!browser.get("/cabinet").await.body.contains("Новых уведомлений"));
}

async fn request_number(app: &TestApp, id: i64) -> String {
    let record = app.registry.store().request(id).await.expect("lookup").expect("request");
    frmo_registry::moderation::requests::request_number(&record.kind, record.id, record.created_at)
}

fn pairs<'a>(fields: &'a [(&'static str, String)]) -> Vec<(&'a str, &'a str)> {
    fields.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

async fn an_application_is_filed_through_the_form_and_approved(backend: Backend) {
    let app = TestApp::demo(backend, 0).await;
    let applicant = esia_person(&app, "3002", "Петров Пётр", None, true, None).await;
    let mut browser = Browser::new(&app);
    browser.cookies.insert("frmo_session".into(), applicant.token.clone());
    let form = browser.get("/cabinet/applications/new").await;
    assert_eq!(form.status, 200);
    let csrf = input_value(&form.body, "csrf").expect("csrf");
    let mut fields = vec![
        ("csrf", csrf.clone()),
        ("name_full", "Общество с ограниченной ответственностью «Клиника Долголетие»".to_owned()),
        ("name_short", "ООО «Клиника Долголетие»".to_owned()),
        ("inn", "6317006620".to_owned()),
        ("ogrn", "1026301420716".to_owned()),
        ("kpp", "631501001".to_owned()),
        ("region", "63".to_owned()),
        ("organization_type", "1".to_owned()),
        ("medical_subject", "1".to_owned()),
        ("agency_kind", "1".to_owned()),
        ("legal_address", "443001, г. Самара, ул. Садовая, д. 5".to_owned()),
        ("reason", "новая клиника".to_owned()),
    ];

    // The register's own organization: refused, with a link to its card.
    let duplicate = browser.post("/cabinet/applications", &pairs(&fields)).await;
    assert_eq!(duplicate.status, 400);
    assert!(duplicate.body.contains(&format!("href=\"/organizations/{REAVIZ_OID}\"")), "{}", duplicate.body);

    // A wrong check digit is named.
    fields[3].1 = "6317006621".into();
    let wrong = browser.post("/cabinet/applications", &pairs(&fields)).await;
    assert_eq!(wrong.status, 400);
    assert!(wrong.body.contains("ИНН: неверное контрольное число"), "{}", wrong.body);

    // New identifiers (valid check digits): the application is filed.
    fields[3].1 = "6315000710".into();
    fields[4].1 = "1196300000016".into();
    let filed = browser.post("/cabinet/applications", &pairs(&fields)).await;
    assert_eq!(filed.status, 303, "{}", filed.body);
    let page = browser.get(filed.location.as_deref().expect("the request's page")).await;
    assert!(page.body.contains("Реквизиты новой организации") && page.body.contains("ЗВ-"), "{}", page.body);

    let mut operator = operator_browser(&app).await;
    let sent = filed.location.clone().expect("path");
    assert!(page.body.contains("id=\"request-submitted\""), "the application is confirmed: {}", page.body);
    let path = sent.strip_suffix("?done=sent").expect("a confirmation").to_owned();
    let decision_page = operator.get(&path).await;
    let csrf = input_value(&decision_page.body, "csrf").expect("csrf");
    let revision = input_value(&decision_page.body, "revision").expect("revision");
    let approved = operator
        .post(&format!("{path}/decision"), &[("csrf", &csrf), ("revision", &revision), ("verdict", "approve")])
        .await;
    assert_eq!(approved.status, 303);
    let done = operator.get(&path).await;
    assert!(done.body.contains("одобрена") && done.body.contains("1.2.643.5.1.13.13.12.2.63."), "{}", done.body);
}

backend_tests!(
    a_request_goes_from_the_member_to_the_operator_and_back,
    an_application_is_filed_through_the_form_and_approved
);
