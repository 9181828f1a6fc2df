//! The personal cabinet: «Мои организации», an organization's page, the profile with consent and
//! the second factor, the journal of denials, and the cabinet's JSON API. Every route is declared
//! once in [`ROUTES`] with the action it needs; the router and the authorization matrix test are
//! both built from that table.

use askama::Template;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{MethodRouter, get, post};
use axum::{Form, Json, Router};
use frmo_domain::access::{Action, Target};
use frmo_domain::org::Contacts;
use frmo_registry::RegistryError;
use frmo_registry::identity::{current_consent, method_label};
use frmo_registry::moderation::requests::Proposal;
use serde::Deserialize;
use serde_json::json;

use crate::error::{ApiError, PageError, render};
use crate::form::FormErrors;
use crate::i18n::filters;
use crate::identity::session::Viewer;
use crate::moderation::{applications, requests};
use crate::notice::{self, Confirmation};
use crate::{AppState, documents, reports, support, workers};

/// A route and the access it needs.
pub struct RouteSpec {
    pub method: &'static str,
    /// The path, with `{oid}` for an organization.
    pub path: &'static str,
    pub action: Action,
    /// `true` for the JSON API (errors as JSON).
    pub api: bool,
    /// Only the author of the request in `{id}` may, on top of `action`.
    pub author_only: bool,
    pub handler: fn() -> MethodRouter<AppState>,
}

const fn route(
    method: &'static str,
    path: &'static str,
    action: Action,
    api: bool,
    handler: fn() -> MethodRouter<AppState>,
) -> RouteSpec {
    RouteSpec { method, path, action, api, author_only: false, handler }
}

/// A route on a request (`{id}`) that only its author may use.
const fn author_route(
    method: &'static str,
    path: &'static str,
    action: Action,
    handler: fn() -> MethodRouter<AppState>,
) -> RouteSpec {
    RouteSpec { method, path, action, api: false, author_only: true, handler }
}

