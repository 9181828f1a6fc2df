//! `frmo serve --demo` as the binary runs it (`commands::serve::serve`: the address taken, the app
//! booted by `App::build` from a configuration, the background jobs, the server), answering
//! requests on both backends, and stopping when told.

use frmo_app::commands::serve::{ServeArgs, serve};
use frmo_testkit::s3::{Storage, TestFiles};
use frmo_testkit::{Backend, TestDb, backend_tests, test_config};

async fn serve_demo_boots_and_answers(backend: Backend) {
    let db = TestDb::new(backend).await;
    let files = TestFiles::new(Storage::Local);
    let config = frmo_app::Config { demo_orgs: 10, ..test_config(&db, &files) };
    let args = ServeArgs { demo: true, bind: Some("127.0.0.1:0".into()) };
    let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let ready = move |address| {
        let _ = ready_tx.send(address);
    };
    let server = tokio::spawn(serve(config, args, ready, async move {
        let _ = stop_rx.await;
    }));
    let address = ready_rx.await.expect("the server tells where it listens");
    let base = format!("http://{address}");
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");

    // The demo register was seeded: the real «Реавиз» is found by its ОГРН.
    let found: serde_json::Value = http
        .get(format!("{base}/api/v1/organizations?ogrn=1026301420716"))
        .send()
        .await
        .expect("search")
        .json()
        .await
        .expect("JSON");
    assert_eq!(found["items"][0]["inn"], "6317006620", "{found}");
    // The demo's ЕСИА stand is mounted, and the login page offers it.
    let login = http.get(format!("{base}/login")).send().await.expect("login").text().await.expect("page");
    assert!(login.contains("Войти через Госуслуги"), "{login}");
    let to_esia = http.get(format!("{base}/login/esia")).send().await.expect("to ЕСИА");
    let location = to_esia.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    assert!(location.starts_with(&format!("{base}/esia-stand/")), "the return address follows the port: {location}");

    stop_tx.send(()).expect("the server is still running");
    server.await.expect("the server task").expect("serve ends without an error");
    assert!(http.get(format!("{base}/")).send().await.is_err(), "nothing listens after the stop");
}

backend_tests!(serve_demo_boots_and_answers);
