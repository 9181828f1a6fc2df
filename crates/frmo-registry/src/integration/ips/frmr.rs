//! ФРМР as the integration service serves it: `person/list`, `person`, `person/full` (the person with
//! their employment cards, `personCard`), and `person/card` to add, change and close a card. The
//! caller sees the workers of the organizations it acts for, with personal data unmasked only where
//! a member would see it, and every such read is journaled in the organization (as the cabinet's).
//! A person is kept per employer (issue #17): what one organization writes never changes what
//! another sees.

use frmo_domain::access::{Action, Actor, Target};
use frmo_domain::error::ValidationError;
use frmo_domain::ident::{OrgOid, Snils};
use frmo_domain::reference;
use frmo_domain::worker::Sex;
use frmo_store::workers::{CardRecord, PersonRecord};
use serde_json::{Value, json};

use super::Page;
use crate::Caller;
use crate::workers::WorkerForm;
use crate::{Registry, RegistryError, Result};

fn date_time(iso: &str) -> Value {
    if iso.is_empty() { Value::Null } else { Value::String(format!("{iso}T00:00:00")) }
}

fn name_in(directory: &str, code: i64) -> Value {
    let name = u32::try_from(code).ok().and_then(|c| reference::get(directory).and_then(|d| d.name_of(c)));
    name.map_or(Value::Null, |n| Value::String(n.to_owned()))
}

/// The `Person` model; personal data only when `personal`.
fn person(p: &PersonRecord, personal: bool) -> Value {
    let hidden = |v: Value| if personal { v } else { Value::Null };
    json!({
        "mr": true,
        "student": false,
        "isMedicalWorker": true,
        "isPharmWorker": false,
        "oid": p.id.to_string(),
        "lastName": p.last_name,
        "firstName": p.first_name,
        "patronymic": p.patronymic,
        "gender": Sex::from_code(p.sex).code(),
        "birthDate": hidden(date_time(&p.birth_date)),
        "snils": hidden(Value::String(p.snils.clone())),
        "citizenShipId": if p.citizenship == 643 { json!({"code": 1, "name": "Гражданин РФ"}) } else { json!({"code": 2, "name": "Иностранный гражданин"}) },
        "oksmId": {"code": p.citizenship, "name": Value::Null},
        "phone": hidden(json!(p.phone)),
        "email": hidden(json!(p.email)),
        "documents": hidden(match &p.document {
            Some(document) => json!([{"documentId": Value::Null, "number": document, "passDate": Value::Null, "passOrg": ""}]),
            None => json!([]),
        }),
        "addresses": [],
    })
}

/// The `PersonCard` model.
fn card(c: &CardRecord, department_oid: Option<&str>) -> Value {
    json!({
        "oid": c.person_id.to_string(),
        "id": c.id.to_string(),
        "organization": c.oid,
        "nrPmuDepartId": department_oid,
        "nrPmuDepartName": c.department,
        "fedPositionId": c.position,
        "fedPosition": name_in("positions", c.position),
        "postId": c.position,
        "postName": name_in("positions", c.position),
        "positionTypeId": c.position_type,
        "positionTypeName": name_in("employment_types", c.position_type),
        "rate": c.rate as f64 / 100.0,
        "beginDate": date_time(&c.begin_date),
        "endDate": c.end_date.as_deref().map_or(Value::Null, date_time),
        "fireReasonId": c.dismissal_reason,
        "services": [],
    })
}

/// Who a `person` call names: `oid` (our person id) or `snils`.
#[derive(Debug, Clone, Default)]
pub struct PersonKey {
    pub oid: Option<String>,
    pub snils: Option<String>,
}

fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.trim().to_owned(),
        Value::Number(n) => n.to_string(),
        _ => String::new(),
    }
}

fn code_of(value: &Value) -> String {
    match value {
        Value::Object(map) => text(map.get("code").or_else(|| map.get("id")).unwrap_or(&Value::Null)),
        other => text(other),
    }
}

fn day(value: &Value) -> String {
    let t = text(value);
    t.get(..10).unwrap_or(&t).to_owned()
}

