//! What a signed-in person does in the cabinet: their organizations, an organization's page and its
//! members, and the contact details members edit directly (the rest of the card goes through
//! moderation).

use frmo_domain::access::{Action, Actor, Decision, DenyCode, Target, acts_for_registry, decide};
use frmo_domain::error::ValidationError;
use frmo_domain::ident::OrgOid;
use frmo_domain::org::Contacts;

use frmo_store::outbox::NotificationRecord;

use crate::Caller;
use crate::identity::Session;
use crate::{Card, Registry, RegistryError, Result};

/// A notification in the cabinet, as its page lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    /// When it was made, Unix seconds.
    pub at: i64,
    pub title: String,
    pub body: String,
    /// Where it leads in the cabinet.
    pub link: String,
    pub read: bool,
}

impl From<NotificationRecord> for Notification {
    fn from(record: NotificationRecord) -> Self {
        let NotificationRecord { id: _, at, title, body, link, read } = record;
        Notification { at, title, body, link, read }
    }
}

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
    /// Shared with the registry's parsed cards: a page only reads it.
    pub card: std::sync::Arc<Card>,
    /// Why this person may not edit, if they may not.
    pub edit_denied: Option<DenyCode>,
    pub members: Vec<Member>,
    /// Whether this person may grant and revoke memberships here.
    pub may_manage_members: bool,
    /// Invitations waiting for their person to sign in (for those who manage members).
    pub invitations: Vec<Invitation>,
}

/// An invitation to the cabinet, as the page lists it.
#[derive(Debug, Clone)]
pub struct Invitation {
    pub id: i64,
    /// The name as it was given: «логин petrov», «почта a@b.ru», «СНИЛС 112-233-445 95».
    pub who: String,
    pub role: &'static str,
}

/// The stored form of the name a person is invited by: a СНИЛС (by its digits), an e-mail address
/// (lower case) or a local login.
fn invitation_key(who: &str) -> std::result::Result<String, ValidationError> {
    let who = who.trim();
    if who.is_empty() || who.chars().count() > 254 || who.chars().any(char::is_control) {
        return Err(ValidationError::new("who", "Пользователь", "укажите логин, электронную почту или СНИЛС"));
    }
    if let Ok(snils) = frmo_domain::ident::Snils::parse(who) {
        return Ok(format!("snils:{}", snils.as_str()));
    }
    if who.chars().any(|c| c.is_ascii_digit()) && who.chars().all(|c| c.is_ascii_digit() || " -".contains(c)) {
        return Err(ValidationError::new(
            "who",
            "Пользователь",
            "СНИЛС: неверный номер (11 цифр с контрольным числом)",
        ));
    }
    Ok(if who.contains('@') { format!("email:{}", who.to_lowercase()) } else { format!("login:{who}") })
}

/// How an invitation's stored name reads on the page.
fn invitation_label(key: &str) -> String {
    match key.split_once(':') {
        Some(("snils", digits)) => frmo_domain::ident::Snils::parse(digits)
            .map_or_else(|_| format!("СНИЛС {digits}"), |s| format!("СНИЛС {}", s.formatted())),
        Some(("email", address)) => format!("почта {address}"),
        Some((_, login)) => format!("логин {login}"),
        None => key.to_owned(),
    }
}

/// A person with access to an organization's cabinet.
#[derive(Debug, Clone)]
pub struct Member {
    pub user_id: i64,
    pub name: String,
    pub role: &'static str,
    /// Who vouched: «ЕСИА» or «оператор/руководитель».
    pub source: &'static str,
    /// Granted in the registry (ЕСИА roles are changed in ЕСИА, and come back at the next sign-in).
    pub revocable: bool,
}

/// The role a membership grants.
const ROLES: &[&str] = &["member", "chief"];
/// The source of memberships granted in the registry (by an operator or the organization's chief).
pub const GRANTED: &str = "granted";

fn role_label(role: &str) -> &'static str {
    match role {
        "chief" => "руководитель",
        _ => "сотрудник",
    }
}

/// A member as the cabinet page lists them.
fn member(m: frmo_store::identity::MemberRecord) -> Member {
    Member {
        user_id: m.user_id,
        name: m.display_name,
        role: role_label(&m.role),
        source: if m.source == GRANTED { "оператор или руководитель" } else { "ЕСИА" },
        revocable: m.source == GRANTED,
    }
}

impl Registry {
    /// The person's notifications, newest first (at most `limit`).
    pub async fn notifications(&self, user_id: i64, limit: i64) -> Result<Vec<Notification>> {
        Ok(self.store.notifications(user_id, limit).await?.into_iter().map(Notification::from).collect())
    }

