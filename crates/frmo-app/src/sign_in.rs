//! How people sign in, from the configuration: ЕСИА (a real portal or an external stand), the
//! demo's ЕСИА stand inside `serve --demo`, and another OpenID Connect provider.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use frmo_registry::Registry;

use crate::config::{Config, EsiaSettings, OidcSettings};

/// The sign-in settings and the services to mount beside the registry (the demo's stand).
pub(crate) async fn settings(
    config: &Config,
    registry: &Registry,
) -> anyhow::Result<(frmo_web::AuthSettings, Vec<(&'static str, axum::Router)>)> {
    let public_url = &config.public_url;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(20))
        .build()?;
    let mut auth = frmo_web::AuthSettings::new(public_url);
    auth.hsts &= config.hsts;
    let mut mounts = Vec::new();
    if !config.esia.portal_url.is_empty() {
        auth.esia = Some(esia_client(&config.esia, public_url, http.clone())?);
    } else if config.run.demo {
        let (client, stand) =
            frmo_web::demo::esia(registry, public_url, http.clone()).await.map_err(anyhow::Error::msg)?;
        auth.esia = Some(client);
        mounts.push((frmo_web::demo::STAND_PATH, stand));
        tracing::info!("ЕСИА stand mounted at {}{}", public_url, frmo_web::demo::STAND_PATH);
    }
    if !config.oidc.issuer.is_empty() {
        auth.oidc = Some(oidc_login(&config.oidc, public_url, http).await?);
    }
    Ok((auth, mounts))
}

/// «Войти через …» another provider: discovered at its issuer.
async fn oidc_login(
    settings: &OidcSettings,
    public_url: &str,
    http: reqwest::Client,
) -> anyhow::Result<frmo_web::identity::oidc::OidcLogin> {
    let provider = frmo_oidc::Provider::discover(
        &http,
        frmo_oidc::ProviderConfig {
            issuer: settings.issuer.clone(),
            client_id: settings.client_id.clone(),
            client_secret: Some(settings.client_secret.clone()).filter(|s| !s.is_empty()),
            redirect_uri: format!("{public_url}/login/oidc/callback"),
            scopes: vec!["openid".into(), "profile".into(), "email".into()],
        },
    )
    .await
    .with_context(|| format!("OpenID Connect: поставщик {} недоступен", settings.issuer))?;
    let name = if settings.name.is_empty() { "OpenID Connect".to_owned() } else { settings.name.clone() };
    Ok(frmo_web::identity::oidc::OidcLogin { name, provider, http, trusted: settings.trusted })
}

/// The relying party of a real ЕСИА (or an external stand) from the configuration.
fn esia_client(
    settings: &EsiaSettings,
    public_url: &str,
    http: reqwest::Client,
) -> anyhow::Result<frmo_esia::EsiaClient> {
    let read = |what: &str, path: &str| {
        std::fs::read(path).with_context(|| format!("esia.{what}: не удалось прочитать {path}"))
    };
    let certificate = read("certificate", &settings.certificate)?;
    let certificate_der = match std::str::from_utf8(&certificate) {
        Ok(pem) if pem.contains("-----BEGIN") => {
            frmo_gost::pem_to_der(pem, "CERTIFICATE").map_err(|e| anyhow::anyhow!("esia.certificate: {e}"))?
        }
        _ => certificate,
    };
    let mut esia_keys = Vec::new();
    for path in &settings.esia_certificates {
        esia_keys.push(
            frmo_esia::VerifyKey::from_certificate(&read("esia_certificates", path)?)
                .map_err(|e| anyhow::anyhow!("{e}"))?,
        );
    }
    if esia_keys.is_empty() {
        anyhow::bail!("esia.esia_certificates: укажите сертификаты ЕСИА, которыми проверять токены");
    }
    let signer: Arc<dyn frmo_esia::signer::Signer> = match settings.signer.as_str() {
        "cryptopro" => Arc::new(frmo_esia::signer::CryptoProSigner {
            csptest: if settings.csptest.is_empty() { "csptest".into() } else { settings.csptest.clone() },
            container: settings.container.clone(),
            pin: Some(settings.pin.clone()).filter(|p| !p.is_empty()),
            temp_dir: Some(std::path::PathBuf::from(&settings.temp_dir)).filter(|_| !settings.temp_dir.is_empty()),
        }),
        "builtin" => {
            let pem = String::from_utf8(read("key", &settings.key)?).context("esia.key: не PEM")?;
            Arc::new(frmo_esia::signer::BuiltinSigner::from_pem(&pem)?)
        }
        _ => Arc::new(frmo_esia::signer::CommandSigner::openssl(settings.key.clone().into())),
    };
    let scope = if settings.scope.is_empty() {
        "openid fullname snils email mobile usr_org".to_owned()
    } else {
        settings.scope.clone()
    };
    let config = frmo_esia::EsiaConfig {
        portal_url: settings.portal_url.clone(),
        client_id: settings.client_id.clone(),
        certificate_der,
        redirect_uri: format!("{public_url}/login/esia/callback"),
        scope,
        scope_org: settings.scope_org.clone(),
        esia_keys,
    };
    Ok(frmo_esia::EsiaClient::new(config, signer, http))
}
