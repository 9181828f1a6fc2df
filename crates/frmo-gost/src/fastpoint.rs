//! The verification path: `z₁·G + z₂·Q` and the check `x_C mod q = r` over the
//! fixed-width, allocation-free arithmetic of [`crate::field`].
//!
//! Points are in Jacobian coordinates `(X, Y, Z)` ↔ `(X/Z², Y/Z³)`, `Z = 0`
//! being the point at infinity, with the formulas of the Explicit-Formulas
//! Database for `y² = x³ + ax + b`: "dbl-2001-b" when `a = −3` (the CryptoPro
//! and tc26-512-A/B curves, and through an isomorphism tc26-512-C and the
//! 512-bit test curve, see [`quartic_twist`]), "dbl-2007-bl" for any other `a`
//! (tc26-256-A and the 256-bit test curve), "madd-2007-bl" to
//! add an affine point and "add-2007-bl" for two Jacobian ones. Special cases
//! (equal or opposite points, infinity) are handled explicitly, so the result
//! is right for any input point on the curve, including points of small order
//! on the cofactor-4 curves.
//!
//! The two scalars are recoded in width-w NAF and processed in one chain of
//! doublings (Strauss–Shamir): the odd multiples `G, 3G, …, 63G` are computed
//! once per curve in affine form, `Q, 3Q, …, 15Q` once per verification.
//!
//! Everything here works on public data only and is not constant-time.

use num_bigint::BigUint;

use crate::field::{Fe, Field, add_limbs, limbs_of};
use crate::point::Affine;

/// wNAF width for the base point (a table of 2^(W_G−2) = 32 affine points, made once).
const W_G: u32 = 7;
/// wNAF width for the public key (a table of 2^(W_Q−2) = 8 Jacobian points per verification).
const W_Q: u32 = 5;
const Q_TABLE: usize = 1 << (W_Q - 2);
/// Enough wNAF digits for a 512-bit scalar (a wNAF is at most one digit longer than the number).
const WNAF_MAX: usize = 64 * 8 + 1;

#[derive(Debug, Clone, Copy)]
struct AffinePt<const N: usize> {
    x: Fe<N>,
    y: Fe<N>,
}

#[derive(Debug, Clone, Copy)]
struct Jac<const N: usize> {
    x: Fe<N>,
    y: Fe<N>,
    z: Fe<N>,
}

impl<const N: usize> Jac<N> {
    fn is_infinity(&self) -> bool {
        self.z.is_zero()
    }
}

/// A curve prepared for fast verification; `N` is 4 or 8.
#[derive(Debug)]
pub(crate) struct FastCurve<const N: usize> {
    /// Arithmetic mod p (coordinates).
    fp: Field<N>,
    /// Arithmetic mod q (scalars).
    fq: Field<N>,
    /// The group order q, little-endian limbs.
    q: [u64; N],
    /// The coefficient a of the curve the arithmetic works on.
    a: Fe<N>,
    /// Whether a = −3 (mod p), which allows the cheaper doubling.
    a_is_minus_3: bool,
    /// `(u², u³)` when the arithmetic works on the isomorphic curve
    /// `y² = x³ − 3x + b·u⁶` through `(x, y) ↦ (u²x, u³y)`; see [`quartic_twist`].
    iso: Option<(Fe<N>, Fe<N>)>,
    /// `(2i + 1)·G` for `i < 2^(W_G−2)`, affine (on the isomorphic curve if any).
    g_table: Vec<AffinePt<N>>,
}

impl<const N: usize> FastCurve<N> {
    /// Prepares the curve `p, a, q, G`; `None` if its numbers do not fit `N`
    /// limbs or G is not a point of large order.
    pub(crate) fn new(p: &BigUint, a: &BigUint, q: &BigUint, gx: &BigUint, gy: &BigUint) -> Option<Self> {
        let fp = Field::<N>::new(p)?;
        let fq = Field::<N>::new(q)?;
        let a_mont = fp.element_of(&(a % p))?;
        let minus_3 = fp.neg(&fp.element_of(&BigUint::from(3u32))?);
        let (a_mont, iso) = match quartic_twist(p, a) {
            Some(u) if a_mont != minus_3 => {
                let u = fp.element_of(&u)?;
                let u2 = fp.square(&u);
                (minus_3, Some((u2, fp.mul(&u2, &u))))
            }
            _ => (a_mont, None),
        };
        let mut curve = FastCurve {
            q: limbs_of::<N>(q)?,
            a: a_mont,
            a_is_minus_3: a_mont == minus_3,
            iso,
            g_table: Vec::new(),
            fp,
            fq,
        };
        let g = curve.import(gx, gy)?;
        let g_jac = curve.jacobian(&g);
        let g2 = curve.double(&g_jac);
        let mut odd = g_jac;
        let mut table = Vec::with_capacity(1 << (W_G - 2));
        for _ in 0..1 << (W_G - 2) {
            table.push(curve.to_affine(&odd)?);
            odd = curve.add(&odd, &g2);
        }
        curve.g_table = table;
        Some(curve)
    }

