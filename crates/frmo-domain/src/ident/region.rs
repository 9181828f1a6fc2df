//! Код субъекта Российской Федерации: the codes ФРМО uses in `regionId` and in organization OIDs.
//!
//! Source: НСИ 1.2.643.5.1.13.13.99.2.206 «Субъекты Российской Федерации» (the code is the
//! subject's ФНС code; used as `address:stateCode` in СЭМД, version 6.5 cited in public loaders;
//! fhir-ru/RuCoreIG `Core_NamingSystems.fsh` names it «Регионы РФ», e.g. 77 «г. Москва»).
//! (НСИ 1.2.643.5.1.13.13.99.2.186 «Субъекты РФ», fields `TERR_KOD`/`TERR_NAME`, is another
//! publication of subjects seen in public loaders; its codes were not compared here.)
//! ФРМО itself shows `regionId {id: 63, region: "Самарская область", territoryCode: 63}`
//! (parusrx `Frmo.API.http`) and OIDs such as `…12.2.77.7799`, `…12.2.16.1197`.
//!
//! 90 codes: 01–79, the autonomous okrugs 83, 86, 87, 89, then 90 Запорожская область,
//! 91 Республика Крым, 92 г. Севастополь, 93 ДНР, 94 ЛНР, 95 Херсонская область, and 99 г. Байконур
//! (ФНС code of «иные территории, включая город и космодром Байконур»). Codes 80–82, 84, 85 and 88
//! belonged to subjects merged into others and are not valid.
//!
//! This table is the one source of truth: the `regions` reference directory is built from it.

use crate::error::ValidationError;

const SUBJECTS: &[(&str, &str)] = &[
    ("01", "Республика Адыгея"),
    ("02", "Республика Башкортостан"),
    ("03", "Республика Бурятия"),
    ("04", "Республика Алтай"),
    ("05", "Республика Дагестан"),
    ("06", "Республика Ингушетия"),
    ("07", "Кабардино-Балкарская Республика"),
    ("08", "Республика Калмыкия"),
    ("09", "Карачаево-Черкесская Республика"),
    ("10", "Республика Карелия"),
    ("11", "Республика Коми"),
    ("12", "Республика Марий Эл"),
    ("13", "Республика Мордовия"),
    ("14", "Республика Саха (Якутия)"),
    ("15", "Республика Северная Осетия — Алания"),
    ("16", "Республика Татарстан"),
    ("17", "Республика Тыва"),
    ("18", "Удмуртская Республика"),
    ("19", "Республика Хакасия"),
    ("20", "Чеченская Республика"),
    ("21", "Чувашская Республика"),
    ("22", "Алтайский край"),
    ("23", "Краснодарский край"),
    ("24", "Красноярский край"),
    ("25", "Приморский край"),
    ("26", "Ставропольский край"),
    ("27", "Хабаровский край"),
    ("28", "Амурская область"),
    ("29", "Архангельская область"),
    ("30", "Астраханская область"),
    ("31", "Белгородская область"),
    ("32", "Брянская область"),
    ("33", "Владимирская область"),
    ("34", "Волгоградская область"),
    ("35", "Вологодская область"),
    ("36", "Воронежская область"),
    ("37", "Ивановская область"),
    ("38", "Иркутская область"),
    ("39", "Калининградская область"),
    ("40", "Калужская область"),
    ("41", "Камчатский край"),
    ("42", "Кемеровская область — Кузбасс"),
    ("43", "Кировская область"),
    ("44", "Костромская область"),
    ("45", "Курганская область"),
    ("46", "Курская область"),
    ("47", "Ленинградская область"),
    ("48", "Липецкая область"),
    ("49", "Магаданская область"),
    ("50", "Московская область"),
    ("51", "Мурманская область"),
    ("52", "Нижегородская область"),
    ("53", "Новгородская область"),
    ("54", "Новосибирская область"),
    ("55", "Омская область"),
    ("56", "Оренбургская область"),
    ("57", "Орловская область"),
    ("58", "Пензенская область"),
    ("59", "Пермский край"),
    ("60", "Псковская область"),
    ("61", "Ростовская область"),
    ("62", "Рязанская область"),
    ("63", "Самарская область"),
    ("64", "Саратовская область"),
    ("65", "Сахалинская область"),
    ("66", "Свердловская область"),
    ("67", "Смоленская область"),
    ("68", "Тамбовская область"),
    ("69", "Тверская область"),
    ("70", "Томская область"),
    ("71", "Тульская область"),
    ("72", "Тюменская область"),
    ("73", "Ульяновская область"),
    ("74", "Челябинская область"),
    ("75", "Забайкальский край"),
    ("76", "Ярославская область"),
    ("77", "г. Москва"),
    ("78", "г. Санкт-Петербург"),
    ("79", "Еврейская автономная область"),
    ("83", "Ненецкий автономный округ"),
    ("86", "Ханты-Мансийский автономный округ — Югра"),
    ("87", "Чукотский автономный округ"),
    ("89", "Ямало-Ненецкий автономный округ"),
    ("90", "Запорожская область"),
    ("91", "Республика Крым"),
    ("92", "г. Севастополь"),
    ("93", "Донецкая Народная Республика"),
    ("94", "Луганская Народная Республика"),
    ("95", "Херсонская область"),
    ("99", "г. Байконур"),
];

