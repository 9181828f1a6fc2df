//! Searches (ITI-90). `Organization` runs the register's own search (the in-process index: Russian
//! word forms, exact identifiers, keyset paging); the other types are searched within the cards or
//! worker directories of the organizations the query names, and paged by position.

use super::params::{self, Param, Params, boolean, reference_id, token_code};
use super::read::{Current, directory, role_resources};
use super::resources::{INN, INN_OIDS, KPP, OGRN, OGRN_OIDS, URI_SYSTEM};
use super::{Found, resources, searchset, workers};
use crate::AppState;
use crate::error::FhirError;
use crate::identity::session::Viewer;
use axum::extract::{RawQuery, State};
use axum::response::Response;
use frmo_domain::access::Actor;
use frmo_domain::ident::OrgOid;
use frmo_domain::org::OrgStatus;
use frmo_registry::integration::fhir::DirectoryPart;
use frmo_registry::register::search::SearchQuery;
use frmo_registry::{Caller, RegistryError, SearchParams};
use serde_json::Value;

fn refuse(message: impl Into<String>) -> RegistryError {
    crate::multipart::invalid("query", "Параметр запроса", message)
}

/// An `identifier` token as the register's search parameters.
fn identifier(value: &str, search: &mut SearchParams) -> Result<(), RegistryError> {
    let (system, value) = value.split_once('|').map_or((None, value), |(s, v)| (Some(s), v));
    let oid = value.strip_prefix("urn:oid:").unwrap_or(value);
    let digits = value.chars().all(|c| c.is_ascii_digit());
    let slot = match system {
        Some(URI_SYSTEM) => &mut search.oid,
        Some(s) if s == INN || INN_OIDS.contains(&s) => &mut search.inn,
        Some(s) if s == OGRN || OGRN_OIDS.contains(&s) => &mut search.ogrn,
        Some(KPP) => &mut search.kpp,
        Some("") | None if oid.starts_with("1.2.643.") => &mut search.oid,
        Some("") | None if digits && [10, 12].contains(&value.len()) => &mut search.inn,
        Some("") | None if digits && [13, 15].contains(&value.len()) => &mut search.ogrn,
        Some("") | None if digits && value.len() == 9 => &mut search.kpp,
        Some(system) if !system.is_empty() => {
            return Err(refuse(format!("identifier: система «{system}» не поддерживается; см. /fhir/r4/metadata")));
        }
        _ => return Err(refuse(format!("identifier: «{value}» — не ИНН, ОГРН, КПП и не OID"))),
    };
    *slot = Some(oid.to_owned());
    Ok(())
}

/// The subject of the Federation an `address-state` names: its code, its name, or the one name it
/// begins (`:exact` — the name exactly).
fn region(param: &Param) -> Result<String, RegistryError> {
    use frmo_domain::ident::RegionCode;
    if let Ok(code) = RegionCode::parse(&param.value) {
        return Ok(code.as_str().to_owned());
    }
    let named: Vec<RegionCode> = RegionCode::all().filter(|r| string_matches(param, &[r.name()])).collect();
    let exact = named.iter().find(|r| r.name().to_lowercase() == param.value.to_lowercase());
    match (exact, named.as_slice()) {
        (Some(r), _) | (None, [r]) => Ok(r.as_str().to_owned()),
        (None, []) => Err(refuse(format!("address-state: субъекта «{}» нет в справочнике", param.value))),
        (None, several) => Err(refuse(format!(
            "address-state: «{}» — начало нескольких наименований ({}); уточните",
            param.value,
            several.iter().take(5).map(|r| r.name()).collect::<Vec<_>>().join(", ")
        ))),
    }
}

/// FHIR's string match: starts with (default), contains, or exact; case-insensitive except exact.
pub(super) fn string_matches(param: &Param, candidates: &[&str]) -> bool {
    let wanted = param.value.to_lowercase();
    candidates.iter().any(|c| match param.modifier.as_deref() {
        Some("exact") => *c == param.value,
        Some("contains") => c.to_lowercase().contains(&wanted),
        _ => {
            c.to_lowercase().split_whitespace().any(|w| w.starts_with(&wanted)) || c.to_lowercase().starts_with(&wanted)
        }
    })
}

/// A page of `all` by position (`_cursor` is the offset).
pub(super) fn page(all: Vec<Value>, params: &Params) -> Result<Found, RegistryError> {
    let offset = match params.cursor.as_deref() {
        None => 0,
        Some(c) => c.parse::<usize>().map_err(|_| refuse("неверный курсор; начните с первой страницы"))?,
    };
    let total = all.len();
    let count = params.count();
    let matches: Vec<Value> = all.into_iter().skip(offset).take(count).collect();
    let next = (offset + count < total).then(|| (offset + count).to_string());
    Ok(Found { matches, total, next, ..Found::default() })
}

