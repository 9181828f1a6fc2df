//! The provider's messages as they arrive (token and error responses, JWKs), fetching JSON, and the
//! small pieces of the flow: PKCE, random tokens, form encoding, constant-time comparison.

use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::header::ACCEPT;
use reqwest::{StatusCode, Url};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use sha2::{Digest as _, Sha256};

use crate::jwt::{self, JwtError};
use crate::{Identity, JWKS, OidcError};

/// Just the fields of a token response that matter here.
#[derive(Deserialize)]
pub(crate) struct TokenResponse {
    pub(crate) access_token: String,
    pub(crate) token_type: String,
    #[serde(default)]
    pub(crate) id_token: Option<String>,
}

/// An OAuth 2.0 error response (RFC 6749 §5.2).
#[derive(Deserialize)]
pub(crate) struct ErrorResponse {
    pub(crate) error: String,
    #[serde(default)]
    pub(crate) error_description: Option<String>,
}

/// A JSON Web Key, as far as signature verification needs (RFC 7517).
#[derive(Clone, Debug, Deserialize)]
pub(crate) struct Jwk {
    pub(crate) kty: String,
    #[serde(default)]
    pub(crate) kid: Option<String>,
    #[serde(default, rename = "use")]
    pub(crate) usage: Option<String>,
    #[serde(default)]
    pub(crate) alg: Option<String>,
    #[serde(default)]
    pub(crate) n: Option<String>,
    #[serde(default)]
    pub(crate) e: Option<String>,
    #[serde(default)]
    pub(crate) crv: Option<String>,
    #[serde(default)]
    pub(crate) x: Option<String>,
    #[serde(default)]
    pub(crate) y: Option<String>,
}

impl Jwk {
    /// Whether the key may verify a token signed with `alg` and naming `kid`.
    pub(crate) fn usable_for(&self, alg: &str, kid: Option<&str>) -> bool {
        let kind_fits = match alg {
            "RS256" => self.kty == "RSA",
            "ES256" => self.kty == "EC" && self.crv.as_deref() == Some("P-256"),
            _ => false,
        };
        kind_fits
            && self.usage.as_deref().is_none_or(|usage| usage == "sig")
            && self.alg.as_deref().is_none_or(|key_alg| key_alg == alg)
            && kid.is_none_or(|kid| self.kid.as_deref() == Some(kid))
    }

    pub(crate) fn verify(&self, alg: &str, signing_input: &[u8], signature: &[u8]) -> Result<(), JwtError> {
        let member = |value: &Option<String>, name: &str| {
            value
                .as_deref()
                .and_then(|value| URL_SAFE_NO_PAD.decode(value).ok())
                .ok_or_else(|| JwtError::InvalidKey(format!("в JWK нет правильного «{name}»")))
        };
        match alg {
            "RS256" => jwt::verify_rs256(&member(&self.n, "n")?, &member(&self.e, "e")?, signing_input, signature),
            "ES256" => jwt::verify_es256(&member(&self.x, "x")?, &member(&self.y, "y")?, signing_input, signature),
            other => Err(JwtError::UnsupportedAlgorithm(other.to_owned())),
        }
    }
}

pub(crate) async fn fetch_jwks(http: &reqwest::Client, jwks_uri: &Url) -> Result<Vec<Jwk>, OidcError> {
    #[derive(Deserialize)]
    struct JwkSet {
        keys: Vec<Value>,
    }
    let set: JwkSet = get_json(http, jwks_uri.clone(), JWKS).await?;
    // Keys of kinds this crate does not know are skipped, not fatal.
    Ok(set.keys.into_iter().filter_map(|key| serde_json::from_value(key).ok()).collect())
}

pub(crate) async fn get_json<T: DeserializeOwned>(
    http: &reqwest::Client,
    url: Url,
    what: &'static str,
) -> Result<T, OidcError> {
    let response = http
        .get(url)
        .header(ACCEPT, "application/json")
        .send()
        .await
        .map_err(|source| OidcError::Http { what, source })?;
    read_json(response, what).await
}

pub(crate) async fn read_json<T: DeserializeOwned>(
    response: reqwest::Response,
    what: &'static str,
) -> Result<T, OidcError> {
    let status = response.status();
    if status != StatusCode::OK {
        return Err(OidcError::HttpStatus { what, status: status.as_u16() });
    }
    let bytes = response.bytes().await.map_err(|source| OidcError::Http { what, source })?;
    serde_json::from_slice(&bytes).map_err(|error| OidcError::InvalidResponse { what, reason: error.to_string() })
}

pub(crate) fn parse_url(what: &'static str, url: &str) -> Result<Url, OidcError> {
    match Url::parse(url) {
        Ok(parsed) if matches!(parsed.scheme(), "https" | "http") => Ok(parsed),
        _ => Err(OidcError::InvalidUrl { what, url: url.to_owned() }),
    }
}

pub(crate) fn identity(claims: Value, id_token: String) -> Identity {
    let string = |name: &str| claims.get(name).and_then(Value::as_str).map(str::to_owned);
    let email_verified = match claims.get("email_verified") {
        Some(Value::Bool(verified)) => Some(*verified),
        // Some providers send the boolean as a string.
        Some(Value::String(verified)) => verified.parse().ok(),
        _ => None,
    };
    Identity {
        issuer: string("iss").unwrap_or_default(),
        subject: string("sub").unwrap_or_default(),
        name: string("name"),
        email: string("email"),
        email_verified,
        claims,
        id_token,
    }
}

/// 256 random bits, base64url: usable as `state`, `nonce`, and as a PKCE
/// verifier (43 characters of the unreserved set, RFC 7636 §4.1).
pub(crate) fn random_token() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("операционная система не выдала случайные байты");
    URL_SAFE_NO_PAD.encode(bytes)
}

/// `BASE64URL(SHA256(verifier))`, RFC 7636 §4.2.
pub(crate) fn pkce_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// Percent-encodes everything but the unreserved characters, as
/// `client_secret_basic` requires before Base64 (RFC 6749 §2.3.1).
pub(crate) fn form_encode(value: &str) -> String {
    let mut encoded = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

/// Compares secrets without an early exit that would leak where they differ.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

pub(crate) fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX))
}
