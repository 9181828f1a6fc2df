//! Moderation: a member's proposed change of a card and its review by the region's operator
//! ([`requests`]), applications for inclusion of a new organization ([`applications`]), and the
//! audit journal of who did what ([`journal`]).

pub mod applications;
pub mod journal;
pub mod requests;
