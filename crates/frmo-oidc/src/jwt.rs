//! JSON Web Tokens in the JWS compact serialization: parsing, RS256 and ES256
//! signature verification, and the time claims.
//!
//! The module knows nothing of OpenID Connect and is meant to be reused (the
//! ЕСИА crate checks its own RS256 tokens with it). It deliberately does not
//! decide *which* key verifies a token: callers pick the key from whatever they
//! trust (a JWKS, a pinned certificate) and then call a `verify_*` function.
//!
//! ```no_run
//! # fn demo(token: &str, n: &[u8], e: &[u8], now: i64) -> Result<(), frmo_oidc::jwt::JwtError> {
//! use frmo_oidc::jwt;
//! let jwt = jwt::parse(token)?;
//! assert_eq!(jwt.alg(), Some("RS256"));
//! jwt::verify_rs256(n, e, jwt.signing_input.as_bytes(), &jwt.signature)?;
//! jwt::check_time(&jwt.claims, now, 60)?;
//! # Ok(()) }
//! ```

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rsa::pkcs8::DecodePublicKey as _;
use rsa::traits::PublicKeyParts as _;
use rsa::{BigUint, Pkcs1v15Sign, RsaPublicKey};
use serde_json::Value;
use sha2::{Digest as _, Sha256};

/// The smallest RSA modulus accepted, in bits (RFC 7518 §3.3 requires 2048).
pub const MIN_RSA_BITS: usize = 2048;

/// The largest RSA modulus accepted, in bits.
pub const MAX_RSA_BITS: usize = 8192;

