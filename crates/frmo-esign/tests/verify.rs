//! Signatures made by OpenSSL 3 with the GOST engine (tests/fixtures/make.sh) verify here, in pure
//! Rust; any flipped bit in the document, the signature or the certificate does not. Chains of
//! certificates (GOST, RSA, ECDSA) through intermediates carried in the CMS are trusted as OpenSSL
//! trusts them; what OpenSSL refuses for keyUsage or basicConstraints is refused here too; loops
//! end, and paths longer than eight intermediates are refused (OpenSSL follows them).

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
        ("gost256-stream.sig", "256 бит"),
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
    assert_eq!(&fixture("gost256-stream.sig")[..2], &[0x30, 0x80], "BER with an indefinite length");
    // The streaming signature carries the document: another document does not match it.
    let other = check(b"another document", &fixture("gost256-stream.sig"), &[]);
    assert!(!other.valid && other.reason.contains("не совпадает"), "{other:?}");
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

/// Where `inner` (a certificate's DER) sits inside `outer` (a signature file).
fn position(outer: &[u8], inner: &[u8]) -> usize {
    outer.windows(inner.len()).position(|w| w == inner).expect("the certificate inside the signature")
}

fn later_than(rfc3339: &str, days: i64) -> OffsetDateTime {
    OffsetDateTime::parse(rfc3339, &time::format_description::well_known::Rfc3339).expect("time") + Duration::days(days)
}

#[test]
fn ecdsa_p384_verifies_with_every_sha2_and_fails_when_changed() {
    let content = fixture("content.txt");
    for (signature, algorithm) in [
        ("p384.sig", "ECDSA P-384, SHA-384"),
        ("p384-sha256.sig", "ECDSA P-384, SHA-256"),
        ("p384-sha512.sig", "ECDSA P-384, SHA-512"),
    ] {
        let verdict = check(&content, &fixture(signature), &[]);
        assert!(verdict.valid, "{signature}: {verdict:?}");
        assert_eq!(verdict.algorithm, algorithm);
        assert_eq!(verdict.signer.expect("signer").name, "Смирнова Анна Сергеевна");

        let mut changed = content.clone();
        changed[5] ^= 0x40;
        let verdict = check(&changed, &fixture(signature), &[]);
        assert!(!verdict.valid && verdict.reason.contains("изменён"), "{signature}: a changed document: {verdict:?}");

        // The value ends with the INTEGER s of ECDSA-Sig-Value: the DER stays readable.
        let mut bad = fixture(signature);
        let at = bad.len() - 7;
        bad[at] ^= 0x01;
        let verdict = check(&content, &bad, &[]);
        assert!(!verdict.valid && verdict.status == Status::Invalid, "{signature}: a changed signature: {verdict:?}");
        assert!(verdict.reason.contains("подпись не соответствует"), "{}", verdict.reason);
    }
}

#[test]
fn a_certificate_not_meant_for_signing_gives_an_invalid_verdict() {
    let content = fixture("content.txt");
    for trust in [vec![], vec![pem_cert("rsa-ca.crt")]] {
        let verdict = check(&content, &fixture("keyenc.sig"), &trust);
        assert_eq!((verdict.valid, verdict.status.clone()), (false, Status::Invalid), "{verdict:?}");
        assert!(verdict.reason.contains("не предназначен для электронной подписи"), "{}", verdict.reason);
        assert!(verdict.reason.contains("keyEncipherment"), "{}", verdict.reason);
        assert!(verdict.signer.is_some(), "the verdict still names who signed");
    }
    // The other signers' certificates allow digitalSignature and nonRepudiation.
    assert!(check(&content, &fixture("p384.sig"), &[]).valid);
}

#[test]
fn a_trust_anchor_without_key_cert_sign_issues_nothing() {
    let content = fixture("content.txt");
    assert!(check(&content, &fixture("ku-ca.sig"), &[]).valid, "the signature itself is sound");
    let verdict = check(&content, &fixture("ku-ca.sig"), &[pem_cert("ku-ca.crt")]);
    assert_eq!((verdict.valid, verdict.status.clone(), verdict.chain), (false, Status::Untrusted, "untrusted"));
    assert!(verdict.reason.contains("keyCertSign"), "{}", verdict.reason);
}

