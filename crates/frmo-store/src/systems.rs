//! Information systems that call the integration API (migration 0019): a system is a user of
//! provider `system` with a row here holding the digest of its key and what it may act for.

use crate::audit::AuditEntry;
use crate::sql::{Value, take_text as text};
use crate::{Result, Store};

/// A system account as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SystemRecord {
    pub user_id: i64,
    pub name: String,
    pub key_hint: String,
    /// OIDs of the organizations it acts for.
    pub orgs: Vec<String>,
    /// Regions whose organizations it acts for.
    pub regions: Vec<u8>,
    pub created_at: i64,
    pub created_by: String,
    pub revoked_at: Option<i64>,
}

/// A system to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSystem<'a> {
    pub name: &'a str,
    pub display_name: &'a str,
    pub key_digest: &'a str,
    pub key_hint: &'a str,
    pub orgs: &'a [String],
    pub regions: &'a [u8],
    pub created_by: &'a str,
}

macro_rules! system_select {
    ($filter:literal) => {
        concat!(
            "SELECT user_id, name, key_hint, orgs, regions, created_at, created_by, revoked_at FROM system_accounts ",
            $filter
        )
    };
}

fn record(mut r: Vec<Value>) -> SystemRecord {
    let orgs = text(&mut r, 3).unwrap_or_default();
    let regions = text(&mut r, 4).unwrap_or_default();
    SystemRecord {
        user_id: r[0].int().unwrap_or_default(),
        name: text(&mut r, 1).unwrap_or_default(),
        key_hint: text(&mut r, 2).unwrap_or_default(),
        orgs: orgs.split_whitespace().map(str::to_owned).collect(),
        regions: regions.split_whitespace().filter_map(|r| r.parse().ok()).collect(),
        created_at: r[5].int().unwrap_or_default(),
        created_by: text(&mut r, 6).unwrap_or_default(),
        revoked_at: r[7].int(),
    }
}

impl Store {
    /// Creates the system's user and account with `audit`, in one transaction; `None` when a
    /// system of that name exists (revoked or not: names are never reused).
    pub async fn create_system(&self, system: &NewSystem<'_>, now: i64, audit: AuditEntry) -> Result<Option<i64>> {
        let orgs = system.orgs.join(" ");
        let regions = system.regions.iter().map(u8::to_string).collect::<Vec<_>>().join(" ");
        let statements = vec![
            (
                "INSERT INTO users (provider, subject, display_name, confirmed, created_at)
                 VALUES ('system', $1, $2, $3, $4) ON CONFLICT (provider, subject) DO NOTHING RETURNING id",
                vec![system.name.into(), system.display_name.into(), true.into(), now.into()],
            ),
            (
                "INSERT INTO system_accounts (user_id, name, key_digest, key_hint, orgs, regions, created_at, created_by)
                 SELECT id, $1, $2, $3, $4, $5, $6, $7 FROM users WHERE provider = 'system' AND subject = $1",
                vec![
                    system.name.into(),
                    system.key_digest.into(),
                    system.key_hint.into(),
                    orgs.into(),
                    regions.into(),
                    now.into(),
                    system.created_by.into(),
                ],
            ),
        ];
        if !self.transact_guarded(statements, vec![audit]).await? {
            return Ok(None);
        }
        Ok(self.system_by_name(system.name).await?.map(|s| s.user_id))
    }

    /// The system whose key has `digest`, unless revoked.
    pub async fn system_by_key(&self, digest: &str) -> Result<Option<SystemRecord>> {
        let rows =
            self.query(system_select!("WHERE key_digest = $1 AND revoked_at IS NULL"), vec![digest.into()]).await?;
        Ok(rows.into_iter().next().map(record))
    }

    pub async fn system_by_name(&self, name: &str) -> Result<Option<SystemRecord>> {
        let rows = self.query(system_select!("WHERE name = $1"), vec![name.into()]).await?;
        Ok(rows.into_iter().next().map(record))
    }

    /// Every system, by name.
    pub async fn systems(&self) -> Result<Vec<SystemRecord>> {
        let rows = self.query(system_select!("ORDER BY name"), Vec::new()).await?;
        Ok(rows.into_iter().map(record).collect())
    }

    /// The organizations of `region` as they are now (closed ones included): OID and type, by OID.
    pub async fn current_oids_of_region(&self, region: u8) -> Result<Vec<(String, u32)>> {
        let rows = self
            .query(
                "SELECT oid, org_type FROM organization_versions WHERE valid_to IS NULL AND region = $1 ORDER BY oid",
                vec![i64::from(region).into()],
            )
            .await?;
        Ok(rows
            .into_iter()
            .filter_map(|mut r| {
                let org_type = r[1].int().and_then(|t| u32::try_from(t).ok()).unwrap_or_default();
                text(&mut r, 0).map(|oid| (oid, org_type))
            })
            .collect())
    }

    /// Ends the system's key at `now` with `audit`; false when there is no such live system.
    pub async fn revoke_system(&self, name: &str, now: i64, audit: AuditEntry) -> Result<bool> {
        let statements = vec![(
            "UPDATE system_accounts SET revoked_at = $2 WHERE name = $1 AND revoked_at IS NULL RETURNING user_id",
            vec![name.into(), now.into()],
        )];
        self.transact_guarded(statements, vec![audit]).await
    }
}
