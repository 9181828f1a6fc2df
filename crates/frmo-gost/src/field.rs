//! Fixed-width arithmetic modulo an odd number `m < 2^(64·N)`, with no heap
//! allocation: `N = 4` limbs for the 256-bit curves, `N = 8` for the 512-bit
//! ones. Used for the coordinates of points (mod p) and for the scalars of
//! verification (mod q).
//!
//! A product is computed in full (2N limbs, with a dedicated squaring) and then
//! reduced in one of two ways, chosen per modulus:
//!
//! * **pseudo-Mersenne** `m = 2^(64·N) − c` with a small `c` (the primes of
//!   CryptoPro-A and tc26-256-A, `2²⁵⁶ − 617`, and of tc26-512-A/C,
//!   `2⁵¹² − 569`): elements are plain residues and `2^(64·N) ≡ c` folds the
//!   high half into the low one;
//! * **Montgomery** otherwise: elements are kept as `a·R mod m` with
//!   `R = 2^(64·N)` and reduced by REDC (with one extra carry word, so moduli
//!   with the top bit set are fine).
//!
//! Either way elements are always fully reduced (`< m`), so equal elements have
//! equal limbs, and addition, subtraction and negation are the same.
//! Inversion is the binary extended Euclidean algorithm on ordinary numbers.
//!
//! Nothing here is constant-time: branches and loop counts depend on the values.
//!
//! Why one file of more than 600 lines: the modular arithmetic is one unit (both reductions, multiplication,
//! squaring, inversion share their carry chains and invariants) and is checked as one against OpenSSL;
//! half of it in another file would be harder to verify, not easier to read.

use num_bigint::BigUint;

/// Room for a double-width product of the widest field (2 × 8 limbs).
const WIDE: usize = 16;

/// An element in the field's representation, fully reduced; limbs little-endian.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Fe<const N: usize>([u64; N]);

impl<const N: usize> Fe<N> {
    pub(crate) const ZERO: Self = Fe([0; N]);

    #[inline]
    pub(crate) fn is_zero(&self) -> bool {
        is_zero_limbs(&self.0)
    }
}

/// How products are reduced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reduction<const N: usize> {
    /// `m = 2^(64·N) − c`, `c < 2³²`; elements are plain residues.
    PseudoMersenne { c: u64 },
    /// Elements are `a·R mod m`.
    Montgomery {
        /// `−m⁻¹ mod 2⁶⁴`.
        m_inv: u64,
        /// `R² mod m`, to enter Montgomery form.
        r2: [u64; N],
    },
}

/// The constants of one modulus.
#[derive(Debug, Clone)]
pub(crate) struct Field<const N: usize> {
    /// The modulus m, odd.
    m: [u64; N],
    reduction: Reduction<N>,
    /// One in the field's representation.
    one: Fe<N>,
}

impl<const N: usize> Field<N> {
    /// The field of an odd modulus `m` with `1 < m < 2^(64·N)` (`N ≤ 8`);
    /// `None` otherwise. Pseudo-Mersenne moduli get the faster reduction.
    pub(crate) fn new(modulus: &BigUint) -> Option<Self> {
        let c = (BigUint::from(1u32) << (64 * N)) - modulus.min(&(BigUint::from(1u32) << (64 * N)));
        match u64::try_from(&c) {
            Ok(c) if c < 1 << 32 && c % 2 == 1 => Self::pseudo_mersenne(modulus, c),
            _ => Self::montgomery(modulus),
        }
    }

    /// The field of `m = 2^(64·N) − c` with the pseudo-Mersenne reduction.
    fn pseudo_mersenne(modulus: &BigUint, c: u64) -> Option<Self> {
        let mut field = Self::montgomery(modulus)?;
        field.reduction = Reduction::PseudoMersenne { c };
        field.one = Fe(limbs_of::<N>(&BigUint::from(1u32))?);
        Some(field)
    }

