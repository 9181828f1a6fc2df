//! Rate limits and connection caps of the public and signed-in surface (the `[limits]` section).
//! Every request is put in a class by its method and path (search pages, API, cabinet, sign-in,
//! password reset, the support form, uploads) and counted twice: per client address and, signed
//! in, per account. Over either limit the answer is `429` with `Retry-After` and a Russian message
//! (a page, or the JSON error under `/api/`); the handler does not run, so nothing is stored.
//! The client address is the connection's peer, or — only when the peer is a listed trusted
//! proxy — the right-most address of `X-Forwarded-For` that is not a trusted proxy itself.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Request};
use axum::http::{Method, header};
use axum::response::{IntoResponse, Response};
use frmo_registry::identity::Session;
use frmo_registry::limits::{Rate, RateLimiter, RegistryLimits};
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::identity::session::{SESSION_COOKIE, cookie};

/// Requests per minute sustained, and how many may come at once; `per_minute = 0` turns it off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClassLimit {
    pub per_minute: u32,
    pub burst: u32,
}

const fn class(per_minute: u32, burst: u32) -> ClassLimit {
    ClassLimit { per_minute, burst }
}

/// The `[limits]` section. Each class limit applies per client address and per account alike.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitSettings {
    /// `false` turns every request limit off (connection limits stay).
    pub enabled: bool,
    /// Proxies whose `X-Forwarded-For` is believed: addresses or networks (`10.0.0.0/8`, `::1`).
    pub trusted_proxies: Vec<String>,
    /// Keys (address or account per class) remembered at most; idle ones are forgotten first.
    pub max_keys: usize,
    /// Public pages: search, cards, open data, the help centre.
    pub search: ClassLimit,
    /// `/api/…`, public and signed-in.
    pub api: ClassLimit,
    /// The cabinet's pages and forms.
    pub cabinet: ClassLimit,
    /// Sign-in: the password form, the start of ЕСИА and OpenID Connect sign-in.
    pub login: ClassLimit,
    /// Password reset: asking for a link, setting the new password.
    pub reset: ClassLimit,
    /// Support requests (the public form and the cabinet's).
    pub support: ClassLimit,
    /// Other file uploads: documents, worker imports.
    pub upload: ClassLimit,
    /// Password-reset e-mails one account receives per hour (0: unlimited).
    pub reset_mails_per_hour: u32,
    /// Files a support request without sign-in may carry (0: none).
    pub anonymous_support_files: usize,
    /// The largest such file, kilobytes.
    pub anonymous_support_file_kb: u64,
    /// Seconds a client has to send a request's headers (slowloris); counted from when the server
    /// waits for the request, so it also bounds a kept-alive connection waiting for its next one.
    pub header_read_seconds: u64,
    /// Seconds a connection may stay silent (no byte either way) while no request is being
    /// handled: idle keep-alive, a client that stops reading a response.
    pub idle_seconds: u64,
    /// Open connections one client address may hold (trusted proxies are exempt).
    pub connections_per_address: usize,
    /// Open connections in all; 0: the process's open-file limit less a reserve.
    pub max_connections: usize,
}

impl Default for LimitSettings {
    fn default() -> Self {
        LimitSettings {
            enabled: true,
            trusted_proxies: Vec::new(),
            max_keys: frmo_registry::limits::DEFAULT_MAX_KEYS,
            // A person reads a page every few seconds; a sweep of the whole cabinet by eight
            // colleagues behind one address (the authorization matrix) is some 600 requests.
            search: class(300, 200),
            api: class(300, 200),
            cabinet: class(1200, 600),
            login: class(20, 30),
            reset: class(5, 10),
            support: class(5, 15),
            upload: class(60, 60),
            reset_mails_per_hour: 3,
            anonymous_support_files: 1,
            anonymous_support_file_kb: 2048,
            header_read_seconds: 15,
            idle_seconds: 60,
            connections_per_address: 64,
            max_connections: 0,
        }
    }
}

impl LimitSettings {
    /// What the registry enforces itself (reset e-mails, anonymous attachments).
    pub fn registry(&self) -> RegistryLimits {
        RegistryLimits {
            reset_mails_per_hour: self.reset_mails_per_hour,
            anonymous_support_files: self.anonymous_support_files,
            anonymous_support_file_bytes: self.anonymous_support_file_kb.saturating_mul(1024),
        }
    }
}

/// A route class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Class {
    Search,
    Api,
    Cabinet,
    Login,
    Reset,
    Support,
    Upload,
}

