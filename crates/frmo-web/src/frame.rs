//! The one layer every request passes, written out by hand: its id, its trace span, its time and
//! count (`/metrics`), the rate limits, its locale and context for error pages, a deadline, a
//! caught panic, and on the way out the security headers, `no-store` on what depends on who asks,
//! and an API error as JSON.
//!
//! It was six tower layers and a `from_fn` middleware. Each of those clones the service beneath it
//! and boxes a future per request, and the deadline registered a timer for every request; this one
//! calls the route directly, keeps its state in one future, and arms the deadline only for an
//! answer that is not ready at once. `docs/benchmarks.md` has the figures.

use std::convert::Infallible;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use pin_project_lite::pin_project;
use tokio::task::futures::TaskLocalFuture;
use tracing::Span;

use crate::i18n::{self, Locale};
use crate::limits::{self, Admission, Refusal};
use crate::{AppState, AuthSettings, error, identity, metrics, register};

pub(crate) const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// How long an answer may take: then it is a 503 and the work is dropped.
const DEADLINE: Duration = Duration::from_secs(30);

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

/// The content security policy of a deployment, as a static value: every answer copies it, and a
/// static value is copied without touching a shared reference count. Each distinct policy is made
/// once per process.
fn content_security_policy(auth: &AuthSettings) -> HeaderValue {
    static MADE: std::sync::Mutex<Vec<&'static str>> = std::sync::Mutex::new(Vec::new());
    const DEFAULT: &str = "default-src 'self'; frame-ancestors 'none'; form-action 'self'";
    let portal = auth.esia.as_ref().map(|esia| esia.config().portal_url.as_str()).unwrap_or_default();
    let origin: String = portal.splitn(4, '/').take(3).collect::<Vec<_>>().join("/");
    let policy = format!("{DEFAULT} {origin}");
    let policy = policy.trim();
    if HeaderValue::from_str(policy).is_err() {
        return HeaderValue::from_static(DEFAULT);
    }
    let mut made = MADE.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let text = match made.iter().find(|text| **text == policy) {
        Some(text) => *text,
        None => {
            let text: &'static str = Box::leak(policy.into());
            made.push(text);
            text
        }
    };
    HeaderValue::from_static(text)
}

