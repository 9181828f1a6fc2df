//! Running the external checkers (python3 + openpyxl, poppler-utils).

use std::path::Path;
use std::process::Command;

/// `true` if `program --version`-style probe `args` runs; panics with an install hint otherwise
/// (the independent readers are part of the test: without them it fails, it never skips).
pub fn available(program: &str, args: &[&str], install: &str) -> bool {
    let ok = Command::new(program).args(args).output().is_ok_and(|out| out.status.success());
    assert!(ok, "{program} {args:?} failed: install {install} (.ci/run does)");
    ok
}

pub fn openpyxl() -> bool {
    available("python3", &["-c", "import openpyxl"], "python3 and PyPI openpyxl==3.1.5")
}

pub fn poppler() -> bool {
    available("pdftotext", &["-v"], "Debian poppler-utils")
}

/// Runs a Python script with `args`; panics with its output if it fails.
pub fn python(script: &str, args: &[&Path]) -> String {
    let out = Command::new("python3").arg("-c").arg(script).args(args).output().expect("python3 runs");
    assert!(
        out.status.success(),
        "python failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs a poppler tool on a file and returns its stdout.
pub fn poppler_tool(program: &str, args: &[&str], file: &Path) -> String {
    let out = Command::new(program)
        .args(args)
        .arg(file)
        .args(if program == "pdftotext" { &["-"][..] } else { &[][..] })
        .output()
        .expect("poppler tool runs");
    assert!(out.status.success(), "{program} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}
