//! The integration API regional systems already speak: ФРМО and ФРМР as the ЕГИСЗ integration
//! service (ИПС) serves them (issue #21; shapes in `docs/ips.md`). A system's client changes only
//! its base URL, from `https://ips.rosminzdrav.ru/<address>/` to `https://<frmo>/ips/<key>/`:
//! the key travels as the first path segment as the service's address does, or under `/ips/` in an
//! `X-Api-Key` header or as `Authorization: Bearer <key>` (the public client sends its token so).
//! Answers are the service's envelopes: `{requestId, errorUserMessage, content}`, `{requestId,
//! errorUserMessage, offset, limit, total, content: […]}`, and `{timestamp, code, reasonPhrase,
//! message}` for errors (`IpsError`). Writes answer with what became of them: `applied`, or the
//! change request «На проверке» (`changeRequest`). Every call is journaled with the system as the
//! actor (`ips_call`), refused ones included; each system has its own rate limit besides its
//! address's.

use std::collections::HashMap;

use axum::extract::{Path, Query, RawPathParams, Request, State};
use axum::http::{HeaderMap, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get};
use axum::{Extension, Json, Router};
use frmo_domain::access::Actor;
use frmo_domain::ident::OrgOid;
use frmo_registry::integration::ips::frmr::PersonKey;
use frmo_registry::integration::ips::{MAX_LIMIT, Page, Part, Written};
use frmo_registry::{Caller, RegistryError};
use serde_json::{Value, json};

use crate::AppState;
use crate::error::IpsError;
use crate::limits::Class;

/// Where the API is mounted.
pub const PREFIX: &str = "/ips";

/// The most workers one `person/list` page holds: an organization's whole staff in one request.
const MAX_PERSONS: usize = 10_000;

/// The write routes of one part: `POST`, `PUT` and `DELETE` on its path.
macro_rules! part_routes {
    ($router:expr, $part:expr) => {
        $router
            .post(|State(s): State<AppState>, Extension(c): Extension<Caller>, Query(p): Params, b: axum::body::Bytes| {
                async move { add_part(s, c, p, &b, $part).await }
            })
            .put(|State(s): State<AppState>, Extension(c): Extension<Caller>, Query(p): Params, b: axum::body::Bytes| {
                async move { change_part(s, c, p, Some(&b), $part).await }
            })
            .delete(|State(s): State<AppState>, Extension(c): Extension<Caller>, Query(p): Params| {
                change_part(s, c, p, None, $part)
            })
    };
}

type Handler = fn() -> MethodRouter<AppState>;

/// Every route, below `/ips/{key}` and `/ips`, each described in `ips.openapi.json`.
pub const ROUTES: &[(&str, Handler)] = &[
    ("/org", || get(organizations).put(put_organization).delete(delete_organization)),
    ("/org/{oid}", || get(organization)),
    ("/org/depart", || part_routes!(get(departments), Part::Department)),
    ("/org/depart/{depart_oid}", || get(department)),
    ("/org/building", || part_routes!(get(buildings), Part::Building)),
    ("/org/building/get", || get(building)),
    ("/org/licenses", || get(licences)),
    ("/org/licenses/get", || get(licence)),
    ("/org/staff", || get(staff)),
    ("/person", || get(person).post(post_person)),
    ("/person/full", || get(person_full)),
    ("/person/list", || get(person_list)),
    ("/person/card", || get(person_cards).post(post_card).put(put_card).delete(delete_card)),
];

/// Resources the public client knows whose data the register does not hold (docs/ips.md): they
/// answer 404 saying so, rather than being read as an organization's OID.
const NOT_HELD: &[&str] = &[
    "/org/tpgg",
    "/org/oms",
    "/org/oms/get",
    "/org/depart/oms",
    "/org/depart/oms/get",
    "/org/territorialDepart",
    "/org/territorialDepart/get",
    "/org/airAmbulance",
    "/org/airAmbulance/get",
    "/org/equipment",
    "/org/mobileDeparts",
    "/org/houseGround",
    "/org/sites",
    "/org/telemedicine",
    "/org/servicesInfo",
    "/org/staff/get",
    "/person/organization",
    "/person/nomination",
    "/person/qualification",
    "/person/cert",
    "/person/postgraduate",
    "/person/prof",
    "/person/ext",
    "/person/common",
    "/person/militaryService",
    "/person/accreditation",
];

