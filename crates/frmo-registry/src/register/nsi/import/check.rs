//! A raw record checked into the fields of a card (codes decide, names inform), merged into the
//! card it changes, and the card an ИПС body makes.

use frmo_domain::error::ValidationError;
use frmo_domain::ident::{Inn, Kpp, Ogrn, Ogrnip, OrgOid, PostIndex, RegionCode};
use frmo_domain::org::{Address, Contacts, NsiDetails, OrgStatus, Organization};
use frmo_domain::reference;
use serde_json::Value;
use time::Date;

use super::read::from_frmo_api;
use super::{RawRecord, at};

/// `dd.MM.yyyy`, as НСИ writes dates.
pub(super) fn nsi_date(field: &'static str, text: &str) -> std::result::Result<Date, ValidationError> {
    let format = time::macros::format_description!("[day].[month].[year]");
    match text.as_bytes() {
        [_, _, b'.', _, _, b'.', _, _, _, _] => {
            Date::parse(text, format).map_err(|_| at(field, format!("нет такой даты: «{text}»")))
        }
        _ => Err(at(field, format!("ожидается дата в виде ДД.ММ.ГГГГ, получено «{text}»"))),
    }
}

/// Whether two spellings of a directory name are the same name: case, dashes (hyphen, en and em
/// dash), runs of spaces and «ё» aside.
pub(super) fn same_name(a: &str, b: &str) -> bool {
    fn folded(text: &str) -> impl Iterator<Item = char> + '_ {
        text.split_whitespace()
            .flat_map(|word| std::iter::once(' ').chain(word.chars()))
            .skip(1)
            .flat_map(char::to_lowercase)
            .map(|c| match c {
                '\u{2010}'..='\u{2015}' | '\u{2212}' => '-',
                'ё' => 'е',
                c => c,
            })
    }
    a == b || folded(a).eq(folded(b))
}

/// The id of a directory entry named `name` (spelled loosely: [`same_name`]).
pub(super) fn id_by_name(directory: &str, name: &str) -> Option<u32> {
    let entries = &reference::get(directory)?.entries;
    let name = name.trim();
    entries.iter().find(|e| e.name == name).or_else(|| entries.iter().find(|e| same_name(&e.name, name))).map(|e| e.id)
}

/// A record's checks: errors refuse the file, warnings are listed with what was imported.
#[derive(Default)]
pub(super) struct Findings {
    errors: Vec<ValidationError>,
    warnings: Vec<ValidationError>,
}

impl Findings {
    /// A warning when the name a file gives for `code` is not ours (codes decide, names inform).
    fn name_beside(&mut self, name_field: &'static str, name: &str, code: impl std::fmt::Display, ours: &str) {
        if !name.is_empty() && !same_name(name, ours) {
            let message = format!("«{name}» — в справочнике для кода {code} «{ours}»; загружено по коду");
            self.warnings.push(at(name_field, message));
        }
    }
}

/// The entry of `directory` with code `code` (text of the file), or an error on `field`.
pub(super) fn entry_of(
    findings: &mut Findings,
    field: &'static str,
    code: &str,
    directory: &str,
) -> Option<(u32, &'static str)> {
    let entry = code.parse::<u32>().ok().and_then(|c| reference::get(directory)?.entry(c));
    if entry.is_none() {
        findings.errors.push(at(field, format!("нет кода «{code}» в справочнике")));
    }
    entry.map(|e| (e.id, e.name.as_str()))
}

/// A required directory code, the name beside it informing.
pub(super) fn code_in(
    record: &RawRecord,
    findings: &mut Findings,
    (code_field, name_field): (&'static str, &'static str),
    directory: &str,
) -> Option<u32> {
    let code = record.get(code_field);
    if code.is_empty() {
        findings.errors.push(at(code_field, "не заполнено"));
        return None;
    }
    let (id, ours) = entry_of(findings, code_field, code, directory)?;
    findings.name_beside(name_field, record.get(name_field), code, ours);
    Some(id)
}

