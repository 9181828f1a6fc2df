//! ФРМР workers as `Practitioner` (an organization's record of a person) and `PractitionerRole`
//! (an employment card). What is personal (СНИЛС, birth date, sex, contacts) is in the registry's
//! answer only for those who may read it; this file never decides that, it only leaves out what
//! it was not given.

use frmo_domain::org::Organization;
use frmo_registry::integration::fhir::{DirectoryPerson, EmploymentCard, WorkerDirectory};
use serde_json::{Value, json};

use super::resources::{SNILS, coding, concept};

const MCSD: &str = "https://profiles.ihe.net/ITI/mCSD/StructureDefinition/";

fn code(value: i64) -> u32 {
    u32::try_from(value).unwrap_or_default()
}

fn period(start: &str, end: Option<&str>) -> Value {
    let mut period = json!({"start": start});
    if let Some(end) = end {
        period["end"] = json!(end);
    }
    period
}

/// The person's full name as printed.
fn full_name(p: &DirectoryPerson) -> String {
    [Some(p.last_name.as_str()), Some(p.first_name.as_str()), p.patronymic.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ")
}

pub fn practitioner(p: &DirectoryPerson) -> Value {
    let given: Vec<&str> = [Some(p.first_name.as_str()), p.patronymic.as_deref()].into_iter().flatten().collect();
    let qualifications: Vec<Value> = p
        .credentials
        .iter()
        .map(|(kind, specialty, issued, until)| {
            let mut q = json!({"code": concept("specialties", code(*specialty))
                .unwrap_or_else(|| json!({"text": specialty.to_string()})),
                "period": period(issued, Some(until))});
            if let Some(kind) = coding("credential_kinds", code(*kind)).and_then(|c| c.get("display").cloned()) {
                q["code"]["text"] = json!(format!(
                    "{}: {}",
                    kind.as_str().unwrap_or_default(),
                    q["code"]["text"].as_str().unwrap_or_default()
                ));
            }
            q
        })
        .collect();
    let mut resource = json!({
        "resourceType": "Practitioner",
        "id": p.id.to_string(),
        "meta": {"profile": [format!("{MCSD}IHE.mCSD.Practitioner")]},
        "active": p.active,
        "name": [{"use": "official", "text": full_name(p), "family": p.last_name, "given": given}],
    });
    if !qualifications.is_empty() {
        resource["qualification"] = json!(qualifications);
    }
    if let Some(personal) = &p.personal {
        resource["identifier"] = json!([{"system": SNILS, "value": personal.snils, "type": {"text": "СНИЛС"}}]);
        resource["birthDate"] = json!(personal.birth_date);
        resource["gender"] = json!(match personal.sex {
            1 => "male",
            2 => "female",
            _ => "unknown",
        });
        let telecom: Vec<Value> = [("phone", &personal.phone), ("email", &personal.email)]
            .into_iter()
            .filter_map(|(system, value)| value.as_ref().map(|v| json!({"system": system, "value": v})))
            .collect();
        if !telecom.is_empty() {
            resource["telecom"] = json!(telecom);
        }
    }
    resource
}

/// The department of a card as a `Location` of the organization's card, when its name is one.
fn department_location(card: &EmploymentCard, org: Option<&Organization>) -> Option<String> {
    let wanted = card.department.trim().to_lowercase();
    let department = org?.departments.iter().find(|d| d.depart_name.trim().to_lowercase() == wanted)?;
    Some(department.oid.as_str().to_owned())
}

pub fn role(card: &EmploymentCard, directory: &WorkerDirectory, org: Option<&Organization>, today: &str) -> Value {
    let specialties: Vec<Value> = directory
        .persons
        .iter()
        .filter(|p| p.id == card.person_id)
        .flat_map(|p| &p.credentials)
        .filter_map(|(_, specialty, _, _)| concept("specialties", code(*specialty)))
        .collect();
    let mut codes = Vec::new();
    codes.extend(concept("positions", code(card.position)));
    codes.extend(concept("employment_types", code(card.position_type)));
    let mut resource = json!({
        "resourceType": "PractitionerRole",
        "id": card.id.to_string(),
        "meta": {"profile": [format!("{MCSD}IHE.mCSD.PractitionerRole")]},
        "active": card.end_date.as_deref().is_none_or(|end| end >= today),
        "period": period(&card.begin_date, card.end_date.as_deref()),
        "practitioner": {"reference": format!("Practitioner/{}", card.person_id)},
        "organization": {"reference": format!("Organization/{}", card.oid)},
        "code": codes,
    });
    if !specialties.is_empty() {
        resource["specialty"] = json!(specialties);
    }
    if let Some(location) = department_location(card, org) {
        resource["location"] = json!([{"reference": format!("Location/{location}"), "display": card.department}]);
    } else if !card.department.is_empty() {
        resource["extension"] =
            json!([{"url": super::resources::DEPARTMENT_EXTENSION, "valueString": card.department}]);
    }
    resource
}
