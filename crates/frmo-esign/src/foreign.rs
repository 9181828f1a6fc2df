//! The signatures of foreign algorithms CMS files also carry: RSA (PKCS#1 v1.5 and PSS) and
//! ECDSA P-256, with SHA-2.

use frmo_gost::der::{Reader, bit_string_bytes, single};
use sha2::Digest as _;

pub const SHA256: &str = "2.16.840.1.101.3.4.2.1";
pub const SHA384: &str = "2.16.840.1.101.3.4.2.2";
pub const SHA512: &str = "2.16.840.1.101.3.4.2.3";
const RSA_ENCRYPTION: &str = "1.2.840.113549.1.1.1";
const RSA_PSS: &str = "1.2.840.113549.1.1.10";
const EC_PUBLIC_KEY: &str = "1.2.840.10045.2.1";
const P256: &str = "1.2.840.10045.3.1.7";

pub fn sha(algorithm: &str, data: &[u8]) -> Option<Vec<u8>> {
    match algorithm {
        SHA256 => Some(sha2::Sha256::digest(data).to_vec()),
        SHA384 => Some(sha2::Sha384::digest(data).to_vec()),
        SHA512 => Some(sha2::Sha512::digest(data).to_vec()),
        _ => None,
    }
}

pub fn algorithm_name(certificate: &crate::Certificate, signature_algorithm: &str, digest: &str) -> Option<String> {
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
        _ => None,
    }
}

/// Verifies `signature` of `message` with the certificate's RSA or EC key; `None` when the
/// algorithm is not one of these.
pub fn verify(
    certificate: &crate::Certificate,
    signature_algorithm: &str,
    pss_salt_len: usize,
    digest: &str,
    message: &[u8],
    signature: &[u8],
) -> Option<bool> {
    use rsa::pkcs8::DecodePublicKey as _;
    use rsa::signature::Verifier as _;
    match (certificate.key_algorithm.as_str(), certificate.key_parameters.as_deref()) {
        (RSA_ENCRYPTION, _) => {
            let key = rsa::RsaPublicKey::from_public_key_der(&certificate.spki).ok()?;
            let pss = signature_algorithm == RSA_PSS;
            Some(match (digest, pss) {
                (SHA256, false) => rsa_pkcs1::<sha2::Sha256>(key, message, signature),
                (SHA384, false) => rsa_pkcs1::<sha2::Sha384>(key, message, signature),
                (SHA512, false) => rsa_pkcs1::<sha2::Sha512>(key, message, signature),
                (SHA256, true) => rsa_pss::<sha2::Sha256>(key, pss_salt_len, message, signature),
                (SHA384, true) => rsa_pss::<sha2::Sha384>(key, pss_salt_len, message, signature),
                (SHA512, true) => rsa_pss::<sha2::Sha512>(key, pss_salt_len, message, signature),
                _ => return None,
            })
        }
        (EC_PUBLIC_KEY, Some(P256)) if digest == SHA256 => {
            let spki = single(&certificate.spki, "SPKI").ok()?;
            let mut parts = Reader::new(spki.contents);
            parts.any().ok()?;
            let point = bit_string_bytes(parts.any().ok()?.contents).ok()?;
            let key = p256::ecdsa::VerifyingKey::from_sec1_bytes(point).ok()?;
            let signature = p256::ecdsa::Signature::from_der(signature).ok();
            Some(signature.is_some_and(|s| key.verify(message, &s).is_ok()))
        }
        _ => None,
    }
}

fn rsa_pkcs1<D>(key: rsa::RsaPublicKey, message: &[u8], signature: &[u8]) -> bool
where
    D: sha2::Digest + rsa::pkcs8::AssociatedOid,
{
    use rsa::signature::Verifier as _;
    let key = rsa::pkcs1v15::VerifyingKey::<D>::new(key);
    rsa::pkcs1v15::Signature::try_from(signature).is_ok_and(|s| key.verify(message, &s).is_ok())
}

fn rsa_pss<D>(key: rsa::RsaPublicKey, salt_len: usize, message: &[u8], signature: &[u8]) -> bool
where
    D: sha2::Digest + sha2::digest::FixedOutputReset,
{
    use rsa::signature::Verifier as _;
    let key = rsa::pss::VerifyingKey::<D>::new_with_salt_len(key, salt_len);
    rsa::pss::Signature::try_from(signature).is_ok_and(|s| key.verify(message, &s).is_ok())
}