async fn not_held(Extension(c): Extension<Caller>) -> IpsError {
    let message = "Этот ресурс ИПС реестр не ведёт: таких сведений в нём нет (см. /ips/openapi.json)";
    IpsError::new(RegistryError::NotFound(message.into()), c.request_id())
}

pub fn router(state: AppState) -> Router<AppState> {
    let api = ROUTES.iter().fold(Router::new(), |router, (path, handler)| router.route(path, handler()));
    let api = NOT_HELD.iter().fold(api, |router, path| router.route(path, axum::routing::any(not_held)));
    let api = api.route_layer(middleware::from_fn_with_state(state, caller));
    Router::new()
        .route("/openapi.json", get(openapi))
        .nest("/{key}", api.clone())
        .merge(api)
        .fallback(|| async { not_found() })
}

fn not_found() -> Response {
    let message = "Нет такого метода интеграционного API; описание: /ips/openapi.json";
    IpsError::new(RegistryError::NotFound(message.into()), "-").into_response()
}

/// The OpenAPI 3.1 description of the API.
pub const OPENAPI: &str = include_str!("ips.openapi.json");

async fn openapi() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI)
}

fn key_of(path: Option<&str>, headers: &HeaderMap) -> Option<String> {
    let header = |name: header::HeaderName| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
    path.map(str::to_owned)
        .or_else(|| header(header::HeaderName::from_static("x-api-key")).map(str::to_owned))
        .or_else(|| header(header::AUTHORIZATION).and_then(|v| v.strip_prefix("Bearer ")).map(|v| v.trim().to_owned()))
}

/// The middleware: resolves the key, counts the system's rate, journals the call.
async fn caller(State(state): State<AppState>, raw: RawPathParams, mut request: Request, next: Next) -> Response {
    let params: HashMap<String, String> = raw.iter().map(|(k, v)| (k.to_owned(), v.to_owned())).collect();
    let request_id =
        request.headers().get(crate::frame::REQUEST_ID).and_then(|id| id.to_str().ok()).unwrap_or("-").to_owned();
    let method = request.method().to_string();
    // The path without the key: the journal never holds a secret.
    let path = match params.get("key") {
        Some(key) => request.uri().path().replacen(&format!("/{key}"), "", 1),
        None => request.uri().path().to_owned(),
    };
    let target = request
        .uri()
        .query()
        .and_then(|q| serde_urlencoded::from_str::<Vec<(String, String)>>(q).ok())
        .and_then(|pairs| pairs.into_iter().find(|(k, _)| k == "oid" || k == "mo").map(|(_, v)| v))
        .or_else(|| params.get("oid").cloned())
        .unwrap_or_default();
    let registry = &state.registry;
    let resolved = match key_of(params.get("key").map(String::as_str), request.headers()) {
        Some(key) => registry.system_actor(&key).await,
        None => Err(RegistryError::Forbidden(frmo_domain::access::DenyCode::NotSignedIn)),
    };
    let (response, actor, system) = match resolved {
        Err(error) => (IpsError::new(error, &request_id).into_response(), Actor::Anonymous, None),
        Ok((actor, system)) => {
            let account = match &actor {
                Actor::User(p) => Some(p.user_id),
                _ => None,
            };
            let counted =
                if state.limits.settings.enabled { state.limits.check(Class::Api, None, account) } else { Ok(()) };
            match counted {
                Err(seconds) => (crate::error::too_many_requests(true, seconds), actor, Some(system)),
                Ok(()) => {
                    request.extensions_mut().insert(Caller::new(actor.clone(), request_id.clone()));
                    (next.run(request).await, actor, Some(system))
                }
            }
        }
    };
    let detail = json!({"method": method, "path": path, "status": response.status().as_u16()});
    if let Err(error) =
        registry.journal_call(&Caller::new(actor, &request_id), system.as_deref(), &target, detail).await
    {
        tracing::error!(%error, "an integration API call could not be journaled");
    }
    response
}

type Answer = Result<Json<Value>, IpsError>;
type Params = Query<HashMap<String, String>>;

fn param<'a>(params: &'a HashMap<String, String>, name: &str) -> Option<&'a str> {
    params.get(name).map(|v| v.trim()).filter(|v| !v.is_empty())
}

fn required<'a>(params: &'a HashMap<String, String>, name: &'static str, caller: &Caller) -> Result<&'a str, IpsError> {
    param(params, name).ok_or_else(|| {
        let error = frmo_domain::error::ValidationError::new(name, name, "не указан параметр запроса");
        IpsError::new(RegistryError::invalid(error), caller.request_id())
    })
}

