//! Test support: throw-away databases on both backends and the `backend_tests!` matrix that runs one
//! test body on SQLite and on PostgreSQL (both from `frmo_store::testing`), a `TestApp` booted by
//! `frmo_app::App::build` as `frmo serve` is and served on an ephemeral port, and people of every
//! role signed in to it (`roles.rs`).
//!
//! PostgreSQL tests need `FRMO_TEST_POSTGRES_URL` (an admin connection; `scripts/test` starts a
//! throw-away cluster and sets it). Without it they fail and say so — they never skip silently.

pub mod docx;
pub mod oidc;
pub mod process;
mod roles;
pub mod s3;
pub mod smtp;

pub use roles::{SignedIn, TEST_REQUEST};

use frmo_domain::access::Actor;
use frmo_registry::Registry;

pub use frmo_store::backend_tests;
pub use frmo_store::testing::{Backend, TestDb, postgres_admin_url};

/// The registry served over HTTP on an ephemeral port, with a client for it. Booted by
/// `frmo_app::App::build` from a configuration, as `frmo serve` boots (without its background jobs,
/// which a test starts itself when it needs them: `App::start_jobs`).
pub struct TestApp {
    pub registry: Registry,
    pub base: String,
    pub client: reqwest::Client,
    server: tokio::task::JoinHandle<()>,
    pub db: TestDb,
    /// The document store of this app (a temporary folder unless a test chose S3).
    pub files: s3::TestFiles,
    /// Numbers the accounts of the role helpers (`as_admin`, …) so each call makes a new person.
    people: std::sync::atomic::AtomicU32,
}

impl TestApp {
    /// An empty register.
    pub async fn empty(backend: Backend) -> Self {
        Self::boot(backend, s3::Storage::Local, |_| {}).await.serve()
    }

    /// The demo register (real organizations + `generated` others).
    pub async fn demo(backend: Backend, generated: u64) -> Self {
        Self::boot(backend, s3::Storage::Local, |_| {}).await.seeded(generated).await.serve()
    }

    /// The demo register keeping documents in `storage` with `settings`.
    pub async fn with_storage(
        backend: Backend,
        generated: u64,
        storage: s3::Storage,
        settings: frmo_registry::documents::DocumentSettings,
    ) -> Self {
        let mut booted = Self::boot(backend, storage, |_| {}).await.seeded(generated).await;
        // Sizes below a megabyte, which the configuration (`[documents] max_mb`) cannot state.
        booted.app.registry = booted.app.registry.clone().with_documents(booted.files.files(), settings);
        booted.serve()
    }

    /// The demo register under the `[limits]` of `settings` (rate limits, connection caps), as
    /// `frmo serve` runs with that section.
    pub async fn with_limits(backend: Backend, generated: u64, settings: frmo_web::limits::LimitSettings) -> Self {
        Self::boot(backend, s3::Storage::Local, |config| config.limits = settings).await.seeded(generated).await.serve()
    }

    /// The demo register with the ЕСИА stand mounted at `/esia-stand` and «Войти через Госуслуги»
    /// pointed at it, as `frmo serve --demo` runs.
    pub async fn with_esia(backend: Backend, generated: u64) -> Self {
        let demo = |config: &mut frmo_app::Config| {
            config.run.demo = true;
            config.demo_orgs = generated;
        };
        Self::boot(backend, s3::Storage::Local, demo).await.serve()
    }

    /// The demo register with «Войти через …» pointed at an OpenID provider (`[oidc]` of the
    /// configuration): `provider` gets the callback address the provider must know and answers
    /// with the settings.
    pub async fn with_oidc<F, Fut>(backend: Backend, generated: u64, provider: F) -> Self
    where
        F: FnOnce(String) -> Fut,
        Fut: std::future::Future<Output = frmo_app::config::OidcSettings>,
    {
        let listener = Listener::bind().await;
        let settings = provider(format!("{}/login/oidc/callback", listener.base)).await;
        let oidc = |config: &mut frmo_app::Config| config.oidc = settings;
        Self::boot_on(listener, backend, s3::Storage::Local, oidc).await.seeded(generated).await.serve()
    }

    /// A fresh database and file store, and the app booted on them from a configuration that
    /// `configure` may change.
    async fn boot(backend: Backend, storage: s3::Storage, configure: impl FnOnce(&mut frmo_app::Config)) -> Booted {
        Self::boot_on(Listener::bind().await, backend, storage, configure).await
    }

    async fn boot_on(
        listener: Listener,
        backend: Backend,
        storage: s3::Storage,
        configure: impl FnOnce(&mut frmo_app::Config),
    ) -> Booted {
        let db = TestDb::new(backend).await;
        let files = s3::TestFiles::new(storage);
        let mut config = test_config(&db, &files);
        config.public_url = listener.base.clone();
        configure(&mut config);
        let app = frmo_app::App::build(config).await.expect("boot the app");
        Booted { listener, db, files, app }
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

/// The configuration of a test on `db` keeping documents in `files`: the defaults of `frmo serve`
/// otherwise.
pub fn test_config(db: &TestDb, files: &s3::TestFiles) -> frmo_app::Config {
    let mut config = frmo_app::Config { database_url: db.url.clone(), ..frmo_app::Config::default() };
    files.configure(&mut config);
    config
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// A booted app not yet serving.
struct Booted {
    listener: Listener,
    db: TestDb,
    files: s3::TestFiles,
    app: frmo_app::App,
}

impl Booted {
    /// With the demo register (real organizations + `generated` others).
    async fn seeded(self, generated: u64) -> Self {
        self.app.registry.seed_demo(&Actor::System, generated).await.expect("seed demo");
        self
    }

    fn serve(self) -> TestApp {
        let Booted { listener: Listener { listener, base }, db, files, app } = self;
        let state = app.web_state();
        let server = tokio::spawn(async move {
            let _ = frmo_web::serve(listener, state, std::future::pending()).await;
        });
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
        TestApp { registry: app.registry, base, client, server, db, files, people: Default::default() }
    }
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

    /// A browser of a server at `base` (`http://host:port`) that this test did not boot itself:
    /// `frmo serve` processes, a proxy in front of them.
    pub fn at(base: &str) -> Self {
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
        Browser { base: base.trim_end_matches('/').to_owned(), client, cookies: Default::default() }
    }

    /// The same person (cookies) at another address: the session is the server's, not the process's.
    pub fn elsewhere(&self, base: &str) -> Self {
        Browser { cookies: self.cookies.clone(), ..Browser::at(base) }
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
