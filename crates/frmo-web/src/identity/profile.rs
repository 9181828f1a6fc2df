//! The profile: who the person is to the registry, the consent to personal-data processing and
//! its history, and the second factor (TOTP) of a local account.

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use frmo_registry::RegistryError;
use frmo_registry::identity::{current_consent, method_label};
use serde::Deserialize;

use crate::AppState;
use crate::error::{PageError, render};
use crate::form::FormErrors;
use crate::format_time;
use crate::i18n::filters;
use crate::identity::session::Viewer;
use crate::notice::{self, Confirmation};

#[derive(Template)]
#[template(path = "profile.html")]
struct ProfilePage {
    user_name: String,
    csrf: String,
    method: &'static str,
    confirmed: bool,
    snils: Option<String>,
    email: Option<String>,
    roles: String,
    consent: bool,
    consent_version: i64,
    consent_text: &'static str,
    history: Vec<String>,
    local: bool,
    totp_enabled: bool,
    totp_qr: Option<String>,
    totp_secret: String,
    /// The second factor's form refused (the code typed is never shown again).
    errors: FormErrors,
    done: Option<Confirmation>,
}

/// What the profile page shows besides the profile: a new authenticator's code, a refused form or
/// the confirmation of the last action.
#[derive(Default)]
struct ProfileOutcome {
    enrolment: Option<frmo_registry::identity::local::TotpEnrolment>,
    errors: FormErrors,
    done: Option<Confirmation>,
}

async fn profile_page(state: &AppState, viewer: &Viewer, outcome: ProfileOutcome) -> Result<Response, PageError> {
    let ProfileOutcome { enrolment, errors, done } = outcome;
    let session = viewer.require(state).await?;
    let principal = session.principal();
    let user = &session.user;
    let mut roles: Vec<String> = principal
        .memberships
        .iter()
        .map(|m| format!("{} в {}", if m.chief { "руководитель" } else { "сотрудник" }, m.org_oid))
        .collect();
    if !principal.operator_regions.is_empty() {
        roles.push(format!(
            "оператор регионов {}",
            principal.operator_regions.iter().map(u8::to_string).collect::<Vec<_>>().join(", ")
        ));
    }
    if let Some(role) = principal.federal_role {
        roles.push(match role {
            frmo_domain::access::FederalRole::Admin => "администратор реестра".into(),
            frmo_domain::access::FederalRole::Auditor => "аудитор".into(),
        });
    }
    let history = state
        .registry
        .consent_history(session)
        .await?
        .iter()
        .map(|c| {
            format!("{}: {} редакцию {}", format_time(c.at), if c.accepted { "принято" } else { "отозвано" }, c.version)
        })
        .collect();
    let (consent_version, consent_text) = current_consent();
    let page = ProfilePage {
        user_name: user.display_name.clone(),
        csrf: viewer.csrf().to_owned(),
        method: method_label(&session.record.method),
        confirmed: user.confirmed,
        snils: user.snils.clone(),
        email: user.email.clone(),
        roles: if roles.is_empty() { "нет".into() } else { roles.join("; ") },
        consent: principal.consent,
        consent_version,
        consent_text,
        history,
        local: user.provider == "local",
        totp_enabled: user.totp_enabled,
        totp_secret: enrolment.as_ref().map(|e| e.secret_base32.clone()).unwrap_or_default(),
        totp_qr: enrolment.map(|e| e.qr_svg),
        done,
        errors,
    };
    Ok((page.errors.status(), render(&page)).into_response())
}

pub(super) async fn profile(
    State(state): State<AppState>,
    viewer: Viewer,
    raw: axum::extract::RawQuery,
) -> Result<Response, PageError> {
    let query: notice::DoneQuery = crate::query::parse(raw)?;
    let done = notice::fixed(query.done.as_deref());
    profile_page(&state, &viewer, ProfileOutcome { done, ..ProfileOutcome::default() }).await
}

/// The profile again with the second factor's form refused (the current code's field).
async fn totp_refused(state: &AppState, viewer: &Viewer, error: RegistryError) -> Result<Response, PageError> {
    let errors = FormErrors::from_registry(error, "", &["current-code"])?;
    profile_page(state, viewer, ProfileOutcome { errors, ..ProfileOutcome::default() }).await
}

#[derive(Deserialize)]
pub(super) struct ConsentForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    decision: String,
}

pub(super) async fn consent(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<ConsentForm>,
) -> Result<Response, PageError> {
    let session = viewer.require(&state).await?;
    viewer.check_csrf(&form.csrf)?;
    let accepted = form.decision == "accept";
    state.registry.decide_consent(session, accepted).await?;
    let to = if accepted {
        notice::to("/cabinet", notice::CONSENT)
    } else {
        notice::to("/cabinet/profile", notice::CONSENT_WITHDRAWN)
    };
    Ok(Redirect::to(&to).into_response())
}

pub(super) async fn totp_begin(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<CodeForm>,
) -> Result<Response, PageError> {
    let session = viewer.require(&state).await?;
    viewer.check_csrf(&form.csrf)?;
    if session.user.provider != "local" {
        return Err(frmo_registry::RegistryError::Conflict(
            "Одноразовые коды включаются только для учётных записей реестра; вход через Госуслуги защищает ЕСИА."
                .into(),
        )
        .into());
    }
    match state.registry.begin_totp(session.user.id, form.code(), &viewer.client).await {
        Ok(enrolment) => {
            profile_page(&state, &viewer, ProfileOutcome { enrolment: Some(enrolment), ..Default::default() }).await
        }
        Err(error) => totp_refused(&state, &viewer, error).await,
    }
}

#[derive(Deserialize)]
pub(super) struct CodeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    code: String,
}

impl CodeForm {
    /// The one-time code, when one was typed.
    fn code(&self) -> Option<&str> {
        Some(self.code.as_str()).filter(|c| !c.trim().is_empty())
    }
}

pub(super) async fn totp_confirm(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<CodeForm>,
) -> Result<Response, PageError> {
    let session = viewer.require(&state).await?;
    viewer.check_csrf(&form.csrf)?;
    match state.registry.confirm_totp(session.user.id, &form.code).await {
        Ok(()) => Ok(Redirect::to(&notice::to("/cabinet/profile", notice::TOTP_ON)).into_response()),
        // A wrong code: the same enrolment again (the app already has its secret), the error at the
        // field. The code itself is not shown back: it is spent or wrong.
        Err(error) => {
            let errors = FormErrors::from_registry(error, "", &["code"])?;
            let enrolment = state.registry.pending_totp(session.user.id).await?;
            profile_page(&state, &viewer, ProfileOutcome { enrolment, errors, ..ProfileOutcome::default() }).await
        }
    }
}

/// Switches the second factor off; a current code is needed.
pub(super) async fn totp_disable(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<CodeForm>,
) -> Result<Response, PageError> {
    let session = viewer.require(&state).await?;
    viewer.check_csrf(&form.csrf)?;
    match state.registry.disable_totp(session.user.id, form.code(), &viewer.client).await {
        Ok(()) => Ok(Redirect::to(&notice::to("/cabinet/profile", notice::TOTP_OFF)).into_response()),
        Err(error) => totp_refused(&state, &viewer, error).await,
    }
}
