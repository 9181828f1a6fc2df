//! The register's own records: an organization's card read (current or as of a date), new
//! organizations, changes and closure of a card, OIDs, and the search index that follows the store.

use std::sync::Arc;
use std::time::Duration;

use frmo_domain::access::{Action, Actor};
use frmo_domain::ident::OrgOid;
use frmo_domain::org::Organization;
use frmo_store::VersionRecord;
use frmo_store::search::head::key_of;
use frmo_store::search::index::SearchIndex;
use time::{Date, OffsetDateTime, Time};

use super::search;
use crate::Caller;
use crate::moderation::journal;
use crate::{Card, CardVersion, Registry, RegistryError, Result, end_of_day};

/// How many versions the index takes from the store per round trip.
const INDEX_BATCH: usize = 20_000;

impl Registry {
    /// The card of an organization as JSON, current or as of the end of a date. The hot path of the
    /// API: one lookup, no re-serialisation. The anonymous's read may come from a read replica.
    pub async fn card_json(&self, actor: &Actor, oid: &OrgOid, as_of: Option<Date>) -> Result<CardVersion> {
        Self::check(actor, Action::ReadPublicRegister)?;
        let at = as_of.map(end_of_day);
        // The anonymous read the open register, which a read replica may serve; everyone else may
        // be reading what they have just written, which only the primary is sure to have.
        let row = match actor {
            Actor::Anonymous if at.is_none() => self.public_current_card(oid).await?,
            Actor::Anonymous => self.store.public_card(oid.as_str(), at).await?.map(CardVersion::from),
            _ => self.store.card(oid.as_str(), at).await?.map(CardVersion::from),
        };
        row.ok_or_else(|| RegistryError::NotFound(not_found_message(oid, as_of)))
    }

    /// The open register's current card: the stored bytes of the version the search index holds as
    /// current, kept by version id (a version never changes), read from the store when not kept.
    /// A change is visible at once: the writer refreshes its index before it answers, and another
    /// process's index follows the store within a refresh ([`Registry::follow_store`]), as a read
    /// replica would.
    async fn public_current_card(&self, oid: &OrgOid) -> Result<Option<CardVersion>> {
        let current = self.index.current_version(key_of(oid));
        if let Some(row) = current.and_then(|version| self.cards.get(version)) {
            return Ok(Some(row));
        }
        let row = self.store.public_card(oid.as_str(), None).await?.map(CardVersion::from);
        if let Some(row) = &row
            && Some(row.version_id) == current
        {
            self.cards.keep(row.version_id, row.clone());
        }
        Ok(row)
    }

    /// The card of an organization, parsed, for pages. The current card is parsed once per version
    /// and kept: which version is current is asked each time (of the primary, but for the anonymous),
    /// so a change is seen at once by whoever made it.
    pub async fn card(&self, actor: &Actor, oid: &OrgOid, as_of: Option<Date>) -> Result<Card> {
        self.shared_card(actor, oid, as_of).await.map(Arc::unwrap_or_clone)
    }

    /// [`Registry::card`] as kept, shared: for reads that only look at it.
    async fn shared_card(&self, actor: &Actor, oid: &OrgOid, as_of: Option<Date>) -> Result<Arc<Card>> {
        Self::check(actor, Action::ReadPublicRegister)?;
        let current = match (actor, as_of) {
            (_, Some(_)) => None,
            (Actor::Anonymous, None) => self.index.current_version(key_of(oid)),
            (_, None) => self.store.current_head(oid.as_str()).await?.map(|head| head.version_id),
        };
        self.card_of(actor, oid, as_of, current).await
    }

    /// The current card of an organization whose current version the caller's access decision
    /// read from the primary in this very request (the route layer's): nothing is asked again.
    pub(crate) async fn decided_card(&self, caller: &Caller, oid: &OrgOid, action: Action) -> Result<Arc<Card>> {
        match caller.authorized_version(oid.as_str(), action) {
            Some(version) => self.card_of(&Actor::System, oid, None, Some(version)).await,
            None => self.shared_card(&Actor::System, oid, None).await,
        }
    }

