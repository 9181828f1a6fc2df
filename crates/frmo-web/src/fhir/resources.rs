//! The card as FHIR R4 resources (IHE mCSD): the organization as `Organization` and as its facility
//! `Location`, its departments, hospital subdivisions and buildings as `Location`s below it. Made
//! from the stored card on every read: there is no second copy of the data.

use frmo_domain::ident::{Inn, Kpp, Ogrn, Ogrnip, OrgOid, RegionCode};
use frmo_domain::org::{Address, Contacts, OrgStatus, Organization};
use frmo_domain::reference;
use frmo_registry::RegistryError;
use serde::Deserialize;
use serde_json::{Value, json};
use time::OffsetDateTime;

/// `identifier.system` of an OID (FHIR's way to say "this value is an OID": `urn:oid:…` as a URI).
pub const URI_SYSTEM: &str = "urn:ietf:rfc:3986";
/// ИНН (of a legal entity or a person), ОГРН (and ОГРНИП), СНИЛС: the identifier systems of the
/// Russian FHIR core guide (fhir-ru/RuCoreIG, `Core_NamingSystems.fsh`: its preferred URIs).
pub const INN: &str = "https://fhir.ru/ig/core/systems/inn";
pub const OGRN: &str = "https://fhir.ru/ig/core/systems/ogrn";
pub const SNILS: &str = "https://fhir.ru/ig/core/systems/snils";
/// A licence for medical activity (the same guide).
pub const MEDLICENSE: &str = "https://fhir.ru/ig/core/systems/medlicense";
/// The same identifiers by the attribute OIDs of Russian qualified certificates (ИНН of a legal
/// entity, of a person, ОГРН, ОГРНИП), accepted in searches.
pub const INN_OIDS: [&str; 2] = ["urn:oid:1.2.643.100.4", "urn:oid:1.2.643.3.131.1.1"];
pub const OGRN_OIDS: [&str; 2] = ["urn:oid:1.2.643.100.1", "urn:oid:1.2.643.100.5"];
/// The register's own arc (`2.25.<UUID>`, the arc of its local directories): КПП has no OID of
/// its own, nor a building's id; the beds extension.
pub const KPP: &str = "urn:oid:2.25.107144191076073659911032091918575417182.2.1";
pub const BUILDING_ID: &str = "urn:oid:2.25.107144191076073659911032091918575417182.2.2";
const BEDS_EXTENSION: &str = "urn:oid:2.25.107144191076073659911032091918575417182.3.1";
/// A card's department as typed, when it names none of the card's departments.
pub const DEPARTMENT_EXTENSION: &str = "urn:oid:2.25.107144191076073659911032091918575417182.3.2";
/// mCSD's facility code (Organization and Location of one facility carry it).
const MCSD_TYPES: &str = "https://profiles.ihe.net/ITI/mCSD/CodeSystem/IHE.mCSD.Organization.Location.Types";
const PHYSICAL: &str = "http://terminology.hl7.org/CodeSystem/location-physical-type";
const MCSD: &str = "https://profiles.ihe.net/ITI/mCSD/StructureDefinition/";

/// A moment as FHIR's `instant` (UTC, seconds).
pub fn instant(at: OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC).replace_nanosecond(0).unwrap_or(at);
    at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

/// `meta` of a resource made from card version `version_id`, in force since `since`.
pub fn meta(version_id: i64, since: OffsetDateTime, profile: &str) -> Value {
    json!({"versionId": version_id.to_string(), "lastUpdated": instant(since), "profile": [format!("{MCSD}{profile}")]})
}

/// A code of a shipped or installed directory as a `Coding` (system: the directory's OID).
pub fn coding(directory: &str, code: u32) -> Option<Value> {
    let dir = reference::get(directory)?;
    let system = dir.oid.as_deref().or(dir.nsi_oid.as_deref())?;
    let mut coding = json!({"system": format!("urn:oid:{system}"), "code": code.to_string()});
    if let Some(name) = dir.name_of(code) {
        coding["display"] = json!(name);
    }
    Some(coding)
}

