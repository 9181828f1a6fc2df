//! Who may do what: the pure access decision. The registry calls `decide` before every use case;
//! nothing else decides access.

/// Who is acting. Sessions and tokens (the identity issue) will add members, operators and
/// administrators; until then the register is read anonymously and written by the system (CLI).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// A visitor of the public register or an API client without credentials.
    Anonymous,
    /// The command line and background jobs of the deployment itself.
    System,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Search the open register and read organization cards.
    ReadPublicRegister,
    /// Create organizations or change their records.
    WriteRegister,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Allow,
    /// `code` is stable for support and logs; `reason` is shown to the user.
    Deny {
        code: &'static str,
        reason: &'static str,
    },
}

pub fn decide(actor: &Actor, action: Action) -> Decision {
    match (actor, action) {
        (_, Action::ReadPublicRegister) => Decision::Allow,
        (Actor::System, Action::WriteRegister) => Decision::Allow,
        (Actor::Anonymous, Action::WriteRegister) => Decision::Deny {
            code: "ACCESS-001",
            reason: "Изменять реестр может только вошедший пользователь с правами на организацию",
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anonymous_reads_but_does_not_write() {
        assert_eq!(decide(&Actor::Anonymous, Action::ReadPublicRegister), Decision::Allow);
        assert!(matches!(decide(&Actor::Anonymous, Action::WriteRegister), Decision::Deny { .. }));
        assert_eq!(decide(&Actor::System, Action::WriteRegister), Decision::Allow);
    }
}
