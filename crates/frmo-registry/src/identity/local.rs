//! Local accounts, for deployments without ЕСИА and for the first administrator: argon2id
//! passwords, an optional TOTP second factor, lock-out with back-off, and password reset by an
//! expiring one-time link sent by e-mail (only the link's hash is stored).
//!
//! Sign-in reveals nothing it need not: an unknown login, a wrong password and a right password
//! with a wrong or replayed code get one answer, after the same password work. Failures are counted
//! per login *and client address*, so the back-off slows whoever guesses without letting anyone
//! lock the owner out from elsewhere; an unknown login is counted exactly like a known one.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use frmo_domain::access::{Actor, FederalRole};
use frmo_domain::error::ValidationError;

use super::{NewSession, acting_user, fill_random, random_token, token_hash, totp};
use crate::Caller;
use crate::{Registry, RegistryError, Result};

/// Failures in a row (per login and client address) before sign-in is held back.
pub const LOCK_AFTER: i64 = 5;
/// A reset link lives this long.
pub const RESET_TTL_SECONDS: i64 = 30 * 60;
pub const MIN_PASSWORD_CHARS: usize = 10;
const PROVIDER: &str = "local";

/// Until when sign-in is held back after `failures` failures in a row at `now`: one minute after
/// the fifth, doubling with each further failure, at most a day.
pub fn lock_until(failures: i64, now: i64) -> Option<i64> {
    (failures >= LOCK_AFTER).then(|| now + (60i64 << (failures - LOCK_AFTER).min(10)).min(86_400))
}

pub fn hash_password(password: &str) -> Result<String> {
    let mut salt = [0u8; 16];
    fill_random(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| RegistryError::Conflict(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| RegistryError::Conflict(format!("пароль не удалось обработать: {e}")))
}

fn password_matches(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored).is_ok_and(|hash| Argon2::default().verify_password(password.as_bytes(), &hash).is_ok())
}

fn check_password_rules(password: &str) -> Result<()> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(RegistryError::invalid(ValidationError::new(
            "password",
            "Пароль",
            format!("не короче {MIN_PASSWORD_CHARS} символов"),
        )));
    }
    Ok(())
}

/// The one answer to an unknown login, a wrong password, and a wrong or replayed code.
fn wrong_credentials() -> RegistryError {
    RegistryError::invalid(ValidationError::new("password", "Пароль", "неверный логин, пароль или одноразовый код"))
}

fn wrong_code() -> RegistryError {
    RegistryError::invalid(ValidationError::new(
        "code",
        "Код",
        "неверный или уже использованный код; введите новый код из приложения",
    ))
}

/// A stand-in hash verified for an unknown login: the same argon2 work as for a real account.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g";

/// A local account to create.
#[derive(Debug, Clone, Copy)]
pub struct NewLocalUser<'a> {
    pub login: &'a str,
    pub name: &'a str,
    pub email: Option<&'a str>,
    pub password: &'a str,
    pub role: Option<FederalRole>,
    pub regions: &'a [u8],
}

/// A TOTP enrolment in progress: the secret to show, its address and the QR code.
#[derive(Debug, Clone)]
pub struct TotpEnrolment {
    pub secret_base32: String,
    pub otpauth_url: String,
    pub qr_svg: String,
}

impl Registry {
    /// Creates a local account (command line: `frmo user add`).
    pub async fn add_local_user(&self, actor: &Actor, account: &NewLocalUser<'_>) -> Result<i64> {
        self.authorize(
            &Caller::new(actor.clone(), "-"),
            frmo_domain::access::Action::Administer,
            frmo_domain::access::Target::None,
        )
        .await?;
        let NewLocalUser { login, name, email, password, role, regions } = *account;
        let login = login.trim();
        if login.is_empty() || login.chars().any(char::is_whitespace) {
            return Err(RegistryError::invalid(ValidationError::new("login", "Логин", "без пробелов и не пустой")));
        }
        if let Some(bad) = regions.iter().find(|&&code| frmo_domain::ident::RegionCode::from_code(code).is_none()) {
            return Err(RegistryError::invalid(ValidationError::new(
                "region",
                "Регион",
                format!("нет субъекта РФ с кодом {bad}"),
            )));
        }
        check_password_rules(password)?;
        let hash = hash_password(password)?;
        let id = self.store.create_local_user(login, name, email, self.now()).await?;
        self.store.set_password_hash(id, &hash).await?;
        self.store.set_staff_roles(id, role.map(FederalRole::as_str), regions).await?;
        let detail = serde_json::json!({"created": login, "role": role.map(FederalRole::as_str), "regions": regions});
        self.journal(&Caller::new(actor.clone(), "-"), "account", &format!("user:{id}"), detail).await?;
        Ok(id)
    }