/// An optional directory value given by its name, or by the code the ФРМО API gives beside it.
pub(super) fn named_in(
    record: &RawRecord,
    findings: &mut Findings,
    field: &'static str,
    code: Option<&str>,
    directory: &str,
) -> Option<u32> {
    let name = record.get(field);
    if let Some(code) = code {
        let (id, ours) = entry_of(findings, field, code, directory)?;
        findings.name_beside(field, name, code, ours);
        return Some(id);
    }
    if name.is_empty() {
        return None;
    }
    let found = id_by_name(directory, name);
    if found.is_none() {
        findings.errors.push(at(field, format!("нет значения «{name}» в справочнике")));
    }
    found
}

/// A whole number of an optional field (a code or an id).
pub(super) fn whole(record: &RawRecord, errors: &mut Vec<ValidationError>, field: &'static str) -> Option<u64> {
    let text = record.get(field);
    if text.is_empty() {
        return None;
    }
    let number = text.parse::<u64>().ok();
    if number.is_none() {
        errors.push(at(field, format!("ожидается целое число, получено «{text}»")));
    }
    number
}

pub(super) fn optional(text: &str) -> Option<String> {
    (!text.is_empty()).then(|| text.to_owned())
}

pub(super) fn coordinate(
    record: &RawRecord,
    errors: &mut Vec<ValidationError>,
    field: &'static str,
    limit: f64,
) -> Option<f64> {
    let text = record.get(field);
    if text.is_empty() {
        return None;
    }
    match text.replace(',', ".").parse::<f64>() {
        Ok(v) if v.is_finite() && v.abs() <= limit => Some(v),
        _ => {
            errors.push(at(field, format!("ожидается число от −{limit} до {limit}, получено «{text}»")));
            None
        }
    }
}

/// The value of a field's parse, or its error (renamed to the 1461 field) in `errors`.
pub(super) fn check<T>(
    field: &'static str,
    result: std::result::Result<T, ValidationError>,
    errors: &mut Vec<ValidationError>,
) -> Option<T> {
    result.map_err(|e| errors.push(at(field, e.message))).ok()
}

/// The 1461 fields of a record, checked one by one.
pub(super) struct Fields {
    pub(super) oid: OrgOid,
    pub(super) old_oid: Option<String>,
    pub(super) parent_oid: Option<OrgOid>,
    pub(super) name_full: String,
    pub(super) name_short: String,
    pub(super) organization_type_id: u32,
    pub(super) medical_subject_id: u32,
    pub(super) mo_agency_kind_id: u32,
    pub(super) mo_level_id: Option<u32>,
    pub(super) mo_dept_name: Option<String>,
    pub(super) founder: Option<String>,
    pub(super) inn: Inn,
    pub(super) ogrn: Option<Ogrn>,
    pub(super) ogrnip: Option<Ogrnip>,
    pub(super) kpp: Option<Kpp>,
    pub(super) region: RegionCode,
    pub(super) delete_date: Option<Date>,
    pub(super) delete_reason_id: Option<u32>,
    pub(super) create_date: Option<Date>,
    pub(super) modify_date: Option<Date>,
    pub(super) address: Address,
    pub(super) nsi: NsiDetails,
    /// Names that differ from ours for known codes: imported, listed in the report.
    pub(super) warnings: Vec<ValidationError>,
}