    /// The field of `m` with Montgomery reduction (any odd `m`).
    pub(crate) fn montgomery(modulus: &BigUint) -> Option<Self> {
        if 2 * N > WIDE {
            return None;
        }
        let m = limbs_of::<N>(modulus)?;
        if m[0] & 1 == 0 || *modulus <= BigUint::from(1u32) {
            return None;
        }
        // Newton's iteration doubles the number of correct low bits of m⁻¹ mod 2⁶⁴
        // each round; 1 is correct to one bit (m is odd).
        let mut inv: u64 = 1;
        for _ in 0..6 {
            inv = inv.wrapping_mul(2u64.wrapping_sub(m[0].wrapping_mul(inv)));
        }
        let r = BigUint::from(1u32) << (64 * N);
        let one = limbs_of::<N>(&(&r % modulus))?;
        let r2 = limbs_of::<N>(&((&r * &r) % modulus))?;
        Some(Field { m, reduction: Reduction::Montgomery { m_inv: inv.wrapping_neg(), r2 }, one: Fe(one) })
    }

    #[inline]
    pub(crate) fn one(&self) -> Fe<N> {
        self.one
    }

    /// `x` (an ordinary number, little-endian limbs) into the field's
    /// representation; `None` unless `x < m`.
    pub(crate) fn element(&self, x: &[u64; N]) -> Option<Fe<N>> {
        if !less_than(x, &self.m) {
            return None;
        }
        Some(match self.reduction {
            Reduction::PseudoMersenne { .. } => Fe(*x),
            Reduction::Montgomery { r2, .. } => self.mul(&Fe(*x), &Fe(r2)),
        })
    }

    /// `x` into the field's representation; `None` unless `x < m`.
    pub(crate) fn element_of(&self, x: &BigUint) -> Option<Fe<N>> {
        self.element(&limbs_of::<N>(x)?)
    }

    /// The ordinary number (`< m`) that `a` stands for, little-endian limbs.
    pub(crate) fn to_limbs(&self, a: &Fe<N>) -> [u64; N] {
        match self.reduction {
            Reduction::PseudoMersenne { .. } => a.0,
            Reduction::Montgomery { .. } => {
                let mut unit = [0u64; N];
                unit[0] = 1;
                self.mul(a, &Fe(unit)).0
            }
        }
    }

    /// The ordinary number (`< m`) that `a` stands for.
    #[cfg(test)]
    pub(crate) fn to_biguint(&self, a: &Fe<N>) -> BigUint {
        biguint_of(&self.to_limbs(a))
    }

    #[inline(always)]
    pub(crate) fn add(&self, a: &Fe<N>, b: &Fe<N>) -> Fe<N> {
        let (sum, carry) = add_limbs(&a.0, &b.0);
        let (diff, borrow) = sub_limbs(&sum, &self.m);
        // a + b < 2m: subtract m when the sum overflowed the limbs or is ≥ m.
        if carry || !borrow { Fe(diff) } else { Fe(sum) }
    }

    #[inline(always)]
    pub(crate) fn double(&self, a: &Fe<N>) -> Fe<N> {
        self.add(a, a)
    }

    #[inline(always)]
    pub(crate) fn sub(&self, a: &Fe<N>, b: &Fe<N>) -> Fe<N> {
        let (diff, borrow) = sub_limbs(&a.0, &b.0);
        if borrow { Fe(add_limbs(&diff, &self.m).0) } else { Fe(diff) }
    }

    #[inline(always)]
    pub(crate) fn neg(&self, a: &Fe<N>) -> Fe<N> {
        if a.is_zero() { *a } else { Fe(sub_limbs(&self.m, &a.0).0) }
    }

    /// The product of two elements (for Montgomery form `a·b·R⁻¹ mod m`).
    #[inline]
    pub(crate) fn mul(&self, a: &Fe<N>, b: &Fe<N>) -> Fe<N> {
        match self.reduction {
            Reduction::PseudoMersenne { .. } => {
                let mut t = [0u64; WIDE];
                for (i, &ai) in a.0.iter().enumerate() {
                    let ai = u128::from(ai);
                    let mut carry: u128 = 0;
                    for (j, &bj) in b.0.iter().enumerate() {
                        let v = u128::from(t[i + j]) + ai * u128::from(bj) + carry;
                        t[i + j] = v as u64;
                        carry = v >> 64;
                    }
                    t[i + N] = carry as u64;
                }
                self.reduce(&mut t)
            }
            Reduction::Montgomery { m_inv, .. } => self.mul_cios(a, b, m_inv),
        }
    }

