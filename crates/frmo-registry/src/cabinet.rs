//! What a signed-in person does in the cabinet: their organizations, an organization's page and its
//! members, and the contact details members edit directly (the rest of the card goes through
//! moderation).

use frmo_domain::access::{Action, Actor, Decision, DenyCode, Target, decide};
use frmo_domain::error::ValidationError;
use frmo_domain::org::Contacts;
use time::OffsetDateTime;

use crate::identity::Session;
use crate::{Card, Registry, RegistryError, Result};

/// A line of «Мои организации».
#[derive(Debug, Clone)]
pub struct MyOrganization {
    pub oid: String,
    pub name: String,
    pub role: &'static str,
    pub can_edit: bool,
}

/// An organization page of the cabinet.
pub struct OrganizationPage {
    pub card: Card,
    /// Why this person may not edit, if they may not.
    pub edit_denied: Option<DenyCode>,
    pub members: Vec<(String, String)>,
}

fn role_label(role: &str) -> &'static str {
    match role {
        "chief" => "руководитель",
        _ => "сотрудник",
    }
}

impl Registry {
    pub async fn my_organizations(&self, session: &Session) -> Result<Vec<MyOrganization>> {
        let actor = session.actor();
        let mut list = Vec::new();
        for membership in &session.user.memberships {
            let Ok(card) = self.card(&Actor::System, &membership.org_oid, None).await else { continue };
            let target = Target::Organization { oid: &membership.org_oid, region: card.organization.region_id.code() };
            list.push(MyOrganization {
                oid: membership.org_oid.clone(),
                name: card.organization.name_short,
                role: role_label(&membership.role),
                can_edit: decide(&actor, Action::EditOrganization, target).is_allowed(),
            });
        }
        Ok(list)
    }

    /// An organization's cabinet page, for those who may read it.
    pub async fn organization_page(&self, actor: &Actor, oid: &str, request_id: &str) -> Result<OrganizationPage> {
        let card = self.card(&Actor::System, oid, None).await?;
        let target = Target::Organization { oid, region: card.organization.region_id.code() };
        self.authorize(actor, Action::ReadOrganization, target, request_id).await?;
        let edit_denied = match decide(actor, Action::EditOrganization, target) {
            Decision::Allow => None,
            Decision::Deny(code) => Some(code),
        };
        let members = self
            .store
            .members_of(oid)
            .await?
            .into_iter()
            .map(|(name, role, _)| (name, role_label(&role).to_owned()))
            .collect();
        Ok(OrganizationPage { card, edit_denied, members })
    }

    /// Changes an organization's contacts (phone, e-mail, site) directly, as a new version. The
    /// caller names the version it edited; a change made meanwhile is a conflict.
    pub async fn edit_contacts(
        &self,
        actor: &Actor,
        oid: &str,
        contacts: Contacts,
        edited_version: i64,
        request_id: &str,
    ) -> Result<i64> {
        let card = self.card(&Actor::System, oid, None).await?;
        let target = Target::Organization { oid, region: card.organization.region_id.code() };
        self.authorize(actor, Action::EditOrganization, target, request_id).await?;
        let contacts = validate_contacts(contacts)?;
        let mut organization = card.organization;
        organization.contacts = contacts;
        let now = OffsetDateTime::now_utc();
        organization.modify_date = now.date();
        self.change_card(&Actor::System, &organization, edited_version, now).await
    }
}

fn validate_contacts(contacts: Contacts) -> Result<Contacts> {
    let clean = |v: Option<String>| v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
    let (phone, email, site) = (clean(contacts.phone), clean(contacts.email), clean(contacts.site));
    let mut errors = Vec::new();
    if let Some(phone) = &phone {
        let digits = phone.chars().filter(char::is_ascii_digit).count();
        if !(10..=15).contains(&digits) || phone.chars().any(|c| !(c.is_ascii_digit() || " +()-".contains(c))) {
            errors.push(ValidationError::new("phone", "Телефон", "от 10 до 15 цифр, допустимы + ( ) - и пробелы"));
        }
    }
    if let Some(email) = &email {
        let ok = email
            .split_once('@')
            .is_some_and(|(user, host)| !user.is_empty() && host.contains('.') && !host.starts_with('.'))
            && !email.contains(char::is_whitespace);
        if !ok {
            errors.push(ValidationError::new("email", "Электронная почта", "ожидается адрес вида name@example.ru"));
        }
    }
    if let Some(site) = &site
        && !(site.starts_with("https://") || site.starts_with("http://"))
    {
        errors.push(ValidationError::new("site", "Сайт", "адрес должен начинаться с https:// или http://"));
    }
    if errors.is_empty() { Ok(Contacts { phone, email, site }) } else { Err(RegistryError::Invalid(errors)) }
}
