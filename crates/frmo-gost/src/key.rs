//! GOST R 34.10-2012 public and private keys: parsing from SubjectPublicKeyInfo,
//! X.509 certificates and PKCS#8, signing and verification.
//!
//! Structures read (RFC 9215, RFC 5280, RFC 5958):
//!
//! ```text
//! SubjectPublicKeyInfo ::= SEQUENCE {
//!     algorithm  SEQUENCE { OID 1.2.643.7.1.1.1.1 | 1.2.643.7.1.1.1.2,
//!                           SEQUENCE { curve OID, digest OID OPTIONAL, … } },
//!     subjectPublicKey BIT STRING -- contains OCTET STRING (X ‖ Y, each little-endian)
//! }
//! PrivateKeyInfo ::= SEQUENCE {
//!     version INTEGER (0 | 1), privateKeyAlgorithm (as above),
//!     privateKey OCTET STRING, -- see below
//!     …
//! }
//! ```
//!
//! The `privateKey` contents are read the way the OpenSSL GOST engine reads them
//! (`internal_priv_decode` in `gost_ameth.c`), in this order:
//!
//! 1. a length that is a multiple of the key length: bare little-endian `d`
//!    (this is what `openssl genpkey -engine gost` writes), possibly followed by
//!    CryptoPro masks, `d = d₀·m₁·…·mₙ mod q`, each little-endian;
//! 2. an OCTET STRING of 32 or 64 bytes: little-endian `d`
//!    (`GOST_PK_FORMAT=LEGACY_PK_WRAP`);
//! 3. an INTEGER: big-endian `d`;
//! 4. a SEQUENCE whose first element is an OCTET STRING of masked key material
//!    as in 1.

use num_bigint::BigUint;
use num_traits::Zero;

use crate::curve::ParamSet;
use crate::der::{self, Reader};
use crate::point::Affine;
use crate::sign::{self, decode_signature, digest_to_e, encode_signature, write_be};
use crate::{
    GostError, OID_GOST_2012_256, OID_GOST_2012_512, OID_SIGN_2012_256, OID_SIGN_2012_512, OID_STREEBOG_256,
    OID_STREEBOG_512,
};

/// A GOST R 34.10-2012 public key: a parameter set and a point on its curve.
///
/// Two keys are equal when they are the same point on the same curve, even if
/// they name the curve with different OIDs (e.g. CryptoPro-A and tc26-256-B).
#[derive(Debug, Clone)]
pub struct PublicKey {
    set: ParamSet,
    point: Affine,
}

impl PartialEq for PublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.set.curve().id == other.set.curve().id && self.point == other.point
    }
}

impl Eq for PublicKey {}

impl PublicKey {
    /// A key from `X ‖ Y`, each coordinate little-endian and exactly `bits / 8`
    /// bytes long, as stored in certificates. The point must lie on the curve.
    pub fn from_le_bytes(set: ParamSet, xy: &[u8]) -> Result<Self, GostError> {
        let len = set.curve().len;
        if xy.len() != 2 * len {
            return Err(GostError::InvalidPublicKey("неверная длина координат"));
        }
        let (x, y) = xy.split_at(len);
        let point = Affine { x: BigUint::from_bytes_le(x), y: BigUint::from_bytes_le(y) };
        if !set.curve().is_on_curve(&point) {
            return Err(GostError::InvalidPublicKey("точка не лежит на кривой"));
        }
        Ok(PublicKey { set, point })
    }

    /// A key from a DER SubjectPublicKeyInfo (`-----BEGIN PUBLIC KEY-----`).
    pub fn from_spki_der(der: &[u8]) -> Result<Self, GostError> {
        let mut top = Reader::new(der);
        let mut spki = top.sequence("нет SubjectPublicKeyInfo")?;
        top.finish("лишние байты после SubjectPublicKeyInfo")?;
        let set = read_algorithm(&mut spki)?;
        let bits = spki.expect(der::TAG_BIT_STRING, "нет BIT STRING открытого ключа")?;
        spki.finish("лишние поля в SubjectPublicKeyInfo")?;
        let octets = der::single(der::bit_string_bytes(bits.contents)?, "лишние байты в открытом ключе")?;
        if octets.tag != der::TAG_OCTET_STRING {
            return Err(GostError::Der("открытый ключ ГОСТ должен быть OCTET STRING"));
        }
        Self::from_le_bytes(set, octets.contents)
    }

