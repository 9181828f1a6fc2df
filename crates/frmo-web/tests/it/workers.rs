//! Medical workers over HTTP: the add form, the list with personal data masked or not (and every
//! unmasked view journaled), an auditor's view, the API refusing another organization's member,
//! the CSV import whose report names the bad row, and dismissal.

use frmo_domain::access::FederalRole;
use frmo_domain::ident::checksum::snils_check;
use frmo_testkit::{Backend, Browser, TestApp, backend_tests, input_value};

use super::{REAVIZ_OGRN, REAVIZ_OID, esia_person};

fn snils(n: u32) -> String {
    let body = 3_000_000 + n;
    format!("{body:09}{:02}", snils_check(body))
}

async fn browser(app: &TestApp, subject: &str, confirmed: bool, ogrn: Option<&str>) -> (Browser, i64) {
    let person = esia_person(app, subject, "Иванова Мария Петровна", None, confirmed, ogrn.map(|o| (o, false))).await;
    let mut browser = Browser::new(app);
    browser.cookies.insert("frmo_session".into(), person.token.clone());
    (browser, person.user_id)
}

async fn personal_views(app: &TestApp) -> usize {
    let journal = app.registry.journal_of(REAVIZ_OID, 1000).await.expect("journal");
    journal.iter().filter(|r| r.kind == "personal_data").count()
}

/// A `multipart/form-data` body with the form token and one file.
fn multipart(csrf: &str, name: &str, bytes: &[u8]) -> (String, Vec<u8>) {
    frmo_testkit::multipart(&[("csrf", csrf)], &[("file", name, bytes)])
}

