//! Identifier rules: real values, exact Russian messages, and properties over generated numbers.
//!
//! The "one changed digit" properties do not ask the checksum functions whether a change is
//! detectable: they recompute the weighted sums here and assert only what follows mathematically.

use frmo_domain::error::ValidationError;
use frmo_domain::ident::checksum::{
    SNILS_FIRST_CHECKED, account_key, account_key_ok, inn10_check_digit, inn12_check_digits, ogrn_check_digit,
    ogrnip_check_digit, snils_check,
};
use frmo_domain::ident::{
    Bik, DepartmentOid, Inn, Kpp, Ogrn, Ogrnip, OrgOid, PostIndex, RegionCode, SettlementAccount, Snils, SubdivisionOid,
};
use proptest::prelude::*;

// ---------------------------------------------------------------- generators of valid numbers

fn digits<const N: usize>(n: u64) -> [u8; N] {
    let mut out = [0u8; N];
    let mut rest = n;
    for slot in out.iter_mut().rev() {
        *slot = (rest % 10) as u8;
        rest /= 10;
    }
    out
}

fn text(d: &[u8]) -> String {
    d.iter().map(|d| char::from(b'0' + d)).collect()
}

fn values(text: &str) -> Vec<u8> {
    text.bytes().map(|b| b - b'0').collect()
}

fn inn10(body: u64) -> String {
    let first9 = digits::<9>(body);
    format!("{}{}", text(&first9), inn10_check_digit(&first9))
}

fn inn12(body: u64) -> String {
    let first10 = digits::<10>(body);
    let (c11, c12) = inn12_check_digits(&first10);
    format!("{}{c11}{c12}", text(&first10))
}

fn ogrn(body: u64) -> String {
    format!("{body:012}{}", ogrn_check_digit(body))
}

fn ogrnip(body: u64) -> String {
    format!("{body:014}{}", ogrnip_check_digit(body))
}

fn snils(body: u32) -> String {
    format!("{body:09}{:02}", snils_check(body))
}

fn account(bik: &Bik, body: u64) -> String {
    let bik_last3: [u8; 3] = digits(bik.as_str()[6..].parse().expect("digits"));
    let mut d = digits::<20>(body);
    d[8] = account_key(&bik_last3, &d);
    text(&d)
}

/// Changes digit `pos` by `delta` (1–9, mod 10): never leaves it equal.
fn change(number: &str, pos: usize, delta: u8) -> String {
    let mut d = values(number);
    d[pos] = (d[pos] + delta) % 10;
    text(&d)
}

fn weighted(d: &[u8], weights: &[u32]) -> u32 {
    d.iter().zip(weights).map(|(d, w)| u32::from(*d) * w).sum()
}

fn number(d: &[u8]) -> u64 {
    d.iter().fold(0, |n, d| n * 10 + u64::from(*d))
}

fn message(error: ValidationError) -> String {
    error.to_string()
}

// ---------------------------------------------------------------- real values and messages

#[test]
fn real_values_parse() {
    // Медицинский университет «Реавиз» (parusrx Frmo.API.http).
    assert!(Inn::parse("6317006620").expect("real ИНН").is_legal_entity());
    assert_eq!(Ogrn::parse("1026301420716").expect("real ОГРН").as_str(), "1026301420716");
    assert_eq!(Kpp::parse("631501001").expect("real КПП").as_str(), "631501001");
    assert_eq!(Kpp::parse("7701AB001").expect("letters in the reason").as_str(), "7701AB001");
    let oid = OrgOid::parse("1.2.643.5.1.13.13.12.2.78.6258").expect("real OID");
    assert_eq!((oid.kind(), oid.region().code(), oid.number()), (2, 78, 6258));
    assert_eq!(oid.region().name(), "г. Санкт-Петербург");
    let dept = DepartmentOid::parse("1.2.643.5.1.13.13.12.2.31.2855.0.385565").expect("real department OID");
    assert_eq!((dept.org().as_str(), dept.number()), ("1.2.643.5.1.13.13.12.2.31.2855", 385_565));
    let sub = SubdivisionOid::parse("1.2.643.5.1.13.13.12.2.51.4977.0.2787.2107").expect("real subdivision OID");
    assert_eq!((sub.department().number(), sub.number()), (2787, 2107));
    let deep = SubdivisionOid::parse("1.2.643.5.1.13.13.12.2.46.4342.0.404037.678439").expect("real subdivision OID");
    assert_eq!(deep.department().org().region().name(), "Курская область");
    for real in ["1.2.643.5.1.13.13.12.2.77.7799", "1.2.643.5.1.13.13.12.2.16.1197", "1.2.643.5.1.13.13.12.1.42.202"] {
        assert_eq!(OrgOid::parse(real).expect(real).as_str(), real);
    }
}

