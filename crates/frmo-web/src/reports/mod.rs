//! Reports in the cabinet and the API: the catalogue and a report's page with its downloads
//! (`catalogue`), and background exports with their progress (`jobs`).

mod catalogue;
mod jobs;

use axum::routing::{get, post};
use frmo_domain::access::Action;

use crate::routes::{RouteSpec, api, page};

/// The reports context's cabinet routes.
pub const ROUTES: &[RouteSpec] = &[
    page("GET", "/cabinet/reports", Action::ReadReports, || get(catalogue::catalogue)),
    page("GET", "/cabinet/reports/{name}", Action::ReadReports, || get(catalogue::page)),
    page("GET", "/cabinet/reports/{name}/download", Action::ReadReports, || get(catalogue::download)),
    page("POST", "/cabinet/jobs", Action::ReadReports, || post(jobs::start_job)),
    page("GET", "/cabinet/jobs", Action::ReadReports, || get(jobs::jobs)),
    page("GET", "/cabinet/jobs/{job}", Action::ReadReports, || get(jobs::job)),
    page("GET", "/cabinet/jobs/{job}/file", Action::ReadReports, || get(jobs::job_file)),
    api("GET", "/api/v1/reports", Action::ReadReports, || get(catalogue::api_catalogue)),
    api("GET", "/api/v1/reports/{name}", Action::ReadReports, || get(catalogue::api_report)),
];