impl Class {
    /// Every class, in declaration order (`class as usize` is its place).
    pub const ALL: [Class; 7] =
        [Class::Search, Class::Api, Class::Cabinet, Class::Login, Class::Reset, Class::Support, Class::Upload];

    /// Its name in `[limits]` and in the metrics.
    pub fn name(self) -> &'static str {
        match self {
            Class::Search => "search",
            Class::Api => "api",
            Class::Cabinet => "cabinet",
            Class::Login => "login",
            Class::Reset => "reset",
            Class::Support => "support",
            Class::Upload => "upload",
        }
    }
}

/// Who a count belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Address(IpAddr),
    Account(i64),
}

/// An address or a network of `trusted_proxies` (and of `[metrics] allow`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Network {
    address: IpAddr,
    prefix: u32,
}

impl Network {
    pub(crate) fn parse(text: &str) -> Option<Network> {
        let (address, prefix) = match text.trim().split_once('/') {
            Some((address, prefix)) => (address.parse::<IpAddr>().ok()?, Some(prefix.parse::<u32>().ok()?)),
            None => (text.trim().parse::<IpAddr>().ok()?, None),
        };
        let bits = if address.is_ipv4() { 32 } else { 128 };
        let prefix = prefix.unwrap_or(bits);
        (prefix <= bits).then_some(Network { address: canonical(address), prefix })
    }

    pub(crate) fn contains(&self, ip: IpAddr) -> bool {
        let mask = |bits: u32, width: u32| if bits == 0 { 0 } else { u128::MAX << (width - bits) };
        match (self.address, canonical(ip)) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let m = mask(self.prefix, 32) as u32;
                u32::from(net) & m == u32::from(ip) & m
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let m = mask(self.prefix, 128);
                u128::from(net) & m == u128::from(ip) & m
            }
            _ => false,
        }
    }
}

/// IPv4-mapped IPv6 addresses as IPv4.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// The address a limit counts: IPv6 by its /64 (one subscriber's network), IPv4 as it is.
pub(crate) fn counted(ip: IpAddr) -> IpAddr {
    match canonical(ip) {
        IpAddr::V6(v6) => IpAddr::V6((u128::from(v6) & (u128::MAX << 64)).into()),
        v4 => v4,
    }
}

/// The limits in force and their counters (one per server process).
pub struct Limits {
    pub settings: LimitSettings,
    proxies: Vec<Network>,
    limiter: RateLimiter<(Class, Key)>,
    clock: Instant,
}

impl Default for Limits {
    fn default() -> Self {
        Limits::new(LimitSettings::default()).unwrap_or_else(|_| unreachable!("the defaults are valid"))
    }
}

impl Limits {
    /// The limits of `settings`; an error names the setting.
    pub fn new(settings: LimitSettings) -> Result<Self, String> {
        let mut proxies = Vec::new();
        for text in &settings.trusted_proxies {
            proxies.push(Network::parse(text).ok_or_else(|| {
                format!("limits.trusted_proxies: ожидается адрес или сеть (10.0.0.0/8, ::1), получено «{text}»")
            })?);
        }
        if settings.header_read_seconds == 0 || settings.idle_seconds == 0 {
            return Err("limits.header_read_seconds, limits.idle_seconds: ожидаются положительные числа секунд".into());
        }
        if settings.connections_per_address == 0 {
            return Err("limits.connections_per_address: ожидается положительное число".into());
        }
        let limiter = RateLimiter::new(settings.max_keys);
        Ok(Limits { settings, proxies, limiter, clock: Instant::now() })
    }

    fn rate(&self, class: Class) -> Rate {
        let s = &self.settings;
        let limit = match class {
            Class::Search => s.search,
            Class::Api => s.api,
            Class::Cabinet => s.cabinet,
            Class::Login => s.login,
            Class::Reset => s.reset,
            Class::Support => s.support,
            Class::Upload => s.upload,
        };
        Rate::per_minute(limit.per_minute, limit.burst)
    }

    pub fn is_trusted_proxy(&self, ip: IpAddr) -> bool {
        self.proxies.iter().any(|network| network.contains(ip))
    }

    /// The client's address: the peer, or behind a trusted proxy the right-most untrusted address
    /// of `X-Forwarded-For` (entries left of it are whatever the client wrote).
    pub fn client_address(&self, peer: IpAddr, forwarded_for: &[&str]) -> IpAddr {
        if !self.is_trusted_proxy(peer) {
            return peer;
        }
        let mut client = peer;
        for entry in forwarded_for.iter().rev().flat_map(|value| value.rsplit(',')) {
            match entry.trim().parse::<IpAddr>() {
                Ok(ip) if self.is_trusted_proxy(ip) => client = ip,
                Ok(ip) => return ip,
                Err(_) => return client,
            }
        }
        client
    }