#[test]
fn snils_forms() {
    // The example of the rule itself: 1·9 + 1·8 + 2·7 + 2·6 + 3·5 + 3·4 + 4·3 + 4·2 + 5·1 = 95.
    for form in ["112-233-445 95", "11223344595", "112-233-445-95", "112 233 445 95", "  112-233-445 95\n"] {
        let snils = Snils::parse(form).expect(form);
        assert_eq!(snils.as_str(), "11223344595");
        assert_eq!(snils.formatted(), "112-233-445 95");
    }
    for bad in ["112-233-44595", "1122-33-445 95", "112_233_445 95", "112-233-445  95", "112-233-445 9", "1122334459"] {
        assert_eq!(
            message(Snils::parse(bad).expect_err(bad)),
            "СНИЛС: должен состоять из 11 цифр: XXX-XXX-XXX YY или подряд"
        );
    }
    assert_eq!(message(Snils::parse("112-233-445 96").expect_err("check")), "СНИЛС: неверное контрольное число");
    // Numbers up to 001-001-998 carry no check number.
    assert!(Snils::parse("001-001-998 00").is_ok());
    assert!(Snils::parse("001-001-999 00").is_err());
}

#[test]
fn exact_messages_name_the_field() {
    let error = Inn::parse("6317006621").expect_err("wrong check digit");
    assert_eq!((error.field, error.label), ("inn", "ИНН"));
    assert_eq!(message(error), "ИНН: неверное контрольное число");
    let error = Ogrn::parse("1026301420717").expect_err("wrong check digit");
    assert_eq!((error.field, error.label), ("ogrn", "ОГРН"));
    assert_eq!(message(error), "ОГРН: неверное контрольное число");
    assert_eq!(message(Inn::parse("").expect_err("empty")), "ИНН: не заполнено");
    assert_eq!(message(Inn::parse("   ").expect_err("blank")), "ИНН: не заполнено");
    assert_eq!(message(Inn::parse("12345").expect_err("short")), "ИНН: должен состоять из 10 или 12 цифр");
    assert_eq!(message(Inn::parse("63170066a0").expect_err("letter")), "ИНН: должен состоять из 10 или 12 цифр");
    assert_eq!(message(Ogrn::parse("102630142071").expect_err("short")), "ОГРН: должен состоять из 13 цифр");
    assert_eq!(message(Ogrnip::parse("1").expect_err("short")), "ОГРНИП: должен состоять из 15 цифр");
    assert_eq!(Ogrnip::parse("").expect_err("empty").field, "ogrnip");
    // The first digit says what was registered: 1 or 5 a legal entity, 3 an entrepreneur.
    assert_eq!(
        message(Ogrn::parse(&ogrn(226_301_420_716)).expect_err("2 is a change record")),
        "ОГРН: у юридического лица начинается с 1 или 5, а не с 2"
    );
    assert!(Ogrn::parse(&ogrn(502_630_142_071)).is_ok());
    assert_eq!(
        message(Ogrnip::parse(&ogrnip(13_046_300_000_000)).expect_err("1 is not an ОГРНИП")),
        "ОГРНИП: начинается с 3, а не с 1"
    );
    assert!(Ogrnip::parse(&ogrnip(30_446_300_000_000)).is_ok());
    assert_eq!(message(Kpp::parse("").expect_err("empty")), "КПП: не заполнено");
    assert_eq!(Kpp::parse("63150100").expect_err("short").field, "kpp");
    assert_eq!(Kpp::parse("6315ab001").expect_err("lowercase").field, "kpp");
    assert_eq!(Kpp::parse("6315ЖЖ001").expect_err("Cyrillic").field, "kpp");
    assert_eq!(message(PostIndex::parse("44300").expect_err("short")), "Почтовый индекс: должен состоять из 6 цифр");
    assert_eq!(message(Bik::parse("123456789").expect_err("not 04")), "БИК: БИК банка в России начинается с 04");
    assert_eq!(message(Bik::parse("04452522").expect_err("short")), "БИК: должен состоять из 9 цифр");
    assert_eq!(message(RegionCode::parse("81").expect_err("merged subject")), "Регион: нет субъекта РФ с таким кодом");
    assert_eq!(RegionCode::parse("").expect_err("empty").field, "region");
    assert_eq!(message(OrgOid::parse("").expect_err("empty")), "OID: не заполнено");
    assert_eq!(message(DepartmentOid::parse(" ").expect_err("empty")), "OID: не заполнено");
    assert_eq!(
        message(OrgOid::parse("1.2.643.5.1.13.13.12.2.02.5").expect_err("leading zero")),
        "OID: код региона в OID пишется без ведущего нуля"
    );
    for bad in [
        "1.2.643.5.1.13.13.12.5.78.1",
        "1.2.643.5.1.13.13.12.0.78.1",
        "1.2.643.5.1.13.13.12.2.81.1",
        "1.2.643.5.1.13.13.12.2.100.1",
        "1.2.643.5.1.13.13.12.2.78.0",
        "1.2.643.5.1.13.13.12.2.78.01",
        "1.2.643.5.1.13.13.12.2.78.1000000",
        "1.2.643.5.1.13.13.12.2.78",
        "1.2.643.5.1.13.13.12.2.78.5.0.1",
        "1.2.643.5.1.13.13.11.2.78.5",
        "1.2.643.5.1.13.13.12.2.78.-5",
        "1.2.643.5.1.13.13.12.2.78.+5",
    ] {
        assert_eq!(OrgOid::parse(bad).expect_err(bad).field, "oid", "{bad}");
    }
    for bad in ["1.2.643.5.1.13.13.12.2.78.5.1.7", "1.2.643.5.1.13.13.12.2.78.5.0.0", "1.2.643.5.1.13.13.12.2.78.5.0"] {
        assert!(DepartmentOid::parse(bad).is_err(), "{bad}");
    }
    assert!(SubdivisionOid::parse("1.2.643.5.1.13.13.12.2.78.5.0.7").is_err());
    assert!(DepartmentOid::parse("1.2.643.5.1.13.13.12.2.51.4977.0.2787.2107").is_err());
}

