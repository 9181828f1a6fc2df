//! The FHIR R4 (IHE mCSD) face at `/fhir/r4` on both backends: the real Реавиз card as
//! `Organization` and `Location`s with its identifiers under their systems, searches with the
//! register's word forms, includes and complete paging, unknown parameters refused as an
//! `OperationOutcome`, ETags, `_history` since a moment, ФРМР workers with personal data never
//! reaching an anonymous caller (and every unmasked read journaled), and — through PyPI
//! `fhir.resources` and `fhirpy` (tests/fhir/check.py) — every resource kind and Bundle
//! validated and the register mirrored by a consumer of the history feed.

use frmo_domain::access::Actor;
use frmo_domain::ident::checksum::snils_check;
use frmo_registry::moderation::journal::ChangeContext;
use frmo_registry::workers::WorkerForm;
use frmo_testkit::{Backend, TestApp, backend_tests};
use serde_json::Value;

use super::{REAVIZ, REAVIZ_OID};

const FHIR: &str = "/fhir/r4";

async fn get(app: &TestApp, path: &str, cookie: Option<&str>) -> (u16, Value, reqwest::header::HeaderMap) {
    let mut request = app.client.get(format!("{}{FHIR}{path}", app.base));
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (status, response.json().await.unwrap_or(Value::Null), headers)
}

fn entries<'a>(bundle: &'a Value, mode: &str) -> Vec<&'a Value> {
    bundle["entry"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["search"]["mode"] == mode)
        .map(|e| &e["resource"])
        .collect()
}

fn identifier<'a>(resource: &'a Value, system: &str) -> Option<&'a str> {
    resource["identifier"].as_array()?.iter().find(|i| i["system"] == system)?["value"].as_str()
}

fn snils(n: u32) -> String {
    let body = 5_000_000 + n;
    format!("{body:09}{:02}", snils_check(body))
}

