//! Rate limits and connection caps over HTTP, from several client addresses (all of 127/8 is
//! loopback): `429` with `Retry-After` and a Russian message as a page or the API's JSON, counts
//! per address across accounts and per account across addresses, `X-Forwarded-For` believed only
//! from a trusted proxy, the public support form that is no relay, reset e-mails per account, and
//! idle, slow and too many connections closed while `/healthz` still answers.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use frmo_domain::access::Actor;
use frmo_registry::identity::local::NewLocalUser;
use frmo_testkit::{Backend, Browser, TestApp, backend_tests, input_value, multipart};
use frmo_web::limits::{ClassLimit, LimitSettings};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

use super::REAVIZ_OID;

const TIGHT: ClassLimit = ClassLimit { per_minute: 1, burst: 3 };

/// A client whose connections come from `source` (e.g. 127.0.0.2).
fn client_from(source: &str) -> reqwest::Client {
    let address: IpAddr = source.parse().expect("address");
    reqwest::Client::builder()
        .local_address(address)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

async fn get(app: &TestApp, from: &str, path: &str, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut request = client_from(from).get(format!("{}{path}", app.base));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.expect("GET")
}

async fn status(app: &TestApp, from: &str, path: &str, headers: &[(&str, &str)]) -> u16 {
    get(app, from, path, headers).await.status().as_u16()
}

fn retry_after(response: &reqwest::Response) -> u64 {
    let value = response.headers().get("retry-after").expect("Retry-After").to_str().expect("ASCII");
    value.parse().expect("seconds")
}

async fn over_the_limit_answers_429_in_russian(backend: Backend) {
    let settings = LimitSettings {
        search: TIGHT,
        api: TIGHT,
        cabinet: TIGHT,
        trusted_proxies: vec!["127.0.0.5".into()],
        ..LimitSettings::default()
    };
    let app = TestApp::with_limits(backend, 0, settings).await;

    // A page: three at once, then the fourth waits.
    for _ in 0..3 {
        assert_eq!(status(&app, "127.0.0.2", "/", &[]).await, 200);
    }
    let refused = get(&app, "127.0.0.2", "/", &[]).await;
    assert_eq!(refused.status(), 429);
    assert!(retry_after(&refused) >= 1);
    assert!(refused.headers()["content-type"].to_str().unwrap_or("").starts_with("text/html"));
    let body = refused.text().await.expect("body");
    assert!(body.contains("Слишком много запросов") && body.contains("Повторите попытку через"), "{body}");
    // Another address has its own count; health checks are never limited.
    assert_eq!(status(&app, "127.0.0.3", "/", &[]).await, 200);
    assert_eq!(status(&app, "127.0.0.2", "/healthz", &[]).await, 200);

    // The API: the JSON error.
    for _ in 0..3 {
        assert_eq!(status(&app, "127.0.0.2", "/api/v1/organizations", &[]).await, 200);
    }
    let refused = get(&app, "127.0.0.2", "/api/v1/organizations", &[]).await;
    assert_eq!(refused.status(), 429);
    assert!(retry_after(&refused) >= 1);
    let body: serde_json::Value = refused.json().await.expect("JSON");
    assert_eq!(body["code"], "rate_limited", "{body}");
    assert!(body["message"].as_str().is_some_and(|m| m.contains("Слишком много запросов")), "{body}");

    // X-Forwarded-For from an untrusted peer is ignored: changing it does not get round the limit.
    for n in 0..3 {
        let forwarded = format!("198.51.100.{n}");
        assert_eq!(status(&app, "127.0.0.4", "/", &[("x-forwarded-for", &forwarded)]).await, 200);
    }
    assert_eq!(status(&app, "127.0.0.4", "/", &[("x-forwarded-for", "198.51.100.99")]).await, 429);
    // From the trusted proxy each forwarded client has its own count…
    for n in 0..6 {
        let forwarded = format!("203.0.113.1, 198.51.100.{n}");
        assert_eq!(status(&app, "127.0.0.5", "/", &[("x-forwarded-for", &forwarded)]).await, 200, "client {n}");
    }
    // …and one forwarded client is limited, whatever it writes to the left of the proxy's entry.
    for n in 0..3 {
        let forwarded = format!("10.0.0.{n}, 192.0.2.7");
        assert_eq!(status(&app, "127.0.0.5", "/", &[("x-forwarded-for", &forwarded)]).await, 200);
    }
    assert_eq!(status(&app, "127.0.0.5", "/", &[("x-forwarded-for", "10.0.0.9, 192.0.2.7")]).await, 429);

    // Per account across addresses: one session from three addresses.
    let cookie = app.as_member(REAVIZ_OID).await.cookie();
    let session = [("cookie", cookie.as_str())];
    for from in ["127.0.0.6", "127.0.0.7", "127.0.0.8"] {
        assert_eq!(status(&app, from, "/cabinet", &session).await, 200, "{from}");
    }
    let refused = get(&app, "127.0.0.9", "/cabinet", &session).await;
    assert_eq!(refused.status(), 429, "the account's share is used up from other addresses");
    assert!(refused.text().await.expect("body").contains("Слишком много запросов"));

    // Per address across accounts: two accounts from one address share its count.
    let first = app.as_member(REAVIZ_OID).await.cookie();
    let second = app.as_member(REAVIZ_OID).await.cookie();
    assert_eq!(status(&app, "127.0.0.10", "/cabinet", &[("cookie", &first)]).await, 200);
    assert_eq!(status(&app, "127.0.0.10", "/cabinet", &[("cookie", &first)]).await, 200);
    assert_eq!(status(&app, "127.0.0.10", "/cabinet", &[("cookie", &second)]).await, 200);
    assert_eq!(status(&app, "127.0.0.10", "/cabinet", &[("cookie", &second)]).await, 429);
    // The second account still has its own share elsewhere.
    assert_eq!(status(&app, "127.0.0.11", "/cabinet", &[("cookie", &second)]).await, 200);
}

async fn post_form(app: &TestApp, from: &str, cookie: &str, body: (String, Vec<u8>)) -> (u16, String) {
    let response = client_from(from)
        .post(format!("{}/support/new", app.base))
        .header("cookie", cookie)
        .header("content-type", body.0)
        .body(body.1)
        .send()
        .await
        .expect("POST");
    let status = response.status().as_u16();
    (status, response.text().await.unwrap_or_default())
}

async fn stored(app: &TestApp) -> usize {
    app.registry.store().support_requests_between(0, i64::MAX).await.expect("requests").len()
}

async fn the_public_support_form_is_no_relay(backend: Backend) {
    let settings = LimitSettings {
        support: ClassLimit { per_minute: 1, burst: 4 },
        anonymous_support_files: 1,
        anonymous_support_file_kb: 1,
        ..LimitSettings::default()
    };
    let app = TestApp::with_limits(backend, 0, settings).await;
    let mut visitor = Browser::new(&app);
    let page = visitor.get("/support/new").await;
    assert!(page.body.contains("до 1 файлов") && page.body.contains("1 КБ"), "{}", page.body);
    let token = input_value(&page.body, "csrf").expect("form token");
    let cookie = format!("frmo_form={}", visitor.cookies.get("frmo_form").expect("form cookie"));
    let text = "Купите слоны недорого: http://spam.example/слон";
    let fields = [("csrf", token.as_str()), ("text", text), ("email", "victim@example.ru")];

    // Two files, or one over the anonymous' size: refused, nothing stored.
    let small = b"%PDF-1.4 tiny".to_vec();
    let (status, body) = post_form(
        &app,
        "127.0.0.2",
        &cookie,
        multipart(&fields, &[("files", "a.pdf", &small), ("files", "b.pdf", &small)]),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("не больше 1 файлов"), "{body}");
    let big = vec![b'x'; 2000];
    let (status, body) = post_form(&app, "127.0.0.2", &cookie, multipart(&fields, &[("files", "big.pdf", &big)])).await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("Вложения"), "{body}");
    assert_eq!(stored(&app).await, 0);

    // Accepted: the confirmation to the typed address has the number, not the sender's words.
    let (status, body) = post_form(&app, "127.0.0.2", &cookie, multipart(&fields, &[])).await;
    assert_eq!(status, 200, "{body}");
    let mail = app.registry.store().mail_to("victim@example.ru").await.expect("outbox");
    assert_eq!(mail.len(), 1);
    assert!(mail[0].subject.contains("ОБ-"), "{}", mail[0].subject);
    assert!(!mail[0].body.contains("слон") && !mail[0].body.contains("spam.example"), "{}", mail[0].body);

    // The fourth form from this address is still counted; the fifth waits and stores nothing.
    assert_eq!(post_form(&app, "127.0.0.2", &cookie, multipart(&fields, &[])).await.0, 200);
    assert_eq!(stored(&app).await, 2);
    let (status, body) = post_form(&app, "127.0.0.2", &cookie, multipart(&fields, &[])).await;
    assert_eq!(status, 429, "{body}");
    assert!(body.contains("Слишком много запросов"), "{body}");
    assert_eq!(stored(&app).await, 2, "a refused form stores nothing");
    assert_eq!(app.registry.store().mail_to("victim@example.ru").await.expect("outbox").len(), 2);
}

