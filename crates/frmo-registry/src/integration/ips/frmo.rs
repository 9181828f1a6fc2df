//! ФРМО records as the integration service (ИПС) writes them: the organization, its address, its
//! departments (hospital subdivisions and beds inside), buildings, licences and staffing, with the
//! field names and nesting of the public client's models (parusrx `Frmo.Domain/Models`, see
//! `docs/ips.md`). Built from the card the register holds: no second copy of the data.

use frmo_domain::ident::RegionCode;
use frmo_domain::org::{Address, Building, Department, Licence, Organization, iso_date_text};
use frmo_domain::reference;
use serde_json::{Value, json};
use time::Date;

/// A date as the service writes it: midnight, no zone (`2024-03-01T00:00:00`).
pub fn date_time(date: Date) -> String {
    format!("{}T00:00:00", iso_date_text(date))
}

fn optional_date(date: Option<Date>) -> Value {
    date.map_or(Value::Null, |d| Value::String(date_time(d)))
}

fn name_in(directory: &str, code: u32) -> Value {
    reference::get(directory).and_then(|d| d.name_of(code)).map_or(Value::Null, |n| Value::String(n.to_owned()))
}

/// `{id, region, territoryCode, isFederalCity}` — the ФРМО region object.
pub fn region(code: RegionCode) -> Value {
    json!({
        "id": code.code(),
        "region": code.frmo_name(),
        "territoryCode": code.code(),
        "isFederalCity": matches!(code.code(), 77 | 78 | 92),
    })
}

/// The `Address` model.
pub fn address(a: &Address, fallback_region: RegionCode) -> Value {
    json!({
        "aoidArea": a.aoid_area,
        "aoidStreet": a.aoid_street,
        "houseid": Value::Null,
        "houseguid": a.houseguid,
        "GARguid": a.houseguid.clone().unwrap_or_default(),
        "region": region(a.region.unwrap_or(fallback_region)),
        "areaName": a.area_name,
        "prefixArea": a.prefix_area,
        "streetName": a.street_name,
        "prefixStreet": a.prefix_street,
        "house": a.house,
        "building": a.building,
        "struct": a.structure,
        "flat": Value::Null,
        "postIndex": a.post_index.as_ref().map(|p| p.as_str().to_owned()),
        "addressText": a.text,
    })
}

/// The `OrganizationAddress` model (`moAddress`).
fn organization_address(a: &Address, fallback_region: RegionCode) -> Value {
    let region = a.region.unwrap_or(fallback_region);
    json!({
        "address": address(a, fallback_region),
        "addrRegion": {"code": region.code(), "name": region.frmo_name()},
        "cadastralNumber": a.cadastral_number,
        "latitude": a.latitude,
        "longitude": a.longitude,
        "postIndex": a.post_index.as_ref().map(|p| p.as_str().to_owned()),
    })
}

/// The `Organization` model.
pub fn organization(org: &Organization) -> Value {
    let region = org.region_id;
    let place = org.actual_address.as_ref().unwrap_or(&org.legal_address);
    json!({
        "oid": org.oid.as_str(),
        "headOid": org.parent_oid.as_ref().map(|p| p.as_str().to_owned()),
        "nameFull": org.name_full,
        "nameShort": org.name_short,
        "inn": org.inn.as_str(),
        "kpp": org.kpp.as_ref().map(|k| k.as_str().to_owned()),
        "ogrn": org.ogrn.as_ref().map(|o| o.as_str().to_owned()).or_else(|| org.ogrnip.as_ref().map(|o| o.as_str().to_owned())),
        "ogrnDate": Value::Null,
        "legalAddress": address(&org.legal_address, region),
        "orgType": {"code": org.organization_type_id, "name": name_in("organization_types", org.organization_type_id)},
        "structure": [],
        "moDeptId": org.nsi.mo_dept_id.map(|id| json!({"id": id, "parentId": 0, "nameFull": org.mo_dept_name, "nameShort": org.mo_dept_name, "isActive": true})),
        "founder": org.founder,
        "moAddress": organization_address(place, region),
        "createDate": date_time(org.create_date),
        "modifyDate": date_time(org.modify_date),
        "deleteDate": optional_date(org.delete_date),
        "deleteReason": org.delete_reason_id.map(|id| json!({"id": id, "deleteReason": name_in("delete_reasons", id)})),
        "regionId": self::region(region),
        "medicalSubjectId": [{"id": org.medical_subject_id, "medicalSubject": name_in("medical_subject_kinds", org.medical_subject_id)}],
        "oldOid": org.old_oid,
        "moAgencyKindId": {"id": org.mo_agency_kind_id, "parentId": Value::Null, "agencyKind": name_in("agency_kinds", org.mo_agency_kind_id)},
        "moAgencyProfileId": org.nsi.profile_agency_kind_id.map(|id| json!({"id": id, "parentId": Value::Null, "agencyKind": org.nsi.profile_agency_kind})),
        "moLevelId": org.mo_level_id.map(|id| json!({"id": id, "moLevel": name_in("levels", id)})),
        "email": org.contacts.email.clone().unwrap_or_default(),
        "phone": org.contacts.phone,
        "site": org.contacts.site,
        "headFullName": org.head_full_name,
    })
}

