//! Who is signed in and what is theirs: sign-in and out (local accounts, ЕСИА, OpenID Connect),
//! the session and its form token, «Мои организации», an organization's page with its members,
//! the profile with consent and the second factor, and notifications.

pub(crate) mod auth;
mod cabinet;
mod notifications;
pub mod oidc;
pub(crate) mod organization;
mod profile;
pub mod session;

use axum::routing::{get, post};
use frmo_domain::access::Action;

use crate::routes::{RouteSpec, api, page};

/// The identity context's cabinet routes.
pub const ROUTES: &[RouteSpec] = &[
    page("GET", "/cabinet", Action::UseCabinet, || get(cabinet::my_organizations)),
    page("GET", "/cabinet/profile", Action::UseCabinet, || get(profile::profile)),
    page("POST", "/cabinet/consent", Action::UseCabinet, || post(profile::consent)),
    page("POST", "/cabinet/totp", Action::UseCabinet, || post(profile::totp_begin)),
    page("POST", "/cabinet/totp/confirm", Action::UseCabinet, || post(profile::totp_confirm)),
    page("POST", "/cabinet/totp/disable", Action::UseCabinet, || post(profile::totp_disable)),
    page("GET", "/cabinet/organizations/{oid}", Action::ReadOrganization, || get(organization::organization)),
    page("POST", "/cabinet/organizations/{oid}/card", Action::EditOrganization, || post(organization::edit_card)),
    page("POST", "/cabinet/organizations/{oid}/members", Action::ManageMembers, || post(organization::grant_member)),
    page("POST", "/cabinet/organizations/{oid}/members/revoke", Action::ManageMembers, || {
        post(organization::revoke_member)
    }),
    page("POST", "/cabinet/organizations/{oid}/invitations/cancel", Action::ManageMembers, || {
        post(organization::withdraw_invitation)
    }),
    page("GET", "/cabinet/notifications", Action::UseCabinet, || get(notifications::notifications)),
    page("POST", "/cabinet/notifications/read", Action::UseCabinet, || post(notifications::read_notifications)),
    api("GET", "/api/v1/me", Action::UseCabinet, || get(cabinet::api_me)),
    api("GET", "/api/v1/cabinet/organizations/{oid}", Action::ReadOrganization, || get(organization::api_organization)),
];
