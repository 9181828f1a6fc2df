//! The ЕСИА stand: the server side of the same protocol, since the real ЕСИА cannot be reached from
//! here. It keeps registered systems with their certificates and checks every `client_secret`
//! signature and certificate hash for real (a wrong one gets `ESIA-007053`), lets a tester choose a
//! demo person, issues signed tokens with ЕСИА's claims, and serves `/rs/prns`, contacts, roles,
//! organizations and logout. State (codes, tokens) lives in memory: a stand is one process.
//!
//! Why one file of more than 600 lines: the stand is ЕСИА's server side, and each endpoint sits beside
//! the checks of the protocol it answers (signature, certificate hash, code, token), as ЕСИА's
//! methodical guidelines describe them one after another; it serves tests and demos only.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use serde::Serialize;
use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::protocol::{self, ALG_GOST, ALG_RS256, ISSUER, SignedParams};

/// Tokens live an hour, as ЕСИА's do; codes five minutes.
const TOKEN_SECONDS: i64 = 3600;
const CODE_SECONDS: i64 = 300;

/// A system registered on the stand, as on ЕСИА's technology portal.
#[derive(Clone)]
pub struct StandClient {
    pub client_id: String,
    pub certificate_der: Vec<u8>,
}

/// An organization a demo person acts for.
#[derive(Debug, Clone, Serialize)]
pub struct StandOrg {
    pub oid: i64,
    pub full_name: String,
    pub short_name: String,
    pub ogrn: String,
    pub inn: String,
    pub kpp: String,
    pub chief: bool,
}

/// A person one can sign in as.
#[derive(Debug, Clone)]
pub struct DemoPerson {
    pub oid: i64,
    pub last_name: String,
    pub first_name: String,
    pub middle_name: String,
    pub birth_date: String,
    pub gender: String,
    pub snils: String,
    pub inn: String,
    /// A confirmed account.
    pub trusted: bool,
    /// `PWD`, or `DS` for a sign-in with an electronic signature.
    pub amr: String,
    pub email: String,
    pub mobile: String,
    pub orgs: Vec<StandOrg>,
    /// What makes this person interesting, shown on the chooser.
    pub note: String,
}

/// How the stand signs its tokens.
pub enum TokenKey {
    Gost(frmo_gost::PrivateKey),
    Rsa(Box<rsa::RsaPrivateKey>),
}

impl TokenKey {
    fn alg(&self) -> &'static str {
        match self {
            TokenKey::Gost(_) => ALG_GOST,
            TokenKey::Rsa(_) => ALG_RS256,
        }
    }

    fn sign(&self, input: &[u8]) -> Vec<u8> {
        match self {
            TokenKey::Gost(key) => key.sign(input),
            TokenKey::Rsa(key) => {
                use rsa::signature::{SignatureEncoding, Signer};
                rsa::pkcs1v15::SigningKey::<rsa::sha2::Sha256>::new((**key).clone()).sign(input).to_vec()
            }
        }
    }
}

pub struct StandConfig {
    pub clients: Vec<StandClient>,
    pub persons: Vec<DemoPerson>,
    pub key: TokenKey,
    /// Where the stand's router is mounted (`""` standalone, `/esia-stand` inside the demo server).
    pub base_path: String,
}

struct Flow {
    client_id: String,
    redirect_uri: String,
    state: String,
    scope: String,
}

struct Grant {
    client_id: String,
    redirect_uri: String,
    person: i64,
    scope: String,
    expires: i64,
}

#[derive(Default)]
struct Memory {
    flows: HashMap<String, Flow>,
    codes: HashMap<String, Grant>,
    /// access token → (person oid, expiry)
    access: HashMap<String, (i64, i64)>,
    /// refresh token → grant (client, person, scope)
    refresh: HashMap<String, Grant>,
}

#[derive(Clone)]
struct Stand {
    config: Arc<StandConfig>,
    memory: Arc<Mutex<Memory>>,
}

impl Stand {
    fn memory(&self) -> std::sync::MutexGuard<'_, Memory> {
        self.memory.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn person(&self, oid: i64) -> Option<&DemoPerson> {
        self.config.persons.iter().find(|p| p.oid == oid)
    }
}

