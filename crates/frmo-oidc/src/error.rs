//! What can go wrong in a sign-in, each with a Russian message that names the provider's part at fault.

use crate::jwt::JwtError;

/// Why discovery or a login failed. Messages are in Russian and name what failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OidcError {
    /// A configured or discovered URL is not an absolute URL.
    #[error("OpenID Connect: неверный адрес {what}: «{url}»")]
    InvalidUrl {
        /// Which URL.
        what: &'static str,
        /// The offending value.
        url: String,
    },
    /// The request did not complete (connection, timeout, body).
    #[error("OpenID Connect: запрос к {what} не выполнен: {source}")]
    Http {
        /// Which endpoint.
        what: &'static str,
        /// The transport error.
        source: reqwest::Error,
    },
    /// The provider answered with an unexpected HTTP status.
    #[error("OpenID Connect: {what} ответил кодом HTTP {status}")]
    HttpStatus {
        /// Which endpoint.
        what: &'static str,
        /// The status code.
        status: u16,
    },
    /// The response body is not what the protocol says.
    #[error("OpenID Connect: ответ {what} не разобран: {reason}")]
    InvalidResponse {
        /// Which endpoint.
        what: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The discovery document names another issuer.
    #[error("OpenID Connect: издатель в метаданных провайдера «{actual}» не совпадает с настроенным «{expected}»")]
    IssuerMismatch {
        /// The configured issuer.
        expected: String,
        /// The discovered one.
        actual: String,
    },
    /// The provider advertises PKCE methods and S256 is not among them.
    #[error("OpenID Connect: провайдер не поддерживает PKCE с методом S256")]
    PkceUnsupported,
    /// No client authentication method usable with a client secret.
    #[error(
        "OpenID Connect: провайдер не поддерживает ни client_secret_basic, ни client_secret_post для аутентификации клиента"
    )]
    NoClientAuthMethod,
    /// The chosen client authentication method needs a secret and none is configured.
    #[error("OpenID Connect: для аутентификации клиента нужен client_secret, а он не настроен")]
    MissingClientSecret,
    /// The callback's `state` is not the one issued: a forged or stale callback.
    #[error("OpenID Connect: параметр state в ответе провайдера не совпадает с выданным при входе")]
    StateMismatch,
    /// The callback's `iss` (RFC 9207) is missing or names another provider:
    /// the response may come from a different provider than the login went to.
    #[error("OpenID Connect: параметр iss в ответе провайдера ({}) не совпадает с издателем «{expected}»", .actual.as_deref().unwrap_or("отсутствует"))]
    CallbackIssuer {
        /// The provider's issuer.
        expected: String,
        /// The `iss` query parameter of the callback.
        actual: Option<String>,
    },
    /// The token endpoint refused the code (e.g. `invalid_grant`: reused, expired,
    /// or PKCE verifier mismatch).
    #[error("OpenID Connect: точка выдачи токенов отказала ({status}): {error}{}", description_suffix(.description))]
    TokenEndpoint {
        /// HTTP status.
        status: u16,
        /// The OAuth `error` code.
        error: String,
        /// The OAuth `error_description`, if any.
        description: Option<String>,
    },
    /// The token response has no id_token (was `openid` in scope?).
    #[error("OpenID Connect: в ответе точки выдачи токенов нет id_token")]
    MissingIdToken,
    /// The id_token is malformed, expired, or lacks a claim.
    #[error("OpenID Connect: id_token отклонён — {0}")]
    IdToken(#[source] JwtError),
    /// The id_token is signed with an algorithm this crate does not accept.
    #[error("OpenID Connect: алгоритм подписи id_token «{0}» не поддерживается")]
    UnsupportedAlgorithm(String),
    /// No key of the provider's JWKS matches the id_token (even after refetching).
    #[error("OpenID Connect: в JWKS провайдера нет ключа для проверки id_token (kid {})", .kid.as_deref().unwrap_or("не указан"))]
    UnknownKey {
        /// The `kid` of the id_token header.
        kid: Option<String>,
    },
    /// The id_token signature is wrong.
    #[error("OpenID Connect: подпись id_token не прошла проверку")]
    Signature,
    /// `iss` of the id_token is not the provider.
    #[error("OpenID Connect: издатель id_token «{actual}» не совпадает с «{expected}»")]
    Issuer {
        /// The provider's issuer.
        expected: String,
        /// The `iss` claim.
        actual: String,
    },
    /// `aud` of the id_token does not contain the client.
    #[error("OpenID Connect: id_token выпущен не для этого клиента: aud не содержит «{client_id}»")]
    Audience {
        /// This client's id.
        client_id: String,
    },
    /// `azp` is missing with several audiences, or names another client.
    #[error("OpenID Connect: azp id_token ({}) не совпадает с client_id «{expected}»", .actual.as_deref().unwrap_or("отсутствует"))]
    AuthorizedParty {
        /// This client's id.
        expected: String,
        /// The `azp` claim.
        actual: Option<String>,
    },
    /// `nonce` of the id_token is not the one issued: a replayed or injected token.
    #[error("OpenID Connect: nonce в id_token не совпадает с выданным при входе")]
    Nonce,
    /// `at_hash` does not match the access token.
    #[error("OpenID Connect: at_hash в id_token не соответствует access_token")]
    AccessTokenHash,
    /// UserInfo speaks of another subject.
    #[error("OpenID Connect: sub в ответе UserInfo не совпадает с sub в id_token")]
    UserInfoSubject,
}

fn description_suffix(description: &Option<String>) -> String {
    description.as_deref().map(|d| format!(" — {d}")).unwrap_or_default()
}
