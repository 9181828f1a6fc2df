//! The register answering as the НСИ portal's REST service (nsi.rosminzdrav.ru `port/rest`) does
//! for directory 1.2.643.5.1.13.13.11.1461, so an existing НСИ client only changes its base URL
//! from `https://nsi.rosminzdrav.ru` to `https://<frmo>/nsi`: `data` (pages of rows in the
//! column/value shape), `versions` and `passport`, with the parameters `identifier`, `version`,
//! `page` (from 1) and `size`. `userKey` is accepted and ignored: the register is public.
//! Everything is served from the published versions (`frmo_registry::register::publication`).
//!
//! The shapes are those public clients read (no official client is on PyPI or npm; the files'
//! repositories are not resolvable, so they are cited by description and file id of the code
//! search index, as ../shared/reference/nsi-directories.md does):
//! - a Java СЭМД validator (file id 44346906193): `passport?userKey&identifier&version`, checks
//!   `result == "OK"`, reads `rowsCount`, `fullName` and `keys[{field, type: PRIMARY|VALUE}]`;
//!   then `data?userKey&identifier&version&page=i&size=2000` for `i` in `1..=(rowsCount-1)/2000+1`,
//!   each `list` an array of rows, each row an array of `{column, value}` with text values;
//! - a Java passport cache (file id 14984241684): `result != "OK"` is an error whose text is
//!   `resultText` — so errors are `{result: "ERROR", resultText, resultCode}`;
//! - a Python SDK (file id 1424221293): `data/` (trailing slash) with `identifier, size, userKey,
//!   version`, the answer `{result, resultText, resultCode, total, list}`; `passport` read as
//!   `{identifier, oid, version, rowsCount, lastUpdate, approveDate}`;
//! - a Python directory loader (file id 9105176680): passport `oid, fullName, shortName,
//!   lastUpdate` (parsed with dateutil: our dates are unambiguous RFC 3339), `version`,
//!   `releaseNotes`;
//! - a C# НСИ export tool (file ids 31252292337, 31782329825): `versions?userKey&identifier&page=1`
//!   answered `{result, resultText, resultCode, list: [{version, createDate, publishDate,
//!   releaseNotes, archive}]}`, the newest first (it preselects the first); passport with
//!   `fullName, oid, version, createDate, publishDate, lastUpdate, description, structureNotes,
//!   releaseNotes, archive, rowsCount`; `data?…&version&page&size`.
//!
//! Our choices where no public client shows the portal's: versions are our publication numbers as
//! text ("1", "2", …); `archive` is false; an error also has the HTTP status of its kind (400, 404).
//! The service is described by its own OpenAPI document, `/nsi/port/rest/openapi.json`
//! (`nsi_rest.openapi.json`; the `/api/v1` document describes only `/api/v1`).

use axum::Json;
use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get};
use frmo_registry::register::nsi::FIELDS;
use frmo_registry::register::publication::{NSI_IDENTIFIER, Publication};
use frmo_registry::{Registry, RegistryError};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::error::NsiError;

/// Where the service is mounted: `https://<frmo>/nsi` stands for `https://nsi.rosminzdrav.ru`.
pub const PREFIX: &str = "/nsi/port/rest";

/// Rows per page when the client does not say (the Python SDK's default).
const DEFAULT_SIZE: i64 = 200;

type Handler = fn() -> MethodRouter<AppState>;

/// Every route of the service (below [`PREFIX`]), each described in `nsi_rest.openapi.json`.
pub const ROUTES: &[(&str, Handler)] = &[
    ("/data", || get(data)),
    ("/data/", || get(data)),
    ("/versions", || get(versions)),
    ("/passport", || get(passport)),
    ("/openapi.json", || get(openapi)),
];

pub fn router() -> Router<AppState> {
    let router = ROUTES.iter().fold(Router::new(), |router, (path, handler)| router.route(path, handler()));
    router.fallback(|| async {
        NsiError::from(RegistryError::NotFound(format!(
            "Нет такого метода; этот сервис отвечает на data, versions и passport (описание: {PREFIX}/openapi.json)."
        )))
    })
}

/// The OpenAPI 3.1 description of the service.
pub const OPENAPI: &str = include_str!("nsi_rest.openapi.json");

async fn openapi() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI)
}

/// The parameters of every method (others, such as `userKey` or `filters`, are ignored).
#[derive(Default, Deserialize)]
struct NsiQuery {
    identifier: Option<String>,
    version: Option<String>,
    page: Option<String>,
    size: Option<String>,
}

impl NsiQuery {
    fn read(raw: RawQuery) -> Result<Self, RegistryError> {
        let query: NsiQuery = crate::query::parse(raw)?;
        Registry::check_nsi_identifier(query.identifier.as_deref())?;
        Ok(query)
    }

    /// The version asked for; none (or an empty one) is the newest.
    fn version(&self) -> Result<Option<i64>, RegistryError> {
        match self.version.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
            None => Ok(None),
            Some(text) => crate::register::pages::open_data::version_number(text).map(Some),
        }
    }
}

/// An integer parameter (`page`, `size`); none (or an empty one) is `default`.
fn number(value: Option<&str>, field: &'static str, label: &'static str, default: i64) -> Result<i64, RegistryError> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(default),
        Some(text) => text
            .parse()
            .map_err(|_| crate::multipart::invalid(field, label, format!("«{text}» — ожидается целое число"))),
    }
}

