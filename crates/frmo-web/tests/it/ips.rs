//! The integration API (`/ips`) against a running frmo on both backends, driven with the bodies the
//! public ИПС client sends (the real organization card and ФРМР person of `../shared/reference/samples`):
//! system keys in the path, in `X-Api-Key` or as a Bearer token; the service's envelopes and model
//! field names; writes through moderation with the request's fate on the next read; bad input
//! refused naming the field with nothing stored; a key for one organization never reaching another;
//! a revoked key stopped at once; every call journaled without the key.

use crate::REAVIZ;
use frmo_domain::access::Actor;
use frmo_testkit::{Backend, TestApp, backend_tests, reference_sample};
use serde_json::{Value, json};

use super::REAVIZ_OID;
use frmo_registry::Caller;

async fn call(app: &TestApp, method: &str, path: &str, key: Option<&str>, body: Option<&Value>) -> (u16, Value) {
    let url = format!("{}/ips{path}", app.base);
    let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
    let mut request = app.client.request(method, url);
    if let Some(key) = key {
        request = request.header("x-api-key", key);
    }
    if let Some(body) = body {
        request = request.json(body);
    }
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// An organization of another region than Реавиз's (63), and its region.
async fn elsewhere(app: &TestApp) -> (String, u64) {
    let (_, body) = app.get_json("/api/v1/organizations?limit=100").await;
    let other = body["items"].as_array().into_iter().flatten().find(|o| o["regionId"] != 63).expect("another region");
    (other["oid"].as_str().expect("oid").to_owned(), other["regionId"].as_u64().expect("region"))
}

fn is_problem(body: &Value, code: u16) -> bool {
    body["code"] == code
        && body["reasonPhrase"].is_string()
        && body["timestamp"].is_string()
        && body["message"].is_string()
}

async fn a_system_reads_its_organization_as_the_service_writes_it(backend: Backend) {
    let app = TestApp::demo(backend, 30).await;
    let issued =
        app.registry.add_system(&Caller::system("t"), "mis-samara", &[REAVIZ_OID.into()], &[]).await.expect("key");
    let key = issued.key.as_str();

    // The key as the path segment, as a header, as a Bearer token: the same card.
    let (status, by_path) = call(&app, "GET", &format!("/{key}/org/{REAVIZ_OID}"), None, None).await;
    assert_eq!(status, 200, "{by_path}");
    let card = &by_path["content"];
    assert!(by_path["requestId"].is_string() && by_path["errorUserMessage"].is_null(), "{by_path}");
    assert_eq!(
        (card["oid"].as_str(), card["inn"].as_str(), card["kpp"].as_str()),
        (Some(REAVIZ_OID), Some("6317006620"), Some("631501001"))
    );
    assert!(card["orgType"]["code"].is_u64() && card["orgType"]["name"].is_string(), "{card}");
    assert_eq!(card["regionId"]["id"], 63);
    assert_eq!(card["regionId"]["region"], "Самарская область");
    assert!(card["legalAddress"]["region"]["territoryCode"].is_u64(), "{card}");
    assert!(card["moAgencyKindId"]["id"].is_u64() && card["medicalSubjectId"][0]["id"].is_u64(), "{card}");
    let (status, by_header) = call(&app, "GET", &format!("/org/{REAVIZ_OID}"), Some(key), None).await;
    assert_eq!((status, &by_header["content"]), (200, card));
    let bearer = app
        .client
        .get(format!("{}/ips/org/{REAVIZ_OID}", app.base))
        .header("authorization", format!("Bearer {key}"))
        .send()
        .await
        .expect("request");
    assert_eq!(bearer.status(), 200);

    // Lists: its organizations, departments (hospital subdivisions and beds inside), buildings,
    // licences, staffing.
    let (status, list) = call(&app, "GET", "/org?offset=0&limit=10", Some(key), None).await;
    assert_eq!(
        (status, list["total"].as_u64(), list["offset"].as_u64(), list["limit"].as_u64()),
        (200, Some(1), Some(0), Some(10))
    );
    assert_eq!(list["content"][0]["oid"], REAVIZ_OID);
    let (status, departments) = call(&app, "GET", &format!("/org/depart?oid={REAVIZ_OID}"), Some(key), None).await;
    assert_eq!(status, 200, "{departments}");
    let first = &departments["content"][0];
    assert!(first["departTypeId"]["id"].is_u64() && first["departName"].is_string(), "{first}");
    let depart = first["oid"].as_str().expect("department oid");
    let (status, one) = call(&app, "GET", &format!("/org/depart/{depart}?oid={REAVIZ_OID}"), Some(key), None).await;
    assert_eq!((status, one["content"]["oid"].as_str()), (200, Some(depart)));
    let with_beds = departments["content"].as_array().into_iter().flatten().find(|d| d["departHospital"].is_object());
    if let Some(hospital) = with_beds {
        let beds = &hospital["departHospital"]["hospitalSubdivision"][0]["hospitalSubdivisionBeds"][0];
        assert!(beds["bedProfileId"]["id"].is_u64() && beds["bedCount"].is_u64(), "{hospital}");
    }
    for path in ["/org/building", "/org/licenses", "/org/staff"] {
        let (status, page) = call(&app, "GET", &format!("{path}?oid={REAVIZ_OID}"), Some(key), None).await;
        assert_eq!(status, 200, "{path}: {page}");
        assert!(page["content"].is_array() && page["total"].is_u64(), "{path}: {page}");
    }
    let (_, licences) = call(&app, "GET", &format!("/org/licenses?oid={REAVIZ_OID}"), Some(key), None).await;
    assert!(licences["content"][0]["licenseNumber"].is_string(), "{licences}");

    // Another organization, no key, a wrong key, an unknown method: the service's error shape.
    let (other, _) = elsewhere(&app).await;
    let (status, refused) = call(&app, "GET", &format!("/org/{other}"), Some(key), None).await;
    assert!(status == 403 && is_problem(&refused, 403), "{status} {refused}");
    let (status, refused) = call(&app, "GET", &format!("/org/depart?oid={other}"), Some(key), None).await;
    assert_eq!(status, 403, "{refused}");
    let (status, anonymous) = call(&app, "GET", &format!("/org/{REAVIZ_OID}"), None, None).await;
    assert!(status == 401 && is_problem(&anonymous, 401), "{status} {anonymous}");
    let (status, _) = call(&app, "GET", &format!("/frmo_wrong/org/{REAVIZ_OID}"), None, None).await;
    assert_eq!(status, 401);
    let (status, unknown) = call(&app, "GET", "/org/equipment?oid=x", Some(key), None).await;
    assert!(status == 404 && unknown["message"].as_str().is_some_and(|m| m.contains("не ведёт")), "{status} {unknown}");

    // Every call is journaled with the system as the actor, and the key is nowhere in it.
    let journal = app.registry.journal_of(REAVIZ_OID, 200).await.expect("journal");
    let calls: Vec<_> = journal.iter().filter(|r| r.kind == "ips_call").collect();
    assert!(calls.len() >= 8, "{} calls journaled", calls.len());
    assert!(calls.iter().all(|r| !r.detail.contains(key)), "the key is never journaled");
    let (refused, by_system): (Vec<&&frmo_registry::moderation::journal::JournalEntry>, Vec<_>) =
        calls.iter().partition(|r| r.detail.contains("\"status\":401"));
    assert_eq!(refused.len(), 2, "calls without a valid key (none, a wrong one) are journaled too");
    assert!(by_system.iter().all(|r| r.actor.contains("mis-samara")));

    // A revoked key stops at once.
    app.registry.revoke_system(&Caller::system("t"), "mis-samara").await.expect("revoke");
    let (status, _) = call(&app, "GET", &format!("/org/{REAVIZ_OID}"), Some(key), None).await;
    assert_eq!(status, 401);
}

async fn a_regional_key_reaches_the_organizations_of_its_region_only(backend: Backend) {
    let app = TestApp::demo(backend, 30).await;
    let (other, region) = elsewhere(&app).await;
    let issued =
        app.registry.add_system(&Caller::system("t"), "minzdrav", &[], &[region.to_string()]).await.expect("key");
    let (status, card) = call(&app, "GET", &format!("/org/{other}"), Some(&issued.key), None).await;
    assert_eq!((status, card["content"]["regionId"]["id"].as_u64()), (200, Some(region)), "{card}");
    let (status, _) = call(&app, "GET", &format!("/org/{REAVIZ_OID}"), Some(&issued.key), None).await;
    assert_eq!(status, 403);
    let (_, list) = call(&app, "GET", "/org?limit=100", Some(&issued.key), None).await;
    let total = list["total"].as_u64().expect("total");
    assert!(
        total >= 1 && list["content"].as_array().is_some_and(|c| c.iter().all(|o| o["regionId"]["id"] == region)),
        "{list}"
    );
    // The same name twice, an organization that does not exist, no scope: refused naming why.
    assert!(app.registry.add_system(&Caller::system("t"), "minzdrav", &[], &["77".into()]).await.is_err());
    assert!(
        app.registry
            .add_system(&Caller::system("t"), "x-y", &["1.2.643.5.1.13.13.12.2.77.999999".into()], &[])
            .await
            .is_err()
    );
    assert!(app.registry.add_system(&Caller::system("t"), "nothing", &[], &[]).await.is_err());
}

async fn writes_follow_the_moderation_policy_and_bad_input_stores_nothing(backend: Backend) {
    let app = TestApp::demo(backend, 5).await;
    let secret =
        app.registry.add_system(&Caller::system("t"), "mis", &[REAVIZ_OID.into()], &[]).await.expect("key").key;
    let key = Some(secret.as_str());

    // The real card as the public client sends it with `PUT org`, with a new short name.
    let mut sample: Value =
        serde_json::from_slice(&reference_sample("parusrx_org_1.2.643.5.1.13.13.12.2.78.6258.json")).expect("card");
    sample["nameShort"] = json!("Университет «Реавиз» (ИПС)");
    let (status, answer) = call(&app, "PUT", &format!("/org?oid={REAVIZ_OID}"), key, Some(&sample)).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["applied"], false, "a name is moderated: {answer}");
    let number = answer["changeRequest"]["number"].as_str().expect("number").to_owned();
    assert_eq!(answer["changeRequest"]["status"], "submitted");
    // A later read shows the request's fate, and the card is unchanged until the operator decides.
    let (_, read) = call(&app, "GET", &format!("/org/{REAVIZ_OID}"), key, None).await;
    assert_ne!(read["content"]["nameShort"], "Университет «Реавиз» (ИПС)");
    let requests = read["content"]["changeRequests"].as_array().expect("requests");
    assert!(requests.iter().any(|r| r["number"] == number.as_str() && r["status"] == "submitted"), "{read}");

    // A department as the public client creates it (its `.http` body, with the old spelling).
    let body = json!({"departName": "Отделение №1", "departStructure": {"level": "1", "headDepart": ""}, "isPlaned": false, "departTypeId": {"id": 1}});
    let (status, created) = call(&app, "POST", &format!("/org/depart?oid={REAVIZ_OID}"), key, Some(&body)).await;
    assert_eq!(status, 200, "{created}");
    let depart = created["content"]["entityId"].as_str().expect("entityId").to_owned();
    assert!(depart.starts_with(&format!("{REAVIZ_OID}.0.")), "{depart}");
    let (status, _) = call(&app, "GET", &format!("/org/depart/{depart}?oid={REAVIZ_OID}"), key, None).await;
    if created["applied"] == true {
        assert_eq!(status, 200, "applied: readable at once");
    } else {
        assert_eq!(status, 404, "held for the operator");
        assert_eq!(created["changeRequest"]["status"], "submitted", "{created}");
    }

    // Bad input names the field and stores nothing.
    let before = app.registry.card(&Actor::System, &REAVIZ, None).await.expect("card").row.version_id;
    let requests_before = requests.len();
    for (method, path, body, field) in [
        ("PUT", format!("/org?oid={REAVIZ_OID}"), Some(json!({"inn": "6317006621", "nameFull": "x"})), "inn"),
        ("PUT", format!("/org?oid={REAVIZ_OID}"), Some(json!({"oid": "1.2.643.5.1.13.13.12.2.77.1"})), "oid"),
        ("POST", format!("/org/depart?oid={REAVIZ_OID}"), Some(json!({"departStructure": {}})), "departName"),
        (
            "POST",
            format!("/org/depart?oid={REAVIZ_OID}"),
            Some(json!({"departName": "А", "departTypeId": 1, "createDate": "вчера"})),
            "createDate",
        ),
        ("POST", format!("/org/building?oid={REAVIZ_OID}"), Some(json!({"buildName": "Корпус"})), "buildingAddress"),
        ("DELETE", format!("/org?oid={REAVIZ_OID}&deleteReason=дубль"), None, "deleteReason"),
        ("DELETE", "/org".to_owned(), None, "oid"),
        ("GET", "/org?limit=0".to_owned(), None, "limit"),
    ] {
        let (status, error) = call(&app, method, &path, key, body.as_ref()).await;
        assert!(status == 400 && is_problem(&error, 400), "{method} {path}: {status} {error}");
        let fields: Vec<&str> =
            error["errors"].as_array().into_iter().flatten().filter_map(|e| e["field"].as_str()).collect();
        assert!(fields.contains(&field), "{method} {path}: {error}");
    }
    let (_, not_json) = {
        let response = app
            .client
            .put(format!("{}/ips/org?oid={REAVIZ_OID}", app.base))
            .header("x-api-key", &secret)
            .body("{не json")
            .send()
            .await
            .expect("request");
        (response.status().as_u16(), response.json::<Value>().await.unwrap_or(Value::Null))
    };
    assert_eq!(not_json["errors"][0]["field"], "body", "{not_json}");
    assert_eq!(app.registry.card(&Actor::System, &REAVIZ, None).await.expect("card").row.version_id, before);
    let (_, read) = call(&app, "GET", &format!("/org/{REAVIZ_OID}"), key, None).await;
    assert_eq!(
        read["content"]["changeRequests"].as_array().map(Vec::len),
        Some(requests_before + usize::from(created["applied"] != true))
    );
}

