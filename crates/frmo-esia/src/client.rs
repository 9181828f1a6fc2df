//! The relying party: builds and signs `v2/ac` and `v3/te` requests, checks the returned `state`,
//! validates tokens with the configured ЕСИА certificates, and reads the person, their contacts and
//! organizations from the REST API.

use std::sync::Arc;

use serde::Deserialize;
use serde_json::Value;
use time::OffsetDateTime;

use frmo_oidc::jwt;

use crate::protocol::{self, ALG_GOST, ALG_RS256, ISSUER, SignedParams};
use crate::signer::{SignError, Signer};

/// What a deployment registers on ЕСИА's technology portal, and ЕСИА's own certificates.
#[derive(Clone)]
pub struct EsiaConfig {
    /// `https://esia.gosuslugi.ru`, `https://esia-portal1.test.gosuslugi.ru`, or a stand.
    pub portal_url: String,
    /// The system's mnemonic.
    pub client_id: String,
    /// The system's certificate (DER) registered on the portal: its Streebog hash is sent.
    pub certificate_der: Vec<u8>,
    pub redirect_uri: String,
    pub scope: String,
    pub scope_org: String,
    /// ЕСИА's token-signing keys (certificates rotate: several may be configured).
    pub esia_keys: Vec<VerifyKey>,
}

/// A key ЕСИА signs tokens with.
#[derive(Clone)]
pub enum VerifyKey {
    Gost(frmo_gost::PublicKey),
    /// An RSA key, as the DER SubjectPublicKeyInfo of its certificate.
    Rsa(Vec<u8>),
}

impl VerifyKey {
    /// The key of a certificate (DER or PEM): ГОСТ Р 34.10-2012 or RSA.
    pub fn from_certificate(bytes: &[u8]) -> Result<Self, EsiaError> {
        let der = match std::str::from_utf8(bytes) {
            Ok(pem) if pem.contains("-----BEGIN") => frmo_gost::pem_to_der(pem, "CERTIFICATE")
                .map_err(|e| EsiaError::Config(format!("сертификат ЕСИА: {e}")))?,
            _ => bytes.to_vec(),
        };
        if let Ok(key) = frmo_gost::PublicKey::from_certificate_der(&der) {
            return Ok(VerifyKey::Gost(key));
        }
        let spki = jwt::spki_from_certificate(&der).map_err(|e| EsiaError::Config(format!("сертификат ЕСИА: {e}")))?;
        // An RSA key must verify something: check it parses now, not at the first sign-in.
        match jwt::verify_rs256_spki(spki, b"", &[]) {
            Err(jwt::JwtError::InvalidKey(_) | jwt::JwtError::KeyTooSmall(_)) => {
                Err(EsiaError::Config("сертификат ЕСИА: ключ не ГОСТ Р 34.10-2012 и не RSA (2048 бит и больше)".into()))
            }
            _ => Ok(VerifyKey::Rsa(spki.to_vec())),
        }
    }

