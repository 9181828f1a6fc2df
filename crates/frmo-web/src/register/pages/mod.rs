//! The public register's HTML pages (askama, no JavaScript required): one file per page.

mod card;
mod directories;
pub(crate) mod open_data;
mod search;

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;

use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(search::page))
        .route("/organizations/{oid}", get(card::page))
        .route("/organizations/{oid}/card.pdf", get(card::pdf))
        .route("/documents/{id}/file", get(crate::documents::file))
        .route("/documents/{id}/signature", get(crate::documents::signature))
        .route("/open-data", get(open_data::page))
        .route("/directories", get(directories::page))
        .route("/open-data/1461/{version}", get(open_data::changes))
        .route("/open-data/1461/{version}/files/{name}", get(open_data::file))
        .route("/static/site.css", get(stylesheet))
}

async fn stylesheet() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")],
        include_str!("../../../static/site.css"),
    )
}

/// An option of a `<select>`.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

pub fn choices(entries: impl Iterator<Item = (String, String)>, current: Option<&str>) -> Vec<Choice> {
    entries.map(|(value, label)| Choice { selected: current == Some(value.as_str()), value, label }).collect()
}
