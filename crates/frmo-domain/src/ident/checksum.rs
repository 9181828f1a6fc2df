//! The check-digit rules, shared by the parsers and by anything that builds numbers (the seed
//! generator). Pure functions, no randomness; each rule is written once, here.
//!
//! Digits are passed as their values (0–9), not as ASCII. Values above 9 are not rejected: the
//! functions never panic, they just compute a meaningless result.

/// Weighted sum mod 11, then mod 10: the rule of ИНН check digits.
pub fn inn_check(digits: &[u32], weights: &[u32]) -> u32 {
    digits.iter().zip(weights).map(|(d, w)| d * w).sum::<u32>() % 11 % 10
}

pub const INN10_WEIGHTS: [u32; 9] = [2, 4, 10, 3, 5, 9, 4, 6, 8];
pub const INN12_WEIGHTS_11: [u32; 10] = [7, 2, 4, 10, 3, 5, 9, 4, 6, 8];
pub const INN12_WEIGHTS_12: [u32; 11] = [3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8];

/// The 10th digit of a legal entity's ИНН from its first nine.
pub fn inn10_check_digit(first9: &[u8; 9]) -> u8 {
    narrow(inn_check(&first9.map(u32::from), &INN10_WEIGHTS))
}

/// The 11th and 12th digits of a person's (or ИП's) ИНН from its first ten; the 12th is computed
/// over the first ten digits followed by the 11th.
pub fn inn12_check_digits(first10: &[u8; 10]) -> (u8, u8) {
    let mut d = [0u32; 11];
    for (to, from) in d.iter_mut().zip(first10) {
        *to = u32::from(*from);
    }
    d[10] = inn_check(&d[..10], &INN12_WEIGHTS_11);
    (narrow(d[10]), narrow(inn_check(&d, &INN12_WEIGHTS_12)))
}

/// ОГРН (modulus 11) and ОГРНИП (modulus 13): the body as a number mod m, then mod 10.
pub fn ogrn_check(body: u64, modulus: u64) -> u32 {
    // `checked_rem` keeps a zero modulus from panicking; no caller passes one.
    (body.checked_rem(modulus).unwrap_or(0) % 10) as u32
}

/// The 13th digit of an ОГРН from the number formed by its first twelve digits.
pub fn ogrn_check_digit(first12: u64) -> u8 {
    narrow(ogrn_check(first12, 11))
}

/// The 15th digit of an ОГРНИП from the number formed by its first fourteen digits.
pub fn ogrnip_check_digit(first14: u64) -> u8 {
    narrow(ogrn_check(first14, 13))
}

/// СНИЛС numbers up to and including 001-001-998 were issued without a meaningful check number.
pub const SNILS_FIRST_CHECKED: u32 = 1_001_999;

/// The СНИЛС check number (0–99) of the number formed by the first nine digits (only the last
/// nine decimal digits of `first9` are used): Σ digit·(9 − i) over the digits from the left; below
/// 100 that is the check, 100 and 101 give 00, above 101 the sum mod 101 (where 100 again gives 00).
pub fn snils_check(first9: u32) -> u8 {
    let mut rest = first9 % 1_000_000_000;
    let mut sum = 0;
    // Rightmost digit has weight 1, leftmost weight 9.
    for weight in 1..=9 {
        sum += rest % 10 * weight;
        rest /= 10;
    }
    let check = if sum > 101 { sum % 101 } else { sum };
    if check >= 100 { 0 } else { narrow(check) }
}

/// Settlement account control key: the last three digits of the БИК followed by the 20 account
/// digits, weighted 7,1,3 repeating; the sum must end in 0.
pub fn account_key_ok(bik_last3: &[u32], account: &[u32]) -> bool {
    const WEIGHTS: [u32; 3] = [7, 1, 3];
    bik_last3.iter().chain(account).enumerate().map(|(i, d)| d * WEIGHTS[i % 3]).sum::<u32>() % 10 == 0
}

/// The control key (9th digit) that makes `account` valid with this БИК; whatever `account`
/// holds at the key position is ignored. The key sits at position 11 of the 23 digits, weight 3,
/// and 3·k mod 10 takes every value once, so exactly one key fits.
pub fn account_key(bik_last3: &[u8; 3], account: &[u8; 20]) -> u8 {
    let mut d = [0u32; 23];
    for (to, from) in d.iter_mut().zip(bik_last3.iter().chain(account)) {
        *to = u32::from(*from);
    }
    (0..10u8)
        .find(|key| {
            d[11] = u32::from(*key);
            account_key_ok(&d[..3], &d[3..])
        })
        .unwrap_or(0)
}

/// Check digits are below 100 by construction.
fn narrow(value: u32) -> u8 {
    u8::try_from(value).unwrap_or(u8::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_numbers() {
        // ИНН 6317006620, ОГРН 1026301420716 (Медицинский университет «Реавиз»).
        assert_eq!(inn10_check_digit(&[6, 3, 1, 7, 0, 0, 6, 6, 2]), 0);
        assert_eq!(ogrn_check_digit(102_630_142_071), 6);
        // A СНИЛС from the Пенсионный фонд's description of the rule: 112-233-445 95.
        assert_eq!(snils_check(112_233_445), 95);
    }

    #[test]
    fn snils_sums_of_100_and_101_give_00() {
        // 9·9 + 2·8 + 3·1 = 100, then 101, then 102 → 102 mod 101 = 1.
        assert_eq!(snils_check(920_000_003), 0);
        assert_eq!(snils_check(920_000_004), 0);
        assert_eq!(snils_check(920_000_005), 1);
        assert_eq!(snils_check(0), 0);
    }

    #[test]
    fn account_key_completes_accounts() {
        let bik = [2, 2, 5];
        let mut account = [4, 0, 7, 0, 2, 8, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5];
        account[8] = account_key(&bik, &account);
        let values = |d: &[u8]| d.iter().map(|d| u32::from(*d)).collect::<Vec<_>>();
        assert!(account_key_ok(&values(&bik), &values(&account)));
    }
}
