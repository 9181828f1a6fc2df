//! Who is signed in: users from ЕСИА, OpenID Connect or local accounts, their sessions (in the
//! database, so several processes share them), consents, memberships and the access check that
//! journals every refusal.

pub mod cabinet;
pub mod caller;
pub mod local;
pub mod route;
pub mod totp;
mod views;

use frmo_domain::access::{Action, Actor, Decision, DenyCode, FederalRole, Principal, Target, decide};
use frmo_domain::ident::OrgOid;
use frmo_store::Identifier;
use frmo_store::identity::SessionRecord;
use sha2::{Digest, Sha256};
use views::principal;
pub use views::{Consent, Denial, NewUser, Session, SessionTerms, SessionUser};

use crate::Caller;
use crate::{Registry, RegistryError, Result};

/// The consent to personal-data processing, every version ever shown (the last is current).
pub const CONSENTS: &[(i64, &str)] = &[(
    1,
    "Я даю согласие Министерству здравоохранения Российской Федерации и операторам реестра моего \
     региона на обработку моих персональных данных (фамилия, имя, отчество, СНИЛС, контакты, сведения \
     о работе в медицинской организации), полученных из ЕСИА или указанных мной, в целях ведения \
     Федерального реестра медицинских организаций, на срок моей работы с реестром. Согласие можно \
     отозвать в профиле; после отзыва кабинет доступен только для просмотра.",
)];

pub fn current_consent() -> (i64, &'static str) {
    CONSENTS.last().copied().unwrap_or((0, ""))
}

/// Session lifetimes.
#[derive(Debug, Clone, Copy)]
pub struct SessionPolicy {
    /// A session unused this long ends.
    pub idle_seconds: i64,
    /// A session ends this long after sign-in, however busy.
    pub absolute_seconds: i64,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        SessionPolicy { idle_seconds: 30 * 60, absolute_seconds: 12 * 3600 }
    }
}

/// How a person signed in, as shown in their profile.
pub fn method_label(method: &str) -> &'static str {
    match method {
        "esia-pwd" => "Госуслуги (ЕСИА), логин и пароль",
        "esia-ds" => "Госуслуги (ЕСИА), электронная подпись",
        "oidc" => "OpenID Connect",
        "local" => "учётная запись реестра",
        "local-totp" => "учётная запись реестра и одноразовый код",
        _ => "неизвестно",
    }
}

/// A sign-in vouched for by an identity provider.
#[derive(Debug, Clone)]
pub struct SignIn {
    pub user: NewUser,
    /// Organizations by ОГРН from the provider (ЕСИА roles), with whether the person is their chief.
    /// `None` when the provider says nothing about organizations (memberships stay as they are).
    pub organizations: Option<Vec<OrgRole>>,
    pub method: String,
    /// What the provider needs at sign-out (ЕСИА tokens, the OIDC id_token), as JSON.
    pub provider_data: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgRole {
    pub ogrn: String,
    pub inn: Option<String>,
    pub name: String,
    pub chief: bool,
}

/// A new session: the token for the cookie (only its hash is stored) and the form token.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub token: String,
    pub csrf: String,
    pub user_id: i64,
}

/// 32 random bytes, base64url: session ids, form tokens, reset links.
/// The person `user_id` as the author of a journal entry (before or without a session).
pub(crate) fn acting_user(user_id: i64) -> Actor {
    Actor::User(Principal { user_id, ..Principal::default() })
}

