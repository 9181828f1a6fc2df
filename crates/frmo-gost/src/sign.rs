//! The signature scheme of ГОСТ Р 34.10-2012, section 6.
//!
//! Signing (6.1): `e = α mod q` (or 1), `C = k·G`, `r = x_C mod q`,
//! `s = (r·d + k·e) mod q`, retried while `r` or `s` is zero.
//! Verification (6.2): check `0 < r, s < q`, `v = e⁻¹ mod q`, `z₁ = s·v`,
//! `z₂ = −r·v (mod q)`, `C = z₁·G + z₂·Q` and accept iff `x_C mod q = r`.
//!
//! Byte-level conventions (shared with the OpenSSL GOST engine): the digest α is
//! the little-endian integer of the Streebog output bytes, and a signature is
//! `s ‖ r`, each big-endian and padded to the curve's byte length.

use num_bigint::BigUint;
use num_traits::Zero;

use crate::GostError;
use crate::curve::Curve;
use crate::point::Affine;

/// `e` from the digest bytes: little-endian integer mod q, with 0 replaced by 1.
pub(crate) fn digest_to_e(curve: &Curve, digest: &[u8]) -> Result<BigUint, GostError> {
    if digest.len() != curve.len {
        return Err(GostError::DigestLength { expected: curve.len, actual: digest.len() });
    }
    let e = BigUint::from_bytes_le(digest) % &curve.q;
    Ok(if e.is_zero() { BigUint::from(1u32) } else { e })
}

/// Signs `e` with private scalar `d` and nonce `k` (`0 < k < q`). Returns
/// `(r, s)`, or `None` when `r` or `s` comes out zero (then another `k` is
/// needed).
pub(crate) fn sign_e(curve: &Curve, d: &BigUint, e: &BigUint, k: &BigUint) -> Option<(BigUint, BigUint)> {
    let c = curve.mul_base(k)?;
    let r = &c.x % &curve.q;
    if r.is_zero() {
        return None;
    }
    let s = (&r * d + k * e) % &curve.q;
    if s.is_zero() {
        return None;
    }
    Some((r, s))
}

/// Checks `(r, s)` over `e` against public point `q_point` (on the curve),
/// with the fixed-width arithmetic of [`crate::fastpoint`].
pub(crate) fn verify_e(
    curve: &Curve,
    q_point: &Affine,
    e: &BigUint,
    r: &BigUint,
    s: &BigUint,
) -> Result<(), GostError> {
    let q = &curve.q;
    if r.is_zero() || s.is_zero() || r >= q || s >= q {
        return Err(GostError::MalformedSignature);
    }
    if curve.fast.verify(q_point, e, r, s) { Ok(()) } else { Err(GostError::SignatureMismatch) }
}

/// [`verify_e`] the plain way, with `num-bigint` throughout: the reference the
/// fast path is tested against.
#[cfg(test)]
pub(crate) fn verify_e_reference(
    curve: &Curve,
    q_point: &Affine,
    e: &BigUint,
    r: &BigUint,
    s: &BigUint,
) -> Result<(), GostError> {
    let q = &curve.q;
    if r.is_zero() || s.is_zero() || r >= q || s >= q {
        return Err(GostError::MalformedSignature);
    }
    // q is prime and 0 < e < q.
    let v = e.modinv(q).ok_or(GostError::SignatureMismatch)?;
    let z1 = (s * &v) % q;
    let z2 = (q - (r * &v) % q) % q;
    let c = curve.double_mul_base(&z1, q_point, &z2).ok_or(GostError::SignatureMismatch)?;
    if &(&c.x % q) == r { Ok(()) } else { Err(GostError::SignatureMismatch) }
}

/// `s ‖ r`, big-endian, each padded to `len` bytes.
pub(crate) fn encode_signature(len: usize, r: &BigUint, s: &BigUint) -> Vec<u8> {
    let mut out = vec![0u8; 2 * len];
    let (s_out, r_out) = out.split_at_mut(len);
    write_be(s_out, s);
    write_be(r_out, r);
    out
}

