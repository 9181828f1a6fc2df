//! The administrator's page of information systems (`/cabinet/admin/systems`): the keys of the
//! integration API (`/ips`, `ips.rs`) — who has one, for which organizations and regions — a form
//! that issues a key (shown once, on the answer to the form itself, never in an address) and a
//! button that revokes one. The same as `frmo systems add|list|revoke`.

use askama::Template;
use axum::extract::{Form, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use frmo_registry::integration::systems::IssuedKey;
use serde::Deserialize;

use crate::AppState;
use crate::error::{PageError, render};
use crate::form::FormErrors;
use crate::format_time;
use crate::i18n::filters;
use crate::identity::session::Viewer;
use crate::notice::{self, Confirmation};

const PAGE: &str = "/cabinet/admin/systems";

/// A line of the list.
struct Line {
    name: String,
    key_hint: String,
    orgs: String,
    regions: String,
    created: String,
    revoked: bool,
}

#[derive(Template)]
#[template(path = "systems.html")]
struct SystemsPage {
    user_name: String,
    csrf: String,
    public_url: String,
    systems: Vec<Line>,
    issued_name: String,
    issued_key: Option<String>,
    done: Option<Confirmation>,
    errors: FormErrors,
    typed_name: String,
    typed_orgs: String,
    typed_regions: String,
}

#[derive(Deserialize, Default)]
pub struct AddForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    orgs: String,
    #[serde(default)]
    regions: String,
}

#[derive(Deserialize)]
pub struct RevokeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
}

#[derive(Deserialize, Default)]
pub struct Done {
    done: Option<String>,
}

/// The page: the list, the form (with what went wrong and what was typed), a key just issued.
async fn page(
    state: &AppState,
    viewer: &Viewer,
    issued: Option<IssuedKey>,
    done: Option<Confirmation>,
    (errors, typed): (FormErrors, AddForm),
) -> Result<Response, PageError> {
    let session = viewer.require(state).await?;
    let systems = state.registry.systems(&viewer.caller).await?;
    let status = errors.status();
    let page = SystemsPage {
        user_name: session.user.display_name.clone(),
        csrf: viewer.csrf().to_owned(),
        public_url: state.auth.public_url.trim_end_matches('/').to_owned(),
        systems: systems
            .into_iter()
            .map(|s| Line {
                regions: s.regions.iter().map(u8::to_string).collect::<Vec<_>>().join(" "),
                orgs: s.orgs.join(" "),
                created: format_time(s.created_at),
                revoked: s.revoked_at.is_some(),
                key_hint: s.key_hint,
                name: s.name,
            })
            .collect(),
        issued_name: issued.as_ref().map(|i| i.account.name.clone()).unwrap_or_default(),
        issued_key: issued.map(|i| i.key),
        done,
        errors,
        typed_name: typed.name,
        typed_orgs: typed.orgs,
        typed_regions: typed.regions,
    };
    Ok((status, render(&page)).into_response())
}

pub async fn list(State(state): State<AppState>, viewer: Viewer, Query(q): Query<Done>) -> Result<Response, PageError> {
    page(&state, &viewer, None, notice::fixed(q.done.as_deref()), (FormErrors::none(), AddForm::default())).await
}

pub async fn add(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<AddForm>,
) -> Result<Response, PageError> {
    viewer.require(&state).await?;
    viewer.check_csrf(&form.csrf)?;
    let words = |text: &str| {
        text.split([' ', ',', ';', '\n']).filter(|w| !w.trim().is_empty()).map(str::to_owned).collect::<Vec<_>>()
    };
    let added =
        state.registry.add_system(&viewer.caller, form.name.trim(), &words(&form.orgs), &words(&form.regions)).await;
    match added {
        // The key is shown on this answer only: it is never put in an address or stored.
        Ok(issued) => page(&state, &viewer, Some(issued), None, (FormErrors::none(), AddForm::default())).await,
        Err(error) => {
            let errors = FormErrors::from_registry(error, "", &["name", "org", "region"])?;
            page(&state, &viewer, None, None, (errors, form)).await
        }
    }
}

pub async fn revoke(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<RevokeForm>,
) -> Result<Response, PageError> {
    viewer.require(&state).await?;
    viewer.check_csrf(&form.csrf)?;
    state.registry.revoke_system(&viewer.caller, &form.name).await?;
    Ok(Redirect::to(&notice::to(PAGE, notice::SYSTEM_REVOKED)).into_response())
}
