//! What every process of one PostgreSQL database may keep in memory, because the database tells it
//! of every change: the sessions (with their persons' memberships, regions and consent), the
//! organizations' current versions with their regions, and their members and invitations. A
//! signed-in request reads its session first and a cabinet page the other three: each was a
//! statement costing PostgreSQL more than the rest of the request.
//!
//! What is kept never hides a change for longer than a notice takes to arrive:
//! - triggers (migration 0022) announce, on the channel `frmo_changes`, every change of a session
//!   (`s:` and its token hash), of a person, their operator regions, memberships or consents (`u:`
//!   and their id), and of an organization's current version, members or invitations (`o:` and its
//!   OID), whichever process or tool made it; each process listens on a connection of its own and
//!   forgets what the notice names;
//! - the process that makes a change forgets at once, without waiting for its own notice (the
//!   store's writes call [`Notices::forget_person`] and the like);
//! - nothing is kept or served while the listening connection is not listening (not yet, or closed:
//!   notices would be missed), and everything kept is dropped when it stops;
//! - a read that a notice overtook is not kept (each cache counts what it was told);
//! - and an entry is read anew after [`KEPT_FOR`] whatever happens, should a connection hang
//!   without closing.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};

use tokio::sync::oneshot;
use tokio_postgres::{AsyncMessage, Config, NoTls};

use crate::Head;
use crate::identity::{ConsentRecord, MemberRecord, SessionRecord, UserRecord};
use crate::invitations::InvitationRecord;

/// A session with its person and their latest consent, as `Store::session_with_user` reads it.
pub type SessionWithUser = (SessionRecord, UserRecord, Option<ConsentRecord>);
/// An organization's members and its invitations, as `Store::members_and_invitations` reads them.
pub type MembersAndInvitations = (Vec<MemberRecord>, Vec<InvitationRecord>);

/// The channel the triggers of migration 0022 announce changes on.
const CHANNEL: &str = "frmo_changes";
/// How long an entry is served at most: the bound on staleness should a notice be lost with a
/// connection that hangs rather than closes.
const KEPT_FOR: Duration = Duration::from_secs(10);
/// Entries kept at most per cache; a cache starts again when full.
const MAX: usize = 100_000;
/// The wait before the listener connects again.
const RETRY: Duration = Duration::from_secs(1);

struct State<V> {
    entries: HashMap<String, (V, Instant)>,
    /// Whether notices are being received now: nothing is served or kept otherwise.
    listening: bool,
    /// Counts what this cache was told to forget: a read that started before it is not kept.
    generation: u64,
}

/// Values by key, served while notices are received.
pub(crate) struct Kept<V> {
    state: Mutex<State<V>>,
}

impl<V: Clone> Kept<V> {
    fn new() -> Self {
        Kept { state: Mutex::new(State { entries: HashMap::new(), listening: false, generation: 0 }) }
    }

    fn state(&self) -> MutexGuard<'_, State<V>> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The value kept for `key`, else what `read` finds, kept unless something was forgotten
    /// meanwhile. `None` is never kept.
    pub(crate) async fn through(
        &self,
        key: &str,
        read: impl Future<Output = crate::Result<Option<V>>>,
    ) -> crate::Result<Option<V>> {
        let generation = {
            let state = self.state();
            match state.entries.get(key) {
                _ if !state.listening => None,
                Some((value, at)) if at.elapsed() < KEPT_FOR => return Ok(Some(value.clone())),
                _ => Some(state.generation),
            }
        };
        let Some(generation) = generation else { return read.await };
        let found = read.await?;
        if let Some(value) = &found {
            let mut state = self.state();
            if state.listening && state.generation == generation {
                if state.entries.len() >= MAX {
                    state.entries.clear();
                }
                state.entries.insert(key.to_owned(), (value.clone(), Instant::now()));
            }
        }
        Ok(found)
    }

    fn forget(&self, key: &str) {
        let mut state = self.state();
        state.generation += 1;
        state.entries.remove(key);
    }

    fn forget_where(&self, matches: impl Fn(&V) -> bool) {
        let mut state = self.state();
        state.generation += 1;
        state.entries.retain(|_, (value, _)| !matches(value));
    }

    fn forget_all(&self) {
        let mut state = self.state();
        state.generation += 1;
        state.entries.clear();
    }

