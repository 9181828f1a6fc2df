//! Support over HTTP on both backends: the public form (double-submit token, e-mail required,
//! refusals that store nothing), the cabinet's form with a screenshot, the queue and an answer,
//! addresses shown only to handlers, the error page's «Сообщить о проблеме», and the help centre.

use frmo_registry::documents::DocumentSettings;
use frmo_testkit::s3::Storage;
use frmo_testkit::{Backend, Browser, TestApp, backend_tests, input_value, multipart};

use super::{REAVIZ_OGRN, esia_person};

fn png() -> Vec<u8> {
    std::fs::read(format!("{}/../frmo-domain/tests/fixtures/documents/scan.png", env!("CARGO_MANIFEST_DIR")))
        .expect("png fixture")
}

pub(super) async fn post(
    app: &TestApp,
    path: &str,
    cookie: &str,
    body: (String, Vec<u8>),
) -> (u16, Option<String>, String) {
    let response = app
        .client
        .post(format!("{}{path}", app.base))
        .header("cookie", cookie)
        .header("content-type", body.0)
        .body(body.1)
        .send()
        .await
        .expect("POST");
    let status = response.status().as_u16();
    let location = response.headers().get("location").and_then(|v| v.to_str().ok()).map(str::to_owned);
    (status, location, response.text().await.unwrap_or_default())
}

async fn stored(app: &TestApp) -> usize {
    app.registry.store().support_requests_between(0, i64::MAX).await.expect("requests").len()
}

