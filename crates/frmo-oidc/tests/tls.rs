//! The build speaks TLS: an `https://` provider is reached over TLS (here: a local TCP server that
//! is not TLS, so the handshake fails), not refused for its scheme.

use frmo_oidc::{OidcError, Provider, ProviderConfig};

#[tokio::test]
async fn https_providers_are_reached_over_tls() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("address").port();
    // A plain-text server: whatever the client sends, it answers nonsense and closes.
    tokio::spawn(async move {
        use tokio::io::AsyncWriteExt as _;
        while let Ok((mut socket, _)) = listener.accept().await {
            let _ = socket.write_all(b"not a TLS server\r\n").await;
        }
    });
    let config = ProviderConfig {
        issuer: format!("https://127.0.0.1:{port}"),
        client_id: "frmo".into(),
        client_secret: None,
        redirect_uri: "https://frmo.example/login/oidc/callback".into(),
        scopes: vec!["openid".into()],
    };
    let error = Provider::discover(&reqwest::Client::new(), config).await.expect_err("not a TLS server");
    let OidcError::Http { source, .. } = &error else { panic!("an HTTP-level failure: {error}") };
    let chain = format!("{source:?}").to_lowercase();
    assert!(!chain.contains("scheme"), "https must not be refused for its scheme: {chain}");
    assert!(
        source.is_connect() || chain.contains("tls") || chain.contains("handshake") || chain.contains("ssl"),
        "{chain}"
    );
}
