//! Moderation: change requests and their review, applications for inclusion, and the audit pages
//! (the journal of denials, the whole journal as CSV).

pub(crate) mod applications;
pub(crate) mod requests;
