//! Registry use cases, on both backends: the search the public register and the API rely on.

use frmo_domain::access::Actor;
use frmo_registry::moderation::journal::ChangeContext;
use frmo_registry::seed::real_organizations;
use frmo_registry::{Registry, RegistryError, SearchPage, SearchParams};
use frmo_testkit::{Backend, TestDb, backend_tests};

mod applications;
mod csv_injection;
mod directories;
mod documents;
mod identity;
mod journal;
mod layers;
mod mail;
mod nsi;
mod nsi_real;
mod publication;
mod reports;
mod requests;
mod route_access;
mod support;
mod workers;
use time::OffsetDateTime;

const REAVIZ_OID: &str = "1.2.643.5.1.13.13.12.2.78.6258";
/// [`REAVIZ_OID`] parsed once, for the use cases that take an organization's OID.
static REAVIZ: std::sync::LazyLock<frmo_domain::ident::OrgOid> =
    std::sync::LazyLock::new(|| frmo_domain::ident::OrgOid::parse(REAVIZ_OID).expect("Реавиз's OID"));

async fn demo(backend: Backend, generated: u64) -> (TestDb, Registry) {
    let db = TestDb::new(backend).await;
    let registry = Registry::open(db.store().await).await.expect("open");
    assert!(registry.seed_demo(&Actor::System, generated).await.expect("seed"));
    (db, registry)
}

async fn search(registry: &Registry, params: SearchParams) -> Result<SearchPage, RegistryError> {
    let query = params.parse()?;
    registry.search(&Actor::Anonymous, &query).await
}

fn q(text: &str) -> SearchParams {
    SearchParams { q: Some(text.into()), ..SearchParams::default() }
}

async fn the_real_organization_is_found_every_way(backend: Backend) {
    let (_db, registry) = demo(backend, 300).await;
    for params in [
        q("университета"),
        q("Реавиз"),
        q("6317006620"),
        q("1026301420716"),
        q(REAVIZ_OID),
        SearchParams { inn: Some("6317006620".into()), ..SearchParams::default() },
        SearchParams { ogrn: Some("1026301420716".into()), ..SearchParams::default() },
        SearchParams { oid: Some(REAVIZ_OID.into()), ..SearchParams::default() },
        SearchParams { q: Some("университет".into()), region: Some("63".into()), ..SearchParams::default() },
    ] {
        let page = search(&registry, params.clone()).await.expect("search");
        assert_eq!(page.items.first().map(|i| i.oid.as_str()), Some(REAVIZ_OID), "{params:?}");
    }
    // In another region it is not there.
    let elsewhere =
        SearchParams { q: Some("университет".into()), region: Some("77".into()), ..SearchParams::default() };
    assert!(search(&registry, elsewhere).await.expect("search").items.iter().all(|i| i.oid != REAVIZ_OID));
}

async fn wrong_check_digits_are_refused_naming_the_field(backend: Backend) {
    let (_db, registry) = demo(backend, 10).await;
    let bad_inn = SearchParams { inn: Some("6317006621".into()), ..SearchParams::default() };
    match search(&registry, bad_inn).await {
        Err(RegistryError::Invalid(errors)) => {
            assert_eq!(errors[0].field, "inn");
            assert_eq!(errors[0].to_string(), "ИНН: неверное контрольное число");
        }
        other => panic!("expected a field error, got {other:?}"),
    }
    let bad_ogrn = SearchParams { ogrn: Some("1026301420717".into()), ..SearchParams::default() };
    match search(&registry, bad_ogrn).await {
        Err(RegistryError::Invalid(errors)) => assert_eq!(errors[0].field, "ogrn"),
        other => panic!("expected a field error, got {other:?}"),
    }
    // Typed into the one search box, an identifier is recognised and its check told.
    for (typed, kind) in [
        ("больница 6317006621", "ИНН"),
        ("1026301420717", "ОГРН"),
        ("304500116000158", "ОГРНИП"),
        ("1.2.643.5.1.13.13.12.2.78.x", "OID"),
    ] {
        match search(&registry, q(typed)).await {
            Err(RegistryError::Invalid(errors)) => {
                assert_eq!(errors[0].field, "q", "{typed}");
                assert!(errors[0].message.contains(&format!("— это {kind}")), "{typed}: {}", errors[0].message);
            }
            other => panic!("{typed}: expected a field error, got {other:?}"),
        }
    }
    assert!(search(&registry, q("6317006620")).await.is_ok_and(|page| page.total >= 1));
}