pub fn concept(directory: &str, code: u32) -> Option<Value> {
    let coding = coding(directory, code)?;
    let text = coding.get("display").cloned();
    let mut concept = json!({"coding": [coding]});
    if let Some(text) = text {
        concept["text"] = text;
    }
    Some(concept)
}

fn oid_identifier(oid: &str, text: &str) -> Value {
    json!({"use": "official", "system": URI_SYSTEM, "value": format!("urn:oid:{oid}"), "type": {"text": text}})
}

fn identifier(system: &str, value: &str, text: &str) -> Value {
    json!({"system": system, "value": value, "type": {"text": text}})
}

fn facility_type() -> Value {
    json!({"coding": [{"system": MCSD_TYPES, "code": "facility", "display": "Facility"}]})
}

/// An address of the card.
pub fn address(a: &Address, region: u8, kind: &str) -> Value {
    let mut out = json!({"use": "work", "type": kind, "text": a.text, "country": "RU"});
    let line: Vec<String> = [
        a.street_name
            .as_ref()
            .map(|s| format!("{} {s}", a.prefix_street.as_deref().unwrap_or_default()).trim().to_owned()),
        a.house.as_ref().map(|h| format!("д. {h}")),
        a.building.as_ref().map(|b| format!("корп. {b}")),
        a.structure.as_ref().map(|s| format!("стр. {s}")),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !line.is_empty() {
        out["line"] = json!(line);
    }
    if let Some(area) = &a.area_name {
        out["city"] = json!(area);
    }
    let region = a.region.map_or(region, |r| r.code());
    if let Some(code) = RegionCode::from_code(region) {
        out["state"] = json!(code.name());
    }
    if let Some(index) = &a.post_index {
        out["postalCode"] = json!(index.as_str());
    }
    out
}

fn position(a: &Address) -> Option<Value> {
    Some(json!({"longitude": a.longitude?, "latitude": a.latitude?}))
}

fn status(liquidated: bool) -> &'static str {
    if liquidated { "inactive" } else { "active" }
}

/// The fields of a card the `Organization` resource shows. Read from the card's JSON by itself,
/// serde skips departments, buildings and licences without building them: a read of one
/// organization costs a fraction of parsing the whole card.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrganizationHead {
    pub oid: OrgOid,
    #[serde(default)]
    pub old_oid: Option<String>,
    #[serde(default)]
    pub parent_oid: Option<OrgOid>,
    pub name_full: String,
    pub name_short: String,
    pub organization_type_id: u32,
    pub medical_subject_id: u32,
    pub mo_agency_kind_id: u32,
    pub inn: Inn,
    #[serde(default)]
    pub ogrn: Option<Ogrn>,
    #[serde(default)]
    pub ogrnip: Option<Ogrnip>,
    #[serde(default)]
    pub kpp: Option<Kpp>,
    pub region_id: RegionCode,
    pub legal_address: Address,
    #[serde(default)]
    pub actual_address: Option<Address>,
    #[serde(default)]
    pub contacts: Contacts,
    pub status: OrgStatus,
}

impl OrganizationHead {
    pub fn read(card: &str) -> Result<Self, RegistryError> {
        serde_json::from_str(card).map_err(|e| RegistryError::Store(e.into()))
    }
}