    /// How many of the person's notifications are unread.
    pub async fn unread_notifications(&self, user_id: i64) -> Result<i64> {
        Ok(self.store.unread_notifications(user_id).await?)
    }

    /// Marks all the person's notifications read.
    pub async fn read_notifications(&self, user_id: i64) -> Result<()> {
        Ok(self.store.read_notifications(user_id, self.now()).await?)
    }

    pub async fn my_organizations(&self, session: &Session) -> Result<Vec<MyOrganization>> {
        let person = session.principal();
        let actor = Actor::User(person.clone());
        let mut list = Vec::new();
        for membership in &person.memberships {
            let Ok(oid) = OrgOid::parse(&membership.org_oid) else { continue };
            let Ok(card) = self.card(&Actor::System, &oid, None).await else { continue };
            let target = Target::Organization { oid: &membership.org_oid, region: card.organization.region_id.code() };
            list.push(MyOrganization {
                oid: membership.org_oid.clone(),
                name: card.organization.name_short,
                role: role_label(if membership.chief { "chief" } else { "member" }),
                can_edit: decide(&actor, Action::EditOrganization, target).is_allowed(),
            });
        }
        Ok(list)
    }

    /// An organization's cabinet page, for those who may read it.
    pub async fn organization_page(&self, caller: &Caller, oid: &OrgOid) -> Result<OrganizationPage> {
        let read = Action::ReadOrganization;
        let (card, region) = match caller.authorized_region(oid.as_str(), read) {
            // Allowed already in this request (by the route layer), which read the region and the
            // current version: the card is that version's, kept parsed when it can be.
            Some(region) => (self.decided_card(caller, oid, read).await?, region),
            None => {
                let card = std::sync::Arc::new(self.card(&Actor::System, oid, None).await?);
                let region = card.organization.region_id.code();
                self.authorize(caller, read, Target::Organization { oid: oid.as_str(), region }).await?;
                (card, region)
            }
        };
        let target = Target::Organization { oid: oid.as_str(), region };
        let edit_denied = match decide(caller.actor(), Action::EditOrganization, target) {
            Decision::Allow => None,
            Decision::Deny(code) => Some(code),
        };
        let may_manage_members = decide(caller.actor(), Action::ManageMembers, target).is_allowed();
        // The invitations only for who may manage them; with the members in one statement then.
        let (members, invitations) = if may_manage_members {
            self.store.members_and_invitations(oid.as_str()).await?
        } else {
            (self.store.members_of(oid.as_str()).await?, Vec::new())
        };
        let invitations = invitations
            .into_iter()
            .map(|i| Invitation { id: i.id, who: invitation_label(&i.who), role: role_label(&i.role) })
            .collect();
        let members = members.into_iter().map(member).collect();
        Ok(OrganizationPage { card, edit_denied, members, may_manage_members, invitations })
    }

    /// Invites a person to an organization's cabinet. `who` is a local login, an e-mail address or
    /// a СНИЛС; `role` is `member` or `chief`. A chief invites members; chiefs are named by the
    /// region's operator (or come from ЕСИА). The membership is made when a person bearing that
    /// name signs in ([`Registry::start_session`]). Nobody's account is looked up here: the answer is
    /// the same whether the name belongs to somebody or not, so the form confirms nothing about
    /// other people (issue #17).
    pub async fn grant_member(&self, caller: &Caller, oid: &OrgOid, who: &str, role: &str) -> Result<()> {
        let target = self.organization_target(caller, oid, Action::ManageMembers).await?;
        let mut errors = Vec::new();
        if !ROLES.contains(&role) {
            errors.push(ValidationError::new("role", "Роль", "выберите «сотрудник» или «руководитель»"));
        } else if role == "chief" && !acts_for_registry(caller.actor(), target) {
            errors.push(ValidationError::new(
                "role",
                "Роль",
                "руководителя назначает оператор региона (или роль приходит из ЕСИА)",
            ));
        }
        let key = invitation_key(who).map_err(|e| errors.push(e)).ok();
        let Some(key) = key.filter(|_| errors.is_empty()) else { return Err(RegistryError::Invalid(errors)) };
        let by = match caller.actor() {
            Actor::User(person) => Some(person.user_id),
            _ => None,
        };
        self.store.invite_member(oid.as_str(), &key, role, by, self.now()).await?;
        let detail = serde_json::json!({"invite": role, "who": key});
        self.journal(caller, "membership", oid.as_str(), detail).await
    }

