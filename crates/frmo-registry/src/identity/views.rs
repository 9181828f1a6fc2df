//! What identity hands the web: a session and its person, a person as a provider vouches for them,
//! consents and denials — registry types made here from the store's rows, which stay inside.

use frmo_domain::access::{Actor, FederalRole, Membership, Principal};
use frmo_store::identity::{ConsentRecord, DenialRecord, SessionRecord, UserRecord};

use super::current_consent;

/// A live session and its person, as pages read them (the store's rows stay in the registry).
#[derive(Debug, Clone)]
pub struct Session {
    pub(super) token_hash: String,
    pub record: SessionTerms,
    pub user: SessionUser,
    /// What access decisions know of the person, made once from their rows and consent.
    principal: Principal,
}

/// What a session itself holds for its pages: how its person signed in and its form token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionTerms {
    /// How the person signed in (`esia-pwd`, `oidc`, `local`…; see `method_label`).
    pub method: String,
    /// The token every state-changing form of the session carries.
    pub csrf: String,
}

/// The signed-in person, as the cabinet shows them (memberships and roles are in the principal).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionUser {
    pub id: i64,
    /// `esia`, `oidc` or `local`.
    pub provider: String,
    pub display_name: String,
    pub snils: Option<String>,
    pub email: Option<String>,
    pub confirmed: bool,
    pub totp_enabled: bool,
}

impl Session {
    pub(super) fn new(
        token_hash: String,
        record: SessionRecord,
        user: UserRecord,
        consent: Option<&ConsentRecord>,
    ) -> Session {
        let principal = principal(&user, consent);
        let user = SessionUser {
            id: user.id,
            provider: user.provider,
            display_name: user.display_name,
            snils: user.snils,
            email: user.email,
            confirmed: user.confirmed,
            totp_enabled: user.totp_enabled,
        };
        Session { token_hash, record: SessionTerms { method: record.method, csrf: record.csrf }, user, principal }
    }

    pub fn principal(&self) -> Principal {
        self.principal.clone()
    }

    pub fn actor(&self) -> Actor {
        Actor::User(self.principal())
    }
}

/// A person as an identity provider vouches for them (the `user` of a `SignIn`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUser {
    /// `esia`, `oidc` or `local`.
    pub provider: String,
    /// The person's id at the provider (unique per provider).
    pub subject: String,
    pub display_name: String,
    pub snils: Option<String>,
    pub email: Option<String>,
    /// A confirmed account (ЕСИА's «подтверждённая учётная запись»).
    pub confirmed: bool,
}

impl From<NewUser> for frmo_store::identity::NewUser {
    fn from(user: NewUser) -> Self {
        let NewUser { provider, subject, display_name, snils, email, confirmed } = user;
        frmo_store::identity::NewUser { provider, subject, display_name, snils, email, confirmed }
    }
}

pub(super) fn principal(user: &UserRecord, consent: Option<&ConsentRecord>) -> Principal {
    Principal {
        user_id: user.id,
        confirmed: user.confirmed,
        consent: consent.is_some_and(|c| c.accepted && c.version == current_consent().0),
        memberships: user
            .memberships
            .iter()
            .map(|m| Membership { org_oid: m.org_oid.clone(), chief: m.role == "chief" })
            .collect(),
        operator_regions: user.operator_regions.clone(),
        member_regions: Vec::new(),
        federal_role: user.federal_role.as_deref().and_then(FederalRole::parse),
    }
}

/// A decision on the consent to personal-data processing, as the profile lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consent {
    /// The version of the text decided on (see `CONSENTS`).
    pub version: i64,
    pub accepted: bool,
    /// When, Unix seconds.
    pub at: i64,
}

impl From<ConsentRecord> for Consent {
    fn from(record: ConsentRecord) -> Self {
        let ConsentRecord { version, accepted, at } = record;
        Consent { version, accepted, at }
    }
}

/// A refused access, as the auditors' page lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denial {
    /// When, Unix seconds.
    pub at: i64,
    /// Who was refused (`None`: someone not signed in).
    pub user_id: Option<i64>,
    pub action: String,
    pub target: String,
    /// The `DenyCode`'s stable code.
    pub code: String,
    pub request_id: String,
}

impl From<DenialRecord> for Denial {
    fn from(record: DenialRecord) -> Self {
        let DenialRecord { at, user_id, action, target, code, request_id } = record;
        Denial { at, user_id, action, target, code, request_id }
    }
}
