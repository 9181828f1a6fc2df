//! Support: the request form on the public site and in the cabinet (`form`), requests with their
//! conversation, queue and attachments (`requests`), and the help centre (`help`). The public
//! routes are in [`public_router`]; the cabinet's in [`ROUTES`].

mod form;
mod help;
mod requests;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use frmo_domain::access::Action;

use crate::AppState;
use crate::routes::{RouteSpec, page};

/// The support context's cabinet routes.
pub const ROUTES: &[RouteSpec] = &[
    page("GET", "/cabinet/support", Action::AskSupport, || get(requests::my_requests)),
    page("GET", "/cabinet/support/new", Action::AskSupport, || get(form::cabinet_form)),
    page("POST", "/cabinet/support", Action::AskSupport, || {
        post(form::cabinet_submit).layer(DefaultBodyLimit::disable())
    }),
    page("GET", "/cabinet/support/queue", Action::HandleSupport, || get(requests::queue)),
    page("GET", "/cabinet/support/{ticket}", Action::AskSupport, || get(requests::page)),
    page("POST", "/cabinet/support/{ticket}/step", Action::AskSupport, || post(requests::step)),
    page("GET", "/cabinet/support/{ticket}/files/{file}", Action::AskSupport, || get(requests::attachment)),
    page("GET", "/cabinet/help/{slug}/edit", Action::Administer, || get(help::edit_article)),
    page("POST", "/cabinet/help/{slug}", Action::Administer, || post(help::save_article)),
];

/// The public routes of support and the help centre.
pub fn public_router() -> Router<AppState> {
    Router::new()
        .route("/support", get(help::help_centre))
        .route("/support/articles/{slug}", get(help::article))
        .route("/support/suggest", get(help::suggest))
        .route("/support/new", get(form::public_form).post(form::public_submit).layer(DefaultBodyLimit::disable()))
        .route("/static/support.js", get(help::script))
}
