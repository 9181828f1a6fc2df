//! Background exports in the cabinet: starting one, the list of one's jobs, a job's progress and
//! its file.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use frmo_domain::access::{Action, Target};
use frmo_registry::RegistryError;
use frmo_registry::reports::jobs::{JobSpec, JobView};
use serde::Deserialize;

use crate::AppState;
use crate::error::{PageError, render};
use crate::i18n::filters;
use crate::identity::session::Viewer;

#[derive(Deserialize)]
pub(crate) struct JobForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    format: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    period: String,
    #[serde(default)]
    group: String,
}

/// `POST /cabinet/jobs`: starts an export in the background and goes to its page.
pub(crate) async fn start_job(
    State(state): State<AppState>,
    viewer: Viewer,
    axum::Form(form): axum::Form<JobForm>,
) -> Result<Response, PageError> {
    viewer.authorize(&state, Action::ReadReports, Target::None).await?;
    viewer.check_csrf(&form.csrf)?;
    let spec = match form.kind.as_str() {
        "register" => JobSpec::Register { format: form.format },
        "report" => JobSpec::Report { name: form.name, period: form.period, group: form.group, format: form.format },
        other => {
            return Err(RegistryError::invalid(frmo_domain::error::ValidationError::new(
                "kind",
                "Что выгрузить",
                format!("«{other}» — ожидается register или report"),
            ))
            .into());
        }
    };
    let id = state.registry.start_job(&viewer.caller, spec).await?;
    Ok(axum::response::Redirect::to(&format!("/cabinet/jobs/{id}")).into_response())
}

#[derive(Template)]
#[template(path = "jobs.html")]
struct JobsPage {
    user_name: String,
    csrf: String,
    jobs: Vec<JobView>,
    /// The one job shown (its own page), else the list.
    single: bool,
    running: bool,
}

/// `GET /cabinet/jobs`
pub(crate) async fn jobs(State(state): State<AppState>, viewer: Viewer) -> Result<Response, PageError> {
    let jobs = state.registry.my_jobs(&viewer.caller).await?;
    let session = viewer.require(&state).await?;
    let running = jobs.iter().any(JobView::is_open);
    Ok(render(&JobsPage {
        user_name: session.user.display_name.clone(),
        csrf: viewer.csrf().to_owned(),
        jobs,
        single: false,
        running,
    }))
}

fn job_id(text: &str) -> Result<i64, RegistryError> {
    text.parse().map_err(|_| RegistryError::NotFound(format!("Задание «{text}» не найдено.")))
}

/// `GET /cabinet/jobs/{job}`: progress, refreshed every two seconds while it runs; the download
/// link when ready.
pub(crate) async fn job(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(job): Path<String>,
) -> Result<Response, PageError> {
    viewer.authorize(&state, Action::ReadReports, Target::None).await?;
    let view = state.registry.job(&viewer.caller, job_id(&job)?).await?;
    let session = viewer.require(&state).await?;
    let running = view.is_open();
    Ok(render(&JobsPage {
        user_name: session.user.display_name.clone(),
        csrf: viewer.csrf().to_owned(),
        jobs: vec![view],
        single: true,
        running,
    }))
}

/// `GET /cabinet/jobs/{job}/file`
pub(crate) async fn job_file(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(job): Path<String>,
) -> Result<Response, PageError> {
    viewer.authorize(&state, Action::ReadReports, Target::None).await?;
    let download = state.registry.job_file(&viewer.caller, job_id(&job)?).await?;
    Ok(crate::documents::stream(download))
}