/// A worker form from an ИПС `Person` and one of their `PersonCard`s (the department named by its
/// OID in `departments`, or by name).
fn worker_form(p: &Value, c: &Value, departments: &[(String, String)]) -> WorkerForm {
    let department_oid = text(&c["nrPmuDepartId"]);
    let department = departments
        .iter()
        .find(|(oid, _)| *oid == department_oid)
        .map(|(_, name)| name.clone())
        .unwrap_or_else(|| text(&c["nrPmuDepartName"]));
    let position =
        [&c["postId"], &c["fedPositionId"]].into_iter().map(text).find(|t| !t.is_empty()).unwrap_or_default();
    let document = p["documents"]
        .as_array()
        .and_then(|d| d.first())
        .map(|d| format!("{} {}", text(&d["serial"]), text(&d["number"])).trim().to_owned())
        .unwrap_or_default();
    // «Гражданин РФ» (citizenShipId 1) is Russia's ОКСМ 643 whatever `oksmId` says.
    let citizenship = if code_of(&p["citizenShipId"]) == "1" { "643".into() } else { code_of(&p["oksmId"]) };
    WorkerForm {
        snils: text(&p["snils"]),
        last_name: text(&p["lastName"]),
        first_name: text(&p["firstName"]),
        patronymic: text(&p["patronymic"]),
        sex: text(&p["gender"]),
        birth_date: day(&p["birthDate"]),
        citizenship,
        phone: text(&p["phone"]),
        email: text(&p["email"]),
        document,
        department,
        position,
        position_type: text(&c["positionTypeId"]),
        rate: text(&c["rate"]),
        begin_date: day(&c["beginDate"]),
        ..WorkerForm::default()
    }
}

/// What we hold of a person, as an ИПС `Person` body (to add a card to a person already here).
fn person_body(p: &PersonRecord) -> Value {
    json!({
        "snils": p.snils, "lastName": p.last_name, "firstName": p.first_name, "patronymic": p.patronymic,
        "gender": p.sex, "birthDate": p.birth_date, "oksmId": {"code": p.citizenship},
        "phone": p.phone, "email": p.email,
        "documents": p.document.as_ref().map(|d| json!([{"number": d}])),
    })
}

impl Registry {
    /// The organization's persons and cards, whether personal data is shown (journaled if so),
    /// and its departments as (OID, name).
    async fn ips_people(
        &self,
        caller: &Caller,
        mo: &OrgOid,
        what: Value,
    ) -> Result<(Vec<PersonRecord>, Vec<CardRecord>, bool, Vec<(String, String)>)> {
        let oid = mo;
        let region = self.organization_region(oid).await?;
        let target = Target::Organization { oid: oid.as_str(), region };
        self.authorize(caller, Action::ReadOrganization, target).await?;
        let personal = self.personal_view(caller, target, what).await?;
        let org = self.card(&Actor::System, oid, None).await?.organization;
        let departments = org.departments.iter().map(|d| (d.oid.as_str().to_owned(), d.depart_name.clone())).collect();
        let persons = self.store.persons_of(oid.as_str()).await?;
        let cards = self.store.cards_of(oid.as_str()).await?;
        Ok((persons, cards, personal, departments))
    }

    /// `person/list?mo=`: the organization's workers, a page of `limit` from `offset`.
    pub async fn ips_person_list(&self, caller: &Caller, mo: &OrgOid, offset: usize, limit: usize) -> Result<Page> {
        let what = json!({"view": "ips person/list", "offset": offset, "limit": limit});
        let (persons, _, personal, _) = self.ips_people(caller, mo, what).await?;
        Ok(Page::of(persons.iter().map(|p| person(p, personal)).collect(), offset, limit))
    }

    /// `person` / `person/full` (`full`: with `personCard`) by our person id or by СНИЛС. Looking a
    /// person up by СНИЛС is a search by it: without the right to see personal data it is answered
    /// as if nobody had it.
    pub async fn ips_person(&self, caller: &Caller, mo: &OrgOid, key: &PersonKey, full: bool) -> Result<Value> {
        let what = json!({"view": if full { "ips person/full" } else { "ips person" }, "oid": key.oid});
        let (persons, cards, personal, departments) = self.ips_people(caller, mo, what).await?;
        let snils = match key.snils.as_deref().filter(|s| !s.trim().is_empty()) {
            Some(s) => Some(Snils::parse(s).map_err(RegistryError::invalid)?),
            None => None,
        };
        let found = persons.iter().find(|p| {
            key.oid.as_deref().is_some_and(|oid| oid.trim() == p.id.to_string())
                || snils.as_ref().is_some_and(|s| personal && s.as_str() == p.snils)
        });
        let Some(found) = found else {
            if key.oid.is_none() && snils.is_none() {
                return Err(RegistryError::invalid(ValidationError::new("oid", "Работник", "укажите oid или snils")));
            }
            return Err(RegistryError::NotFound("Работник не найден".into()));
        };
        let mut value = person(found, personal);
        if full {
            let department = |name: &str| departments.iter().find(|(_, n)| n == name).map(|(oid, _)| oid.as_str());
            value["personCard"] =
                cards.iter().filter(|c| c.person_id == found.id).map(|c| card(c, department(&c.department))).collect();
        }
        Ok(value)
    }

