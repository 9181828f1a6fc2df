//! The parts of an X.509 certificate a verdict shows: serial, issuer and subject, validity, and
//! the signer's identity from the Russian qualified-certificate attributes (приказ ФСБ № 795).

use frmo_gost::der::{Reader, TAG_SEQUENCE, single};
use serde::Serialize;
use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time};

use crate::EsignError;

/// Who signed, from the certificate's subject.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Signer {
    /// ФИО: surname and given names, or the common name.
    pub name: String,
    pub snils: Option<String>,
    /// ИНН of the person (1.2.643.3.131.1.1) or of the organization (1.2.643.100.4).
    pub inn: Option<String>,
    pub ogrn: Option<String>,
    pub organization: Option<String>,
}

/// A certificate's facts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Certificate {
    pub serial_hex: String,
    pub subject: String,
    pub issuer: String,
    pub not_before: String,
    pub not_after: String,
    pub signer: Signer,
    #[serde(skip)]
    pub serial: Vec<u8>,
    #[serde(skip)]
    pub issuer_der: Vec<u8>,
    #[serde(skip)]
    pub subject_der: Vec<u8>,
    /// SubjectPublicKeyInfo (DER) and its algorithm OID.
    #[serde(skip)]
    pub spki: Vec<u8>,
    #[serde(skip)]
    pub key_algorithm: String,
    /// The EC curve OID, for EC keys.
    #[serde(skip)]
    pub key_parameters: Option<String>,
    #[serde(skip)]
    validity: (OffsetDateTime, OffsetDateTime),
}

pub fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

/// A UTCTime (0x17) or GeneralizedTime (0x18) in its `…Z` form.
pub fn time_of(tag: u8, contents: &[u8]) -> Option<OffsetDateTime> {
    let text = std::str::from_utf8(contents).ok()?.strip_suffix('Z')?;
    let (year, rest) = match tag {
        0x17 => {
            let yy: i32 = text.get(..2)?.parse().ok()?;
            (if yy < 50 { 2000 + yy } else { 1900 + yy }, text.get(2..)?)
        }
        0x18 => (text.get(..4)?.parse().ok()?, text.get(4..)?),
        _ => return None,
    };
    let number = |range: std::ops::Range<usize>| rest.get(range)?.parse::<u8>().ok();
    let date = Date::from_calendar_date(year, Month::try_from(number(0..2)?).ok()?, number(2..4)?).ok()?;
    let time = Time::from_hms(number(4..6)?, number(6..8)?, number(8..10).unwrap_or(0)).ok()?;
    Some(PrimitiveDateTime::new(date, time).assume_utc())
}

/// The attributes of a Name as (OID, text).
fn name_attributes(name: &[u8]) -> Result<Vec<(String, String)>, EsignError> {
    let mut out = Vec::new();
    let mut rdns = Reader::new(name);
    while rdns.peek_tag().is_some() {
        let mut set = Reader::new(rdns.any()?.contents);
        while set.peek_tag().is_some() {
            let mut pair = set.sequence("неверный атрибут имени")?;
            let oid = pair.oid("нет типа атрибута имени")?;
            let value = pair.any()?;
            out.push((oid, String::from_utf8_lossy(value.contents).into_owned()));
        }
    }
    Ok(out)
}

fn label(oid: &str) -> &str {
    match oid {
        "2.5.4.3" => "CN",
        "2.5.4.4" => "SN",
        "2.5.4.42" => "G",
        "2.5.4.10" => "O",
        "2.5.4.6" => "C",
        "2.5.4.7" => "L",
        "2.5.4.8" => "S",
        "1.2.643.100.3" => "СНИЛС",
        "1.2.643.3.131.1.1" => "ИНН",
        "1.2.643.100.4" => "ИНН ЮЛ",
        "1.2.643.100.1" => "ОГРН",
        other => other,
    }
}

fn describe(attributes: &[(String, String)]) -> String {
    attributes.iter().map(|(oid, value)| format!("{}={value}", label(oid))).collect::<Vec<_>>().join(", ")
}

impl Certificate {
    pub fn parse(der: &[u8]) -> Result<Self, EsignError> {
        let certificate = single(der, "после сертификата есть лишние данные")?;
        if certificate.tag != TAG_SEQUENCE {
            return Err(EsignError::Format("сертификат должен быть SEQUENCE".into()));
        }
        let mut tbs = Reader::new(certificate.contents).sequence("нет TBSCertificate")?;
        if tbs.peek_tag() == Some(0xa0) {
            tbs.any()?;
        }
        let serial = tbs.expect(0x02, "нет серийного номера")?.contents.to_vec();
        tbs.sequence("нет алгоритма подписи сертификата")?;
        let issuer = tbs.expect(TAG_SEQUENCE, "нет издателя")?;
        let mut validity = tbs.sequence("нет срока действия")?;
        let (from, to) = (validity.any()?, validity.any()?);
        let bad_time = || EsignError::Format("неверный срок действия сертификата".into());
        let not_before = time_of(from.tag, from.contents).ok_or_else(bad_time)?;
        let not_after = time_of(to.tag, to.contents).ok_or_else(bad_time)?;
        let subject = tbs.expect(TAG_SEQUENCE, "нет владельца")?;
        let spki = tbs.expect(TAG_SEQUENCE, "нет открытого ключа")?;
        let mut key_info = Reader::new(spki.contents).sequence("нет алгоритма ключа")?;
        let key_algorithm = key_info.oid("нет алгоритма ключа")?;
        let key_parameters = if key_info.peek_tag() == Some(frmo_gost::der::TAG_OID) {
            key_info.oid("параметры ключа").ok()
        } else {
            None
        };
        let subject_attributes = name_attributes(subject.contents)?;
        let find = |oid: &str| subject_attributes.iter().find(|(o, _)| o == oid).map(|(_, v)| v.clone());
        let full_name = match (find("2.5.4.4"), find("2.5.4.42")) {
            (Some(surname), Some(given)) => Some(format!("{surname} {given}")),
            _ => None,
        };
        let signer = Signer {
            name: full_name.or_else(|| find("2.5.4.3")).unwrap_or_default(),
            snils: find("1.2.643.100.3"),
            inn: find("1.2.643.3.131.1.1").or_else(|| find("1.2.643.100.4")),
            ogrn: find("1.2.643.100.1"),
            organization: find("2.5.4.10"),
        };
        Ok(Certificate {
            serial_hex: serial.iter().map(|b| format!("{b:02x}")).collect(),
            subject: describe(&subject_attributes),
            issuer: describe(&name_attributes(issuer.contents)?),
            not_before: rfc3339(not_before),
            not_after: rfc3339(not_after),
            signer,
            serial,
            issuer_der: issuer.raw.to_vec(),
            subject_der: subject.raw.to_vec(),
            spki: spki.raw.to_vec(),
            key_algorithm,
            key_parameters,
            validity: (not_before, not_after),
        })
    }

    pub fn valid_at(&self, at: OffsetDateTime) -> bool {
        self.validity.0 <= at && at <= self.validity.1
    }
}
