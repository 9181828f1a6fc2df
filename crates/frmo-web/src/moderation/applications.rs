//! «Заявка на внесение организации»: the form, its problems next to it, duplicates with a link to
//! the card already in the register, similar names to confirm, and on success the request's page.

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use frmo_domain::ident::RegionCode;
use frmo_domain::reference;
use frmo_registry::RegistryError;
use frmo_registry::moderation::applications::{Application, ApplicationForm};

use crate::AppState;
use crate::error::{PageError, render};
use crate::form::FormErrors;
use crate::i18n::filters;
use crate::identity::session::Viewer;
use crate::register::pages::{Choice, choices};

#[derive(Template)]
#[template(path = "application.html")]
struct ApplicationPage {
    user_name: String,
    csrf: String,
    form: ApplicationForm,
    regions: Vec<Choice>,
    types: Vec<Choice>,
    subjects: Vec<Choice>,
    kinds: Vec<Choice>,
    errors: FormErrors,
    duplicate: Option<(String, String)>,
    similar: Vec<(String, String)>,
}

/// The form's fields, in their order on the page.
const FIELDS: [&str; 16] = [
    "name_full",
    "name_short",
    "inn",
    "ogrn",
    "ogrnip",
    "kpp",
    "region",
    "organization_type",
    "medical_subject",
    "agency_kind",
    "legal_address",
    "head_full_name",
    "phone",
    "email",
    "site",
    "reason",
];

fn directory(id: &str, current: &str) -> Vec<Choice> {
    let entries = reference::get(id)
        .map(|d| d.entries.iter().map(|e| (e.id.to_string(), e.name.clone())).collect::<Vec<_>>())
        .unwrap_or_default();
    choices(entries.into_iter(), Some(current))
}

fn page(viewer: &Viewer, user_name: &str, form: ApplicationForm) -> ApplicationPage {
    ApplicationPage {
        user_name: user_name.to_owned(),
        csrf: viewer.csrf().to_owned(),
        regions: choices(
            RegionCode::all().map(|r| (r.code().to_string(), format!("{:02} — {}", r.code(), r.name()))),
            Some(form.region.as_str()),
        ),
        types: directory("organization_types", &form.organization_type),
        subjects: directory("medical_subject_kinds", &form.medical_subject),
        kinds: directory("agency_kinds", &form.agency_kind),
        form,
        errors: FormErrors::none(),
        duplicate: None,
        similar: Vec::new(),
    }
}

pub(crate) async fn form(State(state): State<AppState>, viewer: Viewer) -> Result<Response, PageError> {
    let session = viewer.require(&state).await?;
    viewer.authorize(&state, frmo_domain::access::Action::Apply, frmo_domain::access::Target::None).await?;
    Ok(render(&page(&viewer, &session.user.display_name, ApplicationForm::default())))
}

#[derive(serde::Deserialize)]
pub(crate) struct Submitted {
    #[serde(default)]
    csrf: String,
    #[serde(flatten)]
    form: ApplicationForm,
}

pub(crate) async fn submit(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(submitted): Form<Submitted>,
) -> Result<Response, PageError> {
    let session = viewer.require(&state).await?;
    viewer.check_csrf(&submitted.csrf)?;
    let result = state.registry.apply_for_inclusion(&viewer.caller, &submitted.form).await;
    let mut view = page(&viewer, &session.user.display_name, submitted.form);
    match result {
        Ok(Application::Submitted(request)) => {
            let page = format!("/cabinet/requests/{}", request.id);
            return Ok(Redirect::to(&crate::notice::to(&page, "sent")).into_response());
        }
        Ok(Application::Similar(similar)) => view.similar = similar,
        Err(RegistryError::Duplicate { oid, name }) => view.duplicate = Some((oid, name)),
        Err(error) => view.errors = FormErrors::from_registry(error, "", &FIELDS)?,
    }
    let status = if view.similar.is_empty() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    Ok((status, render(&view)).into_response())
}
