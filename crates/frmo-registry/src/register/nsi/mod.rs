//! The open register in the shape of НСИ directory 1.2.643.5.1.13.13.11.1461 («Реестр медицинских
//! организаций РФ»): one flat record per organization with the real camelCase field names, dates
//! `dd.MM.yyyy`, an empty string for a missing value. Published as JSON `{"records": […]}`,
//! `;`-separated CSV, XML and XLSX (`export`), and read back from the same shapes and from a real
//! ФРМО API organization JSON (`import`).
//!
//! A record's `id` is the НСИ row id the card was imported with, else derived from the OID
//! (`k·10⁸ + region·10⁶ + n` of `1.2.643.5.1.13.13.12.<k>.<region>.<n>`): the same organization has
//! the same `id` in every publication and in every registry that holds it, whatever its versions.
//!
//! Values are written as real loaders read them: `organizationType` is the directory's integer
//! code (the ФРМО API's `orgType.code`), coordinates are numbers with a decimal point, and the
//! address fields (`addrRegionId`, `addrRegionName`, `territoryCode`, `isFederalCity`) come from the
//! address's own region, which may differ from `regionId`.

mod export;
mod import;
pub(crate) use import::{address_line, card_from_api};

use std::borrow::Cow;

use frmo_domain::date::format as format_date;
use frmo_domain::ident::RegionCode;
use frmo_domain::reference;
use serde::Deserialize;

pub use export::json_record;
pub use import::{RawRecord, parse_file, report_text};

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

/// The fields whose values are whole numbers (codes and ids): JSON numbers and XLSX integers.
pub const INTEGER_FIELDS: [&str; 10] = [
    "id",
    "medicalSubjectId",
    "regionId",
    "organizationType",
    "moDeptId",
    "moAgencyKindId",
    "profileAgencyKindId",
    "fiasVersion",
    "addrRegionId",
    "territoryCode",
];

/// The fields whose values are decimals (coordinates, written with a point): JSON numbers and XLSX
/// numbers; never quoted in CSV.
pub const DECIMAL_FIELDS: [&str; 2] = ["latitude", "longtitude"];

/// The position of a field in [`FIELDS`].
pub fn position(field: &str) -> Option<usize> {
    FIELDS.iter().position(|f| *f == field)
}

/// Output (and input) formats of the publication.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Csv,
    Xml,
    Xlsx,
}

impl Format {
    pub fn parse(text: &str) -> std::result::Result<Self, String> {
        match text {
            "json" => Ok(Format::Json),
            "csv" => Ok(Format::Csv),
            "xml" => Ok(Format::Xml),
            "xlsx" => Ok(Format::Xlsx),
            other => Err(format!("ожидается json, csv, xml или xlsx, получено «{other}»")),
        }
    }
}

/// The record `id` of an organization: `k·10⁸ + region·10⁶ + n` of its OID (stable: see the module
/// notes). `None` for text that is not an organization OID.
pub fn stable_id(oid: &str) -> Option<u64> {
    let mut parts = oid.rsplitn(4, '.');
    let number: u64 = parts.next()?.parse().ok()?;
    let region: u64 = parts.next()?.parse().ok()?;
    let kind: u64 = parts.next()?.parse().ok()?;
    (number <= 999_999 && region <= 99 && kind <= 9).then_some(kind * 100_000_000 + region * 1_000_000 + number)
}

/// A string of a stored card, borrowed from the card's text when it has no escapes.
#[derive(Debug, Default)]
struct Text<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> serde::de::Visitor<'de> for Visitor<'a> {
            type Value = Text<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: serde::de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Borrowed(v)))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v)))
            }
        }
        deserializer.deserialize_str(Visitor(std::marker::PhantomData))
    }
}

/// The address fields a 1461 record carries.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct AddressHead<'a> {
    #[serde(borrow, default)]
    post_index: Option<Text<'a>>,
    #[serde(borrow, default)]
    area_name: Option<Text<'a>>,
    #[serde(borrow, default)]
    prefix_area: Option<Text<'a>>,
    #[serde(borrow, default)]
    street_name: Option<Text<'a>>,
    #[serde(borrow, default)]
    prefix_street: Option<Text<'a>>,
    #[serde(borrow, default)]
    house: Option<Text<'a>>,
    #[serde(borrow, default)]
    building: Option<Text<'a>>,
    #[serde(borrow, default)]
    houseguid: Option<Text<'a>>,
    #[serde(default)]
    latitude: Option<f64>,
    #[serde(default)]
    longitude: Option<f64>,
    #[serde(default)]
    region: Option<RegionCode>,
    #[serde(borrow, default)]
    cadastral_number: Option<Text<'a>>,
    #[serde(borrow, default)]
    fias_version: Option<Text<'a>>,
    #[serde(borrow, default)]
    aoid_area: Option<Text<'a>>,
    #[serde(borrow, default)]
    aoid_street: Option<Text<'a>>,
    #[serde(borrow, default, rename = "struct")]
    structure: Option<Text<'a>>,
}

