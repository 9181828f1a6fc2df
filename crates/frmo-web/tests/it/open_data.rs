//! Open data through HTTP: an administrator publishes from the open-data page (a background job),
//! anyone downloads the files and reads the versions, the change list and the feed.

use crate::REAVIZ;
use frmo_domain::access::Actor;
use frmo_registry::Caller;
use frmo_registry::moderation::journal::ChangeContext;
use frmo_testkit::{Backend, Browser, TestApp, backend_tests, input_value};

use super::REAVIZ_OID;

/// Changes Реавиз's card with `edit` and publishes the next version; returns the new organization.
async fn rename_reaviz_and_publish(
    app: &TestApp,
    edit: impl FnOnce(&mut frmo_domain::org::Organization),
) -> frmo_domain::org::Organization {
    let card = app.registry.card(&Actor::Anonymous, &REAVIZ, None).await.expect("card");
    let mut renamed = card.organization.clone();
    edit(&mut renamed);
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
    app.registry.publish_nsi(&Caller::system("t"), |_| {}).await.expect("next version");
    renamed
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

    let mut admin = app.as_admin().await.browser(&app);
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
    rename_reaviz_and_publish(&app, |o| o.name_short = "Реавиз (версия 2)".into()).await;
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

/// The register read the way public НСИ clients read the portal's REST service (no such client is
/// installable here, so this drives the documented shapes: see `crates/frmo-web/src/register/nsi_rest.rs`):
/// the passport's `rowsCount` and `keys`, then `data` pages `1..=(rowsCount-1)/size+1`, each row a
/// list of `{column, value}`; the versions list; errors as `{result: "ERROR", resultText}`.
async fn an_nsi_client_reads_the_published_versions_through_the_nsi_rest_shape(backend: Backend) {
    const OID: &str = "1.2.643.5.1.13.13.11.1461";
    let app = TestApp::demo(backend, 25).await;
    let mut visitor = Browser::new(&app);
    let (status, none) = app.get_json(&format!("/nsi/port/rest/passport?identifier={OID}")).await;
    assert_eq!((status, none["result"].as_str()), (404, Some("ERROR")), "nothing published yet: {none}");

    app.registry.publish_nsi(&Caller::system("t"), |_| {}).await.expect("version 1");
    let card = app.registry.card(&Actor::Anonymous, &REAVIZ, None).await.expect("card");
    let old_name = card.organization.name_full.clone();
    let renamed =
        rename_reaviz_and_publish(&app, |o| o.name_full = "Частное учреждение «Реавиз» (версия 2)".into()).await;
    let count = app.registry.count().await.expect("count");

    // The versions, newest first, as text.
    let (status, versions) =
        app.get_json(&format!("/nsi/port/rest/versions?userKey=anything&identifier={OID}&page=1")).await;
    assert_eq!(status, 200, "{versions}");
    assert_eq!((versions["result"].as_str(), versions["total"].as_i64()), (Some("OK"), Some(2)), "{versions}");
    assert_eq!(
        (versions["list"][0]["version"].as_str(), versions["list"][1]["version"].as_str()),
        (Some("2"), Some("1"))
    );
    assert_eq!(versions["list"][0]["archive"], false);

    for (version, name) in [("1", old_name.as_str()), ("2", renamed.name_full.as_str())] {
        let (status, passport) =
            app.get_json(&format!("/nsi/port/rest/passport?userKey=k&identifier={OID}&version={version}")).await;
        assert_eq!((status, passport["result"].as_str()), (200, Some("OK")), "{passport}");
        assert_eq!((passport["oid"].as_str(), passport["version"].as_str()), (Some(OID), Some(version)));
        assert_eq!(passport["rowsCount"].as_i64(), Some(count));
        let key = |kind: &str| {
            passport["keys"].as_array().expect("keys").iter().find(|k| k["type"] == kind).expect("key")["field"]
                .as_str()
                .expect("field")
                .to_owned()
        };
        let (primary, value) = (key("PRIMARY"), key("VALUE"));

        // Every page, as the validator does, with a small size so there are several.
        let size = 7;
        let rows = passport["rowsCount"].as_i64().expect("rows");
        let mut records: Vec<Vec<(String, String)>> = Vec::new();
        for page in 1..=(rows - 1) / size + 1 {
            let (status, data) = app
                .get_json(&format!(
                    "/nsi/port/rest/data?userKey=k&identifier={OID}&version={version}&page={page}&size={size}"
                ))
                .await;
            assert_eq!(
                (status, data["result"].as_str(), data["total"].as_i64()),
                (200, Some("OK"), Some(count)),
                "{data}"
            );
            for row in data["list"].as_array().expect("list") {
                let cells = row.as_array().expect("row");
                records.push(
                    cells
                        .iter()
                        .map(|c| {
                            (
                                c["column"].as_str().expect("column").to_owned(),
                                c["value"].as_str().expect("text").to_owned(),
                            )
                        })
                        .collect(),
                );
            }
        }
        assert_eq!(records.len() as i64, count, "every record once");
        let field = |record: &[(String, String)], name: &str| {
            record.iter().find(|(c, _)| c == name).map(|(_, v)| v.clone()).unwrap_or_default()
        };
        let ids: std::collections::BTreeSet<String> = records.iter().map(|r| field(r, &primary)).collect();
        assert_eq!(ids.len() as i64, count, "the PRIMARY key is unique");
        let reaviz = records.iter().find(|r| field(r, "oid") == REAVIZ_OID).expect("Реавиз");
        assert_eq!(field(reaviz, &value), name, "version {version} has its own name");

        // The rows are the version's published file, field by field, in the loaders' order.
        let file = visitor.get(&format!("/open-data/1461/{version}/files/1461-{version}.json")).await;
        let published: serde_json::Value = serde_json::from_str(&file.body).expect("published JSON");
        let published = published["records"].as_array().expect("records");
        assert_eq!(published.len(), records.len());
        for record in &records {
            let columns: Vec<&str> = record.iter().map(|(c, _)| c.as_str()).collect();
            assert_eq!(columns, frmo_registry::register::nsi::FIELDS);
            let same = published.iter().find(|p| p["oid"].as_str() == Some(&field(record, "oid"))).expect("published");
            for (column, value) in record {
                // НСИ's REST service writes every value as text; the published JSON types codes and
                // coordinates as numbers (as the loaders read them): the same value either way.
                let published = match &same[column] {
                    serde_json::Value::String(text) => text.clone(),
                    serde_json::Value::Null => String::new(),
                    other => other.to_string(),
                };
                assert_eq!(&published, value, "{column} of {}", field(record, "oid"));
            }
        }
    }

    // Without a version, the newest; `data/` as one SDK writes it; a page past the end is empty.
    let (_, newest) = app.get_json(&format!("/nsi/port/rest/data/?identifier={OID}&size=2000")).await;
    let names: Vec<&str> = newest["list"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|row| row.as_array()?.iter().find(|c| c["column"] == "nameFull")?["value"].as_str())
        .collect();
    assert!(names.contains(&renamed.name_full.as_str()), "{names:?}");
    let (_, past) = app.get_json(&format!("/nsi/port/rest/data?identifier={OID}&page=99&size=10")).await;
    assert_eq!((past["list"].as_array().map(Vec::len), past["total"].as_i64()), (Some(0), Some(count)));

    // Errors in НСИ's shape, with the status of their kind and the parameter named.
    for (query, status, says) in [
        ("/nsi/port/rest/data?userKey=k".to_owned(), 400, "identifier"),
        ("/nsi/port/rest/data?identifier=1.2.643.5.1.13.13.11.1002".to_owned(), 404, "1.2.643.5.1.13.13.11.1461"),
        (format!("/nsi/port/rest/data?identifier={OID}&size=5000"), 400, "2000"),
        (format!("/nsi/port/rest/data?identifier={OID}&page=0"), 400, "страницы"),
        (format!("/nsi/port/rest/data?identifier={OID}&page=x"), 400, "целое число"),
        (format!("/nsi/port/rest/passport?identifier={OID}&version=9"), 404, "9"),
        (format!("/nsi/port/rest/searchDictionary?identifier={OID}"), 404, "data, versions и passport"),
    ] {
        let (got, body) = app.get_json(&query).await;
        assert_eq!((got, body["result"].as_str()), (status, Some("ERROR")), "{query}: {body}");
        assert!(body["resultText"].as_str().is_some_and(|t| t.contains(says)), "{query}: {body}");
    }
    let (status, spec) = app.get_json("/nsi/port/rest/openapi.json").await;
    assert_eq!((status, spec["servers"][0]["url"].as_str()), (200, Some("/nsi/port/rest")));
}

backend_tests!(
    the_register_is_published_and_read_over_http,
    an_nsi_client_reads_the_published_versions_through_the_nsi_rest_shape
);
