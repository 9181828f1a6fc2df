//! The certification path from the signer's certificate to a trust anchor (RFC 5280 §6, as far as
//! a document signature needs): signer → intermediate CAs carried in the CMS → an anchor. Issuers
//! are found by name (issuer DN = subject DN); each certificate's signature is verified with its
//! issuer's key (ГОСТ Р 34.10-2012, RSA PKCS#1 v1.5 and PSS, ECDSA P-256 and P-384); every CA on
//! the path must be valid at the moments checked, allow keyCertSign when it has keyUsage, and say
//! `cA` in basicConstraints (required of intermediates, optional for anchors), within its
//! pathLenConstraint. An anchor is its name and key: its own signature is not checked. Names match
//! byte for byte (no RFC 5280 §7.1 normalization). Paths are at most [`MAX_INTERMEDIATES`]
//! intermediates deep, never pass a certificate twice, and the search is bounded. Revocation
//! (CRL, OCSP), certificate policies and name constraints are not checked.

use time::OffsetDateTime;

use crate::Status;
use crate::cert::Certificate;
use crate::foreign::{self, Scheme};

/// At most this many intermediate CAs between the signer and the anchor.
pub const MAX_INTERMEDIATES: usize = 8;
/// At most this many issuer candidates are tried in one search (each costs a signature check).
const MAX_ATTEMPTS: usize = 64;

const GOST_SIGN_256: &str = frmo_gost::OID_SIGN_2012_256;
const GOST_SIGN_512: &str = frmo_gost::OID_SIGN_2012_512;

/// Why no path to a trust anchor was found.
#[derive(Debug, Clone)]
pub struct Failure {
    pub status: Status,
    pub reason: String,
}

/// A certificate with its DER.
struct Known<'a> {
    der: &'a [u8],
    certificate: Certificate,
}

fn parse_all(ders: &[Vec<u8>]) -> Vec<Known<'_>> {
    ders.iter().filter_map(|der| Certificate::parse(der).ok().map(|certificate| Known { der, certificate })).collect()
}

fn short(certificate: &Certificate) -> String {
    format!("«{}»", certificate.subject)
}

/// Verifies that `issuer`'s key made the signature of `child` (whose DER is `child_der`).
pub fn verify_issued(child: &Certificate, child_der: &[u8], issuer: &Certificate) -> Result<(), String> {
    if child.tbs_signature_algorithm != child.signature_algorithm_der {
        return Err("алгоритм подписи внутри сертификата и снаружи не совпадают".into());
    }
    let algorithm = child.signature_algorithm.as_str();
    let (scheme, digest) = match algorithm {
        GOST_SIGN_256 | GOST_SIGN_512 => {
            let key = frmo_gost::PublicKey::from_spki_der(&issuer.spki)
                .map_err(|error| format!("ключ издателя не подходит для ГОСТ Р 34.10-2012: {error}"))?;
            return key.verify_certificate(child_der).map_err(|error| format!("подпись не сходится: {error}"));
        }
        foreign::SHA256_WITH_RSA => (Scheme::Pkcs1, foreign::SHA256.to_owned()),
        foreign::SHA384_WITH_RSA => (Scheme::Pkcs1, foreign::SHA384.to_owned()),
        foreign::SHA512_WITH_RSA => (Scheme::Pkcs1, foreign::SHA512.to_owned()),
        foreign::ECDSA_WITH_SHA256 => (Scheme::Ecdsa, foreign::SHA256.to_owned()),
        foreign::ECDSA_WITH_SHA384 => (Scheme::Ecdsa, foreign::SHA384.to_owned()),
        foreign::ECDSA_WITH_SHA512 => (Scheme::Ecdsa, foreign::SHA512.to_owned()),
        foreign::RSA_PSS => match foreign::pss_params(&child.signature_parameters) {
            Some((hash, salt)) => (Scheme::Pss(salt), hash),
            None => return Err("параметры RSASSA-PSS не поддерживаются".into()),
        },
        other => return Err(format!("алгоритм подписи сертификата не поддерживается ({other})")),
    };
    match foreign::verify_with_key(issuer, scheme, &digest, &child.tbs, &child.signature) {
        Some(true) => Ok(()),
        Some(false) => Err("подпись не сходится".into()),
        None => Err(format!("ключ издателя не подходит к алгоритму подписи сертификата ({algorithm})")),
    }
}

/// Finds a path from the signer's certificate to one of `trust` through the certificates the CMS
/// carried; every CA on it must be valid at each of `moments`.
pub fn build(
    signer_der: &[u8],
    signer: &Certificate,
    carried: &[Vec<u8>],
    trust: &[Vec<u8>],
    moments: &[OffsetDateTime],
) -> Result<(), Failure> {
    if trust.iter().any(|anchor| anchor.as_slice() == signer_der) {
        return Ok(());
    }
    let mut search = Search {
        signer_der,
        anchors: parse_all(trust),
        intermediates: parse_all(carried),
        moments,
        attempts: 0,
        failure: None,
    };
    let mut path = Vec::new();
    if search.extend(signer_der, signer, &mut path) {
        return Ok(());
    }
    Err(search.failure.map(|(_, failure)| failure).unwrap_or_else(|| Failure {
        status: Status::Untrusted,
        reason: "не удалось построить цепочку до доверенного удостоверяющего центра".into(),
    }))
}

