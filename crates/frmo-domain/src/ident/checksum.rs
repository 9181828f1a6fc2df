//! The check-digit rules, shared by the parsers and by anything that builds numbers.

/// Weighted sum mod 11, then mod 10: the rule of ИНН check digits.
pub fn inn_check(digits: &[u32], weights: &[u32]) -> u32 {
    digits.iter().zip(weights).map(|(d, w)| d * w).sum::<u32>() % 11 % 10
}

pub const INN10_WEIGHTS: [u32; 9] = [2, 4, 10, 3, 5, 9, 4, 6, 8];
pub const INN12_WEIGHTS_11: [u32; 10] = [7, 2, 4, 10, 3, 5, 9, 4, 6, 8];
pub const INN12_WEIGHTS_12: [u32; 11] = [3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8];

/// ОГРН (modulus 11) and ОГРНИП (modulus 13): the body as a number mod m, then mod 10.
pub fn ogrn_check(body: u64, modulus: u64) -> u32 {
    (body % modulus % 10) as u32
}

/// СНИЛС: Σ digit·(9 − i); below 100 it is the check, 100/101 give 00, above that mod 101 (100 → 00).
pub fn snils_check(first9: &[u32]) -> u32 {
    let sum: u32 = first9.iter().enumerate().map(|(i, d)| d * (9 - i as u32)).sum();
    let rest = if sum > 101 { sum % 101 } else { sum };
    if rest == 100 || rest == 101 { 0 } else { rest }
}

/// Settlement account control key: the last three digits of the БИК followed by the 20 account
/// digits, weighted 7,1,3 repeating; the sum must end in 0.
pub fn account_key_ok(bik_last3: &[u32], account: &[u32]) -> bool {
    const WEIGHTS: [u32; 3] = [7, 1, 3];
    bik_last3.iter().chain(account).enumerate().map(|(i, d)| d * WEIGHTS[i % 3]).sum::<u32>() % 10 == 0
}
