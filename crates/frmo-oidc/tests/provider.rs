//! End to end against a real, certified OpenID provider: the npm package `oidc-provider`, started
//! and walked through by `frmo_testkit::oidc` (a person's login and consent, page by page).
//!
//! Needs `node` on the PATH (or in `$NODE`) and `npm ci` run in tests/oidc.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use frmo_oidc::jwt::{self, JwtError};
use frmo_oidc::{ClientAuthMethod, Identity, OidcError, PendingLogin, Provider, ProviderConfig, ProviderMetadata};
use frmo_testkit::oidc::{OpenIdProvider, ProviderBrowser};
use serde_json::Value;

/// Registered for every client of provider.mjs. Nothing listens there: the
/// browser stops at the redirect and hands the URL to the relying party.
const REDIRECT_URI: &str = "http://127.0.0.1/frmo/callback";

// ---------------------------------------------------------------------------
// The relying party's side of a login
// ---------------------------------------------------------------------------

/// A login up to the callback: the callback's query and what the RP kept.
struct Callback {
    code: String,
    state: String,
    iss: Option<String>,
    pending: PendingLogin,
}

async fn log_in(provider: &Provider, login: &str) -> Callback {
    let (authorization_url, pending) = provider.authorization_request();
    let mut browser = ProviderBrowser::new();
    let callback = browser.log_in(&authorization_url, login, REDIRECT_URI).await;
    assert_eq!(browser.pages, ["login", "consent"], "the provider's own login and consent pages were used");
    let query: Vec<(String, String)> = callback.query_pairs().into_owned().collect();
    let param = |name: &str| query.iter().find(|(key, _)| key == name).map(|(_, value)| value.clone());
    assert_eq!(param("error"), None, "{callback}");
    Callback { code: param("code").unwrap(), state: param("state").unwrap(), iss: param("iss"), pending }
}

async fn logged_in(provider: &Provider, http: &reqwest::Client) -> (Identity, PendingLogin) {
    let callback = log_in(provider, "ivanov").await;
    let identity = provider.exchange(http, &callback.code, &callback.state, &callback.pending).await.unwrap();
    (identity, callback.pending)
}

fn config(op: &OpenIdProvider, client_id: &str, client_secret: Option<&str>) -> ProviderConfig {
    ProviderConfig {
        issuer: op.issuer.clone(),
        client_id: client_id.into(),
        client_secret: client_secret.map(Into::into),
        redirect_uri: REDIRECT_URI.into(),
        scopes: vec!["openid".into(), "profile".into(), "email".into()],
    }
}

fn start() -> OpenIdProvider {
    OpenIdProvider::start(REDIRECT_URI)
}

async fn discover(op: &OpenIdProvider, http: &reqwest::Client) -> Provider {
    Provider::discover(http, config(op, "frmo", Some("frmo-secret"))).await.unwrap()
}

fn unix_now() -> i64 {
    i64::try_from(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()).unwrap()
}

/// Re-encodes a token with a changed header or payload, keeping the signature.
fn forge(token: &str, edit_header: impl FnOnce(&mut Value), edit_claims: impl FnOnce(&mut Value)) -> String {
    let jwt = jwt::parse(token).unwrap();
    let (mut header, mut claims) = (jwt.header, jwt.claims);
    edit_header(&mut header);
    edit_claims(&mut claims);
    let encode = |value: &Value| URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).unwrap());
    format!("{}.{}.{}", encode(&header), encode(&claims), token.rsplit('.').next().unwrap())
}

// ---------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------