    /// Withdraws an invitation that has not been used yet.
    pub async fn withdraw_invitation(&self, caller: &Caller, oid: &OrgOid, id: i64) -> Result<()> {
        self.organization_target(caller, oid, Action::ManageMembers).await?;
        let withdrawn = self.store.withdraw_invitation(id, oid.as_str()).await?;
        let invitation = withdrawn.ok_or_else(|| RegistryError::NotFound(format!("Приглашения {id} нет.")))?;
        let detail = serde_json::json!({"withdraw": invitation.role, "who": invitation.who});
        self.journal(caller, "membership", oid.as_str(), detail).await
    }

    /// Takes away a membership granted in the registry.
    pub async fn revoke_member(&self, caller: &Caller, oid: &OrgOid, user_id: i64) -> Result<()> {
        self.organization_target(caller, oid, Action::ManageMembers).await?;
        if let Actor::User(person) = caller.actor()
            && person.user_id == user_id
        {
            return Err(RegistryError::Conflict("Свой доступ к организации снять нельзя: попросите оператора.".into()));
        }
        match self.store.membership(user_id, oid.as_str()).await? {
            None => Err(RegistryError::NotFound(format!("У пользователя {user_id} нет доступа к организации {oid}."))),
            Some(m) if m.source != GRANTED => Err(RegistryError::Conflict(
                "Роль этого человека в организации подтверждена ЕСИА; она снимается в ЕСИА.".into(),
            )),
            Some(m) => {
                self.store.revoke_membership(user_id, oid.as_str()).await?;
                let detail = serde_json::json!({"revoke": m.role, "userId": user_id});
                self.journal(caller, "membership", oid.as_str(), detail).await
            }
        }
    }

    /// Proposes new contacts (phone, e-mail, site) for an organization: [`Registry::edit_card`]
    /// with only the contacts.
    pub async fn edit_contacts(
        &self,
        caller: &Caller,
        oid: &OrgOid,
        contacts: Contacts,
        edited_version: i64,
        reason: &str,
    ) -> Result<crate::moderation::requests::Proposal> {
        let edit = CardEdit { contacts: Some(contacts), ..CardEdit::default() };
        self.edit_card(caller, oid, edit, edited_version, reason).await
    }

    /// Proposes the edited fields of an organization's card, made from `edited_version`, with the
    /// reason; moderated or direct as the policy says.
    pub async fn edit_card(
        &self,
        caller: &Caller,
        oid: &OrgOid,
        edit: CardEdit,
        edited_version: i64,
        reason: &str,
    ) -> Result<crate::moderation::requests::Proposal> {
        let card = self.card(&Actor::System, oid, None).await?;
        let target = Target::Organization { oid: oid.as_str(), region: card.organization.region_id.code() };
        self.authorize(caller, Action::EditOrganization, target).await?;
        let proposed = edit.apply(card.organization.clone())?;
        self.propose_from(caller, card, proposed, edited_version, reason, true).await
    }
}

/// The fields of a card the cabinet's form edits; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct CardEdit {
    pub name_full: Option<String>,
    pub name_short: Option<String>,
    pub head_full_name: Option<String>,
    pub legal_address: Option<String>,
    pub actual_address: Option<String>,
    pub contacts: Option<Contacts>,
}

impl CardEdit {
    /// The card with these edits, or every problem with them.
    pub(crate) fn apply(self, mut card: frmo_domain::org::Organization) -> Result<frmo_domain::org::Organization> {
        let mut errors = Vec::new();
        let clean = |v: String| Some(v.trim().to_owned()).filter(|v| !v.is_empty());
        if let Some(name) = self.name_full {
            card.name_full = name.trim().to_owned();
        }
        if let Some(name) = self.name_short {
            card.name_short = name.trim().to_owned();
        }
        if let Some(head) = self.head_full_name {
            card.head_full_name = clean(head);
        }
        if let Some(address) = self.legal_address {
            match clean(address) {
                Some(text) if text != card.legal_address.text => {
                    card.legal_address = frmo_domain::org::Address { text, ..Default::default() };
                }
                Some(_) => {}
                None => errors.push(ValidationError::new("legalAddress", "Юридический адрес", "не заполнен")),
            }
        }
        if let Some(address) = self.actual_address {
            let current = card.actual_address.as_ref().map(|a| a.text.as_str());
            match clean(address) {
                None => card.actual_address = None,
                Some(text) if Some(text.as_str()) != current => {
                    card.actual_address = Some(frmo_domain::org::Address { text, ..Default::default() });
                }
                Some(_) => {}
            }
        }
        if let Some(contacts) = self.contacts {
            match validate_contacts(contacts) {
                Ok(contacts) => card.contacts = contacts,
                Err(RegistryError::Invalid(more)) => errors.extend(more),
                Err(other) => return Err(other),
            }
        }
        if errors.is_empty() { Ok(card) } else { Err(RegistryError::Invalid(errors)) }
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
