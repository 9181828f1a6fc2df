//! FRMO OIDs: organization `1.2.643.5.1.13.13.12.<k>.<region>.<n>` (k 1–4, region a subject code,
//! n up to 6 digits), department `<orgOid>.0.<n>`, hospital subdivision `<orgOid>.0.<dept>.<n>`.

use super::{RegionCode, text_serde};
use crate::error::ValidationError;

const ROOT: &str = "1.2.643.5.1.13.13.12.";
const MAX_NUMBER: u32 = 999_999;
const MAX_CHILD: u32 = 999_999_999;

const KIND: &str = "вид организации в OID — цифра от 1 до 4";
const NUMBER: &str = "номер организации в OID — от 1 до 999999 без ведущих нулей";
const CHILD_NUMBER: &str = "номер подразделения в OID — от 1 до 999999999 без ведущих нулей";

fn invalid(message: &str) -> ValidationError {
    ValidationError::new("oid", "OID", message)
}

/// A positive number without leading zeros, at most `max`.
fn number(part: &str, max: u32) -> Option<u32> {
    if part.is_empty() || part.len() > 9 || part.starts_with('0') || !part.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    part.parse().ok().filter(|n| (1..=max).contains(n))
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OrgOid {
    text: String,
    kind: u8,
    region: RegionCode,
    number: u32,
}

impl OrgOid {
    pub fn parse(text: &str) -> Result<Self, ValidationError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(invalid("не заполнено"));
        }
        let shape = "ожидается OID организации вида 1.2.643.5.1.13.13.12.<вид 1–4>.<код региона>.<номер>";
        let rest = text.strip_prefix(ROOT).ok_or_else(|| invalid(shape))?;
        let parts: Vec<&str> = rest.split('.').collect();
        let [kind, region, n] = parts[..] else { return Err(invalid(shape)) };
        let kind = number(kind, 4).ok_or_else(|| invalid(KIND))?;
        if region.len() > 1 && region.starts_with('0') {
            return Err(invalid("код региона в OID пишется без ведущего нуля"));
        }
        let region = number(region, 99)
            .and_then(|r| u8::try_from(r).ok())
            .and_then(RegionCode::from_code)
            .ok_or_else(|| invalid("в OID нет такого кода региона"))?;
        let n = number(n, MAX_NUMBER).ok_or_else(|| invalid(NUMBER))?;
        OrgOid::new(kind as u8, region, n)
    }

    /// `kind` 1–4, `number` 1–999999.
    pub fn new(kind: u8, region: RegionCode, number: u32) -> Result<Self, ValidationError> {
        if !(1..=4).contains(&kind) {
            return Err(invalid(KIND));
        }
        if !(1..=MAX_NUMBER).contains(&number) {
            return Err(invalid(NUMBER));
        }
        let text = format!("{ROOT}{kind}.{}.{number}", region.code());
        Ok(OrgOid { text, kind, region, number })
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub fn kind(&self) -> u8 {
        self.kind
    }

    /// The region the OID was issued in (an organization may since have another `regionId`).
    pub fn region(&self) -> RegionCode {
        self.region
    }

    pub fn number(&self) -> u32 {
        self.number
    }
}

text_serde!(OrgOid);

/// Splits `<orgOid>.0.<n>[.<m>]` into the organization OID and the numbers after `.0.`.
fn split_child(text: &str, expected: usize) -> Result<(OrgOid, Vec<u32>), ValidationError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(invalid("не заполнено"));
    }
    let shape = if expected == 1 {
        "ожидается OID подразделения вида <OID организации>.0.<номер>"
    } else {
        "ожидается OID отделения вида <OID организации>.0.<номер подразделения>.<номер>"
    };
    let rest = text.strip_prefix(ROOT).ok_or_else(|| invalid(shape))?;
    let parts: Vec<&str> = rest.split('.').collect();
    if parts.len() != 4 + expected || parts[3] != "0" {
        return Err(invalid(shape));
    }
    let org = OrgOid::parse(&format!("{ROOT}{}", parts[..3].join(".")))?;
    let numbers = parts[4..]
        .iter()
        .map(|p| number(p, MAX_CHILD).ok_or_else(|| invalid(CHILD_NUMBER)))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((org, numbers))
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DepartmentOid {
    org: OrgOid,
    number: u32,
    text: String,
}

impl DepartmentOid {
    pub fn parse(text: &str) -> Result<Self, ValidationError> {
        let (org, numbers) = split_child(text, 1)?;
        DepartmentOid::new(&org, numbers[0])
    }

    pub fn new(org: &OrgOid, number: u32) -> Result<Self, ValidationError> {
        if !(1..=MAX_CHILD).contains(&number) {
            return Err(invalid(CHILD_NUMBER));
        }
        Ok(DepartmentOid { text: format!("{org}.0.{number}"), org: org.clone(), number })
    }

    pub fn org(&self) -> &OrgOid {
        &self.org
    }

    pub fn number(&self) -> u32 {
        self.number
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }
}

text_serde!(DepartmentOid);

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SubdivisionOid {
    department: DepartmentOid,
    number: u32,
    text: String,
}

impl SubdivisionOid {
    pub fn parse(text: &str) -> Result<Self, ValidationError> {
        let (org, numbers) = split_child(text, 2)?;
        SubdivisionOid::new(&DepartmentOid::new(&org, numbers[0])?, numbers[1])
    }

    pub fn new(department: &DepartmentOid, number: u32) -> Result<Self, ValidationError> {
        if !(1..=MAX_CHILD).contains(&number) {
            return Err(invalid(CHILD_NUMBER));
        }
        let text = format!("{department}.{number}");
        Ok(SubdivisionOid { department: department.clone(), number, text })
    }

    pub fn department(&self) -> &DepartmentOid {
        &self.department
    }

    pub fn number(&self) -> u32 {
        self.number
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }
}

text_serde!(SubdivisionOid);
