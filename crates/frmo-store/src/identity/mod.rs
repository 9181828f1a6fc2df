//! The identity tables (migration 0002): users, operator regions, memberships, sessions, sign-ins
//! under way, consents, denials, password resets and the mail outbox. One set of portable
//! statements serves both backends. Users, their memberships, roles and credentials here; what
//! signing in keeps (failures, sessions, flows, consents, denials, resets) in `sign_in.rs`.

mod sign_in;

use crate::backend::kept::MembersAndInvitations;
use crate::sql::{Statement, Value, take_text as text};
use crate::{Result, Store, StoreError};

pub use sign_in::{ConsentRecord, DenialRecord, SessionRecord};

/// A person who signs in, with everything access decisions need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRecord {
    pub id: i64,
    pub provider: String,
    pub subject: String,
    pub display_name: String,
    pub snils: Option<String>,
    pub email: Option<String>,
    pub confirmed: bool,
    pub federal_role: Option<String>,
    pub password_hash: Option<String>,
    pub totp_secret: Option<String>,
    pub totp_enabled: bool,
    /// The last TOTP time-step accepted: a code of that step or an earlier one is not taken again.
    pub totp_last_step: Option<i64>,
    /// A new authenticator's secret, waiting for its first code (the current one stays in force).
    pub totp_pending_secret: Option<String>,
    pub last_login_at: Option<i64>,
    pub operator_regions: Vec<u8>,
    pub memberships: Vec<MembershipRecord>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MembershipRecord {
    pub org_oid: String,
    /// `member` or `chief`.
    pub role: String,
    /// `esia` (from ЕСИА roles at sign-in) or `operator`.
    pub source: String,
}

/// A person's name, where it comes from, and their e-mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserLabel {
    pub display_name: String,
    pub provider: String,
    pub subject: String,
    pub email: Option<String>,
}

/// What a person's identity provider says about them at sign-in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUser {
    pub provider: String,
    pub subject: String,
    pub display_name: String,
    pub snils: Option<String>,
    pub email: Option<String>,
    pub confirmed: bool,
}

fn membership_from(mut row: Vec<Value>) -> MembershipRecord {
    MembershipRecord {
        org_oid: text(&mut row, 0).unwrap_or_default(),
        role: text(&mut row, 1).unwrap_or_default(),
        source: text(&mut row, 2).unwrap_or_default(),
    }
}

fn user_from(mut row: Vec<Value>) -> UserRecord {
    UserRecord {
        id: row[0].int().unwrap_or_default(),
        provider: text(&mut row, 1).unwrap_or_default(),
        subject: text(&mut row, 2).unwrap_or_default(),
        display_name: text(&mut row, 3).unwrap_or_default(),
        snils: text(&mut row, 4),
        email: text(&mut row, 5),
        confirmed: row[6].flag(),
        federal_role: text(&mut row, 7),
        password_hash: text(&mut row, 8),
        totp_secret: text(&mut row, 9),
        totp_enabled: row[10].flag(),
        totp_last_step: row[11].int(),
        totp_pending_secret: text(&mut row, 12),
        last_login_at: row[13].int(),
        operator_regions: Vec::new(),
        memberships: Vec::new(),
    }
}

macro_rules! user_query {
    ($filter:literal) => {
        concat!(
            "SELECT id, provider, subject, display_name, snils, email, confirmed, federal_role, password_hash,
                totp_secret, totp_enabled, totp_last_step, totp_pending_secret, last_login_at FROM users WHERE ",
            $filter
        )
    };
}

impl Store {
    /// Creates the user or refreshes what the identity provider says about them; returns the id.
    pub async fn upsert_user(&self, user: &NewUser, now: i64) -> Result<i64> {
        let rows = self
            .execute(
                "INSERT INTO users (provider, subject, display_name, snils, email, confirmed, created_at, last_login_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $7)
                 ON CONFLICT (provider, subject) DO UPDATE SET display_name = excluded.display_name,
                     snils = excluded.snils, email = excluded.email, confirmed = excluded.confirmed,
                     last_login_at = excluded.last_login_at
                 RETURNING id",
                vec![
                    user.provider.as_str().into(),
                    user.subject.as_str().into(),
                    user.display_name.as_str().into(),
                    user.snils.clone().into(),
                    user.email.clone().into(),
                    user.confirmed.into(),
                    now.into(),
                ],
            )
            .await?;
        let id =
            rows.first().and_then(|r| r[0].int()).ok_or_else(|| StoreError::Conflict("no user id returned".into()))?;
        self.person_changed(id);
        Ok(id)
    }

