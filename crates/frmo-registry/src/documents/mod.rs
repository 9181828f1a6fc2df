//! Documents of an organization: licences, orders, certificates — each a file told by its content,
//! with an optional detached signature verified on arrival (`frmo-esign`), versions kept on
//! replacement, statuses by their valid-until date, public ones (licences) on the public card, and
//! reminders to the organization's people before a document expires.
//!
//! An upload is all-or-nothing: the form and the file are checked first (in a local staging file),
//! then the blobs go to the store, then the row; if the row fails, the blobs are deleted, and what a
//! crash leaves between the two steps is swept as an orphan.

pub mod files;

use frmo_domain::access::{Action, Actor};
use frmo_domain::document::{DocumentKind, DocumentStatus, Format, PackageLimits, sniff_seekable, unreadable};
use frmo_domain::error::ValidationError;
use frmo_domain::ident::OrgOid;
use frmo_store::documents::DocumentRecord;
use serde::Serialize;
use time::Date;

use crate::Caller;
use crate::documents::files::{Files, FilesError, Staged};
use crate::register::search::{format_date, parse_date};
use crate::{Registry, RegistryError, Result};
use frmo_domain::date::{iso, read as read_date};

/// What documents may be and when they count as expiring (configuration).
#[derive(Clone)]
pub struct DocumentSettings {
    /// Largest file accepted, bytes (default 10 MB).
    pub max_bytes: u64,
    /// Largest signature file accepted, bytes.
    pub max_signature_bytes: u64,
    /// A document is «истекает» this many days before its valid-until date.
    pub expiring_days: i64,
    /// Members are reminded this many days before a document expires.
    pub reminder_days: i64,
    /// Trust anchors of signatures (CA certificates, DER); empty: chains are not checked.
    pub trust: Vec<Vec<u8>>,
    pub package_limits: PackageLimits,
}

impl Default for DocumentSettings {
    fn default() -> Self {
        DocumentSettings {
            max_bytes: 10 * 1024 * 1024,
            max_signature_bytes: 1024 * 1024,
            expiring_days: 30,
            reminder_days: 30,
            trust: Vec::new(),
            package_limits: PackageLimits::default(),
        }
    }
}

/// The file store and its settings, as the registry holds them.
#[derive(Clone)]
pub struct Documents {
    pub files: Files,
    pub settings: DocumentSettings,
}

/// The fields of the upload form (as typed).
#[derive(Debug, Clone, Default)]
pub struct DocumentForm {
    pub kind: String,
    pub number: String,
    pub issued_on: String,
    pub valid_until: String,
    /// Shown on the public card (licences always are).
    pub public: bool,
    /// The document version this one replaces.
    pub replaces: Option<i64>,
}

/// An upload: the form and the staged files.
pub struct Upload {
    pub form: DocumentForm,
    pub file: Option<Staged>,
    pub signature: Option<Staged>,
}

/// The verdict on a document's signature, as shown beside it.
#[derive(Debug, Clone, Serialize)]
pub struct SignatureView {
    /// действительна (a trust anchor vouches for the signer) / верна, подписант не подтверждён (no anchor
    /// does) / недействительна / цепочка не доверена / сертификат просрочен
    pub label: &'static str,
    pub valid: bool,
    pub reason: String,
    pub algorithm: String,
    /// Who signed: ФИО, organization, ИНН and ОГРН as the certificate says.
    pub signer: String,
    pub signing_time: Option<String>,
}

/// A document version as pages and the API show it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DocumentView {
    pub id: i64,
    pub series: String,
    pub version: i64,
    pub kind: i64,
    pub kind_name: &'static str,
    pub number: String,
    /// `dd.MM.yyyy`.
    pub issued_on: String,
    pub valid_until: Option<String>,
    /// Written as its Russian label (`актуален`, `истекает`, …), as the API has always said it.
    #[serde(serialize_with = "status_label")]
    pub status: DocumentStatus,
    pub public: bool,
    pub file_name: String,
    pub media_type: String,
    pub size: i64,
    pub sha256: String,
    pub signature: Option<SignatureView>,
    pub url: String,
    pub signature_url: Option<String>,
    pub uploaded_at: i64,
    pub current: bool,
}

/// A file to send: its name, type, length and bytes.
pub struct Download {
    pub name: String,
    pub media_type: String,
    pub size: Option<i64>,
    pub body: futures_util::stream::BoxStream<'static, std::result::Result<bytes::Bytes, FilesError>>,
}