pub(super) fn fields(record: &RawRecord) -> std::result::Result<Fields, Vec<ValidationError>> {
    let mut findings = Findings::default();
    let errors = &mut findings.errors;
    let oid = check("oid", OrgOid::parse(record.get("oid")), errors);
    let parent_oid = match record.get("parentId") {
        "" => None,
        text => check("parentId", OrgOid::parse(text), errors),
    };
    let required = |field: &'static str, errors: &mut Vec<ValidationError>| {
        let text = record.get(field);
        if text.is_empty() {
            errors.push(at(field, "не заполнено"));
        }
        text.to_owned()
    };
    let name_full = required("nameFull", errors);
    let name_short = required("nameShort", errors);
    let inn = match record.get("inn") {
        "" => {
            errors.push(at("inn", "не заполнено"));
            None
        }
        text => check("inn", Inn::parse(text), errors),
    };
    let kpp = match record.get("kpp") {
        "" => None,
        text => check("kpp", Kpp::parse(text), errors),
    };
    let (mut ogrn, mut ogrnip) = (None, None);
    match record.get("ogrn") {
        "" => {}
        text if text.len() == 15 => ogrnip = check("ogrn", Ogrnip::parse(text), errors),
        text => ogrn = check("ogrn", Ogrn::parse(text), errors),
    }
    let region = |field: &'static str, errors: &mut Vec<ValidationError>| match record.get(field) {
        "" => None,
        text => check(field, RegionCode::parse(text), errors),
    };
    let org_region = region("regionId", errors);
    if record.get("regionId").is_empty() {
        errors.push(at("regionId", "не заполнено"));
    }
    let address_region = region("addrRegionId", errors);
    region("territoryCode", errors);
    if !["", "true", "false"].contains(&record.get("isFederalCity")) {
        errors.push(at("isFederalCity", "ожидается true или false"));
    }
    let nsi_id = whole(record, errors, "id");
    let mo_dept_id = whole(record, errors, "moDeptId");
    let profile_agency_kind_id = whole(record, errors, "profileAgencyKindId");
    let date = |field: &'static str, errors: &mut Vec<ValidationError>| match record.get(field) {
        "" => None,
        text => nsi_date(field, text).map_err(|e| errors.push(e)).ok(),
    };
    let delete_date = date("deleteDate", errors);
    let create_date = date("createDate", errors);
    let modify_date = date("modifyDate", errors);
    for (field, value) in [("createDate", create_date), ("modifyDate", modify_date)] {
        if value.is_none() && record.get(field).is_empty() && !record.from_api {
            errors.push(at(field, "не заполнено"));
        }
    }
    let post_index = match record.get("postIndex") {
        "" => None,
        text => check("postIndex", PostIndex::parse(text), errors),
    };
    let latitude = coordinate(record, errors, "latitude", 90.0);
    let longitude = coordinate(record, errors, "longtitude", 180.0);
    // A subject's name is right in either spelling, НСИ 99.2.206's or ФРМО's.
    for (field, code) in [("regionName", org_region), ("addrRegionName", address_region)] {
        let Some(code) = code else { continue };
        let name = record.get(field);
        if !same_name(name, code.name()) {
            findings.name_beside(field, name, code, code.frmo_name());
        }
    }
    let medical_subject_id =
        code_in(record, &mut findings, ("medicalSubjectId", "medicalSubjectName"), "medical_subject_kinds");
    let mo_agency_kind_id = code_in(record, &mut findings, ("moAgencyKindId", "moAgencyKind"), "agency_kinds");
    // `organizationType` is the directory's code (as НСИ publishes it) or, from older files, its name.
    let organization_type_id = match record.get("organizationType") {
        "" => {
            findings.errors.push(at("organizationType", "не заполнено"));
            None
        }
        text if text.bytes().all(|b| b.is_ascii_digit()) => {
            entry_of(&mut findings, "organizationType", text, "organization_types").map(|(id, _)| id)
        }
        _ => named_in(record, &mut findings, "organizationType", None, "organization_types"),
    };
    let mo_level_id = named_in(record, &mut findings, "moLevel", record.level_code.as_deref(), "levels");
    let delete_reason_id =
        named_in(record, &mut findings, "deleteReason", record.delete_reason_code.as_deref(), "delete_reasons");
    if delete_date.is_none() && record.get("deleteDate").is_empty() && delete_reason_id.is_some() {
        findings.errors.push(at("deleteReason", "указана без даты исключения"));
    }
    let Findings { errors, warnings } = findings;
    let (
        Some(oid),
        Some(inn),
        Some(region),
        Some(organization_type_id),
        Some(medical_subject_id),
        Some(mo_agency_kind_id),
        true,
    ) = (oid, inn, org_region, organization_type_id, medical_subject_id, mo_agency_kind_id, errors.is_empty())
    else {
        return Err(errors);
    };
    let address = Address {
        post_index,
        text: String::new(),
        area_name: optional(record.get("areaName")),
        prefix_area: optional(record.get("prefixArea")),
        street_name: optional(record.get("streetName")),
        prefix_street: optional(record.get("prefixStreet")),
        house: optional(record.get("house")),
        building: optional(record.get("building")),
        houseguid: optional(record.get("houseid")),
        latitude,
        longitude,
        // Kept only where it is not the organization's: a card has one region unless it says two.
        region: address_region.filter(|r| *r != region),
        cadastral_number: optional(record.get("cadastralNumber")),
        fias_version: optional(record.get("fiasVersion")),
        aoid_area: optional(record.get("aoidArea")),
        aoid_street: optional(record.get("aoidStreet")),
        structure: optional(record.get("struct")),
    };
    let nsi = NsiDetails {
        // Kept only when it is not the id every publication derives from the OID.
        id: nsi_id.filter(|id| Some(*id) != crate::register::nsi::stable_id(oid.as_str())),
        mo_dept_id,
        profile_agency_kind_id,
        profile_agency_kind: optional(record.get("profileAgencyKind")),
        parent_osp_oid: optional(record.get("parentOspOid")),
        osp_oid: optional(record.get("ospOid")),
        children_osp_oid: optional(record.get("childrenOspOid")),
    };
    Ok(Fields {
        oid,
        old_oid: optional(record.get("oldOid")),
        parent_oid,
        name_full,
        name_short,
        organization_type_id,
        medical_subject_id,
        mo_agency_kind_id,
        mo_level_id,
        mo_dept_name: optional(record.get("moDeptName")),
        founder: optional(record.get("founder")),
        inn,
        ogrn,
        ogrnip,
        kpp,
        region,
        delete_date,
        delete_reason_id,
        create_date,
        modify_date,
        address,
        nsi,
        warnings,
    })
}

