//! `GET /fhir/r4/metadata`: the CapabilityStatement, made from the same tables the router and the
//! search parser use ([`super::ROUTES`], [`super::params::SEARCH`]), so it cannot promise what is
//! not served.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};
use time::OffsetDateTime;

use super::params::{CONTROL, SEARCH};
use super::{ROUTES, base, fhir_json, resources};
use crate::AppState;

const MCSD: &str = "https://profiles.ihe.net/ITI/mCSD/StructureDefinition/";

/// The interactions a resource type's routes serve.
fn interactions(resource: &str) -> Vec<Value> {
    let has = |path: String| ROUTES.iter().any(|(p, _)| *p == path);
    [
        ("read", format!("/{resource}/{{id}}")),
        ("search-type", format!("/{resource}")),
        ("history-instance", format!("/{resource}/{{id}}/_history")),
        ("history-type", format!("/{resource}/_history")),
    ]
    .into_iter()
    .filter(|(_, path)| has(path.clone()))
    .map(|(code, _)| json!({"code": code}))
    .collect()
}

fn profile(resource: &str) -> String {
    let name = match resource {
        "Organization" => "IHE.mCSD.Organization",
        "Location" => "IHE.mCSD.Location",
        "Practitioner" => "IHE.mCSD.Practitioner",
        "HealthcareService" => "IHE.mCSD.HealthcareService",
        _ => "IHE.mCSD.PractitionerRole",
    };
    format!("{MCSD}{name}")
}

pub fn statement(base: &str) -> Value {
    let resources: Vec<Value> = SEARCH
        .iter()
        .map(|s| {
            let params: Vec<Value> = s
                .params
                .iter()
                .map(|(name, kind, doc)| json!({"name": name, "type": kind.as_str(), "documentation": doc}))
                .collect();
            let history = interactions(s.resource).iter().any(|i| i["code"] == "history-instance");
            json!({
                "type": s.resource,
                "profile": profile(s.resource),
                "interaction": interactions(s.resource),
                "versioning": if history { "versioned" } else { "no-version" },
                "readHistory": false,
                "conditionalRead": "not-supported",
                "searchInclude": s.includes,
                "searchRevInclude": s.revincludes,
                "searchParam": params,
            })
        })
        .collect();
    json!({
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": resources::instant(OffsetDateTime::now_utc()),
        "publisher": "ФРМО",
        "kind": "instance",
        "instantiates": ["https://profiles.ihe.net/ITI/mCSD/CapabilityStatement/IHE.mCSD.Directory"],
        "software": {"name": "frmo", "version": env!("CARGO_PKG_VERSION")},
        "implementation": {"description": "Реестр медицинских организаций и медицинских работников (только чтение)", "url": base},
        "fhirVersion": "4.0.1",
        "format": ["json"],
        "rest": [{
            "mode": "server",
            "documentation": format!(
                "Только чтение. Параметры, общие для поиска: {}. Неизвестный параметр — OperationOutcome 400.",
                CONTROL.join(", ")
            ),
            "resource": resources,
        }],
    })
}

pub async fn metadata(State(state): State<AppState>) -> Response {
    fhir_json(StatusCode::OK, &statement(&base(&state)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_is_stated_and_every_stated_type_is_routed() {
        let statement = statement("http://x/fhir/r4");
        let stated: Vec<&str> = statement["rest"][0]["resource"]
            .as_array()
            .expect("resources")
            .iter()
            .filter_map(|r| r["type"].as_str())
            .collect();
        for (path, _) in ROUTES.iter().filter(|(p, _)| *p != "/metadata") {
            let resource = path.trim_start_matches('/').split('/').next().unwrap_or_default();
            assert!(stated.contains(&resource), "{path} is not in the CapabilityStatement");
        }
        for resource in &stated {
            let interactions = interactions(resource);
            assert!(interactions.iter().any(|i| i["code"] == "read"), "{resource} has no read");
            assert!(interactions.iter().any(|i| i["code"] == "search-type"), "{resource} has no search");
        }
    }
}