fn whole(
    params: &HashMap<String, String>,
    name: &'static str,
    default: usize,
    caller: &Caller,
) -> Result<usize, IpsError> {
    match param(params, name) {
        None => Ok(default),
        Some(text) => text.parse().map_err(|_| {
            let error = frmo_domain::error::ValidationError::new(name, name, "ожидается целое неотрицательное число");
            IpsError::new(RegistryError::invalid(error), caller.request_id())
        }),
    }
}

/// `offset` and `limit` (at most `most`).
fn paging(params: &HashMap<String, String>, most: usize, caller: &Caller) -> Result<(usize, usize), IpsError> {
    let offset = whole(params, "offset", 0, caller)?;
    let limit = whole(params, "limit", 10, caller)?;
    if limit == 0 || limit > most {
        let error = frmo_domain::error::ValidationError::new("limit", "limit", format!("допустимо от 1 до {most}"));
        return Err(IpsError::new(RegistryError::invalid(error), caller.request_id()));
    }
    Ok((offset, limit))
}

fn code(params: &HashMap<String, String>, name: &'static str, caller: &Caller) -> Result<Option<u32>, IpsError> {
    param(params, name)
        .map(|text| {
            text.parse().map_err(|_| {
                let error = frmo_domain::error::ValidationError::new(name, name, "ожидается код (целое число)");
                IpsError::new(RegistryError::invalid(error), caller.request_id())
            })
        })
        .transpose()
}

fn envelope(caller: &Caller, mut fields: Value) -> Json<Value> {
    let mut body = json!({"requestId": caller.request_id(), "errorUserMessage": Value::Null});
    if let (Some(body), Some(fields)) = (body.as_object_mut(), fields.as_object_mut()) {
        body.append(fields);
    }
    Json(body)
}

fn single(caller: &Caller, content: Value) -> Json<Value> {
    envelope(caller, json!({ "content": content }))
}

/// [`single`] around content already written as JSON text (the organization model, kept per card
/// version), without reading it back.
fn single_written(caller: &Caller, content: &str) -> Response {
    let body = format!(
        "{{\"requestId\":{},\"errorUserMessage\":null,\"content\":{content}}}",
        Value::from(caller.request_id())
    );
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

fn paged(caller: &Caller, page: Page) -> Json<Value> {
    envelope(caller, json!({"offset": page.offset, "limit": page.limit, "total": page.total, "content": page.content}))
}

fn written(caller: &Caller, written: &Written, entity: Option<String>) -> Json<Value> {
    let mut fields = written.to_json();
    if let Some(id) = entity {
        fields["content"] = json!({ "entityId": id });
    }
    envelope(caller, fields)
}

fn failed(caller: &Caller) -> impl Fn(RegistryError) -> IpsError + '_ {
    move |error| IpsError::new(error, caller.request_id())
}

/// The `oid` a call names, refused as the protocol refuses a malformed one.
fn org(oid: &str, caller: &Caller) -> Result<OrgOid, IpsError> {
    frmo_registry::integration::ips::org_oid(oid).map_err(failed(caller))
}

/// A JSON body: an object, or the call is refused naming the body.
fn body(bytes: &[u8], caller: &Caller) -> Result<Value, IpsError> {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(value @ Value::Object(_)) => Ok(value),
        Ok(_) => Err(bad_body(caller, "ожидается объект JSON")),
        Err(error) => Err(bad_body(caller, &format!("не разобран как JSON: {error}"))),
    }
}

fn bad_body(caller: &Caller, message: &str) -> IpsError {
    let error = frmo_domain::error::ValidationError::new("body", "Тело запроса", message);
    IpsError::new(RegistryError::invalid(error), caller.request_id())
}

async fn organizations(State(s): State<AppState>, Extension(c): Extension<Caller>, Query(p): Params) -> Answer {
    let (offset, limit) = paging(&p, MAX_LIMIT, &c)?;
    let org_type = code(&p, "orgTypeId", &c)?;
    let page = s.registry.ips_organizations(&c, org_type, offset, limit).await.map_err(failed(&c))?;
    Ok(paged(&c, page))
}

async fn organization(
    State(s): State<AppState>,
    Extension(c): Extension<Caller>,
    Path(params): Path<HashMap<String, String>>,
) -> Result<Response, IpsError> {
    let oid = &org(params.get("oid").map(String::as_str).unwrap_or_default(), &c)?;
    let content = s.registry.ips_organization(&c, oid).await.map_err(failed(&c))?;
    Ok(single_written(&c, &content))
}

