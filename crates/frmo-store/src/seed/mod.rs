//! The deterministic generator of a realistic register: Russian names, valid identifiers (check
//! digits computed by the same parsers that check them), every region, departments, hospital
//! subdivisions with beds, buildings and licences. The same seed and index always give the same
//! organization, so benchmarks and tests are repeatable. Also the demo register's real
//! organizations. It lives in the store (it needs nothing above it) so that the store's own tests
//! and benchmarks, and the registry's seeding, share it. Its word lists and templates are in `words.rs`.

mod words;

use frmo_domain::error::ValidationError;
use frmo_domain::ident::checksum::{
    INN10_WEIGHTS, INN12_WEIGHTS_11, INN12_WEIGHTS_12, account_key_ok, inn_check, ogrn_check,
};
use frmo_domain::ident::{
    Bik, DepartmentOid, Inn, Kpp, Ogrn, Ogrnip, OrgOid, PostIndex, RegionCode, SettlementAccount, SubdivisionOid,
};
use frmo_domain::org::{
    Address, BankRequisites, BedCount, Building, Contacts, Department, HospitalSubdivision, Licence, LicencePlace,
    LicenceStatus, LicensedWork, OrgStatus, Organization,
};
use frmo_domain::reference;
use time::{Date, Time};

use crate::{StoreError, VersionRecord};
use words::{
    BRANDS, DISTRICTS, FIRST_NAMES, Ownership, PATRONYMICS, STREETS, SURNAMES, TEMPLATES, Template, WORKS, capital,
};

/// SplitMix64: tiny, fast and good enough to make varied test data.
struct Rng(u64);

impl Rng {
    fn new(seed: u64, index: u64) -> Self {
        let mut rng = Rng(seed ^ index.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        rng.next();
        rng
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    fn digits(&mut self, count: usize) -> String {
        (0..count).map(|_| char::from(b'0' + self.below(10) as u8)).collect()
    }
}

fn digit_values(text: &str) -> Vec<u32> {
    text.bytes().map(|b| u32::from(b - b'0')).collect()
}

fn digit_string(values: &[u32]) -> String {
    values.iter().map(|d| char::from(b'0' + *d as u8)).collect()
}

/// Completes 9 body digits into a valid 10-digit ИНН (or 10 into 12) with the shared check rule.
fn complete_inn(body: &str) -> Inn {
    let mut d = digit_values(body);
    if d.len() == 9 {
        d.push(inn_check(&d, &INN10_WEIGHTS));
    } else {
        d.push(inn_check(&d, &INN12_WEIGHTS_11));
        d.push(inn_check(&d, &INN12_WEIGHTS_12));
    }
    Inn::parse(&digit_string(&d)).unwrap_or_else(|e| unreachable!("check digits computed by the rule: {e}"))
}

/// Completes the body of an ОГРН (12 digits) or ОГРНИП (14 digits) with its check digit.
fn complete_registration(body: u64, modulus: u64) -> String {
    let width = if modulus == 11 { 12 } else { 14 };
    format!("{body:0width$}{}", ogrn_check(body, modulus))
}

/// A settlement account `40702810K<branch><serial>` whose control key K fits the БИК.
fn complete_account(bik: &Bik, branch_and_serial: &str) -> Option<SettlementAccount> {
    let bik_last3 = digit_values(&bik.as_str()[6..]);
    (0..10)
        .map(|key| format!("40702810{key}{branch_and_serial}"))
        .find(|account| account_key_ok(&bik_last3, &digit_values(account)))
        .and_then(|account| SettlementAccount::parse(&account, bik).ok())
}

/// Finds a directory entry by the start of its name (the generator speaks in names, the data in ids).
fn code(directory: &str, name_start: &str) -> u32 {
    let Some(directory) = reference::get(directory) else { return 1 };
    directory
        .entries
        .iter()
        .find(|e| e.name.starts_with(name_start))
        .or_else(|| directory.entries.iter().find(|e| e.name.contains(name_start)))
        .or(directory.entries.first())
        .map_or(1, |e| e.id)
}

fn date(year: i32, day_of_year: u16) -> Date {
    Date::from_ordinal_date(year, day_of_year.clamp(1, 365)).unwrap_or(Date::MIN)
}

fn guid(rng: &mut Rng) -> String {
    let a = rng.next();
    let b = rng.next();
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        0x8000 | (b >> 48 & 0x3fff),
        b & 0xffff_ffff_ffff
    )
}

/// Generates organizations; `organization(region, number)` is a pure function of the seed.
pub struct Generator {
    seed: u64,
    regions: Vec<RegionCode>,
    total_weight: u32,
}

impl Generator {
    pub fn new(seed: u64) -> Self {
        Generator { seed, regions: RegionCode::all().collect(), total_weight: TEMPLATES.iter().map(|t| t.weight).sum() }
    }

