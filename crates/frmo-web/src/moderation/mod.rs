//! Moderation: change requests and their review, an organization's history, applications for
//! inclusion, and the audit pages (the journal of denials, the whole journal as CSV).

pub(crate) mod applications;
mod audit;
pub(crate) mod requests;

use axum::routing::{get, post};
use frmo_domain::access::Action;

use crate::routes::{RouteSpec, author_page, page};

/// The moderation context's cabinet routes.
pub const ROUTES: &[RouteSpec] = &[
    page("GET", "/cabinet/organizations/{oid}/history", Action::ReadOrganization, || get(requests::history)),
    page("GET", "/cabinet/applications/new", Action::Apply, || get(applications::form)),
    page("POST", "/cabinet/applications", Action::Apply, || post(applications::submit)),
    page("GET", "/cabinet/requests", Action::UseCabinet, || get(requests::my_requests)),
    page("GET", "/cabinet/moderation", Action::Moderate, || get(requests::queue)),
    page("GET", "/cabinet/moderation/statistics", Action::Moderate, || get(requests::statistics)),
    page("GET", "/cabinet/requests/{id}", Action::ReadOrganization, || get(requests::request_page)),
    author_page("POST", "/cabinet/requests/{id}/withdraw", Action::EditOrganization, || post(requests::withdraw)),
    author_page("POST", "/cabinet/requests/{id}/resubmit", Action::EditOrganization, || post(requests::resubmit)),
    page("POST", "/cabinet/requests/{id}/decision", Action::Moderate, || post(requests::decision)),
    page("GET", "/cabinet/audit/denials", Action::ReadAudit, || get(audit::denials)),
    page("GET", "/cabinet/audit/journal.csv", Action::ReadAudit, || get(audit::journal_csv)),
];
