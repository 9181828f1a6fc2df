//! `/metrics`: the exposition parses line by line (every line a comment or a sample, histogram
//! buckets cumulative, `_count` the requests made), routes are named by their template, refusals
//! of the rate limit are counted by class, only allowed addresses may read it, and a real
//! Prometheus (Debian's `prometheus`) scrapes it and answers a query from what it scraped.

use std::collections::BTreeMap;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use frmo_testkit::{Backend, TestApp, backend_tests, process::free_port};
use frmo_web::limits::{ClassLimit, LimitSettings};

use super::REAVIZ_OID;

const CARD_ROUTE: &str = "/api/v1/organizations/{oid}";

/// One sample of the exposition: name, labels, value.
#[derive(Debug)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

fn is_metric_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

/// `k="v",…` with the format's escapes; `None` when malformed.
fn parse_labels(mut text: &str) -> Option<BTreeMap<String, String>> {
    let mut labels = BTreeMap::new();
    while !text.is_empty() {
        let (name, rest) = text.split_once("=\"")?;
        if !is_metric_name(name) || name.contains(':') {
            return None;
        }
        let mut value = String::new();
        let mut chars = rest.char_indices();
        let end = loop {
            match chars.next()? {
                (i, '"') => break i,
                (_, '\\') => match chars.next()?.1 {
                    'n' => value.push('\n'),
                    c @ ('\\' | '"') => value.push(c),
                    _ => return None,
                },
                (_, c) => value.push(c),
            }
        };
        labels.insert(name.to_owned(), value);
        text = &rest[end + 1..];
        text = text.strip_prefix(',').unwrap_or(text);
    }
    Some(labels)
}

fn parse_value(text: &str) -> Option<f64> {
    match text {
        "+Inf" => Some(f64::INFINITY),
        "-Inf" => Some(f64::NEG_INFINITY),
        "NaN" => Some(f64::NAN),
        _ => text.parse().ok(),
    }
}

/// Every line of a text exposition (0.0.4), or the first line that is neither comment nor sample.
fn parse_exposition(text: &str) -> Result<Vec<Sample>, String> {
    let mut samples = Vec::new();
    let mut types = BTreeMap::new();
    for line in text.lines().filter(|l| !l.is_empty()) {
        if let Some(comment) = line.strip_prefix('#') {
            let words: Vec<&str> = comment.split_whitespace().collect();
            match words.as_slice() {
                ["TYPE", name, kind] if is_metric_name(name) => {
                    let known = ["counter", "gauge", "histogram", "summary", "untyped"].contains(kind);
                    if !known || types.insert((*name).to_owned(), (*kind).to_owned()).is_some() {
                        return Err(format!("bad or repeated TYPE: {line}"));
                    }
                }
                ["HELP", name, ..] if is_metric_name(name) => {}
                ["TYPE" | "HELP", ..] => return Err(format!("bad comment: {line}")),
                _ => {}
            }
            continue;
        }
        let (series, value) = line.rsplit_once(' ').ok_or_else(|| format!("no value: {line}"))?;
        let value = parse_value(value).ok_or_else(|| format!("bad value: {line}"))?;
        let (name, labels) = match series.split_once('{') {
            Some((name, rest)) => {
                let inside = rest.strip_suffix('}').ok_or_else(|| format!("unclosed labels: {line}"))?;
                (name, parse_labels(inside).ok_or_else(|| format!("bad labels: {line}"))?)
            }
            None => (series, BTreeMap::new()),
        };
        if !is_metric_name(name) {
            return Err(format!("bad name: {line}"));
        }
        samples.push(Sample { name: name.to_owned(), labels, value });
    }
    Ok(samples)
}

/// The histogram series of `route` with status class `status`: its buckets (le → count) and count.
fn histogram(samples: &[Sample], route: &str, status: &str) -> (Vec<(f64, f64)>, Option<f64>) {
    let of = |s: &&Sample| {
        s.labels.get("route").map(String::as_str) == Some(route)
            && s.labels.get("status").map(String::as_str) == Some(status)
            && s.labels.get("method").map(String::as_str) == Some("GET")
    };
    let buckets = samples
        .iter()
        .filter(|s| s.name == "frmo_http_request_duration_seconds_bucket")
        .filter(of)
        .map(|s| (parse_value(&s.labels["le"]).expect("le"), s.value))
        .collect();
    let count = samples.iter().filter(|s| s.name == "frmo_http_request_duration_seconds_count").find(of);
    (buckets, count.map(|s| s.value))
}

