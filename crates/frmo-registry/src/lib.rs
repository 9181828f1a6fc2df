//! What people can do to the registry: every use case as a method that authorizes the actor,
//! validates, and reads or writes through the store. The only place that decides access.

pub mod applications;
pub mod cabinet;
pub mod csv;
pub mod directories;
pub mod documents;
mod error;
pub mod fhir;
pub mod files;
pub mod identity;
pub mod ips;
pub mod jobs;
pub mod journal;
pub mod limits;
pub mod mail;
pub mod nsi;
pub mod operations;
pub mod printable;
pub mod publication;
pub mod reports;
pub mod requests;
pub mod search;
pub mod seed;
pub mod support;
pub mod systems;
pub mod workers;

use std::sync::Arc;
use std::time::Duration;

use frmo_domain::access::{Action, Actor, Decision, Target, decide};
use frmo_domain::ident::OrgOid;
use frmo_domain::org::Organization;
use frmo_store::search::index::SearchIndex;
use frmo_store::{CardRow, Store, VersionRecord};
use time::{Date, OffsetDateTime, Time};

pub use error::RegistryError;
pub use search::{SearchPage, SearchParams};

pub type Result<T, E = RegistryError> = std::result::Result<T, E>;

/// How many versions the index takes from the store per round trip.
const INDEX_BATCH: usize = 20_000;

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
    moderation: Arc<requests::Moderation>,
    /// The address people reach the registry at (links in e-mails).
    public_url: Arc<str>,
    /// Document files and their settings; `None` where documents are not kept (some tests).
    documents: Option<Arc<documents::Documents>>,
    /// Reset e-mails per account, attachments of the anonymous (from configuration).
    limits: Arc<limits::Limits>,
    /// The journal of integration-API calls, written in groups.
    calls: Arc<journal::GroupCommit>,
    /// Card versions as the integration API's organization model, already written.
    ips_rendered: Arc<ips::Rendered>,
    /// This process's part in running background jobs.
    jobs: Arc<jobs::JobRunner>,
}

