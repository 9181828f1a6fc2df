//! Notifications: a line in the person's cabinet and, when they have an address, an e-mail queued
//! in the outbox in the same transaction as what it tells about; and the worker that empties the
//! outbox through SMTP. Delivery is at least once: a message is claimed with a lease, sent, then
//! marked; a crash between the last two sends it again, with the same `Message-ID`
//! (`<outbox-ID@frmo>`) so mail systems can drop the copy.

use std::time::Duration;

use frmo_store::outbox::{MailRecord, mail_statement, notification_statement};
use frmo_store::sql::Statement;
use lettre::message::{Mailbox, header::ContentType};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::{Registry, Result};

/// Attempts before a message is given up.
pub const MAX_ATTEMPTS: i64 = 8;
/// How long a worker holds a claimed message before another may take it.
const LEASE_SECONDS: i64 = 120;

/// Seconds to wait after the `attempts`-th failure: 30 s, 1 min, 2 min … at most an hour.
pub fn retry_delay(attempts: i64) -> i64 {
    (30i64 << attempts.clamp(0, 7)).min(3600)
}

/// An SMTP relay and the sender's address.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Mailer {
    /// Plain SMTP to `host:port` (a relay on the same network; TLS is not in this build).
    pub fn smtp(host: &str, port: u16, from: &str) -> std::result::Result<Self, String> {
        let from = from.parse::<Mailbox>().map_err(|e| format!("адрес отправителя «{from}»: {e}"))?;
        let transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
            .port(port)
            .timeout(Some(Duration::from_secs(20)))
            .build();
        Ok(Mailer { transport, from })
    }
}

/// What one run of the worker did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Delivery {
    pub sent: usize,
    pub retried: usize,
    pub given_up: usize,
}

/// Why a message failed, and whether trying again could help.
fn send_error(error: &lettre::transport::smtp::Error) -> (String, bool) {
    (error.to_string(), !error.is_permanent())
}

impl Registry {
    /// The statements that tell `user_id` something: a notification in the cabinet and, when the
    /// person has an e-mail address, a message in the outbox. `link` is a path of the registry.
    pub(crate) async fn notice(&self, user_id: i64, title: &str, body: &str, link: &str) -> Result<Vec<Statement>> {
        let now = self.now();
        let mut statements = vec![notification_statement(user_id, title, body, link, now)];
        if let Some(email) = self.store.user_label(user_id).await?.and_then(|u| u.email) {
            let text = format!(
                "{body}\n\nОткрыть: {}{link}\n\n— Реестр медицинских организаций. Это письмо отправлено автоматически.",
                self.public_url()
            );
            statements.push(mail_statement(&email, title, &text, now));
        }
        Ok(statements)
    }

    /// Sends what is due in the outbox (up to `limit` messages); failures wait and are retried.
    pub async fn deliver_mail(&self, mailer: &Mailer, limit: i64) -> Result<Delivery> {
        let mut delivery = Delivery::default();
        let claimed = self.store.claim_mail(self.now(), LEASE_SECONDS, limit).await?;
        for message in claimed {
            match self.send(mailer, &message).await {
                Ok(()) => {
                    self.store.mail_sent(message.id, self.now()).await?;
                    delivery.sent += 1;
                }
                Err((error, transient)) => {
                    let attempts = message.attempts + 1;
                    let retry = (transient && attempts < MAX_ATTEMPTS).then(|| self.now() + retry_delay(attempts - 1));
                    tracing::warn!(id = message.id, attempts, %error, given_up = retry.is_none(), "mail not delivered");
                    self.store.mail_failed(message.id, self.now(), &error, retry).await?;
                    if retry.is_some() {
                        delivery.retried += 1;
                    } else {
                        delivery.given_up += 1;
                    }
                }
            }
        }
        Ok(delivery)
    }

    async fn send(&self, mailer: &Mailer, message: &MailRecord) -> std::result::Result<(), (String, bool)> {
        let to =
            message.recipient.parse::<Mailbox>().map_err(|e| (format!("адрес «{}»: {e}", message.recipient), false))?;
        let email = Message::builder()
            .from(mailer.from.clone())
            .to(to)
            .subject(&message.subject)
            .message_id(Some(format!("<outbox-{}@frmo>", message.id)))
            .header(ContentType::TEXT_PLAIN)
            .body(message.body.clone())
            .map_err(|e| (e.to_string(), false))?;
        mailer.transport.send(email).await.map(drop).map_err(|e| send_error(&e))
    }

    /// Empties the outbox every `every` until the process ends (`frmo serve` with `[mail]`).
    pub fn spawn_mail_worker(&self, mailer: Mailer, every: Duration) -> tokio::task::JoinHandle<()> {
        let registry = self.clone();
        tokio::spawn(async move {
            loop {
                match registry.deliver_mail(&mailer, 50).await {
                    Ok(delivery) if delivery.sent == 50 => continue,
                    Ok(_) => {}
                    Err(error) => tracing::error!(%error, "the mail worker failed; it will try again"),
                }
                tokio::time::sleep(every).await;
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_to_an_hour() {
        assert_eq!(retry_delay(0), 30);
        assert_eq!(retry_delay(1), 60);
        assert_eq!(retry_delay(3), 240);
        assert_eq!(retry_delay(7), 3600);
        assert_eq!(retry_delay(40), 3600);
    }
}