pub(crate) fn files_error(error: FilesError) -> RegistryError {
    RegistryError::Store(frmo_store::StoreError::Unexpected(error.to_string()))
}

/// «10 МБ», «1,5 МБ», «500 КБ».
pub fn megabytes(bytes: u64) -> String {
    if bytes >= 1024 * 1024 {
        let tenths = bytes * 10 / (1024 * 1024);
        if tenths.is_multiple_of(10) {
            format!("{} МБ", tenths / 10)
        } else {
            format!("{},{} МБ", tenths / 10, tenths % 10)
        }
    } else {
        format!("{} КБ", bytes.div_ceil(1024))
    }
}

fn signature_view(verdict: &str) -> Option<SignatureView> {
    let verdict: serde_json::Value = serde_json::from_str(verdict).ok()?;
    let text = |key: &str| verdict.get(key).and_then(|v| v.as_str()).unwrap_or_default().to_owned();
    let trusted = verdict.get("chain").and_then(|v| v.as_str()) == Some("trusted");
    let label = match verdict.get("status").and_then(|v| v.as_str()) {
        Some("valid") if trusted => "действительна",
        Some("valid") => "верна, подписант не подтверждён",
        Some("untrusted") => "цепочка не доверена",
        Some("expired") => "сертификат просрочен",
        _ => "недействительна",
    };
    let signer = verdict.get("signer").map_or_else(String::new, |s| {
        let field = |key: &str| s.get(key).and_then(|v| v.as_str()).filter(|v| !v.is_empty()).map(str::to_owned);
        let mut parts: Vec<String> = [field("name"), field("organization")].into_iter().flatten().collect();
        // The signer's СНИЛС is personal data: `frmo esign verify` prints it, pages do not.
        for (key, label) in [("inn", "ИНН"), ("ogrn", "ОГРН")] {
            if let Some(value) = field(key) {
                parts.push(format!("{label} {value}"));
            }
        }
        parts.join(", ")
    });
    Some(SignatureView {
        label,
        // Shown as valid only when a trust anchor vouches for the signer.
        valid: trusted && verdict.get("valid").and_then(|v| v.as_bool()).unwrap_or(false),
        reason: text("reason"),
        algorithm: text("algorithm"),
        signer,
        signing_time: verdict.get("signing_time").and_then(|v| v.as_str()).map(str::to_owned),
    })
}

impl Documents {
    fn view(&self, record: DocumentRecord, today: Date) -> DocumentView {
        let kind = u32::try_from(record.kind).ok().and_then(DocumentKind::by_code);
        let valid_until = record.valid_until.as_deref().and_then(read_date);
        let status = DocumentStatus::of(valid_until, record.replaced_at.is_some(), today, self.settings.expiring_days);
        DocumentView {
            id: record.id,
            series: record.series,
            version: record.version,
            kind: record.kind,
            kind_name: kind.map_or("Документ", |k| k.name),
            number: record.number,
            issued_on: read_date(&record.issued_on).map(format_date).unwrap_or(record.issued_on),
            valid_until: valid_until.map(format_date),
            status,
            public: record.public,
            file_name: record.file_name,
            media_type: record.media_type,
            size: record.size,
            sha256: record.sha256,
            signature: record.verdict.as_deref().and_then(signature_view),
            url: format!("/documents/{}/file", record.id),
            signature_url: record.signature_key.map(|_| format!("/documents/{}/signature", record.id)),
            uploaded_at: record.uploaded_at,
            current: record.replaced_at.is_none(),
        }
    }
}

/// What the file at `path` is, by its content (`frmo_domain::document::sniff_seekable`): its first
/// bytes and, for a ZIP, its central directory, never the whole file.
pub fn sniff_file(path: &std::path::Path, limits: PackageLimits) -> std::result::Result<Format, ValidationError> {
    let mut file = std::fs::File::open(path).map_err(|_| unreadable())?;
    let len = file.metadata().map_err(|_| unreadable())?.len();
    sniff_seekable(&mut file, len, limits)
}

/// What a received file is ([`sniff_file`]), found on a blocking thread: a package is inflated (up
/// to its limits) to be checked, which must not hold up the server's other requests.
pub(crate) async fn sniff_staged(
    staged: &Staged,
    limits: PackageLimits,
) -> Result<std::result::Result<Format, ValidationError>> {
    let path = staged.path().to_owned();
    tokio::task::spawn_blocking(move || sniff_file(&path, limits))
        .await
        .map_err(|e| RegistryError::Store(frmo_store::StoreError::from(e)))
}

