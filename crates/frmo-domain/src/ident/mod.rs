//! Identifier newtypes. Each has a private value and one constructor, `parse`, that trims the
//! input and validates it (check digits included), so a value of the type is valid by
//! construction. Each has `as_str()`, `Display`, `FromStr` and serde as a string whose
//! deserialization goes through `parse` (exceptions: `RegionCode` is a number in JSON, as
//! `regionId` is in ФРМО; `SettlementAccount` cannot be checked without its БИК, so it only
//! serializes). Errors name the field and say in Russian what is wrong: «не заполнено», «должен
//! состоять из …», «неверное контрольное число».

mod bank;
pub mod checksum;
mod inn;
mod kpp;
mod ogrn;
mod oid;
mod post_index;
mod region;
mod snils;

pub use bank::{Bik, SettlementAccount};
pub use inn::Inn;
pub use kpp::Kpp;
pub use ogrn::{Ogrn, Ogrnip};
pub use oid::{DepartmentOid, OrgOid, SubdivisionOid};
pub use post_index::PostIndex;
pub use region::RegionCode;
pub use snils::Snils;

use crate::error::ValidationError;

/// Trims the input and requires `len` ASCII digits (one of `lens`).
pub(crate) fn digits<'a>(
    text: &'a str,
    field: &'static str,
    label: &'static str,
    lens: &[usize],
    shape: &str,
) -> Result<&'a str, ValidationError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(ValidationError::new(field, label, "не заполнено"));
    }
    if !text.bytes().all(|b| b.is_ascii_digit()) || !lens.contains(&text.len()) {
        return Err(ValidationError::new(field, label, format!("должен состоять из {shape}")));
    }
    Ok(text)
}

/// The values of exactly `N` ASCII digits (callers pass slices already checked to be digits of
/// that length; anything else yields zeros where it does not fit, never a panic).
pub(crate) fn digit_array<const N: usize>(digits: &[u8]) -> [u8; N] {
    let mut out = [0u8; N];
    for (to, from) in out.iter_mut().zip(digits) {
        *to = from.wrapping_sub(b'0');
    }
    out
}

/// Implements Display, FromStr and string serde (through `parse`) for a type with
/// `parse(&str)` and `as_str()`.
macro_rules! text_serde {
    ($type:ident) => {
        impl std::fmt::Display for $type {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $type {
            type Err = $crate::error::ValidationError;
            fn from_str(text: &str) -> Result<Self, Self::Err> {
                Self::parse(text)
            }
        }

        impl serde::Serialize for $type {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $type {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                Self::parse(&text).map_err(serde::de::Error::custom)
            }
        }
    };
}
pub(crate) use text_serde;

/// `text_serde!` plus `as_str` for a newtype over `String`.
macro_rules! string_newtype {
    ($type:ident) => {
        impl $type {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
        $crate::ident::text_serde!($type);
    };
}
pub(crate) use string_newtype;
