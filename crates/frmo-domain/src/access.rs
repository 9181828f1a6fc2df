//! Who may do what: the pure access decision. The registry calls `decide` before every use case;
//! nothing else decides access. A denial carries a stable code, the reason in words a user
//! understands, and what to do about it.

/// Who is acting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// A visitor of the public register or an API client without credentials.
    Anonymous,
    /// The command line and background jobs of the deployment itself.
    System,
    /// A person signed in to the cabinet.
    User(Principal),
}

/// What access decisions need to know about a signed-in person.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Principal {
    pub user_id: i64,
    /// A confirmed ЕСИА account (or one an operator vouched for): required to change anything.
    pub confirmed: bool,
    /// Accepted the current version of the consent to personal-data processing.
    pub consent: bool,
    pub memberships: Vec<Membership>,
    /// Regions this person moderates as a regional operator.
    pub operator_regions: Vec<u8>,
    /// Regions for whose every organization this principal acts as a member (not a chief): an
    /// information system bound to regions (`frmo systems add --region`).
    pub member_regions: Vec<u8>,
    pub federal_role: Option<FederalRole>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    pub org_oid: String,
    pub chief: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FederalRole {
    /// Federal administrator: everything.
    Admin,
    /// Reads everything, journals included; changes nothing.
    Auditor,
}

impl FederalRole {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "admin" => Some(FederalRole::Admin),
            "auditor" => Some(FederalRole::Auditor),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            FederalRole::Admin => "admin",
            FederalRole::Auditor => "auditor",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Search the open register and read organization cards.
    ReadPublicRegister,
    /// Enter the personal cabinet: one's profile, organizations and consent.
    UseCabinet,
    /// See an organization's non-public data (its cabinet page, requests, staff).
    ReadOrganization,
    /// Change an organization's record or structure.
    EditOrganization,
    /// See the personal data of an organization's workers (СНИЛС, birth date, contacts, document)
    /// unmasked; every such view is journaled.
    ReadPersonalData,
    /// Add or remove an organization's members.
    ManageMembers,
    /// Read the journals: denials, sign-ins, changes.
    ReadAudit,
    /// Run the report catalogue over the part of the register one sees: one's organizations, one's
    /// regions as an operator, everything as an administrator or auditor.
    ReadReports,
    /// Decide on an organization's change requests and applications (the region's operator).
    Moderate,
    /// Apply for the inclusion of a new organization.
    Apply,
    /// Manage users, roles and settings.
    Administer,
    /// Create organizations or change records without a person behind it (seeding, imports).
    WriteRegister,
    /// Ask support and follow one's own support requests (any signed-in person: those who cannot
    /// do anything else need it most).
    AskSupport,
    /// Answer support requests: the region's operators in their regional queue, administrators in
    /// every queue.
    HandleSupport,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::ReadPublicRegister => "read_public_register",
            Action::UseCabinet => "use_cabinet",
            Action::ReadOrganization => "read_organization",
            Action::EditOrganization => "edit_organization",
            Action::ReadPersonalData => "read_personal_data",
            Action::ManageMembers => "manage_members",
            Action::ReadAudit => "read_audit",
            Action::ReadReports => "read_reports",
            Action::Moderate => "moderate",
            Action::Apply => "apply",
            Action::Administer => "administer",
            Action::WriteRegister => "write_register",
            Action::AskSupport => "ask_support",
            Action::HandleSupport => "handle_support",
        }
    }
}

/// What an action is applied to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target<'a> {
    None,
    Organization { oid: &'a str, region: u8 },
}

impl Target<'_> {
    pub fn describe(&self) -> String {
        match self {
            Target::None => String::new(),
            Target::Organization { oid, .. } => (*oid).to_owned(),
        }
    }
}

/// Why access is refused. The codes are stable: support, logs and help articles use them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DenyCode {
    NotSignedIn,
    NotAMember,
    NotChief,
    AccountNotConfirmed,
    ConsentMissing,
    OutsideRegion,
    ReadOnlyRole,
    RoleRequired,
    OperatorRequired,
    NotTheAuthor,
}