async fn frmr_persons_are_added_read_and_closed_with_personal_data_journaled(backend: Backend) {
    let app = TestApp::demo(backend, 5).await;
    let key = app.registry.add_system(&Caller::system("t"), "mis", &[REAVIZ_OID.into()], &[]).await.expect("key").key;
    let key = Some(key.as_str());
    let (_, departments) = call(&app, "GET", &format!("/org/depart?oid={REAVIZ_OID}"), key, None).await;
    let depart = departments["content"][0]["oid"].as_str().expect("department").to_owned();

    // The real person the public client posts, with the employment card it then sends.
    let mut person: Value =
        serde_json::from_slice(&reference_sample("parusrx_person_post_2022.0055647.json")).expect("person");
    person["personCard"] = json!([{"nrPmuDepartId": depart, "postId": 4, "positionTypeId": 1, "rate": 1.0, "beginDate": "2024-01-10T00:00:00Z"}]);
    // The client's test person was born in 2016: a worker must be 14, and the answer says so.
    let (status, child) = call(&app, "POST", &format!("/person?mo={REAVIZ_OID}&mr=true"), key, Some(&person)).await;
    assert_eq!((status, child["errors"][0]["field"].as_str()), (400, Some("birthDate")), "{child}");
    person["birthDate"] = json!("1986-01-22T00:00:00.0000000Z");
    let (status, added) = call(&app, "POST", &format!("/person?mo={REAVIZ_OID}&mr=true"), key, Some(&person)).await;
    assert_eq!(status, 200, "{added}");
    let id = added["content"]["entityId"].as_str().expect("entityId").to_owned();

    let (status, list) =
        call(&app, "GET", &format!("/person/list?mo={REAVIZ_OID}&offset=0&limit=5000"), key, None).await;
    assert_eq!(status, 200, "{list}");
    let found =
        list["content"].as_array().expect("content").iter().find(|p| p["oid"] == id.as_str()).expect("listed").clone();
    assert_eq!(
        (found["lastName"].as_str(), found["snils"].as_str(), found["gender"].as_u64()),
        (Some("Иванова"), Some("99999999901"), Some(2))
    );
    assert_eq!(found["birthDate"], "1986-01-22T00:00:00");

    let (status, full) = call(&app, "GET", &format!("/person/full?mo={REAVIZ_OID}&snils=99999999901"), key, None).await;
    assert_eq!(status, 200, "{full}");
    let card = &full["content"]["personCard"][0];
    assert_eq!(
        (card["postId"].as_u64(), card["nrPmuDepartId"].as_str(), card["beginDate"].as_str()),
        (Some(4), Some(depart.as_str()), Some("2024-01-10T00:00:00"))
    );
    let card_id = card["id"].as_str().expect("card id").to_owned();

    // Closing the card; the person's record is read through the same door.
    let close = format!("/person/card?mo={REAVIZ_OID}&entityId={card_id}&endDate=2026-11-30");
    let (status, no_reason) = call(&app, "DELETE", &close, key, None).await;
    assert_eq!((status, no_reason["errors"][0]["field"].as_str()), (400, Some("dismissalReason")), "{no_reason}");
    let (status, closed) = call(&app, "DELETE", &format!("{close}&fireReasonId=1"), key, None).await;
    assert_eq!(status, 200, "{closed}");
    let (_, cards) = call(&app, "GET", &format!("/person/card?mo={REAVIZ_OID}&oid={id}"), key, None).await;
    assert_eq!(cards["content"][0]["endDate"], "2026-11-30T00:00:00", "{cards}");

    // A bad card names its field; another organization's workers are not reachable.
    let (status, refused) = call(
        &app,
        "POST",
        &format!("/person/card?mo={REAVIZ_OID}&oid={id}"),
        key,
        Some(&json!({"postId": 4, "positionTypeId": 1, "rate": 1})),
    )
    .await;
    assert_eq!(status, 400, "{refused}");
    assert!(refused["errors"].as_array().is_some_and(|e| !e.is_empty()), "{refused}");
    let (other, _) = elsewhere(&app).await;
    let (status, _) = call(&app, "GET", &format!("/person/list?mo={other}"), key, None).await;
    assert_eq!(status, 403);

    let journal = app.registry.journal_of(REAVIZ_OID, 200).await.expect("journal");
    assert!(
        journal.iter().any(|r| r.kind == "personal_data" && r.actor.contains("mis")),
        "unmasked reads are journaled"
    );
}

