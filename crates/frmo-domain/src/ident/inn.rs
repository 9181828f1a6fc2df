//! ИНН: 10 digits for a legal entity, 12 for a person or individual entrepreneur.

use super::checksum::{inn10_check_digit, inn12_check_digits};
use super::{digit_array, digits, string_newtype};
use crate::error::ValidationError;

/// A taxpayer number whose check digits are right.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Inn(String);

impl Inn {
    pub fn parse(text: &str) -> Result<Self, ValidationError> {
        let text = digits(text, "inn", "ИНН", &[10, 12], "10 или 12 цифр")?;
        let d = text.as_bytes();
        let ok = if d.len() == 10 {
            inn10_check_digit(&digit_array(&d[..9])) == d[9] - b'0'
        } else {
            inn12_check_digits(&digit_array(&d[..10])) == (d[10] - b'0', d[11] - b'0')
        };
        if !ok {
            return Err(ValidationError::new("inn", "ИНН", "неверное контрольное число"));
        }
        Ok(Inn(text.to_owned()))
    }

    /// 10 digits: a legal entity; 12: a person or individual entrepreneur.
    pub fn is_legal_entity(&self) -> bool {
        self.0.len() == 10
    }
}

string_newtype!(Inn);
