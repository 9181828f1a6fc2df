//! Reads a process keeps in memory until it learns of a change: the sessions (with their persons'
//! memberships, regions and consent), the organizations' current versions with their regions, and
//! their members and invitations. A signed-in request reads its session first and a cabinet page
//! the other three: each was a statement costing the database more than the rest of the request.
//!
//! How each backend learns of changes is its own: PostgreSQL's store listens for the database's
//! notices (`postgres/notices.rs`), SQLite's asks the file whether anything was committed since
//! (`PRAGMA data_version`, `sqlite/mod.rs`). Either way:
//! - nothing is kept or served while changes cannot be learnt of, and everything kept is dropped
//!   when that stops;
//! - a read that a change overtook is not kept (each cache counts what it was told to forget);
//! - and an entry is read anew after [`KEPT_FOR`] whatever happens.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::Head;
use crate::identity::{ConsentRecord, MemberRecord, SessionRecord, UserRecord};
use crate::invitations::InvitationRecord;

/// A session with its person and their latest consent, as `Store::session_with_user` reads it.
pub type SessionWithUser = (SessionRecord, UserRecord, Option<ConsentRecord>);
/// An organization's members and its invitations, as `Store::members_and_invitations` reads them.
pub type MembersAndInvitations = (Vec<MemberRecord>, Vec<InvitationRecord>);

/// How long an entry is served at most: the bound on staleness should a change be missed (a
/// PostgreSQL connection that hangs rather than closes).
const KEPT_FOR: Duration = Duration::from_secs(10);
/// Entries kept at most per cache; a cache starts again when full.
const MAX: usize = 100_000;

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

    pub(crate) fn forget(&self, key: &str) {
        let mut state = self.state();
        state.generation += 1;
        state.entries.remove(key);
    }

    pub(crate) fn forget_where(&self, matches: impl Fn(&V) -> bool) {
        let mut state = self.state();
        state.generation += 1;
        state.entries.retain(|_, (value, _)| !matches(value));
    }

    pub(crate) fn forget_all(&self) {
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

/// The reads kept, each by its key.
pub(crate) struct KeptReads {
    /// By session token hash.
    pub(crate) sessions: Kept<SessionWithUser>,
    /// By OID.
    pub(crate) heads: Kept<Head>,
    /// By OID: the members alone, for who may not see the invitations.
    pub(crate) members: Kept<Vec<MemberRecord>>,
    /// By OID: the members and the invitations, for who may manage them.
    pub(crate) members_and_invitations: Kept<MembersAndInvitations>,
}

impl Default for KeptReads {
    fn default() -> Self {
        KeptReads {
            sessions: Kept::new(),
            heads: Kept::new(),
            members: Kept::new(),
            members_and_invitations: Kept::new(),
        }
    }
}

impl KeptReads {
    /// Whether changes are being learnt of (and anything kept).
    pub(crate) fn listening(&self) -> bool {
        self.sessions.listening()
    }

    pub(crate) fn set_listening(&self, listening: bool) {
        self.sessions.set_listening(listening);
        self.heads.set_listening(listening);
        self.members.set_listening(listening);
        self.members_and_invitations.set_listening(listening);
    }

    /// The person `user_id` changed: their sessions, and every members list (their name or a
    /// membership may be on it).
    pub(crate) fn forget_person(&self, user_id: i64) {
        self.forget_sessions_of(user_id);
        self.forget_members_lists();
    }

    /// Every session of the person `user_id`.
    pub(crate) fn forget_sessions_of(&self, user_id: i64) {
        self.sessions.forget_where(|(session, _, _)| session.user_id == user_id);
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

    pub(crate) fn forget_everything(&self) {
        self.sessions.forget_all();
        self.heads.forget_all();
        self.forget_members_lists();
    }
}
