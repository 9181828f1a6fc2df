//! Elliptic curve point arithmetic over the prime field of a [`Curve`] with
//! `num-bigint`: used for signing, key generation and the on-curve check of
//! public keys, and as the reference the fixed-width verification path of
//! [`crate::fastpoint`] is tested against.
//!
//! Points are kept in Jacobian coordinates `(X, Y, Z)` ↔ `(X/Z², Y/Z³)` during
//! scalar multiplication so that only one modular inversion is needed per
//! result. The formulas are the general ones for `y² = x³ + ax + b` with any `a`
//! (GOST curves do not have `a = -3` in general): "dbl-1998-cmo-2" and
//! "add-1998-cmo-2" from the Explicit-Formulas Database. Nothing here is
//! constant-time.

use num_bigint::BigUint;
use num_traits::{One, Zero};

use crate::curve::Curve;

/// A finite point in affine coordinates, both coordinates reduced mod p.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Affine {
    pub(crate) x: BigUint,
    pub(crate) y: BigUint,
}

/// A point in Jacobian coordinates; `z = 0` is the point at infinity.
#[derive(Debug, Clone)]
struct Jacobian {
    x: BigUint,
    y: BigUint,
    z: BigUint,
}

impl Jacobian {
    fn infinity() -> Self {
        Jacobian { x: BigUint::one(), y: BigUint::one(), z: BigUint::zero() }
    }

    fn from_affine(p: &Affine) -> Self {
        Jacobian { x: p.x.clone(), y: p.y.clone(), z: BigUint::one() }
    }

    fn is_infinity(&self) -> bool {
        self.z.is_zero()
    }
}

impl Curve {
    fn fadd(&self, a: &BigUint, b: &BigUint) -> BigUint {
        let s = a + b;
        if s >= self.p { s - &self.p } else { s }
    }

    fn fsub(&self, a: &BigUint, b: &BigUint) -> BigUint {
        if a >= b { a - b } else { &self.p - (b - a) }
    }

    fn fmul(&self, a: &BigUint, b: &BigUint) -> BigUint {
        (a * b) % &self.p
    }

    fn fsmall(&self, k: u32, a: &BigUint) -> BigUint {
        (a * k) % &self.p
    }

    /// Whether `pt` satisfies the curve equation, with coordinates below p.
    pub(crate) fn is_on_curve(&self, pt: &Affine) -> bool {
        if pt.x >= self.p || pt.y >= self.p {
            return false;
        }
        let lhs = self.fmul(&pt.y, &pt.y);
        let x3 = self.fmul(&self.fmul(&pt.x, &pt.x), &pt.x);
        let rhs = self.fadd(&self.fadd(&x3, &self.fmul(&self.a, &pt.x)), &self.b);
        lhs == rhs
    }

    fn double(&self, p: &Jacobian) -> Jacobian {
        if p.is_infinity() || p.y.is_zero() {
            return Jacobian::infinity();
        }
        let xx = self.fmul(&p.x, &p.x);
        let yy = self.fmul(&p.y, &p.y);
        let yyyy = self.fmul(&yy, &yy);
        let zz = self.fmul(&p.z, &p.z);
        // S = 4·X·Y², M = 3·X² + a·Z⁴
        let s = self.fsmall(4, &self.fmul(&p.x, &yy));
        let m = self.fadd(&self.fsmall(3, &xx), &self.fmul(&self.a, &self.fmul(&zz, &zz)));
        // X3 = M² − 2S, Y3 = M·(S − X3) − 8·Y⁴, Z3 = 2·Y·Z
        let x3 = self.fsub(&self.fmul(&m, &m), &self.fadd(&s, &s));
        let y3 = self.fsub(&self.fmul(&m, &self.fsub(&s, &x3)), &self.fsmall(8, &yyyy));
        let z3 = self.fsmall(2, &self.fmul(&p.y, &p.z));
        Jacobian { x: x3, y: y3, z: z3 }
    }

    fn add(&self, p: &Jacobian, q: &Jacobian) -> Jacobian {
        if p.is_infinity() {
            return q.clone();
        }
        if q.is_infinity() {
            return p.clone();
        }
        // With Z = 1 ("mixed" addition) the corresponding products are skipped.
        let (u1, s1) = if q.z.is_one() {
            (p.x.clone(), p.y.clone())
        } else {
            let z2z2 = self.fmul(&q.z, &q.z);
            (self.fmul(&p.x, &z2z2), self.fmul(&p.y, &self.fmul(&q.z, &z2z2)))
        };
        let (u2, s2) = if p.z.is_one() {
            (q.x.clone(), q.y.clone())
        } else {
            let z1z1 = self.fmul(&p.z, &p.z);
            (self.fmul(&q.x, &z1z1), self.fmul(&q.y, &self.fmul(&p.z, &z1z1)))
        };
        if u1 == u2 {
            return if s1 == s2 { self.double(p) } else { Jacobian::infinity() };
        }
        let h = self.fsub(&u2, &u1);
        let r = self.fsub(&s2, &s1);
        let hh = self.fmul(&h, &h);
        let hhh = self.fmul(&h, &hh);
        let v = self.fmul(&u1, &hh);
        // X3 = R² − H³ − 2V, Y3 = R·(V − X3) − S1·H³, Z3 = Z1·Z2·H
        let x3 = self.fsub(&self.fsub(&self.fmul(&r, &r), &hhh), &self.fadd(&v, &v));
        let y3 = self.fsub(&self.fmul(&r, &self.fsub(&v, &x3)), &self.fmul(&s1, &hhh));
        let z12 = if q.z.is_one() { p.z.clone() } else { self.fmul(&p.z, &q.z) };
        let z3 = self.fmul(&z12, &h);
        Jacobian { x: x3, y: y3, z: z3 }
    }

