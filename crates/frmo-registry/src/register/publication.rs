//! Publication of the open register as НСИ 1461: numbered versions, each with its files (JSON, CSV
//! and XML) in the object store, the list of organizations whose 1461 record changed since the
//! previous version (added, changed, closed — an edit that leaves the 1461 fields as they were is
//! not a change), and an incremental feed of the records changed since a version.
//!
//! A version is cut at a watermark, the newest organization version when publication starts;
//! the next version's changes are the organizations with versions after it. A change saved while
//! the files are being written may already be in them; it is then listed again by the next
//! version, never lost.

use std::io::Read as _;

use frmo_domain::access::{Action, Actor, Target};
use frmo_domain::error::ValidationError;
use frmo_store::publication::NsiVersion;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::Caller;
use crate::documents::{Download, files_error};
use crate::register::nsi::{self, Format};
use crate::{Registry, RegistryError, Result};

/// A published file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishedFile {
    pub format: String,
    pub key: String,
    pub name: String,
    pub size: u64,
    pub sha256: String,
}

/// A version as the public sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Publication {
    pub version: PublishedVersion,
    pub files: Vec<PublishedFile>,
}

/// A published version's number, time and counts, as the open-data pages and НСИ's services show
/// them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedVersion {
    pub version: i64,
    /// Unix seconds.
    pub published_at: i64,
    pub records: i64,
    pub added: i64,
    pub changed: i64,
    pub closed: i64,
    /// The last organization version the publication had seen: its records are the cards as of it.
    pub(crate) watermark: i64,
}

impl From<NsiVersion> for PublishedVersion {
    fn from(stored: NsiVersion) -> Self {
        let NsiVersion { version, published_at, watermark, records, added, changed, closed, .. } = stored;
        PublishedVersion { version, published_at, records, added, changed, closed, watermark }
    }
}

/// How an organization's record changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub oid: String,
    /// `added`, `changed` or `closed`.
    pub change: String,
    /// The 1461 record at the version (values in [`nsi::FIELDS`] order).
    pub record: Vec<String>,
}

pub fn change_label(change: &str) -> &'static str {
    match change {
        "added" => "добавлена",
        "closed" => "закрыта",
        _ => "изменена",
    }
}

/// The formats every version is published in.
const FORMATS: [(Format, &str); 3] = [(Format::Json, "json"), (Format::Csv, "csv"), (Format::Xml, "xml")];

/// How many files a version has: a publication's progress goes to this many times the register.
pub const FILES_PER_VERSION: u64 = FORMATS.len() as u64;

/// A card's 1461 record and whether it is closed (a `deleteDate`).
fn record_of(card: &str) -> Result<(Vec<String>, bool)> {
    let record = nsi::record_of_card(card)?;
    let closed = nsi::position("deleteDate").and_then(|i| record.get(i)).is_some_and(|d| !d.is_empty());
    Ok((record, closed))
}

fn io(error: std::io::Error) -> RegistryError {
    RegistryError::Store(frmo_store::StoreError::Io(error))
}

fn sha256_of(path: &std::path::Path) -> Result<String> {
    let mut file = std::fs::File::open(path).map_err(io)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 16];
    loop {
        let n = file.read(&mut buffer).map_err(io)?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
    }
    Ok(frmo_domain::hex::lower(&hasher.finalize()))
}

