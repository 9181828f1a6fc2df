//! `GET /api/v1/organizations` (search) and `GET /api/v1/organizations/{oid}` (the card).

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use frmo_domain::access::Actor;
use frmo_domain::ident::RegionCode;
use frmo_registry::SearchParams;
use frmo_registry::register::search::parse_date;
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::error::ApiError;
use crate::query::ApiQuery;
use crate::register::api::ApiPath;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Item<'a> {
    oid: &'a str,
    name_short: &'a str,
    name_full: &'a str,
    inn: &'a str,
    ogrn: Option<&'a str>,
    kpp: Option<&'a str>,
    region_id: u8,
    region_name: &'a str,
    organization_type_id: u32,
    mo_agency_kind_id: u32,
    status: &'a str,
    address: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ListBody<'a> {
    items: Vec<Item<'a>>,
    total: usize,
    next_cursor: Option<&'a str>,
}

pub async fn list(
    State(state): State<AppState>,
    ApiQuery(params): ApiQuery<SearchParams>,
) -> Result<Response, ApiError> {
    let query = params.parse()?;
    let page = state.registry.search(&Actor::Anonymous, &query).await?;
    let items = page
        .items
        .iter()
        .map(|i| Item {
            oid: &i.oid,
            name_short: &i.name_short,
            name_full: &i.name_full,
            inn: &i.inn,
            ogrn: i.ogrn.as_deref(),
            kpp: i.kpp.as_deref(),
            region_id: i.region,
            region_name: RegionCode::parse(&i.region.to_string()).map_or("", |r| r.name()),
            organization_type_id: i.org_type,
            mo_agency_kind_id: i.agency_kind,
            status: i.status.as_str(),
            address: &i.address,
        })
        .collect();
    let body = ListBody { items, total: page.total, next_cursor: page.next_cursor.as_deref() };
    Ok(Json(body).into_response())
}

#[derive(Default, Deserialize)]
pub struct CardParams {
    as_of: Option<String>,
}

pub async fn get(
    State(state): State<AppState>,
    ApiPath(oid): ApiPath<String>,
    ApiQuery(params): ApiQuery<CardParams>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let as_of = params
        .as_of
        .as_deref()
        .filter(|v| !v.trim().is_empty())
        .map(|v| parse_date("as_of", "Дата", v.trim()))
        .transpose()
        .map_err(frmo_registry::RegistryError::invalid)?;
    let oid = frmo_registry::register::public_oid(&oid)?;
    let row = state.registry.card_json(&Actor::Anonymous, &oid, as_of).await?;
    let etag = format!("\"v{}\"", row.version_id);
    let etag = HeaderValue::from_str(&etag).unwrap_or(HeaderValue::from_static("\"v0\""));
    if headers.get(header::IF_NONE_MATCH) == Some(&etag) {
        return Ok((StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response());
    }
    Ok(([(header::CONTENT_TYPE, HeaderValue::from_static("application/json")), (header::ETAG, etag)], row.card)
        .into_response())
}