    /// Creates a local account; fails with `Conflict` when the login is taken.
    pub async fn create_local_user(&self, login: &str, name: &str, email: Option<&str>, now: i64) -> Result<i64> {
        let rows = self
            .execute(
                "INSERT INTO users (provider, subject, display_name, email, confirmed, created_at)
                 VALUES ('local', $1, $2, $3, $4, $5) ON CONFLICT (provider, subject) DO NOTHING RETURNING id",
                vec![login.into(), name.into(), email.into(), true.into(), now.into()],
            )
            .await?;
        rows.first()
            .and_then(|r| r[0].int())
            .ok_or_else(|| StoreError::Conflict(format!("пользователь «{login}» уже есть")))
    }

    pub async fn user(&self, id: i64) -> Result<Option<UserRecord>> {
        let rows = self.query(user_query!("id = $1"), vec![id.into()]).await?;
        self.complete_user(rows).await
    }

    pub async fn user_by_subject(&self, provider: &str, subject: &str) -> Result<Option<UserRecord>> {
        let rows =
            self.query(user_query!("provider = $1 AND subject = $2"), vec![provider.into(), subject.into()]).await?;
        self.complete_user(rows).await
    }

    pub async fn user_by_email(&self, provider: &str, email: &str) -> Result<Option<UserRecord>> {
        let rows = self.query(user_query!("provider = $1 AND email = $2"), vec![provider.into(), email.into()]).await?;
        self.complete_user(rows).await
    }

    async fn complete_user(&self, rows: Vec<Vec<Value>>) -> Result<Option<UserRecord>> {
        let Some(row) = rows.into_iter().next() else { return Ok(None) };
        let mut user = user_from(row);
        // Both lists at once: on PostgreSQL the two statements share one round trip (pipelined).
        let (regions, memberships) = tokio::try_join!(
            self.query("SELECT region FROM operator_regions WHERE user_id = $1 ORDER BY region", vec![user.id.into()]),
            self.query(
                "SELECT org_oid, role, source FROM memberships WHERE user_id = $1 ORDER BY org_oid",
                vec![user.id.into()],
            ),
        )?;
        user.operator_regions = regions.iter().filter_map(|r| r[0].int().and_then(|v| u8::try_from(v).ok())).collect();
        user.memberships = memberships.into_iter().map(membership_from).collect();
        Ok(Some(user))
    }

    /// How a person is named (the audit journal, request histories) and reached (e-mail).
    pub async fn user_label(&self, id: i64) -> Result<Option<UserLabel>> {
        let rows = self
            .query("SELECT display_name, provider, subject, email FROM users WHERE id = $1", vec![id.into()])
            .await?;
        Ok(rows.into_iter().next().map(|mut r| UserLabel {
            display_name: text(&mut r, 0).unwrap_or_default(),
            provider: text(&mut r, 1).unwrap_or_default(),
            subject: text(&mut r, 2).unwrap_or_default(),
            email: text(&mut r, 3),
        }))
    }

    /// A person's membership of one organization, if any.
    pub async fn membership(&self, user_id: i64, oid: &str) -> Result<Option<MembershipRecord>> {
        let rows = self
            .query(
                "SELECT org_oid, role, source FROM memberships WHERE user_id = $1 AND org_oid = $2",
                vec![user_id.into(), oid.into()],
            )
            .await?;
        Ok(rows.into_iter().next().map(membership_from))
    }

    /// Replaces the memberships vouched for by `source` (memberships from other sources stay).
    pub async fn replace_memberships(
        &self,
        user_id: i64,
        source: &str,
        list: &[(String, String)],
        now: i64,
    ) -> Result<()> {
        let mut statements: Vec<Statement> =
            vec![("DELETE FROM memberships WHERE user_id = $1 AND source = $2", vec![user_id.into(), source.into()])];
        for (oid, role) in list {
            statements.push((
                "INSERT INTO memberships (user_id, org_oid, role, source, granted_at) VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (user_id, org_oid) DO NOTHING",
                vec![user_id.into(), oid.as_str().into(), role.as_str().into(), source.into(), now.into()],
            ));
        }
        self.transact(statements).await?;
        self.person_changed(user_id);
        Ok(())
    }