#[test]
fn input_is_trimmed() {
    assert_eq!(Inn::parse(" 6317006620\t").expect("trimmed").as_str(), "6317006620");
    assert_eq!(PostIndex::parse(" 443001 ").expect("index").as_str(), "443001");
    assert_eq!(RegionCode::parse(" 7 ").expect("КБР").code(), 7);
    assert_eq!(
        OrgOid::parse(" 1.2.643.5.1.13.13.12.2.78.6258\n").expect("trimmed").as_str(),
        "1.2.643.5.1.13.13.12.2.78.6258"
    );
}

#[test]
fn regions() {
    assert_eq!(RegionCode::parse("63").expect("Самарская").name(), "Самарская область");
    assert_eq!(RegionCode::parse("7").expect("КБР"), RegionCode::parse("07").expect("КБР"));
    assert_eq!(RegionCode::parse("77").expect("Москва").name(), "г. Москва");
    assert_eq!(RegionCode::parse("7").expect("КБР").to_string(), "07");
    for (code, name) in
        [(90, "Запорожская область"), (91, "Республика Крым"), (92, "г. Севастополь"), (99, "г. Байконур")]
    {
        assert_eq!(RegionCode::from_code(code).map(RegionCode::name), Some(name));
    }
    assert_eq!(RegionCode::all().count(), 90);
    // ФРМО's spelling where it differs from НСИ 99.2.206's.
    let (adygea, moscow, samara) = (RegionCode::from_code(1), RegionCode::from_code(77), RegionCode::from_code(63));
    assert_eq!(adygea.map(RegionCode::frmo_name), Some("Республика Адыгея (Адыгея)"));
    assert_eq!(moscow.map(RegionCode::frmo_name), Some("Москва"));
    assert_eq!(samara.map(RegionCode::frmo_name), Some("Самарская область"));
    // regionId is a number in ФРМО JSON; a string is accepted on input.
    let region = RegionCode::parse("63").expect("Самарская");
    assert_eq!(serde_json::to_string(&region).expect("json"), "63");
    assert_eq!(serde_json::from_str::<RegionCode>("\"63\"").expect("string"), region);
    assert!(serde_json::from_str::<RegionCode>("81").is_err());
    // An OID region is written without a leading zero.
    let oid = OrgOid::new(2, RegionCode::parse("7").expect("КБР"), 15).expect("in range");
    assert_eq!(oid.as_str(), "1.2.643.5.1.13.13.12.2.7.15");
    assert!(OrgOid::new(5, region, 1).is_err());
    assert!(OrgOid::new(2, region, 0).is_err());
    assert!(OrgOid::new(2, region, 1_000_000).is_err());
}

