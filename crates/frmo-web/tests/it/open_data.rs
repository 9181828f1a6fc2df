//! Open data through HTTP: an administrator publishes from the open-data page (a background job),
//! anyone downloads the files and reads the versions, the change list and the feed.

use frmo_domain::access::{Actor, FederalRole};
use frmo_registry::journal::ChangeContext;
use frmo_testkit::{Backend, Browser, TestApp, backend_tests, input_value};

use super::REAVIZ_OID;

async fn admin_browser(app: &TestApp) -> Browser {
    let account = frmo_registry::identity::local::NewLocalUser {
        login: "admin",
        name: "Администратор реестра",
        email: None,
        password: "пароль-администратора-01",
        role: Some(FederalRole::Admin),
        regions: &[],
    };
    let id = app.registry.add_local_user(&Actor::System, &account).await.expect("admin");
    let new = app.registry.start_session(id, "local", "{}").await.expect("session");
    let mut browser = Browser::new(app);
    browser.cookies.insert("frmo_session".into(), new.token);
    browser
}

async fn the_register_is_published_and_read_over_http(backend: Backend) {
    let app = TestApp::demo(backend, 25).await;
    let mut visitor = Browser::new(&app);
    let empty = visitor.get("/open-data").await;
    assert_eq!(empty.status, 200);
    assert!(
        empty.body.contains("id=\"no-versions\"") && !empty.body.contains("publish-form"),
        "no button for visitors"
    );
    assert_eq!(visitor.get("/api/v1/nsi/1461/changes?since=1").await.status, 404);

    let mut admin = admin_browser(&app).await;
    let page = admin.get("/open-data").await;
    let csrf = input_value(&page.body, "csrf").expect("the administrator's publish form");
    let started = admin.post("/cabinet/open-data/publish", &[("csrf", &csrf)]).await;
    assert_eq!(started.status, 303, "{}", started.body);
    let job = started.location.expect("job page");
    let mut done = String::new();
    for _ in 0..300 {
        done = admin.get(&job).await.body;
        if !done.contains("http-equiv=\"refresh\"") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(done.contains("publication-1.json"), "{done}");
    assert_eq!(visitor.post("/cabinet/open-data/publish", &[("csrf", "x")]).await.status, 401);

    let count = app.registry.count().await.expect("count");
    let list = visitor.get("/open-data").await;
    assert!(list.body.contains("/open-data/1461/1/files/1461-1.csv"), "{}", list.body);
    let csv = visitor.get("/open-data/1461/1/files/1461-1.csv").await;
    assert_eq!(csv.status, 200);
    assert_eq!(csv.body.lines().count(), usize::try_from(count).expect("n") + 1);
    let (status, versions) = app.get_json("/api/v1/nsi/1461/versions").await;
    assert_eq!(status, 200);
    assert_eq!(versions["versions"][0]["records"].as_i64(), Some(count));
    assert_eq!(versions["versions"][0]["files"][1]["url"], "/open-data/1461/1/files/1461-1.csv");

    // A renamed organization is the one change of version 2, in the list and the feed.
    let card = app.registry.card(&Actor::Anonymous, REAVIZ_OID, None).await.expect("card");
    let mut renamed = card.organization.clone();
    renamed.name_short = "Реавиз (версия 2)".into();
    app.registry
        .change_card(
            &Actor::System,
            &renamed,
            card.row.version_id,
            time::OffsetDateTime::now_utc(),
            ChangeContext::system("т"),
        )
        .await
        .expect("rename");
    app.registry.publish_nsi(&Actor::System, "t", |_| {}).await.expect("version 2");
    let changes = visitor.get("/open-data/1461/2").await;
    assert!(
        changes.body.contains(REAVIZ_OID)
            && changes.body.contains("Реавиз (версия 2)")
            && changes.body.contains("изменена")
    );
    let (status, feed) = app.get_json("/api/v1/nsi/1461/changes?since=1").await;
    assert_eq!(status, 200, "{feed}");
    assert_eq!(feed["version"], 2);
    assert_eq!(feed["changes"].as_array().map(Vec::len), Some(1), "{feed}");
    assert_eq!(feed["changes"][0]["change"], "changed");
    assert_eq!(feed["changes"][0]["record"]["nameShort"], "Реавиз (версия 2)");
    assert_eq!(feed["changes"][0]["record"]["oid"], REAVIZ_OID);
    let (status, wrong) = app.get_json("/api/v1/nsi/1461/changes?since=7").await;
    assert_eq!(status, 404, "a version not published yet: {wrong}");
    assert!(wrong["message"].as_str().is_some_and(|m| m.contains("последняя опубликованная — 2")), "{wrong}");
    let (status, wrong) = app.get_json("/api/v1/nsi/1461/changes?since=0").await;
    assert_eq!((status, wrong["field"].as_str()), (400, Some("since")), "{wrong}");
    assert_eq!(visitor.get("/open-data/1461/9/files/1461-9.csv").await.status, 404);
}

backend_tests!(the_register_is_published_and_read_over_http);
