//! Errors as users see them. Error policy: input errors name the field and say in Russian what is
//! wrong (400); a missing record is 404; a refusal carries its reason code (403); a database that
//! cannot be reached for now is 503; a store failure
//! is logged with its whole cause and shown as an opaque 500 with the request id — never a panic,
//! never internals in the body. One `IntoResponse` per output format: `PageError` renders HTML,
//! `ApiError` renders JSON `{code, message, field}`, `NsiError` renders the НСИ REST service's
//! `{result: "ERROR", resultText, resultCode}` (see `nsi_rest`).

use crate::i18n::filters;
use askama::Template;
use axum::Json;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use frmo_domain::access::DenyCode;
use frmo_domain::error::ValidationError;
use frmo_registry::RegistryError;
use serde::Serialize;

const INTERNAL: &str = "Внутренняя ошибка реестра. Повторите попытку позже.";
/// The database cannot be reached for now (a restart, a failover).
const UNAVAILABLE: &str = "База данных реестра временно недоступна. Повторите попытку через минуту.";

/// The parts of an error every format renders.
struct Problem {
    status: StatusCode,
    code: &'static str,
    message: String,
    errors: Vec<ValidationError>,
}

impl From<RegistryError> for Problem {
    fn from(error: RegistryError) -> Self {
        match error {
            RegistryError::Invalid(errors) => Problem {
                status: StatusCode::BAD_REQUEST,
                code: "invalid_parameter",
                message: errors.first().map_or_else(String::new, ToString::to_string),
                errors,
            },
            RegistryError::NotFound(message) => {
                Problem { status: StatusCode::NOT_FOUND, code: "not_found", message, errors: Vec::new() }
            }
            RegistryError::Forbidden(code) => Problem {
                status: if code == DenyCode::NotSignedIn { StatusCode::UNAUTHORIZED } else { StatusCode::FORBIDDEN },
                code: code.as_str(),
                message: format!("{} {}", code.reason(), code.remedy()),
                errors: Vec::new(),
            },
            RegistryError::Conflict(message) => {
                Problem { status: StatusCode::CONFLICT, code: "conflict", message, errors: Vec::new() }
            }
            duplicate @ RegistryError::Duplicate { .. } => Problem {
                status: StatusCode::CONFLICT,
                code: "duplicate",
                message: duplicate.to_string(),
                errors: Vec::new(),
            },
            RegistryError::Store(error) if error.is_unavailable() => {
                tracing::error!(error = %error, "the database is unavailable");
                Problem {
                    status: StatusCode::SERVICE_UNAVAILABLE,
                    code: "unavailable",
                    message: UNAVAILABLE.to_owned(),
                    errors: Vec::new(),
                }
            }
            RegistryError::Store(error) => {
                tracing::error!(error = %error, "store failure");
                Problem {
                    status: StatusCode::INTERNAL_SERVER_ERROR,
                    code: "internal",
                    message: INTERNAL.to_owned(),
                    errors: Vec::new(),
                }
            }
        }
    }
}

/// An error of the JSON API.
pub struct ApiError(Problem);

impl ApiError {
    /// An answer of the HTTP layer itself (no such route, a method the route does not take, a body
    /// too large or of the wrong type, a timeout…) as the API's JSON error; `allow` is the route's
    /// `Allow` header for a 405.
    pub fn of_status(status: StatusCode, allow: Option<&str>) -> ApiError {
        let (code, message) = match status {
            StatusCode::BAD_REQUEST => ("bad_request", "Запрос не разобран.".to_owned()),
            StatusCode::UNAUTHORIZED => ("not_signed_in", "Нужно войти в реестр.".to_owned()),
            StatusCode::FORBIDDEN => ("forbidden", "Доступ запрещён.".to_owned()),
            StatusCode::NOT_FOUND => ("not_found", "Нет такого ресурса API; описание: /api/v1/openapi.json".to_owned()),
            StatusCode::METHOD_NOT_ALLOWED => (
                "method_not_allowed",
                format!("Этот метод по этому адресу не поддерживается; допустимые методы: {}.", allow.unwrap_or("нет")),
            ),
            StatusCode::PAYLOAD_TOO_LARGE => ("payload_too_large", "Тело запроса слишком велико.".to_owned()),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => {
                ("unsupported_media_type", "Тип содержимого запроса не поддерживается.".to_owned())
            }
            StatusCode::TOO_MANY_REQUESTS => {
                ("too_many_requests", "Слишком много запросов; повторите попытку позже.".to_owned())
            }
            StatusCode::SERVICE_UNAVAILABLE | StatusCode::REQUEST_TIMEOUT | StatusCode::GATEWAY_TIMEOUT => {
                ("unavailable", "Реестр не успел ответить; повторите попытку позже.".to_owned())
            }
            status if status.is_server_error() => ("internal", INTERNAL.to_owned()),
            _ => ("http_error", format!("Запрос не выполнен (HTTP {}).", status.as_u16())),
        };
        ApiError(Problem { status, code, message, errors: Vec::new() })
    }
}

