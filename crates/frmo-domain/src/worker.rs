//! Medical workers (ФРМР): the person (СНИЛС, name, sex, birth date, citizenship, contacts, identity
//! document), their employment cards in organizations (department, position from directory 1002,
//! employment type, rate, begin and end), their admission to practice (specialist certificates and
//! accreditations, specialty from directory 1066), education and qualification category. Each part
//! is validated into errors that name their field, in Russian. Field names follow ФРМР's API.

use serde::{Deserialize, Serialize};
use time::Date;

use crate::error::ValidationError;
use crate::ident::Snils;
use crate::reference;

/// `1` male, `2` female (ФРМР `gender`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Sex {
    #[serde(rename = "1")]
    Male,
    #[serde(rename = "2")]
    Female,
}

impl Sex {
    pub fn parse(text: &str) -> Result<Self, ValidationError> {
        match text.trim().to_lowercase().as_str() {
            "1" | "м" | "муж" | "мужской" | "m" | "male" => Ok(Sex::Male),
            "2" | "ж" | "жен" | "женский" | "f" | "female" => Ok(Sex::Female),
            _ => Err(ValidationError::new("sex", "Пол", "ожидается «м» или «ж» (1 или 2)")),
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Sex::Male => "мужской",
            Sex::Female => "женский",
        }
    }

    /// «м» or «ж», as forms and files write it.
    pub fn letter(self) -> &'static str {
        match self {
            Sex::Male => "м",
            Sex::Female => "ж",
        }
    }

    pub fn code(self) -> i64 {
        match self {
            Sex::Male => 1,
            Sex::Female => 2,
        }
    }

    pub fn from_code(code: i64) -> Self {
        if code == 2 { Sex::Female } else { Sex::Male }
    }
}

/// A person as ФРМР keeps them (the personal data: СНИЛС, birth date, contacts, document).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Person {
    pub snils: Snils,
    pub last_name: String,
    pub first_name: String,
    #[serde(default)]
    pub patronymic: Option<String>,
    pub sex: Sex,
    pub birth_date: Date,
    /// ОКСМ code of the citizenship (643 — Россия).
    pub citizenship: u32,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    /// Identity document: «паспорт 3604 123456, выдан …» as typed.
    #[serde(default)]
    pub document: Option<String>,
}

impl Person {
    /// «Фамилия Имя Отчество».
    pub fn full_name(&self) -> String {
        let mut name = format!("{} {}", self.last_name, self.first_name);
        if let Some(p) = &self.patronymic {
            name.push(' ');
            name.push_str(p);
        }
        name
    }
}

/// An employment card: one position of a person in an organization.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Employment {
    /// Department (its name or OID) as the organization's structure names it.
    pub department: String,
    /// Directory `positions` (stands for НСИ 1.2.643.5.1.13.13.11.1002; local codes until installed).
    pub position: u32,
    /// Directory `employment_types`: 1 основное, 2 внутреннее совместительство, 3 совмещение, 4 внешнее.
    pub position_type: u32,
    /// Rate in hundredths (0.25 → 25; at most 1.5 per card).
    pub rate: u32,
    pub begin_date: Date,
    #[serde(default)]
    pub end_date: Option<Date>,
    #[serde(default)]
    pub dismissal_reason: Option<u32>,
}

/// A document admitting to practice: a specialist certificate or an accreditation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Credential {
    /// Directory `credential_kinds`.
    pub kind: u32,
    /// Directory `specialties` (stands for НСИ 1.2.643.5.1.13.13.11.1066; local codes until installed).
    pub specialty: u32,
    pub number: String,
    pub issued_on: Date,
    pub valid_until: Date,
}

/// Education: a diploma (or a postgraduate one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Education {
    /// Directory `education_levels`.
    pub level: u32,
    pub institution: String,
    pub document_number: String,
    pub issued_on: Date,
    /// The specialty as the diploma says.
    pub specialty: String,
}

/// A qualification category.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Qualification {
    /// Directory `qualification_categories`.
    pub category: u32,
    /// Directory `specialties`.
    pub specialty: u32,
    pub assigned_on: Date,
    pub valid_until: Date,
}

/// A directory code typed as text; the error names the field.
pub fn directory_code(
    text: &str,
    directory: &str,
    field: &'static str,
    label: &'static str,
) -> Result<u32, ValidationError> {
    let code: u32 = text.trim().parse().map_err(|_| ValidationError::new(field, label, "ожидается код справочника"))?;
    if reference::get(directory).is_some_and(|d| d.contains(code)) {
        Ok(code)
    } else {
        Err(ValidationError::new(field, label, format!("кода {code} нет в справочнике")))
    }
}