#[tokio::test]
async fn full_login_with_client_secret_basic() {
    let op = start();
    let http = reqwest::Client::new();
    let provider = discover(&op, &http).await;
    assert_eq!(provider.metadata().issuer, op.issuer);
    assert_eq!(provider.client_auth(), ClientAuthMethod::ClientSecretBasic);
    assert_eq!(provider.scope(), "openid profile email");

    let callback = log_in(&provider, "ivanov").await;
    assert_eq!(callback.state, callback.pending.state);
    assert_eq!(callback.iss.as_deref(), Some(op.issuer.as_str()), "RFC 9207 iss in the callback");
    provider.check_callback_issuer(callback.iss.as_deref()).unwrap();
    // A response from elsewhere, or one stripped of iss by a provider that sends it, is refused.
    let error = provider.check_callback_issuer(Some("https://evil.example")).unwrap_err();
    assert!(matches!(error, OidcError::CallbackIssuer { .. }), "{error}");
    let error = provider.check_callback_issuer(None).unwrap_err();
    assert!(matches!(error, OidcError::CallbackIssuer { actual: None, .. }), "{error}");
    let identity = provider.exchange(&http, &callback.code, &callback.state, &callback.pending).await.unwrap();

    assert_eq!(identity.issuer, op.issuer);
    assert_eq!(identity.subject, "ivanov");
    assert_eq!(identity.name.as_deref(), Some("Иванов Иван Иванович"));
    assert_eq!(identity.email.as_deref(), Some("ivanov@example.org"));
    assert_eq!(identity.email_verified, Some(true));
    assert_eq!(identity.claims["aud"], "frmo");
    assert_eq!(identity.claims["nonce"], callback.pending.nonce.as_str());
    // oidc-provider keeps profile claims out of a code-flow id_token: they came from UserInfo.
    let id_token = jwt::parse(&identity.id_token).unwrap();
    assert_eq!(id_token.alg(), Some("RS256"));
    assert_eq!(id_token.claim_str("sub"), Some("ivanov"));
    assert_eq!(id_token.claims.get("email"), None);
}

#[tokio::test]
async fn client_secret_post_and_public_clients_log_in() {
    let op = start();
    let http = reqwest::Client::new();

    let post = Provider::discover(&http, config(&op, "frmo-post", Some("frmo-post-secret")))
        .await
        .unwrap()
        .with_client_auth(ClientAuthMethod::ClientSecretPost);
    let callback = log_in(&post, "ivanov").await;
    let identity = post.exchange(&http, &callback.code, &callback.state, &callback.pending).await.unwrap();
    assert_eq!(identity.subject, "ivanov");
    assert_eq!(identity.claims["aud"], "frmo-post");

    let public = Provider::discover(&http, config(&op, "frmo-public", None)).await.unwrap();
    assert_eq!(public.client_auth(), ClientAuthMethod::None);
    let callback = log_in(&public, "petrova").await;
    let identity = public.exchange(&http, &callback.code, &callback.state, &callback.pending).await.unwrap();
    assert_eq!(identity.subject, "petrova");
    assert_eq!(identity.email.as_deref(), Some("petrova@example.org"));
    assert_eq!(identity.email_verified, Some(false));

    // The secret really is checked (oidc-provider takes basic and post alike for a secret client).
    let wrong_secret = Provider::discover(&http, config(&op, "frmo", Some("not-the-secret"))).await.unwrap();
    let callback = log_in(&wrong_secret, "ivanov").await;
    let error = wrong_secret.exchange(&http, &callback.code, &callback.state, &callback.pending).await.unwrap_err();
    assert!(matches!(&error, OidcError::TokenEndpoint { error, .. } if error == "invalid_client"), "{error}");
}

#[tokio::test]
async fn es256_id_tokens_are_verified_too() {
    let op = start();
    let http = reqwest::Client::new();
    let provider = Provider::discover(&http, config(&op, "frmo-es256", Some("frmo-es256-secret"))).await.unwrap();
    let callback = log_in(&provider, "ivanov").await;
    let identity = provider.exchange(&http, &callback.code, &callback.state, &callback.pending).await.unwrap();
    assert_eq!(identity.subject, "ivanov");
    assert_eq!(jwt::parse(&identity.id_token).unwrap().alg(), Some("ES256"));

    let impostor = forge(&identity.id_token, |_| {}, |claims| claims["sub"] = "petrova".into());
    let error = provider.validate_id_token(&http, &impostor, &callback.pending.nonce).await.unwrap_err();
    assert!(matches!(error, OidcError::Signature), "{error}");
    // Claiming RS256 under the EC key's kid finds no usable key.
    let confused = forge(&identity.id_token, |header| header["alg"] = "RS256".into(), |_| {});
    let error = provider.validate_id_token(&http, &confused, &callback.pending.nonce).await.unwrap_err();
    assert!(matches!(error, OidcError::UnknownKey { .. }), "{error}");
}

