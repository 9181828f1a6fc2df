//! Sign-in through an OpenID Connect provider (authorization code + PKCE), for deployments with an
//! identity provider other than ЕСИА. Memberships of such users are granted by operators.

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use frmo_registry::identity::NewUser;
use frmo_registry::identity::SignIn;
use serde::Deserialize;

use crate::AppState;
use crate::error::PageError;
use crate::identity::auth::{begin_flow, login_failed, signed_in, take_flow};
use crate::identity::session::Viewer;

/// A configured OpenID Connect provider.
pub struct OidcLogin {
    /// Shown on the button: «Войти через {name}».
    pub name: String,
    pub provider: frmo_oidc::Provider,
    pub http: reqwest::Client,
    /// Whether the provider vouches for identities (then accounts count as confirmed).
    pub trusted: bool,
}

pub(crate) async fn start(State(state): State<AppState>) -> Response {
    let Some(oidc) = &state.auth.oidc else {
        return login_failed(
            StatusCode::NOT_FOUND,
            vec!["Вход через OpenID Connect в этой установке не настроен.".into()],
            None,
            "",
        );
    };
    let (url, pending) = oidc.provider.authorization_request();
    let data = serde_json::to_string(&pending).unwrap_or_default();
    begin_flow(&state, "oidc", &pending.state, &data, &url).await
}

/// The error codes of OAuth 2.0 (RFC 6749 §4.1.2.1) and OpenID Connect Core (§3.1.2.6).
const OAUTH_ERRORS: &[&str] = &[
    "invalid_request",
    "unauthorized_client",
    "access_denied",
    "unsupported_response_type",
    "invalid_scope",
    "server_error",
    "temporarily_unavailable",
    "interaction_required",
    "login_required",
    "account_selection_required",
    "consent_required",
    "invalid_request_uri",
    "invalid_request_object",
    "request_not_supported",
    "request_uri_not_supported",
    "registration_not_supported",
];

#[derive(Deserialize)]
pub(crate) struct Callback {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

pub(crate) async fn callback(
    State(state): State<AppState>,
    headers: HeaderMap,
    viewer: Viewer,
    Query(callback): Query<Callback>,
) -> Response {
    let Some(oidc) = &state.auth.oidc else { return StatusCode::NOT_FOUND.into_response() };
    let returned_state = callback.state.unwrap_or_default();
    let pending = take_flow(&state, &headers, "oidc", &returned_state)
        .await
        .and_then(|data| serde_json::from_str::<frmo_oidc::PendingLogin>(&data).ok());
    if let Some(error) = callback.error {
        let detail = callback.error_description.unwrap_or_default();
        tracing::warn!(%error, %detail, "the OpenID provider refused the sign-in");
        // The address is anyone's to write: the page names only the standard error codes, never
        // the address's text.
        let known = OAUTH_ERRORS.contains(&error.as_str());
        return login_failed(
            StatusCode::BAD_REQUEST,
            vec![format!(
                "Поставщик входа отказал во входе{}. Попробуйте войти ещё раз.",
                if known { format!(" ({error})") } else { String::new() }
            )],
            Some("OIDC_ERROR"),
            viewer.request_id(),
        );
    }
    let (Some(pending), Some(code)) = (pending, callback.code) else {
        return login_failed(
            StatusCode::BAD_REQUEST,
            vec!["Вход устарел или начат в другом браузере. Начните вход заново.".into()],
            Some("LOGIN_STATE_MISMATCH"),
            viewer.request_id(),
        );
    };
    let identity = match oidc.provider.exchange(&oidc.http, &code, &returned_state, &pending).await {
        Ok(identity) => identity,
        Err(error) => {
            tracing::warn!(%error, "OpenID Connect sign-in failed");
            return login_failed(
                StatusCode::BAD_GATEWAY,
                vec![error.to_string()],
                Some("OIDC_TOKEN"),
                viewer.request_id(),
            );
        }
    };
    let display_name =
        identity.name.clone().or_else(|| identity.email.clone()).unwrap_or_else(|| identity.subject.clone());
    let sign_in = SignIn {
        user: NewUser {
            provider: "oidc".into(),
            subject: format!("{} {}", identity.issuer, identity.subject),
            display_name,
            snils: None,
            email: identity.email.clone(),
            confirmed: oidc.trusted,
        },
        organizations: None,
        method: "oidc".into(),
        provider_data: "{}".into(),
    };
    match state.registry.sign_in(sign_in).await {
        Ok(session) => signed_in(&state, &session),
        Err(error) => PageError::from(error).into_response(),
    }
}
