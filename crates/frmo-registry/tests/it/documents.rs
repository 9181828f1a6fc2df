//! Documents on both backends and both file stores (a local folder and S3 on a moto server):
//! upload with a signature verified on arrival, versions, statuses, who may download, refusals that
//! leave no file and no row, the orphan sweep and expiry reminders.

use frmo_domain::access::{Actor, DenyCode};
use frmo_registry::documents::files::Staged;
use frmo_registry::documents::{DocumentForm, DocumentSettings, Upload};
use frmo_registry::{Caller, Registry, RegistryError};
use frmo_testkit::docx::lying_docx;
use frmo_testkit::s3::{Storage, TestFiles};
use frmo_testkit::{Backend, TestDb, storage_tests};
use futures_util::StreamExt as _;

use super::identity::{consenting, esia_sign_in};
use super::{REAVIZ, REAVIZ_OID};

async fn registry(backend: Backend, storage: Storage, settings: DocumentSettings) -> (TestDb, TestFiles, Registry) {
    let db = TestDb::new(backend).await;
    let files = TestFiles::new(storage);
    let registry = Registry::open(db.store().await).await.expect("open").with_documents(files.files(), settings);
    assert!(registry.seed_demo(&Actor::System, 0).await.expect("seed"));
    (db, files, registry)
}

fn fixture(path: &str) -> Vec<u8> {
    std::fs::read(format!("{}/../{path}", env!("CARGO_MANIFEST_DIR"))).expect(path)
}

fn document(name: &str) -> Vec<u8> {
    fixture(&format!("frmo-domain/tests/fixtures/documents/{name}"))
}

fn staged(name: &str, bytes: &[u8]) -> Staged {
    let mut staged = Staged::new(name, 10 * 1024 * 1024).expect("staging file");
    for chunk in bytes.chunks(1000) {
        staged.push(chunk).expect("write").expect("within the limit");
    }
    staged
}

fn form(kind: u32, number: &str, valid_until: &str) -> DocumentForm {
    DocumentForm {
        kind: kind.to_string(),
        number: number.into(),
        issued_on: "2024-03-01".into(),
        valid_until: valid_until.into(),
        public: false,
        replaces: None,
    }
}

fn upload(form: DocumentForm, name: &str, bytes: &[u8], signature: Option<&[u8]>) -> Upload {
    Upload { form, file: Some(staged(name, bytes)), signature: signature.map(|s| staged("licence.pdf.sig", s)) }
}

async fn member(registry: &Registry) -> Caller {
    let session = registry.sign_in(esia_sign_in("1000299654", true, false)).await.expect("sign in");
    consenting(registry, &session).await
}

async fn download(registry: &Registry, caller: &Caller, id: i64) -> Result<Vec<u8>, RegistryError> {
    let mut file = registry.document_file(caller, id, false).await?;
    let mut bytes = Vec::new();
    while let Some(chunk) = file.body.next().await {
        bytes.extend_from_slice(&chunk.expect("chunk"));
    }
    Ok(bytes)
}

async fn stored_files(files: &TestFiles) -> Vec<String> {
    files.files().list("documents").await.expect("list").into_iter().map(|(key, _)| key).collect()
}

/// The test CA that issued the signer's certificate of `licence-pdf.sig`, as a trust anchor.
fn test_ca() -> Vec<u8> {
    let pem = String::from_utf8(fixture("frmo-esign/tests/fixtures/ca.crt")).expect("PEM");
    frmo_gost::pem_to_der(&pem, "CERTIFICATE").expect("certificate")
}