/// The organization (the legal entity).
pub fn organization(org: &OrganizationHead, version_id: i64, since: OffsetDateTime) -> Value {
    let oid = org.oid.as_str();
    let mut identifiers = vec![oid_identifier(oid, "OID ФРМО")];
    identifiers.push(identifier(INN, org.inn.as_str(), "ИНН"));
    if let Some(ogrn) = &org.ogrn {
        identifiers.push(identifier(OGRN, ogrn.as_str(), "ОГРН"));
    }
    if let Some(ogrnip) = &org.ogrnip {
        identifiers.push(identifier(OGRN, ogrnip.as_str(), "ОГРНИП"));
    }
    if let Some(kpp) = &org.kpp {
        identifiers.push(identifier(KPP, kpp.as_str(), "КПП"));
    }
    if let Some(old) = org.old_oid.as_deref().filter(|o| OrgOid::parse(o).is_ok()) {
        let mut id = oid_identifier(old, "Прежний OID ФРМО");
        id["use"] = json!("old");
        identifiers.push(id);
    }
    let mut types = vec![facility_type()];
    types.extend(
        [
            ("organization_types", org.organization_type_id),
            ("agency_kinds", org.mo_agency_kind_id),
            ("medical_subject_kinds", org.medical_subject_id),
        ]
        .into_iter()
        .filter_map(|(directory, code)| concept(directory, code)),
    );
    let mut resource = json!({
        "resourceType": "Organization",
        "id": oid,
        "meta": meta(version_id, since, "IHE.mCSD.FacilityOrganization"),
        "identifier": identifiers,
        "active": org.status != OrgStatus::Liquidated,
        "type": types,
        "name": org.name_full,
    });
    if org.name_short != org.name_full {
        resource["alias"] = json!([org.name_short]);
    }
    let contacts = &org.contacts;
    let telecom: Vec<Value> = [("phone", &contacts.phone), ("email", &contacts.email), ("url", &contacts.site)]
        .into_iter()
        .filter_map(|(system, value)| value.as_ref().map(|v| json!({"system": system, "value": v, "use": "work"})))
        .collect();
    if !telecom.is_empty() {
        resource["telecom"] = json!(telecom);
    }
    let region = org.region_id.code();
    let mut addresses = vec![address(&org.legal_address, region, "postal")];
    if let Some(actual) = &org.actual_address {
        addresses.push(address(actual, region, "physical"));
    }
    resource["address"] = json!(addresses);
    if let Some(parent) = &org.parent_oid {
        resource["partOf"] = json!({"reference": format!("Organization/{parent}")});
    }
    resource
}

/// The id of a building's `Location`: the organization's OID after `1.2.643.5.1.13.13.12.` and the
/// building's id (a GUID), so that it says whose card to read and stays within FHIR's 64
/// characters. `None` for an id FHIR cannot carry.
pub fn building_location_id(org: &OrgOid, building: &str) -> Option<String> {
    let id = format!("{}.{}.{}-b-{building}", org.kind(), org.region().code(), org.number());
    let valid = id.len() <= 64 && building.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
    valid.then_some(id)
}

/// The organization's OID of a `Location` id: an organization's, department's or subdivision's
/// OID, or a building's id.
pub fn location_owner(id: &str) -> Option<OrgOid> {
    if let Some((org, _)) = id.split_once("-b-") {
        return OrgOid::parse(&format!("1.2.643.5.1.13.13.12.{org}")).ok();
    }
    let parts: Vec<&str> = id.split('.').collect();
    let org = parts.get(..11).map(|p| p.join("."))?;
    OrgOid::parse(&org).ok()
}

