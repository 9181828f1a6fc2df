//! Query strings without surprises: parsed into text fields, so a malformed one is a 400 in the
//! caller's format (and a wrong value is named by the registry's parser), never axum's plain text.
//! A parameter given twice or not encoded as UTF-8 is refused naming it; the API ([`ApiQuery`])
//! also refuses a parameter given without a value (`?region=`): it means nothing, and the pages'
//! forms, which send every field, are the only callers allowed to do that.

use axum::extract::{FromRequestParts, RawQuery};
use axum::http::request::Parts;
use frmo_domain::error::ValidationError;
use frmo_registry::RegistryError;
use serde::de::{self, DeserializeOwned, Visitor};

use crate::error::ApiError;

/// The label of errors about a parameter as such (its text is not looked at).
const LABEL: &str = "Параметр запроса";

pub fn parse<T: DeserializeOwned + Default>(RawQuery(raw): RawQuery) -> Result<T, RegistryError> {
    read(raw, false)
}

/// Query parameters of the JSON API: as [`parse`], and a parameter without a value is refused;
/// errors are the API's JSON.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned + Default, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ApiQuery(read(parts.uri.query().map(str::to_owned), true)?))
    }
}

fn read<T: DeserializeOwned + Default>(raw: Option<String>, refuse_empty: bool) -> Result<T, RegistryError> {
    let Some(raw) = raw else { return Ok(T::default()) };
    let fields = fields_of::<T>();
    let invalid = |field, message: &str| RegistryError::invalid(ValidationError::new(field, LABEL, message));
    // A parameter's name as the caller's struct spells it (`'static`, so errors can carry it).
    let known = |name: &str| fields.iter().copied().find(|field| *field == name);
    let mut seen: Vec<&'static str> = Vec::new();
    for pair in raw.split('&').filter(|pair| !pair.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let decoded: Vec<(String, String)> = serde_urlencoded::from_str(name).unwrap_or_default();
        let field = decoded.first().and_then(|(name, _)| known(name));
        if !decodes_to_utf8(pair) {
            let field = field.unwrap_or("query");
            return Err(invalid(field, &format!("«{field}» неверно закодирован: ожидается текст в UTF-8")));
        }
        let Some(field) = field else { continue };
        if seen.contains(&field) {
            return Err(invalid(field, &format!("«{field}» указан несколько раз; укажите его один раз")));
        }
        seen.push(field);
        let value: Vec<(String, String)> = serde_urlencoded::from_str(&format!("v={value}")).unwrap_or_default();
        if refuse_empty && value.first().is_none_or(|(_, v)| v.trim().is_empty()) {
            return Err(invalid(field, &format!("«{field}» без значения; укажите значение или уберите параметр")));
        }
    }
    serde_urlencoded::from_str(&raw)
        .map_err(|_| invalid("query", "строка запроса не разобрана: параметр повторяется или неверно закодирован"))
}

/// The field names of a struct `T` deserializes into (as renamed for serde), read from its
/// `Deserialize` implementation; empty for anything else.
fn fields_of<T: DeserializeOwned>() -> &'static [&'static str] {
    struct Fields(&'static [&'static str]);
    #[derive(Debug)]
    struct Stop;
    impl std::fmt::Display for Stop {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("fields read")
        }
    }
    impl std::error::Error for Stop {}
    impl de::Error for Stop {
        fn custom<M: std::fmt::Display>(_: M) -> Self {
            Stop
        }
    }
    impl<'de> de::Deserializer<'de> for &mut Fields {
        type Error = Stop;
        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Stop> {
            Err(Stop)
        }
        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Stop> {
            self.0 = fields;
            Err(Stop)
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option unit
            unit_struct newtype_struct seq tuple tuple_struct map enum identifier ignored_any
        }
    }
    let mut fields = Fields(&[]);
    let _ = T::deserialize(&mut fields);
    fields.0
}

/// Whether percent-decoding gives UTF-8 (the decoder would otherwise replace bad bytes silently).
fn decodes_to_utf8(raw: &str) -> bool {
    let bytes = raw.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                    (Some(h), Some(l)) => decoded.push((h * 16 + l) as u8),
                    _ => return false,
                }
                i += 3;
            }
            b'%' => return false,
            byte => {
                decoded.push(byte);
                i += 1;
            }
        }
    }
    std::str::from_utf8(&decoded).is_ok()
}

/// Percent-encoding (RFC 3986): every byte but ASCII letters, digits and the bytes of `keep`.
pub fn percent_encode(text: &str, keep: &[u8]) -> String {
    text.bytes()
        .map(
            |b| {
                if b.is_ascii_alphanumeric() || keep.contains(&b) {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            },
        )
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_encoding_must_be_utf8() {
        assert!(decodes_to_utf8("q=%D1%83%D0%BD&region=63"));
        assert!(!decodes_to_utf8("q=%FF"));
        assert!(!decodes_to_utf8("q=%D1"));
        assert!(!decodes_to_utf8("q=%"));
        assert!(!decodes_to_utf8("q=%zz"));
    }

    #[derive(Debug, Default, serde::Deserialize)]
    #[allow(dead_code)] // only what is refused matters here
    struct Params {
        region: Option<String>,
        #[serde(rename = "type")]
        kind: Option<String>,
    }

    fn field(raw: &str, api: bool) -> Option<&'static str> {
        match read::<Params>(Some(raw.to_owned()), api) {
            Ok(_) => None,
            Err(RegistryError::Invalid(errors)) => Some(errors[0].field),
            Err(other) => panic!("{other}"),
        }
    }

    #[test]
    fn every_refusal_names_the_parameter() {
        assert_eq!(fields_of::<Params>(), ["region", "type"]);
        assert_eq!(field("region=63&type=1", true), None);
        assert_eq!(field("region=63&region=77", false), Some("region"));
        assert_eq!(field("type=%FF", false), Some("type"));
        assert_eq!(field("%FF=1", false), Some("query"));
        assert_eq!(field("other=1&other=2", true), None, "unknown parameters are ignored");
        assert_eq!(field("region=", false), None, "a form's empty field is no filter");
        for empty in ["region=", "region", "region=+", "region=%20%09"] {
            assert_eq!(field(empty, true), Some("region"), "{empty}");
        }
        assert_eq!(field("type=", true), Some("type"));
    }
}