async fn the_card_is_an_organization_with_locations_found_by_word_forms(backend: Backend) {
    let app = TestApp::demo(backend, 40).await;
    let (status, org, headers) = get(&app, &format!("/Organization/{REAVIZ_OID}"), None).await;
    assert_eq!(status, 200, "{org}");
    assert!(headers["content-type"].to_str().unwrap_or("").starts_with("application/fhir+json"));
    assert_eq!(org["resourceType"], "Organization");
    assert_eq!(identifier(&org, "https://fhir.ru/ig/core/systems/inn"), Some("6317006620"), "ИНН: {org}");
    assert_eq!(identifier(&org, "https://fhir.ru/ig/core/systems/ogrn"), Some("1026301420716"), "ОГРН: {org}");
    assert_eq!(identifier(&org, "urn:ietf:rfc:3986"), Some(format!("urn:oid:{REAVIZ_OID}").as_str()));
    assert!(identifier(&org, "urn:oid:2.25.107144191076073659911032091918575417182.2.1") == Some("631501001"));
    assert_eq!(org["active"], true);
    let types = org["type"].to_string();
    assert!(types.contains("\"facility\"") && types.contains("urn:oid:2.25."), "{types}");

    // ETag and If-None-Match.
    let etag = headers["etag"].to_str().expect("etag").to_owned();
    assert!(etag.starts_with("W/\""), "{etag}");
    let again = app
        .client
        .get(format!("{}{FHIR}/Organization/{REAVIZ_OID}", app.base))
        .header("if-none-match", &etag)
        .send()
        .await
        .expect("request");
    assert_eq!(again.status(), 304);

    // Found by ИНН under its system, by a Russian word form, by the exact name; not by a wrong case.
    for query in [
        "identifier=urn:oid:1.2.643.100.4%7C6317006620".to_owned(),
        "identifier=https://fhir.ru/ig/core/systems/inn%7C6317006620".to_owned(),
        "identifier=1026301420716".to_owned(),
        format!("identifier=urn:ietf:rfc:3986%7Curn:oid:{REAVIZ_OID}"),
        "name=%D1%83%D0%BD%D0%B8%D0%B2%D0%B5%D1%80%D1%81%D0%B8%D1%82%D0%B5%D1%82%D0%BE%D0%BC".to_owned(), // университетом
        format!("name:exact={}", urlencode(org["name"].as_str().expect("name"))),
        format!("_id={REAVIZ_OID}&active=true"),
        "address-state=%D1%81%D0%B0%D0%BC%D0%B0%D1%80%D1%81%D0%BA%D0%B0%D1%8F&_count=100".to_owned(), // самарская
        "address-state=63&_count=100".to_owned(),
    ] {
        let (status, bundle, _) = get(&app, &format!("/Organization?{query}"), None).await;
        assert_eq!(status, 200, "{query}: {bundle}");
        assert_eq!(bundle["type"], "searchset");
        let found = entries(&bundle, "match");
        assert!(found.iter().any(|o| o["id"] == REAVIZ_OID), "{query}: {bundle}");
    }
    let lower = urlencode(&org["name"].as_str().expect("name").to_lowercase());
    let (_, bundle, _) = get(&app, &format!("/Organization?name:exact={lower}"), None).await;
    assert_eq!(bundle["total"], 0, "exact is case-sensitive: {bundle}");
    let (_, bundle, _) = get(&app, &format!("/Organization?_id={REAVIZ_OID}&active=false"), None).await;
    assert_eq!(bundle["total"], 0);
    let (_, bundle, _) = get(&app, "/Organization?address-state=77&_count=100", None).await;
    assert!(
        entries(&bundle, "match").iter().all(|o| o["id"] != REAVIZ_OID && o["address"][0]["state"] == "г. Москва"),
        "{bundle}"
    );

    // Its locations: the facility, departments below it, subdivisions below those, buildings.
    let (status, bundle, _) =
        get(&app, &format!("/Organization?_id={REAVIZ_OID}&_revinclude=Location:organization"), None).await;
    assert_eq!(status, 200);
    let included = entries(&bundle, "include");
    assert!(included.len() > 2, "{bundle}");
    assert!(included.iter().all(|l| l["resourceType"] == "Location"));
    let department = included
        .iter()
        .find(|l| l["partOf"]["reference"] == format!("Location/{REAVIZ_OID}").as_str() && l["physicalType"].is_null())
        .expect("a department");
    let department_id = department["id"].as_str().expect("id");
    assert!(department_id.starts_with(&format!("{REAVIZ_OID}.0.")), "{department}");
    let (status, read, _) = get(&app, &format!("/Location/{department_id}"), None).await;
    assert_eq!((status, &read), (200, *department));
    let (_, scoped, _) = get(&app, &format!("/Location?organization=Organization/{REAVIZ_OID}&_count=100"), None).await;
    assert_eq!(scoped["total"].as_u64(), Some(included.len() as u64), "{scoped}");
    let (_, below, _) =
        get(&app, &format!("/Location?partof=Location/{REAVIZ_OID}&_include=Location:organization"), None).await;
    assert!(entries(&below, "match").iter().any(|l| l["id"] == department_id));
    assert_eq!(entries(&below, "include").len(), 1, "the organization, once: {below}");
    let building = included.iter().find(|l| l["physicalType"]["coding"][0]["code"] == "bu").expect("a building");
    let (status, _, _) = get(&app, &format!("/Location/{}", building["id"].as_str().expect("id")), None).await;
    assert_eq!(status, 200);

    // Licensed activity: one service per licence place, provided by the organization.
    let (status, services, _) = get(&app, &format!("/HealthcareService?organization={REAVIZ_OID}"), None).await;
    assert_eq!(status, 200, "{services}");
    let service = entries(&services, "match").first().copied().expect("a licensed service").clone();
    assert_eq!(service["providedBy"]["reference"], format!("Organization/{REAVIZ_OID}"));
    assert!(service["type"][0]["text"].as_str().is_some_and(|t| !t.is_empty()), "{service}");
    let (status, read, _) =
        get(&app, &format!("/HealthcareService/{}", service["id"].as_str().expect("id")), None).await;
    assert_eq!((status, &read), (200, &service));

    // Paging: every organization once, by following `next`.
    let (_, first, _) = get(&app, "/Organization?_count=7", None).await;
    let total = first["total"].as_u64().expect("total");
    assert_eq!(total, 40 + 1, "the demo register and Реавиз: {first}");
    let mut seen: Vec<String> = Vec::new();
    let mut next = Some(format!("{}{FHIR}/Organization?_count=7", app.base));
    while let Some(url) = next {
        let page: Value = app.client.get(&url).send().await.expect("page").json().await.expect("json");
        seen.extend(entries(&page, "match").iter().filter_map(|o| o["id"].as_str().map(str::to_owned)));
        next = page["link"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|l| l["relation"] == "next")
            .map(|l| l["url"].as_str().expect("url").to_owned());
    }
    let count = seen.len();
    seen.sort();
    seen.dedup();
    assert_eq!((count, seen.len() as u64), (seen.len(), total));
    let (_, counted, _) = get(&app, "/Organization?_summary=count", None).await;
    assert_eq!((counted["total"].as_u64(), counted.get("entry")), (Some(total), None));
    let (_, summary, _) = get(&app, &format!("/Organization?_id={REAVIZ_OID}&_summary=true"), None).await;
    let short = entries(&summary, "match")[0];
    assert!(short["address"].is_null() && short["name"].is_string(), "{short}");

    // Refusals are OperationOutcomes naming what was wrong.
    for (path, status, said) in [
        ("/Organization?nonsense=1", 400, "nonsense"),
        ("/Organization?name:below=x", 400, "below"),
        ("/Organization?_include=Location:partof", 400, "_include"),
        ("/Organization?_count=1000", 400, "_count"),
        ("/Location?name=x", 400, "organization"),
        ("/Practitioner?name=x", 400, "organization"),
        ("/HealthcareService?name=x", 400, "organization"),
        ("/Organization/1.2.643.5.1.13.13.12.2.78.999999", 404, "1.2.643.5.1.13.13.12.2.78.999999"),
        ("/Location/nothing", 404, "nothing"),
        ("/Patient/1", 404, "metadata"),
    ] {
        let (got, outcome, headers) = get(&app, path, None).await;
        assert_eq!(got, status, "{path}: {outcome}");
        assert_eq!(outcome["resourceType"], "OperationOutcome", "{path}: {outcome}");
        assert!(outcome["issue"][0]["diagnostics"].as_str().is_some_and(|d| d.contains(said)), "{path}: {outcome}");
        assert!(headers["content-type"].to_str().unwrap_or("").starts_with("application/fhir+json"), "{path}");
    }

    // Every route answers (ids of this card; searches scoped to it).
    let location = department_id.to_owned();
    let service = service["id"].as_str().expect("id").to_owned();
    for (route, _) in frmo_web::integration::fhir::ROUTES {
        let path = route
            .replace("Organization/{id}", &format!("Organization/{REAVIZ_OID}"))
            .replace("Location/{id}", &format!("Location/{location}"))
            .replace("HealthcareService/{id}", &format!("HealthcareService/{service}"));
        let url = if path.contains("{id}") {
            continue; // workers: the next test
        } else if route.contains("{id}") || route.ends_with("_history") || *route == "/metadata" {
            path
        } else if *route == "/Organization" {
            format!("{path}?_count=1")
        } else {
            format!("{path}?organization={REAVIZ_OID}")
        };
        let (status, body, _) = get(&app, &url, None).await;
        assert_eq!(status, 200, "{url}: {body}");
    }

    // Read-only: other methods are refused as an OperationOutcome naming GET; `_summary` on a read.
    let posted = app.client.post(format!("{}{FHIR}/Organization", app.base)).body("{}").send().await.expect("post");
    assert_eq!((posted.status().as_u16(), posted.headers()["allow"].to_str().ok()), (405, Some("GET, HEAD")));
    let outcome: Value = posted.json().await.expect("json");
    assert_eq!(outcome["issue"][0]["code"], "not-supported", "{outcome}");
    let (status, short, _) = get(&app, &format!("/Organization/{REAVIZ_OID}?_summary=true"), None).await;
    assert_eq!((status, short.get("address"), &short["name"]), (200, None, &org["name"]));
    let (status, _, _) = get(&app, &format!("/Organization/{REAVIZ_OID}?name=x"), None).await;
    assert_eq!(status, 400);

    // The CapabilityStatement lists what the parser accepts.
    let (status, statement, _) = get(&app, "/metadata", None).await;
    assert_eq!((status, statement["fhirVersion"].as_str()), (200, Some("4.0.1")));
    let organization = statement["rest"][0]["resource"]
        .as_array()
        .expect("resources")
        .iter()
        .find(|r| r["type"] == "Organization")
        .expect("Organization");
    assert!(organization["searchParam"].as_array().expect("params").iter().any(|p| p["name"] == "identifier"));
    assert!(organization["interaction"].to_string().contains("history-type"));
}