/// Splits `s ‖ r` into `(r, s)`.
pub(crate) fn decode_signature(len: usize, sig: &[u8]) -> Result<(BigUint, BigUint), GostError> {
    if sig.len() != 2 * len {
        return Err(GostError::SignatureLength { expected: 2 * len, actual: sig.len() });
    }
    let (s, r) = sig.split_at(len);
    Ok((BigUint::from_bytes_be(r), BigUint::from_bytes_be(s)))
}

/// Writes `n` big-endian into `out`, right-aligned. `n` must fit.
pub(crate) fn write_be(out: &mut [u8], n: &BigUint) {
    let bytes = n.to_bytes_be();
    let len = out.len();
    let start = len.saturating_sub(bytes.len());
    out[start..].copy_from_slice(&bytes[bytes.len().saturating_sub(len)..]);
}

/// A uniformly distributed scalar in `[1, q − 1]` from the OS RNG: 64 extra
/// random bits make the bias of the reduction negligible (< 2⁻⁶⁴).
pub(crate) fn random_scalar(curve: &Curve) -> Result<BigUint, GostError> {
    let mut buf = vec![0u8; curve.len + 8];
    loop {
        getrandom::fill(&mut buf).map_err(|e| GostError::Random(e.to_string()))?;
        let k = BigUint::from_bytes_be(&buf) % &curve.q;
        if !k.is_zero() {
            return Ok(k);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_layout_is_s_then_r_big_endian() {
        let r = BigUint::from(0x0102u32);
        let s = BigUint::from(0x0a0bu32);
        let sig = encode_signature(32, &r, &s);
        assert_eq!(sig.len(), 64);
        assert_eq!(&sig[30..32], &[0x0a, 0x0b]);
        assert_eq!(&sig[62..64], &[0x01, 0x02]);
        assert_eq!(decode_signature(32, &sig).expect("valid length"), (r, s));
        assert_eq!(decode_signature(32, &sig[1..]), Err(GostError::SignatureLength { expected: 64, actual: 63 }));
    }

    /// The fast verification accepts and rejects exactly what the `num-bigint`
    /// one does, on valid and tampered signatures, for every parameter set.
    #[test]
    fn fast_verification_agrees_with_reference() {
        use crate::curve::ParamSet;

        for set in ParamSet::ALL {
            let curve = set.curve();
            let q = &curve.q;
            for _ in 0..4 {
                let d = random_scalar(curve).expect("RNG");
                let point = curve.mul_base(&d).expect("0 < d < q");
                let mut digest = vec![0u8; curve.len];
                getrandom::fill(&mut digest).expect("RNG");
                let e = digest_to_e(curve, &digest).expect("digest length");
                let (r, s) = loop {
                    let k = random_scalar(curve).expect("RNG");
                    if let Some(rs) = sign_e(curve, &d, &e, &k) {
                        break rs;
                    }
                };
                let one = BigUint::from(1u32);
                let other_e = if &e + 1u32 < *q { &e + 1u32 } else { one.clone() };
                let other_point = curve.mul_base(&(&d % (q - 2u32) + 1u32)).expect("finite");
                let cases: Vec<(&Affine, BigUint, BigUint, BigUint, bool)> = vec![
                    (&point, e.clone(), r.clone(), s.clone(), true),
                    (&point, other_e, r.clone(), s.clone(), false),
                    (&point, e.clone(), (&r % (q - 1u32)) + 1u32, s.clone(), false),
                    (&point, e.clone(), r.clone(), (&s % (q - 1u32)) + 1u32, false),
                    (&point, e.clone(), s.clone(), r.clone(), r == s),
                    (&point, e.clone(), r.clone() ^ &one, s.clone(), false),
                    (&other_point, e.clone(), r.clone(), s.clone(), false),
                    (&point, e.clone(), BigUint::zero(), s.clone(), false),
                    (&point, e.clone(), r.clone(), q.clone(), false),
                    (&point, e.clone(), q - 1u32, q - 1u32, false),
                ];
                for (pt, e, r, s, valid) in cases {
                    let fast = verify_e(curve, pt, &e, &r, &s);
                    let reference = verify_e_reference(curve, pt, &e, &r, &s);
                    assert_eq!(fast, reference, "{set:?}: e = {e:x}, r = {r:x}, s = {s:x}");
                    assert_eq!(fast.is_ok(), valid, "{set:?}: e = {e:x}, r = {r:x}, s = {s:x}");
                }
            }
        }
    }
}