    /// The Montgomery product by CIOS (multiplication and reduction interleaved
    /// limb by limb), which keeps the partial result in N + 2 words.
    #[inline(always)]
    fn mul_cios(&self, a: &Fe<N>, b: &Fe<N>, m_inv: u64) -> Fe<N> {
        let m = &self.m;
        // t = t[0..N] + t_hi·2^(64N); t < 2m after every outer round.
        let mut t = [0u64; N];
        let mut t_hi: u64 = 0;
        for &bi in &b.0 {
            let bi = u128::from(bi);
            let mut carry: u128 = 0;
            for (tj, &aj) in t.iter_mut().zip(&a.0) {
                let v = u128::from(*tj) + u128::from(aj) * bi + carry;
                *tj = v as u64;
                carry = v >> 64;
            }
            let v = u128::from(t_hi) + carry;
            t_hi = v as u64;
            let t_top = (v >> 64) as u64;

            // Add k·m with k chosen so that the low limb vanishes, then shift by one limb.
            let k = u128::from(t[0].wrapping_mul(m_inv));
            let mut carry = (u128::from(t[0]) + k * u128::from(m[0])) >> 64;
            for j in 1..N {
                let v = u128::from(t[j]) + k * u128::from(m[j]) + carry;
                t[j - 1] = v as u64;
                carry = v >> 64;
            }
            let v = u128::from(t_hi) + carry;
            t[N - 1] = v as u64;
            t_hi = t_top + (v >> 64) as u64;
        }
        let (diff, borrow) = sub_limbs(&t, m);
        if t_hi != 0 || !borrow { Fe(diff) } else { Fe(t) }
    }

    /// `a²`, with each cross product computed once.
    #[inline]
    pub(crate) fn square(&self, a: &Fe<N>) -> Fe<N> {
        let mut t = [0u64; WIDE];
        // Σ_{i<j} a_i·a_j·2^(64(i+j))
        for i in 0..N {
            let ai = u128::from(a.0[i]);
            let mut carry: u128 = 0;
            for j in i + 1..N {
                let v = u128::from(t[i + j]) + ai * u128::from(a.0[j]) + carry;
                t[i + j] = v as u64;
                carry = v >> 64;
            }
            t[i + N] = carry as u64;
        }
        // Doubled, plus the squares a_i²·2^(128i).
        let mut top_bit = 0u64;
        for limb in t.iter_mut().take(2 * N) {
            let next = *limb >> 63;
            *limb = (*limb << 1) | top_bit;
            top_bit = next;
        }
        let mut carry: u128 = 0;
        for i in 0..N {
            let sq = u128::from(a.0[i]) * u128::from(a.0[i]);
            let v = u128::from(t[2 * i]) + (sq & u128::from(u64::MAX)) + carry;
            t[2 * i] = v as u64;
            let v = u128::from(t[2 * i + 1]) + (sq >> 64) + (v >> 64);
            t[2 * i + 1] = v as u64;
            carry = v >> 64;
        }
        self.reduce(&mut t)
    }

    /// Reduces a double-width product `t[..2N]` (of two elements below m).
    #[inline(always)]
    fn reduce(&self, t: &mut [u64; WIDE]) -> Fe<N> {
        let m = &self.m;
        let mut out = [0u64; N];
        let overflow = match self.reduction {
            Reduction::PseudoMersenne { c } => {
                // t = hi·2^(64N) + lo ≡ lo + c·hi.
                let c128 = u128::from(c);
                let mut carry: u128 = 0;
                for j in 0..N {
                    let v = u128::from(t[j]) + c128 * u128::from(t[j + N]) + carry;
                    out[j] = v as u64;
                    carry = v >> 64;
                }
                // Now out + carry·2^(64N) with carry ≤ c: fold once more.
                let mut v = u128::from(out[0]) + c128 * carry;
                out[0] = v as u64;
                for limb in out.iter_mut().skip(1) {
                    v = u128::from(*limb) + (v >> 64);
                    *limb = v as u64;
                }
                if v >> 64 != 0 {
                    // out + 2^(64N) ≡ out + c, and out is now small: no overflow.
                    let mut v = u128::from(out[0]) + c128;
                    out[0] = v as u64;
                    for limb in out.iter_mut().skip(1) {
                        v = u128::from(*limb) + (v >> 64);
                        *limb = v as u64;
                    }
                }
                false
            }
            Reduction::Montgomery { m_inv, .. } => {
                // REDC: add k_i·m·2^(64i) to clear the low N limbs, then divide by R.
                let mut top: u64 = 0;
                for i in 0..N {
                    let k = u128::from(t[i].wrapping_mul(m_inv));
                    let mut carry: u128 = 0;
                    for j in 0..N {
                        let v = u128::from(t[i + j]) + k * u128::from(m[j]) + carry;
                        t[i + j] = v as u64;
                        carry = v >> 64;
                    }
                    let v = u128::from(t[i + N]) + carry + u128::from(top);
                    t[i + N] = v as u64;
                    top = (v >> 64) as u64;
                }
                out.copy_from_slice(&t[N..2 * N]);
                // The result out + top·2^(64N) is below 2m.
                top != 0
            }
        };
        let (diff, borrow) = sub_limbs(&out, m);
        if overflow || !borrow { Fe(diff) } else { Fe(out) }
    }

