//! The protocol's own facts, shared by the relying party and the stand: the timestamp format, the
//! signed messages of `v2/ac` and `v3/te`, JWT parts, and ЕСИА's error codes in Russian.
//! Sources: ../shared/reference/egisz-and-esia.md §4 (ilimurzin/esia, ofstudio/go-api-epgu).

use base64::Engine;
use base64::engine::general_purpose::{URL_SAFE, URL_SAFE_NO_PAD};
use serde_json::Value;
use time::OffsetDateTime;
use time::macros::format_description;

/// `iss` of every ЕСИА token.
pub const ISSUER: &str = "http://esia.gosuslugi.ru/";
pub const AC_PATH: &str = "/aas/oauth2/v2/ac";
pub const TE_PATH: &str = "/aas/oauth2/v3/te";
pub const LOGOUT_PATH: &str = "/idp/ext/Logout";
/// JWT `alg` of GOST R 34.10-2012 256 signatures as ЕСИА writes it.
pub const ALG_GOST: &str = "GOST3410_2012_256";
pub const ALG_RS256: &str = "RS256";

/// `yyyy.MM.dd HH:mm:ss Z`, e.g. `2025.09.02 13:00:29 +0300`.
pub fn format_timestamp(at: OffsetDateTime) -> String {
    at.format(format_description!(
        "[year].[month].[day] [hour]:[minute]:[second] [offset_hour sign:mandatory][offset_minute]"
    ))
    .unwrap_or_default()
}

pub fn parse_timestamp(text: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(
        text,
        format_description!(
            "[year].[month].[day] [hour]:[minute]:[second] [offset_hour sign:mandatory][offset_minute]"
        ),
    )
    .ok()
}

/// `client_certificate_hash` as CryptoPro's `cpverify -mk -alg GR3411_2012_256` prints it for the
/// DER certificate: ГОСТ Р 34.11-2012 (256) of the DER bytes, 64 hex digits in upper case, in the
/// digest's own byte order (the order `openssl dgst -md_gost12_256` and `cryptcp -hash -hex` print;
/// nothing reversed). Public relying parties configure exactly this string: ilimurzin/esia@
/// 1b20270ca4e50bb0ef119f43b8d8887fe17e6e66 `README.md` (`CD6EA358…80EE`), ofstudio/go-api-epgu@
/// f3763d9a8140fb25e7240e19d0ca23e4aaee309e `esia/signature/local-cp-gost.go` (the `cpverify`
/// recipe, upper-case sample); the hash of the DER form, not of the PEM file (ESIA-007053
/// otherwise). The stand compares it ignoring case.
pub fn client_certificate_hash(certificate_der: &[u8]) -> String {
    frmo_gost::certificate_hash_hex(certificate_der).to_ascii_uppercase()
}

/// The parameters both signed messages are made of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedParams<'a> {
    pub client_id: &'a str,
    pub scope: &'a str,
    pub scope_org: &'a str,
    pub timestamp: &'a str,
    pub state: &'a str,
    pub redirect_uri: &'a str,
}

impl SignedParams<'_> {
    /// The message of `v2/ac` and of a refresh: `client_id + scope + scope_org + timestamp + state +
    /// redirect_uri`; the authorization code is appended for `v3/te`.
    pub fn message(&self, code: Option<&str>) -> String {
        [self.client_id, self.scope, self.scope_org, self.timestamp, self.state, self.redirect_uri, code.unwrap_or("")]
            .concat()
    }
}

/// `client_secret`: base64url of the raw signature (ЕСИА accepts it with or without padding).
pub fn encode_secret(signature: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(signature)
}

pub fn decode_secret(secret: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(secret.trim_end_matches('=')).ok().or_else(|| URL_SAFE.decode(secret).ok())
}

/// Makes a JWT from its header, claims and a signing function over `header.claims`.
pub fn make_jwt(header: &Value, claims: &Value, sign: impl FnOnce(&[u8]) -> Vec<u8>) -> String {
    let input =
        format!("{}.{}", URL_SAFE_NO_PAD.encode(header.to_string()), URL_SAFE_NO_PAD.encode(claims.to_string()));
    let signature = sign(input.as_bytes());
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature))
}

/// An error ЕСИА reports, by its code (`ESIA-007053` …), with the Russian explanation the user or the
/// administrator can act on.
pub fn explain_error(code: &str) -> &'static str {
    match code {
        "ESIA-007014" => {
            "В запросе к ЕСИА не хватает обязательного параметра. После перехода на v2/v3 ЕСИА требует \
             client_certificate_hash; проверьте настройки подключения."
        }
        "ESIA-007053" => {
            "ЕСИА отклонила подпись запроса (client_secret): подпись не сходится с сертификатом или хэш \
             сертификата (client_certificate_hash) не тот. Ключ должен соответствовать сертификату, \
             загруженному на технологический портал ЕСИА, а хэш — считаться по DER-файлу сертификата \
             алгоритмом ГОСТ Р 34.11-2012 (256 бит)."
        }
        "ESIA-007005" => {
            "Система не зарегистрирована в ЕСИА для этой среды или ей не разрешены запрошенные данные \
             (мнемоника, scope или сертификат не согласованы)."
        }
        "ESIA-007011" => "Код авторизации или токен обновления ЕСИА недействителен или устарел. Войдите заново.",
        "ESIA-007004" => "Вы отказались предоставить доступ к своим данным на Госуслугах.",
        _ => "ЕСИА вернула ошибку.",
    }
}

/// The ЕСИА code inside an `error_description` such as `ESIA-007053: OAuthErrorEnum.clientSecretWrong`.
pub fn error_code(description: &str) -> Option<&str> {
    let start = description.find("ESIA-")?;
    let code = &description[start..];
    let end = code.find(|c: char| !(c.is_ascii_alphanumeric() || c == '-')).unwrap_or(code.len());
    Some(&code[..end])
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn timestamps_have_the_documented_shape() {
        let at = datetime!(2025-09-02 13:00:29 +03:00);
        assert_eq!(format_timestamp(at), "2025.09.02 13:00:29 +0300");
        assert_eq!(parse_timestamp("2025.09.02 13:00:29 +0300"), Some(at));
    }

    #[test]
    fn messages_are_concatenated_in_the_documented_order() {
        let p = SignedParams {
            client_id: "FRMO01",
            scope: "openid fullname",
            scope_org: "org_ogrn",
            timestamp: "2025.09.02 13:00:29 +0300",
            state: "5f0a…",
            redirect_uri: "https://frmo/cb",
        };
        assert_eq!(p.message(None), "FRMO01openid fullnameorg_ogrn2025.09.02 13:00:29 +03005f0a…https://frmo/cb");
        assert!(p.message(Some("CODE")).ends_with("https://frmo/cbCODE"));
    }

    #[test]
    fn error_codes_are_found_and_explained() {
        assert_eq!(error_code("ESIA-007053: OAuthErrorEnum.clientSecretWrong"), Some("ESIA-007053"));
        assert!(explain_error("ESIA-007053").contains("client_certificate_hash"));
        assert!(explain_error("ESIA-007014").contains("обязательного"));
    }

    #[test]
    fn jwts_round_trip() {
        let token =
            make_jwt(&serde_json::json!({"alg": "X"}), &serde_json::json!({"sub": 1}), |input| input[..3].to_vec());
        let parts = frmo_oidc::jwt::parse(&token).expect("parts");
        assert_eq!(parts.claims["sub"], 1);
        assert_eq!(parts.signature, parts.signing_input.as_bytes()[..3]);
    }
}
