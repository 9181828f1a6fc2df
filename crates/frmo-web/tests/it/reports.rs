//! Reports through the cabinet's pages and the API: the region's operator sees the moderation of
//! a request approved in the period, the organizations of the region only, downloads in every
//! format, and a wrong period answered with the form and the reason.

use frmo_domain::access::Actor;
use frmo_testkit::{Backend, Browser, TestApp, backend_tests};

use super::{REAVIZ, REAVIZ_OID};

async fn an_operator_reads_reports_of_the_region(backend: Backend) {
    let app = TestApp::demo(backend, 30).await;
    // A request of the region, approved by its operator today.
    let member = app.as_member(REAVIZ_OID).await;
    let card = app.registry.card(&Actor::Anonymous, &REAVIZ, None).await.expect("card");
    let contacts = frmo_domain::org::Contacts { phone: Some("+7 846 000-00-02".into()), ..Default::default() };
    app.registry.edit_contacts(&member.caller, &REAVIZ, contacts, card.row.version_id, "отчёт").await.expect("request");
    let mut operator = app.as_operator(63).await.browser(&app);
    let request = app.registry.store().requests_of_org(REAVIZ_OID, 1).await.expect("requests").remove(0);
    let page = operator.get(&format!("/cabinet/requests/{}", request.id)).await;
    let csrf = frmo_testkit::input_value(&page.body, "csrf").expect("csrf");
    let decided = operator
        .post(
            &format!("/cabinet/requests/{}/decision", request.id),
            &[("csrf", &csrf), ("revision", &request.revision.to_string()), ("verdict", "approve")],
        )
        .await;
    assert!(decided.status < 400, "{}", decided.body);

    let catalogue = operator.get("/cabinet/reports").await;
    assert_eq!(catalogue.status, 200);
    assert!(catalogue.body.contains("/cabinet/reports/moderation") && catalogue.body.contains("Коечный фонд"));

    let moderation = operator.get("/cabinet/reports/moderation?kind=year&group=region").await;
    assert_eq!(moderation.status, 200, "{}", moderation.body);
    let row = moderation.body.split("<th scope=\"row\">63 Самарская область</th>").nth(1).expect("the region's row");
    assert!(
        row.starts_with("<td class=\"num\">1</td><td class=\"num\">0</td>"),
        "one decided, in time: {}",
        &row[..200]
    );
    assert!(moderation.body.contains("<svg") && moderation.body.contains("role=\"img\""), "a chart");
    assert!(moderation.body.contains("<figcaption>Диаграмма"), "its text alternative");

    // The organizations of the region only, at the period's end.
    let organizations = operator.get("/cabinet/reports/organizations?period=2030&group=region").await;
    assert_eq!(organizations.status, 200);
    assert!(organizations.body.contains("63 Самарская область"));
    assert!(!organizations.body.contains("77 Москва"), "another region is not in the operator's report");
    assert!(organizations.body.contains("Данные: регионы: 63 Самарская область"));

    let (status, json) = {
        let mut browser = Browser::new(&app);
        browser.cookies = operator.cookies.clone();
        let page = browser.get("/api/v1/reports/organizations?period=2030&group=region").await;
        (page.status, serde_json::from_str::<serde_json::Value>(&page.body).expect("json"))
    };
    assert_eq!(status, 200);
    assert_eq!(json["rows"].as_array().map(Vec::len), Some(1), "{json}");
    assert_eq!(json["period"]["label"], "2030 год");
    let at_end = json["rows"][0][4].as_i64().expect("a number");
    assert!(
        organizations.body.contains(&format!("<td class=\"num\">{at_end}</td></tr>")),
        "the page and the API agree"
    );

    for (format, magic) in
        [("xlsx", &b"PK"[..]), ("pdf", b"%PDF"), ("csv", "\u{feff}Группа".as_bytes()), ("csv-rfc", b"\xd0\x93")]
    {
        let response = app
            .client
            .get(format!(
                "{}/cabinet/reports/organizations/download?format={format}&period=2030&group=region",
                app.base
            ))
            .header("cookie", format!("frmo_session={}", operator.cookies["frmo_session"]))
            .send()
            .await
            .expect("download");
        assert_eq!(response.status(), 200, "{format}");
        let disposition = response.headers()["content-disposition"].to_str().expect("ascii").to_owned();
        assert!(disposition.contains("organizations-2030."), "{disposition}");
        let bytes = response.bytes().await.expect("body");
        assert!(bytes.starts_with(magic), "{format}");
    }

    let wrong = operator.get("/cabinet/reports/organizations?kind=quarter&quarter=7&year=2026").await;
    assert_eq!(wrong.status, 422);
    assert!(wrong.body.contains("Период") && wrong.body.contains("квартал «7»"), "{}", wrong.body);
    assert!(wrong.body.contains("id=\"report-form\""), "the form is shown again");
    let format = operator.get("/cabinet/reports/organizations/download?format=docx").await;
    assert_eq!(format.status, 400);
    assert!(format.body.contains("Формат"), "{}", format.body);
}