backend_tests!(
    a_system_reads_its_organization_as_the_service_writes_it,
    a_regional_key_reaches_the_organizations_of_its_region_only,
    writes_follow_the_moderation_policy_and_bad_input_stores_nothing,
    frmr_persons_are_added_read_and_closed_with_personal_data_journaled,
    an_administrator_issues_and_revokes_keys_in_the_cabinet,
    concurrent_calls_are_each_journaled_once,
    the_openapi_document_describes_every_route,
);

/// The API's own OpenAPI document describes every route (and only those), and each answers.
async fn the_openapi_document_describes_every_route(backend: Backend) {
    let app = TestApp::demo(backend, 0).await;
    let (status, doc) = app.get_json("/ips/openapi.json").await;
    assert_eq!(status, 200);
    let documented: Vec<&str> = doc["paths"].as_object().expect("paths").keys().map(String::as_str).collect();
    let routes: Vec<&str> = frmo_web::integration::ips::ROUTES.iter().map(|(path, _)| *path).collect();
    assert_eq!(documented.len(), routes.len(), "{documented:?}");
    assert!(routes.iter().all(|r| documented.contains(r)), "{routes:?} vs {documented:?}");
    let key = app.registry.add_system(&Caller::system("t"), "doc", &[REAVIZ_OID.into()], &[]).await.expect("key").key;
    for path in routes {
        let path = path.replace("{oid}", REAVIZ_OID).replace("{depart_oid}", &format!("{REAVIZ_OID}.0.1"));
        let (status, body) =
            call(&app, "GET", &format!("{path}?oid={REAVIZ_OID}&mo={REAVIZ_OID}"), Some(&key), None).await;
        let unknown = status == 404 && body["message"].as_str().is_some_and(|m| m.contains("Нет такого метода"));
        assert!(!unknown && body.is_object(), "{path}: {status} {body}");
    }
}

