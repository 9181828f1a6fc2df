//! The parts of an X.509 certificate a verdict shows: serial, issuer and subject, validity, and
//! the signer's identity from the Russian qualified-certificate attributes (приказ ФСБ № 795);
//! and what a chain check needs: the signed TBSCertificate, the issuer's signature over it, and
//! the keyUsage and basicConstraints extensions (RFC 5280 §4.2.1.3, §4.2.1.9).

use frmo_gost::der::{Reader, TAG_SEQUENCE, bit_string_bytes, single};
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
    /// The TBSCertificate (DER): what the issuer signed.
    #[serde(skip)]
    pub(crate) tbs: Vec<u8>,
    /// The signature algorithm named inside the TBSCertificate (whole AlgorithmIdentifier, DER).
    #[serde(skip)]
    pub(crate) tbs_signature_algorithm: Vec<u8>,
    /// The outer signatureAlgorithm: whole DER, its OID and its parameters (DER, or empty).
    #[serde(skip)]
    pub(crate) signature_algorithm_der: Vec<u8>,
    #[serde(skip)]
    pub(crate) signature_algorithm: String,
    #[serde(skip)]
    pub(crate) signature_parameters: Vec<u8>,
    /// The issuer's signature (the BIT STRING's bytes).
    #[serde(skip)]
    pub(crate) signature: Vec<u8>,
    #[serde(skip)]
    pub(crate) key_usage: Option<KeyUsage>,
    #[serde(skip)]
    pub(crate) basic_constraints: Option<BasicConstraints>,
}

const KEY_USAGE: &str = "2.5.29.15";
const BASIC_CONSTRAINTS: &str = "2.5.29.19";
const TAG_BOOLEAN: u8 = 0x01;
const TAG_EXTENSIONS: u8 = 0xa3;

/// The keyUsage extension's bits (RFC 5280 §4.2.1.3): bit 0 (digitalSignature) is the highest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyUsage(u16);

impl KeyUsage {
    const NAMES: [&'static str; 9] = [
        "digitalSignature",
        "nonRepudiation",
        "keyEncipherment",
        "dataEncipherment",
        "keyAgreement",
        "keyCertSign",
        "cRLSign",
        "encipherOnly",
        "decipherOnly",
    ];
    pub const DIGITAL_SIGNATURE: usize = 0;
    pub const NON_REPUDIATION: usize = 1;
    pub const KEY_CERT_SIGN: usize = 5;

    /// From a BIT STRING's contents (the unused-bits count first).
    fn from_bit_string(contents: &[u8]) -> Result<Self, EsignError> {
        let bad = || EsignError::Format("неверное расширение keyUsage".into());
        let (&unused, bytes) = contents.split_first().ok_or_else(bad)?;
        if unused > 7 || (bytes.is_empty() && unused != 0) {
            return Err(bad());
        }
        let first = bytes.first().copied().unwrap_or(0);
        let second = bytes.get(1).copied().unwrap_or(0);
        let mut bits = u16::from_be_bytes([first, second]);
        if bytes.len() <= 2 {
            // Unused trailing bits of the last byte do not count.
            let shift = u32::from(unused) + if bytes.len() == 1 { 8 } else { 0 };
            bits &= u16::MAX.checked_shl(shift).unwrap_or(0);
        }
        Ok(KeyUsage(bits))
    }

    pub fn has(self, bit: usize) -> bool {
        bit < 16 && self.0 & (0x8000 >> bit) != 0
    }

    /// The bits set, by their RFC 5280 names.
    pub fn names(self) -> String {
        let names: Vec<&str> =
            (0..Self::NAMES.len()).filter(|&bit| self.has(bit)).map(|bit| Self::NAMES[bit]).collect();
        if names.is_empty() { "пусто".into() } else { names.join(", ") }
    }
}

/// The basicConstraints extension (RFC 5280 §4.2.1.9).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BasicConstraints {
    pub ca: bool,
    pub path_len: Option<u64>,
}

impl BasicConstraints {
    fn parse(value: &[u8]) -> Result<Self, EsignError> {
        let mut fields = Reader::new(value).sequence("неверное расширение basicConstraints")?;
        let mut ca = false;
        if fields.peek_tag() == Some(TAG_BOOLEAN) {
            ca = fields.any()?.contents.first().is_some_and(|&b| b != 0);
        }
        let mut path_len = None;
        if fields.peek_tag() == Some(0x02) {
            let contents = fields.any()?.contents;
            if contents.len() > 8 || contents.first().is_some_and(|&b| b & 0x80 != 0) {
                return Err(EsignError::Format("неверный pathLenConstraint".into()));
            }
            path_len = Some(contents.iter().fold(0u64, |n, &b| (n << 8) | u64::from(b)));
        }
        fields.finish("лишние поля в basicConstraints")?;
        Ok(BasicConstraints { ca, path_len })
    }
}

