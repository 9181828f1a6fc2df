//! The JSON API `/api/v1`: one file per resource, described by `openapi.json`. Every answer under
//! `/api/` that is an error is the API's JSON error (`ApiError`): handlers return it, the
//! extractors of paths and queries ([`ApiPath`], [`crate::query::ApiQuery`]) name the parameter
//! they refuse, and [`json_errors`] turns what the HTTP layer answers by itself (no such route, a
//! method the route does not take, a body too large, a timeout, a panic) into the same shape.

mod organizations;

use axum::Router;
use axum::extract::rejection::PathRejection;
use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get};
use serde::de::DeserializeOwned;

use crate::AppState;
use crate::error::ApiError;
use crate::multipart::invalid;

/// What serves a route.
type Handler = fn() -> MethodRouter<AppState>;

/// Every route of the public API (the signed-in one is in the cabinet's tables,
/// [`crate::routes::CABINET`]), each described in `openapi.json` (a test holds them to it).
pub const ROUTES: &[(&str, &str, Handler)] = &[
    ("GET", "/organizations", || get(organizations::list)),
    ("GET", "/organizations/{oid}", || get(organizations::get)),
    ("GET", "/organizations/{oid}/documents", || get(crate::documents::api_public)),
    ("GET", "/nsi/1461/versions", || get(crate::register::pages::open_data::api_versions)),
    ("GET", "/nsi/1461/versions/{version}/changes", || get(crate::register::pages::open_data::api_version_changes)),
    ("GET", "/nsi/1461/changes", || get(crate::register::pages::open_data::api_feed)),
    ("GET", "/openapi.json", || get(openapi)),
];

pub fn router() -> Router<AppState> {
    ROUTES.iter().fold(Router::new(), |router, (_, path, handler)| router.route(path, handler()))
}

/// The OpenAPI 3.1 description of this API, written by hand next to the handlers it describes.
pub const OPENAPI: &str = include_str!("openapi.json");

async fn openapi() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI)
}

/// The path parameters of the API's routes (errors name them).
const PATH_PARAMETERS: &[&str] = &["oid", "snils", "name", "version"];

/// A route's path parameters; a value that is not UTF-8 once decoded is refused naming the
/// parameter, as the API's JSON error.
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(value)) => Ok(ApiPath(value)),
            Err(rejection) => Err(path_error(&rejection).into()),
        }
    }
}

fn path_error(rejection: &PathRejection) -> frmo_registry::RegistryError {
    use axum::extract::path::ErrorKind;
    let (key, encoding) = match rejection {
        PathRejection::FailedToDeserializePathParams(error) => match error.kind() {
            ErrorKind::InvalidUtf8InPathParam { key } => (Some(key.as_str()), true),
            ErrorKind::ParseErrorAtKey { key, .. } => (Some(key.as_str()), false),
            _ => (None, false),
        },
        _ => (None, false),
    };
    let field = key.and_then(|key| PATH_PARAMETERS.iter().copied().find(|p| *p == key)).unwrap_or("path");
    let message = if encoding {
        format!("«{field}» неверно закодирован: ожидается текст в UTF-8")
    } else {
        format!("«{field}»: неверное значение")
    };
    invalid(field, "Параметр пути", message)
}

/// Whether `path` is the JSON API's.
pub(crate) fn is_api(path: &str) -> bool {
    path == "/api" || path.starts_with("/api/")
}