pub fn router(config: StandConfig) -> Router {
    let stand = Stand { config: Arc::new(config), memory: Arc::default() };
    Router::new()
        .route(protocol::AC_PATH, get(authorize))
        .route("/aas/oauth2/v2/ac/login", post(choose_person))
        .route(protocol::TE_PATH, post(token))
        .route("/rs/prns/{oid}", get(person))
        .route("/rs/prns/{oid}/ctts", get(contacts))
        .route("/rs/prns/{oid}/ctts/{id}", get(contact))
        .route("/rs/prns/{oid}/roles", get(roles))
        .route("/rs/orgs/{oid}", get(organization))
        .route(protocol::LOGOUT_PATH, get(logout))
        .with_state(stand)
        .layer(axum::middleware::map_response(stand_headers))
}

/// The stand's own page policy: its styles are inline, and its forms lead back to any system.
async fn stand_headers(mut response: Response) -> Response {
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        axum::http::HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self' http: https:; frame-ancestors 'none'",
        ),
    );
    response
}

fn now() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

/// An OAuth error, as ЕСИА words it.
struct OauthError {
    error: &'static str,
    code: &'static str,
    detail: String,
}

impl OauthError {
    fn description(&self) -> String {
        format!("{}: {}", self.code, self.detail)
    }

    fn missing(name: &str) -> Self {
        OauthError {
            error: "invalid_request",
            code: "ESIA-007014",
            detail: format!("Отсутствует обязательный параметр {name}"),
        }
    }

    fn secret_wrong(detail: &str) -> Self {
        OauthError {
            error: "invalid_client",
            code: "ESIA-007053",
            detail: format!("OAuthErrorEnum.clientSecretWrong ({detail})"),
        }
    }

    fn unauthorized(client_id: &str) -> Self {
        OauthError {
            error: "unauthorized_client",
            code: "ESIA-007005",
            detail: format!("система {client_id} не зарегистрирована"),
        }
    }

    fn invalid_grant(detail: &str) -> Self {
        OauthError { error: "invalid_grant", code: "ESIA-007011", detail: detail.to_owned() }
    }
}

#[derive(Template)]
#[template(path = "stand_error.html")]
struct ErrorPage<'a> {
    code: &'a str,
    description: &'a str,
    explanation: &'a str,
}

fn error_page(error: &OauthError) -> Response {
    let description = error.description();
    let page =
        ErrorPage { code: error.code, description: &description, explanation: protocol::explain_error(error.code) };
    let html = page.render().unwrap_or_else(|_| description.clone());
    (StatusCode::BAD_REQUEST, Html(html)).into_response()
}

fn required<'a>(params: &'a HashMap<String, String>, name: &str) -> Result<&'a str, OauthError> {
    params.get(name).map(String::as_str).filter(|v| !v.is_empty()).ok_or_else(|| OauthError::missing(name))
}

/// Checks the client, its certificate hash and the signature of the message; returns the client.
fn verify_client<'a>(
    stand: &'a Stand,
    params: &HashMap<String, String>,
    code: Option<&str>,
) -> Result<&'a StandClient, OauthError> {
    let client_id = required(params, "client_id")?;
    let hash = required(params, "client_certificate_hash")?;
    let secret = required(params, "client_secret")?;
    let timestamp = required(params, "timestamp")?;
    let state = required(params, "state")?;
    let redirect_uri = required(params, "redirect_uri")?;
    let scope = required(params, "scope")?;
    let scope_org = params.get("scope_org").map_or("", String::as_str);
    if protocol::parse_timestamp(timestamp).is_none() {
        return Err(OauthError {
            error: "invalid_request",
            code: "ESIA-007014",
            detail: format!("timestamp «{timestamp}» не в формате yyyy.MM.dd HH:mm:ss Z"),
        });
    }
    if uuid::Uuid::parse_str(state).is_err() {
        return Err(OauthError { error: "invalid_request", code: "ESIA-007014", detail: "state не UUID".into() });
    }
    let client = stand
        .config
        .clients
        .iter()
        .find(|c| c.client_id == client_id)
        .ok_or_else(|| OauthError::unauthorized(client_id))?;
    if !hash.eq_ignore_ascii_case(&protocol::client_certificate_hash(&client.certificate_der)) {
        return Err(OauthError::secret_wrong(
            "client_certificate_hash не совпадает с хэшем зарегистрированного сертификата",
        ));
    }
    let signature =
        protocol::decode_secret(secret).ok_or_else(|| OauthError::secret_wrong("client_secret не base64url"))?;
    let key = frmo_gost::PublicKey::from_certificate_der(&client.certificate_der)
        .map_err(|_| OauthError::secret_wrong("ключ сертификата не ГОСТ Р 34.10-2012"))?;
    let message = SignedParams { client_id, scope, scope_org, timestamp, state, redirect_uri }.message(code);
    key.verify(message.as_bytes(), &signature).map_err(|_| OauthError::secret_wrong("подпись не сходится"))?;
    Ok(client)
}