fn urlencode(text: &str) -> String {
    serde_urlencoded::to_string([("v", text)]).expect("encode").trim_start_matches("v=").to_owned()
}

async fn workers_personal_data_never_reaches_an_anonymous_caller(backend: Backend) {
    let app = TestApp::demo(backend, 5).await;
    let chief = app.as_chief(REAVIZ_OID).await;
    let (_, locations, _) = get(&app, &format!("/Location?organization={REAVIZ_OID}&_count=100"), None).await;
    let department = entries(&locations, "match")
        .into_iter()
        .find(|l| l["id"].as_str().is_some_and(|id| id.matches('.').count() == 12))
        .expect("a department");
    let mut doctor = WorkerForm {
        snils: snils(1),
        last_name: "Смирнова".into(),
        first_name: "Ольга".into(),
        patronymic: "Игоревна".into(),
        sex: "ж".into(),
        birth_date: "1979-11-23".into(),
        phone: "+7 846 555-12-34".into(),
        email: "smirnova@example.ru".into(),
        department: department["name"].as_str().expect("name").into(),
        position: "4".into(),
        position_type: "1".into(),
        rate: "1".into(),
        begin_date: "2019-02-01".into(),
        specialty: "34".into(),
        credential_kind: "4".into(),
        credential_number: "7724 031234567".into(),
        credential_issued_on: "2021-06-01".into(),
        credential_valid_until: "2031-06-01".into(),
        ..WorkerForm::default()
    };
    let doctor_id = app.registry.add_worker(&chief.caller, &REAVIZ, &doctor).await.expect("add");
    doctor.snils = snils(2);
    doctor.last_name = "Уволенный".into();
    doctor.birth_date = "1970-01-02".into();
    let gone = app.registry.add_worker(&chief.caller, &REAVIZ, &doctor).await.expect("add");
    let gone_card = app.registry.worker(&chief.caller, &REAVIZ, gone).await.expect("view").cards[0].card_id;
    app.registry.dismiss_worker(&chief.caller, &REAVIZ, gone_card, "2022-01-31", "1").await.expect("dismiss");
    let personal_views = || async {
        let journal = app.registry.journal_of(REAVIZ_OID, 1000).await.expect("journal");
        journal.iter().filter(|r| r.kind == "personal_data").count()
    };
    let before = personal_views().await;

    // Anonymous: today's workers by name, credentials and positions; nothing personal anywhere.
    let query = format!("/Practitioner?organization={REAVIZ_OID}&_revinclude=PractitionerRole:practitioner");
    let (status, bundle, _) = get(&app, &query, None).await;
    assert_eq!(status, 200, "{bundle}");
    let text = bundle.to_string();
    for secret in [snils(1).as_str(), "1979-11-23", "555-12-34", "smirnova@", "Уволенный", "female", "1.2.643.100.3"]
    {
        assert!(!text.contains(secret), "{secret} reached an anonymous caller: {bundle}");
    }
    let practitioners = entries(&bundle, "match");
    assert_eq!(practitioners.len(), 1, "{bundle}");
    let doctor_fhir = practitioners[0];
    assert_eq!(doctor_fhir["id"], doctor_id.to_string());
    assert_eq!(doctor_fhir["name"][0]["family"], "Смирнова");
    assert!(
        doctor_fhir["qualification"][0]["code"]["coding"][0]["system"]
            .as_str()
            .is_some_and(|s| s.starts_with("urn:oid:"))
    );
    let role = entries(&bundle, "include")[0];
    assert_eq!(role["organization"]["reference"], format!("Organization/{REAVIZ_OID}"));
    assert_eq!(role["location"][0]["reference"], format!("Location/{}", department["id"].as_str().expect("id")));
    let (status, read, _) = get(&app, &format!("/Practitioner/{doctor_id}"), None).await;
    assert_eq!((status, read.get("birthDate")), (200, None));
    let (status, _, _) = get(&app, &format!("/Practitioner/{gone}"), None).await;
    assert_eq!(status, 404, "a former worker is not in the public directory");
    let (_, by_name, _) =
        get(&app, &format!("/Practitioner?organization={REAVIZ_OID}&family=%D1%81%D0%BC%D0%B8%D1%80"), None).await;
    assert_eq!(by_name["total"], 1, "family starts with «смир»: {by_name}");
    let (_, roles, _) = get(
        &app,
        &format!("/PractitionerRole?practitioner=Practitioner/{doctor_id}&_include=PractitionerRole:organization"),
        None,
    )
    .await;
    assert_eq!((roles["total"].as_u64(), entries(&roles, "include").len()), (Some(1), 1), "{roles}");
    assert_eq!(personal_views().await, before, "nothing personal was shown, nothing journaled");

    // The organization's chief sees personal data, former workers too; each such read is journaled.
    let cookie = chief.cookie();
    let (status, read, _) = get(&app, &format!("/Practitioner/{doctor_id}"), Some(&cookie)).await;
    assert_eq!(status, 200);
    assert_eq!(identifier(&read, "https://fhir.ru/ig/core/systems/snils"), Some(snils(1).as_str()), "{read}");
    assert_eq!((read["birthDate"].as_str(), read["gender"].as_str()), (Some("1979-11-23"), Some("female")));
    assert_eq!(personal_views().await, before + 1);
    let (_, all, headers) = get(&app, &format!("/Practitioner?organization={REAVIZ_OID}"), Some(&cookie)).await;
    assert_eq!(all["total"], 2, "{all}");
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(personal_views().await, before + 2);
}

