//! OpenID Connect relying party for deployments whose identity provider is not
//! ЕСИА: the authorization code flow with PKCE (S256), discovery, and id_token
//! validation — hand-rolled, small, and strict.
//!
//! The flow, as a web handler sees it:
//!
//! ```no_run
//! # async fn demo(http: reqwest::Client) -> Result<(), frmo_oidc::OidcError> {
//! use frmo_oidc::{Provider, ProviderConfig};
//!
//! // Once, at start-up.
//! let provider = Provider::discover(&http, ProviderConfig {
//!     issuer: "https://id.example.org/realms/med".into(),
//!     client_id: "frmo".into(),
//!     client_secret: Some("…".into()),
//!     redirect_uri: "https://frmo.example.org/login/callback".into(),
//!     scopes: vec!["openid".into(), "profile".into(), "email".into()],
//! }).await?;
//!
//! // GET /login: keep `pending` where only this browser can bring it back
//! // (a signed, HttpOnly cookie or the server-side session) and redirect.
//! let (url, pending) = provider.authorization_request();
//!
//! // GET /login/callback?code=…&state=…
//! # let (code, state) = ("", "");
//! let identity = provider.exchange(&http, code, state, &pending).await?;
//! println!("{} вошёл как {:?}", identity.subject, identity.name);
//! # let _ = url; Ok(()) }
//! ```
//!
//! What is checked, following OpenID Connect Core 1.0 §3.1.3.7:
//!
//! * discovery: the metadata `issuer` equals the configured issuer exactly, and
//!   the provider does not exclude PKCE S256;
//! * callback: `state` equals the one issued (constant time), and `iss`, when
//!   the caller passes it to [`Provider::check_callback_issuer`], names this
//!   provider (RFC 9207);
//! * token request: the authorization code together with the PKCE verifier,
//!   the client authenticated by `client_secret_basic` or `client_secret_post`
//!   (whichever the provider supports, basic preferred) or, without a secret, as
//!   a public client;
//! * id_token: RS256 or ES256 signature by a key of the provider's JWKS (chosen by `kid`;
//!   the JWKS is fetched again once when the `kid` is unknown, to follow key
//!   rotation), `iss`, `aud` containing the client, `azp` when present or when
//!   there are several audiences, `exp`/`nbf`/`iat` with [`LEEWAY_SECONDS`] of
//!   clock skew, `nonce`, `sub`, and `at_hash` when present;
//! * UserInfo (when the provider has one and scopes beyond `openid` were asked
//!   for): its `sub` equals the id_token's, and its claims fill in what the
//!   id_token lacks.
//!
//! The crate brings no TLS: the caller's [`reqwest::Client`] decides how to
//! reach the provider (production issuers are `https://`).

#![warn(missing_docs)]

mod error;
pub mod jwt;
mod wire;

pub use error::OidcError;

use std::fmt;
use std::sync::RwLock;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use reqwest::Url;
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest as _, Sha256};

use crate::jwt::{Jwt, JwtError};
use crate::wire::{
    ErrorResponse, Jwk, TokenResponse, constant_time_eq, fetch_jwks, form_encode, get_json, identity, parse_url,
    pkce_challenge, random_token, read_json, unix_now,
};

/// Allowed clock skew between this server and the provider, in seconds.
pub const LEEWAY_SECONDS: i64 = 60;

/// Signature algorithms accepted for the id_token.
pub const SUPPORTED_ALGORITHMS: &[&str] = &["RS256", "ES256"];

/// Where the relying party is registered and how it asks for a login.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderConfig {
    /// The issuer identifier, exactly as the provider spells it (with or without
    /// a trailing slash — it must equal the discovered `issuer`).
    pub issuer: String,
    /// The client identifier registered at the provider.
    pub client_id: String,
    /// The client secret; `None` for a public client, which relies on PKCE alone.
    #[serde(default)]
    pub client_secret: Option<String>,
    /// The callback URL registered at the provider.
    pub redirect_uri: String,
    /// Requested scopes; `openid` is added when missing.
    #[serde(default)]
    pub scopes: Vec<String>,
}

impl fmt::Debug for ProviderConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProviderConfig")
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret.as_ref().map(|_| "<скрыт>"))
            .field("redirect_uri", &self.redirect_uri)
            .field("scopes", &self.scopes)
            .finish()
    }
}