/// Whether the answer to `request` depends on who asks (a session, or signing in): such answers
/// carry personal data or a form token and are never stored by a browser or a proxy. The cabinet's
/// routes (its pages and its API, worker data among them) say so themselves ([`never_stored`]).
fn depends_on_session(request: &Request) -> bool {
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

/// A layer of the cabinet's router: every answer of its routes is stored nowhere.
pub(crate) async fn never_stored(mut response: Response) -> Response {
    forbid_storing(response.headers_mut());
    response
}

/// What code deep in a request reads of it without having it handed down: its locale (templates
/// and messages), its address (the language switch, the error page's report link) and its id (that
/// link). Kept as the request has them (reference-counted clones); made text only when asked.
pub(crate) struct Current {
    pub(crate) locale: Locale,
    pub(crate) uri: Uri,
    pub(crate) id: HeaderValue,
}

tokio::task_local! {
    /// The request being answered.
    pub(crate) static CURRENT: Current;
}

/// Request ids: a random per-process prefix and a counter — unique across processes, and cheaper
/// than a UUID (no system call per request).
struct RequestIds {
    prefix: Box<str>,
    next: AtomicU64,
}

impl RequestIds {
    fn new() -> Self {
        let prefix = uuid::Uuid::new_v4().simple().to_string()[..12].into();
        RequestIds { prefix, next: AtomicU64::new(1) }
    }

    /// The request's id: the one it came with (from a proxy), else a new one, set on it.
    fn assign(&self, request: &mut Request) -> HeaderValue {
        if let Some(id) = request.headers().get(REQUEST_ID) {
            return id.clone();
        }
        use std::io::Write;
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        // Written on the stack: one allocation per request (the header's).
        let mut text = [0u8; 40];
        let mut cursor = std::io::Cursor::new(&mut text[..]);
        let _ = write!(cursor, "{}-{n}", self.prefix);
        let len = cursor.position() as usize;
        let id = HeaderValue::from_bytes(&text[..len]).unwrap_or(HeaderValue::from_static("-"));
        request.headers_mut().insert(REQUEST_ID, id.clone());
        id
    }
}

/// What the layer holds for every route.
struct Shared {
    state: AppState,
    policy: HeaderValue,
    hsts: bool,
    ids: RequestIds,
}

/// The layer (`crate::router` puts it around every route).
#[derive(Clone)]
pub(crate) struct FrameLayer(Arc<Shared>);

impl FrameLayer {
    pub(crate) fn new(state: AppState) -> Self {
        let policy = content_security_policy(&state.auth);
        let hsts = state.auth.hsts;
        FrameLayer(Arc::new(Shared { state, policy, hsts, ids: RequestIds::new() }))
    }
}

impl<S> tower::Layer<S> for FrameLayer {
    type Service = Frame<S>;

    fn layer(&self, inner: S) -> Frame<S> {
        Frame { inner, shared: self.0.clone() }
    }
}

/// A route in its frame.
#[derive(Clone)]
pub(crate) struct Frame<S> {
    inner: S,
    shared: Arc<Shared>,
}

impl<S> tower::Service<Request> for Frame<S>
where
    S: tower::Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Framed<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request) -> Self::Future {
        let id = self.shared.ids.assign(&mut request);
        let span = tracing::info_span!(
            "request",
            method = %request.method(),
            uri = %request.uri().path(),
            request_id = %id.to_str().unwrap_or("-"),
        );
        let entered = span.enter();
        tracing::debug!("started processing request");
        let state = &self.shared.state;
        let timer = metrics::Timer::start(&state.metrics, &request);
        let api = register::api::is_api(request.uri().path());
        let personal = depends_on_session(&request);
        let asked = i18n::Asked::of(&request);
        let current = Current { locale: asked.locale, uri: request.uri().clone(), id: id.clone() };
        // A browser that has just written reads afresh; one that writes now will.
        let fresh = identity::session::cookie(request.headers(), identity::session::FRESH_COOKIE).is_some();
        let writes = !request.method().is_safe();
        let answer = match limits::admit(state, &mut request) {
            Admission::Admitted => match std::panic::catch_unwind(AssertUnwindSafe(|| self.inner.call(request))) {
                Ok(future) => Answer::Route { future },
                Err(panic) => Answer::Ready { response: Some(error::panic_response(panic)) },
            },
            Admission::Refused(refusal) => Answer::Refused { refusal: Some(refusal) },
            Admission::SignedIn(signed_in) => {
                // The route is called after an await: it takes this service's readied clone and
                // leaves a fresh one in its place (tower's contract for `poll_ready`).
                let fresh = self.inner.clone();
                let mut inner = std::mem::replace(&mut self.inner, fresh);
                let state = state.clone();
                Answer::SignedIn {
                    future: Box::pin(async move {
                        match signed_in.admit(&state, &mut request).await {
                            Some(refusal) => refusal.into_response(),
                            None => match inner.call(request).await {
                                Ok(response) => response,
                                Err(never) => match never {},
                            },
                        }
                    }),
                }
            }
        };
        // Boxed, so the common request pays nothing for the rare one's scope.
        let answer = if fresh {
            Answer::SignedIn { future: Box::pin(frmo_registry::reading_fresh(true, answer)) }
        } else {
            answer
        };
        drop(entered);
        Framed {
            answer: CURRENT.scope(current, answer),
            deadline: None,
            after: Some(After { shared: self.shared.clone(), id, lang: asked.lang, api, personal, writes, timer }),
            span,
        }
    }
}

