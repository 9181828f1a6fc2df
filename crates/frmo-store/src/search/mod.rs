//! Russian full-text search: the normaliser and the in-process index.

pub mod index;
pub mod normalize;
