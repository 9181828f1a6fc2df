//! ИПС request bodies read into the card's parts: a department (with its hospital subdivisions and
//! beds) and a building. Codes may come as `{id, …}` objects or bare numbers; dates in any ISO form
//! (`2024-03-01`, `2024-03-01T00:00:00`, with a fraction or a zone); the older spellings public
//! clients still send (`isAccesibleEnv`) are read too. Every problem names its field.

use frmo_domain::error::ValidationError;
use frmo_domain::ident::{DepartmentOid, PostIndex, RegionCode, SubdivisionOid};
use frmo_domain::org::{Address, BedCount, Building, Department, HospitalSubdivision};
use serde_json::Value;
use time::Date;

type Errors = Vec<ValidationError>;

fn text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A code given as `{"id": 3, …}`, `{"code": 3, …}` or `3`.
fn code(value: &Value) -> Option<u32> {
    let inner = match value {
        Value::Object(map) => map.get("id").or_else(|| map.get("code")).unwrap_or(&Value::Null),
        other => other,
    };
    match inner {
        Value::Number(n) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A date in any ISO form; `None` for null or absent; an error naming `field` otherwise.
fn date(value: &Value, field: &'static str, label: &'static str, errors: &mut Errors) -> Option<Date> {
    let text = text(value)?;
    let head = text.get(..10).unwrap_or(&text);
    match frmo_domain::date::read(head) {
        Some(date) => Some(date),
        None => {
            errors.push(ValidationError::new(field, label, "ожидается дата вида 2024-03-01 или 2024-03-01T00:00:00"));
            None
        }
    }
}

fn number(value: &Value, field: &'static str, label: &'static str, errors: &mut Errors) -> u32 {
    match value {
        Value::Null => 0,
        other => code(other).unwrap_or_else(|| {
            errors.push(ValidationError::new(field, label, "ожидается целое неотрицательное число"));
            0
        }),
    }
}

fn flag(body: &Value, keys: &[&str]) -> Option<bool> {
    keys.iter().find_map(|key| body.get(*key).and_then(Value::as_bool))
}

/// A department as a `POST`/`PUT org/depart` body describes it. `existing` gives what the body
/// leaves out on `PUT`; new subdivisions get the numbers after `existing`'s.
pub fn department(
    body: &Value,
    oid: DepartmentOid,
    existing: Option<&Department>,
    today: Date,
) -> Result<Department, Errors> {
    let mut errors = Vec::new();
    let name = text(&body["departName"]).or_else(|| existing.map(|d| d.depart_name.clone()));
    let kind = code(&body["departTypeId"]).or(existing.map(|d| d.depart_type_id));
    if name.is_none() {
        errors.push(ValidationError::new("departName", "Наименование подразделения", "не заполнено"));
    }
    if kind.is_none() {
        errors.push(ValidationError::new("departTypeId", "Тип подразделения", "не указан"));
    }
    let create_date = date(&body["createDate"], "createDate", "Дата создания", &mut errors)
        .or(existing.map(|d| d.create_date))
        .unwrap_or(today);
    let liquidation_date = date(&body["liquidationDate"], "liquidationDate", "Дата ликвидации", &mut errors)
        .or(existing.and_then(|d| d.liquidation_date));
    let mut hospital_subdivisions = existing.map(|d| d.hospital_subdivisions.clone()).unwrap_or_default();
    if let Some(items) = body["departHospital"]["hospitalSubdivision"].as_array() {
        hospital_subdivisions = subdivisions(items, &oid, existing, &mut errors);
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Department {
        oid,
        depart_name: name.unwrap_or_default(),
        depart_type_id: kind.unwrap_or_default(),
        separate_depart: flag(body, &["separateDepart"]).or(existing.map(|d| d.separate_depart)).unwrap_or(false),
        create_date,
        liquidation_date,
        hospital_subdivisions,
    })
}

fn subdivisions(
    items: &[Value],
    department: &DepartmentOid,
    existing: Option<&Department>,
    errors: &mut Errors,
) -> Vec<HospitalSubdivision> {
    let mut next =
        existing.into_iter().flat_map(|d| &d.hospital_subdivisions).map(|s| s.oid.number()).max().unwrap_or(0);
    let mut out = Vec::new();
    for item in items {
        let oid = match text(&item["oid"]) {
            Some(text) => match SubdivisionOid::parse(&text) {
                Ok(oid) if oid.department() == department => Some(oid),
                Ok(_) => {
                    errors.push(ValidationError::new(
                        "hospitalSubdivision.oid",
                        "OID отделения",
                        "принадлежит другому подразделению",
                    ));
                    None
                }
                Err(error) => {
                    errors.push(error);
                    None
                }
            },
            None => {
                next += 1;
                SubdivisionOid::new(department, next).map_err(|e| errors.push(e)).ok()
            }
        };
        let Some(oid) = oid else { continue };
        let mut beds = Vec::new();
        for bed in item["hospitalSubdivisionBeds"].as_array().into_iter().flatten() {
            match code(&bed["bedProfileId"]) {
                Some(bed_profile_id) => beds.push(BedCount {
                    bed_profile_id,
                    bed_count: number(&bed["bedCount"], "hospitalSubdivisionBeds.bedCount", "Число коек", errors),
                }),
                None => errors.push(ValidationError::new(
                    "hospitalSubdivisionBeds.bedProfileId",
                    "Профиль коек",
                    "не указан",
                )),
            }
        }
        out.push(HospitalSubdivision {
            oid,
            subdivision_name: text(&item["subdivisionName"]).unwrap_or_default(),
            liquidation_date: date(
                &item["liquidationDate"],
                "hospitalSubdivision.liquidationDate",
                "Дата ликвидации",
                errors,
            ),
            beds,
        });
    }
    out
}

/// An ФРМО `Address` object read into ours; the line is composed from its parts.
pub fn address(value: &Value, place: &Value, region: RegionCode, errors: &mut Errors) -> Address {
    let part = |key: &str| text(&value[key]);
    let address_region = code(&value["region"]).and_then(|c| u8::try_from(c).ok()).and_then(RegionCode::from_code);
    let post_index = text(&place["postIndex"]).or_else(|| part("postIndex"));
    let post_index = post_index.and_then(|p| PostIndex::parse(&p).map_err(|e| errors.push(e)).ok());
    let mut address = Address {
        post_index,
        area_name: part("areaName"),
        prefix_area: part("prefixArea"),
        street_name: part("streetName"),
        prefix_street: part("prefixStreet"),
        house: part("house"),
        building: part("building"),
        houseguid: part("houseguid").or_else(|| part("GARguid")),
        latitude: place["latitude"].as_f64().filter(|v| *v != 0.0),
        longitude: place["longitude"].as_f64().filter(|v| *v != 0.0),
        region: address_region.filter(|r| *r != region),
        cadastral_number: text(&place["cadastralNumber"]),
        aoid_area: part("aoidArea"),
        aoid_street: part("aoidStreet"),
        structure: part("struct"),
        ..Address::default()
    };
    address.text = part("addressText").unwrap_or_else(|| crate::register::nsi::address_line(&address, region));
    address
}

/// A building as a `POST`/`PUT org/building` body describes it.
pub fn building(body: &Value, id: String, existing: Option<&Building>, region: RegionCode) -> Result<Building, Errors> {
    let mut errors = Vec::new();
    let name = text(&body["buildName"]).or_else(|| existing.map(|b| b.build_name.clone()));
    if name.is_none() {
        errors.push(ValidationError::new("buildName", "Наименование здания", "не заполнено"));
    }
    let place = &body["buildingAddress"];
    let address = if place["address"].is_object() {
        self::address(&place["address"], place, region, &mut errors)
    } else {
        match existing {
            Some(b) => b.address.clone(),
            None => {
                errors.push(ValidationError::new("buildingAddress", "Адрес здания", "не заполнен"));
                Address::default()
            }
        }
    };
    let count = |key: &'static str, label: &'static str, old: Option<u32>, errors: &mut Errors| match &body[key] {
        Value::Null => old.unwrap_or(0),
        value => number(value, key, label, errors),
    };
    let floor_count = count("floorCount", "Этажность", existing.map(|b| u32::from(b.floor_count)), &mut errors);
    let build_year =
        count("buildYear", "Год постройки", existing.and_then(|b| b.build_year).map(u32::from), &mut errors);
    let capacity_visitors =
        count("capacityVisitors", "Мощность (посещений в смену)", existing.map(|b| b.capacity_visitors), &mut errors);
    let capacity_beds = count("capacityBeds", "Коечная мощность", existing.map(|b| b.capacity_beds), &mut errors);
    let liquidation_date = date(&body["liquidationDate"], "liquidationDate", "Дата ликвидации", &mut errors)
        .or(existing.and_then(|b| b.liquidation_date));
    let small = |value: u32, field: &'static str, label: &'static str, errors: &mut Errors| {
        u16::try_from(value).unwrap_or_else(|_| {
            errors.push(ValidationError::new(field, label, "слишком большое значение"));
            0
        })
    };
    let floor_count = small(floor_count, "floorCount", "Этажность", &mut errors);
    let build_year = small(build_year, "buildYear", "Год постройки", &mut errors);
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Building {
        id,
        build_name: name.unwrap_or_default(),
        address,
        floor_count,
        build_year: (build_year > 0).then_some(build_year),
        capacity_visitors,
        capacity_beds,
        is_accessible_env: flag(body, &["isAccessibleEnv", "isAccesibleEnv"])
            .or(existing.map(|b| b.is_accessible_env))
            .unwrap_or(false),
        liquidation_date,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_department_body_reads_codes_dates_and_beds_in_every_form() {
        let org = frmo_domain::ident::OrgOid::parse("1.2.643.5.1.13.13.12.2.78.6258").expect("oid");
        let oid = DepartmentOid::new(&org, 7).expect("department");
        let today = Date::from_calendar_date(2026, time::Month::December, 6).expect("date");
        let body = json!({
            "departName": "Хирургия", "departTypeId": {"id": 2, "departType": "x"}, "isPlaned": false,
            "createDate": "2022-03-01T00:00:00.0000000Z",
            "departHospital": {"hospitalSubdivision": [{"subdivisionName": "Палаты", "hospitalSubdivisionBeds": [{"bedProfileId": {"id": 3}, "bedCount": 12}]}]}
        });
        let d = department(&body, oid.clone(), None, today).expect("department");
        assert_eq!((d.depart_name.as_str(), d.depart_type_id, d.create_date.year()), ("Хирургия", 2, 2022));
        assert_eq!(d.hospital_subdivisions[0].oid.as_str(), format!("{}.1", oid.as_str()));
        assert_eq!(d.hospital_subdivisions[0].beds, [BedCount { bed_profile_id: 3, bed_count: 12 }]);

        let errors = department(&json!({"createDate": "01/03/2022"}), oid, None, today).expect_err("bad");
        let fields: Vec<&str> = errors.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["departName", "departTypeId", "createDate"]);
    }
}
