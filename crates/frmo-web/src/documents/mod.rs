//! Documents in the cabinet and the API: the list with statuses and signature verdicts, the upload
//! form (multipart, streamed into a staging file part by part, never whole in memory), downloads
//! that check access, and the public list of an organization's licences.

use askama::Template;
use axum::Json;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use frmo_domain::access::Action;
use frmo_domain::document::DOCUMENT_KINDS;
use frmo_domain::ident::OrgOid;
use frmo_registry::RegistryError;
use frmo_registry::documents::{DocumentForm, DocumentView, Upload, megabytes};
use frmo_registry::register::organization_oid;
use futures_util::StreamExt as _;
use serde_json::json;

use crate::AppState;
use crate::error::{ApiError, PageError, render};
use crate::i18n::filters;
use crate::identity::session::Viewer;
use crate::multipart::{FileField, invalid};
use crate::register::api::ApiPath;
use crate::routes::{self, RouteSpec};

/// The documents context's cabinet routes: uploads take no body limit of the framework (the
/// per-file limits apply while streaming) and are refused before their body is read.
pub const ROUTES: &[RouteSpec] = &[
    routes::page("GET", "/cabinet/organizations/{oid}/documents", Action::ReadOrganization, || get(list)),
    routes::page("POST", "/cabinet/organizations/{oid}/documents", Action::EditOrganization, || {
        post(upload).layer(DefaultBodyLimit::disable())
    }),
    routes::api("GET", "/api/v1/cabinet/organizations/{oid}/documents", Action::ReadOrganization, || get(api_list)),
    routes::api("POST", "/api/v1/cabinet/organizations/{oid}/documents", Action::EditOrganization, || {
        post(api_upload).layer(DefaultBodyLimit::disable())
    }),
];

/// The header API clients send the session's form token in (a cross-site form cannot set it).
pub const CSRF_HEADER: &str = "x-csrf-token";

#[derive(Template)]
#[template(path = "documents.html")]
struct DocumentsPage {
    user_name: String,
    csrf: String,
    oid: String,
    name: String,
    documents: Vec<DocumentView>,
    may_upload: bool,
    errors: crate::form::FormErrors,
    /// The upload form as typed, when it was refused (files are chosen again).
    typed: frmo_registry::documents::DocumentForm,
    done: Option<crate::notice::Confirmation>,
    max_size: String,
    kinds: Vec<(u32, &'static str)>,
}

async fn page(
    state: &AppState,
    viewer: &Viewer,
    oid: &OrgOid,
    (errors, typed): (crate::form::FormErrors, frmo_registry::documents::DocumentForm),
    done: Option<crate::notice::Confirmation>,
) -> Result<Response, PageError> {
    let session = viewer.require(state).await?;
    let actor = session.actor();
    let documents = state.registry.documents(&viewer.caller, oid).await?;
    let card = state.registry.card(&actor, oid, None).await?;
    let may_upload = state.registry.may(&actor, oid, Action::EditOrganization).await?;
    let max = state.registry.documents_settings().map_or(0, |d| d.settings.max_bytes);
    let status = errors.status();
    let view = DocumentsPage {
        user_name: session.user.display_name.clone(),
        csrf: viewer.csrf().to_owned(),
        oid: oid.to_string(),
        name: card.organization.name_short,
        documents,
        may_upload,
        errors,
        typed,
        done,
        max_size: megabytes(max),
        kinds: DOCUMENT_KINDS.iter().map(|k| (k.code, k.name)).collect(),
    };
    Ok((status, render(&view)).into_response())
}

/// `GET /cabinet/organizations/{oid}/documents`
pub async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(oid): Path<String>,
    raw: axum::extract::RawQuery,
) -> Result<Response, PageError> {
    let oid = organization_oid(&oid)?;
    #[derive(serde::Deserialize, Default)]
    struct Done {
        done: Option<String>,
    }
    let query: Done = crate::query::parse(raw)?;
    let done = crate::notice::fixed(query.done.as_deref());
    page(&state, &viewer, &oid, Default::default(), done).await
}

/// `POST /cabinet/organizations/{oid}/documents` (multipart): the form's fields, then the files.
pub async fn upload(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(oid): Path<String>,
    request: Request,
) -> Result<Response, PageError> {
    let oid = organization_oid(&oid)?;
    viewer.require(&state).await?;
    state.registry.organization_target(&viewer.caller, &oid, Action::EditOrganization).await?;
    let mut typed = frmo_registry::documents::DocumentForm::default();
    let result = match receive(&state, &viewer, None, request).await {
        Ok(upload) => {
            typed = upload.form.clone();
            state.registry.upload_document(&viewer.caller, &oid, upload).await
        }
        Err(error) => Err(error),
    };
    match result {
        Ok(_) => {
            let to = crate::notice::to(&format!("/cabinet/organizations/{oid}/documents"), crate::notice::DOCUMENT);
            Ok(Redirect::to(&to).into_response())
        }
        Err(error) => {
            let fields = ["kind", "number", "issued_on", "valid_until", "replaces", "file", "signature"];
            let errors = crate::form::FormErrors::from_registry(error, "", &fields)?;
            page(&state, &viewer, &oid, (errors, typed), None).await
        }
    }
}

