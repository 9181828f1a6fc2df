//! Who is signed in and what is theirs: sign-in and out (local accounts, ЕСИА, OpenID Connect),
//! the session and its form token, «Мои организации», an organization's page with its members,
//! the profile with consent and the second factor, and notifications.

pub(crate) mod auth;
pub mod cabinet;
pub mod oidc;
pub mod session;
