//! GOST R 34.10 elliptic curve parameter sets.
//!
//! All curves are given in short Weierstrass form `y² = x³ + ax + b (mod p)` with
//! a base point `(x, y)` of prime order `q`; the twisted Edwards sets of RFC 7836
//! (tc26-256-A, tc26-512-C, cofactor 4) are used through their Weierstrass
//! form, exactly as the OpenSSL GOST engine does. The numbers are those of the
//! engine's `gost_params.c`, which follow RFC 4357 (CryptoPro sets), RFC 7836
//! (TC 26 sets) and ГОСТ Р 34.10-2012 appendix A (the test curves).
//!
//! Several OIDs name the same curve:
//!
//! | curve        | OIDs                                                     |
//! |--------------|----------------------------------------------------------|
//! | CryptoPro-A  | CryptoPro-A, CryptoPro-XchA, tc26-256-B                  |
//! | CryptoPro-B  | CryptoPro-B, tc26-256-C                                  |
//! | CryptoPro-C  | CryptoPro-C, CryptoPro-XchB, tc26-256-D                  |
//!
//! Note that the engine's `-pkeyopt paramset:A` for `gost2012_256` means
//! CryptoPro-A, and `paramset:TCA` means tc26-256-A.

use std::sync::OnceLock;

use num_bigint::BigUint;

use crate::fastpoint::Fast;

/// A named GOST R 34.10 parameter set (curve), identified in keys and
/// certificates by its OID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ParamSet {
    /// id-tc26-gost-3410-12-256-paramSetA (1.2.643.7.1.2.1.1.1), twisted Edwards curve, cofactor 4.
    Tc26_256A,
    /// id-tc26-gost-3410-12-256-paramSetB (1.2.643.7.1.2.1.1.2), the CryptoPro-A curve.
    Tc26_256B,
    /// id-tc26-gost-3410-12-256-paramSetC (1.2.643.7.1.2.1.1.3), the CryptoPro-B curve.
    Tc26_256C,
    /// id-tc26-gost-3410-12-256-paramSetD (1.2.643.7.1.2.1.1.4), the CryptoPro-C curve.
    Tc26_256D,
    /// id-tc26-gost-3410-12-512-paramSetA (1.2.643.7.1.2.1.2.1).
    Tc26_512A,
    /// id-tc26-gost-3410-12-512-paramSetB (1.2.643.7.1.2.1.2.2).
    Tc26_512B,
    /// id-tc26-gost-3410-12-512-paramSetC (1.2.643.7.1.2.1.2.3), twisted Edwards curve, cofactor 4.
    Tc26_512C,
    /// id-GostR3410-2001-CryptoPro-A-ParamSet (1.2.643.2.2.35.1).
    CryptoProA,
    /// id-GostR3410-2001-CryptoPro-B-ParamSet (1.2.643.2.2.35.2).
    CryptoProB,
    /// id-GostR3410-2001-CryptoPro-C-ParamSet (1.2.643.2.2.35.3).
    CryptoProC,
    /// id-GostR3410-2001-CryptoPro-XchA-ParamSet (1.2.643.2.2.36.0), the CryptoPro-A curve.
    CryptoProXchA,
    /// id-GostR3410-2001-CryptoPro-XchB-ParamSet (1.2.643.2.2.36.1), the CryptoPro-C curve.
    CryptoProXchB,
    /// id-GostR3410-2001-TestParamSet (1.2.643.2.2.35.0): the 256-bit curve of the
    /// worked example in ГОСТ Р 34.10-2012 appendix A.1. Not for real use.
    Test256,
    /// id-tc26-gost-3410-12-512-paramSetTest (1.2.643.7.1.2.1.2.0): the 512-bit curve of
    /// the worked example in ГОСТ Р 34.10-2012 appendix A.2. Not for real use.
    Test512,
}

impl ParamSet {
    /// Every parameter set, in declaration order.
    pub const ALL: [ParamSet; 14] = [
        ParamSet::Tc26_256A,
        ParamSet::Tc26_256B,
        ParamSet::Tc26_256C,
        ParamSet::Tc26_256D,
        ParamSet::Tc26_512A,
        ParamSet::Tc26_512B,
        ParamSet::Tc26_512C,
        ParamSet::CryptoProA,
        ParamSet::CryptoProB,
        ParamSet::CryptoProC,
        ParamSet::CryptoProXchA,
        ParamSet::CryptoProXchB,
        ParamSet::Test256,
        ParamSet::Test512,
    ];