/// How ФРМО spells the subjects whose names differ from НСИ 99.2.206's: the wording of Article 65 of
/// the Constitution, with a hyphen. Seen in public ФРМО data: 01 «Республика Адыгея (Адыгея)» (a real
/// ФРМО API card, parusrx `Frmo.API.http`), 77 «Москва» (an НСИ 1461 record of a public loader's
/// test, asaf1n). The others follow the same source (Article 65) and are inferred, not seen.
const FRMO_SPELLINGS: &[(u8, &str)] = &[
    (1, "Республика Адыгея (Адыгея)"),
    (15, "Республика Северная Осетия - Алания"),
    (16, "Республика Татарстан (Татарстан)"),
    (21, "Чувашская Республика - Чувашия"),
    (42, "Кемеровская область - Кузбасс"),
    (77, "Москва"),
    (78, "Санкт-Петербург"),
    (86, "Ханты-Мансийский автономный округ - Югра"),
    (92, "Севастополь"),
];

/// A subject of the Russian Federation by its code (an index into `SUBJECTS`, which is sorted).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RegionCode(u8);

/// The number written by two ASCII digits.
const fn two_digits(code: &str) -> u8 {
    let b = code.as_bytes();
    (b[0] - b'0') * 10 + (b[1] - b'0')
}

impl RegionCode {
    /// Accepts one or two digits: `7`, `07` and `77`.
    pub fn parse(text: &str) -> Result<Self, ValidationError> {
        let text = text.trim();
        let invalid = |m: &str| ValidationError::new("region", "Регион", m);
        if text.is_empty() {
            return Err(invalid("не заполнено"));
        }
        if text.len() > 2 || !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid("должен состоять из 1 или 2 цифр кода субъекта РФ"));
        }
        let code = text.bytes().fold(0u8, |n, b| n * 10 + (b - b'0'));
        Self::from_code(code).ok_or_else(|| invalid("нет субъекта РФ с таким кодом"))
    }

    pub fn from_code(code: u8) -> Option<Self> {
        let index = SUBJECTS.binary_search_by_key(&code, |(c, _)| two_digits(c)).ok()?;
        u8::try_from(index).ok().map(RegionCode)
    }

    pub fn code(self) -> u8 {
        two_digits(self.as_str())
    }

    /// The code as two digits, `07`.
    pub fn as_str(self) -> &'static str {
        SUBJECTS.get(usize::from(self.0)).map_or("00", |(code, _)| code)
    }

    /// The subject's Russian name, «Самарская область».
    pub fn name(self) -> &'static str {
        SUBJECTS.get(usize::from(self.0)).map_or("", |(_, name)| name)
    }

    /// The subject's name as ФРМО writes it (НСИ 1461 `regionName`, the integration API's
    /// `region`); [`RegionCode::name`] where ФРМО spells it the same.
    pub fn frmo_name(self) -> &'static str {
        let code = self.code();
        FRMO_SPELLINGS.iter().find(|(c, _)| *c == code).map_or_else(|| self.name(), |(_, name)| name)
    }

    /// Every subject, in code order.
    pub fn all() -> impl Iterator<Item = RegionCode> {
        (0..SUBJECTS.len()).filter_map(|i| u8::try_from(i).ok()).map(RegionCode)
    }
}

impl std::fmt::Debug for RegionCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RegionCode({})", self.as_str())
    }
}

/// Two digits, `07`.
impl std::fmt::Display for RegionCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for RegionCode {
    type Err = ValidationError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text)
    }
}

/// A number in JSON, as `regionId` is in ФРМО; a string of digits is accepted on input.
impl serde::Serialize for RegionCode {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u8(self.code())
    }
}

impl<'de> serde::Deserialize<'de> for RegionCode {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(serde::Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Number(u64),
            Text(String),
        }
        let text = match Raw::deserialize(deserializer)? {
            Raw::Number(n) => n.to_string(),
            Raw::Text(t) => t,
        };
        RegionCode::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_two_digit_and_unique() {
        assert!(SUBJECTS.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(
            SUBJECTS
                .iter()
                .all(|(code, name)| code.len() == 2 && code.bytes().all(|b| b.is_ascii_digit()) && !name.is_empty())
        );
        assert_eq!(SUBJECTS.len(), 90);
    }

    #[test]
    fn codes_round_trip() {
        for region in RegionCode::all() {
            assert_eq!(RegionCode::from_code(region.code()), Some(region));
            assert_eq!(RegionCode::parse(&region.code().to_string()), Ok(region));
            assert_eq!(RegionCode::parse(region.as_str()), Ok(region));
        }
        assert_eq!(RegionCode::from_code(99).map(RegionCode::name), Some("г. Байконур"));
        assert_eq!(RegionCode::from_code(81), None);
        assert!(RegionCode::parse("+7").is_err());
        assert!(RegionCode::parse("007").is_err());
    }
}
