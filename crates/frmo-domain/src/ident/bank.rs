//! БИК (9 digits, Russian banks start with 04) and the settlement account, whose control key is
//! computed together with the БИК.

use super::checksum::account_key_ok;
use super::{digits, string_newtype, values};
use crate::error::ValidationError;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Bik(String);

impl Bik {
    pub fn parse(text: &str) -> Result<Self, ValidationError> {
        let text = digits(text, "bik", "БИК", &[9], "9 цифр")?;
        if !text.starts_with("04") {
            return Err(ValidationError::new("bik", "БИК", "БИК банка в России начинается с 04"));
        }
        Ok(Bik(text.to_owned()))
    }
}

string_newtype!(Bik);

/// A settlement account valid for a given bank; no serde, since it cannot be checked alone.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SettlementAccount(String);

impl SettlementAccount {
    pub fn parse(account: &str, bik: &Bik) -> Result<Self, ValidationError> {
        let (field, label) = ("settlement_account", "Расчётный счёт");
        let text = digits(account, field, label, &[20], "20 цифр")?;
        if !account_key_ok(&values(&bik.as_str()[6..]), &values(text)) {
            return Err(ValidationError::new(field, label, "неверный контрольный ключ (проверьте счёт и БИК)"));
        }
        Ok(SettlementAccount(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}
