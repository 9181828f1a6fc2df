//! Prometheus metrics at `/metrics` (text exposition format 0.0.4): request latency by route
//! template, method and status class, requests in flight, rate-limit refusals by class, uptime, and
//! at each scrape the registry's gauges (job queue, mail outbox, search-index lag, store
//! connections). A small registry of atomics written here, no exporter crate.
//!
//! The hot path costs a clock read and a few relaxed atomic additions: a request's histogram is
//! found in a fixed open-addressed table by a hash of (route template, method, status class), its
//! key written once when the combination is first seen. No lock and no allocation per request.
//! Route templates are bounded (the router's), so the table is too; combinations past its size are
//! counted under the route `other`.
//!
//! `/metrics` answers only the networks of `[metrics] allow` (loopback by default), judged by the
//! client address the limits use (the peer, or the forwarded client behind a trusted proxy); a
//! request forwarded by a proxy that is not trusted is refused. Everyone else gets a plain `404`,
//! as for any unknown address.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::limits::{Class, ClientAddress, Network};

/// The `[metrics]` section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsSettings {
    /// Networks `/metrics` answers (addresses or `10.0.0.0/8`-style networks); empty: nobody.
    pub allow: Vec<String>,
}

impl Default for MetricsSettings {
    fn default() -> Self {
        MetricsSettings { allow: vec!["127.0.0.1/32".into(), "::1/128".into()] }
    }
}

/// Upper bounds of the latency buckets, seconds (`+Inf` follows).
const BUCKETS: [f64; 14] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// Histogram slots: routes × methods × status classes seen; far more than the router has.
const SLOTS: usize = 1024;

const METHODS: [&str; 7] = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

/// Which histogram a request is counted in.
#[derive(Debug, PartialEq, Eq)]
struct Key {
    route: Box<str>,
    method: &'static str,
    status: u8,
}

/// Request counts per latency bucket (not cumulative; the exposition adds them up) and the sum.
struct Histogram {
    buckets: [AtomicU64; BUCKETS.len() + 1],
    sum_micros: AtomicU64,
}

impl Histogram {
    fn new() -> Self {
        Histogram { buckets: std::array::from_fn(|_| AtomicU64::new(0)), sum_micros: AtomicU64::new(0) }
    }

    fn observe(&self, seconds: f64) {
        let bucket = BUCKETS.iter().position(|bound| seconds <= *bound).unwrap_or(BUCKETS.len());
        self.buckets[bucket].fetch_add(1, Ordering::Relaxed);
        self.sum_micros.fetch_add((seconds * 1e6) as u64, Ordering::Relaxed);
    }
}

struct Slot {
    key: OnceLock<Key>,
    histogram: Histogram,
}

/// The metrics of one server process.
pub struct Metrics {
    started: Instant,
    in_flight: AtomicI64,
    slots: Box<[Slot]>,
    /// Requests of combinations that found no free slot.
    other: Histogram,
    refused: [AtomicU64; Class::ALL.len()],
    allow: Vec<Network>,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new(&MetricsSettings::default()).unwrap_or_else(|_| unreachable!("the defaults are valid"))
    }
}

/// FNV-1a over the route and the method and status indices.
fn slot_hash(route: &str, method: &str, status: u8) -> usize {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in route.bytes().chain(method.bytes()).chain([status]) {
        hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
    }
    hash as usize
}