#[test]
fn serde_goes_through_parse() {
    let inn: Inn = serde_json::from_str("\" 6317006620 \"").expect("trimmed on input");
    assert_eq!(serde_json::to_string(&inn).expect("json"), "\"6317006620\"");
    let error = serde_json::from_str::<Inn>("\"6317006621\"").expect_err("bad check digit");
    assert!(error.to_string().contains("ИНН: неверное контрольное число"), "{error}");
    assert!(serde_json::from_str::<Ogrn>("\"1026301420717\"").is_err());
    assert!(serde_json::from_str::<Kpp>("\"6315ab001\"").is_err());
    let snils: Snils = serde_json::from_str("\"112-233-445 95\"").expect("formatted on input");
    assert_eq!(serde_json::to_string(&snils).expect("json"), "\"11223344595\"");
    let oid: OrgOid = serde_json::from_str("\"1.2.643.5.1.13.13.12.2.78.6258\"").expect("oid");
    assert_eq!(oid.region().code(), 78);
    assert!(serde_json::from_str::<OrgOid>("\"1.2.643.5.1.13.13.12.2.78.06258\"").is_err());
    assert!(serde_json::from_str::<Inn>("6317006620").is_err(), "a number is not a string");
    let bik: Bik = "044525225".parse().expect("FromStr");
    let account = SettlementAccount::parse(&account(&bik, 4_070_281_000_000_012_345), &bik).expect("valid account");
    assert_eq!(serde_json::to_string(&account).expect("json"), format!("\"{account}\""));
}

#[test]
fn settlement_account_key_uses_the_bik() {
    let valid_keys = |bik: &Bik| -> Vec<u32> {
        (0..10).filter(|key| SettlementAccount::parse(&format!("40702810{key}00000012345"), bik).is_ok()).collect()
    };
    let sber = valid_keys(&Bik::parse("044525225").expect("bik"));
    let other = valid_keys(&Bik::parse("044525974").expect("bik"));
    assert_eq!((sber.len(), other.len()), (1, 1), "exactly one key fits each bank");
    assert_ne!(sber, other, "the key depends on the БИК");
    let bik = Bik::parse("044525225").expect("bik");
    let error = SettlementAccount::parse("4070281", &bik).expect_err("short");
    assert_eq!(message(error), "Расчётный счёт: должен состоять из 20 цифр");
    let wrong = change(&account(&bik, 4_070_281_000_000_012_345), 8, 1);
    assert_eq!(
        message(SettlementAccount::parse(&wrong, &bik).expect_err("key")),
        "Расчётный счёт: неверный контрольный ключ (проверьте счёт и БИК)"
    );
}

