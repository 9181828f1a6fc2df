//! Uploads told apart by their content (fixtures made by tests/fixtures/documents/make.py).

use frmo_domain::document::{Format, PackageLimits, sniff};

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
