//! Several `frmo serve` on one PostgreSQL behind nginx (issue #22), as a deployment runs them: a
//! session made through one process works on the other; a change written through the proxy and
//! approved there is found by search on both processes within a second; a background job whose
//! process is killed with `kill -9` is taken over by the other once its lease runs out and finished,
//! and a process that starts meanwhile leaves the live job alone. And a streaming replica made with
//! `pg_basebackup` serves the anonymous's reads while the cabinet reads the primary.
//!
//! Needs `nginx` (Debian package; `.ci/run` installs it), the PostgreSQL server binaries and
//! `FRMO_TEST_POSTGRES_URL`.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use frmo_testkit::process::free_port;
use frmo_testkit::{Backend, Browser, TestDb, input_value};
use serde_json::Value;

const PASSWORD: &str = "cluster-password-0001";
/// Lease of a job in these processes: short, so the take-over comes quickly (long enough that a
/// loaded test machine does not make a live process look dead).
const LEASE_SECONDS: u64 = 5;

fn frmo(dir: &Path, database: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_frmo"));
    for (key, _) in std::env::vars().filter(|(k, _)| k.starts_with("FRMO_")) {
        command.env_remove(key);
    }
    command.current_dir(dir).env("FRMO_DATA_DIR", dir.join("data")).env("FRMO_DATABASE_URL", database);
    command
}