/// The `Department` model, hospital subdivisions and their beds inside (`departHospital`).
pub fn department(d: &Department, org: &Organization) -> Value {
    let subdivisions: Vec<Value> = d
        .hospital_subdivisions
        .iter()
        .map(|s| {
            json!({
                "oid": s.oid.as_str(),
                "subdivisionName": s.subdivision_name,
                "healthCareProfile": [],
                "services": [],
                "liquidationDate": optional_date(s.liquidation_date),
                "hospitalSubdivisionBeds": s.beds.iter().map(|b| json!({
                    "bedProfileId": {"id": b.bed_profile_id, "bedProfile": name_in("bed_profiles", b.bed_profile_id)},
                    "bedCount": b.bed_count,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "oid": d.oid.as_str(),
        "departName": d.depart_name,
        "departStructure": {"level": "1", "headDepart": ""},
        "medicalSubjectId": org.medical_subject_id,
        "isPlanned": false,
        "departTypeId": {"id": d.depart_type_id, "departType": name_in("department_types", d.depart_type_id)},
        "departKindId": Value::Null,
        "separateDepart": d.separate_depart,
        "createDate": date_time(d.create_date),
        "liquidationDate": optional_date(d.liquidation_date),
        "departHospital": if subdivisions.is_empty() { Value::Null } else { json!({"hospitalSubdivision": subdivisions}) },
    })
}

/// The `Building` model.
pub fn building(b: &Building, org: &Organization) -> Value {
    let a = &b.address;
    let region = a.region.unwrap_or(org.region_id);
    json!({
        "id": b.id,
        "buildName": b.build_name,
        "buildYear": b.build_year.unwrap_or_default(),
        "beginDate": date_time(org.create_date),
        "liquidationDate": optional_date(b.liquidation_date),
        "floorCount": b.floor_count,
        "hasTrouble": false,
        "capacityVisitors": b.capacity_visitors,
        "capacityBeds": b.capacity_beds,
        "isAccessibleEnv": b.is_accessible_env,
        "cadastralNumber": a.cadastral_number,
        "buildingAddress": {
            "addrRegion": region.frmo_name(),
            "postIndex": a.post_index.as_ref().map(|p| p.as_str().to_owned()),
            "address": address(a, org.region_id),
            "cadastralNumber": a.cadastral_number,
            "latitude": a.latitude.unwrap_or_default(),
            "longitude": a.longitude.unwrap_or_default(),
        },
    })
}

/// The `License` model; `guid` is the licence's number, which identifies it in the card.
pub fn licence(l: &Licence) -> Value {
    let services = |works: &[frmo_domain::org::LicensedWork]| -> Vec<Value> {
        fn flatten(works: &[frmo_domain::org::LicensedWork], out: &mut Vec<Value>) {
            for w in works {
                out.push(json!({"licensedService": w.name, "active": true}));
                flatten(&w.children, out);
            }
        }
        let mut out = Vec::new();
        flatten(works, &mut out);
        out
    };
    json!({
        "guid": l.license_number,
        "isNotification": false,
        "licenseNumber": l.license_number,
        "statusId": {"id": Value::Null, "licenseStatus": l.status.label()},
        "licenseDate": date_time(l.license_date),
        "licenseBeginDate": date_time(l.license_begin_date),
        "licenseEnd": optional_date(l.license_end),
        "licenserId": {"id": Value::Null, "licenser": l.licenser},
        "nrPmuLicApplication": {
            "nrPmuLicAppobj": l.places.iter().map(|p| json!({
                "address": {"addressText": p.address},
                "nrPmuLicAppobjService": services(&p.works),
            })).collect::<Vec<_>>(),
        },
    })
}