impl DenyCode {
    pub fn as_str(self) -> &'static str {
        match self {
            DenyCode::NotSignedIn => "NOT_SIGNED_IN",
            DenyCode::NotAMember => "NOT_A_MEMBER",
            DenyCode::NotChief => "NOT_CHIEF",
            DenyCode::AccountNotConfirmed => "ACCOUNT_NOT_CONFIRMED",
            DenyCode::ConsentMissing => "CONSENT_MISSING",
            DenyCode::OutsideRegion => "OUTSIDE_REGION",
            DenyCode::ReadOnlyRole => "READ_ONLY_ROLE",
            DenyCode::RoleRequired => "ROLE_REQUIRED",
            DenyCode::OperatorRequired => "OPERATOR_REQUIRED",
            DenyCode::NotTheAuthor => "NOT_THE_AUTHOR",
        }
    }

    /// The reason, in Russian.
    pub fn reason(self) -> &'static str {
        match self {
            DenyCode::NotSignedIn => "Эта страница доступна только после входа в личный кабинет.",
            DenyCode::NotAMember => "Вы не состоите в этой организации.",
            DenyCode::NotChief => "Управлять сотрудниками организации может только её руководитель.",
            DenyCode::AccountNotConfirmed => "Ваша учётная запись на Госуслугах не подтверждена.",
            DenyCode::ConsentMissing => "Вы не дали согласие на обработку персональных данных.",
            DenyCode::OutsideRegion => "Организация находится вне регионов, которые вы курируете.",
            DenyCode::ReadOnlyRole => "Ваша роль позволяет только просматривать данные.",
            DenyCode::RoleRequired => "Для этого действия нужна роль администратора или аудитора реестра.",
            DenyCode::OperatorRequired => "Решения по заявкам принимает оператор региона организации.",
            DenyCode::NotTheAuthor => "Изменять, отправлять и отзывать заявку может только её автор.",
        }
    }

    /// What to do about it, in Russian.
    pub fn remedy(self) -> &'static str {
        match self {
            DenyCode::NotSignedIn => "Войдите через Госуслуги или учётную запись организации.",
            DenyCode::NotAMember => {
                "Попросите руководителя организации добавить вас на Госуслугах (раздел «Организации»), \
                 затем войдите снова, или обратитесь к оператору вашего региона."
            }
            DenyCode::NotChief => "Обратитесь к руководителю организации или к оператору вашего региона.",
            DenyCode::AccountNotConfirmed => {
                "Подтвердите личность в центре обслуживания, через банк или электронной подписью \
                 и войдите снова; до этого кабинет открыт только для просмотра."
            }
            DenyCode::ConsentMissing => {
                "Откройте профиль и примите согласие; до этого кабинет открыт только для просмотра."
            }
            DenyCode::OutsideRegion => "Передайте заявку оператору региона организации.",
            DenyCode::ReadOnlyRole => "Изменения вносят сотрудники организации и операторы регионов.",
            DenyCode::RoleRequired => "Обратитесь к администратору реестра.",
            DenyCode::OperatorRequired => "Дождитесь решения оператора: срок рассмотрения указан в заявке.",
            DenyCode::NotTheAuthor => "Подайте свою заявку или попросите автора.",
        }
    }

    /// The reason, in English (second locale).
    pub fn reason_en(self) -> &'static str {
        match self {
            DenyCode::NotSignedIn => "This page is available after signing in.",
            DenyCode::NotAMember => "You are not a member of this organization.",
            DenyCode::NotChief => "Only the head of the organization manages its members.",
            DenyCode::AccountNotConfirmed => "Your Gosuslugi account is not confirmed.",
            DenyCode::ConsentMissing => "You have not consented to the processing of personal data.",
            DenyCode::OutsideRegion => "The organization is outside the regions you operate.",
            DenyCode::ReadOnlyRole => "Your role may only read data.",
            DenyCode::RoleRequired => "This needs the registry administrator or auditor role.",
            DenyCode::OperatorRequired => "Requests are decided by the operator of the organization's region.",
            DenyCode::NotTheAuthor => "Only the author may change, submit or withdraw a request.",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allow,
    Deny(DenyCode),
}

impl Decision {
    pub fn is_allowed(self) -> bool {
        self == Decision::Allow
    }
}