async fn documents_are_kept_in_versions_and_read_by_those_who_may(backend: Backend, storage: Storage) {
    let settings = DocumentSettings { trust: vec![test_ca()], ..DocumentSettings::default() };
    let (_db, files, registry) = registry(backend, storage, settings).await;
    let member = member(&registry).await;
    let pdf = document("licence.pdf");
    let signature = fixture("frmo-esign/tests/fixtures/licence-pdf.sig");
    let licence = upload(form(1, "Л041-00110-63/00123456", ""), "C:\\scans\\Лицензия.pdf", &pdf, Some(&signature));
    let id = registry.upload_document(&member, &REAVIZ, licence).await.expect("upload");

    let list = registry.documents(&member, &REAVIZ).await.expect("list");
    let view = list.iter().find(|d| d.id == id).expect("listed");
    assert_eq!(
        (view.status.label(), view.public, view.version, view.file_name.as_str()),
        ("актуален", true, 1, "Лицензия.pdf")
    );
    assert_eq!((view.media_type.as_str(), view.size), ("application/pdf", pdf.len() as i64));
    let expected_sha: String =
        <sha2::Sha256 as sha2::Digest>::digest(&pdf).iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(view.sha256, expected_sha);
    let verdict = view.signature.as_ref().expect("a signature verdict");
    assert_eq!((verdict.label, verdict.valid), ("действительна", true), "{verdict:?}");
    assert!(verdict.signer.contains("Иванова Мария Петровна"), "{}", verdict.signer);
    assert!(!verdict.signer.contains("11223344595"), "СНИЛС is not shown: {}", verdict.signer);

    // A public licence: on the public card and downloadable by anyone, byte for byte.
    let public = registry.public_documents(&REAVIZ).await.expect("public");
    assert_eq!(public.iter().map(|d| d.id).collect::<Vec<_>>(), vec![id]);
    assert_eq!(download(&registry, &Caller::anonymous("t"), id).await.expect("public download"), pdf);
    let mut signature_file = registry.document_file(&Caller::anonymous("t"), id, true).await.expect("signature");
    assert_eq!(signature_file.body.next().await.expect("a chunk").expect("bytes").len(), signature.len());

    // A private order: members only.
    let docx = document("order.docx");
    let order = registry.upload_document(&member, &REAVIZ, upload(form(6, "17-п", ""), "приказ.docx", &docx, None));
    let order = order.await.expect("order");
    assert_eq!(download(&registry, &member, order).await.expect("member download"), docx);
    assert!(matches!(
        download(&registry, &Caller::anonymous("t"), order).await,
        Err(RegistryError::Forbidden(DenyCode::NotSignedIn))
    ));
    assert!(matches!(
        registry.documents(&Caller::anonymous("t"), &REAVIZ).await,
        Err(RegistryError::Forbidden(DenyCode::NotSignedIn))
    ));

    // Replacing keeps the old version, «заменён», readable by members only.
    let png = document("scan.png");
    let mut replacement = form(1, "Л041-00110-63/00999999", "");
    replacement.replaces = Some(id);
    let new = registry.upload_document(&member, &REAVIZ, upload(replacement.clone(), "скан.png", &png, None));
    let new = new.await.expect("replace");
    let list = registry.documents(&member, &REAVIZ).await.expect("list");
    let old = list.iter().find(|d| d.id == id).expect("old version kept");
    let fresh = list.iter().find(|d| d.id == new).expect("new version");
    assert_eq!((old.status.label(), old.current), ("заменён", false));
    assert_eq!((fresh.status.label(), fresh.version, fresh.series.as_str()), ("актуален", 2, old.series.as_str()));
    assert_eq!(
        registry.public_documents(&REAVIZ).await.expect("public").iter().map(|d| d.id).collect::<Vec<_>>(),
        vec![new]
    );
    assert_eq!(download(&registry, &member, id).await.expect("old version"), pdf);
    assert!(download(&registry, &Caller::anonymous("t"), id).await.is_err(), "a replaced version is not public");
    // The same version cannot be replaced twice.
    let again = registry.upload_document(&member, &REAVIZ, upload(replacement, "скан.png", &png, None)).await;
    assert!(matches!(again, Err(RegistryError::Conflict(_))), "{again:?}");
    assert_eq!(stored_files(&files).await.len(), 4, "three files and one signature; the refused one left none");

    let journal = registry.journal_of(REAVIZ_OID, 50).await.expect("journal");
    assert_eq!(journal.iter().filter(|r| r.kind == "document").count(), 3);
}

