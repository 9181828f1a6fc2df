//! Test support: throw-away databases on both backends, a `TestApp` that boots the real router on
//! an ephemeral port exactly as `frmo serve` does, and the `backend_tests!` matrix that runs one
//! test body on SQLite and on PostgreSQL.
//!
//! PostgreSQL tests need `FRMO_TEST_POSTGRES_URL` (an admin connection; `scripts/test` starts a
//! throw-away cluster and sets it). Without it they fail and say so — they never skip silently.

pub mod docx;
pub mod oidc;
pub mod process;
pub mod s3;
pub mod smtp;

use frmo_domain::access::Actor;
use frmo_registry::Registry;
use frmo_store::Store;

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
            async fn $name() { super::$name($crate::Backend::Sqlite).await }) *
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name($crate::Backend::Postgres).await }) *
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

/// The registry served over HTTP on an ephemeral port, with a client for it.
pub struct TestApp {
    pub registry: Registry,
    pub base: String,
    pub client: reqwest::Client,
    server: tokio::task::JoinHandle<()>,
    pub db: TestDb,
    /// The document store of this app (a temporary folder unless a test chose S3).
    pub files: s3::TestFiles,
}

impl TestApp {
    /// An empty register.
    pub async fn empty(backend: Backend) -> Self {
        let (db, registry) = open_registry(backend, None).await;
        Self::serve(db, registry).await
    }

    /// The demo register (real organizations + `generated` others).
    pub async fn demo(backend: Backend, generated: u64) -> Self {
        let (db, registry) = open_registry(backend, Some(generated)).await;
        Self::serve(db, registry).await
    }

    async fn serve(db: (TestDb, s3::TestFiles), registry: Registry) -> Self {
        let listener = Listener::bind().await;
        let state = frmo_web::AppState::new(registry.clone(), &listener.base);
        listener.serve(db, registry, state)
    }

    /// The demo register keeping documents in `storage` with `settings`.
    pub async fn with_storage(
        backend: Backend,
        generated: u64,
        storage: s3::Storage,
        settings: frmo_registry::documents::DocumentSettings,
    ) -> Self {
        let (db, registry) = open_registry_with(backend, Some(generated), storage, settings).await;
        let listener = Listener::bind().await;
        let state = frmo_web::AppState::new(registry.clone(), &listener.base);
        listener.serve(db, registry, state)
    }

    /// The demo register under the `[limits]` of `settings` (rate limits, connection caps), as
    /// `frmo serve` runs with that section.
    pub async fn with_limits(backend: Backend, generated: u64, settings: frmo_web::limits::LimitSettings) -> Self {
        let (db, registry) = open_registry(backend, Some(generated)).await;
        let registry = registry.with_limits(settings.registry());
        let listener = Listener::bind().await;
        let mut state = frmo_web::AppState::new(registry.clone(), &listener.base);
        state.limits = std::sync::Arc::new(frmo_web::limits::Limits::new(settings).expect("limits"));
        listener.serve(db, registry, state)
    }

    /// The demo register with the ЕСИА stand mounted at `/esia-stand` and «Войти через Госуслуги»
    /// pointed at it, as `frmo serve --demo` runs.
    pub async fn with_esia(backend: Backend, generated: u64) -> Self {
        let (db, registry) = open_registry(backend, Some(generated)).await;
        let listener = Listener::bind().await;
        let mut state = frmo_web::AppState::new(registry.clone(), &listener.base);
        let (client, stand) =
            frmo_web::demo::esia(&registry, &listener.base, reqwest::Client::new()).await.expect("ЕСИА stand");
        let mut auth = frmo_web::AuthSettings::new(&listener.base);
        auth.esia = Some(client);
        state.auth = std::sync::Arc::new(auth);
        state.mounts.push((frmo_web::demo::STAND_PATH, stand));
        listener.serve(db, registry, state)
    }

    /// The demo register with «Войти через …» pointed at an OpenID provider: `provider` gets the
    /// callback address the provider must know and answers with the configured login.
    pub async fn with_oidc<F, Fut>(backend: Backend, generated: u64, provider: F) -> Self
    where
        F: FnOnce(String) -> Fut,
        Fut: std::future::Future<Output = frmo_web::oidc::OidcLogin>,
    {
        let (db, registry) = open_registry(backend, Some(generated)).await;
        let listener = Listener::bind().await;
        let mut state = frmo_web::AppState::new(registry.clone(), &listener.base);
        let mut auth = frmo_web::AuthSettings::new(&listener.base);
        auth.oidc = Some(provider(format!("{}/login/oidc/callback", listener.base)).await);
        state.auth = std::sync::Arc::new(auth);
        listener.serve(db, registry, state)
    }

