//! Signatures made by OpenSSL 3 with the GOST engine (tests/fixtures/make.sh) verify here, in pure
//! Rust; any flipped bit in the document, the signature or the certificate does not.

use frmo_esign::{Certificate, Status, Verdict, verify};
use time::{Duration, OffsetDateTime};

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))).expect(name)
}

fn pem_cert(name: &str) -> Vec<u8> {
    frmo_gost::pem_to_der(&String::from_utf8(fixture(name)).expect("PEM"), "CERTIFICATE").expect("certificate")
}

/// A moment inside the fixtures' certificates' validity (they are made fresh by make.sh).
fn during_validity() -> OffsetDateTime {
    let not_before = Certificate::parse(&pem_cert("signer256.crt")).expect("certificate").not_before;
    OffsetDateTime::parse(&not_before, &time::format_description::well_known::Rfc3339).expect("time")
        + Duration::days(1)
}

fn check(content: &[u8], signature: &[u8], trust: &[Vec<u8>]) -> Verdict {
    verify(content, signature, trust, during_validity()).expect("a readable signature")
}

#[test]
fn openssl_signatures_verify_with_and_without_signed_attributes() {
    let content = fixture("content.txt");
    for (signature, algorithm) in [
        ("gost256.sig", "256 бит"),
        ("gost256-noattr.sig", "256 бит"),
        ("gost256.pem", "256 бит"),
        ("gost512.sig", "512 бит"),
    ] {
        let verdict = check(&content, &fixture(signature), &[]);
        assert!(verdict.valid, "{signature}: {verdict:?}");
        assert_eq!(verdict.status, Status::Valid);
        assert!(verdict.algorithm.contains(algorithm), "{signature}: {}", verdict.algorithm);
        assert_eq!(verdict.chain, "not_checked");
        let signer = verdict.signer.expect("the signer");
        assert_eq!(signer.name, "Иванова Мария Петровна");
        assert_eq!(signer.snils.as_deref(), Some("11223344595"));
        assert_eq!(signer.inn.as_deref(), Some("631700662012"));
        assert_eq!(signer.ogrn.as_deref(), Some("1026301420716"));
        assert_eq!(signer.organization.as_deref(), Some("ООО «Реавиз»"));
    }
    let with_time = check(&content, &fixture("gost256.sig"), &[]);
    assert!(with_time.signing_time.is_some(), "signed attributes carry the signing time");
    // base64 of the DER is accepted too.
    use base64::Engine as _;
    let text = base64::engine::general_purpose::STANDARD.encode(fixture("gost256.sig"));
    assert!(check(&content, text.as_bytes(), &[]).valid);
}

#[test]
fn a_flipped_bit_anywhere_fails() {
    let content = fixture("content.txt");
    for signature in ["gost256.sig", "gost256-noattr.sig", "gost512.sig"] {
        let mut changed = content.clone();
        changed[3] ^= 0x01;
        let verdict = check(&changed, &fixture(signature), &[]);
        assert!(!verdict.valid && verdict.status == Status::Invalid, "{signature}: a changed document: {verdict:?}");

        let original = fixture(signature);
        let len = original.len();
        // The signature value is the last OCTET STRING of the file: flip a bit near the end.
        let mut bad_signature = original.clone();
        bad_signature[len - 5] ^= 0x10;
        match verify(&content, &bad_signature, &[], during_validity()) {
            Ok(verdict) => assert!(!verdict.valid, "{signature}: a changed signature: {verdict:?}"),
            Err(error) => panic!("{signature}: a flipped bit inside the value still parses: {error}"),
        }
    }
    // A bit of the certificate's public key: the signature no longer matches (or the key is refused).
    let original = fixture("gost256.sig");
    let certificate = pem_cert("signer256.crt");
    let at =
        original.windows(certificate.len()).position(|w| w == certificate.as_slice()).expect("the certificate inside");
    let mut bad_cert = original.clone();
    bad_cert[at + certificate.len() - 80] ^= 0x01;
    if let Ok(verdict) = verify(&content, &bad_cert, &[], during_validity()) {
        assert!(!verdict.valid, "a changed certificate: {verdict:?}");
    }
}

#[test]
fn the_chain_the_validity_and_bad_input() {
    let content = fixture("content.txt");
    let signature = fixture("gost256.sig");
    let trusted = check(&content, &signature, &[pem_cert("ca.crt")]);
    assert!(trusted.valid && trusted.chain == "trusted", "{trusted:?}");
    let untrusted = check(&content, &signature, &[pem_cert("other-ca.crt")]);
    assert_eq!((untrusted.valid, untrusted.status.clone(), untrusted.chain), (false, Status::Untrusted, "untrusted"));

    let not_after = Certificate::parse(&pem_cert("signer256.crt")).expect("certificate").not_after;
    let later = OffsetDateTime::parse(&not_after, &time::format_description::well_known::Rfc3339).expect("time")
        + Duration::days(1);
    let expired = verify(&content, &signature, &[], later).expect("readable");
    assert_eq!((expired.valid, expired.status), (false, Status::Expired));

    for garbage in [
        &b"not a signature"[..],
        &[0x30, 0x03, 0x02, 0x01][..],
        &b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"[..],
    ] {
        assert!(verify(&content, garbage, &[], later).is_err(), "{garbage:?}");
    }
}

#[test]
fn rsa_and_ecdsa_signatures_verify_and_fail_when_changed() {
    let content = fixture("content.txt");
    let now = OffsetDateTime::now_utc();
    for (signature, algorithm, name) in [
        ("rsa.sig", "RSA PKCS#1 v1.5, SHA-256", "Петров Пётр Петрович"),
        ("rsa-pss.sig", "RSA-PSS, SHA-256", "Петров Пётр Петрович"),
        ("ecdsa.sig", "ECDSA P-256, SHA-256", "Сидоров Сидор Сидорович"),
    ] {
        let verdict = verify(&content, &fixture(signature), &[], now).expect("readable");
        assert!(verdict.valid, "{signature}: {verdict:?}");
        assert_eq!(verdict.algorithm, algorithm);
        assert_eq!(verdict.signer.expect("signer").name, name);
        let mut changed = content.clone();
        changed[0] ^= 0x02;
        let verdict = verify(&changed, &fixture(signature), &[], now).expect("readable");
        assert!(!verdict.valid, "{signature}: a changed document: {verdict:?}");
        let original = fixture(signature);
        let mut bad = original.clone();
        let at = bad.len() - 7;
        bad[at] ^= 0x01;
        if let Ok(verdict) = verify(&content, &bad, &[], now) {
            assert!(!verdict.valid, "{signature}: a changed signature: {verdict:?}");
        }
    }
}