/// Every route of the cabinet, with what it needs. `{oid}` is an organization, `{id}` a change
/// request (whose organization is the target).
pub const ROUTES: &[RouteSpec] = &[
    route("GET", "/cabinet", Action::UseCabinet, false, || get(my_organizations)),
    route("GET", "/cabinet/profile", Action::UseCabinet, false, || get(profile)),
    route("POST", "/cabinet/consent", Action::UseCabinet, false, || post(consent)),
    route("POST", "/cabinet/totp", Action::UseCabinet, false, || post(totp_begin)),
    route("POST", "/cabinet/totp/confirm", Action::UseCabinet, false, || post(totp_confirm)),
    route("POST", "/cabinet/totp/disable", Action::UseCabinet, false, || post(totp_disable)),
    route("GET", "/cabinet/organizations/{oid}", Action::ReadOrganization, false, || get(organization)),
    route("POST", "/cabinet/organizations/{oid}/card", Action::EditOrganization, false, || post(edit_card)),
    route("GET", "/cabinet/organizations/{oid}/history", Action::ReadOrganization, false, || get(requests::history)),
    route("GET", "/cabinet/organizations/{oid}/documents", Action::ReadOrganization, false, || get(documents::list)),
    route("POST", "/cabinet/organizations/{oid}/documents", Action::EditOrganization, false, || {
        post(documents::upload).layer(DefaultBodyLimit::disable())
    }),
    route("GET", "/cabinet/organizations/{oid}/workers", Action::ReadOrganization, false, || get(workers::list)),
    route("GET", "/cabinet/organizations/{oid}/workers/new", Action::EditOrganization, false, || get(workers::new)),
    route("POST", "/cabinet/organizations/{oid}/workers", Action::EditOrganization, false, || post(workers::add)),
    route("POST", "/cabinet/organizations/{oid}/workers/import", Action::EditOrganization, false, || {
        post(workers::import).layer(DefaultBodyLimit::disable())
    }),
    route("GET", "/cabinet/organizations/{oid}/workers/export.csv", Action::ReadOrganization, false, || {
        get(workers::export)
    }),
    route("GET", "/cabinet/organizations/{oid}/workers/export.xlsx", Action::ReadOrganization, false, || {
        get(workers::export_xlsx)
    }),
    route("GET", "/cabinet/organizations/{oid}/workers/export.pdf", Action::ReadOrganization, false, || {
        get(workers::export_pdf)
    }),
    route("GET", "/cabinet/organizations/{oid}/workers/template.csv", Action::ReadOrganization, false, || {
        get(workers::template)
    }),
    route("GET", "/cabinet/organizations/{oid}/workers/template.xlsx", Action::ReadOrganization, false, || {
        get(workers::template_xlsx)
    }),
    route("GET", "/cabinet/organizations/{oid}/workers/check", Action::ReadOrganization, false, || get(workers::check)),
    route("GET", "/cabinet/organizations/{oid}/workers/{id}", Action::ReadOrganization, false, || get(workers::page)),
    route("GET", "/cabinet/organizations/{oid}/workers/{id}/edit", Action::EditOrganization, false, || {
        get(workers::edit_form)
    }),
    route("POST", "/cabinet/organizations/{oid}/workers/{id}/edit", Action::EditOrganization, false, || {
        post(workers::edit)
    }),
    route("POST", "/cabinet/organizations/{oid}/workers/{id}/details", Action::EditOrganization, false, || {
        post(workers::details)
    }),
    route("POST", "/cabinet/organizations/{oid}/workers/{id}/dismiss", Action::EditOrganization, false, || {
        post(workers::dismiss)
    }),
    route("POST", "/cabinet/organizations/{oid}/staffing", Action::EditOrganization, false, || post(workers::staffing)),
    route("POST", "/cabinet/organizations/{oid}/members", Action::ManageMembers, false, || post(grant_member)),
    route("POST", "/cabinet/organizations/{oid}/members/revoke", Action::ManageMembers, false, || post(revoke_member)),
    route("POST", "/cabinet/organizations/{oid}/invitations/cancel", Action::ManageMembers, false, || {
        post(withdraw_invitation)
    }),
    route("GET", "/cabinet/notifications", Action::UseCabinet, false, || get(notifications)),
    route("POST", "/cabinet/notifications/read", Action::UseCabinet, false, || post(read_notifications)),
    route("GET", "/cabinet/applications/new", Action::Apply, false, || get(applications::form)),
    route("POST", "/cabinet/applications", Action::Apply, false, || post(applications::submit)),
    route("GET", "/cabinet/requests", Action::UseCabinet, false, || get(requests::my_requests)),
    route("GET", "/cabinet/moderation", Action::Moderate, false, || get(requests::queue)),
    route("GET", "/cabinet/moderation/statistics", Action::Moderate, false, || get(requests::statistics)),
    route("GET", "/cabinet/requests/{id}", Action::ReadOrganization, false, || get(requests::request_page)),
    author_route("POST", "/cabinet/requests/{id}/withdraw", Action::EditOrganization, || post(requests::withdraw)),
    author_route("POST", "/cabinet/requests/{id}/resubmit", Action::EditOrganization, || post(requests::resubmit)),
    route("POST", "/cabinet/requests/{id}/decision", Action::Moderate, false, || post(requests::decision)),
    route("GET", "/cabinet/support", Action::AskSupport, false, || get(support::my_requests)),
    route("GET", "/cabinet/support/new", Action::AskSupport, false, || get(support::cabinet_form)),
    route("POST", "/cabinet/support", Action::AskSupport, false, || {
        post(support::cabinet_submit).layer(DefaultBodyLimit::disable())
    }),
    route("GET", "/cabinet/support/queue", Action::HandleSupport, false, || get(support::queue)),
    route("GET", "/cabinet/support/{ticket}", Action::AskSupport, false, || get(support::page)),
    route("POST", "/cabinet/support/{ticket}/step", Action::AskSupport, false, || post(support::step)),
    route("GET", "/cabinet/support/{ticket}/files/{file}", Action::AskSupport, false, || get(support::attachment)),
    route("GET", "/cabinet/help/{slug}/edit", Action::Administer, false, || get(support::edit_article)),
    route("POST", "/cabinet/help/{slug}", Action::Administer, false, || post(support::save_article)),
    route("GET", "/cabinet/reports", Action::ReadReports, false, || get(reports::catalogue)),
    route("GET", "/cabinet/reports/{name}", Action::ReadReports, false, || get(reports::page)),
    route("GET", "/cabinet/reports/{name}/download", Action::ReadReports, false, || get(reports::download)),
    route("POST", "/cabinet/open-data/publish", Action::Administer, false, || {
        post(crate::register::pages::open_data::publish)
    }),
    route("POST", "/cabinet/jobs", Action::ReadReports, false, || post(reports::start_job)),
    route("GET", "/cabinet/jobs", Action::ReadReports, false, || get(reports::jobs)),
    route("GET", "/cabinet/jobs/{job}", Action::ReadReports, false, || get(reports::job)),
    route("GET", "/cabinet/jobs/{job}/file", Action::ReadReports, false, || get(reports::job_file)),
    route("GET", "/api/v1/reports", Action::ReadReports, true, || get(reports::api_catalogue)),
    route("GET", "/api/v1/reports/{name}", Action::ReadReports, true, || get(reports::api_report)),
    route("GET", "/cabinet/admin/systems", Action::Administer, false, || get(crate::integration::systems::list)),
    route("POST", "/cabinet/admin/systems", Action::Administer, false, || post(crate::integration::systems::add)),
    route("POST", "/cabinet/admin/systems/revoke", Action::Administer, false, || {
        post(crate::integration::systems::revoke)
    }),
    route("GET", "/cabinet/audit/denials", Action::ReadAudit, false, || get(denials)),
    route("GET", "/cabinet/audit/journal.csv", Action::ReadAudit, false, || get(journal_csv)),
    route("GET", "/api/v1/me", Action::UseCabinet, true, || get(api_me)),
    route("GET", "/api/v1/cabinet/organizations/{oid}", Action::ReadOrganization, true, || get(api_organization)),
    route("GET", "/api/v1/organizations/{oid}/workers", Action::ReadOrganization, true, || get(workers::api_list)),
    route("GET", "/api/v1/workers/{snils}", Action::UseCabinet, true, || get(workers::api_worker)),
    route("GET", "/api/v1/cabinet/organizations/{oid}/documents", Action::ReadOrganization, true, || {
        get(documents::api_list)
    }),
    route("POST", "/api/v1/cabinet/organizations/{oid}/documents", Action::EditOrganization, true, || {
        post(documents::api_upload).layer(DefaultBodyLimit::disable())
    }),
];