fn run(mut command: Command) -> String {
    let output = command.output().expect("run frmo");
    assert!(output.status.success(), "{command:?}: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// One `frmo serve`; killed when dropped.
struct Process {
    child: Child,
    base: String,
    log: PathBuf,
}

impl Process {
    fn start(dir: &Path, database: &str, name: &str, public_url: &str, env: &[(&str, &str)]) -> Process {
        let log = dir.join(format!("{name}.log"));
        let mut child = frmo(dir, database)
            .envs(env.iter().copied())
            .env("FRMO_PUBLIC_URL", public_url)
            .env("FRMO_JOBS_LEASE_SECONDS", LEASE_SECONDS.to_string())
            .env("FRMO_JOBS_POLL_SECONDS", "1")
            .args(["serve", "--bind", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).expect("log file"))
            .spawn()
            .expect("start frmo serve");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let line = lines.next().and_then(Result::ok).unwrap_or_default();
        let Some(address) = line.strip_prefix("frmo: listening on ") else {
            panic!("{name} did not start: {}", std::fs::read_to_string(&log).unwrap_or_default());
        };
        // The rest of its output is drained, so a late line never meets a closed pipe.
        std::thread::spawn(move || lines.for_each(drop));
        Process { child, base: address.to_owned(), log }
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn address(&self) -> &str {
        self.base.trim_start_matches("http://")
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// nginx in front of `upstreams`, round robin, a dead upstream skipped; stopped when dropped.
struct Proxy {
    child: Child,
    base: String,
}

impl Proxy {
    fn start(dir: &Path, port: u16, upstreams: &[&str]) -> Proxy {
        let prefix = dir.join("nginx");
        std::fs::create_dir_all(prefix.join("temp")).expect("nginx folder");
        let servers: String = upstreams.iter().map(|u| format!("server {u} max_fails=1 fail_timeout=2s;\n")).collect();
        let temp = prefix.join("temp").display().to_string();
        let config = format!(
            "worker_processes 1;\npid {prefix}/nginx.pid;\nevents {{ worker_connections 256; }}\n\
             http {{\n access_log off;\n client_body_temp_path {temp}/body;\n proxy_temp_path {temp}/proxy;\n\
             fastcgi_temp_path {temp}/fastcgi;\n uwsgi_temp_path {temp}/uwsgi;\n scgi_temp_path {temp}/scgi;\n\
             upstream frmo {{\n{servers}}}\n\
             server {{\n listen 127.0.0.1:{port};\n location / {{\n  proxy_pass http://frmo;\n\
             proxy_set_header Host $http_host;\n  proxy_set_header X-Forwarded-For $remote_addr;\n\
             proxy_buffering off;\n  proxy_connect_timeout 2s;\n  proxy_next_upstream error timeout;\n }}\n }}\n}}\n",
            prefix = prefix.display(),
        );
        std::fs::write(prefix.join("nginx.conf"), config).expect("nginx.conf");
        let program = ["nginx", "/usr/sbin/nginx"]
            .into_iter()
            .find(|p| Command::new(p).arg("-v").output().is_ok())
            .expect("nginx is installed (Debian package nginx; .ci/run installs it)");
        let child = Command::new(program)
            .arg("-p")
            .arg(&prefix)
            .arg("-c")
            .arg(prefix.join("nginx.conf"))
            .arg("-e")
            .arg(prefix.join("error.log"))
            .args(["-g", "daemon off;"])
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start nginx");
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(started.elapsed() < Duration::from_secs(10), "nginx did not listen on {port}");
            std::thread::sleep(Duration::from_millis(50));
        }
        Proxy { child, base: format!("http://127.0.0.1:{port}") }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Signs `login` in through the login form at `browser`'s address and accepts the consent.
async fn sign_in(browser: &mut Browser, login: &str) {
    let page = browser.get("/login").await;
    let csrf = input_value(&page.body, "csrf").expect("the login form's token");
    let signed = browser.post("/login/local", &[("login", login), ("password", PASSWORD), ("csrf", &csrf)]).await;
    assert_eq!(signed.status, 303, "{}", signed.body);
    let profile = browser.get("/cabinet/profile").await;
    let csrf = input_value(&profile.body, "csrf").expect("the profile's token");
    let accepted = browser.post("/cabinet/consent", &[("csrf", &csrf), ("decision", "accept")]).await;
    assert!(accepted.status < 400, "{}", accepted.body);
}

/// The system with `key` renames `oid` through the integration API at `base` (a change request)
/// and `operator` approves it.
async fn rename(base: &str, key: &str, oid: &str, name: &str, operator: &mut Browser) {
    let card = json(base, &format!("/ips/org/{oid}"), Some(key)).await;
    let mut org = card["content"].clone();
    org["nameShort"] = Value::from(name);
    let response = reqwest::Client::new()
        .put(format!("{base}/ips/org?oid={oid}"))
        .header("X-Api-Key", key)
        .json(&org)
        .send()
        .await
        .expect("PUT org");
    let answer: Value = response.json().await.expect("JSON");
    let request = answer["changeRequest"]["id"].as_i64().unwrap_or_else(|| panic!("a change request: {answer}"));
    let page = operator.get(&format!("/cabinet/requests/{request}")).await;
    let (csrf, revision) = (input_value(&page.body, "csrf"), input_value(&page.body, "revision"));
    let (csrf, revision) = (csrf.expect("csrf"), revision.expect("revision"));
    let decided = operator
        .post(
            &format!("/cabinet/requests/{request}/decision"),
            &[("csrf", &csrf), ("revision", &revision), ("verdict", "approve")],
        )
        .await;
    assert!(decided.status < 400, "{}", decided.body);
}

fn seed(dir: &Path, database: &str, orgs: u32) {
    let mut command = frmo(dir, database);
    command.args(["seed", "--orgs", &orgs.to_string()]);
    run(command);
}

/// An organization of the register, an operator of its region (`op`) and a system that writes
/// for it; the OID and the system's key.
async fn operator_and_system(dir: &Path, database: &str, base: &str) -> (String, String) {
    let list = json(base, "/api/v1/organizations?limit=1", None).await;
    let oid = list["items"][0]["oid"].as_str().expect("an organization").to_owned();
    let region = json(base, &format!("/api/v1/organizations/{oid}"), None).await["regionId"].to_string();
    let mut operator = frmo(dir, database);
    operator.env("FRMO_PASSWORD", PASSWORD).args(["user", "add", "op", "--name", "Оператор региона"]);
    operator.args(["--role", "operator", "--region", region.trim_matches('"')]);
    run(operator);
    let mut system = frmo(dir, database);
    system.args(["systems", "add", "mis", "--org", &oid]);
    let key = run(system).lines().find(|l| l.starts_with("frmo_")).expect("the key").to_owned();
    (oid, key)
}

async fn json(base: &str, path: &str, key: Option<&str>) -> Value {
    let client = reqwest::Client::new();
    let mut request = client.get(format!("{base}{path}"));
    if let Some(key) = key {
        request = request.header("X-Api-Key", key);
    }
    let response = request.send().await.expect("GET");
    assert_eq!(response.status(), 200, "{path}");
    response.json().await.expect("JSON")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_behind_nginx_share_sessions_search_and_jobs() {
    let db = TestDb::new(Backend::Postgres).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let dir = dir.path();
    // A register large enough that its export outlives the moment the test kills its process.
    seed(dir, &db.url, 20_000);
    let proxy_port = free_port();
    let public = format!("http://127.0.0.1:{proxy_port}");
    let a = Process::start(dir, &db.url, "a", &public, &[]);
    let b = Process::start(dir, &db.url, "b", &public, &[]);
    let proxy = Proxy::start(dir, proxy_port, &[a.address(), b.address()]);
    let (oid, key) = operator_and_system(dir, &db.url, &proxy.base).await;

    // A session made through the proxy is a session of both processes.
    let mut operator = Browser::at(&proxy.base);
    sign_in(&mut operator, "op").await;
    for process in [&a, &b] {
        let page = operator.elsewhere(&process.base).get("/cabinet/profile").await;
        assert_eq!(page.status, 200, "{}: {}", process.base, page.body);
        assert!(page.body.contains("Оператор региона"), "{}", process.base);
    }

    // A second session of the person, read (and kept) by both processes, signs out through A: A
    // refuses it at once, B as soon as the database's notice reaches it; the first session stays.
    let mut second = Browser::at(&a.base);
    sign_in(&mut second, "op").await;
    let (mut on_a, mut on_b) = (second.elsewhere(&a.base), second.elsewhere(&b.base)); // its cookie, kept
    assert_eq!(on_b.get("/cabinet/profile").await.status, 200);
    let profile = second.get("/cabinet/profile").await;
    let csrf = input_value(&profile.body, "csrf").expect("the profile's token");
    let signed_out = second.post("/logout", &[("csrf", &csrf)]).await;
    assert_eq!(signed_out.status, 303, "{}", signed_out.body);
    let ended = Instant::now();
    assert_ne!(on_a.get("/cabinet/profile").await.status, 200, "A refuses the ended session at once");
    loop {
        let page = on_b.get("/cabinet/profile").await;
        if page.status != 200 {
            break;
        }
        assert!(ended.elapsed() < Duration::from_secs(1), "B still served the ended session after a second");
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    eprintln!("a session ended through A was refused by B after {:?}", ended.elapsed());
    assert_eq!(operator.elsewhere(&b.base).get("/cabinet/profile").await.status, 200, "the first session stays");

    // The system renames the organization through the proxy; the operator approves it there; both
    // processes find the new name within a second.
    rename(&proxy.base, &key, &oid, "Кластерная поликлиника Тестовая", &mut operator).await;
    let approved = Instant::now();
    let query = "/api/v1/organizations?q=%D0%9A%D0%BB%D0%B0%D1%81%D1%82%D0%B5%D1%80%D0%BD%D0%B0%D1%8F";
    for process in [&a, &b] {
        loop {
            let found = json(&process.base, query, None).await;
            if found["items"].as_array().is_some_and(|items| items.iter().any(|i| i["oid"] == oid.as_str())) {
                break;
            }
            assert!(
                approved.elapsed() < Duration::from_secs(1),
                "{} did not find the change within a second",
                process.base
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    eprintln!("the approved change was found on both processes after {:?}", approved.elapsed());

    // A job accepted by process A, which dies (kill -9) while it runs: B takes it over when A's
    // lease runs out and finishes it; a process started meanwhile leaves B's live job alone.
    let mut on_a = operator.elsewhere(&a.base);
    let catalogue = on_a.get("/cabinet/reports").await;
    let csrf = input_value(&catalogue.body, "csrf").expect("csrf");
    let started = on_a.post("/cabinet/jobs", &[("csrf", &csrf), ("kind", "register"), ("format", "xlsx")]).await;
    let job: i64 = started
        .location
        .as_deref()
        .and_then(|l| l.strip_prefix("/cabinet/jobs/"))
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("the job's page: {:?} {}", started.location, started.body));
    let store = db.store().await;
    let a_owner = format!(":{}:", a.pid());
    let claimed = Instant::now();
    loop {
        let record = store.job(job).await.expect("job").expect("the job");
        if record.status.as_str() == "running" && record.lease_owner.as_deref().is_some_and(|o| o.contains(&a_owner)) {
            break;
        }
        assert!(record.status.as_str() != "done", "the job finished before it could be interrupted: {record:?}");
        assert!(claimed.elapsed() < Duration::from_secs(10), "A did not claim its job: {record:?}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let mut a = a;
    assert!(Command::new("kill").args(["-KILL", &a.pid().to_string()]).status().expect("kill").success());
    let _ = a.child.wait();
    let killed = Instant::now();
    let record = store.job(job).await.expect("job").expect("the job");
    assert_eq!(record.status.as_str(), "running", "killed while running: {record:?}");

    let b_owner = format!(":{}:", b.child.id());
    let mut late = None;
    let record = loop {
        let record = store.job(job).await.expect("job").expect("the job");
        if late.is_none() && record.lease_owner.as_deref().is_some_and(|o| o.contains(&b_owner)) {
            // B holds it now: a process starting now must not fail it (no start-up sweep).
            late = Some(Process::start(dir, &db.url, "c", &public, &[]));
        }
        if !record.status.is_open() {
            break record;
        }
        assert!(killed.elapsed() < Duration::from_secs(120), "the job was not finished: {record:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(record.status.as_str(), "done", "{record:?}\n{}", std::fs::read_to_string(&b.log).unwrap_or_default());
    // Claimed by A, then by B (again by a live process only if one looked dead for a whole lease).
    assert!(record.attempts >= 2, "claimed by A, then by B: {record:?}");
    assert!(record.lease_owner.as_deref().is_some_and(|o| o.contains(&b_owner)), "{record:?}");
    assert!(late.is_some(), "B was seen holding the job");
    eprintln!("the job of the killed process was finished by the other {:?} after the kill", killed.elapsed());

    // Its file downloads through the proxy (A is gone: nginx passes to a live process).
    let file = operator.get(&format!("/cabinet/jobs/{job}/file")).await;
    assert_eq!(file.status, 200);
    drop(proxy);
}

/// A PostgreSQL cluster of this test alone with a streaming replica (`scripts/pg-throwaway start`
/// and `replica`: `pg_basebackup`, hot standby); both stopped and removed when dropped.
struct ReplicatedCluster {
    dir: String,
    primary: String,
    replica: String,
}

impl ReplicatedCluster {
    fn start() -> ReplicatedCluster {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/pg-throwaway");
        let exported = |output: std::process::Output, name: &str| -> String {
            assert!(output.status.success(), "pg-throwaway: {}", String::from_utf8_lossy(&output.stderr));
            let text = String::from_utf8_lossy(&output.stdout).into_owned();
            let line = text.lines().find(|l| l.starts_with(&format!("export {name}="))).expect(name).to_owned();
            line.split_once('=').map(|(_, v)| v.trim_matches('\'').to_owned()).expect("a value")
        };
        let started = Command::new(script).arg("start").output().expect("pg-throwaway start");
        let text = String::from_utf8_lossy(&started.stdout).into_owned();
        let dir = exported(started, "FRMO_PG_DIR");
        let primary = text.lines().find_map(|l| l.strip_prefix("export FRMO_TEST_POSTGRES_URL=")).expect("URL");
        let mut cluster =
            ReplicatedCluster { dir, primary: primary.trim_matches('\'').to_owned(), replica: String::new() };
        cluster.replica = exported(
            Command::new(script).args(["replica", &cluster.dir]).output().expect("pg-throwaway replica"),
            "FRMO_PG_REPLICA_URL",
        );
        cluster
    }

    fn psql(url: &str, sql: &str) -> String {
        let output = Command::new("psql").args([url, "-Atc", sql]).output().expect("psql");
        assert!(output.status.success(), "{sql}: {}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8_lossy(&output.stdout).trim().to_owned()
    }

    fn database(url: &str, name: &str) -> String {
        let (server, _) = url.rsplit_once('/').expect("a database in the URL");
        format!("{server}/{name}")
    }
}

impl Drop for ReplicatedCluster {
    fn drop(&mut self) {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/pg-throwaway");
        let _ = Command::new(script).args(["stop", &self.dir]).output();
    }
}

/// Reads the card `oid` anonymously; its short name.
async fn public_name(base: &str, oid: &str) -> String {
    json(base, &format!("/api/v1/organizations/{oid}"), None).await["nameShort"].as_str().unwrap_or_default().to_owned()
}

fn replica_lag(metrics: &str) -> Option<f64> {
    metrics.lines().find_map(|l| l.strip_prefix("frmo_replica_lag_seconds ")).and_then(|v| v.trim().parse().ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_replica_serves_public_reads_while_the_cabinet_reads_the_primary() {
    let cluster = ReplicatedCluster::start();
    ReplicatedCluster::psql(&cluster.primary, "CREATE DATABASE frmo");
    let (primary, replica) =
        (ReplicatedCluster::database(&cluster.primary, "frmo"), ReplicatedCluster::database(&cluster.replica, "frmo"));
    let dir = tempfile::tempdir().expect("temp dir");
    let dir = dir.path();
    seed(dir, &primary, 50);
    let server = Process::start(dir, &primary, "replicated", "", &[("FRMO_DATABASE_REPLICA_URL", &replica)]);
    let base = server.base.clone();
    let (oid, key) = operator_and_system(dir, &primary, &base).await;
    let mut operator = Browser::at(&base);
    sign_in(&mut operator, "op").await;

    // The replica has everything; then its replay is paused and the system's rename is approved.
    let waited = Instant::now();
    while ReplicatedCluster::psql(&replica, &format!("SELECT count(*) FROM organization_versions WHERE oid = '{oid}'"))
        == "0"
    {
        assert!(waited.elapsed() < Duration::from_secs(30), "the replica did not catch up");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let before = public_name(&base, &oid).await;
    ReplicatedCluster::psql(&replica, "SELECT pg_wal_replay_pause()");
    let name = "Поликлиника на первичном сервере";
    rename(&base, &key, &oid, name, &mut operator).await;

    // The cabinet reads the primary: the operator sees the change at once. The anonymous read the
    // replica, which has not replayed it: the old name, and the lag is in the metrics.
    let cabinet = operator.get(&format!("/cabinet/organizations/{oid}")).await;
    assert_eq!(cabinet.status, 200, "{}", cabinet.body);
    assert!(cabinet.body.contains(name), "the cabinet reads the primary: {}", cabinet.body);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(public_name(&base, &oid).await, before, "the anonymous read the paused replica");
    let metrics = reqwest::get(format!("{base}/metrics")).await.expect("metrics").text().await.expect("text");
    assert!(replica_lag(&metrics).is_some_and(|lag| lag > 0.0), "a replica behind shows its lag: {metrics}");

    // Replay resumes: the public read catches up, the lag returns to 0.
    ReplicatedCluster::psql(&replica, "SELECT pg_wal_replay_resume()");
    let resumed = Instant::now();
    while public_name(&base, &oid).await != name {
        assert!(resumed.elapsed() < Duration::from_secs(30), "the replica did not catch up after the pause");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let metrics = reqwest::get(format!("{base}/metrics")).await.expect("metrics").text().await.expect("text");
    assert_eq!(replica_lag(&metrics), Some(0.0), "{metrics}");
    // The anonymous search finds the new name too (its rows from the replica).
    let found =
        json(&base, "/api/v1/organizations?q=%D0%BF%D0%B5%D1%80%D0%B2%D0%B8%D1%87%D0%BD%D0%BE%D0%BC", None).await;
    assert!(found["items"].as_array().is_some_and(|i| i.iter().any(|o| o["oid"] == oid.as_str())), "{found}");
}
