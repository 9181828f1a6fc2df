//! `GET /directories`: the reference directories in use, each with the OID it is published under
//! and whether that is the real НСИ directory or one of our own arc (its codes not confirmed
//! against НСИ), its version, where its values come from, and its entries.

use askama::Template;
use axum::response::Response;
use frmo_domain::reference::{self, Directory};

use crate::error::render;
use crate::i18n::filters;

#[derive(Template)]
#[template(path = "directories.html")]
struct DirectoriesPage {
    directories: Vec<&'static Directory>,
}

pub async fn page() -> Response {
    render(&DirectoriesPage { directories: reference::all() })
}
