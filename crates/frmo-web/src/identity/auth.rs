//! Signing in and out: «Войти через Госуслуги» (ЕСИА), OpenID Connect, local accounts with their
//! password reset, and sign-out (here, everywhere, and at ЕСИА).

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use frmo_registry::RegistryError;
use frmo_registry::identity::NewUser;
use frmo_registry::identity::{NewSession, OrgRole, SignIn, random_token};
use serde::Deserialize;

use crate::AppState;
use crate::error::{PageError, render};
use crate::form::FormErrors;
use crate::i18n::filters;
use crate::identity::session::{
    FLOW_COOKIE, FORM_COOKIE, SESSION_COOKIE, Viewer, constant_time_eq, cookie, csrf_error, set_cookie,
};
use crate::notice::{self, Confirmation};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_page))
        .route("/login/local", post(local_login))
        .route("/login/esia", get(esia_start))
        .route("/login/esia/callback", get(esia_callback))
        .route("/login/oidc", get(crate::identity::oidc::start))
        .route("/login/oidc/callback", get(crate::identity::oidc::callback))
        .route("/login/forgot", get(forgot_page).post(forgot))
        .route("/login/reset/{token}", get(reset_page).post(reset))
        .route("/logout", post(logout))
        .route("/logout/everywhere", post(logout_everywhere))
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    esia: bool,
    oidc: bool,
    oidc_name: &'a str,
    csrf: &'a str,
    /// The login typed (the password and the code are never shown again).
    login: &'a str,
    errors: FormErrors,
    done: Option<Confirmation>,
}

/// The local sign-in form's fields: a refusal names none of them apart (it must not tell which
/// was wrong), so it links to the first.
const LOGIN_FIELDS: [&str; 3] = ["login", "password", "code"];

/// The visitor's form token (double-submit), and the cookie to set when it is new.
pub(crate) fn form_token(state: &AppState, headers: &HeaderMap) -> (String, Option<axum::http::HeaderValue>) {
    match cookie(headers, FORM_COOKIE).filter(|t| t.len() >= 32) {
        Some(token) => (token.to_owned(), None),
        None => {
            let token = random_token();
            let cookie = set_cookie(state, FORM_COOKIE, &token, None);
            (token, Some(cookie))
        }
    }
}

fn check_form_token(headers: &HeaderMap, given: &str) -> Result<(), RegistryError> {
    match cookie(headers, FORM_COOKIE) {
        Some(token) if constant_time_eq(token.as_bytes(), given.as_bytes()) => Ok(()),
        _ => Err(csrf_error()),
    }
}

