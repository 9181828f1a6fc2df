//! People of every kind, signed in to a `TestApp` with their consent given: the helpers test files
//! used to write each for themselves. Every call makes a new person.

use std::sync::atomic::Ordering;

use frmo_domain::access::{Actor, FederalRole};
use frmo_registry::Caller;
use frmo_registry::identity::{NewSession, NewUser, OrgRole, SignIn};

use crate::{Browser, TestApp};

/// The request id of the registry calls tests make themselves.
pub const TEST_REQUEST: &str = "test";

/// A signed-in person: the session's token and form token, and who they are to the registry (as a
/// caller of its use cases, in the request [`TEST_REQUEST`]).
pub struct SignedIn {
    pub token: String,
    pub csrf: String,
    pub user_id: i64,
    pub caller: Caller,
}

impl SignedIn {
    pub fn actor(&self) -> &Actor {
        self.caller.actor()
    }

    /// The `Cookie` header of their requests.
    pub fn cookie(&self) -> String {
        format!("frmo_session={}", self.token)
    }

    /// A browser holding their session.
    pub fn browser(&self, app: &TestApp) -> Browser {
        let mut browser = Browser::new(app);
        browser.cookies.insert("frmo_session".into(), self.token.clone());
        browser
    }
}

impl TestApp {
    /// A visitor who has not signed in.
    pub fn anonymous(&self) -> Browser {
        Browser::new(self)
    }

    /// An administrator (a local account).
    pub async fn as_admin(&self) -> SignedIn {
        self.staff("Администратор Реестра", Some(FederalRole::Admin), &[]).await
    }

    /// An auditor (a local account).
    pub async fn as_auditor(&self) -> SignedIn {
        self.staff("Аудитор Реестра", Some(FederalRole::Auditor), &[]).await
    }

    /// The operator of `region` (a local account).
    pub async fn as_operator(&self, region: u8) -> SignedIn {
        self.staff("Оператор Региона", None, &[region]).await
    }

    /// A confirmed ЕСИА person, member (not chief) of the organization with this OID.
    pub async fn as_member(&self, oid: &str) -> SignedIn {
        self.esia_staff_of(oid, false).await
    }

    /// A confirmed ЕСИА person, chief of the organization with this OID.
    pub async fn as_chief(&self, oid: &str) -> SignedIn {
        self.esia_staff_of(oid, true).await
    }

    fn next_person(&self) -> u32 {
        self.people.fetch_add(1, Ordering::Relaxed) + 1
    }

    async fn staff(&self, name: &str, role: Option<FederalRole>, regions: &[u8]) -> SignedIn {
        let login = format!("staff-{}", self.next_person());
        let account = frmo_registry::identity::local::NewLocalUser {
            login: &login,
            name,
            email: None,
            password: "пароль-сотрудника-01",
            role,
            regions,
        };
        let id = self.registry.add_local_user(&Actor::System, &account).await.expect("staff account");
        let new = self.registry.start_session(id, "local", "{}").await.expect("session");
        self.consented(new).await
    }

    async fn esia_staff_of(&self, oid: &str, chief: bool) -> SignedIn {
        let oid = frmo_domain::ident::OrgOid::parse(oid).expect("an organization's OID");
        let card = self.registry.card(&Actor::Anonymous, &oid, None).await.expect("the organization's card");
        let ogrn = card.organization.ogrn.expect("the organization has an ОГРН");
        let subject = format!("person-{}", self.next_person());
        let sign_in = SignIn {
            user: NewUser {
                provider: "esia".into(),
                subject: subject.clone(),
                display_name: format!("Сотрудник {subject}"),
                snils: None,
                email: None,
                confirmed: true,
            },
            organizations: Some(vec![OrgRole { ogrn: ogrn.to_string(), inn: None, name: String::new(), chief }]),
            method: "esia-pwd".into(),
            provider_data: "{}".into(),
        };
        let new = self.registry.sign_in(sign_in).await.expect("sign in");
        self.consented(new).await
    }

    /// The session after its person accepted the current consent.
    async fn consented(&self, new: NewSession) -> SignedIn {
        let session = self.registry.session(&new.token).await.expect("lookup").expect("session");
        self.registry.decide_consent(&session, true).await.expect("consent");
        let session = self.registry.session(&new.token).await.expect("lookup").expect("session");
        let caller = Caller::new(session.actor(), TEST_REQUEST);
        SignedIn { token: new.token, csrf: new.csrf, user_id: new.user_id, caller }
    }
}