async fn support_requests_over_http(backend: Backend) {
    let settings = DocumentSettings { max_bytes: 1000, ..DocumentSettings::default() };
    let app = TestApp::with_storage(backend, 0, Storage::Local, settings).await;

    // The public form gives a visitor a form token (double-submit cookie).
    let mut visitor = Browser::new(&app);
    let page = visitor.get("/support/new?code=NOT_SIGNED_IN&request=abc-1&page=/cabinet").await;
    assert_eq!(page.status, 200);
    let token = input_value(&page.body, "csrf").expect("form token");
    assert!(page.body.contains("Ошибка NOT_SIGNED_IN"), "the error's code is carried: {}", page.body);
    let cookie = format!("frmo_form={}", visitor.cookies.get("frmo_form").expect("form cookie"));
    let refusals = [
        (vec![("csrf", token.as_str()), ("text", "Не открывается сайт")], "Электронная почта"),
        (
            vec![("csrf", token.as_str()), ("text", "Не открывается сайт"), ("email", "ivanov.mail.ru")],
            "не похоже на адрес",
        ),
        (vec![("csrf", token.as_str()), ("text", "   "), ("email", "ivanov@mail.ru")], "Текст обращения"),
        (vec![("csrf", "forged"), ("text", "Не открывается сайт"), ("email", "ivanov@mail.ru")], "Форма"),
    ];
    for (fields, message) in refusals {
        let (status, _, body) = post(&app, "/support/new", &cookie, multipart(&fields, &[])).await;
        assert_eq!(status, 400, "{message}: {body}");
        assert!(body.contains(message), "{message}: {body}");
    }
    let fake = multipart(
        &[("csrf", &token), ("text", "Скриншот"), ("email", "ivanov@mail.ru")],
        &[("files", "экран.png", b"just text, not a picture")],
    );
    let (status, _, body) = post(&app, "/support/new", &cookie, fake).await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("Вложения"), "{body}");
    let big = vec![0u8; 5000];
    let oversize = multipart(
        &[("csrf", &token), ("text", "Скриншот"), ("email", "ivanov@mail.ru")],
        &[("files", "огромный.png", &big)],
    );
    let (status, _, body) = post(&app, "/support/new", &cookie, oversize).await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("Вложения: больше допустимых"), "{body}");
    assert_eq!(stored(&app).await, 0, "refused requests store nothing");

    let good = multipart(
        &[
            ("csrf", &token),
            ("text", "Ошибка ESIA-007053 при входе через Госуслуги"),
            ("email", "ivanov@mail.ru"),
            ("code", "NOT_SIGNED_IN"),
            ("request", "abc-1"),
        ],
        &[],
    );
    let (status, _, body) = post(&app, "/support/new", &cookie, good).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("Обращение принято") && body.contains("ОБ-"), "{body}");
    assert_eq!(stored(&app).await, 1);

    // A member files from the cabinet with a screenshot.
    let member =
        esia_person(&app, "3000001", "Иванова Мария", Some("ivanova@example.ru"), true, Some((REAVIZ_OGRN, false)))
            .await;
    let session = app.registry.session(&member.token).await.expect("lookup").expect("session");
    let member_cookie = format!("frmo_session={}", member.token);
    let form = multipart(
        &[("csrf", &session.record.csrf), ("text", "Как выгрузить список сотрудников в Excel?"), ("topic", "")],
        &[("files", "экран.png", &png())],
    );
    let (status, location, body) = post(&app, "/cabinet/support", &member_cookie, form).await;
    assert_eq!(status, 303, "{body}");
    let sent = location.expect("redirect to the request");
    let location = sent.strip_suffix("?done=sent").expect("a confirmation").to_owned();
    let mut browser = Browser::new(&app);
    browser.cookies.insert("frmo_session".into(), member.token.clone());
    let page = browser.get(&sent).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("id=\"support-sent\"") && page.body.contains("Ответ — до "), "{}", page.body);
    assert!(page.body.contains("Номер обращения: <strong>"), "{}", page.body);
    assert!(page.body.contains("Вопрос по работе с интерфейсом"), "{}", page.body);
    assert!(page.body.contains("экран.png"));
    assert!(!page.body.contains("support-email"), "the author is not shown an address");
    let mine = browser.get("/cabinet/support").await;
    assert!(mine.body.contains("Как выгрузить список"), "{}", mine.body);

    // An administrator sees both in the queue, with the addresses, and answers.
    let admin = esia_person(&app, "3000002", "Администратор", None, true, None).await;
    app.registry.store().set_staff_roles(admin.user_id, Some("admin"), &[]).await.expect("roles");
    let mut staff = Browser::new(&app);
    staff.cookies.insert("frmo_session".into(), admin.token.clone());
    let queue = staff.get("/cabinet/support/queue").await;
    assert_eq!(queue.status, 200);
    assert_eq!(
        queue.body.matches("/cabinet/support/").count()
            - queue.body.matches("/cabinet/support/new").count()
            - queue.body.matches("/cabinet/support/queue").count(),
        2,
        "{}",
        queue.body
    );
    let desk = staff.get("/cabinet/support/queue?queue=desk").await;
    assert!(
        desk.body.contains("Доступ и вход") && desk.body.contains("Вопрос по работе с интерфейсом"),
        "{}",
        desk.body
    );
    let regional = staff.get("/cabinet/support/queue?queue=region").await;
    assert!(regional.body.contains("В очереди нет открытых обращений"), "{}", regional.body);
    let overdue = staff.get("/cabinet/support/queue?overdue=1").await;
    assert!(overdue.body.contains("В очереди нет открытых обращений"), "nothing is overdue yet: {}", overdue.body);
    let handled = staff.get(&location).await;
    assert!(handled.body.contains("ivanova@example.ru"), "{}", handled.body);
    let csrf = input_value(&handled.body, "csrf").expect("csrf");
    let revision = input_value(&handled.body, "revision").expect("revision");
    let answered = staff
        .post(
            &format!("{location}/step"),
            &[
                ("csrf", &csrf),
                ("revision", &revision),
                ("action", "answer"),
                ("text", "Раздел «Сотрудники», кнопка «Экспорт»"),
            ],
        )
        .await;
    assert_eq!(answered.status, 303, "{}", answered.body);
    let page = browser.get(&location).await;
    assert!(
        page.body.contains("кнопка «Экспорт»") && page.body.contains("ожидает ответа пользователя"),
        "{}",
        page.body
    );
    // The member may not answer for support.
    let csrf = input_value(&page.body, "csrf").expect("csrf");
    let revision = input_value(&page.body, "revision").expect("revision");
    let refused = browser
        .post(&format!("{location}/step"), &[("csrf", &csrf), ("revision", &revision), ("action", "resolve")])
        .await;
    assert_eq!(refused.status, 403, "{}", refused.body);

    // An error page offers «Сообщить о проблеме» with its code and request id.
    let denied = Browser::new(&app).get("/cabinet/support/queue").await;
    assert_eq!(denied.status, 401);
    assert!(denied.body.contains("Сообщить о проблеме"), "{}", denied.body);
    let href = denied.body.split("href=\"").find(|h| h.contains("report-problem")).expect("the report link");
    let href = href.split('"').next().unwrap_or_default().replace("&#38;", "&").replace("&amp;", "&");
    assert!(href.starts_with("/support/new?code=NOT_SIGNED_IN&request="), "{href}");
    assert!(href.ends_with("&page=/cabinet/support/queue"), "{href}");
    // Following it carries the code into the form.
    let form = Browser::new(&app).get(&href).await;
    assert!(form.body.contains("Ошибка NOT_SIGNED_IN, запрос "), "{}", form.body);

    // The help centre.
    let (status, body) = app.get_text("/support?q=%D0%BE%D1%88%D0%B8%D0%B1%D0%BA%D0%B0%20ESIA-007053").await;
    assert_eq!(status, 200);
    assert!(body.contains("/support/articles/esia-errors"), "{body}");
    let (status, body) = app.get_text("/support/articles/esia-errors").await;
    assert_eq!(status, 200);
    assert!(body.contains("<h2>ESIA-007053</h2>") && body.contains("Редакция 1"), "{body}");
    let (status, json) = app.get_json("/support/suggest?q=%D1%83%D1%87%D1%91%D1%82%D0%BD%D0%B0%D1%8F%20%D0%B7%D0%B0%D0%BF%D0%B8%D1%81%D1%8C%20%D0%BD%D0%B5%20%D0%BF%D0%BE%D0%B4%D1%82%D0%B2%D0%B5%D1%80%D0%B6%D0%B4").await;
    assert_eq!(status, 200);
    assert_eq!(json["articles"][0]["slug"], "confirmed-account", "{json}");
    assert_eq!(app.get_text("/support/articles/nope").await.0, 404);

    // An administrator edits an article: a new version, shown at once; an empty title is refused.
    let form = staff.get("/cabinet/help/esia-errors/edit").await;
    assert_eq!(form.status, 200, "{}", form.body);
    let csrf = input_value(&form.body, "csrf").expect("csrf");
    let version = input_value(&form.body, "version").expect("version");
    let title = input_value(&form.body, "title").expect("title");
    let refused = staff
        .post("/cabinet/help/esia-errors", &[("csrf", &csrf), ("version", &version), ("title", ""), ("body", "текст")])
        .await;
    assert_eq!(refused.status, 400);
    assert!(refused.body.contains("Заголовок: не заполнен"), "{}", refused.body);
    let saved = staff
        .post(
            "/cabinet/help/esia-errors",
            &[
                ("csrf", &csrf),
                ("version", &version),
                ("title", &title),
                ("topic", "access"),
                ("keywords", "ESIA-007053"),
                ("body", "## ESIA-007053\n\nПереустановите плагин."),
            ],
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let (_, body) = app.get_text("/support/articles/esia-errors").await;
    assert!(body.contains("Переустановите плагин") && body.contains("Редакция 2"), "{body}");
    assert_eq!(browser.get("/cabinet/help/esia-errors/edit").await.status, 403, "members do not edit");
}

backend_tests!(support_requests_over_http);
