//! The API keeps its contract: schemathesis (PyPI, pinned in tests/schemathesis/requirements.txt,
//! installed by `.ci/run`) generates requests from the served `openapi.json` — valid and invalid
//! values, missing parameters and cookies, wrong methods, sequences that follow the responses — and
//! checks every answer with all of its checks (`--checks all`): no server error, only documented
//! statuses, content types, headers and bodies, valid data accepted, invalid data refused, a missing
//! session refused. Values a pattern cannot describe (check digits of ИНН, ОГРН, СНИЛС; report
//! periods) come from the formats in tests/schemathesis/hooks.py. Run once as the public
//! (anonymous) visitor, every operation, and once signed in as an administrator (who may read every
//! route), GET operations only: the one state-changing call, the document upload, needs the
//! session's form token and a real document, and is fuzzed anonymously (its refusal must be the
//! JSON error too). Plus the error shape of what the fuzzer cannot reach: repeated parameters, bad
//! path encoding, wrong methods, unknown paths, bodies.

use crate::REAVIZ;
use std::process::Command;

use frmo_domain::access::{Actor, FederalRole};
use frmo_registry::Caller;
use frmo_registry::moderation::journal::ChangeContext;
use frmo_testkit::{Backend, TestApp};

use super::{REAVIZ_OID, esia_person};

/// Requests per operation and generation phase: small enough for both backends to finish in a
/// couple of minutes on two cores, large enough to try every parameter with good and bad values.
const MAX_EXAMPLES: &str = "40";
/// The same requests on every run.
const SEED: &str = "17";

/// The schemathesis executable (`SCHEMATHESIS` overrides).
fn schemathesis() -> String {
    std::env::var("SCHEMATHESIS").unwrap_or_else(|_| "schemathesis".into())
}

/// Runs schemathesis against the app's API — signed in with `session` (the `session` security
/// scheme of the document, so schemathesis also checks that leaving it out is refused) — and
/// panics with its report when a check fails.
async fn fuzz(app: &TestApp, who: &str, session: Option<&str>, extra: &[&str]) {
    let folder = tempfile::tempdir().expect("a folder for schemathesis");
    let config = folder.path().join("schemathesis.toml");
    let auth = session.map_or(String::new(), |token| format!("[auth.openapi.session]\napi_key = \"{token}\"\n"));
    std::fs::write(&config, auth).expect("schemathesis.toml");
    let hooks = format!("{}/../../tests/schemathesis/hooks.py", env!("CARGO_MANIFEST_DIR"));
    let mut command = Command::new(schemathesis());
    command
        .current_dir(folder.path())
        .env("SCHEMATHESIS_HOOKS", hooks)
        .env("NO_COLOR", "1")
        .arg("--config-file")
        .arg(&config)
        .args(["run", &format!("{}/api/v1/openapi.json", app.base)])
        .args(["--checks", "all", "--max-examples", MAX_EXAMPLES, "--seed", SEED, "--workers", "1"])
        .args(["--request-timeout", "30", "--no-color", "--output-truncate", "false"])
        .args(extra);
    let started = std::time::Instant::now();
    let output = tokio::task::spawn_blocking(move || command.output()).await.expect("join");
    let output = match output {
        Ok(output) => output,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => panic!(
            "schemathesis is not installed: python3 -m pip install -r tests/schemathesis/requirements.txt \
             (.ci/run installs it)"
        ),
        Err(error) => panic!("cannot run schemathesis: {error}"),
    };
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let cases = stdout.lines().skip_while(|l| !l.starts_with("Test cases:")).nth(1).unwrap_or("").trim();
    eprintln!("schemathesis ({who}): {cases} in {:.1} s", started.elapsed().as_secs_f64());
    assert!(output.status.success(), "schemathesis found failures in the {who} API:\n{stdout}\n{stderr}");
    assert!(stdout.contains(" passed"), "schemathesis ran no test ({who}):\n{stdout}\n{stderr}");
}

/// An administrator (who may read every route), signed in: their session token.
async fn administrator(app: &TestApp, subject: &str) -> String {
    let admin = esia_person(app, subject, "Администратор Реестра", None, true, None).await;
    app.registry.store().set_staff_roles(admin.user_id, Some(FederalRole::Admin.as_str()), &[]).await.expect("role");
    admin.token
}

async fn the_api_keeps_its_openapi_contract(backend: Backend) {
    // About 4,000 requests from one address and one account in a minute: with the request limits
    // on, most would be 429 (documented, so no check fails) and the run would test nothing. The
    // limits have tests of their own (limits.rs).
    let limits = frmo_web::limits::LimitSettings { enabled: false, ..Default::default() };
    let app = TestApp::with_limits(backend, 30, limits).await;
    // Two published versions of НСИ 1461 (a renamed organization between them), so the open-data
    // feed has something to serve.
    app.registry.publish_nsi(&Caller::system("contract"), |_| {}).await.expect("version 1");
    let card = app.registry.card(&Actor::Anonymous, &REAVIZ, None).await.expect("card");
    let mut renamed = card.organization.clone();
    renamed.name_short = "Реавиз (версия 2)".into();
    let now = time::OffsetDateTime::now_utc();
    let context = ChangeContext::system("contract");
    app.registry.change_card(&Actor::System, &renamed, card.row.version_id, now, context).await.expect("rename");
    app.registry.publish_nsi(&Caller::system("contract"), |_| {}).await.expect("version 2");
    let token = administrator(&app, "3000001").await;
    fuzz(&app, "public", None, &[]).await;
    fuzz(&app, "signed-in", Some(&token), &["--include-method", "GET"]).await;
}

