//! ОГРН (13 digits, legal entities) and ОГРНИП (15 digits, individual entrepreneurs).

use super::checksum::ogrn_check;
use super::{digits, string_newtype, values};
use crate::error::ValidationError;

fn parse(
    text: &str,
    field: &'static str,
    label: &'static str,
    len: usize,
    modulus: u64,
) -> Result<String, ValidationError> {
    let text = digits(text, field, label, &[len], &format!("{len} цифр"))?;
    let body: u64 = text[..len - 1].parse().map_err(|_| ValidationError::new(field, label, "неверный формат"))?;
    if ogrn_check(body, modulus) != values(&text[len - 1..])[0] {
        return Err(ValidationError::new(field, label, "неверное контрольное число"));
    }
    Ok(text.to_owned())
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ogrn(String);

impl Ogrn {
    pub fn parse(text: &str) -> Result<Self, ValidationError> {
        parse(text, "ogrn", "ОГРН", 13, 11).map(Ogrn)
    }
}

string_newtype!(Ogrn);

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ogrnip(String);

impl Ogrnip {
    pub fn parse(text: &str) -> Result<Self, ValidationError> {
        parse(text, "ogrnip", "ОГРНИП", 15, 13).map(Ogrnip)
    }
}

string_newtype!(Ogrnip);
