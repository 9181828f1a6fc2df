//! Where records live: one store API over two backends (`backend/sqlite` embedded,
//! `backend/postgres` for scale-out), their migrations, and the Russian search normaliser and
//! index. The only SQL. A statement is written once, with `$n` placeholders (`sql`); what stays per
//! backend, and why, is in `backend/` (docs/architecture.md, "Dialects").

/// Calls the same method on whichever backend the store is: the one `match` on the backend that
/// is not about a dialect (defined first, so every module below may use it).
macro_rules! dispatch {
    ($self:ident, $store:ident => $call:expr) => {
        match $self {
            $crate::Store::Sqlite($store) => $call,
            $crate::Store::Postgres($store) => $call,
        }
    };
}

pub mod audit;
mod backend;
pub mod directories;
pub mod documents;
pub mod identity;
pub mod invitations;
pub mod jobs;
mod migrations;
pub mod outbox;
pub mod publication;
pub mod reports;
pub mod requests;
pub mod search;
pub mod seed;
pub mod sql;
pub mod support;
pub mod systems;
#[cfg(feature = "testing")]
pub mod testing;
pub mod workers;

use frmo_domain::org::{OrgStatus, Organization, iso_date_text};
use time::OffsetDateTime;

pub use backend::{postgres, sqlite};
pub use migrations::{Migration, POSTGRES_MIGRATIONS, SQLITE_MIGRATIONS};
pub use search::index::{IndexedVersion, OrgKey};

/// The one error type of the store. Messages are for logs; users see the registry's errors.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("SQLite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("PostgreSQL: {}", postgres_message(.0))]
    Postgres(#[from] tokio_postgres::Error),
    /// A connection to PostgreSQL could not be opened (refused, the server down or not taking
    /// connections to this database).
    #[error("PostgreSQL could not be reached: {}", postgres_message(.0))]
    Unreachable(tokio_postgres::Error),
    #[error("card JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("database URL: {0}")]
    Url(String),
    #[error("{0}")]
    Conflict(String),
    #[error("background task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
    #[error("I/O: {0}")]
    Io(#[from] std::io::Error),
    #[error("unexpected answer of the database: {0}")]
    Unexpected(String),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// A version of an organization's card ready to be written: the JSON document plus the columns
/// extracted from it for lookups and the index.
#[derive(Debug, Clone)]
pub struct VersionRecord {
    pub oid: String,
    pub key: OrgKey,
    pub region: u8,
    pub valid_from: OffsetDateTime,
    pub name_short: String,
    pub name_full: String,
    pub inn: String,
    /// ОГРН of a legal entity or ОГРНИП of an entrepreneur.
    pub ogrn: Option<String>,
    pub kpp: Option<String>,
    pub org_type: u32,
    pub agency_kind: u32,
    pub status: OrgStatus,
    pub address: String,
    pub search_terms: String,
    pub card: String,
    /// The card's `createDate` and `deleteDate` (ISO), which the reports count by.
    pub create_date: String,
    pub delete_date: Option<String>,
}

impl VersionRecord {
    pub fn new(org: &Organization, valid_from: OffsetDateTime) -> Result<Self> {
        let mut terms = search::normalize::terms(&org.name_short);
        for term in search::normalize::terms(&org.name_full) {
            if !terms.contains(&term) {
                terms.push(term);
            }
        }
        Ok(Self {
            oid: org.oid.as_str().to_owned(),
            key: crate::search::head::key_of(&org.oid),
            region: org.region_id.code(),
            valid_from,
            name_short: org.name_short.clone(),
            name_full: org.name_full.clone(),
            inn: org.inn.as_str().to_owned(),
            ogrn: org
                .ogrn
                .as_ref()
                .map(|o| o.as_str().to_owned())
                .or_else(|| org.ogrnip.as_ref().map(|o| o.as_str().to_owned())),
            kpp: org.kpp.as_ref().map(|k| k.as_str().to_owned()),
            org_type: org.organization_type_id,
            agency_kind: org.mo_agency_kind_id,
            status: org.status,
            address: org.legal_address.text.clone(),
            search_terms: terms.join(" "),
            card: serde_json::to_string(org)?,
            create_date: iso_date_text(org.create_date),
            delete_date: org.delete_date.map(iso_date_text),
        })
    }
}

/// A message to [`Store::write_import`].
#[derive(Debug)]
pub enum ImportBatch {
    Write { new: Vec<VersionRecord>, changed: Vec<(VersionRecord, i64)>, audit: Vec<audit::AuditEntry> },
    Commit,
}

/// The index (and, on PostgreSQL, foreign-key) definitions a bulk load dropped, in the order they
/// are restored, read from the database's own catalogue (so they are exactly what the migrations
/// created).
#[derive(Debug)]
pub struct BulkLoad {
    indexes: Vec<(String, String)>,
}

/// A stored version of a card, as JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct CardRow {
    pub version_id: i64,
    pub valid_from: OffsetDateTime,
    pub valid_to: Option<OffsetDateTime>,
    pub card: String,
}

/// One line of a result list.
#[derive(Debug, Clone, PartialEq)]
pub struct ListItem {
    pub version_id: i64,
    pub oid: String,
    pub name_short: String,
    pub name_full: String,
    pub inn: String,
    pub ogrn: Option<String>,
    pub kpp: Option<String>,
    pub region: u8,
    pub org_type: u32,
    pub agency_kind: u32,
    pub status: OrgStatus,
    pub address: String,
}

/// The identifiers that can be looked up exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Identifier {
    Inn,
    Ogrn,
    Kpp,
    Oid,
}

