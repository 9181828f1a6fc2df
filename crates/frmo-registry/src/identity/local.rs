//! Local accounts, for deployments without ЕСИА and for the first administrator: argon2id
//! passwords, an optional TOTP second factor, lock-out with back-off, and password reset by an
//! expiring one-time link sent by e-mail (only the link's hash is stored).

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use frmo_domain::access::{Actor, FederalRole};
use frmo_domain::error::ValidationError;

use super::{NewSession, acting_user, fill_random, random_token, token_hash, totp};
use crate::{Registry, RegistryError, Result};

/// Failures in a row before the account locks.
pub const LOCK_AFTER: i64 = 5;
/// A reset link lives this long.
pub const RESET_TTL_SECONDS: i64 = 30 * 60;
pub const MIN_PASSWORD_CHARS: usize = 10;
const PROVIDER: &str = "local";

/// Until when an account is locked after `failures` failures in a row at `now`: one minute after
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

fn wrong_credentials() -> RegistryError {
    RegistryError::invalid(ValidationError::new("password", "Пароль", "неверный логин или пароль"))
}

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
        self.authorize(actor, frmo_domain::access::Action::Administer, frmo_domain::access::Target::None, "-").await?;
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
        self.journal(actor, "account", &format!("user:{id}"), detail, "-").await?;
        Ok(id)
    }

    /// Signs in with a login, password and (when enrolled) a one-time code.
    pub async fn local_sign_in(&self, login: &str, password: &str, code: Option<&str>) -> Result<NewSession> {
        let now = self.now();
        let Some(user) = self.store.user_by_subject(PROVIDER, login.trim()).await? else {
            // The same work and the same answer as for a wrong password: logins cannot be probed.
            let _ = password_matches(
                password,
                "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g",
            );
            let detail = serde_json::json!({"login": login.trim(), "reason": "unknown_login"});
            self.journal(&Actor::Anonymous, "sign_in_failed", "-", detail, "-").await?;
            return Err(wrong_credentials());
        };
        if let Some(until) = user.locked_until.filter(|&until| until > now) {
            let minutes = (until - now + 59) / 60;
            return Err(RegistryError::invalid(ValidationError::new(
                "login",
                "Логин",
                format!("вход временно заблокирован после неудачных попыток; повторите через {minutes} мин."),
            )));
        }
        let password_ok = user.password_hash.as_deref().is_some_and(|stored| password_matches(password, stored));
        let code_ok = !user.totp_enabled
            || user
                .totp_secret
                .as_deref()
                .and_then(totp::from_base32)
                .zip(code)
                .is_some_and(|(secret, code)| totp::verify(&secret, code, now));
        if !password_ok || !code_ok {
            let failures = self.store.record_login_failure(user.id, |failures| lock_until(failures, now)).await?;
            let reason = if password_ok { "code" } else { "password" };
            let detail = serde_json::json!({"login": user.subject, "reason": reason, "failures": failures});
            self.journal(&acting_user(user.id), "sign_in_failed", &format!("user:{}", user.id), detail, "-").await?;
            if password_ok {
                return Err(RegistryError::invalid(ValidationError::new(
                    "code",
                    "Код подтверждения",
                    "неверный или устаревший код из приложения",
                )));
            }
            return Err(wrong_credentials());
        }
        let method = if user.totp_enabled { "local-totp" } else { "local" };
        self.start_session(user.id, method, "{}").await
    }

    /// Starts TOTP enrolment: a new secret, not yet required until confirmed with a code.
    pub async fn begin_totp(&self, user_id: i64, account: &str) -> Result<TotpEnrolment> {
        let mut secret = [0u8; 20];
        fill_random(&mut secret);
        let secret_base32 = totp::base32(&secret);
        self.store.set_totp(user_id, Some(&secret_base32), false).await?;
        let otpauth_url = totp::otpauth_url("ФРМО", account, &secret_base32);
        let qr_svg = totp::qr_svg(&otpauth_url);
        Ok(TotpEnrolment { secret_base32, otpauth_url, qr_svg })
    }

    /// Finishes TOTP enrolment: the code proves the app has the secret.
    pub async fn confirm_totp(&self, user_id: i64, code: &str) -> Result<()> {
        let user =
            self.store.user(user_id).await?.ok_or_else(|| RegistryError::NotFound("Пользователь не найден".into()))?;
        let secret = user.totp_secret.as_deref().and_then(totp::from_base32);
        if !secret.is_some_and(|s| totp::verify(&s, code, self.now())) {
            return Err(RegistryError::invalid(ValidationError::new(
                "code",
                "Код",
                "неверный код; проверьте время на телефоне",
            )));
        }
        self.store.set_totp(user_id, user.totp_secret.as_deref(), true).await?;
        self.journal(&acting_user(user_id), "totp_enabled", &format!("user:{user_id}"), serde_json::json!({}), "-")
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
        self.journal(&acting_user(user_id), "password_reset", &format!("user:{user_id}"), detail, "-").await
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