async fn put_organization(
    State(s): State<AppState>,
    Extension(c): Extension<Caller>,
    Query(p): Params,
    bytes: axum::body::Bytes,
) -> Answer {
    let oid = &org(required(&p, "oid", &c)?, &c)?;
    let body = body(&bytes, &c)?;
    let done = s.registry.ips_put_organization(&c, oid, &body).await.map_err(failed(&c))?;
    Ok(written(&c, &done, None))
}

async fn delete_organization(State(s): State<AppState>, Extension(c): Extension<Caller>, Query(p): Params) -> Answer {
    let oid = &org(required(&p, "oid", &c)?, &c)?;
    let reason = required(&p, "deleteReason", &c)?;
    let done = s.registry.ips_delete_organization(&c, oid, reason).await.map_err(failed(&c))?;
    Ok(written(&c, &done, None))
}

async fn departments(State(s): State<AppState>, Extension(c): Extension<Caller>, Query(p): Params) -> Answer {
    let oid = &org(required(&p, "oid", &c)?, &c)?;
    let (offset, limit) = paging(&p, MAX_LIMIT, &c)?;
    let kind = code(&p, "departTypeId", &c)?;
    let page = s.registry.ips_departments(&c, oid, kind, offset, limit).await.map_err(failed(&c))?;
    Ok(paged(&c, page))
}

async fn department(
    State(s): State<AppState>,
    Extension(c): Extension<Caller>,
    Path(params): Path<HashMap<String, String>>,
    Query(p): Params,
) -> Answer {
    let depart = params.get("depart_oid").map(String::as_str).unwrap_or_default();
    // The organization is the department's own when the client does not name it.
    let oid =
        param(&p, "oid").map(str::to_owned).unwrap_or_else(|| depart.split(".0.").next().unwrap_or("").to_owned());
    let found = s.registry.ips_department(&c, &org(&oid, &c)?, depart).await.map_err(failed(&c))?;
    Ok(single(&c, found))
}

async fn buildings(State(s): State<AppState>, Extension(c): Extension<Caller>, Query(p): Params) -> Answer {
    let oid = &org(required(&p, "oid", &c)?, &c)?;
    Ok(paged(&c, s.registry.ips_buildings(&c, oid).await.map_err(failed(&c))?))
}

async fn building(State(s): State<AppState>, Extension(c): Extension<Caller>, Query(p): Params) -> Answer {
    let (oid, id) = (&org(required(&p, "oid", &c)?, &c)?, required(&p, "entityId", &c)?);
    Ok(single(&c, s.registry.ips_building(&c, oid, id).await.map_err(failed(&c))?))
}

async fn add_part(s: AppState, c: Caller, p: HashMap<String, String>, bytes: &[u8], part: Part) -> Answer {
    let oid = &org(required(&p, "oid", &c)?, &c)?;
    let body = body(bytes, &c)?;
    let (id, done) = s.registry.ips_add_part(&c, part, oid, &body).await.map_err(failed(&c))?;
    Ok(written(&c, &done, Some(id)))
}

/// `PUT` (with a body) or `DELETE` (without) of a department or a building named by `entityId`.
async fn change_part(s: AppState, c: Caller, p: HashMap<String, String>, bytes: Option<&[u8]>, part: Part) -> Answer {
    let (oid, id) = (&org(required(&p, "oid", &c)?, &c)?, required(&p, "entityId", &c)?);
    let body = bytes.map(|bytes| body(bytes, &c)).transpose()?;
    let done = s.registry.ips_change_part(&c, part, oid, id, body.as_ref()).await.map_err(failed(&c))?;
    Ok(written(&c, &done, None))
}

async fn licences(State(s): State<AppState>, Extension(c): Extension<Caller>, Query(p): Params) -> Answer {
    let oid = &org(required(&p, "oid", &c)?, &c)?;
    Ok(paged(&c, s.registry.ips_licences(&c, oid, None).await.map_err(failed(&c))?))
}

async fn licence(State(s): State<AppState>, Extension(c): Extension<Caller>, Query(p): Params) -> Answer {
    let (oid, id) = (&org(required(&p, "oid", &c)?, &c)?, required(&p, "entityId", &c)?);
    let mut page = s.registry.ips_licences(&c, oid, Some(id)).await.map_err(failed(&c))?;
    Ok(single(&c, page.content.pop().unwrap_or_default()))
}

