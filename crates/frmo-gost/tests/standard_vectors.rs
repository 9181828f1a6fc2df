//! The worked examples of ГОСТ Р 34.10-2012, appendix A (reproduced in RFC 7091
//! section 7): A.1 on the 256-bit test curve, A.2 on the 512-bit test curve.
//!
//! The standard prints all numbers big-endian. The digest argument of this
//! crate is in Streebog byte order, read as a little-endian integer, so `e` is
//! passed reversed.

mod common;

use common::{hex, hex_le, one_bit_flips};
use frmo_gost::{GostError, ParamSet, PrivateKey, PublicKey};

struct Example {
    set: ParamSet,
    d: &'static str,
    qx: &'static str,
    qy: &'static str,
    e: &'static str,
    k: &'static str,
    r: &'static str,
    s: &'static str,
}

const A1: Example = Example {
    set: ParamSet::Test256,
    d: "7A929ADE789BB9BE10ED359DD39A72C11B60961F49397EEE1D19CE9891EC3B28",
    qx: "7F2B49E270DB6D90D8595BEC458B50C58585BA1D4E9B788F6689DBD8E56FD80B",
    qy: "26F1B489D6701DD185C8413A977B3CBBAF64D1C593D26627DFFB101A87FF77DA",
    e: "2DFBC1B372D89A1188C09C52E0EEC61FCE52032AB1022E8E67ECE6672B043EE5",
    k: "77105C9B20BCD3122823C8CF6FCC7B956DE33814E95B7FE64FED924594DCEAB3",
    r: "41AA28D2F1AB148280CD9ED56FEDA41974053554A42767B83AD043FD39DC0493",
    s: "01456C64BA4642A1653C235A98A60249BCD6D3F746B631DF928014F6C5BF9C40",
};

const A2: Example = Example {
    set: ParamSet::Test512,
    d: "0BA6048AADAE241BA40936D47756D7C93091A0E8514669700EE7508E508B1020\
        72E8123B2200A0563322DAD2827E2714A2636B7BFD18AADFC62967821FA18DD4",
    qx: "115DC5BC96760C7B48598D8AB9E740D4C4A85A65BE33C1815B5C320C854621DD\
         5A515856D13314AF69BC5B924C8B4DDFF75C45415C1D9DD9DD33612CD530EFE1",
    qy: "37C7C90CD40B0F5621DC3AC1B751CFA0E2634FA0503B3D52639F5D7FB72AFD61\
         EA199441D943FFE7F0C70A2759A3CDB84C114E1F9339FDF27F35ECA93677BEEC",
    e: "3754F3CFACC9E0615C4F4A7C4D8DAB531B09B6F9C170C533A71D147035B0C591\
        7184EE536593F4414339976C647C5D5A407ADEDB1D560C4FC6777D2972075B8C",
    k: "0359E7F4B1410FEACC570456C6801496946312120B39D019D455986E364F3658\
        86748ED7A44B3E794434006011842286212273A6D14CF70EA3AF71BB1AE679F1",
    r: "2F86FA60A081091A23DD795E1E3C689EE512A3C82EE0DCC2643C78EEA8FCACD3\
        5492558486B20F1C9EC197C90699850260C93BCBCD9C5C3317E19344E173AE36",
    s: "1081B394696FFE8E6585E7A9362D26B6325F56778AADBC081C0BFBE933D52FF5\
        823CE288E8C4F362526080DF7F70CE406A6EEB1F56919CB92A9853BDE73E5B4A",
};

fn check_example(ex: &Example) {
    let key = PrivateKey::from_scalar(ex.set, &hex(ex.d)).expect("d from the standard is valid");

    // Q = d·P.
    let mut q_le = hex_le(ex.qx);
    q_le.extend(hex_le(ex.qy));
    let public = key.public_key();
    assert_eq!(public.to_le_bytes(), q_le, "public key of the example");
    assert_eq!(PublicKey::from_le_bytes(ex.set, &q_le).expect("Q is on the curve"), public);

    // The signature with the given k is ζ = (r, s); on the wire s ‖ r.
    let digest = hex_le(ex.e);
    let signature = key.sign_digest_with_k(&digest, &hex(ex.k)).expect("k from the standard is valid");
    let mut expected = hex(ex.s);
    expected.extend(hex(ex.r));
    assert_eq!(signature, expected, "s ‖ r of the example");

    public.verify_digest(&digest, &signature).expect("the standard's signature verifies");

    for bad in one_bit_flips(&signature) {
        assert!(public.verify_digest(&digest, &bad).is_err(), "a flipped signature bit is accepted");
    }
    for bad in one_bit_flips(&digest) {
        assert_eq!(public.verify_digest(&bad, &signature), Err(GostError::SignatureMismatch));
    }
    // Another key does not verify it either.
    let other = PrivateKey::from_scalar(ex.set, &[7]).expect("valid").public_key();
    assert_eq!(other.verify_digest(&digest, &signature), Err(GostError::SignatureMismatch));
}