    pub fn regions(&self) -> &[RegionCode] {
        &self.regions
    }

    /// The organization with OID number `number` in `region` (kind 2, as most real ones).
    pub fn organization(&self, region: RegionCode, number: u32) -> Organization {
        let mut rng = Rng::new(self.seed, (u64::from(region.code()) << 32) | u64::from(number));
        let mut roll = rng.below(u64::from(self.total_weight)) as u32;
        let template = TEMPLATES
            .iter()
            .find(|t| {
                if roll < t.weight {
                    true
                } else {
                    roll -= t.weight;
                    false
                }
            })
            .unwrap_or(&TEMPLATES[0]);
        let oid = OrgOid::new(2, region, number).unwrap_or_else(|_| unreachable!("generated OIDs are in range"));
        let city = capital(region.code());
        let code2 = format!("{:02}", region.code());
        // Inspection codes 40–99: the real organizations of the demo use lower ones.
        // Tax office codes 40–99 (the real organizations of the demo have lower ones); neighbours
        // in number share an office, as organizations registered together do.
        let inspection = 40 + u64::from(number / 500) % 60;
        let serial = format!("{:05}", number % 100_000);

        let (inn, ogrn, ogrnip, kpp) = if template.ownership == Ownership::Entrepreneur {
            let inn = complete_inn(&format!("{code2}{inspection:02}{:06}", number % 1_000_000));
            // 3 · year · region · 9-digit serial
            let body = 300_000_000_000_000 / 10
                + (rng.below(20) + 4) * 100_000_000_000
                + u64::from(region.code()) * 1_000_000_000
                + u64::from(number) * 7 % 1_000_000_000;
            (inn, None, Ogrnip::parse(&complete_registration(body, 13)).ok(), None)
        } else {
            let inn = complete_inn(&format!("{code2}{inspection:02}{serial}"));
            // 1 · year · region · inspection · 5-digit serial
            let body = 100_000_000_000
                + (rng.below(22) + 2) * 1_000_000_000
                + u64::from(region.code()) * 10_000_000
                + inspection * 100_000
                + u64::from(number % 100_000);
            let ogrn = Ogrn::parse(&complete_registration(body, 11)).ok();
            let kpp = Kpp::parse(&format!("{code2}{inspection:02}01001")).ok();
            (inn, ogrn, None, kpp)
        };

        let proper = match template.ownership {
            Ownership::Private => format!("{} «{}»", template.name, rng.pick(BRANDS)),
            Ownership::Entrepreneur => {
                format!("{} {} {}", rng.pick(SURNAMES), rng.pick(FIRST_NAMES), rng.pick(PATRONYMICS))
            }
            _ if template.numbered => format!("{} № {}", template.name, 1 + rng.below(40)),
            _ if template.name.starts_with("Центральная") => {
                format!("{} центральная районная больница", rng.pick(DISTRICTS))
            }
            _ => template.name.to_owned(),
        };
        let (form_full, form_short, org_type) = match template.ownership {
            Ownership::State => (
                "Государственное бюджетное учреждение здравоохранения",
                "ГБУЗ",
                code("organization_types", "Государствен"),
            ),
            Ownership::Municipal => (
                "Муниципальное бюджетное учреждение здравоохранения",
                "МБУЗ",
                code("organization_types", "Муниципальн"),
            ),
            Ownership::Private => {
                ("Общество с ограниченной ответственностью", "ООО", code("organization_types", "Частн"))
            }
            Ownership::Entrepreneur => {
                ("Индивидуальный предприниматель", "ИП", code("organization_types", "Индивидуальн"))
            }
        };
        let (name_full, name_short) = match template.ownership {
            Ownership::Entrepreneur => (format!("{form_full} {proper}"), format!("{form_short} {proper}")),
            Ownership::Private => (format!("{form_full} {proper}"), format!("{form_short} {proper}")),
            _ => (format!("{form_full} «{proper} г. {city}»"), format!("{form_short} «{proper} г. {city}»")),
        };

        let post_index = PostIndex::parse(&format!("{}", 100_000 + rng.below(590_000))).ok();
        let street = rng.pick(STREETS);
        let house = 1 + rng.below(150);
        let legal_address = Address {
            post_index: post_index.clone(),
            text: {
                let index = post_index.as_ref().map_or("", |p| p.as_str());
                // Federal cities are their own region: «г. Москва» once, not twice.
                if region.name().starts_with("г. ") {
                    format!("{index}, {}, ул. {street}, д. {house}", region.name())
                } else {
                    format!("{index}, {}, г. {city}, ул. {street}, д. {house}", region.name())
                }
            },
            area_name: Some(city.to_owned()),
            prefix_area: Some("г".to_owned()),
            street_name: Some((*street).to_owned()),
            prefix_street: Some("ул".to_owned()),
            house: Some(house.to_string()),
            latitude: Some(43.0 + rng.below(2_400) as f64 / 100.0),
            longitude: Some(30.0 + rng.below(11_000) as f64 / 100.0),
            ..Address::default()
        };

        let create_date = date(1992 + rng.below(32) as i32, 1 + rng.below(365) as u16);
        let modify_date = date((create_date.year() + 1 + rng.below(3) as i32).min(2025), 1 + rng.below(365) as u16);
        let departments = self.departments(&mut rng, &oid, template, create_date);
        let buildings = (0..1 + rng.below(2))
            .map(|i| Building {
                id: guid(&mut rng),
                build_name: if i == 0 {
                    "Главный корпус".into()
                } else {
                    format!("Корпус № {}", i + 1)
                },
                address: legal_address.clone(),
                floor_count: 1 + rng.below(9) as u16,
                build_year: Some(1950 + rng.below(74) as u16),
                capacity_visitors: 50 + rng.below(900) as u32,
                capacity_beds: if template.hospital { 20 + rng.below(400) as u32 } else { 0 },
                is_accessible_env: rng.below(3) > 0,
                liquidation_date: None,
            })
            .collect();
        let bank = Bik::parse(&format!("04{code2}{}", rng.digits(5))).ok().and_then(|bik| {
            let account = complete_account(&bik, &format!("{}{}", rng.digits(4), rng.digits(7)))?;
            Some(BankRequisites {
                bik,
                settlement_account: account.as_str().to_owned(),
                bank_name: format!("Отделение {city}"),
            })
        });
        let licence_year = (create_date.year() + rng.below(5) as i32).min(2025);
        let licences = vec![Licence {
            license_number: format!("Л041-{}-{code2}/{}", rng.digits(5), rng.digits(8)),
            license_date: date(licence_year, 1 + rng.below(365) as u16),
            license_begin_date: date(licence_year, 1 + rng.below(365) as u16),
            license_end: None,
            licenser: if rng.below(4) == 0 {
                "Федеральная служба по надзору в сфере здравоохранения".into()
            } else {
                format!("Министерство здравоохранения ({})", region.name())
            },
            status: LicenceStatus::Active,
            places: vec![LicencePlace {
                address: legal_address.text.clone(),
                works: WORKS
                    .iter()
                    .take(if template.hospital { 3 } else { 2 })
                    .map(|(name, children)| LicensedWork {
                        name: (*name).to_owned(),
                        children: children
                            .iter()
                            .filter(|_| rng.below(3) > 0)
                            .map(|c| LicensedWork { name: (*c).to_owned(), children: Vec::new() })
                            .collect(),
                    })
                    .collect(),
            }],
        }];
        let liquidated = rng.below(50) == 0;
        Organization {
            oid,
            old_oid: None,
            parent_oid: None,
            name_full,
            name_short,
            organization_type_id: org_type,
            medical_subject_id: code("medical_subject_kinds", "Медицинская организация"),
            mo_agency_kind_id: code("agency_kinds", template.kind),
            mo_level_id: if template.hospital { Some(code("levels", "II")) } else { Some(code("levels", "I")) },
            mo_dept_name: (template.ownership == Ownership::State)
                .then(|| format!("Органы исполнительной власти субъектов Российской Федерации ({})", region.name())),
            founder: (template.ownership == Ownership::State)
                .then(|| format!("Министерство здравоохранения ({})", region.name())),
            inn,
            ogrn,
            ogrnip,
            kpp,
            region_id: region,
            legal_address,
            actual_address: None,
            contacts: Contacts {
                phone: Some(format!("+7 ({}) {}-{}-{}", rng.digits(3), rng.digits(3), rng.digits(2), rng.digits(2))),
                email: Some(format!("info{number}@med{code2}.ru")),
                site: None,
            },
            head_full_name: Some(format!("{} {} {}", rng.pick(SURNAMES), rng.pick(FIRST_NAMES), rng.pick(PATRONYMICS))),
            bank,
            status: if liquidated { OrgStatus::Liquidated } else { OrgStatus::Active },
            delete_date: liquidated.then_some(modify_date),
            delete_reason_id: liquidated.then(|| code("delete_reasons", "Ликвид")),
            create_date,
            modify_date,
            departments,
            buildings,
            licences,
            nsi: Default::default(),
        }
    }

