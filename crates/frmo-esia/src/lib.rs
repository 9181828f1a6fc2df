//! ЕСИА (Госуслуги) sign-in: the relying party of the current protocol (`v2/ac` + `v3/te`, signed
//! with ГОСТ Р 34.10-2012 through a [`signer::Signer`]), and a faithful stand of the server side
//! ([`stand`]) for development, demos and tests. Protocol facts and their sources:
//! ../shared/reference/egisz-and-esia.md §4.

pub mod client;
pub mod protocol;
pub mod signer;
pub mod stand;

pub use client::{EsiaClient, EsiaConfig, EsiaError, EsiaLogin, VerifyKey};

/// The demo keys and certificates (made by `fixtures/make.sh` with OpenSSL's GOST engine). Their
/// private keys are public: for the demo and tests only.
pub mod demo {
    use crate::stand::{DemoPerson, StandClient, StandConfig, StandOrg, TokenKey};
    use crate::{EsiaConfig, VerifyKey};

    pub const CLIENT_ID: &str = "FRMO01";
    pub const CLIENT_KEY: &str = include_str!("../fixtures/client.key");
    pub const CLIENT_CERT: &str = include_str!("../fixtures/client.crt");
    pub const STAND_KEY: &str = include_str!("../fixtures/stand.key");
    pub const STAND_CERT: &str = include_str!("../fixtures/stand.crt");
    pub const STAND_RSA_KEY: &str = include_str!("../fixtures/stand-rsa.key");
    pub const STAND_RSA_CERT: &str = include_str!("../fixtures/stand-rsa.crt");

    fn der(pem: &str) -> Vec<u8> {
        frmo_gost::pem_to_der(pem, "CERTIFICATE").unwrap_or_default()
    }

    /// The stand with the demo relying party registered, signing tokens with GOST.
    pub fn stand(persons: Vec<DemoPerson>, base_path: &str) -> Result<StandConfig, String> {
        Ok(StandConfig {
            clients: vec![StandClient { client_id: CLIENT_ID.into(), certificate_der: der(CLIENT_CERT) }],
            persons,
            key: TokenKey::Gost(frmo_gost::PrivateKey::from_pem(STAND_KEY).map_err(|e| e.to_string())?),
            base_path: base_path.into(),
        })
    }

    /// The demo relying party's settings for a stand at `portal_url`.
    pub fn client_config(portal_url: &str, redirect_uri: &str) -> Result<EsiaConfig, String> {
        Ok(EsiaConfig {
            portal_url: portal_url.into(),
            client_id: CLIENT_ID.into(),
            certificate_der: der(CLIENT_CERT),
            redirect_uri: redirect_uri.into(),
            scope: "openid fullname birthdate gender snils email mobile usr_org".into(),
            scope_org: String::new(),
            esia_keys: vec![
                VerifyKey::from_certificate(STAND_CERT.as_bytes()).map_err(|e| e.to_string())?,
                VerifyKey::from_certificate(STAND_RSA_CERT.as_bytes()).map_err(|e| e.to_string())?,
            ],
        })
    }

    /// An organization of the demo register as the stand knows it.
    pub fn org(oid: i64, full_name: &str, short_name: &str, ogrn: &str, inn: &str, kpp: &str) -> StandOrg {
        StandOrg {
            oid,
            full_name: full_name.into(),
            short_name: short_name.into(),
            ogrn: ogrn.into(),
            inn: inn.into(),
            kpp: kpp.into(),
            chief: false,
        }
    }
}
