//! The register as everyone reads it: the public pages (search, the card, directories, open data),
//! the public JSON API with its `openapi.json`, and the НСИ-compatible REST service.

pub(crate) mod api;
pub mod nsi_rest;
pub(crate) mod pages;
