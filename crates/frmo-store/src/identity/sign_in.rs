//! What signing in keeps: failures per login and client, sessions, sign-ins under way at a
//! provider, consents, access denials and password resets.

use crate::backend::kept::SessionWithUser;
use crate::sql::Value;
use crate::sql::take_text as text;
use crate::{Result, Store};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    pub user_id: i64,
    pub method: String,
    pub csrf: String,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub expires_at: i64,
    pub provider_data: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentRecord {
    pub version: i64,
    pub accepted: bool,
    pub at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DenialRecord {
    pub at: i64,
    pub user_id: Option<i64>,
    pub action: String,
    pub target: String,
    pub code: String,
    pub request_id: String,
}

/// A session from the first seven columns of a row (`user_id, method, csrf, created_at,
/// last_seen_at, expires_at, provider_data`).
fn session_from(row: &mut [Value]) -> SessionRecord {
    SessionRecord {
        user_id: row[0].int().unwrap_or_default(),
        method: text(row, 1).unwrap_or_default(),
        csrf: text(row, 2).unwrap_or_default(),
        created_at: row[3].int().unwrap_or_default(),
        last_seen_at: row[4].int().unwrap_or_default(),
        expires_at: row[5].int().unwrap_or_default(),
        provider_data: text(row, 6).unwrap_or_default(),
    }
}

impl Store {
    /// Until when sign-in with `login` from `client` is held back, if it is at `now`.
    pub async fn login_locked_until(&self, login: &str, client: &str, now: i64) -> Result<Option<i64>> {
        let rows = self
            .query(
                "SELECT locked_until FROM login_failures WHERE login = $1 AND client = $2 AND locked_until > $3",
                vec![login.into(), client.into(), now.into()],
            )
            .await?;
        Ok(rows.first().and_then(|r| r[0].int()))
    }

    /// Counts a failed sign-in with `login` (known or not) from `client`; `lock_until(failures)` says
    /// until when that pair is then held back. Returns the count of failures in a row. Counters idle
    /// for a day and no longer holding anything back are forgotten.
    pub async fn record_login_failure(
        &self,
        login: &str,
        client: &str,
        now: i64,
        lock_until: impl Fn(i64) -> Option<i64>,
    ) -> Result<i64> {
        let rows = self
            .transact(vec![
                (
                    "DELETE FROM login_failures WHERE last_at < $1 AND (locked_until IS NULL OR locked_until < $2)",
                    vec![(now - 86_400).into(), now.into()],
                ),
                (
                    "INSERT INTO login_failures (login, client, failures, last_at) VALUES ($1, $2, 1, $3)
                     ON CONFLICT (login, client) DO UPDATE SET failures = login_failures.failures + 1,
                         last_at = excluded.last_at
                     RETURNING failures",
                    vec![login.into(), client.into(), now.into()],
                ),
            ])
            .await?;
        let failures = rows.get(1).and_then(|rows| rows.first()).and_then(|r| r[0].int()).unwrap_or(1);
        if let Some(until) = lock_until(failures) {
            self.execute(
                "UPDATE login_failures SET locked_until = $3 WHERE login = $1 AND client = $2",
                vec![login.into(), client.into(), until.into()],
            )
            .await?;
        }
        Ok(failures)
    }

    /// A successful sign-in with `login` from `client` clears that pair's failures.
    pub async fn clear_login_failures(&self, login: &str, client: &str) -> Result<()> {
        self.execute("DELETE FROM login_failures WHERE login = $1 AND client = $2", vec![login.into(), client.into()])
            .await
            .map(drop)
    }

    pub async fn record_login_success(&self, user_id: i64, now: i64) -> Result<()> {
        self.execute("UPDATE users SET last_login_at = $2 WHERE id = $1", vec![user_id.into(), now.into()]).await?;
        self.person_changed(user_id);
        Ok(())
    }

    pub async fn create_session(&self, id_hash: &str, session: &SessionRecord) -> Result<()> {
        self.execute(
            "INSERT INTO sessions (id_hash, user_id, method, csrf, created_at, last_seen_at, expires_at, provider_data)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            vec![
                id_hash.into(),
                session.user_id.into(),
                session.method.as_str().into(),
                session.csrf.as_str().into(),
                session.created_at.into(),
                session.last_seen_at.into(),
                session.expires_at.into(),
                session.provider_data.as_str().into(),
            ],
        )
        .await
        .map(drop)
    }

    /// A session with its person, their operator regions and memberships, and their latest consent.
    /// A signed-in request reads this first. PostgreSQL's store keeps what it read until a change
    /// is announced (`backend/postgres/notices.rs`); SQLite's read costs less than keeping it.
    pub async fn session_with_user(&self, id_hash: &str) -> Result<Option<SessionWithUser>> {
        self.kept(|kept| &kept.sessions, id_hash, self.read_session_with_user(id_hash)).await
    }

    /// [`Store::session_with_user`] as stored, in one statement (it took five in three round
    /// trips): on PostgreSQL each statement costs the server far more than its few index lookups.
    async fn read_session_with_user(&self, id_hash: &str) -> Result<Option<SessionWithUser>> {
        /// The session's and its person's columns: as many as `no_session!` has NULLs. The person's
        /// credentials (password hash, TOTP secrets) are not read: no signed-in request needs them
        /// (changing them reads the account afresh), and what is read here is kept in memory.
        macro_rules! session_columns {
            () => {
                "s.user_id, s.method, s.csrf, s.created_at, s.last_seen_at, s.expires_at, s.provider_data,
                 u.id, u.provider, u.subject, u.display_name, u.snils, u.email, u.confirmed, u.federal_role,
                 CAST(NULL AS TEXT), CAST(NULL AS TEXT), u.totp_enabled, u.totp_last_step, CAST(NULL AS TEXT),
                 u.last_login_at"
            };
        }
        const SESSION_WIDTH: usize = 21;
        /// The session's columns in the rows of the lists.
        macro_rules! no_session {
            () => {
                "NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
                 NULL, NULL, NULL, NULL, NULL"
            };
        }
        // Part 0 the session and its person, then one list after another, each in its own columns:
        // 1 an operator region, 2 a membership, 3 the latest consent. The first part types every
        // column (PostgreSQL types a union's columns branch by branch).
        const SQL: &str = concat!(
            "SELECT 0 AS part, ",
            session_columns!(),
            ", CAST(NULL AS BIGINT) AS region, CAST(NULL AS TEXT) AS org_oid, CAST(NULL AS TEXT) AS role,
               CAST(NULL AS TEXT) AS source, CAST(NULL AS BIGINT) AS version, CAST(NULL AS BOOLEAN) AS accepted,
               CAST(NULL AS BIGINT) AS at
             FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id_hash = $1
             UNION ALL
             SELECT 1, ",
            no_session!(),
            ", region, NULL, NULL, NULL, NULL, NULL, NULL
             FROM operator_regions WHERE user_id = (SELECT user_id FROM sessions WHERE id_hash = $1)
             UNION ALL
             SELECT 2, ",
            no_session!(),
            ", NULL, org_oid, role, source, NULL, NULL, NULL
             FROM memberships WHERE user_id = (SELECT user_id FROM sessions WHERE id_hash = $1)
             UNION ALL
             SELECT 3, ",
            no_session!(),
            ", NULL, NULL, NULL, NULL, version, accepted, at
             FROM consents WHERE id = (SELECT max(id) FROM consents
                 WHERE user_id = (SELECT user_id FROM sessions WHERE id_hash = $1))
             ORDER BY 1, 23, 24"
        );
        let mut rows = self.query(SQL, vec![id_hash.into()]).await?.into_iter();
        let Some(mut row) = rows.next().filter(|row| row[0].int() == Some(0)) else { return Ok(None) };
        row.truncate(1 + SESSION_WIDTH);
        let mut row = row.split_off(1);
        let record = session_from(&mut row);
        let mut user = super::user_from(row.split_off(7));
        let mut consent = None;
        for mut row in rows {
            // As the lists were read on their own: the part, then the lists' columns.
            row.drain(1..=SESSION_WIDTH);
            match row[0].int() {
                Some(1) => user.operator_regions.extend(row[1].int().and_then(|v| u8::try_from(v).ok())),
                Some(2) => user.memberships.push(super::membership_from(row.split_off(2))),
                _ => {
                    consent = Some(ConsentRecord {
                        version: row[5].int().unwrap_or_default(),
                        accepted: row[6].flag(),
                        at: row[7].int().unwrap_or_default(),
                    })
                }
            }
        }
        Ok(Some((record, user, consent)))
    }

    pub async fn touch_session(&self, id_hash: &str, now: i64) -> Result<()> {
        self.execute("UPDATE sessions SET last_seen_at = $2 WHERE id_hash = $1", vec![id_hash.into(), now.into()])
            .await?;
        self.session_changed(id_hash);
        Ok(())
    }

    pub async fn delete_session(&self, id_hash: &str) -> Result<()> {
        self.execute("DELETE FROM sessions WHERE id_hash = $1", vec![id_hash.into()]).await?;
        self.session_changed(id_hash);
        Ok(())
    }

    /// Ends every session of a person ("sign out everywhere"); returns how many there were.
    pub async fn delete_user_sessions(&self, user_id: i64) -> Result<usize> {
        let ended =
            self.execute("DELETE FROM sessions WHERE user_id = $1 RETURNING user_id", vec![user_id.into()]).await?;
        self.person_changed(user_id);
        Ok(ended.len())
    }

    /// This process forgets at once what it kept of the person (their sessions, and the members
    /// lists they may be on), whom it has just changed; other processes forget on the database's
    /// notice (`backend/postgres/notices.rs`).
    pub(crate) fn person_changed(&self, user_id: i64) {
        if let Store::Postgres(store) = self {
            store.forgetting().forget_person(user_id);
        }
    }

    /// [`Store::person_changed`] for one session.
    fn session_changed(&self, id_hash: &str) {
        if let Store::Postgres(store) = self {
            store.forgetting().forget_session(id_hash);
        }
    }

    pub async fn count_user_sessions(&self, user_id: i64) -> Result<i64> {
        let rows = self.query("SELECT count(*) FROM sessions WHERE user_id = $1", vec![user_id.into()]).await?;
        Ok(rows.first().and_then(|r| r[0].int()).unwrap_or_default())
    }

    pub async fn save_login_flow(&self, state: &str, provider: &str, data: &str, now: i64) -> Result<()> {
        self.transact(vec![
            // Abandoned sign-ins are forgotten after an hour.
            ("DELETE FROM login_flows WHERE created_at < $1", vec![(now - 3600).into()]),
            (
                "INSERT INTO login_flows (state, provider, data, created_at) VALUES ($1, $2, $3, $4)",
                vec![state.into(), provider.into(), data.into(), now.into()],
            ),
        ])
        .await
        .map(drop)
    }

    /// Takes a sign-in under way (once): its provider, data and start time.
    pub async fn take_login_flow(&self, state: &str) -> Result<Option<(String, String, i64)>> {
        let rows = self
            .execute(
                "DELETE FROM login_flows WHERE state = $1 RETURNING provider, data, created_at",
                vec![state.into()],
            )
            .await?;
        Ok(rows.into_iter().next().map(|mut r| {
            (text(&mut r, 0).unwrap_or_default(), text(&mut r, 1).unwrap_or_default(), r[2].int().unwrap_or_default())
        }))
    }

    pub async fn record_consent(&self, user_id: i64, version: i64, accepted: bool, now: i64) -> Result<()> {
        self.execute(
            "INSERT INTO consents (user_id, version, accepted, at) VALUES ($1, $2, $3, $4)",
            vec![user_id.into(), version.into(), accepted.into(), now.into()],
        )
        .await?;
        self.person_changed(user_id);
        Ok(())
    }

    /// Every consent decision of a person, newest first.
    pub async fn consents(&self, user_id: i64) -> Result<Vec<ConsentRecord>> {
        let rows = self
            .query(
                "SELECT version, accepted, at FROM consents WHERE user_id = $1 ORDER BY id DESC",
                vec![user_id.into()],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| ConsentRecord {
                version: r[0].int().unwrap_or_default(),
                accepted: r[1].flag(),
                at: r[2].int().unwrap_or_default(),
            })
            .collect())
    }

    /// The latest access denials (journal entries of kind `denial`), newest first.
    pub async fn denials(&self, limit: i64) -> Result<Vec<DenialRecord>> {
        let entries = self.audit_of_kind("denial", limit).await?;
        Ok(entries
            .into_iter()
            .map(|record| {
                let detail: serde_json::Value = serde_json::from_str(&record.entry.detail).unwrap_or_default();
                let field = |name: &str| detail[name].as_str().unwrap_or_default().to_owned();
                let e = record.entry;
                DenialRecord {
                    at: e.at,
                    user_id: e.user_id,
                    action: field("action"),
                    code: field("code"),
                    target: if e.target == "-" { String::new() } else { e.target },
                    request_id: e.request_id,
                }
            })
            .collect())
    }

    /// Issues a reset link; every older link of the account is voided (only the newest works).
    pub async fn create_password_reset(&self, token_hash: &str, user_id: i64, now: i64, expires_at: i64) -> Result<()> {
        self.transact(vec![
            ("DELETE FROM password_resets WHERE user_id = $1", vec![user_id.into()]),
            (
                "INSERT INTO password_resets (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
                vec![token_hash.into(), user_id.into(), now.into(), expires_at.into()],
            ),
        ])
        .await
        .map(drop)
    }

    /// Uses a reset token once, if it has not expired; returns whose it was.
    pub async fn use_password_reset(&self, token_hash: &str, now: i64) -> Result<Option<i64>> {
        let rows = self
            .execute(
                "UPDATE password_resets SET used_at = $2
                 WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2 RETURNING user_id",
                vec![token_hash.into(), now.into()],
            )
            .await?;
        Ok(rows.first().and_then(|r| r[0].int()))
    }
}