    /// The subject key of a DER X.509 certificate. The certificate's own
    /// signature is not checked here; see [`PublicKey::verify_certificate`].
    pub fn from_certificate_der(der: &[u8]) -> Result<Self, GostError> {
        Self::from_spki_der(Certificate::parse(der)?.spki)
    }

    /// A key from PEM text holding either a `PUBLIC KEY` (SubjectPublicKeyInfo)
    /// or a `CERTIFICATE` block (then the first such block is used).
    pub fn from_pem(pem: &str) -> Result<Self, GostError> {
        if pem.contains("-----BEGIN PUBLIC KEY-----") {
            Self::from_spki_der(&der::pem_to_der(pem, "PUBLIC KEY")?)
        } else {
            Self::from_certificate_der(&der::pem_to_der(pem, "CERTIFICATE")?)
        }
    }

    /// The parameter set (curve OID) the key was created or parsed with.
    pub fn param_set(&self) -> ParamSet {
        self.set
    }

    /// Key size in bits: 256 or 512.
    pub fn bits(&self) -> usize {
        self.set.bits()
    }

    /// `X ‖ Y`, each coordinate little-endian, as in certificates.
    pub fn to_le_bytes(&self) -> Vec<u8> {
        let len = self.set.curve().len;
        let mut out = vec![0u8; 2 * len];
        let (x, y) = out.split_at_mut(len);
        write_be(x, &self.point.x);
        write_be(y, &self.point.y);
        x.reverse();
        y.reverse();
        out
    }

    /// DER SubjectPublicKeyInfo, byte for byte as the OpenSSL GOST engine writes it.
    pub fn to_spki_der(&self) -> Vec<u8> {
        let (alg_oid, digest_oid) = match self.bits() {
            512 => (OID_GOST_2012_512, OID_STREEBOG_512),
            _ => (OID_GOST_2012_256, OID_STREEBOG_256),
        };
        let mut params = der::encode_oid(self.set.oid());
        if self.set.spki_has_digest() {
            params.extend(der::encode_oid(digest_oid));
        }
        let mut algorithm = der::encode_oid(alg_oid);
        algorithm.extend(der::encode_tlv(der::TAG_SEQUENCE, &params));
        let mut bits = vec![0u8];
        bits.extend(der::encode_tlv(der::TAG_OCTET_STRING, &self.to_le_bytes()));
        let mut spki = der::encode_tlv(der::TAG_SEQUENCE, &algorithm);
        spki.extend(der::encode_tlv(der::TAG_BIT_STRING, &bits));
        der::encode_tlv(der::TAG_SEQUENCE, &spki)
    }

    /// PEM `-----BEGIN PUBLIC KEY-----` of [`PublicKey::to_spki_der`].
    pub fn to_pem(&self) -> String {
        der::der_to_pem(&self.to_spki_der(), "PUBLIC KEY")
    }

    /// Verifies a signature (`s ‖ r`, big-endian, as `openssl dgst -sign` writes
    /// it) over `message`, hashed with Streebog-256 for 256-bit keys and
    /// Streebog-512 for 512-bit keys.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> Result<(), GostError> {
        match self.bits() {
            512 => self.verify_digest(&crate::streebog512(message), signature),
            _ => self.verify_digest(&crate::streebog256(message), signature),
        }
    }

    /// Verifies a signature over a ready digest (Streebog output bytes, 32 or 64
    /// bytes to match the key).
    pub fn verify_digest(&self, digest: &[u8], signature: &[u8]) -> Result<(), GostError> {
        let curve = self.set.curve();
        let e = digest_to_e(curve, digest)?;
        let (r, s) = decode_signature(curve.len, signature)?;
        sign::verify_e(curve, &self.point, &e, &r, &s)
    }

    /// Verifies the signature of a DER X.509 certificate made with this key
    /// (for a self-signed certificate: the certificate's own key). The
    /// signature algorithm must be GOST R 34.10-2012 with Streebog
    /// (1.2.643.7.1.1.3.2 or 1.2.643.7.1.1.3.3).
    pub fn verify_certificate(&self, cert_der: &[u8]) -> Result<(), GostError> {
        let cert = Certificate::parse(cert_der)?;
        let bits = match cert.signature_algorithm.as_str() {
            OID_SIGN_2012_256 => 256,
            OID_SIGN_2012_512 => 512,
            other => return Err(GostError::UnsupportedSignatureAlgorithm(other.to_owned())),
        };
        if bits != self.bits() {
            return Err(GostError::SignatureMismatch);
        }
        self.verify(cert.tbs, cert.signature)
    }
}

