//! The open register in the shape of НСИ directory 1.2.643.5.1.13.13.11.1461 («Реестр медицинских
//! организаций РФ»): one flat record per organization with the real camelCase field names, dates
//! `dd.MM.yyyy`, an empty string for a missing value; JSON `{"records": […]}` and `;`-separated
//! CSV with the loaders' column order. Written as a stream: the register is read from the store a
//! batch of current cards at a time, so a million organizations never sit in memory at once.

use std::io::Write;

use frmo_domain::date::format as format_date;
use frmo_domain::org::Organization;
use frmo_domain::reference;

use crate::{Registry, RegistryError, Result};

/// The fields of a 1461 record, in the order real loaders read the CSV.
pub const FIELDS: [&str; 48] = [
    "id",
    "oid",
    "oldOid",
    "nameFull",
    "nameShort",
    "parentId",
    "medicalSubjectId",
    "medicalSubjectName",
    "inn",
    "kpp",
    "ogrn",
    "regionId",
    "regionName",
    "organizationType",
    "moDeptId",
    "moDeptName",
    "founder",
    "deleteDate",
    "deleteReason",
    "createDate",
    "modifyDate",
    "moLevel",
    "moAgencyKindId",
    "moAgencyKind",
    "profileAgencyKindId",
    "profileAgencyKind",
    "postIndex",
    "cadastralNumber",
    "latitude",
    "longtitude",
    "fiasVersion",
    "aoidArea",
    "aoidStreet",
    "houseid",
    "addrRegionId",
    "addrRegionName",
    "territoryCode",
    "isFederalCity",
    "areaName",
    "prefixArea",
    "streetName",
    "prefixStreet",
    "house",
    "building",
    "struct",
    "parentOspOid",
    "ospOid",
    "childrenOspOid",
];

/// Cards read from the store per round trip.
const BATCH: i64 = 2_000;

fn name_in(directory: &str, id: u32) -> String {
    reference::get(directory).and_then(|d| d.name_of(id)).unwrap_or_default().to_owned()
}

/// A decimal with a comma, as НСИ writes coordinates.
fn decimal(value: Option<f64>) -> String {
    value.map(|v| v.to_string().replace('.', ",")).unwrap_or_default()
}

/// The 1461 record of a card: values in [`FIELDS`] order (`id` is the register's row number).
pub fn record(id: i64, org: &Organization) -> Vec<String> {
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    let address = org.actual_address.as_ref().unwrap_or(&org.legal_address);
    let region = org.region_id;
    let federal_city = matches!(region.code(), 77 | 78 | 92);
    FIELDS
        .iter()
        .map(|field| match *field {
            "id" => id.to_string(),
            "oid" => org.oid.as_str().to_owned(),
            "oldOid" => text(&org.old_oid),
            "nameFull" => org.name_full.clone(),
            "nameShort" => org.name_short.clone(),
            "parentId" => org.parent_oid.as_ref().map(|p| p.as_str().to_owned()).unwrap_or_default(),
            "medicalSubjectId" => org.medical_subject_id.to_string(),
            "medicalSubjectName" => name_in("medical_subject_kinds", org.medical_subject_id),
            "inn" => org.inn.as_str().to_owned(),
            "kpp" => org.kpp.as_ref().map(|k| k.as_str().to_owned()).unwrap_or_default(),
            "ogrn" => org
                .ogrn
                .as_ref()
                .map(|o| o.as_str().to_owned())
                .or_else(|| org.ogrnip.as_ref().map(|o| o.as_str().to_owned()))
                .unwrap_or_default(),
            "regionId" | "addrRegionId" => region.code().to_string(),
            "regionName" | "addrRegionName" => region.name().to_owned(),
            "organizationType" => name_in("organization_types", org.organization_type_id),
            "moDeptName" => text(&org.mo_dept_name),
            "founder" => text(&org.founder),
            "deleteDate" => org.delete_date.map(format_date).unwrap_or_default(),
            "deleteReason" => org.delete_reason_id.map(|r| name_in("delete_reasons", r)).unwrap_or_default(),
            "createDate" => format_date(org.create_date),
            "modifyDate" => format_date(org.modify_date),
            "moLevel" => org.mo_level_id.map(|l| name_in("levels", l)).unwrap_or_default(),
            "moAgencyKindId" => org.mo_agency_kind_id.to_string(),
            "moAgencyKind" => name_in("agency_kinds", org.mo_agency_kind_id),
            "postIndex" => address.post_index.as_ref().map(|p| p.as_str().to_owned()).unwrap_or_default(),
            "latitude" => decimal(address.latitude),
            "longtitude" => decimal(address.longitude),
            "houseid" => text(&address.houseguid),
            "territoryCode" => region.code().to_string(),
            "isFederalCity" => federal_city.to_string(),
            "areaName" => text(&address.area_name),
            "prefixArea" => text(&address.prefix_area),
            "streetName" => text(&address.street_name),
            "prefixStreet" => text(&address.prefix_street),
            "house" => text(&address.house),
            "building" => text(&address.building),
            _ => String::new(),
        })
        .collect()
}

