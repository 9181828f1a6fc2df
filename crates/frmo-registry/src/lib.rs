//! What people can do to the registry: every use case as a method that authorizes the actor,
//! validates, and reads or writes through the store. The only place that decides access.

// The contexts of the register, each in its folder; its `mod.rs` is its facade: what the context
// offers (its use cases, as methods of [`Registry`], and its types). `docs/architecture.md` draws them.
pub mod documents;
pub mod identity;
pub mod integration;
pub mod moderation;
pub mod register;
pub mod reports;
pub mod support;
pub mod workers;

// Shared by the contexts.
mod cache;
pub mod csv;
mod error;
pub mod limits;
pub mod mail;
pub mod operations;
pub mod seed;

use std::sync::Arc;

use frmo_domain::access::{Action, Actor, Decision, Target, decide};
use frmo_domain::org::Organization;
use frmo_store::search::index::SearchIndex;
use frmo_store::{CardRow, Store};
use time::{Date, OffsetDateTime, Time};

pub use error::RegistryError;
pub use identity::caller::Caller;
pub use register::search::{SearchPage, SearchParams};

pub type Result<T, E = RegistryError> = std::result::Result<T, E>;

/// The most result rows the registry keeps (a few hundred bytes each).
const LISTED_MAX: usize = 50_000;
/// The most current cards the open register keeps (a few kilobytes each).
const CARDS_MAX: usize = 20_000;
/// The most parsed current cards kept for pages (≈ 10 KB each with their JSON): the cabinets in
/// use at once.
const PARSED_MAX: usize = 10_000;

/// The registry: the store and the search index that follows it. Cheap to clone.
#[derive(Clone)]
pub struct Registry {
    store: Arc<Store>,
    index: Arc<SearchIndex>,
    /// False for batch commands opened with [`Registry::open_unindexed`]: bulk writes then leave
    /// the index alone instead of building it from the whole register.
    indexed: bool,
    clock_offset: Arc<std::sync::atomic::AtomicI64>,
    session_policy: identity::SessionPolicy,
    moderation: Arc<moderation::requests::Moderation>,
    /// The address people reach the registry at (links in e-mails).
    public_url: Arc<str>,
    /// Document files and their settings; `None` where documents are not kept (some tests).
    documents: Option<Arc<documents::Documents>>,
    /// Reset e-mails per account, attachments of the anonymous (from configuration).
    limits: Arc<limits::Limits>,
    /// The journal of integration-API calls, written in groups.
    calls: Arc<moderation::journal::GroupCommit>,
    /// Card versions as the integration API's organization model, already written.
    ips_rendered: Arc<integration::ips::Rendered>,
    /// Card versions as a FHIR Organization, as the web face wrote them.
    fhir_written: Arc<cache::VersionCache<Arc<str>>>,
    /// Result rows of card versions, as search lists them.
    listed: Arc<cache::VersionCache<register::search::ListedOrganization>>,
    /// The open register's current cards as stored, by version id.
    cards: Arc<cache::VersionCache<CardVersion>>,
    /// Current cards parsed for pages, by version id.
    parsed: Arc<cache::VersionCache<Arc<Card>>>,
    /// The installed directories as last taken up (id, version, installed at), once installed.
    directories_seen: Arc<std::sync::Mutex<Option<register::directories::Stamp>>>,
    /// This process's part in running background jobs.
    jobs: Arc<reports::jobs::JobRunner>,
}

/// A version of an organization's card: its id (the ETag), when it took effect, and the card's
/// JSON as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct CardVersion {
    pub version_id: i64,
    pub valid_from: OffsetDateTime,
    pub card: String,
}

impl From<CardRow> for CardVersion {
    fn from(row: CardRow) -> Self {
        let CardRow { version_id, valid_from, card, .. } = row;
        CardVersion { version_id, valid_from, card }
    }
}

/// A card as stored: its JSON and the version it is.
#[derive(Clone)]
pub struct Card {
    pub row: CardVersion,
    pub organization: Organization,
}

/// The instant a date "as of" means: the state at the end of that day (UTC).
pub fn end_of_day(date: Date) -> OffsetDateTime {
    date.next_day().unwrap_or(date).with_time(Time::MIDNIGHT).assume_utc() - time::Duration::microseconds(1)
}

