//! The register as HL7 FHIR R4 resources profiled by IHE mCSD, read-only, at `/fhir/r4`:
//! `Organization`, `Location` (the facility, departments, hospital subdivisions, buildings),
//! `Practitioner` and `PractitionerRole` (ФРМР workers and their employment cards),
//! `HealthcareService` (licensed activity per licence place), searched as
//! mCSD's ITI-90 asks, with `_history` of organizations for incremental copies (ITI-91) and a
//! `CapabilityStatement` at `/metadata`. Every resource is made from the stored card or worker
//! records when asked (`resources`, `workers`); access and personal data are decided by the
//! registry. What is served and why: docs/fhir.md.

mod capability;
mod params;
mod read;
mod resources;
mod search;
mod services;
mod workers;

use std::hash::{Hash, Hasher};

use axum::Router;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get};
use frmo_registry::RegistryError;
use serde_json::{Value, json};

use crate::AppState;
use crate::error::FhirError;

/// Where the FHIR face is mounted.
pub const PREFIX: &str = "/fhir/r4";

/// The media type of every answer.
pub const FHIR_JSON: &str = "application/fhir+json; charset=utf-8";

type Handler = fn() -> MethodRouter<AppState>;

/// Every route (below [`PREFIX`]); the CapabilityStatement describes the same (a test holds them).
pub const ROUTES: &[(&str, Handler)] = &[
    ("/metadata", || get(capability::metadata)),
    ("/Organization", || get(search::organizations)),
    ("/Organization/_history", || get(read::type_history)),
    ("/Organization/{id}", || get(read::organization)),
    ("/Organization/{id}/_history", || get(read::instance_history)),
    ("/Location", || get(search::locations)),
    ("/Location/{id}", || get(read::location)),
    ("/Practitioner", || get(search::practitioners)),
    ("/Practitioner/{id}", || get(read::practitioner)),
    ("/PractitionerRole", || get(search::roles)),
    ("/PractitionerRole/{id}", || get(read::role)),
    ("/HealthcareService", || get(services::search)),
    ("/HealthcareService/{id}", || get(services::read)),
];

pub fn router() -> Router<AppState> {
    let router =
        ROUTES.iter().fold(Router::new(), |router, (path, handler)| router.route(path, handler().fallback(read_only)));
    router.fallback(|| async {
        FhirError::from(RegistryError::NotFound(format!(
            "Нет такого ресурса или операции; что поддерживается — в {PREFIX}/metadata"
        )))
    })
}

/// Any method but GET (and HEAD): the FHIR face is read-only.
async fn read_only() -> Response {
    let outcome = json!({"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "not-supported",
        "diagnostics": "Реестр по FHIR только отвечает на чтение и поиск (GET); изменения вносятся через кабинет и API интеграции"}]});
    let mut response = fhir_json(StatusCode::METHOD_NOT_ALLOWED, &outcome);
    response.headers_mut().insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
    response
}

/// The base URL resources' `fullUrl`s and paging links start with.
fn base(state: &AppState) -> String {
    format!("{}{PREFIX}", state.auth.public_url)
}

/// A JSON body as FHIR's media type.
fn fhir_json(status: StatusCode, body: &impl serde::Serialize) -> Response {
    // `to_vec` writes bytes straight into the buffer (`to_string` goes through `Display`, which
    // checks every piece it writes for UTF-8 again).
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    (status, [(header::CONTENT_TYPE, HeaderValue::from_static(FHIR_JSON))], bytes).into_response()
}

/// One resource (as `_summary` asks), with its weak ETag (the card version, or a digest of what is shown) and
/// `304 Not Modified` for a matching `If-None-Match`.
fn resource_response(resource: &Value, headers: &HeaderMap, summary: params::Summary) -> Response {
    let summarized;
    let resource = if summary == params::Summary::True {
        summarized = summarize(resource);
        &summarized
    } else {
        resource
    };
    let tag = match resource["meta"]["versionId"].as_str() {
        Some(version) => version.to_owned(),
        None => {
            let mut hasher = std::collections::hash_map::DefaultHasher::new();
            resource.to_string().hash(&mut hasher);
            format!("h{:x}", hasher.finish())
        }
    };
    tagged_response(resource, &tag, headers)
}

/// `resource` with the weak ETag `tag`, or `304 Not Modified` when `If-None-Match` names it.
fn tagged_response(resource: &impl serde::Serialize, tag: &str, headers: &HeaderMap) -> Response {
    tagged(tag, headers, || fhir_json(StatusCode::OK, resource))
}