impl From<PageError> for ApiError {
    /// The same error, for a route of the API.
    fn from(error: PageError) -> Self {
        ApiError(error.0)
    }
}

impl<E: Into<RegistryError>> From<E> for ApiError {
    fn from(error: E) -> Self {
        ApiError(error.into().into())
    }
}

/// An error of the FHIR face (`fhir`): an `OperationOutcome` with the status of its kind and the
/// issue code FHIR gives it (`invalid`, `not-found`, `forbidden`, `exception`).
pub struct FhirError(Problem);

impl<E: Into<RegistryError>> From<E> for FhirError {
    fn from(error: E) -> Self {
        FhirError(error.into().into())
    }
}

impl IntoResponse for FhirError {
    fn into_response(self) -> Response {
        let p = &self.0;
        let code = match p.status {
            StatusCode::BAD_REQUEST => "invalid",
            StatusCode::NOT_FOUND => "not-found",
            StatusCode::UNAUTHORIZED => "login",
            StatusCode::FORBIDDEN => "forbidden",
            StatusCode::CONFLICT => "conflict",
            _ => "exception",
        };
        let mut issues: Vec<serde_json::Value> = p
            .errors
            .iter()
            .map(|e| serde_json::json!({"severity": "error", "code": code, "diagnostics": e.to_string(), "expression": [e.field]}))
            .collect();
        if issues.is_empty() {
            issues.push(serde_json::json!({"severity": "error", "code": code, "diagnostics": p.message}));
        }
        let body = serde_json::json!({"resourceType": "OperationOutcome", "issue": issues});
        (p.status, [(axum::http::header::CONTENT_TYPE, crate::integration::fhir::FHIR_JSON)], body.to_string())
            .into_response()
    }
}

/// An error of the НСИ-compatible REST service: НСИ's own shape, with the status of its kind.
pub struct NsiError(Problem);

impl<E: Into<RegistryError>> From<E> for NsiError {
    fn from(error: E) -> Self {
        NsiError(error.into().into())
    }
}

impl IntoResponse for NsiError {
    fn into_response(self) -> Response {
        let p = &self.0;
        let body = serde_json::json!({"result": "ERROR", "resultText": p.message, "resultCode": p.code});
        (p.status, Json(body)).into_response()
    }
}

/// An error of the integration API (`/ips`, see `ips`): the ИПС's `ProblemDetails`
/// `{timestamp, code, reasonPhrase, message}` (what its public client parses from any non-2xx
/// answer), with the envelope's `requestId` and `errorUserMessage` and each field's error beside.
pub struct IpsError {
    problem: Problem,
    request_id: String,
}

impl IpsError {
    pub fn new(error: impl Into<RegistryError>, request_id: &str) -> Self {
        IpsError { problem: error.into().into(), request_id: request_id.to_owned() }
    }
}

impl IntoResponse for IpsError {
    fn into_response(self) -> Response {
        let p = &self.problem;
        let messages: Vec<String> = p.errors.iter().map(ToString::to_string).collect();
        let message = if messages.is_empty() { p.message.clone() } else { messages.join("; ") };
        let timestamp = time::OffsetDateTime::now_utc()
            .to_offset(time::UtcOffset::from_hms(3, 0, 0).unwrap_or(time::UtcOffset::UTC))
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        let body = serde_json::json!({
            "timestamp": timestamp,
            "code": p.status.as_u16(),
            "reasonPhrase": p.status.canonical_reason().unwrap_or(""),
            "message": message,
            "requestId": self.request_id,
            "errorUserMessage": message,
            "errorCode": p.code,
            "errors": p.errors.iter().zip(&messages).map(|(e, m)| FieldError { field: e.field, message: m }).collect::<Vec<_>>(),
        });
        (p.status, Json(body)).into_response()
    }
}

#[derive(Serialize)]
struct FieldError<'a> {
    field: &'a str,
    message: &'a str,
}