/// `GET /api/v1/cabinet/organizations/{oid}/documents`: every version, for those who may read.
pub async fn api_list(
    State(state): State<AppState>,
    viewer: Viewer,
    ApiPath(oid): ApiPath<String>,
) -> Result<Response, ApiError> {
    let oid = organization_oid(&oid)?;
    let documents = state.registry.documents(&viewer.caller, &oid).await?;
    Ok(Json(json!({ "oid": oid, "documents": documents })).into_response())
}

/// `POST /api/v1/cabinet/organizations/{oid}/documents` (multipart, form token in `X-CSRF-Token`).
pub async fn api_upload(
    State(state): State<AppState>,
    viewer: Viewer,
    ApiPath(oid): ApiPath<String>,
    request: Request,
) -> Result<Response, ApiError> {
    let oid = organization_oid(&oid)?;
    state.registry.organization_target(&viewer.caller, &oid, Action::EditOrganization).await?;
    let token = request.headers().get(CSRF_HEADER).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let upload = receive(&state, &viewer, Some(&token), request).await?;
    let id = state.registry.upload_document(&viewer.caller, &oid, upload).await?;
    let document = state.registry.documents(&viewer.caller, &oid).await?.into_iter().find(|d| d.id == id);
    Ok((StatusCode::CREATED, Json(json!({ "id": id, "document": document }))).into_response())
}

/// `GET /api/v1/organizations/{oid}/documents`: the current public documents (licences).
pub async fn api_public(State(state): State<AppState>, ApiPath(oid): ApiPath<String>) -> Result<Response, ApiError> {
    let oid = frmo_registry::register::public_oid(&oid)?;
    let card = state.registry.card(&frmo_domain::access::Actor::Anonymous, &oid, None).await?;
    let documents = state.registry.public_documents(&card.organization.oid).await?;
    Ok(Json(json!({ "oid": oid, "documents": documents })).into_response())
}

/// `GET /documents/{id}/file`
pub async fn file(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    send(&state, &viewer, &id, false).await
}

/// `GET /documents/{id}/signature`
pub async fn signature(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    send(&state, &viewer, &id, true).await
}

async fn send(state: &AppState, viewer: &Viewer, id: &str, signature: bool) -> Result<Response, PageError> {
    let id: i64 = id.parse().map_err(|_| RegistryError::NotFound(format!("Документ «{id}» не найден")))?;
    let download = state.registry.document_file(&viewer.caller, id, signature).await?;
    Ok(stream(download))
}

/// A stored file as an attachment, streamed from the object store.
pub(crate) fn stream(download: frmo_registry::documents::Download) -> Response {
    let mut headers = HeaderMap::new();
    if let Ok(value) = HeaderValue::from_str(&download.media_type) {
        headers.insert(header::CONTENT_TYPE, value);
    }
    if let Some(size) = download.size {
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from(size.max(0) as u64));
    }
    if let Ok(value) = HeaderValue::from_str(&content_disposition(&download.name)) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    let body = download.body.map(|chunk| chunk.map_err(std::io::Error::other));
    (headers, Body::from_stream(body)).into_response()
}

/// `attachment` with an ASCII fallback name and the real one in RFC 5987 encoding.
fn content_disposition(name: &str) -> String {
    let ascii: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() || ".-_".contains(c) { c } else { '_' }).collect();
    let encoded = crate::query::percent_encode(name, b".-_~");
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

/// Reads the upload form: its fields, then `file` and `signature` streamed into staging files.
async fn receive(
    state: &AppState,
    viewer: &Viewer,
    header_token: Option<&str>,
    request: Request,
) -> Result<Upload, RegistryError> {
    let settings = state
        .registry
        .documents_settings()
        .map(|d| d.settings.clone())
        .ok_or_else(|| RegistryError::Conflict("Хранилище документов не настроено в этом развёртывании.".into()))?;
    let files = [
        FileField { name: "file", label: "Файл", limit: settings.max_bytes },
        FileField { name: "signature", label: "Файл подписи", limit: settings.max_signature_bytes },
    ];
    let mut received = crate::multipart::read(state, viewer, header_token, request, &files).await?;
    let mut form = DocumentForm::default();
    for (name, text) in std::mem::take(&mut received.fields) {
        match name.as_str() {
            "kind" => form.kind = text,
            "number" => form.number = text,
            "issued_on" | "issuedOn" => form.issued_on = text,
            "valid_until" | "validUntil" => form.valid_until = text,
            "public" => form.public = matches!(text.as_str(), "on" | "true" | "1"),
            "replaces" => {
                form.replaces = match text.trim() {
                    "" => None,
                    id => Some(
                        id.parse()
                            .map_err(|_| invalid("replaces", "Заменяет документ", "ожидается номер документа"))?,
                    ),
                }
            }
            _ => {}
        }
    }
    Ok(Upload { form, file: received.take_file("file"), signature: received.take_file("signature") })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_sent_in_both_encodings() {
        assert_eq!(
            content_disposition("Лицензия 1.pdf"),
            "attachment; filename=\"_________1.pdf\"; filename*=UTF-8''%D0%9B%D0%B8%D1%86%D0%B5%D0%BD%D0%B7%D0%B8%D1%8F%201.pdf"
        );
    }
}