    /// `a^e` for an ordinary exponent `e` (little-endian limbs), by a 4-bit fixed window.
    #[cfg(test)]
    pub(crate) fn pow(&self, a: &Fe<N>, e: &[u64; N]) -> Fe<N> {
        let mut table = [self.one; 16];
        for i in 1..16 {
            table[i] = self.mul(&table[i - 1], a);
        }
        let mut acc = self.one;
        let mut started = false;
        for &limb in e.iter().rev() {
            for nibble in (0..16).rev() {
                if started {
                    for _ in 0..4 {
                        acc = self.square(&acc);
                    }
                }
                let digit = ((limb >> (4 * nibble)) & 0xf) as usize;
                if digit != 0 {
                    acc = self.mul(&acc, &table[digit]);
                    started = true;
                }
            }
        }
        acc
    }

    /// `a⁻¹`, or `None` when there is none (zero, or a common factor with m).
    pub(crate) fn invert(&self, a: &Fe<N>) -> Option<Fe<N>> {
        let inverse = self.inverse_limbs(&self.to_limbs(a))?;
        self.element(&inverse)
    }

    /// `x⁻¹ mod m` of an ordinary number `0 < x < m` by the binary extended
    /// Euclidean algorithm (Hankerson, Menezes, Vanstone, *Guide to Elliptic
    /// Curve Cryptography*, algorithm 2.22); `None` unless `gcd(x, m) = 1`.
    fn inverse_limbs(&self, x: &[u64; N]) -> Option<[u64; N]> {
        let m = &self.m;
        let mut one = [0u64; N];
        one[0] = 1;
        // Invariants: x1·x ≡ u and x2·x ≡ v (mod m), with x1, x2 < m.
        let (mut u, mut v) = (*x, *m);
        let (mut x1, mut x2) = (one, [0u64; N]);
        loop {
            if is_zero_limbs(&u) || is_zero_limbs(&v) {
                return None; // gcd(x, m) = max(u, v) > 1, or x = 0
            }
            while u[0] & 1 == 0 {
                shift_right_1(&mut u, false);
                self.halve_limbs(&mut x1);
            }
            while v[0] & 1 == 0 {
                shift_right_1(&mut v, false);
                self.halve_limbs(&mut x2);
            }
            if u == one {
                return Some(x1);
            }
            if v == one {
                return Some(x2);
            }
            if less_than(&u, &v) {
                v = sub_limbs(&v, &u).0;
                x2 = self.sub(&Fe(x2), &Fe(x1)).0;
            } else {
                u = sub_limbs(&u, &v).0;
                x1 = self.sub(&Fe(x1), &Fe(x2)).0;
            }
        }
    }

    /// `x/2 mod m` in place, for `x < m`.
    #[inline(always)]
    fn halve_limbs(&self, x: &mut [u64; N]) {
        if x[0] & 1 == 0 {
            shift_right_1(x, false);
        } else {
            let (sum, carry) = add_limbs(x, &self.m);
            *x = sum;
            shift_right_1(x, carry);
        }
    }
}

#[inline(always)]
fn is_zero_limbs<const N: usize>(x: &[u64; N]) -> bool {
    x.iter().all(|&limb| limb == 0)
}

/// `(top, x) >> 1` in place: `top` becomes the highest bit.
#[inline(always)]
fn shift_right_1<const N: usize>(x: &mut [u64; N], top: bool) {
    for i in 0..N {
        let next = if i + 1 < N { x[i + 1] } else { u64::from(top) };
        x[i] = (x[i] >> 1) | (next << 63);
    }
}