/// A GOST R 34.10-2012 private key. `Debug` does not print the secret.
#[derive(Clone)]
pub struct PrivateKey {
    set: ParamSet,
    d: BigUint,
    public: PublicKey,
}

impl std::fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrivateKey").field("set", &self.set).field("public", &self.public).finish_non_exhaustive()
    }
}

impl PrivateKey {
    /// A key from the private scalar `d`, big-endian (the way the standard and
    /// most tools print it). `d` must satisfy `0 < d < q`.
    pub fn from_scalar(set: ParamSet, d_be: &[u8]) -> Result<Self, GostError> {
        let d = BigUint::from_bytes_be(d_be);
        if d.is_zero() || d >= set.curve().q {
            return Err(GostError::InvalidPrivateKey("значение вне диапазона 0 < d < q"));
        }
        Self::from_biguint(set, d)
    }

    fn from_biguint(set: ParamSet, d: BigUint) -> Result<Self, GostError> {
        let curve = set.curve();
        let point = curve.mul_base(&d).ok_or(GostError::InvalidPrivateKey("значение кратно q"))?;
        Ok(PrivateKey { set, d, public: PublicKey { set, point } })
    }

    /// A fresh random key from the operating system's RNG.
    pub fn generate(set: ParamSet) -> Result<Self, GostError> {
        Self::from_biguint(set, sign::random_scalar(set.curve())?)
    }

    /// A key from unencrypted PKCS#8 DER, as written by
    /// `openssl genpkey -engine gost -algorithm gost2012_256 -pkeyopt paramset:A`
    /// (see the module documentation for the accepted private value encodings).
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self, GostError> {
        let mut top = Reader::new(der);
        let mut info = top.sequence("нет PrivateKeyInfo")?;
        top.finish("лишние байты после PrivateKeyInfo")?;
        let version = info.expect(der::TAG_INTEGER, "нет версии PrivateKeyInfo")?;
        if version.contents != [0] && version.contents != [1] {
            return Err(GostError::Der("неизвестная версия PrivateKeyInfo"));
        }
        let set = read_algorithm(&mut info)?;
        let value = info.expect(der::TAG_OCTET_STRING, "нет закрытого ключа в PrivateKeyInfo")?;
        // Attributes [0] and the optional public key [1] are not needed.
        let d = decode_private_value(set, value.contents)? % &set.curve().q;
        if d.is_zero() {
            return Err(GostError::InvalidPrivateKey("значение равно нулю по модулю q"));
        }
        Self::from_biguint(set, d)
    }

    /// A key from PEM `-----BEGIN PRIVATE KEY-----` (unencrypted PKCS#8).
    pub fn from_pem(pem: &str) -> Result<Self, GostError> {
        if pem.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----") {
            return Err(GostError::Pem("зашифрованные закрытые ключи не поддерживаются".to_owned()));
        }
        Self::from_pkcs8_der(&der::pem_to_der(pem, "PRIVATE KEY")?)
    }

    /// The parameter set of the key.
    pub fn param_set(&self) -> ParamSet {
        self.set
    }

    /// The matching public key.
    pub fn public_key(&self) -> PublicKey {
        self.public.clone()
    }

    /// Signs `message` (hashed with Streebog-256 or -512 by key size) with a
    /// random nonce. Output: `s ‖ r`, big-endian, byte for byte what
    /// `openssl dgst -engine gost -md_gost12_256 -sign` produces; base64url of
    /// it is ЕСИА's `client_secret`.
    ///
    /// # Panics
    ///
    /// If the operating system's random number generator fails; use
    /// [`PrivateKey::try_sign`] to get that as an error instead.
    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        match self.try_sign(message) {
            Ok(signature) => signature,
            Err(e) => panic!("подпись ГОСТ не создана: {e}"),
        }
    }

    /// [`PrivateKey::sign`] that reports an RNG failure instead of panicking.
    pub fn try_sign(&self, message: &[u8]) -> Result<Vec<u8>, GostError> {
        match self.public.bits() {
            512 => self.sign_digest(&crate::streebog512(message)),
            _ => self.sign_digest(&crate::streebog256(message)),
        }
    }

    /// Signs a ready digest (Streebog output bytes, 32 or 64 to match the key)
    /// with a random nonce.
    pub fn sign_digest(&self, digest: &[u8]) -> Result<Vec<u8>, GostError> {
        let curve = self.set.curve();
        let e = digest_to_e(curve, digest)?;
        loop {
            let k = sign::random_scalar(curve)?;
            if let Some((r, s)) = sign::sign_e(curve, &self.d, &e, &k) {
                return Ok(encode_signature(curve.len, &r, &s));
            }
        }
    }

    /// Deterministic signature with the given nonce `k` (big-endian,
    /// `0 < k < q`), for reproducing the standard's test vectors. Never use a
    /// fixed or predictable `k` for real signatures: it reveals the private key.
    /// `digest` is in Streebog byte order (read as a little-endian integer).
    pub fn sign_digest_with_k(&self, digest: &[u8], k_be: &[u8]) -> Result<Vec<u8>, GostError> {
        let curve = self.set.curve();
        let e = digest_to_e(curve, digest)?;
        let k = BigUint::from_bytes_be(k_be);
        if k.is_zero() || k >= curve.q {
            return Err(GostError::InvalidNonce);
        }
        let (r, s) = sign::sign_e(curve, &self.d, &e, &k).ok_or(GostError::InvalidNonce)?;
        Ok(encode_signature(curve.len, &r, &s))
    }
}