#[tokio::test]
async fn a_wrong_state_is_refused_before_the_code_is_spent() {
    let op = start();
    let http = reqwest::Client::new();
    let provider = discover(&op, &http).await;
    let callback = log_in(&provider, "ivanov").await;

    let error = provider.exchange(&http, &callback.code, "forged-state", &callback.pending).await.unwrap_err();
    assert!(matches!(error, OidcError::StateMismatch), "{error}");
    assert_eq!(
        error.to_string(),
        "OpenID Connect: параметр state в ответе провайдера не совпадает с выданным при входе"
    );
    let error = provider.exchange(&http, &callback.code, "", &callback.pending).await.unwrap_err();
    assert!(matches!(error, OidcError::StateMismatch), "{error}");

    // The code was not sent anywhere, so the genuine callback still works.
    let identity = provider.exchange(&http, &callback.code, &callback.state, &callback.pending).await.unwrap();
    assert_eq!(identity.subject, "ivanov");
}

#[tokio::test]
async fn a_code_is_redeemed_only_once() {
    let op = start();
    let http = reqwest::Client::new();
    let provider = discover(&op, &http).await;
    let callback = log_in(&provider, "ivanov").await;

    provider.exchange(&http, &callback.code, &callback.state, &callback.pending).await.unwrap();
    let error = provider.exchange(&http, &callback.code, &callback.state, &callback.pending).await.unwrap_err();
    assert!(
        matches!(&error, OidcError::TokenEndpoint { status: 400, error, .. } if error == "invalid_grant"),
        "{error}"
    );
    assert!(error.to_string().starts_with("OpenID Connect: точка выдачи токенов отказала (400): invalid_grant"));
}

#[tokio::test]
async fn a_wrong_pkce_verifier_is_refused() {
    let op = start();
    let http = reqwest::Client::new();
    let provider = discover(&op, &http).await;
    let callback = log_in(&provider, "ivanov").await;

    // The verifier of another login: an attacker holding a stolen code lacks the right one.
    let (_, other) = provider.authorization_request();
    let stolen = PendingLogin { code_verifier: other.code_verifier, ..callback.pending.clone() };
    let error = provider.exchange(&http, &callback.code, &callback.state, &stolen).await.unwrap_err();
    assert!(matches!(&error, OidcError::TokenEndpoint { error, .. } if error == "invalid_grant"), "{error}");
}

#[tokio::test]
async fn a_tampered_id_token_is_refused() {
    let op = start();
    let http = reqwest::Client::new();
    let provider = discover(&op, &http).await;
    let (identity, pending) = logged_in(&provider, &http).await;

    // The jwt module alone, with the provider's published key.
    let token = jwt::parse(&identity.id_token).unwrap();
    let jwks: Value = http.get(&provider.metadata().jwks_uri).send().await.unwrap().json().await.unwrap();
    let key = jwks["keys"].as_array().unwrap().iter().find(|key| key["kid"] == token.header["kid"]).unwrap();
    let n = URL_SAFE_NO_PAD.decode(key["n"].as_str().unwrap()).unwrap();
    let e = URL_SAFE_NO_PAD.decode(key["e"].as_str().unwrap()).unwrap();
    jwt::verify_rs256(&n, &e, token.signing_input.as_bytes(), &token.signature).unwrap();
    let mut flipped = token.signature.clone();
    flipped[7] ^= 0x01;
    assert_eq!(jwt::verify_rs256(&n, &e, token.signing_input.as_bytes(), &flipped), Err(JwtError::BadSignature));

    // The same through the provider: a flipped signature byte…
    let (signing_input, _) = identity.id_token.rsplit_once('.').unwrap();
    let tampered = format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(&flipped));
    let error = provider.validate_id_token(&http, &tampered, &pending.nonce).await.unwrap_err();
    assert!(matches!(error, OidcError::Signature), "{error}");
    assert_eq!(error.to_string(), "OpenID Connect: подпись id_token не прошла проверку");

    // …another subject under the genuine signature…
    let impostor = forge(&identity.id_token, |_| {}, |claims| claims["sub"] = "petrova".into());
    let error = provider.validate_id_token(&http, &impostor, &pending.nonce).await.unwrap_err();
    assert!(matches!(error, OidcError::Signature), "{error}");

    // …"alg": "none" with the signature dropped…
    let unsigned = forge(&identity.id_token, |header| header["alg"] = "none".into(), |_| {});
    let error = provider.validate_id_token(&http, &unsigned, &pending.nonce).await.unwrap_err();
    assert!(matches!(&error, OidcError::UnsupportedAlgorithm(alg) if alg == "none"), "{error}");

    // …and a kid the provider never published (the JWKS is fetched again, in vain).
    let unknown = forge(&identity.id_token, |header| header["kid"] = "rotated-away".into(), |_| {});
    let error = provider.validate_id_token(&http, &unknown, &pending.nonce).await.unwrap_err();
    assert!(matches!(&error, OidcError::UnknownKey { kid: Some(kid) } if kid == "rotated-away"), "{error}");

    // The genuine token still passes.
    let claims = provider.validate_id_token(&http, &identity.id_token, &pending.nonce).await.unwrap();
    assert_eq!(claims["sub"], "ivanov");
}

