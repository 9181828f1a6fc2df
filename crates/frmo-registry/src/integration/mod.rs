//! What other systems speak: the integration API regional systems already use ([`ips`], keys of
//! [`systems`]) and FHIR R4 / IHE mCSD for the rest of the world ([`fhir`]). Reads come from the
//! register and the workers' context; writes go through moderation, as a member's would.

pub mod fhir;
pub mod ips;
pub mod systems;