pub async fn organizations(State(state): State<AppState>, RawQuery(raw): RawQuery) -> Result<Response, FhirError> {
    let params = params::parse(raw.as_deref(), Some("Organization"))?;
    let mut search =
        SearchParams { cursor: params.cursor.clone(), limit: Some(params.count().to_string()), ..Default::default() };
    let mut ids: Vec<&str> = Vec::new();
    let mut active = None;
    for p in &params.list {
        match p.name {
            "_id" => ids = p.value.split(',').map(str::trim).collect(),
            "identifier" => identifier(&p.value, &mut search)?,
            "name" => search.q = Some(p.value.clone()),
            "type" => search.org_type = Some(token_code(&p.value).to_owned()),
            "active" => active = Some(boolean(&p.value, "active")?),
            "address-state" => search.region = Some(region(p)?),
            _ => {}
        }
    }
    if ids.len() == 1 {
        search.oid = Some(ids[0].to_owned());
    }
    if active == Some(false) {
        search.status = Some(OrgStatus::Liquidated.as_str().to_owned());
    }
    let mut query = search.parse()?;
    if active == Some(true) {
        query.not_status = Some(OrgStatus::Liquidated);
    }
    query.valid_from = params::last_updated(&params)?;
    for p in &params.list {
        match p.name {
            "partof" => {
                let head = OrgOid::parse(reference_id(&p.value, "Organization")?)
                    .map_err(|_| refuse(format!("partof: «{}» — не OID организации", p.value)))?;
                query.parent = Some(head);
            }
            "address-city" => query.town = Some(params::text_match(p)),
            "address-postalcode" => query.postal_code = Some(params::text_match(p)),
            _ => {}
        }
    }
    let mut found = Found::default();
    let mut cards = Vec::new();
    if ids.len() > 1 {
        for id in &ids {
            match Current::read(&state.registry, id).await {
                Ok(card) => cards.push(card),
                Err(RegistryError::NotFound(_) | RegistryError::Invalid(_)) => {}
                Err(error) => return Err(error.into()),
            }
        }
    } else {
        let hits = state.registry.search(&Actor::Anonymous, &query).await?;
        found.total = hits.total;
        found.next = hits.next_cursor;
        for item in &hits.items {
            cards.push(Current::read(&state.registry, &item.oid).await?);
        }
    }
    let exact = params.get("name").filter(|p| p.modifier.as_deref() == Some("exact"));
    cards.retain(|Current { head: org, .. }| {
        exact.is_none_or(|p| [org.name_full.as_str(), org.name_short.as_str()].contains(&p.value.as_str()))
            && active.is_none_or(|a| a == (org.status != OrgStatus::Liquidated))
            && (ids.is_empty() || ids.contains(&org.oid.as_str()))
    });
    if ids.len() > 1 || exact.is_some() {
        found.total = cards.len();
    }
    found.matches = cards.iter().map(Current::resource).collect();
    let wants = |list: &[String], what: &str| list.iter().any(|i| i == what);
    for card in &cards {
        let org = &card.head;
        if wants(&params.include, "Organization:partof")
            && let Some(parent) = &org.parent_oid
        {
            found.include(Current::read(&state.registry, parent.as_str()).await?.resource());
        }
        if wants(&params.revinclude, "Organization:partof") {
            // The branches (the index lists them per head organization).
            let branches = SearchQuery { parent: Some(org.oid.clone()), limit: usize::MAX, ..Default::default() };
            for item in state.registry.search(&Actor::Anonymous, &branches).await?.items {
                found.include(Current::read(&state.registry, &item.oid).await?.resource());
            }
        }
        if wants(&params.revinclude, "Location:organization") {
            card.locations()?.into_iter().for_each(|l| found.include(l));
        }
        if wants(&params.revinclude, "HealthcareService:organization") {
            card.services()?.into_iter().for_each(|s| found.include(s));
        }
        if wants(&params.revinclude, "PractitionerRole:organization") {
            // The public directory: an organization search is the same for everyone.
            let part = DirectoryPart::All;
            let directory = state.registry.worker_directory(&Caller::anonymous("-"), &org.oid, part).await?;
            role_resources(&state.registry, &directory).await?.into_iter().for_each(|r| found.include(r));
        }
    }
    Ok(searchset(&state, "Organization", &params, found))
}