/// Output formats of the publication.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Csv,
}

impl Format {
    pub fn parse(text: &str) -> std::result::Result<Self, String> {
        match text {
            "json" => Ok(Format::Json),
            "csv" => Ok(Format::Csv),
            other => Err(format!("ожидается json или csv, получено «{other}»")),
        }
    }
}

fn io(error: std::io::Error) -> RegistryError {
    RegistryError::Store(frmo_store::StoreError::Io(error))
}

impl Registry {
    /// Writes the current register (every organization, closed ones with their `deleteDate`) as
    /// НСИ 1461 to `out`, calling `progress` with the number written after each batch. Returns how
    /// many records were written.
    pub async fn export_nsi(
        &self,
        format: Format,
        out: &mut (impl Write + Send),
        mut progress: impl FnMut(u64),
    ) -> Result<u64> {
        match format {
            Format::Json => out.write_all(b"{\"records\":[").map_err(io)?,
            Format::Csv => out.write_all(crate::csv::line(&FIELDS).as_bytes()).map_err(io)?,
        }
        let (mut after, mut written) = (0i64, 0u64);
        loop {
            let batch = self.store.current_cards_after(after, BATCH).await?;
            let Some(last) = batch.last().map(|(id, _)| *id) else { break };
            let mut chunk = Vec::with_capacity(batch.len() * 1024);
            for (id, card) in &batch {
                let org: Organization = serde_json::from_str(card).map_err(frmo_store::StoreError::from)?;
                let values = record(*id, &org);
                match format {
                    Format::Json => {
                        if written > 0 {
                            chunk.push(b',');
                        }
                        // Fields in the loaders' order (a JSON map would sort them).
                        chunk.push(b'{');
                        for (i, (field, value)) in FIELDS.iter().zip(values).enumerate() {
                            if i > 0 {
                                chunk.push(b',');
                            }
                            serde_json::to_writer(&mut chunk, field).map_err(frmo_store::StoreError::from)?;
                            chunk.push(b':');
                            serde_json::to_writer(&mut chunk, &value).map_err(frmo_store::StoreError::from)?;
                        }
                        chunk.push(b'}');
                    }
                    Format::Csv => chunk.extend_from_slice(crate::csv::line(&values).as_bytes()),
                }
                written += 1;
            }
            out.write_all(&chunk).map_err(io)?;
            progress(written);
            after = last;
        }
        if format == Format::Json {
            out.write_all(b"]}").map_err(io)?;
        }
        out.flush().map_err(io)?;
        Ok(written)
    }
}

/// One 1461 record as a JSON object with the fields in the loaders' order (a JSON map would sort
/// them).
pub fn json_record(values: &[String]) -> Vec<u8> {
    let mut out = Vec::with_capacity(1024);
    out.push(b'{');
    for (i, (field, value)) in FIELDS.iter().zip(values).enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(serde_json::Value::from(*field).to_string().as_bytes());
        out.push(b':');
        out.extend_from_slice(serde_json::Value::from(value.as_str()).to_string().as_bytes());
    }
    out.push(b'}');
    out
}