/// Why a token was not accepted. Messages are in Russian and name what failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JwtError {
    /// The token is not three base64url parts separated by dots.
    #[error("JWT: неверный формат токена: {0}")]
    Malformed(&'static str),
    /// A part is not valid unpadded base64url.
    #[error("JWT: {0} не в кодировке base64url")]
    Base64(&'static str),
    /// The header or the payload is not a JSON object.
    #[error("JWT: {0} не является JSON-объектом")]
    Json(&'static str),
    /// The `alg` of the header is not one this code verifies.
    #[error("JWT: алгоритм подписи «{0}» не поддерживается")]
    UnsupportedAlgorithm(String),
    /// The public key could not be used.
    #[error("JWT: открытый ключ непригоден: {0}")]
    InvalidKey(String),
    /// The RSA key is shorter than [`MIN_RSA_BITS`].
    #[error("JWT: RSA-ключ слишком короткий: {0} бит, нужно не меньше 2048")]
    KeyTooSmall(usize),
    /// The certificate could not be parsed far enough to find its public key.
    #[error("JWT: сертификат X.509 не разобран: {0}")]
    Certificate(&'static str),
    /// The signature does not match the signing input and the key.
    #[error("JWT: подпись не прошла проверку")]
    BadSignature,
    /// A required claim is absent.
    #[error("JWT: нет обязательного утверждения «{0}»")]
    MissingClaim(&'static str),
    /// A claim has the wrong type (e.g. `exp` is not a number).
    #[error("JWT: утверждение «{0}» имеет неверный тип или значение")]
    InvalidClaim(&'static str),
    /// `exp` has passed (leeway included).
    #[error("JWT: срок действия токена истёк (exp {exp}, сейчас {now})")]
    Expired {
        /// The `exp` claim.
        exp: i64,
        /// The time of the check.
        now: i64,
    },
    /// `nbf` has not come yet (leeway included).
    #[error("JWT: токен ещё не действует (nbf {nbf}, сейчас {now})")]
    NotYetValid {
        /// The `nbf` claim.
        nbf: i64,
        /// The time of the check.
        now: i64,
    },
    /// `iat` is in the future (leeway included).
    #[error("JWT: токен выпущен в будущем (iat {iat}, сейчас {now})")]
    IssuedInFuture {
        /// The `iat` claim.
        iat: i64,
        /// The time of the check.
        now: i64,
    },
}

/// A parsed, **not yet verified** JWS compact token.
#[derive(Debug, Clone)]
pub struct Jwt<'a> {
    /// The JOSE header, a JSON object.
    pub header: Value,
    /// The payload, a JSON object (the claims).
    pub claims: Value,
    /// `base64url(header) "." base64url(payload)`, the bytes the signature covers.
    pub signing_input: &'a str,
    /// The decoded signature.
    pub signature: Vec<u8>,
}

impl Jwt<'_> {
    /// The `alg` header parameter.
    pub fn alg(&self) -> Option<&str> {
        self.header.get("alg").and_then(Value::as_str)
    }

    /// The `kid` header parameter.
    pub fn kid(&self) -> Option<&str> {
        self.header.get("kid").and_then(Value::as_str)
    }

    /// A string claim of the payload.
    pub fn claim_str(&self, name: &str) -> Option<&str> {
        self.claims.get(name).and_then(Value::as_str)
    }
}

/// Splits and decodes a JWS compact token without verifying anything.
///
/// Rejects encrypted tokens (JWE, five parts), padding, and headers or payloads
/// that are not JSON objects.
pub fn parse(token: &str) -> Result<Jwt<'_>, JwtError> {
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(signature)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(JwtError::Malformed("ожидались три части, разделённые точками"));
    };
    if parts.next().is_some() {
        return Err(JwtError::Malformed("больше трёх частей (зашифрованный JWE не поддерживается)"));
    }
    if header.is_empty() || payload.is_empty() || signature.is_empty() {
        return Err(JwtError::Malformed("пустая часть"));
    }
    let signing_input = &token[..header.len() + 1 + payload.len()];
    let header = decode_object(header, "заголовок")?;
    let claims = decode_object(payload, "содержимое")?;
    let signature = URL_SAFE_NO_PAD.decode(signature).map_err(|_| JwtError::Base64("подпись"))?;
    Ok(Jwt { header, claims, signing_input, signature })
}

fn decode_object(part: &str, what: &'static str) -> Result<Value, JwtError> {
    let bytes = URL_SAFE_NO_PAD.decode(part).map_err(|_| JwtError::Base64(what))?;
    match serde_json::from_slice(&bytes) {
        Ok(value @ Value::Object(_)) => Ok(value),
        _ => Err(JwtError::Json(what)),
    }
}

/// Verifies an RS256 signature (RSASSA-PKCS1-v1_5 with SHA-256) with the RSA
/// public key given by its big-endian modulus `n` and exponent `e` — the
/// decoded `n` and `e` members of a JWK.
pub fn verify_rs256(n: &[u8], e: &[u8], signing_input: &[u8], signature: &[u8]) -> Result<(), JwtError> {
    let key = RsaPublicKey::new_with_max_size(BigUint::from_bytes_be(n), BigUint::from_bytes_be(e), MAX_RSA_BITS)
        .map_err(|err| JwtError::InvalidKey(err.to_string()))?;
    verify_with_key(&key, signing_input, signature)
}

/// Verifies an ES256 signature (ECDSA on P-256 with SHA-256; the signature is
/// `r || s`, 64 bytes, RFC 7518 §3.4) with the public key given by its affine
/// coordinates — the decoded `x` and `y` members of a JWK, 32 bytes each.
pub fn verify_es256(x: &[u8], y: &[u8], signing_input: &[u8], signature: &[u8]) -> Result<(), JwtError> {
    use p256::ecdsa::signature::Verifier as _;
    use p256::ecdsa::{Signature, VerifyingKey};

    if x.len() != 32 || y.len() != 32 {
        return Err(JwtError::InvalidKey("координаты точки P-256 должны занимать по 32 байта".into()));
    }
    let point = p256::EncodedPoint::from_affine_coordinates(x.into(), y.into(), false);
    let key = VerifyingKey::from_encoded_point(&point)
        .map_err(|_| JwtError::InvalidKey("точка не лежит на кривой P-256".into()))?;
    let signature = Signature::from_slice(signature).map_err(|_| JwtError::BadSignature)?;
    key.verify(signing_input, &signature).map_err(|_| JwtError::BadSignature)
}

/// Verifies an RS256 signature with an RSA public key given as a DER
/// `SubjectPublicKeyInfo` (what `openssl rsa -pubout -outform der` writes).
pub fn verify_rs256_spki(spki_der: &[u8], signing_input: &[u8], signature: &[u8]) -> Result<(), JwtError> {
    let key = RsaPublicKey::from_public_key_der(spki_der).map_err(|err| JwtError::InvalidKey(err.to_string()))?;
    verify_with_key(&key, signing_input, signature)
}

/// Verifies an RS256 signature with the RSA public key of a DER X.509
/// certificate. Only the key is used: the certificate's validity, issuer and
/// signature are the caller's business.
pub fn verify_rs256_cert(cert_der: &[u8], signing_input: &[u8], signature: &[u8]) -> Result<(), JwtError> {
    verify_rs256_spki(spki_from_certificate(cert_der)?, signing_input, signature)
}

fn verify_with_key(key: &RsaPublicKey, signing_input: &[u8], signature: &[u8]) -> Result<(), JwtError> {
    let bits = key.n().bits();
    if bits < MIN_RSA_BITS {
        return Err(JwtError::KeyTooSmall(bits));
    }
    let digest = Sha256::digest(signing_input);
    key.verify(Pkcs1v15Sign::new::<Sha256>(), &digest, signature).map_err(|_| JwtError::BadSignature)
}

/// Finds the DER `SubjectPublicKeyInfo` inside a DER X.509 certificate
/// (RFC 5280 §4.1) without interpreting anything else.
pub fn spki_from_certificate(cert_der: &[u8]) -> Result<&[u8], JwtError> {
    const SEQUENCE: u8 = 0x30;
    const INTEGER: u8 = 0x02;
    const VERSION: u8 = 0xA0; // [0] EXPLICIT

    let certificate = der::expect(cert_der, SEQUENCE, "Certificate")?;
    let mut tbs = der::expect(certificate.content, SEQUENCE, "TBSCertificate")?.content;
    if der::element(tbs)?.tag == VERSION {
        tbs = der::element(tbs)?.rest;
    }
    for (tag, what) in [
        (INTEGER, "serialNumber"),
        (SEQUENCE, "signature"),
        (SEQUENCE, "issuer"),
        (SEQUENCE, "validity"),
        (SEQUENCE, "subject"),
    ] {
        tbs = der::expect(tbs, tag, what)?.rest;
    }
    Ok(der::expect(tbs, SEQUENCE, "subjectPublicKeyInfo")?.whole)
}

/// Just enough DER to walk a certificate.
mod der {
    use super::JwtError;

    pub(super) struct Element<'a> {
        pub tag: u8,
        pub content: &'a [u8],
        /// Tag, length and content.
        pub whole: &'a [u8],
        /// What follows the element.
        pub rest: &'a [u8],
    }

    pub(super) fn element(input: &[u8]) -> Result<Element<'_>, JwtError> {
        let truncated = JwtError::Certificate("данные DER обрываются");
        let (&tag, after_tag) = input.split_first().ok_or(truncated.clone())?;
        if tag & 0x1F == 0x1F {
            return Err(JwtError::Certificate("многобайтовые теги DER не поддерживаются"));
        }
        let (&first, mut after_len) = after_tag.split_first().ok_or(truncated.clone())?;
        let len = match first {
            0..=0x7F => usize::from(first),
            0x81..=0x84 => {
                let count = usize::from(first & 0x7F);
                let bytes = after_len.get(..count).ok_or(truncated.clone())?;
                after_len = &after_len[count..];
                bytes.iter().fold(0usize, |acc, &b| (acc << 8) | usize::from(b))
            }
            _ => return Err(JwtError::Certificate("неподдерживаемая длина DER")),
        };
        let content = after_len.get(..len).ok_or(truncated)?;
        let header_len = input.len() - after_len.len();
        Ok(Element { tag, content, whole: &input[..header_len + len], rest: &after_len[len..] })
    }

    pub(super) fn expect<'a>(input: &'a [u8], tag: u8, what: &'static str) -> Result<Element<'a>, JwtError> {
        let element = element(input)?;
        if element.tag == tag { Ok(element) } else { Err(JwtError::Certificate(what)) }
    }
}