    /// GET as an anonymous visitor.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(format!("{}{path}", self.base)).send().await.expect("request")
    }

    /// GET and parse JSON, returning the status too.
    pub async fn get_json(&self, path: &str) -> (u16, serde_json::Value) {
        let response = self.get(path).await;
        let status = response.status().as_u16();
        (status, response.json().await.expect("JSON body"))
    }

    /// GET and return the status and body text.
    pub async fn get_text(&self, path: &str) -> (u16, String) {
        let response = self.get(path).await;
        let status = response.status().as_u16();
        (status, response.text().await.expect("text body"))
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// A registry on a fresh database; with `Some(generated)`, the demo register (real organizations +
/// `generated` others). Its documents go to a temporary folder (see `TestApp::with_storage`).
async fn open_registry(backend: Backend, demo: Option<u64>) -> ((TestDb, s3::TestFiles), Registry) {
    open_registry_with(backend, demo, s3::Storage::Local, Default::default()).await
}

async fn open_registry_with(
    backend: Backend,
    demo: Option<u64>,
    storage: s3::Storage,
    settings: frmo_registry::documents::DocumentSettings,
) -> ((TestDb, s3::TestFiles), Registry) {
    let db = TestDb::new(backend).await;
    let files = s3::TestFiles::new(storage);
    let registry =
        Registry::open(db.store().await).await.expect("open registry").with_documents(files.files(), settings);
    if let Some(generated) = demo {
        registry.seed_demo(&Actor::System, generated).await.expect("seed demo");
    }
    ((db, files), registry)
}

/// An ephemeral port, bound before the app is configured (so providers can learn its address).
struct Listener {
    listener: tokio::net::TcpListener,
    base: String,
}

impl Listener {
    async fn bind() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("address"));
        Listener { listener, base }
    }

    fn serve(self, db: (TestDb, s3::TestFiles), registry: Registry, state: frmo_web::AppState) -> TestApp {
        let Listener { listener, base } = self;
        let server = tokio::spawn(async move {
            let _ = frmo_web::serve(listener, state, std::future::pending()).await;
        });
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
        let (db, files) = db;
        TestApp { registry, base, client, server, db, files }
    }
}

/// A browser without JavaScript over `TestApp`: keeps cookies, follows redirects on request, and
/// fills forms by their field names.
pub struct Browser {
    pub base: String,
    client: reqwest::Client,
    pub cookies: std::collections::BTreeMap<String, String>,
}

/// A response read whole.
pub struct Page {
    pub status: u16,
    pub location: Option<String>,
    pub set_cookies: Vec<String>,
    pub body: String,
}

impl Browser {
    pub fn new(app: &TestApp) -> Self {
        Browser { base: app.base.clone(), client: app.client.clone(), cookies: Default::default() }
    }

    fn url(&self, path: &str) -> String {
        if path.starts_with("http") { path.to_owned() } else { format!("{}{path}", self.base) }
    }

    async fn read(&mut self, response: reqwest::Response) -> Page {
        let status = response.status().as_u16();
        let location = response.headers().get("location").and_then(|v| v.to_str().ok()).map(str::to_owned);
        let set_cookies: Vec<String> = response
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .map(str::to_owned)
            .collect();
        for cookie in &set_cookies {
            let pair = cookie.split(';').next().unwrap_or_default();
            if let Some((name, value)) = pair.split_once('=') {
                if value.is_empty() || cookie.contains("Max-Age=0") {
                    self.cookies.remove(name);
                } else {
                    self.cookies.insert(name.to_owned(), value.to_owned());
                }
            }
        }
        Page { status, location, set_cookies, body: response.text().await.unwrap_or_default() }
    }

    fn cookie_header(&self) -> String {
        self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")
    }

    pub async fn get(&mut self, path: &str) -> Page {
        let response =
            self.client.get(self.url(path)).header("cookie", self.cookie_header()).send().await.expect("GET");
        self.read(response).await
    }

    pub async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        let response = self
            .client
            .post(self.url(path))
            .header("cookie", self.cookie_header())
            .form(form)
            .send()
            .await
            .expect("POST");
        self.read(response).await
    }

    /// Follows redirects from `page` until a page that is not one.
    pub async fn follow(&mut self, mut page: Page) -> Page {
        for _ in 0..10 {
            match (page.status, page.location.clone()) {
                (301 | 302 | 303 | 307 | 308, Some(location)) => page = self.get(&location).await,
                _ => return page,
            }
        }
        panic!("too many redirects");
    }
}

/// A `multipart/form-data` body: text fields, then files (name, file name, bytes); the content
/// type (with its boundary) and the body.
pub fn multipart(fields: &[(&str, &str)], files: &[(&str, &str, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "frmo-test-boundary-7d2f";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").bytes(),
        );
    }
    for (name, file_name, bytes) in files {
        body.extend(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{file_name}\"\r\n\
                 Content-Type: application/octet-stream\r\n\r\n"
            )
            .bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend(b"\r\n");
    }
    body.extend(format!("--{boundary}--\r\n").bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// The value of a hidden or text input of a page, by name.
pub fn input_value(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].replace("&#x2d;", "-").replace("&#45;", "-"))
}

/// The folder of real public samples (`../shared/reference/samples` beside the clone, or
/// `FRMO_REFERENCE_SAMPLES`): read by tests where they are, never copied into the repository.
pub fn reference_samples() -> std::path::PathBuf {
    std::env::var_os("FRMO_REFERENCE_SAMPLES").map_or_else(
        || std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/reference/samples"),
        std::path::PathBuf::from,
    )
}

/// One real sample's bytes.
pub fn reference_sample(name: &str) -> Vec<u8> {
    let path = reference_samples().join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e} (set FRMO_REFERENCE_SAMPLES)", path.display()))
}
