//! How PostgreSQL's store learns of changes to what it keeps (`backend/kept.rs`): triggers
//! (migration 0022) announce, on the channel `frmo_changes`, every change of a session (`s:` and
//! its token hash), of a person, their operator regions, memberships or consents (`u:` and their
//! id), and of an organization's current version, members or invitations (`o:` and its OID),
//! whichever process or tool made it. Each process listens on a connection of its own and forgets
//! what the notice names; the process that makes a change forgets at once, without waiting for its
//! own notice (the store's writes call `KeptReads::forget_person` and the like). Nothing is kept
//! while the listening connection is not listening.

use std::sync::{Arc, Weak};
use std::time::Duration;

use tokio::sync::oneshot;
use tokio_postgres::{AsyncMessage, Config, NoTls};

use crate::backend::kept::KeptReads;

/// The channel the triggers of migration 0022 announce changes on.
const CHANNEL: &str = "frmo_changes";
/// The wait before the listener connects again.
const RETRY: Duration = Duration::from_secs(1);

/// What a notice says (`s:hash`, `u:id`, `o:oid`); anything else (`*`: a table was emptied)
/// forgets everything.
fn apply(kept: &KeptReads, payload: &str) {
    match payload.split_once(':') {
        Some(("s", id_hash)) => kept.forget_session(id_hash),
        Some(("u", user_id)) => match user_id.parse::<i64>() {
            Ok(user_id) => kept.forget_sessions_of(user_id),
            Err(_) => kept.forget_everything(),
        },
        Some(("o", oid)) => kept.forget_organization(oid),
        _ => kept.forget_everything(),
    }
}

/// Listens for notices on a connection of its own, for as long as `notices` lives and `stop` is
/// not dropped; connects again after [`RETRY`] when it cannot or its connection closes. It serves
/// only once the triggers exist (the migrations may not have run yet).
async fn listen(notices: Weak<KeptReads>, config: Config, mut stop: oneshot::Receiver<()>) {
    let mut config = config;
    config.application_name("frmo change notices");
    loop {
        if let Ok((client, mut connection)) = config.connect(NoTls).await {
            let ready = async {
                client.batch_execute(&format!("LISTEN {CHANNEL}")).await?;
                let row = client
                    .query_one("SELECT EXISTS (SELECT 1 FROM pg_proc WHERE proname = 'frmo_announce_row')", &[])
                    .await?;
                Ok::<bool, tokio_postgres::Error>(row.get(0))
            };
            let mut ready = std::pin::pin!(ready);
            let mut started = false;
            loop {
                tokio::select! {
                    _ = &mut stop => return,
                    answer = &mut ready, if !started => {
                        started = true;
                        match (answer, notices.upgrade()) {
                            (Ok(true), Some(notices)) => notices.set_listening(true),
                            (_, None) => return,
                            _ => break, // no triggers yet, or the statements failed: try again later
                        }
                    }
                    message = std::future::poll_fn(|cx| connection.poll_message(cx)) => {
                        let Some(notices) = notices.upgrade() else { return };
                        match message {
                            Some(Ok(AsyncMessage::Notification(notice))) => apply(&notices, notice.payload()),
                            Some(Ok(_)) => {}
                            _ => break, // closed, or failed
                        }
                    }
                }
            }
            let Some(notices) = notices.upgrade() else { return };
            if notices.listening() {
                notices.set_listening(false);
                tracing::warn!(
                    "the PostgreSQL connection for change notices closed: reads go to the database until it is back"
                );
            }
        }
        tokio::select! {
            _ = &mut stop => return,
            () = tokio::time::sleep(RETRY) => {}
        }
    }
}

/// Starts [`listen`] for a store; the listener ends when the returned sender is dropped.
pub(crate) fn start(notices: &Arc<KeptReads>, config: &Config) -> oneshot::Sender<()> {
    let (stop, stopped) = oneshot::channel();
    tokio::spawn(listen(Arc::downgrade(notices), config.clone(), stopped));
    stop
}