    /// `POST person` with `personCard` (one or a list), or `POST person/card` for a person the
    /// organization already has (`key`): adds the worker's cards, all or nothing; the person's id.
    pub async fn ips_add_cards(
        &self,
        caller: &Caller,
        mo: &OrgOid,
        body: &Value,
        key: Option<&PersonKey>,
    ) -> Result<String> {
        let oid = mo;
        let org = self.card(&Actor::System, oid, None).await?.organization;
        let departments: Vec<(String, String)> =
            org.departments.iter().map(|d| (d.oid.as_str().to_owned(), d.depart_name.clone())).collect();
        let (person, cards) = match key {
            Some(key) => {
                let what = json!({"view": "ips person/card", "oid": key.oid});
                let (persons, _, _, _) = self.ips_people(caller, mo, what).await?;
                let wanted = |p: &&PersonRecord| {
                    key.oid.as_deref().is_some_and(|o| o.trim() == p.id.to_string())
                        || key.snils.as_deref().is_some_and(|s| Snils::parse(s).is_ok_and(|s| s.as_str() == p.snils))
                };
                let found =
                    persons.iter().find(wanted).ok_or_else(|| RegistryError::NotFound("Работник не найден".into()))?;
                (person_body(found), body.clone())
            }
            None => (body.clone(), body["personCard"].clone()),
        };
        let cards: Vec<Value> = match cards {
            Value::Array(items) => items,
            Value::Null => Vec::new(),
            one => vec![one],
        };
        if cards.is_empty() {
            return Err(RegistryError::invalid(ValidationError::new(
                "personCard",
                "Личное дело",
                "ФРМР в этом реестре хранит работника вместе с местом работы: передайте personCard (должность, подразделение, дата начала)",
            )));
        }
        let rows: Vec<(usize, WorkerForm)> =
            cards.iter().enumerate().map(|(i, c)| (i + 1, worker_form(&person, c, &departments))).collect();
        let report = self.import_workers(caller, oid, rows.clone()).await?;
        if !report.applied {
            return Err(RegistryError::Invalid(
                report.errors.into_iter().map(|e| ValidationError::new(e.field, e.label, e.message)).collect(),
            ));
        }
        let snils = Snils::parse(&rows[0].1.snils).map_err(RegistryError::invalid)?;
        let added = self.store.persons_by_snils(oid.as_str(), &[snils.as_str()]).await?.pop();
        added.map(|p| p.id.to_string()).ok_or_else(|| RegistryError::NotFound("работник не сохранён".into()))
    }

    /// `PUT person/card?entityId=`: the card (and the person's record here) as the body says.
    pub async fn ips_put_card(&self, caller: &Caller, mo: &OrgOid, card_id: &str, body: &Value) -> Result<()> {
        let oid = mo;
        let card_id: i64 =
            card_id.trim().parse().map_err(|_| RegistryError::NotFound("Личное дело не найдено".into()))?;
        let what = json!({"view": "ips person/card", "card": card_id});
        let (persons, cards, _, departments) = self.ips_people(caller, mo, what).await?;
        let record = cards
            .iter()
            .find(|c| c.id == card_id)
            .ok_or_else(|| RegistryError::NotFound("Личное дело не найдено".into()))?;
        let holder = persons
            .iter()
            .find(|p| p.id == record.person_id)
            .ok_or_else(|| RegistryError::NotFound("Работник не найден".into()))?;
        let mut person = person_body(holder);
        if let (Some(target), Some(given)) = (person.as_object_mut(), body["person"].as_object()) {
            target.extend(given.clone());
        }
        let form = worker_form(&person, body, &departments);
        self.edit_worker(caller, oid, card_id, &form).await
    }

    /// `DELETE person/card?entityId=`: the card closed on `end_date` (today when not given).
    pub async fn ips_close_card(
        &self,
        caller: &Caller,
        mo: &OrgOid,
        card_id: &str,
        end_date: Option<&str>,
        reason: Option<&str>,
    ) -> Result<()> {
        let oid = mo;
        let card_id: i64 =
            card_id.trim().parse().map_err(|_| RegistryError::NotFound("Личное дело не найдено".into()))?;
        let today = frmo_domain::date::format(self.today());
        let end = end_date.map(|d| d.get(..10).unwrap_or(d).to_owned()).unwrap_or(today);
        self.dismiss_worker(caller, oid, card_id, &end, reason.unwrap_or("")).await
    }
}
