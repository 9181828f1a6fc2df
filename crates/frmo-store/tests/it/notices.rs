//! What PostgreSQL's store keeps in memory (`backend/postgres/notices.rs`): sessions, current
//! versions, members and invitations. Each process of one database keeps what it read, and forgets
//! it on the notice of any change, whichever process or tool made it.

use std::time::{Duration, Instant};

use frmo_store::Store;
use frmo_store::identity::SessionRecord;
use frmo_store::testing::{Backend, TestDb};

const HASH: &str = "a-session-token-hash";

/// A person with one membership and a session.
async fn person(store: &Store) -> i64 {
    let user = store.create_local_user("kept", "Сохранённая Сессия", None, 1).await.expect("user");
    store.grant_membership(user, "1.2.643.5.1.13.13.12.4.63.1", "chief", "local", 1).await.expect("membership");
    let session = SessionRecord {
        user_id: user,
        method: "password".into(),
        csrf: "csrf".into(),
        created_at: 1,
        last_seen_at: 1,
        expires_at: i64::MAX,
        provider_data: String::new(),
    };
    store.create_session(HASH, &session).await.expect("session");
    user
}

/// Memberships of the session as `store` reads it now (`None`: no session).
async fn memberships(store: &Store) -> Option<Vec<String>> {
    let found = store.session_with_user(HASH).await.expect("read the session");
    found.map(|(_, user, _)| user.memberships.into_iter().map(|m| format!("{} {}", m.org_oid, m.role)).collect())
}

