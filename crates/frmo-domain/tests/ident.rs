//! Identifier rules: real values, exact Russian messages, and properties over generated numbers.

use frmo_domain::ident::checksum::{
    INN10_WEIGHTS, INN12_WEIGHTS_11, INN12_WEIGHTS_12, inn_check, ogrn_check, snils_check,
};
use frmo_domain::ident::{
    Bik, DepartmentOid, Inn, Kpp, Ogrn, Ogrnip, OrgOid, PostIndex, RegionCode, SettlementAccount, Snils, SubdivisionOid,
};
use proptest::prelude::*;

fn digits_of(n: u64, len: usize) -> Vec<u32> {
    format!("{n:0len$}").bytes().map(|b| u32::from(b - b'0')).collect()
}

fn join(d: &[u32]) -> String {
    d.iter().map(|d| char::from(b'0' + *d as u8)).collect()
}

fn inn10(body: u64) -> String {
    let mut d = digits_of(body, 9);
    d.push(inn_check(&d, &INN10_WEIGHTS));
    join(&d)
}

fn inn12(body: u64) -> String {
    let mut d = digits_of(body, 10);
    d.push(inn_check(&d, &INN12_WEIGHTS_11));
    d.push(inn_check(&d, &INN12_WEIGHTS_12));
    join(&d)
}

fn ogrn(body: u64) -> String {
    format!("{body:012}{}", ogrn_check(body, 11))
}

fn ogrnip(body: u64) -> String {
    format!("{body:014}{}", ogrn_check(body, 13))
}

fn snils(body: u32) -> String {
    format!("{body:09}{:02}", snils_check(&digits_of(u64::from(body), 9)))
}

#[test]
fn real_values_parse() {
    assert!(Inn::parse("6317006620").expect("real ИНН").is_legal_entity());
    assert_eq!(Ogrn::parse("1026301420716").expect("real ОГРН").as_str(), "1026301420716");
    assert_eq!(Kpp::parse("631501001").expect("real КПП").as_str(), "631501001");
    assert_eq!(Kpp::parse("7701AB001").expect("letters in the reason").as_str(), "7701AB001");
    assert_eq!(Snils::parse("112-233-445 95").expect("known valid СНИЛС").as_str(), "11223344595");
    assert_eq!(Snils::parse("11223344595").expect("bare digits").formatted(), "112-233-445 95");
    let oid = OrgOid::parse("1.2.643.5.1.13.13.12.2.78.6258").expect("real OID");
    assert_eq!((oid.kind(), oid.region().code(), oid.number()), (2, 78, 6258));
    let dept = DepartmentOid::parse("1.2.643.5.1.13.13.12.2.31.2855.0.385565").expect("real department OID");
    assert_eq!(dept.org().as_str(), "1.2.643.5.1.13.13.12.2.31.2855");
    let sub = SubdivisionOid::parse("1.2.643.5.1.13.13.12.2.51.4977.0.2787.2107").expect("real subdivision OID");
    assert_eq!(sub.department().number(), 2787);
    assert_eq!(RegionCode::parse("63").expect("Самарская").name(), "Самарская область");
    assert_eq!(RegionCode::parse("7").expect("КБР"), RegionCode::parse("07").expect("КБР"));
    assert_eq!(PostIndex::parse(" 443001 ").expect("index").as_str(), "443001");
}

#[test]
fn errors_name_the_field_in_russian() {
    let error = Inn::parse("6317006621").expect_err("wrong check digit");
    assert_eq!((error.field, error.to_string().as_str()), ("inn", "ИНН: неверное контрольное число"));
    let error = Ogrn::parse("1026301420717").expect_err("wrong check digit");
    assert_eq!((error.field, error.to_string().as_str()), ("ogrn", "ОГРН: неверное контрольное число"));
    assert_eq!(Inn::parse("").expect_err("empty").to_string(), "ИНН: не заполнено");
    assert_eq!(Inn::parse("12345").expect_err("short").to_string(), "ИНН: должен состоять из 10 или 12 цифр");
    assert_eq!(Kpp::parse("63150100").expect_err("short").field, "kpp");
    assert_eq!(Kpp::parse("6315ab001").expect_err("lowercase").field, "kpp");
    assert_eq!(Snils::parse("112-233-445 96").expect_err("check").to_string(), "СНИЛС: неверное контрольное число");
    assert_eq!(RegionCode::parse("81").expect_err("merged subject").field, "region");
    assert_eq!(Bik::parse("123456789").expect_err("not 04").field, "bik");
    for bad in [
        "1.2.643.5.1.13.13.12.5.78.1",
        "1.2.643.5.1.13.13.12.2.81.1",
        "1.2.643.5.1.13.13.12.2.78.0",
        "1.2.643.5.1.13.13.12.2.78.01",
        "1.2.643.5.1.13.13.12.2.78",
        "1.2.643.5.1.13.13.11.2.78.5",
    ] {
        assert_eq!(OrgOid::parse(bad).expect_err(bad).field, "oid");
    }
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
    let error = SettlementAccount::parse("4070281", &Bik::parse("044525225").expect("bik")).expect_err("short");
    assert_eq!(error.field, "settlement_account");
}

