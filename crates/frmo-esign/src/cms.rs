//! CMS SignedData (RFC 5652) as far as a detached document signature needs: the signer's digest
//! algorithm, signed attributes, signature, and the certificates carried along.

use std::collections::BTreeMap;

use frmo_gost::der::{Reader, TAG_OCTET_STRING, TAG_OID, TAG_SEQUENCE, single};
use time::OffsetDateTime;

use crate::EsignError;

const SIGNED_DATA: &str = "1.2.840.113549.1.7.2";
const TAG_SET: u8 = 0x31;
const TAG_CONTEXT_0: u8 = 0xa0;
const TAG_CONTEXT_1: u8 = 0xa1;
const TAG_OCTET_STRING_CONSTRUCTED: u8 = 0x24;

fn format(message: &str) -> EsignError {
    EsignError::Format(message.to_owned())
}

/// The signed attributes of a signer.
#[derive(Debug, Clone)]
pub struct SignedAttributes {
    /// Attribute OID → the first value's contents (an OCTET STRING's bytes, a time's text…).
    values: BTreeMap<String, Vec<u8>>,
    pub signing_time: Option<OffsetDateTime>,
    /// What the signature covers: the attributes re-tagged as a SET (RFC 5652 §5.4).
    pub der_as_set: Vec<u8>,
}

impl SignedAttributes {
    pub fn get(&self, oid: &str) -> Option<&Vec<u8>> {
        self.values.get(oid)
    }
}

/// The (first) signer of a SignedData.
#[derive(Debug, Clone)]
pub struct SignerInfo {
    /// The issuer (whole DER Name) and serial (INTEGER contents) naming the certificate.
    pub issuer_and_serial: Option<(Vec<u8>, Vec<u8>)>,
    pub digest_algorithm: String,
    pub signature_algorithm: String,
    /// RSASSA-PSS salt length from the algorithm's parameters (RFC 4055: 20 when absent).
    pub pss_salt_len: usize,
    pub signed_attributes: Option<SignedAttributes>,
    pub signature: Vec<u8>,
}

/// A parsed SignedData: its certificates (DER), its signer, and the document when the signature
/// carries it (an attached signature).
#[derive(Debug, Clone)]
pub struct SignedData {
    pub certificates: Vec<Vec<u8>>,
    pub signer: SignerInfo,
    pub content: Option<Vec<u8>>,
}

impl SignedData {
    pub fn parse(der: &[u8]) -> Result<Self, EsignError> {
        let content_info = single(der, "после подписи есть лишние данные")?;
        if content_info.tag != TAG_SEQUENCE {
            return Err(format("ожидается ContentInfo (SEQUENCE)"));
        }
        let mut info = Reader::new(content_info.contents);
        if info.oid("нет типа содержимого")? != SIGNED_DATA {
            return Err(format("это не подписанные данные CMS (SignedData)"));
        }
        let wrapped = info.expect(TAG_CONTEXT_0, "нет содержимого SignedData")?;
        let mut signed = Reader::new(wrapped.contents).sequence("SignedData должен быть SEQUENCE")?;
        signed.expect(0x02, "нет версии SignedData")?;
        signed.expect(TAG_SET, "нет списка алгоритмов хэширования")?;
        let mut encapsulated = signed.sequence("нет EncapsulatedContentInfo")?;
        encapsulated.oid("нет типа подписанного содержимого")?;
        // An attached signature carries the document: [0] EXPLICIT OCTET STRING, which BER may
        // split into a constructed OCTET STRING of pieces.
        let content = match encapsulated.peek_tag() {
            None => None,
            Some(TAG_CONTEXT_0) => {
                let mut wrapped = Reader::new(encapsulated.any()?.contents);
                let octets = wrapped.any()?;
                Some(match octets.tag {
                    TAG_OCTET_STRING => octets.contents.to_vec(),
                    TAG_OCTET_STRING_CONSTRUCTED => {
                        let mut pieces = Reader::new(octets.contents);
                        let mut content = Vec::new();
                        while pieces.peek_tag().is_some() {
                            content.extend_from_slice(
                                pieces.expect(TAG_OCTET_STRING, "неверный фрагмент документа")?.contents,
                            );
                        }
                        content
                    }
                    _ => return Err(format("подписанное содержимое должно быть OCTET STRING")),
                })
            }
            Some(_) => return Err(format("неверное подписанное содержимое (eContent)")),
        };
        let mut certificates = Vec::new();
        if signed.peek_tag() == Some(TAG_CONTEXT_0) {
            let mut list = Reader::new(signed.any()?.contents);
            while list.peek_tag().is_some() {
                certificates.push(list.any()?.raw.to_vec());
            }
        }
        if signed.peek_tag() == Some(TAG_CONTEXT_1) {
            signed.any()?; // revocation lists: not used
        }
        let mut signers = Reader::new(signed.expect(TAG_SET, "нет подписантов (SignerInfos)")?.contents);
        let signer = parse_signer(signers.sequence("нет подписанта")?)?;
        Ok(SignedData { certificates, signer, content })
    }

