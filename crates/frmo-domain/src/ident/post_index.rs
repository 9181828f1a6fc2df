//! Почтовый индекс: 6 digits.

use super::{digits, string_newtype};
use crate::error::ValidationError;

/// A Russian postal code.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PostIndex(String);

impl PostIndex {
    pub fn parse(text: &str) -> Result<Self, ValidationError> {
        digits(text, "post_index", "Почтовый индекс", &[6], "6 цифр").map(|t| PostIndex(t.to_owned()))
    }
}

string_newtype!(PostIndex);