    /// A point `(x, y)` of the curve (`x, y < p`) as the arithmetic sees it.
    fn import(&self, x: &BigUint, y: &BigUint) -> Option<AffinePt<N>> {
        let (x, y) = (self.fp.element_of(x)?, self.fp.element_of(y)?);
        Some(match &self.iso {
            Some((u2, u3)) => AffinePt { x: self.fp.mul(&x, u2), y: self.fp.mul(&y, u3) },
            None => AffinePt { x, y },
        })
    }

    fn infinity(&self) -> Jac<N> {
        Jac { x: self.fp.one(), y: self.fp.one(), z: Fe::ZERO }
    }

    fn jacobian(&self, p: &AffinePt<N>) -> Jac<N> {
        Jac { x: p.x, y: p.y, z: self.fp.one() }
    }

    fn to_affine(&self, p: &Jac<N>) -> Option<AffinePt<N>> {
        let f = &self.fp;
        let zinv = f.invert(&p.z)?;
        let zinv2 = f.square(&zinv);
        let zinv3 = f.mul(&zinv2, &zinv);
        Some(AffinePt { x: f.mul(&p.x, &zinv2), y: f.mul(&p.y, &zinv3) })
    }

    fn double(&self, p: &Jac<N>) -> Jac<N> {
        let f = &self.fp;
        if p.is_infinity() || p.y.is_zero() {
            return self.infinity();
        }
        if self.a_is_minus_3 {
            // dbl-2001-b: 3M + 5S.
            let delta = f.square(&p.z);
            let gamma = f.square(&p.y);
            let beta = f.mul(&p.x, &gamma);
            let t = f.mul(&f.sub(&p.x, &delta), &f.add(&p.x, &delta));
            let alpha = f.add(&f.double(&t), &t);
            let beta4 = f.double(&f.double(&beta));
            let x3 = f.sub(&f.square(&alpha), &f.double(&beta4));
            let z3 = f.sub(&f.sub(&f.square(&f.add(&p.y, &p.z)), &gamma), &delta);
            let gamma2_8 = f.double(&f.double(&f.double(&f.square(&gamma))));
            let y3 = f.sub(&f.mul(&alpha, &f.sub(&beta4, &x3)), &gamma2_8);
            Jac { x: x3, y: y3, z: z3 }
        } else {
            // dbl-2007-bl: 1M + 8S + 1·a.
            let xx = f.square(&p.x);
            let yy = f.square(&p.y);
            let yyyy = f.square(&yy);
            let zz = f.square(&p.z);
            let s = f.double(&f.sub(&f.sub(&f.square(&f.add(&p.x, &yy)), &xx), &yyyy));
            let m = f.add(&f.add(&f.double(&xx), &xx), &f.mul(&self.a, &f.square(&zz)));
            let x3 = f.sub(&f.square(&m), &f.double(&s));
            let yyyy8 = f.double(&f.double(&f.double(&yyyy)));
            let y3 = f.sub(&f.mul(&m, &f.sub(&s, &x3)), &yyyy8);
            let z3 = f.sub(&f.sub(&f.square(&f.add(&p.y, &p.z)), &yy), &zz);
            Jac { x: x3, y: y3, z: z3 }
        }
    }