/// The address line of an address's parts: «443001, Самарская область, г. Самара, ул. Чапаевская, д. 227».
pub(crate) fn address_line(address: &Address, region: RegionCode) -> String {
    let prefixed = |prefix: &Option<String>, name: &Option<String>| match (prefix, name) {
        (_, None) => None,
        (Some(p), Some(n)) if !p.is_empty() => Some(format!("{}{} {n}", p, if p.ends_with('.') { "" } else { "." })),
        (_, Some(n)) => Some(n.clone()),
    };
    [
        address.post_index.as_ref().map(|p| p.as_str().to_owned()),
        Some(address.region.unwrap_or(region).name().to_owned()),
        prefixed(&address.prefix_area, &address.area_name),
        prefixed(&address.prefix_street, &address.street_name),
        address.house.as_ref().map(|h| format!("д. {h}")),
        address.building.as_ref().map(|b| format!("корп. {b}")),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(", ")
}

/// Sets the 1461 parts of `target`; the address line is rebuilt only when they changed.
pub(super) fn merge_address(target: &mut Address, parts: Address, region: RegionCode) {
    let before = target.clone();
    target.post_index = parts.post_index;
    target.area_name = parts.area_name;
    target.prefix_area = parts.prefix_area;
    target.street_name = parts.street_name;
    target.prefix_street = parts.prefix_street;
    target.house = parts.house;
    target.building = parts.building;
    target.houseguid = parts.houseguid;
    target.latitude = parts.latitude;
    target.longitude = parts.longitude;
    target.region = parts.region;
    target.cadastral_number = parts.cadastral_number;
    target.fias_version = parts.fias_version;
    target.aoid_area = parts.aoid_area;
    target.aoid_street = parts.aoid_street;
    target.structure = parts.structure;
    if *target != before || target.text.is_empty() {
        target.text = address_line(target, region);
    }
}

/// The card a record makes: `existing` with its 1461 fields replaced, or a new card (created
/// `today` when the record has no dates).
pub(super) fn merge(fields: Fields, existing: Option<&Organization>, today: Date) -> Organization {
    let mut org = match existing {
        Some(org) => org.clone(),
        None => Organization {
            oid: fields.oid.clone(),
            old_oid: None,
            parent_oid: None,
            name_full: String::new(),
            name_short: String::new(),
            organization_type_id: fields.organization_type_id,
            medical_subject_id: fields.medical_subject_id,
            mo_agency_kind_id: fields.mo_agency_kind_id,
            mo_level_id: None,
            mo_dept_name: None,
            founder: None,
            inn: fields.inn.clone(),
            ogrn: None,
            ogrnip: None,
            kpp: None,
            region_id: fields.region,
            legal_address: Address::default(),
            actual_address: None,
            contacts: Contacts::default(),
            head_full_name: None,
            bank: None,
            status: OrgStatus::Active,
            delete_date: None,
            delete_reason_id: None,
            create_date: today,
            modify_date: today,
            departments: Vec::new(),
            buildings: Vec::new(),
            licences: Vec::new(),
            nsi: NsiDetails::default(),
        },
    };
    org.old_oid = fields.old_oid;
    org.parent_oid = fields.parent_oid;
    org.name_full = fields.name_full;
    org.name_short = fields.name_short;
    org.organization_type_id = fields.organization_type_id;
    org.medical_subject_id = fields.medical_subject_id;
    org.mo_agency_kind_id = fields.mo_agency_kind_id;
    org.mo_level_id = fields.mo_level_id;
    org.mo_dept_name = fields.mo_dept_name;
    org.founder = fields.founder;
    org.inn = fields.inn;
    org.ogrn = fields.ogrn;
    org.ogrnip = fields.ogrnip;
    org.kpp = fields.kpp;
    org.region_id = fields.region;
    org.nsi = fields.nsi;
    org.create_date = fields.create_date.unwrap_or(org.create_date);
    org.modify_date = fields.modify_date.unwrap_or(org.modify_date);
    org.delete_date = fields.delete_date;
    org.delete_reason_id = fields.delete_reason_id;
    org.status = match (fields.delete_date, org.status) {
        (Some(_), OrgStatus::Suspended) => OrgStatus::Suspended,
        (Some(_), _) => OrgStatus::Liquidated,
        (None, OrgStatus::Liquidated) => OrgStatus::Active,
        (None, status) => status,
    };
    let region = org.region_id;
    match org.actual_address.as_mut() {
        Some(actual) => merge_address(actual, fields.address, region),
        None => merge_address(&mut org.legal_address, fields.address, region),
    }
    org
}

/// The card an ИПС `PUT org` body makes of `current`: read as the import reads ФРМО API cards
/// (codes decide, what the body does not carry is kept), then checked.
pub(crate) fn card_from_api(
    body: &Value,
    current: &Organization,
    today: Date,
) -> std::result::Result<Organization, Vec<ValidationError>> {
    let fields = fields(&from_frmo_api(body, 1))?;
    let after = merge(fields, Some(current), today);
    after.validate().map_err(|errors| errors.into_iter().map(card_field).collect::<Vec<_>>())?;
    Ok(after)
}

/// The 1461 field a card rule's error belongs to.
pub(super) fn card_field(error: ValidationError) -> ValidationError {
    let field = match error.field {
        "organizationTypeId" => "organizationType",
        "ogrnip" => "ogrn",
        "moLevelId" => "moLevel",
        "deleteReasonId" => "deleteReason",
        "nameFull" | "nameShort" | "inn" | "ogrn" | "kpp" | "medicalSubjectId" | "moAgencyKindId" | "deleteDate" => {
            error.field
        }
        _ => return error,
    };
    at(field, error.message)
}