fn login_form(
    state: &AppState,
    headers: &HeaderMap,
    login: &str,
    errors: FormErrors,
    done: Option<Confirmation>,
) -> Response {
    let (csrf, new_cookie) = form_token(state, headers);
    let page = LoginPage {
        esia: state.auth.esia.is_some(),
        oidc: state.auth.oidc.is_some(),
        oidc_name: state.auth.oidc.as_ref().map_or("", |o| o.name.as_str()),
        csrf: &csrf,
        login,
        errors,
        done,
    };
    let mut response = (page.errors.status(), render(&page)).into_response();
    if let Some(cookie) = new_cookie {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

async fn login_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    viewer: Viewer,
    raw: axum::extract::RawQuery,
) -> Response {
    if viewer.session.is_some() {
        return Redirect::to("/cabinet").into_response();
    }
    let query: notice::DoneQuery = crate::query::parse(raw).unwrap_or_default();
    login_form(&state, &headers, "", FormErrors::none(), notice::fixed(query.done.as_deref()))
}

/// Sets the session cookie and goes to the cabinet.
pub(crate) fn signed_in(state: &AppState, session: &NewSession) -> Response {
    let mut response = Redirect::to("/cabinet").into_response();
    let headers = response.headers_mut();
    headers.append(header::SET_COOKIE, set_cookie(state, SESSION_COOKIE, &session.token, None));
    headers.append(header::SET_COOKIE, set_cookie(state, FLOW_COOKIE, "", Some(0)));
    response
}

#[derive(Deserialize)]
struct LocalLogin {
    #[serde(default)]
    login: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    csrf: String,
}

async fn local_login(
    State(state): State<AppState>,
    headers: HeaderMap,
    viewer: Viewer,
    Form(form): Form<LocalLogin>,
) -> Response {
    if let Err(error) = check_form_token(&headers, &form.csrf) {
        return login_form(&state, &headers, &form.login, FormErrors::one("login", error.to_string()), None);
    }
    let code = Some(form.code.trim()).filter(|c| !c.is_empty());
    match state.registry.local_sign_in(&form.login, &form.password, code, &viewer.client).await {
        Ok(session) => signed_in(&state, &session),
        Err(error @ RegistryError::Invalid(_)) => match FormErrors::from_registry(error, "", &LOGIN_FIELDS) {
            Ok(errors) => login_form(&state, &headers, &form.login, errors, None),
            Err(other) => PageError::from(other).into_response(),
        },
        Err(other) => PageError::from(other).into_response(),
    }
}

#[derive(Template)]
#[template(path = "message.html")]
pub(crate) struct MessagePage<'a> {
    pub title: &'a str,
    pub paragraphs: Vec<String>,
    pub code: Option<&'a str>,
    pub request_id: &'a str,
    pub back_href: &'a str,
    pub back_label: &'a str,
}

pub(crate) fn login_failed(
    status: StatusCode,
    paragraphs: Vec<String>,
    code: Option<&str>,
    request_id: &str,
) -> Response {
    let page = MessagePage {
        title: "Войти не удалось",
        paragraphs,
        code,
        request_id,
        back_href: "/login",
        back_label: "Попробовать ещё раз",
    };
    (status, render(&page)).into_response()
}

/// Starts a sign-in at an identity provider: remembers its `state` in the database (any process may
/// receive the return) and in a cookie (only this browser may complete it).
pub(crate) async fn begin_flow(state: &AppState, provider: &str, flow_state: &str, data: &str, url: &str) -> Response {
    if let Err(error) = state.registry.save_login_flow(flow_state, provider, data).await {
        return PageError::from(error).into_response();
    }
    let mut response = Redirect::to(url).into_response();
    response.headers_mut().append(header::SET_COOKIE, set_cookie(state, FLOW_COOKIE, flow_state, Some(3600)));
    response
}

/// Takes the sign-in a provider returned to: it must have been started by this browser, recently.
pub(crate) async fn take_flow(
    state: &AppState,
    headers: &HeaderMap,
    provider: &str,
    flow_state: &str,
) -> Option<String> {
    if cookie(headers, FLOW_COOKIE) != Some(flow_state) {
        return None;
    }
    state.registry.take_login_flow(flow_state, provider).await.ok().flatten()
}

async fn esia_start(State(state): State<AppState>) -> Response {
    let Some(esia) = &state.auth.esia else {
        return login_failed(
            StatusCode::NOT_FOUND,
            vec!["Вход через Госуслуги в этой установке не настроен.".into()],
            None,
            "",
        );
    };
    match esia.authorization_url().await {
        Ok((url, flow_state)) => begin_flow(&state, "esia", &flow_state, "{}", &url).await,
        Err(error) => {
            tracing::error!(%error, "ЕСИА: authorization request failed");
            login_failed(StatusCode::BAD_GATEWAY, vec![error.to_string()], None, "")
        }
    }
}

/// `ESIA-` and six digits, as ЕСИА numbers its errors.
fn is_esia_code(code: &str) -> bool {
    code.strip_prefix("ESIA-").is_some_and(|n| n.len() == 6 && n.bytes().all(|b| b.is_ascii_digit()))
}