    /// [`Registry::card`] once it is known which version is `current` (when it is).
    async fn card_of(
        &self,
        actor: &Actor,
        oid: &OrgOid,
        as_of: Option<Date>,
        current: Option<i64>,
    ) -> Result<Arc<Card>> {
        if let Some(kept) = current.and_then(|version| self.parsed.get(version)) {
            return Ok(kept);
        }
        let row = self.card_json(actor, oid, as_of).await?;
        let organization = serde_json::from_str(&row.card).map_err(frmo_store::StoreError::from)?;
        let card = Arc::new(Card { row, organization });
        if current == Some(card.row.version_id) {
            self.parsed.keep(card.row.version_id, Arc::clone(&card));
        }
        Ok(card)
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
        let before = self.card(&Actor::System, &organization.oid, None).await?;
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
        let entry = self
            .entry(&Caller::new(context.by.clone(), context.request_id), "change", organization.oid.as_str(), detail)
            .await;
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
        oid: &OrgOid,
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

    /// Number of organizations ever registered (closed ones included).
    pub async fn count(&self) -> Result<i64> {
        Ok(self.store.count_organizations().await?)
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
            // What is kept of the versions these supersede would be asked for again only for the
            // past, and is made anew then: keeping it let a card changed every second fill the
            // caches with its old versions (the soak's memory growth).
            let superseded: Vec<i64> = batch.iter().filter_map(|version| version.previous_id).collect();
            if !superseded.is_empty() {
                self.forget(&superseded);
            }
            if batch.len() < INDEX_BATCH {
                return Ok(taken);
            }
        }
    }

    /// Drops what the version caches keep of `versions`.
    fn forget(&self, versions: &[i64]) {
        self.ips_rendered.forget(versions);
        self.fhir_written.forget(versions);
        self.listed.forget(versions);
        self.cards.forget(versions);
        self.parsed.forget(versions);
    }

    /// Builds a fresh index from the whole register and puts it in place of the current one (after
    /// versions were rewritten in place, which [`Registry::refresh_index`] would not see).
    pub async fn rebuild_index(&self) -> Result<usize> {
        let fresh = SearchIndex::new();
        let taken = self.fill(&fresh).await?;
        self.index.replace(fresh);
        // Versions were rewritten in place (directory codes): what was made from them is stale.
        self.ips_rendered.clear();
        self.fhir_written.clear();
        self.listed.clear();
        self.cards.clear();
        self.parsed.clear();
        Ok(taken)
    }

    /// Keeps the index in step with versions written by other processes, and the directories with
    /// those they installed.
    pub fn follow_store(&self, every: Duration) -> tokio::task::JoinHandle<()> {
        let registry = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            loop {
                tick.tick().await;
                if let Err(error) = registry.follow_directories().await {
                    tracing::warn!(%error, "installed directories not followed");
                }
                if let Err(error) = registry.refresh_index().await {
                    tracing::warn!(%error, "search index refresh failed");
                }
            }
        })
    }
}

/// An organization's OID as the open register's reads take it: one that does not parse is refused
/// naming the field (`oid`), as a malformed identifier in a query is.
pub fn public_oid(text: &str) -> Result<OrgOid> {
    OrgOid::parse(text).map_err(RegistryError::invalid)
}

/// An organization's OID as an address names it: one that does not parse is answered as an
/// unknown one is (`NotFound`, the same message), so a malformed address is told nothing more.
pub fn organization_oid(text: &str) -> Result<OrgOid> {
    OrgOid::parse(text).map_err(|_| RegistryError::NotFound(not_found_message(text.trim(), None)))
}

fn not_found_message(oid: impl std::fmt::Display, as_of: Option<Date>) -> String {
    match as_of {
        Some(date) => format!("Организация {oid} на {} в реестре не найдена", search::format_date(date)),
        None => format!("Организация {oid} в реестре не найдена"),
    }
}
