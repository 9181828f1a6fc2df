//! An organization's page in the cabinet: its card with the change form (contacts at once, the
//! rest as a change request), its members and invitations, and
//! `/api/v1/cabinet/organizations/{oid}`.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Form, Json};
use frmo_domain::access::{Action, Target};
use frmo_domain::ident::OrgOid;
use frmo_domain::org::Contacts;
use frmo_domain::status::RequestStatus;
use frmo_registry::RegistryError;
use frmo_registry::moderation::requests::Proposal;
use frmo_registry::register::organization_oid;
use serde::Deserialize;
use serde_json::json;

use crate::AppState;
use crate::error::{ApiError, PageError, render};
use crate::form::FormErrors;
use crate::i18n::filters;
use crate::identity::session::Viewer;
use crate::notice::{self, Confirmation};

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
    oid: &OrgOid,
    outcome: Outcome,
) -> Result<Response, PageError> {
    let session = viewer.require(state).await?;
    let page = state.registry.organization_page(&viewer.caller, oid).await?;
    let version = page.card.row.version_id;
    // The page shows what the person typed over the card: its own copy.
    let mut org = std::sync::Arc::unwrap_or_clone(page.card).organization;
    let (errors, typed) = outcome.card.map_or((FormErrors::none(), None), |(e, f)| (e, Some(f)));
    if let Some(typed) = &typed {
        typed.show_in(&mut org);
    }
    let (members_errors, members_who, members_role) = outcome.members.unwrap_or_default();
    let view = OrganizationView {
        user_name: session.user.display_name.clone(),
        csrf: viewer.csrf().to_owned(),
        version,
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

pub(super) async fn organization(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(oid): Path<String>,
    raw: axum::extract::RawQuery,
) -> Result<Response, PageError> {
    let oid = organization_oid(&oid)?;
    let query: Done = crate::query::parse(raw)?;
    let mut done = notice::fixed(query.done.as_deref());
    if let (Some(id), Some(_)) = (query.sent.and_then(|s| s.parse().ok()), viewer.session.as_ref()) {
        // A request of another organization, or one not to be seen, shows nothing.
        if let Ok(view) = state.registry.request_view(&viewer.caller, id).await
            && view.org_oid == oid.as_str()
            && view.status == RequestStatus::Submitted
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

pub(super) async fn edit_card(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(oid): Path<String>,
    Form(form): Form<CardForm>,
) -> Result<Response, PageError> {
    let oid = organization_oid(&oid)?;
    viewer.require(&state).await?;
    viewer.check_csrf(&form.csrf)?;
    let edit = form.edit();
    let result = state.registry.edit_card(&viewer.caller, &oid, edit, form.version, &form.reason).await;
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
    oid: &OrgOid,
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
pub(super) struct GrantForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    who: String,
    #[serde(default)]
    role: String,
}

pub(super) async fn grant_member(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(oid): Path<String>,
    Form(form): Form<GrantForm>,
) -> Result<Response, PageError> {
    let oid = organization_oid(&oid)?;
    viewer.require(&state).await?;
    viewer.check_csrf(&form.csrf)?;
    let result = state.registry.grant_member(&viewer.caller, &oid, &form.who, &form.role).await;
    after_members_change(&state, &viewer, &oid, result, (&form.who, &form.role), notice::INVITED).await
}

#[derive(Deserialize)]
pub(super) struct RevokeForm {
    #[serde(default)]
    csrf: String,
    /// Not a number → 0, which names nobody (the registry answers «not found»).
    #[serde(default)]
    user: String,
}

pub(super) async fn revoke_member(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(oid): Path<String>,
    Form(form): Form<RevokeForm>,
) -> Result<Response, PageError> {
    let oid = organization_oid(&oid)?;
    viewer.require(&state).await?;
    viewer.check_csrf(&form.csrf)?;
    let user_id = form.user.trim().parse().unwrap_or(0);
    let result = state.registry.revoke_member(&viewer.caller, &oid, user_id).await;
    after_members_change(&state, &viewer, &oid, result, ("", ""), notice::MEMBERS).await
}

#[derive(Deserialize)]
pub(super) struct WithdrawForm {
    #[serde(default)]
    csrf: String,
    /// Not a number → 0, which names no invitation (the registry answers «not found»).
    #[serde(default)]
    invitation: String,
}

pub(super) async fn withdraw_invitation(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(oid): Path<String>,
    Form(form): Form<WithdrawForm>,
) -> Result<Response, PageError> {
    let oid = organization_oid(&oid)?;
    viewer.require(&state).await?;
    viewer.check_csrf(&form.csrf)?;
    let id = form.invitation.trim().parse().unwrap_or(0);
    let result = state.registry.withdraw_invitation(&viewer.caller, &oid, id).await;
    after_members_change(&state, &viewer, &oid, result, ("", ""), notice::MEMBERS).await
}

pub(super) async fn api_organization(
    State(state): State<AppState>,
    viewer: Viewer,
    crate::register::api::ApiPath(oid): crate::register::api::ApiPath<String>,
) -> Result<Response, ApiError> {
    let oid = organization_oid(&oid)?;
    if viewer.session.is_none() {
        viewer.authorize(&state, Action::ReadOrganization, Target::None).await?;
    }
    let page = state.registry.organization_page(&viewer.caller, &oid).await?;
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
