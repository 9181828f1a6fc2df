//! How other systems reach the registry: the ИПС-compatible integration API (`/ips`), the FHIR R4
//! face (`/fhir/r4`), and the administrators' pages of the system keys they call with.

pub mod fhir;
pub mod ips;
pub(crate) mod systems;
