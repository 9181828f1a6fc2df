//! Documents over HTTP, on both backends and both file stores: the cabinet's multipart form and the
//! API, downloads with their access rules, the public card's licences, and uploads refused with a
//! message naming the field that leave no file and no row.

use frmo_registry::documents::DocumentSettings;
use frmo_testkit::s3::Storage;
use frmo_testkit::{Backend, TestApp, multipart, storage_tests};

use super::{REAVIZ_OGRN, REAVIZ_OID, esia_person};

fn fixture(path: &str) -> Vec<u8> {
    std::fs::read(format!("{}/../{path}", env!("CARGO_MANIFEST_DIR"))).expect(path)
}

/// A member of Реавиз: the session cookie and the form token.
async fn member(app: &TestApp) -> (String, String) {
    let new = esia_person(app, "2000001", "Иванова Мария Петровна", None, true, Some((REAVIZ_OGRN, false))).await;
    let session = app.registry.session(&new.token).await.expect("lookup").expect("session");
    (format!("frmo_session={}", new.token), session.record.csrf)
}

async fn post(
    app: &TestApp,
    path: &str,
    cookie: &str,
    token: Option<&str>,
    body: (String, Vec<u8>),
) -> reqwest::Response {
    let mut request = app
        .client
        .post(format!("{}{path}", app.base))
        .header("cookie", cookie)
        .header("content-type", body.0)
        .body(body.1);
    if let Some(token) = token {
        request = request.header("x-csrf-token", token);
    }
    request.send().await.expect("POST")
}

async fn get(app: &TestApp, path: &str, cookie: Option<&str>) -> reqwest::Response {
    let mut request = app.client.get(format!("{}{path}", app.base));
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    request.send().await.expect("GET")
}

async fn the_cabinet_form_and_the_api_keep_documents_and_serve_them(backend: Backend, storage: Storage) {
    let app = TestApp::with_storage(backend, 0, storage, DocumentSettings::default()).await;
    let (cookie, csrf) = member(&app).await;
    let pdf = fixture("frmo-domain/tests/fixtures/documents/licence.pdf");
    let signature = fixture("frmo-esign/tests/fixtures/licence-pdf.sig");
    let form = multipart(
        &[("csrf", &csrf), ("kind", "1"), ("number", "Л041-01"), ("issued_on", "2024-03-01"), ("valid_until", "")],
        &[("file", "Лицензия.pdf", &pdf), ("signature", "Лицензия.pdf.sig", &signature)],
    );
    let path = format!("/cabinet/organizations/{REAVIZ_OID}/documents");
    let response = post(&app, &path, &cookie, None, form).await;
    assert_eq!(response.status(), 303, "{:?}", response.text().await);
    let page = get(&app, &format!("{path}?done=document"), Some(&cookie)).await.text().await.expect("page");
    assert!(page.contains("Документ сохранён"), "{page}");
    // No trust anchor is configured here: the signature is right, its signer unconfirmed.
    assert!(page.contains("верна, подписант не подтверждён") && page.contains("Иванова Мария Петровна"), "{page}");

    // The API: a private order, with the form token in a header.
    let docx = fixture("frmo-domain/tests/fixtures/documents/order.docx");
    let api = format!("/api/v1/cabinet/organizations/{REAVIZ_OID}/documents");
    let order =
        multipart(&[("kind", "6"), ("number", "17-п"), ("issuedOn", "01.02.2024")], &[("file", "приказ.docx", &docx)]);
    let response = post(&app, &api, &cookie, Some(&csrf), order).await;
    assert_eq!(response.status(), 201);
    let created: serde_json::Value = response.json().await.expect("JSON");
    assert_eq!(created["document"]["status"], "актуален");
    assert_eq!(
        created["document"]["mediaType"],
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    );
    let order_id = created["id"].as_i64().expect("id");
    let list: serde_json::Value = get(&app, &api, Some(&cookie)).await.json().await.expect("JSON");
    assert_eq!(list["documents"].as_array().map(Vec::len), Some(2));

    // The public card and the public API show the licence, not the order; anyone downloads it.
    let public: serde_json::Value =
        get(&app, &format!("/api/v1/organizations/{REAVIZ_OID}/documents"), None).await.json().await.expect("JSON");
    let documents = public["documents"].as_array().expect("list");
    assert_eq!(documents.len(), 1, "{public}");
    assert_eq!(documents[0]["signature"]["label"], "верна, подписант не подтверждён");
    let card = get(&app, &format!("/organizations/{REAVIZ_OID}"), None).await.text().await.expect("card");
    assert!(card.contains("Л041-01") && !card.contains("17-п"), "the card lists public documents only");
    let url = documents[0]["url"].as_str().expect("url");
    let response = get(&app, url, None).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/pdf");
    let disposition = response.headers()["content-disposition"].to_str().expect("ASCII").to_owned();
    assert!(disposition.starts_with("attachment;") && disposition.contains("UTF-8''"), "{disposition}");
    assert_eq!(response.bytes().await.expect("body").as_ref(), pdf.as_slice());

    // The order: members only.
    let order_url = format!("/documents/{order_id}/file");
    assert_eq!(get(&app, &order_url, None).await.status(), 401);
    let stranger = esia_person(&app, "2000002", "Посторонний", None, true, None).await;
    assert_eq!(get(&app, &order_url, Some(&format!("frmo_session={}", stranger.token))).await.status(), 403);
    assert_eq!(get(&app, &order_url, Some(&cookie)).await.bytes().await.expect("body").as_ref(), docx.as_slice());
    assert_eq!(get(&app, "/documents/999999/file", Some(&cookie)).await.status(), 404);
    assert_eq!(get(&app, "/documents/abc/file", Some(&cookie)).await.status(), 404);
}