fn value(samples: &[Sample], name: &str, label: Option<(&str, &str)>) -> Option<f64> {
    samples
        .iter()
        .find(|s| s.name == name && label.is_none_or(|(k, v)| s.labels.get(k).map(String::as_str) == Some(v)))
        .map(|s| s.value)
}

async fn scrape(app: &TestApp) -> Vec<Sample> {
    let response = app.get("/metrics").await;
    assert_eq!(response.status(), 200);
    let kind = response.headers()["content-type"].to_str().expect("ASCII").to_owned();
    assert_eq!(kind, "text/plain; version=0.0.4; charset=utf-8");
    let text = response.text().await.expect("body");
    parse_exposition(&text).unwrap_or_else(|error| panic!("{error}\n{text}"))
}

async fn metrics_count_requests_by_route_template(backend: Backend) {
    let search = ClassLimit { per_minute: 1, burst: 2 };
    let app = TestApp::with_limits(backend, 5, LimitSettings { search, ..LimitSettings::default() }).await;
    let cards = 7;
    for _ in 0..cards {
        assert_eq!(app.get(&format!("/api/v1/organizations/{REAVIZ_OID}")).await.status(), 200);
    }
    let missing = app.get("/api/v1/organizations/1.2.643.5.1.13.13.12.2.78.999999").await;
    assert_eq!(missing.status(), 404);
    let pages: Vec<u16> = statuses_of(&app, "/", 4).await;
    assert_eq!(pages, [200, 200, 429, 429], "the third page is over the search limit");

    let samples = scrape(&app).await;
    let (buckets, count) = histogram(&samples, CARD_ROUTE, "2xx");
    assert_eq!(count, Some(f64::from(cards)), "one count per card request");
    assert_eq!(buckets.len(), 15, "fourteen bounds and +Inf");
    assert!(buckets.windows(2).all(|w| w[0].0 < w[1].0 && w[0].1 <= w[1].1), "cumulative: {buckets:?}");
    assert_eq!(buckets.last().map(|b| (b.0, b.1)), Some((f64::INFINITY, f64::from(cards))));
    assert_eq!(histogram(&samples, CARD_ROUTE, "4xx").1, Some(1.0), "the unknown OID");
    assert_eq!(histogram(&samples, "/", "2xx").1, Some(2.0));
    assert_eq!(value(&samples, "frmo_rate_limited_total", Some(("class", "search"))), Some(2.0));
    assert_eq!(value(&samples, "frmo_rate_limited_total", Some(("class", "api"))), Some(0.0));
    let raw = samples.iter().any(|s| s.labels.values().any(|v| v.contains(REAVIZ_OID)));
    assert!(!raw, "a raw path became a label");
    assert!(value(&samples, "frmo_http_requests_in_flight", None).is_some_and(|n| n >= 1.0), "the scrape itself");
    assert!(value(&samples, "frmo_process_uptime_seconds", None).is_some_and(|s| s > 0.0));
    assert_eq!(value(&samples, "frmo_search_index_lag_versions", None), Some(0.0));
    assert_eq!(value(&samples, "frmo_jobs_unfinished", None), Some(0.0));
    assert_eq!(value(&samples, "frmo_jobs_oldest_age_seconds", None), Some(0.0));
    assert!(value(&samples, "frmo_mail_outbox_waiting", None).is_some());
    assert!(value(&samples, "frmo_db_connections_open", None).is_some_and(|n| n >= 1.0));

    // The next scrape counts the card requests again, the same.
    let again = scrape(&app).await;
    assert_eq!(histogram(&again, CARD_ROUTE, "2xx").1, Some(f64::from(cards)));
    assert_eq!(histogram(&again, "/metrics", "2xx").1, Some(1.0), "the first scrape");
}