#[derive(Serialize)]
struct ApiErrorBody<'a> {
    code: &'a str,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    errors: Vec<FieldError<'a>>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let p = &self.0;
        let messages: Vec<String> = p.errors.iter().map(ToString::to_string).collect();
        let body = ApiErrorBody {
            code: p.code,
            message: &p.message,
            field: p.errors.first().map(|e| e.field),
            errors: p.errors.iter().zip(&messages).map(|(e, m)| FieldError { field: e.field, message: m }).collect(),
        };
        (p.status, Json(body)).into_response()
    }
}

/// An error of an HTML page.
pub struct PageError(Problem);

impl<E: Into<RegistryError>> From<E> for PageError {
    fn from(error: E) -> Self {
        PageError(error.into().into())
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    title: &'a str,
    status: u16,
    code: &'a str,
    message: &'a str,
    details: Vec<String>,
    /// «Сообщить о проблеме»: the support form with this error's code, request id and page.
    report_href: String,
    /// Where a refusal is undone: the link and its words.
    way_out: Option<(&'static str, &'static str)>,
}

/// The way out of a refusal, by its code: every refusal links to what lifts it.
fn way_out(code: &str) -> Option<(&'static str, &'static str)> {
    match code {
        "NOT_SIGNED_IN" => Some(("/login", "Войти")),
        "CONSENT_MISSING" => Some(("/cabinet/profile#consent", "Прочитать и принять согласие")),
        "ACCOUNT_NOT_CONFIRMED" => Some(("/cabinet/profile", "Профиль: как подтвердить учётную запись")),
        "OUTSIDE_REGION" => Some(("/cabinet/moderation", "Заявки ваших регионов")),
        "NOT_A_MEMBER" | "NOT_CHIEF" | "NOT_THE_AUTHOR" | "READ_ONLY_ROLE" | "ROLE_REQUIRED" | "OPERATOR_REQUIRED" => {
            Some(("/cabinet", "В кабинет: ваши организации и задачи"))
        }
        _ => None,
    }
}

/// The support form's address for an error with `code` on the current request.
fn report_href(code: &str) -> String {
    let (id, path) = crate::frame::CURRENT
        .try_with(|context| {
            let id = context.id.to_str().unwrap_or("-").to_owned();
            (id, context.uri.path().chars().take(300).collect::<String>())
        })
        .unwrap_or_else(|_| ("-".to_owned(), String::new()));
    let encode = |text: &str| crate::query::percent_encode(text, b"-_.~/");
    format!("/support/new?code={}&request={}&page={}", encode(code), encode(&id), encode(&path))
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let p = &self.0;
        let title = match p.status {
            StatusCode::NOT_FOUND => "Не найдено",
            StatusCode::BAD_REQUEST => "Неверный запрос",
            StatusCode::FORBIDDEN => "Доступ запрещён",
            StatusCode::UNAUTHORIZED => "Нужно войти",
            StatusCode::TOO_MANY_REQUESTS => "Слишком много запросов",
            StatusCode::SERVICE_UNAVAILABLE => "Временно недоступно",
            _ => "Ошибка",
        };
        let page = ErrorPage {
            title,
            status: p.status.as_u16(),
            code: p.code,
            message: &p.message,
            details: p.errors.iter().map(ToString::to_string).collect(),
            report_href: report_href(p.code),
            way_out: way_out(p.code),
        };
        (p.status, render(&page)).into_response()
    }
}

/// Over a rate limit: `429` with `Retry-After`, as JSON for the API and as a page otherwise.
pub fn too_many_requests(api: bool, retry_after_seconds: u64) -> Response {
    let problem = Problem {
        status: StatusCode::TOO_MANY_REQUESTS,
        code: "rate_limited",
        message: format!(
            "Слишком много запросов с вашего адреса или от вашей учётной записи. \
             Повторите попытку через {retry_after_seconds} с."
        ),
        errors: Vec::new(),
    };
    let mut response = if api { ApiError(problem).into_response() } else { PageError(problem).into_response() };
    response.headers_mut().insert(axum::http::header::RETRY_AFTER, retry_after_seconds.into());
    response
}

/// Renders a template; a template that fails to render is a bug, logged and shown as a 500.
pub fn render(template: &impl Template) -> Response {
    match template.render() {
        Ok(html) => Html(html).into_response(),
        Err(error) => {
            tracing::error!(%error, "template failed to render");
            (StatusCode::INTERNAL_SERVER_ERROR, "Внутренняя ошибка реестра").into_response()
        }
    }
}

/// A panic in a handler (a bug) becomes a 500 without details.
pub fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("handler panicked");
    (StatusCode::INTERNAL_SERVER_ERROR, "Внутренняя ошибка реестра").into_response()
}
