//! ИНН: 10 digits for a legal entity, 12 for a person or individual entrepreneur.

use super::checksum::{INN10_WEIGHTS, INN12_WEIGHTS_11, INN12_WEIGHTS_12, inn_check};
use super::{digits, string_newtype, values};
use crate::error::ValidationError;

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Inn(String);

impl Inn {
    pub fn parse(text: &str) -> Result<Self, ValidationError> {
        let text = digits(text, "inn", "ИНН", &[10, 12], "10 или 12 цифр")?;
        let d = values(text);
        let ok = if d.len() == 10 {
            inn_check(&d[..9], &INN10_WEIGHTS) == d[9]
        } else {
            inn_check(&d[..10], &INN12_WEIGHTS_11) == d[10] && inn_check(&d[..11], &INN12_WEIGHTS_12) == d[11]
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
