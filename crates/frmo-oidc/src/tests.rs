//! The relying party against a provider served in-process.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test
use super::*;
use serde_json::json;

fn config() -> ProviderConfig {
    ProviderConfig {
        issuer: "https://id.example.org".into(),
        client_id: "frmo".into(),
        client_secret: Some("s3cr3t-value".into()),
        redirect_uri: "https://frmo.example.org/callback".into(),
        scopes: vec!["email".into(), "openid profile".into()],
    }
}

fn metadata() -> ProviderMetadata {
    serde_json::from_value(json!({
        "issuer": "https://id.example.org",
        "authorization_endpoint": "https://id.example.org/auth?tenant=med",
        "token_endpoint": "https://id.example.org/token",
        "jwks_uri": "https://id.example.org/jwks",
        "code_challenge_methods_supported": ["plain", "S256"],
    }))
    .unwrap()
}

#[test]
fn pkce_challenge_matches_rfc_7636_appendix_b() {
    assert_eq!(
        pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    );
}

#[test]
fn authorization_request_carries_fresh_secrets() {
    let provider = Provider::from_metadata(config(), metadata()).unwrap();
    let (url, pending) = provider.authorization_request();
    let url = Url::parse(&url).unwrap();
    let query: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
    assert_eq!(url.path(), "/auth");
    assert_eq!(query["tenant"], "med");
    assert_eq!(query["response_type"], "code");
    assert_eq!(query["client_id"], "frmo");
    assert_eq!(query["redirect_uri"], "https://frmo.example.org/callback");
    assert_eq!(query["scope"], "openid email profile");
    assert_eq!(query["state"], pending.state);
    assert_eq!(query["nonce"], pending.nonce);
    assert_eq!(query["code_challenge"], pkce_challenge(&pending.code_verifier));
    assert_eq!(query["code_challenge_method"], "S256");
    assert!(!query.contains_key("client_secret"));
    for secret in [&pending.state, &pending.nonce, &pending.code_verifier] {
        assert_eq!(secret.len(), 43);
    }
    let (_, other) = provider.authorization_request();
    assert_ne!(other.state, pending.state);
    assert_ne!(other.nonce, pending.nonce);
    assert_ne!(other.code_verifier, pending.code_verifier);
    assert_eq!(format!("{pending:?}"), "PendingLogin { .. }");
}

#[test]
fn from_metadata_checks_issuer_pkce_and_auth_methods() {
    let mut config_with_slash = config();
    config_with_slash.issuer.push('/');
    assert!(matches!(Provider::from_metadata(config_with_slash, metadata()), Err(OidcError::IssuerMismatch { .. })));

    let mut plain_only = metadata();
    plain_only.code_challenge_methods_supported = Some(vec!["plain".into()]);
    assert!(matches!(Provider::from_metadata(config(), plain_only), Err(OidcError::PkceUnsupported)));

    assert_eq!(
        Provider::from_metadata(config(), metadata()).unwrap().client_auth(),
        ClientAuthMethod::ClientSecretBasic
    );
    let mut post_only = metadata();
    post_only.token_endpoint_auth_methods_supported = Some(vec!["client_secret_post".into(), "none".into()]);
    assert_eq!(
        Provider::from_metadata(config(), post_only.clone()).unwrap().client_auth(),
        ClientAuthMethod::ClientSecretPost
    );
    let public = ProviderConfig { client_secret: None, ..config() };
    assert_eq!(Provider::from_metadata(public, post_only).unwrap().client_auth(), ClientAuthMethod::None);
    let mut jwt_only = metadata();
    jwt_only.token_endpoint_auth_methods_supported = Some(vec!["private_key_jwt".into()]);
    assert!(matches!(Provider::from_metadata(config(), jwt_only), Err(OidcError::NoClientAuthMethod)));

    let mut bad_url = metadata();
    bad_url.token_endpoint = "/token".into();
    assert!(matches!(Provider::from_metadata(config(), bad_url), Err(OidcError::InvalidUrl { .. })));
}

#[test]
fn jwk_selection_follows_kid_use_and_alg() {
    let key: Jwk =
        serde_json::from_value(json!({"kty": "RSA", "kid": "a", "use": "sig", "n": "AQAB", "e": "AQAB"})).unwrap();
    assert!(key.usable_for("RS256", Some("a")));
    assert!(key.usable_for("RS256", None));
    assert!(!key.usable_for("RS256", Some("b")));
    assert!(!key.usable_for("HS256", Some("a")));
    assert!(!key.usable_for("none", None));
    let encryption: Jwk = serde_json::from_value(json!({"kty": "RSA", "use": "enc"})).unwrap();
    assert!(!encryption.usable_for("RS256", None));
    let ec: Jwk = serde_json::from_value(json!({"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA"})).unwrap();
    assert!(ec.usable_for("ES256", None));
    assert!(!ec.usable_for("RS256", None));
    assert!(!key.usable_for("ES256", Some("a")));
    let p384: Jwk = serde_json::from_value(json!({"kty": "EC", "crv": "P-384"})).unwrap();
    assert!(!p384.usable_for("ES256", None));
    let other_alg: Jwk = serde_json::from_value(json!({"kty": "RSA", "alg": "PS256"})).unwrap();
    assert!(!other_alg.usable_for("RS256", None));
    assert!(matches!(other_alg.verify("RS256", b"", b""), Err(JwtError::InvalidKey(_))));
}

#[test]
fn identity_reads_the_standard_claims() {
    let claims = json!({"iss": "i", "sub": "s", "name": "Иван", "email": "i@example.org", "email_verified": "true"});
    let identity = identity(claims, "t".into());
    assert_eq!(identity.subject, "s");
    assert_eq!(identity.name.as_deref(), Some("Иван"));
    assert_eq!(identity.email_verified, Some(true));
}

#[test]
fn helpers() {
    assert_eq!(form_encode("a b:c%d~"), "a%20b%3Ac%25d~");
    assert!(constant_time_eq(b"abc", b"abc"));
    assert!(!constant_time_eq(b"abc", b"abd"));
    assert!(!constant_time_eq(b"abc", b"ab"));
    assert!(unix_now() > 1_700_000_000);
    let debug = format!("{:?}", config());
    assert!(!debug.contains("s3cr3t"), "{debug}");
}

#[test]
fn error_messages_are_russian() {
    assert_eq!(OidcError::Signature.to_string(), "OpenID Connect: подпись id_token не прошла проверку");
    assert_eq!(
        OidcError::TokenEndpoint {
            status: 400,
            error: "invalid_grant".into(),
            description: Some("grant not found".into())
        }
        .to_string(),
        "OpenID Connect: точка выдачи токенов отказала (400): invalid_grant — grant not found"
    );
    assert_eq!(
        OidcError::UnknownKey { kid: None }.to_string(),
        "OpenID Connect: в JWKS провайдера нет ключа для проверки id_token (kid не указан)"
    );
}

#[test]
fn provider_futures_are_send() {
    fn assert_send<T: Send>(_: &T) {}
    fn assert_sync<T: Send + Sync>() {}
    assert_sync::<Provider>();
    let provider = Provider::from_metadata(config(), metadata()).unwrap();
    let http = reqwest::Client::new();
    let (_, pending) = provider.authorization_request();
    assert_send(&provider.exchange(&http, "code", "state", &pending));
    assert_send(&Provider::discover(&http, config()));
}