    /// Signs in with a login, password and (when enrolled) a one-time code, from `client` (the
    /// client's address: failures are counted per login and address).
    pub async fn local_sign_in(
        &self,
        login: &str,
        password: &str,
        code: Option<&str>,
        client: &str,
    ) -> Result<NewSession> {
        let now = self.now();
        let login = login.trim();
        self.check_not_held_back(login, client, now).await?;
        let user = self.store.user_by_subject(PROVIDER, login).await?;
        // The same password work whether or not the login exists: logins cannot be told by time.
        let stored = user.as_ref().and_then(|u| u.password_hash.as_deref()).unwrap_or(DUMMY_HASH);
        let password_ok = password_matches(password, stored);
        let Some(user) = user else {
            return Err(self.sign_in_failed(login, client, None, "unknown_login", now).await?);
        };
        if !password_ok {
            return Err(self.sign_in_failed(login, client, Some(user.id), "password", now).await?);
        }
        // A code is taken only with the right password, and only once.
        let code_ok = !user.totp_enabled || self.take_code(&user, user.totp_secret.as_deref(), code, now).await?;
        if !code_ok {
            return Err(self.sign_in_failed(login, client, Some(user.id), "code", now).await?);
        }
        self.store.clear_login_failures(login, client).await?;
        let method = if user.totp_enabled { "local-totp" } else { "local" };
        self.start_session(user.id, method, "{}").await
    }

    /// Refuses while sign-in with `login` from `client` is held back after failures.
    async fn check_not_held_back(&self, login: &str, client: &str, now: i64) -> Result<()> {
        match self.store.login_locked_until(login, client, now).await? {
            Some(until) => Err(RegistryError::invalid(ValidationError::new(
                "login",
                "Логин",
                format!(
                    "вход временно приостановлен после неудачных попыток; повторите через {} мин.",
                    (until - now + 59) / 60
                ),
            ))),
            None => Ok(()),
        }
    }

    /// Counts and journals a failed sign-in; the answer to give (the same whatever failed).
    async fn sign_in_failed(
        &self,
        login: &str,
        client: &str,
        user_id: Option<i64>,
        reason: &str,
        now: i64,
    ) -> Result<RegistryError> {
        let failures =
            self.store.record_login_failure(login, client, now, |failures| lock_until(failures, now)).await?;
        let detail = serde_json::json!({"login": login, "reason": reason, "failures": failures, "client": client});
        let (actor, target) = match user_id {
            Some(id) => (acting_user(id), format!("user:{id}")),
            None => (Actor::Anonymous, "-".to_owned()),
        };
        self.journal(&Caller::new(actor, "-"), "sign_in_failed", &target, detail).await?;
        Ok(wrong_credentials())
    }

    /// Whether `code` is a current code of `secret` not used before; if so it is used up.
    async fn take_code(
        &self,
        user: &frmo_store::identity::UserRecord,
        secret: Option<&str>,
        code: Option<&str>,
        now: i64,
    ) -> Result<bool> {
        let step = secret.and_then(totp::from_base32).zip(code).and_then(|(s, c)| totp::verify_step(&s, c, now));
        match step {
            Some(step) => Ok(self.store.use_totp_step(user.id, step).await?),
            None => Ok(false),
        }
    }

    /// A current code of the second factor in force, for changing it (re-enrolling, switching off):
    /// a wrong code counts as a failed sign-in of the account from `client`.
    async fn require_current_code(
        &self,
        user: &frmo_store::identity::UserRecord,
        code: Option<&str>,
        client: &str,
    ) -> Result<()> {
        let now = self.now();
        self.check_not_held_back(&user.subject, client, now).await?;
        if self.take_code(user, user.totp_secret.as_deref(), code, now).await? {
            return Ok(());
        }
        self.store.record_login_failure(&user.subject, client, now, |failures| lock_until(failures, now)).await?;
        let detail = serde_json::json!({"login": user.subject, "reason": "code", "client": client});
        self.journal(
            &Caller::new(acting_user(user.id), "-"),
            "totp_change_refused",
            &format!("user:{}", user.id),
            detail,
        )
        .await?;
        Err(wrong_code())
    }

    async fn local_user(&self, user_id: i64) -> Result<frmo_store::identity::UserRecord> {
        self.store.user(user_id).await?.ok_or_else(|| RegistryError::NotFound("Пользователь не найден".into()))
    }

    /// Starts TOTP enrolment: a new secret, kept beside the one in force until confirmed with a
    /// code. When a second factor is already on, replacing it needs a current code from it.
    pub async fn begin_totp(&self, user_id: i64, current_code: Option<&str>, client: &str) -> Result<TotpEnrolment> {
        let user = self.local_user(user_id).await?;
        if user.totp_enabled {
            self.require_current_code(&user, current_code, client).await?;
        }
        let mut secret = [0u8; 20];
        fill_random(&mut secret);
        self.store.set_totp_pending(user_id, &totp::base32(&secret)).await?;
        self.pending_totp(user_id).await?.ok_or_else(|| RegistryError::NotFound("Пользователь не найден".into()))
    }

