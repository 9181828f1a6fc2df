//! ОГРН (13 digits, legal entities) and ОГРНИП (15 digits, individual entrepreneurs).

use super::checksum::{ogrn_check_digit, ogrnip_check_digit};
use super::{digits, string_newtype};
use crate::error::ValidationError;

/// Digits, length and the last digit computed by `check` from the number formed by the others.
fn parse(
    text: &str,
    field: &'static str,
    label: &'static str,
    len: usize,
    check: fn(u64) -> u8,
) -> Result<String, ValidationError> {
    let text = digits(text, field, label, &[len], &format!("{len} цифр"))?;
    let (body, last) = text.split_at(len - 1);
    // At most 14 ASCII digits: always fits in a u64.
    let body: u64 = body.bytes().fold(0, |n, b| n * 10 + u64::from(b - b'0'));
    if check(body) != last.as_bytes()[0] - b'0' {
        return Err(ValidationError::new(field, label, "неверное контрольное число"));
    }
    Ok(text.to_owned())
}

/// Основной государственный регистрационный номер of a legal entity.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ogrn(String);

/// The first digit (признак отнесения) a number of each kind starts with.
fn first_digit(
    text: String,
    field: &'static str,
    label: &'static str,
    allowed: &[u8],
    expected: &str,
) -> Result<String, ValidationError> {
    if allowed.contains(&text.as_bytes()[0]) {
        Ok(text)
    } else {
        Err(ValidationError::new(field, label, format!("{expected}, а не с {}", &text[..1])))
    }
}

impl Ogrn {
    pub fn parse(text: &str) -> Result<Self, ValidationError> {
        let text = parse(text, "ogrn", "ОГРН", 13, ogrn_check_digit)?;
        first_digit(text, "ogrn", "ОГРН", b"15", "у юридического лица начинается с 1 или 5").map(Ogrn)
    }
}

string_newtype!(Ogrn);

/// ОГРН of an individual entrepreneur.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ogrnip(String);

impl Ogrnip {
    pub fn parse(text: &str) -> Result<Self, ValidationError> {
        let text = parse(text, "ogrnip", "ОГРНИП", 15, ogrnip_check_digit)?;
        first_digit(text, "ogrnip", "ОГРНИП", b"3", "начинается с 3").map(Ogrnip)
    }
}

string_newtype!(Ogrnip);