/// [`tagged_response`] for a resource already written (kept by the registry).
fn tagged_text_response(written: std::sync::Arc<str>, tag: &str, headers: &HeaderMap) -> Response {
    tagged(tag, headers, || {
        let body = axum::body::Body::from(bytes::Bytes::from_owner(ArcText(written)));
        (StatusCode::OK, [(header::CONTENT_TYPE, HeaderValue::from_static(FHIR_JSON))], body).into_response()
    })
}

/// Text kept by the registry, lent to a response body without a copy.
struct ArcText(std::sync::Arc<str>);

impl AsRef<[u8]> for ArcText {
    fn as_ref(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

/// The answer `answer` makes with its weak ETag `tag`, or `304 Not Modified` for a matching
/// `If-None-Match`.
fn tagged(tag: &str, headers: &HeaderMap, answer: impl FnOnce() -> Response) -> Response {
    let etag = HeaderValue::from_str(&format!("W/\"{tag}\"")).unwrap_or(HeaderValue::from_static("W/\"0\""));
    let matches = headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()).is_some_and(|v| {
        v.split(',').any(|t| t.trim().trim_start_matches("W/") == etag.to_str().unwrap_or("").trim_start_matches("W/"))
    });
    if matches {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response();
    }
    let mut response = answer();
    response.headers_mut().insert(header::ETAG, etag);
    response
}

/// What one page of a search found.
#[derive(Default)]
struct Found {
    matches: Vec<Value>,
    includes: Vec<Value>,
    total: usize,
    /// The cursor of the next page.
    next: Option<String>,
    /// `Type/id` of every resource in the bundle.
    seen: std::collections::HashSet<String>,
}

fn reference_of(resource: &Value) -> String {
    format!("{}/{}", resource["resourceType"].as_str().unwrap_or_default(), resource["id"].as_str().unwrap_or_default())
}

impl Found {
    /// Adds an included resource unless it is already in the bundle.
    fn include(&mut self, resource: Value) {
        if self.seen.is_empty() {
            self.seen.extend(self.matches.iter().map(reference_of));
        }
        if self.seen.insert(reference_of(&resource)) {
            self.includes.push(resource);
        }
    }
}

/// The elements `_summary=true` keeps (those FHIR marks as summary in these resources).
const SUMMARY: &[&str] = &[
    "resourceType",
    "id",
    "meta",
    "identifier",
    "active",
    "status",
    "name",
    "mode",
    "type",
    "partOf",
    "managingOrganization",
    "practitioner",
    "organization",
    "code",
    "specialty",
    "location",
    "period",
];

fn summarize(resource: &Value) -> Value {
    let mut out = serde_json::Map::new();
    for (key, value) in resource.as_object().into_iter().flatten() {
        if SUMMARY.contains(&key.as_str()) {
            out.insert(key.clone(), value.clone());
        }
    }
    let mut out = Value::Object(out);
    out["meta"]["tag"] = json!([{"system": "http://terminology.hl7.org/CodeSystem/v3-ObservationValue",
                                  "code": "SUBSETTED", "display": "Resource encoded in summary mode"}]);
    out
}

/// A `searchset` Bundle of a page: matches, then includes; `self` and `next` links.
fn searchset(state: &AppState, resource: &str, params: &params::Params, found: Found) -> Response {
    let base = base(state);
    let query = params.query_string();
    let mut links = vec![json!({"relation": "self", "url": format!("{base}/{resource}?{query}")})];
    if let Some(next) = &found.next {
        let cursor = serde_urlencoded::to_string([("_cursor", next)]).unwrap_or_default();
        links.push(json!({"relation": "next", "url": format!("{base}/{resource}?{query}&{cursor}")}));
    }
    let summary = params.summary;
    let entry = |mode: &str, r: &Value| {
        let resource = if summary == params::Summary::True { summarize(r) } else { r.clone() };
        json!({"fullUrl": format!("{base}/{}/{}", r["resourceType"].as_str().unwrap_or_default(),
                                   r["id"].as_str().unwrap_or_default()),
               "resource": resource, "search": {"mode": mode}})
    };
    let mut bundle = json!({"resourceType": "Bundle", "type": "searchset", "total": found.total, "link": links});
    if summary != params::Summary::Count && found.total > 0 {
        let entries: Vec<Value> = found
            .matches
            .iter()
            .map(|r| entry("match", r))
            .chain(found.includes.iter().map(|r| entry("include", r)))
            .collect();
        if !entries.is_empty() {
            bundle["entry"] = json!(entries);
        }
    }
    fhir_json(StatusCode::OK, &bundle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries_keep_summary_elements_and_say_so() {
        let full = json!({"resourceType": "Organization", "id": "x", "name": "n", "telecom": [], "address": []});
        let short = summarize(&full);
        assert!(short.get("telecom").is_none() && short.get("address").is_none());
        assert_eq!(short["name"], "n");
        assert_eq!(short["meta"]["tag"][0]["code"], "SUBSETTED");
    }
}