    /// `p + q` for an affine `q` (madd-2007-bl: 7M + 4S).
    fn add_affine(&self, p: &Jac<N>, q: &AffinePt<N>) -> Jac<N> {
        let f = &self.fp;
        if p.is_infinity() {
            return self.jacobian(q);
        }
        let z1z1 = f.square(&p.z);
        let u2 = f.mul(&q.x, &z1z1);
        let s2 = f.mul(&q.y, &f.mul(&p.z, &z1z1));
        let h = f.sub(&u2, &p.x);
        let s_diff = f.sub(&s2, &p.y);
        if h.is_zero() {
            return if s_diff.is_zero() { self.double(p) } else { self.infinity() };
        }
        let hh = f.square(&h);
        let i = f.double(&f.double(&hh));
        let j = f.mul(&h, &i);
        let r = f.double(&s_diff);
        let v = f.mul(&p.x, &i);
        let x3 = f.sub(&f.sub(&f.square(&r), &j), &f.double(&v));
        let y3 = f.sub(&f.mul(&r, &f.sub(&v, &x3)), &f.double(&f.mul(&p.y, &j)));
        let z3 = f.sub(&f.sub(&f.square(&f.add(&p.z, &h)), &z1z1), &hh);
        Jac { x: x3, y: y3, z: z3 }
    }

    /// `p + q` (add-2007-bl: 11M + 5S).
    fn add(&self, p: &Jac<N>, q: &Jac<N>) -> Jac<N> {
        let f = &self.fp;
        if p.is_infinity() {
            return *q;
        }
        if q.is_infinity() {
            return *p;
        }
        let z1z1 = f.square(&p.z);
        let z2z2 = f.square(&q.z);
        let u1 = f.mul(&p.x, &z2z2);
        let u2 = f.mul(&q.x, &z1z1);
        let s1 = f.mul(&p.y, &f.mul(&q.z, &z2z2));
        let s2 = f.mul(&q.y, &f.mul(&p.z, &z1z1));
        let h = f.sub(&u2, &u1);
        let s_diff = f.sub(&s2, &s1);
        if h.is_zero() {
            return if s_diff.is_zero() { self.double(p) } else { self.infinity() };
        }
        let i = f.square(&f.double(&h));
        let j = f.mul(&h, &i);
        let r = f.double(&s_diff);
        let v = f.mul(&u1, &i);
        let x3 = f.sub(&f.sub(&f.square(&r), &j), &f.double(&v));
        let y3 = f.sub(&f.mul(&r, &f.sub(&v, &x3)), &f.double(&f.mul(&s1, &j)));
        let z3 = f.mul(&f.sub(&f.sub(&f.square(&f.add(&p.z, &q.z)), &z1z1), &z2z2), &h);
        Jac { x: x3, y: y3, z: z3 }
    }

    fn neg_affine(&self, p: &AffinePt<N>) -> AffinePt<N> {
        AffinePt { x: p.x, y: self.fp.neg(&p.y) }
    }

    fn neg(&self, p: &Jac<N>) -> Jac<N> {
        Jac { x: p.x, y: self.fp.neg(&p.y), z: p.z }
    }

    /// `u·G + v·Q` for ordinary scalars `u, v < 2^(64N)` and a point `Q` on the curve.
    fn double_mul(&self, u: &[u64; N], q: &AffinePt<N>, v: &[u64; N]) -> Jac<N> {
        let mut u_naf = [0i8; WNAF_MAX + 1];
        let mut v_naf = [0i8; WNAF_MAX + 1];
        let u_len = wnaf(u, W_G, &mut u_naf);
        let v_len = wnaf(v, W_Q, &mut v_naf);

        // Q, 3Q, 5Q, …
        let mut q_table = [self.infinity(); Q_TABLE];
        q_table[0] = self.jacobian(q);
        let q2 = self.double(&q_table[0]);
        for i in 1..Q_TABLE {
            q_table[i] = self.add(&q_table[i - 1], &q2);
        }

        let mut acc = self.infinity();
        for i in (0..u_len.max(v_len)).rev() {
            acc = self.double(&acc);
            let du = u_naf[i];
            if du > 0 {
                acc = self.add_affine(&acc, &self.g_table[(du as usize) / 2]);
            } else if du < 0 {
                acc = self.add_affine(&acc, &self.neg_affine(&self.g_table[(du.unsigned_abs() as usize) / 2]));
            }
            let dv = v_naf[i];
            if dv > 0 {
                acc = self.add(&acc, &q_table[(dv as usize) / 2]);
            } else if dv < 0 {
                acc = self.add(&acc, &self.neg(&q_table[(dv.unsigned_abs() as usize) / 2]));
            }
        }
        acc
    }