async fn history_feeds_every_version_since_a_moment(backend: Backend) {
    let app = TestApp::demo(backend, 12).await;
    let mut versions = 0;
    let mut next = Some(format!("{}{FHIR}/Organization/_history?_count=5", app.base));
    while let Some(url) = next {
        let page: Value = app.client.get(&url).send().await.expect("page").json().await.expect("json");
        assert_eq!(page["type"], "history");
        for entry in page["entry"].as_array().expect("entries") {
            assert_eq!(entry["request"]["method"], "PUT");
            assert!(entry["response"]["etag"].as_str().is_some_and(|e| e.starts_with("W/")));
        }
        versions += page["entry"].as_array().map_or(0, Vec::len);
        next = page["link"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|l| l["relation"] == "next")
            .map(|l| l["url"].as_str().expect("url").to_owned());
    }
    assert_eq!(versions, 13, "every version once");

    // A change is a new version of the organization, found by `_since` its moment.
    let card = app.registry.card(&Actor::Anonymous, &REAVIZ, None).await.expect("card");
    let mut changed = card.organization.clone();
    changed.name_short = "Реавиз (изменено)".into();
    let at = time::OffsetDateTime::now_utc().replace_nanosecond(0).expect("time");
    let context = ChangeContext::system("тест FHIR");
    app.registry.change_card(&Actor::System, &changed, card.row.version_id, at, context).await.expect("change");
    let (status, own, _) = get(&app, &format!("/Organization/{REAVIZ_OID}/_history"), None).await;
    assert_eq!(status, 200, "{own}");
    let own = own["entry"].as_array().expect("entries");
    assert_eq!(own.len(), 2);
    assert_eq!(own[1]["resource"]["alias"][0], "Реавиз (изменено)");
    let since = urlencode(&frmo_registry_instant(at));
    let (_, recent, _) = get(&app, &format!("/Organization/_history?_since={since}"), None).await;
    let recent = recent["entry"].as_array().expect("entries");
    assert_eq!(recent.len(), 1, "{recent:?}");
    assert_eq!(recent[0]["resource"]["id"], REAVIZ_OID);
    let (_, updated, _) = get(&app, &format!("/Organization?_lastUpdated=ge{since}"), None).await;
    let updated: Vec<&Value> = entries(&updated, "match");
    assert_eq!(updated.len(), 1, "{updated:?}");
    assert_eq!(updated[0]["id"], REAVIZ_OID);
    let (_, before, _) = get(&app, &format!("/Organization?_lastUpdated=lt{since}&_count=100"), None).await;
    assert_eq!(before["total"], 12, "the others: {before}");
    let (status, _, _) = get(&app, "/Organization/_history?_since=yesterday", None).await;
    assert_eq!(status, 400);
    let (status, _, _) = get(&app, "/Organization/1.2.643.5.1.13.13.12.2.78.999999/_history", None).await;
    assert_eq!(status, 404);
}

