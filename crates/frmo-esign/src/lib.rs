//! Electronic signatures of documents (CMS SignedData, RFC 5652), as Russian qualified
//! signatures (КЭП) come: ГОСТ Р 34.10-2012 (256 and 512 bits) with Streebog, verified in pure Rust
//! by `frmo-gost`; with or without signed attributes (the message digest and signing time are
//! checked); the signer's certificate taken from the CMS, checked for its validity at signing time
//! and now, and optionally chained to trust anchors; the signer named from the certificate's
//! subject (ФИО, СНИЛС, ИНН, ОГРН, organization).
//!
//! The signature file may be DER, BER with indefinite lengths (streaming signers), PEM or base64;
//! an attached signature (the document inside) is accepted when the document inside is the one
//! checked.
//!
//! RSA (PKCS#1 v1.5, PSS) and ECDSA P-256 and P-384 signers with SHA-256, SHA-384 or SHA-512
//! verify too.
//!
//! A signer certificate with a keyUsage extension must allow digitalSignature or nonRepudiation,
//! or the signature is invalid. With trust anchors, the chain is built signer → intermediate CAs
//! carried in the CMS `certificates` → an anchor, by issuer and subject names, at most
//! [`MAX_INTERMEDIATES`] intermediates deep: every certificate's signature is verified with its
//! issuer's key (ГОСТ Р 34.10-2012 with Streebog, sha256/384/512WithRSAEncryption, RSASSA-PSS,
//! ecdsa-with-SHA256/384/512), every CA must be valid at signing time and now, allow keyCertSign
//! when it has keyUsage, and (intermediates) be a CA by basicConstraints within its
//! pathLenConstraint. Names match byte for byte; an anchor is trusted as its name and key (its
//! own signature is not checked). Loops are cut and the search is bounded.
//!
//! Not yet: revocation (CRL, OCSP), extendedKeyUsage and certificate policies (qualified
//! certificates carry assorted ones), unknown critical extensions, name constraints, other curves
//! and SHA-1 (the verdict says «алгоритм не поддерживается» or «цепочка не доверена» rather than
//! guessing).

mod ber;
mod cert;
mod chain;
mod cms;
mod foreign;

use serde::Serialize;
use time::OffsetDateTime;

pub use cert::{Certificate, Signer};
pub use chain::MAX_INTERMEDIATES;

/// Streebog-256 and Streebog-512 digest algorithms.
const STREEBOG256: &str = "1.2.643.7.1.1.2.2";
const STREEBOG512: &str = "1.2.643.7.1.1.2.3";
/// CMS signed attributes.
const MESSAGE_DIGEST: &str = "1.2.840.113549.1.9.4";
const SIGNING_TIME: &str = "1.2.840.113549.1.9.5";

/// Why a signature could not even be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EsignError {
    #[error("файл подписи не читается: {0}")]
    Format(String),
}

impl From<frmo_gost::GostError> for EsignError {
    fn from(error: frmo_gost::GostError) -> Self {
        EsignError::Format(error.to_string())
    }
}

/// The verdict on a signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// действительна
    Valid,
    /// недействительна (the reason says why)
    Invalid,
    /// цепочка не доверена
    Untrusted,
    /// сертификат просрочен (or not yet valid) at signing time or now: the signer's, or (with
    /// trust anchors) a CA's on the chain
    Expired,
}

/// What a check found, as `frmo esign verify` prints it.
#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    pub valid: bool,
    pub status: Status,
    /// In Russian: why not valid, or what was checked.
    pub reason: String,
    pub algorithm: String,
    pub signer: Option<Signer>,
    pub certificate: Option<Certificate>,
    /// RFC 3339, from the signed attributes.
    pub signing_time: Option<String>,
    /// `trusted`, `untrusted` or `not_checked` (no trust anchors given).
    pub chain: &'static str,
}

