//! The organization card: an organization with its structure (departments → hospital subdivisions →
//! beds), buildings and licences. Field names follow the ФРМО API and НСИ 1461 (camelCase in JSON).

use serde::{Deserialize, Serialize};
use time::Date;

use crate::error::ValidationError;
use crate::ident::{Bik, DepartmentOid, Inn, Kpp, Ogrn, Ogrnip, OrgOid, PostIndex, RegionCode, SubdivisionOid};
use crate::reference;

time::serde::format_description!(iso_date, Date, "[year]-[month]-[day]");

/// A date as a card's JSON writes it (`2024-03-01`): the form the store's date columns keep.
pub fn iso_date_text(date: Date) -> String {
    date.format(time::macros::format_description!("[year]-[month]-[day]")).unwrap_or_default()
}

/// Lifecycle state of an organization's record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OrgStatus {
    Active,
    Suspended,
    Liquidated,
}

impl OrgStatus {
    pub const ALL: [OrgStatus; 3] = [OrgStatus::Active, OrgStatus::Suspended, OrgStatus::Liquidated];

    pub fn as_str(self) -> &'static str {
        match self {
            OrgStatus::Active => "active",
            OrgStatus::Suspended => "suspended",
            OrgStatus::Liquidated => "liquidated",
        }
    }

    /// Russian label for pages.
    pub fn label(self) -> &'static str {
        match self {
            OrgStatus::Active => "Действующая",
            OrgStatus::Suspended => "Деятельность приостановлена",
            OrgStatus::Liquidated => "Ликвидирована",
        }
    }

    pub fn parse(value: &str) -> Result<Self, ValidationError> {
        Self::ALL.into_iter().find(|s| s.as_str() == value).ok_or_else(|| {
            ValidationError::new("status", "Статус", "допустимые значения: active, suspended, liquidated")
        })
    }
}