/// `partof`, `address-city` and `address-postalcode` search the register's index (branches of a
/// head organization; the legal or actual address's town and postal code, FHIR string matching);
/// `_lastUpdated` narrows locations and services by their card version's moment.
async fn organizations_are_found_by_head_town_and_postal_code(backend: Backend) {
    let app = TestApp::demo(backend, 12).await;
    let (_, listed, _) = get(&app, "/Organization?_count=2", None).await;
    let branch = entries(&listed, "match")
        .iter()
        .filter_map(|o| o["id"].as_str())
        .find(|id| *id != REAVIZ_OID)
        .expect("a demo organization")
        .to_owned();
    let card = app
        .registry
        .card(&Actor::Anonymous, &frmo_domain::ident::OrgOid::parse(&branch).expect("an OID"), None)
        .await
        .expect("card");
    let mut changed = card.organization.clone();
    changed.parent_oid = Some(frmo_domain::ident::OrgOid::parse(REAVIZ_OID).expect("oid"));
    let context = ChangeContext::system("тест FHIR");
    let at = time::OffsetDateTime::now_utc().replace_nanosecond(0).expect("time");
    app.registry.change_card(&Actor::System, &changed, card.row.version_id, at, context).await.expect("change");

    // Branches of a head organization, by any form of the reference; the head included once.
    for query in [
        format!("partof=Organization/{REAVIZ_OID}"),
        format!("partof={REAVIZ_OID}&_include=Organization:partof"),
        format!("partof={}/Organization/{REAVIZ_OID}", urlencode("http://x/fhir/r4")),
    ] {
        let (status, bundle, _) = get(&app, &format!("/Organization?{query}"), None).await;
        assert_eq!(status, 200, "{query}: {bundle}");
        let found: Vec<&Value> = entries(&bundle, "match");
        assert_eq!((bundle["total"].as_u64(), found.len()), (Some(1), 1), "{query}: {bundle}");
        assert_eq!(found[0]["id"], branch.as_str());
        assert_eq!(found[0]["partOf"]["reference"], format!("Organization/{REAVIZ_OID}"));
        if query.contains("_include") {
            let heads = entries(&bundle, "include");
            assert_eq!((heads.len(), &heads[0]["id"]), (1, &Value::from(REAVIZ_OID)), "{bundle}");
        }
    }
    let (_, head, _) =
        get(&app, &format!("/Organization?_id={REAVIZ_OID}&_revinclude=Organization:partof"), None).await;
    let included: Vec<&Value> = entries(&head, "include");
    assert_eq!(included.iter().map(|o| &o["id"]).collect::<Vec<_>>(), [&Value::from(branch.as_str())], "{head}");
    let (_, none, _) = get(&app, &format!("/Organization?partof=Organization/{branch}"), None).await;
    assert_eq!(none["total"], 0, "a branch has no branches: {none}");
    let (status, _, _) = get(&app, "/Organization?partof=Location/1.2.3", None).await;
    assert_eq!(status, 400, "partof names an Organization");

    // The town (legal or actual address) and the postal code: starts with, contains, exact.
    let samara = "%D0%A1%D0%B0%D0%BC%D0%B0%D1%80%D0%B0"; // Самара
    for (query, found) in [
        (format!("address-city={samara}"), true),
        ("address-city=%D1%81%D0%B0%D0%BC".to_owned(), true), // сам
        ("address-city:contains=%D0%B0%D0%BC%D0%B0%D1%80".to_owned(), true), // амар
        (format!("address-city:exact={samara}"), true),
        ("address-city:exact=%D1%81%D0%B0%D0%BC%D0%B0%D1%80%D0%B0".to_owned(), false), // самара
        ("address-city=%D0%B0%D0%BC%D0%B0%D1%80".to_owned(), false),                   // амар: not a beginning
        ("address-postalcode=443001".to_owned(), true),
        ("address-postalcode=4430".to_owned(), true),
        ("address-postalcode:contains=3001".to_owned(), true),
        ("address-postalcode=3001".to_owned(), false),
        (
            format!(
                "address-city={samara}&address-postalcode=443001&name=%D1%83%D0%BD%D0%B8%D0%B2%D0%B5%D1%80%D1%81%D0%B8%D1%82%D0%B5%D1%82"
            ),
            true,
        ), // университет
        (format!("address-city={samara}&address-state=77"), false),
    ] {
        let (status, bundle, _) = get(&app, &format!("/Organization?{query}&_count=100"), None).await;
        assert_eq!(status, 200, "{query}: {bundle}");
        let matches = entries(&bundle, "match");
        assert_eq!(matches.iter().any(|o| o["id"] == REAVIZ_OID), found, "{query}: {bundle}");
        assert_eq!(bundle["total"].as_u64(), Some(matches.len() as u64), "{query}: {bundle}");
    }
    let (_, towns, _) = get(&app, &format!("/Organization?address-city={samara}&_count=100"), None).await;
    for org in entries(&towns, "match") {
        let cities: Vec<&str> =
            org["address"].as_array().into_iter().flatten().filter_map(|a| a["city"].as_str()).collect();
        assert!(cities.iter().any(|c| c.starts_with("Самара")), "{org}");
    }

    // `_lastUpdated` on the card's locations and services: the moment their card version took effect.
    let since = urlencode(&frmo_registry_instant(at));
    let (_, reaviz, _) = get(&app, &format!("/Organization/{REAVIZ_OID}"), None).await;
    let moment = urlencode(reaviz["meta"]["lastUpdated"].as_str().expect("lastUpdated"));
    for kind in ["Location", "HealthcareService"] {
        let (_, all, _) = get(&app, &format!("/{kind}?organization={REAVIZ_OID}&_count=100"), None).await;
        let (status, same, _) =
            get(&app, &format!("/{kind}?organization={REAVIZ_OID}&_lastUpdated=le{moment}&_count=100"), None).await;
        assert_eq!(status, 200, "{same}");
        assert!(all["total"].as_u64().is_some_and(|n| n > 0), "{all}");
        assert_eq!(same["total"], all["total"], "{kind}: {same}");
        let (_, later, _) = get(&app, &format!("/{kind}?organization={REAVIZ_OID}&_lastUpdated=gt{since}"), None).await;
        assert_eq!(later["total"], 0, "{kind}: {later}");
    }
    let (status, _, _) =
        get(&app, &format!("/Practitioner?organization={REAVIZ_OID}&_lastUpdated=gt{since}"), None).await;
    assert_eq!(status, 400, "not a parameter of Practitioner");
}

