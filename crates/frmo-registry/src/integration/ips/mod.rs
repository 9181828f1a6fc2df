//! The integration API regional systems already speak (ЕГИСЗ ИПС, issue #21): ФРМО's organization,
//! departments, buildings, licences and staffing, read as the service's models and written through
//! the same moderation as the cabinet. The caller is an information system ([`crate::integration::systems`]) acting
//! as a member of its organizations: it reads and changes only those, and what the moderation policy
//! holds back becomes a change request «На проверке» whose number the answer carries.

pub mod frmo;
pub mod frmr;
pub mod write;

use frmo_domain::access::{Action, Actor, Target};
use frmo_domain::error::ValidationError;
use frmo_domain::ident::{DepartmentOid, OrgOid, RegionCode};
use frmo_domain::org::{OrgStatus, Organization};
use frmo_domain::status::RequestStatus;
use std::sync::Arc;

use serde_json::{Value, json};

use crate::Caller;
use crate::moderation::requests::Proposal;
use crate::{Card, Registry, RegistryError, Result};

/// What a write did: applied at once (the card's new version), or held for the operator.
#[derive(Debug, Clone, PartialEq)]
pub enum Written {
    Applied { version: i64 },
    Request { id: i64, number: String, status: RequestStatus },
}

impl Written {
    fn of(proposal: Proposal) -> Self {
        match proposal {
            Proposal::Applied { version } => Written::Applied { version },
            Proposal::Request(view) => Written::Request { id: view.id, number: view.number, status: view.status },
        }
    }

    /// The fields an answer carries besides the envelope's.
    pub fn to_json(&self) -> Value {
        match self {
            Written::Applied { version } => json!({"applied": true, "version": version}),
            Written::Request { id, number, status } => json!({
                "applied": false,
                "changeRequest": {"id": id, "number": number, "status": status.as_str(), "statusLabel": status.label()},
            }),
        }
    }
}

/// A page of an ИПС list.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    pub offset: usize,
    pub limit: usize,
    pub total: usize,
    pub content: Vec<Value>,
}

impl Page {
    fn of(items: Vec<Value>, offset: usize, limit: usize) -> Self {
        let total = items.len();
        Page { offset, limit, total, content: items.into_iter().skip(offset).take(limit).collect() }
    }
}

/// A part of the card the API writes on its own path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// `org/depart` (hospital subdivisions and beds inside).
    Department,
    /// `org/building`.
    Building,
}

impl Part {
    fn label(self) -> &'static str {
        match self {
            Part::Department => "Подразделение",
            Part::Building => "Здание",
        }
    }

    /// The call as the journal's reason names it (`POST org/depart`).
    fn call(self, method: &str) -> String {
        let path = match self {
            Part::Department => "org/depart",
            Part::Building => "org/building",
        };
        format!("{method} {path}")
    }
}

/// The most items one page of the API holds (ФРМР's documented limit; ФРМО's is not public).
pub const MAX_LIMIT: usize = 100;

fn invalid(field: &'static str, label: &'static str, message: impl Into<String>) -> RegistryError {
    RegistryError::invalid(ValidationError::new(field, label, message.into()))
}

/// The `oid` parameter of a request parsed as the protocol answers a malformed one (the web parses
/// it before it calls a use case).
pub fn org_oid(oid: &str) -> Result<OrgOid> {
    OrgOid::parse(oid.trim()).map_err(|e| invalid("oid", "OID организации", e.message))
}

fn not_found(what: &str) -> RegistryError {
    RegistryError::NotFound(what.to_owned())
}

