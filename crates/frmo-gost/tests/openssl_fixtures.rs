//! Cross-checks against files made by the reference OpenSSL GOST engine
//! (`tests/fixtures/make.sh`): keys, self-signed certificates and signatures
//! of `message.txt` by `openssl dgst -engine gost -md_gost12_256|512 -sign`.

mod common;

use common::{FIXTURES, fixture, fixture_text, one_bit_flips};
use frmo_gost::{
    GostError, PrivateKey, PublicKey, certificate_hash_hex, pem_to_der, reverse_signature, streebog256, streebog512,
};

fn hex_string(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn streebog_matches_openssl() {
    let message = fixture("message.txt");
    assert_eq!(hex_string(&streebog256(&message)), fixture_text("message.streebog256").trim());
    assert_eq!(hex_string(&streebog512(&message)), fixture_text("message.streebog512").trim());
}

#[test]
fn certificate_hash_matches_openssl() {
    for (name, _) in FIXTURES {
        let cert = fixture(&format!("{name}.crt.der"));
        assert_eq!(certificate_hash_hex(&cert), fixture_text(&format!("{name}.crt.streebog256")).trim(), "{name}");
    }
}

#[test]
fn keys_from_certificates_spki_and_pkcs8_agree() {
    for (name, set) in FIXTURES {
        let cert_der = fixture(&format!("{name}.crt.der"));
        let from_cert = PublicKey::from_certificate_der(&cert_der).expect("certificate parses");
        assert_eq!(from_cert.param_set(), set, "{name}");

        let cert_pem = fixture_text(&format!("{name}.crt.pem"));
        assert_eq!(pem_to_der(&cert_pem, "CERTIFICATE").expect("PEM"), cert_der, "{name}");
        assert_eq!(PublicKey::from_pem(&cert_pem).expect("certificate PEM parses"), from_cert, "{name}");

        let pub_pem = fixture_text(&format!("{name}.pub.pem"));
        let from_spki = PublicKey::from_pem(&pub_pem).expect("SPKI parses");
        assert_eq!(from_spki, from_cert, "{name}");
        // Re-encoding gives the engine's bytes exactly (including whether the digest OID is present).
        assert_eq!(from_cert.to_spki_der(), pem_to_der(&pub_pem, "PUBLIC KEY").expect("PEM"), "{name}");

        let private = PrivateKey::from_pem(&fixture_text(&format!("{name}.key.pem"))).expect("PKCS#8 parses");
        assert_eq!(private.param_set(), set, "{name}");
        assert_eq!(private.public_key(), from_cert, "{name}: private key does not match the certificate");

        let wrapped = PrivateKey::from_pem(&fixture_text(&format!("{name}.wrapped.key.pem"))).expect("wrapped parses");
        assert_eq!(wrapped.public_key(), from_cert, "{name}: LEGACY_PK_WRAP key differs");
    }
}

#[test]
fn openssl_signatures_verify() {
    let message = fixture("message.txt");
    for (name, _) in FIXTURES {
        let key = PublicKey::from_certificate_der(&fixture(&format!("{name}.crt.der"))).expect("certificate parses");
        let signature = fixture(&format!("{name}.sig"));
        assert_eq!(signature.len(), key.bits() / 4, "{name}");
        key.verify(&message, &signature).unwrap_or_else(|e| panic!("{name}: {e}"));

        for bad in one_bit_flips(&message) {
            assert_eq!(key.verify(&bad, &signature), Err(GostError::SignatureMismatch), "{name}");
        }
        for bad in one_bit_flips(&signature) {
            assert!(key.verify(&message, &bad).is_err(), "{name}: flipped signature accepted");
        }
        // CryptoPro's layout is the reverse; it is not the engine's.
        let cryptopro = reverse_signature(&signature);
        assert!(key.verify(&message, &cryptopro).is_err(), "{name}");
        key.verify(&message, &reverse_signature(&cryptopro)).expect("double reversal restores it");
    }
}

#[test]
fn rust_signatures_verify_with_the_fixture_keys() {
    let message = fixture("message.txt");
    for (name, _) in FIXTURES {
        let private = PrivateKey::from_pem(&fixture_text(&format!("{name}.key.pem"))).expect("PKCS#8 parses");
        let public = PublicKey::from_certificate_der(&fixture(&format!("{name}.crt.der"))).expect("parses");
        let signature = private.sign(&message);
        public.verify(&message, &signature).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}

#[test]
fn self_signed_certificates_verify() {
    for (name, _) in FIXTURES {
        let cert = fixture(&format!("{name}.crt.der"));
        let key = PublicKey::from_certificate_der(&cert).expect("parses");
        key.verify_certificate(&cert).unwrap_or_else(|e| panic!("{name}: {e}"));

        // Change one byte of the subject's common name (inside tbsCertificate).
        let needle = format!("frmo-gost {name}");
        let at = cert.windows(needle.len()).position(|w| w == needle.as_bytes()).expect("CN present");
        let mut forged = cert.clone();
        forged[at] ^= 0x01;
        assert_eq!(key.verify_certificate(&forged), Err(GostError::SignatureMismatch), "{name}");

        // Another fixture's key did not sign it.
        let other_name = if name == "gost256-a" { "gost256-xb" } else { "gost256-a" };
        let other = PublicKey::from_certificate_der(&fixture(&format!("{other_name}.crt.der"))).expect("parses");
        assert!(other.verify_certificate(&cert).is_err(), "{name} verified by {other_name}");
    }
}

#[test]
fn malformed_inputs_are_errors_not_panics() {
    let cert = fixture("gost256-a.crt.der");
    for len in 0..cert.len() {
        assert!(PublicKey::from_certificate_der(&cert[..len]).is_err(), "truncated at {len}");
    }
    let key = pem_to_der(&fixture_text("gost512-c.key.pem"), "PRIVATE KEY").expect("PEM");
    for len in 0..key.len() {
        assert!(PrivateKey::from_pkcs8_der(&key[..len]).is_err(), "truncated at {len}");
    }
    let spki = pem_to_der(&fixture_text("gost256-tca.pub.pem"), "PUBLIC KEY").expect("PEM");
    for bad in one_bit_flips(&spki) {
        // Any flip either breaks the structure, changes an OID or moves the point off the curve.
        let _ = PublicKey::from_spki_der(&bad);
    }
    // A certificate is not a PUBLIC KEY and vice versa.
    assert!(PublicKey::from_spki_der(&cert).is_err());
    assert!(PublicKey::from_certificate_der(&spki).is_err());
    assert!(matches!(PrivateKey::from_pem(&fixture_text("gost256-a.pub.pem")), Err(GostError::Pem(_))));
}
