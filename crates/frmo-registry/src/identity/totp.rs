//! Time-based one-time passwords (RFC 6238: HMAC-SHA1, 30-second steps, 6 digits — what every
//! authenticator app speaks) and the enrolment QR code as SVG.

use hmac::{Hmac, Mac};
use sha1::Sha1;

const STEP: i64 = 30;
const DIGITS: u32 = 6;

/// The code for a secret at a time.
pub fn code(secret: &[u8], unix_seconds: i64) -> String {
    let counter = (unix_seconds.div_euclid(STEP)) as u64;
    let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(secret) else { return String::new() };
    mac.update(&counter.to_be_bytes());
    let hash = mac.finalize().into_bytes();
    let offset = usize::from(hash[19] & 0x0f);
    let binary = u32::from_be_bytes([hash[offset] & 0x7f, hash[offset + 1], hash[offset + 2], hash[offset + 3]]);
    format!("{:0width$}", binary % 10u32.pow(DIGITS), width = DIGITS as usize)
}

/// Whether `given` is the code of now or of the step before or after (clock drift).
pub fn verify(secret: &[u8], given: &str, unix_seconds: i64) -> bool {
    verify_step(secret, given, unix_seconds).is_some()
}

/// The time-step whose code `given` is (now, or one step before or after for clock drift): the
/// caller records it so that the code is accepted once. Every candidate is compared, in constant
/// time, whichever matches.
pub fn verify_step(secret: &[u8], given: &str, unix_seconds: i64) -> Option<i64> {
    let given = given.trim().replace(' ', "");
    if given.len() != DIGITS as usize {
        return None;
    }
    [-STEP, 0, STEP].iter().fold(None, |found, drift| {
        let matches = constant_time_eq(code(secret, unix_seconds + drift).as_bytes(), given.as_bytes());
        if matches { Some((unix_seconds + drift).div_euclid(STEP)) } else { found }
    })
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// RFC 4648 base32 without padding, as authenticator apps take secrets.
pub fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::new();
    let (mut buffer, mut bits) = (0u32, 0u32);
    for &byte in bytes {
        buffer = (buffer << 8) | u32::from(byte);
        bits += 8;
        while bits >= 5 {
            out.push(char::from(ALPHABET[((buffer >> (bits - 5)) & 31) as usize]));
            bits -= 5;
        }
    }
    if bits > 0 {
        out.push(char::from(ALPHABET[((buffer << (5 - bits)) & 31) as usize]));
    }
    out
}

pub fn from_base32(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let (mut buffer, mut bits) = (0u32, 0u32);
    for c in text.trim_end_matches('=').bytes() {
        let value = match c {
            b'A'..=b'Z' => c - b'A',
            b'2'..=b'7' => c - b'2' + 26,
            _ => return None,
        };
        buffer = (buffer << 5) | u32::from(value);
        bits += 5;
        if bits >= 8 {
            out.push((buffer >> (bits - 8)) as u8);
            bits -= 8;
        }
    }
    Some(out)
}

/// The `otpauth://` address an authenticator app reads from the QR code.
pub fn otpauth_url(issuer: &str, account: &str, secret_base32: &str) -> String {
    let enc = |s: &str| {
        s.bytes()
            .map(|b| if b.is_ascii_alphanumeric() { char::from(b).to_string() } else { format!("%{b:02X}") })
            .collect::<String>()
    };
    format!(
        "otpauth://totp/{}:{}?secret={secret_base32}&issuer={}&algorithm=SHA1&digits=6&period=30",
        enc(issuer),
        enc(account),
        enc(issuer)
    )
}

/// A QR code of `text` as an SVG image (black modules on white, with the quiet zone).
pub fn qr_svg(text: &str) -> String {
    let Ok(qr) = qrcodegen::QrCode::encode_text(text, qrcodegen::QrCodeEcc::Medium) else { return String::new() };
    let size = qr.size();
    let mut path = String::new();
    for y in 0..size {
        for x in 0..size {
            if qr.get_module(x, y) {
                path.push_str(&format!("M{},{}h1v1h-1z", x + 4, y + 4));
            }
        }
    }
    let total = size + 8;
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {total} {total}\" width=\"240\" height=\"240\" \
         role=\"img\" aria-label=\"QR-код для приложения-аутентификатора\"><rect width=\"100%\" height=\"100%\" \
         fill=\"#fff\"/><path d=\"{path}\" fill=\"#000\"/></svg>"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_6238_sha1_vectors() {
        // RFC 6238 appendix B (the 8-digit values; the last 6 digits are the 6-digit code).
        let secret = b"12345678901234567890";
        for (time, expected) in [
            (59, "94287082"),
            (1111111109, "07081804"),
            (1111111111, "14050471"),
            (1234567890, "89005924"),
            (2000000000, "69279037"),
            (20000000000, "65353130"),
        ] {
            assert_eq!(code(secret, time), expected[2..], "t = {time}");
        }
    }

    #[test]
    fn verify_accepts_one_step_of_drift_only() {
        let secret = b"12345678901234567890";
        let now = 1_700_000_000;
        assert!(verify(secret, &code(secret, now - 30), now));
        assert!(!verify(secret, &code(secret, now - 90), now));
        assert!(!verify(secret, "12345", now));
        let step = now.div_euclid(30);
        assert_eq!(verify_step(secret, &code(secret, now - 30), now), Some(step - 1));
        assert_eq!(verify_step(secret, &code(secret, now), now), Some(step));
        assert_eq!(verify_step(secret, &code(secret, now + 30), now), Some(step + 1));
    }

    #[test]
    fn base32_round_trips() {
        assert_eq!(base32(b"foobar"), "MZXW6YTBOI");
        assert_eq!(from_base32("MZXW6YTBOI").as_deref(), Some(&b"foobar"[..]));
        assert!(qr_svg("otpauth://totp/x").starts_with("<svg"));
    }
}