/// A fresh building id in the form ФРМО gives them (a random GUID).
fn new_guid() -> String {
    let mut bytes = [0u8; 16];
    let _ = getrandom::fill(&mut bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex = frmo_domain::hex::lower(&bytes);
    format!("{}-{}-{}-{}-{}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..])
}

/// Card versions written as the `Organization` model, with the card's region, by version id.
pub(crate) type Rendered = crate::cache::VersionCache<(RegionCode, Arc<str>)>;

/// The most versions [`Rendered`] holds (about 3 KB each).
pub(crate) const RENDERED_MAX: usize = 50_000;

/// The JSON text of `object` (an object) with `field` added last.
fn with_field(object: &str, field: &str, value: &Value) -> String {
    let body = object.trim_end().strip_suffix('}').unwrap_or(object);
    let separator = if body.trim_end().ends_with('{') { "" } else { "," };
    format!("{body}{separator}{}:{value}}}", Value::from(field))
}

impl Registry {
    /// The organization's current card, if `actor` may read it (as a member does).
    async fn ips_card(&self, caller: &Caller, oid: &OrgOid) -> Result<Card> {
        // Which organizations exist is public (the open register): the card is read first and
        // its region decides, one lookup instead of two.
        let card = self.card(&Actor::System, oid, None).await?;
        let target = Target::Organization { oid: oid.as_str(), region: card.organization.region_id.code() };
        self.authorize(caller, Action::ReadOrganization, target).await?;
        Ok(card)
    }

    /// `GET org/{oid}`: the organization, and the requests the caller made about it with their fate,
    /// as the JSON text of the `Organization` model with `changeRequests`.
    pub async fn ips_organization(&self, caller: &Caller, oid: &OrgOid) -> Result<String> {
        // Which organizations exist is public (the open register): the card is read first and
        // its region decides, one lookup instead of two.
        let row = self.card_json(&Actor::System, oid, None).await?;
        let (region, model) = match self.ips_rendered.get(row.version_id) {
            Some(rendered) => rendered,
            None => {
                let organization: Organization =
                    serde_json::from_str(&row.card).map_err(frmo_store::StoreError::from)?;
                let rendered = (organization.region_id, Arc::from(frmo::organization(&organization).to_string()));
                self.ips_rendered.keep(row.version_id, rendered.clone());
                rendered
            }
        };
        let target = Target::Organization { oid: oid.as_str(), region: region.code() };
        self.authorize(caller, Action::ReadOrganization, target).await?;
        // The caller's 50 latest requests about it, with their fate.
        let author = match caller.actor() {
            Actor::User(p) => p.user_id,
            _ => 0,
        };
        let requests: Vec<Value> = self
            .store
            .requests_of_author_for_org(oid.as_str(), author)
            .await?
            .into_iter()
            .map(|r| {
                json!({
                    "id": r.id,
                    "number": crate::moderation::requests::request_number(&r.kind, r.id, r.created_at),
                    "status": r.status.as_str(),
                    "statusLabel": r.status.label(),
                    "comment": r.comment,
                })
            })
            .collect();
        Ok(with_field(&model, "changeRequests", &Value::Array(requests)))
    }

    /// `GET org`: the organizations the caller acts for, by OID, optionally of one type.
    pub async fn ips_organizations(
        &self,
        caller: &Caller,
        org_type: Option<u32>,
        offset: usize,
        limit: usize,
    ) -> Result<Page> {
        let Actor::User(principal) = caller.actor() else {
            return Err(RegistryError::Forbidden(frmo_domain::access::DenyCode::NotSignedIn));
        };
        self.authorize(caller, Action::UseCabinet, Target::None).await?;
        // (OID, type) of every organization it acts for: its own, read from their cards, and its
        // regions', from the current versions' columns; only the page's cards are then read.
        let mut scope: Vec<(String, u32)> = Vec::new();
        for membership in &principal.memberships {
            let Ok(oid) = OrgOid::parse(&membership.org_oid) else { continue };
            if let Ok(card) = self.card(&Actor::System, &oid, None).await {
                scope.push((membership.org_oid.clone(), card.organization.organization_type_id));
            }
        }
        for region in &principal.member_regions {
            scope.extend(self.store.current_oids_of_region(*region).await?);
        }
        scope.sort();
        scope.dedup();
        scope.retain(|(_, t)| org_type.is_none_or(|wanted| wanted == *t));
        let total = scope.len();
        let mut items = Vec::new();
        for (oid, _) in scope.iter().skip(offset).take(limit) {
            items.push(frmo::organization(
                &self.card(&Actor::System, &crate::register::organization_oid(oid)?, None).await?.organization,
            ));
        }
        Ok(Page { offset, limit, total, content: items })
    }

    /// `GET org/depart`: the organization's departments, optionally of one type.
    pub async fn ips_departments(
        &self,
        caller: &Caller,
        oid: &OrgOid,
        depart_type: Option<u32>,
        offset: usize,
        limit: usize,
    ) -> Result<Page> {
        let org = self.ips_card(caller, oid).await?.organization;
        let items = org
            .departments
            .iter()
            .filter(|d| depart_type.is_none_or(|t| t == d.depart_type_id))
            .map(|d| frmo::department(d, &org))
            .collect();
        Ok(Page::of(items, offset, limit))
    }

    /// `GET org/depart/{departOid}`.
    pub async fn ips_department(&self, caller: &Caller, oid: &OrgOid, depart_oid: &str) -> Result<Value> {
        let org = self.ips_card(caller, oid).await?.organization;
        let found = org.departments.iter().find(|d| d.oid.as_str() == depart_oid.trim());
        found
            .map(|d| frmo::department(d, &org))
            .ok_or_else(|| not_found(&format!("Подразделение {depart_oid} не найдено")))
    }

    /// `GET org/building`.
    pub async fn ips_buildings(&self, caller: &Caller, oid: &OrgOid) -> Result<Page> {
        let org = self.ips_card(caller, oid).await?.organization;
        let items: Vec<Value> = org.buildings.iter().map(|b| frmo::building(b, &org)).collect();
        let count = items.len();
        Ok(Page::of(items, 0, count.max(1)))
    }

    /// `GET org/building/get`.
    pub async fn ips_building(&self, caller: &Caller, oid: &OrgOid, id: &str) -> Result<Value> {
        let org = self.ips_card(caller, oid).await?.organization;
        let found = org.buildings.iter().find(|b| b.id == id.trim());
        found.map(|b| frmo::building(b, &org)).ok_or_else(|| not_found(&format!("Здание {id} не найдено")))
    }

    /// `GET org/licenses` (and `org/licenses/get` with `id`: the licence's number).
    pub async fn ips_licences(&self, caller: &Caller, oid: &OrgOid, id: Option<&str>) -> Result<Page> {
        let org = self.ips_card(caller, oid).await?.organization;
        let items: Vec<Value> = org
            .licences
            .iter()
            .filter(|l| id.is_none_or(|id| l.license_number == id.trim()))
            .map(frmo::licence)
            .collect();
        if id.is_some() && items.is_empty() {
            return Err(not_found("Лицензия не найдена"));
        }
        let count = items.len();
        Ok(Page::of(items, 0, count.max(1)))
    }

    /// `GET org/staff`: the staffing table (штатное расписание) as one `Staff` record.
    pub async fn ips_staff(&self, caller: &Caller, oid: &OrgOid) -> Result<Page> {
        let org = self.ips_card(caller, oid).await?.organization;
        // The staffing table alone: no person is read, so no personal data is.
        let oid = org.oid.as_str();
        let staffing = crate::workers::staffing_lines(
            self.store.staffing_of(oid).await?,
            &self.store.cards_of(oid).await?,
            self.today(),
        );
        let details: Vec<Value> = staffing
            .iter()
            .map(|s| {
                let department = org.departments.iter().find(|d| d.depart_name == s.department);
                json!({
                    "nrPmuDepartId": department.map(|d| d.oid.as_str().to_owned()).unwrap_or_default(),
                    "departName": s.department,
                    "post": {"code": s.position, "name": s.position_name},
                    "postFedCode": {"code": s.position, "name": s.position_name},
                    "rate": number(&s.declared),
                    "busyRate": number(&s.busy),
                    "externalRate": number(&s.external),
                    "vacancy": number(&s.vacancy),
                })
            })
            .collect();
        let staff = json!({
            "staffId": format!("{}.staff", org.oid.as_str()),
            "staffNum": "1",
            "staffCreateDate": frmo::date_time(org.create_date),
            "beginDate": frmo::date_time(org.create_date),
            "endDate": Value::Null,
            "staffDetails": details,
        });
        Ok(Page::of(vec![staff], 0, 1))
    }

    /// Proposes `proposed` for the organization as its member would from the cabinet.
    async fn ips_propose(&self, caller: &Caller, card: Card, proposed: Organization, what: &str) -> Result<Written> {
        let reason = format!("Изменение из информационной системы через интеграционный API: {what}");
        let proposal = self.propose_change(caller, proposed, card.row.version_id, &reason, true).await?;
        Ok(Written::of(proposal))
    }

    /// `PUT org`: the card as the body describes it (read as the import reads ФРМО API cards).
    pub async fn ips_put_organization(&self, caller: &Caller, oid: &OrgOid, body: &Value) -> Result<Written> {
        let card = self.ips_card(caller, oid).await?;
        let mut body = body.clone();
        match body.get("oid").and_then(Value::as_str) {
            Some(given) if !given.is_empty() && given != card.organization.oid.as_str() => {
                return Err(invalid("oid", "OID организации", "в теле запроса другой OID, чем в параметре oid"));
            }
            _ => body["oid"] = Value::String(card.organization.oid.as_str().to_owned()),
        }
        let proposed = crate::register::nsi::card_from_api(&body, &card.organization, self.today())
            .map_err(RegistryError::Invalid)?;
        self.ips_propose(caller, card, proposed, "PUT org").await
    }

    /// `DELETE org`: exclusion from the register with the reason's code (always checked by the operator).
    pub async fn ips_delete_organization(&self, caller: &Caller, oid: &OrgOid, reason: &str) -> Result<Written> {
        let reason_id: u32 = reason
            .trim()
            .parse()
            .map_err(|_| invalid("deleteReason", "Причина исключения", "ожидается код причины (целое число)"))?;
        let card = self.ips_card(caller, oid).await?;
        let mut proposed = card.organization.clone();
        proposed.status = OrgStatus::Liquidated;
        proposed.delete_date = Some(self.today());
        proposed.delete_reason_id = Some(reason_id);
        self.ips_propose(caller, card, proposed, "DELETE org").await
    }

    /// `POST org/depart` or `POST org/building`: a new part of the card; its id (a department's
    /// OID, a building's GUID) is the answer's `entityId`.
    pub async fn ips_add_part(
        &self,
        caller: &Caller,
        part: Part,
        oid: &OrgOid,
        body: &Value,
    ) -> Result<(String, Written)> {
        let card = self.ips_card(caller, oid).await?;
        let mut proposed = card.organization.clone();
        let today = self.today();
        let id = match part {
            Part::Department => {
                let next = proposed.departments.iter().map(|d| d.oid.number()).max().unwrap_or(0) + 1;
                let depart_oid = DepartmentOid::new(&proposed.oid, next).map_err(RegistryError::invalid)?;
                let department =
                    write::department(body, depart_oid.clone(), None, today).map_err(RegistryError::Invalid)?;
                proposed.departments.push(department);
                depart_oid.as_str().to_owned()
            }
            Part::Building => {
                let id = new_guid();
                let building =
                    write::building(body, id.clone(), None, proposed.region_id).map_err(RegistryError::Invalid)?;
                proposed.buildings.push(building);
                id
            }
        };
        let written = self.ips_propose(caller, card, proposed, &part.call("POST")).await?;
        Ok((id, written))
    }

    /// `PUT` of a department or building as the body describes it; `None` body: `DELETE`, which
    /// closes it as of today (the register keeps it, as ФРМО does, with its liquidation date).
    pub async fn ips_change_part(
        &self,
        caller: &Caller,
        part: Part,
        oid: &OrgOid,
        id: &str,
        body: Option<&Value>,
    ) -> Result<Written> {
        let card = self.ips_card(caller, oid).await?;
        let mut proposed = card.organization.clone();
        let (region, today, id) = (proposed.region_id, self.today(), id.trim());
        let missing = || not_found(&format!("{} {id} не найдено", part.label()));
        match (part, body) {
            (Part::Department, body) => {
                let department = proposed.departments.iter_mut().find(|d| d.oid.as_str() == id).ok_or_else(missing)?;
                match body {
                    Some(body) => {
                        *department = write::department(body, department.oid.clone(), Some(department), today)
                            .map_err(RegistryError::Invalid)?;
                    }
                    None => department.liquidation_date = Some(today),
                }
            }
            (Part::Building, body) => {
                let building = proposed.buildings.iter_mut().find(|b| b.id == id).ok_or_else(missing)?;
                match body {
                    Some(body) => {
                        *building = write::building(body, building.id.clone(), Some(building), region)
                            .map_err(RegistryError::Invalid)?;
                    }
                    None => building.liquidation_date = Some(today),
                }
            }
        }
        let method = if body.is_some() { "PUT" } else { "DELETE" };
        self.ips_propose(caller, card, proposed, &part.call(method)).await
    }
}

/// A rate as the staffing lines write it (`1,5`) as a number.
fn number(text: &str) -> Value {
    text.replace(',', ".").parse::<f64>().map_or(Value::Null, Value::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_field_goes_last_into_a_written_object() {
        let written = with_field(r#"{"oid":"1.2","name":"«Реавиз»"}"#, "changeRequests", &json!([{"id": 7}]));
        let read: Value = serde_json::from_str(&written).expect("valid JSON");
        assert_eq!(read, json!({"oid": "1.2", "name": "«Реавиз»", "changeRequests": [{"id": 7}]}));
        assert_eq!(serde_json::from_str::<Value>(&with_field("{}", "a", &json!(1))).ok(), Some(json!({"a": 1})));
    }
}
