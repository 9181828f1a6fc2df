//! The card as FHIR R4 resources (IHE mCSD): the organization as `Organization` and as its facility
//! `Location`, its departments, hospital subdivisions and buildings as `Location`s below it. Made
//! from the stored card on every read: there is no second copy of the data.

use frmo_domain::ident::{Inn, Kpp, Ogrn, Ogrnip, OrgOid, RegionCode};
use frmo_domain::org::{Address, Contacts, OrgStatus, Organization};
use frmo_domain::reference;
use frmo_registry::RegistryError;
use serde::{Deserialize, Serialize};
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
pub fn meta(version_id: i64, since: OffsetDateTime, profile: &'static str) -> Value {
    json!(Meta::new(version_id, since, profile))
}

/// A resource's `meta`: the card version it was made from, when that took effect, its mCSD profile.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Meta {
    version_id: Num,
    last_updated: String,
    profile: [Profile; 1],
}

impl Meta {
    pub fn new(version_id: i64, since: OffsetDateTime, profile: &'static str) -> Self {
        Meta { version_id: Num(version_id), last_updated: instant(since), profile: [Profile(profile)] }
    }
}

/// An mCSD profile's canonical URL.
struct Profile(&'static str);

impl Serialize for Profile {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&format_args!("{MCSD}{}", self.0))
    }
}

/// A code of a directory as FHIR's `Coding` (written straight, without a JSON tree).
#[derive(Serialize, Clone, Copy)]
pub struct Coding<'a> {
    system: Urn<'a>,
    code: Num,
    #[serde(skip_serializing_if = "Option::is_none")]
    display: Option<&'a str>,
}

/// A `CodeableConcept` of one coding, its display as the text.
#[derive(Serialize, Clone, Copy)]
pub struct Concept<'a> {
    coding: [Coding<'a>; 1],
    #[serde(skip_serializing_if = "Option::is_none")]
    text: Option<&'a str>,
}

/// `urn:oid:<oid>`, written without building the string.
#[derive(Clone, Copy)]
struct Urn<'a>(&'a str);

impl Serialize for Urn<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&format_args!("urn:oid:{}", self.0))
    }
}

/// A number written as a JSON string (codes, version ids).
#[derive(Clone, Copy)]
struct Num(i64);

impl Serialize for Num {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.0)
    }
}

/// A code of a shipped or installed directory as a `Coding` (system: the directory's OID).
pub fn coding_of(directory: &str, code: u32) -> Option<Coding<'static>> {
    let dir = reference::get(directory)?;
    let system = dir.oid.as_deref().or(dir.nsi_oid.as_deref())?;
    Some(Coding { system: Urn(system), code: Num(i64::from(code)), display: dir.name_of(code) })
}

pub fn concept_of(directory: &str, code: u32) -> Option<Concept<'static>> {
    let coding = coding_of(directory, code)?;
    Some(Concept { coding: [coding], text: coding.display })
}

/// [`coding_of`] as a JSON value.
pub fn coding(directory: &str, code: u32) -> Option<Value> {
    coding_of(directory, code).map(|c| json!(c))
}

/// [`concept_of`] as a JSON value.
pub fn concept(directory: &str, code: u32) -> Option<Value> {
    concept_of(directory, code).map(|c| json!(c))
}

/// An `identifier`: an OID as a URI, or a number of a system.
#[derive(Serialize)]
pub struct Identifier<'a> {
    #[serde(rename = "use", skip_serializing_if = "Option::is_none")]
    usage: Option<&'static str>,
    system: &'static str,
    value: IdValue<'a>,
    #[serde(rename = "type")]
    kind: Text<'a>,
}

#[derive(Serialize)]
struct Text<'a> {
    text: &'a str,
}

#[derive(Serialize)]
#[serde(untagged)]
enum IdValue<'a> {
    Plain(&'a str),
    Oid(Urn<'a>),
}

fn oid_identifier_of<'a>(oid: &'a str, text: &'a str) -> Identifier<'a> {
    Identifier { usage: Some("official"), system: URI_SYSTEM, value: IdValue::Oid(Urn(oid)), kind: Text { text } }
}

fn identifier_of<'a>(system: &'static str, value: &'a str, text: &'a str) -> Identifier<'a> {
    Identifier { usage: None, system, value: IdValue::Plain(value), kind: Text { text } }
}

fn oid_identifier(oid: &str, text: &str) -> Value {
    json!(oid_identifier_of(oid, text))
}

fn identifier(system: &'static str, value: &str, text: &str) -> Value {
    json!(identifier_of(system, value, text))
}

/// mCSD's facility type.
#[derive(Serialize)]
struct FacilityType {
    coding: [FacilityCoding; 1],
}

#[derive(Serialize)]
struct FacilityCoding {
    system: &'static str,
    code: &'static str,
    display: &'static str,
}

const FACILITY: FacilityType =
    FacilityType { coding: [FacilityCoding { system: MCSD_TYPES, code: "facility", display: "Facility" }] };

fn facility_type() -> Value {
    json!(FACILITY)
}

