//! A worker's page (with dismissal, a diploma or a qualification category added), the check of
//! what expires soon, and `/api/v1/workers/{snils}`.

use askama::Template;
use axum::Form;
use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};
use frmo_domain::access::Action;
use frmo_domain::ident::OrgOid;
use frmo_registry::RegistryError;
use frmo_registry::register::organization_oid;
use frmo_registry::workers::WorkerView;
use serde::Deserialize;

use crate::AppState;
use crate::error::{ApiError, PageError, render};
use crate::form::FormErrors;
use crate::i18n::filters;
use crate::identity::session::Viewer;
use crate::multipart::invalid;
use crate::register::api::ApiPath;
use crate::register::pages::Choice;

use super::{directory_choices, worker_done};

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
    let oid = organization_oid(&oid)?;
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
    let check = state.registry.check_workers(&viewer.caller, &oid, days).await?;
    Ok(render(&CheckView {
        user_name: session.user.display_name.clone(),
        csrf: viewer.csrf().to_owned(),
        oid: oid.to_string(),
        check,
    }))
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
    oid: &OrgOid,
    id: &str,
    (errors, typed, done): WorkerOutcome,
) -> Result<Response, PageError> {
    let session = viewer.require(state).await?;
    state.registry.organization_target(&viewer.caller, oid, Action::ReadOrganization).await?;
    let id: i64 = id.parse().map_err(|_| RegistryError::NotFound(format!("Работник «{id}» не найден")))?;
    let worker = state.registry.worker(&viewer.caller, oid, id).await?;
    let status = errors.status();
    let view = WorkerPageView {
        user_name: session.user.display_name.clone(),
        csrf: viewer.csrf().to_owned(),
        oid: oid.to_string(),
        worker,
        may_edit: state.registry.may(viewer.actor(), oid, Action::EditOrganization).await?,
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

/// `GET /cabinet/organizations/{oid}/workers/{id}`
pub async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((oid, id)): Path<(String, String)>,
    raw: RawQuery,
) -> Result<Response, PageError> {
    let oid = organization_oid(&oid)?;
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
    let oid = organization_oid(&oid)?;
    viewer.require(&state).await?;
    state.registry.organization_target(&viewer.caller, &oid, Action::EditOrganization).await?;
    viewer.check_csrf(&form.csrf)?;
    let card: i64 = form.card.trim().parse().unwrap_or(0);
    let result = state.registry.dismiss_worker(&viewer.caller, &oid, card, &form.end_date, &form.reason).await;
    match result {
        Ok(()) => Ok(Redirect::to(&worker_done(oid.as_str(), &id, crate::notice::DISMISSED)).into_response()),
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
    let oid = organization_oid(&oid)?;
    viewer.require(&state).await?;
    state.registry.organization_target(&viewer.caller, &oid, Action::EditOrganization).await?;
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
    match state.registry.add_worker_detail(&viewer.caller, &oid, person, &form).await {
        Ok(()) => Ok(Redirect::to(&worker_done(oid.as_str(), &id, crate::notice::WORKER_SAVED)).into_response()),
        Err(error) => {
            let fields = ["code", "institution", "document_number", "date", "specialty", "valid_until"];
            let errors = FormErrors::from_registry(error, &format!("{kind}-"), &fields)?;
            worker_page(&state, &viewer, &oid, &id, (errors, typed, None)).await
        }
    }
}

/// `GET /api/v1/workers/{snils}`
pub async fn api_worker(
    State(state): State<AppState>,
    viewer: Viewer,
    ApiPath(snils): ApiPath<String>,
) -> Result<Response, ApiError> {
    viewer.require(&state).await?;
    let worker = state.registry.worker_by_snils(&viewer.caller, &snils).await?;
    Ok(Json(worker).into_response())
}