/// Reads an AlgorithmIdentifier of a GOST R 34.10-2012 key and returns its
/// parameter set.
fn read_algorithm(reader: &mut Reader<'_>) -> Result<ParamSet, GostError> {
    let mut alg = reader.sequence("нет AlgorithmIdentifier")?;
    let oid = alg.oid("нет OID алгоритма ключа")?;
    let bits = match oid.as_str() {
        OID_GOST_2012_256 => 256,
        OID_GOST_2012_512 => 512,
        _ => return Err(GostError::UnsupportedAlgorithm(oid)),
    };
    let mut params = alg.sequence("нет параметров ключа ГОСТ")?;
    let curve_oid = params.oid("нет OID набора параметров")?;
    let set = ParamSet::from_oid(&curve_oid).ok_or_else(|| GostError::UnknownParamSet(curve_oid.clone()))?;
    if set.bits() != bits {
        return Err(GostError::ParamSetMismatch { oid: curve_oid, bits });
    }
    Ok(set)
}

/// The private scalar from the contents of the PKCS#8 `privateKey` OCTET
/// STRING, not yet reduced mod q.
fn decode_private_value(set: ParamSet, value: &[u8]) -> Result<BigUint, GostError> {
    let len = set.curve().len;
    if !value.is_empty() && value.len().is_multiple_of(len) {
        return Ok(unmask(set, value));
    }
    let inner = der::single(value, "лишние байты в закрытом ключе")?;
    match inner.tag {
        der::TAG_OCTET_STRING if inner.contents.len() == 32 || inner.contents.len() == 64 => {
            Ok(BigUint::from_bytes_le(inner.contents))
        }
        der::TAG_INTEGER if inner.contents.first().is_some_and(|b| b & 0x80 == 0) => {
            Ok(BigUint::from_bytes_be(inner.contents))
        }
        der::TAG_SEQUENCE => {
            let masked = Reader::new(inner.contents).expect(der::TAG_OCTET_STRING, "нет маскированного ключа")?;
            if masked.contents.is_empty() || !masked.contents.len().is_multiple_of(len) {
                return Err(GostError::InvalidPrivateKey("неверная длина маскированного ключа"));
            }
            Ok(unmask(set, masked.contents))
        }
        _ => Err(GostError::InvalidPrivateKey("неизвестный формат закрытого ключа")),
    }
}

/// `d₀·m₁·…·mₙ mod q` over consecutive little-endian chunks of the key length
/// (just `d₀` when there is one chunk).
fn unmask(set: ParamSet, value: &[u8]) -> BigUint {
    let curve = set.curve();
    let mut chunks = value.chunks(curve.len);
    let first = chunks.next().map(BigUint::from_bytes_le).unwrap_or_default();
    chunks.fold(first, |acc, mask| (acc * BigUint::from_bytes_le(mask)) % &curve.q)
}

/// The parts of an X.509 certificate this crate needs.
struct Certificate<'a> {
    /// DER of tbsCertificate: what the issuer signed.
    tbs: &'a [u8],
    /// DER of subjectPublicKeyInfo.
    spki: &'a [u8],
    signature_algorithm: String,
    /// Contents of signatureValue (unused-bits byte removed).
    signature: &'a [u8],
}