fn frmo_registry_instant(at: time::OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339).expect("format")
}

/// Independent FHIR tooling: PyPI `fhir.resources` validates every kind of resource and Bundle
/// served, `fhirpy` searches, pages and mirrors the register through `_history` (tests/fhir).
async fn fhir_tools_validate_and_mirror_the_register(backend: Backend) {
    let app = TestApp::demo(backend, 30).await;
    let chief = app.as_chief(REAVIZ_OID).await;
    let worker = WorkerForm {
        snils: snils(7),
        last_name: "Кузнецов".into(),
        first_name: "Илья".into(),
        sex: "м".into(),
        birth_date: "1988-03-14".into(),
        department: "Приёмное отделение".into(),
        position: "4".into(),
        position_type: "1".into(),
        rate: "1".into(),
        begin_date: "2020-01-10".into(),
        specialty: "34".into(),
        credential_kind: "4".into(),
        credential_number: "7724 000000001".into(),
        credential_issued_on: "2021-06-01".into(),
        credential_valid_until: "2031-06-01".into(),
        ..WorkerForm::default()
    };
    app.registry.add_worker(&chief.caller, &REAVIZ, &worker).await.expect("add");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fhir/check.py");
    let mut command = std::process::Command::new("python3");
    command.arg(script).arg(format!("{}{FHIR}", app.base)).arg(REAVIZ_OID).arg("31");
    let output = tokio::task::spawn_blocking(move || command.output()).await.expect("join");
    let output = match output {
        Ok(output) => output,
        Err(error) => panic!("cannot run python3 (pip install -r tests/fhir/requirements.txt): {error}"),
    };
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "tests/fhir/check.py failed:\n{stdout}\n{stderr}");
    assert!(stdout.contains("validated:") && stdout.contains("mirrored: 31"), "{stdout}\n{stderr}");
}

backend_tests!(
    the_card_is_an_organization_with_locations_found_by_word_forms,
    workers_personal_data_never_reaches_an_anonymous_caller,
    history_feeds_every_version_since_a_moment,
    organizations_are_found_by_head_town_and_postal_code,
    fhir_tools_validate_and_mirror_the_register,
);
