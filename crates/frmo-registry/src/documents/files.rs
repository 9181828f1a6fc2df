//! Where document files live: an `object_store` — a local folder by default, S3 (or any
//! S3-compatible store) for several servers. Uploads arrive in a local staging file (hashed and
//! size-checked as they stream in, never held whole in memory), are checked there, and only then go
//! to the store, in parts; downloads stream back out.

use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::stream::{BoxStream, StreamExt as _};
use object_store::path::Path as Key;
use object_store::{ObjectStore, ObjectStoreExt as _, WriteMultipart};
use sha2::{Digest as _, Sha256};

/// Settings of an S3 store (`files = "s3://bucket/prefix"`).
#[derive(Debug, Clone, Default)]
pub struct S3Settings {
    /// `http://127.0.0.1:9000` for MinIO, moto and the like; empty: AWS itself.
    pub endpoint: String,
    pub region: String,
    pub access_key_id: String,
    pub secret_access_key: String,
}

/// The file store. Cheap to clone.
#[derive(Clone)]
pub struct Files {
    store: Arc<dyn ObjectStore>,
    /// For messages and `frmo` start-up: `local:/path` or `s3://bucket/prefix`.
    pub location: String,
}

/// A failure of the file store (logged; users see an opaque error).
#[derive(Debug, thiserror::Error)]
#[error("хранилище файлов ({location}): {source}")]
pub struct FilesError {
    location: String,
    source: object_store::Error,
}

/// Part size of uploads to the store: S3's smallest.
const PART: usize = 5 * 1024 * 1024;

impl Files {
    /// Checks the shape of `url` without touching anything (configuration checks).
    pub fn check_location(url: &str) -> Result<(), String> {
        match url.strip_prefix("s3://") {
            Some(rest) if rest.split('/').next().is_some_and(|bucket| !bucket.is_empty()) => Ok(()),
            Some(_) => Err(format!("ожидается s3://КОРЗИНА[/ПРЕФИКС], получено «{url}»")),
            None if url.contains("://") && !url.starts_with("file://") => {
                Err(format!("ожидается путь к папке или s3://…, получено «{url}»"))
            }
            None if url.is_empty() => Err("путь к папке не указан".into()),
            None => Ok(()),
        }
    }

    /// Opens `url`: a folder path (or `file://PATH`, created if missing), or `s3://bucket[/prefix]`
    /// with `s3`.
    pub fn open(url: &str, s3: &S3Settings) -> Result<Self, String> {
        Self::check_location(url)?;
        if let Some(rest) = url.strip_prefix("s3://") {
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            let mut builder = object_store::aws::AmazonS3Builder::new()
                .with_bucket_name(bucket)
                .with_region(if s3.region.is_empty() { "us-east-1" } else { &s3.region });
            if !s3.endpoint.is_empty() {
                builder = builder
                    .with_endpoint(&s3.endpoint)
                    .with_allow_http(s3.endpoint.starts_with("http://"))
                    .with_virtual_hosted_style_request(false);
            }
            if !s3.access_key_id.is_empty() {
                builder = builder.with_access_key_id(&s3.access_key_id).with_secret_access_key(&s3.secret_access_key);
            }
            let store = builder.build().map_err(|e| e.to_string())?;
            let prefix = prefix.trim_matches('/');
            let store: Arc<dyn ObjectStore> = if prefix.is_empty() {
                Arc::new(store)
            } else {
                Arc::new(object_store::prefix::PrefixStore::new(store, prefix))
            };
            return Ok(Files { store, location: url.to_owned() });
        }
        let dir = url.strip_prefix("file://").unwrap_or(url);
        std::fs::create_dir_all(dir).map_err(|e| format!("папка {dir}: {e}"))?;
        let store = object_store::local::LocalFileSystem::new_with_prefix(dir)
            .map_err(|e| e.to_string())?
            .with_automatic_cleanup(true);
        Ok(Files { store: Arc::new(store), location: format!("local:{dir}") })
    }

    fn error(&self, source: object_store::Error) -> FilesError {
        FilesError { location: self.location.clone(), source }
    }