    /// The parameter set named by a dotted OID, e.g. `"1.2.643.7.1.2.1.1.1"`.
    pub fn from_oid(oid: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|set| set.oid() == oid)
    }

    /// The dotted OID of the parameter set.
    pub fn oid(self) -> &'static str {
        match self {
            ParamSet::Tc26_256A => "1.2.643.7.1.2.1.1.1",
            ParamSet::Tc26_256B => "1.2.643.7.1.2.1.1.2",
            ParamSet::Tc26_256C => "1.2.643.7.1.2.1.1.3",
            ParamSet::Tc26_256D => "1.2.643.7.1.2.1.1.4",
            ParamSet::Tc26_512A => "1.2.643.7.1.2.1.2.1",
            ParamSet::Tc26_512B => "1.2.643.7.1.2.1.2.2",
            ParamSet::Tc26_512C => "1.2.643.7.1.2.1.2.3",
            ParamSet::CryptoProA => "1.2.643.2.2.35.1",
            ParamSet::CryptoProB => "1.2.643.2.2.35.2",
            ParamSet::CryptoProC => "1.2.643.2.2.35.3",
            ParamSet::CryptoProXchA => "1.2.643.2.2.36.0",
            ParamSet::CryptoProXchB => "1.2.643.2.2.36.1",
            ParamSet::Test256 => "1.2.643.2.2.35.0",
            ParamSet::Test512 => "1.2.643.7.1.2.1.2.0",
        }
    }

    /// Key size in bits: 256 or 512. Signatures are `bits / 4` bytes long,
    /// public keys `bits / 4` bytes (`X ‖ Y`), digests `bits / 8` bytes.
    pub fn bits(self) -> usize {
        self.curve_id().bits()
    }

    /// The cofactor of the curve: 4 for the twisted Edwards sets
    /// (tc26-256-A, tc26-512-C), 1 otherwise.
    pub fn cofactor(self) -> u32 {
        self.curve().cofactor
    }

    /// Whether SubjectPublicKeyInfo parameters carry the digest OID after the
    /// curve OID. RFC 9215 section 4 and the OpenSSL engine include it for the
    /// CryptoPro and test 256-bit sets and the test, A and B 512-bit sets, and
    /// leave it out for tc26-256-A…D and tc26-512-C.
    pub(crate) fn spki_has_digest(self) -> bool {
        !matches!(
            self,
            ParamSet::Tc26_256A | ParamSet::Tc26_256B | ParamSet::Tc26_256C | ParamSet::Tc26_256D | ParamSet::Tc26_512C
        )
    }

    fn curve_id(self) -> CurveId {
        match self {
            ParamSet::Tc26_256A => CurveId::Tc26_256A,
            ParamSet::Tc26_256B | ParamSet::CryptoProA | ParamSet::CryptoProXchA => CurveId::CryptoProA,
            ParamSet::Tc26_256C | ParamSet::CryptoProB => CurveId::CryptoProB,
            ParamSet::Tc26_256D | ParamSet::CryptoProC | ParamSet::CryptoProXchB => CurveId::CryptoProC,
            ParamSet::Test256 => CurveId::Test256,
            ParamSet::Tc26_512A => CurveId::Tc26_512A,
            ParamSet::Tc26_512B => CurveId::Tc26_512B,
            ParamSet::Tc26_512C => CurveId::Tc26_512C,
            ParamSet::Test512 => CurveId::Test512,
        }
    }

    /// The curve behind the parameter set; built once per curve.
    pub(crate) fn curve(self) -> &'static Curve {
        static CURVES: [OnceLock<Curve>; CurveId::COUNT] = [const { OnceLock::new() }; CurveId::COUNT];
        let id = self.curve_id();
        CURVES[id as usize].get_or_init(|| Curve::new(id))
    }
}

impl std::fmt::Display for ParamSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.oid())
    }
}