async fn exact_identifier_hits_rank_before_name_matches(backend: Backend) {
    let (_db, registry) = demo(backend, 400).await;
    let page = search(&registry, q("больница")).await.expect("search");
    assert!(page.total > 5, "the demo has hospitals");
    let target = page.items[3].clone();
    let page = search(&registry, q(&format!("больница {}", target.inn))).await.expect("search");
    assert_eq!(page.items[0].inn, target.inn);
    assert!(page.total >= 5);
}

async fn paging_walks_every_result_once(backend: Backend) {
    let (_db, registry) = demo(backend, 500).await;
    let mut params =
        SearchParams { q: Some("поликлиника".into()), limit: Some("7".into()), ..SearchParams::default() };
    let first = search(&registry, params.clone()).await.expect("search");
    let mut seen: Vec<String> = Vec::new();
    loop {
        let page = search(&registry, params.clone()).await.expect("page");
        assert_eq!(page.total, first.total);
        seen.extend(page.items.iter().map(|i| i.oid.clone()));
        match page.next_cursor {
            Some(cursor) => params.cursor = Some(cursor),
            None => break,
        }
    }
    let count = seen.len();
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), count, "no result twice");
    assert_eq!(count, first.total);
}

async fn filters_narrow_the_results(backend: Backend) {
    let (_db, registry) = demo(backend, 500).await;
    let all = search(&registry, SearchParams::default()).await.expect("all");
    assert_eq!(all.total, 501);
    let liquidated = SearchParams { status: Some("liquidated".into()), ..SearchParams::default() };
    let page = search(&registry, liquidated).await.expect("status");
    assert!(page.items.iter().all(|i| i.status == frmo_domain::org::OrgStatus::Liquidated));
    let region = SearchParams { region: Some("77".into()), limit: Some("100".into()), ..SearchParams::default() };
    let page = search(&registry, region).await.expect("region");
    assert!(page.total > 0 && page.items.iter().all(|i| i.region == 77));
    let bad = SearchParams { region: Some("81".into()), status: Some("closed".into()), ..SearchParams::default() };
    match search(&registry, bad).await {
        Err(RegistryError::Invalid(errors)) => {
            let fields: Vec<_> = errors.iter().map(|e| e.field).collect();
            assert_eq!(fields, vec!["region", "status"]);
        }
        other => panic!("expected field errors, got {other:?}"),
    }
}

