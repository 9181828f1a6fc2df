//! The workers of an organization: the list with search and filters, the staffing table, the CSV or
//! XLSX import with its row report, the exports and the templates, and
//! `/api/v1/organizations/{oid}/workers`.

use askama::Template;
use axum::Form;
use axum::Json;
use axum::extract::{Path, RawQuery, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use frmo_domain::access::Action;
use frmo_domain::ident::OrgOid;
use frmo_registry::RegistryError;
use frmo_registry::register::organization_oid;
use frmo_registry::workers::{ImportReport, WorkerFilter, WorkerLine, WorkersPage, rows_from_file};
use serde::Deserialize;
use serde_json::json;

use crate::AppState;
use crate::error::{ApiError, PageError, render};
use crate::form::FormErrors;
use crate::i18n::filters;
use crate::identity::session::Viewer;
use crate::multipart::{FileField, invalid};
use crate::pager::{PAGE_SIZE, Pager};
use crate::query::ApiQuery;
use crate::register::api::ApiPath;
use crate::register::pages::Choice;

use super::directory_choices;

/// Largest import file, bytes (10,000 rows take about 2 MB).
const IMPORT_LIMIT: u64 = 20 * 1024 * 1024;

#[derive(Debug, Default, Deserialize)]
pub struct FilterParams {
    q: Option<String>,
    department: Option<String>,
    position: Option<String>,
    specialty: Option<String>,
    position_type: Option<String>,
    expiring: Option<String>,
    dismissed: Option<String>,
    on: Option<String>,
    done: Option<String>,
}

fn code(
    value: &Option<String>,
    directory: &str,
    field: &'static str,
    label: &'static str,
) -> Result<Option<u32>, RegistryError> {
    match value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(text) => {
            frmo_domain::worker::directory_code(text, directory, field, label).map(Some).map_err(RegistryError::invalid)
        }
    }
}

impl FilterParams {
    fn filter(&self) -> Result<WorkerFilter, RegistryError> {
        let expiring_days = match self.expiring.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
            None => None,
            Some(days) => Some(
                days.parse::<i64>()
                    .ok()
                    .filter(|d| (0..=3650).contains(d))
                    .ok_or_else(|| invalid("expiring", "Истекает в течение", "ожидается число дней от 0 до 3650"))?,
            ),
        };
        if self.q.as_deref().is_some_and(|q| q.trim().chars().count() > 200) {
            return Err(invalid("q", "Поиск", "не длиннее 200 символов"));
        }
        Ok(WorkerFilter {
            q: self.q.clone().unwrap_or_default(),
            department: self.department.clone().unwrap_or_default(),
            position: code(&self.position, "positions", "position", "Должность")?,
            specialty: code(&self.specialty, "specialties", "specialty", "Специальность")?,
            position_type: code(&self.position_type, "employment_types", "position_type", "Тип занятости")?,
            expiring_days,
            dismissed: self.dismissed.as_deref().is_some_and(|v| !v.is_empty()),
            on: match self.on.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
                None => None,
                Some(day) => Some(frmo_domain::date::parse("on", "На дату", day).map_err(RegistryError::invalid)?),
            },
        })
    }
}

#[derive(Template)]
#[template(path = "workers.html")]
struct WorkersView {
    user_name: String,
    csrf: String,
    oid: String,
    name: String,
    page: WorkersPage,
    may_edit: bool,
    q: String,
    department: String,
    expiring: String,
    dismissed: bool,
    on: String,
    positions: Vec<Choice>,
    specialties: Vec<Choice>,
    types: Vec<Choice>,
    done: Option<crate::notice::Confirmation>,
    report: Option<ImportReport>,
    report_csv: String,
    /// The staffing or the import form refused (ids `staffing-…`, `import-file`).
    errors: FormErrors,
    /// The staffing form as typed, when it was refused.
    staffing: StaffingForm,
    /// How many lines the filters found; `page.lines` holds the page shown.
    found: usize,
    pager: Pager,
}