/// The НСИ details of a stored card (`frmo_domain::org::NsiDetails`).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct NsiHead<'a> {
    #[serde(default)]
    id: Option<u64>,
    #[serde(default)]
    mo_dept_id: Option<u64>,
    #[serde(default)]
    profile_agency_kind_id: Option<u64>,
    #[serde(borrow, default)]
    profile_agency_kind: Option<Text<'a>>,
    #[serde(borrow, default)]
    parent_osp_oid: Option<Text<'a>>,
    #[serde(borrow, default)]
    osp_oid: Option<Text<'a>>,
    #[serde(borrow, default)]
    children_osp_oid: Option<Text<'a>>,
}

/// The part of a stored card (`frmo_domain::org::Organization`'s JSON) a 1461 record needs: serde
/// skips departments, buildings, licences and the rest without building them, which is most of the
/// cost of reading a whole card.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CardHead<'a> {
    #[serde(borrow)]
    oid: Text<'a>,
    #[serde(borrow, default)]
    old_oid: Option<Text<'a>>,
    #[serde(borrow, default)]
    parent_oid: Option<Text<'a>>,
    #[serde(borrow)]
    name_full: Text<'a>,
    #[serde(borrow)]
    name_short: Text<'a>,
    organization_type_id: u32,
    medical_subject_id: u32,
    mo_agency_kind_id: u32,
    #[serde(default)]
    mo_level_id: Option<u32>,
    #[serde(borrow, default)]
    mo_dept_name: Option<Text<'a>>,
    #[serde(borrow, default)]
    founder: Option<Text<'a>>,
    #[serde(borrow)]
    inn: Text<'a>,
    #[serde(borrow, default)]
    ogrn: Option<Text<'a>>,
    #[serde(borrow, default)]
    ogrnip: Option<Text<'a>>,
    #[serde(borrow, default)]
    kpp: Option<Text<'a>>,
    region_id: RegionCode,
    #[serde(borrow)]
    legal_address: AddressHead<'a>,
    #[serde(borrow, default)]
    actual_address: Option<AddressHead<'a>>,
    #[serde(borrow, default)]
    delete_date: Option<Text<'a>>,
    #[serde(default)]
    delete_reason_id: Option<u32>,
    #[serde(borrow)]
    create_date: Text<'a>,
    #[serde(borrow)]
    modify_date: Text<'a>,
    #[serde(borrow, default)]
    nsi: NsiHead<'a>,
}

fn name_in(directory: &str, id: u32) -> &'static str {
    reference::get(directory).and_then(|d| d.name_of(id)).unwrap_or_default()
}

/// A decimal with a point, as loaders parse coordinates (`float()`, `numeric`): the shortest text
/// that reads back as the same number, with a point even when whole (`45.0`: a JSON reader makes
/// it a float, not an integer).
fn decimal(value: Option<f64>) -> Cow<'static, str> {
    value.map_or(Cow::Borrowed(""), |v| {
        let text = v.to_string();
        Cow::Owned(if text.contains('.') { text } else { text + ".0" })
    })
}

/// A card's ISO date (`yyyy-MM-dd`) as `dd.MM.yyyy`.
fn nsi_date(iso: &str) -> Cow<'static, str> {
    match iso.as_bytes() {
        [y0, y1, y2, y3, b'-', m0, m1, b'-', d0, d1] => {
            let bytes = [*d0, *d1, b'.', *m0, *m1, b'.', *y0, *y1, *y2, *y3];
            Cow::Owned(String::from_utf8_lossy(&bytes).into_owned())
        }
        _ => Cow::Owned(frmo_domain::date::read(iso).map(format_date).unwrap_or_default()),
    }
}

fn text<'a>(value: &'a Option<Text<'a>>) -> Cow<'a, str> {
    value.as_ref().map_or(Cow::Borrowed(""), |t| Cow::Borrowed(&t.0))
}

fn number(value: impl ToString) -> Cow<'static, str> {
    Cow::Owned(value.to_string())
}

/// The 1461 record of a stored card (its JSON text): values in [`FIELDS`] order.
pub fn record_of_card(card: &str) -> crate::Result<Vec<String>> {
    let head: CardHead<'_> = serde_json::from_str(card).map_err(frmo_store::StoreError::from)?;
    Ok(record(&head).into_iter().map(Cow::into_owned).collect())
}