// ---------------------------------------------------------------- properties

const INN10_W: [u32; 9] = [2, 4, 10, 3, 5, 9, 4, 6, 8];
const INN12_W11: [u32; 10] = [7, 2, 4, 10, 3, 5, 9, 4, 6, 8];

/// Two sums mod 11 give the same check digit only if they are 0 and 10.
fn same_digit_mod_11(a: u32, b: u32) -> bool {
    a % 11 % 10 == b % 11 % 10
}

fn round_trips<T>(text: &str, parse: fn(&str) -> Result<T, ValidationError>) -> Result<(), TestCaseError>
where
    T: std::fmt::Display + std::str::FromStr<Err = ValidationError> + serde::Serialize + serde::de::DeserializeOwned,
    T: PartialEq + std::fmt::Debug,
{
    let value = parse(text).map_err(|e| TestCaseError::fail(format!("{text}: {e}")))?;
    prop_assert_eq!(value.to_string(), text);
    prop_assert_eq!(&text.parse::<T>().map_err(|e| TestCaseError::fail(e.to_string()))?, &value);
    let json = serde_json::to_string(&value).map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert_eq!(&json, &format!("\"{text}\""));
    prop_assert_eq!(serde_json::from_str::<T>(&json).map_err(|e| TestCaseError::fail(e.to_string()))?, value);
    Ok(())
}

