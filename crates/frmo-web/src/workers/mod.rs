//! Medical workers (ФРМР) in the cabinet and the API: the list with search and filters and the
//! staffing table, the import, exports and templates (`list`); the add and edit form (`form`); a
//! worker's page with dismissal and details, and the expiry check (`worker`).

mod form;
mod list;
mod worker;

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use frmo_domain::access::Action;
use frmo_domain::reference;

use crate::register::pages::{Choice, choices};
use crate::routes::{RouteSpec, api, page};

/// The workers context's cabinet routes.
pub const ROUTES: &[RouteSpec] = &[
    page("GET", "/cabinet/organizations/{oid}/workers", Action::ReadOrganization, || get(list::list)),
    page("GET", "/cabinet/organizations/{oid}/workers/new", Action::EditOrganization, || get(form::new)),
    page("POST", "/cabinet/organizations/{oid}/workers", Action::EditOrganization, || post(form::add)),
    page("POST", "/cabinet/organizations/{oid}/workers/import", Action::EditOrganization, || {
        post(list::import).layer(DefaultBodyLimit::disable())
    }),
    page("GET", "/cabinet/organizations/{oid}/workers/export.csv", Action::ReadOrganization, || get(list::export)),
    page("GET", "/cabinet/organizations/{oid}/workers/export.xlsx", Action::ReadOrganization, || {
        get(list::export_xlsx)
    }),
    page("GET", "/cabinet/organizations/{oid}/workers/export.pdf", Action::ReadOrganization, || get(list::export_pdf)),
    page("GET", "/cabinet/organizations/{oid}/workers/template.csv", Action::ReadOrganization, || get(list::template)),
    page("GET", "/cabinet/organizations/{oid}/workers/template.xlsx", Action::ReadOrganization, || {
        get(list::template_xlsx)
    }),
    page("GET", "/cabinet/organizations/{oid}/workers/check", Action::ReadOrganization, || get(worker::check)),
    page("GET", "/cabinet/organizations/{oid}/workers/{id}", Action::ReadOrganization, || get(worker::page)),
    page("GET", "/cabinet/organizations/{oid}/workers/{id}/edit", Action::EditOrganization, || get(form::edit_form)),
    page("POST", "/cabinet/organizations/{oid}/workers/{id}/edit", Action::EditOrganization, || post(form::edit)),
    page("POST", "/cabinet/organizations/{oid}/workers/{id}/details", Action::EditOrganization, || {
        post(worker::details)
    }),
    page("POST", "/cabinet/organizations/{oid}/workers/{id}/dismiss", Action::EditOrganization, || {
        post(worker::dismiss)
    }),
    page("POST", "/cabinet/organizations/{oid}/staffing", Action::EditOrganization, || post(list::staffing)),
    api("GET", "/api/v1/organizations/{oid}/workers", Action::ReadOrganization, || get(list::api_list)),
    api("GET", "/api/v1/workers/{snils}", Action::UseCabinet, || get(worker::api_worker)),
];

pub(crate) fn directory_choices(directory: &str, current: Option<&str>) -> Vec<Choice> {
    let entries = reference::get(directory).map(|d| d.entries.clone()).unwrap_or_default();
    choices(entries.into_iter().map(|e| (e.id.to_string(), format!("{} — {}", e.id, e.name))), current)
}

/// A worker's page with the confirmation `code`.
pub(crate) fn worker_done(oid: &str, person: &str, code: &str) -> String {
    crate::notice::to(&format!("/cabinet/organizations/{oid}/workers/{person}"), code)
}