/// Under `/api/` (`crate::frame` asks [`is_api`]), an error answered by the HTTP layer itself (not
/// JSON) becomes the API's JSON error for its status; its other headers (`Allow`, `Retry-After`) stay.
pub(crate) fn as_json_error(response: Response) -> Response {
    let status = response.status();
    let json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if json || !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let (mut parts, _) = response.into_parts();
    let allow = parts.headers.get(header::ALLOW).and_then(|v| v.to_str().ok());
    let (error, body) = ApiError::of_status(status, allow).into_response().into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    let content_type = error.headers.get(header::CONTENT_TYPE).cloned();
    parts.headers.insert(header::CONTENT_TYPE, content_type.unwrap_or(HeaderValue::from_static("application/json")));
    Response::from_parts(parts, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> serde_json::Value {
        serde_json::from_str(OPENAPI).expect("openapi.json is JSON")
    }

    /// Every route served under `/api/v1`, as (method, path of the document); a report's `{name}`
    /// is one path per report of the catalogue (each has its own groupings).
    fn served() -> Vec<(String, String)> {
        let mut routes: Vec<(String, String)> =
            ROUTES.iter().map(|(method, path, _)| ((*method).to_owned(), (*path).to_owned())).collect();
        for route in crate::routes::cabinet().filter(|r| r.api) {
            let path = route.path.strip_prefix("/api/v1").expect("API routes are under /api/v1");
            match path.strip_suffix("{name}") {
                Some(reports) => routes.extend(
                    frmo_registry::reports::CATALOGUE
                        .iter()
                        .map(|d| (route.method.into(), format!("{reports}{}", d.name))),
                ),
                None => routes.push((route.method.into(), path.into())),
            }
        }
        routes
    }

    #[test]
    fn the_document_describes_every_served_route_and_no_other() {
        let spec = spec();
        let mut described: Vec<(String, String)> = Vec::new();
        for (path, operations) in spec["paths"].as_object().expect("paths") {
            for method in operations.as_object().expect("operations").keys() {
                described.push((method.to_uppercase(), path.clone()));
            }
        }
        let mut served = served();
        served.sort();
        described.sort();
        assert_eq!(served, described);
    }

    #[test]
    fn every_error_status_is_described_with_the_error_shape() {
        let spec = spec();
        for (path, operations) in spec["paths"].as_object().expect("paths") {
            for (method, operation) in operations.as_object().expect("operations") {
                let responses = operation["responses"].as_object().expect("responses");
                let mut expected = vec!["429"];
                if operation.get("parameters").is_some_and(|p| p.as_array().is_some_and(|p| !p.is_empty())) {
                    expected.push("400");
                }
                if operation.get("security").is_some() {
                    expected.extend(["401", "403"]);
                }
                for status in expected {
                    assert!(responses.contains_key(status), "{method} {path} does not describe {status}");
                }
                for (status, response) in responses.iter().filter(|(s, _)| s.starts_with('4')) {
                    let reference = response["$ref"].as_str().unwrap_or_default();
                    let name = reference.rsplit('/').next().unwrap_or_default();
                    let schema = &spec["components"]["responses"][name]["content"]["application/json"]["schema"];
                    assert_eq!(schema["$ref"], "#/components/schemas/Error", "{method} {path} {status}");
                }
            }
        }
    }

    /// The codes the document lists are those the parsers accept.
    #[test]
    fn enumerated_codes_are_the_directories() {
        use frmo_domain::ident::RegionCode;
        let spec = spec();
        let parameter = |path: &str, name: &str| -> Vec<u64> {
            let parameters = spec["paths"][path]["get"]["parameters"].as_array().expect("parameters");
            let parameter = parameters.iter().find(|p| p["name"] == name).expect(name);
            parameter["schema"]["enum"].as_array().expect("enum").iter().filter_map(serde_json::Value::as_u64).collect()
        };
        let directory = |id: &str| -> Vec<u64> {
            let mut codes: Vec<u64> =
                frmo_domain::reference::get(id).expect(id).entries.iter().map(|e| u64::from(e.id)).collect();
            codes.sort_unstable();
            codes
        };
        let regions: Vec<u64> = RegionCode::all().map(|r| u64::from(r.code())).collect();
        assert_eq!(parameter("/organizations", "region"), regions);
        assert_eq!(parameter("/organizations", "type"), directory("organization_types"));
        assert_eq!(parameter("/organizations", "kind"), directory("agency_kinds"));
        assert_eq!(parameter("/organizations/{oid}/workers", "position"), directory("positions"));
        assert_eq!(parameter("/organizations/{oid}/workers", "specialty"), directory("specialties"));
        assert_eq!(parameter("/organizations/{oid}/workers", "position_type"), directory("employment_types"));
    }

    /// What axum's own extractors and layers answer under `/api/` (bodies of the wrong type, too
    /// large or malformed) reaches the caller as the JSON error; elsewhere it is left alone.
    #[tokio::test]
    async fn the_http_layer_answers_the_api_in_json() {
        use axum::body::Body;
        use axum::extract::{DefaultBodyLimit, Request};
        use axum::http::StatusCode;
        use tower::ServiceExt as _;

        let echo = || axum::routing::post(|axum::Json(v): axum::Json<serde_json::Value>| async move { axum::Json(v) });
        let app =
            Router::new().route("/api/echo", echo()).route("/echo", echo()).layer(DefaultBodyLimit::max(16)).layer(
                axum::middleware::from_fn(|request: Request, next: axum::middleware::Next| async move {
                    let api = is_api(request.uri().path());
                    let response = next.run(request).await;
                    if api { as_json_error(response) } else { response }
                }),
            );
        let send = |path: &str, content_type: &str, body: &'static str| {
            let request = Request::post(path).header("content-type", content_type).body(Body::from(body));
            app.clone().oneshot(request.expect("request"))
        };
        for (path, content_type, body, status, code) in [
            ("/api/echo", "application/json", "{\"a\": 12345678901234567890}", 413, "payload_too_large"),
            ("/api/echo", "text/plain", "{}", 415, "unsupported_media_type"),
            ("/api/echo", "application/json", "{", 400, "bad_request"),
        ] {
            let response = send(path, content_type, body).await.expect("response");
            assert_eq!(response.status(), StatusCode::from_u16(status).expect("status"), "{body}");
            assert_eq!(response.headers()[header::CONTENT_TYPE], "application/json");
            let bytes = axum::body::to_bytes(response.into_body(), 1 << 16).await.expect("body");
            let error: serde_json::Value = serde_json::from_slice(&bytes).expect("JSON");
            assert_eq!(error["code"], code);
            assert!(error["message"].as_str().is_some_and(|m| m.to_lowercase().contains("запрос")), "{error}");
        }
        let page = send("/echo", "text/plain", "{}").await.expect("response");
        assert_eq!(page.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
        assert_ne!(page.headers().get(header::CONTENT_TYPE).map(|v| v.as_bytes()), Some(&b"application/json"[..]));
    }
}