    /// Steps 3–7 of ГОСТ Р 34.10-2012 section 6.2 for `0 < r, s < q` and
    /// `0 < e < q`: whether `(z₁·G + z₂·Q).x mod q = r` with `v = e⁻¹`,
    /// `z₁ = s·v`, `z₂ = −r·v (mod q)`. `Q` must lie on the curve.
    pub(crate) fn verify(&self, point: &Affine, e: &BigUint, r: &BigUint, s: &BigUint) -> bool {
        let (fp, fq) = (&self.fp, &self.fq);
        let (Some(e), Some(r_fe), Some(s)) = (fq.element_of(e), fq.element_of(r), fq.element_of(s)) else {
            return false;
        };
        let Some(v) = fq.invert(&e) else {
            return false;
        };
        let z1 = fq.to_limbs(&fq.mul(&s, &v));
        let z2 = fq.to_limbs(&fq.neg(&fq.mul(&r_fe, &v)));
        let Some(q_point) = self.import(&point.x, &point.y) else {
            return false;
        };
        let c = self.double_mul(&z1, &q_point, &z2);
        if c.is_infinity() {
            return false;
        }
        // x_C = X/Z² (X/(u²Z²) on the isomorphic curve) is some x < p with
        // x ≡ r (mod q): one of r, r + q, r + 2q, … below p (more than one when
        // q < p, as on the cofactor-4 curves). Compare X with x·Z² (x·u²Z²) for
        // each instead of inverting Z.
        let mut zz = fp.square(&c.z);
        if let Some((u2, _)) = &self.iso {
            zz = fp.mul(&zz, u2);
        }
        let Some(mut candidate) = limbs_of::<N>(r) else {
            return false;
        };
        loop {
            match fp.element(&candidate) {
                None => return false, // candidate ≥ p
                Some(x) if fp.mul(&x, &zz) == c.x => return true,
                Some(_) => {}
            }
            let (next, carry) = add_limbs(&candidate, &self.q);
            if carry {
                return false;
            }
            candidate = next;
        }
    }

    /// `u·G + v·Q` in affine coordinates, for comparison with the `num-bigint` path.
    #[cfg(test)]
    pub(crate) fn double_mul_affine(&self, u: &BigUint, point: &Affine, v: &BigUint) -> Option<Affine> {
        let fp = &self.fp;
        let q = self.import(&point.x, &point.y)?;
        let c = self.double_mul(&limbs_of::<N>(u)?, &q, &limbs_of::<N>(v)?);
        let mut c = self.to_affine(&c)?;
        if let Some((u2, u3)) = &self.iso {
            c = AffinePt { x: fp.mul(&c.x, &fp.invert(u2)?), y: fp.mul(&c.y, &fp.invert(u3)?) };
        }
        Some(Affine { x: fp.to_biguint(&c.x), y: fp.to_biguint(&c.y) })
    }
}

/// A `u` with `u⁴ = −3/a (mod p)`, if there is one and `p ≡ 3 (mod 4)`.
///
/// Then `(x, y) ↦ (u²x, u³y)` maps `y² = x³ + ax + b` onto `y² = x³ − 3x + bu⁶`,
/// where doubling is cheaper; x-coordinates just gain the factor u². For
/// `p ≡ 3 (mod 4)`, `−1` is not a square, so whenever `t = −3/a` is a square, one of
/// its two square roots `±s` is a square too, and `u = √(±s)`. This applies to
/// tc26-512-C and the 512-bit test curve (not to tc26-256-A).
fn quartic_twist(p: &BigUint, a: &BigUint) -> Option<BigUint> {
    if p.bit(0) && p.bit(1) {
        let t = ((p - 3u32) * (a % p).modinv(p)?) % p;
        let exp = (p + 1u32) >> 2u32; // x^exp is a square root of x whenever there is one
        let sqrt = |x: &BigUint| Some(x.modpow(&exp, p)).filter(|r| (r * r) % p == *x);
        let s = sqrt(&t)?;
        let u = sqrt(&s).or_else(|| sqrt(&(p - &s)))?;
        return Some(u).filter(|u| u.modpow(&BigUint::from(4u32), p) == t);
    }
    None
}