async fn staff(State(s): State<AppState>, Extension(c): Extension<Caller>, Query(p): Params) -> Answer {
    let oid = &org(required(&p, "oid", &c)?, &c)?;
    Ok(paged(&c, s.registry.ips_staff(&c, oid).await.map_err(failed(&c))?))
}

fn person_key(p: &HashMap<String, String>) -> PersonKey {
    PersonKey { oid: param(p, "oid").map(str::to_owned), snils: param(p, "snils").map(str::to_owned) }
}

async fn find_person(s: &AppState, c: &Caller, p: &HashMap<String, String>, full: bool) -> Result<Value, IpsError> {
    let mo = &org(required(p, "mo", c)?, c)?;
    s.registry.ips_person(c, mo, &person_key(p), full).await.map_err(failed(c))
}

async fn person(State(s): State<AppState>, Extension(c): Extension<Caller>, Query(p): Params) -> Answer {
    Ok(single(&c, find_person(&s, &c, &p, false).await?))
}

async fn person_full(State(s): State<AppState>, Extension(c): Extension<Caller>, Query(p): Params) -> Answer {
    Ok(single(&c, find_person(&s, &c, &p, true).await?))
}

async fn person_cards(State(s): State<AppState>, Extension(c): Extension<Caller>, Query(p): Params) -> Answer {
    let mut full = find_person(&s, &c, &p, true).await?;
    let cards = full["personCard"].take();
    let total = cards.as_array().map_or(0, Vec::len);
    Ok(envelope(&c, json!({"total": total, "content": cards})))
}

async fn person_list(State(s): State<AppState>, Extension(c): Extension<Caller>, Query(p): Params) -> Answer {
    let mo = &org(required(&p, "mo", &c)?, &c)?;
    let (offset, limit) = paging(&p, MAX_PERSONS, &c)?;
    Ok(paged(&c, s.registry.ips_person_list(&c, mo, offset, limit).await.map_err(failed(&c))?))
}

async fn post_person(
    State(s): State<AppState>,
    Extension(c): Extension<Caller>,
    Query(p): Params,
    bytes: axum::body::Bytes,
) -> Answer {
    let mo = &org(required(&p, "mo", &c)?, &c)?;
    let body = body(&bytes, &c)?;
    let id = s.registry.ips_add_cards(&c, mo, &body, None).await.map_err(failed(&c))?;
    Ok(single(&c, json!({ "entityId": id })))
}

async fn post_card(
    State(s): State<AppState>,
    Extension(c): Extension<Caller>,
    Query(p): Params,
    bytes: axum::body::Bytes,
) -> Answer {
    let mo = &org(required(&p, "mo", &c)?, &c)?;
    let key = person_key(&p);
    if key.oid.is_none() && key.snils.is_none() {
        return Err(IpsError::new(
            RegistryError::invalid(frmo_domain::error::ValidationError::new(
                "oid",
                "oid",
                "укажите oid или snils работника",
            )),
            c.request_id(),
        ));
    }
    let card: Value =
        serde_json::from_slice(&bytes).map_err(|e| bad_body(&c, &format!("не разобран как JSON: {e}")))?;
    let id = s.registry.ips_add_cards(&c, mo, &card, Some(&key)).await.map_err(failed(&c))?;
    Ok(single(&c, json!({ "entityId": id })))
}

async fn put_card(
    State(s): State<AppState>,
    Extension(c): Extension<Caller>,
    Query(p): Params,
    bytes: axum::body::Bytes,
) -> Answer {
    let (mo, id) = (&org(required(&p, "mo", &c)?, &c)?, required(&p, "entityId", &c)?);
    let body = body(&bytes, &c)?;
    s.registry.ips_put_card(&c, mo, id, &body).await.map_err(failed(&c))?;
    Ok(envelope(&c, json!({"applied": true})))
}

async fn delete_card(State(s): State<AppState>, Extension(c): Extension<Caller>, Query(p): Params) -> Answer {
    let (mo, id) = (&org(required(&p, "mo", &c)?, &c)?, required(&p, "entityId", &c)?);
    let (end, reason) = (param(&p, "endDate"), param(&p, "fireReasonId").or_else(|| param(&p, "endTypeId")));
    s.registry.ips_close_card(&c, mo, id, end, reason).await.map_err(failed(&c))?;
    Ok(envelope(&c, json!({"applied": true})))
}