impl Registry {
    /// Publishes a new version: the files of the whole register and the changes since the last
    /// version. `progress` gets the records written so far (all formats together).
    pub async fn publish_nsi(&self, caller: &Caller, mut progress: impl FnMut(u64) + Send) -> Result<Publication> {
        self.authorize(caller, Action::Administer, Target::None).await?;
        let files = self.documents_store()?.files.clone();
        let previous = self.store.nsi_versions().await?.into_iter().next();
        let watermark = self.store.last_version_id().await?;
        if let Some(previous) = &previous
            && previous.watermark == watermark
        {
            return Err(RegistryError::Conflict(format!(
                "Реестр не менялся после версии {}: публиковать нечего.",
                previous.version
            )));
        }
        let number = previous.as_ref().map_or(1, |p| p.version + 1);
        let mut changes: Vec<(String, &'static str)> = Vec::new();
        if let Some(previous) = &previous {
            for (oid, first) in self.store.organizations_changed_between(previous.watermark, watermark).await? {
                let Some((_, card)) = self.store.card_at(&oid, watermark).await? else { continue };
                let (now, closed_now) = record_of(&card)?;
                let before = match first > previous.watermark {
                    true => None,
                    false => self.store.card_at(&oid, previous.watermark).await?,
                };
                let change = match before {
                    None => "added",
                    Some((_, old_card)) => {
                        let (then, closed_then) = record_of(&old_card)?;
                        if closed_now && !closed_then {
                            "closed"
                        } else if then != now {
                            "changed"
                        } else {
                            continue;
                        }
                    }
                };
                changes.push((oid, change));
            }
        }
        let count = |kind: &str| changes.iter().filter(|(_, c)| *c == kind).count() as i64;
        let mut published = Vec::new();
        let mut records = 0u64;
        let mut done = 0u64;
        for (format, extension) in FORMATS {
            let mut file = tempfile::NamedTempFile::new().map_err(io)?;
            let mut out = std::io::BufWriter::new(file.as_file_mut());
            records = self.export_nsi(format, &mut out, |n| progress(done + n)).await?;
            drop(out);
            done += records;
            let name = format!("1461-{number}.{extension}");
            let key = format!("nsi/1461/{number}/{name}");
            let size = std::fs::metadata(file.path()).map_err(io)?.len();
            let sha256 = sha256_of(file.path())?;
            files.put_file(&key, file.path()).await.map_err(files_error)?;
            published.push(PublishedFile { format: extension.to_owned(), key, name, size, sha256 });
        }
        let records = i64::try_from(records).unwrap_or(i64::MAX);
        let version = NsiVersion {
            version: number,
            published_at: self.now(),
            published_by: match caller.actor() {
                Actor::User(person) => Some(person.user_id),
                _ => None,
            },
            watermark,
            records,
            added: if previous.is_some() { count("added") } else { records },
            changed: count("changed"),
            closed: count("closed"),
            files: serde_json::to_string(&published).map_err(frmo_store::StoreError::from)?,
        };
        let detail = serde_json::json!({
            "version": number, "records": records, "added": version.added, "changed": version.changed,
            "closed": version.closed, "watermark": watermark,
        });
        let entry = self.entry(caller, "nsi_publication", &format!("1461/{number}"), detail).await;
        if !self.store.insert_nsi_version(&version, &changes, vec![entry]).await? {
            for file in &published {
                let _ = files.delete(&file.key).await;
            }
            return Err(RegistryError::Conflict(
                "Одновременно опубликована другая версия; обновите страницу и проверьте, нужна ли ещё одна.".into(),
            ));
        }
        Ok(Publication { version: version.into(), files: published })
    }

    fn publication(version: NsiVersion) -> Publication {
        let files = serde_json::from_str(&version.files).unwrap_or_default();
        Publication { version: version.into(), files }
    }

    /// Every published version, newest first (public).
    pub async fn nsi_publications(&self) -> Result<Vec<Publication>> {
        Ok(self.store.nsi_versions().await?.into_iter().map(Self::publication).collect())
    }

    async fn nsi_publication(&self, number: i64) -> Result<Publication> {
        let version = self.store.nsi_version(number).await?;
        version
            .map(Self::publication)
            .ok_or_else(|| RegistryError::NotFound(format!("Версии {number} справочника нет.")))
    }

    /// A published file (public).
    pub async fn nsi_file(&self, number: i64, name: &str) -> Result<Download> {
        let publication = self.nsi_publication(number).await?;
        let file = publication
            .files
            .into_iter()
            .find(|f| f.name == name)
            .ok_or_else(|| RegistryError::NotFound(format!("В версии {number} нет файла «{name}».")))?;
        let body = self.documents_store()?.files.get(&file.key).await.map_err(files_error)?;
        let media_type = match file.format.as_str() {
            "json" => "application/json",
            "xml" => "application/xml",
            _ => "text/csv; charset=utf-8",
        };
        Ok(Download { name: file.name, media_type: media_type.into(), size: i64::try_from(file.size).ok(), body })
    }

    /// The organizations a version changed, with their records at that version (public).
    pub async fn nsi_version_changes(&self, number: i64) -> Result<(Publication, Vec<Change>)> {
        let publication = self.nsi_publication(number).await?;
        let changes = self.nsi_changes(number - 1, &publication.version).await?;
        Ok((publication, changes))
    }

    /// The records changed after version `since` up to the newest version: the incremental feed.
    /// An organization changed by several versions appears once, with its latest record («added»
    /// if any of them added it).
    pub async fn nsi_feed(&self, since: i64) -> Result<(Publication, Vec<Change>)> {
        let latest = self.store.nsi_versions().await?.into_iter().next().map(Self::publication);
        let latest = latest.ok_or_else(|| RegistryError::NotFound("Справочник ещё не публиковался.".into()))?;
        if since < 1 {
            return Err(RegistryError::invalid(ValidationError::new(
                "since",
                "С версии",
                "ожидается номер опубликованной версии, от 1; для начала загрузите полный файл",
            )));
        }
        // A version not published yet is a resource that does not exist (as `/versions/{n}`).
        if since > latest.version.version {
            return Err(RegistryError::NotFound(format!(
                "Версии {since} справочника ещё нет: последняя опубликованная — {}.",
                latest.version.version
            )));
        }
        let changes = self.nsi_changes(since, &latest.version).await?;
        Ok((latest, changes))
    }

    async fn nsi_changes(&self, after: i64, upto: &PublishedVersion) -> Result<Vec<Change>> {
        let mut by_oid = std::collections::BTreeMap::<String, String>::new();
        for (_, oid, change) in self.store.nsi_changes(after, upto.version).await? {
            let entry = by_oid.entry(oid).or_insert_with(|| change.clone());
            if entry != "added" {
                *entry = change;
            }
        }
        let mut changes = Vec::with_capacity(by_oid.len());
        for (oid, change) in by_oid {
            let Some((_, card)) = self.store.card_at(&oid, upto.watermark).await? else { continue };
            changes.push(Change { record: record_of(&card)?.0, oid, change });
        }
        Ok(changes)
    }
}

/// The OID of the directory the register is published as.
pub const NSI_IDENTIFIER: &str = "1.2.643.5.1.13.13.11.1461";

/// The largest page of [`Registry::nsi_page`]: public НСИ clients ask for up to 2,000 rows a page
/// (see `crates/frmo-web/src/register/nsi_rest.rs`).
pub const NSI_PAGE_MAX: i64 = 2000;

/// A page of a published version's records, as НСИ's `port/rest/data` serves it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NsiPage {
    pub publication: Publication,
    /// How many records the version has.
    pub total: i64,
    /// The page's records, values in [`nsi::FIELDS`] order.
    pub records: Vec<Vec<String>>,
}