impl Metrics {
    /// The metrics of `settings`; an error names the setting.
    pub fn new(settings: &MetricsSettings) -> Result<Self, String> {
        let allow = settings
            .allow
            .iter()
            .map(|text| {
                Network::parse(text).ok_or_else(|| {
                    format!("metrics.allow: ожидается адрес или сеть (127.0.0.1/32, ::1), получено «{text}»")
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(Metrics {
            started: Instant::now(),
            in_flight: AtomicI64::new(0),
            slots: (0..SLOTS).map(|_| Slot { key: OnceLock::new(), histogram: Histogram::new() }).collect(),
            other: Histogram::new(),
            refused: std::array::from_fn(|_| AtomicU64::new(0)),
            allow,
        })
    }

    /// Counts a request refused by the rate limit of `class`.
    pub(crate) fn refused(&self, class: Class) {
        self.refused[class as usize].fetch_add(1, Ordering::Relaxed);
    }

    /// The histogram of a combination: its slot, taken on first sight; `other` when none is free.
    fn histogram(&self, route: &str, method: &'static str, status: u8) -> &Histogram {
        let start = slot_hash(route, method, status);
        for probe in 0..SLOTS {
            let slot = &self.slots[(start + probe) % SLOTS];
            let key = match slot.key.get() {
                Some(key) => key,
                None => {
                    let _ = slot.key.set(Key { route: route.into(), method, status });
                    slot.key.get().unwrap_or_else(|| unreachable!("set above"))
                }
            };
            if &*key.route == route && key.method == method && key.status == status {
                return &slot.histogram;
            }
        }
        &self.other
    }

    fn observe(&self, route: &str, method: &Method, status: StatusCode, seconds: f64) {
        let method = METHODS.into_iter().find(|m| *m == method.as_str()).unwrap_or("other");
        let class = u8::try_from(status.as_u16() / 100).unwrap_or(5);
        self.histogram(route, method, class).observe(seconds);
    }

    fn allows(&self, address: std::net::IpAddr) -> bool {
        self.allow.iter().any(|network| network.contains(address))
    }

    /// The exposition of the process's own metrics (the registry's gauges are added by the caller).
    fn render(&self, out: &mut String) {
        family(
            out,
            "frmo_http_request_duration_seconds",
            "histogram",
            "Time to the response head, by route template, method and status class.",
        );
        let keyed = self.slots.iter().filter_map(|slot| slot.key.get().map(|key| (key, &slot.histogram)));
        for (key, histogram) in keyed {
            let labels =
                format!("route=\"{}\",method=\"{}\",status=\"{}xx\"", escape(&key.route), key.method, key.status);
            histogram_samples(out, &labels, histogram);
        }
        if self.other.buckets.iter().any(|b| b.load(Ordering::Relaxed) > 0) {
            histogram_samples(out, "route=\"other\",method=\"other\",status=\"other\"", &self.other);
        }
        gauge(
            out,
            "frmo_http_requests_in_flight",
            "Requests being handled now.",
            self.in_flight.load(Ordering::Relaxed),
        );
        family(out, "frmo_rate_limited_total", "counter", "Requests refused with 429 by the rate limit, by class.");
        for class in Class::ALL {
            let count = self.refused[class as usize].load(Ordering::Relaxed);
            let _ = writeln!(out, "frmo_rate_limited_total{{class=\"{}\"}} {count}", class.name());
        }
        let uptime = self.started.elapsed().as_secs_f64();
        family(out, "frmo_process_uptime_seconds", "gauge", "Seconds since this process started serving.");
        let _ = writeln!(out, "frmo_process_uptime_seconds {uptime:.3}");
        family(out, "frmo_build_info", "gauge", "The version of frmo running (always 1).");
        let _ = writeln!(out, "frmo_build_info{{version=\"{}\"}} 1", env!("CARGO_PKG_VERSION"));
    }
}

fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

fn gauge(out: &mut String, name: &str, help: &str, value: i64) {
    family(out, name, "gauge", help);
    let _ = writeln!(out, "{name} {value}");
}

fn histogram_samples(out: &mut String, labels: &str, histogram: &Histogram) {
    let name = "frmo_http_request_duration_seconds";
    let mut cumulative = 0;
    for (i, bucket) in histogram.buckets.iter().enumerate() {
        cumulative += bucket.load(Ordering::Relaxed);
        let le = BUCKETS.get(i).map_or_else(|| "+Inf".to_owned(), f64::to_string);
        let _ = writeln!(out, "{name}_bucket{{{labels},le=\"{le}\"}} {cumulative}");
    }
    let sum = histogram.sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
    let _ = writeln!(out, "{name}_sum{{{labels}}} {sum}\n{name}_count{{{labels}}} {cumulative}");
}

/// A label value: backslash, double quote and line feed escaped.
fn escape(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// A request being timed and counted under its route template (see `crate::frame`); it leaves
/// the in-flight count when it ends, answered or dropped.
pub(crate) struct Timer {
    metrics: Arc<Metrics>,
    // Tokio's clock (the std one outside paused tests): the frame's deadline counts from it.
    started: tokio::time::Instant,
    route: Option<MatchedPath>,
    method: Method,
}

impl Timer {
    pub(crate) fn start(metrics: &Arc<Metrics>, request: &Request) -> Self {
        metrics.in_flight.fetch_add(1, Ordering::Relaxed);
        Timer {
            metrics: metrics.clone(),
            started: tokio::time::Instant::now(),
            route: request.extensions().get::<MatchedPath>().cloned(),
            method: request.method().clone(),
        }
    }

    /// When the request came.
    pub(crate) fn started(&self) -> tokio::time::Instant {
        self.started
    }

    /// Counts the answer; returns the time it took.
    pub(crate) fn observe(self, response: &Response) -> Duration {
        let route = self.route.as_ref().map_or("unmatched", MatchedPath::as_str);
        let took = self.started.elapsed();
        self.metrics.observe(route, &self.method, response.status(), took.as_secs_f64());
        took
    }
}

impl Drop for Timer {
    fn drop(&mut self) {
        self.metrics.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Whether `/metrics` answers this request: the client is in `allow`, and a forwarded request came
/// through a trusted proxy (else the proxy's own address would stand for every client behind it).
fn may_scrape(state: &AppState, headers: &HeaderMap, peer: Option<SocketAddr>, client: Option<ClientAddress>) -> bool {
    let (Some(peer), Some(ClientAddress(client))) = (peer, client) else { return false };
    let forwarded = headers.contains_key("x-forwarded-for") || headers.contains_key(header::FORWARDED);
    if forwarded && !state.limits.is_trusted_proxy(peer.ip()) {
        return false;
    }
    state.metrics.allows(client)
}

/// `GET /metrics`.
pub(crate) async fn scrape(State(state): State<AppState>, request: Request) -> Response {
    let peer = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0);
    let client = request.extensions().get::<ClientAddress>().copied();
    if !may_scrape(&state, request.headers(), peer, client) {
        return StatusCode::NOT_FOUND.into_response();
    }
    let mut out = String::with_capacity(16 * 1024);
    state.metrics.render(&mut out);
    match state.registry.gauges().await {
        Ok(gauges) => registry_gauges(&mut out, &gauges),
        Err(error) => tracing::warn!(%error, "metrics: the registry's gauges were not read"),
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], out).into_response()
}

fn registry_gauges(out: &mut String, g: &frmo_registry::operations::Gauges) {
    let size = i64::try_from(g.pool.size).unwrap_or(i64::MAX);
    let open = i64::try_from(g.pool.open).unwrap_or(i64::MAX);
    gauge(out, "frmo_jobs_unfinished", "Background jobs (exports, reports) not finished.", g.jobs_unfinished);
    gauge(out, "frmo_jobs_oldest_age_seconds", "Age of the oldest unfinished job (0 with none).", g.oldest_job_seconds);
    gauge(out, "frmo_mail_outbox_waiting", "E-mails waiting in the outbox.", g.mail_waiting);
    gauge(out, "frmo_mail_outbox_failed", "E-mails given up on.", g.mail_failed);
    gauge(
        out,
        "frmo_search_index_lag_versions",
        "Card versions in the store not yet in this process's search index.",
        g.index_lag_versions,
    );
    gauge(out, "frmo_db_connections_open", "Database connections open now.", open);
    gauge(
        out,
        "frmo_db_connections_max",
        "Database connections the store keeps at most (reads on blocking threads, SQLite).",
        size,
    );
    if let Some(lag) = g.replica_lag_ms {
        family(out, "frmo_replica_lag_seconds", "gauge", "How far the read replica's replay trails the primary.");
        let _ = writeln!(out, "frmo_replica_lag_seconds {:.3}", lag as f64 / 1000.0);
    }
    if let Some(busy) = g.pool.busy {
        gauge(
            out,
            "frmo_db_connections_busy",
            "Connections running a longer read now (SQLite).",
            i64::try_from(busy).unwrap_or(i64::MAX),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_per_route_method_and_status_class() {
        let metrics = Metrics::default();
        metrics.observe("/a/{id}", &Method::GET, StatusCode::OK, 0.0007);
        metrics.observe("/a/{id}", &Method::GET, StatusCode::NO_CONTENT, 3.0);
        metrics.observe("/a/{id}", &Method::GET, StatusCode::NOT_FOUND, 0.0001);
        metrics.observe("/b", &Method::from_bytes(b"PROPFIND").expect("method"), StatusCode::OK, 20.0);
        let mut out = String::new();
        metrics.render(&mut out);
        let count = |labels: &str| format!("frmo_http_request_duration_seconds_count{{{labels}}}");
        assert!(out.contains(&format!("{} 2\n", count("route=\"/a/{id}\",method=\"GET\",status=\"2xx\""))), "{out}");
        assert!(out.contains(&format!("{} 1\n", count("route=\"/a/{id}\",method=\"GET\",status=\"4xx\""))), "{out}");
        let bucket = "frmo_http_request_duration_seconds_bucket{route=\"/a/{id}\",method=\"GET\",status=\"2xx\"";
        assert!(out.contains(&format!("{bucket},le=\"0.0005\"}} 0\n")), "{out}");
        assert!(out.contains(&format!("{bucket},le=\"0.001\"}} 1\n")), "{out}");
        assert!(out.contains(&format!("{bucket},le=\"5\"}} 2\n")), "{out}");
        assert!(out.contains("route=\"/b\",method=\"other\",status=\"2xx\",le=\"+Inf\"} 1\n"), "{out}");
    }

    #[test]
    fn a_full_table_counts_under_other() {
        let metrics = Metrics::default();
        for i in 0..=SLOTS {
            metrics.observe(&format!("/r{i}"), &Method::GET, StatusCode::OK, 0.01);
        }
        let mut out = String::new();
        metrics.render(&mut out);
        assert!(out.contains("_count{route=\"other\",method=\"other\",status=\"other\"} 1\n"), "{out}");
    }

    #[test]
    fn allow_is_checked() {
        let settings = MetricsSettings { allow: vec!["10.0.0.0/8".into()] };
        let metrics = Metrics::new(&settings).expect("valid");
        assert!(metrics.allows("10.1.2.3".parse().expect("ip")));
        assert!(!metrics.allows("127.0.0.1".parse().expect("ip")));
        let error = Metrics::new(&MetricsSettings { allow: vec!["prometheus.local".into()] }).err();
        assert!(error.is_some_and(|e| e.contains("metrics.allow")));
    }
}
