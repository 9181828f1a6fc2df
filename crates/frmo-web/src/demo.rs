//! The demo's ЕСИА: the stand mounted at `/esia-stand` of the registry's own server, with demo
//! persons for organizations of the demo register, and the relying party pointed at it.

use axum::Router;
use frmo_esia::stand::{self, StandOrg};
use frmo_registry::Registry;

/// Where the stand is mounted.
pub const STAND_PATH: &str = "/esia-stand";

/// The demo register's organizations the stand's persons act for: the real «Реавиз» first, then
/// the first generated organizations with an ОГРН.
pub async fn stand_orgs(registry: &Registry) -> Result<Vec<StandOrg>, String> {
    let items = registry.first_versions(20).await.map_err(|e| e.to_string())?;
    Ok(items
        .into_iter()
        .filter_map(|item| {
            let ogrn = item.ogrn.filter(|o| o.len() == 13)?;
            let oid = 1_000_000_000 + item.version_id * 1_000;
            Some(frmo_esia::demo::org(
                oid,
                &item.name_full,
                &item.name_short,
                &ogrn,
                &item.inn,
                item.kpp.as_deref().unwrap_or(""),
            ))
        })
        .take(2)
        .collect())
}

/// The relying party and the stand for a registry served at `public_url`.
pub async fn esia(
    registry: &Registry,
    public_url: &str,
    http: reqwest::Client,
) -> Result<(frmo_esia::EsiaClient, Router), String> {
    let base = public_url.trim_end_matches('/');
    let persons = stand::demo_persons(&stand_orgs(registry).await?);
    let stand = stand::router(frmo_esia::demo::stand(persons, STAND_PATH)?);
    let config =
        frmo_esia::demo::client_config(&format!("{base}{STAND_PATH}"), &format!("{base}/login/esia/callback"))?;
    let signer = std::sync::Arc::new(
        frmo_esia::signer::BuiltinSigner::from_pem(frmo_esia::demo::CLIENT_KEY).map_err(|e| e.to_string())?,
    );
    Ok((frmo_esia::EsiaClient::new(config, signer, http), stand))
}
