//! The statuses of the register's work items — change requests, support requests, background jobs —
//! each an enum with its stored code and its Russian label. The store keeps the code; pages show
//! the label (translated by the web layer for the English locale).

/// Declares a status enum: each variant with its stored code and its Russian label.
macro_rules! statuses {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $code:literal, $label:literal;)+ }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vdoc])* $variant,)+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The code the store keeps.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $code,)+
                }
            }

            /// The Russian name people read.
            pub fn label(self) -> &'static str {
                match self {
                    $($name::$variant => $label,)+
                }
            }

            /// The status a stored code names; `None` for a code this version does not know.
            pub fn parse(code: &str) -> Option<Self> {
                match code {
                    $($code => Some($name::$variant),)+
                    _ => None,
                }
            }
        }

        impl std::fmt::Display for $name {
            /// The stored code (templates use it for CSS classes and data attributes).
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }
    };
}

statuses! {
    /// Where a change request or an application for inclusion stands.
    RequestStatus {
        /// Kept by its author, not sent.
        Draft = "draft", "черновик";
        /// Waiting for the region's operator.
        Submitted = "submitted", "на проверке";
        /// Sent back to its author for correction.
        Returned = "returned", "возвращена на доработку";
        Approved = "approved", "одобрена";
        Rejected = "rejected", "отклонена";
        /// Taken back by its author.
        Withdrawn = "withdrawn", "отозвана";
    }
}

impl RequestStatus {
    /// Not decided yet: its author or an operator may still act on it.
    pub fn is_open(self) -> bool {
        matches!(self, RequestStatus::Draft | RequestStatus::Submitted | RequestStatus::Returned)
    }
}

statuses! {
    /// Where a support request stands.
    SupportStatus {
        New = "new", "новое";
        InProgress = "in_progress", "в работе";
        /// Answered; the ball is with the person who asked.
        WaitingUser = "waiting_user", "ожидает ответа пользователя";
        /// Solved; its author may reopen it for a while.
        Resolved = "resolved", "решено";
        Closed = "closed", "закрыто";
    }
}

impl Default for SupportStatus {
    /// A request just filed.
    fn default() -> Self {
        SupportStatus::New
    }
}

impl SupportStatus {
    /// Still being worked on: neither resolved nor closed.
    pub fn is_open(self) -> bool {
        !matches!(self, SupportStatus::Resolved | SupportStatus::Closed)
    }
}

statuses! {
    /// Where a background job (an export, a report in a file, a publication) stands.
    JobStatus {
        Queued = "queued", "в очереди";
        Running = "running", "выполняется";
        Done = "done", "готово";
        Failed = "failed", "не удалось";
    }
}

impl JobStatus {
    /// Not finished yet (its page refreshes itself).
    pub fn is_open(self) -> bool {
        matches!(self, JobStatus::Queued | JobStatus::Running)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_reads_back_as_its_status() {
        for status in RequestStatus::ALL {
            assert_eq!(RequestStatus::parse(status.as_str()), Some(*status));
        }
        for status in SupportStatus::ALL {
            assert_eq!(SupportStatus::parse(status.as_str()), Some(*status));
        }
        for status in JobStatus::ALL {
            assert_eq!(JobStatus::parse(status.as_str()), Some(*status));
        }
        assert_eq!(RequestStatus::parse("Submitted"), None);
    }

    #[test]
    fn open_statuses_are_the_undecided_ones() {
        let open: Vec<_> = RequestStatus::ALL.iter().filter(|s| s.is_open()).map(|s| s.label()).collect();
        assert_eq!(open, ["черновик", "на проверке", "возвращена на доработку"]);
        assert!(SupportStatus::WaitingUser.is_open() && !SupportStatus::Resolved.is_open());
        assert!(JobStatus::Running.is_open() && !JobStatus::Failed.is_open());
    }
}