/// Polls a job's page until it is no longer running; the page.
async fn finished(browser: &mut Browser, path: &str) -> String {
    for _ in 0..300 {
        let page = browser.get(path).await;
        assert_eq!(page.status, 200, "{}", page.body);
        if !page.body.contains("http-equiv=\"refresh\"") {
            return page.body;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the job at {path} did not finish in 30 s");
}

async fn exports_run_in_the_background_for_their_owner(backend: Backend) {
    let app = TestApp::demo(backend, 120).await;
    let mut operator = app.as_operator(63).await.browser(&app);
    let catalogue = operator.get("/cabinet/reports").await;
    let csrf = frmo_testkit::input_value(&catalogue.body, "csrf").expect("csrf");
    let started = operator.post("/cabinet/jobs", &[("csrf", &csrf), ("kind", "register"), ("format", "csv")]).await;
    assert_eq!(started.status, 303, "{}", started.body);
    let path = started.location.expect("the job's page");
    let page = finished(&mut operator, &path).await;
    assert!(page.contains("готово") && page.contains("id=\"job-download\""), "{page}");
    let csv = operator.get(&format!("{path}/file")).await;
    assert_eq!(csv.status, 200);
    let count = app.registry.count().await.expect("count");
    assert_eq!(csv.body.lines().count(), usize::try_from(count).expect("n") + 1, "a header and every organization");
    assert!(csv.body.contains(REAVIZ_OID));

    // A report as a file, in the list of the operator's exports.
    let report = operator
        .post(
            "/cabinet/jobs",
            &[
                ("csrf", &csrf),
                ("kind", "report"),
                ("name", "organizations"),
                ("period", "2026"),
                ("group", "type"),
                ("format", "pdf"),
            ],
        )
        .await;
    let report_path = report.location.expect("the job's page");
    assert!(finished(&mut operator, &report_path).await.contains("organizations-2026.pdf"));
    assert!(operator.get(&format!("{report_path}/file")).await.body.starts_with("%PDF"));
    let list = operator.get("/cabinet/jobs").await;
    assert!(
        list.body.contains("Реестр (НСИ 1461), CSV") && list.body.contains("Медицинские организации по типам"),
        "{}",
        list.body
    );

    // Wrong parameters start nothing; someone else's job does not exist for them.
    let wrong = operator.post("/cabinet/jobs", &[("csrf", &csrf), ("kind", "register"), ("format", "docx")]).await;
    assert_eq!(wrong.status, 400);
    assert!(wrong.body.contains("Формат"), "{}", wrong.body);
    let no_csrf = operator.post("/cabinet/jobs", &[("kind", "register"), ("format", "csv")]).await;
    assert_eq!(no_csrf.status, 400);
    assert!(no_csrf.body.contains("Форма"), "the form token is checked: {}", no_csrf.body);
    let mut other = app.as_member(REAVIZ_OID).await.browser(&app);
    assert_eq!(other.get(&path).await.status, 404);
    assert_eq!(other.get(&format!("{path}/file")).await.status, 404);
    let operator_id = app.registry.store().job(1).await.expect("job").and_then(|j| j.user_id).expect("owned");
    let jobs = app.registry.store().jobs_of(operator_id, 100).await.expect("jobs");
    assert_eq!(jobs.len(), 2, "the refused requests started nothing: {jobs:?}");
}

backend_tests!(an_operator_reads_reports_of_the_region, exports_run_in_the_background_for_their_owner);