impl Registry {
    /// Keeps documents in `files` with these settings.
    pub fn with_documents(mut self, files: Files, settings: DocumentSettings) -> Self {
        self.documents = Some(std::sync::Arc::new(Documents { files, settings }));
        self
    }

    pub fn documents_settings(&self) -> Option<&Documents> {
        self.documents.as_deref()
    }

    pub(crate) fn documents_store(&self) -> Result<&Documents> {
        self.documents
            .as_deref()
            .ok_or_else(|| RegistryError::Conflict("Хранилище документов не настроено в этом развёртывании.".into()))
    }

    /// Today's date in Moscow.
    pub(crate) fn today(&self) -> Date {
        crate::moderation::requests::moscow_date(self.now())
    }

    /// Adds a document (or a new version of one) to an organization. Checks everything before
    /// anything is stored; a refused upload leaves no file and no row.
    pub async fn upload_document(&self, caller: &Caller, oid: &OrgOid, upload: Upload) -> Result<i64> {
        let documents = self.documents_store()?;
        self.organization_target(caller, oid, Action::EditOrganization).await?;
        let Upload { form, file, signature } = upload;
        let mut errors = Vec::new();
        let mut field = |result: std::result::Result<(), ValidationError>| {
            if let Err(error) = result {
                errors.push(error);
            }
        };
        let kind = form.kind.trim().parse::<u32>().ok().and_then(DocumentKind::by_code);
        field(
            kind.map(drop).ok_or_else(|| ValidationError::new("kind", "Вид документа", "выберите вид из справочника")),
        );
        let number = form.number.trim().to_owned();
        field(match number.chars().count() {
            0 => Err(ValidationError::new("number", "Номер", "не заполнен")),
            101.. => Err(ValidationError::new("number", "Номер", "не длиннее 100 символов")),
            _ => Ok(()),
        });
        let today = self.today();
        let issued_on = match parse_date("issuedOn", "Дата выдачи", form.issued_on.trim()) {
            Ok(date) if date > today => {
                field(Err(ValidationError::new("issuedOn", "Дата выдачи", "не может быть позже сегодняшней")));
                None
            }
            Ok(date) => Some(date),
            Err(error) => {
                field(Err(error));
                None
            }
        };
        let valid_until = match form.valid_until.trim() {
            "" if kind.is_some_and(|k| k.expires) => {
                field(Err(ValidationError::new(
                    "validUntil",
                    "Действует до",
                    "у документа этого вида срок обязателен",
                )));
                None
            }
            "" => None,
            text => match parse_date("validUntil", "Действует до", text) {
                Ok(date) if issued_on.is_some_and(|issued| date < issued) => {
                    field(Err(ValidationError::new("validUntil", "Действует до", "раньше даты выдачи")));
                    None
                }
                Ok(date) => Some(date),
                Err(error) => {
                    field(Err(error));
                    None
                }
            },
        };
        let limits = documents.settings.package_limits;
        let mut file = file.filter(|f| f.size > 0);
        let file_sha = match file.as_mut() {
            None => {
                field(Err(ValidationError::new("file", "Файл", "не выбран или пуст")));
                None
            }
            Some(staged) if staged.size > documents.settings.max_bytes => {
                let limit = megabytes(documents.settings.max_bytes);
                field(Err(ValidationError::new("file", "Файл", format!("больше допустимых {limit}"))));
                None
            }
            Some(staged) => {
                let sha = staged.finish().map_err(|e| RegistryError::Store(e.into()))?;
                match sniff_staged(staged, limits).await? {
                    Ok(format) => Some((sha, format)),
                    Err(error) => {
                        field(Err(error));
                        None
                    }
                }
            }
        };
        let mut signature = signature.filter(|s| s.size > 0);
        if signature.as_ref().is_some_and(|s| s.size > documents.settings.max_signature_bytes) {
            let limit = megabytes(documents.settings.max_signature_bytes);
            field(Err(ValidationError::new("signature", "Файл подписи", format!("больше допустимых {limit}"))));
            signature = None;
        }
        let mut verdict = None;
        if let (Some(staged), Some(content), true) = (signature.as_mut(), file.as_ref(), file_sha.is_some()) {
            staged.finish().map_err(|e| RegistryError::Store(e.into()))?;
            // The signature covers the whole content: it is read (at most `max_bytes`) to be checked.
            let content = tokio::fs::read(content.path()).await.map_err(|e| RegistryError::Store(e.into()))?;
            let signature = tokio::fs::read(staged.path()).await.map_err(|e| RegistryError::Store(e.into()))?;
            let now = time::OffsetDateTime::from_unix_timestamp(self.now()).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
            match frmo_esign::verify(&content, &signature, &documents.settings.trust, now) {
                Ok(v) => verdict = Some(serde_json::to_string(&v).map_err(frmo_store::StoreError::from)?),
                Err(error) => field(Err(ValidationError::new("signature", "Файл подписи", error.to_string()))),
            }
        }
        let replaced = match form.replaces {
            None => None,
            Some(id) => match self.store.document(id).await? {
                Some(old) if old.oid == oid.as_str() && old.replaced_at.is_none() => Some(old),
                Some(old) if old.oid == oid.as_str() => {
                    return Err(RegistryError::Conflict("Этот документ уже заменён; обновите страницу.".into()));
                }
                _ => return Err(RegistryError::NotFound(format!("Документ {id} у организации {oid} не найден"))),
            },
        };
        let (Some(kind), Some(issued_on), Some((sha256, format)), Some(file), true) =
            (kind, issued_on, file_sha, file, errors.is_empty())
        else {
            return Err(RegistryError::Invalid(errors));
        };

        let blob = uuid::Uuid::new_v4().simple().to_string();
        let file_key = format!("documents/{oid}/{blob}");
        let signature_key = signature.as_ref().map(|_| format!("{file_key}.sig"));
        documents.files.put_file(&file_key, file.path()).await.map_err(files_error)?;
        if let (Some(key), Some(staged)) = (&signature_key, &signature)
            && let Err(error) = documents.files.put_file(key, staged.path()).await
        {
            let _ = documents.files.delete(&file_key).await;
            return Err(files_error(error));
        }
        let uploaded_by = match caller.actor() {
            Actor::User(person) => Some(person.user_id),
            _ => None,
        };
        let record = DocumentRecord {
            id: 0,
            oid: oid.as_str().to_owned(),
            series: replaced.as_ref().map_or_else(|| blob.clone(), |old| old.series.clone()),
            version: replaced.as_ref().map_or(1, |old| old.version + 1),
            kind: i64::from(kind.code),
            number,
            issued_on: iso(issued_on),
            valid_until: valid_until.map(iso),
            public: kind.public || form.public,
            file_key: file_key.clone(),
            file_name: file.name.clone(),
            media_type: format.media_type().to_owned(),
            size: file.size as i64,
            sha256,
            signature_key: signature_key.clone(),
            signature_name: signature.as_ref().map(|s| s.name.clone()),
            verdict,
            uploaded_by,
            uploaded_at: self.now(),
            replaced_at: None,
        };
        let detail = serde_json::json!({
            "document": kind.name, "number": record.number, "file": record.file_name, "sha256": record.sha256,
            "signed": record.signature_key.is_some(), "replaces": form.replaces,
        });
        let entry = self.entry(caller, "document", oid.as_str(), detail).await;
        match self.store.insert_document(&record, replaced.map(|old| old.id), vec![entry]).await {
            Ok(id) => Ok(id),
            Err(error) => {
                // The blobs are nobody's now: removed at once (the sweep would find them later).
                let _ = documents.files.delete(&file_key).await;
                if let Some(key) = &signature_key {
                    let _ = documents.files.delete(key).await;
                }
                Err(error.into())
            }
        }
    }