    /// Counts one request of `class` for each key; `Err(seconds to wait)` when one is over.
    pub(crate) fn check(&self, class: Class, address: Option<IpAddr>, account: Option<i64>) -> Result<(), u64> {
        let rate = self.rate(class);
        let now = u64::try_from(self.clock.elapsed().as_millis()).unwrap_or(u64::MAX);
        let keys = address.map(|ip| Key::Address(counted(ip))).into_iter().chain(account.map(Key::Account));
        for key in keys {
            self.limiter.check(&(class, key), rate, now).map_err(|wait_ms| wait_ms.div_ceil(1000).max(1))?;
        }
        Ok(())
    }

    /// How long a client has for a request's headers.
    pub fn header_read_timeout(&self) -> Duration {
        Duration::from_secs(self.settings.header_read_seconds)
    }

    pub fn idle_timeout(&self) -> Duration {
        Duration::from_secs(self.settings.idle_seconds)
    }
}

/// The class of a request, or `None` for what is never limited (health checks, metrics, static
/// files, the demo's ЕСИА stand).
pub fn classify(method: &Method, path: &str, multipart: bool) -> Option<Class> {
    let exempt = ["/healthz", "/readyz", "/metrics"].contains(&path)
        || path.starts_with("/static/")
        || path.starts_with(crate::demo::STAND_PATH);
    if exempt {
        return None;
    }
    let post = method == Method::POST;
    let class = if post && (path == "/support/new" || path == "/cabinet/support") {
        Class::Support
    } else if (post && path == "/login/local")
        || (method == Method::GET && ["/login/esia", "/login/oidc"].contains(&path))
    {
        Class::Login
    } else if post && (path == "/login/forgot" || path.starts_with("/login/reset/")) {
        Class::Reset
    } else if post && multipart {
        Class::Upload
    } else if path.starts_with("/api/")
        || path.starts_with(crate::register::nsi_rest::PREFIX)
        || path.starts_with(crate::integration::ips::PREFIX)
        || path.starts_with(crate::integration::fhir::PREFIX)
    {
        Class::Api
    } else if path.starts_with("/cabinet") || path.starts_with("/logout") {
        Class::Cabinet
    } else {
        Class::Search
    };
    Some(class)
}

/// The session the limiter looked up, handed on to the `Viewer` (one lookup per request).
#[derive(Clone)]
pub struct ResolvedSession(pub Option<Session>);

/// The client's address as the limits count it (the peer, or behind a trusted proxy the forwarded
/// client), put in the request's extensions for whoever else counts per address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddress(pub IpAddr);

/// What the rate limits say of a request, before any session is read (see `crate::frame`).
pub(crate) enum Admission {
    /// It may go on.
    Admitted,
    /// Over a limit: refused, the answer made in the request's locale.
    Refused(Refusal),
    /// Signed in: its account's limit is checked once the session is read ([`SignedIn::admit`]).
    SignedIn(SignedIn),
}

/// A request over a limit.
pub(crate) struct Refusal {
    api: bool,
    retry_after_seconds: u64,
}

impl Refusal {
    fn new(state: &AppState, class: Class, path: &str, retry_after_seconds: u64) -> Self {
        state.metrics.refused(class);
        let api = path.starts_with("/api/")
            || path.starts_with(crate::register::nsi_rest::PREFIX)
            || path.starts_with(crate::integration::ips::PREFIX)
            || path.starts_with(crate::integration::fhir::PREFIX);
        Refusal { api, retry_after_seconds }
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        crate::error::too_many_requests(self.api, self.retry_after_seconds)
    }
}

/// A limited request with a session cookie, waiting for its session to be read.
pub(crate) struct SignedIn {
    class: Class,
    address: Option<IpAddr>,
    token: String,
}