async fn the_register_can_be_read_as_of_a_past_date(backend: Backend) {
    let (_db, registry) = demo(backend, 5).await;
    let card = registry.card(&Actor::Anonymous, &REAVIZ, None).await.expect("card");
    let mut renamed = card.organization.clone();
    renamed.name_short = "Медицинский Университет «Реавиз» (переименован)".into();
    renamed.name_full = "Переименованный университет Реавиз".into();
    registry
        .change_card(
            &Actor::System,
            &renamed,
            card.row.version_id,
            OffsetDateTime::now_utc(),
            ChangeContext::system("тест"),
        )
        .await
        .expect("change");
    let now = registry.card(&Actor::Anonymous, &REAVIZ, None).await.expect("card");
    assert!(now.organization.name_short.ends_with("(переименован)"));
    let then =
        registry.card(&Actor::Anonymous, &REAVIZ, Some(time::macros::date!(2020 - 01 - 01))).await.expect("past card");
    assert_eq!(then.organization.name_short, "Медицинский Университет «Реавиз»");
    let before = registry.card(&Actor::Anonymous, &REAVIZ, Some(time::macros::date!(2000 - 01 - 01))).await;
    assert!(matches!(before, Err(RegistryError::NotFound(_))));

    // Search follows the dates too.
    let renamed_now = search(&registry, q("переименованный")).await.expect("search");
    assert_eq!(renamed_now.total, 1);
    let mut in_2020 = q("переименованный");
    in_2020.as_of = Some("01.01.2020".into());
    assert_eq!(search(&registry, in_2020).await.expect("search").total, 0);
    let mut old_name_2020 = q("университет");
    old_name_2020.as_of = Some("2020-01-01".into());
    assert_eq!(search(&registry, old_name_2020).await.expect("search").items[0].oid, REAVIZ_OID);

    // A second edit of the same (now stale) version is refused.
    let stale = registry
        .change_card(
            &Actor::System,
            &renamed,
            card.row.version_id,
            OffsetDateTime::now_utc(),
            ChangeContext::system("тест"),
        )
        .await;
    assert!(matches!(stale, Err(RegistryError::Conflict(_))));
}

async fn closing_keeps_the_record_with_date_and_reason(backend: Backend) {
    let (_db, registry) = demo(backend, 5).await;
    let card = registry.card(&Actor::Anonymous, &REAVIZ, None).await.expect("card");
    let closed_on = time::macros::date!(2025 - 06 - 30);
    let bad_reason = registry
        .close_organization(
            &Actor::System,
            &REAVIZ,
            closed_on,
            999,
            card.row.version_id,
            ChangeContext::system("закрытие"),
        )
        .await;
    assert!(matches!(&bad_reason, Err(RegistryError::Invalid(e)) if e[0].field == "deleteReasonId"), "{bad_reason:?}");
    registry
        .close_organization(
            &Actor::System,
            &REAVIZ,
            closed_on,
            1,
            card.row.version_id,
            ChangeContext::system("закрытие"),
        )
        .await
        .expect("close");

    let now = registry.card(&Actor::Anonymous, &REAVIZ, None).await.expect("still readable");
    assert_eq!(now.organization.status, frmo_domain::org::OrgStatus::Liquidated);
    assert_eq!(now.organization.delete_date, Some(closed_on));
    assert_eq!(now.organization.delete_reason_id, Some(1));
    let before =
        registry.card(&Actor::Anonymous, &REAVIZ, Some(time::macros::date!(2025 - 06 - 29))).await.expect("past");
    assert_eq!(before.organization.status, frmo_domain::org::OrgStatus::Active);
    let active =
        SearchParams { inn: Some("6317006620".into()), status: Some("active".into()), ..SearchParams::default() };
    assert_eq!(search(&registry, active).await.expect("search").total, 0);
    let closed =
        SearchParams { inn: Some("6317006620".into()), status: Some("liquidated".into()), ..SearchParams::default() };
    assert_eq!(search(&registry, closed).await.expect("search").total, 1);
    let stale = registry
        .close_organization(
            &Actor::System,
            &REAVIZ,
            closed_on,
            1,
            card.row.version_id,
            ChangeContext::system("закрытие"),
        )
        .await;
    assert!(matches!(stale, Err(RegistryError::Conflict(_))));
}

async fn anonymous_visitors_cannot_write(backend: Backend) {
    let db = TestDb::new(backend).await;
    let registry = Registry::open(db.store().await).await.expect("open");
    let refused = registry.register_new(&Actor::Anonymous, &real_organizations()).await;
    assert!(matches!(refused, Err(RegistryError::Forbidden { .. })));
    assert_eq!(registry.count().await.expect("count"), 0);
}

