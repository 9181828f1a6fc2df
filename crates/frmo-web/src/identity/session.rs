//! The signed-in person of a request: the session cookie (its hash is looked up in the database),
//! the form token that protects every state-changing form (CSRF), and the cookies themselves
//! (`HttpOnly`, `SameSite=Lax`, `Secure` whenever the registry is served over HTTPS).

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use frmo_domain::access::{Action, Actor, Target};
use frmo_domain::error::ValidationError;
use frmo_registry::identity::Session;
use frmo_registry::{Caller, RegistryError};

use crate::AppState;
use crate::error::PageError;

pub const SESSION_COOKIE: &str = "frmo_session";
/// The form token of visitors not yet signed in (double-submit: cookie and form field must match).
pub const FORM_COOKIE: &str = "frmo_form";
/// Binds a sign-in at an identity provider to the browser that started it.
pub const FLOW_COOKIE: &str = "frmo_flow";
/// Set for a few seconds after a browser's write: its next reads are read afresh, whichever process
/// answers them ([`frmo_registry::reading_fresh`]).
pub const FRESH_COOKIE: &str = "frmo_fresh";
/// How long a browser's reads stay fresh after its write: far longer than another process takes to
/// learn of a change (milliseconds).
pub const FRESH_SECONDS: i64 = 5;

/// A cookie's value from the request.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

/// A `Set-Cookie` value; `max_age` of `Some(0)` deletes the cookie.
pub fn set_cookie(state: &AppState, name: &str, value: &str, max_age: Option<i64>) -> HeaderValue {
    let mut cookie = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
    if let Some(age) = max_age {
        cookie.push_str(&format!("; Max-Age={age}"));
    }
    if state.auth.secure_cookies {
        cookie.push_str("; Secure");
    }
    HeaderValue::from_str(&cookie).unwrap_or_else(|_| HeaderValue::from_static("frmo_invalid=; Max-Age=0"))
}

/// The caller the route layer authorized ([`crate::routes`]), handed on to the handler's `Viewer`
/// so that the use case finds the decision made and does not look the organization up again.
#[derive(Clone)]
pub(crate) struct AuthorizedCaller(pub(crate) Caller);

/// Who is asking, and the request's id (for journals and error pages).
pub struct Viewer {
    pub session: Option<Session>,
    /// The session's actor (or the anonymous) and the request's id, for the registry's use cases.
    pub caller: Caller,
    /// The visitor's double-submit form token (the `FORM_COOKIE`), for forms of the public site.
    pub form_cookie: Option<String>,
    /// The client's address (`-` when the server does not say it): failed sign-ins are counted per
    /// login and address.
    pub client: String,
}

impl Viewer {
    pub fn actor(&self) -> &Actor {
        self.caller.actor()
    }

    /// The request's id.
    pub fn request_id(&self) -> &str {
        self.caller.request_id()
    }

    /// Checks access, journaling a refusal.
    pub async fn authorize(&self, state: &AppState, action: Action, target: Target<'_>) -> Result<(), RegistryError> {
        state.registry.authorize(&self.caller, action, target).await
    }

    /// The session, or the "sign in first" refusal (journaled).
    pub async fn require(&self, state: &AppState) -> Result<&Session, RegistryError> {
        self.authorize(state, Action::UseCabinet, Target::None).await?;
        self.session.as_ref().ok_or(RegistryError::Forbidden(frmo_domain::access::DenyCode::NotSignedIn))
    }

    /// The form token of this viewer's forms.
    pub fn csrf(&self) -> &str {
        self.session.as_ref().map_or("", |s| s.record.csrf.as_str())
    }

    /// A state-changing form must carry the session's form token.
    pub fn check_csrf(&self, given: &str) -> Result<(), RegistryError> {
        match &self.session {
            Some(session) if constant_time_eq(session.record.csrf.as_bytes(), given.as_bytes()) => Ok(()),
            _ => Err(csrf_error()),
        }
    }

    /// A form's token: the session's for people signed in, else the visitor's double-submit
    /// cookie (public forms such as the support request; cabinet routes still refuse anonymous
    /// visitors by their action).
    pub fn check_form(&self, given: &str) -> Result<(), RegistryError> {
        match (&self.session, &self.form_cookie) {
            (Some(_), _) => self.check_csrf(given),
            (None, Some(token)) if token.len() >= 32 && constant_time_eq(token.as_bytes(), given.as_bytes()) => Ok(()),
            _ => Err(csrf_error()),
        }
    }
}

pub fn csrf_error() -> RegistryError {
    RegistryError::invalid(ValidationError::new(
        "csrf",
        "Форма",
        "устарела или отправлена не со страницы реестра; обновите страницу и отправьте снова",
    ))
}

pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let request_id = parts.headers.get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-").to_owned();
        let resolved = parts.extensions.get::<crate::limits::ResolvedSession>().map(|r| r.0.clone());
        let session = match (resolved, cookie(&parts.headers, SESSION_COOKIE)) {
            (Some(session), _) => session,
            (None, Some(token)) if !token.is_empty() => state.registry.session(token).await?,
            _ => None,
        };
        let form_cookie = cookie(&parts.headers, FORM_COOKIE).map(str::to_owned);
        // As the limits see it: the peer, or behind a trusted proxy the client it forwards for.
        let client = parts.extensions.get::<crate::limits::ClientAddress>().map(|c| c.0).or_else(|| {
            parts.extensions.get::<axum::extract::ConnectInfo<std::net::SocketAddr>>().map(|info| info.0.ip())
        });
        let client = client.map_or_else(|| "-".to_owned(), |ip| ip.to_string());
        // Behind the route layer, the caller it authorized (carrying its decision); else a new one.
        let caller = match parts.extensions.get::<AuthorizedCaller>() {
            Some(AuthorizedCaller(caller)) => caller.clone(),
            None => Caller::new(session.as_ref().map_or(Actor::Anonymous, Session::actor), request_id),
        };
        Ok(Viewer { session, caller, form_cookie, client })
    }
}