/// The distinct curves behind the parameter sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum CurveId {
    Test256,
    CryptoProA,
    CryptoProB,
    CryptoProC,
    Tc26_256A,
    Test512,
    Tc26_512A,
    Tc26_512B,
    Tc26_512C,
}

impl CurveId {
    const COUNT: usize = 9;

    fn bits(self) -> usize {
        match self {
            CurveId::Test256 | CurveId::CryptoProA | CurveId::CryptoProB | CurveId::CryptoProC | CurveId::Tc26_256A => {
                256
            }
            CurveId::Test512 | CurveId::Tc26_512A | CurveId::Tc26_512B | CurveId::Tc26_512C => 512,
        }
    }
}

/// Curve parameters as numbers.
#[derive(Debug)]
pub(crate) struct Curve {
    pub(crate) id: CurveId,
    /// Field prime.
    pub(crate) p: BigUint,
    pub(crate) a: BigUint,
    pub(crate) b: BigUint,
    /// Prime order of the base point.
    pub(crate) q: BigUint,
    pub(crate) gx: BigUint,
    pub(crate) gy: BigUint,
    pub(crate) cofactor: u32,
    /// Length in bytes of coordinates, scalars and each half of a signature (32 or 64).
    pub(crate) len: usize,
    /// The same curve prepared for fixed-width arithmetic (verification).
    pub(crate) fast: Fast,
}

/// Hex parameters, in the order of the engine's `R3410_ec_params`: a, b, p, q, x, y.
struct Hex {
    a: &'static str,
    b: &'static str,
    p: &'static str,
    q: &'static str,
    x: &'static str,
    y: &'static str,
    cofactor: u32,
}

impl Curve {
    fn new(id: CurveId) -> Curve {
        let h = hex_params(id);
        let num = |s: &str| BigUint::parse_bytes(s.as_bytes(), 16).expect("curve constants are valid hex");
        let (p, a, q, gx, gy) = (num(h.p), num(h.a), num(h.q), num(h.x), num(h.y));
        let len = id.bits() / 8;
        let fast = Fast::new(len, &p, &a, &q, &gx, &gy).expect("curve constants fit the fixed-width arithmetic");
        Curve { id, p, a, b: num(h.b), q, gx, gy, cofactor: h.cofactor, len, fast }
    }
}