/// The organizations a search of locations, practitioners or roles looks in.
fn scope(params: &Params, resource: &str) -> Result<Vec<String>, RegistryError> {
    let mut oids: Vec<String> = Vec::new();
    if let Some(org) = params.value("organization") {
        oids.push(reference_id(org, "Organization")?.to_owned());
    }
    if resource == "Location" {
        let ids = params.value("_id").map(|v| v.split(',').map(str::trim).collect::<Vec<_>>()).unwrap_or_default();
        let partof = params.value("partof").map(|v| reference_id(v, "Location")).transpose()?;
        for id in ids.into_iter().chain(partof) {
            let owner = resources::location_owner(id)
                .ok_or_else(|| RegistryError::NotFound(format!("Location/{id} не найден")))?;
            if !oids.iter().any(|o| o == owner.as_str()) {
                oids.push(owner.as_str().to_owned());
            }
        }
    }
    Ok(oids)
}

pub async fn locations(State(state): State<AppState>, RawQuery(raw): RawQuery) -> Result<Response, FhirError> {
    let params = params::parse(raw.as_deref(), Some("Location"))?;
    let oids = scope(&params, "Location")?;
    if oids.is_empty() {
        return Err(refuse("поиск мест ведётся в пределах организаций: укажите organization, partof или _id").into());
    }
    let ids: Vec<&str> = params.value("_id").map(|v| v.split(',').map(str::trim).collect()).unwrap_or_default();
    let partof = params.value("partof").map(|v| reference_id(v, "Location")).transpose()?;
    let updated = params::last_updated(&params)?;
    let mut all = Vec::new();
    let mut pool = Vec::new();
    for oid in &oids {
        let card = Current::read(&state.registry, oid).await?;
        pool.push(card.resource());
        let in_range = params::updated_within(updated, card.since());
        for location in card.locations()? {
            let types: Vec<&str> = location["type"]
                .as_array()
                .into_iter()
                .flatten()
                .flat_map(|t| t["coding"].as_array().into_iter().flatten())
                .filter_map(|c| c["code"].as_str())
                .collect();
            let keep = in_range
                && (ids.is_empty() || ids.contains(&location["id"].as_str().unwrap_or_default()))
                && partof.is_none_or(|p| location["partOf"]["reference"] == format!("Location/{p}").as_str())
                && params
                    .get("name")
                    .is_none_or(|p| string_matches(p, &[location["name"].as_str().unwrap_or_default()]))
                && params.value("type").is_none_or(|t| types.contains(&token_code(t)))
                && params.value("status").is_none_or(|s| location["status"] == token_code(s));
            pool.push(location.clone());
            if keep {
                all.push(location);
            }
        }
    }
    let mut found = page(all, &params)?;
    for location in found.matches.clone() {
        for (include, field) in [("Location:organization", "managingOrganization"), ("Location:partof", "partOf")] {
            if !params.include.iter().any(|i| i == include) {
                continue;
            }
            let target = location[field]["reference"].as_str().unwrap_or_default();
            let hit = pool.iter().find(|r| {
                format!("{}/{}", r["resourceType"].as_str().unwrap_or(""), r["id"].as_str().unwrap_or("")) == target
            });
            if let Some(hit) = hit {
                found.include(hit.clone());
            }
        }
    }
    Ok(searchset(&state, "Location", &params, found))
}

pub async fn practitioners(
    State(state): State<AppState>,
    viewer: Viewer,
    RawQuery(raw): RawQuery,
) -> Result<Response, FhirError> {
    let params = params::parse(raw.as_deref(), Some("Practitioner"))?;
    let directory = match (params.value("_id"), scope(&params, "Practitioner")?.first()) {
        (Some(id), None) => {
            let n = id.parse::<i64>().map_err(|_| refuse("_id: ожидается номер записи работника"))?;
            match state.registry.directory_of_person(&viewer.caller, n).await {
                Err(RegistryError::NotFound(_)) => Default::default(),
                other => other?,
            }
        }
        (_, Some(oid)) => directory(&state.registry, &viewer, oid).await?,
        (None, None) => {
            return Err(refuse("поиск работников ведётся в пределах организации: укажите organization или _id").into());
        }
    };
    let active = params.value("active").map(|a| boolean(a, "active")).transpose()?;
    let mut all = Vec::new();
    for person in &directory.persons {
        let given: Vec<&str> =
            [Some(person.first_name.as_str()), person.patronymic.as_deref()].into_iter().flatten().collect();
        let mut names = vec![person.last_name.as_str()];
        names.extend(&given);
        let keep = params.value("_id").is_none_or(|id| id == person.id.to_string())
            && active.is_none_or(|a| a == person.active)
            && params.get("name").is_none_or(|p| string_matches(p, &names))
            && params.get("family").is_none_or(|p| string_matches(p, &[person.last_name.as_str()]))
            && params.get("given").is_none_or(|p| string_matches(p, &given));
        if keep {
            all.push(workers::practitioner(person));
        }
    }
    let mut found = page(all, &params)?;
    if params.revinclude.iter().any(|i| i == "PractitionerRole:practitioner") {
        let roles = role_resources(&state.registry, &directory).await?;
        for practitioner in found.matches.clone() {
            let reference = format!("Practitioner/{}", practitioner["id"].as_str().unwrap_or_default());
            roles
                .iter()
                .filter(|r| r["practitioner"]["reference"] == reference.as_str())
                .for_each(|r| found.include(r.clone()));
        }
    }
    Ok(searchset(&state, "Practitioner", &params, found))
}

