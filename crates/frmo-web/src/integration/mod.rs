//! How other systems reach the registry: the ИПС-compatible integration API (`/ips`), the FHIR R4
//! face (`/fhir/r4`), and the administrators' pages of the system keys they call with.

pub mod fhir;
pub mod ips;
mod systems;

use axum::routing::{get, post};
use frmo_domain::access::Action;

use crate::routes::{RouteSpec, page};

/// The integration context's cabinet routes: the system keys.
pub const ROUTES: &[RouteSpec] = &[
    page("GET", "/cabinet/admin/systems", Action::Administer, || get(systems::list)),
    page("POST", "/cabinet/admin/systems", Action::Administer, || post(systems::add)),
    page("POST", "/cabinet/admin/systems/revoke", Action::Administer, || post(systems::revoke)),
];