/// The API's JSON error: its status, `code` and `field`, with a Russian message.
async fn json_error(response: reqwest::Response) -> (u16, serde_json::Value) {
    let status = response.status().as_u16();
    let content_type = response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let body = response.text().await.expect("body");
    assert!(content_type.starts_with("application/json"), "{status} {content_type}: {body}");
    let body: serde_json::Value = serde_json::from_str(&body).expect("JSON error");
    let message = body["message"].as_str().unwrap_or_default();
    assert!(message.chars().any(|c| ('а'..='я').contains(&c.to_lowercase().next().unwrap_or(c))), "{body}");
    assert!(body["code"].as_str().is_some_and(|c| !c.is_empty()), "{body}");
    (status, body)
}

async fn every_api_error_is_the_json_error_naming_the_field(backend: Backend) {
    let app = TestApp::demo(backend, 5).await;
    let token = administrator(&app, "3000002").await;
    let cookie = format!("frmo_session={token}");
    let card = format!("/api/v1/organizations/{REAVIZ_OID}");
    // (path, status, field) for GET, signed in as an administrator.
    let cases: Vec<(String, u16, Option<&str>)> = vec![
        ("/api/v1/organizations?region=63&region=77".into(), 400, Some("region")),
        ("/api/v1/organizations?q=%FF".into(), 400, Some("q")),
        ("/api/v1/organizations?%FF=1".into(), 400, Some("query")),
        ("/api/v1/organizations?region=".into(), 400, Some("region")),
        ("/api/v1/organizations?q=+".into(), 400, Some("q")),
        ("/api/v1/organizations?limit".into(), 400, Some("limit")),
        (format!("{card}?as_of="), 400, Some("as_of")),
        ("/api/v1/organizations/%FF".into(), 400, Some("oid")),
        ("/api/v1/organizations/%FF/documents".into(), 400, Some("oid")),
        ("/api/v1/workers/%C0%AF".into(), 400, Some("snils")),
        ("/api/v1/reports/%FF".into(), 400, Some("name")),
        ("/api/v1/reports/organizations?group=".into(), 400, Some("group")),
        ("/api/v1/reports/organizations?period=2026&period=2025".into(), 400, Some("period")),
        (format!("/api/v1/organizations/{REAVIZ_OID}/workers?dismissed="), 400, Some("dismissed")),
        ("/api/v1/nsi/1461/changes".into(), 400, Some("since")),
        ("/api/v1/nsi/1461/changes?since=0".into(), 400, Some("since")),
        ("/api/v1/nsi/1461/changes?since=x".into(), 400, Some("since")),
        ("/api/v1/nsi/1461/changes?since=".into(), 400, Some("since")),
        ("/api/v1/nsi/1461/versions/%FF/changes".into(), 400, Some("version")),
        ("/api/v1/nothing-here".into(), 404, None),
        ("/api/nothing-here".into(), 404, None),
        ("/api".into(), 404, None),
    ];
    for (path, status, field) in cases {
        let response =
            app.client.get(format!("{}{path}", app.base)).header("cookie", &cookie).send().await.expect("GET");
        let (got, body) = json_error(response).await;
        assert_eq!(got, status, "{path}: {body}");
        assert_eq!(body["field"].as_str(), field, "{path}: {body}");
    }
    // A method the route does not take: 405 with the route's methods.
    for (method, path) in [("DELETE", card.as_str()), ("POST", "/api/v1/organizations"), ("PUT", "/api/v1/me")] {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let response = app.client.request(method.clone(), format!("{}{path}", app.base)).send().await.expect("request");
        assert!(response.headers().contains_key("allow"), "{method} {path}");
        let (status, body) = json_error(response).await;
        assert_eq!((status, body["code"].as_str()), (405, Some("method_not_allowed")), "{method} {path}");
    }
    // An upload that is not a form: refused as JSON, naming the field; anonymous: 401 as JSON.
    let upload = format!("{}/api/v1/cabinet/organizations/{REAVIZ_OID}/documents", app.base);
    let session = app.registry.session(&token).await.expect("lookup").expect("session");
    let response = app
        .client
        .post(&upload)
        .header("cookie", &cookie)
        .header("x-csrf-token", &session.record.csrf)
        .header("content-type", "application/json")
        .body("{\"kind\": 1")
        .send()
        .await
        .expect("POST");
    let (status, body) = json_error(response).await;
    assert_eq!((status, body["field"].as_str()), (400, Some("file")), "{body}");
    let (status, _) = json_error(app.client.post(&upload).body("x").send().await.expect("POST")).await;
    assert_eq!(status, 401);
    // The pages keep their HTML errors; a form's empty fields are no filter there.
    let page = app.get("/organizations/%FF").await;
    assert!(!page.headers()["content-type"].to_str().unwrap_or("").starts_with("application/json"));
    assert_eq!(app.get("/?q=&region=").await.status(), 200);
}

frmo_testkit::backend_tests!(the_api_keeps_its_openapi_contract, every_api_error_is_the_json_error_naming_the_field);