proptest! {
    #[test]
    fn generated_inns_parse_and_round_trip(body in 0u64..1_000_000_000, long in 0u64..10_000_000_000) {
        for text in [inn10(body), inn12(long)] {
            let inn = Inn::parse(&text).expect("valid by construction");
            prop_assert_eq!(inn.to_string(), text.clone());
            let json = serde_json::to_string(&inn).expect("serialize");
            prop_assert_eq!(serde_json::from_str::<Inn>(&json).expect("deserialize"), inn);
        }
    }

    #[test]
    fn a_wrong_inn10_check_digit_always_fails(body in 0u64..1_000_000_000, delta in 1u32..10) {
        let mut d: Vec<u32> = inn10(body).bytes().map(|b| u32::from(b - b'0')).collect();
        d[9] = (d[9] + delta) % 10;
        prop_assert!(Inn::parse(&join(&d)).is_err());
    }

    #[test]
    fn changing_one_ogrn_digit_fails(body in 100_000_000_000_u64..1_000_000_000_000, pos in 0usize..13, delta in 1u32..10) {
        // Σ d·10^k mod 11: changing one digit by δ changes the sum by δ·10^k, never 0 mod 11,
        // so the remainder changes — but two remainders may agree mod 10 (10 vs 0): skip those.
        let text = ogrn(body);
        prop_assert!(Ogrn::parse(&text).is_ok());
        let mut d: Vec<u32> = text.bytes().map(|b| u32::from(b - b'0')).collect();
        d[pos] = (d[pos] + delta) % 10;
        let changed = join(&d);
        let body2: u64 = changed[..12].parse().expect("digits");
        let ambiguous = pos < 12 && (body2 % 11 % 10 == body % 11 % 10);
        if !ambiguous {
            prop_assert!(Ogrn::parse(&changed).is_err());
        }
    }

    #[test]
    fn generated_ogrnips_and_snils_parse(body in 10_000_000_000_000u64..100_000_000_000_000, s in 1_001_999u32..999_999_999) {
        prop_assert!(Ogrnip::parse(&ogrnip(body)).is_ok());
        let text = snils(s);
        let parsed = Snils::parse(&text).expect("valid by construction");
        prop_assert_eq!(Snils::parse(&parsed.formatted()).expect("formatted parses"), parsed);
    }

    #[test]
    fn a_wrong_snils_check_fails(s in 1_001_999u32..999_999_999, delta in 1u32..100) {
        let text = snils(s);
        let check: u32 = text[9..].parse().expect("digits");
        let wrong = format!("{}{:02}", &text[..9], (check + delta) % 100);
        prop_assert!(Snils::parse(&wrong).is_err());
    }

    #[test]
    fn oids_round_trip(kind in 1u8..=4, region_index in 0usize..89, n in 1u32..=999_999, d in 1u32..1_000_000, s in 1u32..1000) {
        let region = RegionCode::all().nth(region_index).expect("89 regions");
        let org = OrgOid::new(kind, region, n).expect("in range");
        prop_assert_eq!(OrgOid::parse(org.as_str()).expect("parses"), org.clone());
        let dept = DepartmentOid::new(&org, d).expect("in range");
        prop_assert_eq!(DepartmentOid::parse(dept.as_str()).expect("parses"), dept.clone());
        let sub = SubdivisionOid::new(&dept, s).expect("in range");
        prop_assert_eq!(SubdivisionOid::parse(sub.as_str()).expect("parses"), sub);
    }

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,40}") {
        let _ = Inn::parse(&text);
        let _ = Ogrn::parse(&text);
        let _ = Ogrnip::parse(&text);
        let _ = Kpp::parse(&text);
        let _ = Snils::parse(&text);
        let _ = OrgOid::parse(&text);
        let _ = DepartmentOid::parse(&text);
        let _ = SubdivisionOid::parse(&text);
        let _ = RegionCode::parse(&text);
        let _ = PostIndex::parse(&text);
        if let Ok(bik) = Bik::parse("044525225") {
            let _ = SettlementAccount::parse(&text, &bik);
        }
    }
}