impl Verdict {
    fn invalid(reason: impl Into<String>, algorithm: &str) -> Self {
        Verdict {
            valid: false,
            status: Status::Invalid,
            reason: reason.into(),
            algorithm: algorithm.to_owned(),
            signer: None,
            certificate: None,
            signing_time: None,
            chain: "not_checked",
        }
    }
}

/// A signature file's bytes as DER: DER itself, PEM (`-----BEGIN CMS-----`, `PKCS7`) or base64.
pub fn signature_der(bytes: &[u8]) -> Result<Vec<u8>, EsignError> {
    if bytes.first() == Some(&0x30) {
        return Ok(bytes.to_vec());
    }
    let text = std::str::from_utf8(bytes).map_err(|_| EsignError::Format("ни DER, ни PEM, ни base64".into()))?;
    if text.contains("-----BEGIN") {
        for label in ["CMS", "PKCS7", "SIGNED DATA"] {
            if let Ok(der) = frmo_gost::pem_to_der(text, label) {
                return Ok(der);
            }
        }
        return Err(EsignError::Format("PEM без блока CMS или PKCS7".into()));
    }
    use base64::Engine as _;
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    base64::engine::general_purpose::STANDARD
        .decode(compact)
        .map_err(|_| EsignError::Format("ни DER, ни PEM, ни base64".into()))
}

fn digest(algorithm: &str, data: &[u8]) -> Option<Vec<u8>> {
    match algorithm {
        STREEBOG256 => Some(frmo_gost::streebog256(data).to_vec()),
        STREEBOG512 => Some(frmo_gost::streebog512(data).to_vec()),
        _ => None,
    }
}

fn algorithm_name(digest_oid: &str) -> String {
    match digest_oid {
        STREEBOG256 => "ГОСТ Р 34.10-2012 (256 бит), ГОСТ Р 34.11-2012 (Стрибог-256)".into(),
        STREEBOG512 => "ГОСТ Р 34.10-2012 (512 бит), ГОСТ Р 34.11-2012 (Стрибог-512)".into(),
        other => format!("не поддерживается ({other})"),
    }
}