async fn bad_uploads_answer_400_naming_the_field_and_store_nothing(backend: Backend, storage: Storage) {
    let settings = DocumentSettings { max_bytes: 64 * 1024, ..DocumentSettings::default() };
    let app = TestApp::with_storage(backend, 0, storage, settings).await;
    let (cookie, csrf) = member(&app).await;
    let api = format!("/api/v1/cabinet/organizations/{REAVIZ_OID}/documents");
    let fields = [("kind", "1"), ("number", "Л-1"), ("issuedOn", "2024-03-01")];
    let mut exe = b"MZ\x90\0\x03\0\0\0".to_vec();
    exe.resize(2048, 0);
    let big = vec![b'%'; 64 * 1024 + 1];
    // (file name, bytes, form token, field named, message)
    type Case<'a> = (&'a str, &'a [u8], Option<&'a str>, &'a str, &'a str);
    let cases: Vec<Case<'_>> = vec![
        ("setup.pdf", &exe, Some(&csrf), "file", "формат не поддерживается"),
        ("big.pdf", &big, Some(&csrf), "file", "больше допустимых 64 КБ"),
        ("a.pdf", b"%PDF-1.4", None, "csrf", "обновите страницу"),
        ("a.pdf", b"%PDF-1.4", Some("forged"), "csrf", "обновите страницу"),
    ];
    for (name, bytes, token, field, says) in cases {
        let response = post(&app, &api, &cookie, token, multipart(&fields, &[("file", name, bytes)])).await;
        assert_eq!(response.status(), 400, "{name}");
        let body: serde_json::Value = response.json().await.expect("JSON");
        assert_eq!(body["field"], field, "{name}: {body}");
        assert!(body["message"].as_str().is_some_and(|m| m.contains(says)), "{name}: {body}");
    }
    // Not a multipart form at all.
    let response = app
        .client
        .post(format!("{}{api}", app.base))
        .header("cookie", &cookie)
        .header("x-csrf-token", &csrf)
        .form(&[("kind", "1")])
        .send()
        .await
        .expect("POST");
    assert_eq!(response.status(), 400);
    // The cabinet form shows the errors in Russian on the page.
    let path = format!("/cabinet/organizations/{REAVIZ_OID}/documents");
    let form = multipart(
        &[("csrf", &csrf), ("kind", "8"), ("number", ""), ("issued_on", "2024-03-01")],
        &[("file", "x.pdf", b"%PDF-1.4")],
    );
    let response = post(&app, &path, &cookie, None, form).await;
    assert_eq!(response.status(), 400);
    let page = response.text().await.expect("page");
    assert!(page.contains("Номер: не заполнен") && page.contains("срок обязателен"), "{page}");

    let list: serde_json::Value = get(&app, &api, Some(&cookie)).await.json().await.expect("JSON");
    assert_eq!(list["documents"].as_array().map(Vec::len), Some(0), "no row");
    let files = app.files.files().list("documents").await.expect("list");
    assert!(files.is_empty(), "no file: {files:?}");
}

storage_tests!(
    the_cabinet_form_and_the_api_keep_documents_and_serve_them,
    bad_uploads_answer_400_naming_the_field_and_store_nothing,
);
