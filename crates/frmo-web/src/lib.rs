//! How people and systems reach the registry: the axum router with the public pages (`pages/`),
//! the JSON API (`api/`), health checks, and the layers every request passes (request id, tracing,
//! timeouts, security headers). Handlers are thin: parse → call frmo-registry → render.

mod api;
mod applications;
mod auth;
pub mod cabinet;
pub mod demo;
pub mod documents;
mod error;
pub mod limits;
mod multipart;
pub mod oidc;
mod ops;
mod pages;
mod query;
mod reports;
mod requests;
mod server;
pub mod session;
mod support;
mod workers;

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

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub registry: Registry,
    pub auth: Arc<AuthSettings>,
    /// Services mounted beside the registry (the ЕСИА stand of the demo).
    pub mounts: Vec<(&'static str, Router)>,
    /// Rate limits and connection caps, with their counters.
    pub limits: Arc<limits::Limits>,
}

impl AppState {
    /// The registry alone: public pages, API and local accounts.
    pub fn new(registry: Registry, public_url: &str) -> Self {
        AppState { registry, auth: Arc::new(AuthSettings::new(public_url)), mounts: Vec::new(), limits: Arc::default() }
    }
}

/// How people sign in.
pub struct AuthSettings {
    /// The address users reach the registry at (links in e-mails, return addresses).
    pub public_url: String,
    /// Cookies are `Secure` when the registry is served over HTTPS.
    pub secure_cookies: bool,
    pub esia: Option<frmo_esia::EsiaClient>,
    pub oidc: Option<oidc::OidcLogin>,
}

impl AuthSettings {
    pub fn new(public_url: &str) -> Self {
        AuthSettings {
            public_url: public_url.trim_end_matches('/').to_owned(),
            secure_cookies: public_url.starts_with("https://"),
            esia: None,
            oidc: None,
        }
    }
}

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Sent with every response (and the content security policy, which names ЕСИА's portal: a form
/// that signs out redirects there).
const SECURITY_HEADERS: [(HeaderName, &str); 3] = [
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::X_FRAME_OPTIONS, "DENY"),
    (header::REFERRER_POLICY, "same-origin"),
];

fn content_security_policy(auth: &AuthSettings) -> HeaderValue {
    let portal = auth.esia.as_ref().map(|esia| esia.config().portal_url.as_str()).unwrap_or_default();
    let origin: String = portal.splitn(4, '/').take(3).collect::<Vec<_>>().join("/");
    let policy = format!("default-src 'self'; frame-ancestors 'none'; form-action 'self' {origin}");
    HeaderValue::from_str(policy.trim())
        .unwrap_or(HeaderValue::from_static("default-src 'self'; frame-ancestors 'none'; form-action 'self'"))
}

fn security_headers(policy: HeaderValue) -> impl Fn(Response) -> std::future::Ready<Response> + Clone {
    move |mut response: Response| {
        let headers = response.headers_mut();
        for (name, value) in SECURITY_HEADERS {
            headers.entry(name).or_insert(HeaderValue::from_static(value));
        }
        headers.entry(header::CONTENT_SECURITY_POLICY).or_insert(policy.clone());
        std::future::ready(response)
    }
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
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        HeaderValue::from_str(&format!("{}-{n}", self.prefix)).ok().map(RequestId::new)
    }
}

pub fn router(state: AppState) -> Router {
    let policy = content_security_policy(&state.auth);
    let mut router = Router::new();
    for (path, service) in &state.mounts {
        router = router.nest_service(path, service.clone());
    }
    router
        .merge(pages::router())
        .merge(auth::router())
        .merge(cabinet::router())
        .merge(support::public_router())
        .nest("/api/v1", api::router())
        .merge(ops::router())
        .with_state(state.clone())
        .layer(axum::middleware::from_fn_with_state(state, limits::limit))
        .layer(axum::middleware::from_fn(error::with_request_context))
        .layer(axum::middleware::map_response(security_headers(policy)))
        .layer(CatchPanicLayer::custom(error::panic_response))
        .layer(TimeoutLayer::with_status_code(axum::http::StatusCode::SERVICE_UNAVAILABLE, Duration::from_secs(30)))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(TraceLayer::new_for_http().make_span_with(|request: &axum::http::Request<_>| {
            let id = request.headers().get(REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("-");
            tracing::info_span!("request", method = %request.method(), uri = %request.uri().path(), request_id = %id)
        }))
        .layer(SetRequestIdLayer::new(REQUEST_ID, RequestIds::new()))
}

pub use server::serve;
