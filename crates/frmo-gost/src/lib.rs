//! ГОСТ Р 34.10-2012 signatures (256 and 512 bit) with the ГОСТ Р 34.11-2012 hash
//! (Streebog), in pure Rust, plus the minimal DER needed to read GOST keys and
//! certificates.
//!
//! The crate exists for ЕСИА (the Госуслуги identity provider): a relying party
//! authenticates itself with a `client_secret` that is the base64url of a raw
//! GOST R 34.10-2012-256 signature with Streebog-256 over
//! `scope ‖ timestamp ‖ client_id ‖ state`, and ЕСИА's own tokens are signed
//! with GOST keys published as X.509 certificates.
//!
//! # Encodings
//!
//! Everything here follows the reference OpenSSL GOST engine
//! (`libengine-gost-openssl`), which is what ЕСИА's documentation uses
//! (`openssl dgst -engine gost -md_gost12_256 -sign key.pem`), and RFC 9215
//! (GOST in X.509):
//!
//! * **Hash.** [`streebog256`]/[`streebog512`] return the digest bytes exactly as
//!   `openssl dgst -md_gost12_256` prints them. For signing, these bytes are
//!   read as a **little-endian** integer α and `e = α mod q` (`e = 1` if that is
//!   zero), as the engine does (`BN_lebin2bn` in `gost_ec_sign.c`). The hex
//!   numbers in the standard's appendix are the same integers written the usual
//!   (big-endian) way.
//! * **Signature.** `s ‖ r`, each a big-endian number padded to the key size
//!   (32 bytes for 256-bit keys, 64 for 512-bit): the engine's `pack_sign_cp`,
//!   and the signature BIT STRING of GOST certificates. CryptoPro CSP writes the
//!   same bytes reversed (`r ‖ s`, each little-endian); see
//!   [`reverse_signature`].
//! * **Public key.** An OCTET STRING holding `X ‖ Y`, each little-endian,
//!   wrapped in the SubjectPublicKeyInfo BIT STRING. The algorithm is
//!   `1.2.643.7.1.1.1.1` (256) or `1.2.643.7.1.1.1.2` (512) and its parameters
//!   are `SEQUENCE { curve OID, digest OID OPTIONAL }`.
//! * **Private key.** PKCS#8 with the same algorithm identifier. The engine
//!   writes the private value `d` as the *bare* little-endian bytes directly in
//!   the PKCS#8 `privateKey` OCTET STRING (no inner ASN.1); with
//!   `GOST_PK_FORMAT=LEGACY_PK_WRAP` it wraps them in one more OCTET STRING.
//!   Both are read here, as well as the other forms the engine reads: a DER
//!   INTEGER (big-endian) and CryptoPro-style masked keys (`d = d₀·m₁·…·mₙ mod q`).
//!
//! # Example
//!
//! ```
//! use frmo_gost::{ParamSet, PrivateKey};
//!
//! let key = PrivateKey::from_scalar(ParamSet::CryptoProA, &[0x2a; 32]).expect("valid scalar");
//! let signature = key.sign(b"openid2026.01.15 10:00:00 +0300CLIENTstate");
//! key.public_key().verify(b"openid2026.01.15 10:00:00 +0300CLIENTstate", &signature).expect("valid");
//! ```
//!
//! # Caveats
//!
//! Signing and key generation use `num-bigint`; verification uses fixed-width
//! limb arithmetic (Montgomery or pseudo-Mersenne reduction, no allocation in
//! the curve arithmetic). Neither is **constant-time**; for verification that
//! does not matter (all its inputs are public), and for signing it suits a
//! server that is not exposed to local timing attackers, but it is not a
//! hardened signing implementation. Private scalars are not zeroed on drop.
//!
//! Sources: ГОСТ Р 34.10-2012 (RFC 7091, with the worked examples of its
//! appendix A), RFC 4357 and RFC 7836 (parameter sets), RFC 9215 (X.509
//! encodings), and the `gost-engine` sources (`gost_params.c`, `gost_ameth.c`,
//! `gost_ec_sign.c`, `gost_pmeth.c`).