pub fn random_token() -> String {
    use base64::Engine;
    let mut bytes = [0u8; 32];
    fill_random(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

pub(crate) fn fill_random(bytes: &mut [u8]) {
    // The OS generator failing is not recoverable: no token may be made without it.
    if let Err(error) = getrandom::fill(bytes) {
        panic!("operating system random generator failed: {error}");
    }
}

/// What is stored instead of a token.
pub fn token_hash(token: &str) -> String {
    frmo_domain::hex::lower(&Sha256::digest(token.as_bytes()))
}

impl Registry {
    /// Now, in Unix seconds, on the registry's clock (tests move it forward).
    pub fn now(&self) -> i64 {
        time::OffsetDateTime::now_utc().unix_timestamp() + self.clock_offset.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Moves the registry's clock forward (tests of time-outs and expiry).
    pub fn advance_clock(&self, seconds: i64) {
        self.clock_offset.fetch_add(seconds, std::sync::atomic::Ordering::Relaxed);
    }

    pub fn session_policy(&self) -> SessionPolicy {
        self.session_policy
    }

    /// Remembers a sign-in started at an identity provider by its `state` (any process may receive
    /// the return); abandoned ones are forgotten after an hour.
    pub async fn save_login_flow(&self, flow_state: &str, provider: &str, data: &str) -> Result<()> {
        Ok(self.store.save_login_flow(flow_state, provider, data, self.now()).await?)
    }

    /// Takes (once) the sign-in `provider` returned to: its data, when it was started at that
    /// provider within the hour.
    pub async fn take_login_flow(&self, flow_state: &str, provider: &str) -> Result<Option<String>> {
        let flow = self.store.take_login_flow(flow_state).await?;
        Ok(flow.and_then(|(kind, data, started)| (kind == provider && self.now() - started < 3600).then_some(data)))
    }

    /// Registers a sign-in: the person's data, their organizations from the provider matched to
    /// registry cards by ОГРН (and ИНН), and a new session.
    pub async fn sign_in(&self, sign_in: SignIn) -> Result<NewSession> {
        let now = self.now();
        let user_id = self.store.upsert_user(&sign_in.user.into(), now).await?;
        if let Some(organizations) = &sign_in.organizations {
            let mut matched = Vec::new();
            for role in organizations {
                for oid in self.organizations_by_ogrn(&role.ogrn, role.inn.as_deref()).await? {
                    let kind = if role.chief { "chief" } else { "member" };
                    matched.push((oid, kind.to_owned()));
                }
            }
            self.store.replace_memberships(user_id, "esia", &matched, now).await?;
        }
        self.start_session(user_id, &sign_in.method, &sign_in.provider_data).await
    }

    /// Current registry organizations with this ОГРН (and ИНН, when given).
    pub async fn organizations_by_ogrn(&self, ogrn: &str, inn: Option<&str>) -> Result<Vec<String>> {
        let ids = self.store.versions_with(Identifier::Ogrn, ogrn).await?;
        let mut oids: Vec<String> = Vec::new();
        for item in self.store.list_items(&ids).await? {
            if inn.is_some_and(|inn| inn != item.inn) || oids.contains(&item.oid) {
                continue;
            }
            // Only organizations whose current card still carries this ОГРН.
            if let Some(card) = self.store.card(&item.oid, None).await?
                && card.version_id == item.version_id
            {
                oids.push(item.oid);
            }
        }
        Ok(oids)
    }

    /// Opens a session for a person who has just proved who they are. Always a new id.
    pub async fn start_session(&self, user_id: i64, method: &str, provider_data: &str) -> Result<NewSession> {
        let now = self.now();
        let token = random_token();
        let csrf = random_token();
        let record = SessionRecord {
            user_id,
            method: method.to_owned(),
            csrf: csrf.clone(),
            created_at: now,
            last_seen_at: now,
            expires_at: now + self.session_policy.absolute_seconds,
            provider_data: provider_data.to_owned(),
        };
        self.store.create_session(&token_hash(&token), &record).await?;
        self.store.record_login_success(user_id, now).await?;
        for (oid, role) in self.store.claim_invitations(user_id, crate::identity::cabinet::GRANTED, now).await? {
            let detail = serde_json::json!({"claim": role, "userId": user_id});
            self.journal(&Caller::new(acting_user(user_id), "-"), "membership", &oid, detail).await?;
        }
        self.journal(
            &Caller::new(acting_user(user_id), "-"),
            "sign_in",
            &format!("user:{user_id}"),
            serde_json::json!({"method": method}),
        )
        .await?;
        Ok(NewSession { token, csrf, user_id })
    }

    /// The person `user_id` as they act now (memberships, roles, consent), for work done on their
    /// behalf without a session: a background job they started.
    pub(crate) async fn actor_of_user(&self, user_id: i64) -> Result<Actor> {
        let user = self.store.user(user_id).await?.ok_or_else(|| RegistryError::NotFound(format!("user {user_id}")))?;
        let consent = self.store.consents(user_id).await?.into_iter().next();
        Ok(Actor::User(principal(&user, consent.as_ref())))
    }

    /// The live session of a cookie token, if any. An expired one (idle or absolute) is removed.
    pub async fn session(&self, token: &str) -> Result<Option<Session>> {
        let hash = token_hash(token);
        let Some((record, user, consent)) = self.store.session_with_user(&hash).await? else { return Ok(None) };
        let now = self.now();
        if now >= record.expires_at || now - record.last_seen_at >= self.session_policy.idle_seconds {
            self.store.delete_session(&hash).await?;
            return Ok(None);
        }
        // Written at most once a minute: a busy session does not turn every read into a write.
        if now - record.last_seen_at >= 60 {
            self.store.touch_session(&hash, now).await?;
        }
        Ok(Some(Session::new(hash, record, user, consent.as_ref())))
    }

    pub async fn sign_out(&self, session: &Session) -> Result<()> {
        self.store.delete_session(&session.token_hash).await?;
        let detail = serde_json::json!({"everywhere": false});
        self.journal(&Caller::new(session.actor(), "-"), "sign_out", &format!("user:{}", session.user.id), detail).await
    }

    /// Ends every session of the person, on every device; returns how many ended.
    pub async fn sign_out_everywhere(&self, session: &Session) -> Result<usize> {
        let ended = self.store.delete_user_sessions(session.user.id).await?;
        let detail = serde_json::json!({"everywhere": true, "sessionsEnded": ended});
        self.journal(&Caller::new(session.actor(), "-"), "sign_out", &format!("user:{}", session.user.id), detail)
            .await?;
        Ok(ended)
    }

    /// Accepts (or withdraws) the current consent.
    pub async fn decide_consent(&self, session: &Session, accepted: bool) -> Result<()> {
        let version = current_consent().0;
        self.store.record_consent(session.user.id, version, accepted, self.now()).await?;
        let detail = serde_json::json!({"version": version, "accepted": accepted});
        self.journal(&Caller::new(session.actor(), "-"), "consent", &format!("user:{}", session.user.id), detail).await
    }

    pub async fn consent_history(&self, session: &Session) -> Result<Vec<Consent>> {
        Ok(self.store.consents(session.user.id).await?.into_iter().map(Consent::from).collect())
    }

    /// Checks access; a refusal is journaled with the request id and returned as `Forbidden`.
    pub async fn authorize(&self, caller: &Caller, action: Action, target: Target<'_>) -> Result<()> {
        match decide(caller.actor(), action, target) {
            Decision::Allow => Ok(()),
            Decision::Deny(code) => Err(self.refuse(caller, action, target, code).await),
        }
    }

    /// Journals a refusal and returns its error (for refusals `decide` cannot see, such as a
    /// request that is someone else's).
    pub async fn refuse(&self, caller: &Caller, action: Action, target: Target<'_>, code: DenyCode) -> RegistryError {
        let detail = serde_json::json!({"action": action.as_str(), "code": code.as_str()});
        if let Err(error) = self.journal(caller, "denial", &target.describe(), detail).await {
            tracing::error!(%error, "could not journal an access denial");
        }
        RegistryError::Forbidden(code)
    }

    /// The region of an organization's current card (its `regionId`), from the version's column
    /// rather than the card: every route on an organization asks it first.
    pub async fn organization_region(&self, oid: &OrgOid) -> Result<u8> {
        Ok(self.organization_head(oid).await?.region)
    }

    /// The region of an organization's current card and the id of that version, read from the
    /// primary by the version's columns rather than the card.
    pub(crate) async fn organization_head(&self, oid: &OrgOid) -> Result<frmo_store::Head> {
        if let Some(head) = self.store.current_head(oid.as_str()).await? {
            return Ok(head);
        }
        // Not found by the columns: the card read answers as every use case does (not found, or a
        // card written in between).
        #[derive(serde::Deserialize)]
        struct Region {
            #[serde(rename = "regionId")]
            region_id: frmo_domain::ident::RegionCode,
        }
        let row = self.card_json(&Actor::System, oid, None).await?;
        let card: Region = serde_json::from_str(&row.card).map_err(frmo_store::StoreError::from)?;
        Ok(frmo_store::Head { version_id: row.version_id, region: card.region_id.code() })
    }

    /// The target of an organization (its region looked up), authorized for `action`; a refusal is
    /// journaled. Use cases call it before they read or write anything of the organization. A
    /// caller carrying the registry's decision for exactly this organization and action (the route
    /// layer's) is not asked again, and the region it read is used.
    pub async fn organization_target<'a>(
        &self,
        caller: &Caller,
        oid: &'a OrgOid,
        action: Action,
    ) -> Result<Target<'a>> {
        // Decided already for this request (by the route layer): the region is not read twice.
        if let Some(region) = caller.authorized_region(oid.as_str(), action) {
            return Ok(Target::Organization { oid: oid.as_str(), region });
        }
        let region = self.organization_region(oid).await?;
        let target = Target::Organization { oid: oid.as_str(), region };
        self.authorize(caller, action, target).await?;
        Ok(target)
    }

    /// Whether `actor` may do `action` to the organization, without journaling: for pages that
    /// show or hide a form (the use case itself still authorizes).
    pub async fn may(&self, actor: &Actor, oid: &OrgOid, action: Action) -> Result<bool> {
        let region = self.organization_region(oid).await?;
        Ok(decide(actor, action, Target::Organization { oid: oid.as_str(), region }).is_allowed())
    }

    /// Whether `actor` may do `action` where no organization is involved (publish, handle support,
    /// edit help articles), without journaling: for pages that show or hide a form.
    pub fn may_at_all(&self, actor: &Actor, action: Action) -> bool {
        decide(actor, action, Target::None).is_allowed()
    }

    pub async fn denials(&self, caller: &Caller, limit: i64) -> Result<Vec<Denial>> {
        self.authorize(caller, Action::ReadAudit, Target::None).await?;
        Ok(self.store.denials(limit).await?.into_iter().map(Denial::from).collect())
    }

    /// Gives a person a federal role and operator regions (command line and administrators).
    pub async fn set_staff_roles(
        &self,
        actor: &Actor,
        user_id: i64,
        role: Option<FederalRole>,
        regions: &[u8],
    ) -> Result<()> {
        self.authorize(&Caller::new(actor.clone(), "-"), Action::Administer, Target::None).await?;
        Ok(self.store.set_staff_roles(user_id, role.map(FederalRole::as_str), regions).await?)
    }
}
