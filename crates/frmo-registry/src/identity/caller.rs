//! Who calls a use case, and in which request: the two travel together, since every decision is
//! made for an actor and every refusal or change is journaled with the request's id.

use frmo_domain::access::{Action, Actor};

/// The actor of a use case and the id of the request it runs in (`-` when there is none), with the
/// access decision the registry already made for it, if any. The fields are private: only the
/// registry records a decision, and a caller's actor never changes under it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    actor: Actor,
    request_id: String,
    authorized: Option<Authorized>,
}

/// The registry allowed this caller's actor `action` on the organization `oid`, whose region (and
/// current version, when it read one) it read from the primary: what the route layer decided before
/// the handler ran ([`crate::Registry::authorize_route`]).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Authorized {
    oid: String,
    region: u8,
    version: Option<i64>,
    action: Action,
}

impl Caller {
    pub fn new(actor: Actor, request_id: impl Into<String>) -> Self {
        Caller { actor, request_id: request_id.into(), authorized: None }
    }

    /// The command line and background jobs of the deployment itself.
    pub fn system(request_id: impl Into<String>) -> Self {
        Caller::new(Actor::System, request_id)
    }

    /// A visitor who has not signed in, or an API client without credentials.
    pub fn anonymous(request_id: impl Into<String>) -> Self {
        Caller::new(Actor::Anonymous, request_id)
    }

    pub fn actor(&self) -> &Actor {
        &self.actor
    }

    pub fn request_id(&self) -> &str {
        &self.request_id
    }

    /// The same actor in another request (carrying no decision).
    pub fn with_request_id(&self, request_id: impl Into<String>) -> Self {
        Caller::new(self.actor.clone(), request_id)
    }

    /// Whether this caller carries a decision of the registry allowing `action` on the
    /// organization `oid` (the route layer's, handed on to the handler).
    pub fn is_authorized(&self, oid: &str, action: Action) -> bool {
        self.authorized_region(oid, action).is_some()
    }

    /// The region of `oid` when this caller carries the registry's decision allowing exactly
    /// `action` on exactly that organization; `None` otherwise, and the use case decides itself.
    pub(crate) fn authorized_region(&self, oid: &str, action: Action) -> Option<u8> {
        self.authorized.as_ref().filter(|a| a.oid == oid && a.action == action).map(|a| a.region)
    }

    /// The current version of `oid` as read for the decision allowing exactly `action` on it, in
    /// this request; `None` when this caller carries no such decision, or it read no version.
    pub(crate) fn authorized_version(&self, oid: &str, action: Action) -> Option<i64> {
        self.authorized.as_ref().filter(|a| a.oid == oid && a.action == action).and_then(|a| a.version)
    }

    /// This caller, carrying the decision just made: `action` allowed on `oid` in `region`, whose
    /// current version was `version`. Only the registry makes one, right after `decide` allowed it
    /// for this very actor.
    pub(crate) fn authorized_for(&self, oid: &str, region: u8, version: Option<i64>, action: Action) -> Self {
        let authorized = Some(Authorized { oid: oid.to_owned(), region, version, action });
        Caller { actor: self.actor.clone(), request_id: self.request_id.clone(), authorized }
    }
}