/// Checks the time claims at `now` (seconds since the Unix epoch), allowing
/// `leeway` seconds of clock skew:
///
/// * `exp` is required and must be later than `now - leeway`;
/// * `nbf`, when present, must not be later than `now + leeway`;
/// * `iat`, when present, must not be later than `now + leeway`.
///
/// Numeric dates may be integers or fractions (RFC 7519 §2), fractions are
/// truncated to whole seconds.
pub fn check_time(claims: &Value, now: i64, leeway: i64) -> Result<(), JwtError> {
    let exp = numeric_date(claims, "exp")?.ok_or(JwtError::MissingClaim("exp"))?;
    if now.saturating_sub(leeway) >= exp {
        return Err(JwtError::Expired { exp, now });
    }
    if let Some(nbf) = numeric_date(claims, "nbf")?
        && nbf > now.saturating_add(leeway)
    {
        return Err(JwtError::NotYetValid { nbf, now });
    }
    if let Some(iat) = numeric_date(claims, "iat")?
        && iat > now.saturating_add(leeway)
    {
        return Err(JwtError::IssuedInFuture { iat, now });
    }
    Ok(())
}

/// A NumericDate claim: `Ok(None)` when absent, an error when not a number.
pub fn numeric_date(claims: &Value, name: &'static str) -> Result<Option<i64>, JwtError> {
    match claims.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(number)) => {
            if let Some(seconds) = number.as_i64() {
                Ok(Some(seconds))
            } else {
                match number.as_f64() {
                    Some(seconds) if seconds.is_finite() => Ok(Some(seconds.trunc() as i64)),
                    _ => Err(JwtError::InvalidClaim(name)),
                }
            }
        }
        Some(_) => Err(JwtError::InvalidClaim(name)),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;
    use serde_json::json;

    /// RFC 7515, Appendix A.2: an RS256 JWS and its 2048-bit key.
    const RFC7515_A2_JWS: &str = "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw";
    const RFC7515_A2_N: &str = "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ";
    const E_65537: &[u8] = &[1, 0, 1];

    /// A self-signed certificate (openssl, RSA 2048) and an RS256 signature of
    /// [`CERT_INPUT`] by its key.
    const CERT_DER: &[u8] = include_bytes!("../tests/fixtures/rsa-cert.der");
    const CERT_SIGNATURE: &[u8] = include_bytes!("../tests/fixtures/rsa-cert.sig");
    const CERT_INPUT: &[u8] = b"frmo-oidc: signing input";

    fn b64(s: &str) -> Vec<u8> {
        URL_SAFE_NO_PAD.decode(s).unwrap()
    }

    #[test]
    fn parses_and_verifies_the_rfc_7515_example() {
        let jwt = parse(RFC7515_A2_JWS).unwrap();
        assert_eq!(jwt.alg(), Some("RS256"));
        assert_eq!(jwt.kid(), None);
        assert_eq!(jwt.claim_str("iss"), Some("joe"));
        assert_eq!(jwt.claims["exp"], json!(1_300_819_380));
        assert_eq!(jwt.signature.len(), 256);
        assert_eq!(jwt.signing_input, RFC7515_A2_JWS.rsplit_once('.').unwrap().0);
        verify_rs256(&b64(RFC7515_A2_N), E_65537, jwt.signing_input.as_bytes(), &jwt.signature).unwrap();
    }

    #[test]
    fn rejects_any_change_to_the_signed_token() {
        let jwt = parse(RFC7515_A2_JWS).unwrap();
        let n = b64(RFC7515_A2_N);

        let mut signature = jwt.signature.clone();
        signature[100] ^= 1;
        assert_eq!(verify_rs256(&n, E_65537, jwt.signing_input.as_bytes(), &signature), Err(JwtError::BadSignature));

        let mut input = jwt.signing_input.as_bytes().to_vec();
        input[30] ^= 1;
        assert_eq!(verify_rs256(&n, E_65537, &input, &jwt.signature), Err(JwtError::BadSignature));

        assert_eq!(
            verify_rs256(&n, E_65537, jwt.signing_input.as_bytes(), &jwt.signature[1..]),
            Err(JwtError::BadSignature)
        );
        assert_eq!(verify_rs256(&n, E_65537, jwt.signing_input.as_bytes(), &[]), Err(JwtError::BadSignature));
    }

    #[test]
    fn rejects_short_and_broken_keys() {
        let jwt = parse(RFC7515_A2_JWS).unwrap();
        let n = b64(RFC7515_A2_N);
        // The top 1024 bits of the modulus, made odd, are a 1024-bit modulus.
        let mut short = n[..128].to_vec();
        short[127] |= 1;
        assert_eq!(
            verify_rs256(&short, E_65537, jwt.signing_input.as_bytes(), &jwt.signature),
            Err(JwtError::KeyTooSmall(1024))
        );
        assert!(matches!(
            verify_rs256(&n, &[1], jwt.signing_input.as_bytes(), &jwt.signature),
            Err(JwtError::InvalidKey(_))
        ));
        assert!(matches!(
            verify_rs256_spki(b"\x30\x03\x02\x01\x00", b"", &jwt.signature),
            Err(JwtError::InvalidKey(_))
        ));
    }

    #[test]
    fn verifies_with_a_certificate_and_its_spki() {
        verify_rs256_cert(CERT_DER, CERT_INPUT, CERT_SIGNATURE).unwrap();
        let spki = spki_from_certificate(CERT_DER).unwrap();
        verify_rs256_spki(spki, CERT_INPUT, CERT_SIGNATURE).unwrap();
        assert_eq!(verify_rs256_cert(CERT_DER, b"something else", CERT_SIGNATURE), Err(JwtError::BadSignature));
        // The RFC key is not the certificate's key.
        let jwt = parse(RFC7515_A2_JWS).unwrap();
        assert_eq!(
            verify_rs256_cert(CERT_DER, jwt.signing_input.as_bytes(), &jwt.signature),
            Err(JwtError::BadSignature)
        );
    }

    #[test]
    fn rejects_truncated_and_foreign_certificates() {
        for len in [0, 1, 2, 4, 10, 100, CERT_DER.len() - 1] {
            assert!(matches!(spki_from_certificate(&CERT_DER[..len]), Err(JwtError::Certificate(_))), "{len}");
        }
        let spki = spki_from_certificate(CERT_DER).unwrap();
        // An SPKI is not a certificate.
        assert!(matches!(spki_from_certificate(spki), Err(JwtError::Certificate(_))));
        assert!(matches!(verify_rs256_spki(CERT_DER, CERT_INPUT, CERT_SIGNATURE), Err(JwtError::InvalidKey(_))));
    }

    #[test]
    fn parse_rejects_malformed_tokens() {
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256"}"#);
        let claims = URL_SAFE_NO_PAD.encode(br#"{"sub":"x"}"#);
        let array = URL_SAFE_NO_PAD.encode(b"[1,2]");
        let cases = [
            ("", JwtError::Malformed("ожидались три части, разделённые точками")),
            ("a.b", JwtError::Malformed("ожидались три части, разделённые точками")),
            (
                &format!("{header}.{claims}.c2ln.x.y"),
                JwtError::Malformed("больше трёх частей (зашифрованный JWE не поддерживается)"),
            ),
            (&format!("{header}.{claims}."), JwtError::Malformed("пустая часть")),
            (&format!("{header}=.{claims}.c2ln"), JwtError::Base64("заголовок")),
            (&format!("{header}.{claims}.c2ln=="), JwtError::Base64("подпись")),
            (&format!("{header}.!!.c2ln"), JwtError::Base64("содержимое")),
            (&format!("{array}.{claims}.c2ln"), JwtError::Json("заголовок")),
            (&format!("{header}.{array}.c2ln"), JwtError::Json("содержимое")),
        ];
        for (token, expected) in cases {
            assert_eq!(parse(token).unwrap_err(), expected, "{token}");
        }
        let token = format!("{header}.{claims}.c2ln");
        let jwt = parse(&token).unwrap();
        assert_eq!(jwt.signature, b"sig");
    }

    /// RFC 7515, Appendix A.3: an ES256 JWS and its P-256 key.
    const RFC7515_A3_JWS: &str = "eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";
    const RFC7515_A3_X: &str = "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU";
    const RFC7515_A3_Y: &str = "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0";

    #[test]
    fn verifies_the_rfc_7515_es256_example_and_nothing_else() {
        let jwt = parse(RFC7515_A3_JWS).unwrap();
        assert_eq!(jwt.alg(), Some("ES256"));
        let (x, y) = (b64(RFC7515_A3_X), b64(RFC7515_A3_Y));
        let input = jwt.signing_input.as_bytes();
        verify_es256(&x, &y, input, &jwt.signature).unwrap();

        let mut signature = jwt.signature.clone();
        signature[40] ^= 0x80;
        assert_eq!(verify_es256(&x, &y, input, &signature), Err(JwtError::BadSignature));
        assert_eq!(verify_es256(&x, &y, b"other input", &jwt.signature), Err(JwtError::BadSignature));
        assert_eq!(verify_es256(&x, &y, input, &jwt.signature[..63]), Err(JwtError::BadSignature));
        assert_eq!(verify_es256(&x, &y, input, &[0; 64]), Err(JwtError::BadSignature));

        assert!(matches!(verify_es256(&x[1..], &y, input, &jwt.signature), Err(JwtError::InvalidKey(_))));
        let mut off_curve = y.clone();
        off_curve[31] ^= 1;
        assert!(matches!(verify_es256(&x, &off_curve, input, &jwt.signature), Err(JwtError::InvalidKey(_))));
    }

    #[test]
    fn check_time_applies_the_leeway() {
        let claims = json!({"exp": 1000, "nbf": 500, "iat": 500});
        check_time(&claims, 700, 60).unwrap();
        check_time(&claims, 1059, 60).unwrap();
        assert_eq!(check_time(&claims, 1060, 60), Err(JwtError::Expired { exp: 1000, now: 1060 }));
        assert_eq!(check_time(&claims, 1000, 0), Err(JwtError::Expired { exp: 1000, now: 1000 }));
        check_time(&claims, 440, 60).unwrap();
        assert_eq!(check_time(&claims, 439, 60), Err(JwtError::NotYetValid { nbf: 500, now: 439 }));
        let claims = json!({"exp": 1000, "iat": 800});
        assert_eq!(check_time(&claims, 700, 60), Err(JwtError::IssuedInFuture { iat: 800, now: 700 }));
        check_time(&json!({"exp": 1000.9}), 999, 0).unwrap();
    }

    #[test]
    fn check_time_requires_a_numeric_exp() {
        assert_eq!(check_time(&json!({}), 0, 60), Err(JwtError::MissingClaim("exp")));
        assert_eq!(check_time(&json!({"exp": "1000"}), 0, 60), Err(JwtError::InvalidClaim("exp")));
        assert_eq!(check_time(&json!({"exp": 1000, "nbf": true}), 0, 60), Err(JwtError::InvalidClaim("nbf")));
    }

    #[test]
    fn messages_are_russian_and_name_the_failure() {
        assert_eq!(JwtError::BadSignature.to_string(), "JWT: подпись не прошла проверку");
        assert_eq!(
            JwtError::Expired { exp: 1, now: 2 }.to_string(),
            "JWT: срок действия токена истёк (exp 1, сейчас 2)"
        );
    }
}