    fn departments(&self, rng: &mut Rng, oid: &OrgOid, template: &Template, created: Date) -> Vec<Department> {
        let bed_profiles = reference::get("bed_profiles").map(|d| d.entries.as_slice()).unwrap_or(&[]);
        let mut names: Vec<(&str, &str)> = vec![("Поликлиническое отделение", "Амбулатор")];
        if template.hospital {
            names.push(("Стационар", "Стационар"));
            if rng.below(2) == 0 {
                names.push(("Клинико-диагностическая лаборатория", "Лаборатор"));
            }
        }
        names
            .into_iter()
            .enumerate()
            .map(|(i, (name, kind))| {
                let department_oid = DepartmentOid::new(oid, 1 + i as u32 + rng.below(1000) as u32 * 10)
                    .unwrap_or_else(|_| unreachable!("department numbers are in range"));
                let hospital_subdivisions = if kind == "Стационар" && !bed_profiles.is_empty() {
                    (0..1 + rng.below(3))
                        .map(|j| {
                            let profile = rng.pick(bed_profiles);
                            HospitalSubdivision {
                                oid: SubdivisionOid::new(&department_oid, 1 + j as u32)
                                    .unwrap_or_else(|_| unreachable!("subdivision numbers are in range")),
                                subdivision_name: format!("Отделение: {}", profile.name.to_lowercase()),
                                liquidation_date: None,
                                beds: vec![BedCount {
                                    bed_profile_id: profile.id,
                                    bed_count: 5 + rng.below(60) as u32,
                                }],
                            }
                        })
                        .collect()
                } else {
                    Vec::new()
                };
                Department {
                    oid: department_oid,
                    depart_name: name.to_owned(),
                    depart_type_id: code("department_types", kind),
                    separate_depart: false,
                    create_date: created,
                    liquidation_date: None,
                    hospital_subdivisions,
                }
            })
            .collect()
    }
}

/// Real organizations the demo register starts with, next to generated ones.
pub fn real_organizations() -> Vec<Organization> {
    let generator = Generator::new(1461);
    let samara = RegionCode::parse("63").unwrap_or_else(|_| unreachable!("63 is Самарская область"));
    let mut reaviz = generator.organization(samara, 1);
    reaviz.oid = OrgOid::parse("1.2.643.5.1.13.13.12.2.78.6258").unwrap_or_else(|_| unreachable!("a real OID"));
    reaviz.name_full =
        "Частное учреждение образовательная организация высшего образования «Медицинский университет «Реавиз»»".into();
    reaviz.name_short = "Медицинский Университет «Реавиз»".into();
    reaviz.organization_type_id = code("organization_types", "Частн");
    reaviz.inn = Inn::parse("6317006620").unwrap_or_else(|_| unreachable!("a real ИНН"));
    reaviz.ogrn = Some(Ogrn::parse("1026301420716").unwrap_or_else(|_| unreachable!("a real ОГРН")));
    reaviz.ogrnip = None;
    reaviz.kpp = Some(Kpp::parse("631501001").unwrap_or_else(|_| unreachable!("a real КПП")));
    reaviz.mo_dept_name = Some("Федеральная служба по надзору в сфере здравоохранения".into());
    reaviz.legal_address.text = "443001, Самарская область, г. Самара, ул. Чапаевская, д. 227".into();
    reaviz.legal_address.post_index = PostIndex::parse("443001").ok();
    reaviz.legal_address.street_name = Some("Чапаевская".into());
    reaviz.legal_address.house = Some("227".into());
    reaviz.legal_address.area_name = Some("Самара".into());
    reaviz.founder = None;
    for building in &mut reaviz.buildings {
        building.address = reaviz.legal_address.clone();
    }
    for place in reaviz.licences.iter_mut().flat_map(|l| &mut l.places) {
        place.address = reaviz.legal_address.text.clone();
    }
    reaviz.status = OrgStatus::Active;
    reaviz.delete_date = None;
    reaviz.delete_reason_id = None;
    reaviz.create_date = date(2002, 300);
    reaviz.modify_date = date(2024, 40);
    let departments = std::mem::take(&mut reaviz.departments);
    reaviz.departments = departments
        .into_iter()
        .enumerate()
        .filter_map(|(i, mut d)| {
            d.oid = DepartmentOid::new(&reaviz.oid, 1 + i as u32).ok()?;
            for (j, s) in d.hospital_subdivisions.iter_mut().enumerate() {
                s.oid = SubdivisionOid::new(&d.oid, 1 + j as u32).ok()?;
            }
            Some(d)
        })
        .collect();
    vec![reaviz]
}

/// Why organizations could not become records.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error("invalid organization: {0:?}")]
    Invalid(Vec<ValidationError>),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Turns generated organizations into store records (validated, effective from creation).
pub fn records(organizations: &[Organization]) -> Result<Vec<VersionRecord>, RecordError> {
    organizations
        .iter()
        .map(|org| {
            org.validate().map_err(RecordError::Invalid)?;
            Ok(VersionRecord::new(org, org.create_date.with_time(Time::MIDNIGHT).assume_utc())?)
        })
        .collect()
}