pub async fn roles(
    State(state): State<AppState>,
    viewer: Viewer,
    RawQuery(raw): RawQuery,
) -> Result<Response, FhirError> {
    let params = params::parse(raw.as_deref(), Some("PractitionerRole"))?;
    let id = |value: &str, what: &str| value.parse::<i64>().map_err(|_| refuse(format!("{what}: ожидается номер")));
    let practitioner = params.value("practitioner").map(|p| reference_id(p, "Practitioner")).transpose()?;
    let directory = if let Some(oid) = scope(&params, "PractitionerRole")?.first() {
        state
            .registry
            .worker_directory(&viewer.caller, &frmo_registry::register::public_oid(oid)?, DirectoryPart::All)
            .await?
    } else if let Some(person) = practitioner {
        let n = id(person, "practitioner")?;
        state.registry.directory_of_person(&viewer.caller, n).await.or_else(empty_when_missing)?
    } else if let Some(card) = params.value("_id") {
        let n = id(card, "_id")?;
        state.registry.directory_of_role(&viewer.caller, n).await.or_else(empty_when_missing)?
    } else {
        return Err(refuse(
            "поиск должностей ведётся в пределах организации или работника: укажите organization, practitioner или _id",
        )
        .into());
    };
    let active = params.value("active").map(|a| boolean(a, "active")).transpose()?;
    let all: Vec<Value> = role_resources(&state.registry, &directory)
        .await?
        .into_iter()
        .filter(|r| {
            let codes = |field: &str| -> Vec<String> {
                r[field]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .flat_map(|c| c["coding"].as_array().into_iter().flatten())
                    .filter_map(|c| c["code"].as_str().map(str::to_owned))
                    .collect()
            };
            params.value("_id").is_none_or(|id| r["id"] == id)
                && practitioner.is_none_or(|p| r["practitioner"]["reference"] == format!("Practitioner/{p}").as_str())
                && active.is_none_or(|a| r["active"] == a)
                && params.value("role").is_none_or(|c| codes("code").iter().any(|x| x == token_code(c)))
                && params.value("specialty").is_none_or(|c| codes("specialty").iter().any(|x| x == token_code(c)))
        })
        .collect();
    let mut found = page(all, &params)?;
    let wants = |what: &str| params.include.iter().any(|i| i == what);
    if wants("PractitionerRole:practitioner") {
        for person in &directory.persons {
            let reference = format!("Practitioner/{}", person.id);
            if found.matches.iter().any(|r| r["practitioner"]["reference"] == reference.as_str()) {
                found.include(workers::practitioner(person));
            }
        }
    }
    if (wants("PractitionerRole:organization") || wants("PractitionerRole:location"))
        && let Some(first) = directory.roles.first()
    {
        let card = Current::read(&state.registry, &first.oid).await?;
        let (organization, locations) = (card.resource(), card.locations()?);
        if wants("PractitionerRole:organization") && !found.matches.is_empty() {
            found.include(organization);
        }
        if wants("PractitionerRole:location") {
            for role in found.matches.clone() {
                for reference in role["location"].as_array().into_iter().flatten() {
                    let target = reference["reference"].as_str().unwrap_or_default();
                    if let Some(l) =
                        locations.iter().find(|l| format!("Location/{}", l["id"].as_str().unwrap_or("")) == target)
                    {
                        found.include(l.clone());
                    }
                }
            }
        }
    }
    Ok(searchset(&state, "PractitionerRole", &params, found))
}

/// A search by a practitioner or role that does not exist finds nothing (it is not an error).
fn empty_when_missing(
    error: RegistryError,
) -> Result<frmo_registry::integration::fhir::WorkerDirectory, RegistryError> {
    match error {
        RegistryError::NotFound(_) => Ok(Default::default()),
        other => Err(other),
    }
}
