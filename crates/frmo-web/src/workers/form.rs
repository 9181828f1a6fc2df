//! The worker form: a new worker, and a change of one filled from the register.

use askama::Template;
use axum::Form;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};
use frmo_domain::access::Action;
use frmo_domain::ident::OrgOid;
use frmo_registry::RegistryError;
use frmo_registry::register::organization_oid;
use frmo_registry::workers::WorkerForm;
use serde::Deserialize;

use crate::AppState;
use crate::error::{PageError, render};
use crate::form::FormErrors;
use crate::i18n::filters;
use crate::identity::session::Viewer;
use crate::register::pages::Choice;

use super::{directory_choices, worker_done};

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
    oid: &OrgOid,
    form: WorkerFormFields,
    errors: FormErrors,
) -> Result<Response, PageError> {
    form_page(state, viewer, oid, None, form, errors).await
}

/// The worker form: a new worker, or (`edit`: person and card) a change of one.
async fn form_page(
    state: &AppState,
    viewer: &Viewer,
    oid: &OrgOid,
    edit: Option<(i64, i64)>,
    form: WorkerFormFields,
    errors: FormErrors,
) -> Result<Response, PageError> {
    let session = viewer.require(state).await?;
    state.registry.organization_target(&viewer.caller, oid, Action::EditOrganization).await?;
    let card = state.registry.card(&session.actor(), oid, None).await?;
    let status = errors.status();
    let view = NewWorkerView {
        user_name: session.user.display_name.clone(),
        csrf: viewer.csrf().to_owned(),
        oid: oid.to_string(),
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
    let oid = organization_oid(&oid)?;
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
    let oid = organization_oid(&oid)?;
    viewer.require(&state).await?;
    state.registry.organization_target(&viewer.caller, &oid, Action::EditOrganization).await?;
    viewer.check_csrf(&fields.csrf)?;
    match state.registry.add_worker(&viewer.caller, &oid, &fields.form()).await {
        Ok(person) => {
            Ok(Redirect::to(&worker_done(oid.as_str(), &person.to_string(), crate::notice::WORKER_SAVED))
                .into_response())
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
    let oid = organization_oid(&oid)?;
    viewer.require(&state).await?;
    state.registry.organization_target(&viewer.caller, &oid, Action::EditOrganization).await?;
    let params: EditParams = crate::query::parse(raw)?;
    let missing = || RegistryError::NotFound(format!("Работник «{id}» не найден"));
    let person: i64 = id.parse().map_err(|_| missing())?;
    let card: i64 = params.card.as_deref().unwrap_or_default().parse().map_err(|_| missing())?;
    let form = state.registry.worker_form(&viewer.caller, &oid, person, card).await?;
    form_page(&state, &viewer, &oid, Some((person, card)), WorkerFormFields::from(form), FormErrors::none()).await
}

/// `POST /cabinet/organizations/{oid}/workers/{id}/edit`
pub async fn edit(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((oid, id)): Path<(String, String)>,
    Form(fields): Form<WorkerFormFields>,
) -> Result<Response, PageError> {
    let oid = organization_oid(&oid)?;
    viewer.require(&state).await?;
    state.registry.organization_target(&viewer.caller, &oid, Action::EditOrganization).await?;
    viewer.check_csrf(&fields.csrf)?;
    let person: i64 = id.parse().unwrap_or(0);
    let card: i64 = fields.card.trim().parse().unwrap_or(0);
    match state.registry.edit_worker(&viewer.caller, &oid, card, &fields.form()).await {
        Ok(()) => {
            Ok(Redirect::to(&worker_done(oid.as_str(), &person.to_string(), crate::notice::WORKER_SAVED))
                .into_response())
        }
        Err(error) => {
            let errors = FormErrors::from_registry(error, "", &WORKER_FIELDS)?;
            form_page(&state, &viewer, &oid, Some((person, card)), fields, errors).await
        }
    }
}
