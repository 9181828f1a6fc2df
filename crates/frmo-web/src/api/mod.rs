//! The JSON API `/api/v1`: one file per resource, described by `openapi.json`.

mod organizations;

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;

use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/organizations", get(organizations::list))
        .route("/organizations/{oid}", get(organizations::get))
        .route("/organizations/{oid}/documents", get(crate::documents::api_public))
        .route("/nsi/1461/versions", get(crate::pages::open_data::api_versions))
        .route("/nsi/1461/versions/{version}/changes", get(crate::pages::open_data::api_version_changes))
        .route("/nsi/1461/changes", get(crate::pages::open_data::api_feed))
        .route("/openapi.json", get(openapi))
        .fallback(not_found)
}

/// The OpenAPI 3.1 description of this API, written by hand next to the handlers it describes.
pub const OPENAPI: &str = include_str!("openapi.json");

async fn openapi() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI)
}

async fn not_found() -> crate::error::ApiError {
    frmo_registry::RegistryError::NotFound("Нет такого ресурса API; описание: /api/v1/openapi.json".into()).into()
}