    fn to_affine(&self, p: &Jacobian) -> Option<Affine> {
        if p.is_infinity() {
            return None;
        }
        // p is prime and 0 < Z < p, so the inverse exists.
        let zinv = p.z.modinv(&self.p)?;
        let zinv2 = self.fmul(&zinv, &zinv);
        let zinv3 = self.fmul(&zinv2, &zinv);
        Some(Affine { x: self.fmul(&p.x, &zinv2), y: self.fmul(&p.y, &zinv3) })
    }

    /// `k·P`, or `None` for the point at infinity.
    pub(crate) fn mul(&self, p: &Affine, k: &BigUint) -> Option<Affine> {
        let base = Jacobian::from_affine(p);
        let mut acc = Jacobian::infinity();
        for i in (0..k.bits()).rev() {
            acc = self.double(&acc);
            if k.bit(i) {
                acc = self.add(&acc, &base);
            }
        }
        self.to_affine(&acc)
    }

    /// `k·G` for the base point G.
    pub(crate) fn mul_base(&self, k: &BigUint) -> Option<Affine> {
        self.mul(&self.base_point(), k)
    }

    pub(crate) fn base_point(&self) -> Affine {
        Affine { x: self.gx.clone(), y: self.gy.clone() }
    }

    /// `u·G + v·Q` with Shamir's trick (one shared chain of doublings). The
    /// reference for the fixed-width verification path of [`crate::fastpoint`].
    #[cfg(test)]
    pub(crate) fn double_mul_base(&self, u: &BigUint, q: &Affine, v: &BigUint) -> Option<Affine> {
        let g = Jacobian::from_affine(&self.base_point());
        let qj = Jacobian::from_affine(q);
        // G + Q in affine form keeps every addition below a mixed one.
        let gq = match self.to_affine(&self.add(&g, &qj)) {
            Some(sum) => Jacobian::from_affine(&sum),
            None => Jacobian::infinity(),
        };
        let mut acc = Jacobian::infinity();
        for i in (0..u.bits().max(v.bits())).rev() {
            acc = self.double(&acc);
            match (u.bit(i), v.bit(i)) {
                (true, true) => acc = self.add(&acc, &gq),
                (true, false) => acc = self.add(&acc, &g),
                (false, true) => acc = self.add(&acc, &qj),
                (false, false) => {}
            }
        }
        self.to_affine(&acc)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::curve::ParamSet;

    #[test]
    fn small_multiples_agree() {
        for set in [ParamSet::Test256, ParamSet::Tc26_256A, ParamSet::Tc26_512C] {
            let c = set.curve();
            let g = c.base_point();
            let g2 = c.mul(&g, &BigUint::from(2u32));
            let g3 = c.mul(&g, &BigUint::from(3u32));
            assert!(g2.as_ref().is_some_and(|p| c.is_on_curve(p)));
            // 2G + G = 3G via the Shamir path with u = 1, v = 1 and Q = 2G.
            let q = g2.clone().expect("2G is finite");
            assert_eq!(c.double_mul_base(&BigUint::one(), &q, &BigUint::one()), g3);
            // G + (−G) = O.
            let neg = Affine { x: g.x.clone(), y: &c.p - &g.y };
            assert_eq!(c.double_mul_base(&BigUint::one(), &neg, &BigUint::one()), None);
            // u·G + v·Q = (u + 2v)·G.
            let (u, v) = (BigUint::from(123_456_789u64), BigUint::from(987_654_321u64));
            assert_eq!(c.double_mul_base(&u, &q, &v), c.mul(&g, &(&u + &v * 2u32)));
        }
    }

    #[test]
    fn off_curve_points_are_detected() {
        let c = ParamSet::CryptoProA.curve();
        let g = c.base_point();
        assert!(c.is_on_curve(&g));
        assert!(!c.is_on_curve(&Affine { x: g.x.clone(), y: &g.y + 1u32 }));
        assert!(!c.is_on_curve(&Affine { x: &g.x + &c.p, y: g.y.clone() }));
    }
}