/// The administrator issues a key in the cabinet (shown once, on the form's answer), a bad one is
/// refused naming its field with what was typed kept, and the key is revoked with a button;
/// nobody else reaches the page.
async fn an_administrator_issues_and_revokes_keys_in_the_cabinet(backend: Backend) {
    let app = TestApp::demo(backend, 0).await;
    let admin = app.as_admin().await;
    let mut browser = admin.browser(&app);
    let home = browser.get("/cabinet").await;
    assert!(home.body.contains("/cabinet/admin/systems"), "the administrator's home leads there");
    let page = browser.get("/cabinet/admin/systems").await;
    assert_eq!(page.status, 200);
    let csrf = frmo_testkit::input_value(&page.body, "csrf").expect("csrf");

    let refused = browser
        .post(
            "/cabinet/admin/systems",
            &[("csrf", &csrf), ("name", "mis-samara"), ("orgs", "1.2.643.5.1.13.13.12.2.78.1"), ("regions", "")],
        )
        .await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(refused.body.contains("href=\"#org\"") && refused.body.contains("нет в реестре"), "{}", refused.body);
    assert!(refused.body.contains("value=\"mis-samara\""), "what was typed is kept");

    let issued = browser
        .post(
            "/cabinet/admin/systems",
            &[("csrf", &csrf), ("name", "mis-samara"), ("orgs", REAVIZ_OID), ("regions", "")],
        )
        .await;
    assert_eq!(issued.status, 200, "{}", issued.body);
    let start = issued.body.find("frmo_").expect("the key is shown");
    let key: String =
        issued.body[start..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-').collect();
    let (status, _) = call(&app, "GET", &format!("/org/{REAVIZ_OID}"), Some(&key), None).await;
    assert_eq!(status, 200, "the key shown works");
    let again = browser.get("/cabinet/admin/systems").await;
    assert!(again.body.contains("mis-samara") && !again.body.contains(&key), "the list never shows the key again");

    let revoked = browser.post("/cabinet/admin/systems/revoke", &[("csrf", &csrf), ("name", "mis-samara")]).await;
    let revoked = browser.follow(revoked).await;
    assert!(revoked.body.contains("id=\"system-revoked\""), "{}", revoked.body);
    let (status, _) = call(&app, "GET", &format!("/org/{REAVIZ_OID}"), Some(&key), None).await;
    assert_eq!(status, 401);

    let member = app.as_member(REAVIZ_OID).await;
    assert_eq!(member.browser(&app).get("/cabinet/admin/systems").await.status, 403);
}

/// Calls at once share journal writes, yet every call's entry is written before it answers and the
/// chain stays whole.
async fn concurrent_calls_are_each_journaled_once(backend: Backend) {
    let app = TestApp::demo(backend, 0).await;
    let key = app.registry.add_system(&Caller::system("t"), "burst", &[REAVIZ_OID.into()], &[]).await.expect("key").key;
    let journaled = |records: &[frmo_registry::moderation::journal::JournalEntry]| {
        records.iter().filter(|r| r.kind == "ips_call").count()
    };
    let before = journaled(&app.registry.journal_of(REAVIZ_OID, 1000).await.expect("journal"));
    let path = format!("/org/{REAVIZ_OID}");
    let calls = (0..40).map(|_| call(&app, "GET", &path, Some(&key), None));
    let answers = futures_util::future::join_all(calls).await;
    assert!(answers.iter().all(|(status, _)| *status == 200));
    let after = journaled(&app.registry.journal_of(REAVIZ_OID, 1000).await.expect("journal"));
    assert_eq!(after - before, 40, "one entry per call, each written before its answer");
    assert!(
        matches!(
            app.registry.verify_journal().await.expect("verify"),
            frmo_registry::moderation::journal::Verdict::Intact { .. }
        ),
        "the chain is whole"
    );
}