impl Registry {
    /// Checks that `identifier` names the published directory (its OID), as НСИ's REST service
    /// takes it; a missing identifier is refused naming the parameter.
    pub fn check_nsi_identifier(identifier: Option<&str>) -> Result<()> {
        match identifier.map(str::trim) {
            None | Some("") => Err(RegistryError::invalid(ValidationError::new(
                "identifier",
                "Идентификатор справочника",
                format!("обязательный параметр «identifier»: OID справочника, {NSI_IDENTIFIER}"),
            ))),
            Some(NSI_IDENTIFIER) => Ok(()),
            Some(other) => Err(RegistryError::NotFound(format!(
                "Справочника «{other}» здесь нет: реестр публикует только {NSI_IDENTIFIER}."
            ))),
        }
    }

    /// Version `number`, or the newest when `None` (public).
    pub async fn nsi_publication_or_latest(&self, number: Option<i64>) -> Result<Publication> {
        match number {
            Some(number) => self.nsi_publication(number).await,
            None => self
                .store
                .nsi_versions()
                .await?
                .into_iter()
                .next()
                .map(Self::publication)
                .ok_or_else(|| RegistryError::NotFound("Справочник ещё не публиковался.".into())),
        }
    }

    /// Page `page` (from 1) of `size` records of version `number` (the newest when `None`): the
    /// register as it was at the version's watermark, each record made as the change feed makes it
    /// (public).
    pub async fn nsi_page(&self, number: Option<i64>, page: i64, size: i64) -> Result<NsiPage> {
        if page < 1 {
            return Err(RegistryError::invalid(ValidationError::new(
                "page",
                "Страница",
                format!("«{page}» — ожидается номер страницы, от 1"),
            )));
        }
        if !(1..=NSI_PAGE_MAX).contains(&size) {
            return Err(RegistryError::invalid(ValidationError::new(
                "size",
                "Размер страницы",
                format!("«{size}» — ожидается число записей на странице, от 1 до {NSI_PAGE_MAX}"),
            )));
        }
        let publication = self.nsi_publication_or_latest(number).await?;
        let watermark = publication.version.watermark;
        let total = self.store.count_cards_at(watermark).await?;
        let offset = (page - 1).saturating_mul(size);
        let mut records = Vec::new();
        if offset < total {
            for card in self.store.cards_at(watermark, offset, size).await? {
                records.push(record_of(&card)?.0);
            }
        }
        Ok(NsiPage { publication, total, records })
    }
}