/// The width-`w` NAF of `k` into `out`, least significant digit first: every
/// digit is zero or odd with `|d| < 2^(w−1)`, and any two non-zero digits are
/// at least `w` positions apart. Returns the number of digits.
fn wnaf<const N: usize>(k: &[u64; N], w: u32, out: &mut [i8]) -> usize {
    let mut k = *k;
    let mut hi: u64 = 0; // a carry limb above k: adding |d| can overflow N limbs
    let mask = (1u64 << w) - 1;
    let half = 1i64 << (w - 1);
    let mut len = 0;
    while hi != 0 || k.iter().any(|&limb| limb != 0) {
        let mut digit = 0i64;
        if k[0] & 1 == 1 {
            digit = (k[0] & mask) as i64;
            if digit >= half {
                digit -= 1 << w;
            }
            if digit > 0 {
                // The low w bits of k are exactly `digit`: no borrow.
                k[0] -= digit as u64;
            } else {
                let mut carry = digit.unsigned_abs();
                for limb in k.iter_mut() {
                    let (sum, overflow) = limb.overflowing_add(carry);
                    *limb = sum;
                    carry = u64::from(overflow);
                    if carry == 0 {
                        break;
                    }
                }
                hi += carry;
            }
        }
        if let Some(slot) = out.get_mut(len) {
            *slot = digit as i8;
        }
        len += 1;
        // (hi, k) >>= 1
        for i in 0..N {
            let next = if i + 1 < N { k[i + 1] } else { hi };
            k[i] = (k[i] >> 1) | (next << 63);
        }
        hi >>= 1;
    }
    len.min(out.len())
}

/// A prepared curve of either width.
#[derive(Debug)]
pub(crate) enum Fast {
    W4(Box<FastCurve<4>>),
    W8(Box<FastCurve<8>>),
}

impl Fast {
    /// Prepares the curve `p, a, q, G` whose numbers are `len` bytes long (32 or 64).
    pub(crate) fn new(len: usize, p: &BigUint, a: &BigUint, q: &BigUint, gx: &BigUint, gy: &BigUint) -> Option<Fast> {
        match len {
            32 => FastCurve::<4>::new(p, a, q, gx, gy).map(|c| Fast::W4(Box::new(c))),
            64 => FastCurve::<8>::new(p, a, q, gx, gy).map(|c| Fast::W8(Box::new(c))),
            _ => None,
        }
    }

    /// See [`FastCurve::verify`].
    pub(crate) fn verify(&self, point: &Affine, e: &BigUint, r: &BigUint, s: &BigUint) -> bool {
        match self {
            Fast::W4(c) => c.verify(point, e, r, s),
            Fast::W8(c) => c.verify(point, e, r, s),
        }
    }