async fn list_page(
    state: &AppState,
    viewer: &Viewer,
    oid: &OrgOid,
    (params, query): (FilterParams, Option<&str>),
    report: Option<ImportReport>,
    (errors, staffing): (FormErrors, StaffingForm),
) -> Result<Response, PageError> {
    let session = viewer.require(state).await?;
    let filter = params.filter()?;
    let mut page = state.registry.workers(&viewer.caller, oid, &filter).await?;
    let found = page.lines.len();
    let pager = Pager::of_query(found, &format!("/cabinet/organizations/{oid}/workers"), query, PAGE_SIZE);
    page.lines = pager.slice(std::mem::take(&mut page.lines));
    let card = state.registry.card(&session.actor(), oid, None).await?;
    let report_csv =
        report.as_ref().map(|r| crate::query::percent_encode(&r.errors_csv(), b"-_.~")).unwrap_or_default();
    let status = if errors.is_empty() && report.as_ref().is_none_or(|r| r.applied) {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    let view = WorkersView {
        user_name: session.user.display_name.clone(),
        csrf: viewer.csrf().to_owned(),
        oid: oid.to_string(),
        name: card.organization.name_short,
        page,
        may_edit: state.registry.may(viewer.actor(), oid, Action::EditOrganization).await?,
        q: filter.q.clone(),
        department: filter.department.clone(),
        expiring: filter.expiring_days.map(|d| d.to_string()).unwrap_or_default(),
        dismissed: filter.dismissed,
        on: filter.on.map(frmo_domain::date::iso).unwrap_or_default(),
        positions: directory_choices("positions", params.position.as_deref()),
        specialties: directory_choices("specialties", params.specialty.as_deref()),
        types: directory_choices("employment_types", params.position_type.as_deref()),
        done: crate::notice::fixed(params.done.as_deref()),
        report,
        report_csv,
        errors,
        staffing,
        found,
        pager,
    };
    Ok((status, render(&view)).into_response())
}

/// `GET /cabinet/organizations/{oid}/workers`
pub async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(oid): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let oid = organization_oid(&oid)?;
    let params: FilterParams = crate::query::parse(RawQuery(query.clone()))?;
    list_page(&state, &viewer, &oid, (params, query.as_deref()), None, Default::default()).await
}

/// `POST /cabinet/organizations/{oid}/workers/import` (multipart, `file`: CSV).
pub async fn import(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(oid): Path<String>,
    request: Request,
) -> Result<Response, PageError> {
    let oid = organization_oid(&oid)?;
    viewer.require(&state).await?;
    state.registry.organization_target(&viewer.caller, &oid, Action::EditOrganization).await?;
    let files = [FileField { name: "file", label: "Файл", limit: IMPORT_LIMIT }];
    let received = match crate::multipart::read(&state, &viewer, None, request, &files).await {
        Ok(received) => received,
        Err(error) => {
            let errors = FormErrors::from_registry(error, "import-", &["file"])?;
            return list_page(
                &state,
                &viewer,
                &oid,
                (FilterParams::default(), None),
                None,
                (errors, Default::default()),
            )
            .await;
        }
    };
    let report = import_file(&state, &viewer, &oid, received).await?;
    if report.applied {
        let to = crate::notice::to(&format!("/cabinet/organizations/{oid}/workers"), crate::notice::IMPORTED);
        return Ok(Redirect::to(&to).into_response());
    }
    list_page(&state, &viewer, &oid, (FilterParams::default(), None), Some(report), Default::default()).await
}

async fn import_file(
    state: &AppState,
    viewer: &Viewer,
    oid: &OrgOid,
    mut received: crate::multipart::Received,
) -> Result<ImportReport, RegistryError> {
    let Some(mut file) = received.take_file("file").filter(|f| f.size > 0) else {
        return Err(invalid("file", "Файл", "не выбран или пуст"));
    };
    file.finish().map_err(|e| RegistryError::Store(e.into()))?;
    let bytes = tokio::fs::read(file.path()).await.map_err(|e| RegistryError::Store(e.into()))?;
    match rows_from_file(&bytes) {
        Ok(rows) => state.registry.import_workers(&viewer.caller, oid, rows).await,
        Err(errors) => Ok(ImportReport { errors, ..ImportReport::default() }),
    }
}