async fn new_oids_follow_the_region_sequence(backend: Backend) {
    let (_db, registry) = demo(backend, 200).await;
    let samara = frmo_domain::ident::RegionCode::parse("63").expect("region");
    let a = registry.allocate_oid(&Actor::System, 2, samara).await.expect("oid");
    let b = registry.allocate_oid(&Actor::System, 2, samara).await.expect("oid");
    assert_eq!(b.number(), a.number() + 1);
    assert!(registry.card(&Actor::Anonymous, &a, None).await.is_err(), "a fresh OID is unused");
}

/// Renames the organization of `card` through `writer`; the new version's id.
async fn rename(writer: &Registry, card: &frmo_registry::Card, name: &str) -> i64 {
    let mut renamed = card.organization.clone();
    renamed.name_short = name.into();
    writer
        .change_card(
            &Actor::System,
            &renamed,
            card.row.version_id,
            OffsetDateTime::now_utc(),
            ChangeContext::system("тест"),
        )
        .await
        .expect("change")
}

/// A process keeps the open register's current cards; another process's change replaces what it
/// keeps as soon as its index follows the store (as `follow_store` does every quarter second).
async fn a_change_in_another_process_replaces_a_kept_card(backend: Backend) {
    let (db, writer) = demo(backend, 5).await;
    let reader = Registry::open(db.store().await).await.expect("second process");
    let kept = reader.card(&Actor::Anonymous, &REAVIZ, None).await.expect("card");
    assert_eq!(reader.card(&Actor::Anonymous, &REAVIZ, None).await.expect("kept").row, kept.row);
    let version = rename(&writer, &kept, "Реавиз (другой процесс)").await;
    assert_eq!(writer.card(&Actor::Anonymous, &REAVIZ, None).await.expect("writer").row.version_id, version);
    reader.refresh_index().await.expect("follow");
    let now = reader.card(&Actor::Anonymous, &REAVIZ, None).await.expect("reader");
    assert_eq!((now.row.version_id, now.organization.name_short.as_str()), (version, "Реавиз (другой процесс)"));
}

/// A card changed again and again (the soak's writer adds a department every second) must not
/// leave each of its old versions in the caches until they are full.
async fn the_caches_forget_a_version_once_it_is_superseded(backend: Backend) {
    let (_db, registry) = demo(backend, 5).await;
    let public = registry.card(&Actor::Anonymous, &REAVIZ, None).await.expect("public card");
    let signed_in = registry.card(&Actor::System, &REAVIZ, None).await.expect("signed-in card");
    let old = public.row.version_id;
    assert_eq!(signed_in.row.version_id, old);
    assert_eq!(registry.keeps_card(old), (true, true), "both kept");
    let new = rename(&registry, &public, "Переименована").await;
    assert_eq!(registry.keeps_card(old), (false, false), "the old version is forgotten");
    let now = registry.card(&Actor::Anonymous, &REAVIZ, None).await.expect("new card");
    assert_eq!((now.row.version_id, now.organization.name_short.as_str()), (new, "Переименована"));
    assert!(registry.keeps_card(new).0, "the new version is kept");
}

