//! The relying party against the stand over real HTTP: signatures checked for real (the builtin
//! signer and OpenSSL's GOST engine), every documented refusal, tokens (GOST and RS256), person
//! data, refresh and logout.

use std::collections::HashMap;
use std::sync::Arc;

use frmo_esia::signer::{BuiltinSigner, CommandSigner, CryptoProSigner, Signer};
use frmo_esia::stand::{self, StandClient, StandConfig, TokenKey};
use frmo_esia::{EsiaClient, EsiaConfig, EsiaError, demo};

const STRANGER_KEY: &str = include_str!("../fixtures/stranger.key");
const STRANGER_CERT: &str = include_str!("../fixtures/stranger.crt");

fn fixture(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures").join(name)
}

struct Stand {
    base: String,
    http: reqwest::Client,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for Stand {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn start(rsa: bool) -> Stand {
    let orgs = vec![demo::org(1_000_001_000, "Полное имя", "Реавиз", "1026301420716", "6317006620", "631701001")];
    let mut config: StandConfig = demo::stand(stand::demo_persons(&orgs), "").expect("stand");
    if rsa {
        use rsa::pkcs8::DecodePrivateKey;
        config.key = TokenKey::Rsa(Box::new(rsa::RsaPrivateKey::from_pkcs8_pem(demo::STAND_RSA_KEY).expect("rsa key")));
    }
    config.clients.push(StandClient {
        client_id: "OTHER".into(),
        certificate_der: frmo_gost::pem_to_der(STRANGER_CERT, "CERTIFICATE").expect("der"),
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let router = stand::router(config);
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    Stand { base, http, server }
}

fn client(stand: &Stand, signer: Arc<dyn Signer>, tweak: impl FnOnce(&mut EsiaConfig)) -> EsiaClient {
    let mut config = demo::client_config(&stand.base, "https://frmo.example/login/esia/callback").expect("config");
    tweak(&mut config);
    EsiaClient::new(config, signer, stand.http.clone())
}

fn builtin() -> Arc<dyn Signer> {
    Arc::new(BuiltinSigner::from_pem(demo::CLIENT_KEY).expect("key"))
}

fn query(url: &str) -> HashMap<String, String> {
    serde_urlencoded::from_str(url.split_once('?').map_or("", |(_, q)| q)).expect("query")
}

/// Authorizes as `person` at the stand; returns the code.
async fn authorize(stand: &Stand, client: &EsiaClient, person: &str) -> String {
    let (url, state) = client.authorization_url().await.expect("url");
    let page = stand.http.get(&url).send().await.expect("ac");
    assert_eq!(page.status(), 200);
    let body = page.text().await.expect("body");
    let marker = "name=\"flow\" value=\"";
    let start = body.find(marker).expect("flow") + marker.len();
    let flow = &body[start..start + 36];
    let back = stand
        .http
        .post(format!("{}/aas/oauth2/v2/ac/login", stand.base))
        .form(&[("flow", flow), ("person", person)])
        .send()
        .await
        .expect("choose");
    let location = back.headers()["location"].to_str().expect("location").to_owned();
    let params = query(&location);
    assert_eq!(params["state"], state, "the state comes back unchanged");
    params["code"].clone()
}

/// The `error_description` the stand redirected with, for an authorization request by `client`.
async fn refusal(stand: &Stand, client: &EsiaClient) -> String {
    let (url, _) = client.authorization_url().await.expect("url");
    let response = stand.http.get(&url).send().await.expect("ac");
    assert_eq!(response.status(), 303, "refused with a redirect to the system");
    let location = response.headers()["location"].to_str().expect("location").to_owned();
    query(&location)["error_description"].clone()
}

#[tokio::test]
async fn a_full_sign_in_yields_person_contacts_and_roles() {
    let stand = start(false).await;
    let client = client(&stand, builtin(), |_| {});
    let code = authorize(&stand, &client, "1000299654").await;
    let login = client.complete(&code).await.expect("sign-in");
    assert_eq!(login.oid, "1000299654");
    assert_eq!(login.amr, "PWD");
    assert!(login.person.trusted);
    assert_eq!(login.person.full_name(), "Иванова Мария Петровна");
    assert_eq!(login.person.snils.as_deref(), Some("112-233-445 95"));
    assert!(login.contacts.iter().any(|c| c.kind == "EML" && c.value.contains('@')));
    assert_eq!(login.roles.len(), 1);
    assert_eq!(login.roles[0].ogrn.as_deref(), Some("1026301420716"));
    assert!(login.roles[0].chief);

    // A code works once: ЕСИА-007011.
    match client.exchange_code(&code).await {
        Err(EsiaError::Esia { code, .. }) => assert_eq!(code, "ESIA-007011"),
        other => panic!("expected ESIA-007011, got {other:?}"),
    }
    // Refresh, then the used refresh token is refused.
    let refresh = login.tokens.refresh_token.clone().expect("refresh token");
    let renewed = client.refresh(&refresh).await.expect("refresh");
    assert_ne!(renewed.access_token, login.tokens.access_token);
    assert!(matches!(client.refresh(&refresh).await, Err(EsiaError::Esia { code, .. }) if code == "ESIA-007011"));

    // The REST API answers only for the token's own person.
    let other = stand
        .http
        .get(format!("{}/rs/prns/1000299655", stand.base))
        .bearer_auth(&renewed.access_token)
        .send()
        .await
        .expect("prns");
    assert_eq!(other.status(), 403);
    // Logout returns to the given address.
    let out = stand.http.get(client.logout_url("https://frmo.example/")).send().await.expect("logout");
    assert_eq!(out.headers()["location"], "https://frmo.example/");
}

#[tokio::test]
async fn tokens_are_validated_for_signature_issuer_audience_and_time() {
    for rsa in [false, true] {
        let stand = start(rsa).await;
        let client = client(&stand, builtin(), |_| {});
        let code = authorize(&stand, &client, "1000299655").await;
        let tokens = client.exchange_code(&code).await.expect("tokens");
        let alg = frmo_oidc::jwt::parse(&tokens.access_token).expect("jwt").header["alg"].clone();
        assert_eq!(alg, if rsa { "RS256" } else { "GOST3410_2012_256" });
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let id = client.validate(tokens.id_token.as_deref().expect("id_token"), now).expect("valid id_token");
        assert_eq!(id["urn:esia:amd"], "DS");
        assert_eq!(id["urn:esia:sbj"]["urn:esia:sbj:is_tru"], true);
        assert_eq!(id["iss"], "http://esia.gosuslugi.ru/");
        // Any flipped bit of the signature fails.
        let mut parts: Vec<String> = tokens.access_token.split('.').map(str::to_owned).collect();
        let mut signature = parts[2].clone().into_bytes();
        signature[5] = if signature[5] == b'A' { b'B' } else { b'A' };
        parts[2] = String::from_utf8(signature).expect("utf8");
        assert!(matches!(client.validate(&parts.join("."), now), Err(EsiaError::Token(_))));
        // Expired, and issued for another system.
        assert!(client.validate(&tokens.access_token, now + 7200).is_err());
        let other = self::client(&stand, builtin(), |c| c.client_id = "OTHER".into());
        assert!(
            matches!(other.validate(&tokens.access_token, now), Err(EsiaError::Token(m)) if m.contains("другой системе"))
        );
        // Without the stand's certificate among the configured ones, nothing validates.
        let blind = self::client(&stand, builtin(), |c| c.esia_keys.clear());
        assert!(blind.validate(&tokens.access_token, now).is_err());
    }
}

#[tokio::test]
async fn wrong_signatures_and_certificate_hashes_get_esia_007053() {
    let stand = start(false).await;
    let stranger: Arc<dyn Signer> = Arc::new(BuiltinSigner::from_pem(STRANGER_KEY).expect("key"));
    // The registered certificate, another key: the signature does not verify.
    let wrong_key = client(&stand, stranger.clone(), |_| {});
    let description = refusal(&stand, &wrong_key).await;
    assert!(description.starts_with("ESIA-007053"), "{description}");
    // The right key, another certificate's hash.
    let wrong_cert = client(&stand, builtin(), |c| {
        c.certificate_der = frmo_gost::pem_to_der(STRANGER_CERT, "CERTIFICATE").expect("der")
    });
    assert!(refusal(&stand, &wrong_cert).await.starts_with("ESIA-007053"));
    // And the relying party explains it in Russian, naming what to check.
    let error = EsiaError::from_oauth("invalid_client", &description);
    let text = error.to_string();
    assert!(text.contains("client_certificate_hash") && text.contains("ESIA-007053"), "{text}");

    // The token endpoint refuses a bad signature as well.
    let response = stand
        .http
        .post(format!("{}/aas/oauth2/v3/te", stand.base))
        .form(&[
            ("client_id", "FRMO01"),
            ("client_certificate_hash", include_str!("../fixtures/client.crt.hash").trim()),
            ("client_secret", &"A".repeat(86)),
            ("scope", "openid"),
            ("scope_org", ""),
            ("timestamp", "2026.11.23 10:00:00 +0300"),
            ("state", "0b8e6f5c-3c1a-4b7e-9d2f-2a1c3e4f5a6b"),
            ("redirect_uri", "https://frmo.example/cb"),
            ("grant_type", "authorization_code"),
            ("code", "x"),
        ])
        .send()
        .await
        .expect("te");
    assert_eq!(response.status(), 401);
    let body: serde_json::Value = response.json().await.expect("json");
    assert!(body["error_description"].as_str().is_some_and(|d| d.starts_with("ESIA-007053")), "{body}");
}

#[tokio::test]
async fn missing_parameters_and_unknown_systems_are_refused_with_their_codes() {
    let stand = start(false).await;
    let page = stand.http.get(format!("{}/aas/oauth2/v2/ac?client_id=FRMO01", stand.base)).send().await.expect("ac");
    assert_eq!(page.status(), 400);
    assert!(page.text().await.expect("body").contains("ESIA-007014"));
    let unknown = client(&stand, builtin(), |c| c.client_id = "NOBODY".into());
    let (url, _) = unknown.authorization_url().await.expect("url");
    let page = stand.http.get(&url).send().await.expect("ac");
    assert_eq!(page.status(), 400);
    assert!(page.text().await.expect("body").contains("ESIA-007005"));
}

#[tokio::test]
async fn the_openssl_gost_engine_signer_is_accepted_and_our_signatures_verify_in_openssl() {
    // OpenSSL 3 + Debian's libengine-gost-openssl signs; the stand verifies for real.
    let stand = start(false).await;
    let openssl = client(&stand, Arc::new(CommandSigner::openssl(fixture("client.key"))), |_| {});
    let code = authorize(&stand, &openssl, "1000299654").await;
    openssl.complete(&code).await.expect("sign-in with OpenSSL's signatures");

    // Our builtin signature verifies in OpenSSL.
    let dir = tempfile::tempdir().expect("tmp");
    let message =
        "FRMO01openid fullname2026.11.23 10:00:00 +03000b8e6f5c-3c1a-4b7e-9d2f-2a1c3e4f5a6bhttps://frmo.example/cb";
    let signature = builtin().sign(message.as_bytes()).await.expect("sign");
    std::fs::write(dir.path().join("msg"), message).expect("write");
    std::fs::write(dir.path().join("sig"), &signature).expect("write");
    let pubkey = std::process::Command::new("openssl")
        .args(["x509", "-engine", "gost", "-noout", "-pubkey", "-in"])
        .arg(fixture("client.crt"))
        .output()
        .expect("openssl x509");
    std::fs::write(dir.path().join("pub.pem"), &pubkey.stdout).expect("write");
    let verify = std::process::Command::new("openssl")
        .args(["dgst", "-engine", "gost", "-md_gost12_256", "-verify"])
        .arg(dir.path().join("pub.pem"))
        .arg("-signature")
        .arg(dir.path().join("sig"))
        .arg(dir.path().join("msg"))
        .output()
        .expect("openssl dgst");
    assert!(
        String::from_utf8_lossy(&verify.stdout).contains("Verified OK"),
        "{}",
        String::from_utf8_lossy(&verify.stderr)
    );
}

/// A stand-in for CryptoPro's `csptest` (not installable here), written by the test, behaving as
/// documented: it takes `-keys -sign GOST12_256 -cont C -keytype exchange -in IN -out OUT
/// [-password PIN]`, reads IN, writes the signature little-endian (reversed) to OUT, and prints
/// status text on standard output. It signs for real with OpenSSL's GOST engine and the demo key,
/// and refuses a wrong PIN the way csptest does (status text, a non-zero exit).
fn csptest_stand_in(dir: &std::path::Path, pin: &str) -> String {
    let script = dir.join("csptest");
    let program = format!(
        r#"import subprocess, sys
args = sys.argv[1:]
value = lambda flag: args[args.index(flag) + 1] if flag in args else None
print("CSP (Type:80) v5.0.12000 KC1 Release Ver:5.0.12000 OS:Linux CPU:AMD64 FastCode:READY:AVX.")
assert args[:3] == ["-keys", "-sign", "GOST12_256"] and value("-keytype") == "exchange", args
if value("-cont") != "\\\\.\\HDIMAGE\\frmo" or value("-password") != {pin:?}:
    print("Error number 0x8009001d (-2146893795). [ErrorCode: 0x8009001d]")
    sys.exit(1)
signature = subprocess.run(["openssl", "dgst", "-engine", "gost", "-md_gost12_256", "-binary", "-sign", {key:?}, value("-in")],
                           capture_output=True, check=True).stdout
open(value("-out"), "wb").write(signature[::-1])
print("Total: SYS: 0,010 sec USR: 0,020 sec UTC: 0,030 sec")
print("[ErrorCode: 0x00000000]")
"#,
        key = fixture("client.key").display().to_string(),
    );
    std::fs::write(&script, format!("#!/usr/bin/env python3\n{program}")).expect("write");
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    script.display().to_string()
}

#[tokio::test]
async fn the_cryptopro_signer_exchanges_files_with_csptest_and_passes_the_pin() {
    let stand = start(false).await;
    let dir = tempfile::tempdir().expect("tmp");
    let csptest = csptest_stand_in(dir.path(), "1234");
    let exchange = tempfile::tempdir().expect("tmp");
    let signer = |pin: Option<&str>| CryptoProSigner {
        csptest: csptest.clone(),
        container: r"\\.\HDIMAGE\frmo".into(),
        pin: pin.map(str::to_owned),
        temp_dir: Some(exchange.path().to_owned()),
    };
    // The status text on standard output is not taken for a signature: the sign-in goes through
    // with the signature from the file, reversed back, verified by the stand.
    let cryptopro = client(&stand, Arc::new(signer(Some("1234"))), |_| {});
    let code = authorize(&stand, &cryptopro, "1000299654").await;
    cryptopro.complete(&code).await.expect("sign-in with csptest's signatures");
    // The raw 64 bytes, not csptest's status text.
    let signature = signer(Some("1234")).sign(b"message").await.expect("sign");
    assert_eq!(signature.len(), 64);

    // A wrong or missing PIN: csptest's own words reach the error.
    for pin in [Some("0000"), None] {
        match signer(pin).sign(b"message").await {
            Err(frmo_esia::signer::SignError::Failed { stderr, .. }) => {
                assert!(stderr.contains("0x8009001d"), "{stderr}")
            }
            other => panic!("expected csptest's refusal, got {other:?}"),
        }
    }
    // The arguments: files, never /dev/stdout; the PIN only when there is one.
    let args = |pin| signer(pin).args("in".as_ref(), "out".as_ref());
    let words =
        |a: Vec<std::ffi::OsString>| a.into_iter().map(|w| w.to_string_lossy().into_owned()).collect::<Vec<_>>();
    assert_eq!(
        words(args(Some("1234"))),
        [
            "-keys",
            "-sign",
            "GOST12_256",
            "-cont",
            r"\\.\HDIMAGE\frmo",
            "-keytype",
            "exchange",
            "-in",
            "in",
            "-out",
            "out",
            "-password",
            "1234"
        ]
    );
    assert!(!words(args(None)).contains(&"-password".to_owned()));
    // Nothing is left behind in the temporary directory.
    let leftovers = std::fs::read_dir(exchange.path()).expect("tmp").count();
    assert_eq!(leftovers, 0, "the message and signature files are removed");
}

#[tokio::test]
async fn the_certificate_hash_is_sent_as_cpverify_prints_it() {
    let stand = start(false).await;
    let client = client(&stand, builtin(), |_| {});
    let (url, _) = client.authorization_url().await.expect("url");
    let sent = query(&url)["client_certificate_hash"].clone();
    // cpverify -mk -alg GR3411_2012_256 prints 64 upper-case hex digits of the DER's digest in
    // the digest's own order: the fixture is OpenSSL's lower-case print of the same digest.
    let openssl = include_str!("../fixtures/client.crt.hash").trim();
    assert_eq!(sent, openssl.to_ascii_uppercase());
    assert_eq!(sent.len(), 64);
    assert!(sent.chars().all(|c| c.is_ascii_digit() || ('A'..='F').contains(&c)), "{sent}");
    // The stand (like ЕСИА) takes either case.
    let code = authorize(&stand, &client, "1000299654").await;
    client.complete(&code).await.expect("sign-in");
}

#[tokio::test]
async fn a_token_answer_without_id_token_is_accepted_when_the_scope_does_not_ask_for_one() {
    let stand = start(false).await;
    // Without `openid` the stand answers as ЕСИА does: no id_token.
    let plain = client(&stand, builtin(), |c| c.scope = "fullname snils email".into());
    let code = authorize(&stand, &plain, "1000299654").await;
    let login = plain.complete(&code).await.expect("sign-in without id_token");
    assert!(login.tokens.id_token.is_none(), "the stand sent no id_token");
    assert_eq!(login.oid, "1000299654");
    assert_eq!(login.person.full_name(), "Иванова Мария Петровна");
    assert_eq!(login.amr, "PWD", "an unknown sign-in method counts as a password");
    // With `openid` the id_token comes and is checked.
    let openid = client(&stand, builtin(), |_| {});
    let code = authorize(&stand, &openid, "1000299654").await;
    assert!(openid.complete(&code).await.expect("sign-in").tokens.id_token.is_some());
    assert!(frmo_esia::client::asks_for_id_token("openid fullname"));
    assert!(!frmo_esia::client::asks_for_id_token("fullname openid_x"));
}