fn redirect_with(uri: &str, params: &[(&str, &str)]) -> Response {
    let query = serde_urlencoded::to_string(params).unwrap_or_default();
    let separator = if uri.contains('?') { '&' } else { '?' };
    Redirect::to(&format!("{uri}{separator}{query}")).into_response()
}

#[derive(Template)]
#[template(path = "stand_login.html")]
struct LoginPage<'a> {
    client_id: &'a str,
    scope: &'a str,
    scope_org: &'a str,
    action: String,
    flow: String,
    persons: Vec<PersonChoice>,
}

struct PersonChoice {
    oid: i64,
    name: String,
    short: String,
    note: String,
}

async fn authorize(State(stand): State<Stand>, Query(params): Query<HashMap<String, String>>) -> Response {
    let client = match verify_client(&stand, &params, None) {
        Ok(client) => client,
        Err(error) => {
            // Errors go back to the system when its address can be trusted (a known client).
            let known =
                params.get("client_id").is_some_and(|id| stand.config.clients.iter().any(|c| &c.client_id == id));
            return match params.get("redirect_uri").filter(|_| known && error.code != "ESIA-007014") {
                Some(uri) => {
                    let state = params.get("state").map_or("", String::as_str);
                    redirect_with(
                        uri,
                        &[("error", error.error), ("error_description", &error.description()), ("state", state)],
                    )
                }
                None => error_page(&error),
            };
        }
    };
    if params.get("response_type").map(String::as_str) != Some("code") {
        return error_page(&OauthError::missing("response_type=code"));
    }
    let flow_id = uuid::Uuid::new_v4().to_string();
    let scope = params.get("scope").cloned().unwrap_or_default();
    stand.memory().flows.insert(
        flow_id.clone(),
        Flow {
            client_id: client.client_id.clone(),
            redirect_uri: params.get("redirect_uri").cloned().unwrap_or_default(),
            state: params.get("state").cloned().unwrap_or_default(),
            scope: scope.clone(),
        },
    );
    let page = LoginPage {
        client_id: &client.client_id,
        scope: &scope,
        scope_org: params.get("scope_org").map_or("", String::as_str),
        action: format!("{}/aas/oauth2/v2/ac/login", stand.config.base_path),
        flow: flow_id,
        persons: stand
            .config
            .persons
            .iter()
            .map(|p| PersonChoice {
                oid: p.oid,
                name: format!("{} {} {}", p.last_name, p.first_name, p.middle_name),
                short: format!("{} {}", p.first_name, p.last_name),
                note: p.note.clone(),
            })
            .collect(),
    };
    match page.render() {
        Ok(html) => Html(html).into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

#[derive(serde::Deserialize)]
struct Choice {
    flow: String,
    person: i64,
}

async fn choose_person(State(stand): State<Stand>, Form(choice): Form<Choice>) -> Response {
    let Some(flow) = stand.memory().flows.remove(&choice.flow) else {
        return error_page(&OauthError::invalid_grant("вход не начат или уже завершён"));
    };
    if stand.person(choice.person).is_none() {
        return error_page(&OauthError::invalid_grant("нет такого пользователя"));
    }
    let code = uuid::Uuid::new_v4().simple().to_string();
    stand.memory().codes.insert(
        code.clone(),
        Grant {
            client_id: flow.client_id,
            redirect_uri: flow.redirect_uri.clone(),
            person: choice.person,
            scope: flow.scope,
            expires: now() + CODE_SECONDS,
        },
    );
    redirect_with(&flow.redirect_uri, &[("code", &code), ("state", &flow.state)])
}

fn oauth_json(error: &OauthError, state: &str) -> Response {
    (
        if error.code == "ESIA-007053" || error.code == "ESIA-007005" {
            StatusCode::UNAUTHORIZED
        } else {
            StatusCode::BAD_REQUEST
        },
        Json(json!({"error": error.error, "error_description": error.description(), "state": state})),
    )
        .into_response()
}

async fn token(State(stand): State<Stand>, Form(params): Form<HashMap<String, String>>) -> Response {
    let state = params.get("state").cloned().unwrap_or_default();
    match issue(&stand, &params) {
        Ok(body) => Json(body).into_response(),
        Err(error) => oauth_json(&error, &state),
    }
}

fn issue(stand: &Stand, params: &HashMap<String, String>) -> Result<Value, OauthError> {
    let grant_type = required(params, "grant_type")?;
    let grant = match grant_type {
        "authorization_code" => {
            let code = required(params, "code")?;
            let client = verify_client(stand, params, Some(code))?;
            let grant = stand
                .memory()
                .codes
                .remove(code)
                .ok_or_else(|| OauthError::invalid_grant("код авторизации неизвестен или уже использован"))?;
            if grant.client_id != client.client_id
                || Some(&grant.redirect_uri) != params.get("redirect_uri")
                || grant.expires < now()
            {
                return Err(OauthError::invalid_grant(
                    "код авторизации выдан не этой системе, не для этого адреса или устарел",
                ));
            }
            grant
        }
        "refresh_token" => {
            let refresh = required(params, "refresh_token")?;
            let client = verify_client(stand, params, None)?;
            let grant = stand
                .memory()
                .refresh
                .remove(refresh)
                .ok_or_else(|| OauthError::invalid_grant("токен обновления неизвестен или уже использован"))?;
            if grant.client_id != client.client_id {
                return Err(OauthError::invalid_grant("токен обновления выдан другой системе"));
            }
            grant
        }
        _ => {
            return Err(OauthError {
                error: "unsupported_grant_type",
                code: "ESIA-007014",
                detail: format!("grant_type {grant_type}"),
            });
        }
    };
    let person = stand.person(grant.person).ok_or_else(|| OauthError::invalid_grant("пользователь удалён"))?;
    let (issued, expires) = (now(), now() + TOKEN_SECONDS);
    let sid = uuid::Uuid::new_v4().to_string();
    let key = &stand.config.key;
    let scope = grant
        .scope
        .split_whitespace()
        .map(|s| if s == "openid" { s.to_owned() } else { format!("{s}?oid={}", person.oid) })
        .collect::<Vec<_>>()
        .join(" ");
    let access = protocol::make_jwt(
        &json!({"ver": 1, "typ": "JWT", "sbt": "access", "alg": key.alg()}),
        &json!({"nbf": issued, "scope": scope, "iss": ISSUER, "urn:esia:sid": sid, "urn:esia:sbj_id": person.oid,
                "exp": expires, "iat": issued, "client_id": grant.client_id}),
        |input| key.sign(input),
    );
    let mut subject = json!({"urn:esia:sbj:typ": "P", "urn:esia:sbj:oid": person.oid, "urn:esia:sbj:nam": format!("OID.{}", person.oid),
                             "urn:esia:sbj:lvl": if person.trusted { "PR" } else { "P" }});
    if person.trusted {
        subject["urn:esia:sbj:is_tru"] = json!(true);
    }
    // As ЕСИА: an id_token only when the scope has `openid`.
    let id_token = crate::client::asks_for_id_token(&grant.scope).then(|| protocol::make_jwt(
        &json!({"ver": 0, "typ": "JWT", "sbt": "id", "alg": key.alg()}),
        &json!({"aud": grant.client_id, "sub": person.oid, "nbf": issued, "exp": expires, "iat": issued, "auth_time": issued,
                "iss": ISSUER, "amr": person.amr, "urn:esia:amd": person.amr, "urn:esia:sid": sid, "urn:esia:sbj": subject}),
        |input| key.sign(input),
    ));
    let refresh = uuid::Uuid::new_v4().to_string();
    {
        let mut memory = stand.memory();
        memory.access.insert(access.clone(), (person.oid, expires));
        memory.refresh.insert(refresh.clone(), Grant { expires: expires + 30 * 86400, ..grant });
    }
    let mut answer = json!({"access_token": access, "refresh_token": refresh, "state": params.get("state"),
                            "token_type": "Bearer", "expires_in": TOKEN_SECONDS});
    if let Some(id_token) = id_token {
        answer["id_token"] = json!(id_token);
    }
    Ok(answer)
}

/// Why the REST API refuses: the status and ЕСИА's message.
type Refusal = (StatusCode, &'static str);

fn refuse((status, message): Refusal) -> Response {
    (status, Json(json!({"code": "ESIA-007017", "message": message}))).into_response()
}

/// The person a bearer token was issued for, if it is this one and still valid.
fn bearer(stand: &Stand, headers: &HeaderMap, oid: i64) -> Result<DemoPerson, Refusal> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or((StatusCode::UNAUTHORIZED, "нет токена доступа"))?;
    let owner = stand.memory().access.get(token).copied();
    match owner {
        Some((owner, expires)) if owner == oid && expires > now() => {
            stand.person(oid).cloned().ok_or((StatusCode::NOT_FOUND, "нет такого пользователя"))
        }
        _ => Err((StatusCode::FORBIDDEN, "токен не даёт доступа к этим данным")),
    }
}

async fn person(State(stand): State<Stand>, headers: HeaderMap, Path(oid): Path<i64>) -> Response {
    match bearer(&stand, &headers, oid) {
        Ok(p) => Json(json!({
            "stateFacts": ["EntityRoot"], "firstName": p.first_name, "lastName": p.last_name, "middleName": p.middle_name,
            "birthDate": p.birth_date, "gender": p.gender, "trusted": p.trusted, "citizenship": "RUS", "snils": p.snils,
            "inn": p.inn, "updatedOn": now(), "status": "REGISTERED", "verifying": false, "containsUpCfmCode": false,
            "eTag": format!("{:X}", p.oid * 7919),
        }))
        .into_response(),
        Err(refusal) => refuse(refusal),
    }
}

fn contact_list(p: &DemoPerson) -> Vec<Value> {
    vec![
        json!({"stateFacts": ["Identifiable"], "id": 1, "type": "EML", "vrfStu": "VERIFIED", "value": p.email}),
        json!({"stateFacts": ["Identifiable"], "id": 2, "type": "MBT", "vrfStu": "VERIFIED", "value": p.mobile}),
    ]
}

async fn contacts(
    State(stand): State<Stand>,
    headers: HeaderMap,
    Path(oid): Path<i64>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let p = match bearer(&stand, &headers, oid) {
        Ok(p) => p,
        Err(refusal) => return refuse(refusal),
    };
    let list = contact_list(&p);
    let elements: Vec<Value> = if q.get("embed").is_some_and(|e| e.contains("elements")) {
        list
    } else {
        list.iter().map(|c| json!(format!("{}/rs/prns/{oid}/ctts/{}", stand.config.base_path, c["id"]))).collect()
    };
    Json(json!({"stateFacts": ["hasSize"], "size": elements.len(), "elements": elements})).into_response()
}

async fn contact(State(stand): State<Stand>, headers: HeaderMap, Path((oid, id)): Path<(i64, i64)>) -> Response {
    match bearer(&stand, &headers, oid) {
        Ok(p) => contact_list(&p)
            .into_iter()
            .find(|c| c["id"] == id)
            .map_or_else(|| StatusCode::NOT_FOUND.into_response(), |c| Json(c).into_response()),
        Err(refusal) => refuse(refusal),
    }
}

async fn roles(State(stand): State<Stand>, headers: HeaderMap, Path(oid): Path<i64>) -> Response {
    match bearer(&stand, &headers, oid) {
        Ok(p) => {
            let elements: Vec<Value> = p
                .orgs
                .iter()
                .map(|o| json!({"oid": o.oid, "prnOid": p.oid, "fullName": o.full_name, "shortName": o.short_name, "ogrn": o.ogrn,
                                "type": "LEGAL", "chief": o.chief, "admin": o.chief, "email": p.email, "active": true,
                                "hasRightOfSubstitution": o.chief, "hasApprovalTabAccess": false, "isLiquidated": false}))
                .collect();
            Json(json!({"stateFacts": ["hasSize"], "size": elements.len(), "elements": elements})).into_response()
        }
        Err(refusal) => refuse(refusal),
    }
}

async fn organization(State(stand): State<Stand>, headers: HeaderMap, Path(org_oid): Path<i64>) -> Response {
    let Some(token) =
        headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "))
    else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    let Some((person, _)) = stand.memory().access.get(token).copied() else {
        return StatusCode::FORBIDDEN.into_response();
    };
    let org = stand.person(person).and_then(|p| p.orgs.iter().find(|o| o.oid == org_oid));
    match org {
        Some(o) => {
            Json(json!({"oid": o.oid, "fullName": o.full_name, "shortName": o.short_name, "ogrn": o.ogrn, "inn": o.inn,
                               "kpp": o.kpp, "type": "LEGAL", "leg": "75403"}))
            .into_response()
        }
        None => StatusCode::FORBIDDEN.into_response(),
    }
}

async fn logout(State(stand): State<Stand>, Query(q): Query<HashMap<String, String>>) -> Response {
    let known = q.get("client_id").is_some_and(|id| stand.config.clients.iter().any(|c| &c.client_id == id));
    match q.get("redirect_url") {
        Some(url) if known => Redirect::to(url).into_response(),
        _ => error_page(&OauthError::missing("client_id / redirect_url")),
    }
}

/// The stand's demo persons for organizations of the demo register: for the first organization a
/// confirmed chief, a confirmed employee who signs in with an electronic signature and an
/// unconfirmed employee; for the second a confirmed chief.
pub fn demo_persons(orgs: &[StandOrg]) -> Vec<DemoPerson> {
    let person = |oid: i64,
                  last: &str,
                  first: &str,
                  middle: &str,
                  gender: &str,
                  snils: &str,
                  trusted: bool,
                  amr: &str,
                  orgs: Vec<StandOrg>,
                  note: &str| DemoPerson {
        oid,
        last_name: last.into(),
        first_name: first.into(),
        middle_name: middle.into(),
        birth_date: "14.03.1981".into(),
        gender: gender.into(),
        snils: snils.into(),
        inn: String::new(),
        trusted,
        amr: amr.into(),
        email: format!("user{oid}@example.ru"),
        mobile: format!("+7(900){:07}", oid % 10_000_000),
        orgs,
        note: note.into(),
    };
    let with =
        |i: usize, chief: bool| orgs.get(i).map(|o| StandOrg { chief, ..o.clone() }).into_iter().collect::<Vec<_>>();
    let first = orgs.first().map_or(String::new(), |o| o.short_name.clone());
    let second = orgs.get(1).map_or(String::new(), |o| o.short_name.clone());
    vec![
        person(
            1000299654,
            "Иванова",
            "Мария",
            "Петровна",
            "F",
            "112-233-445 95",
            true,
            "PWD",
            with(0, true),
            &format!("Подтверждённая учётная запись, руководитель: {first}"),
        ),
        person(
            1000299655,
            "Петров",
            "Сергей",
            "Николаевич",
            "M",
            "123-456-789 64",
            true,
            "DS",
            with(0, false),
            &format!("Подтверждённая, сотрудник: {first}; вход по электронной подписи"),
        ),
        person(
            1000299656,
            "Сидоров",
            "Алексей",
            "Игоревич",
            "M",
            "234-567-890 99",
            false,
            "PWD",
            with(0, false),
            &format!("Неподтверждённая учётная запись, сотрудник: {first}"),
        ),
        person(
            1000299657,
            "Кузнецова",
            "Ольга",
            "Викторовна",
            "F",
            "345-678-901 23",
            true,
            "PWD",
            with(1, true),
            &format!("Подтверждённая, руководитель: {second}"),
        ),
        person(
            1000299658,
            "Смирнов",
            "Денис",
            "Олегович",
            "M",
            "456-789-012 38",
            true,
            "PWD",
            Vec::new(),
            "Подтверждённая, ни в одной организации",
        ),
    ]
}
