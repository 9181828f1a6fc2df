//! The register as everyone reads it: the public pages (search, the card, directories, open data),
//! the public JSON API with its `openapi.json`, and the НСИ-compatible REST service; in the cabinet,
//! the administrator's publication of a new open-data version.

pub(crate) mod api;
pub mod nsi_rest;
pub(crate) mod pages;

use axum::routing::post;
use frmo_domain::access::Action;

use crate::routes::{RouteSpec, page};

/// The register context's cabinet routes.
pub const ROUTES: &[RouteSpec] =
    &[page("POST", "/cabinet/open-data/publish", Action::Administer, || post(pages::open_data::publish))];
