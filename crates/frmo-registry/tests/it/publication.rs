//! Publication of НСИ 1461 versions on both backends: the first version is the whole register,
//! the next lists exactly the organizations changed (renamed, closed, added) and the feed gives
//! their records; files are downloadable with their SHA-256; only administrators publish.

use crate::REAVIZ;
use frmo_domain::access::{Actor, Principal};
use frmo_registry::moderation::journal::ChangeContext;
use frmo_registry::{Caller, Registry, RegistryError};
use frmo_testkit::s3::{Storage, TestFiles};
use frmo_testkit::{Backend, TestDb, backend_tests};
use futures_util::TryStreamExt;
use time::OffsetDateTime;

use super::REAVIZ_OID;

async fn registry(backend: Backend) -> (TestDb, TestFiles, Registry) {
    let db = TestDb::new(backend).await;
    let files = TestFiles::new(Storage::Local);
    let registry =
        Registry::open(db.store().await).await.expect("open").with_documents(files.files(), Default::default());
    assert!(registry.seed_demo(&Actor::System, 40).await.expect("seed"));
    (db, files, registry)
}

async fn download(registry: &Registry, version: i64, name: &str) -> Vec<u8> {
    let file = registry.nsi_file(version, name).await.expect("file");
    let chunks: Vec<bytes::Bytes> = file.body.try_collect().await.expect("read");
    chunks.concat()
}

async fn versions_list_what_changed_and_the_feed_gives_it(backend: Backend) {
    let (_db, _files, registry) = registry(backend).await;
    let count = registry.count().await.expect("count");
    for actor in [
        Actor::Anonymous,
        Actor::User(Principal {
            user_id: 5,
            confirmed: true,
            consent: true,
            operator_regions: vec![63],
            ..Default::default()
        }),
    ] {
        let refused = registry.publish_nsi(&Caller::new(actor, "t"), |_| {}).await;
        assert!(matches!(refused, Err(RegistryError::Forbidden(_))), "{refused:?}");
    }
    let mut seen = 0;
    let first = registry.publish_nsi(&Caller::system("t"), |n| seen = n).await.expect("publish");
    assert_eq!(first.version.version, 1);
    assert_eq!((first.version.records, first.version.added), (count, count));
    assert_eq!(seen, 3 * u64::try_from(count).expect("n"), "progress over the three formats");
    let xml = download(&registry, 1, "1461-1.xml").await;
    assert_eq!(String::from_utf8_lossy(&xml).matches("<record>").count(), usize::try_from(count).expect("n"));
    let csv = download(&registry, 1, "1461-1.csv").await;
    assert_eq!(String::from_utf8_lossy(&csv).lines().count(), usize::try_from(count).expect("n") + 1);
    let file = first.files.iter().find(|f| f.format == "csv").expect("csv");
    let digest: String = <sha2::Sha256 as sha2::Digest>::digest(&csv).iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(file.sha256, digest);
    let json: serde_json::Value = serde_json::from_slice(&download(&registry, 1, "1461-1.json").await).expect("json");
    assert_eq!(json["records"].as_array().map(Vec::len), usize::try_from(count).ok());
    let nothing = registry.publish_nsi(&Caller::system("t"), |_| {}).await;
    assert!(matches!(&nothing, Err(RegistryError::Conflict(m)) if m.contains("не менялся")), "{nothing:?}");

    // Rename one organization and close another; then publish version 2.
    let card = registry.card(&Actor::Anonymous, &REAVIZ, None).await.expect("card");
    let mut renamed = card.organization.clone();
    renamed.name_short = "Реавиз (новое имя)".into();
    registry
        .change_card(
            &Actor::System,
            &renamed,
            card.row.version_id,
            OffsetDateTime::now_utc(),
            ChangeContext::system("т"),
        )
        .await
        .expect("rename");
    let other = registry
        .store()
        .current_cards_after(0, 3)
        .await
        .expect("cards")
        .into_iter()
        .map(|(_, c)| serde_json::from_str::<frmo_domain::org::Organization>(&c).expect("org"))
        .find(|o| o.oid.as_str() != REAVIZ_OID && o.delete_date.is_none())
        .expect("another");
    let other_card = registry.card(&Actor::Anonymous, &other.oid, None).await.expect("card");
    registry
        .close_organization(
            &Actor::System,
            &other.oid,
            time::macros::date!(2026 - 01 - 31),
            1,
            other_card.row.version_id,
            ChangeContext::system("т"),
        )
        .await
        .expect("close");
    let second = registry.publish_nsi(&Caller::system("t"), |_| {}).await.expect("publish 2");
    assert_eq!(
        (second.version.version, second.version.changed, second.version.closed, second.version.added),
        (2, 1, 1, 0)
    );
    let (_, changes) = registry.nsi_version_changes(2).await.expect("changes");
    let listed: Vec<(&str, &str)> = changes.iter().map(|c| (c.oid.as_str(), c.change.as_str())).collect();
    let mut expected = vec![(REAVIZ_OID, "changed"), (other.oid.as_str(), "closed")];
    expected.sort();
    assert_eq!(listed, expected);
    let reaviz = changes.iter().find(|c| c.oid == REAVIZ_OID).expect("reaviz");
    assert_eq!(reaviz.record[4], "Реавиз (новое имя)", "nameShort at version 2");

    // The feed since version 1 gives the same; since version 2 nothing; version 0 is refused and
    // version 3 (not published yet) is not found.
    let (latest, feed) = registry.nsi_feed(1).await.expect("feed");
    assert_eq!(latest.version.version, 2);
    assert_eq!(feed, changes);
    assert!(registry.nsi_feed(2).await.expect("feed").1.is_empty());
    let wrong = registry.nsi_feed(0).await;
    assert!(matches!(&wrong, Err(RegistryError::Invalid(e)) if e[0].field == "since"), "{wrong:?}");
    assert!(matches!(registry.nsi_feed(3).await, Err(RegistryError::NotFound(_))));
    assert!(matches!(registry.nsi_file(2, "../1461-1.csv").await, Err(RegistryError::NotFound(_))));
    assert_eq!(registry.nsi_publications().await.expect("list").len(), 2);
}

backend_tests!(versions_list_what_changed_and_the_feed_gives_it);