impl Identifier {
    /// The versions carrying a value of this identifier, oldest first: one text for both backends,
    /// each running it on its hot path (`versions_with`).
    fn lookup(self) -> &'static str {
        match self {
            Identifier::Inn => "SELECT id FROM organization_versions WHERE inn = $1 ORDER BY id LIMIT 10000",
            Identifier::Ogrn => "SELECT id FROM organization_versions WHERE ogrn = $1 ORDER BY id LIMIT 10000",
            Identifier::Kpp => "SELECT id FROM organization_versions WHERE kpp = $1 ORDER BY id LIMIT 10000",
            Identifier::Oid => "SELECT id FROM organization_versions WHERE oid = $1 ORDER BY id LIMIT 10000",
        }
    }
}

/// Moves an OID sequence (`$1` kind, `$2` region) past a number written with a new organization
/// (`$3`), never back: part of both backends' inserts of new organizations.
pub(crate) const MOVE_OID_SEQUENCE: &str = "INSERT INTO oid_sequences (kind, region, last_number) VALUES ($1, $2, $3)
     ON CONFLICT (kind, region) DO UPDATE SET last_number = CASE
         WHEN excluded.last_number > oid_sequences.last_number THEN excluded.last_number
         ELSE oid_sequences.last_number END";

/// A table column as the schema describes it, for the parity check between backends.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ColumnInfo {
    pub table: String,
    pub column: String,
    pub not_null: bool,
}

/// The server's own message when there is one ("db error" alone says nothing).
fn postgres_message(error: &tokio_postgres::Error) -> String {
    match error.as_db_error() {
        Some(db) => format!("{} ({})", db.message(), db.code().code()),
        None => error.to_string(),
    }
}

impl StoreError {
    /// Whether the database could not be reached: a connection could not be opened, one closed
    /// under the statement, or the server is shutting down or starting up. The same request may
    /// succeed when repeated a moment later (the connection is opened anew, or the server is back).
    pub fn is_unavailable(&self) -> bool {
        match self {
            StoreError::Unreachable(_) => true,
            StoreError::Postgres(error) => match error.as_db_error().map(|db| db.code().code()) {
                // Class 08 (connection exception) and 57P (operator intervention: shutdown, starting).
                Some(code) => code.starts_with("08") || code.starts_with("57P"),
                None => error.is_closed(),
            },
            _ => false,
        }
    }
}

/// The conflict of a checked transaction whose rows changed between reading and writing.
pub(crate) const CHANGED_MEANWHILE: &str = "данные изменились во время записи; повторите";

/// An organization's current version as the version table's columns give it, without its card.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head {
    pub version_id: i64,
    /// The region code of `regionId`.
    pub region: u8,
}

/// The connections of a store: open now, in use (where the backend can tell) and the most it keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolUse {
    pub open: usize,
    pub busy: Option<usize>,
    pub size: usize,
}

tokio::task_local! {
    /// Whether kept reads are read afresh ([`reading_fresh`]).
    static FRESH: bool;
}

/// Runs `future` with every kept read (`backend/kept.rs`) read afresh from the database when
/// `fresh`: for a client that has just written, perhaps through another process, which learns of
/// the change only when the database's notice arrives (a millisecond or so later). What the client
/// wrote is then what it reads next, whichever process answers.
pub fn reading_fresh<F: Future>(fresh: bool, future: F) -> tokio::task::futures::TaskLocalFuture<bool, F> {
    FRESH.scope(fresh, future)
}

/// The store: one API, two backends, chosen by the database URL.
pub enum Store {
    Sqlite(sqlite::SqliteStore),
    Postgres(Box<postgres::PgStore>),
}