async fn bad_uploads_are_refused_by_field_and_leave_nothing(backend: Backend, storage: Storage) {
    let settings = DocumentSettings { max_bytes: 300_000, ..DocumentSettings::default() };
    let (_db, files, registry) = registry(backend, storage, settings).await;
    let member = member(&registry).await;
    let pdf = document("licence.pdf");
    let mut elf = b"\x7fELF\x02\x01\x01\0".to_vec();
    elf.resize(3000, 0);
    let garbage_signature: &[u8] = b"this is not a signature";
    let future = DocumentForm { issued_on: "2999-01-01".into(), ..form(6, "1", "") };
    let cases: Vec<(Upload, &str, &str)> = vec![
        (upload(form(1, "1", ""), "licence.pdf", &elf, None), "file", "формат не поддерживается"),
        (
            upload(form(1, "1", ""), "archive.docx", &document("archive.zip"), None),
            "file",
            "не является документом Word",
        ),
        (upload(form(1, "1", ""), "bomb.docx", &document("bomb.docx"), None), "file", "ZIP-бомб"),
        // Declares 4 KB, inflates to 16 MiB: refused by the bytes really inflated.
        (upload(form(1, "1", ""), "liar.docx", &lying_docx(16 << 20, 4096), None), "file", "ZIP-бомб"),
        (upload(form(1, "1", ""), "big.pdf", &vec![b'%'; 300_001], None), "file", "больше допустимых 293 КБ"),
        (Upload { form: form(1, "1", ""), file: None, signature: None }, "file", "не выбран"),
        (upload(form(42, "1", ""), "a.pdf", &pdf, None), "kind", "справочник"),
        (upload(form(1, "  ", ""), "a.pdf", &pdf, None), "number", "не заполнен"),
        (upload(future, "a.pdf", &pdf, None), "issuedOn", "позже"),
        (upload(form(8, "1", ""), "a.pdf", &pdf, None), "validUntil", "срок обязателен"),
        (upload(form(8, "1", "2020-01-01"), "a.pdf", &pdf, None), "validUntil", "раньше даты выдачи"),
        (upload(form(8, "1", "31.02.2030"), "a.pdf", &pdf, None), "validUntil", "ожидается дата"),
        (upload(form(1, "1", ""), "a.pdf", &pdf, Some(garbage_signature)), "signature", "не читается"),
    ];
    for (upload, field, says) in cases {
        match registry.upload_document(&member, &REAVIZ, upload).await {
            Err(RegistryError::Invalid(errors)) => {
                let error = errors.iter().find(|e| e.field == field).unwrap_or_else(|| panic!("{field}: {errors:?}"));
                assert!(error.message.contains(says), "{field}: {error}");
            }
            other => panic!("{field}: {other:?}"),
        }
    }
    // A stranger may not upload at all.
    let anonymous = Caller::anonymous("t");
    let refused = registry.upload_document(&anonymous, &REAVIZ, upload(form(1, "1", ""), "a.pdf", &pdf, None));
    assert!(matches!(refused.await, Err(RegistryError::Forbidden(DenyCode::NotSignedIn))));
    assert!(registry.documents(&member, &REAVIZ).await.expect("list").is_empty(), "no row");
    assert!(stored_files(&files).await.is_empty(), "no file");
}

async fn a_changed_document_keeps_its_signature_marked_invalid(backend: Backend, storage: Storage) {
    let (_db, _files, registry) = registry(backend, storage, DocumentSettings::default()).await;
    let member = member(&registry).await;
    let signature = fixture("frmo-esign/tests/fixtures/licence-pdf.sig");
    let mut pdf = document("licence.pdf");
    let last = pdf.len() - 20;
    pdf[last] ^= 1;
    let up = upload(form(1, "Л-1", ""), "licence.pdf", &pdf, Some(&signature));
    let id = registry.upload_document(&member, &REAVIZ, up).await.expect("stored, with its verdict");
    let list = registry.documents(&member, &REAVIZ).await.expect("list");
    let verdict = list.iter().find(|d| d.id == id).and_then(|d| d.signature.clone()).expect("verdict");
    assert_eq!((verdict.label, verdict.valid), ("недействительна", false));
    assert!(verdict.reason.contains("изменён"), "{}", verdict.reason);
}

