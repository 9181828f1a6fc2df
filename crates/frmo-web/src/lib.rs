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
mod frame;
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

use axum::Router;
use frmo_registry::Registry;

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

/// A moment as people read it: Moscow time, marked «МСК».
pub(crate) fn format_time(unix: i64) -> String {
    frmo_domain::date::moscow_time(unix)
}

pub fn router(state: AppState) -> Router {
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
        // One hand-written layer (`frame`) around every route: its id, trace span, metrics, rate
        // limits, locale, deadline, caught panics and security headers.
        .layer(frame::FrameLayer::new(state))
}

pub use server::serve;