#[tokio::test]
async fn keys_are_fetched_again_for_an_unknown_kid() {
    let op = start();
    let http = reqwest::Client::new();
    let provider = discover(&op, &http).await;
    let (identity, pending) = logged_in(&provider, &http).await;

    // Built from the metadata alone, the provider knows no key yet: as after a
    // key rotation, it must fetch the JWKS again instead of refusing the token.
    let url = format!("{}/.well-known/openid-configuration", op.issuer);
    let metadata: ProviderMetadata = http.get(url).send().await.unwrap().json().await.unwrap();
    let keyless = Provider::from_metadata(config(&op, "frmo", Some("frmo-secret")), metadata).unwrap();
    let claims = keyless.validate_id_token(&http, &identity.id_token, &pending.nonce).await.unwrap();
    assert_eq!(claims["sub"], "ivanov");
}

#[tokio::test]
async fn an_id_token_for_another_client_or_login_is_refused() {
    let op = start();
    let http = reqwest::Client::new();
    let provider = discover(&op, &http).await;
    let (identity, pending) = logged_in(&provider, &http).await;

    // Another relying party of the same provider must not accept frmo's token.
    let other = Provider::discover(&http, config(&op, "someone-else", Some("x"))).await.unwrap();
    let error = other.validate_id_token(&http, &identity.id_token, &pending.nonce).await.unwrap_err();
    assert!(matches!(&error, OidcError::Audience { client_id } if client_id == "someone-else"), "{error}");
    assert_eq!(
        error.to_string(),
        "OpenID Connect: id_token выпущен не для этого клиента: aud не содержит «someone-else»"
    );

    // The token of this login does not complete another one.
    let (_, another_login) = provider.authorization_request();
    let error = provider.validate_id_token(&http, &identity.id_token, &another_login.nonce).await.unwrap_err();
    assert!(matches!(error, OidcError::Nonce), "{error}");
}

#[tokio::test]
async fn an_expired_id_token_is_refused() {
    let op = start();
    let http = reqwest::Client::new();
    let provider = discover(&op, &http).await;
    let (identity, _) = logged_in(&provider, &http).await;

    let claims = jwt::parse(&identity.id_token).unwrap().claims;
    let now = unix_now();
    jwt::check_time(&claims, now, 60).unwrap();
    let exp = claims["exp"].as_i64().unwrap();
    let iat = claims["iat"].as_i64().unwrap();
    assert!(exp > now && iat <= now + 60, "exp {exp}, iat {iat}, now {now}");

    let tomorrow = now + 24 * 60 * 60;
    assert_eq!(jwt::check_time(&claims, tomorrow, 60), Err(JwtError::Expired { exp, now: tomorrow }));
    // Within the leeway it still passes, one second past it does not.
    jwt::check_time(&claims, exp + 59, 60).unwrap();
    assert!(jwt::check_time(&claims, exp + 60, 60).is_err());
    // Issued "in the future" for a clock that is an hour behind.
    assert_eq!(jwt::check_time(&claims, iat - 3600, 60), Err(JwtError::IssuedInFuture { iat, now: iat - 3600 }));
}

#[tokio::test]
async fn discovery_requires_the_exact_issuer() {
    let op = start();
    let http = reqwest::Client::new();

    let mut slash = config(&op, "frmo", Some("frmo-secret"));
    slash.issuer.push('/');
    let error = Provider::discover(&http, slash).await.unwrap_err();
    assert!(matches!(&error, OidcError::IssuerMismatch { actual, .. } if *actual == op.issuer), "{error}");

    let mut elsewhere = config(&op, "frmo", Some("frmo-secret"));
    elsewhere.issuer = format!("{}/realms/none", op.issuer);
    let error = Provider::discover(&http, elsewhere).await.unwrap_err();
    assert!(matches!(error, OidcError::HttpStatus { status: 404, .. }), "{error}");
}
