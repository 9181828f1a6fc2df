//! Query strings without surprises: parsed into text fields, so a malformed one is a 400 in the
//! caller's format (and a wrong value is named by the registry's parser), never axum's plain text.

use axum::extract::RawQuery;
use frmo_domain::error::ValidationError;
use frmo_registry::RegistryError;
use serde::de::DeserializeOwned;

pub fn parse<T: DeserializeOwned + Default>(RawQuery(raw): RawQuery) -> Result<T, RegistryError> {
    let malformed = || {
        RegistryError::invalid(ValidationError::new(
            "query",
            "Параметры запроса",
            "строка запроса не разобрана: параметр повторяется или неверно закодирован",
        ))
    };
    match raw {
        None => Ok(T::default()),
        Some(raw) if !decodes_to_utf8(&raw) => Err(malformed()),
        Some(raw) => serde_urlencoded::from_str(&raw).map_err(|_| malformed()),
    }
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
    use super::decodes_to_utf8;

    #[test]
    fn percent_encoding_must_be_utf8() {
        assert!(decodes_to_utf8("q=%D1%83%D0%BD&region=63"));
        assert!(!decodes_to_utf8("q=%FF"));
        assert!(!decodes_to_utf8("q=%D1"));
        assert!(!decodes_to_utf8("q=%"));
        assert!(!decodes_to_utf8("q=%zz"));
    }
}