impl<'a> Certificate<'a> {
    fn parse(der: &'a [u8]) -> Result<Self, GostError> {
        let mut top = Reader::new(der);
        let mut cert = top.sequence("нет сертификата")?;
        top.finish("лишние байты после сертификата")?;
        let tbs = cert.expect(der::TAG_SEQUENCE, "нет tbsCertificate")?;
        let signature_algorithm = cert.sequence("нет signatureAlgorithm")?.oid("нет OID алгоритма подписи")?;
        let signature = der::bit_string_bytes(cert.expect(der::TAG_BIT_STRING, "нет подписи сертификата")?.contents)?;
        cert.finish("лишние поля в сертификате")?;

        let mut fields = Reader::new(tbs.contents);
        if fields.peek_tag() == Some(der::TAG_CONTEXT_0) {
            fields.any()?; // version
        }
        fields.expect(der::TAG_INTEGER, "нет серийного номера")?;
        fields.expect(der::TAG_SEQUENCE, "нет алгоритма подписи в tbsCertificate")?;
        fields.expect(der::TAG_SEQUENCE, "нет издателя")?;
        fields.expect(der::TAG_SEQUENCE, "нет срока действия")?;
        fields.expect(der::TAG_SEQUENCE, "нет субъекта")?;
        let spki = fields.expect(der::TAG_SEQUENCE, "нет subjectPublicKeyInfo")?;
        Ok(Certificate { tbs: tbs.raw, spki: spki.raw, signature_algorithm, signature })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_value_encodings() {
        let set = ParamSet::CryptoProA;
        let d_le: Vec<u8> = (1u8..=32).collect();
        let d = BigUint::from_bytes_le(&d_le);
        // Bare little-endian bytes.
        assert_eq!(decode_private_value(set, &d_le).expect("bare"), d);
        // Wrapped in an OCTET STRING.
        assert_eq!(decode_private_value(set, &der::encode_tlv(der::TAG_OCTET_STRING, &d_le)).expect("wrapped"), d);
        // A big-endian INTEGER (with the sign byte: 33 contents bytes).
        let mut be = vec![0u8];
        be.extend(d.to_bytes_be());
        let int = der::encode_tlv(der::TAG_INTEGER, &be);
        assert_eq!(decode_private_value(set, &int).expect("integer"), d);
        // Masked: d₀ ‖ m₁ with d = d₀·m₁.
        let mask = BigUint::from(7u32);
        let q = &set.curve().q;
        let d0 = (&d * mask.modinv(q).expect("invertible")) % q;
        let mut masked = vec![0u8; 64];
        write_be(&mut masked[..32], &d0);
        masked[..32].reverse();
        masked[32] = 7;
        assert_eq!(decode_private_value(set, &masked).expect("masked") % q, &d % q);
        let seq = der::encode_tlv(der::TAG_SEQUENCE, &der::encode_tlv(der::TAG_OCTET_STRING, &masked));
        assert_eq!(decode_private_value(set, &seq).expect("masked sequence") % q, &d % q);
        // Garbage.
        assert!(decode_private_value(set, &[0x05, 0x00]).is_err());
        assert!(decode_private_value(set, &[]).is_err());
    }

    #[test]
    fn from_scalar_range() {
        let q = ParamSet::Tc26_256A.curve().q.to_bytes_be();
        assert!(PrivateKey::from_scalar(ParamSet::Tc26_256A, &q).is_err());
        assert!(PrivateKey::from_scalar(ParamSet::Tc26_256A, &[0; 32]).is_err());
        assert!(PrivateKey::from_scalar(ParamSet::Tc26_256A, &[1]).is_ok());
    }

    #[test]
    fn debug_hides_the_secret() {
        let key = PrivateKey::from_scalar(ParamSet::CryptoProA, &[0x5a; 32]).expect("valid");
        let text = format!("{key:?}");
        assert!(!text.contains("5a5a") && !text.contains(&BigUint::from_bytes_be(&[0x5a; 32]).to_string()));
    }

    #[test]
    fn aliases_compare_equal() {
        let a = PrivateKey::from_scalar(ParamSet::CryptoProA, &[3; 32]).expect("valid").public_key();
        let b = PrivateKey::from_scalar(ParamSet::Tc26_256B, &[3; 32]).expect("valid").public_key();
        assert_eq!(a, b);
        assert_ne!(a.param_set(), b.param_set());
        // The same bytes on another curve are another key (if valid at all).
        let xy = a.to_le_bytes();
        assert!(PublicKey::from_le_bytes(ParamSet::CryptoProB, &xy).is_err());
    }
}