async fn orphans_are_swept_and_expiry_is_reminded_once(backend: Backend, storage: Storage) {
    let (_db, files, registry) = registry(backend, storage, DocumentSettings::default()).await;
    let member = member(&registry).await;
    let pdf = document("licence.pdf");
    let soon = time::OffsetDateTime::now_utc().date() + time::Duration::days(10);
    let soon = format!("{:04}-{:02}-{:02}", soon.year(), u8::from(soon.month()), soon.day());
    let lease = registry.upload_document(&member, &REAVIZ, upload(form(8, "А-7", &soon), "a.pdf", &pdf, None));
    let lease = lease.await.expect("lease");
    let later = registry.upload_document(&member, &REAVIZ, upload(form(8, "А-8", "2099-12-31"), "b.pdf", &pdf, None));
    later.await.expect("a far one");
    let list = registry.documents(&member, &REAVIZ).await.expect("list");
    assert_eq!(list.iter().find(|d| d.id == lease).map(|d| d.status.label()), Some("истекает"));

    assert_eq!(registry.remind_expiring_documents().await.expect("remind"), 1);
    assert_eq!(registry.remind_expiring_documents().await.expect("remind again"), 0, "once per document");
    let Actor::User(person) = member.actor() else { panic!("a person") };
    let notes = registry.store().notifications(person.user_id, 10).await.expect("notifications");
    assert!(notes.iter().any(|n| n.title.contains("А-7") && n.link.ends_with("/documents")), "{notes:?}");
    assert!(!notes.iter().any(|n| n.title.contains("А-8")));

    // A blob without a row (a crash between the two) is swept once it is old enough.
    let stray = tempfile::NamedTempFile::new().expect("temp");
    std::fs::write(stray.path(), b"%PDF-1.4 stray").expect("write");
    let orphan = format!("documents/{REAVIZ_OID}/orphan");
    files.files().put_file(&orphan, stray.path()).await.expect("put");
    assert_eq!(registry.sweep_orphan_files(3600).await.expect("sweep"), 0, "too young to tell");
    assert_eq!(registry.sweep_orphan_files(-5).await.expect("sweep"), 1);
    assert!(!files.files().exists(&orphan).await.expect("head"));
    assert_eq!(stored_files(&files).await.len(), 2, "the documents' own files stay");
    assert_eq!(download(&registry, &member, lease).await.expect("still there"), pdf);
}

/// A signature whose certificate no trust anchor vouches for is never shown as a bare
/// «действительна»: the mathematics holds, the signer is not confirmed.
async fn without_a_trust_anchor_the_signer_is_unconfirmed(backend: Backend, storage: Storage) {
    let (_db, _files, registry) = registry(backend, storage, DocumentSettings::default()).await;
    let member = member(&registry).await;
    let signature = fixture("frmo-esign/tests/fixtures/licence-pdf.sig");
    let licence =
        upload(form(1, "Л041-00110-63/00123457", ""), "Лицензия.pdf", &document("licence.pdf"), Some(&signature));
    let id = registry.upload_document(&member, &REAVIZ, licence).await.expect("upload");
    let list = registry.documents(&member, &REAVIZ).await.expect("list");
    let verdict = list.iter().find(|d| d.id == id).and_then(|d| d.signature.clone()).expect("a verdict");
    assert_eq!((verdict.label, verdict.valid), ("верна, подписант не подтверждён", false), "{verdict:?}");
    assert!(verdict.reason.contains("подписант не подтверждён"), "{}", verdict.reason);
}

storage_tests!(
    without_a_trust_anchor_the_signer_is_unconfirmed,
    documents_are_kept_in_versions_and_read_by_those_who_may,
    bad_uploads_are_refused_by_field_and_leave_nothing,
    a_changed_document_keeps_its_signature_marked_invalid,
    orphans_are_swept_and_expiry_is_reminded_once,
);

/// The sniffer counts the bytes a package really inflates to, not what it declares: over the ratio
/// per entry, or over the cap in all, it stops inflating and refuses naming the file.
#[test]
fn packages_are_checked_by_the_bytes_they_really_inflate_to() {
    use frmo_domain::document::{Format, PackageLimits, sniff};
    use frmo_registry::documents::sniff_file;
    assert_eq!(sniff(&document("order.docx"), PackageLimits::default()), Ok(Format::Docx), "a real DOCX passes");
    assert_eq!(sniff(&lying_docx(0, 0), PackageLimits::default()), Ok(Format::Docx), "so does the builder's");
    let liar = lying_docx(64 << 20, 4096);
    assert!(liar.len() < 200_000, "{}", liar.len());
    let dir = tempfile::tempdir().expect("temp");
    let path = dir.path().join("liar.docx");
    std::fs::write(&path, &liar).expect("write");
    // By the ratio of one entry (64 MiB out of some 64 KiB), and by the cap in all.
    let by_total = PackageLimits { max_ratio: u64::MAX, max_unpacked: 8 << 20, ..PackageLimits::default() };
    for limits in [PackageLimits::default(), by_total] {
        for error in [sniff(&liar, limits).expect_err("bytes"), sniff_file(&path, limits).expect_err("file")] {
            assert_eq!((error.field, error.label), ("file", "Файл"));
            assert!(error.message.contains("ZIP-бомб"), "{error}");
        }
    }
}