proptest! {
    #[test]
    fn generated_numbers_parse_and_round_trip(
        inn_body in 0u64..1_000_000_000,
        inn_long in 0u64..10_000_000_000,
        // A legal entity's ОГРН starts with 1 or 5, an ОГРНИП with 3.
        ogrn_body in prop_oneof![100_000_000_000u64..200_000_000_000, 500_000_000_000u64..600_000_000_000],
        ogrnip_body in 30_000_000_000_000u64..40_000_000_000_000,
        snils_body in SNILS_FIRST_CHECKED..1_000_000_000,
        account_body in any::<u64>(),
    ) {
        round_trips(&inn10(inn_body), Inn::parse)?;
        round_trips(&inn12(inn_long), Inn::parse)?;
        prop_assert!(Inn::parse(&inn10(inn_body)).is_ok_and(|i| i.is_legal_entity()));
        prop_assert!(Inn::parse(&inn12(inn_long)).is_ok_and(|i| !i.is_legal_entity()));
        round_trips(&ogrn(ogrn_body), Ogrn::parse)?;
        round_trips(&ogrnip(ogrnip_body), Ogrnip::parse)?;
        let text = snils(snils_body);
        round_trips(&text, Snils::parse)?;
        let parsed = Snils::parse(&text).expect("valid by construction");
        prop_assert_eq!(Snils::parse(&parsed.formatted()).expect("formatted parses"), parsed);
        let bik = Bik::parse("044525225").expect("bik");
        let acc = account(&bik, account_body);
        let parsed = SettlementAccount::parse(&acc, &bik).expect("valid by construction");
        prop_assert_eq!(parsed.as_str(), acc.as_str());
        prop_assert_eq!(parsed.to_string(), acc);
    }

    /// Σ wᵢdᵢ mod 11 with every weight nonzero mod 11: one changed digit (δ ≢ 0 mod 11, 11 prime)
    /// always changes the remainder; the check digit is that remainder mod 10, so the change goes
    /// unnoticed only when the remainders are 0 and 10. A changed check digit always fails.
    #[test]
    fn one_changed_inn10_digit(body in 0u64..1_000_000_000, pos in 0usize..10, delta in 1u8..10) {
        let valid = inn10(body);
        let changed = change(&valid, pos, delta);
        if pos == 9 {
            prop_assert!(Inn::parse(&changed).is_err());
        } else {
            let (old, new) = (weighted(&values(&valid), &INN10_W), weighted(&values(&changed), &INN10_W));
            prop_assert_ne!(old % 11, new % 11);
            if !same_digit_mod_11(old, new) {
                prop_assert!(Inn::parse(&changed).is_err());
            }
        }
    }

    /// ИНН-12: each check digit is computed from the digits before it, so changing either check
    /// digit alone always fails; a body digit follows the ИНН-10 argument for the 11th digit.
    #[test]
    fn one_changed_inn12_digit(body in 0u64..10_000_000_000, pos in 0usize..12, delta in 1u8..10) {
        let valid = inn12(body);
        let changed = change(&valid, pos, delta);
        if pos >= 10 {
            prop_assert!(Inn::parse(&changed).is_err());
        } else {
            let (old, new) = (weighted(&values(&valid), &INN12_W11), weighted(&values(&changed), &INN12_W11));
            prop_assert_ne!(old % 11, new % 11);
            if !same_digit_mod_11(old, new) {
                prop_assert!(Inn::parse(&changed).is_err());
            }
        }
    }

    /// ОГРН: a changed digit moves the body by ±δ·10ᵏ, never 0 mod 11 (10ᵏ ≡ ±1), so the remainder
    /// changes; again only remainders 0 and 10 share a check digit.
    #[test]
    fn one_changed_ogrn_digit(body in 0u64..1_000_000_000_000, pos in 0usize..13, delta in 1u8..10) {
        let valid = ogrn(body);
        let changed = change(&valid, pos, delta);
        if pos == 12 {
            prop_assert!(Ogrn::parse(&changed).is_err());
        } else {
            let new_body = number(&values(&changed)[..12]);
            prop_assert_ne!(body % 11, new_body % 11);
            if body % 11 % 10 != new_body % 11 % 10 {
                prop_assert!(Ogrn::parse(&changed).is_err());
            }
        }
    }

    /// ОГРНИП: mod 13 (prime, coprime with 10) — the remainder always changes; remainders that agree
    /// mod 10 (0/10, 1/11, 2/12) share a check digit.
    #[test]
    fn one_changed_ogrnip_digit(body in 0u64..100_000_000_000_000, pos in 0usize..15, delta in 1u8..10) {
        let valid = ogrnip(body);
        let changed = change(&valid, pos, delta);
        if pos == 14 {
            prop_assert!(Ogrnip::parse(&changed).is_err());
        } else {
            let new_body = number(&values(&changed)[..14]);
            prop_assert_ne!(body % 13, new_body % 13);
            if body % 13 % 10 != new_body % 13 % 10 {
                prop_assert!(Ogrnip::parse(&changed).is_err());
            }
        }
    }

    /// СНИЛС: any other check number fails; a changed body digit changes Σ dᵢ(9 − i) by a nonzero
    /// amount, and while both sums stay below 100 the check number is the sum itself.
    #[test]
    fn one_changed_snils_digit(body in SNILS_FIRST_CHECKED..1_000_000_000, pos in 0usize..11, delta in 1u8..10) {
        let valid = snils(body);
        let changed = change(&valid, pos, delta);
        if pos >= 9 {
            prop_assert!(Snils::parse(&changed).is_err());
        } else {
            let w: Vec<u32> = (1..=9).rev().collect();
            let (old, new) = (weighted(&values(&valid), &w), weighted(&values(&changed), &w));
            prop_assert_ne!(old, new);
            let new_body = number(&values(&changed)[..9]);
            if old < 100 && new < 100 && new_body >= u64::from(SNILS_FIRST_CHECKED) {
                prop_assert!(Snils::parse(&changed).is_err());
            }
        }
    }

    #[test]
    fn any_other_snils_check_number_fails(body in SNILS_FIRST_CHECKED..1_000_000_000, delta in 1u32..100) {
        let text = snils(body);
        let check: u32 = text[9..].parse().expect("digits");
        let wrong = format!("{}{:02}", &text[..9], (check + delta) % 100);
        prop_assert!(Snils::parse(&wrong).is_err());
    }

    /// Account key: weights 7, 1, 3 are coprime with 10, so a changed digit (δ ≢ 0 mod 10) always
    /// changes the sum mod 10 — every single-digit change of the account fails.
    #[test]
    fn one_changed_account_digit(body in any::<u64>(), pos in 0usize..20, delta in 1u8..10, bik_tail in 0u32..1000) {
        let bik = Bik::parse(&format!("044525{bik_tail:03}")).expect("bik");
        let valid = account(&bik, body);
        prop_assert!(SettlementAccount::parse(&valid, &bik).is_ok());
        let changed = change(&valid, pos, delta);
        prop_assert!(SettlementAccount::parse(&changed, &bik).is_err());
        let bik_last3: Vec<u32> = values(&bik.as_str()[6..]).into_iter().map(u32::from).collect();
        let acc: Vec<u32> = values(&changed).into_iter().map(u32::from).collect();
        prop_assert!(!account_key_ok(&bik_last3, &acc));
    }

    #[test]
    fn oids_round_trip(kind in 1u8..=4, region_index in 0usize..90, n in 1u32..=999_999, d in 1u32..1_000_000_000, s in 1u32..1_000_000_000) {
        let region = RegionCode::all().nth(region_index).expect("90 regions");
        let org = OrgOid::new(kind, region, n).expect("in range");
        prop_assert_eq!((org.kind(), org.region(), org.number()), (kind, region, n));
        round_trips(org.as_str(), OrgOid::parse)?;
        let dept = DepartmentOid::new(&org, d).expect("in range");
        prop_assert_eq!(dept.as_str(), format!("{org}.0.{d}"));
        round_trips(dept.as_str(), DepartmentOid::parse)?;
        let sub = SubdivisionOid::new(&dept, s).expect("in range");
        prop_assert_eq!(sub.as_str(), format!("{dept}.{s}"));
        round_trips(sub.as_str(), SubdivisionOid::parse)?;
        prop_assert_eq!(sub.department().org(), &org);
    }

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,40}") {
        let _ = Inn::parse(&text);
        let _ = Ogrn::parse(&text);
        let _ = Ogrnip::parse(&text);
        let _ = Kpp::parse(&text);
        let _ = Snils::parse(&text);
        let _ = Bik::parse(&text);
        let _ = OrgOid::parse(&text);
        let _ = DepartmentOid::parse(&text);
        let _ = SubdivisionOid::parse(&text);
        let _ = RegionCode::parse(&text);
        let _ = PostIndex::parse(&text);
        let bik = Bik::parse("044525225").expect("bik");
        let _ = SettlementAccount::parse(&text, &bik);
        let json = serde_json::to_string(&text).expect("json string");
        let _ = serde_json::from_str::<Inn>(&json);
        let _ = serde_json::from_str::<OrgOid>(&json);
        let _ = serde_json::from_str::<RegionCode>(&json);
    }

    #[test]
    fn digit_like_text_never_panics(text in "[0-9 .\\-]{0,60}") {
        let _ = Inn::parse(&text);
        let _ = Ogrn::parse(&text);
        let _ = Ogrnip::parse(&text);
        let _ = Snils::parse(&text);
        let _ = RegionCode::parse(&text);
        let _ = OrgOid::parse(&format!("1.2.643.5.1.13.13.12.{text}"));
        let _ = DepartmentOid::parse(&format!("1.2.643.5.1.13.13.12.{text}"));
        let _ = SubdivisionOid::parse(&format!("1.2.643.5.1.13.13.12.{text}"));
    }

    #[test]
    fn checksum_helpers_never_panic(a in any::<[u8; 9]>(), b in any::<[u8; 10]>(), c in any::<u64>(), d in any::<u32>(), e in any::<[u8; 3]>(), f in any::<[u8; 20]>()) {
        prop_assert!(inn10_check_digit(&a) < 10);
        let (x, y) = inn12_check_digits(&b);
        prop_assert!(x < 10 && y < 10);
        prop_assert!(ogrn_check_digit(c) < 10 && ogrnip_check_digit(c) < 10);
        prop_assert!(snils_check(d) < 100);
        prop_assert!(account_key(&e, &f) < 10);
    }
}
