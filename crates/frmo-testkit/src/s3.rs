//! Real S3 for tests: tests/s3/server.py on PyPI's `moto` server (pinned in tests/s3/requirements.txt;
//! `.ci/run` installs it), one per test, with its own bucket. And `Storage`, the matrix of file
//! stores the document tests run on.

#![allow(clippy::unwrap_used, clippy::panic)] // test support: a failure here is a failed test

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use frmo_registry::documents::files::{Files, S3Settings};

use crate::process::{ReadyChild, free_port};

/// Where document files go in a test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Storage {
    Local,
    S3,
}

/// A running moto S3 server with the bucket `frmo`; stopped when dropped.
pub struct S3Server {
    _child: ReadyChild,
    pub endpoint: String,
}

impl S3Server {
    pub fn start() -> Self {
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/s3/server.py");
        let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
        for _ in 0..3 {
            let port = free_port();
            let mut command = Command::new(&python);
            command.arg(&script).arg(port.to_string()).arg("frmo");
            if let Some(child) = ReadyChild::spawn("s3", command, Duration::from_secs(60)) {
                return S3Server { _child: child, endpoint: format!("http://127.0.0.1:{port}") };
            }
        }
        panic!("tests/s3/server.py did not start (is moto installed? pip install -r tests/s3/requirements.txt)");
    }

    pub fn settings(&self) -> S3Settings {
        S3Settings {
            endpoint: self.endpoint.clone(),
            region: "us-east-1".into(),
            access_key_id: "test".into(),
            secret_access_key: "test".into(),
        }
    }
}

/// A file store that lives as long as the test: a temporary folder, or a moto server.
pub enum TestFiles {
    Local(tempfile::TempDir),
    S3(S3Server),
}

impl TestFiles {
    pub fn new(storage: Storage) -> Self {
        match storage {
            Storage::Local => TestFiles::Local(tempfile::tempdir().unwrap()),
            Storage::S3 => TestFiles::S3(S3Server::start()),
        }
    }

    /// Points `[files]` and `[documents] s3_*` of `config` at it (S3 under the prefix `registry`).
    pub fn configure(&self, config: &mut frmo_app::Config) {
        match self {
            TestFiles::Local(dir) => config.files = dir.path().display().to_string(),
            TestFiles::S3(server) => {
                let s3 = server.settings();
                config.files = "s3://frmo/registry".into();
                config.documents.s3_endpoint = s3.endpoint;
                config.documents.s3_region = s3.region;
                config.documents.s3_access_key_id = s3.access_key_id;
                config.documents.s3_secret_access_key = s3.secret_access_key;
            }
        }
    }

    /// The registry's view of it (S3 under the prefix `registry`).
    pub fn files(&self) -> Files {
        match self {
            TestFiles::Local(dir) => Files::open(&dir.path().display().to_string(), &S3Settings::default()).unwrap(),
            TestFiles::S3(server) => Files::open("s3://frmo/registry", &server.settings()).unwrap(),
        }
    }
}

/// Runs each listed `async fn name(backend: Backend, storage: Storage)` on SQLite and PostgreSQL,
/// each with local files and with S3, as `sqlite_local::name`, `postgres_s3::name` and so on.
#[macro_export]
macro_rules! storage_tests {
    ($($name:ident),* $(,)?) => {
        $crate::storage_tests!(@mod sqlite_local, Sqlite, Local; $($name),*);
        $crate::storage_tests!(@mod sqlite_s3, Sqlite, S3; $($name),*);
        $crate::storage_tests!(@mod postgres_local, Postgres, Local; $($name),*);
        $crate::storage_tests!(@mod postgres_s3, Postgres, S3; $($name),*);
    };
    (@mod $module:ident, $backend:ident, $storage:ident; $($name:ident),*) => {
        mod $module {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                super::$name($crate::Backend::$backend, $crate::s3::Storage::$storage).await
            }) *
        }
    };
}