/// `x` as `N` little-endian limbs; `None` if it does not fit.
pub(crate) fn limbs_of<const N: usize>(x: &BigUint) -> Option<[u64; N]> {
    let digits = x.to_u64_digits();
    if digits.len() > N {
        return None;
    }
    let mut out = [0u64; N];
    out[..digits.len()].copy_from_slice(&digits);
    Some(out)
}

/// The number of little-endian limbs `x`.
#[cfg(test)]
pub(crate) fn biguint_of(x: &[u64]) -> BigUint {
    let digits: Vec<u32> = x.iter().flat_map(|&limb| [limb as u32, (limb >> 32) as u32]).collect();
    BigUint::new(digits)
}

/// `a < b` for little-endian limbs.
#[inline(always)]
pub(crate) fn less_than<const N: usize>(a: &[u64; N], b: &[u64; N]) -> bool {
    for (x, y) in a.iter().rev().zip(b.iter().rev()) {
        if x != y {
            return x < y;
        }
    }
    false
}

/// `a + b` and the carry out.
#[inline(always)]
pub(crate) fn add_limbs<const N: usize>(a: &[u64; N], b: &[u64; N]) -> ([u64; N], bool) {
    let mut out = [0u64; N];
    let mut carry = false;
    for ((o, &x), &y) in out.iter_mut().zip(a).zip(b) {
        let (s1, c1) = x.overflowing_add(y);
        let (s2, c2) = s1.overflowing_add(u64::from(carry));
        *o = s2;
        carry = c1 | c2;
    }
    (out, carry)
}