async fn reset_mails_are_limited_per_account(backend: Backend) {
    let app = TestApp::with_limits(backend, 0, LimitSettings { reset_mails_per_hour: 2, ..Default::default() }).await;
    let account = NewLocalUser {
        login: "ivanova",
        name: "Иванова Мария",
        email: Some("ivanova@example.ru"),
        password: "correct horse battery staple",
        role: None,
        regions: &[],
    };
    app.registry.add_local_user(&Actor::System, &account).await.expect("account");
    let token = "t".repeat(43);
    // Five requests from five addresses: each answers the same page; two e-mails go out.
    for n in 20..25 {
        let response = client_from(&format!("127.0.0.{n}"))
            .post(format!("{}/login/forgot", app.base))
            .header("cookie", format!("frmo_form={token}"))
            .form(&[("who", "ivanova"), ("csrf", token.as_str())])
            .send()
            .await
            .expect("POST");
        assert_eq!(response.status(), 200);
        assert!(response.text().await.expect("body").contains("Проверьте почту"));
    }
    assert_eq!(app.registry.store().mail_to("ivanova@example.ru").await.expect("outbox").len(), 2);
}

backend_tests!(
    over_the_limit_answers_429_in_russian,
    the_public_support_form_is_no_relay,
    reset_mails_are_limited_per_account
);