#[test]
fn appendix_a1_256_bit_example() {
    check_example(&A1);
}

#[test]
fn appendix_a2_512_bit_example() {
    check_example(&A2);
}

#[test]
fn out_of_range_signatures_and_nonces_are_rejected() {
    let key = PrivateKey::from_scalar(A1.set, &hex(A1.d)).expect("valid");
    let public = key.public_key();
    let digest = hex_le(A1.e);
    let q = hex("8000000000000000000000000000000150FE8A1892976154C59CFC193ACCF5B3");

    assert_eq!(key.sign_digest_with_k(&digest, &[0]), Err(GostError::InvalidNonce));
    assert_eq!(key.sign_digest_with_k(&digest, &q), Err(GostError::InvalidNonce));

    // s ‖ r with s = 0, with r = 0, with r = q.
    let good = key.sign_digest_with_k(&digest, &hex(A1.k)).expect("valid");
    let mut zero_s = good.clone();
    zero_s[..32].fill(0);
    let mut zero_r = good.clone();
    zero_r[32..].fill(0);
    let mut big_r = good[..32].to_vec();
    big_r.extend(&q);
    for bad in [zero_s, zero_r, big_r] {
        assert_eq!(public.verify_digest(&digest, &bad), Err(GostError::MalformedSignature));
    }

    assert_eq!(
        public.verify_digest(&digest, &good[..63]),
        Err(GostError::SignatureLength { expected: 64, actual: 63 })
    );
    assert_eq!(public.verify_digest(&digest[..31], &good), Err(GostError::DigestLength { expected: 32, actual: 31 }));
}

/// e = α mod q, and e = 0 is replaced by 1: the digests 0, 1 and q all give
/// e = 1, so one signature verifies for all three and for no other.
#[test]
fn zero_digest_becomes_one() {
    let key = PrivateKey::from_scalar(A1.set, &hex(A1.d)).expect("valid");
    let public = key.public_key();
    let zero = [0u8; 32];
    let mut one = [0u8; 32];
    one[0] = 1;
    let q_le = hex_le("8000000000000000000000000000000150FE8A1892976154C59CFC193ACCF5B3");
    let mut two = [0u8; 32];
    two[0] = 2;

    let signature = key.sign_digest_with_k(&zero, &hex(A1.k)).expect("valid");
    assert_eq!(key.sign_digest_with_k(&one, &hex(A1.k)).expect("valid"), signature);
    for digest in [&zero[..], &one[..], &q_le[..]] {
        public.verify_digest(digest, &signature).expect("e = 1");
    }
    assert_eq!(public.verify_digest(&two, &signature), Err(GostError::SignatureMismatch));
}

#[test]
fn random_signatures_round_trip_on_every_curve() {
    for set in ParamSet::ALL {
        let key = PrivateKey::generate(set).expect("OS RNG works");
        let public = key.public_key();
        assert_eq!(public.param_set(), set);
        let message = format!("сообщение для {set:?}");
        let first = key.sign(message.as_bytes());
        let second = key.sign(message.as_bytes());
        assert_eq!(first.len(), set.bits() / 4);
        assert_ne!(first, second, "{set:?}: nonces must differ");
        public.verify(message.as_bytes(), &first).expect("own signature verifies");
        public.verify(message.as_bytes(), &second).expect("own signature verifies");
        assert_eq!(public.verify(b"another message", &first), Err(GostError::SignatureMismatch));
        // The key survives an SPKI round trip.
        assert_eq!(PublicKey::from_spki_der(&public.to_spki_der()).expect("own SPKI parses"), public);
        assert_eq!(PublicKey::from_pem(&public.to_pem()).expect("own PEM parses"), public);
    }
}