    /// The certificate the signer names (by issuer and serial), or the only one carried.
    pub fn signer_certificate(&self) -> Option<&[u8]> {
        let by_name = self.signer.issuer_and_serial.as_ref().and_then(|(issuer, serial)| {
            self.certificates.iter().find(|der| {
                crate::cert::Certificate::parse(der).is_ok_and(|c| &c.issuer_der == issuer && &c.serial == serial)
            })
        });
        match (by_name, self.certificates.as_slice()) {
            (Some(found), _) => Some(found),
            (None, [only]) if self.signer.issuer_and_serial.is_none() => Some(only),
            _ => None,
        }
        .map(Vec::as_slice)
    }
}

fn parse_signer(mut signer: Reader<'_>) -> Result<SignerInfo, EsignError> {
    signer.expect(0x02, "нет версии SignerInfo")?;
    let issuer_and_serial = if signer.peek_tag() == Some(TAG_SEQUENCE) {
        let mut sid = signer.sequence("неверный идентификатор подписанта")?;
        let issuer = sid.expect(TAG_SEQUENCE, "нет издателя сертификата")?.raw.to_vec();
        let serial = sid.expect(0x02, "нет серийного номера сертификата")?.contents.to_vec();
        Some((issuer, serial))
    } else {
        signer.any()?; // [0] subjectKeyIdentifier
        None
    };
    let digest_algorithm = signer.sequence("нет алгоритма хэширования подписанта")?.oid("нет алгоритма хэширования")?;
    let signed_attributes =
        if signer.peek_tag() == Some(TAG_CONTEXT_0) { Some(parse_attributes(signer.any()?.raw)?) } else { None };
    let mut algorithm = signer.sequence("нет алгоритма подписи")?;
    let signature_algorithm = algorithm.oid("нет алгоритма подписи")?;
    let pss_salt_len = pss_salt_len(&mut algorithm)?;
    let signature = signer.expect(TAG_OCTET_STRING, "нет значения подписи")?.contents.to_vec();
    Ok(SignerInfo {
        issuer_and_serial,
        digest_algorithm,
        signature_algorithm,
        pss_salt_len,
        signed_attributes,
        signature,
    })
}

/// RSASSA-PSS-params' `[2] saltLength` (RFC 4055), 20 when absent or when there are no PSS params.
fn pss_salt_len(algorithm: &mut Reader<'_>) -> Result<usize, EsignError> {
    if algorithm.peek_tag() != Some(TAG_SEQUENCE) {
        return Ok(20);
    }
    let mut params = algorithm.sequence("неверные параметры алгоритма подписи")?;
    while params.peek_tag().is_some() {
        let field = params.any()?;
        if field.tag == 0xa2 {
            let value = single(field.contents, "неверная длина соли PSS")?;
            return Ok(value
                .contents
                .iter()
                .fold(0usize, |n, &b| n.saturating_mul(256).saturating_add(usize::from(b))));
        }
    }
    Ok(20)
}

fn parse_attributes(raw: &[u8]) -> Result<SignedAttributes, EsignError> {
    let element = single(raw, "неверные подписанные атрибуты")?;
    let mut values = BTreeMap::new();
    let mut signing_time = None;
    let mut list = Reader::new(element.contents);
    while list.peek_tag().is_some() {
        let mut attribute = list.sequence("неверный подписанный атрибут")?;
        let oid = attribute.oid("нет типа атрибута")?;
        let mut set = Reader::new(attribute.expect(TAG_SET, "нет значений атрибута")?.contents);
        let value = set.any()?;
        if oid == crate::SIGNING_TIME {
            signing_time = crate::cert::time_of(value.tag, value.contents);
        }
        if value.tag != TAG_OID {
            values.insert(oid, value.contents.to_vec());
        }
    }
    let mut der_as_set = raw.to_vec();
    der_as_set[0] = TAG_SET;
    Ok(SignedAttributes { values, signing_time, der_as_set })
}