#[derive(Deserialize)]
struct Callback {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

async fn esia_callback(
    State(state): State<AppState>,
    headers: HeaderMap,
    viewer: Viewer,
    Query(callback): Query<Callback>,
) -> Response {
    let Some(esia) = &state.auth.esia else { return StatusCode::NOT_FOUND.into_response() };
    let flow_state = callback.state.unwrap_or_default();
    let started = take_flow(&state, &headers, "esia", &flow_state).await;
    if let Some(error) = callback.error {
        let error = frmo_esia::EsiaError::from_oauth(&error, callback.error_description.as_deref().unwrap_or(""));
        tracing::warn!(%error, "ЕСИА refused the sign-in");
        // The address is anyone's to write: only a well-formed ЕСИА code is shown, with the
        // registry's own explanation of it; any other text of the address is not.
        let (message, code) = match &error {
            frmo_esia::EsiaError::Esia { code, .. } if is_esia_code(code) => (error.to_string(), Some(code.as_str())),
            _ => ("ЕСИА отказала во входе. Попробуйте войти ещё раз.".to_owned(), None),
        };
        return login_failed(StatusCode::BAD_REQUEST, vec![message], code, viewer.request_id());
    }
    if started.is_none() {
        return login_failed(
            StatusCode::BAD_REQUEST,
            vec!["Вход устарел или начат в другом браузере. Начните вход заново.".into()],
            Some("LOGIN_STATE_MISMATCH"),
            viewer.request_id(),
        );
    }
    let Some(code) = callback.code else {
        return login_failed(
            StatusCode::BAD_REQUEST,
            vec!["ЕСИА не вернула код авторизации.".into()],
            None,
            viewer.request_id(),
        );
    };
    let login = match esia.complete(&code).await {
        Ok(login) => login,
        Err(error) => {
            tracing::warn!(%error, "ЕСИА sign-in failed");
            let code = match &error {
                frmo_esia::EsiaError::Esia { code, .. } => Some(code.clone()),
                _ => None,
            };
            return login_failed(
                StatusCode::BAD_GATEWAY,
                vec![error.to_string()],
                code.as_deref(),
                viewer.request_id(),
            );
        }
    };
    let email = login.contacts.iter().find(|c| c.kind == "EML").map(|c| c.value.clone());
    let sign_in = SignIn {
        user: NewUser {
            provider: "esia".into(),
            subject: login.oid.clone(),
            display_name: login.person.full_name(),
            snils: login.person.snils.clone(),
            email,
            confirmed: login.person.trusted,
        },
        organizations: Some(
            login
                .roles
                .iter()
                .filter(|r| r.active != Some(false))
                .filter_map(|r| {
                    r.ogrn.clone().map(|ogrn| OrgRole {
                        ogrn,
                        inn: r.inn.clone(),
                        name: r.short_name.clone(),
                        chief: r.chief,
                    })
                })
                .collect(),
        ),
        method: if login.amr == "DS" { "esia-ds".into() } else { "esia-pwd".into() },
        provider_data: serde_json::json!({"refresh_token": login.tokens.refresh_token}).to_string(),
    };
    match state.registry.sign_in(sign_in).await {
        Ok(session) => signed_in(&state, &session),
        Err(error) => PageError::from(error).into_response(),
    }
}

#[derive(Template)]
#[template(path = "forgot.html")]
struct ForgotPage<'a> {
    csrf: &'a str,
    token: Option<&'a str>,
    /// The login or e-mail typed in the «forgot» form (a new password is never shown again).
    who: &'a str,
    errors: FormErrors,
}