/// `a − b` (mod 2^(64N)) and the borrow out.
#[inline(always)]
pub(crate) fn sub_limbs<const N: usize>(a: &[u64; N], b: &[u64; N]) -> ([u64; N], bool) {
    let mut out = [0u64; N];
    let mut borrow = false;
    for ((o, &x), &y) in out.iter_mut().zip(a).zip(b) {
        let (d1, b1) = x.overflowing_sub(y);
        let (d2, b2) = d1.overflowing_sub(u64::from(borrow));
        *o = d2;
        borrow = b1 | b2;
    }
    (out, borrow)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::curve::ParamSet;
    use num_traits::{One, Zero};
    use proptest::prelude::*;

    /// The distinct moduli of all parameter sets: every p and every q.
    fn moduli(bits: usize) -> Vec<BigUint> {
        let mut out: Vec<BigUint> = ParamSet::ALL
            .iter()
            .filter(|set| set.bits() == bits)
            .flat_map(|set| [set.curve().p.clone(), set.curve().q.clone()])
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// Every operation of the field of `m` on `a` and `b` (any size; reduced
    /// mod m here) against `num-bigint`.
    fn check<const N: usize>(m: &BigUint, a: &BigUint, b: &BigUint) {
        check_field(&Field::<N>::new(m).expect("odd modulus that fits"), m, a, b);
        check_field(&Field::<N>::montgomery(m).expect("odd modulus that fits"), m, a, b);
    }

    fn check_field<const N: usize>(f: &Field<N>, m: &BigUint, a: &BigUint, b: &BigUint) {
        let (a, b) = (a % m, b % m);
        let fa = f.element_of(&a).expect("reduced");
        let fb = f.element_of(&b).expect("reduced");
        assert_eq!(f.to_biguint(&fa), a, "round trip, m = {m:x}");
        assert_eq!(f.to_biguint(&f.add(&fa, &fb)), (&a + &b) % m, "add, m = {m:x}");
        assert_eq!(f.to_biguint(&f.double(&fa)), (&a + &a) % m, "double, m = {m:x}");
        assert_eq!(f.to_biguint(&f.sub(&fa, &fb)), (&a + m - &b) % m, "sub, m = {m:x}");
        assert_eq!(f.to_biguint(&f.neg(&fa)), (m - &a) % m, "neg, m = {m:x}");
        assert_eq!(f.to_biguint(&f.mul(&fa, &fb)), (&a * &b) % m, "mul, m = {m:x}");
        assert_eq!(f.to_biguint(&f.square(&fa)), (&a * &a) % m, "square, m = {m:x}");
        let small = BigUint::from(0x1234_5678_9abc_def1u64);
        assert_eq!(
            f.to_biguint(&f.pow(&fa, &limbs_of::<N>(&small).expect("fits"))),
            a.modpow(&small, m),
            "pow, m = {m:x}"
        );
        match f.invert(&fa) {
            None => assert!(a.is_zero(), "invert, m = {m:x}"),
            Some(inv) => {
                assert_eq!(f.to_biguint(&inv), a.modinv(m).expect("m is prime"), "invert, m = {m:x}");
                let m_minus_2 = limbs_of::<N>(&(m - 2u32)).expect("fits");
                assert_eq!(inv, f.pow(&fa, &m_minus_2), "Fermat, m = {m:x}");
                assert_eq!(f.mul(&inv, &fa), f.one(), "a·a⁻¹, m = {m:x}");
            }
        }
        // Fully reduced: equal values have equal limbs.
        assert_eq!(f.element_of(&((&a * &b) % m)), Some(f.mul(&fa, &fb)));
    }

    fn check_all(a: &[u8], b: &[u8]) {
        let (a, b) = (BigUint::from_bytes_be(a), BigUint::from_bytes_be(b));
        for m in moduli(256) {
            check::<4>(&m, &a, &b);
        }
        for m in moduli(512) {
            check::<8>(&m, &a, &b);
        }
    }

    #[test]
    fn edge_values_agree_with_biguint() {
        for bits in [256, 512] {
            for m in moduli(bits) {
                let edges = [
                    BigUint::zero(),
                    BigUint::one(),
                    BigUint::from(2u32),
                    &m - 1u32,
                    &m - 2u32,
                    (&m - 1u32) / 2u32,
                    (&m + 1u32) / 2u32,
                    (BigUint::one() << (bits - 1)) % &m,
                    ((BigUint::one() << bits) - 1u32) % &m,
                ];
                for a in &edges {
                    for b in &edges {
                        if bits == 256 {
                            check::<4>(&m, a, b);
                        } else {
                            check::<8>(&m, a, b);
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn pseudo_mersenne_primes_are_recognised() {
        for set in ParamSet::ALL {
            let c = set.curve();
            let expected = match set.bits() {
                256 => (BigUint::one() << 256u32) - 617u32,
                _ => (BigUint::one() << 512u32) - 569u32,
            };
            let pm = |f: Reduction<8>| matches!(f, Reduction::PseudoMersenne { .. });
            let pm4 = |f: Reduction<4>| matches!(f, Reduction::PseudoMersenne { .. });
            let (p_pm, q_pm) = if set.bits() == 256 {
                (
                    pm4(Field::<4>::new(&c.p).expect("fits").reduction),
                    pm4(Field::<4>::new(&c.q).expect("fits").reduction),
                )
            } else {
                (pm(Field::<8>::new(&c.p).expect("fits").reduction), pm(Field::<8>::new(&c.q).expect("fits").reduction))
            };
            assert_eq!(p_pm, c.p == expected, "{set:?}: p");
            assert!(!q_pm, "{set:?}: q");
        }
    }

    #[test]
    fn rejects_unusable_moduli_and_unreduced_values() {
        assert!(Field::<4>::new(&BigUint::from(10u32)).is_none());
        assert!(Field::<4>::new(&BigUint::one()).is_none());
        assert!(Field::<4>::new(&(BigUint::one() << 256u32)).is_none());
        let p = ParamSet::CryptoProA.curve().p.clone();
        let f = Field::<4>::new(&p).expect("valid");
        assert!(f.element_of(&p).is_none());
        assert!(f.element_of(&(&p - 1u32)).is_some());
        assert_eq!(f.invert(&Fe::ZERO), None);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn random_values_agree_with_biguint(
            a in proptest::collection::vec(any::<u8>(), 64),
            b in proptest::collection::vec(any::<u8>(), 64),
        ) {
            check_all(&a, &b);
        }

        /// Values with long runs of 0x00/0xff bytes stress the carries.
        #[test]
        fn sparse_values_agree_with_biguint(
            a in proptest::collection::vec(prop_oneof![Just(0u8), Just(0xffu8), any::<u8>()], 64),
            b in proptest::collection::vec(prop_oneof![Just(0u8), Just(0xffu8), any::<u8>()], 64),
        ) {
            check_all(&a, &b);
        }
    }
}
