//! The signatures of foreign algorithms CMS files and certificates also carry: RSA (PKCS#1 v1.5
//! and PSS) and ECDSA on P-256 and P-384, with SHA-2.

use frmo_gost::der::{Reader, TAG_SEQUENCE, bit_string_bytes, single};
use sha2::Digest as _;

use crate::Certificate;

pub const SHA256: &str = "2.16.840.1.101.3.4.2.1";
pub const SHA384: &str = "2.16.840.1.101.3.4.2.2";
pub const SHA512: &str = "2.16.840.1.101.3.4.2.3";
const RSA_ENCRYPTION: &str = "1.2.840.113549.1.1.1";
pub const RSA_PSS: &str = "1.2.840.113549.1.1.10";
const MGF1: &str = "1.2.840.113549.1.1.8";
const EC_PUBLIC_KEY: &str = "1.2.840.10045.2.1";
const P256: &str = "1.2.840.10045.3.1.7";
const P384: &str = "1.3.132.0.34";
/// Certificate signature algorithms (RFC 4055, RFC 5758).
pub const SHA256_WITH_RSA: &str = "1.2.840.113549.1.1.11";
pub const SHA384_WITH_RSA: &str = "1.2.840.113549.1.1.12";
pub const SHA512_WITH_RSA: &str = "1.2.840.113549.1.1.13";
pub const ECDSA_WITH_SHA256: &str = "1.2.840.10045.4.3.2";
pub const ECDSA_WITH_SHA384: &str = "1.2.840.10045.4.3.3";
pub const ECDSA_WITH_SHA512: &str = "1.2.840.10045.4.3.4";

pub fn sha(algorithm: &str, data: &[u8]) -> Option<Vec<u8>> {
    match algorithm {
        SHA256 => Some(sha2::Sha256::digest(data).to_vec()),
        SHA384 => Some(sha2::Sha384::digest(data).to_vec()),
        SHA512 => Some(sha2::Sha512::digest(data).to_vec()),
        _ => None,
    }
}

pub fn algorithm_name(certificate: &Certificate, signature_algorithm: &str, digest: &str) -> Option<String> {
    let hash = match digest {
        SHA256 => "SHA-256",
        SHA384 => "SHA-384",
        SHA512 => "SHA-512",
        _ => return None,
    };
    match (certificate.key_algorithm.as_str(), certificate.key_parameters.as_deref()) {
        (RSA_ENCRYPTION, _) if signature_algorithm == RSA_PSS => Some(format!("RSA-PSS, {hash}")),
        (RSA_ENCRYPTION, _) => Some(format!("RSA PKCS#1 v1.5, {hash}")),
        (EC_PUBLIC_KEY, Some(P256)) => Some(format!("ECDSA P-256, {hash}")),
        (EC_PUBLIC_KEY, Some(P384)) => Some(format!("ECDSA P-384, {hash}")),
        _ => None,
    }
}

/// How a signature is made: RSA PKCS#1 v1.5, RSA-PSS with its salt length (MGF1 with the same
/// hash as the message), or ECDSA.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    Pkcs1,
    Pss(usize),
    Ecdsa,
}

/// Verifies a CMS signer's `signature` of `message` with the certificate's RSA or EC key;
/// `None` when the key or digest algorithm is not one of these.
pub fn verify(
    certificate: &Certificate,
    signature_algorithm: &str,
    pss_salt_len: usize,
    digest: &str,
    message: &[u8],
    signature: &[u8],
) -> Option<bool> {
    let scheme = match certificate.key_algorithm.as_str() {
        RSA_ENCRYPTION if signature_algorithm == RSA_PSS => Scheme::Pss(pss_salt_len),
        RSA_ENCRYPTION => Scheme::Pkcs1,
        _ => Scheme::Ecdsa,
    };
    verify_with_key(certificate, scheme, digest, message, signature)
}

