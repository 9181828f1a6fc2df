//! Any bytes as an uploaded document: the format sniffer and the ZIP central-directory reader.
#![no_main]

use frmo_domain::document::{PackageLimits, sniff};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = sniff(data, PackageLimits::default());
});
