//! Uploads told apart by their content (fixtures made by tests/fixtures/documents/make.py).

use frmo_domain::document::{Format, PackageLimits, sniff, sniff_seekable};
use frmo_domain::error::ValidationError;

/// The sniffer over a file read in place (as the registry reads an upload).
fn sniff_file(path: &std::path::Path, limits: PackageLimits) -> Result<Format, ValidationError> {
    let mut file = std::fs::File::open(path).expect("open");
    let len = file.metadata().expect("metadata").len();
    sniff_seekable(&mut file, len, limits)
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/tests/fixtures/documents/{name}", env!("CARGO_MANIFEST_DIR"))).expect(name)
}

#[test]
fn formats_are_known_by_content_not_by_name() {
    let limits = PackageLimits::default();
    assert_eq!(sniff(&fixture("licence.pdf"), limits), Ok(Format::Pdf));
    assert_eq!(sniff(&fixture("scan.png"), limits), Ok(Format::Png));
    assert_eq!(sniff(&fixture("photo.jpg"), limits), Ok(Format::Jpeg));
    assert_eq!(sniff(&fixture("order.docx"), limits), Ok(Format::Docx));
    // A PDF named .png is a PDF.
    assert_eq!(sniff(&fixture("renamed.png"), limits), Ok(Format::Pdf));
}

#[test]
fn other_files_and_zip_bombs_are_refused_naming_the_file() {
    let limits = PackageLimits::default();
    for (name, says) in [
        ("archive.zip", "не является документом Word"),
        ("bomb.docx", "ZIP-бомб"),
        ("make.py", "формат не поддерживается"),
    ] {
        let error = sniff(&fixture(name), limits).expect_err(name);
        assert_eq!(error.field, "file");
        assert!(error.to_string().contains(says), "{name}: {error}");
    }
    let mut truncated = fixture("order.docx");
    truncated.truncate(truncated.len() - 10);
    assert!(sniff(&truncated, limits).is_err(), "a truncated package");
    assert!(sniff(b"", limits).is_err());
}

#[test]
fn a_file_on_disk_is_told_the_same_way_reading_only_its_ends() {
    let limits = PackageLimits::default();
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/documents");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).expect("fixtures") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "py") {
            continue;
        }
        let bytes = std::fs::read(&path).expect("fixture");
        assert_eq!(sniff_file(&path, limits), sniff(&bytes, limits), "{}", path.display());
        seen += 1;
    }
    assert!(seen >= 6);
    let truncated = tempfile_with(&fixture("order.docx")[..400]);
    assert!(sniff_file(truncated.path(), limits).is_err(), "a truncated package");
}

fn tempfile_with(bytes: &[u8]) -> tempfile::NamedTempFile {
    let mut file = tempfile::NamedTempFile::new().expect("temp file");
    std::io::Write::write_all(&mut file, bytes).expect("write");
    file
}

proptest::proptest! {
    /// No bytes make the sniffer panic: random ones, and a real DOCX with bytes overwritten
    /// (the central directory's offsets and sizes among them). `fuzz/` runs the same under libFuzzer.
    #[test]
    fn no_input_makes_the_sniffer_panic(
        random in proptest::collection::vec(proptest::num::u8::ANY, 0..512),
        edits in proptest::collection::vec((0usize..450, proptest::num::u8::ANY), 1..8),
    ) {
        let limits = PackageLimits::default();
        let _ = sniff(&random, limits);
        let mut docx = fixture("order.docx");
        for (at, byte) in edits {
            let at = at % docx.len();
            docx[at] = byte;
        }
        let _ = sniff(&docx, limits);
        let file = tempfile_with(&docx);
        let _ = sniff_file(file.path(), limits);
    }
}