/// The cabinet's routes; their answers carry personal data or a form token and are stored nowhere.
pub fn router() -> Router<AppState> {
    ROUTES
        .iter()
        .fold(Router::new(), |router, spec| router.route(spec.path, (spec.handler)()))
        .layer(axum::middleware::map_response(crate::never_stored))
}

#[derive(Template)]
#[template(path = "cabinet.html")]
struct CabinetPage {
    user_name: String,
    csrf: String,
    consent: bool,
    confirmed: bool,
    orgs: Vec<frmo_registry::identity::cabinet::MyOrganization>,
    operator_regions: String,
    unread: i64,
    /// An operator's or administrator's work: requests waiting for a decision, and how many are
    /// overdue (`None` when they may not moderate yet, e.g. without consent).
    moderation: Option<(usize, usize)>,
    moderates: bool,
    handles_support: bool,
    /// An administrator: the keys of the integration API are theirs to issue.
    administers: bool,
    done: Option<Confirmation>,
}

async fn my_organizations(
    State(state): State<AppState>,
    viewer: Viewer,
    raw: axum::extract::RawQuery,
) -> Result<Response, PageError> {
    let query: notice::DoneQuery = crate::query::parse(raw)?;
    let session = viewer.require(&state).await?;
    let principal = session.principal();
    let orgs = state.registry.my_organizations(session).await?;
    let actor = session.actor();
    let moderates = !principal.operator_regions.is_empty()
        || principal.federal_role == Some(frmo_domain::access::FederalRole::Admin);
    let moderation = if moderates && state.registry.may_at_all(&actor, Action::Moderate) {
        let queue = state.registry.moderation_queue(&actor, &viewer.request_id).await?;
        Some((queue.len(), queue.iter().filter(|r| r.overdue).count()))
    } else {
        None
    };
    let page = CabinetPage {
        done: notice::fixed(query.done.as_deref()),
        moderation,
        moderates,
        handles_support: state.registry.may_at_all(&actor, Action::HandleSupport),
        administers: state.registry.may_at_all(&actor, Action::Administer),
        user_name: session.user.display_name.clone(),
        csrf: viewer.csrf().to_owned(),
        consent: principal.consent,
        confirmed: principal.confirmed,
        orgs,
        operator_regions: principal.operator_regions.iter().map(u8::to_string).collect::<Vec<_>>().join(", "),
        unread: state.registry.unread_notifications(session.user.id).await?,
    };
    Ok(render(&page))
}

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

