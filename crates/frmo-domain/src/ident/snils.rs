//! СНИЛС: 11 digits, written `XXX-XXX-XXX YY` or bare; the last two are the check number.

use super::checksum::snils_check;
use super::{string_newtype, values};
use crate::error::ValidationError;

/// Check numbers apply only above 001-001-998.
const FIRST_CHECKED: u32 = 1_001_998;

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Snils(String);

impl Snils {
    pub fn parse(text: &str) -> Result<Self, ValidationError> {
        let text = text.trim();
        let invalid = |m: &str| ValidationError::new("snils", "СНИЛС", m);
        if text.is_empty() {
            return Err(invalid("не заполнено"));
        }
        let b = text.as_bytes();
        let formatted = b.len() == 14
            && b[3] == b'-'
            && b[7] == b'-'
            && (b[11] == b' ' || b[11] == b'-')
            && [&b[..3], &b[4..7], &b[8..11], &b[12..]].iter().all(|p| p.iter().all(u8::is_ascii_digit));
        let bare = b.len() == 11 && b.iter().all(u8::is_ascii_digit);
        if !formatted && !bare {
            return Err(invalid("ожидается 11 цифр в виде XXX-XXX-XXX YY или без разделителей"));
        }
        let number: String = text.chars().filter(char::is_ascii_digit).collect();
        let d = values(&number);
        let body: u32 = number[..9].parse().map_err(|_| invalid("неверный формат"))?;
        if body > FIRST_CHECKED && snils_check(&d[..9]) != d[9] * 10 + d[10] {
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