/// The 1461 record of a card, values in [`FIELDS`] order. The address is the actual one when the
/// card has it, else the legal one; fields the card does not have are empty.
fn record<'a>(card: &'a CardHead<'a>) -> [Cow<'a, str>; 48] {
    let address = card.actual_address.as_ref().unwrap_or(&card.legal_address);
    let region = card.region_id;
    let address_region = address.region.unwrap_or(region);
    let nsi = &card.nsi;
    let empty = || Cow::Borrowed("");
    let ogrn = match (&card.ogrn, &card.ogrnip) {
        (Some(ogrn), _) => Cow::Borrowed(&*ogrn.0),
        (None, Some(ogrnip)) => Cow::Borrowed(&*ogrnip.0),
        (None, None) => empty(),
    };
    [
        nsi.id.or_else(|| stable_id(&card.oid.0)).map_or_else(empty, number), // id
        Cow::Borrowed(&*card.oid.0),                                          // oid
        text(&card.old_oid),                                                  // oldOid
        Cow::Borrowed(&*card.name_full.0),                                    // nameFull
        Cow::Borrowed(&*card.name_short.0),                                   // nameShort
        text(&card.parent_oid),                                               // parentId
        number(card.medical_subject_id),                                      // medicalSubjectId
        Cow::Borrowed(name_in("medical_subject_kinds", card.medical_subject_id)), // medicalSubjectName
        Cow::Borrowed(&*card.inn.0),                                          // inn
        text(&card.kpp),                                                      // kpp
        ogrn,                                                                 // ogrn
        number(region.code()),                                                // regionId
        Cow::Borrowed(region.frmo_name()),                                    // regionName
        number(card.organization_type_id),                                    // organizationType
        nsi.mo_dept_id.map_or_else(empty, number),                            // moDeptId
        text(&card.mo_dept_name),                                             // moDeptName
        text(&card.founder),                                                  // founder
        card.delete_date.as_ref().map_or_else(empty, |d| nsi_date(&d.0)),     // deleteDate
        Cow::Borrowed(card.delete_reason_id.map_or("", |r| name_in("delete_reasons", r))), // deleteReason
        nsi_date(&card.create_date.0),                                        // createDate
        nsi_date(&card.modify_date.0),                                        // modifyDate
        Cow::Borrowed(card.mo_level_id.map_or("", |l| name_in("levels", l))), // moLevel
        number(card.mo_agency_kind_id),                                       // moAgencyKindId
        Cow::Borrowed(name_in("agency_kinds", card.mo_agency_kind_id)),       // moAgencyKind
        nsi.profile_agency_kind_id.map_or_else(empty, number),                // profileAgencyKindId
        text(&nsi.profile_agency_kind),                                       // profileAgencyKind
        text(&address.post_index),                                            // postIndex
        text(&address.cadastral_number),                                      // cadastralNumber
        decimal(address.latitude),                                            // latitude
        decimal(address.longitude),                                           // longtitude
        text(&address.fias_version),                                          // fiasVersion
        text(&address.aoid_area),                                             // aoidArea
        text(&address.aoid_street),                                           // aoidStreet
        text(&address.houseguid),                                             // houseid
        number(address_region.code()),                                        // addrRegionId
        Cow::Borrowed(address_region.frmo_name()),                            // addrRegionName
        number(address_region.code()),                                        // territoryCode
        Cow::Borrowed(if matches!(address_region.code(), 77 | 78 | 92) { "true" } else { "false" }), // isFederalCity
        text(&address.area_name),                                             // areaName
        text(&address.prefix_area),                                           // prefixArea
        text(&address.street_name),                                           // streetName
        text(&address.prefix_street),                                         // prefixStreet
        text(&address.house),                                                 // house
        text(&address.building),                                              // building
        text(&address.structure),                                             // struct
        text(&nsi.parent_osp_oid),                                            // parentOspOid
        text(&nsi.osp_oid),                                                   // ospOid
        text(&nsi.children_osp_oid),                                          // childrenOspOid
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_come_from_the_oid_and_dates_turn_around() {
        assert_eq!(stable_id("1.2.643.5.1.13.13.12.2.78.6258"), Some(278_006_258));
        assert_eq!(stable_id("1.2.643.5.1.13.13.12.1.1.999999"), Some(101_999_999));
        assert_eq!(stable_id("не OID"), None);
        assert_eq!(nsi_date("2024-03-01"), "01.03.2024");
        assert_eq!(nsi_date("мусор"), "");
        assert_eq!(decimal(Some(55.75)), "55.75");
        assert_eq!(decimal(Some(-0.5)), "-0.5");
        assert_eq!(decimal(Some(45.0)), "45.0");
    }
}
