//! Reads of one resource, and the `_history` of organizations (ITI-91's incremental feed).

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use frmo_domain::access::Actor;
use frmo_domain::org::Organization;
use frmo_registry::integration::fhir::{DirectoryPart, MAX_HISTORY_PAGE, WorkerDirectory};
use frmo_registry::{CardVersion, Registry, RegistryError};
use serde_json::{Value, json};
use time::OffsetDateTime;

use super::params::{self, Params};
use super::resources::OrganizationHead;
use super::{base, fhir_json, resource_response, resources, tagged_text_response, workers};
use crate::AppState;
use crate::error::FhirError;
use crate::identity::session::Viewer;

fn not_found(resource: &str, id: &str) -> RegistryError {
    RegistryError::NotFound(format!("{resource}/{id} не найден"))
}

/// The `_summary` of a read, refusing any other parameter but `_format`.
pub(super) fn read_parameters(raw: Option<&str>) -> Result<params::Summary, RegistryError> {
    let p = params::parse(raw, Some("Organization"))?;
    if p.list.is_empty() && p.include.is_empty() && p.revinclude.is_empty() && p.cursor.is_none() && p.count.is_none() {
        Ok(p.summary)
    } else {
        Err(crate::multipart::invalid(
            "query",
            "Параметр запроса",
            "чтение ресурса принимает только _summary и _format",
        ))
    }
}

/// The current card of an organization, as stored. Organizations, their locations and services
/// are public: whoever asks, the card is read as the public register's (no session is looked up).
pub(super) struct Current {
    card: String,
    version: i64,
    since: OffsetDateTime,
    pub head: OrganizationHead,
}

impl Current {
    pub(super) async fn read(registry: &Registry, oid: &str) -> Result<Self, RegistryError> {
        Self::of(Self::row(registry, oid).await?)
    }

    /// The card as stored, not yet read.
    async fn row(registry: &Registry, oid: &str) -> Result<CardVersion, RegistryError> {
        let Ok(parsed) = frmo_domain::ident::OrgOid::parse(oid) else {
            return Err(not_found("Organization", oid));
        };
        registry.card_json(&Actor::Anonymous, &parsed, None).await
    }

    fn of(row: CardVersion) -> Result<Self, RegistryError> {
        let head = OrganizationHead::read(&row.card)?;
        Ok(Current { card: row.card, version: row.version_id, since: row.valid_from, head })
    }

    pub(super) fn resource(&self) -> Value {
        self.shaped().to_value()
    }

    fn shaped(&self) -> resources::OrganizationResource<'_> {
        resources::organization(&self.head, self.version, self.since)
    }

    /// When the card's current version took effect.
    pub(super) fn since(&self) -> OffsetDateTime {
        self.since
    }

    /// The whole card (departments, buildings, licences).
    fn full(&self) -> Result<Organization, RegistryError> {
        serde_json::from_str(&self.card).map_err(|e| RegistryError::Store(e.into()))
    }

    pub(super) fn locations(&self) -> Result<Vec<Value>, RegistryError> {
        Ok(resources::locations(&self.full()?, self.version, self.since))
    }

    pub(super) fn services(&self) -> Result<Vec<Value>, RegistryError> {
        Ok(super::services::services(&self.full()?, self.version, self.since))
    }
}