async fn until_keeping(store: &Store, keeping: bool) {
    let start = Instant::now();
    while store.listening_for_changes() != keeping {
        assert!(start.elapsed() < Duration::from_secs(10), "keeps sessions: {keeping} not reached");
        let _ = store.session_with_user(HASH).await; // the first read starts the listener
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Waits until `store` sees `expected`; how long that took.
async fn until_seen(store: &Store, expected: Option<Vec<String>>, what: &str) -> Duration {
    let start = Instant::now();
    loop {
        let seen = memberships(store).await;
        if seen == expected {
            return start.elapsed();
        }
        assert!(start.elapsed() < Duration::from_secs(2), "{what}: still {seen:?} after 2 s, expected {expected:?}");
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

/// Runs SQL on a connection of its own, as `psql` would.
async fn psql(db: &TestDb, sql: &str) {
    let (client, connection) = tokio_postgres::connect(&db.url, tokio_postgres::NoTls).await.expect("connect");
    tokio::spawn(connection);
    client.batch_execute(sql).await.expect(sql);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kept_session_follows_every_change_whoever_makes_it() {
    let db = TestDb::new(Backend::Postgres).await;
    let (a, b) = (db.store().await, db.store().await); // two processes of one database
    let user = person(&b).await;
    let chief = Some(vec!["1.2.643.5.1.13.13.12.4.63.1 chief".to_owned()]);
    until_keeping(&a, true).await;
    // A new listener may still be told of changes committed just before it listened.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(memberships(&a).await, chief);

    // Kept: a change made with the triggers switched off (as only a superuser can) is not seen.
    psql(&db, "SET session_replication_role = replica; UPDATE memberships SET role = 'member'").await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(memberships(&a).await, chief, "read from memory, not from the database");
    psql(&db, "UPDATE memberships SET role = 'chief'").await; // announced: forgotten, read again
    until_seen(&a, chief.clone(), "a change announced").await;

    // Another process revokes the membership: A sees it on the notice.
    assert!(b.revoke_membership(user, "1.2.643.5.1.13.13.12.4.63.1").await.expect("revoke"));
    let lag = until_seen(&a, Some(Vec::new()), "a revocation by another process").await;
    eprintln!("a revocation by another process was seen after {lag:?}");

    // A tool working on the database directly (psql) grants one: seen as well.
    psql(&db, &format!("INSERT INTO memberships VALUES ({user}, '1.2.643.5.1.13.13.12.4.63.2', 'member', 'local', 2)"))
        .await;
    let granted = Some(vec!["1.2.643.5.1.13.13.12.4.63.2 member".to_owned()]);
    until_seen(&a, granted.clone(), "a grant by psql").await;

    // The process that makes a change sees it at once, without waiting for its own notice.
    a.revoke_membership(user, "1.2.643.5.1.13.13.12.4.63.2").await.expect("revoke");
    assert_eq!(memberships(&a).await, Some(Vec::new()), "at once, in the process that made it");
    a.grant_membership(user, "1.2.643.5.1.13.13.12.4.63.2", "member", "local", 3).await.expect("grant");
    assert_eq!(memberships(&a).await, granted, "at once, in the process that made it");

    // Signed out by the other process: the session is gone for A too.
    until_seen(&b, granted.clone(), "B's own read").await;
    b.delete_user_sessions(user).await.expect("sign out everywhere");
    assert_eq!(memberships(&b).await, None, "at once, in the process that made it");
    until_seen(&a, None, "a sign-out by another process").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_is_kept_while_the_notices_cannot_arrive() {
    let db = TestDb::new(Backend::Postgres).await;
    let (a, b) = (db.store().await, db.store().await);
    let user = person(&b).await;
    until_keeping(&a, true).await;
    let chief = Some(vec!["1.2.643.5.1.13.13.12.4.63.1 chief".to_owned()]);
    assert_eq!(memberships(&a).await, chief);

    // The listening connection is ended: A stops keeping sessions and forgets what it kept, so a
    // change made while it cannot hear of it is read from the database.
    psql(
        &db,
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'frmo change notices'\
         AND datname = current_database()",
    )
    .await;
    until_keeping(&a, false).await;
    psql(&db, "SET session_replication_role = replica; DELETE FROM memberships").await; // not announced
    assert_eq!(memberships(&a).await, Some(Vec::new()), "read from the database while not listening");

    // It listens again by itself, and then follows changes as before.
    until_keeping(&a, true).await;
    assert_eq!(memberships(&a).await, Some(Vec::new()));
    b.grant_membership(user, "1.2.643.5.1.13.13.12.4.63.1", "chief", "local", 2).await.expect("grant");
    until_seen(&a, chief, "a grant once listening again").await;
}

/// SQLite's store keeps the same reads and forgets them all whenever anything was committed to
/// the file, by any connection: the next read after a write, by this process, another one or the
/// `sqlite3` shell, sees it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_kept_reads_follow_every_commit_at_once() {
    let db = TestDb::new(Backend::Sqlite).await;
    let (a, b) = (db.store().await, db.store().await); // two processes of one file
    let user = person(&b).await;
    let chief = Some(vec!["1.2.643.5.1.13.13.12.4.63.1 chief".to_owned()]);
    assert_eq!(memberships(&a).await, chief);
    assert!(a.listening_for_changes());
    assert_eq!(memberships(&a).await, chief, "kept");

    assert!(b.revoke_membership(user, "1.2.643.5.1.13.13.12.4.63.1").await.expect("revoke"));
    assert_eq!(memberships(&a).await, Some(Vec::new()), "another process's write, at once");
    let path = db.url.trim_start_matches("sqlite://").to_owned();
    let shell = rusqlite::Connection::open(&path).expect("open the file");
    shell
        .execute(
            "INSERT INTO memberships (user_id, org_oid, role, source, granted_at) VALUES (?1, 'x', 'member', 'local', 2)",
            [user],
        )
        .expect("insert");
    assert_eq!(memberships(&a).await, Some(vec!["x member".to_owned()]), "a shell's write, at once");
    a.revoke_membership(user, "x").await.expect("revoke");
    assert_eq!(memberships(&a).await, Some(Vec::new()), "its own write, at once");
    shell.execute("DELETE FROM sessions", []).expect("delete");
    assert_eq!(memberships(&a).await, None, "a session ended by a shell, at once");
}

/// The organization's current version (with its region) and its members and invitations, as
/// `store` reads them now.
async fn organization(store: &Store, oid: &str) -> (Option<i64>, Vec<String>, Vec<String>) {
    let head = store.current_head(oid).await.expect("head").map(|h| h.version_id);
    let (members, invitations) = store.members_and_invitations(oid).await.expect("members and invitations");
    let members_alone = store.members_of(oid).await.expect("members");
    assert_eq!(members, members_alone, "the two reads of the members agree");
    (
        head,
        members.into_iter().map(|m| format!("{} {}", m.display_name, m.role)).collect(),
        invitations.into_iter().map(|i| format!("{} {}", i.who, i.role)).collect(),
    )
}

async fn until_organization(store: &Store, oid: &str, expected: &(Option<i64>, Vec<String>, Vec<String>), what: &str) {
    let start = Instant::now();
    loop {
        let seen = organization(store, oid).await;
        if &seen == expected {
            eprintln!("{what}: seen after {:?}", start.elapsed());
            return;
        }
        assert!(start.elapsed() < Duration::from_secs(2), "{what}: still {seen:?} after 2 s, expected {expected:?}");
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kept_organization_follows_every_change_whoever_makes_it() {
    use frmo_domain::ident::RegionCode;
    use frmo_store::VersionRecord;
    use frmo_store::seed::{Generator, records};

    let db = TestDb::new(Backend::Postgres).await;
    let (a, b) = (db.store().await, db.store().await);
    let org = Generator::new(7).organization(RegionCode::parse("63").expect("region"), 1);
    let oid = org.oid.as_str().to_owned();
    b.insert_new(records(std::slice::from_ref(&org)).expect("record")).await.expect("insert");
    let user = person(&b).await;
    b.grant_membership(user, &oid, "chief", "local", 1).await.expect("membership");
    until_keeping(&a, true).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let first = a.current_head(&oid).await.expect("head").expect("current").version_id;
    let mut expected = (Some(first), vec!["Сохранённая Сессия chief".to_owned()], Vec::new());
    assert_eq!(organization(&a, &oid).await, expected);

    // Kept: a change with the triggers switched off is not seen.
    psql(&db, "SET session_replication_role = replica; UPDATE users SET display_name = 'Тихо'").await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(organization(&a, &oid).await, expected, "read from memory, not from the database");
    psql(&db, "SET session_replication_role = replica; UPDATE users SET display_name = 'Сохранённая Сессия'").await;

    // Another process writes a new version, invites someone, the person's name changes by psql,
    // the membership is revoked: A follows each.
    let mut renamed = org.clone();
    renamed.name_short = "ГБУЗ «Переименованная»".into();
    let record = VersionRecord::new(&renamed, time::OffsetDateTime::now_utc()).expect("record");
    let second = b.append_version(record, first, Vec::new()).await.expect("append");
    expected.0 = Some(second);
    until_organization(&a, &oid, &expected, "a new version by another process").await;
    b.invite_member(&oid, "login:petrov", "member", Some(user), 5).await.expect("invite");
    expected.2 = vec!["login:petrov member".to_owned()];
    until_organization(&a, &oid, &expected, "an invitation by another process").await;
    psql(&db, &format!("UPDATE users SET display_name = 'Новое Имя' WHERE id = {user}")).await;
    expected.1 = vec!["Новое Имя chief".to_owned()];
    until_organization(&a, &oid, &expected, "a member's name changed by psql").await;
    b.revoke_membership(user, &oid).await.expect("revoke");
    expected.1 = Vec::new();
    until_organization(&a, &oid, &expected, "a membership revoked by another process").await;

    // The process that makes a change sees it at once.
    let third_record = VersionRecord::new(&org, time::OffsetDateTime::now_utc()).expect("record");
    let third = a.append_version(third_record, second, Vec::new()).await.expect("append");
    expected.0 = Some(third);
    a.grant_membership(user, &oid, "member", "local", 6).await.expect("grant");
    expected.1 = vec!["Новое Имя member".to_owned()];
    let invitation = a.invitations_of(&oid).await.expect("invitations")[0].id;
    a.withdraw_invitation(invitation, &oid).await.expect("withdraw");
    expected.2 = Vec::new();
    assert_eq!(organization(&a, &oid).await, expected, "at once, in the process that made the changes");
}

/// What is read of a session, and kept, holds none of the person's credentials.
async fn a_session_is_read_without_credentials(backend: Backend) {
    let db = TestDb::new(backend).await;
    let store = db.store().await;
    let user = person(&store).await;
    store.set_password_hash(user, "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA").await.expect("password");
    store.set_totp_pending(user, "JBSWY3DPEHPK3PXP").await.expect("pending");
    assert!(store.activate_totp(user, "JBSWY3DPEHPK3PXP", 1).await.expect("activate"));
    store.set_totp_pending(user, "KRSXG5CTMVRXEZLU").await.expect("pending again");
    let stored = store.user(user).await.expect("user").expect("exists");
    assert!(stored.password_hash.is_some() && stored.totp_secret.is_some() && stored.totp_pending_secret.is_some());
    for _ in 0..2 {
        let (_, read, _) = store.session_with_user(HASH).await.expect("read").expect("the session");
        assert_eq!((read.password_hash, read.totp_secret, read.totp_pending_secret), (None, None, None));
        assert!(read.totp_enabled, "whether a second factor is on is read");
    }
}

frmo_store::backend_tests!(a_session_is_read_without_credentials);