/// The part of the provider's discovery document this crate uses
/// (OpenID Connect Discovery 1.0 §3).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderMetadata {
    /// The issuer identifier.
    pub issuer: String,
    /// Where the browser is sent to log in.
    pub authorization_endpoint: String,
    /// Where the code is exchanged for tokens.
    pub token_endpoint: String,
    /// The provider's public keys.
    pub jwks_uri: String,
    /// The UserInfo endpoint, if any.
    #[serde(default)]
    pub userinfo_endpoint: Option<String>,
    /// RP-initiated logout (`id_token_hint` is [`Identity::id_token`]).
    #[serde(default)]
    pub end_session_endpoint: Option<String>,
    /// Client authentication methods at the token endpoint; absent means
    /// `client_secret_basic` only.
    #[serde(default)]
    pub token_endpoint_auth_methods_supported: Option<Vec<String>>,
    /// PKCE methods, if the provider advertises them.
    #[serde(default)]
    pub code_challenge_methods_supported: Option<Vec<String>>,
    /// Algorithms the provider may sign id_tokens with.
    #[serde(default)]
    pub id_token_signing_alg_values_supported: Vec<String>,
    /// Whether the provider adds `iss` to its authorization responses (RFC 9207).
    #[serde(default)]
    pub authorization_response_iss_parameter_supported: bool,
}

/// How the client authenticates at the token endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientAuthMethod {
    /// HTTP Basic with the form-encoded client id and secret (RFC 6749 §2.3.1).
    ClientSecretBasic,
    /// `client_id` and `client_secret` in the form body.
    ClientSecretPost,
    /// A public client: `client_id` in the body, no secret, PKCE only.
    None,
}

/// What must survive between [`Provider::authorization_request`] and
/// [`Provider::exchange`] — in a place only the same browser brings back, and
/// never readable by the page's scripts. All three values are secrets.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingLogin {
    /// Returned by the provider in the callback; binds it to this browser.
    pub state: String,
    /// Must come back inside the id_token; binds the token to this login.
    pub nonce: String,
    /// The PKCE verifier whose SHA-256 was sent as `code_challenge`.
    pub code_verifier: String,
}

impl fmt::Debug for PendingLogin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PendingLogin { .. }")
    }
}

/// The person who logged in, from a validated id_token (and UserInfo).
#[derive(Clone, Debug, PartialEq)]
pub struct Identity {
    /// `iss`: the provider.
    pub issuer: String,
    /// `sub`: the person's stable identifier at that provider. Only the pair
    /// (`issuer`, `subject`) identifies a person.
    pub subject: String,
    /// `name`, if released.
    pub name: Option<String>,
    /// `email`, if released.
    pub email: Option<String>,
    /// `email_verified`, if released.
    pub email_verified: Option<bool>,
    /// All claims: the id_token's, completed by UserInfo.
    pub claims: Value,
    /// The raw id_token, e.g. for `id_token_hint` at the end-session endpoint.
    pub id_token: String,
}

const DISCOVERY: &str = "документу обнаружения (openid-configuration)";
pub(crate) const JWKS: &str = "набору ключей JWKS";
const TOKEN: &str = "точке выдачи токенов";
const USERINFO: &str = "точке UserInfo";

/// A discovered OpenID provider, ready for logins. Cheap to share (`Arc`) between
/// requests; the JWKS is refreshed in place when the provider rotates its keys.
pub struct Provider {
    config: ProviderConfig,
    metadata: ProviderMetadata,
    authorization_endpoint: Url,
    token_endpoint: Url,
    jwks_uri: Url,
    userinfo_endpoint: Option<Url>,
    client_auth: ClientAuthMethod,
    scope: String,
    jwks: RwLock<Vec<Jwk>>,
}

impl fmt::Debug for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Provider")
            .field("config", &self.config)
            .field("metadata", &self.metadata)
            .field("client_auth", &self.client_auth)
            .finish_non_exhaustive()
    }
}

impl Provider {
    /// Fetches `{issuer}/.well-known/openid-configuration`, checks that it
    /// describes the configured issuer, and fetches the provider's JWKS.
    pub async fn discover(http: &reqwest::Client, config: ProviderConfig) -> Result<Self, OidcError> {
        parse_url("издателя (issuer)", &config.issuer)?;
        let discovery =
            parse_url(DISCOVERY, &format!("{}/.well-known/openid-configuration", config.issuer.trim_end_matches('/')))?;
        let metadata: ProviderMetadata = get_json(http, discovery, DISCOVERY).await?;
        let provider = Self::from_metadata(config, metadata)?;
        let keys = fetch_jwks(http, &provider.jwks_uri).await?;
        *provider.jwks.write().unwrap_or_else(|poisoned| poisoned.into_inner()) = keys;
        Ok(provider)
    }

