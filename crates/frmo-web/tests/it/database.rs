//! The database goes away under a running registry and comes back (a restart of PostgreSQL, a
//! failover): while it cannot be reached, what needs it answers 503 in Russian, asking to retry,
//! and once it is back the same requests are answered again, without restarting the process.

use frmo_testkit::{Backend, TestApp};

use super::REAVIZ_OID;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_are_answered_again_once_the_database_is_back() {
    let app = TestApp::demo(Backend::Postgres, 0).await;
    let admin = app.as_admin().await;
    let api = format!("{}/api/v1/cabinet/organizations/{REAVIZ_OID}", app.base);
    let page = format!("{}/cabinet/organizations/{REAVIZ_OID}", app.base);
    let get = |url: String| {
        let request = app.client.get(url).header("cookie", admin.cookie());
        async move {
            let answer = request.send().await.expect("answered");
            (answer.status().as_u16(), answer.text().await.expect("body"))
        }
    };
    assert_eq!(get(api.clone()).await.0, 200);

    app.db.set_reachable(false).await;
    // What the process kept (backend/kept.rs) it may serve until it learns that the connection its
    // change notices come on has ended too: a moment.
    let started = std::time::Instant::now();
    let (status, body) = loop {
        let (status, body) = get(api.clone()).await;
        if status != 200 || started.elapsed() > std::time::Duration::from_secs(2) {
            break (status, body);
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    };
    assert_eq!(status, 503, "{body}");
    let problem: serde_json::Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(problem["code"], "unavailable", "{body}");
    assert!(problem["message"].as_str().is_some_and(|m| m.contains("временно недоступна")), "{body}");
    let (status, body) = get(page.clone()).await;
    assert_eq!(status, 503);
    assert!(body.contains("Временно недоступно") && body.contains("Повторите попытку"), "{body}");
    assert_eq!(app.get("/readyz").await.status().as_u16(), 503);

    app.db.set_reachable(true).await;
    let (status, body) = get(api).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains(REAVIZ_OID));
    assert_eq!(get(page).await.0, 200);
    assert_eq!(app.get("/readyz").await.status().as_u16(), 200);
}
