//! КПП: 4 digits (tax office), 2 digits or capital Latin letters (reason), 3 digits (number).

use super::string_newtype;
use crate::error::ValidationError;

/// Код причины постановки на учёт; checked by format only (it has no check digit).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Kpp(String);

impl Kpp {
    pub fn parse(text: &str) -> Result<Self, ValidationError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(ValidationError::new("kpp", "КПП", "не заполнено"));
        }
        let b = text.as_bytes();
        let ok = b.len() == 9
            && b[..4].iter().all(u8::is_ascii_digit)
            && b[4..6].iter().all(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
            && b[6..].iter().all(u8::is_ascii_digit);
        if !ok {
            return Err(ValidationError::new(
                "kpp",
                "КПП",
                "должен состоять из 9 знаков: 4 цифры, 2 цифры или заглавные латинские буквы, 3 цифры",
            ));
        }
        Ok(Kpp(text.to_owned()))
    }
}

string_newtype!(Kpp);
