//! The register: organizations' cards and their versions ([`organizations`]), searching them
//! ([`search`]), the reference directories and their НСИ codes ([`directories`]), НСИ 1461 import
//! and export ([`nsi`]), publication of the open register ([`publication`]) and the printable card
//! ([`printable`]).

pub mod directories;
pub mod nsi;
mod organizations;
pub use organizations::{organization_oid, public_oid};
pub mod printable;
pub mod publication;
pub mod search;