fn forgot_form(state: &AppState, headers: &HeaderMap, token: Option<&str>, who: &str, errors: FormErrors) -> Response {
    let (csrf, new_cookie) = form_token(state, headers);
    let page = ForgotPage { csrf: &csrf, token, who, errors };
    let mut response = (page.errors.status(), render(&page)).into_response();
    if let Some(cookie) = new_cookie {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

async fn forgot_page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    forgot_form(&state, &headers, None, "", FormErrors::none())
}

#[derive(Deserialize)]
struct Forgot {
    #[serde(default)]
    who: String,
    #[serde(default)]
    csrf: String,
}

async fn forgot(State(state): State<AppState>, headers: HeaderMap, Form(form): Form<Forgot>) -> Response {
    if let Err(error) = check_form_token(&headers, &form.csrf) {
        return forgot_form(&state, &headers, None, &form.who, FormErrors::one("who", error.to_string()));
    }
    if let Err(error) = state.registry.request_password_reset(&form.who, &state.auth.public_url).await {
        return match FormErrors::from_registry(error, "", &["who"]) {
            Ok(errors) => forgot_form(&state, &headers, None, &form.who, errors),
            Err(other) => PageError::from(other).into_response(),
        };
    }
    let page = MessagePage {
        title: "Проверьте почту",
        paragraphs: vec![
            "Если такая учётная запись есть и у неё указан адрес электронной почты, мы отправили на него ссылку для смены пароля. Ссылка действует 30 минут.".into(),
        ],
        code: None,
        request_id: "",
        back_href: "/login",
        back_label: "Ко входу",
    };
    render(&page)
}

async fn reset_page(State(state): State<AppState>, headers: HeaderMap, Path(token): Path<String>) -> Response {
    forgot_form(&state, &headers, Some(&token), "", FormErrors::none())
}

#[derive(Deserialize)]
struct Reset {
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf: String,
}

async fn reset(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(token): Path<String>,
    Form(form): Form<Reset>,
) -> Response {
    if let Err(error) = check_form_token(&headers, &form.csrf) {
        return forgot_form(&state, &headers, Some(&token), "", FormErrors::one("password", error.to_string()));
    }
    match state.registry.reset_password(&token, &form.password).await {
        Ok(()) => {
            let page = MessagePage {
                title: "Пароль изменён",
                paragraphs: vec!["Новый пароль сохранён; все прежние сеансы завершены.".into()],
                code: None,
                request_id: "",
                back_href: "/login",
                back_label: "Войти",
            };
            render(&page)
        }
        Err(error) => match FormErrors::from_registry(error, "", &["password"]) {
            Ok(errors) => forgot_form(&state, &headers, Some(&token), "", errors),
            Err(other) => PageError::from(other).into_response(),
        },
    }
}

#[derive(Deserialize)]
pub(crate) struct CsrfOnly {
    #[serde(default)]
    pub csrf: String,
}

fn signed_out(state: &AppState, to: &str) -> Response {
    let mut response = Redirect::to(to).into_response();
    response.headers_mut().append(header::SET_COOKIE, set_cookie(state, SESSION_COOKIE, "", Some(0)));
    response
}

async fn logout(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<CsrfOnly>,
) -> Result<Response, PageError> {
    let Some(session) = &viewer.session else { return Ok(signed_out(&state, "/")) };
    viewer.check_csrf(&form.csrf)?;
    state.registry.sign_out(session).await?;
    // A ЕСИА session ends at ЕСИА too, which then returns the browser to the register's
    // confirmation.
    let confirmation = notice::to("/login", notice::LOGOUT);
    let to = match (&state.auth.esia, session.record.method.starts_with("esia")) {
        (Some(esia), true) => {
            esia.logout_url(&format!("{}{confirmation}", state.auth.public_url.trim_end_matches('/')))
        }
        _ => confirmation,
    };
    Ok(signed_out(&state, &to))
}

async fn logout_everywhere(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<CsrfOnly>,
) -> Result<Response, PageError> {
    let session = viewer.require(&state).await?;
    viewer.check_csrf(&form.csrf)?;
    state.registry.sign_out_everywhere(session).await?;
    Ok(signed_out(&state, &notice::to("/login", notice::LOGOUT_EVERYWHERE)))
}
