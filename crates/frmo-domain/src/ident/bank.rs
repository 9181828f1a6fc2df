//! БИК (9 digits, Russian banks start with 04) and the settlement account, whose control key is
//! computed together with the БИК.

use super::checksum::account_key_ok;
use super::{digits, string_newtype};
use crate::error::ValidationError;

/// Банковский идентификационный код of a bank in Russia.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
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

/// A settlement account whose control key fits a given bank. It serializes as its 20 digits but
/// has no `Deserialize` or `FromStr`: it cannot be checked without the БИК, so read it as a string
/// and call [`SettlementAccount::parse`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SettlementAccount(String);

impl SettlementAccount {
    pub fn parse(account: &str, bik: &Bik) -> Result<Self, ValidationError> {
        let (field, label) = ("settlement_account", "Расчётный счёт");
        let text = digits(account, field, label, &[20], "20 цифр")?;
        let values = |s: &str| s.bytes().map(|b| u32::from(b - b'0')).collect::<Vec<_>>();
        if !account_key_ok(&values(&bik.as_str()[6..]), &values(text)) {
            return Err(ValidationError::new(field, label, "неверный контрольный ключ (проверьте счёт и БИК)"));
        }
        Ok(SettlementAccount(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for SettlementAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl serde::Serialize for SettlementAccount {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}
