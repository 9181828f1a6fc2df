//! «Мои организации», the cabinet's first page (with the operator's and administrator's work), and
//! `/api/v1/me`.

use askama::Template;
use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use frmo_domain::access::Action;
use serde_json::json;

use crate::AppState;
use crate::error::{ApiError, PageError, render};
use crate::i18n::filters;
use crate::identity::session::Viewer;
use crate::notice::{self, Confirmation};

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

pub(super) async fn my_organizations(
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
        let queue = state.registry.moderation_queue(&viewer.caller).await?;
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

pub(super) async fn api_me(State(state): State<AppState>, viewer: Viewer) -> Result<Response, ApiError> {
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