    pub async fn grant_membership(&self, user_id: i64, oid: &str, role: &str, source: &str, now: i64) -> Result<()> {
        self.execute(
            "INSERT INTO memberships (user_id, org_oid, role, source, granted_at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (user_id, org_oid) DO UPDATE SET role = excluded.role, source = excluded.source",
            vec![user_id.into(), oid.into(), role.into(), source.into(), now.into()],
        )
        .await?;
        self.person_changed(user_id);
        Ok(())
    }

    /// Sets the federal role (`admin`, `auditor` or none) and the regions a person operates.
    pub async fn set_staff_roles(&self, user_id: i64, federal_role: Option<&str>, regions: &[u8]) -> Result<()> {
        let mut statements: Vec<Statement> = vec![
            ("UPDATE users SET federal_role = $2 WHERE id = $1", vec![user_id.into(), federal_role.into()]),
            ("DELETE FROM operator_regions WHERE user_id = $1", vec![user_id.into()]),
        ];
        for &region in regions {
            statements.push((
                "INSERT INTO operator_regions (user_id, region) VALUES ($1, $2)",
                vec![user_id.into(), i64::from(region).into()],
            ));
        }
        self.transact(statements).await?;
        self.person_changed(user_id);
        Ok(())
    }

    pub async fn set_confirmed(&self, user_id: i64, confirmed: bool) -> Result<()> {
        self.execute("UPDATE users SET confirmed = $2 WHERE id = $1", vec![user_id.into(), confirmed.into()]).await?;
        self.person_changed(user_id);
        Ok(())
    }

    /// Sets a new password; every reset link of the account still open is voided with it.
    pub async fn set_password_hash(&self, user_id: i64, hash: &str) -> Result<()> {
        self.transact(vec![
            ("UPDATE users SET password_hash = $2 WHERE id = $1", vec![user_id.into(), hash.into()]),
            ("DELETE FROM password_resets WHERE user_id = $1", vec![user_id.into()]),
        ])
        .await?;
        self.person_changed(user_id);
        Ok(())
    }

    /// Keeps a new authenticator's secret beside the current one until its first code confirms it.
    pub async fn set_totp_pending(&self, user_id: i64, secret: &str) -> Result<()> {
        self.execute("UPDATE users SET totp_pending_secret = $2 WHERE id = $1", vec![user_id.into(), secret.into()])
            .await?;
        self.person_changed(user_id);
        Ok(())
    }

    /// Puts the pending secret `secret` in force, its code of `step` counted as used; `false` when
    /// another enrolment replaced it meanwhile.
    pub async fn activate_totp(&self, user_id: i64, secret: &str, step: i64) -> Result<bool> {
        let rows = self
            .execute(
                "UPDATE users SET totp_secret = totp_pending_secret, totp_pending_secret = NULL, totp_enabled = $3,
                     totp_last_step = $4
                 WHERE id = $1 AND totp_pending_secret = $2 RETURNING id",
                vec![user_id.into(), secret.into(), true.into(), step.into()],
            )
            .await?;
        self.person_changed(user_id);
        Ok(!rows.is_empty())
    }

    /// Switches the second factor off, forgetting its secrets.
    pub async fn disable_totp(&self, user_id: i64) -> Result<()> {
        self.execute(
            "UPDATE users SET totp_secret = NULL, totp_pending_secret = NULL, totp_enabled = $2, totp_last_step = NULL
             WHERE id = $1",
            vec![user_id.into(), false.into()],
        )
        .await?;
        self.person_changed(user_id);
        Ok(())
    }

    /// Takes the TOTP time-step `step` as used, once: `false` when it (or a later one) was used
    /// already — a replayed code. One statement, so two requests with one code cannot both pass.
    pub async fn use_totp_step(&self, user_id: i64, step: i64) -> Result<bool> {
        let rows = self
            .execute(
                "UPDATE users SET totp_last_step = $2 WHERE id = $1 AND (totp_last_step IS NULL OR totp_last_step < $2)
                 RETURNING id",
                vec![user_id.into(), step.into()],
            )
            .await?;
        self.person_changed(user_id);
        Ok(!rows.is_empty())
    }
}

