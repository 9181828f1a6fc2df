//! Medical workers in the cabinet and the API: the list with search and filters and the staffing
//! table, a worker's page with dismissal, the add form, the CSV import with its row report, the
//! export and the template; `/api/v1/organizations/{oid}/workers` and `/api/v1/workers/{snils}`.

use askama::Template;
use axum::Form;
use axum::Json;
use axum::extract::{Path, RawQuery, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use frmo_domain::access::Action;
use frmo_domain::reference;
use frmo_registry::RegistryError;
use frmo_registry::workers::{
    ImportReport, WorkerFilter, WorkerForm, WorkerLine, WorkerView, WorkersPage, rows_from_file,
};
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
use crate::register::pages::{Choice, choices};

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

fn directory_choices(directory: &str, current: Option<&str>) -> Vec<Choice> {
    let entries = reference::get(directory).map(|d| d.entries.clone()).unwrap_or_default();
    choices(entries.into_iter().map(|e| (e.id.to_string(), format!("{} — {}", e.id, e.name))), current)
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
    oid: &str,
    (params, query): (FilterParams, Option<&str>),
    report: Option<ImportReport>,
    (errors, staffing): (FormErrors, StaffingForm),
) -> Result<Response, PageError> {
    let session = viewer.require(state).await?;
    let filter = params.filter()?;
    let mut page = state.registry.workers(&session.actor(), oid, &filter, &viewer.request_id).await?;
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
        oid: oid.to_owned(),
        name: card.organization.name_short,
        page,
        may_edit: state.registry.may(&viewer.actor(), oid, Action::EditOrganization).await?,
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
    let session = viewer.require(&state).await?;
    state.registry.organization_target(&session.actor(), &oid, Action::EditOrganization, &viewer.request_id).await?;
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
    oid: &str,
    mut received: crate::multipart::Received,
) -> Result<ImportReport, RegistryError> {
    let Some(mut file) = received.take_file("file").filter(|f| f.size > 0) else {
        return Err(invalid("file", "Файл", "не выбран или пуст"));
    };
    file.finish().map_err(|e| RegistryError::Store(e.into()))?;
    let bytes = tokio::fs::read(file.path()).await.map_err(|e| RegistryError::Store(e.into()))?;
    match rows_from_file(&bytes) {
        Ok(rows) => state.registry.import_workers(&viewer.actor(), oid, rows, &viewer.request_id).await,
        Err(errors) => Ok(ImportReport { errors, ..ImportReport::default() }),
    }
}

/// `GET /cabinet/organizations/{oid}/workers/export.csv`
pub async fn export(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(oid): Path<String>,
) -> Result<Response, PageError> {
    let csv = state.registry.export_workers_csv(&viewer.actor(), &oid, &viewer.request_id).await?;
    Ok(csv_response(csv, "workers.csv"))
}

/// `GET /cabinet/organizations/{oid}/workers/export.xlsx`
pub async fn export_xlsx(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(oid): Path<String>,
) -> Result<Response, PageError> {
    let bytes = state.registry.export_workers_xlsx(&viewer.actor(), &oid, &viewer.request_id).await?;
    Ok(file_response(bytes, XLSX, "workers.xlsx"))
}

/// `GET /cabinet/organizations/{oid}/workers/export.pdf`
pub async fn export_pdf(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(oid): Path<String>,
) -> Result<Response, PageError> {
    let bytes = state.registry.export_workers_pdf(&viewer.actor(), &oid, &viewer.request_id).await?;
    Ok(file_response(bytes, "application/pdf", "workers.pdf"))
}

/// `GET /cabinet/organizations/{oid}/workers/template.csv`
pub async fn template(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(oid): Path<String>,
) -> Result<Response, PageError> {
    state.registry.organization_target(&viewer.actor(), &oid, Action::ReadOrganization, &viewer.request_id).await?;
    Ok(csv_response(frmo_registry::workers::template_csv(), "workers-template.csv"))
}

/// `GET …/workers/template.xlsx`: the import template with an example and the codes it accepts.
pub async fn template_xlsx(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(oid): Path<String>,
) -> Result<Response, PageError> {
    state.registry.organization_target(&viewer.actor(), &oid, Action::ReadOrganization, &viewer.request_id).await?;
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

#[derive(Template)]
#[template(path = "worker_new.html")]
struct NewWorkerView {
    user_name: String,
    csrf: String,
    oid: String,
    name: String,
    heading: &'static str,
    action: String,
    /// The card being edited (none: a new worker).
    card: Option<i64>,
    form: WorkerFormFields,
    positions: Vec<Choice>,
    specialties: Vec<Choice>,
    types: Vec<Choice>,
    kinds: Vec<Choice>,
    errors: FormErrors,
}

/// The worker form's fields, in their order on the page.
const WORKER_FIELDS: [&str; 19] = [
    "snils",
    "last_name",
    "first_name",
    "patronymic",
    "sex",
    "birth_date",
    "phone",
    "email",
    "document",
    "department",
    "position",
    "position_type",
    "rate",
    "begin_date",
    "credential_kind",
    "specialty",
    "credential_number",
    "credential_issued_on",
    "credential_valid_until",
];

/// The add form's fields as typed (sent back with the errors).
#[derive(Debug, Default, Deserialize)]
pub struct WorkerFormFields {
    #[serde(default)]
    csrf: String,
    /// The card being edited.
    #[serde(default)]
    card: String,
    #[serde(default)]
    snils: String,
    #[serde(default)]
    last_name: String,
    #[serde(default)]
    first_name: String,
    #[serde(default)]
    patronymic: String,
    #[serde(default)]
    sex: String,
    #[serde(default)]
    birth_date: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    document: String,
    #[serde(default)]
    department: String,
    #[serde(default)]
    position: String,
    #[serde(default)]
    position_type: String,
    #[serde(default)]
    rate: String,
    #[serde(default)]
    begin_date: String,
    #[serde(default)]
    specialty: String,
    #[serde(default)]
    credential_kind: String,
    #[serde(default)]
    credential_number: String,
    #[serde(default)]
    credential_issued_on: String,
    #[serde(default)]
    credential_valid_until: String,
}

impl From<WorkerForm> for WorkerFormFields {
    fn from(f: WorkerForm) -> Self {
        WorkerFormFields {
            csrf: String::new(),
            card: String::new(),
            snils: f.snils,
            last_name: f.last_name,
            first_name: f.first_name,
            patronymic: f.patronymic,
            sex: f.sex,
            birth_date: f.birth_date,
            phone: f.phone,
            email: f.email,
            document: f.document,
            department: f.department,
            position: f.position,
            position_type: f.position_type,
            rate: f.rate,
            begin_date: f.begin_date,
            specialty: f.specialty,
            credential_kind: f.credential_kind,
            credential_number: f.credential_number,
            credential_issued_on: f.credential_issued_on,
            credential_valid_until: f.credential_valid_until,
        }
    }
}

impl WorkerFormFields {
    fn form(&self) -> WorkerForm {
        WorkerForm {
            snils: self.snils.clone(),
            last_name: self.last_name.clone(),
            first_name: self.first_name.clone(),
            patronymic: self.patronymic.clone(),
            sex: self.sex.clone(),
            birth_date: self.birth_date.clone(),
            citizenship: String::new(),
            phone: self.phone.clone(),
            email: self.email.clone(),
            document: self.document.clone(),
            department: self.department.clone(),
            position: self.position.clone(),
            position_type: self.position_type.clone(),
            rate: self.rate.clone(),
            begin_date: self.begin_date.clone(),
            specialty: self.specialty.clone(),
            credential_kind: self.credential_kind.clone(),
            credential_number: self.credential_number.clone(),
            credential_issued_on: self.credential_issued_on.clone(),
            credential_valid_until: self.credential_valid_until.clone(),
        }
    }
}

async fn new_page(
    state: &AppState,
    viewer: &Viewer,
    oid: &str,
    form: WorkerFormFields,
    errors: FormErrors,
) -> Result<Response, PageError> {
    form_page(state, viewer, oid, None, form, errors).await
}

/// The worker form: a new worker, or (`edit`: person and card) a change of one.
async fn form_page(
    state: &AppState,
    viewer: &Viewer,
    oid: &str,
    edit: Option<(i64, i64)>,
    form: WorkerFormFields,
    errors: FormErrors,
) -> Result<Response, PageError> {
    let session = viewer.require(state).await?;
    state.registry.organization_target(&session.actor(), oid, Action::EditOrganization, &viewer.request_id).await?;
    let card = state.registry.card(&session.actor(), oid, None).await?;
    let status = errors.status();
    let view = NewWorkerView {
        user_name: session.user.display_name.clone(),
        csrf: viewer.csrf().to_owned(),
        oid: oid.to_owned(),
        name: card.organization.name_short,
        heading: if edit.is_some() {
            "Изменить сведения о работнике"
        } else {
            "Новый работник"
        },
        action: match edit {
            Some((person, _)) => format!("/cabinet/organizations/{oid}/workers/{person}/edit"),
            None => format!("/cabinet/organizations/{oid}/workers"),
        },
        card: edit.map(|(_, card)| card),
        positions: directory_choices("positions", Some(&form.position)),
        specialties: directory_choices("specialties", Some(&form.specialty)),
        types: directory_choices(
            "employment_types",
            Some(if form.position_type.is_empty() { "1" } else { &form.position_type }),
        ),
        kinds: directory_choices("credential_kinds", Some(&form.credential_kind)),
        form,
        errors,
    };
    Ok((status, render(&view)).into_response())
}

/// `GET /cabinet/organizations/{oid}/workers/new`
pub async fn new(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(oid): Path<String>,
) -> Result<Response, PageError> {
    new_page(&state, &viewer, &oid, WorkerFormFields { rate: "1".into(), ..Default::default() }, FormErrors::none())
        .await
}

/// `POST /cabinet/organizations/{oid}/workers`
pub async fn add(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(oid): Path<String>,
    Form(fields): Form<WorkerFormFields>,
) -> Result<Response, PageError> {
    let session = viewer.require(&state).await?;
    state.registry.organization_target(&session.actor(), &oid, Action::EditOrganization, &viewer.request_id).await?;
    viewer.check_csrf(&fields.csrf)?;
    match state.registry.add_worker(&session.actor(), &oid, &fields.form(), &viewer.request_id).await {
        Ok(person) => {
            Ok(Redirect::to(&worker_done(&oid, &person.to_string(), crate::notice::WORKER_SAVED)).into_response())
        }
        Err(error) => {
            let errors = FormErrors::from_registry(error, "", &WORKER_FIELDS)?;
            new_page(&state, &viewer, &oid, fields, errors).await
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct EditParams {
    card: Option<String>,
}

/// `GET /cabinet/organizations/{oid}/workers/{id}/edit?card=…`: the form filled from the register.
pub async fn edit_form(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((oid, id)): Path<(String, String)>,
    raw: RawQuery,
) -> Result<Response, PageError> {
    let session = viewer.require(&state).await?;
    state.registry.organization_target(&session.actor(), &oid, Action::EditOrganization, &viewer.request_id).await?;
    let params: EditParams = crate::query::parse(raw)?;
    let missing = || RegistryError::NotFound(format!("Работник «{id}» не найден"));
    let person: i64 = id.parse().map_err(|_| missing())?;
    let card: i64 = params.card.as_deref().unwrap_or_default().parse().map_err(|_| missing())?;
    let form = state.registry.worker_form(&session.actor(), &oid, person, card, &viewer.request_id).await?;
    form_page(&state, &viewer, &oid, Some((person, card)), WorkerFormFields::from(form), FormErrors::none()).await
}

/// `POST /cabinet/organizations/{oid}/workers/{id}/edit`
pub async fn edit(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((oid, id)): Path<(String, String)>,
    Form(fields): Form<WorkerFormFields>,
) -> Result<Response, PageError> {
    let session = viewer.require(&state).await?;
    state.registry.organization_target(&session.actor(), &oid, Action::EditOrganization, &viewer.request_id).await?;
    viewer.check_csrf(&fields.csrf)?;
    let person: i64 = id.parse().unwrap_or(0);
    let card: i64 = fields.card.trim().parse().unwrap_or(0);
    match state.registry.edit_worker(&session.actor(), &oid, card, &fields.form(), &viewer.request_id).await {
        Ok(()) => {
            Ok(Redirect::to(&worker_done(&oid, &person.to_string(), crate::notice::WORKER_SAVED)).into_response())
        }
        Err(error) => {
            let errors = FormErrors::from_registry(error, "", &WORKER_FIELDS)?;
            form_page(&state, &viewer, &oid, Some((person, card)), fields, errors).await
        }
    }
}

#[derive(Template)]
#[template(path = "worker_check.html")]
struct CheckView {
    user_name: String,
    csrf: String,
    oid: String,
    check: frmo_registry::workers::WorkerCheck,
}

#[derive(Debug, Default, Deserialize)]
pub struct CheckParams {
    days: Option<String>,
}

/// `GET /cabinet/organizations/{oid}/workers/check?days=N`
pub async fn check(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(oid): Path<String>,
    raw: RawQuery,
) -> Result<Response, PageError> {
    let session = viewer.require(&state).await?;
    let params: CheckParams = crate::query::parse(raw)?;
    let days = match params.days.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
        None => 30,
        Some(text) => text
            .parse::<i64>()
            .ok()
            .filter(|d| (0..=3650).contains(d))
            .ok_or_else(|| invalid("days", "Дней", "ожидается число дней от 0 до 3650"))?,
    };
    let check = state.registry.check_workers(&session.actor(), &oid, days, &viewer.request_id).await?;
    Ok(render(&CheckView { user_name: session.user.display_name.clone(), csrf: viewer.csrf().to_owned(), oid, check }))
}

#[derive(Template)]
#[template(path = "worker.html")]
struct WorkerPageView {
    user_name: String,
    csrf: String,
    oid: String,
    worker: WorkerView,
    may_edit: bool,
    reasons: Vec<Choice>,
    levels: Vec<Choice>,
    categories: Vec<Choice>,
    specialties: Vec<Choice>,
    /// A refused dismissal (`end_date_{card}`) or detail (`education-…`, `qualification-…`).
    errors: FormErrors,
    /// The refused detail form as typed (its `kind` says which of the two).
    typed: DetailFields,
    done: Option<crate::notice::Confirmation>,
}

/// What the last form of a worker's page did: its problems and the detail typed, or the
/// confirmation.
type WorkerOutcome = (FormErrors, DetailFields, Option<crate::notice::Confirmation>);

async fn worker_page(
    state: &AppState,
    viewer: &Viewer,
    oid: &str,
    id: &str,
    (errors, typed, done): WorkerOutcome,
) -> Result<Response, PageError> {
    let session = viewer.require(state).await?;
    state.registry.organization_target(&session.actor(), oid, Action::ReadOrganization, &viewer.request_id).await?;
    let id: i64 = id.parse().map_err(|_| RegistryError::NotFound(format!("Работник «{id}» не найден")))?;
    let worker = state.registry.worker(&session.actor(), oid, id, &viewer.request_id).await?;
    let status = errors.status();
    let view = WorkerPageView {
        user_name: session.user.display_name.clone(),
        csrf: viewer.csrf().to_owned(),
        oid: oid.to_owned(),
        worker,
        may_edit: state.registry.may(&viewer.actor(), oid, Action::EditOrganization).await?,
        reasons: directory_choices("dismissal_reasons", None),
        levels: directory_choices("education_levels", None),
        categories: directory_choices("qualification_categories", None),
        specialties: directory_choices("specialties", None),
        errors,
        typed,
        done,
    };
    Ok((status, render(&view)).into_response())
}

/// A worker's page with the confirmation `code`.
fn worker_done(oid: &str, person: &str, code: &str) -> String {
    crate::notice::to(&format!("/cabinet/organizations/{oid}/workers/{person}"), code)
}

/// `GET /cabinet/organizations/{oid}/workers/{id}`
pub async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((oid, id)): Path<(String, String)>,
    raw: RawQuery,
) -> Result<Response, PageError> {
    let query: crate::notice::DoneQuery = crate::query::parse(raw)?;
    worker_page(
        &state,
        &viewer,
        &oid,
        &id,
        (FormErrors::none(), DetailFields::default(), crate::notice::fixed(query.done.as_deref())),
    )
    .await
}

#[derive(Deserialize)]
pub struct DismissForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    card: String,
    #[serde(default)]
    end_date: String,
    #[serde(default)]
    reason: String,
}

/// `POST /cabinet/organizations/{oid}/workers/{id}/dismiss`
pub async fn dismiss(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((oid, id)): Path<(String, String)>,
    Form(form): Form<DismissForm>,
) -> Result<Response, PageError> {
    let session = viewer.require(&state).await?;
    state.registry.organization_target(&session.actor(), &oid, Action::EditOrganization, &viewer.request_id).await?;
    viewer.check_csrf(&form.csrf)?;
    let card: i64 = form.card.trim().parse().unwrap_or(0);
    let result = state
        .registry
        .dismiss_worker(&session.actor(), &oid, card, &form.end_date, &form.reason, &viewer.request_id)
        .await;
    match result {
        Ok(()) => Ok(Redirect::to(&worker_done(&oid, &id, crate::notice::DISMISSED)).into_response()),
        Err(error) => {
            // Every problem of a dismissal is shown at its date (the reason is a choice).
            let errors = FormErrors::from_registry(error, "", &[&format!("end_date_{card}")])?;
            worker_page(&state, &viewer, &oid, &id, (errors, DetailFields::default(), None)).await
        }
    }
}

#[derive(Clone, Default, Deserialize)]
pub struct DetailFields {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    institution: String,
    #[serde(default)]
    document_number: String,
    #[serde(default)]
    specialty: String,
    #[serde(default)]
    date: String,
    #[serde(default)]
    valid_until: String,
}

/// `POST /cabinet/organizations/{oid}/workers/{id}/details`: a diploma or a qualification category.
pub async fn details(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((oid, id)): Path<(String, String)>,
    Form(f): Form<DetailFields>,
) -> Result<Response, PageError> {
    let session = viewer.require(&state).await?;
    state.registry.organization_target(&session.actor(), &oid, Action::EditOrganization, &viewer.request_id).await?;
    viewer.check_csrf(&f.csrf)?;
    let person: i64 = id.parse().unwrap_or(0);
    // The form's ids begin with its kind (`education-date`, `qualification-date`).
    let kind = if f.kind == "qualification" { "qualification" } else { "education" };
    let typed = DetailFields { csrf: String::new(), kind: kind.to_owned(), ..f.clone() };
    let form = frmo_registry::workers::DetailForm {
        kind: f.kind,
        code: f.code,
        institution: f.institution,
        document_number: f.document_number,
        specialty: f.specialty,
        date: f.date,
        valid_until: f.valid_until,
    };
    match state.registry.add_worker_detail(&session.actor(), &oid, person, &form, &viewer.request_id).await {
        Ok(()) => Ok(Redirect::to(&worker_done(&oid, &id, crate::notice::WORKER_SAVED)).into_response()),
        Err(error) => {
            let fields = ["code", "institution", "document_number", "date", "specialty", "valid_until"];
            let errors = FormErrors::from_registry(error, &format!("{kind}-"), &fields)?;
            worker_page(&state, &viewer, &oid, &id, (errors, typed, None)).await
        }
    }
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
    let session = viewer.require(&state).await?;
    state.registry.organization_target(&session.actor(), &oid, Action::EditOrganization, &viewer.request_id).await?;
    viewer.check_csrf(&form.csrf)?;
    match state
        .registry
        .set_staffing(&session.actor(), &oid, &form.department, &form.position, &form.rate, &viewer.request_id)
        .await
    {
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
    let page = state.registry.workers(&viewer.actor(), &oid, &params.filter()?, &viewer.request_id).await?;
    let workers: Vec<&WorkerLine> = page.lines.iter().collect();
    Ok(Json(json!({ "oid": oid, "personalData": page.personal, "workers": workers, "staffing": page.staffing }))
        .into_response())
}

/// `GET /api/v1/workers/{snils}`
pub async fn api_worker(
    State(state): State<AppState>,
    viewer: Viewer,
    ApiPath(snils): ApiPath<String>,
) -> Result<Response, ApiError> {
    viewer.require(&state).await?;
    let worker = state.registry.worker_by_snils(&viewer.actor(), &snils, &viewer.request_id).await?;
    Ok(Json(worker).into_response())
}