/// A moment as people read it: Moscow time, marked «МСК».
pub(crate) fn format_time(unix: i64) -> String {
    frmo_domain::date::moscow_time(unix)
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
    let mut roles: Vec<String> = user
        .memberships
        .iter()
        .map(|m| format!("{} в {}", if m.role == "chief" { "руководитель" } else { "сотрудник" }, m.org_oid))
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

async fn profile(
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
struct ConsentForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    decision: String,
}

async fn consent(
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

async fn totp_begin(
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
struct CodeForm {
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

async fn totp_confirm(
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
async fn totp_disable(
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

#[derive(Template)]
#[template(path = "cabinet_org.html")]
struct OrganizationView {
    user_name: String,
    csrf: String,
    org: frmo_domain::org::Organization,
    version: i64,
    phone: String,
    email: String,
    site: String,
    head: String,
    actual_address: String,
    edit_denied: Option<(&'static str, &'static str, &'static str)>,
    members: Vec<frmo_registry::identity::cabinet::Member>,
    may_manage_members: bool,
    status: StatusCode,
    invitations: Vec<frmo_registry::identity::cabinet::Invitation>,
    /// The card form's problems; its typed values are in the fields above and `reason`.
    errors: FormErrors,
    reason: String,
    members_errors: FormErrors,
    /// What was typed in the invitation form, kept when it is refused.
    members_who: String,
    members_role: String,
    /// The confirmation of the last action on this page.
    done: Option<Confirmation>,
}

/// What the last form of an organization's page did.
#[derive(Default)]
struct Outcome {
    /// The card form refused, with what was typed.
    card: Option<(FormErrors, CardForm)>,
    /// The invitation form refused, with who and which role was typed.
    members: Option<(FormErrors, String, String)>,
    done: Option<Confirmation>,
}

/// The fields of the card form, in their order on the page.
const CARD_FIELDS: [&str; 9] = [
    "name_full",
    "name_short",
    "head_full_name",
    "legal_address",
    "actual_address",
    "phone",
    "email",
    "site",
    "reason",
];

async fn organization_view(
    state: &AppState,
    viewer: &Viewer,
    oid: &str,
    outcome: Outcome,
) -> Result<Response, PageError> {
    let session = viewer.require(state).await?;
    let page = state.registry.organization_page(&session.actor(), oid, &viewer.request_id).await?;
    let mut org = page.card.organization;
    let (errors, typed) = outcome.card.map_or((FormErrors::none(), None), |(e, f)| (e, Some(f)));
    if let Some(typed) = &typed {
        typed.show_in(&mut org);
    }
    let (members_errors, members_who, members_role) = outcome.members.unwrap_or_default();
    let view = OrganizationView {
        user_name: session.user.display_name.clone(),
        csrf: viewer.csrf().to_owned(),
        version: page.card.row.version_id,
        phone: org.contacts.phone.clone().unwrap_or_default(),
        email: org.contacts.email.clone().unwrap_or_default(),
        site: org.contacts.site.clone().unwrap_or_default(),
        head: org.head_full_name.clone().unwrap_or_default(),
        actual_address: org.actual_address.as_ref().map(|a| a.text.clone()).unwrap_or_default(),
        edit_denied: page.edit_denied.map(|code| (code.reason(), code.remedy(), code.as_str())),
        members: page.members,
        may_manage_members: page.may_manage_members,
        invitations: page.invitations,
        org,
        reason: typed.map(|t| t.reason).unwrap_or_default(),
        status: if errors.is_empty() { members_errors.status() } else { errors.status() },
        errors,
        members_errors,
        members_who,
        members_role,
        done: outcome.done,
    };
    Ok((view.status, render(&view)).into_response())
}

/// The confirmation an organization's page shows: a fixed one by its code, or the change request
/// just sent (`?sent=` its id), made from the request itself.
#[derive(Deserialize, Default)]
struct Done {
    done: Option<String>,
    sent: Option<String>,
}

async fn organization(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(oid): Path<String>,
    raw: axum::extract::RawQuery,
) -> Result<Response, PageError> {
    let query: Done = crate::query::parse(raw)?;
    let mut done = notice::fixed(query.done.as_deref());
    if let (Some(id), Some(session)) = (query.sent.and_then(|s| s.parse().ok()), viewer.session.as_ref()) {
        // A request of another organization, or one not to be seen, shows nothing.
        if let Ok(view) = state.registry.request_view(&session.actor(), id, &viewer.request_id).await
            && view.org_oid == oid
            && view.status == "submitted"
        {
            done = Some(notice::request_sent(&view, state.registry.moderation().review_days));
        }
    }
    organization_view(&state, &viewer, &oid, Outcome { done, ..Outcome::default() }).await
}

/// The card's change form: the organization page's, and a returned request's (where `version` is
/// the request's revision).
#[derive(Deserialize, Default)]
pub(crate) struct CardForm {
    #[serde(default)]
    pub(crate) csrf: String,
    #[serde(default)]
    pub(crate) version: i64,
    name_full: Option<String>,
    name_short: Option<String>,
    head_full_name: Option<String>,
    legal_address: Option<String>,
    actual_address: Option<String>,
    phone: Option<String>,
    email: Option<String>,
    site: Option<String>,
    #[serde(default)]
    pub(crate) reason: String,
}

impl CardForm {
    /// The edited fields (a field the form did not send stays as it is).
    pub(crate) fn edit(&self) -> frmo_registry::identity::cabinet::CardEdit {
        frmo_registry::identity::cabinet::CardEdit {
            name_full: self.name_full.clone(),
            name_short: self.name_short.clone(),
            head_full_name: self.head_full_name.clone(),
            legal_address: self.legal_address.clone(),
            actual_address: self.actual_address.clone(),
            contacts: Some(Contacts { phone: self.phone.clone(), email: self.email.clone(), site: self.site.clone() }),
        }
    }

    /// What was typed in the field `name` (of the resubmission form's fields).
    pub(crate) fn typed(&self, name: &str) -> String {
        let field = match name {
            "name_full" => &self.name_full,
            "name_short" => &self.name_short,
            "head_full_name" => &self.head_full_name,
            "legal_address" => &self.legal_address,
            "actual_address" => &self.actual_address,
            "phone" => &self.phone,
            "email" => &self.email,
            "site" => &self.site,
            _ => return String::new(),
        };
        field.clone().unwrap_or_default()
    }

    /// Shows what was typed in the card the form is filled from (a refused form keeps it).
    fn show_in(&self, org: &mut frmo_domain::org::Organization) {
        let typed = |field: &Option<String>| field.clone().unwrap_or_default();
        org.name_full = typed(&self.name_full);
        org.name_short = typed(&self.name_short);
        org.head_full_name = self.head_full_name.clone();
        org.legal_address.text = typed(&self.legal_address);
        org.actual_address =
            self.actual_address.clone().map(|text| frmo_domain::org::Address { text, ..Default::default() });
        org.contacts = Contacts { phone: self.phone.clone(), email: self.email.clone(), site: self.site.clone() };
    }
}

async fn edit_card(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(oid): Path<String>,
    Form(form): Form<CardForm>,
) -> Result<Response, PageError> {
    let session = viewer.require(&state).await?;
    viewer.check_csrf(&form.csrf)?;
    let edit = form.edit();
    let result =
        state.registry.edit_card(&session.actor(), &oid, edit, form.version, &form.reason, &viewer.request_id).await;
    let page = format!("/cabinet/organizations/{oid}");
    match result {
        Ok(Proposal::Applied { .. }) => Ok(Redirect::to(&notice::to(&page, notice::CARD_SAVED)).into_response()),
        Ok(Proposal::Request(view)) => Ok(Redirect::to(&format!("{page}?sent={}", view.id)).into_response()),
        Err(error) => {
            let errors = FormErrors::from_registry(error, "", &CARD_FIELDS)?;
            organization_view(&state, &viewer, &oid, Outcome { card: Some((errors, form)), ..Outcome::default() }).await
        }
    }
}

/// The answer to a members form: back to the page with its confirmation, or the page again with
/// what went wrong and what was typed (refusals of access are errors).
async fn after_members_change(
    state: &AppState,
    viewer: &Viewer,
    oid: &str,
    result: Result<(), RegistryError>,
    typed: (&str, &str),
    done: &str,
) -> Result<Response, PageError> {
    match result {
        Ok(()) => Ok(Redirect::to(&notice::to(&format!("/cabinet/organizations/{oid}"), done)).into_response()),
        Err(error) => {
            let errors = FormErrors::from_registry(error, "", &["who", "role"])?;
            let members = Some((errors, typed.0.to_owned(), typed.1.to_owned()));
            organization_view(state, viewer, oid, Outcome { members, ..Outcome::default() }).await
        }
    }
}

#[derive(Deserialize)]
struct GrantForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    who: String,
    #[serde(default)]
    role: String,
}

async fn grant_member(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(oid): Path<String>,
    Form(form): Form<GrantForm>,
) -> Result<Response, PageError> {
    let session = viewer.require(&state).await?;
    viewer.check_csrf(&form.csrf)?;
    let result = state.registry.grant_member(&session.actor(), &oid, &form.who, &form.role, &viewer.request_id).await;
    after_members_change(&state, &viewer, &oid, result, (&form.who, &form.role), notice::INVITED).await
}

#[derive(Deserialize)]
struct RevokeForm {
    #[serde(default)]
    csrf: String,
    /// Not a number → 0, which names nobody (the registry answers «not found»).
    #[serde(default)]
    user: String,
}

async fn revoke_member(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(oid): Path<String>,
    Form(form): Form<RevokeForm>,
) -> Result<Response, PageError> {
    let session = viewer.require(&state).await?;
    viewer.check_csrf(&form.csrf)?;
    let user_id = form.user.trim().parse().unwrap_or(0);
    let result = state.registry.revoke_member(&session.actor(), &oid, user_id, &viewer.request_id).await;
    after_members_change(&state, &viewer, &oid, result, ("", ""), notice::MEMBERS).await
}

#[derive(Deserialize)]
struct WithdrawForm {
    #[serde(default)]
    csrf: String,
    /// Not a number → 0, which names no invitation (the registry answers «not found»).
    #[serde(default)]
    invitation: String,
}

async fn withdraw_invitation(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(oid): Path<String>,
    Form(form): Form<WithdrawForm>,
) -> Result<Response, PageError> {
    let session = viewer.require(&state).await?;
    viewer.check_csrf(&form.csrf)?;
    let id = form.invitation.trim().parse().unwrap_or(0);
    let result = state.registry.withdraw_invitation(&session.actor(), &oid, id, &viewer.request_id).await;
    after_members_change(&state, &viewer, &oid, result, ("", ""), notice::MEMBERS).await
}

#[derive(Template)]
#[template(path = "denials.html")]
struct DenialsPage {
    user_name: String,
    csrf: String,
    denials: Vec<(String, String, String, String, String, String)>,
    pager: crate::pager::Pager,
}

/// The newest denials the page lists, in pages (older ones are in the journal's CSV).
const DENIALS_LISTED: i64 = 2000;

async fn denials(
    State(state): State<AppState>,
    viewer: Viewer,
    raw: axum::extract::RawQuery,
) -> Result<Response, PageError> {
    let session = viewer.require(&state).await?;
    let list = state.registry.denials(&session.actor(), DENIALS_LISTED, &viewer.request_id).await?;
    let pager =
        crate::pager::Pager::of_query(list.len(), "/cabinet/audit/denials", raw.0.as_deref(), crate::pager::PAGE_SIZE);
    let page = DenialsPage {
        user_name: session.user.display_name.clone(),
        csrf: viewer.csrf().to_owned(),
        denials: pager
            .slice(list)
            .into_iter()
            .map(|d| {
                (
                    format_time(d.at),
                    d.user_id.map_or_else(|| "аноним".into(), |id| id.to_string()),
                    d.action,
                    d.target,
                    d.code,
                    d.request_id,
                )
            })
            .collect(),
        pager,
    };
    Ok(render(&page))
}

/// The whole audit journal as CSV (`;`, UTF-8), streamed a page at a time; the export is journaled.
async fn journal_csv(State(state): State<AppState>, viewer: Viewer) -> Result<Response, PageError> {
    let session = viewer.require(&state).await?;
    state.registry.begin_journal_export(&session.actor(), &viewer.request_id).await?;
    let (sink, pages) = tokio::sync::mpsc::channel(4);
    let registry = state.registry.clone();
    tokio::spawn(async move { registry.export_journal(sink).await });
    let body = futures_util::stream::unfold(pages, |mut pages| async move {
        let page = pages.recv().await?;
        let chunk = page.map_err(|error| {
            tracing::error!(%error, "audit journal export failed");
            std::io::Error::other("export failed")
        });
        Some((chunk, pages))
    });
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (axum::http::header::CONTENT_DISPOSITION, "attachment; filename=\"audit-journal.csv\""),
        ],
        axum::body::Body::from_stream(body),
    )
        .into_response())
}

#[derive(Template)]
#[template(path = "notifications.html")]
struct NotificationsPage {
    user_name: String,
    csrf: String,
    unread: usize,
    notes: Vec<(String, String, String, String, bool)>,
}

async fn notifications(State(state): State<AppState>, viewer: Viewer) -> Result<Response, PageError> {
    let session = viewer.require(&state).await?;
    let notes = state.registry.notifications(session.user.id, 100).await?;
    let page = NotificationsPage {
        user_name: session.user.display_name.clone(),
        csrf: viewer.csrf().to_owned(),
        unread: notes.iter().filter(|n| !n.read).count(),
        notes: notes.into_iter().map(|n| (format_time(n.at), n.title, n.body, n.link, n.read)).collect(),
    };
    Ok(render(&page))
}

async fn read_notifications(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<crate::identity::auth::CsrfOnly>,
) -> Result<Response, PageError> {
    let session = viewer.require(&state).await?;
    viewer.check_csrf(&form.csrf)?;
    state.registry.read_notifications(session.user.id).await?;
    Ok(Redirect::to("/cabinet/notifications").into_response())
}

async fn api_me(State(state): State<AppState>, viewer: Viewer) -> Result<Response, ApiError> {
    let session = viewer.require(&state).await?;
    let p = session.principal();
    Ok(Json(json!({
        "name": session.user.display_name,
        "provider": session.user.provider,
        "method": session.record.method,
        "confirmed": p.confirmed,
        "consent": p.consent,
        "organizations": p.memberships.iter().map(|m| json!({"oid": m.org_oid, "chief": m.chief})).collect::<Vec<_>>(),
        "operatorRegions": p.operator_regions,
        "federalRole": p.federal_role.map(|r| r.as_str()),
        "unreadNotifications": state.registry.unread_notifications(session.user.id).await?,
    }))
    .into_response())
}

async fn api_organization(
    State(state): State<AppState>,
    viewer: Viewer,
    crate::register::api::ApiPath(oid): crate::register::api::ApiPath<String>,
) -> Result<Response, ApiError> {
    let actor = viewer.actor();
    if viewer.session.is_none() {
        viewer.authorize(&state, Action::ReadOrganization, Target::None).await?;
    }
    let page = state.registry.organization_page(&actor, &oid, &viewer.request_id).await?;
    Ok(Json(json!({
        "oid": page.card.organization.oid.as_str(),
        "versionId": page.card.row.version_id,
        "canEdit": page.edit_denied.is_none(),
        "editDenied": page.edit_denied.map(|c| json!({"code": c.as_str(), "reason": c.reason(), "remedy": c.remedy()})),
        "members": page.members.iter().map(|m| json!({"name": m.name, "role": m.role, "source": m.source})).collect::<Vec<_>>(),
        "mayManageMembers": page.may_manage_members,
    }))
    .into_response())
}