    /// The enrolment in progress (its secret waits for a code), to show again after a wrong code.
    pub async fn pending_totp(&self, user_id: i64) -> Result<Option<TotpEnrolment>> {
        let user = self.local_user(user_id).await?;
        Ok(user.totp_pending_secret.map(|secret_base32| {
            let otpauth_url = totp::otpauth_url("ФРМО", &user.subject, &secret_base32);
            let qr_svg = totp::qr_svg(&otpauth_url);
            TotpEnrolment { secret_base32, otpauth_url, qr_svg }
        }))
    }

    /// Finishes TOTP enrolment: the code proves the app has the new secret, which then replaces the
    /// old one (the code is used up: it does not sign in again).
    pub async fn confirm_totp(&self, user_id: i64, code: &str) -> Result<()> {
        let user = self.local_user(user_id).await?;
        let pending = user.totp_pending_secret.as_deref();
        let step = pending.and_then(totp::from_base32).and_then(|s| totp::verify_step(&s, code, self.now()));
        let (Some(secret), Some(step)) = (pending, step) else {
            return Err(RegistryError::invalid(ValidationError::new(
                "code",
                "Код",
                "неверный код; проверьте время на телефоне",
            )));
        };
        if !self.store.activate_totp(user_id, secret, step).await? {
            return Err(RegistryError::Conflict("Подключение приложения начато заново; введите код из нового".into()));
        }
        let detail = serde_json::json!({"replaced": user.totp_enabled});
        self.journal(&Caller::new(acting_user(user_id), "-"), "totp_enabled", &format!("user:{user_id}"), detail).await
    }

    /// Switches the second factor off; needs a current code from it.
    pub async fn disable_totp(&self, user_id: i64, code: Option<&str>, client: &str) -> Result<()> {
        let user = self.local_user(user_id).await?;
        if !user.totp_enabled {
            return Ok(());
        }
        self.require_current_code(&user, code, client).await?;
        self.store.disable_totp(user_id).await?;
        self.journal(
            &Caller::new(acting_user(user_id), "-"),
            "totp_disabled",
            &format!("user:{user_id}"),
            serde_json::json!({}),
        )
        .await
    }

    /// Sends a one-time reset link to the account's e-mail. Answers the same whether or not the
    /// account exists, so addresses cannot be probed.
    pub async fn request_password_reset(&self, login_or_email: &str, base_url: &str) -> Result<()> {
        let key = login_or_email.trim();
        let user = match self.store.user_by_subject(PROVIDER, key).await? {
            Some(user) => Some(user),
            None => self.store.user_by_email(PROVIDER, key).await?,
        };
        let Some((user, email)) = user.and_then(|u| u.email.clone().map(|e| (u, e))) else { return Ok(()) };
        let now = self.now();
        // Over the account's hourly share nothing is sent, and the answer stays the same.
        if !self.limits.allow_reset_mail(user.id, now) {
            tracing::warn!(user = user.id, "password reset e-mail refused: over the hourly limit");
            return Ok(());
        }
        let token = random_token();
        self.store.create_password_reset(&token_hash(&token), user.id, now, now + RESET_TTL_SECONDS).await?;
        let body = format!(
            "Здравствуйте, {}!\n\nКто-то (возможно, вы) запросил смену пароля в реестре медицинских организаций.\n\
             Чтобы задать новый пароль, откройте ссылку в течение 30 минут:\n{}/login/reset/{token}\n\n\
             Если вы не запрашивали смену пароля, ничего не делайте: пароль останется прежним.",
            user.display_name,
            base_url.trim_end_matches('/')
        );
        Ok(self.store.queue_mail(&email, "Смена пароля в реестре медицинских организаций", &body, now).await?)
    }

    /// Sets a new password by a reset link; the link works once. All sessions of the account end.
    pub async fn reset_password(&self, token: &str, new_password: &str) -> Result<()> {
        check_password_rules(new_password)?;
        let Some(user_id) = self.store.use_password_reset(&token_hash(token), self.now()).await? else {
            return Err(RegistryError::invalid(ValidationError::new(
                "token",
                "Ссылка",
                "ссылка для смены пароля недействительна, уже использована или устарела; запросите новую",
            )));
        };
        self.store.set_password_hash(user_id, &hash_password(new_password)?).await?;
        let ended = self.store.delete_user_sessions(user_id).await?;
        let detail = serde_json::json!({"sessionsEnded": ended});
        self.journal(&Caller::new(acting_user(user_id), "-"), "password_reset", &format!("user:{user_id}"), detail)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_out_backs_off_and_is_capped() {
        assert_eq!(lock_until(4, 0), None);
        assert_eq!(lock_until(5, 0), Some(60));
        assert_eq!(lock_until(6, 0), Some(120));
        assert_eq!(lock_until(30, 0), Some(61_440));
        assert_eq!(lock_until(1000, 0), Some(61_440));
    }

    #[test]
    fn argon2id_hashes_verify() {
        let hash = hash_password("правильный пароль").expect("hash");
        assert!(hash.starts_with("$argon2id$"));
        assert!(password_matches("правильный пароль", &hash));
        assert!(!password_matches("неправильный пароль", &hash));
    }
}
