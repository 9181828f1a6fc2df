//! The person's notifications in the cabinet (the same notices go out by e-mail through the outbox).

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};

use crate::AppState;
use crate::error::{PageError, render};
use crate::format_time;
use crate::i18n::filters;
use crate::identity::session::Viewer;

#[derive(Template)]
#[template(path = "notifications.html")]
struct NotificationsPage {
    user_name: String,
    csrf: String,
    unread: usize,
    notes: Vec<(String, String, String, String, bool)>,
}

pub(super) async fn notifications(State(state): State<AppState>, viewer: Viewer) -> Result<Response, PageError> {
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

pub(super) async fn read_notifications(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<crate::identity::auth::CsrfOnly>,
) -> Result<Response, PageError> {
    let session = viewer.require(&state).await?;
    viewer.check_csrf(&form.csrf)?;
    state.registry.read_notifications(session.user.id).await?;
    Ok(Redirect::to("/cabinet/notifications").into_response())
}
