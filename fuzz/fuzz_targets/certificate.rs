//! Any bytes as an X.509 certificate.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = frmo_esign::Certificate::parse(data);
});
