//! Information systems — a region's МИС, a ministry's pipeline — that call the integration API
//! (`/ips`, issue #21). An administrator issues a system a key bound to organizations and/or
//! regions (`frmo systems add NAME --org OID… --region R…`); the key is shown once and kept as a
//! SHA-256 digest (256 random bits need no slow hash). A call with the key acts as a member of those
//! organizations — never as a chief or an operator — so the system reads and writes exactly what a
//! member's cabinet may, through the same moderation; every call is journaled with the system as the
//! actor. A revoked key stops at the next call.

use frmo_domain::access::{Action, Actor, DenyCode, Membership, Principal, Target};
use frmo_domain::error::ValidationError;
use frmo_domain::ident::{OrgOid, RegionCode};
use frmo_store::systems::{NewSystem, SystemRecord};
use serde_json::json;

use crate::Caller;
use crate::identity::{random_token, token_hash};
use crate::{Registry, RegistryError, Result};

/// What keys start with, so that a leaked one is recognised for what it is.
const KEY_PREFIX: &str = "frmo_";

/// A system account, without its key.
pub type SystemAccount = SystemRecord;

/// A system just created and its key, which is never shown again.
#[derive(Debug, Clone)]
pub struct IssuedKey {
    pub account: SystemAccount,
    pub key: String,
}

fn invalid(field: &'static str, label: &'static str, message: impl Into<String>) -> RegistryError {
    RegistryError::invalid(ValidationError::new(field, label, message.into()))
}

/// A system's name: 2–64 Latin letters, digits, `-`, `_`, `.` (it names the system in logs and URLs).
fn check_name(name: &str) -> Result<()> {
    let fits = |c: char| c.is_ascii_alphanumeric() || "-_.".contains(c);
    if (2..=64).contains(&name.len()) && name.chars().all(fits) {
        Ok(())
    } else {
        Err(invalid("name", "Имя системы", "от 2 до 64 латинских букв, цифр и знаков «-», «_», «.»"))
    }
}

/// How people read a system's name (its user's display name).
fn display_name(name: &str) -> String {
    format!("Информационная система «{name}»")
}

/// The principal a system acts as.
fn system_principal(system: &SystemRecord) -> Principal {
    Principal {
        user_id: system.user_id,
        // A system is not a person: nobody signs in as it, the administrator who issued its key
        // vouched for it and the operator's agreement with the region stands for the consent.
        confirmed: true,
        consent: true,
        memberships: system.orgs.iter().map(|oid| Membership { org_oid: oid.clone(), chief: false }).collect(),
        member_regions: system.regions.clone(),
        ..Principal::default()
    }
}

impl Registry {
    /// Creates a system bound to `orgs` and `regions` and returns its key (shown once).
    pub async fn add_system(
        &self,
        caller: &Caller,
        name: &str,
        orgs: &[String],
        regions: &[String],
    ) -> Result<IssuedKey> {
        self.authorize(caller, Action::Administer, Target::None).await?;
        check_name(name)?;
        let mut oids = Vec::new();
        for oid in orgs {
            let oid = OrgOid::parse(oid.trim()).map_err(|e| invalid("org", "OID организации", e.message))?;
            match self.organization_region(&oid).await {
                Err(RegistryError::NotFound(_)) => {
                    return Err(invalid("org", "OID организации", format!("{oid} нет в реестре")));
                }
                other => other?,
            };
            oids.push(oid.as_str().to_owned());
        }
        let mut codes = Vec::new();
        for region in regions {
            let code = RegionCode::parse(region.trim()).map_err(|e| invalid("region", "Регион", e.message))?;
            codes.push(code.code());
        }
        if oids.is_empty() && codes.is_empty() {
            return Err(invalid("org", "Организации и регионы", "укажите хотя бы одну организацию или регион"));
        }
        let key = format!("{KEY_PREFIX}{}", random_token());
        let digest = token_hash(&key);
        let hint = &key[..KEY_PREFIX.len() + 4];
        let (_, created_by) = self.actor_label(caller.actor()).await;
        let entry = self.entry(caller, "system_add", name, json!({"orgs": oids, "regions": codes, "key": hint})).await;
        let display_name = display_name(name);
        let new = NewSystem {
            name,
            display_name: &display_name,
            key_digest: &digest,
            key_hint: hint,
            orgs: &oids,
            regions: &codes,
            created_by: &created_by,
        };
        if self.store.create_system(&new, self.now(), entry).await?.is_none() {
            return Err(RegistryError::Conflict(format!("Система «{name}» уже есть (имена систем не повторяются)")));
        }
        let account = self.store.system_by_name(name).await?.ok_or_else(|| RegistryError::NotFound(name.into()))?;
        Ok(IssuedKey { account, key })
    }

    /// Ends a system's key: its next call is refused.
    pub async fn revoke_system(&self, caller: &Caller, name: &str) -> Result<()> {
        self.authorize(caller, Action::Administer, Target::None).await?;
        let entry = self.entry(caller, "system_revoke", name, json!({})).await;
        if self.store.revoke_system(name, self.now(), entry).await? {
            Ok(())
        } else {
            Err(RegistryError::NotFound(format!("Действующей системы «{name}» нет")))
        }
    }

    /// Every system, revoked ones included.
    pub async fn systems(&self, caller: &Caller) -> Result<Vec<SystemAccount>> {
        self.authorize(caller, Action::Administer, Target::None).await?;
        Ok(self.store.systems().await?)
    }

    /// Journals one call of the integration API (`ips_call`) by `actor`, the system `system` when
    /// the key was good; many calls at once share one write (`journal::GroupCommit`), and each
    /// returns once its entry is written.
    pub async fn journal_call(
        &self,
        caller: &Caller,
        system: Option<&str>,
        target: &str,
        detail: serde_json::Value,
    ) -> Result<()> {
        let entry = match (caller.actor(), system) {
            // The system's name is known from its key: no lookup of the user's label.
            (Actor::User(principal), Some(name)) => frmo_store::audit::AuditEntry {
                at: self.now(),
                user_id: Some(principal.user_id),
                actor: format!("{} (system {name})", display_name(name)),
                kind: "ips_call".to_owned(),
                target: if target.is_empty() { "-".to_owned() } else { target.to_owned() },
                detail: detail.to_string(),
                request_id: if caller.request_id().is_empty() {
                    "-".to_owned()
                } else {
                    caller.request_id().to_owned()
                },
            },
            _ => self.entry(caller, "ips_call", target, detail).await,
        };
        self.calls.append(&self.store, entry).await
    }

    /// The actor a system key stands for; an unknown or revoked key is `NotSignedIn`.
    pub async fn system_actor(&self, key: &str) -> Result<(Actor, String)> {
        let key = key.trim();
        if !key.starts_with(KEY_PREFIX) {
            return Err(RegistryError::Forbidden(DenyCode::NotSignedIn));
        }
        match self.store.system_by_key(&token_hash(key)).await? {
            Some(system) => Ok((Actor::User(system_principal(&system)), system.name)),
            None => Err(RegistryError::Forbidden(DenyCode::NotSignedIn)),
        }
    }
}
