//! Throw-away databases for tests on both backends, and `backend_tests!`, which runs one test body
//! on SQLite and on PostgreSQL. Here, in the store (behind the `testing` feature), so the store's
//! own tests need no crate above it; `frmo-testkit` re-exports it for everyone else.
//!
//! PostgreSQL tests need `FRMO_TEST_POSTGRES_URL` (an admin connection; `scripts/test` starts a
//! throw-away cluster and sets it). Without it they fail and say so — they never skip silently.

use crate::Store;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs each listed `async fn name(backend: Backend)` once per backend, as
/// `sqlite::name` and `postgres::name`.
#[macro_export]
macro_rules! backend_tests {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name($crate::testing::Backend::Sqlite).await }) *
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name($crate::testing::Backend::Postgres).await }) *
        }
    };
}

/// The admin URL of the PostgreSQL server tests use.
pub fn postgres_admin_url() -> String {
    std::env::var("FRMO_TEST_POSTGRES_URL").unwrap_or_else(|_| {
        panic!(
            "FRMO_TEST_POSTGRES_URL is not set: run the suite with scripts/test, which starts a throw-away \
             PostgreSQL cluster, or point it at a server where the user may create databases"
        )
    })
}

/// A database that exists for one test and is removed after it.
pub struct TestDb {
    pub backend: Backend,
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    postgres: Option<(String, String)>,
}

impl TestDb {
    pub async fn new(backend: Backend) -> Self {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}", dir.path().join("frmo.db").display());
                TestDb { backend, url, _dir: Some(dir), postgres: None }
            }
            Backend::Postgres => {
                let admin = postgres_admin_url();
                let name = format!("frmo_test_{}", uuid::Uuid::new_v4().simple());
                let (client, connection) =
                    tokio_postgres::connect(&admin, tokio_postgres::NoTls).await.expect("connect to test PostgreSQL");
                tokio::spawn(connection);
                client.batch_execute(&format!("CREATE DATABASE {name}")).await.expect("create test database");
                let mut config: tokio_postgres::Config = admin.parse().expect("FRMO_TEST_POSTGRES_URL parses");
                config.dbname(&name);
                let url = postgres_url(&config);
                TestDb { backend, url, _dir: None, postgres: Some((admin, name)) }
            }
        }
    }

    /// Opens the store and applies migrations.
    pub async fn store(&self) -> Store {
        let store = Store::open(&self.url).await.expect("open test store");
        store.migrate().await.expect("migrate test store");
        store
    }

    /// PostgreSQL only: whether the database takes connections. Refusing them also ends every
    /// connection to it, as a restart or a failover of the server would.
    pub async fn set_reachable(&self, reachable: bool) {
        let (admin, name) = self.postgres.as_ref().expect("a PostgreSQL test database");
        let (client, connection) = tokio_postgres::connect(admin, tokio_postgres::NoTls).await.expect("admin");
        tokio::spawn(connection);
        client.batch_execute(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS {reachable}")).await.expect("alter");
        if !reachable {
            client
                .execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", &[name])
                .await
                .expect("end the connections");
        }
    }
}

/// A `postgres://` URL for a parsed config (host may be a socket directory).
fn postgres_url(config: &tokio_postgres::Config) -> String {
    let user = config.get_user().unwrap_or("postgres");
    let host = match config.get_hosts().first() {
        Some(tokio_postgres::config::Host::Tcp(host)) => host.clone(),
        Some(tokio_postgres::config::Host::Unix(path)) => path.display().to_string().replace('/', "%2F"),
        None => "localhost".into(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let db = config.get_dbname().unwrap_or("postgres");
    let password = config.get_password().map(|p| format!(":{}", String::from_utf8_lossy(p))).unwrap_or_default();
    format!("postgres://{user}{password}@{host}:{port}/{db}")
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((admin, name)) = self.postgres.take() {
            // Dropped from a plain thread: the test's runtime may be shutting down.
            let dropper = std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
                runtime.block_on(async {
                    let (client, connection) = tokio_postgres::connect(&admin, tokio_postgres::NoTls).await.ok()?;
                    tokio::spawn(connection);
                    client.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await.ok()
                })
            });
            let _ = dropper.join();
        }
    }
}