/// An address of the card as FHIR's `Address`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FhirAddress<'a> {
    #[serde(rename = "use")]
    usage: &'static str,
    #[serde(rename = "type")]
    kind: &'static str,
    text: &'a str,
    country: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    line: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    city: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    state: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    postal_code: Option<&'a str>,
}

/// An address of the card (`kind`: FHIR's address type, `postal` or `physical`).
pub fn address<'a>(a: &'a Address, region: u8, kind: &'static str) -> FhirAddress<'a> {
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
    let region = a.region.map_or(region, |r| r.code());
    FhirAddress {
        usage: "work",
        kind,
        text: &a.text,
        country: "RU",
        line,
        city: a.area_name.as_deref(),
        state: RegionCode::from_code(region).map(RegionCode::name),
        postal_code: a.post_index.as_ref().map(|p| p.as_str()),
    }
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

/// A reference to another resource.
#[derive(Serialize)]
pub struct Reference {
    reference: String,
}

#[derive(Serialize)]
struct Telecom<'a> {
    system: &'static str,
    value: &'a str,
    #[serde(rename = "use")]
    usage: &'static str,
}

/// The `Organization` resource of a card's head, written straight from it (no JSON tree: a read
/// serialises this).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OrganizationResource<'a> {
    resource_type: &'static str,
    id: &'a str,
    meta: Meta,
    identifier: Vec<Identifier<'a>>,
    active: bool,
    #[serde(rename = "type")]
    types: Vec<OrgType>,
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    alias: Option<[&'a str; 1]>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    telecom: Vec<Telecom<'a>>,
    address: Vec<FhirAddress<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    part_of: Option<Reference>,
}

#[derive(Serialize)]
#[serde(untagged)]
enum OrgType {
    Facility(&'static FacilityType),
    Code(Concept<'static>),
}

impl OrganizationResource<'_> {
    /// The resource as a JSON value (searches, includes and summaries edit or bundle it).
    pub fn to_value(&self) -> Value {
        json!(self)
    }
}

/// The organization (the legal entity).
pub fn organization(org: &OrganizationHead, version_id: i64, since: OffsetDateTime) -> OrganizationResource<'_> {
    let oid = org.oid.as_str();
    let mut identifiers = vec![oid_identifier_of(oid, "OID ФРМО")];
    identifiers.push(identifier_of(INN, org.inn.as_str(), "ИНН"));
    if let Some(ogrn) = &org.ogrn {
        identifiers.push(identifier_of(OGRN, ogrn.as_str(), "ОГРН"));
    }
    if let Some(ogrnip) = &org.ogrnip {
        identifiers.push(identifier_of(OGRN, ogrnip.as_str(), "ОГРНИП"));
    }
    if let Some(kpp) = &org.kpp {
        identifiers.push(identifier_of(KPP, kpp.as_str(), "КПП"));
    }
    if let Some(old) = org.old_oid.as_deref().filter(|o| OrgOid::parse(o).is_ok()) {
        identifiers.push(Identifier { usage: Some("old"), ..oid_identifier_of(old, "Прежний OID ФРМО") });
    }
    let mut types = vec![OrgType::Facility(&FACILITY)];
    types.extend(
        [
            ("organization_types", org.organization_type_id),
            ("agency_kinds", org.mo_agency_kind_id),
            ("medical_subject_kinds", org.medical_subject_id),
        ]
        .into_iter()
        .filter_map(|(directory, code)| concept_of(directory, code).map(OrgType::Code)),
    );
    let contacts = &org.contacts;
    let telecom = [("phone", &contacts.phone), ("email", &contacts.email), ("url", &contacts.site)]
        .into_iter()
        .filter_map(|(system, value)| value.as_deref().map(|value| Telecom { system, value, usage: "work" }))
        .collect();
    let region = org.region_id.code();
    let mut addresses = vec![address(&org.legal_address, region, "postal")];
    if let Some(actual) = &org.actual_address {
        addresses.push(address(actual, region, "physical"));
    }
    OrganizationResource {
        resource_type: "Organization",
        id: oid,
        meta: Meta::new(version_id, since, "IHE.mCSD.FacilityOrganization"),
        identifier: identifiers,
        active: org.status != OrgStatus::Liquidated,
        types,
        name: &org.name_full,
        alias: (org.name_short != org.name_full).then_some([org.name_short.as_str()]),
        telecom,
        address: addresses,
        part_of: org.parent_oid.as_ref().map(|p| Reference { reference: format!("Organization/{p}") }),
    }
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
    let base = |id: &str, name: &str, closed: bool, profile: &'static str| {
        json!({"resourceType": "Location", "id": id, "meta": meta(version_id, since, profile),
               "status": status(closed), "name": name, "mode": "instance", "managingOrganization": managing})
    };
    let main_address = org.actual_address.as_ref().unwrap_or(&org.legal_address);
    let mut facility = base(oid, &org.name_full, liquidated, "IHE.mCSD.FacilityLocation");
    facility["identifier"] = json!([oid_identifier(oid, "OID ФРМО")]);
    facility["type"] = json!([facility_type()]);
    facility["address"] = json!(address(main_address, region, "physical"));
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
        building["address"] = json!(address(&b.address, region, "physical"));
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
