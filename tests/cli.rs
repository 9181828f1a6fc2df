//! The `frmo` command as an operator meets it: help, configuration errors, serve and shutdown.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use frmo_testkit::{Backend, TestDb, backend_tests};

fn frmo() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_frmo"));
    for (key, _) in std::env::vars().filter(|(k, _)| k.starts_with("FRMO_")) {
        command.env_remove(key);
    }
    command
}

/// `frmo` run in `dir` with its data under `dir/data`, on `db` (none: the embedded SQLite).
fn frmo_in(dir: &std::path::Path, db: Option<&TestDb>) -> Command {
    let mut command = frmo();
    command.current_dir(dir).env("FRMO_DATA_DIR", dir.join("data"));
    if let Some(db) = db {
        command.env("FRMO_DATABASE_URL", &db.url);
    }
    command
}

#[test]
fn every_command_has_help() {
    for args in [
        &["--help"][..],
        &["serve", "--help"],
        &["migrate", "--help"],
        &["seed", "--help"],
        &["audit", "verify", "--help"],
        &["report", "run", "--help"],
        &["support", "eval", "--help"],
        &["support", "classify", "--help"],
        &["directories", "import", "--help"],
        &["systems", "add", "--help"],
        &["backup", "--help"],
        &["restore", "--help"],
    ] {
        let output = frmo().args(args).output().expect("run frmo");
        assert!(output.status.success(), "{args:?}");
        assert!(String::from_utf8_lossy(&output.stdout).contains("Usage"), "{args:?}");
    }
}

#[test]
fn a_bad_configuration_value_stops_start_up_naming_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let cases: [(&str, &str, &str); 3] = [
        ("FRMO_BIND", "not-an-address", "bind"),
        ("FRMO_DATABASE_URL", "mysql://db", "database_url"),
        ("FRMO_DEMO_ORGS", "many", "demo_orgs"),
    ];
    for (key, value, named) in cases {
        let output = frmo().current_dir(dir.path()).env(key, value).arg("migrate").output().expect("run frmo");
        assert_eq!(output.status.code(), Some(2), "{key}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("ошибка конфигурации") && stderr.contains(named), "{key}: {stderr}");
    }
    std::fs::write(dir.path().join("frmo.toml"), "bnid = \"127.0.0.1:1\"\n").expect("write config");
    let output = frmo().current_dir(dir.path()).arg("migrate").output().expect("run frmo");
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("bnid"));
    std::fs::write(dir.path().join("calendar.txt"), "2025 | 02-30 | | decree\n").expect("write calendar");
    for (toml, named) in [
        ("[moderation]\nreview_days = 0\n", "moderation.review_days"),
        ("[moderation]\ndirect_fields = [\"inn\"]\n", "moderation.direct_fields"),
        ("[moderation]\ncalendar_file = \"calendar.txt\"\n", "строка 1"),
        ("[mail]\nsmtp_host = \"127.0.0.1\"\nfrom = \"не адрес\"\n", "mail.from"),
        ("files = \"ftp://files.example.ru/\"\n", "files (FRMO_FILES)"),
        ("files = \"s3:///prefix\"\n", "files (FRMO_FILES)"),
        ("[documents]\nmax_mb = 0\n", "documents.max_mb"),
        ("[documents]\ntrust_dir = \"no-such-folder\"\n", "documents.trust_dir"),
        ("[documents]\nmax_size = 5\n", "max_size"),
    ] {
        std::fs::write(dir.path().join("frmo.toml"), toml).expect("write config");
        let output = frmo().current_dir(dir.path()).arg("migrate").output().expect("run frmo");
        assert_eq!(output.status.code(), Some(2), "{toml}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(named), "{toml}: {stderr}");
    }
    assert!(!dir.path().join("data").exists(), "nothing was created");
}