/// A card as stored: its JSON and the version it is.
pub struct Card {
    pub row: CardRow,
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
            ips_rendered: Arc::default(),
            jobs: Arc::default(),
        }
    }

    /// How this process runs background jobs: lease, attempts, jobs at once (from configuration).
    pub fn with_job_settings(mut self, settings: jobs::JobSettings) -> Self {
        self.jobs = Arc::new(jobs::JobRunner::new(settings));
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
    pub fn with_moderation(mut self, moderation: requests::Moderation) -> Self {
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

    pub fn moderation(&self) -> &requests::Moderation {
        &self.moderation
    }

    /// The store underneath, for tests only (the `testing` feature, which `frmo-testkit` turns on)
    /// to arrange and inspect rows: without it there is no way past the registry's use cases.
    #[cfg(feature = "testing")]
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Brings the index up to the store's newest version; returns how many versions it took.
    pub async fn refresh_index(&self) -> Result<usize> {
        self.fill(&self.index).await
    }

    /// Adds to `index` every version newer than it holds; how many it took.
    async fn fill(&self, index: &SearchIndex) -> Result<usize> {
        let mut taken = 0;
        loop {
            let batch = self.store.versions_after(index.last_version_id(), INDEX_BATCH).await?;
            taken += batch.len();
            index.apply(&batch);
            if batch.len() < INDEX_BATCH {
                return Ok(taken);
            }
        }
    }

    /// Builds a fresh index from the whole register and puts it in place of the current one (after
    /// versions were rewritten in place, which [`Registry::refresh_index`] would not see).
    pub async fn rebuild_index(&self) -> Result<usize> {
        let fresh = SearchIndex::new();
        let taken = self.fill(&fresh).await?;
        self.index.replace(fresh);
        // Versions were rewritten in place (directory codes): what was made from them is stale.
        self.ips_rendered.clear();
        Ok(taken)
    }

    /// Keeps the index in step with versions written by other processes.
    pub fn follow_store(&self, every: Duration) -> tokio::task::JoinHandle<()> {
        let registry = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            loop {
                tick.tick().await;
                if let Err(error) = registry.refresh_index().await {
                    tracing::warn!(%error, "search index refresh failed");
                }
            }
        })
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

    /// The card of an organization as JSON, current or as of the end of a date. The hot path of the
    /// API: one lookup, no re-serialisation. The anonymous's read may come from a read replica.
    pub async fn card_json(&self, actor: &Actor, oid: &str, as_of: Option<Date>) -> Result<CardRow> {
        Self::check(actor, Action::ReadPublicRegister)?;
        let oid = OrgOid::parse(oid).map_err(RegistryError::invalid)?;
        let at = as_of.map(end_of_day);
        // The anonymous read the open register, which a read replica may serve; everyone else may
        // be reading what they have just written, which only the primary is sure to have.
        let row = match actor {
            Actor::Anonymous => self.store.public_card(oid.as_str(), at).await?,
            _ => self.store.card(oid.as_str(), at).await?,
        };
        row.ok_or_else(|| RegistryError::NotFound(not_found_message(&oid, as_of)))
    }

    /// The card of an organization, parsed, for pages.
    pub async fn card(&self, actor: &Actor, oid: &str, as_of: Option<Date>) -> Result<Card> {
        let row = self.card_json(actor, oid, as_of).await?;
        let organization = serde_json::from_str(&row.card).map_err(frmo_store::StoreError::from)?;
        Ok(Card { row, organization })
    }

    /// Writes new organizations (first versions, effective from their creation date). Used by
    /// seeding and the demo; applications for inclusion will come through moderation.
    pub async fn register_new(&self, actor: &Actor, organizations: &[Organization]) -> Result<()> {
        Self::check(actor, Action::WriteRegister)?;
        let mut records = Vec::with_capacity(organizations.len());
        for org in organizations {
            org.validate().map_err(RegistryError::Invalid)?;
            let from = org.create_date.with_time(Time::MIDNIGHT).assume_utc();
            records.push(VersionRecord::new(org, from)?);
        }
        self.store.insert_new(records).await?;
        self.refresh_index().await?;
        Ok(())
    }

    /// Replaces the current card of an organization with a new version effective from `at`. The
    /// caller names the version it edited; if another change came first, this fails with a conflict.
    /// The change is journaled (its fields before and after, who, why) in the same transaction.
    pub async fn change_card(
        &self,
        actor: &Actor,
        organization: &Organization,
        edited_version: i64,
        at: OffsetDateTime,
        context: journal::ChangeContext<'_>,
    ) -> Result<i64> {
        Self::check(actor, Action::WriteRegister)?;
        let before = self.card(&Actor::System, organization.oid.as_str(), None).await?;
        self.apply_change(actor, &before.organization, organization, edited_version, at, context).await
    }

    /// [`Registry::change_card`] for callers that hold the card they edited (`before`).
    pub(crate) async fn apply_change(
        &self,
        actor: &Actor,
        before: &Organization,
        organization: &Organization,
        edited_version: i64,
        at: OffsetDateTime,
        context: journal::ChangeContext<'_>,
    ) -> Result<i64> {
        Self::check(actor, Action::WriteRegister)?;
        organization.validate().map_err(RegistryError::Invalid)?;
        let detail = serde_json::json!({
            "reason": context.reason,
            "editedVersion": edited_version,
            "validFrom": at.unix_timestamp(),
            "fields": journal::differences(before, organization),
        });
        let entry = self.entry(context.by, "change", organization.oid.as_str(), detail, context.request_id).await;
        let record = VersionRecord::new(organization, at)?;
        let id = self.store.append_version(record, edited_version, vec![entry]).await?;
        self.refresh_index().await?;
        Ok(id)
    }

    /// Closes an organization's record: a new version with status «ликвидирована», the date and the
    /// reason; the record itself stays, readable as of any earlier date.
    pub async fn close_organization(
        &self,
        actor: &Actor,
        oid: &str,
        date: Date,
        reason_id: u32,
        edited_version: i64,
        context: journal::ChangeContext<'_>,
    ) -> Result<i64> {
        Self::check(actor, Action::WriteRegister)?;
        let card = self.card(actor, oid, None).await?;
        if card.row.version_id != edited_version {
            return Err(RegistryError::Conflict(format!(
                "Карточка {oid} изменилась после того, как вы её открыли; обновите страницу"
            )));
        }
        let mut organization = card.organization.clone();
        organization.status = frmo_domain::org::OrgStatus::Liquidated;
        organization.delete_date = Some(date);
        organization.delete_reason_id = Some(reason_id);
        organization.modify_date = date;
        let at = date.with_time(Time::MIDNIGHT).assume_utc().max(card.row.valid_from);
        self.apply_change(actor, &card.organization, &organization, edited_version, at, context).await
    }

    /// Hands out a new organization OID in a region; numbers are never reused.
    pub async fn allocate_oid(
        &self,
        actor: &Actor,
        kind: u8,
        region: frmo_domain::ident::RegionCode,
    ) -> Result<OrgOid> {
        Self::check(actor, Action::WriteRegister)?;
        let number = self.store.allocate_oid_number(kind, region.code()).await?;
        OrgOid::new(kind, region, number).map_err(RegistryError::invalid)
    }

    /// The database answers (readiness).
    pub async fn ready(&self) -> Result<()> {
        Ok(self.store.ping().await?)
    }

    /// Number of organizations ever registered (closed ones included).
    pub async fn count(&self) -> Result<i64> {
        Ok(self.store.count_organizations().await?)
    }
}

fn not_found_message(oid: &OrgOid, as_of: Option<Date>) -> String {
    match as_of {
        Some(date) => format!("Организация {oid} на {} в реестре не найдена", search::format_date(date)),
        None => format!("Организация {oid} в реестре не найдена"),
    }
}
