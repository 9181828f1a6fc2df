//! СНИЛС: 11 digits, written `XXX-XXX-XXX YY` or bare; the last two are the check number.

use super::checksum::{SNILS_FIRST_CHECKED, snils_check};
use super::string_newtype;
use crate::error::ValidationError;

/// An insurance number of an individual personal account; stored as 11 bare digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Snils(String);

impl Snils {
    /// Accepts 11 bare digits, or `XXX-XXX-XXX YY` where each of the three separators may be a
    /// hyphen or a space (`XXX-XXX-XXX-YY`, `XXX XXX XXX YY`); separators anywhere else are refused.
    pub fn parse(text: &str) -> Result<Self, ValidationError> {
        let text = text.trim();
        let invalid = |m: &str| ValidationError::new("snils", "СНИЛС", m);
        if text.is_empty() {
            return Err(invalid("не заполнено"));
        }
        let b = text.as_bytes();
        let separator = |c: u8| c == b'-' || c == b' ';
        let number: String = match b.len() {
            11 if b.iter().all(u8::is_ascii_digit) => text.to_owned(),
            14 if [3, 7, 11].iter().all(|&i| separator(b[i]))
                && [&b[..3], &b[4..7], &b[8..11], &b[12..]].iter().all(|p| p.iter().all(u8::is_ascii_digit)) =>
            {
                text.chars().filter(char::is_ascii_digit).collect()
            }
            _ => return Err(invalid("должен состоять из 11 цифр: XXX-XXX-XXX YY или подряд")),
        };
        let body: u32 = number[..9].bytes().fold(0, |n, b| n * 10 + u32::from(b - b'0'));
        let check: u8 = number[9..].bytes().fold(0, |n, b| n * 10 + (b - b'0'));
        if body >= SNILS_FIRST_CHECKED && snils_check(body) != check {
            return Err(invalid("неверное контрольное число"));
        }
        Ok(Snils(number))
    }

    /// `XXX-XXX-XXX YY`.
    pub fn formatted(&self) -> String {
        let s = &self.0;
        format!("{}-{}-{} {}", &s[..3], &s[3..6], &s[6..9], &s[9..])
    }
}

string_newtype!(Snils);