    /// Builds a provider from metadata obtained elsewhere (no request is made;
    /// the JWKS is fetched on the first login). Performs the same checks as
    /// [`discover`](Self::discover).
    pub fn from_metadata(config: ProviderConfig, metadata: ProviderMetadata) -> Result<Self, OidcError> {
        if metadata.issuer != config.issuer {
            return Err(OidcError::IssuerMismatch { expected: config.issuer, actual: metadata.issuer });
        }
        if let Some(methods) = &metadata.code_challenge_methods_supported
            && !methods.iter().any(|method| method == "S256")
        {
            return Err(OidcError::PkceUnsupported);
        }
        let client_auth = match &config.client_secret {
            None => ClientAuthMethod::None,
            Some(_) => {
                let supported = metadata.token_endpoint_auth_methods_supported.as_deref();
                let supports =
                    |method: &str| supported.map_or(method == "client_secret_basic", |s| s.iter().any(|m| m == method));
                if supports("client_secret_basic") {
                    ClientAuthMethod::ClientSecretBasic
                } else if supports("client_secret_post") {
                    ClientAuthMethod::ClientSecretPost
                } else {
                    return Err(OidcError::NoClientAuthMethod);
                }
            }
        };
        let mut scopes = vec!["openid"];
        for scope in config.scopes.iter().flat_map(|s| s.split_whitespace()) {
            if !scopes.contains(&scope) {
                scopes.push(scope);
            }
        }
        let scope = scopes.join(" ");
        parse_url("возврата (redirect_uri)", &config.redirect_uri)?;
        Ok(Self {
            authorization_endpoint: parse_url("точки авторизации", &metadata.authorization_endpoint)?,
            token_endpoint: parse_url(TOKEN, &metadata.token_endpoint)?,
            jwks_uri: parse_url(JWKS, &metadata.jwks_uri)?,
            userinfo_endpoint: metadata.userinfo_endpoint.as_deref().map(|url| parse_url(USERINFO, url)).transpose()?,
            client_auth,
            scope,
            config,
            metadata,
            jwks: RwLock::new(Vec::new()),
        })
    }

    /// Overrides the client authentication method chosen from the metadata —
    /// for a client registered with `client_secret_post` at a provider that
    /// supports both.
    #[must_use]
    pub fn with_client_auth(mut self, method: ClientAuthMethod) -> Self {
        self.client_auth = method;
        self
    }

    /// The configuration the provider was discovered with.
    pub fn config(&self) -> &ProviderConfig {
        &self.config
    }

    /// The discovered metadata.
    pub fn metadata(&self) -> &ProviderMetadata {
        &self.metadata
    }

    /// How the client authenticates at the token endpoint.
    pub fn client_auth(&self) -> ClientAuthMethod {
        self.client_auth
    }

    /// The space-separated scopes sent to the provider (`openid` first).
    pub fn scope(&self) -> &str {
        &self.scope
    }

    /// Starts a login: the URL to redirect the browser to, and what must be kept
    /// for [`exchange`](Self::exchange). `state`, `nonce` and the PKCE verifier
    /// are 256 random bits each.
    ///
    /// # Panics
    ///
    /// If the operating system cannot supply random bytes (never on a working
    /// system; a login with predictable secrets would be worse).
    pub fn authorization_request(&self) -> (String, PendingLogin) {
        let pending = PendingLogin { state: random_token(), nonce: random_token(), code_verifier: random_token() };
        let mut url = self.authorization_endpoint.clone();
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", &self.config.client_id)
            .append_pair("redirect_uri", &self.config.redirect_uri)
            .append_pair("scope", &self.scope)
            .append_pair("state", &pending.state)
            .append_pair("nonce", &pending.nonce)
            .append_pair("code_challenge", &pkce_challenge(&pending.code_verifier))
            .append_pair("code_challenge_method", "S256");
        (url.into(), pending)
    }

    /// Checks the `iss` parameter of the callback (RFC 9207), a defence against
    /// mix-up attacks when several providers are configured: when present it
    /// must be this provider's issuer, and it must be present if the provider
    /// says it sends it. Call before [`exchange`](Self::exchange).
    pub fn check_callback_issuer(&self, iss: Option<&str>) -> Result<(), OidcError> {
        match iss {
            Some(iss) if iss == self.metadata.issuer => Ok(()),
            None if !self.metadata.authorization_response_iss_parameter_supported => Ok(()),
            _ => Err(OidcError::CallbackIssuer {
                expected: self.metadata.issuer.clone(),
                actual: iss.map(str::to_owned),
            }),
        }
    }