#[test]
fn a_gost_chain_through_an_intermediate_in_the_cms() {
    let content = fixture("content.txt");
    let signature = fixture("chain.sig");
    let verdict = check(&content, &signature, &[pem_cert("root-ca.crt")]);
    assert!(verdict.valid && verdict.chain == "trusted", "{verdict:?}");
    assert_eq!(verdict.signer.expect("signer").name, "Кузнецов Алексей Иванович");
    // Several anchors; or the intermediate itself trusted.
    assert!(check(&content, &signature, &[pem_cert("ca.crt"), pem_cert("root-ca.crt")]).valid);
    assert!(check(&content, &signature, &[pem_cert("intermediate-ca.crt")]).valid);

    for anchors in [vec![pem_cert("other-ca.crt")], vec![pem_cert("ca.crt")]] {
        let verdict = check(&content, &signature, &anchors);
        assert_eq!((verdict.valid, verdict.status.clone(), verdict.chain), (false, Status::Untrusted, "untrusted"));
        assert!(verdict.reason.contains("Тестовый корневой УЦ"), "the missing issuer is named: {}", verdict.reason);
    }

    // Without the intermediate in the CMS there is no path to the root.
    let missing = fixture("chain-nointermediate.sig");
    assert!(check(&content, &missing, &[]).valid, "without trust anchors the chain is not checked");
    let verdict = check(&content, &missing, &[pem_cert("root-ca.crt")]);
    assert_eq!((verdict.valid, verdict.status.clone(), verdict.chain), (false, Status::Untrusted, "untrusted"));
    assert!(verdict.reason.contains("не удалось построить цепочку"), "{}", verdict.reason);
    assert!(verdict.reason.contains("Тестовый промежуточный УЦ"), "{}", verdict.reason);
}

#[test]
fn an_expired_intermediate_breaks_the_chain() {
    let content = fixture("content.txt");
    let intermediate = Certificate::parse(&pem_cert("intermediate-ca.crt")).expect("certificate");
    let signer = Certificate::parse(&pem_cert("chain-signer.crt")).expect("certificate");
    let after = later_than(&intermediate.not_after, 1);
    assert!(after < later_than(&signer.not_after, 0), "make.sh lets the intermediate expire first");
    let verdict = verify(&content, &fixture("chain.sig"), &[pem_cert("root-ca.crt")], after).expect("readable");
    assert_eq!((verdict.valid, verdict.status.clone(), verdict.chain), (false, Status::Expired, "untrusted"));
    assert!(verdict.reason.contains("Тестовый промежуточный УЦ"), "{}", verdict.reason);
    // Without anchors only the signer's own certificate counts, and it is still valid.
    assert!(verify(&content, &fixture("chain.sig"), &[], after).expect("readable").valid);
}

/// Flips one bit at every `step`-th byte of `certificate` inside `signature` (and at its last
/// byte): the signature must never come out trusted.
fn never_trusted_when_flipped(signature: &str, certificate: &str, anchor: &str, step: usize) {
    let content = fixture("content.txt");
    let original = fixture(signature);
    let inner = pem_cert(certificate);
    let at = position(&original, &inner);
    let mut offsets: Vec<usize> = (0..inner.len()).step_by(step).collect();
    offsets.push(inner.len() - 1);
    for offset in offsets {
        for bit in [0x01u8, 0x80] {
            let mut bad = original.clone();
            bad[at + offset] ^= bit;
            if let Ok(verdict) = verify(&content, &bad, &[pem_cert(anchor)], during_validity()) {
                assert!(
                    !verdict.valid && verdict.chain != "trusted",
                    "{certificate} in {signature}, byte {offset} of {}, bit {bit:#x}: {verdict:?}",
                    inner.len()
                );
            }
        }
    }
}

#[test]
fn a_flipped_bit_in_the_carried_intermediate_is_never_trusted() {
    never_trusted_when_flipped("chain.sig", "intermediate-ca.crt", "root-ca.crt", 11);
    never_trusted_when_flipped("p384.sig", "ec384-ca.crt", "rsa-ca.crt", 13);
}

