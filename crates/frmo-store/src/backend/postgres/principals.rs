//! Sessions kept in memory, as every process of one PostgreSQL database may: a signed-in request
//! reads its session with its person's memberships, regions and consent first, and that one
//! statement cost PostgreSQL four times a primary-key lookup — most of a cabinet page.
//!
//! What is kept can never hide a change for longer than a notice takes to arrive:
//! - triggers (migration 0022) announce every change of a session, a person, their operator
//!   regions, memberships or consents on the channel `frmo_principal`, with the person's id,
//!   whichever process or tool made it; each process listens on a connection of its own and forgets
//!   what it kept of that person;
//! - the process that makes a change forgets at once, without waiting for its own notice
//!   ([`PrincipalCache::forget_user`], called by the store's writes);
//! - nothing is kept or served while the listening connection is not listening (not yet, or closed:
//!   notices would be missed), and everything kept is dropped when it stops;
//! - a read that a notice overtook is not kept (the generation counts notices);
//! - and an entry is read anew after [`KEPT_FOR`] whatever happens, should a connection hang
//!   without closing.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};

use tokio::sync::oneshot;
use tokio_postgres::{AsyncMessage, Config, NoTls};

use crate::identity::{ConsentRecord, SessionRecord, UserRecord};

/// A session with its person and their latest consent, as `Store::session_with_user` reads it.
pub type SessionWithUser = (SessionRecord, UserRecord, Option<ConsentRecord>);

/// The channel the triggers of migration 0022 announce changes on.
pub(crate) const CHANNEL: &str = "frmo_principal";
/// How long an entry is served at most: the bound on staleness should a notice be lost with a
/// connection that hangs rather than closes.
const KEPT_FOR: Duration = Duration::from_secs(10);
/// Entries kept at most; the cache starts again when full.
const MAX: usize = 100_000;
/// The wait before the listener connects again.
const RETRY: Duration = Duration::from_secs(1);

struct Entry {
    value: SessionWithUser,
    at: Instant,
}

#[derive(Default)]
struct State {
    /// By session token hash.
    entries: HashMap<String, Entry>,
    /// Whether notices are being received now: nothing is served or kept otherwise.
    listening: bool,
    /// Counts the notices and local changes: a read that started before one is not kept.
    generation: u64,
}

#[derive(Default)]
pub(crate) struct PrincipalCache {
    state: Mutex<State>,
}

impl PrincipalCache {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The session kept for `id_hash`, if it may be served.
    pub(crate) fn get(&self, id_hash: &str) -> Option<SessionWithUser> {
        let state = self.state();
        let entry = state.entries.get(id_hash).filter(|_| state.listening)?;
        (entry.at.elapsed() < KEPT_FOR).then(|| entry.value.clone())
    }

    /// The generation to hand back to [`PrincipalCache::keep`] after a read; `None` when nothing
    /// may be kept now.
    pub(crate) fn generation(&self) -> Option<u64> {
        let state = self.state();
        state.listening.then_some(state.generation)
    }

    /// Keeps what a read that started at `generation` found, unless something changed since.
    pub(crate) fn keep(&self, id_hash: &str, value: &SessionWithUser, generation: u64) {
        let mut state = self.state();
        if !state.listening || state.generation != generation {
            return;
        }
        if state.entries.len() >= MAX {
            state.entries.clear();
        }
        state.entries.insert(id_hash.to_owned(), Entry { value: value.clone(), at: Instant::now() });
    }

    /// Forgets every session of the person `user_id`.
    pub(crate) fn forget_user(&self, user_id: i64) {
        let mut state = self.state();
        state.generation += 1;
        state.entries.retain(|_, entry| entry.value.0.user_id != user_id);
    }

    /// Forgets one session.
    pub(crate) fn forget_session(&self, id_hash: &str) {
        let mut state = self.state();
        state.generation += 1;
        state.entries.remove(id_hash);
    }

    /// Forgets everything kept.
    fn forget_all(&self) {
        let mut state = self.state();
        state.generation += 1;
        state.entries.clear();
    }

    /// Starts or stops serving; either way what was kept is dropped (notices may have been missed).
    fn set_listening(&self, listening: bool) {
        self.forget_all();
        self.state().listening = listening;
    }

    /// What a notice says: a person's id, or anything else (`*`: a table was emptied) for everyone.
    fn notice(&self, payload: &str) {
        match payload.parse() {
            Ok(user_id) => self.forget_user(user_id),
            Err(_) => self.forget_all(),
        }
    }

    /// Whether notices are being received.
    pub(crate) fn listening(&self) -> bool {
        self.state().listening
    }
}

/// Listens for notices on a connection of its own, for as long as `cache` lives and `stop` is not
/// dropped; connects again after [`RETRY`] when it cannot or its connection closes. It serves only
/// once the triggers exist (the migrations may not have run yet).
pub(crate) async fn listen(cache: Weak<PrincipalCache>, config: Config, mut stop: oneshot::Receiver<()>) {
    let mut config = config;
    config.application_name("frmo principal notices");
    loop {
        if let Ok((client, mut connection)) = config.connect(NoTls).await {
            let ready = async {
                client.batch_execute(&format!("LISTEN {CHANNEL}")).await?;
                let row = client
                    .query_one("SELECT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = 'frmo_principal_changed')", &[])
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
                        match (answer, cache.upgrade()) {
                            (Ok(true), Some(cache)) => cache.set_listening(true),
                            (_, None) => return,
                            _ => break, // no triggers yet, or the statements failed: try again later
                        }
                    }
                    message = std::future::poll_fn(|cx| connection.poll_message(cx)) => {
                        let Some(cache) = cache.upgrade() else { return };
                        match message {
                            Some(Ok(AsyncMessage::Notification(notice))) => cache.notice(notice.payload()),
                            Some(Ok(_)) => {}
                            _ => break, // closed, or failed
                        }
                    }
                }
            }
            let Some(cache) = cache.upgrade() else { return };
            if cache.listening() {
                cache.set_listening(false);
                tracing::warn!(
                    "the PostgreSQL connection for session notices closed: sessions are read afresh until it is back"
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
pub(crate) fn start(cache: &Arc<PrincipalCache>, config: &Config) -> oneshot::Sender<()> {
    let (stop, stopped) = oneshot::channel();
    tokio::spawn(listen(Arc::downgrade(cache), config.clone(), stopped));
    stop
}
