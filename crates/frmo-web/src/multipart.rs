//! Multipart forms with files (documents, import files): read part by part, text fields capped,
//! files streamed into staging files with their own limits, the form token checked before any file
//! is accepted — as the `csrf` field ahead of the files (cabinet forms) or a header (API).

use axum::extract::{FromRequest as _, Multipart, Request};
use frmo_domain::error::ValidationError;
use frmo_registry::RegistryError;
use frmo_registry::documents::files::Staged;
use frmo_registry::documents::megabytes;

use crate::AppState;
use crate::identity::session::Viewer;

/// Longest text field of a form, bytes.
const TEXT_LIMIT: usize = 1000;
/// Longest free text (a support request's `text`: 5,000 characters of Cyrillic), bytes.
const LONG_TEXT_LIMIT: usize = 20_000;
/// Most parts a form may have.
const MAX_FIELDS: usize = 30;

/// A file field a form accepts: its name, the field and label errors name, and its size limit.
pub struct FileField {
    pub name: &'static str,
    pub label: &'static str,
    pub limit: u64,
}

/// What a form sent: text fields in order, and the staged files by field name.
#[derive(Default)]
pub struct Received {
    pub fields: Vec<(String, String)>,
    pub files: Vec<(&'static str, Staged)>,
}

impl Received {
    pub fn take_file(&mut self, name: &str) -> Option<Staged> {
        let at = self.files.iter().position(|(n, _)| *n == name)?;
        Some(self.files.remove(at).1)
    }
}

pub fn invalid(field: &'static str, label: &'static str, message: impl Into<String>) -> RegistryError {
    RegistryError::invalid(ValidationError::new(field, label, message))
}

/// Reads `request` as a multipart form accepting `files`; `header_token` is the API's form token.
pub async fn read(
    state: &AppState,
    viewer: &Viewer,
    header_token: Option<&str>,
    request: Request,
    files: &[FileField],
) -> Result<Received, RegistryError> {
    let mut multipart = Multipart::from_request(request, state)
        .await
        .map_err(|_| invalid("file", "Файл", "ожидается форма с файлом (multipart/form-data)"))?;
    let mut csrf_ok = match header_token {
        Some(token) => {
            viewer.check_form(token)?;
            true
        }
        None => false,
    };
    let broken = |_| invalid("file", "Файл", "передача формы прервалась; отправьте её снова");
    let mut received = Received::default();
    let mut count = 0;
    while let Some(mut field) = multipart.next_field().await.map_err(broken)? {
        count += 1;
        if count > MAX_FIELDS {
            return Err(invalid("form", "Форма", format!("больше {MAX_FIELDS} полей")));
        }
        let name = field.name().unwrap_or_default().to_owned();
        if let Some(spec) = files.iter().find(|f| f.name == name) {
            if !csrf_ok {
                return Err(crate::identity::session::csrf_error());
            }
            let mut staged = Staged::new(field.file_name().unwrap_or_default(), spec.limit)
                .map_err(|e| RegistryError::Store(e.into()))?;
            while let Some(chunk) = field.chunk().await.map_err(broken)? {
                if staged.push(&chunk).map_err(|e| RegistryError::Store(e.into()))?.is_err() {
                    return Err(invalid(spec.name, spec.label, format!("больше допустимых {}", megabytes(spec.limit))));
                }
            }
            received.files.push((spec.name, staged));
            continue;
        }
        let mut text = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(broken)? {
            text.extend_from_slice(&chunk);
            let limit = if name == "text" { LONG_TEXT_LIMIT } else { TEXT_LIMIT };
            if text.len() > limit {
                return Err(invalid("form", "Форма", format!("поле «{name}» длиннее {limit} байт")));
            }
        }
        let text =
            String::from_utf8(text).map_err(|_| invalid("form", "Форма", format!("поле «{name}» не в UTF-8")))?;
        if name == "csrf" {
            viewer.check_form(&text)?;
            csrf_ok = true;
        } else {
            received.fields.push((name, text));
        }
    }
    if !csrf_ok {
        return Err(crate::identity::session::csrf_error());
    }
    Ok(received)
}