impl Store {
    /// Opens `sqlite://PATH` (or a bare path) or `postgres://…` / `postgresql://…`.
    pub async fn open(url: &str) -> Result<Self> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let config: tokio_postgres::Config = url.parse().map_err(|e| StoreError::Url(format!("{e}")))?;
            Ok(Store::Postgres(Box::new(postgres::PgStore::connect(config).await?)))
        } else {
            let path = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")).unwrap_or(url);
            if path.is_empty() {
                return Err(StoreError::Url("путь к файлу SQLite не указан".into()));
            }
            Ok(Store::Sqlite(sqlite::SqliteStore::open(path.into()).await?))
        }
    }

    pub fn backend(&self) -> &'static str {
        match self {
            Store::Sqlite(_) => "sqlite",
            Store::Postgres(_) => "postgres",
        }
    }

    /// Applies the migrations not yet applied; returns their versions.
    pub async fn migrate(&self) -> Result<Vec<&'static str>> {
        dispatch!(self, s => s.migrate().await)
    }

    /// What `read` finds under `key`, kept in the cache `which` picks until the store learns of a
    /// change (`backend/kept.rs`): PostgreSQL's by the database's notices, SQLite's by asking the
    /// file whether anything was committed since. Read afresh inside [`reading_fresh`].
    async fn kept<V: Clone>(
        &self,
        which: impl FnOnce(&backend::kept::KeptReads) -> &backend::kept::Kept<V>,
        key: &str,
        read: impl Future<Output = Result<Option<V>>>,
    ) -> Result<Option<V>> {
        if FRESH.try_with(|fresh| *fresh).unwrap_or(false) {
            return read.await;
        }
        let kept = match self {
            Store::Postgres(store) => store.kept(),
            Store::Sqlite(store) => store.kept()?,
        };
        which(kept).through(key, read).await
    }

    /// Whether this process keeps reads now: SQLite's store always, PostgreSQL's while it receives
    /// the database's notices of changes.
    pub fn listening_for_changes(&self) -> bool {
        match self {
            Store::Postgres(store) => store.listening_for_changes(),
            Store::Sqlite(_) => true,
        }
    }

    /// This process forgets at once what it kept of the organization `oid` (its current version,
    /// members and invitations), which it has just changed; others forget on the notice.
    pub(crate) fn organization_changed(&self, oid: &str) {
        if let Store::Postgres(store) = self {
            store.forgetting().forget_organization(oid);
        }
    }

    /// What the store's connections are doing, for the metrics.
    pub fn pool_use(&self) -> PoolUse {
        dispatch!(self, s => s.pool_use())
    }

    /// A consistent copy of the embedded database in a new file at `path`, taken while it is in
    /// use. PostgreSQL is copied with its own tools (pg_dump), so this is `None` there.
    pub async fn backup_into(&self, path: &std::path::Path) -> Option<Result<()>> {
        match self {
            Store::Sqlite(s) => Some(s.backup_into(path).await),
            Store::Postgres(_) => None,
        }
    }

    /// One trivial query: the database answers.
    pub async fn ping(&self) -> Result<()> {
        dispatch!(self, s => s.ping().await)
    }

    /// Writes new organizations (their first versions) in one transaction, and moves the OID
    /// sequences past their numbers. Used by seeding and imports.
    pub async fn insert_new(&self, records: Vec<VersionRecord>) -> Result<()> {
        self.insert_new_with(records, Vec::new(), sql::Transition::default()).await
    }

    /// [`Store::insert_new`] with journal entries and statements guarding and following it in its
    /// transaction.
    pub async fn insert_new_with(
        &self,
        records: Vec<VersionRecord>,
        audit: Vec<audit::AuditEntry>,
        transition: sql::Transition,
    ) -> Result<()> {
        dispatch!(self, s => s.insert_new(records, audit, transition).await)
    }

    /// Starts a bulk load into an empty register: the secondary indexes of the versions are
    /// dropped, to be rebuilt once by `finish_bulk_load` (one sort beats growing them row by row).
    /// `None` when the register is not empty: then rows are written with their indexes as usual.
    pub async fn begin_bulk_load(&self) -> Result<Option<BulkLoad>> {
        dispatch!(self, s => s.begin_bulk_load().await)
    }

    /// Rebuilds the indexes a bulk load dropped. Call it whether the load succeeded or not.
    pub async fn finish_bulk_load(&self, load: BulkLoad) -> Result<()> {
        dispatch!(self, s => s.finish_bulk_load(load).await)
    }

    /// Appends a version of an existing organization, closing its current version at the new
    /// version's `valid_from`. Fails with `Conflict` when `expected_current` is no longer current.
    /// Closes the current version and appends `record`, with its journal entries in the same
    /// transaction.
    pub async fn append_version(
        &self,
        record: VersionRecord,
        expected_current: i64,
        audit: Vec<audit::AuditEntry>,
    ) -> Result<i64> {
        self.append_version_with(record, expected_current, audit, sql::Transition::default()).await
    }

    /// [`Store::append_version`] with statements guarding and following it in its transaction.
    pub async fn append_version_with(
        &self,
        record: VersionRecord,
        expected_current: i64,
        audit: Vec<audit::AuditEntry>,
        transition: sql::Transition,
    ) -> Result<i64> {
        dispatch!(self, s => s.append_version(record, expected_current, audit, transition).await)
    }

    /// Hands out the next OID number of a kind in a region; never the same twice.
    pub async fn allocate_oid_number(&self, kind: u8, region: u8) -> Result<u32> {
        let rows = self
            .execute(
                "INSERT INTO oid_sequences (kind, region, last_number) VALUES ($1, $2, 1)
                 ON CONFLICT (kind, region) DO UPDATE SET last_number = oid_sequences.last_number + 1
                 RETURNING last_number",
                vec![i64::from(kind).into(), i64::from(region).into()],
            )
            .await?;
        Ok(sql::returned_id(rows)? as u32)
    }

    /// The last OID number handed out for a kind in a region (0 when none).
    pub async fn last_oid_number(&self, kind: u8, region: u8) -> Result<u32> {
        let rows = self
            .query(
                "SELECT coalesce(max(last_number), 0) FROM oid_sequences WHERE kind = $1 AND region = $2",
                vec![i64::from(kind).into(), i64::from(region).into()],
            )
            .await?;
        Ok(sql::first_int(rows).unwrap_or_default() as u32)
    }

    /// The version of a card in force at `at` (the current one when `None`).
    pub async fn card(&self, oid: &str, at: Option<OffsetDateTime>) -> Result<Option<CardRow>> {
        dispatch!(self, s => s.card(oid, at).await)
    }

    /// An organization's current version: its id and its region (`regionId`), `None` for an OID the
    /// register does not have. What a route on an organization asks first, for the access decision
    /// and the card it will show: one index lookup, no card.
    pub async fn current_head(&self, oid: &str) -> Result<Option<Head>> {
        self.kept(|kept| &kept.heads, oid, self.read_current_head(oid)).await
    }

    async fn read_current_head(&self, oid: &str) -> Result<Option<Head>> {
        let rows = self
            .query("SELECT id, region FROM organization_versions WHERE oid = $1 AND valid_to IS NULL", vec![oid.into()])
            .await?;
        Ok(rows
            .into_iter()
            .next()
            .and_then(|row| Some(Head { version_id: row[0].int()?, region: u8::try_from(row[1].int()?).ok()? })))
    }

    /// One version of a card by its id: `(oid, card JSON)`, whichever organization it belongs to.
    pub async fn card_version(&self, version_id: i64) -> Result<Option<(String, String)>> {
        let rows =
            self.query("SELECT oid, card FROM organization_versions WHERE id = $1", vec![version_id.into()]).await?;
        Ok(rows.into_iter().next().map(|mut r| {
            (sql::take_text(&mut r, 0).unwrap_or_default(), sql::take_text(&mut r, 1).unwrap_or_default())
        }))
    }

    /// Every version (of any time) carrying this identifier.
    pub async fn versions_with(&self, identifier: Identifier, value: &str) -> Result<Vec<i64>> {
        dispatch!(self, s => s.versions_with(identifier, value).await)
    }

    /// Result-list lines of these versions, in the order given.
    pub async fn list_items(&self, version_ids: &[i64]) -> Result<Vec<ListItem>> {
        let mut items = dispatch!(self, s => s.list_items(version_ids).await)?;
        items.sort_by_key(|item| version_ids.iter().position(|&id| id == item.version_id));
        Ok(items)
    }

    /// Adds a streaming replica (`postgres://…` of the same database) that serves the public reads
    /// below. The embedded SQLite has no replicas: refused.
    pub async fn with_replica(self, url: &str) -> Result<Self> {
        match self {
            Store::Postgres(store) => {
                let config: tokio_postgres::Config = url.parse().map_err(|e| StoreError::Url(format!("{e}")))?;
                Ok(Store::Postgres(Box::new(store.with_replica(config).await?)))
            }
            Store::Sqlite(_) => Err(StoreError::Url("реплика чтения бывает только у PostgreSQL".into())),
        }
    }

    /// The current card (or as of `at`) for a public read, which a replica may serve: behind by the
    /// replica's lag at most. A card the replica does not have yet is read from the primary.
    pub async fn public_card(&self, oid: &str, at: Option<OffsetDateTime>) -> Result<Option<CardRow>> {
        match self {
            Store::Postgres(store) if store.has_replica() => match store.card_on(true, oid, at).await {
                Ok(Some(row)) => Ok(Some(row)),
                Ok(None) => store.card(oid, at).await,
                Err(error) => {
                    tracing::warn!(%error, "the read replica failed: read from the primary");
                    store.card(oid, at).await
                }
            },
            _ => self.card(oid, at).await,
        }
    }

    /// [`Store::list_items`] for a public read, which a replica may serve; the versions it does not
    /// have yet (the search index follows the primary) are read from the primary.
    pub async fn public_list_items(&self, version_ids: &[i64]) -> Result<Vec<ListItem>> {
        let Store::Postgres(store) = self else { return self.list_items(version_ids).await };
        if !store.has_replica() {
            return self.list_items(version_ids).await;
        }
        let mut items = match store.list_items_on(true, version_ids).await {
            Ok(items) => items,
            Err(error) => {
                tracing::warn!(%error, "the read replica failed: read from the primary");
                Vec::new()
            }
        };
        let missing: Vec<i64> =
            version_ids.iter().copied().filter(|id| !items.iter().any(|i| i.version_id == *id)).collect();
        if !missing.is_empty() {
            items.extend(store.list_items(&missing).await?);
        }
        items.sort_by_key(|item| version_ids.iter().position(|&id| id == item.version_id));
        Ok(items)
    }

    /// Seconds the read replica is behind the primary; `None` without one.
    pub async fn replica_lag(&self) -> Result<Option<f64>> {
        match self {
            Store::Postgres(store) => store.replica_lag().await,
            Store::Sqlite(_) => Ok(None),
        }
    }

    /// Versions with an id above `after`, oldest first, at most `limit`: the index's feed.
    pub async fn versions_after(&self, after: i64, limit: usize) -> Result<Vec<IndexedVersion>> {
        dispatch!(self, s => s.versions_after(after, limit).await)
    }

    /// Current cards (one per organization) with a version id above `after`, in id order, at most
    /// `limit`: the cursor of exports that stream the whole register. On SQLite this reads through a
    /// connection of its own without the shared memory map, so a scan of the whole file does not
    /// map gigabytes into the process (peak memory stays that of one batch).
    pub async fn current_cards_after(&self, after: i64, limit: i64) -> Result<Vec<(i64, String)>> {
        match self {
            Store::Sqlite(s) => s.current_cards_after(after, limit).await,
            Store::Postgres(_) => {
                let rows = self
                    .query(
                        "SELECT id, card FROM organization_versions WHERE valid_to IS NULL AND id > $1 ORDER BY id LIMIT $2",
                        vec![after.into(), limit.into()],
                    )
                    .await?;
                Ok(rows
                    .into_iter()
                    .map(|mut r| (r[0].int().unwrap_or_default(), sql::take_text(&mut r, 1).unwrap_or_default()))
                    .collect())
            }
        }
    }

    /// The current versions of these organizations: `(oid, version id, card JSON)`, in no order;
    /// OIDs not in the register are absent.
    pub async fn current_cards_of(&self, oids: Vec<String>) -> Result<Vec<(String, i64, String)>> {
        dispatch!(self, s => s.current_cards_of(oids).await)
    }

    /// An import's writes, in one transaction fed batch by batch (so the next batch can be
    /// prepared while this one is written): new organizations (first versions, the OID sequences
    /// moved past their numbers), new versions of existing ones (each closing the version it names,
    /// a `Conflict` if that is no longer current) and the journal entries. The transaction commits
    /// on [`ImportBatch::Commit`]; if the sender goes away without it, nothing is written.
    pub async fn write_import(&self, batches: tokio::sync::mpsc::Receiver<ImportBatch>) -> Result<()> {
        dispatch!(self, s => s.write_import(batches).await)
    }

    pub async fn count_organizations(&self) -> Result<i64> {
        Ok(sql::first_int(self.query("SELECT count(*) FROM organizations", Vec::new()).await?).unwrap_or_default())
    }

    /// Every column of every table, for the schema parity test.
    pub async fn columns(&self) -> Result<Vec<ColumnInfo>> {
        let mut columns = dispatch!(self, s => s.columns().await)?;
        columns.sort();
        Ok(columns)
    }
}

/// Microseconds since the Unix epoch: the index's clock.
pub fn micros(at: OffsetDateTime) -> i64 {
    (at.unix_timestamp_nanos() / 1_000) as i64
}