    fn verify(&self, alg: &str, input: &[u8], signature: &[u8]) -> bool {
        match (self, alg) {
            (VerifyKey::Gost(key), ALG_GOST) => key.verify(input, signature).is_ok(),
            (VerifyKey::Rsa(spki), ALG_RS256) => jwt::verify_rs256_spki(spki, input, signature).is_ok(),
            _ => false,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum EsiaError {
    /// An error ЕСИА reported, by code.
    #[error("{} ({code})", protocol::explain_error(code))]
    Esia { code: String, description: String },
    #[error("ЕСИА: {0}")]
    Protocol(String),
    #[error("ЕСИА: токен не принят: {0}")]
    Token(String),
    #[error("ЕСИА недоступна: {0}")]
    Http(#[from] reqwest::Error),
    #[error(transparent)]
    Sign(#[from] SignError),
    #[error("настройки ЕСИА: {0}")]
    Config(String),
}

impl EsiaError {
    /// From an OAuth error answer (`error`, `error_description` with the ЕСИА code).
    pub fn from_oauth(error: &str, description: &str) -> Self {
        match protocol::error_code(description) {
            Some(code) => EsiaError::Esia { code: code.to_owned(), description: description.to_owned() },
            None if error == "access_denied" => {
                EsiaError::Esia { code: "ESIA-007004".into(), description: description.to_owned() }
            }
            None => EsiaError::Protocol(format!("{error}: {description}")),
        }
    }
}

/// Whether a scope asks ЕСИА for an id_token (it has `openid`).
pub fn asks_for_id_token(scope: &str) -> bool {
    scope.split_whitespace().any(|s| s == "openid")
}

/// Tokens of a sign-in.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
pub struct Tokens {
    pub access_token: String,
    #[serde(default)]
    pub refresh_token: Option<String>,
    #[serde(default)]
    pub id_token: Option<String>,
    pub state: String,
    #[serde(default)]
    pub expires_in: Option<i64>,
}

/// `/rs/prns/{oid}`.
#[derive(Debug, Clone, Deserialize, serde::Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Person {
    #[serde(default)]
    pub first_name: String,
    #[serde(default)]
    pub last_name: String,
    #[serde(default)]
    pub middle_name: Option<String>,
    #[serde(default)]
    pub birth_date: Option<String>,
    #[serde(default)]
    pub gender: Option<String>,
    /// A confirmed account.
    #[serde(default)]
    pub trusted: bool,
    #[serde(default)]
    pub snils: Option<String>,
    #[serde(default)]
    pub inn: Option<String>,
}

impl Person {
    pub fn full_name(&self) -> String {
        [Some(self.last_name.as_str()), Some(self.first_name.as_str()), self.middle_name.as_deref()]
            .into_iter()
            .flatten()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// An element of `/rs/prns/{oid}/ctts`.
#[derive(Debug, Clone, Deserialize, serde::Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Contact {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub vrf_stu: Option<String>,
    pub value: String,
}

/// An element of `/rs/prns/{oid}/roles`: an organization the person acts for.
#[derive(Debug, Clone, Deserialize, serde::Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Role {
    pub oid: i64,
    #[serde(default)]
    pub full_name: String,
    #[serde(default)]
    pub short_name: String,
    #[serde(default)]
    pub ogrn: Option<String>,
    #[serde(default)]
    pub inn: Option<String>,
    #[serde(default)]
    pub chief: bool,
    #[serde(default)]
    pub active: Option<bool>,
}

/// Everything a completed ЕСИА sign-in yields.
#[derive(Debug, Clone)]
pub struct EsiaLogin {
    pub oid: String,
    /// `PWD` or `DS` (electronic signature).
    pub amr: String,
    pub person: Person,
    pub contacts: Vec<Contact>,
    pub roles: Vec<Role>,
    pub tokens: Tokens,
}

pub struct EsiaClient {
    config: EsiaConfig,
    signer: Arc<dyn Signer>,
    http: reqwest::Client,
}

#[derive(Deserialize)]
struct Collection<T> {
    #[serde(default = "Vec::new")]
    elements: Vec<T>,
}

impl EsiaClient {
    pub fn new(config: EsiaConfig, signer: Arc<dyn Signer>, http: reqwest::Client) -> Self {
        EsiaClient { config, signer, http }
    }

    pub fn config(&self) -> &EsiaConfig {
        &self.config
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.config.portal_url.trim_end_matches('/'))
    }

    /// The signed parameters common to `ac` and `te`, with a fresh timestamp and `state`.
    async fn signed(&self, code: Option<&str>) -> Result<Vec<(&'static str, String)>, EsiaError> {
        let c = &self.config;
        // Moscow time, as ЕСИА's own examples (any offset is valid: the instant is what counts).
        let moscow = time::UtcOffset::from_hms(3, 0, 0).unwrap_or(time::UtcOffset::UTC);
        let timestamp = protocol::format_timestamp(OffsetDateTime::now_utc().to_offset(moscow));
        let state = uuid::Uuid::new_v4().to_string();
        let params = SignedParams {
            client_id: &c.client_id,
            scope: &c.scope,
            scope_org: &c.scope_org,
            timestamp: &timestamp,
            state: &state,
            redirect_uri: &c.redirect_uri,
        };
        let signature = self.signer.sign(params.message(code).as_bytes()).await?;
        Ok(vec![
            ("client_id", c.client_id.clone()),
            ("client_certificate_hash", protocol::client_certificate_hash(&c.certificate_der)),
            ("client_secret", protocol::encode_secret(&signature)),
            ("scope", c.scope.clone()),
            ("scope_org", c.scope_org.clone()),
            ("timestamp", timestamp),
            ("state", state),
            ("redirect_uri", c.redirect_uri.clone()),
        ])
    }

    /// The address to send the browser to, and the `state` to expect back.
    pub async fn authorization_url(&self) -> Result<(String, String), EsiaError> {
        let mut params = self.signed(None).await?;
        let state = params.iter().find(|(k, _)| *k == "state").map(|(_, v)| v.clone()).unwrap_or_default();
        params.push(("response_type", "code".into()));
        params.push(("access_type", "offline".into()));
        let query = serde_urlencoded::to_string(&params).map_err(|e| EsiaError::Protocol(e.to_string()))?;
        Ok((format!("{}?{query}", self.url(protocol::AC_PATH)), state))
    }

    async fn token_request(&self, code: Option<&str>, refresh: Option<&str>) -> Result<Tokens, EsiaError> {
        let mut params = self.signed(code).await?;
        let sent_state = params.iter().find(|(k, _)| *k == "state").map(|(_, v)| v.clone()).unwrap_or_default();
        match (code, refresh) {
            (Some(code), _) => {
                params.push(("grant_type", "authorization_code".into()));
                params.push(("code", code.into()));
            }
            (None, Some(refresh)) => {
                params.push(("grant_type", "refresh_token".into()));
                params.push(("refresh_token", refresh.into()));
            }
            (None, None) => return Err(EsiaError::Protocol("нет ни кода, ни токена обновления".into())),
        }
        params.push(("token_type", "Bearer".into()));
        let response = self.http.post(self.url(protocol::TE_PATH)).form(&params).send().await?;
        let status = response.status();
        let body: Value = response.json().await?;
        if !status.is_success() || body.get("error").is_some() {
            let text = |k: &str| body.get(k).and_then(Value::as_str).unwrap_or_default().to_owned();
            return Err(EsiaError::from_oauth(&text("error"), &text("error_description")));
        }
        let tokens: Tokens = serde_json::from_value(body).map_err(|e| EsiaError::Protocol(e.to_string()))?;
        if tokens.state != sent_state {
            return Err(EsiaError::Protocol("ответ на запрос токена пришёл с чужим state".into()));
        }
        Ok(tokens)
    }

    /// Exchanges an authorization code for tokens (`v3/te`, a new `state` of its own).
    pub async fn exchange_code(&self, code: &str) -> Result<Tokens, EsiaError> {
        self.token_request(Some(code), None).await
    }

    pub async fn refresh(&self, refresh_token: &str) -> Result<Tokens, EsiaError> {
        self.token_request(None, Some(refresh_token)).await
    }

    /// Checks a token's signature, issuer, audience or client id, and lifetime; returns its claims.
    /// `nonce` is not checked, as ЕСИА's operator asks.
    pub fn validate(&self, token: &str, now: i64) -> Result<Value, EsiaError> {
        let parts = jwt::parse(token).map_err(|e| EsiaError::Token(e.to_string()))?;
        let alg = parts.header.get("alg").and_then(Value::as_str).unwrap_or_default();
        if alg != ALG_GOST && alg != ALG_RS256 {
            return Err(EsiaError::Token(format!("алгоритм подписи «{alg}» не поддерживается")));
        }
        if !self.config.esia_keys.iter().any(|k| k.verify(alg, parts.signing_input.as_bytes(), &parts.signature)) {
            return Err(EsiaError::Token("подпись не подходит ни к одному сертификату ЕСИА из настроек".into()));
        }
        let claims = parts.claims;
        if claims.get("iss").and_then(Value::as_str) != Some(ISSUER) {
            return Err(EsiaError::Token("чужой издатель (iss)".into()));
        }
        let ours = |v: Option<&Value>| match v {
            Some(Value::String(s)) => *s == self.config.client_id,
            Some(Value::Array(a)) => a.iter().any(|s| s.as_str() == Some(&self.config.client_id)),
            _ => false,
        };
        if !ours(claims.get("aud")) && !ours(claims.get("client_id")) {
            return Err(EsiaError::Token("токен выдан другой системе (aud/client_id)".into()));
        }
        let time = |k: &str| claims.get(k).and_then(Value::as_i64);
        const LEEWAY: i64 = 60;
        if time("exp").is_none_or(|exp| now > exp + LEEWAY) {
            return Err(EsiaError::Token("срок действия истёк (exp)".into()));
        }
        if time("nbf").is_some_and(|nbf| now + LEEWAY < nbf) {
            return Err(EsiaError::Token("ещё не действует (nbf)".into()));
        }
        Ok(claims)
    }

    async fn get<T: serde::de::DeserializeOwned>(&self, access: &str, path: &str) -> Result<T, EsiaError> {
        let response = self.http.get(self.url(path)).bearer_auth(access).send().await?;
        if !response.status().is_success() {
            return Err(EsiaError::Protocol(format!("{path}: ответ {}", response.status())));
        }
        Ok(response.json().await?)
    }

    pub async fn person(&self, access: &str, oid: &str) -> Result<Person, EsiaError> {
        self.get(access, &format!("/rs/prns/{oid}")).await
    }

    pub async fn contacts(&self, access: &str, oid: &str) -> Result<Vec<Contact>, EsiaError> {
        Ok(self.get::<Collection<Contact>>(access, &format!("/rs/prns/{oid}/ctts?embed=(elements)")).await?.elements)
    }

    pub async fn roles(&self, access: &str, oid: &str) -> Result<Vec<Role>, EsiaError> {
        Ok(self.get::<Collection<Role>>(access, &format!("/rs/prns/{oid}/roles")).await?.elements)
    }

    /// Completes a sign-in from the browser's return: exchanges the code, validates the tokens,
    /// reads the person, contacts and organizations.
    pub async fn complete(&self, code: &str) -> Result<EsiaLogin, EsiaError> {
        let tokens = self.exchange_code(code).await?;
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let access = self.validate(&tokens.access_token, now)?;
        let oid = match access.get("urn:esia:sbj_id") {
            Some(Value::Number(n)) => n.to_string(),
            Some(Value::String(s)) => s.clone(),
            _ => return Err(EsiaError::Token("в токене доступа нет urn:esia:sbj_id".into())),
        };
        // ЕСИА issues an id_token only for the `openid` scope; without it the person is the access
        // token's subject and the way they signed in is unknown, so it counts as a password.
        let amr = match tokens.id_token.as_deref() {
            Some(id_token) => {
                let id = self.validate(id_token, now)?;
                if id.get("sub").map(|s| s.as_str().map_or_else(|| s.to_string(), str::to_owned)) != Some(oid.clone()) {
                    return Err(EsiaError::Token("id_token выдан другому пользователю".into()));
                }
                id.get("urn:esia:amd")
                    .or_else(|| id.get("amr"))
                    .and_then(|v| {
                        v.as_str().map(str::to_owned).or_else(|| v.get(0).and_then(Value::as_str).map(str::to_owned))
                    })
                    .unwrap_or_else(|| "PWD".into())
            }
            None if asks_for_id_token(&self.config.scope) => {
                return Err(EsiaError::Protocol("нет id_token, хотя запрошен scope openid".into()));
            }
            None => "PWD".into(),
        };
        let person = self.person(&tokens.access_token, &oid).await?;
        let contacts = self.contacts(&tokens.access_token, &oid).await?;
        let roles = self.roles(&tokens.access_token, &oid).await?;
        Ok(EsiaLogin { oid, amr, person, contacts, roles, tokens })
    }

    /// Where to send the browser to end the ЕСИА session too.
    pub fn logout_url(&self, redirect_url: &str) -> String {
        let query = serde_urlencoded::to_string([
            ("client_id", &self.config.client_id),
            ("redirect_url", &redirect_url.to_owned()),
        ])
        .unwrap_or_default();
        format!("{}?{query}", self.url(protocol::LOGOUT_PATH))
    }
}