/// Verifies `signature` of `message` hashed with `digest` by the key of `key_owner` (RSA, or EC on
/// P-256 or P-384) under `scheme`. `None` when the key's algorithm, the scheme for it or the
/// digest is not supported; `Some(false)` for a wrong signature or a broken key.
pub fn verify_with_key(
    key_owner: &Certificate,
    scheme: Scheme,
    digest: &str,
    message: &[u8],
    signature: &[u8],
) -> Option<bool> {
    use rsa::pkcs8::DecodePublicKey as _;
    let prehash = sha(digest, message)?;
    match (key_owner.key_algorithm.as_str(), key_owner.key_parameters.as_deref(), scheme) {
        (RSA_ENCRYPTION, _, Scheme::Pkcs1 | Scheme::Pss(_)) => {
            let Ok(key) = rsa::RsaPublicKey::from_public_key_der(&key_owner.spki) else {
                return Some(false);
            };
            Some(match (digest, scheme) {
                (SHA256, Scheme::Pss(salt)) => rsa_pss::<sha2::Sha256>(key, salt, &prehash, signature),
                (SHA384, Scheme::Pss(salt)) => rsa_pss::<sha2::Sha384>(key, salt, &prehash, signature),
                (SHA512, Scheme::Pss(salt)) => rsa_pss::<sha2::Sha512>(key, salt, &prehash, signature),
                (SHA256, _) => rsa_pkcs1::<sha2::Sha256>(key, &prehash, signature),
                (SHA384, _) => rsa_pkcs1::<sha2::Sha384>(key, &prehash, signature),
                (SHA512, _) => rsa_pkcs1::<sha2::Sha512>(key, &prehash, signature),
                _ => return None,
            })
        }
        (EC_PUBLIC_KEY, Some(P256), Scheme::Ecdsa) => {
            let point = ec_point(&key_owner.spki)?;
            let Ok(key) = p256::ecdsa::VerifyingKey::from_sec1_bytes(point) else { return Some(false) };
            let signature = p256::ecdsa::Signature::from_der(signature).ok();
            Some(signature.is_some_and(|s| ecdsa_prehash(&key, &prehash, &s)))
        }
        (EC_PUBLIC_KEY, Some(P384), Scheme::Ecdsa) => {
            let point = ec_point(&key_owner.spki)?;
            let Ok(key) = p384::ecdsa::VerifyingKey::from_sec1_bytes(point) else { return Some(false) };
            let signature = p384::ecdsa::Signature::from_der(signature).ok();
            Some(signature.is_some_and(|s| ecdsa_prehash(&key, &prehash, &s)))
        }
        _ => None,
    }
}

/// ECDSA over a digest of any SHA-2 size: truncated to the curve's order as in FIPS 186-4 §6.4.
fn ecdsa_prehash<K, S>(key: &K, prehash: &[u8], signature: &S) -> bool
where
    K: p256::ecdsa::signature::hazmat::PrehashVerifier<S>,
{
    key.verify_prehash(prehash, signature).is_ok()
}

/// The EC point (SEC1 bytes) of a SubjectPublicKeyInfo.
fn ec_point(spki: &[u8]) -> Option<&[u8]> {
    let spki = single(spki, "SPKI").ok()?;
    let mut parts = Reader::new(spki.contents);
    parts.any().ok()?;
    bit_string_bytes(parts.any().ok()?.contents).ok()
}

/// The hash and salt length of RSASSA-PSS-params (RFC 4055 §3.1); `None` unless the mask
/// generation is MGF1 with the same hash (the only kind verified here). The defaults (SHA-1)
/// come back as SHA-1's OID, which nothing here verifies.
pub fn pss_params(parameters: &[u8]) -> Option<(String, usize)> {
    const SHA1: &str = "1.3.14.3.2.26";
    let mut hash = SHA1.to_owned();
    let mut mgf_hash = SHA1.to_owned();
    let mut salt = 20usize;
    let params = single(parameters, "PSS").ok()?;
    if params.tag != TAG_SEQUENCE {
        return None;
    }
    let mut fields = Reader::new(params.contents);
    while fields.peek_tag().is_some() {
        let field = fields.any().ok()?;
        let inner = single(field.contents, "PSS").ok()?;
        match field.tag {
            0xa0 => hash = Reader::new(inner.contents).oid("PSS").ok()?,
            0xa1 => {
                let mut mgf = Reader::new(inner.contents);
                if mgf.oid("MGF").ok()? != MGF1 {
                    return None;
                }
                mgf_hash = mgf.sequence("MGF").ok()?.oid("MGF").ok()?;
            }
            0xa2 => {
                if inner.contents.len() > 4 {
                    return None;
                }
                salt = inner.contents.iter().fold(0usize, |n, &b| (n << 8) | usize::from(b));
            }
            _ => {} // [3] trailerField: 1, the only one in use
        }
    }
    (hash == mgf_hash).then_some((hash, salt))
}

fn rsa_pkcs1<D>(key: rsa::RsaPublicKey, prehash: &[u8], signature: &[u8]) -> bool
where
    D: sha2::Digest + rsa::pkcs8::AssociatedOid,
{
    use rsa::signature::hazmat::PrehashVerifier as _;
    let key = rsa::pkcs1v15::VerifyingKey::<D>::new(key);
    rsa::pkcs1v15::Signature::try_from(signature).is_ok_and(|s| key.verify_prehash(prehash, &s).is_ok())
}

fn rsa_pss<D>(key: rsa::RsaPublicKey, salt_len: usize, prehash: &[u8], signature: &[u8]) -> bool
where
    D: sha2::Digest + sha2::digest::FixedOutputReset,
{
    use rsa::signature::hazmat::PrehashVerifier as _;
    let key = rsa::pss::VerifyingKey::<D>::new_with_salt_len(key, salt_len);
    rsa::pss::Signature::try_from(signature).is_ok_and(|s| key.verify_prehash(prehash, &s).is_ok())
}