pub async fn organization(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response, FhirError> {
    let summary = read_parameters(raw.as_deref())?;
    let row = Current::row(&state.registry, &id).await?;
    let version = row.version_id;
    if summary == params::Summary::False {
        // The common read: written once per version straight from the card's head, without a JSON
        // tree, and kept.
        let written = state.registry.fhir_organization(version, || {
            Current::of(row).map(|current| serde_json::to_string(&current.shaped()).unwrap_or_default())
        })?;
        return Ok(tagged_text_response(written, &version.to_string(), &headers));
    }
    Ok(resource_response(&Current::of(row)?.resource(), &headers, summary))
}

pub async fn location(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response, FhirError> {
    let summary = read_parameters(raw.as_deref())?;
    let owner = resources::location_owner(&id).ok_or_else(|| not_found("Location", &id))?;
    let locations = Current::read(&state.registry, owner.as_str()).await?.locations()?;
    let found = locations.into_iter().find(|l| l["id"] == id.as_str()).ok_or_else(|| not_found("Location", &id))?;
    Ok(resource_response(&found, &headers, summary))
}

fn number(id: &str, resource: &str) -> Result<i64, RegistryError> {
    id.parse::<i64>().ok().filter(|n| *n > 0).ok_or_else(|| not_found(resource, id))
}

pub async fn practitioner(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response, FhirError> {
    let summary = read_parameters(raw.as_deref())?;
    let n = number(&id, "Practitioner")?;
    let directory = state.registry.directory_of_person(&viewer.caller, n).await?;
    let person = directory.persons.iter().find(|p| p.id == n).ok_or_else(|| not_found("Practitioner", &id))?;
    Ok(resource_response(&workers::practitioner(person), &headers, summary))
}

pub async fn role(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response, FhirError> {
    let summary = read_parameters(raw.as_deref())?;
    let n = number(&id, "PractitionerRole")?;
    let directory = state.registry.directory_of_role(&viewer.caller, n).await?;
    let roles = role_resources(&state.registry, &directory).await?;
    let found = roles.into_iter().find(|r| r["id"] == id.as_str()).ok_or_else(|| not_found("PractitionerRole", &id))?;
    Ok(resource_response(&found, &headers, summary))
}

/// The `PractitionerRole`s of a directory (every card of it is of one organization).
pub(super) async fn role_resources(
    registry: &Registry,
    directory: &WorkerDirectory,
) -> Result<Vec<Value>, RegistryError> {
    let Some(first) = directory.roles.first() else { return Ok(Vec::new()) };
    let card = registry.card(&Actor::Anonymous, &frmo_registry::register::organization_oid(&first.oid)?, None).await?;
    let today = frmo_domain::date::iso(OffsetDateTime::now_utc().date());
    Ok(directory.roles.iter().map(|c| workers::role(c, directory, Some(&card.organization), &today)).collect())
}

/// The directory of an organization (every part).
pub(super) async fn directory(
    registry: &Registry,
    viewer: &Viewer,
    oid: &str,
) -> Result<WorkerDirectory, RegistryError> {
    registry.worker_directory(&viewer.caller, &frmo_registry::register::public_oid(oid)?, DirectoryPart::All).await
}

/// `_since`: an instant (`2026-01-31T10:00:00Z`) or a date (its start, UTC).
fn since(value: Option<&str>) -> Result<Option<OffsetDateTime>, RegistryError> {
    let Some(value) = value else { return Ok(None) };
    let instant = OffsetDateTime::parse(value, &time::format_description::well_known::Rfc3339).ok();
    let date = || {
        time::Date::parse(value, time::macros::format_description!("[year]-[month]-[day]"))
            .ok()
            .map(|d| d.midnight().assume_utc())
    };
    instant.or_else(date).map(Some).ok_or_else(|| {
        crate::multipart::invalid(
            "_since",
            "Параметр запроса",
            "_since: ожидается момент (2026-01-31T10:00:00Z) или дата",
        )
    })
}

pub async fn type_history(State(state): State<AppState>, RawQuery(raw): RawQuery) -> Result<Response, FhirError> {
    history(&state, None, raw.as_deref()).await
}

pub async fn instance_history(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, FhirError> {
    Current::read(&state.registry, &id).await?;
    history(&state, Some(&id), raw.as_deref()).await
}

/// A `history` Bundle: versions oldest first (so a `next` link stays right while the register
/// changes), each a `PUT` of the organization as that version had it.
async fn history(state: &AppState, oid: Option<&str>, raw: Option<&str>) -> Result<Response, FhirError> {
    let params: Params = params::parse(raw, None)?;
    if !params.include.is_empty() || !params.revinclude.is_empty() {
        return Err(crate::multipart::invalid("query", "Параметр запроса", "_history не принимает _include").into());
    }
    let since = since(params.since.as_deref())?;
    let after = match params.cursor.as_deref() {
        None => 0,
        Some(c) => c.parse::<i64>().map_err(|_| {
            crate::multipart::invalid("_cursor", "Параметр запроса", "неверный курсор; начните с первой страницы")
        })?,
    };
    let count = params.count.unwrap_or(MAX_HISTORY_PAGE.min(100));
    let oid = oid.map(frmo_registry::register::public_oid).transpose()?;
    let page = state.registry.card_history(&Actor::Anonymous, oid.as_ref(), since, after, count).await?;
    let base = base(state);
    let path = oid.map_or_else(|| "Organization/_history".to_owned(), |oid| format!("Organization/{oid}/_history"));
    let query = params.query_string();
    let mut links = vec![json!({"relation": "self", "url": format!("{base}/{path}?{query}")})];
    if let Some(next) = page.next_after {
        links.push(json!({"relation": "next", "url": format!("{base}/{path}?{query}&_cursor={next}")}));
    }
    let entries: Vec<Value> = page
        .entries
        .iter()
        .map(|e| {
            let head = OrganizationHead::read(&e.card)?;
            let oid = head.oid.as_str();
            Ok(json!({
                "fullUrl": format!("{base}/Organization/{oid}"),
                "resource": resources::organization(&head, e.version_id, e.valid_from),
                "request": {"method": "PUT", "url": format!("Organization/{oid}")},
                "response": {"status": "200 OK", "etag": format!("W/\"{}\"", e.version_id),
                             "lastModified": resources::instant(e.valid_from)},
            }))
        })
        .collect::<Result<_, RegistryError>>()?;
    let mut bundle = json!({"resourceType": "Bundle", "type": "history", "link": links});
    if !entries.is_empty() {
        bundle["entry"] = json!(entries);
    }
    Ok(fhir_json(StatusCode::OK, &bundle))
}
