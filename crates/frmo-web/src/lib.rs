//! How people and systems reach the registry: the axum router with the public pages and the JSON
//! API (`register/`), the cabinet's contexts (their route tables in `routes`), health checks, and
//! the layers every request passes (request id, tracing, timeouts, security headers). Handlers are
//! thin: parse → call frmo-registry → render.

// The contexts, as frmo-registry's: a use case's pages and routes are found by its context's name.
// Each folder's `mod.rs` says what the context serves and declares its cabinet routes (`ROUTES`).
pub(crate) mod documents;
pub mod identity;
pub mod integration;
pub(crate) mod moderation;
pub mod register;
pub(crate) mod reports;
pub(crate) mod support;
pub(crate) mod workers;

// Shared by the contexts.
pub mod demo;
mod error;
mod form;
pub mod i18n;
pub mod limits;
pub mod metrics;
mod multipart;
mod notice;
mod ops;
mod pager;
mod query;
pub mod routes;
mod server;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderName, HeaderValue, header};
use axum::response::Response;
use frmo_registry::Registry;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

/// What every handler can reach: one pointer, so the many clones a request makes (every layer and
/// `State` extractor takes one) cost one reference count, not one per service.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

/// The services behind [`AppState`].
pub struct Shared {
    pub registry: Registry,
    pub auth: Arc<AuthSettings>,
    /// Services mounted beside the registry (the ЕСИА stand of the demo).
    pub mounts: Vec<(&'static str, Router)>,
    /// Rate limits and connection caps, with their counters.
    pub limits: Arc<limits::Limits>,
    /// The process's metrics (`/metrics`) and who may read them.
    pub metrics: Arc<metrics::Metrics>,
}

impl Shared {
    /// The registry alone: public pages, API and local accounts.
    pub fn new(registry: Registry, public_url: &str) -> Self {
        Shared {
            registry,
            auth: Arc::new(AuthSettings::new(public_url)),
            mounts: Vec::new(),
            limits: Arc::default(),
            metrics: Arc::default(),
        }
    }
}

impl AppState {
    /// The registry alone: public pages, API and local accounts.
    pub fn new(registry: Registry, public_url: &str) -> Self {
        Shared::new(registry, public_url).into()
    }
}

impl From<Shared> for AppState {
    fn from(shared: Shared) -> Self {
        AppState(Arc::new(shared))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// How people sign in.
pub struct AuthSettings {
    /// The address users reach the registry at (links in e-mails, return addresses).
    pub public_url: String,
    /// Cookies are `Secure` when the registry is served over HTTPS.
    pub secure_cookies: bool,
    /// `Strict-Transport-Security` is sent: served over HTTPS and not switched off (`hsts = false`).
    pub hsts: bool,
    pub esia: Option<frmo_esia::EsiaClient>,
    pub oidc: Option<identity::oidc::OidcLogin>,
}

impl AuthSettings {
    pub fn new(public_url: &str) -> Self {
        AuthSettings {
            public_url: public_url.trim_end_matches('/').to_owned(),
            secure_cookies: public_url.starts_with("https://"),
            hsts: public_url.starts_with("https://"),
            esia: None,
            oidc: None,
        }
    }
}

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Sent with every response (and the content security policy, which names ЕСИА's portal: a form
/// that signs out redirects there). The registry uses no device or sensor: every browser feature
/// that could reach one is denied.
const SECURITY_HEADERS: [(HeaderName, &str); 4] = [
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::X_FRAME_OPTIONS, "DENY"),
    (header::REFERRER_POLICY, "same-origin"),
    (
        HeaderName::from_static("permissions-policy"),
        "accelerometer=(), ambient-light-sensor=(), autoplay=(), battery=(), camera=(), display-capture=(), \
         geolocation=(), gyroscope=(), hid=(), magnetometer=(), microphone=(), midi=(), payment=(), \
         publickey-credentials-get=(), serial=(), usb=(), xr-spatial-tracking=()",
    ),
];

/// HTTPS only, for a year, once a browser has seen the registry over HTTPS.
const HSTS: &str = "max-age=31536000";

fn content_security_policy(auth: &AuthSettings) -> HeaderValue {
    let portal = auth.esia.as_ref().map(|esia| esia.config().portal_url.as_str()).unwrap_or_default();
    let origin: String = portal.splitn(4, '/').take(3).collect::<Vec<_>>().join("/");
    let policy = format!("default-src 'self'; frame-ancestors 'none'; form-action 'self' {origin}");
    HeaderValue::from_str(policy.trim())
        .unwrap_or(HeaderValue::from_static("default-src 'self'; frame-ancestors 'none'; form-action 'self'"))
}

/// What the security headers of a deployment are.
#[derive(Clone)]
struct HeaderSettings {
    policy: HeaderValue,
    hsts: bool,
}

/// Whether the answer to `request` depends on who asks (a session, or signing in): such answers
/// carry personal data or a form token and are never stored by a browser or a proxy. The cabinet's
/// routes (its pages and its API, worker data among them) say so themselves ([`never_stored`]).
fn depends_on_session(request: &axum::extract::Request) -> bool {
    let path = request.uri().path();
    let under = |prefix: &str| path == prefix || path.strip_prefix(prefix).is_some_and(|rest| rest.starts_with('/'));
    identity::session::cookie(request.headers(), identity::session::SESSION_COOKIE)
        .is_some_and(|token| !token.is_empty())
        || request.headers().contains_key(header::AUTHORIZATION)
        || ["/cabinet", "/login", "/logout"].into_iter().any(under)
}

/// `Cache-Control: no-store`, unless the answer already forbids storing or is a shared asset that
/// says `public` itself.
fn forbid_storing(headers: &mut axum::http::HeaderMap) {
    let cache = headers.get(header::CACHE_CONTROL).and_then(|v| v.to_str().ok()).unwrap_or_default();
    if !cache.contains("no-store") && !cache.starts_with("public") {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
}

/// A moment as people read it: Moscow time, marked «МСК».
pub(crate) fn format_time(unix: i64) -> String {
    frmo_domain::date::moscow_time(unix)
}

/// A layer of the cabinet's router: every answer of its routes is stored nowhere.
pub(crate) async fn never_stored(mut response: Response) -> Response {
    forbid_storing(response.headers_mut());
    response
}

/// The security headers every answer carries, and `no-store` on what depends on who asks.
fn secure(settings: &HeaderSettings, personal: bool, mut response: Response) -> Response {
    let headers = response.headers_mut();
    for (name, value) in SECURITY_HEADERS {
        headers.entry(name).or_insert(HeaderValue::from_static(value));
    }
    headers.entry(header::CONTENT_SECURITY_POLICY).or_insert(settings.policy.clone());
    if settings.hsts {
        headers.entry(header::STRICT_TRANSPORT_SECURITY).or_insert(HeaderValue::from_static(HSTS));
    }
    // Everything for a viewer, and any answer that sets a cookie (a form token), is stored nowhere.
    if personal || headers.contains_key(header::SET_COOKIE) {
        forbid_storing(headers);
    }
    response
}

/// The one middleware every request passes inside its id and trace span. Outermost first: it is
/// timed and counted, an API error becomes JSON, security headers are set, it runs in its locale
/// and with its id at hand for error pages, and the rate limits admit it. One layer, not six: a
/// `from_fn` layer clones the whole service beneath it for every request, which cost about a third
/// of `/healthz`.
async fn frame(
    axum::extract::State((state, settings)): axum::extract::State<(AppState, HeaderSettings)>,
    mut request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let timer = metrics::Timer::start(&state.metrics, &request);
    let api = register::api::is_api(request.uri().path());
    let personal = depends_on_session(&request);
    let locale = i18n::Asked::of(&request);
    let context = error::RequestContext::of(&request);
    let admitted = async {
        match limits::admit(&state, &mut request).await {
            Some(refusal) => refusal,
            None => next.run(request).await,
        }
    };
    let response = locale.run(&state, context.run(admitted)).await;
    let response = secure(&settings, personal, response);
    let response = if api { register::api::as_json_error(response) } else { response };
    timer.observe(&response);
    response
}

/// Request ids: a random per-process prefix and a counter — unique across processes, and cheaper
/// than a UUID (no system call per request).
#[derive(Clone)]
struct RequestIds {
    prefix: Arc<str>,
    next: Arc<AtomicU64>,
}

impl RequestIds {
    fn new() -> Self {
        let prefix = uuid::Uuid::new_v4().simple().to_string()[..12].to_owned();
        RequestIds { prefix: prefix.into(), next: Arc::new(AtomicU64::new(1)) }
    }
}

impl MakeRequestId for RequestIds {
    fn make_request_id<B>(&mut self, _: &axum::http::Request<B>) -> Option<RequestId> {
        use std::io::Write;
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        // Written on the stack: one allocation per request (the header's), not three.
        let mut id = [0u8; 40];
        let mut cursor = std::io::Cursor::new(&mut id[..]);
        write!(cursor, "{}-{n}", self.prefix).ok()?;
        let len = cursor.position() as usize;
        HeaderValue::from_bytes(&id[..len]).ok().map(RequestId::new)
    }
}

pub fn router(state: AppState) -> Router {
    let headers = HeaderSettings { policy: content_security_policy(&state.auth), hsts: state.auth.hsts };
    let mut router = Router::new();
    for (path, service) in &state.mounts {
        router = router.nest_service(path, service.clone());
    }
    router
        .merge(register::pages::router())
        .merge(identity::auth::router())
        .merge(routes::router(&state))
        .merge(support::public_router())
        .nest("/api/v1", register::api::router())
        .nest(register::nsi_rest::PREFIX, register::nsi_rest::router())
        .nest(integration::ips::PREFIX, integration::ips::router(state.clone()))
        .nest(integration::fhir::PREFIX, integration::fhir::router())
        .merge(ops::router())
        .with_state(state.clone())
        // One `layer` call with the whole stack, outermost first: each call wraps every route in
        // a box of its own, which a request then clones and polls through, so six calls cost six
        // boxes per request.
        .layer(
            tower::ServiceBuilder::new()
                .layer(SetRequestIdLayer::new(REQUEST_ID, RequestIds::new()))
                .layer(TraceLayer::new_for_http().make_span_with(|request: &axum::http::Request<_>| {
                    let id = request.headers().get(REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("-");
                    tracing::info_span!("request", method = %request.method(), uri = %request.uri().path(), request_id = %id)
                }))
                .layer(PropagateRequestIdLayer::new(REQUEST_ID))
                .layer(axum::middleware::from_fn_with_state((state, headers), frame))
                .layer(TimeoutLayer::with_status_code(
                    axum::http::StatusCode::SERVICE_UNAVAILABLE,
                    Duration::from_secs(30),
                ))
                .layer(CatchPanicLayer::custom(error::panic_response)),
        )
}

pub use server::serve;
