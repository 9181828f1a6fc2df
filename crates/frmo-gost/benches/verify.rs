//! GOST R 34.10-2012 (256 bits, Streebog-256) verifications per second on one core, beside OpenSSL's
//! GOST engine verifying the same signature in the same run.
//!
//!     cargo bench -p frmo-gost --bench verify [-- SECONDS]
//!
//! OpenSSL has no batch mode for GOST verification (`openssl speed` does not know the engine's
//! algorithms), so it is timed as `openssl dgst -engine gost -md_gost12_256 -verify` processes, and
//! the cost of a process that loads the engine and hashes the same message without verifying is
//! subtracted: what remains is OpenSSL's verification itself. The two kinds of process alternate
//! and the median of the pairwise differences is taken, so a busy moment of the machine falls on
//! both sides of a pair (a difference of two ~5 ms processes is still coarse: read it as an order
//! of magnitude). Both figures are printed.

#![allow(clippy::unwrap_used)] // a benchmark: a failure is a failed run

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use frmo_gost::PublicKey;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

/// Runs `args` once; its wall time.
fn process(args: &[&str], expect: &str) -> Duration {
    let started = Instant::now();
    let output = Command::new("openssl").args(args).output().expect("openssl runs");
    let elapsed = started.elapsed();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains(expect), "openssl said {stdout} {}", String::from_utf8_lossy(&output.stderr));
    elapsed
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() {
    let seconds: u64 = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(3);
    let message = std::fs::read(fixture("message.txt")).unwrap();
    let signature = std::fs::read(fixture("gost256-a.sig")).unwrap();
    let public = PublicKey::from_pem(&std::fs::read_to_string(fixture("gost256-a.pub.pem")).unwrap()).unwrap();
    public.verify(&message, &signature).expect("the fixture verifies");
    let mut tampered = signature.clone();
    tampered[5] ^= 1;
    assert!(public.verify(&message, &tampered).is_err(), "a changed signature fails");

    // frmo-gost: one thread, whole verifications (hash + curve arithmetic) for `seconds`.
    let mut done = 0u64;
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(seconds) {
        for _ in 0..50 {
            public.verify(&message, &signature).unwrap();
        }
        done += 50;
    }
    let ours = done as f64 / started.elapsed().as_secs_f64();
    println!("frmo-gost   GOST R 34.10-2012 256 (paramSetA) + Streebog-256: {ours:>8.0} verifications/s on one core");

    let dir = tempfile::tempdir().unwrap();
    let msg = dir.path().join("message.txt");
    std::fs::write(&msg, &message).unwrap();
    let (pub_pem, sig, msg) = (
        fixture("gost256-a.pub.pem").display().to_string(),
        fixture("gost256-a.sig").display().to_string(),
        msg.display().to_string(),
    );
    let runs = 200;
    let verify = ["dgst", "-engine", "gost", "-md_gost12_256", "-verify", &pub_pem, "-signature", &sig, &msg];
    let hash = ["dgst", "-engine", "gost", "-md_gost12_256", &msg];
    for _ in 0..5 {
        process(&verify, "Verified OK");
    }
    let (mut whole, mut differences) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        let with_verify = process(&verify, "Verified OK").as_secs_f64();
        let without = process(&hash, "md_gost12_256").as_secs_f64();
        whole.push(with_verify);
        differences.push(with_verify - without);
    }
    let per_process = median(whole);
    let net = median(differences).max(1e-6);
    println!(
        "openssl     dgst -engine gost -verify, whole process:           {:>8.0} verifications/s ({:.2} ms a process)",
        1.0 / per_process,
        per_process * 1e3
    );
    println!(
        "openssl     the verification alone (process minus hash-only):    {:>8.0} verifications/s ({:.3} ms)",
        1.0 / net,
        net * 1e3
    );
    println!("ratio       frmo-gost / openssl (verification alone):          {:>8.2}", ours * net);
}