pin_project! {
    /// The answer being made, as the route's own future when it can be.
    #[project = AnswerProjection]
    pub(crate) enum Answer<F> {
        Route { #[pin] future: F },
        SignedIn { future: Pin<Box<dyn Future<Output = Response> + Send>> },
        Refused { refusal: Option<Refusal> },
        Ready { response: Option<Response> },
    }
}

impl<F: Future<Output = Result<Response, Infallible>>> Future for Answer<F> {
    type Output = Response;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Response> {
        match self.project() {
            AnswerProjection::Route { future } => future.poll(cx).map(|answer| match answer {
                Ok(response) => response,
                Err(never) => match never {},
            }),
            AnswerProjection::SignedIn { future } => future.as_mut().poll(cx),
            // Made here, in the request's locale.
            AnswerProjection::Refused { refusal } => {
                Poll::Ready(refusal.take().map_or_else(gone, IntoResponse::into_response))
            }
            AnswerProjection::Ready { response } => Poll::Ready(response.take().unwrap_or_else(gone)),
        }
    }
}

/// What an answer polled again after it was ready gives (`Framed` never does so).
fn gone() -> Response {
    StatusCode::INTERNAL_SERVER_ERROR.into_response()
}

/// What the answer gets on its way out.
struct After {
    shared: Arc<Shared>,
    id: HeaderValue,
    lang: Option<Locale>,
    api: bool,
    personal: bool,
    /// A write (not a safe method): its browser's next reads are marked fresh.
    writes: bool,
    timer: metrics::Timer,
}

impl After {
    fn finish(self, mut response: Response) -> Response {
        // Room for what is added below at once: the map grows once, not two or three times.
        response.headers_mut().reserve(SECURITY_HEADERS.len() + 5);
        i18n::answered(&self.shared.state, self.lang, &mut response);
        if self.writes && !response.status().is_client_error() && !response.status().is_server_error() {
            let mark = identity::session::set_cookie(
                &self.shared.state,
                identity::session::FRESH_COOKIE,
                "1",
                Some(identity::session::FRESH_SECONDS),
            );
            response.headers_mut().append(header::SET_COOKIE, mark);
        }
        self.secure(&mut response);
        let mut response = if self.api { register::api::as_json_error(response) } else { response };
        response.headers_mut().entry(REQUEST_ID).or_insert(self.id);
        let status = response.status().as_u16();
        let latency = self.timer.observe(&response);
        tracing::debug!(status, ?latency, "finished processing request");
        if response.status().is_server_error() {
            tracing::error!(status, ?latency, "response failed");
        }
        response
    }

    /// The security headers every answer carries, and `no-store` on what depends on who asks.
    fn secure(&self, response: &mut Response) {
        let headers = response.headers_mut();
        for (name, value) in SECURITY_HEADERS {
            headers.entry(name).or_insert(HeaderValue::from_static(value));
        }
        headers.entry(header::CONTENT_SECURITY_POLICY).or_insert(self.shared.policy.clone());
        if self.shared.hsts {
            headers.entry(header::STRICT_TRANSPORT_SECURITY).or_insert(HeaderValue::from_static(HSTS));
        }
        // Everything for a viewer, and any answer that sets a cookie (a form token), is stored nowhere.
        if self.personal || headers.contains_key(header::SET_COOKIE) {
            forbid_storing(headers);
        }
    }
}

pin_project! {
    /// A request's answer in its frame.
    pub(crate) struct Framed<F> {
        #[pin]
        answer: TaskLocalFuture<Current, Answer<F>>,
        // Armed when the answer is first not ready.
        deadline: Option<Pin<Box<tokio::time::Sleep>>>,
        after: Option<After>,
        span: Span,
    }
}

impl<F: Future<Output = Result<Response, Infallible>>> Future for Framed<F> {
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        let _entered = this.span.enter();
        let Some(after) = this.after.as_ref() else { return Poll::Ready(Ok(gone())) };
        let response = match std::panic::catch_unwind(AssertUnwindSafe(|| this.answer.as_mut().poll(cx))) {
            Ok(Poll::Ready(response)) => response,
            Ok(Poll::Pending) => {
                let started = after.timer.started();
                let deadline =
                    this.deadline.get_or_insert_with(|| Box::pin(tokio::time::sleep_until(started + DEADLINE)));
                if deadline.as_mut().poll(cx).is_pending() {
                    return Poll::Pending;
                }
                StatusCode::SERVICE_UNAVAILABLE.into_response()
            }
            Err(panic) => error::panic_response(panic),
        };
        match this.after.take() {
            Some(after) => Poll::Ready(Ok(after.finish(response))),
            None => Poll::Ready(Ok(gone())),
        }
    }
}
