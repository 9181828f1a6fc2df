//! The code that stays per backend, one folder each: what cannot be one statement (binary COPY,
//! bulk-load index dropping, online backup, connections, pools and PRAGMAs, the migrator) and the
//! hot paths kept on direct rusqlite / tokio-postgres calls. Every other statement is written once
//! (`crate::sql`, docs/architecture.md "Dialects").

pub(crate) mod kept;
pub mod postgres;
pub mod sqlite;

use frmo_domain::org::OrgStatus;

/// A status as both backends store it (text); an unknown one reads as active.
pub(crate) fn parse_status(text: &str) -> OrgStatus {
    OrgStatus::parse(text).unwrap_or(OrgStatus::Active)
}