    /// Every document version of an organization (newest first), for those who may read it.
    pub async fn documents(&self, caller: &Caller, oid: &OrgOid) -> Result<Vec<DocumentView>> {
        let documents = self.documents_store()?;
        self.organization_target(caller, oid, Action::ReadOrganization).await?;
        let today = self.today();
        Ok(self.store.documents_of(oid.as_str()).await?.into_iter().map(|r| documents.view(r, today)).collect())
    }

    /// The current public documents of an organization (its licences), for anyone.
    pub async fn public_documents(&self, oid: &OrgOid) -> Result<Vec<DocumentView>> {
        let Some(documents) = self.documents.as_deref() else { return Ok(Vec::new()) };
        let today = self.today();
        Ok(self
            .store
            .documents_of(oid.as_str())
            .await?
            .into_iter()
            .filter(|r| r.public && r.replaced_at.is_none())
            .map(|r| documents.view(r, today))
            .collect())
    }

    /// A document's file (or its signature): anyone for a current public document, those who may
    /// read the organization otherwise.
    pub async fn document_file(&self, caller: &Caller, id: i64, signature: bool) -> Result<Download> {
        let documents = self.documents_store()?;
        let missing = || RegistryError::NotFound(format!("Документ {id} не найден"));
        let record = self.store.document(id).await?.ok_or_else(missing)?;
        if !(record.public && record.replaced_at.is_none()) {
            let oid = OrgOid::parse(&record.oid).map_err(RegistryError::invalid)?;
            self.organization_target(caller, &oid, Action::ReadOrganization).await?;
        }
        let (key, name, media_type, size) = if signature {
            let key =
                record.signature_key.ok_or_else(|| RegistryError::NotFound(format!("У документа {id} нет подписи")))?;
            let name = record.signature_name.unwrap_or_else(|| "signature.sig".into());
            (key, name, "application/pkcs7-signature".to_owned(), None)
        } else {
            (record.file_key, record.file_name, record.media_type, Some(record.size))
        };
        let body = documents.files.get(&key).await.map_err(files_error)?;
        Ok(Download { name, media_type, size, body })
    }