/// A raw connection from `source` to the app.
async fn connect_from(app: &TestApp, source: &str) -> TcpStream {
    let target: SocketAddr = app.base.trim_start_matches("http://").parse().expect("address");
    let socket = TcpSocket::new_v4().expect("socket");
    socket.bind(SocketAddr::new(source.parse().expect("address"), 0)).expect("bind");
    socket.connect(target).await.expect("connect")
}

/// Whether the server closes `stream` (the read sees the end, or a reset) within `within`; what
/// it sent before is returned too.
async fn closed_within(stream: &mut TcpStream, within: Duration) -> (bool, Vec<u8>) {
    let mut received = Vec::new();
    let read = async {
        let mut buffer = [0u8; 4096];
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => return,
                Ok(n) => received.extend_from_slice(&buffer[..n]),
            }
        }
    };
    let closed = tokio::time::timeout(within, read).await.is_ok();
    (closed, received)
}

fn connection_settings(per_address: usize, header_read_seconds: u64, idle_seconds: u64) -> LimitSettings {
    LimitSettings { connections_per_address: per_address, header_read_seconds, idle_seconds, ..Default::default() }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_over_the_per_address_cap_are_closed() {
    let app = TestApp::with_limits(Backend::Sqlite, 0, connection_settings(5, 60, 60)).await;
    let mut idle = Vec::new();
    for _ in 0..20 {
        idle.push(connect_from(&app, "127.0.0.2").await);
    }
    // Another address is served while one address holds its whole share.
    assert_eq!(status(&app, "127.0.0.3", "/healthz", &[]).await, 200);
    let results =
        futures_util::future::join_all(idle.iter_mut().map(|s| closed_within(s, Duration::from_secs(3)))).await;
    let closed = results.iter().filter(|(closed, _)| *closed).count();
    assert_eq!(closed, 15, "the connections over the cap of 5 are closed at once, the 5 others kept");
    // The kept ones are served.
    let kept = idle.iter_mut().zip(&results).find(|(_, (closed, _))| !closed).map(|(s, _)| s).expect("a kept one");
    kept.write_all(b"GET /healthz HTTP/1.1\r\nHost: frmo\r\nConnection: close\r\n\r\n").await.expect("write");
    let (_, response) = closed_within(kept, Duration::from_secs(10)).await;
    assert!(response.starts_with(b"HTTP/1.1 200"), "{}", String::from_utf8_lossy(&response));
    // Closing them frees the address's share.
    drop(idle);
    let mut served = false;
    for _ in 0..50 {
        if client_from("127.0.0.2").get(format!("{}/healthz", app.base)).send().await.is_ok_and(|r| r.status() == 200) {
            served = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(served, "the address is served again once its connections are closed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slowloris_is_closed_by_the_header_timeout() {
    let app = TestApp::with_limits(Backend::Sqlite, 0, connection_settings(64, 1, 60)).await;
    let mut stream = connect_from(&app, "127.0.0.4").await;
    let request = b"GET /healthz HTTP/1.1\r\nHost: frmo\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n";
    // One byte every 200 ms: the whole head would take 17 s; the server gives it 1 s.
    let mut refused = false;
    for byte in request {
        if stream.write_all(std::slice::from_ref(byte)).await.is_err() {
            refused = true;
            break;
        }
        let (closed, received) = closed_within(&mut stream, Duration::from_millis(200)).await;
        if closed {
            assert!(!received.starts_with(b"HTTP/1.1 200"), "the slow request was not served");
            refused = true;
            break;
        }
    }
    assert!(refused, "the connection was closed before the head was complete");
    assert_eq!(status(&app, "127.0.0.4", "/healthz", &[]).await, 200, "the server is still there");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_that_never_sends_a_head_is_closed_by_the_header_timeout() {
    let app = TestApp::with_limits(Backend::Sqlite, 0, connection_settings(64, 1, 60)).await;
    let mut silent = connect_from(&app, "127.0.0.7").await;
    let started = std::time::Instant::now();
    let (closed, _) = closed_within(&mut silent, Duration::from_secs(10)).await;
    assert!(closed, "closed well before the idle minute");
    assert!(started.elapsed() >= Duration::from_millis(900), "not before the header timeout: {:?}", started.elapsed());
    // A client that keeps asking, for longer than the header timeout, is never cut off by it: each
    // request's head comes at once.
    let mut busy = connect_from(&app, "127.0.0.7").await;
    for _ in 0..12 {
        tokio::time::sleep(Duration::from_millis(150)).await;
        busy.write_all(b"GET /healthz HTTP/1.1\r\nHost: frmo\r\n\r\n").await.expect("write");
        let mut head = [0u8; 12];
        busy.read_exact(&mut head).await.expect("answered");
        assert_eq!(&head, b"HTTP/1.1 200");
        let mut rest = [0u8; 1024];
        let _ = tokio::time::timeout(Duration::from_millis(200), busy.read(&mut rest)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_keep_alive_connection_is_closed() {
    let app = TestApp::with_limits(Backend::Sqlite, 0, connection_settings(64, 60, 1)).await;
    let mut stream = connect_from(&app, "127.0.0.6").await;
    stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: frmo\r\n\r\n").await.expect("write");
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).await.expect("response");
    assert_eq!(&head, b"HTTP/1.1 200");
    // Kept alive after the answer, then closed for idling (the header timeout is a minute).
    let (closed, _) = closed_within(&mut stream, Duration::from_secs(20)).await;
    assert!(closed, "the idle connection was closed");
}