    #[cfg(test)]
    pub(crate) fn double_mul_affine(&self, u: &BigUint, point: &Affine, v: &BigUint) -> Option<Affine> {
        match self {
            Fast::W4(c) => c.double_mul_affine(u, point, v),
            Fast::W8(c) => c.double_mul_affine(u, point, v),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::curve::ParamSet;
    use num_traits::{One, Zero};

    fn random_below(n: &BigUint) -> BigUint {
        let mut buf = vec![0u8; n.to_bytes_be().len() + 8];
        getrandom::fill(&mut buf).expect("OS RNG");
        BigUint::from_bytes_be(&buf) % n
    }

    fn naf_value(digits: &[i8]) -> (BigUint, BigUint) {
        // (positive part, negative part)
        let (mut pos, mut neg) = (BigUint::zero(), BigUint::zero());
        for (i, &d) in digits.iter().enumerate() {
            if d > 0 {
                pos += BigUint::from(d as u8) << i;
            } else if d < 0 {
                neg += BigUint::from(d.unsigned_abs()) << i;
            }
        }
        (pos, neg)
    }

    #[test]
    fn wnaf_recodes_exactly() {
        let max = (BigUint::one() << 512u32) - 1u32;
        let mut values = vec![BigUint::zero(), BigUint::one(), max.clone(), &max >> 1u32, BigUint::from(0x7fu32)];
        values.extend((0..200).map(|_| random_below(&max)));
        for k in values {
            let limbs = limbs_of::<8>(&k).expect("fits");
            for w in [2, 4, W_Q, W_G, 8] {
                let mut digits = [0i8; WNAF_MAX + 1];
                let len = wnaf(&limbs, w, &mut digits);
                assert!(len <= 513, "length {len}");
                let digits = &digits[..len];
                let (pos, neg) = naf_value(digits);
                assert_eq!(pos, &k + neg, "value, w = {w}");
                let nonzero: Vec<usize> = (0..len).filter(|&i| digits[i] != 0).collect();
                for pair in nonzero.windows(2) {
                    assert!(pair[1] - pair[0] >= w as usize, "spacing, w = {w}");
                }
                for &d in digits {
                    assert!(d == 0 || (d % 2 != 0 && i32::from(d).abs() < 1 << (w - 1)), "digit {d}, w = {w}");
                }
                if len > 0 {
                    assert_ne!(digits[len - 1], 0, "no leading zero digit");
                }
            }
        }
    }

    /// The fast double scalar multiplication agrees with the `num-bigint` one on
    /// random and edge-case scalars and points, for every curve.
    #[test]
    fn double_mul_agrees_with_biguint_path() {
        for set in ParamSet::ALL {
            let c = set.curve();
            let g = c.base_point();
            let q = &c.q;
            let random_point = c.mul_base(&random_below(q)).expect("finite");
            let neg_g = Affine { x: g.x.clone(), y: &c.p - &g.y };
            let mut cases = vec![
                (BigUint::zero(), g.clone(), BigUint::zero()),
                (BigUint::one(), g.clone(), BigUint::zero()),
                (BigUint::zero(), g.clone(), BigUint::one()),
                (BigUint::one(), g.clone(), BigUint::one()),
                (BigUint::one(), neg_g.clone(), BigUint::one()),
                (BigUint::from(5u32), neg_g.clone(), BigUint::from(5u32)),
                (q - 1u32, g.clone(), BigUint::one()),
                (q - 1u32, random_point.clone(), q - 1u32),
                (BigUint::from(63u32), g.clone(), BigUint::from(15u32)),
            ];
            for _ in 0..6 {
                cases.push((random_below(q), random_point.clone(), random_below(q)));
                cases.push((random_below(q), g.clone(), random_below(q)));
            }
            // Q = k·G with u + k·v ≡ 0: the sum is O.
            let k = random_below(q);
            let v = random_below(q);
            let u = (q - (&k * &v) % q) % q;
            cases.push((u, c.mul_base(&k).expect("finite"), v));
            for (u, point, v) in cases {
                assert_eq!(
                    c.fast.double_mul_affine(&u, &point, &v),
                    c.double_mul_base(&u, &point, &v),
                    "{set:?}: u = {u:x}, v = {v:x}"
                );
            }
        }
    }

    #[test]
    fn quartic_twist_is_used_where_it_exists() {
        for set in ParamSet::ALL {
            let c = set.curve();
            let twisted = match &c.fast {
                Fast::W4(f) => (f.iso.is_some(), f.a_is_minus_3),
                Fast::W8(f) => (f.iso.is_some(), f.a_is_minus_3),
            };
            let expected = matches!(set, ParamSet::Tc26_512C | ParamSet::Test512);
            assert_eq!(twisted.0, expected, "{set:?}: isomorphism");
            // Every curve but tc26-256-A and the 256-bit test curve then has a = −3.
            let minus_3 = !matches!(set, ParamSet::Tc26_256A | ParamSet::Test256);
            assert_eq!(twisted.1, minus_3, "{set:?}: a = −3");
            if let Some(u) = quartic_twist(&c.p, &c.a) {
                let u4 = u.modpow(&BigUint::from(4u32), &c.p);
                assert_eq!((u4 * &c.a + 3u32) % &c.p, BigUint::zero(), "{set:?}: u⁴·a = −3");
            }
        }
    }

    /// On the cofactor-4 curves a public key may be a point of small order; the
    /// special cases of the formulas must still give the right sums.
    #[test]
    fn small_order_points_on_cofactor_curves() {
        for set in [ParamSet::Tc26_256A, ParamSet::Tc26_512C] {
            let c = set.curve();
            // A point of order 2 has y = 0: x is a root of x³ + ax + b. Find one
            // (if any) by trying the multiples q·P of points P = (x, y) on the curve.
            let mut found = Vec::new();
            let mut x = BigUint::from(1u32);
            while found.len() < 3 {
                x += 1u32;
                let rhs = (&x * &x * &x + &c.a * &x + &c.b) % &c.p;
                // p ≡ 3 (mod 4) for these curves: a square root is rhs^((p+1)/4).
                let y = rhs.modpow(&((&c.p + 1u32) >> 2u32), &c.p);
                let point = Affine { x: x.clone(), y };
                if !c.is_on_curve(&point) {
                    continue;
                }
                if let Some(small) = c.mul(&point, &c.q) {
                    found.push(small);
                }
            }
            for small in found {
                for (u, v) in [(0u32, 1u32), (0, 2), (0, 3), (0, 4), (1, 1), (7, 2), (3, 5)] {
                    let (u, v) = (BigUint::from(u), BigUint::from(v));
                    assert_eq!(
                        c.fast.double_mul_affine(&u, &small, &v),
                        c.double_mul_base(&u, &small, &v),
                        "{set:?}: small-order point"
                    );
                }
            }
        }
    }
}
