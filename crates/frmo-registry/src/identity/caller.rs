//! Who calls a use case, and in which request: the two travel together, since every decision is
//! made for an actor and every refusal or change is journaled with the request's id.

use frmo_domain::access::Actor;

/// The actor of a use case and the id of the request it runs in (`-` when there is none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    actor: Actor,
    request_id: String,
}

impl Caller {
    pub fn new(actor: Actor, request_id: impl Into<String>) -> Self {
        Caller { actor, request_id: request_id.into() }
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

    /// The same actor in another request.
    pub fn with_request_id(&self, request_id: impl Into<String>) -> Self {
        Caller::new(self.actor.clone(), request_id)
    }
}
