//! The migrations of both dialects. Versions carry identical names in both lists (a test checks),
//! so a deployment can move between backends without guessing which schema it has.

pub struct Migration {
    pub version: &'static str,
    pub sql: &'static str,
}

macro_rules! migrations {
    ($dialect:literal: $($version:literal),* $(,)?) => {
        &[$(Migration {
            version: $version,
            sql: include_str!(concat!("../migrations/", $dialect, "/", $version, ".sql")),
        }),*]
    };
}

pub const SQLITE_MIGRATIONS: &[Migration] = migrations!("sqlite": "0001_organizations", "0002_identity", "0003_audit", "0004_requests", "0005_notifications", "0006_applications", "0007_documents", "0008_workers", "0009_jobs", "0010_publications", "0011_report_columns", "0012_support", "0013_report_dates_written", "0014_person_per_employer", "0015_sign_in_guard", "0016_member_invitations", "0018_reference_directories", "0019_system_accounts", "0020_job_leases", "0021_card_text", "0022_change_notices");
pub const POSTGRES_MIGRATIONS: &[Migration] = migrations!("postgres": "0001_organizations", "0002_identity", "0003_audit", "0004_requests", "0005_notifications", "0006_applications", "0007_documents", "0008_workers", "0009_jobs", "0010_publications", "0011_report_columns", "0012_support", "0013_report_dates_written", "0014_person_per_employer", "0015_sign_in_guard", "0016_member_invitations", "0018_reference_directories", "0019_system_accounts", "0020_job_leases", "0021_card_text", "0022_change_notices");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_dialects_have_the_same_versions() {
        let names = |list: &[Migration]| list.iter().map(|m| m.version).collect::<Vec<_>>();
        assert_eq!(names(SQLITE_MIGRATIONS), names(POSTGRES_MIGRATIONS));
        assert!(names(SQLITE_MIGRATIONS).is_sorted());
    }
}