struct Search<'a> {
    signer_der: &'a [u8],
    anchors: Vec<Known<'a>>,
    intermediates: Vec<Known<'a>>,
    moments: &'a [OffsetDateTime],
    attempts: usize,
    /// The failure found deepest in the path (the most telling), with its depth.
    failure: Option<(usize, Failure)>,
}

impl<'a> Search<'a> {
    fn note(&mut self, depth: usize, status: Status, reason: String) {
        if self.failure.as_ref().is_none_or(|(deepest, _)| depth > *deepest) {
            self.failure = Some((depth, Failure { status, reason }));
        }
    }

    /// Whether `certificate` (reached through the intermediates `path`, indices into
    /// `self.intermediates`, the signer's issuer first) chains to an anchor.
    fn extend(&mut self, der: &'a [u8], certificate: &Certificate, path: &mut Vec<usize>) -> bool {
        let depth = path.len();
        let mut named = false;
        for index in 0..self.anchors.len() {
            if self.anchors[index].certificate.subject_der != certificate.issuer_der {
                continue;
            }
            named = true;
            if !self.attempt(depth) {
                return false;
            }
            match accept(self.moments, der, certificate, &self.anchors[index].certificate, depth, true) {
                Ok(()) => return true,
                Err((status, reason)) => self.note(depth, status, reason),
            }
        }
        for index in 0..self.intermediates.len() {
            let candidate = &self.intermediates[index];
            if candidate.certificate.subject_der != certificate.issuer_der
                || candidate.der == der
                || candidate.der == self.signer_der
                || path.contains(&index)
            {
                continue;
            }
            named = true;
            if depth >= MAX_INTERMEDIATES {
                let reason = format!("цепочка сертификатов длиннее {MAX_INTERMEDIATES} промежуточных УЦ");
                self.note(depth, Status::Untrusted, reason);
                continue;
            }
            if !self.attempt(depth) {
                return false;
            }
            let candidate = &self.intermediates[index];
            if let Err((status, reason)) = accept(self.moments, der, certificate, &candidate.certificate, depth, false)
            {
                self.note(depth, status, reason);
                continue;
            }
            path.push(index);
            let (next_der, next) = (candidate.der, candidate.certificate.clone());
            if self.extend(next_der, &next, path) {
                return true;
            }
            path.pop();
        }
        if !named {
            let reason = format!(
                "не удалось построить цепочку до доверенного удостоверяющего центра: сертификата издателя «{}» нет ни среди доверенных, ни в файле подписи",
                certificate.issuer
            );
            self.note(depth, Status::Untrusted, reason);
        }
        false
    }

    /// Counts one more issuer candidate; false (and a noted failure) when the search is over budget.
    fn attempt(&mut self, depth: usize) -> bool {
        self.attempts += 1;
        if self.attempts > MAX_ATTEMPTS {
            let reason = "цепочку не удалось построить: слишком много вариантов".to_owned();
            self.note(depth, Status::Untrusted, reason);
            return false;
        }
        true
    }
}

/// Whether `issuer` (an anchor or an intermediate with `below` intermediates under it) issued
/// `child` and may have, with its validity at each of `moments`.
fn accept(
    moments: &[OffsetDateTime],
    child_der: &[u8],
    child: &Certificate,
    issuer: &Certificate,
    below: usize,
    anchor: bool,
) -> Result<(), (Status, String)> {
    verify_issued(child, child_der, issuer).map_err(|error| {
        let reason =
            format!("подпись сертификата {} не проверяется ключом УЦ {}: {error}", short(child), short(issuer));
        (Status::Untrusted, reason)
    })?;
    if !issuer.may_sign_certificates() {
        let usage = issuer.key_usage_names().unwrap_or_default();
        let reason = format!(
            "сертификат УЦ {} не предназначен для выпуска сертификатов (keyUsage: {usage}; нет keyCertSign)",
            short(issuer)
        );
        return Err((Status::Untrusted, reason));
    }
    match issuer.basic_constraints {
        // An end-entity certificate issues nothing, even when configured as a trust anchor.
        Some(constraints) if !constraints.ca => {
            return Err((
                Status::Untrusted,
                format!("сертификат {} не является сертификатом УЦ (basicConstraints)", short(issuer)),
            ));
        }
        Some(constraints) if constraints.path_len.is_some_and(|limit| below as u64 > limit) => {
            let reason = format!("цепочка длиннее, чем позволяет pathLenConstraint сертификата УЦ {}", short(issuer));
            return Err((Status::Untrusted, reason));
        }
        None if !anchor => {
            return Err((
                Status::Untrusted,
                format!("сертификат {} не является сертификатом УЦ (нет basicConstraints)", short(issuer)),
            ));
        }
        _ => {}
    }
    if moments.iter().any(|&at| !issuer.valid_at(at)) {
        let reason =
            format!("сертификат УЦ {} не действовал в момент подписания или не действует сейчас", short(issuer));
        return Err((Status::Expired, reason));
    }
    Ok(())
}