/// `GET /cabinet/organizations/{oid}/workers/export.csv`
pub async fn export(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(oid): Path<String>,
) -> Result<Response, PageError> {
    let oid = organization_oid(&oid)?;
    let csv = state.registry.export_workers_csv(&viewer.caller, &oid).await?;
    Ok(csv_response(csv, "workers.csv"))
}

/// `GET /cabinet/organizations/{oid}/workers/export.xlsx`
pub async fn export_xlsx(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(oid): Path<String>,
) -> Result<Response, PageError> {
    let oid = organization_oid(&oid)?;
    let oid = organization_oid(oid.as_str())?;
    let bytes = state.registry.export_workers_xlsx(&viewer.caller, &oid).await?;
    Ok(file_response(bytes, XLSX, "workers.xlsx"))
}

/// `GET /cabinet/organizations/{oid}/workers/export.pdf`
pub async fn export_pdf(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(oid): Path<String>,
) -> Result<Response, PageError> {
    let oid = organization_oid(&oid)?;
    let bytes = state.registry.export_workers_pdf(&viewer.caller, &oid).await?;
    Ok(file_response(bytes, "application/pdf", "workers.pdf"))
}

/// `GET /cabinet/organizations/{oid}/workers/template.csv`
pub async fn template(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(oid): Path<String>,
) -> Result<Response, PageError> {
    let oid = organization_oid(&oid)?;
    state.registry.organization_target(&viewer.caller, &oid, Action::ReadOrganization).await?;
    Ok(csv_response(frmo_registry::workers::template_csv(), "workers-template.csv"))
}

/// `GET …/workers/template.xlsx`: the import template with an example and the codes it accepts.
pub async fn template_xlsx(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(oid): Path<String>,
) -> Result<Response, PageError> {
    let oid = organization_oid(&oid)?;
    state.registry.organization_target(&viewer.caller, &oid, Action::ReadOrganization).await?;
    let body = frmo_registry::workers::template_xlsx()
        .map_err(|e| RegistryError::Conflict(format!("Шаблон не собран: {e}")))?;
    Ok(file_response(body, XLSX, "workers-template.xlsx"))
}

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

fn csv_response(body: String, name: &str) -> Response {
    file_response(body.into_bytes(), "text/csv; charset=utf-8", name)
}

fn file_response(body: Vec<u8>, media_type: &'static str, name: &str) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(media_type));
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    response
}

#[derive(Default, Deserialize)]
pub struct StaffingForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    department: String,
    #[serde(default)]
    position: String,
    #[serde(default)]
    rate: String,
}

/// `POST /cabinet/organizations/{oid}/staffing`
pub async fn staffing(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(oid): Path<String>,
    Form(form): Form<StaffingForm>,
) -> Result<Response, PageError> {
    let oid = organization_oid(&oid)?;
    viewer.require(&state).await?;
    state.registry.organization_target(&viewer.caller, &oid, Action::EditOrganization).await?;
    viewer.check_csrf(&form.csrf)?;
    match state.registry.set_staffing(&viewer.caller, &oid, &form.department, &form.position, &form.rate).await {
        Ok(()) => {
            let list = format!("/cabinet/organizations/{oid}/workers");
            Ok(Redirect::to(&format!("{}#staffing", crate::notice::to(&list, crate::notice::STAFFING))).into_response())
        }
        Err(error) => {
            let errors = FormErrors::from_registry(error, "staffing-", &["department", "position", "rate"])?;
            list_page(&state, &viewer, &oid, (FilterParams::default(), None), None, (errors, form)).await
        }
    }
}

/// `GET /api/v1/organizations/{oid}/workers` (filters as the page's).
pub async fn api_list(
    State(state): State<AppState>,
    viewer: Viewer,
    ApiPath(oid): ApiPath<String>,
    ApiQuery(params): ApiQuery<FilterParams>,
) -> Result<Response, ApiError> {
    let oid = organization_oid(&oid)?;
    let page = state.registry.workers(&viewer.caller, &oid, &params.filter()?).await?;
    let workers: Vec<&WorkerLine> = page.lines.iter().collect();
    Ok(Json(json!({ "oid": oid, "personalData": page.personal, "workers": workers, "staffing": page.staffing }))
        .into_response())
}