/// The success envelope every answer has.
fn ok(mut body: Value) -> Response {
    body["result"] = json!("OK");
    body["resultText"] = Value::Null;
    body["resultCode"] = Value::Null;
    Json(body).into_response()
}

/// A moment as RFC 3339 in Moscow time (unambiguous for every date parser).
fn moment(at: i64) -> String {
    let moscow = time::UtcOffset::from_hms(3, 0, 0).unwrap_or(time::UtcOffset::UTC);
    time::OffsetDateTime::from_unix_timestamp(at)
        .ok()
        .and_then(|t| t.to_offset(moscow).format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_default()
}

fn release_notes(p: &Publication) -> String {
    let v = &p.version;
    format!(
        "Версия {}: записей {}; добавлено {}, изменено {}, закрыто {} организаций.",
        v.version, v.records, v.added, v.changed, v.closed
    )
}

/// `GET /nsi/port/rest/data?identifier=…[&version=N][&page=1][&size=200]`
async fn data(State(state): State<AppState>, raw: RawQuery) -> Result<Response, NsiError> {
    let query = NsiQuery::read(raw)?;
    let page = number(query.page.as_deref(), "page", "Страница", 1)?;
    let size = number(query.size.as_deref(), "size", "Размер страницы", DEFAULT_SIZE)?;
    let page = state.registry.nsi_page(query.version()?, page, size).await?;
    let list: Vec<Value> = page
        .records
        .iter()
        .map(|record| {
            Value::Array(
                FIELDS.iter().zip(record).map(|(column, value)| json!({"column": column, "value": value})).collect(),
            )
        })
        .collect();
    Ok(ok(json!({"total": page.total, "list": list})))
}

/// `GET /nsi/port/rest/versions?identifier=…[&page=1][&size=200]`: newest first.
async fn versions(State(state): State<AppState>, raw: RawQuery) -> Result<Response, NsiError> {
    let query = NsiQuery::read(raw)?;
    let page = number(query.page.as_deref(), "page", "Страница", 1)?;
    let size = number(query.size.as_deref(), "size", "Размер страницы", DEFAULT_SIZE)?;
    if page < 1 || size < 1 {
        let (field, label) =
            if page < 1 { ("page", "Страница") } else { ("size", "Размер страницы") };
        return Err(crate::multipart::invalid(field, label, "ожидается число от 1").into());
    }
    let publications = state.registry.nsi_publications().await?;
    let list: Vec<Value> = publications
        .iter()
        .skip(usize::try_from((page - 1).saturating_mul(size)).unwrap_or(usize::MAX))
        .take(usize::try_from(size).unwrap_or(usize::MAX))
        .map(|p| {
            let at = moment(p.version.published_at);
            json!({"version": p.version.version.to_string(), "createDate": at, "publishDate": at,
                   "releaseNotes": release_notes(p), "archive": false})
        })
        .collect();
    Ok(ok(json!({"total": publications.len(), "list": list})))
}

/// `GET /nsi/port/rest/passport?identifier=…[&version=N]`
async fn passport(State(state): State<AppState>, raw: RawQuery) -> Result<Response, NsiError> {
    let query = NsiQuery::read(raw)?;
    let publication = state.registry.nsi_publication_or_latest(query.version()?).await?;
    let rows = state.registry.nsi_page(Some(publication.version.version), 1, 1).await?.total;
    let first = state
        .registry
        .nsi_publications()
        .await?
        .last()
        .map_or(publication.version.published_at, |p| p.version.published_at);
    let at = moment(publication.version.published_at);
    Ok(ok(json!({
        "oid": NSI_IDENTIFIER,
        "identifier": NSI_IDENTIFIER,
        "fullName": "Реестр медицинских организаций Российской Федерации",
        "shortName": "ФРМО",
        "version": publication.version.version.to_string(),
        "createDate": moment(first),
        "publishDate": at,
        "lastUpdate": at,
        "approveDate": at,
        "rowsCount": rows,
        "description": "Открытый реестр медицинских организаций в форме справочника НСИ 1.2.643.5.1.13.13.11.1461, опубликованный этим реестром.",
        "releaseNotes": release_notes(&publication),
        "structureNotes": format!("Поля записи: {}.", FIELDS.join(", ")),
        "archive": false,
        "keys": [{"field": "id", "type": "PRIMARY"}, {"field": "nameFull", "type": "VALUE"}],
        "fields": FIELDS.iter().map(|field| json!({"field": field})).collect::<Vec<_>>(),
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_describes_every_served_route_and_no_other() {
        let spec: Value = serde_json::from_str(OPENAPI).expect("nsi_rest.openapi.json is JSON");
        let mut described: Vec<&str> = spec["paths"].as_object().expect("paths").keys().map(String::as_str).collect();
        let mut served: Vec<&str> = ROUTES.iter().map(|(path, _)| *path).collect();
        described.sort_unstable();
        served.sort_unstable();
        assert_eq!(described, served);
        assert_eq!(spec["servers"][0]["url"], PREFIX);
    }

    #[test]
    fn moments_are_rfc3339_in_moscow_time() {
        assert_eq!(moment(0), "1970-01-01T03:00:00+03:00");
    }
}