    /// Completes a login from the callback's `code` and `state`: checks the
    /// state, redeems the code with the PKCE verifier, validates the id_token,
    /// and completes the claims from UserInfo.
    pub async fn exchange(
        &self,
        http: &reqwest::Client,
        code: &str,
        returned_state: &str,
        pending: &PendingLogin,
    ) -> Result<Identity, OidcError> {
        if pending.state.is_empty() || !constant_time_eq(returned_state.as_bytes(), pending.state.as_bytes()) {
            return Err(OidcError::StateMismatch);
        }
        let tokens = self.redeem(http, code, &pending.code_verifier).await?;
        let id_token = tokens.id_token.ok_or(OidcError::MissingIdToken)?;
        let mut claims = self.validate_id_token_at(http, &id_token, &pending.nonce, unix_now()).await?;

        if let Some(at_hash) = claims.get("at_hash") {
            let digest = Sha256::digest(tokens.access_token.as_bytes());
            let expected = URL_SAFE_NO_PAD.encode(&digest[..digest.len() / 2]);
            if at_hash.as_str() != Some(expected.as_str()) {
                return Err(OidcError::AccessTokenHash);
            }
        }

        if let Some(endpoint) = &self.userinfo_endpoint
            && self.scope != "openid"
            && tokens.token_type.eq_ignore_ascii_case("bearer")
        {
            let userinfo = self.userinfo(http, endpoint, &tokens.access_token).await?;
            if userinfo.get("sub") != claims.get("sub") {
                return Err(OidcError::UserInfoSubject);
            }
            if let Value::Object(target) = &mut claims {
                for (name, value) in userinfo {
                    target.entry(name).or_insert(value);
                }
            }
        }

        Ok(identity(claims, id_token))
    }

    /// Validates an id_token issued to this client for the login that used
    /// `nonce`: signature, `iss`, `aud`, `azp`, time claims, `nonce`, `sub`.
    /// Returns its claims. [`exchange`](Self::exchange) calls this; it is public
    /// for tokens obtained otherwise (and for tests).
    pub async fn validate_id_token(
        &self,
        http: &reqwest::Client,
        id_token: &str,
        nonce: &str,
    ) -> Result<Value, OidcError> {
        self.validate_id_token_at(http, id_token, nonce, unix_now()).await
    }