/// Statuses of `n` GETs of `path`, one after another.
async fn statuses_of(app: &TestApp, path: &str, n: usize) -> Vec<u16> {
    let mut statuses = Vec::with_capacity(n);
    for _ in 0..n {
        statuses.push(app.get(path).await.status().as_u16());
    }
    statuses
}

async fn metrics_answer_only_allowed_addresses(backend: Backend) {
    let app = TestApp::empty(backend).await;
    let from = |source: &str| {
        reqwest::Client::builder()
            .local_address(source.parse::<std::net::IpAddr>().expect("ip"))
            .build()
            .expect("client")
    };
    let url = format!("{}/metrics", app.base);
    let status = |response: reqwest::Response| response.status().as_u16();
    assert_eq!(status(from("127.0.0.1").get(&url).send().await.expect("GET")), 200);
    // Loopback is 127.0.0.1/32 by default: another loopback address is somebody else.
    assert_eq!(status(from("127.0.0.2").get(&url).send().await.expect("GET")), 404);
    // Forwarded by a proxy that is not trusted: the proxy's address stands for nobody.
    let forwarded = from("127.0.0.1").get(&url).header("x-forwarded-for", "127.0.0.1").send().await;
    assert_eq!(status(forwarded.expect("GET")), 404);
}

backend_tests!(metrics_count_requests_by_route_template, metrics_answer_only_allowed_addresses);

/// A Prometheus server, killed when dropped.
struct Prometheus {
    child: Child,
    base: String,
    _dir: tempfile::TempDir,
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Prometheus {
    /// Debian's `prometheus` scraping `target` (host:port) every second.
    fn start(target: &str) -> Prometheus {
        let dir = tempfile::tempdir().expect("dir");
        let config = dir.path().join("prometheus.yml");
        let yaml = format!(
            "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: frmo\n    static_configs:\n      - targets: ['{target}']\n"
        );
        std::fs::write(&config, yaml).expect("write the configuration");
        let port = free_port();
        let child = Command::new("prometheus")
            .arg(format!("--config.file={}", config.display()))
            .arg(format!("--storage.tsdb.path={}", dir.path().join("data").display()))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|error| {
                panic!("cannot start prometheus (Debian package prometheus, see .ci/run): {error}")
            });
        Prometheus { child, base: format!("http://127.0.0.1:{port}"), _dir: dir }
    }

    /// The value of an instant query's first result, once there is one (`None` after 20 s).
    async fn query_until(&self, client: &reqwest::Client, query: &str, wanted: f64) -> Option<f64> {
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut last = None;
        while Instant::now() < deadline {
            let answer = client.get(format!("{}/api/v1/query", self.base)).query(&[("query", query)]).send().await;
            if let Ok(answer) = answer
                && let Ok(body) = answer.json::<serde_json::Value>().await
            {
                last = body["data"]["result"][0]["value"][1].as_str().and_then(|v| v.parse::<f64>().ok());
                if last == Some(wanted) {
                    return last;
                }
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        last
    }
}

/// A real Prometheus scrapes the register and answers for the card route what was requested.
#[tokio::test(flavor = "multi_thread")]
async fn prometheus_scrapes_and_answers() {
    let app = TestApp::demo(Backend::Sqlite, 5).await;
    let cards = 5;
    for _ in 0..cards {
        assert_eq!(app.get(&format!("/api/v1/organizations/{REAVIZ_OID}")).await.status(), 200);
    }
    let target = app.base.trim_start_matches("http://").to_owned();
    let prometheus = Prometheus::start(&target);
    let query = format!("frmo_http_request_duration_seconds_count{{route=\"{CARD_ROUTE}\",status=\"2xx\"}}");
    let value = prometheus.query_until(&app.client, &query, f64::from(cards)).await;
    assert_eq!(value, Some(f64::from(cards)), "Prometheus's answer to {query}");
    let up = prometheus.query_until(&app.client, "up{job=\"frmo\"}", 1.0).await;
    assert_eq!(up, Some(1.0), "the target is up: every scrape parsed");
}
