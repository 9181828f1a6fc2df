//! Any bytes as a detached signature (DER, PEM or base64 CMS) of a fixed document: the CMS parser,
//! the certificate parser and the verifiers must answer, never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = frmo_esign::verify(b"document", data, &[], time::OffsetDateTime::UNIX_EPOCH);
    let _ = frmo_esign::verify(b"document", data, &[data.to_vec()], time::OffsetDateTime::UNIX_EPOCH);
});