    async fn validate_id_token_at(
        &self,
        http: &reqwest::Client,
        id_token: &str,
        nonce: &str,
        now: i64,
    ) -> Result<Value, OidcError> {
        let jwt = jwt::parse(id_token).map_err(OidcError::IdToken)?;
        self.verify_signature(http, &jwt).await?;
        let claims = jwt.claims;
        let client_id = self.config.client_id.as_str();

        let issuer = claims.get("iss").and_then(Value::as_str).unwrap_or_default();
        if issuer != self.metadata.issuer {
            return Err(OidcError::Issuer { expected: self.metadata.issuer.clone(), actual: issuer.to_owned() });
        }

        let audiences: Vec<&str> = match claims.get("aud") {
            Some(Value::String(audience)) => vec![audience.as_str()],
            Some(Value::Array(audiences)) => audiences.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        if !audiences.contains(&client_id) {
            return Err(OidcError::Audience { client_id: client_id.to_owned() });
        }
        let azp = claims.get("azp").map(|azp| azp.as_str().unwrap_or_default());
        if (audiences.len() > 1 || azp.is_some()) && azp != Some(client_id) {
            return Err(OidcError::AuthorizedParty { expected: client_id.to_owned(), actual: azp.map(str::to_owned) });
        }

        jwt::check_time(&claims, now, LEEWAY_SECONDS).map_err(OidcError::IdToken)?;
        if jwt::numeric_date(&claims, "iat").map_err(OidcError::IdToken)?.is_none() {
            return Err(OidcError::IdToken(JwtError::MissingClaim("iat")));
        }

        match claims.get("nonce").and_then(Value::as_str) {
            Some(actual) if !nonce.is_empty() && constant_time_eq(actual.as_bytes(), nonce.as_bytes()) => {}
            _ => return Err(OidcError::Nonce),
        }

        match claims.get("sub").and_then(Value::as_str) {
            Some(sub) if !sub.is_empty() => {}
            Some(_) => return Err(OidcError::IdToken(JwtError::InvalidClaim("sub"))),
            None => return Err(OidcError::IdToken(JwtError::MissingClaim("sub"))),
        }
        Ok(claims)
    }

    /// Checks the signature with a matching key of the JWKS, fetching the JWKS
    /// again once if no key matches (the provider may have rotated its keys).
    async fn verify_signature(&self, http: &reqwest::Client, jwt: &Jwt<'_>) -> Result<(), OidcError> {
        let alg = jwt.alg().unwrap_or_default();
        if !SUPPORTED_ALGORITHMS.contains(&alg) {
            return Err(OidcError::UnsupportedAlgorithm(alg.to_owned()));
        }
        if jwt.header.get("crit").is_some() {
            return Err(OidcError::IdToken(JwtError::Malformed("заголовок «crit» не поддерживается")));
        }
        let kid = jwt.kid();
        for attempt in 0..2 {
            let candidates: Vec<Jwk> = {
                let keys = self.jwks.read().unwrap_or_else(|poisoned| poisoned.into_inner());
                keys.iter().filter(|key| key.usable_for(alg, kid)).cloned().collect()
            };
            if !candidates.is_empty() {
                let mut last = JwtError::BadSignature;
                for key in &candidates {
                    match key.verify(alg, jwt.signing_input.as_bytes(), &jwt.signature) {
                        Ok(()) => return Ok(()),
                        Err(error) => last = error,
                    }
                }
                return Err(match last {
                    JwtError::BadSignature => OidcError::Signature,
                    other => OidcError::IdToken(other),
                });
            }
            if attempt == 0 {
                let keys = fetch_jwks(http, &self.jwks_uri).await?;
                *self.jwks.write().unwrap_or_else(|poisoned| poisoned.into_inner()) = keys;
            }
        }
        Err(OidcError::UnknownKey { kid: kid.map(str::to_owned) })
    }

    /// Redeems the authorization code at the token endpoint.
    async fn redeem(
        &self,
        http: &reqwest::Client,
        code: &str,
        code_verifier: &str,
    ) -> Result<TokenResponse, OidcError> {
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", self.config.redirect_uri.as_str()),
            ("code_verifier", code_verifier),
        ];
        let secret = self.config.client_secret.as_deref();
        let mut request = http.post(self.token_endpoint.clone()).header(ACCEPT, "application/json");
        match (self.client_auth, secret) {
            (ClientAuthMethod::ClientSecretBasic, Some(secret)) => {
                let credentials = format!("{}:{}", form_encode(&self.config.client_id), form_encode(secret));
                request = request.header(AUTHORIZATION, format!("Basic {}", STANDARD.encode(credentials)));
            }
            (ClientAuthMethod::ClientSecretPost, Some(secret)) => {
                form.push(("client_id", &self.config.client_id));
                form.push(("client_secret", secret));
            }
            (ClientAuthMethod::None, _) => form.push(("client_id", &self.config.client_id)),
            (_, None) => return Err(OidcError::MissingClientSecret),
        }
        let body = serde_urlencoded::to_string(&form)
            .map_err(|error| OidcError::InvalidResponse { what: TOKEN, reason: error.to_string() })?;
        let response = request
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .map_err(|source| OidcError::Http { what: TOKEN, source })?;
        let status = response.status();
        let bytes = response.bytes().await.map_err(|source| OidcError::Http { what: TOKEN, source })?;
        if !status.is_success() {
            return Err(match serde_json::from_slice::<ErrorResponse>(&bytes) {
                Ok(error) => OidcError::TokenEndpoint {
                    status: status.as_u16(),
                    error: error.error,
                    description: error.error_description,
                },
                Err(_) => OidcError::HttpStatus { what: TOKEN, status: status.as_u16() },
            });
        }
        serde_json::from_slice(&bytes)
            .map_err(|error| OidcError::InvalidResponse { what: TOKEN, reason: error.to_string() })
    }

    /// Fetches the UserInfo claims with the access token.
    async fn userinfo(
        &self,
        http: &reqwest::Client,
        endpoint: &Url,
        access_token: &str,
    ) -> Result<serde_json::Map<String, Value>, OidcError> {
        let response = http
            .get(endpoint.clone())
            .header(ACCEPT, "application/json")
            .bearer_auth(access_token)
            .send()
            .await
            .map_err(|source| OidcError::Http { what: USERINFO, source })?;
        let is_jwt = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|value| value.starts_with("application/jwt"));
        if is_jwt {
            return Err(OidcError::InvalidResponse {
                what: USERINFO,
                reason: "подписанный ответ (application/jwt) не поддерживается".into(),
            });
        }
        read_json(response, USERINFO).await
    }
}

#[cfg(test)]
mod tests;