    /// Starts or stops serving; either way what was kept is dropped (notices may have been missed).
    fn set_listening(&self, listening: bool) {
        let mut state = self.state();
        state.generation += 1;
        state.entries.clear();
        state.listening = listening;
    }

    fn listening(&self) -> bool {
        self.state().listening
    }
}

/// The caches the notices keep true.
pub(crate) struct Notices {
    /// By session token hash.
    pub(crate) sessions: Kept<SessionWithUser>,
    /// By OID.
    pub(crate) heads: Kept<Head>,
    /// By OID: the members alone, for who may not see the invitations.
    pub(crate) members: Kept<Vec<MemberRecord>>,
    /// By OID: the members and the invitations, for who may manage them.
    pub(crate) members_and_invitations: Kept<MembersAndInvitations>,
}

impl Default for Notices {
    fn default() -> Self {
        Notices {
            sessions: Kept::new(),
            heads: Kept::new(),
            members: Kept::new(),
            members_and_invitations: Kept::new(),
        }
    }
}

impl Notices {
    /// Whether notices are being received (and anything kept).
    pub(crate) fn listening(&self) -> bool {
        self.sessions.listening()
    }

    fn set_listening(&self, listening: bool) {
        self.sessions.set_listening(listening);
        self.heads.set_listening(listening);
        self.members.set_listening(listening);
        self.members_and_invitations.set_listening(listening);
    }

    /// The person `user_id` changed: their sessions, and every members list (their name or a
    /// membership may be on it).
    pub(crate) fn forget_person(&self, user_id: i64) {
        self.sessions.forget_where(|(session, _, _)| session.user_id == user_id);
        self.forget_members_lists();
    }

    pub(crate) fn forget_session(&self, id_hash: &str) {
        self.sessions.forget(id_hash);
    }

    /// The organization `oid` changed: its current version, its members or its invitations.
    pub(crate) fn forget_organization(&self, oid: &str) {
        self.heads.forget(oid);
        self.members.forget(oid);
        self.members_and_invitations.forget(oid);
    }

    /// Every organization's current version (a bulk write changed many).
    pub(crate) fn forget_current_versions(&self) {
        self.heads.forget_all();
    }

    fn forget_members_lists(&self) {
        self.members.forget_all();
        self.members_and_invitations.forget_all();
    }

    fn forget_everything(&self) {
        self.sessions.forget_all();
        self.heads.forget_all();
        self.forget_members_lists();
    }

    /// What a notice says (`s:hash`, `u:id`, `o:oid`, `o:*`); anything else (`*`: a table was
    /// emptied) forgets everything.
    fn notice(&self, payload: &str) {
        match payload.split_once(':') {
            Some(("s", id_hash)) => self.forget_session(id_hash),
            Some(("u", user_id)) => match user_id.parse::<i64>() {
                Ok(user_id) => self.sessions.forget_where(|(session, _, _)| session.user_id == user_id),
                Err(_) => self.forget_everything(),
            },
            Some(("o", "*")) => {
                self.heads.forget_all();
                self.forget_members_lists();
            }
            Some(("o", oid)) => self.forget_organization(oid),
            _ => self.forget_everything(),
        }
    }
}

/// Listens for notices on a connection of its own, for as long as `notices` lives and `stop` is
/// not dropped; connects again after [`RETRY`] when it cannot or its connection closes. It serves
/// only once the triggers exist (the migrations may not have run yet).
async fn listen(notices: Weak<Notices>, config: Config, mut stop: oneshot::Receiver<()>) {
    let mut config = config;
    config.application_name("frmo change notices");
    loop {
        if let Ok((client, mut connection)) = config.connect(NoTls).await {
            let ready = async {
                client.batch_execute(&format!("LISTEN {CHANNEL}")).await?;
                let row = client
                    .query_one("SELECT EXISTS (SELECT 1 FROM pg_proc WHERE proname = 'frmo_announce_person')", &[])
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
                            Some(Ok(AsyncMessage::Notification(notice))) => notices.notice(notice.payload()),
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
pub(crate) fn start(notices: &Arc<Notices>, config: &Config) -> oneshot::Sender<()> {
    let (stop, stopped) = oneshot::channel();
    tokio::spawn(listen(Arc::downgrade(notices), config.clone(), stopped));
    stop
}