mod curve;
pub mod der;
mod error;
mod fastpoint;
mod field;
mod key;
mod point;
mod sign;

pub use curve::ParamSet;
pub use der::pem_to_der;
pub use error::GostError;
pub use key::{PrivateKey, PublicKey};

use streebog::{Digest, Streebog256, Streebog512};

/// OID of the GOST R 34.10-2012 256-bit public key algorithm.
pub const OID_GOST_2012_256: &str = "1.2.643.7.1.1.1.1";
/// OID of the GOST R 34.10-2012 512-bit public key algorithm.
pub const OID_GOST_2012_512: &str = "1.2.643.7.1.1.1.2";
/// OID of the GOST R 34.11-2012 256-bit hash (Streebog-256).
pub const OID_STREEBOG_256: &str = "1.2.643.7.1.1.2.2";
/// OID of the GOST R 34.11-2012 512-bit hash (Streebog-512).
pub const OID_STREEBOG_512: &str = "1.2.643.7.1.1.2.3";
/// OID of the signature algorithm GOST R 34.10-2012-256 with Streebog-256.
pub const OID_SIGN_2012_256: &str = "1.2.643.7.1.1.3.2";
/// OID of the signature algorithm GOST R 34.10-2012-512 with Streebog-512.
pub const OID_SIGN_2012_512: &str = "1.2.643.7.1.1.3.3";

/// Streebog-256 (ГОСТ Р 34.11-2012, 256-bit) of `data`, byte order as printed by
/// `openssl dgst -md_gost12_256`.
pub fn streebog256(data: &[u8]) -> [u8; 32] {
    Streebog256::digest(data).into()
}

/// Streebog-512 (ГОСТ Р 34.11-2012, 512-bit) of `data`, byte order as printed by
/// `openssl dgst -md_gost12_512`.
pub fn streebog512(data: &[u8]) -> [u8; 64] {
    Streebog512::digest(data).into()
}

/// Lowercase hex of Streebog-256 of a DER certificate, equal to
/// `openssl dgst -engine gost -md_gost12_256 cert.der`; ЕСИА's `client_certificate_hash` is the
/// same digits in upper case, as CryptoPro's `cpverify` prints them
/// (`frmo_esia::protocol::client_certificate_hash`).
pub fn certificate_hash_hex(cert_der: &[u8]) -> String {
    to_hex(&streebog256(cert_der))
}

/// Converts between the OpenSSL engine's signature layout (`s ‖ r`, big-endian)
/// and CryptoPro's (`r ‖ s`, little-endian): the byte string is simply
/// reversed, so the function is its own inverse.
pub fn reverse_signature(sig: &[u8]) -> Vec<u8> {
    sig.iter().rev().copied().collect()
}

/// Lowercase hex of `bytes`.
pub(crate) fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reverse_signature_reverses_and_is_an_involution() {
        let sig: Vec<u8> = (0u8..64).collect();
        let reversed = reverse_signature(&sig);
        assert_eq!(reversed.first(), Some(&63));
        assert_eq!(reversed.last(), Some(&0));
        assert_eq!(reverse_signature(&reversed), sig);
        assert!(reverse_signature(&[]).is_empty());
    }

    #[test]
    fn streebog_matches_standard_examples() {
        // ГОСТ Р 34.11-2012, example 1: M1 = "012345678901234567890123456789012345678901234567890123456789012".
        // The standard prints the hash as a big-endian vector; the byte string is its reverse.
        let m1 = b"012345678901234567890123456789012345678901234567890123456789012";
        assert_eq!(to_hex(&streebog256(m1)), "9d151eefd8590b89daa6ba6cb74af9275dd051026bb149a452fd84e5e57b5500");
        assert_eq!(
            to_hex(&streebog512(m1)),
            "1b54d01a4af5b9d5cc3d86d68d285462b19abc2475222f35c085122be4ba1ffa\
             00ad30f8767b3a82384c6574f024c311e2a481332b08ef7f41797891c1646f48"
        );
    }

    #[test]
    fn hex_is_lowercase() {
        assert_eq!(to_hex(&[0x00, 0xab, 0x0f, 0xf0]), "00ab0ff0");
    }
}