/// Verifies a detached signature of `content`. `trust` holds trust anchors (CA certificates, DER);
/// empty: the chain is not checked. `now` is the moment of the check.
pub fn verify(content: &[u8], signature: &[u8], trust: &[Vec<u8>], now: OffsetDateTime) -> Result<Verdict, EsignError> {
    // Streaming signers write BER with indefinite lengths; definite lengths make it readable as
    // DER (elements that were DER keep their bytes).
    let der = ber::definite(&signature_der(signature)?)?;
    let signed = cms::SignedData::parse(&der)?;
    if signed.content.as_deref().is_some_and(|inside| inside != content) {
        let algorithm = algorithm_name(&signed.signer.digest_algorithm);
        return Ok(Verdict::invalid(
            "подпись присоединённая, и документ внутри неё не совпадает с проверяемым файлом",
            &algorithm,
        ));
    }
    let signer_info = signed.signer.clone();
    let Some(cert_der) = signed.signer_certificate() else {
        let algorithm = algorithm_name(&signer_info.digest_algorithm);
        return Ok(Verdict::invalid("сертификат подписанта не найден в файле подписи", &algorithm));
    };
    let certificate = match cert::Certificate::parse(cert_der) {
        Ok(certificate) => certificate,
        Err(error) => {
            let algorithm = algorithm_name(&signer_info.digest_algorithm);
            return Ok(Verdict::invalid(format!("сертификат подписанта не читается: {error}"), &algorithm));
        }
    };
    let gost = digest(&signer_info.digest_algorithm, content);
    let algorithm = match gost {
        Some(_) => algorithm_name(&signer_info.digest_algorithm),
        None => foreign::algorithm_name(&certificate, &signer_info.signature_algorithm, &signer_info.digest_algorithm)
            .unwrap_or_else(|| algorithm_name(&signer_info.digest_algorithm)),
    };
    let Some(content_digest) = gost.or_else(|| foreign::sha(&signer_info.digest_algorithm, content)) else {
        return Ok(Verdict::invalid(
            "алгоритм подписи не поддерживается: проверяются ГОСТ Р 34.10-2012 со Стрибогом, RSA и ECDSA P-256 и P-384 с SHA-2",
            &algorithm,
        ));
    };
    let mut verdict = Verdict::invalid("", &algorithm);
    verdict.signer = Some(certificate.signer.clone());
    verdict.certificate = Some(certificate.clone());

    // What the signature covers: the signed attributes (as a SET), or the content itself.
    let signed_message: Vec<u8> = match &signer_info.signed_attributes {
        Some(attributes) => {
            match attributes.get(MESSAGE_DIGEST) {
                Some(value) if value == &content_digest => {}
                Some(_) => {
                    verdict.reason = "документ изменён после подписания: хэш не совпадает с подписанным".into();
                    return Ok(verdict);
                }
                None => {
                    verdict.reason = "в подписанных атрибутах нет хэша документа (messageDigest)".into();
                    return Ok(verdict);
                }
            }
            verdict.signing_time = attributes.signing_time.map(cert::rfc3339);
            attributes.der_as_set.clone()
        }
        None => content.to_vec(),
    };
    let signature_ok = if digest(&signer_info.digest_algorithm, b"").is_some() {
        match frmo_gost::PublicKey::from_certificate_der(cert_der) {
            Ok(key) => key.verify(&signed_message, &signer_info.signature).is_ok(),
            Err(error) => {
                verdict.reason = format!("ключ сертификата: {error}");
                return Ok(verdict);
            }
        }
    } else {
        let checked = foreign::verify(
            &certificate,
            &signer_info.signature_algorithm,
            signer_info.pss_salt_len,
            &signer_info.digest_algorithm,
            &signed_message,
            &signer_info.signature,
        );
        match checked {
            Some(ok) => ok,
            None => {
                verdict.reason = "алгоритм ключа сертификата не поддерживается".into();
                return Ok(verdict);
            }
        }
    };
    if !signature_ok {
        verdict.reason = if signer_info.signed_attributes.is_some() {
            "подпись не соответствует подписанным атрибутам и ключу сертификата".into()
        } else {
            "подпись не соответствует документу и ключу сертификата".into()
        };
        return Ok(verdict);
    }
    if !certificate.may_sign_documents() {
        let usage = certificate.key_usage_names().unwrap_or_default();
        verdict.reason = format!("сертификат не предназначен для электронной подписи (keyUsage: {usage})");
        return Ok(verdict);
    }
    let signing_time = signer_info.signed_attributes.as_ref().and_then(|a| a.signing_time);
    if let Some(at) = signing_time
        && !certificate.valid_at(at)
    {
        verdict.status = Status::Expired;
        verdict.reason = "в момент подписания сертификат не действовал".into();
        return Ok(verdict);
    }
    if !certificate.valid_at(now) {
        verdict.status = Status::Expired;
        verdict.reason = "срок действия сертификата истёк (или ещё не начался)".into();
        return Ok(verdict);
    }
    if !trust.is_empty() {
        let moments: Vec<OffsetDateTime> = signing_time.into_iter().chain([now]).collect();
        if let Err(failure) = chain::build(cert_der, &certificate, &signed.certificates, trust, &moments) {
            verdict.status = failure.status;
            verdict.chain = "untrusted";
            verdict.reason = failure.reason;
            return Ok(verdict);
        }
        verdict.chain = "trusted";
    }
    verdict.valid = true;
    verdict.status = Status::Valid;
    verdict.reason = if verdict.chain == "trusted" {
        "подпись действительна: документ не изменён, ключ соответствует сертификату, цепочку удостоверяет доверенный \
         корневой сертификат"
            .into()
    } else {
        // The mathematics holds, but nobody vouches for whose key it is: a self-signed certificate
        // passes this far. Never a bare «действительна» (issue #20).
        "подпись верна: документ не изменён, ключ соответствует сертификату; подписант не подтверждён — \
         доверенные корневые сертификаты не заданы, цепочку сертификата никто не удостоверил"
            .into()
    };
    Ok(verdict)
}