/// The members of organization `$1` (SQL fragments): their columns (user, name, role, source), and
/// `from` where they are read.
macro_rules! members_of {
    () => {
        "m.user_id, u.display_name, m.role, m.source"
    };
    (from) => {
        "FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.org_oid = $1"
    };
}

fn member(mut r: Vec<crate::sql::Value>) -> MemberRecord {
    MemberRecord {
        user_id: r[0].int().unwrap_or_default(),
        display_name: text(&mut r, 1).unwrap_or_default(),
        role: text(&mut r, 2).unwrap_or_default(),
        source: text(&mut r, 3).unwrap_or_default(),
    }
}

/// A member of an organization, as its cabinet page lists them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberRecord {
    pub user_id: i64,
    pub display_name: String,
    pub role: String,
    pub source: String,
}

impl Store {
    /// The people of an organization, chiefs first.
    pub async fn members_of(&self, oid: &str) -> Result<Vec<MemberRecord>> {
        let read = async { self.read_members_of(oid).await.map(Some) };
        Ok(self.kept(|kept| &kept.members, oid, read).await?.unwrap_or_default())
    }

    async fn read_members_of(&self, oid: &str) -> Result<Vec<MemberRecord>> {
        let sql =
            concat!("SELECT ", members_of!(), " ", members_of!(from), " ORDER BY m.role, u.display_name, m.user_id");
        let rows = self.query(sql, vec![oid.into()]).await?;
        Ok(rows.into_iter().map(member).collect())
    }

    /// The people of an organization ([`Store::members_of`]) and its invitations
    /// ([`Store::invitations_of`]), in their orders: one statement for a page that shows both.
    pub async fn members_and_invitations(&self, oid: &str) -> Result<MembersAndInvitations> {
        let read = async { self.read_members_and_invitations(oid).await.map(Some) };
        Ok(self.kept(|kept| &kept.members_and_invitations, oid, read).await?.unwrap_or_default())
    }

    async fn read_members_and_invitations(&self, oid: &str) -> Result<MembersAndInvitations> {
        // Part 1 a member (user, name, role, source), part 2 an invitation (id, who, role, time).
        let rows = self
            .query(
                concat!(
                    "SELECT 1 AS part, ",
                    members_of!(),
                    ", CAST(NULL AS BIGINT) AS at ",
                    members_of!(from),
                    " UNION ALL SELECT 2, id, who, role, NULL, invited_at FROM member_invitations WHERE org_oid = $1",
                ),
                vec![oid.into()],
            )
            .await?;
        let (mut members, mut invitations) = (Vec::new(), Vec::new());
        for mut row in rows {
            let part = row.remove(0);
            if part.int() == Some(1) {
                members.push(member(row));
            } else {
                row.remove(3); // a member's source
                invitations.push(crate::invitations::invitation(row));
            }
        }
        // The orders of `members_of` and `invitations_of` (texts compared bytewise by both databases).
        members.sort_by(|a, b| (&a.role, &a.display_name, a.user_id).cmp(&(&b.role, &b.display_name, b.user_id)));
        invitations.sort_by(|a, b| b.invited_at.cmp(&a.invited_at).then(a.id.cmp(&b.id)));
        Ok((members, invitations))
    }

    /// The users a person may be named by when granting a membership: the login of a local account,
    /// an e-mail address (any provider, case-insensitive) or a СНИЛС as ЕСИА gives it.
    pub async fn users_named(&self, who: &str) -> Result<Vec<i64>> {
        let rows = self
            .query(
                "SELECT id FROM users WHERE (provider = 'local' AND subject = $1) OR lower(email) = lower($1)
                 OR snils = $1 ORDER BY id",
                vec![who.into()],
            )
            .await?;
        Ok(rows.iter().filter_map(|r| r[0].int()).collect())
    }

    /// Removes a membership; whether there was one.
    pub async fn revoke_membership(&self, user_id: i64, oid: &str) -> Result<bool> {
        let rows = self
            .execute(
                "DELETE FROM memberships WHERE user_id = $1 AND org_oid = $2 RETURNING user_id",
                vec![user_id.into(), oid.into()],
            )
            .await?;
        self.person_changed(user_id);
        Ok(!rows.is_empty())
    }
}