async fn workers_through_the_cabinet_and_the_api(backend: Backend) {
    let app = TestApp::demo(backend, 20).await;
    let (mut chief, _) = browser(&app, "3001", true, Some(REAVIZ_OGRN)).await;
    let list_path = format!("/cabinet/organizations/{REAVIZ_OID}/workers");
    let list = chief.get(&list_path).await;
    assert_eq!(list.status, 200, "{}", list.body);
    let csrf = input_value(&list.body, "csrf").expect("csrf");

    // The add form: a wrong СНИЛС is named, then the worker is saved.
    let mut fields = vec![
        ("csrf", csrf.clone()),
        ("snils", "112-233-445 96".to_owned()),
        ("last_name", "Петрова".into()),
        ("first_name", "Анна".into()),
        ("sex", "ж".into()),
        ("birth_date", "1985-04-12".into()),
        ("phone", "+7 846 200-00-01".into()),
        ("department", "Терапевтическое отделение".into()),
        ("position", "42".into()),
        ("position_type", "1".into()),
        ("rate", "1".into()),
        ("begin_date", "2020-09-01".into()),
    ];
    let form = |fields: &[(&'static str, String)]| fields.iter().map(|(k, v)| (*k, v.clone())).collect::<Vec<_>>();
    let pairs = form(&fields);
    let refs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let refused = chief.post(&list_path, &refs).await;
    assert_eq!(refused.status, 400);
    assert!(refused.body.contains("СНИЛС: неверное контрольное число"), "{}", refused.body);
    assert!(refused.body.contains("<a href=\"#snils\">") && refused.body.contains("id=\"snils-error\""));
    assert_eq!(input_value(&refused.body, "last_name").as_deref(), Some("Петрова"), "what was typed is kept");
    fields[1].1 = snils(1);
    let pairs = form(&fields);
    let refs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let saved = chief.post(&list_path, &refs).await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let confirmed = saved.location.clone().expect("the worker's page");
    let worker_path = confirmed.strip_suffix("?done=worker").expect("a confirmation").to_owned();
    assert!(chief.get(&confirmed).await.body.contains("Сведения о работнике сохранены."));
    let before = personal_views(&app).await;
    let page = chief.get(&worker_path).await;
    let formatted = frmo_domain::ident::Snils::parse(&snils(1)).expect("snils").formatted();
    assert!(page.body.contains(&formatted) && page.body.contains("12.04.1985"), "{}", page.body);
    assert_eq!(personal_views(&app).await, before + 1, "the unmasked view is journaled");

    // An unconfirmed member sees the worker with personal data hidden.
    let (mut unconfirmed, _) = browser(&app, "3002", false, Some(REAVIZ_OGRN)).await;
    let masked = unconfirmed.get(&worker_path).await;
    assert_eq!(masked.status, 200);
    assert!(!masked.body.contains(&formatted) && masked.body.contains("скрыто"), "{}", masked.body);
    // …and cannot search by the СНИЛС's digits, on the page or in the API, nor look it up whole:
    // the answer to a known СНИЛС is the answer to an unknown one.
    let tail = &snils(1)[8..];
    let refused = unconfirmed.get(&format!("{list_path}?q={tail}")).await;
    assert_eq!(refused.status, 400);
    assert!(refused.body.contains("поиск по СНИЛС доступен только"), "{}", refused.body);
    assert!(!refused.body.contains(&formatted));
    let api = unconfirmed.get(&format!("/api/v1/organizations/{REAVIZ_OID}/workers?q={tail}")).await;
    let body: serde_json::Value = serde_json::from_str(&api.body).expect("JSON");
    assert_eq!((api.status, body["field"].as_str()), (400, Some("q")), "{}", api.body);
    let known = unconfirmed.get(&format!("/api/v1/workers/{}", snils(1))).await;
    let unknown = unconfirmed.get(&format!("/api/v1/workers/{}", snils(71))).await;
    assert_eq!((known.status, unknown.status), (404, 404));
    let code = |body: &str| serde_json::from_str::<serde_json::Value>(body).expect("JSON")["code"].clone();
    assert_eq!(code(&known.body), code(&unknown.body));

    // Another organization's member: refused on the page and in the API, by СНИЛС too.
    let orgs = frmo_web::demo::stand_orgs(&app.registry).await.expect("orgs");
    let (mut stranger, _) = browser(&app, "3003", true, Some(&orgs[1].ogrn)).await;
    assert_eq!(stranger.get(&list_path).await.status, 403);
    assert_eq!(stranger.get(&format!("/api/v1/organizations/{REAVIZ_OID}/workers")).await.status, 403);
    assert_eq!(stranger.get(&format!("/api/v1/workers/{}", snils(1))).await.status, 404);

    // An auditor sees the personal data through the API, and the view is journaled.
    let (mut auditor, auditor_id) = browser(&app, "3004", true, None).await;
    app.registry.store().set_staff_roles(auditor_id, Some(FederalRole::Auditor.as_str()), &[]).await.expect("role");
    let before = personal_views(&app).await;
    let api = auditor.get(&format!("/api/v1/workers/{}", snils(1))).await;
    assert_eq!(api.status, 200, "{}", api.body);
    let body: serde_json::Value = serde_json::from_str(&api.body).expect("JSON");
    assert_eq!((body["snils"].as_str(), body["phone"].as_str()), (Some(formatted.as_str()), Some("+7 846 200-00-01")));
    assert_eq!(personal_views(&app).await, before + 1);

    // The import: a bad СНИЛС in record 2 is named and nothing changes; fixed, it loads.
    let header =
        "СНИЛС;Фамилия;Имя;Пол;Дата рождения;Подразделение;Должность (код);Тип занятости (код);Ставка;Дата приёма\r\n";
    let row =
        |n: &str, name: &str| format!("{n};{name};Олег;м;03.03.1979;Хирургическое отделение;9;1;1;01.02.2021\r\n");
    let bad = format!("{header}{}{}", row(&snils(2), "Орлов"), row("11223344596", "Соколов"));
    let import_path = format!("{list_path}/import");
    let (content_type, body) = multipart(&csrf, "workers.csv", bad.as_bytes());
    let response = app
        .client
        .post(format!("{}{import_path}", app.base))
        .header("cookie", format!("frmo_session={}", chief.cookies["frmo_session"]))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .expect("POST");
    assert_eq!(response.status(), 400);
    let report = response.text().await.expect("page");
    assert!(
        report.contains("id=\"import-report\"") && report.contains("<td>3</td><td>2</td><td>СНИЛС</td>"),
        "{report}"
    );
    assert!(report.contains("report-download"));
    assert!(!chief.get(&list_path).await.body.contains("Орлов"), "nothing was imported");
    let good = format!("{header}{}{}", row(&snils(2), "Орлов"), row(&snils(3), "Соколов"));
    let (content_type, body) = multipart(&csrf, "workers.csv", good.as_bytes());
    let response = app
        .client
        .post(format!("{}{import_path}", app.base))
        .header("cookie", format!("frmo_session={}", chief.cookies["frmo_session"]))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .expect("POST");
    assert_eq!(response.status(), 303);
    let list = chief.get(&format!("{list_path}?q=%D0%BE%D1%80%D0%BB%D0%BE%D0%B2")).await;
    assert!(list.body.contains("Орлов") && !list.body.contains("Соколов"), "search by name");
    let export = chief.get(&format!("{list_path}/export.csv")).await;
    assert!(export.body.contains("Орлов") && export.body.contains("Петрова"), "{}", export.body);

    // Editing from the worker's page: the form comes filled, the change is saved.
    let page = chief.get(&worker_path).await;
    let card = input_value(&page.body, "card").expect("a card");
    let form = chief.get(&format!("{worker_path}/edit?card={card}")).await;
    assert_eq!(form.status, 200, "{}", form.body);
    assert_eq!(input_value(&form.body, "last_name").as_deref(), Some("Петрова"));
    let mut edit: Vec<(String, String)> =
        ["snils", "last_name", "first_name", "birth_date", "phone", "department", "rate", "begin_date"]
            .iter()
            .map(|name| ((*name).to_owned(), input_value(&form.body, name).unwrap_or_default()))
            .collect();
    edit.extend([("csrf".into(), csrf.clone()), ("card".into(), card.clone()), ("sex".into(), "ж".into())]);
    edit.extend([("position".into(), "42".into()), ("position_type".into(), "1".into())]);
    for (name, value) in &mut edit {
        if name == "rate" {
            *value = "0,5".into();
        }
    }
    let pairs: Vec<(&str, &str)> = edit.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let saved = chief.post(&format!("{worker_path}/edit"), &pairs).await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    assert!(chief.get(&worker_path).await.body.contains("<td>0,5</td>"));
    let check = chief.get(&format!("{list_path}/check?days=30")).await;
    assert_eq!(check.status, 200);
    assert!(check.body.contains("Возможные дубликаты"));

    // A diploma without its institution: refused next to the field, the rest kept.
    let detail = chief
        .post(
            &format!("{worker_path}/details"),
            &[
                ("csrf", &csrf),
                ("kind", "education"),
                ("code", "1"),
                ("institution", " "),
                ("document_number", "ДВС 0123456"),
                ("date", "2010-06-30"),
                ("specialty", "Лечебное дело"),
            ],
        )
        .await;
    assert_eq!(detail.status, 400, "{}", detail.body);
    assert!(detail.body.contains("<a href=\"#education-institution\">"), "{}", detail.body);
    assert!(detail.body.contains("value=\"ДВС 0123456\"") && detail.body.contains("value=\"Лечебное дело\""));

    // Dismissal from the worker's page.
    let page = chief.get(&worker_path).await;
    let card = input_value(&page.body, "card").expect("a dismiss form");
    let dismissed = chief
        .post(
            &format!("{worker_path}/dismiss"),
            &[("csrf", &csrf), ("card", &card), ("end_date", "2026-10-31"), ("reason", "3")],
        )
        .await;
    assert_eq!(dismissed.status, 303);
    let page = chief.follow(dismissed).await;
    assert!(page.body.contains("id=\"worker-dismissed\""), "{}", page.body);
    assert!(page.body.contains("31.10.2026") && input_value(&page.body, "card").is_none(), "{}", page.body);
}

backend_tests!(workers_through_the_cabinet_and_the_api);