/// The rate limits of a request as far as they go without reading a session. Notes the client's
/// address on the request for the handlers.
pub(crate) fn admit(state: &AppState, request: &mut Request) -> Admission {
    let limits = &state.limits;
    let address = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|info| {
        let forwarded: Vec<&str> =
            request.headers().get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok()).collect();
        limits.client_address(info.0.ip(), &forwarded)
    });
    if let Some(address) = address {
        request.extensions_mut().insert(ClientAddress(address));
    }
    if !limits.settings.enabled {
        return Admission::Admitted;
    }
    let multipart = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("multipart/"));
    let path = request.uri().path();
    let Some(class) = classify(request.method(), path, multipart) else { return Admission::Admitted };
    if let Some(token) = cookie(request.headers(), SESSION_COOKIE).filter(|t| !t.is_empty()) {
        return Admission::SignedIn(SignedIn { class, address, token: token.to_owned() });
    }
    match limits.check(class, address, None) {
        Ok(()) => Admission::Admitted,
        Err(seconds) => {
            tracing::debug!(?class, ?address, seconds, "request over the rate limit");
            Admission::Refused(Refusal::new(state, class, path, seconds))
        }
    }
}

impl SignedIn {
    /// Reads the session (handed on to the `Viewer` on the request: one lookup per request) and
    /// checks the limits of the address and the account: `None` when the request may go on.
    pub(crate) async fn admit(self, state: &AppState, request: &mut Request) -> Option<Refusal> {
        let SignedIn { class, address, token } = self;
        let account = match state.registry.session(&token).await {
            Ok(session) => {
                let id = session.as_ref().map(|s| s.user.id);
                request.extensions_mut().insert(ResolvedSession(session));
                id
            }
            // The handler's own lookup reports the failure.
            Err(_) => None,
        };
        match state.limits.check(class, address, account) {
            Ok(()) => None,
            Err(seconds) => {
                tracing::debug!(?class, ?address, ?account, seconds, "request over the rate limit");
                Some(Refusal::new(state, class, request.uri().path(), seconds))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("address")
    }

    #[test]
    fn classes() {
        let get = Method::GET;
        let post = Method::POST;
        assert_eq!(classify(&get, "/healthz", false), None);
        assert_eq!(classify(&get, "/metrics", false), None);
        assert_eq!(classify(&get, "/static/site.css", false), None);
        assert_eq!(classify(&get, "/", false), Some(Class::Search));
        assert_eq!(classify(&get, "/organizations/1.2.643", false), Some(Class::Search));
        assert_eq!(classify(&get, "/api/v1/organizations", false), Some(Class::Api));
        assert_eq!(classify(&get, "/nsi/port/rest/data", false), Some(Class::Api));
        assert_eq!(classify(&get, "/fhir/r4/Organization", false), Some(Class::Api));
        assert_eq!(classify(&post, "/login/local", false), Some(Class::Login));
        assert_eq!(classify(&get, "/login/esia", false), Some(Class::Login));
        assert_eq!(classify(&post, "/login/forgot", false), Some(Class::Reset));
        assert_eq!(classify(&post, "/support/new", true), Some(Class::Support));
        assert_eq!(classify(&post, "/cabinet/organizations/1/documents", true), Some(Class::Upload));
        assert_eq!(classify(&post, "/api/v1/cabinet/organizations/1/documents", true), Some(Class::Upload));
        assert_eq!(classify(&post, "/cabinet/organizations/1/card", false), Some(Class::Cabinet));
    }

    #[test]
    fn forwarded_for_only_from_trusted_proxies() {
        let settings = LimitSettings { trusted_proxies: vec!["10.0.0.0/8".into(), "::1".into()], ..Default::default() };
        let limits = Limits::new(settings).expect("limits");
        // An untrusted peer's header is ignored.
        assert_eq!(limits.client_address(ip("203.0.113.9"), &["198.51.100.1"]), ip("203.0.113.9"));
        // Behind the proxy: the right-most address that is not a proxy; what the client wrote
        // to the left of it does not count.
        assert_eq!(limits.client_address(ip("10.1.2.3"), &["1.1.1.1, 198.51.100.1, 10.0.0.7"]), ip("198.51.100.1"));
        assert_eq!(limits.client_address(ip("::1"), &["1.1.1.1", "198.51.100.2"]), ip("198.51.100.2"));
        assert_eq!(limits.client_address(ip("10.1.2.3"), &["garbage"]), ip("10.1.2.3"));
        assert!(
            Limits::new(LimitSettings { trusted_proxies: vec!["10.0.0.0/33".into()], ..Default::default() }).is_err()
        );
    }

    #[test]
    fn ipv6_is_counted_by_its_network() {
        assert_eq!(counted(ip("2001:db8:1:2:3:4:5:6")), ip("2001:db8:1:2::"));
        assert_eq!(counted(ip("::ffff:192.0.2.1")), ip("192.0.2.1"));
    }
}
