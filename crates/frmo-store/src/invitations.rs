//! Invitations to an organization's cabinet (migration 0016): a chief or an operator names a person
//! by login, e-mail or СНИЛС; the membership is made when a person with that name signs in. Whether
//! anybody bears the name is never looked up when inviting, so the form confirms nothing about
//! other people's accounts.

use crate::sql::take_text as text;
use crate::{Result, Store};

/// An invitation waiting for its person to sign in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvitationRecord {
    pub id: i64,
    /// `login:…`, `email:…` (lower case) or `snils:` and eleven digits.
    pub who: String,
    pub role: String,
    pub invited_at: i64,
}

/// The names user `$1` bears, as invitations write them (a SQL fragment).
macro_rules! names_of_user {
    () => {
        "SELECT 'login:' || subject FROM users WHERE id = $1 AND provider = 'local'
         UNION ALL SELECT 'email:' || lower(email) FROM users WHERE id = $1 AND email IS NOT NULL
         UNION ALL SELECT 'snils:' || replace(replace(snils, '-', ''), ' ', '') FROM users WHERE id = $1 AND snils IS NOT NULL"
    };
}

pub(crate) fn invitation(mut r: Vec<crate::sql::Value>) -> InvitationRecord {
    InvitationRecord {
        id: r[0].int().unwrap_or_default(),
        who: text(&mut r, 1).unwrap_or_default(),
        role: text(&mut r, 2).unwrap_or_default(),
        invited_at: r[3].int().unwrap_or_default(),
    }
}

impl Store {
    /// Invites `who` to the organization with `role` (a repeated invitation replaces the role).
    pub async fn invite_member(&self, oid: &str, who: &str, role: &str, by: Option<i64>, now: i64) -> Result<()> {
        self.execute(
            "INSERT INTO member_invitations (org_oid, who, role, invited_by, invited_at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (org_oid, who) DO UPDATE SET role = excluded.role, invited_by = excluded.invited_by,
                 invited_at = excluded.invited_at",
            vec![oid.into(), who.into(), role.into(), by.into(), now.into()],
        )
        .await?;
        self.organization_changed(oid);
        Ok(())
    }

    /// The organization's invitations, newest first.
    pub async fn invitations_of(&self, oid: &str) -> Result<Vec<InvitationRecord>> {
        let rows = self
            .query(
                "SELECT id, who, role, invited_at FROM member_invitations WHERE org_oid = $1 ORDER BY invited_at DESC, id",
                vec![oid.into()],
            )
            .await?;
        Ok(rows.into_iter().map(invitation).collect())
    }

    /// Withdraws an invitation of the organization; the invitation withdrawn, if there was one.
    pub async fn withdraw_invitation(&self, id: i64, oid: &str) -> Result<Option<InvitationRecord>> {
        let mut rows = self
            .execute(
                "DELETE FROM member_invitations WHERE id = $1 AND org_oid = $2 RETURNING id, who, role, invited_at",
                vec![id.into(), oid.into()],
            )
            .await?;
        self.organization_changed(oid);
        Ok(rows.pop().map(invitation))
    }

    /// Turns the invitations naming this user into memberships (`source`), in one transaction, and
    /// removes them. A membership vouched for elsewhere (ЕСИА) is left as it is. Returns the
    /// organizations and roles granted.
    pub async fn claim_invitations(&self, user_id: i64, source: &str, now: i64) -> Result<Vec<(String, String)>> {
        let mut results = self
            .transact(vec![
                (
                    concat!(
                        "INSERT INTO memberships (user_id, org_oid, role, source, granted_at)
                         SELECT CAST($1 AS BIGINT), i.org_oid, i.role, CAST($2 AS TEXT), CAST($3 AS BIGINT)
                         FROM member_invitations i WHERE i.who IN (",
                        names_of_user!(),
                        ") ON CONFLICT (user_id, org_oid) DO UPDATE SET role = excluded.role
                             WHERE memberships.source = excluded.source
                         RETURNING org_oid, role"
                    ),
                    vec![user_id.into(), source.into(), now.into()],
                ),
                (concat!("DELETE FROM member_invitations WHERE who IN (", names_of_user!(), ")"), vec![user_id.into()]),
            ])
            .await?;
        self.person_changed(user_id);
        let granted = results.swap_remove(0);
        Ok(granted
            .into_iter()
            .map(|mut r| (text(&mut r, 0).unwrap_or_default(), text(&mut r, 1).unwrap_or_default()))
            .collect())
    }
}
