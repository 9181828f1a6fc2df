//! What a registry record is and the rules it obeys: identifier newtypes, entities, reference
//! directories. No I/O, no async, no SQL.

pub mod access;
pub mod calendar;
pub mod date;
pub mod document;
pub mod error;
pub mod hex;
pub mod ident;
pub mod org;
pub mod reference;
pub mod status;
pub mod worker;
