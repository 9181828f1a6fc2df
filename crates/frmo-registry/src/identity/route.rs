//! The access a route of the web asks for before its handler runs: the action the route names, on
//! what its path names. The use case behind the route checks again and decides the same, so a
//! refused request is refused — and journaled — once, before its body is read.

use frmo_domain::access::{Action, Actor, DenyCode, Target};

use crate::Caller;
use crate::register::organization_oid;
use crate::{Registry, RegistryError, Result};

/// What a route's path names as the target of its action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteTarget<'a> {
    /// Nothing: the action is asked at all (a report, the moderation queue of any region).
    None,
    /// An organization, by OID.
    Organization(&'a str),
    /// A change request or an application, by id: its organization is the target. `author_only`:
    /// only its author may, on top of the action.
    Request { id: i64, author_only: bool },
}

impl Registry {
    /// Whether `actor` may use a route that needs `action` on `on`; a refusal is journaled and
    /// returned as `Forbidden`. The anonymous are asked to sign in first, as every cabinet use case
    /// does (`UseCabinet`). A target that does not exist is `NotFound`, journaling nothing: the use
    /// case answers that its own way.
    ///
    /// Allowed, it returns the caller to hand to the use case: on an organization, carrying the
    /// decision with the region and the current version read for it, so the use case's own check of
    /// the same action on the same organization reads nothing again
    /// ([`Registry::organization_target`]), and its card is the version just read.
    pub async fn authorize_route(&self, caller: &Caller, action: Action, on: RouteTarget<'_>) -> Result<Caller> {
        if matches!(caller.actor(), Actor::Anonymous) {
            self.authorize(caller, Action::UseCabinet, Target::None).await?;
            return Ok(caller.clone());
        }
        match on {
            RouteTarget::None => self.authorize(caller, action, Target::None).await.map(|()| caller.clone()),
            RouteTarget::Organization(text) => {
                let oid = organization_oid(text)?;
                let head = self.organization_head(&oid).await?;
                self.authorize(caller, action, Target::Organization { oid: oid.as_str(), region: head.region }).await?;
                Ok(caller.authorized_for(oid.as_str(), head.region, Some(head.version_id), action))
            }
            RouteTarget::Request { id, author_only } => {
                let record = self
                    .store
                    .request(id)
                    .await?
                    .ok_or_else(|| RegistryError::NotFound(format!("Заявка {id} не найдена.")))?;
                let target = Target::Organization { oid: &record.org_oid, region: record.region };
                let author = is_author(caller.actor(), record.author_id);
                // Its author reads a request whatever their role now (as `request_view` lets them).
                if author && action == Action::ReadOrganization {
                    return Ok(caller.clone());
                }
                self.authorize(caller, action, target).await?;
                if author_only && !author {
                    return Err(self.refuse(caller, action, target, DenyCode::NotTheAuthor).await);
                }
                Ok(caller.clone())
            }
        }
    }
}

/// Whether `actor` is the person `author_id`.
pub(crate) fn is_author(actor: &Actor, author_id: i64) -> bool {
    matches!(actor, Actor::User(p) if p.user_id == author_id)
}
