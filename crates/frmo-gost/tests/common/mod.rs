//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

/// The fixture keys made by `tests/fixtures/make.sh`, with the parameter set
/// each was generated with.
pub const FIXTURES: [(&str, frmo_gost::ParamSet); 5] = [
    ("gost256-a", frmo_gost::ParamSet::CryptoProA),
    ("gost256-tca", frmo_gost::ParamSet::Tc26_256A),
    ("gost256-xb", frmo_gost::ParamSet::CryptoProXchB),
    ("gost512-a", frmo_gost::ParamSet::Tc26_512A),
    ("gost512-c", frmo_gost::ParamSet::Tc26_512C),
];

pub fn fixture_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

pub fn fixture(name: &str) -> Vec<u8> {
    let path = fixture_path(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

pub fn fixture_text(name: &str) -> String {
    String::from_utf8(fixture(name)).expect("fixture is UTF-8")
}

/// Bytes of a hex string (whitespace ignored).
pub fn hex(s: &str) -> Vec<u8> {
    let digits: Vec<u8> =
        s.chars().filter(|c| !c.is_whitespace()).map(|c| c.to_digit(16).expect("hex digit") as u8).collect();
    assert!(digits.len().is_multiple_of(2), "odd number of hex digits");
    digits.chunks(2).map(|pair| pair[0] << 4 | pair[1]).collect()
}

/// Bytes of a hex number, reversed: the little-endian form of a number the
/// standard prints big-endian.
pub fn hex_le(s: &str) -> Vec<u8> {
    let mut bytes = hex(s);
    bytes.reverse();
    bytes
}

/// Every variant of `data` with one bit flipped, taking one bit per byte (the
/// bit position cycles through 0..8) so that every byte is touched.
pub fn one_bit_flips(data: &[u8]) -> impl Iterator<Item = Vec<u8>> + '_ {
    (0..data.len()).map(move |i| {
        let mut copy = data.to_vec();
        copy[i] ^= 1 << (i % 8);
        copy
    })
}
