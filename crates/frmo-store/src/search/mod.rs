//! Russian full-text search: the normaliser and the in-process index.

pub mod head;
pub mod index;
pub mod normalize;