/// Whether the actor acts for the registry at `target`: the system, an administrator, or the
/// operator of the organization's region (only they name an organization's chiefs, for example).
pub fn acts_for_registry(actor: &Actor, target: Target<'_>) -> bool {
    match actor {
        Actor::System => true,
        Actor::Anonymous => false,
        Actor::User(person) => {
            person.federal_role == Some(FederalRole::Admin)
                || matches!(target, Target::Organization { region, .. } if person.operator_regions.contains(&region))
        }
    }
}

/// Decides whether `actor` may do `action` to `target`. Pure: same inputs, same answer.
pub fn decide(actor: &Actor, action: Action, target: Target<'_>) -> Decision {
    use Decision::{Allow, Deny};
    let person = match actor {
        Actor::System => return Allow,
        _ if action == Action::ReadPublicRegister => return Allow,
        Actor::Anonymous => return Deny(DenyCode::NotSignedIn),
        Actor::User(person) => person,
    };
    if action == Action::WriteRegister {
        // Bulk writes are the deployment's own (CLI); people write through requests and edits.
        return if person.federal_role == Some(FederalRole::Admin) { Allow } else { Deny(DenyCode::RoleRequired) };
    }
    match person.federal_role {
        Some(FederalRole::Admin) => return Allow,
        Some(FederalRole::Auditor) => {
            return match action {
                Action::UseCabinet
                | Action::ReadOrganization
                | Action::ReadAudit
                | Action::ReadPersonalData
                | Action::ReadReports
                | Action::AskSupport => Allow,
                _ => Deny(DenyCode::ReadOnlyRole),
            };
        }
        None => {}
    }
    let ready = || {
        if !person.confirmed {
            Deny(DenyCode::AccountNotConfirmed)
        } else if !person.consent {
            Deny(DenyCode::ConsentMissing)
        } else {
            Allow
        }
    };
    match action {
        Action::ReadPublicRegister | Action::UseCabinet | Action::AskSupport => Allow,
        Action::Apply => ready(),
        Action::HandleSupport => {
            let allowed = match target {
                Target::None => !person.operator_regions.is_empty(),
                Target::Organization { .. } => acts_for_registry(actor, target),
            };
            if allowed {
                Allow
            } else if person.operator_regions.is_empty() {
                Deny(DenyCode::RoleRequired)
            } else {
                Deny(DenyCode::OutsideRegion)
            }
        }
        Action::ReadAudit | Action::Administer | Action::WriteRegister => Deny(DenyCode::RoleRequired),
        Action::ReadReports => {
            if !person.operator_regions.is_empty() || !person.memberships.is_empty() {
                Allow
            } else {
                Deny(DenyCode::NotAMember)
            }
        }
        Action::Moderate => {
            // Without an organization: may this person moderate anywhere (their queue)?
            let allowed = match target {
                Target::None => !person.operator_regions.is_empty(),
                Target::Organization { .. } => acts_for_registry(actor, target),
            };
            if allowed {
                ready()
            } else if person.operator_regions.is_empty() {
                Deny(DenyCode::OperatorRequired)
            } else {
                Deny(DenyCode::OutsideRegion)
            }
        }
        Action::ReadOrganization | Action::EditOrganization | Action::ManageMembers | Action::ReadPersonalData => {
            let Target::Organization { oid, .. } = target else {
                return Deny(DenyCode::NotAMember);
            };
            let membership = person.memberships.iter().find(|m| m.org_oid == oid);
            let operates = acts_for_registry(actor, target);
            let regional =
                matches!(target, Target::Organization { region, .. } if person.member_regions.contains(&region));
            if membership.is_none() && !operates && !regional {
                return Deny(if person.operator_regions.is_empty() {
                    DenyCode::NotAMember
                } else {
                    DenyCode::OutsideRegion
                });
            }
            if action == Action::ReadOrganization {
                return Allow;
            }
            if !operates && action == Action::ManageMembers && !membership.is_some_and(|m| m.chief) {
                return Deny(DenyCode::NotChief);
            }
            ready()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ORG: Target<'static> = Target::Organization { oid: "1.2.643.5.1.13.13.12.2.78.6258", region: 63 };

    fn member(chief: bool) -> Principal {
        Principal {
            user_id: 1,
            confirmed: true,
            consent: true,
            memberships: vec![Membership { org_oid: "1.2.643.5.1.13.13.12.2.78.6258".into(), chief }],
            ..Principal::default()
        }
    }

    fn user(p: Principal) -> Actor {
        Actor::User(p)
    }

    #[test]
    fn a_regional_member_acts_for_the_organizations_of_its_regions_but_never_as_chief() {
        let system = Principal { confirmed: true, consent: true, member_regions: vec![63], ..Principal::default() };
        let actor = Actor::User(system.clone());
        for action in [Action::ReadOrganization, Action::EditOrganization, Action::ReadPersonalData] {
            assert_eq!(decide(&actor, action, ORG), Decision::Allow, "{action:?}");
        }
        assert_eq!(decide(&actor, Action::ManageMembers, ORG), Decision::Deny(DenyCode::NotChief));
        assert_eq!(decide(&actor, Action::Moderate, ORG), Decision::Deny(DenyCode::OperatorRequired));
        let elsewhere = Actor::User(Principal { member_regions: vec![77], ..system });
        assert_eq!(decide(&elsewhere, Action::ReadOrganization, ORG), Decision::Deny(DenyCode::NotAMember));
    }

    #[test]
    fn anonymous_reads_the_register_and_nothing_else() {
        assert_eq!(decide(&Actor::Anonymous, Action::ReadPublicRegister, Target::None), Decision::Allow);
        assert_eq!(decide(&Actor::Anonymous, Action::UseCabinet, Target::None), Decision::Deny(DenyCode::NotSignedIn));
        assert_eq!(
            decide(&Actor::Anonymous, Action::WriteRegister, Target::None),
            Decision::Deny(DenyCode::NotSignedIn)
        );
        assert_eq!(decide(&Actor::System, Action::WriteRegister, Target::None), Decision::Allow);
    }

    #[test]
    fn a_member_edits_own_organization_only_when_confirmed_and_consented() {
        assert_eq!(decide(&user(member(false)), Action::EditOrganization, ORG), Decision::Allow);
        let unconfirmed = Principal { confirmed: false, ..member(false) };
        assert_eq!(decide(&user(unconfirmed.clone()), Action::ReadOrganization, ORG), Decision::Allow);
        assert_eq!(
            decide(&user(unconfirmed), Action::EditOrganization, ORG),
            Decision::Deny(DenyCode::AccountNotConfirmed)
        );
        let no_consent = Principal { consent: false, ..member(false) };
        assert_eq!(decide(&user(no_consent), Action::EditOrganization, ORG), Decision::Deny(DenyCode::ConsentMissing));
        let other = Target::Organization { oid: "1.2.643.5.1.13.13.12.2.77.1", region: 77 };
        assert_eq!(decide(&user(member(true)), Action::ReadOrganization, other), Decision::Deny(DenyCode::NotAMember));
    }

    #[test]
    fn only_the_chief_manages_members() {
        assert_eq!(decide(&user(member(false)), Action::ManageMembers, ORG), Decision::Deny(DenyCode::NotChief));
        assert_eq!(decide(&user(member(true)), Action::ManageMembers, ORG), Decision::Allow);
    }

    #[test]
    fn operators_act_in_their_regions() {
        let operator = Principal { confirmed: true, consent: true, operator_regions: vec![63], ..Principal::default() };
        assert_eq!(decide(&user(operator.clone()), Action::EditOrganization, ORG), Decision::Allow);
        let elsewhere = Principal { operator_regions: vec![77], ..operator.clone() };
        assert_eq!(
            decide(&user(elsewhere.clone()), Action::ReadOrganization, ORG),
            Decision::Deny(DenyCode::OutsideRegion)
        );
        assert_eq!(decide(&user(operator.clone()), Action::Moderate, ORG), Decision::Allow);
        assert_eq!(decide(&user(elsewhere), Action::Moderate, ORG), Decision::Deny(DenyCode::OutsideRegion));
        let unconfirmed = Principal { confirmed: false, ..operator };
        assert_eq!(decide(&user(unconfirmed), Action::Moderate, ORG), Decision::Deny(DenyCode::AccountNotConfirmed));
        // The organization's own people, even its chief, do not decide on its requests.
        assert_eq!(decide(&user(member(true)), Action::Moderate, ORG), Decision::Deny(DenyCode::OperatorRequired));
    }

    #[test]
    fn auditors_read_and_admins_do_everything() {
        let auditor = Principal { federal_role: Some(FederalRole::Auditor), ..Principal::default() };
        assert_eq!(decide(&user(auditor.clone()), Action::ReadAudit, Target::None), Decision::Allow);
        assert_eq!(decide(&user(auditor.clone()), Action::ReadOrganization, ORG), Decision::Allow);
        assert_eq!(decide(&user(auditor), Action::EditOrganization, ORG), Decision::Deny(DenyCode::ReadOnlyRole));
        let admin = Principal { federal_role: Some(FederalRole::Admin), ..Principal::default() };
        assert_eq!(decide(&user(admin.clone()), Action::Moderate, ORG), Decision::Allow);
        assert_eq!(decide(&user(admin.clone()), Action::Administer, Target::None), Decision::Allow);
        assert_eq!(decide(&user(admin), Action::EditOrganization, ORG), Decision::Allow);
        assert_eq!(
            decide(&user(member(true)), Action::ReadAudit, Target::None),
            Decision::Deny(DenyCode::RoleRequired)
        );
    }

    #[test]
    fn everyone_signed_in_asks_support_and_operators_answer_their_regions() {
        let unconfirmed = Principal { confirmed: false, ..member(false) };
        assert_eq!(decide(&user(unconfirmed), Action::AskSupport, Target::None), Decision::Allow);
        assert_eq!(decide(&Actor::Anonymous, Action::AskSupport, Target::None), Decision::Deny(DenyCode::NotSignedIn));
        assert_eq!(
            decide(&user(member(true)), Action::HandleSupport, Target::None),
            Decision::Deny(DenyCode::RoleRequired)
        );
        let operator = Principal { operator_regions: vec![63], ..Principal::default() };
        assert_eq!(decide(&user(operator.clone()), Action::HandleSupport, ORG), Decision::Allow);
        let elsewhere = Principal { operator_regions: vec![77], ..operator };
        assert_eq!(decide(&user(elsewhere), Action::HandleSupport, ORG), Decision::Deny(DenyCode::OutsideRegion));
        let auditor = Principal { federal_role: Some(FederalRole::Auditor), ..Principal::default() };
        assert_eq!(decide(&user(auditor), Action::HandleSupport, ORG), Decision::Deny(DenyCode::ReadOnlyRole));
    }

    #[test]
    fn every_denial_explains_itself_in_both_languages() {
        for code in [
            DenyCode::NotSignedIn,
            DenyCode::NotAMember,
            DenyCode::NotChief,
            DenyCode::AccountNotConfirmed,
            DenyCode::ConsentMissing,
            DenyCode::OutsideRegion,
            DenyCode::ReadOnlyRole,
            DenyCode::RoleRequired,
        ] {
            assert!(code.reason().chars().any(|c| ('а'..='я').contains(&c)), "{code:?}");
            assert!(!code.remedy().is_empty() && !code.reason_en().is_empty());
            assert!(code.as_str().chars().all(|c| c.is_ascii_uppercase() || c == '_'));
        }
    }

    #[test]
    fn personal_data_of_workers_is_for_ready_members_operators_of_the_region_and_auditors() {
        assert_eq!(decide(&user(member(false)), Action::ReadPersonalData, ORG), Decision::Allow);
        let unconfirmed = Principal { confirmed: false, ..member(false) };
        assert_eq!(
            decide(&user(unconfirmed.clone()), Action::ReadOrganization, ORG),
            Decision::Allow,
            "the list itself is readable"
        );
        assert_eq!(
            decide(&user(unconfirmed), Action::ReadPersonalData, ORG),
            Decision::Deny(DenyCode::AccountNotConfirmed)
        );
        let stranger = Principal { memberships: Vec::new(), ..member(false) };
        assert_eq!(decide(&user(stranger), Action::ReadPersonalData, ORG), Decision::Deny(DenyCode::NotAMember));
        let auditor = Principal { federal_role: Some(FederalRole::Auditor), ..Principal::default() };
        assert_eq!(decide(&user(auditor), Action::ReadPersonalData, ORG), Decision::Allow);
        let elsewhere =
            Principal { operator_regions: vec![77], confirmed: true, consent: true, ..Principal::default() };
        assert_eq!(decide(&user(elsewhere), Action::ReadPersonalData, ORG), Decision::Deny(DenyCode::OutsideRegion));
    }
}
