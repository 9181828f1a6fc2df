//! Licensed medical activity as `HealthcareService`: one per place of a licence (the address where
//! the works are licensed), provided by the organization at its facility, the licensed works as
//! its types (text: the card keeps works as names, not codes).

use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use frmo_domain::ident::OrgOid;
use frmo_domain::org::{LicenceStatus, LicensedWork, OrgStatus, Organization};
use frmo_registry::RegistryError;
use serde_json::{Value, json};
use time::OffsetDateTime;

use super::params::{self, boolean, reference_id};
use super::read::Current;
use super::resources::{MEDLICENSE, meta};
use super::{Found, resource_response, searchset};
use crate::AppState;
use crate::error::FhirError;

/// The id of a licence place's service: the organization's OID after `1.2.643.5.1.13.13.12.`, the
/// licence's and the place's positions on the card.
fn service_id(org: &OrgOid, licence: usize, place: usize) -> String {
    format!("{}.{}.{}-s-{licence}.{place}", org.kind(), org.region().code(), org.number())
}

/// The organization whose card holds service `id`.
pub fn service_owner(id: &str) -> Option<OrgOid> {
    let (org, _) = id.split_once("-s-")?;
    OrgOid::parse(&format!("1.2.643.5.1.13.13.12.{org}")).ok()
}

/// The leaves of a tree of works, as `type` entries.
fn works(list: &[LicensedWork], out: &mut Vec<Value>) {
    for work in list {
        if work.children.is_empty() {
            if !work.name.trim().is_empty() && out.len() < 200 {
                out.push(json!({"text": work.name}));
            }
        } else {
            works(&work.children, out);
        }
    }
}

/// Every licence place of the card as a `HealthcareService`.
pub fn services(org: &Organization, version_id: i64, since: OffsetDateTime) -> Vec<Value> {
    let oid = org.oid.as_str();
    let date = |d: time::Date| frmo_domain::org::iso_date_text(d);
    let mut out = Vec::new();
    for (l, licence) in org.licences.iter().enumerate() {
        for (p, place) in licence.places.iter().enumerate() {
            let mut types = Vec::new();
            works(&place.works, &mut types);
            let mut comment = format!(
                "Лицензия № {} от {}, выдана: {}",
                licence.license_number,
                date(licence.license_date),
                licence.licenser
            );
            if let Some(end) = licence.license_end {
                comment.push_str(&format!(", действует по {}", date(end)));
            }
            let mut service = json!({
                "resourceType": "HealthcareService",
                "id": service_id(&org.oid, l, p),
                "meta": meta(version_id, since, "IHE.mCSD.HealthcareService"),
                "identifier": [{"system": MEDLICENSE, "value": licence.license_number, "type": {"text": "Номер лицензии"}}],
                "active": licence.status == LicenceStatus::Active && org.status != OrgStatus::Liquidated,
                "providedBy": {"reference": format!("Organization/{oid}")},
                "category": [{"text": "Медицинская деятельность по лицензии"}],
                "location": [{"reference": format!("Location/{oid}")}],
                "name": format!("Медицинская деятельность: {}", place.address),
                "comment": comment,
            });
            if !types.is_empty() {
                service["type"] = json!(types);
            }
            out.push(service);
        }
    }
    out
}

pub async fn read(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response, FhirError> {
    let summary = super::read::read_parameters(raw.as_deref())?;
    let missing = || RegistryError::NotFound(format!("HealthcareService/{id} не найден"));
    let owner = service_owner(&id).ok_or_else(missing)?;
    let found = Current::read(&state.registry, owner.as_str())
        .await?
        .services()?
        .into_iter()
        .find(|s| s["id"] == id.as_str())
        .ok_or_else(missing)?;
    Ok(resource_response(&found, &headers, summary))
}

pub async fn search(State(state): State<AppState>, RawQuery(raw): RawQuery) -> Result<Response, FhirError> {
    let params = params::parse(raw.as_deref(), Some("HealthcareService"))?;
    let ids: Vec<&str> = params.value("_id").map(|v| v.split(',').map(str::trim).collect()).unwrap_or_default();
    let mut oids: Vec<String> = Vec::new();
    if let Some(org) = params.value("organization") {
        oids.push(reference_id(org, "Organization")?.to_owned());
    }
    for owner in ids.iter().filter_map(|id| service_owner(id)) {
        if !oids.iter().any(|o| o == owner.as_str()) {
            oids.push(owner.as_str().to_owned());
        }
    }
    if oids.is_empty() {
        let message = "поиск услуг ведётся в пределах организации: укажите organization или _id";
        return Err(crate::multipart::invalid("query", "Параметр запроса", message).into());
    }
    let active = params.value("active").map(|a| boolean(a, "active")).transpose()?;
    let updated = params::last_updated(&params)?;
    let mut all = Vec::new();
    for oid in &oids {
        let card = Current::read(&state.registry, oid).await?;
        let in_range = params::updated_within(updated, card.since());
        for service in card.services()? {
            let keep = in_range
                && (ids.is_empty() || ids.contains(&service["id"].as_str().unwrap_or_default()))
                && active.is_none_or(|a| service["active"] == a)
                && params
                    .get("name")
                    .is_none_or(|p| super::search::string_matches(p, &[service["name"].as_str().unwrap_or_default()]));
            if keep {
                all.push(service);
            }
        }
    }
    let found: Found = super::search::page(all, &params)?;
    Ok(searchset(&state, "HealthcareService", &params, found))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_ids_lead_back_to_their_organization() {
        let org = OrgOid::parse("1.2.643.5.1.13.13.12.2.78.6258").expect("oid");
        let id = service_id(&org, 0, 3);
        assert_eq!(id, "2.78.6258-s-0.3");
        assert_eq!(service_owner(&id), Some(org));
        assert_eq!(service_owner("2.78.6258-b-x"), None);
    }
}