/// A postal address; ФИАС/ГАР identifiers are optional.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Address {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub post_index: Option<PostIndex>,
    /// The whole address on one line, as it is printed.
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub area_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix_area: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub street_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix_street: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub house: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub building: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub houseguid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latitude: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub longitude: Option<f64>,
    /// The address's own subject of the Federation when it is not the organization's `regionId`
    /// (a card may be registered in one region with its address in another).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<RegionCode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cadastral_number: Option<String>,
    /// ФИАС version the ids below come from (НСИ 1461 `fiasVersion`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fias_version: Option<String>,
    /// ФИАС id of the settlement (`aoidArea`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aoid_area: Option<String>,
    /// ФИАС id of the street (`aoidStreet`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aoid_street: Option<String>,
    /// Строение (`struct`).
    #[serde(default, rename = "struct", skip_serializing_if = "Option::is_none")]
    pub structure: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Contacts {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BankRequisites {
    pub bik: Bik,
    pub settlement_account: String,
    pub bank_name: String,
}

/// Number of beds of one bed profile in a hospital subdivision (коечный фонд).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BedCount {
    pub bed_profile_id: u32,
    pub bed_count: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HospitalSubdivision {
    pub oid: SubdivisionOid,
    pub subdivision_name: String,
    #[serde(default, with = "iso_date::option", skip_serializing_if = "Option::is_none")]
    pub liquidation_date: Option<Date>,
    #[serde(default)]
    pub beds: Vec<BedCount>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Department {
    pub oid: DepartmentOid,
    pub depart_name: String,
    pub depart_type_id: u32,
    /// Обособленное структурное подразделение.
    #[serde(default)]
    pub separate_depart: bool,
    #[serde(with = "iso_date")]
    pub create_date: Date,
    #[serde(default, with = "iso_date::option", skip_serializing_if = "Option::is_none")]
    pub liquidation_date: Option<Date>,
    #[serde(default)]
    pub hospital_subdivisions: Vec<HospitalSubdivision>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Building {
    /// GUID, as in ФРМО.
    pub id: String,
    pub build_name: String,
    pub address: Address,
    pub floor_count: u16,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build_year: Option<u16>,
    #[serde(default)]
    pub capacity_visitors: u32,
    #[serde(default)]
    pub capacity_beds: u32,
    /// Доступная среда для маломобильных граждан.
    #[serde(default)]
    pub is_accessible_env: bool,
    #[serde(default, with = "iso_date::option", skip_serializing_if = "Option::is_none")]
    pub liquidation_date: Option<Date>,
}

/// A licensed work or service; works form a tree.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LicensedWork {
    pub name: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<LicensedWork>,
}

/// A place where licensed activity is carried out, with its works.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LicencePlace {
    pub address: String,
    #[serde(default)]
    pub works: Vec<LicensedWork>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LicenceStatus {
    Active,
    Suspended,
    Terminated,
}

impl LicenceStatus {
    pub fn label(self) -> &'static str {
        match self {
            LicenceStatus::Active => "Действует",
            LicenceStatus::Suspended => "Приостановлена",
            LicenceStatus::Terminated => "Прекращена",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Licence {
    pub license_number: String,
    #[serde(with = "iso_date")]
    pub license_date: Date,
    #[serde(with = "iso_date")]
    pub license_begin_date: Date,
    /// `None`: issued without a term (бессрочная).
    #[serde(default, with = "iso_date::option", skip_serializing_if = "Option::is_none")]
    pub license_end: Option<Date>,
    pub licenser: String,
    pub status: LicenceStatus,
    #[serde(default)]
    pub places: Vec<LicencePlace>,
}

/// An organization's card as of one moment: the record a version of the register holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Organization {
    pub oid: OrgOid,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old_oid: Option<String>,
    /// Head organization of a branch (parentId / headOid).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_oid: Option<OrgOid>,
    pub name_full: String,
    pub name_short: String,
    pub organization_type_id: u32,
    pub medical_subject_id: u32,
    pub mo_agency_kind_id: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mo_level_id: Option<u32>,
    /// Ведомственная принадлежность.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mo_dept_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub founder: Option<String>,
    pub inn: Inn,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ogrn: Option<Ogrn>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ogrnip: Option<Ogrnip>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kpp: Option<Kpp>,
    pub region_id: RegionCode,
    pub legal_address: Address,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actual_address: Option<Address>,
    #[serde(default)]
    pub contacts: Contacts,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub head_full_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bank: Option<BankRequisites>,
    pub status: OrgStatus,
    #[serde(default, with = "iso_date::option", skip_serializing_if = "Option::is_none")]
    pub delete_date: Option<Date>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delete_reason_id: Option<u32>,
    #[serde(with = "iso_date")]
    pub create_date: Date,
    #[serde(with = "iso_date")]
    pub modify_date: Date,
    #[serde(default)]
    pub departments: Vec<Department>,
    #[serde(default)]
    pub buildings: Vec<Building>,
    #[serde(default)]
    pub licences: Vec<Licence>,
    /// НСИ 1461 fields the register's own workflows do not use, kept so that a card read from ФРМО
    /// or НСИ is published as it came.
    #[serde(default, skip_serializing_if = "NsiDetails::is_empty")]
    pub nsi: NsiDetails,
}

/// The НСИ 1461 details of a card (see [`Organization::nsi`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NsiDetails {
    /// The НСИ row id of a record imported with one (else the publication derives it from the OID).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<u64>,
    /// Code of the ведомственная принадлежность (its name is `Organization::mo_dept_name`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mo_dept_id: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile_agency_kind_id: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile_agency_kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_osp_oid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub osp_oid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub children_osp_oid: Option<String>,
}

impl NsiDetails {
    pub fn is_empty(&self) -> bool {
        *self == NsiDetails::default()
    }
}

/// organizationType value of an individual entrepreneur (ИП) in the shipped directory.
pub const ORG_TYPE_INDIVIDUAL_ENTREPRENEUR: u32 = 4;

/// Whether `organization_type` stands for an individual entrepreneur: told by the entry's name, so
/// that an installed НСИ directory that numbers the types differently keeps the meaning.
pub fn is_entrepreneur_type(organization_type: u32) -> bool {
    reference::get("organization_types").map_or(organization_type == ORG_TYPE_INDIVIDUAL_ENTREPRENEUR, |types| {
        types
            .name_of(organization_type)
            .is_some_and(|name| name.to_lowercase().contains("индивидуальный предприниматель"))
    })
}

impl Organization {
    /// Cross-field rules of a card. Each identifier is already valid by its type; this checks that
    /// they fit together and that directory codes exist. Returns every problem, not just the first.
    pub fn validate(&self) -> Result<(), Vec<ValidationError>> {
        let mut errors = Vec::new();
        let mut fail = |field, label, message: &str| {
            errors.push(ValidationError::new(field, label, message));
        };
        if self.name_full.trim().is_empty() {
            fail("nameFull", "Полное наименование", "не заполнено");
        }
        if self.name_short.trim().is_empty() {
            fail("nameShort", "Краткое наименование", "не заполнено");
        }
        let entrepreneur = is_entrepreneur_type(self.organization_type_id);
        if entrepreneur {
            if self.inn.is_legal_entity() {
                fail("inn", "ИНН", "у индивидуального предпринимателя ИНН состоит из 12 цифр");
            }
            if self.ogrnip.is_none() {
                fail("ogrnip", "ОГРНИП", "не заполнено");
            }
            if self.ogrn.is_some() {
                fail("ogrn", "ОГРН", "у индивидуального предпринимателя указывается ОГРНИП, а не ОГРН");
            }
            if self.kpp.is_some() {
                fail("kpp", "КПП", "у индивидуального предпринимателя КПП не указывается");
            }
        } else {
            if !self.inn.is_legal_entity() {
                fail("inn", "ИНН", "у юридического лица ИНН состоит из 10 цифр");
            }
            if self.ogrn.is_none() {
                fail("ogrn", "ОГРН", "не заполнено");
            }
            if self.kpp.is_none() {
                fail("kpp", "КПП", "не заполнено");
            }
        }
        let codes = [
            ("organizationTypeId", "Тип организации", "organization_types", Some(self.organization_type_id)),
            ("medicalSubjectId", "Вид субъекта", "medical_subject_kinds", Some(self.medical_subject_id)),
            ("moAgencyKindId", "Вид медицинской организации", "agency_kinds", Some(self.mo_agency_kind_id)),
            ("moLevelId", "Уровень", "levels", self.mo_level_id),
            ("deleteReasonId", "Причина исключения", "delete_reasons", self.delete_reason_id),
        ];
        for (field, label, directory, code) in codes {
            if let Some(code) = code
                && !reference::get(directory).is_some_and(|d| d.contains(code))
            {
                fail(field, label, "нет такого значения в справочнике");
            }
        }
        match (self.status, self.delete_date) {
            (OrgStatus::Liquidated, None) => {
                fail("deleteDate", "Дата исключения", "не заполнена у ликвидированной организации")
            }
            (OrgStatus::Active, Some(_)) => fail("deleteDate", "Дата исключения", "указана у действующей организации"),
            _ => {}
        }
        for department in &self.departments {
            if department.oid.org() != &self.oid {
                fail("departments.oid", "OID подразделения", "принадлежит другой организации");
            }
            if !reference::get("department_types").is_some_and(|d| d.contains(department.depart_type_id)) {
                fail("departments.departTypeId", "Тип подразделения", "нет такого значения в справочнике");
            }
            for subdivision in &department.hospital_subdivisions {
                if subdivision.oid.department() != &department.oid {
                    fail("hospitalSubdivisions.oid", "OID отделения", "принадлежит другому подразделению");
                }
                for bed in &subdivision.beds {
                    if !reference::get("bed_profiles").is_some_and(|d| d.contains(bed.bed_profile_id)) {
                        fail("beds.bedProfileId", "Профиль коек", "нет такого значения в справочнике");
                    }
                }
            }
        }
        if errors.is_empty() { Ok(()) } else { Err(errors) }
    }

    /// Total beds over all subdivisions that are not liquidated.
    pub fn bed_total(&self) -> u32 {
        self.departments
            .iter()
            .flat_map(|d| &d.hospital_subdivisions)
            .filter(|s| s.liquidation_date.is_none())
            .flat_map(|s| &s.beds)
            .map(|b| b.bed_count)
            .sum()
    }
}
