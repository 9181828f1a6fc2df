//! The request frame (`frmo-web/src/frame.rs`): the deadline, a caught panic and a proxy's request
//! id, each answered with the headers every answer carries. Time is paused: the 30-second deadline
//! passes at once.

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, Response};
use axum::routing::get;
use frmo_testkit::{Backend, TestDb};
use tower::ServiceExt as _;

async fn app() -> (TestDb, axum::Router) {
    let db = TestDb::new(Backend::Sqlite).await;
    let registry = frmo_registry::Registry::open(db.store().await).await.expect("open");
    let mut shared = frmo_web::Shared::new(registry, "http://frmo.test");
    let wait = |seconds| {
        get(move || async move {
            tokio::time::sleep(Duration::from_secs(seconds)).await;
            "answered"
        })
    };
    let probe = axum::Router::new()
        .route("/29", wait(29))
        .route("/31", wait(31))
        .route("/panic", get(panics))
        .route("/write", axum::routing::post(|| async { "written" }))
        .route("/refuse", axum::routing::post(|| async { axum::http::StatusCode::UNPROCESSABLE_ENTITY }));
    shared.mounts.push(("/probe", probe));
    (db, frmo_web::router(shared.into()))
}

async fn panics() -> &'static str {
    panic!("a panic the frame catches (tests/it/frame.rs)")
}

async fn call(app: &axum::Router, path: &str, id: Option<&str>) -> Response<Body> {
    let mut request = Request::get(path);
    if let Some(id) = id {
        request = request.header("x-request-id", id);
    }
    app.clone().oneshot(request.body(Body::empty()).expect("request")).await.expect("infallible")
}

fn framed(response: &Response<Body>) -> bool {
    let headers = response.headers();
    headers.contains_key("x-request-id")
        && headers.get("x-content-type-options").is_some_and(|v| v == "nosniff")
        && headers.contains_key("content-security-policy")
}

#[tokio::test(start_paused = true)]
async fn a_late_answer_is_a_503_at_its_deadline_and_a_panic_a_500() {
    let (_db, app) = app().await;

    let started = tokio::time::Instant::now();
    let response = call(&app, "/probe/29", None).await;
    assert_eq!(response.status(), 200, "29 s is within the deadline");
    assert!(framed(&response));

    let started_late = tokio::time::Instant::now();
    let response = call(&app, "/probe/31", None).await;
    let took = started_late.elapsed();
    assert_eq!(response.status(), 503);
    assert!(took >= Duration::from_secs(30) && took < Duration::from_secs(31), "answered after {took:?}");
    assert!(framed(&response));
    assert!(started.elapsed() >= Duration::from_secs(59));

    let response = call(&app, "/probe/panic", None).await;
    assert_eq!(response.status(), 500);
    assert!(framed(&response));
    let body = axum::body::to_bytes(response.into_body(), 1 << 16).await.expect("body");
    assert_eq!(String::from_utf8_lossy(&body), "Внутренняя ошибка реестра");
}

#[tokio::test]
async fn a_request_keeps_the_id_a_proxy_gave_it_and_else_gets_its_own() {
    let (_db, app) = app().await;
    let response = call(&app, "/healthz", Some("nginx-4f2a")).await;
    assert_eq!(response.headers()["x-request-id"], "nginx-4f2a");
    let first = call(&app, "/healthz", None).await.headers()["x-request-id"].clone();
    let second = call(&app, "/healthz", None).await.headers()["x-request-id"].clone();
    assert_ne!(first, second);
    let response = call(&app, "/probe/nothing", None).await;
    assert_eq!(response.status(), 404);
    assert!(framed(&response));
}

/// A browser's write marks its next reads fresh for a few seconds (`frmo_fresh`): whichever process
/// answers them reads what the write changed, before that process's change notice arrives. A read,
/// or a refused write, sets no mark.
#[tokio::test]
async fn a_write_marks_the_browsers_next_reads_fresh() {
    let (_db, app) = app().await;
    let post = |path: &str| Request::post(path).body(Body::empty()).expect("request");
    let written = app.clone().oneshot(post("/probe/write")).await.expect("infallible");
    assert_eq!(written.status(), 200);
    let marks: Vec<_> = written.headers().get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()).collect();
    assert!(
        marks.iter().any(|c| c.starts_with("frmo_fresh=1;") && c.contains("Max-Age=5") && c.contains("HttpOnly")),
        "{marks:?}"
    );
    assert!(written.headers()["cache-control"].to_str().is_ok_and(|v| v.contains("no-store")));
    let refused = app.clone().oneshot(post("/probe/refuse")).await.expect("infallible");
    assert_eq!(refused.status(), 422);
    assert!(!refused.headers().get_all("set-cookie").iter().any(|v| v.as_bytes().starts_with(b"frmo_fresh")));
    let read = call(&app, "/healthz", None).await;
    assert!(!read.headers().get_all("set-cookie").iter().any(|v| v.as_bytes().starts_with(b"frmo_fresh")));
}