impl Registry {
    /// Opens the registry over a migrated store and builds the search index from it.
    pub async fn open(store: Store) -> Result<Self> {
        let mut registry = Self::open_unindexed(store);
        registry.indexed = true;
        registry.refresh_index().await?;
        Ok(registry)
    }

    /// Opens the registry without building the search index (batch commands that never search:
    /// exports, imports of workers). The index fills on the first refresh, e.g. after a write.
    pub fn open_unindexed(store: Store) -> Self {
        Registry {
            store: Arc::new(store),
            index: Arc::new(SearchIndex::new()),
            indexed: false,
            clock_offset: Arc::default(),
            session_policy: identity::SessionPolicy::default(),
            moderation: Arc::default(),
            public_url: Arc::from("http://127.0.0.1:8080"),
            documents: None,
            limits: Arc::default(),
            calls: Arc::default(),
            ips_rendered: Arc::new(integration::ips::Rendered::new(integration::ips::RENDERED_MAX)),
            fhir_written: Arc::new(cache::VersionCache::new(integration::ips::RENDERED_MAX)),
            listed: Arc::new(cache::VersionCache::new(LISTED_MAX)),
            cards: Arc::new(cache::VersionCache::new(CARDS_MAX)),
            parsed: Arc::new(cache::VersionCache::new(PARSED_MAX)),
            directories_seen: Arc::default(),
            jobs: Arc::default(),
        }
    }

    /// How this process runs background jobs: lease, attempts, jobs at once (from configuration).
    pub fn with_job_settings(mut self, settings: reports::jobs::JobSettings) -> Self {
        self.jobs = Arc::new(reports::jobs::JobRunner::new(settings));
        self
    }

    /// What the registry limits itself: reset e-mails per account, anonymous attachments.
    pub fn with_limits(mut self, settings: limits::RegistryLimits) -> Self {
        self.limits = Arc::new(limits::Limits::new(settings));
        self
    }

    pub fn limits(&self) -> limits::RegistryLimits {
        self.limits.settings
    }

    /// The moderation policy, review deadline and production calendar (from configuration).
    pub fn with_moderation(mut self, moderation: moderation::requests::Moderation) -> Self {
        self.moderation = Arc::new(moderation);
        self
    }

    /// The address people reach the registry at, for links in e-mails.
    pub fn with_public_url(mut self, url: &str) -> Self {
        self.public_url = Arc::from(url.trim_end_matches('/'));
        self
    }

    pub fn public_url(&self) -> &str {
        &self.public_url
    }

    pub fn moderation(&self) -> &moderation::requests::Moderation {
        &self.moderation
    }

    /// The store underneath, for tests only (the `testing` feature, which `frmo-testkit` turns on)
    /// to arrange and inspect rows: without it there is no way past the registry's use cases.
    #[cfg(feature = "testing")]
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Whether this process keeps a version's card: its stored bytes (the open register's read) and
    /// its parsed card (pages). For tests only (the `testing` feature), like [`Registry::store`].
    #[cfg(feature = "testing")]
    pub fn keeps_card(&self, version_id: i64) -> (bool, bool) {
        (self.cards.get(version_id).is_some(), self.parsed.get(version_id).is_some())
    }

    /// Sets how long sessions live (configuration).
    pub fn with_session_policy(mut self, policy: identity::SessionPolicy) -> Self {
        self.session_policy = policy;
        self
    }

    /// The access check of use cases that need no journal entry (public reads, the CLI's writes).
    fn check(actor: &Actor, action: Action) -> Result<()> {
        match decide(actor, action, Target::None) {
            Decision::Allow => Ok(()),
            Decision::Deny(code) => Err(RegistryError::Forbidden(code)),
        }
    }

    /// The database answers (readiness).
    pub async fn ready(&self) -> Result<()> {
        Ok(self.store.ping().await?)
    }
}

/// Runs `future` for a client that has just written (perhaps through another process) when
/// `fresh`: what the store keeps is read afresh, so the client reads what it wrote whichever
/// process answers (`frmo_store::reading_fresh`).
pub fn reading_fresh<F: Future>(fresh: bool, future: F) -> tokio::task::futures::TaskLocalFuture<bool, F> {
    frmo_store::reading_fresh(fresh, future)
}