    /// Deletes files no row names that are older than `grace_seconds` (an upload between its blob
    /// and its row is younger). Returns how many were removed.
    pub async fn sweep_orphan_files(&self, grace_seconds: i64) -> Result<usize> {
        let documents = self.documents_store()?;
        let cutoff = self.now() - grace_seconds;
        let mut listed = documents.files.list("documents").await.map_err(files_error)?;
        listed.sort();
        let mut removed = 0;
        let mut known: (String, std::collections::HashSet<String>) = (String::new(), Default::default());
        for (key, modified) in listed {
            let Some(oid) = key.strip_prefix("documents/").and_then(|rest| rest.split('/').next()) else { continue };
            if known.0 != oid {
                known = (oid.to_owned(), self.store.document_keys_of(oid).await?.into_iter().collect());
            }
            if modified <= cutoff && !known.1.contains(&key) {
                documents.files.delete(&key).await.map_err(files_error)?;
                tracing::info!(%key, "orphan document file removed");
                removed += 1;
            }
        }
        Ok(removed)
    }

    /// Tells the people of each organization about its documents that expire within the reminder
    /// period, once per document version. Returns how many documents were reminded of.
    pub async fn remind_expiring_documents(&self) -> Result<usize> {
        let documents = self.documents_store()?;
        let until = self.today() + time::Duration::days(documents.settings.reminder_days);
        let mut reminded = 0;
        for record in self.store.documents_to_remind(&iso(until), 500).await? {
            let kind = u32::try_from(record.kind).ok().and_then(DocumentKind::by_code).map_or("Документ", |k| k.name);
            let date = record.valid_until.as_deref().and_then(read_date).map(format_date).unwrap_or_default();
            let title = format!("Истекает срок документа: {kind} № {}", record.number);
            let body = format!(
                "Документ «{kind}» № {} организации {} действует до {date}. Загрузите новую версию в кабинете.",
                record.number, record.oid
            );
            let link = format!("/cabinet/organizations/{}/documents", record.oid);
            let mut notices = Vec::new();
            for member in self.store.members_of(&record.oid).await? {
                notices.extend(self.notice(member.user_id, &title, &body, &link).await?);
            }
            if self.store.remind_document(record.id, self.now(), notices).await? {
                reminded += 1;
            }
        }
        Ok(reminded)
    }

    /// Runs the reminders and the orphan sweep every `every`.
    pub fn spawn_document_jobs(&self, every: std::time::Duration) -> tokio::task::JoinHandle<()> {
        let registry = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            loop {
                tick.tick().await;
                if let Err(error) = registry.remind_expiring_documents().await {
                    tracing::warn!(%error, "document reminders failed");
                }
                if let Err(error) = registry.sweep_orphan_files(3600).await {
                    tracing::warn!(%error, "orphan sweep failed");
                }
            }
        })
    }
}

fn status_label<S: serde::Serializer>(status: &DocumentStatus, serializer: S) -> std::result::Result<S::Ok, S::Error> {
    serializer.serialize_str(status.label())
}