/// keyUsage and basicConstraints from a TBSCertificate's `[3] extensions`; each at most once.
fn extensions(tbs: &mut Reader<'_>) -> Result<(Option<KeyUsage>, Option<BasicConstraints>), EsignError> {
    let (mut key_usage, mut basic_constraints) = (None, None);
    while let Some(tag) = tbs.peek_tag() {
        let field = tbs.any()?;
        if tag != TAG_EXTENSIONS {
            continue; // [1] issuerUniqueID, [2] subjectUniqueID
        }
        let mut list = Reader::new(field.contents).sequence("неверный список расширений")?;
        while list.peek_tag().is_some() {
            let mut extension = list.sequence("неверное расширение сертификата")?;
            let oid = extension.oid("нет типа расширения")?;
            if extension.peek_tag() == Some(TAG_BOOLEAN) {
                extension.any()?; // critical
            }
            let value = extension.expect(frmo_gost::der::TAG_OCTET_STRING, "нет значения расширения")?.contents;
            let repeated = match oid.as_str() {
                KEY_USAGE => {
                    let bits = single(value, "неверное расширение keyUsage")?;
                    if bits.tag != frmo_gost::der::TAG_BIT_STRING {
                        return Err(EsignError::Format("неверное расширение keyUsage".into()));
                    }
                    key_usage.replace(KeyUsage::from_bit_string(bits.contents)?).is_some()
                }
                BASIC_CONSTRAINTS => basic_constraints.replace(BasicConstraints::parse(value)?).is_some(),
                _ => false,
            };
            if repeated {
                return Err(EsignError::Format(format!("расширение {oid} повторяется")));
            }
        }
    }
    Ok((key_usage, basic_constraints))
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
        let mut outer = Reader::new(certificate.contents);
        let tbs_element = outer.expect(TAG_SEQUENCE, "нет TBSCertificate")?;
        let signature_algorithm_element = outer.expect(TAG_SEQUENCE, "нет алгоритма подписи сертификата")?;
        let signature_bits = outer.expect(frmo_gost::der::TAG_BIT_STRING, "нет подписи сертификата")?;
        outer.finish("лишние поля в сертификате")?;
        let signature = bit_string_bytes(signature_bits.contents)?.to_vec();
        let mut algorithm = Reader::new(signature_algorithm_element.contents);
        let signature_algorithm = algorithm.oid("нет алгоритма подписи сертификата")?;
        let signature_parameters =
            if algorithm.peek_tag().is_some() { algorithm.any()?.raw.to_vec() } else { Vec::new() };

        let mut tbs = Reader::new(tbs_element.contents);
        if tbs.peek_tag() == Some(0xa0) {
            tbs.any()?;
        }
        let serial = tbs.expect(0x02, "нет серийного номера")?.contents.to_vec();
        let tbs_signature_algorithm = tbs.expect(TAG_SEQUENCE, "нет алгоритма подписи сертификата")?.raw.to_vec();
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
        let (key_usage, basic_constraints) = extensions(&mut tbs)?;
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
            tbs: tbs_element.raw.to_vec(),
            tbs_signature_algorithm,
            signature_algorithm_der: signature_algorithm_element.raw.to_vec(),
            signature_algorithm,
            signature_parameters,
            signature,
            key_usage,
            basic_constraints,
        })
    }

    /// Whether the key may sign documents: keyUsage, when present, must allow digitalSignature or
    /// nonRepudiation (contentCommitment).
    pub fn may_sign_documents(&self) -> bool {
        self.key_usage
            .is_none_or(|usage| usage.has(KeyUsage::DIGITAL_SIGNATURE) || usage.has(KeyUsage::NON_REPUDIATION))
    }

    /// Whether the key may sign certificates, as far as keyUsage goes: keyCertSign when present.
    pub fn may_sign_certificates(&self) -> bool {
        self.key_usage.is_none_or(|usage| usage.has(KeyUsage::KEY_CERT_SIGN))
    }

    /// The keyUsage bits by name, when the extension is present.
    pub fn key_usage_names(&self) -> Option<String> {
        self.key_usage.map(KeyUsage::names)
    }

    pub fn valid_at(&self, at: OffsetDateTime) -> bool {
        self.validity.0 <= at && at <= self.validity.1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_usage_bits() {
        // keyEncipherment only (03 02 05 20), as OpenSSL writes it.
        let usage = KeyUsage::from_bit_string(&[0x05, 0x20]).expect("keyUsage");
        assert_eq!(usage.names(), "keyEncipherment");
        assert!(!usage.has(KeyUsage::DIGITAL_SIGNATURE) && !usage.has(KeyUsage::NON_REPUDIATION));
        // digitalSignature, nonRepudiation (03 02 06 c0); keyCertSign, cRLSign (03 02 01 06).
        assert_eq!(
            KeyUsage::from_bit_string(&[0x06, 0xc0]).expect("keyUsage").names(),
            "digitalSignature, nonRepudiation"
        );
        assert!(KeyUsage::from_bit_string(&[0x01, 0x06]).expect("keyUsage").has(KeyUsage::KEY_CERT_SIGN));
        // decipherOnly is bit 8, in a second byte (03 03 07 80 80).
        assert_eq!(
            KeyUsage::from_bit_string(&[0x07, 0x80, 0x80]).expect("keyUsage").names(),
            "digitalSignature, decipherOnly"
        );
        // Bits marked unused do not count; an empty BIT STRING is no usage at all.
        assert_eq!(KeyUsage::from_bit_string(&[0x07, 0x81]).expect("keyUsage").names(), "digitalSignature");
        assert_eq!(KeyUsage::from_bit_string(&[0x00]).expect("keyUsage").names(), "пусто");
        assert!(KeyUsage::from_bit_string(&[]).is_err() && KeyUsage::from_bit_string(&[0x08, 0x80]).is_err());
    }

    #[test]
    fn basic_constraints() {
        let ca = BasicConstraints::parse(&[0x30, 0x06, 0x01, 0x01, 0xff, 0x02, 0x01, 0x00]).expect("CA, pathlen 0");
        assert_eq!(ca, BasicConstraints { ca: true, path_len: Some(0) });
        assert_eq!(
            BasicConstraints::parse(&[0x30, 0x00]).expect("empty"),
            BasicConstraints { ca: false, path_len: None }
        );
        assert!(BasicConstraints::parse(&[0x30, 0x03, 0x02, 0x01, 0x80]).is_err(), "a negative pathLen");
    }
}
