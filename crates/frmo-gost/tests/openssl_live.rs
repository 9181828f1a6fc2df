//! Runs the OpenSSL GOST engine at test time to verify signatures made by this
//! crate, with fixture keys and with fresh keys generated in Rust.
//!
//! The engine is required (CI installs `libengine-gost-openssl`): without it
//! these tests fail with an explanation rather than silently pass.

mod common;

use std::path::Path;
use std::process::Command;

use common::{FIXTURES, fixture, fixture_text};
use frmo_gost::{ParamSet, PrivateKey, PublicKey};

fn require_engine() {
    let output = Command::new("openssl").args(["engine", "gost", "-c"]).output();
    let ok = output
        .as_ref()
        .is_ok_and(|o| o.status.success() && String::from_utf8_lossy(&o.stdout).contains("md_gost12_256"));
    assert!(
        ok,
        "OpenSSL GOST engine is not available (`openssl engine gost -c` failed: {output:?}); \
         install it with `apt-get install libengine-gost-openssl`"
    );
}

/// `openssl dgst -engine gost -md_gost12_256|512 -verify pub.pem -signature sig msg`;
/// true on "Verified OK".
fn openssl_verifies(dir: &Path, public: &PublicKey, message: &[u8], signature: &[u8]) -> bool {
    let (pub_path, sig_path, msg_path) = (dir.join("pub.pem"), dir.join("sig"), dir.join("msg"));
    std::fs::write(&pub_path, public.to_pem()).expect("write pub.pem");
    std::fs::write(&sig_path, signature).expect("write sig");
    std::fs::write(&msg_path, message).expect("write msg");
    let md = if public.bits() == 512 { "-md_gost12_512" } else { "-md_gost12_256" };
    let output = Command::new("openssl")
        .args(["dgst", "-engine", "gost", md, "-verify"])
        .arg(&pub_path)
        .arg("-signature")
        .arg(&sig_path)
        .arg(&msg_path)
        .output()
        .expect("run openssl");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let verified = stdout.contains("Verified OK");
    assert_eq!(
        verified,
        output.status.success(),
        "openssl exit status and output disagree: {stdout} {}",
        String::from_utf8_lossy(&output.stderr)
    );
    if !verified {
        assert!(stdout.contains("Verification failure"), "unexpected openssl output: {stdout}");
    }
    verified
}

#[test]
fn openssl_verifies_rust_signatures_with_fixture_keys() {
    require_engine();
    let dir = tempfile::tempdir().expect("temp dir");
    let message = fixture("message.txt");
    for (name, _) in FIXTURES {
        let private = PrivateKey::from_pem(&fixture_text(&format!("{name}.key.pem"))).expect("PKCS#8 parses");
        let signature = private.sign(&message);
        assert!(openssl_verifies(dir.path(), &private.public_key(), &message, &signature), "{name}");

        let mut tampered = signature.clone();
        tampered[0] ^= 0x80;
        assert!(!openssl_verifies(dir.path(), &private.public_key(), &message, &tampered), "{name}: tampered");
    }
}

#[test]
fn openssl_verifies_rust_signatures_with_rust_generated_keys() {
    require_engine();
    let dir = tempfile::tempdir().expect("temp dir");
    let message = "openid2026.01.15 10:00:00 +0300FRMOstate — подпись из Rust".as_bytes();
    for set in [
        ParamSet::CryptoProA,
        ParamSet::CryptoProB,
        ParamSet::CryptoProC,
        ParamSet::Tc26_256A,
        ParamSet::Tc26_256B,
        ParamSet::Tc26_512A,
        ParamSet::Tc26_512B,
        ParamSet::Tc26_512C,
    ] {
        let private = PrivateKey::generate(set).expect("OS RNG works");
        let signature = private.sign(message);
        assert!(openssl_verifies(dir.path(), &private.public_key(), message, &signature), "{set:?}");
        assert!(!openssl_verifies(dir.path(), &private.public_key(), b"other message", &signature), "{set:?}");
    }
}