/// `frmo user add` and `frmo audit verify` against the backend's database (`FRMO_DATABASE_URL`).
async fn user_add_creates_a_local_account_once_and_refuses_bad_input(backend: Backend) {
    let db = TestDb::new(backend).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let frmo = || {
        let mut command = frmo();
        command.current_dir(dir.path()).env("FRMO_DATABASE_URL", &db.url);
        command
    };
    let add = |args: &[&str], password: &str| {
        frmo().env("FRMO_PASSWORD", password).args(["user", "add"]).args(args).output().expect("run frmo user add")
    };
    let admin = ["admin", "--name", "Администратор реестра", "--role", "admin"];
    let short = add(&admin, "короткий");
    assert!(!short.status.success());
    assert!(String::from_utf8_lossy(&short.stderr).contains("Пароль"), "names the field");

    let created = add(&admin, "длинный-пароль-администратора");
    assert!(created.status.success(), "{}", String::from_utf8_lossy(&created.stderr));
    assert!(String::from_utf8_lossy(&created.stdout).contains("создан пользователь admin"));
    let again = add(&admin, "длинный-пароль-администратора");
    assert!(!again.status.success(), "the login is taken");

    let cases: [(&[&str], &str); 3] = [
        (&["x", "--name", "X", "--role", "owner"], "--role"),
        (&["op", "--name", "Оператор", "--role", "operator"], "--region"),
        (&["op", "--name", "Оператор", "--role", "operator", "--region", "0"], "Регион"),
    ];
    for (args, named) in cases {
        let output = add(args, "длинный-пароль-оператора");
        assert!(!output.status.success(), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(named), "{args:?}: {stderr}");
    }
    // The account's creation is in the audit journal, and the chain is whole.
    let verify = frmo().args(["audit", "verify"]).output().expect("run frmo audit verify");
    assert!(verify.status.success(), "{}", String::from_utf8_lossy(&verify.stderr));
    assert!(String::from_utf8_lossy(&verify.stdout).contains("журнал аудита цел: записей 1;"));

    // The password may come from standard input instead.
    let mut child = frmo()
        .args(["user", "add", "op", "--name", "Оператор", "--role", "operator", "--region", "63"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run frmo user add");
    use std::io::Write as _;
    child.stdin.take().expect("stdin").write_all("пароль-из-stdin-1\n".as_bytes()).expect("write");
    let output = child.wait_with_output().expect("wait");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
}

backend_tests!(
    user_add_creates_a_local_account_once_and_refuses_bad_input,
    workers_import_and_export_from_the_command_line,
    nsi_export_and_import_from_the_command_line,
    publish_makes_a_version_once_per_change,
    directories_import_installs_a_real_download_that_later_commands_use,
    systems_add_prints_a_key_once_and_revoke_ends_it,
);

/// `frmo systems add` prints a key once (the list shows only its first characters), refuses bad
/// input naming it, and `revoke` ends the key; a key that reaches the registry is then refused.
async fn systems_add_prints_a_key_once_and_revoke_ends_it(backend: Backend) {
    let db = TestDb::new(backend).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let run = |args: &[&str]| frmo_in(dir.path(), Some(&db)).args(args).output().expect("run frmo");
    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
    let bad = run(&["systems", "add", "mis", "--region", "999"]);
    assert!(!bad.status.success() && text(&bad.stderr).contains("Регион"), "{}", text(&bad.stderr));
    let added = run(&["systems", "add", "mis-samara", "--region", "63"]);
    assert!(added.status.success(), "{}", text(&added.stderr));
    let out = text(&added.stdout);
    let key = out.lines().find(|l| l.starts_with("frmo_")).expect("the key").to_owned();
    let list = text(&run(&["systems", "list"]).stdout);
    assert!(list.contains("mis-samara") && list.contains("действует") && !list.contains(&key), "{list}");
    let registry = frmo_registry::Registry::open(db.store().await).await.expect("open");
    assert!(registry.system_actor(&key).await.is_ok(), "the printed key is the stored one");
    assert!(run(&["systems", "revoke", "mis-samara"]).status.success());
    assert!(text(&run(&["systems", "list"]).stdout).contains("отозван"));
    assert!(registry.system_actor(&key).await.is_err(), "a revoked key is refused");
    assert!(!run(&["systems", "revoke", "mis-samara"]).status.success(), "already revoked");
}

/// `frmo directories import` refuses a bad download naming the fault and changing nothing, installs
/// a good one, and the next command (a new process: a restart) uses the installed directory.
async fn directories_import_installs_a_real_download_that_later_commands_use(backend: Backend) {
    let db = TestDb::new(backend).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let run = |args: &[&str]| frmo_in(dir.path(), Some(&db)).args(args).output().expect("run frmo");
    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
    let list = run(&["directories", "list"]);
    assert!(list.status.success(), "{}", text(&list.stderr));
    let local_positions = "positions\t2.25.107144191076073659911032091918575417182.1.1\tлокальный\t1.0\t64";
    assert!(text(&list.stdout).contains(local_positions), "{}", text(&list.stdout));

    let file = dir.path().join("1.2.643.5.1.13.13.11.1002_9.12_csv.csv");
    std::fs::write(&file, "ID;NAME;PID\n109;Врач-терапевт;\n109;Врач-хирург;\n").expect("write");
    let refused = run(&["directories", "import", file.to_str().expect("path")]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(text(&refused.stderr).contains("код 109 повторяется: строки 1 и 2"), "{}", text(&refused.stderr));
    assert!(text(&run(&["directories", "list"]).stdout).contains(local_positions), "nothing installed");

    std::fs::write(&file, "\u{feff}ID;NAME;PID\n109;Врач-терапевт;\n122;Врач-хирург;\n").expect("write");
    let done = run(&["directories", "import", file.to_str().expect("path")]);
    assert!(done.status.success(), "{}", text(&done.stderr));
    assert!(
        text(&done.stdout)
            .contains("справочник positions установлен: НСИ 1.2.643.5.1.13.13.11.1002, версия 9.12, значений 2")
    );
    let list = text(&run(&["directories", "list"]).stdout);
    assert!(list.contains("positions\t1.2.643.5.1.13.13.11.1002\tНСИ\t9.12\t2"), "{list}");
}

/// `frmo publish` makes version 1 of the whole register, its files in the store, and refuses a
/// second version when nothing changed.
async fn publish_makes_a_version_once_per_change(backend: Backend) {
    let db = TestDb::new(backend).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let run = |args: &[&str]| frmo_in(dir.path(), Some(&db)).args(args).output().expect("run frmo");
    assert!(run(&["seed", "--orgs", "5"]).status.success());
    let first = run(&["publish"]);
    assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
    let stdout = String::from_utf8_lossy(&first.stdout);
    assert!(stdout.contains("опубликована версия 1 НСИ 1461: записей 5, добавлено 5"), "{stdout}");
    assert!(dir.path().join("data/files/nsi/1461/1/1461-1.csv").exists(), "the file is in the store");
    let again = run(&["publish"]);
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("не менялся после версии 1"));
}

/// `frmo support eval` prints per-topic and overall held-out accuracy (at the target); `classify`
/// prints one text's topic and why, and learns from re-classified requests when asked.
/// Output into a pipe whose reader has gone ends the command quietly with 141 (128 + SIGPIPE), as
/// `frmo … | head -1` expects; no panic.
#[test]
fn a_closed_output_pipe_ends_the_command_quietly() {
    let mut child =
        frmo().args(["support", "eval"]).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("run frmo");
    drop(child.stdout.take());
    let output = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(output.status.code(), Some(141), "{stderr}");
}

#[test]
fn support_eval_and_classify() {
    let output = frmo().args(["support", "eval"]).output().expect("run frmo");
    assert!(output.status.success());
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    let total = text.lines().find(|l| l.starts_with("итого")).expect("the overall line");
    let percent: f64 =
        total.split_whitespace().last().and_then(|p| p.trim_end_matches('%').parse().ok()).expect("a percentage");
    assert!(percent >= 85.0, "{text}");
    assert_eq!(text.lines().count(), 7, "a header, five topics and the total: {text}");
    let classify = |text: &str| {
        let output = frmo().args(["support", "classify", text]).output().expect("run frmo");
        assert!(output.status.success());
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    assert!(classify("ESIA-007053 при входе").starts_with("access\t"));
    assert!(classify("Предлагаю добавить тёмную тему").starts_with("proposal\t"));
    let dir = tempfile::tempdir().expect("temp dir");
    let output = frmo_in(dir.path(), None)
        .args(["support", "classify", "--with-reclassified", "в карточке неверный ИНН"])
        .output()
        .expect("run frmo");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(String::from_utf8_lossy(&output.stdout).starts_with("data\t"));
}

#[test]
fn documents_jobs_run_from_the_command_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let run = |args: &[&str]| {
        let output = frmo_in(dir.path(), None).args(args).output();
        let output = output.expect("run frmo");
        assert!(output.status.success(), "{args:?}: {}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    assert!(run(&["documents", "remind"]).contains("напоминаний об истекающих документах: 0"));
    let orphan = dir.path().join("data/files/documents/1.2.643.5.1.13.13.12.2.78.6258/orphan");
    std::fs::create_dir_all(orphan.parent().expect("parent")).expect("mkdir");
    std::fs::write(&orphan, b"%PDF-1.4").expect("write");
    assert!(run(&["documents", "sweep"]).contains("удалено файлов без документа: 0"), "too young");
    assert!(run(&["documents", "sweep", "--grace-minutes", "0"]).contains("удалено файлов без документа: 1"));
    assert!(!orphan.exists());
}

/// `frmo workers import` refuses a file with a bad row (exit 1, the row named, nothing imported),
/// imports the fixed one, and `frmo workers export` gives it back.
async fn workers_import_and_export_from_the_command_line(backend: Backend) {
    let db = TestDb::new(backend).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let run = |args: &[&str]| frmo_in(dir.path(), Some(&db)).args(args).output().expect("run frmo");
    assert!(run(&["seed", "--orgs", "3"]).status.success());
    let oid = "1.2.643.5.1.13.13.12.2.1.1"; // the first organization `seed` makes
    let header =
        "СНИЛС;Фамилия;Имя;Пол;Дата рождения;Подразделение;Должность (код);Тип занятости (код);Ставка;Дата приёма\n";
    let bad = format!(
        "{header}112-233-445 95;Петрова;Анна;ж;12.04.1985;Терапия;42;1;1;01.09.2020\n112-233-445 96;Орлов;Олег;м;03.03.1979;Хирургия;9;1;1;01.02.2021\n"
    );
    std::fs::write(dir.path().join("bad.csv"), bad).expect("write");
    let refused = run(&["workers", "import", "--org", oid, "bad.csv"]);
    assert_eq!(refused.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("3;2;СНИЛС;неверное контрольное число"), "{stderr}");
    let good = format!("{header}112-233-445 95;Петрова;Анна;ж;12.04.1985;Терапия;42;1;1;01.09.2020\n");
    std::fs::write(dir.path().join("good.csv"), good).expect("write");
    let imported = run(&["workers", "import", "--org", oid, "good.csv"]);
    assert!(imported.status.success(), "{}", String::from_utf8_lossy(&imported.stderr));
    assert!(String::from_utf8_lossy(&imported.stdout).contains("загружено строк: 1"));
    let export = run(&["workers", "export", "--org", oid]);
    let csv = String::from_utf8_lossy(&export.stdout);
    assert!(csv.contains("112-233-445 95;Петрова;Анна;ж;12.04.1985;Терапия;42;1;1;01.09.2020"), "{csv}");
    assert_eq!(run(&["workers", "export", "--org", oid, "--format", "docx"]).status.code(), Some(2));
    // XLSX out and back in: the same worker, updated in place.
    assert!(run(&["workers", "export", "--org", oid, "--format", "xlsx", "--out", "workers.xlsx"]).status.success());
    let again = run(&["workers", "import", "--org", oid, "workers.xlsx"]);
    assert!(
        String::from_utf8_lossy(&again.stdout).contains("обновлено 1"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    assert!(run(&["workers", "export", "--org", oid, "--format", "pdf", "--out", "workers.pdf"]).status.success());
    assert!(std::fs::read(dir.path().join("workers.pdf")).expect("pdf").starts_with(b"%PDF-"));

    // The staff report counts the worker on their position (code 42): one rate busy, one person.
    let report = run(&["report", "run", "staff", "--period", "2026", "--format", "json"]);
    assert!(report.status.success(), "{}", String::from_utf8_lossy(&report.stderr));
    let json: serde_json::Value = serde_json::from_slice(&report.stdout).expect("json");
    let rows = json["rows"].as_array().expect("rows");
    assert_eq!(rows.len(), 1, "{json}");
    assert_eq!(rows[0][2].as_f64(), Some(1.0), "busy rates: {json}");
    assert_eq!(rows[0][3].as_i64(), Some(1), "people: {json}");
    let before = run(&["report", "run", "staff", "--period", "2020-08", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_slice(&before.stdout).expect("json");
    assert_eq!(json["rows"].as_array().map(Vec::len), Some(0), "not yet employed in August 2020: {json}");
    let table = String::from_utf8_lossy(&run(&["report", "run", "staff", "--period", "2026"]).stdout).into_owned();
    assert!(table.contains("Кадры по должностям") && table.contains("Период: 2026 год"), "{table}");
    let wrong = run(&["report", "run", "organizations", "--period", "2026-13"]);
    assert_eq!(wrong.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&wrong.stderr).contains("Период: месяц «13»"),
        "{}",
        String::from_utf8_lossy(&wrong.stderr)
    );
    assert!(run(&["report", "run", "organizations", "--format", "xlsx", "--out", "r.xlsx"]).status.success());
    assert!(std::fs::read(dir.path().join("r.xlsx")).expect("xlsx").starts_with(b"PK"));
    assert!(String::from_utf8_lossy(&run(&["report", "list"]).stdout).contains("moderation — Модерация заявок"));
}

#[test]
fn esign_verify_prints_the_verdict_and_exits_by_it() {
    let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/crates/frmo-esign/tests/fixtures");
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::copy(format!("{fixtures}/ca.crt"), dir.path().join("ca.crt")).expect("copy CA");
    let run = |content: &str, signature: &str, trust: bool| {
        let mut command = frmo();
        command.args(["esign", "verify", "--content", content, "--signature", signature]);
        if trust {
            command.arg("--trust").arg(dir.path());
        }
        command.output().expect("run frmo esign verify")
    };
    let content = format!("{fixtures}/content.txt");
    let good = run(&content, &format!("{fixtures}/gost256.sig"), true);
    assert_eq!(good.status.code(), Some(0), "{}", String::from_utf8_lossy(&good.stderr));
    let verdict: serde_json::Value = serde_json::from_slice(&good.stdout).expect("JSON");
    assert_eq!((verdict["valid"].as_bool(), verdict["chain"].as_str()), (Some(true), Some("trusted")));
    assert_eq!(verdict["signer"]["snils"], "11223344595");

    // Another document: the verdict says why, and the exit code is 1.
    let bad = run(&format!("{fixtures}/ca.crt"), &format!("{fixtures}/gost256.sig"), false);
    assert_eq!(bad.status.code(), Some(1));
    let verdict: serde_json::Value = serde_json::from_slice(&bad.stdout).expect("JSON");
    assert_eq!(verdict["status"], "invalid");
    assert!(verdict["reason"].as_str().is_some_and(|r| r.contains("изменён")), "{verdict}");

    // Not a signature at all, or a missing file: exit 2 with a message.
    assert_eq!(run(&content, &content, false).status.code(), Some(2));
    assert_eq!(run(&content, "/nonexistent.sig", false).status.code(), Some(2));
}

#[test]
fn serve_seeds_the_demo_and_stops_gracefully() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut child = frmo()
        .current_dir(dir.path())
        .env("FRMO_DEMO_ORGS", "20")
        .args(["serve", "--demo", "--bind", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start frmo serve");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line).expect("read the address");
    let address = line.trim().strip_prefix("frmo: listening on http://").expect("the announced address").to_owned();

    let body = get(&address, "/api/v1/organizations?inn=6317006620");
    assert!(body.contains("\"total\":1"), "{body}");
    assert!(dir.path().join("data/frmo.db").exists(), "the embedded default lives in ./data");

    let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().expect("kill");
    assert!(status.success());
    let output = child.wait_with_output().expect("wait");
    assert!(
        output.status.success(),
        "SIGTERM ends the server cleanly: {:?}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A bare HTTP/1.1 GET, so this test needs no client library.
fn get(address: &str, path: &str) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(address).expect("connect");
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n").expect("write");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read");
    response
}

/// `frmo export nsi` in every format, `frmo import nsi` of the CSV into an empty register (the same
/// file back out), a re-import that changes nothing, and a bad file refused naming the record.
async fn nsi_export_and_import_from_the_command_line(backend: Backend) {
    let (from, to) = (TestDb::new(backend).await, TestDb::new(backend).await);
    let dir = tempfile::tempdir().expect("temp dir");
    let run = |db: &TestDb, args: &[&str]| frmo_in(dir.path(), Some(db)).args(args).output().expect("run frmo");
    assert!(run(&from, &["seed", "--orgs", "12"]).status.success());
    for format in ["json", "csv", "xml", "xlsx"] {
        let out = format!("register.{format}");
        let export = run(&from, &["export", "nsi", "--format", format, "--out", &out]);
        assert!(export.status.success(), "{}", String::from_utf8_lossy(&export.stderr));
        assert!(String::from_utf8_lossy(&export.stderr).contains("выгружено записей НСИ 1461: 12"));
    }
    assert_eq!(run(&from, &["export", "nsi", "--format", "docx"]).status.code(), Some(2));
    let imported = run(&to, &["import", "nsi", "register.csv"]);
    assert!(imported.status.success(), "{}", String::from_utf8_lossy(&imported.stderr));
    assert!(String::from_utf8_lossy(&imported.stdout).contains("новых организаций 12, изменено 0"));
    assert!(run(&to, &["export", "nsi", "--format", "csv", "--out", "again.csv"]).status.success());
    let (first, again) = (std::fs::read(dir.path().join("register.csv")), std::fs::read(dir.path().join("again.csv")));
    assert_eq!(first.expect("first"), again.expect("again"));
    let repeated = run(&to, &["import", "nsi", "register.xml"]);
    assert!(String::from_utf8_lossy(&repeated.stdout).contains("изменено 0, без изменений 12"));
    let csv = std::fs::read_to_string(dir.path().join("register.csv")).expect("csv");
    let mut lines: Vec<String> = csv.lines().map(str::to_owned).collect();
    let mut second: Vec<&str> = lines[2].split(';').collect();
    second[8] = "1234567890"; // inn, with a wrong check digit
    lines[2] = second.join(";");
    std::fs::write(dir.path().join("bad.csv"), lines.join("\r\n")).expect("write");
    let refused = run(&to, &["import", "nsi", "bad.csv"]);
    assert_eq!(refused.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("файл не загружен, ничего не изменено"), "{stderr}");
    assert!(stderr.contains("строка 3, запись 2: ИНН (inn) — "), "{stderr}");

    // A real ФРМО API answer: imported; a ФРМР person refused saying what it is.
    let samples = std::env::var_os("FRMO_REFERENCE_SAMPLES").map_or_else(
        || std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/reference/samples"),
        std::path::PathBuf::from,
    );
    let answer = samples.join("frmo-api_single_response_org_6258.json");
    let imported = run(&to, &["import", "nsi", answer.to_str().expect("path")]);
    let stdout = String::from_utf8_lossy(&imported.stdout);
    assert!(imported.status.success(), "{}", String::from_utf8_lossy(&imported.stderr));
    // Its «Республика Адыгея (Адыгея)» is how ФРМО spells region 1: no warning.
    assert!(!stdout.contains("предупреждений"), "{stdout}");
    let person = samples.join("parusrx_person_post_2022.0055647.json");
    let refused = run(&to, &["import", "nsi", person.to_str().expect("path")]);
    assert_eq!(refused.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("сведения о медицинском работнике ФРМР"), "{stderr}");
}

/// Every file under `root` with its bytes, by relative path.
fn tree(root: &std::path::Path) -> std::collections::BTreeMap<std::path::PathBuf, Vec<u8>> {
    let mut files = std::collections::BTreeMap::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).expect("read dir").map(|e| e.expect("entry")) {
            if entry.file_type().expect("type").is_dir() {
                pending.push(entry.path());
            } else {
                let relative = entry.path().strip_prefix(root).expect("under root").to_path_buf();
                files.insert(relative, std::fs::read(entry.path()).expect("read"));
            }
        }
    }
    files
}

/// `frmo backup` while `frmo serve` runs on the same data, `frmo restore` into a fresh directory:
/// every card, the whole journal (its head) and every document file come back; a restore refuses a
/// non-empty data directory and a damaged copy (writing nothing); PostgreSQL is sent to pg_dump.
#[test]
fn backup_while_serving_and_restore_give_back_every_card_entry_and_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (data, restored) = (dir.path().join("data"), dir.path().join("restored"));
    let run = |data: &std::path::Path, args: &[&str]| {
        let output = frmo().current_dir(dir.path()).env("FRMO_DATA_DIR", data).args(args).output().expect("run frmo");
        let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
        (output.status.code(), text(&output.stdout), text(&output.stderr))
    };
    assert_eq!(run(&data, &["seed", "--orgs", "25"]).0, Some(0));
    let admin = frmo()
        .current_dir(dir.path())
        .env("FRMO_DATA_DIR", &data)
        .env("FRMO_PASSWORD", "длинный пароль администратора")
        .args(["user", "add", "admin", "--name", "Администратор", "--role", "admin"])
        .output()
        .expect("user add");
    assert!(admin.status.success(), "{}", String::from_utf8_lossy(&admin.stderr));
    let document = data.join("files/documents/ab/scan.pdf");
    std::fs::create_dir_all(document.parent().expect("parent")).expect("mkdir");
    std::fs::write(&document, (0..70_000u32).map(|i| (i * 31 % 251) as u8).collect::<Vec<_>>()).expect("write");

    let mut serve = frmo()
        .current_dir(dir.path())
        .env("FRMO_DATA_DIR", &data)
        .args(["serve", "--bind", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start frmo serve");
    let mut line = String::new();
    BufReader::new(serve.stdout.take().expect("stdout")).read_line(&mut line).expect("read the address");
    let backup = dir.path().join("backup");
    let (code, stdout, stderr) = run(&data, &["backup", backup.to_str().expect("path")]);
    let _ = serve.kill();
    let _ = serve.wait();
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains("организаций 25") && stdout.contains("файлов 1"), "{stdout}");
    let (code, _, stderr) = run(&data, &["backup", backup.to_str().expect("path")]);
    assert_eq!(code, Some(2), "a backup never writes into a used folder: {stderr}");

    let (code, stdout, stderr) = run(&restored, &["restore", backup.to_str().expect("path")]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains("организаций 25") && stdout.contains("(цел)"), "{stdout}");
    // Every card, the journal to its last entry's hash, every file byte for byte.
    let export = |data: &std::path::Path| {
        let (code, stdout, stderr) = run(data, &["export", "nsi", "--format", "json"]);
        assert_eq!(code, Some(0), "{stderr}");
        stdout
    };
    assert_eq!(export(&data), export(&restored));
    let (verified, again) = (run(&data, &["audit", "verify"]), run(&restored, &["audit", "verify"]));
    assert_eq!(verified.0, Some(0));
    assert!(!verified.1.contains("записей 0"), "the account made journal entries: {}", verified.1);
    assert_eq!((verified.0, &verified.1), (again.0, &again.1), "the same entries to the same head");
    assert_eq!(tree(&data.join("files")), tree(&restored.join("files")));

    let (code, _, stderr) = run(&restored, &["restore", backup.to_str().expect("path")]);
    assert_eq!(code, Some(2), "never over a used data directory: {stderr}");
    let copied = backup.join("files/documents/ab/scan.pdf");
    let mut bytes = std::fs::read(&copied).expect("read");
    bytes[100] ^= 1;
    std::fs::write(&copied, bytes).expect("write");
    let fresh = dir.path().join("fresh");
    let (code, _, stderr) = run(&fresh, &["restore", backup.to_str().expect("path")]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("documents/ab/scan.pdf") && !fresh.join("frmo.db").exists(), "{stderr}");

    let postgres = frmo()
        .current_dir(dir.path())
        .env("FRMO_DATABASE_URL", "postgres://frmo:secret@db.example:5432/frmo")
        .args(["backup", "anywhere"])
        .output()
        .expect("run frmo");
    let stderr = String::from_utf8_lossy(&postgres.stderr);
    assert_eq!(postgres.status.code(), Some(2));
    assert!(
        stderr.contains("pg_dump --format=custom")
            && stderr.contains("'postgres://frmo@db.example:5432/frmo'")
            && !stderr.contains("secret"),
        "{stderr}"
    );
}