/// A signed-in reader's card (the cabinet's) is parsed once per version and kept, and which version
/// is current is the store's kept answer, forgotten when the database announces a change. The
/// client that made the change reads afresh (`reading_fresh`, the web's `frmo_fresh` mark): it sees
/// the change on its very next read through another process, before that process's index follows
/// or the notice arrives; anyone else as soon as the notice has.
async fn a_signed_in_reader_sees_a_change_from_another_process_at_once(backend: Backend) {
    let (db, writer) = demo(backend, 5).await;
    let reader = Registry::open(db.store().await).await.expect("second process");
    let kept = reader.card(&Actor::System, &REAVIZ, None).await.expect("card");
    let again = reader.card(&Actor::System, &REAVIZ, None).await.expect("kept");
    assert_eq!((again.row, again.organization), (kept.row.clone(), kept.organization.clone()));
    let version = rename(&writer, &kept, "Реавиз (кабинет)").await;
    let fresh = frmo_registry::reading_fresh(true, reader.card(&Actor::System, &REAVIZ, None));
    let now = fresh.await.expect("reader");
    assert_eq!((now.row.version_id, now.organization.name_short.as_str()), (version, "Реавиз (кабинет)"));
    let started = std::time::Instant::now();
    while reader.card(&Actor::System, &REAVIZ, None).await.expect("reader").row.version_id != version {
        assert!(started.elapsed() < std::time::Duration::from_secs(2), "the notice did not arrive");
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
    }
    // The anonymous read follows the reader's index, which has not followed yet.
    let public = reader.card(&Actor::Anonymous, &REAVIZ, None).await.expect("public");
    assert_eq!(public.row.version_id, kept.row.version_id);

    // The cabinet page takes the version its route's access decision read: again a change is seen
    // on the very next request of its writer, and the version kept parsed before it is not shown.
    let operator = frmo_registry::Caller::new(
        Actor::User(frmo_domain::access::Principal {
            user_id: 7,
            confirmed: true,
            consent: true,
            operator_regions: vec![kept.organization.region_id.code()],
            ..Default::default()
        }),
        "t",
    );
    let read = frmo_domain::access::Action::ReadOrganization;
    let route = frmo_registry::identity::route::RouteTarget::Organization(REAVIZ_OID);
    let decided = reader.authorize_route(&operator, read, route).await.expect("allowed");
    let page = reader.organization_page(&decided, &REAVIZ).await.expect("page");
    assert_eq!((page.card.row.version_id, page.card.organization.name_short.as_str()), (version, "Реавиз (кабинет)"));
    let now = reader.card(&Actor::System, &REAVIZ, None).await.expect("kept");
    let version = rename(&writer, &now, "Реавиз (кабинет, снова)").await;
    let page = frmo_registry::reading_fresh(true, async {
        let decided = reader.authorize_route(&operator, read, route).await.expect("allowed");
        reader.organization_page(&decided, &REAVIZ).await.expect("page")
    })
    .await;
    assert_eq!(
        (page.card.row.version_id, page.card.organization.name_short.as_str()),
        (version, "Реавиз (кабинет, снова)")
    );
}

backend_tests!(
    the_caches_forget_a_version_once_it_is_superseded,
    a_signed_in_reader_sees_a_change_from_another_process_at_once,
    a_change_in_another_process_replaces_a_kept_card,
    the_real_organization_is_found_every_way,
    wrong_check_digits_are_refused_naming_the_field,
    exact_identifier_hits_rank_before_name_matches,
    paging_walks_every_result_once,
    filters_narrow_the_results,
    the_register_can_be_read_as_of_a_past_date,
    anonymous_visitors_cannot_write,
    closing_keeps_the_record_with_date_and_reason,
    new_oids_follow_the_region_sequence,
);

/// The same data gives the same results on both backends.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_results_are_identical_on_both_backends() {
    let (_a, sqlite) = demo(Backend::Sqlite, 600).await;
    let (_b, postgres) = demo(Backend::Postgres, 600).await;
    let queries = [
        q("городская больница"),
        q("поликлиника № 3"),
        q("университета"),
        SearchParams { q: Some("больница".into()), region: Some("77".into()), ..SearchParams::default() },
        SearchParams { region: Some("50".into()), ..SearchParams::default() },
        SearchParams { status: Some("liquidated".into()), ..SearchParams::default() },
        SearchParams { kpp: Some("631501001".into()), ..SearchParams::default() },
        SearchParams { q: Some("клиника".into()), limit: Some("50".into()), ..SearchParams::default() },
    ];
    for params in queries {
        let a = search(&sqlite, params.clone()).await.expect("sqlite");
        let b = search(&postgres, params.clone()).await.expect("postgres");
        assert_eq!(a.total, b.total, "{params:?}");
        assert_eq!(a.items, b.items, "{params:?}");
        assert_eq!(a.next_cursor, b.next_cursor, "{params:?}");
    }
}