#[test]
fn a_trust_anchor_is_its_name_and_key() {
    // An anchor is trusted as configured: its own serial or self-signature do not matter (RFC 5280
    // §6.1.1 d), a flipped bit in its subject name or its public key does.
    let content = fixture("content.txt");
    let root = pem_cert("root-ca.crt");
    let parsed = Certificate::parse(&root).expect("certificate");
    // The subject follows the issuer, which is the same name in a self-signed certificate.
    let name = root.windows(parsed.subject_der.len()).rposition(|w| w == parsed.subject_der).expect("subject");
    let key = position(&root, &parsed.spki);
    let offsets = (name + 2..name + parsed.subject_der.len())
        .step_by(7)
        .chain((key + parsed.spki.len() - 64..key + parsed.spki.len()).step_by(5));
    for offset in offsets {
        let mut bad = root.clone();
        bad[offset] ^= 0x04;
        let verdict = check(&content, &fixture("chain.sig"), &[bad]);
        assert!(!verdict.valid && verdict.chain == "untrusted", "byte {offset}: {:?}", verdict.reason);
    }
    let serial = position(&root, &parsed.serial);
    let mut other_serial = root.clone();
    other_serial[serial] ^= 0x01;
    assert!(check(&content, &fixture("chain.sig"), &[other_serial]).valid);
}

#[test]
fn rsa_and_ecdsa_chains_to_the_rsa_root() {
    let content = fixture("content.txt");
    // rsa.crt: sha256WithRSA; ec.crt: RSASSA-PSS; p384.crt: ecdsa-with-SHA384 by a P-384 CA carried
    // in the CMS, which the root signed with sha384WithRSA.
    for signature in ["rsa.sig", "rsa-pss.sig", "ecdsa.sig", "p384.sig", "p384-sha256.sig", "p384-sha512.sig"] {
        let verdict = check(&content, &fixture(signature), &[pem_cert("rsa-ca.crt")]);
        assert!(verdict.valid && verdict.chain == "trusted", "{signature}: {verdict:?}");
        for other in ["other-ca.crt", "ca.crt", "ku-ca.crt"] {
            let verdict = check(&content, &fixture(signature), &[pem_cert(other)]);
            assert_eq!(
                (verdict.valid, verdict.status.clone(), verdict.chain),
                (false, Status::Untrusted, "untrusted"),
                "{signature} with {other}: {verdict:?}"
            );
        }
    }
    assert!(check(&content, &fixture("p384.sig"), &[pem_cert("ec384-ca.crt")]).valid);
    // And the RSA root does not vouch for a GOST signer.
    let verdict = check(&content, &fixture("gost256.sig"), &[pem_cert("rsa-ca.crt")]);
    assert_eq!((verdict.valid, verdict.chain), (false, "untrusted"));
}

#[test]
fn an_end_entity_certificate_issues_nothing() {
    let content = fixture("content.txt");
    let signature = fixture("notca.sig");
    assert!(check(&content, &signature, &[]).valid, "the signature itself is sound");
    let verdict = check(&content, &signature, &[pem_cert("rsa-ca.crt")]);
    assert_eq!((verdict.valid, verdict.status.clone(), verdict.chain), (false, Status::Untrusted, "untrusted"));
    assert!(verdict.reason.contains("не является сертификатом УЦ"), "{}", verdict.reason);
}

#[test]
fn loops_and_overlong_chains_end_untrusted() {
    let content = fixture("content.txt");
    // Two CAs that issued each other: a path to either one, none through both twice.
    let looped = fixture("loop.sig");
    assert!(check(&content, &looped, &[pem_cert("loop-b.crt")]).valid);
    assert!(check(&content, &looped, &[pem_cert("loop-a.crt")]).valid);
    let verdict = check(&content, &looped, &[pem_cert("other-ca.crt")]);
    assert_eq!((verdict.valid, verdict.status.clone(), verdict.chain), (false, Status::Untrusted, "untrusted"));

    // Nine intermediates: OpenSSL follows them, frmo-esign stops at eight.
    assert_eq!(frmo_esign::MAX_INTERMEDIATES, 8);
    let deep = fixture("deep.sig");
    assert!(check(&content, &deep, &[]).valid);
    let verdict = check(&content, &deep, &[pem_cert("deep-root.crt")]);
    assert_eq!((verdict.valid, verdict.status.clone(), verdict.chain), (false, Status::Untrusted, "untrusted"));
    assert!(verdict.reason.contains("длиннее 8"), "{}", verdict.reason);
}