    /// Copies a staged file to `key`, in parts (never the whole file in memory).
    pub async fn put_file(&self, key: &str, path: &Path) -> Result<(), FilesError> {
        use tokio::io::AsyncReadExt as _;
        let upload = self.store.put_multipart(&Key::from(key)).await.map_err(|e| self.error(e))?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, PART);
        let io = |e: std::io::Error| object_store::Error::Generic { store: "staging", source: Box::new(e) };
        let mut file = tokio::fs::File::open(path).await.map_err(|e| self.error(io(e)))?;
        let mut buffer = vec![0u8; 256 * 1024];
        loop {
            let n = match file.read(&mut buffer).await {
                Ok(n) => n,
                Err(e) => {
                    let _ = writer.abort().await;
                    return Err(self.error(io(e)));
                }
            };
            if n == 0 {
                break;
            }
            writer.wait_for_capacity(2).await.map_err(|e| self.error(e))?;
            writer.write(&buffer[..n]);
        }
        writer.finish().await.map_err(|e| self.error(e))?;
        Ok(())
    }

    /// The file at `key`, as a stream of chunks.
    pub async fn get(&self, key: &str) -> Result<BoxStream<'static, Result<Bytes, FilesError>>, FilesError> {
        let result = self.store.get(&Key::from(key)).await.map_err(|e| self.error(e))?;
        let location = self.location.clone();
        Ok(result
            .into_stream()
            .map(move |chunk| chunk.map_err(|source| FilesError { location: location.clone(), source }))
            .boxed())
    }

    /// The whole file at `key` (signature files and other small ones).
    pub async fn read(&self, key: &str) -> Result<Bytes, FilesError> {
        let result = self.store.get(&Key::from(key)).await.map_err(|e| self.error(e))?;
        result.bytes().await.map_err(|e| self.error(e))
    }

    pub async fn exists(&self, key: &str) -> Result<bool, FilesError> {
        match self.store.head(&Key::from(key)).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(self.error(e)),
        }
    }

    /// Removes `key`; a missing file is not an error.
    pub async fn delete(&self, key: &str) -> Result<(), FilesError> {
        match self.store.delete(&Key::from(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(self.error(e)),
        }
    }

    /// Every file under `prefix`, with its last modification (Unix seconds).
    pub async fn list(&self, prefix: &str) -> Result<Vec<(String, i64)>, FilesError> {
        let mut listing = self.store.list(Some(&Key::from(prefix)));
        let mut files = Vec::new();
        while let Some(meta) = listing.next().await {
            let meta = meta.map_err(|e| self.error(e))?;
            files.push((meta.location.to_string(), meta.last_modified.timestamp()));
        }
        Ok(files)
    }
}

/// An upload being received: written to a local staging file as it streams in, hashed, and
/// refused as soon as it passes its limit. The staging file is removed when this is dropped.
pub struct Staged {
    file: tempfile::NamedTempFile,
    hasher: Sha256,
    pub size: u64,
    limit: u64,
    /// The name the sender gave (display only; the format is told by content).
    pub name: String,
}

/// An upload passed its size limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooLarge {
    pub limit: u64,
}

impl Staged {
    pub fn new(name: &str, limit: u64) -> std::io::Result<Self> {
        Ok(Staged {
            file: tempfile::NamedTempFile::new()?,
            hasher: Sha256::new(),
            size: 0,
            limit,
            name: clean_name(name),
        })
    }

    /// Appends a chunk; `Err(TooLarge)` once the upload exceeds its limit.
    pub fn push(&mut self, chunk: &[u8]) -> std::io::Result<Result<(), TooLarge>> {
        self.size += chunk.len() as u64;
        if self.size > self.limit {
            return Ok(Err(TooLarge { limit: self.limit }));
        }
        self.hasher.update(chunk);
        std::io::Write::write_all(&mut self.file, chunk)?;
        Ok(Ok(()))
    }

    /// The staged bytes so far are all there is: their SHA-256 (hex).
    pub fn finish(&mut self) -> std::io::Result<String> {
        std::io::Write::flush(&mut self.file)?;
        Ok(frmo_domain::hex::lower(&self.hasher.clone().finalize()))
    }

    pub fn path(&self) -> &Path {
        self.file.path()
    }
}

/// A file name fit to show and to send back: its last path component, without control characters
/// and quotes, at most 200 characters.
pub fn clean_name(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or("");
    let clean: String = last.chars().filter(|c| !c.is_control() && !matches!(c, '"' | '<' | '>')).take(200).collect();
    let clean = clean.trim().to_owned();
    if clean.is_empty() { "файл".to_owned() } else { clean }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_lose_paths_and_control_characters() {
        assert_eq!(clean_name("C:\\Users\\me\\Лицензия.pdf"), "Лицензия.pdf");
        assert_eq!(clean_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_name("a\"b\r\n.pdf"), "ab.pdf");
        assert_eq!(clean_name(""), "файл");
    }

    #[test]
    fn a_staged_upload_stops_at_its_limit_and_is_hashed() {
        let mut staged = Staged::new("x.pdf", 10).expect("staging");
        assert_eq!(staged.push(b"abc").expect("write"), Ok(()));
        assert_eq!(staged.finish().expect("hash"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert_eq!(staged.push(b"12345678").expect("write"), Err(TooLarge { limit: 10 }));
    }
}
