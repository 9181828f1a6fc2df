//! `GET /` — the public search: a form with filters and a page of results.

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use frmo_domain::access::Actor;
use frmo_domain::ident::RegionCode;
use frmo_domain::org::OrgStatus;
use frmo_domain::reference;
use frmo_registry::SearchParams;

use super::{Choice, choices};
use crate::AppState;
use crate::error::{PageError, render};
use crate::i18n::filters;
use crate::pager::Pager;
use crate::query;

pub struct Row {
    pub oid: String,
    pub name_short: String,
    pub name_full: String,
    pub inn: String,
    pub ogrn: String,
    pub region: String,
    pub status: &'static str,
    pub active: bool,
    pub address: String,
}

#[derive(Template)]
#[template(path = "search.html")]
pub struct SearchPage {
    pub q: String,
    pub as_of: String,
    pub regions: Vec<Choice>,
    pub types: Vec<Choice>,
    pub statuses: Vec<Choice>,
    pub searched: bool,
    /// Parameters refused (a problem of a parameter without a field of its own is shown at `q`).
    pub errors: crate::form::FormErrors,
    pub rows: Vec<Row>,
    pub total: usize,
    /// Page numbers: the pages already seen (their cursors in `back`) and the next one.
    pub pager: Option<Pager>,
}

/// The cursors of the pages before the one shown (`back=c2,c3`), kept by the page links.
#[derive(Default, serde::Deserialize)]
struct Back {
    back: Option<String>,
}

/// At most this many pages back are linked (the address stays short).
const MAX_BACK: usize = 30;

pub async fn page(State(state): State<AppState>, raw: RawQuery) -> Result<Response, PageError> {
    let back: Back = query::parse(RawQuery(raw.0.clone()))?;
    let params: SearchParams = query::parse(raw)?;
    let filters = [&params.q, &params.inn, &params.ogrn, &params.kpp, &params.oid, &params.region];
    let searched = filters
        .into_iter()
        .chain([&params.org_type, &params.status, &params.kind])
        .any(|v| v.as_deref().is_some_and(|v| !v.trim().is_empty()));
    let mut page = SearchPage {
        q: params.q.clone().unwrap_or_default(),
        as_of: params.as_of.clone().unwrap_or_default(),
        regions: choices(
            RegionCode::all().map(|r| (r.code().to_string(), format!("{:02} — {}", r.code(), r.name()))),
            params.region.as_deref(),
        ),
        types: choices(
            reference::get("organization_types")
                .map(|d| d.entries.iter().map(|e| (e.id.to_string(), e.name.clone())).collect::<Vec<_>>())
                .unwrap_or_default()
                .into_iter(),
            params.org_type.as_deref(),
        ),
        statuses: choices(
            OrgStatus::ALL.iter().map(|s| (s.as_str().to_owned(), s.label().to_owned())),
            params.status.as_deref(),
        ),
        searched,
        errors: crate::form::FormErrors::none(),
        rows: Vec::new(),
        total: 0,
        pager: None,
    };
    if !searched {
        return Ok(render(&page));
    }
    let query = match params.parse() {
        Ok(query) => query,
        Err(errors) => {
            page.errors = crate::form::FormErrors::from_validation(&errors, "", &SEARCH_FIELDS);
            return Ok((StatusCode::BAD_REQUEST, render(&page)).into_response());
        }
    };
    let result = state.registry.search(&Actor::Anonymous, &query).await.map_err(PageError::from)?;
    page.total = result.total;
    page.rows = result
        .items
        .into_iter()
        .map(|i| Row {
            region: RegionCode::parse(&i.region.to_string())
                .map_or_else(|_| i.region.to_string(), |r| r.name().to_owned()),
            status: i.status.label(),
            active: i.status == OrgStatus::Active,
            oid: i.oid,
            name_short: i.name_short,
            name_full: i.name_full,
            inn: i.inn,
            ogrn: i.ogrn.unwrap_or_default(),
            address: i.address,
        })
        .collect();
    let mut base = params.clone();
    base.cursor = None;
    base.clear_empty();
    let mut cursors: Vec<String> = back.back.as_deref().unwrap_or_default().split(',').map(str::to_owned).collect();
    cursors.retain(|c| !c.is_empty());
    cursors.truncate(MAX_BACK);
    cursors.extend(params.cursor.clone().filter(|c| !c.is_empty()));
    let base = format!("/?{}", serde_urlencoded::to_string(&base).unwrap_or_default());
    page.pager = Some(Pager::keyset(result.total, query.limit, base, cursors, result.next_cursor));
    Ok(render(&page))
}

/// The search form's fields (the identifiers, typed in the one box, are shown at `q`).
const SEARCH_FIELDS: [&str; 5] = ["q", "region", "type", "status", "as_of"];