/// Every `Location` of the card: the facility first, then departments with their subdivisions,
/// then buildings.
pub fn locations(org: &Organization, version_id: i64, since: OffsetDateTime) -> Vec<Value> {
    let oid = org.oid.as_str();
    let region = org.region_id.code();
    let managing = json!({"reference": format!("Organization/{oid}")});
    let liquidated = org.status == OrgStatus::Liquidated;
    let base = |id: &str, name: &str, closed: bool, profile: &str| {
        json!({"resourceType": "Location", "id": id, "meta": meta(version_id, since, profile),
               "status": status(closed), "name": name, "mode": "instance", "managingOrganization": managing})
    };
    let main_address = org.actual_address.as_ref().unwrap_or(&org.legal_address);
    let mut facility = base(oid, &org.name_full, liquidated, "IHE.mCSD.FacilityLocation");
    facility["identifier"] = json!([oid_identifier(oid, "OID ФРМО")]);
    facility["type"] = json!([facility_type()]);
    facility["address"] = address(main_address, region, "physical");
    facility["physicalType"] = json!({"coding": [{"system": PHYSICAL, "code": "si", "display": "Site"}]});
    if let Some(position) = position(main_address) {
        facility["position"] = position;
    }
    let mut out = vec![facility];
    for d in &org.departments {
        let did = d.oid.as_str();
        let mut department = base(did, &d.depart_name, liquidated || d.liquidation_date.is_some(), "IHE.mCSD.Location");
        department["identifier"] = json!([oid_identifier(did, "OID подразделения")]);
        department["partOf"] = json!({"reference": format!("Location/{oid}")});
        if let Some(kind) = concept("department_types", d.depart_type_id) {
            department["type"] = json!([kind]);
        }
        if d.separate_depart {
            department["description"] = json!("Обособленное структурное подразделение");
        }
        out.push(department);
        for s in &d.hospital_subdivisions {
            let sid = s.oid.as_str();
            let closed = liquidated || d.liquidation_date.is_some() || s.liquidation_date.is_some();
            let mut subdivision = base(sid, &s.subdivision_name, closed, "IHE.mCSD.Location");
            subdivision["identifier"] = json!([oid_identifier(sid, "OID отделения")]);
            subdivision["partOf"] = json!({"reference": format!("Location/{did}")});
            let beds: Vec<Value> = s
                .beds
                .iter()
                .map(|b| {
                    let profile = coding("bed_profiles", b.bed_profile_id)
                        .unwrap_or_else(|| json!({"code": b.bed_profile_id.to_string()}));
                    json!({"url": BEDS_EXTENSION, "extension": [
                        {"url": "profile", "valueCoding": profile},
                        {"url": "count", "valueInteger": b.bed_count},
                    ]})
                })
                .collect();
            if !beds.is_empty() {
                subdivision["extension"] = json!(beds);
            }
            out.push(subdivision);
        }
    }
    for b in &org.buildings {
        let Some(id) = building_location_id(&org.oid, &b.id) else { continue };
        let mut building = base(&id, &b.build_name, liquidated || b.liquidation_date.is_some(), "IHE.mCSD.Location");
        building["identifier"] = json!([identifier(BUILDING_ID, &b.id, "Идентификатор здания ФРМО")]);
        building["physicalType"] = json!({"coding": [{"system": PHYSICAL, "code": "bu", "display": "Building"}]});
        building["address"] = address(&b.address, region, "physical");
        if let Some(position) = position(&b.address) {
            building["position"] = position;
        }
        building["partOf"] = json!({"reference": format!("Location/{oid}")});
        out.push(building);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn location_ids_lead_back_to_their_organization() {
        let org = OrgOid::parse("1.2.643.5.1.13.13.12.2.78.6258").expect("oid");
        let building = building_location_id(&org, "4f1c2b9e-0d7a-4c55-9a51-3b2f0e6c7d18").expect("fits");
        assert!(building.len() <= 64, "{building}");
        for id in [
            building.as_str(),
            "1.2.643.5.1.13.13.12.2.78.6258",
            "1.2.643.5.1.13.13.12.2.78.6258.0.12",
            "1.2.643.5.1.13.13.12.2.78.6258.0.12.3",
        ] {
            assert_eq!(location_owner(id).as_ref(), Some(&org), "{id}");
        }
        assert_eq!(building_location_id(&org, "a b"), None);
        assert_eq!(location_owner("garbage"), None);
    }

    #[test]
    fn own_systems_are_under_the_registers_arc() {
        for system in [KPP, BUILDING_ID, BEDS_EXTENSION, DEPARTMENT_EXTENSION] {
            assert!(system.starts_with("urn:oid:2.25.107144191076073659911032091918575417182."), "{system}");
        }
    }
}