fn hex_params(id: CurveId) -> Hex {
    match id {
        // ГОСТ Р 34.10-2012 appendix A.1 / id-GostR3410-2001-TestParamSet.
        CurveId::Test256 => Hex {
            a: "7",
            b: "5FBFF498AA938CE739B8E022FBAFEF40563F6E6A3472FC2A514C0CE9DAE23B7E",
            p: "8000000000000000000000000000000000000000000000000000000000000431",
            q: "8000000000000000000000000000000150FE8A1892976154C59CFC193ACCF5B3",
            x: "2",
            y: "08E2A8A0E65147D4BD6316030E16D19C85C97F0A9CA267122B96ABBCEA7E8FC8",
            cofactor: 1,
        },
        CurveId::CryptoProA => Hex {
            a: "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFD94",
            b: "A6",
            p: "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFD97",
            q: "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF6C611070995AD10045841B09B761B893",
            x: "1",
            y: "8D91E471E0989CDA27DF505A453F2B7635294F2DDF23E3B122ACC99C9E9F1E14",
            cofactor: 1,
        },
        CurveId::CryptoProB => Hex {
            a: "8000000000000000000000000000000000000000000000000000000000000C96",
            b: "3E1AF419A269A5F866A7D3C25C3DF80AE979259373FF2B182F49D4CE7E1BBC8B",
            p: "8000000000000000000000000000000000000000000000000000000000000C99",
            q: "800000000000000000000000000000015F700CFFF1A624E5E497161BCC8A198F",
            x: "1",
            y: "3FA8124359F96680B83D1C3EB2C070E5C545C9858D03ECFB744BF8D717717EFC",
            cofactor: 1,
        },
        CurveId::CryptoProC => Hex {
            a: "9B9F605F5A858107AB1EC85E6B41C8AACF846E86789051D37998F7B9022D7598",
            b: "805A",
            p: "9B9F605F5A858107AB1EC85E6B41C8AACF846E86789051D37998F7B9022D759B",
            q: "9B9F605F5A858107AB1EC85E6B41C8AA582CA3511EDDFB74F02F3A6598980BB9",
            x: "0",
            y: "41ECE55743711A8C3CBF3783CD08C0EE4D4DC440D4641A8F366E550DFDB3BB67",
            cofactor: 1,
        },
        CurveId::Tc26_256A => Hex {
            a: "C2173F1513981673AF4892C23035A27CE25E2013BF95AA33B22C656F277E7335",
            b: "295F9BAE7428ED9CCC20E7C359A9D41A22FCCD9108E17BF7BA9337A6F8AE9513",
            p: "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFD97",
            q: "400000000000000000000000000000000FD8CDDFC87B6635C115AF556C360C67",
            x: "91E38443A5E82C0D880923425712B2BB658B9196932E02C78B2582FE742DAA28",
            y: "32879423AB1A0375895786C4BB46E9565FDE0B5344766740AF268ADB32322E5C",
            cofactor: 4,
        },
        // ГОСТ Р 34.10-2012 appendix A.2 / id-tc26-gost-3410-12-512-paramSetTest.
        CurveId::Test512 => Hex {
            a: "7",
            b: "1CFF0806A31116DA29D8CFA54E57EB748BC5F377E49400FDD788B649ECA1AC43\
                61834013B2AD7322480A89CA58E0CF74BC9E540C2ADD6897FAD0A3084F302ADC",
            p: "4531ACD1FE0023C7550D267B6B2FEE80922B14B2FFB90F04D4EB7C09B5D2D15D\
                F1D852741AF4704A0458047E80E4546D35B8336FAC224DD81664BBF528BE6373",
            q: "4531ACD1FE0023C7550D267B6B2FEE80922B14B2FFB90F04D4EB7C09B5D2D15D\
                A82F2D7ECB1DBAC719905C5EECC423F1D86E25EDBE23C595D644AAF187E6E6DF",
            x: "24D19CC64572EE30F396BF6EBBFD7A6C5213B3B3D7057CC825F91093A68CD762\
                FD60611262CD838DC6B60AA7EEE804E28BC849977FAC33B4B530F1B120248A9A",
            y: "2BB312A43BD2CE6E0D020613C857ACDDCFBF061E91E5F2C3F32447C259F39B2C\
                83AB156D77F1496BF7EB3351E1EE4E43DC1A18B91B24640B6DBB92CB1ADD371E",
            cofactor: 1,
        },
        CurveId::Tc26_512A => Hex {
            a: "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF\
                FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFDC4",
            b: "E8C2505DEDFC86DDC1BD0B2B6667F1DA34B82574761CB0E879BD081CFD0B6265\
                EE3CB090F30D27614CB4574010DA90DD862EF9D4EBEE4761503190785A71C760",
            p: "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF\
                FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFDC7",
            q: "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF\
                27E69532F48D89116FF22B8D4E0560609B4B38ABFAD2B85DCACDB1411F10B275",
            x: "3",
            y: "7503CFE87A836AE3A61B8816E25450E6CE5E1C93ACF1ABC1778064FDCBEFA921\
                DF1626BE4FD036E93D75E6A50E3A41E98028FE5FC235F5B889A589CB5215F2A4",
            cofactor: 1,
        },
        CurveId::Tc26_512B => Hex {
            a: "8000000000000000000000000000000000000000000000000000000000000000\
                000000000000000000000000000000000000000000000000000000000000006C",
            b: "687D1B459DC841457E3E06CF6F5E2517B97C7D614AF138BCBF85DC806C4B289F\
                3E965D2DB1416D217F8B276FAD1AB69C50F78BEE1FA3106EFB8CCBC7C5140116",
            p: "8000000000000000000000000000000000000000000000000000000000000000\
                000000000000000000000000000000000000000000000000000000000000006F",
            q: "8000000000000000000000000000000000000000000000000000000000000001\
                49A1EC142565A545ACFDB77BD9D40CFA8B996712101BEA0EC6346C54374F25BD",
            x: "2",
            y: "1A8F7EDA389B094C2C071E3647A8940F3C123B697578C213BE6DD9E6C8EC7335\
                DCB228FD1EDF4A39152CBCAAF8C0398828041055F94CEEEC7E21340780FE41BD",
            cofactor: 1,
        },
        CurveId::Tc26_512C => Hex {
            a: "DC9203E514A721875485A529D2C722FB187BC8980EB866644DE41C68E1430645\
                46E861C0E2C9EDD92ADE71F46FCF50FF2AD97F951FDA9F2A2EB6546F39689BD3",
            b: "B4C4EE28CEBC6C2C8AC12952CF37F16AC7EFB6A9F69F4B57FFDA2E4F0DE5ADE0\
                38CBC2FFF719D2C18DE0284B8BFEF3B52B8CC7A5F5BF0A3C8D2319A5312557E1",
            p: "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF\
                FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFDC7",
            q: "3FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF\
                C98CDBA46506AB004C33A9FF5147502CC8EDA9E7A769A12694623CEF47F023ED",
            x: "E2E31EDFC23DE7BDEBE241CE593EF5DE2295B7A9CBAEF021D385F7074CEA043A\
                A27272A7AE602BF2A7B9033DB9ED3610C6FB85487EAE97AAC5BC7928C1950148",
            y: "F5CE40D95B5EB899ABBCCFF5911CB8577939804D6527378B8C108C3D2090FF9B\
                E18E2D33E3021ED2EF32D85822423B6304F726AA854BAE07D0396E9A9ADDC40F",
            cofactor: 4,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::point::Affine;

    #[test]
    fn oids_round_trip_and_are_unique() {
        for set in ParamSet::ALL {
            assert_eq!(ParamSet::from_oid(set.oid()), Some(set));
        }
        let mut oids: Vec<_> = ParamSet::ALL.iter().map(|s| s.oid()).collect();
        oids.sort_unstable();
        oids.dedup();
        assert_eq!(oids.len(), ParamSet::ALL.len());
        assert_eq!(ParamSet::from_oid("1.2.643.2.2.35.4"), None);
        assert_eq!(ParamSet::from_oid(""), None);
    }

    #[test]
    fn aliases_share_curves() {
        assert!(std::ptr::eq(ParamSet::CryptoProA.curve(), ParamSet::Tc26_256B.curve()));
        assert!(std::ptr::eq(ParamSet::CryptoProA.curve(), ParamSet::CryptoProXchA.curve()));
        assert!(std::ptr::eq(ParamSet::CryptoProB.curve(), ParamSet::Tc26_256C.curve()));
        assert!(std::ptr::eq(ParamSet::CryptoProC.curve(), ParamSet::Tc26_256D.curve()));
        assert!(std::ptr::eq(ParamSet::CryptoProC.curve(), ParamSet::CryptoProXchB.curve()));
        assert!(!std::ptr::eq(ParamSet::CryptoProA.curve(), ParamSet::Tc26_256A.curve()));
    }

    /// Every base point lies on its curve and has order q; p and q have the
    /// advertised size (for q: at least 2^(bits-2), as for the cofactor-4 sets).
    #[test]
    fn curve_constants_are_consistent() {
        for set in ParamSet::ALL {
            let c = set.curve();
            let bits = set.bits() as u64;
            assert!(c.p.bits() <= bits && c.p.bits() > bits - 2, "{set:?}: p size");
            assert!(c.q.bits() <= bits && c.q.bits() > bits - 3, "{set:?}: q size");
            let g = Affine { x: c.gx.clone(), y: c.gy.clone() };
            assert!(c.is_on_curve(&g), "{set:?}: G not on curve");
            assert!(c.mul(&g, &c.q).is_none(), "{set:?}: q·G ≠ O");
            assert!(c.mul(&g, &(&c.q - 1u32)).is_some(), "{set:?}: (q-1)·G = O");
            // Hasse bound: the curve order h·q is close to p.
            let order = &c.q * c.cofactor;
            let diff = if order > c.p { &order - &c.p } else { &c.p - &order };
            assert!(diff.bits() <= bits / 2 + 2, "{set:?}: h·q far from p");
        }
    }
}