/// A number of rates typed as `2`, `0,5`, `.25`: in hundredths (at most two decimals).
pub fn hundredths(text: &str) -> Option<u32> {
    let text = text.trim().replace(',', ".");
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    if whole.is_empty() && fraction.is_empty()
        || fraction.len() > 2
        || !whole.bytes().chain(fraction.bytes()).all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let whole: u32 = if whole.is_empty() { 0 } else { whole.parse().ok()? };
    let fraction: u32 = format!("{fraction:0<2}").parse().ok()?;
    whole.checked_mul(100)?.checked_add(fraction)
}

/// A card's rate typed as `1`, `0,5`, `0.25`: hundredths, from 0.01 to 1.5.
pub fn parse_rate(text: &str) -> Result<u32, ValidationError> {
    hundredths(text)
        .filter(|rate| (1..=150).contains(rate))
        .ok_or_else(|| ValidationError::new("rate", "Ставка", "ожидается число от 0,01 до 1,5 (например 0,5)"))
}

/// `0,25`, `1`: a rate in hundredths as Russian forms write it.
pub fn format_rate(hundredths: i64) -> String {
    let (whole, fraction) = (hundredths / 100, hundredths.rem_euclid(100));
    match fraction {
        0 => whole.to_string(),
        f if f % 10 == 0 => format!("{whole},{}", f / 10),
        f => format!("{whole},{f:02}"),
    }
}

/// A name part: letters (Cyrillic or Latin), hyphens, spaces and apostrophes, 1–100 characters.
pub fn name_part(text: &str, field: &'static str, label: &'static str) -> Result<String, ValidationError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(ValidationError::new(field, label, "не заполнено"));
    }
    if text.chars().count() > 100 || !text.chars().all(|c| c.is_alphabetic() || " -'’.".contains(c)) {
        return Err(ValidationError::new(field, label, "допустимы буквы, дефис, пробел и апостроф"));
    }
    Ok(text.to_owned())
}

/// The birth date of a working person: not in the future, not more than 100 years ago, 14 or older.
pub fn birth_date(date: Date, today: Date) -> Result<Date, ValidationError> {
    let invalid = |m: &str| ValidationError::new("birthDate", "Дата рождения", m);
    if date > today {
        return Err(invalid("не может быть в будущем"));
    }
    let age = today.year() - date.year() - i32::from((today.month(), today.day()) < (date.month(), date.day()));
    if age < 14 {
        return Err(invalid("работнику не может быть меньше 14 лет"));
    }
    if age > 100 {
        return Err(invalid("больше 100 лет назад — проверьте год"));
    }
    Ok(date)
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    #[test]
    fn rates_read_in_hundredths() {
        assert_eq!(parse_rate("1"), Ok(100));
        assert_eq!(parse_rate("0,5"), Ok(50));
        assert_eq!(parse_rate("0.25"), Ok(25));
        assert_eq!(parse_rate(",75"), Ok(75));
        assert_eq!(parse_rate("1.5"), Ok(150));
        for bad in ["", "0", "1.75", "2", "0.125", "abc", "-1", ".", "1,2,3"] {
            assert!(parse_rate(bad).is_err(), "{bad}");
        }
        assert_eq!(format_rate(25), "0,25");
        assert_eq!(format_rate(50), "0,5");
        assert_eq!(format_rate(100), "1");
    }

    #[test]
    fn names_sexes_and_birth_dates_are_checked() {
        assert_eq!(name_part(" Иванова ", "lastName", "Фамилия").as_deref(), Ok("Иванова"));
        assert!(name_part("Иванова1", "lastName", "Фамилия").is_err());
        assert_eq!(Sex::parse("Ж"), Ok(Sex::Female));
        assert!(Sex::parse("x").is_err());
        let today = date!(2026 - 11 - 23);
        assert!(birth_date(date!(1980 - 05 - 01), today).is_ok());
        assert!(birth_date(date!(2020 - 01 - 01), today).is_err());
        assert!(birth_date(date!(1900 - 01 - 01), today).is_err());
        assert!(birth_date(date!(2027 - 01 - 01), today).is_err());
        assert_eq!(directory_code("3", "employment_types", "positionType", "Тип занятости"), Ok(3));
        assert!(directory_code("9", "employment_types", "positionType", "Тип занятости").is_err());
    }
}
