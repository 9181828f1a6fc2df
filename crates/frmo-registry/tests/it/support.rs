//! Support requests on both backends: classified, routed to the queue of the right people with a
//! deadline in business hours, answered and rated through the outbox and the journal; bad public
//! requests store nothing; operators' re-classifications become training data.

use frmo_domain::access::{Actor, DenyCode, FederalRole};
use frmo_registry::documents::DocumentSettings;
use frmo_registry::documents::files::Staged;
use frmo_registry::identity::local::NewLocalUser;
use frmo_registry::reports::{Datum, ReportParams};
use frmo_registry::support::help::{ArticleForm, search_in};
use frmo_registry::support::requests::{REOPEN_DAYS, StepForm, SupportForm, add_business_hours};
use frmo_registry::{Caller, Registry, RegistryError};
use frmo_testkit::s3::{Storage, TestFiles};
use frmo_testkit::{Backend, TestDb, backend_tests};

use super::REAVIZ_OID;
use super::identity::{consenting, esia_sign_in};

async fn registry(backend: Backend, settings: DocumentSettings) -> (TestDb, TestFiles, Registry) {
    let db = TestDb::new(backend).await;
    let files = TestFiles::new(Storage::Local);
    let registry = Registry::open(db.store().await).await.expect("open").with_documents(files.files(), settings);
    assert!(registry.seed_demo(&Actor::System, 0).await.expect("seed"));
    (db, files, registry)
}

/// A local account with a federal role or operator regions, signed in with consent.
async fn staff(registry: &Registry, login: &str, role: Option<FederalRole>, regions: &[u8]) -> Caller {
    let account = NewLocalUser {
        login,
        name: "Сотрудник поддержки",
        email: Some("staff@example.ru"),
        password: "пароль-поддержки-01",
        role,
        regions,
    };
    let id = registry.add_local_user(&Actor::System, &account).await.expect("staff account");
    let session = registry.start_session(id, "local", "{}").await.expect("session");
    consenting(registry, &session).await
}

fn screenshot(name: &str, bytes: &[u8]) -> Staged {
    let mut staged = Staged::new(name, 64 * 1024 * 1024).expect("staging file");
    staged.push(bytes).expect("write").expect("within the staging limit");
    staged
}

fn png() -> Vec<u8> {
    std::fs::read(format!("{}/../frmo-domain/tests/fixtures/documents/scan.png", env!("CARGO_MANIFEST_DIR")))
        .expect("png fixture")
}

fn step(action: &str, text: &str, revision: i64) -> StepForm {
    StepForm { action: action.into(), text: text.into(), revision, ..StepForm::default() }
}

async fn a_request_is_classified_routed_answered_and_rated(backend: Backend) {
    let (_db, files, registry) = registry(backend, DocumentSettings::default()).await;
    let session = registry.sign_in(esia_sign_in("1000299654", true, false)).await.expect("sign in");
    let member = consenting(&registry, &session).await;
    let admin = staff(&registry, "admin", Some(FederalRole::Admin), &[]).await;
    let samara = staff(&registry, "samara", None, &[63]).await;
    let moscow = staff(&registry, "moscow", None, &[77]).await;

    // Sign-in trouble: the rule sees the ЕСИА code, the desk gets it, 8 business hours.
    let form = SupportForm {
        text: "Не могу войти в кабинет, ошибка ESIA-007053".into(),
        page: "/cabinet".into(),
        error_code: "ACCOUNT_NOT_CONFIRMED".into(),
        ..SupportForm::default()
    };
    let access =
        registry.submit_support_request(&member, form, vec![screenshot("экран.png", &png())]).await.expect("filed");
    let view = registry.support_request(&member, access).await.expect("own request");
    assert_eq!(view.topic.as_str(), "access");
    assert_eq!(stored(&registry, view.id).await.topic_basis, "rule");
    assert_eq!(view.queue, "desk");
    assert_eq!(view.status.as_str(), "new");
    assert_eq!(view.error_code, "ACCOUNT_NOT_CONFIRMED");
    assert_eq!(view.due_at, add_business_hours(&registry.moderation().calendar, view.created_at, 8));
    assert!(view.number.starts_with("ОБ-20") && view.number.ends_with(&format!("{access:06}")));
    assert_eq!(view.email, None, "the author's view does not echo addresses");
    assert_eq!(view.attachments.len(), 1);
    assert_eq!(view.attachments[0].format, "png");
    assert_eq!(files.files().list("support").await.expect("list").len(), 1);

    // A data correction about Реавиз goes to the operators of region 63 only.
    let form = SupportForm {
        text: "В карточке неверно указан телефон регистратуры, просим исправить".into(),
        org_oid: REAVIZ_OID.into(),
        ..SupportForm::default()
    };
    let data = registry.submit_support_request(&member, form, vec![]).await.expect("filed");
    let queue = |caller: &Caller| {
        let registry = registry.clone();
        let caller = caller.clone();
        async move { registry.support_queue(&caller).await.map(|list| list.iter().map(|v| v.id).collect::<Vec<_>>()) }
    };
    assert_eq!(queue(&samara).await.expect("operator's queue"), vec![data]);
    assert!(queue(&moscow).await.expect("other region").is_empty());
    let mut all = queue(&admin).await.expect("admin's queue");
    all.sort();
    assert_eq!(all, vec![access, data]);
    assert!(matches!(queue(&member).await, Err(RegistryError::Forbidden(DenyCode::RoleRequired))));
    // Only handlers see the requester's address, and only the request's own people see it at all.
    let handled = registry.support_request(&samara, data).await.expect("handler");
    assert_eq!(handled.email.as_deref(), Some("ivanova@example.ru"));
    assert!(matches!(registry.support_request(&moscow, data).await, Err(RegistryError::NotFound(_))));
    assert!(matches!(registry.support_request(&samara, access).await, Err(RegistryError::NotFound(_))));

    // The operator takes and answers; the member hears of it in the cabinet and by e-mail.
    let mut revision = handled.revision;
    assert_eq!(
        registry.support_step(&samara, data, step("take", "", revision)).await.expect("take").as_str(),
        "in_progress"
    );
    revision += 1;
    let stale = registry.support_step(&samara, data, step("answer", "Исправим", revision - 1)).await;
    assert!(matches!(stale, Err(RegistryError::Conflict(_))), "{stale:?}");
    let refused = registry.support_step(&member, data, step("answer", "сам себе", revision)).await;
    assert!(matches!(refused, Err(RegistryError::Forbidden(DenyCode::RoleRequired))), "{refused:?}");
    let empty = registry.support_step(&samara, data, step("answer", "   ", revision)).await;
    assert!(matches!(&empty, Err(RegistryError::Invalid(e)) if e[0].field == "text"), "{empty:?}");
    registry
        .support_step(&samara, data, step("answer", "Подайте заявку на изменение карточки", revision))
        .await
        .expect("answer");
    revision += 1;
    let mail = registry.store().mail_to("ivanova@example.ru").await.expect("outbox");
    assert!(mail.iter().any(|m| m.subject.contains("Ответ на обращение") && m.body.contains("Подайте заявку")));
    let view = registry.support_request(&member, data).await.expect("view");
    assert_eq!(view.status.as_str(), "waiting_user");
    assert!(stored(&registry, view.id).await.first_answer_at.is_some());
    assert_eq!(view.messages.len(), 3, "{:?}", view.messages);

    // The member replies, the operator resolves, the member rates: closed.
    registry.support_step(&member, data, step("reply", "Спасибо, а где это?", revision)).await.expect("reply");
    revision += 1;
    registry.support_step(&samara, data, step("resolve", "Раздел «Карточка»", revision)).await.expect("resolve");
    revision += 1;
    let view = registry.support_request(&member, data).await.expect("view");
    assert!(view.reopenable);
    let bad = StepForm { action: "rate".into(), rating: "9".into(), revision, ..StepForm::default() };
    assert!(matches!(registry.support_step(&member, data, bad).await, Err(RegistryError::Invalid(_))));
    let rate = StepForm { action: "rate".into(), rating: "5".into(), revision, ..StepForm::default() };
    assert_eq!(registry.support_step(&member, data, rate).await.expect("rate").as_str(), "closed");
    let view = registry.support_request(&member, data).await.expect("view");
    assert_eq!(view.rating, Some(5));
    assert!(!view.reopenable);

    // An administrator re-classifies the first request: it moves and the text becomes training data.
    let before = registry.support_classifier().await.expect("model").examples();
    let view = registry.support_request(&admin, access).await.expect("admin");
    let reclassify = StepForm {
        action: "reclassify".into(),
        topic: "failure".into(),
        revision: view.revision,
        ..StepForm::default()
    };
    registry.support_step(&admin, access, reclassify).await.expect("reclassify");
    let view = registry.support_request(&admin, access).await.expect("admin");
    assert_eq!((view.topic.as_str(), stored(&registry, view.id).await.topic_basis.as_str()), ("failure", "operator"));
    assert_eq!(view.status.as_str(), "new");
    assert_eq!(registry.support_classifier().await.expect("model").examples(), before + 1);

    // The statistics of the report catalogue: by topic for the administrator, only region 63 for
    // its operator.
    let params = ReportParams { group: Some("topic".into()), ..ReportParams::default() };
    let report = registry.run_report(&admin, "support", &params).await.expect("report");
    let row = |label: &str| report.rows.iter().find(|r| r[0] == Datum::Text(label.into())).cloned();
    let data_row = row("Исправление данных").expect("data row");
    assert_eq!(&data_row[1..5], &[Datum::Int(1), Datum::Int(1), Datum::Int(1), Datum::Int(0)]);
    assert_eq!((&data_row[7], &data_row[8]), (&Datum::Int(1), &Datum::Rate(500)));
    assert_eq!(row("Техническая ошибка").expect("re-classified row")[1], Datum::Int(1));
    let regional = registry.run_report(&samara, "support", &params).await.expect("operator's report");
    assert_eq!(regional.rows.len(), 1, "{:?}", regional.rows);
    assert_eq!(regional.rows[0][0], Datum::Text("Исправление данных".into()));

    let journal = registry.store().audit_of_kind("support", 50).await.expect("journal");
    assert_eq!(journal.len(), 8, "{journal:?}");
    assert!(journal.iter().all(|e| !e.entry.detail.contains("ivanova@")), "no addresses in the journal");
}

async fn bad_public_requests_store_nothing(backend: Backend) {
    let settings = DocumentSettings { max_bytes: 60, ..DocumentSettings::default() };
    let (_db, files, registry) = registry(backend, settings).await;
    let public =
        |text: &str, email: &str| SupportForm { text: text.into(), email: email.into(), ..SupportForm::default() };
    let cases: Vec<(SupportForm, Vec<Staged>, &str)> = vec![
        (public("Не открывается сайт", ""), vec![], "email"),
        (public("Не открывается сайт", "ivanov-at-mail.ru"), vec![], "email"),
        (public("  \n ", "ivanov@mail.ru"), vec![], "text"),
        (public("Скриншот ошибки", "ivanov@mail.ru"), vec![screenshot("big.png", &png())], "files"),
        (public("Скриншот ошибки", "ivanov@mail.ru"), vec![screenshot("fake.png", b"not an image at all")], "files"),
        (SupportForm { topic: "gossip".into(), ..public("Вопрос", "ivanov@mail.ru") }, vec![], "topic"),
    ];
    assert!(png().len() > 60, "the fixture must pass the small limit");
    for (form, attachments, field) in cases {
        let refused = registry.submit_support_request(&Caller::anonymous("r"), form, attachments).await;
        match refused {
            Err(RegistryError::Invalid(errors)) => {
                assert!(errors.iter().any(|e| e.field == field), "{field}: {errors:?}");
                assert!(errors.iter().all(|e| e.message.chars().any(|c| ('а'..='я').contains(&c))), "{errors:?}");
            }
            other => panic!("{field}: {other:?}"),
        }
    }
    let stored = registry.store().support_requests_between(0, i64::MAX).await.expect("requests");
    assert!(stored.is_empty(), "{stored:?}");
    assert!(files.files().list("support").await.expect("list").is_empty());
    assert!(registry.store().mail_to("ivanov@mail.ru").await.expect("outbox").is_empty());

    // A good public request is stored, routed by its explicit topic, and confirmed by e-mail.
    let form = SupportForm {
        topic: "proposal".into(), ..public("Сайт не открывается после 18:00", "ivanov@mail.ru")
    };
    let id = registry.submit_support_request(&Caller::anonymous("r"), form, vec![]).await.expect("filed");
    let stored = registry.store().support_request(id).await.expect("read").expect("stored");
    assert_eq!(
        (stored.topic.as_str(), stored.topic_basis.as_str(), stored.queue.as_str()),
        ("proposal", "explicit", "admin")
    );
    assert_eq!(stored.author_id, None);
    let mail = registry.store().mail_to("ivanov@mail.ru").await.expect("outbox");
    assert_eq!(mail.len(), 1);
    assert!(mail[0].subject.contains("принято"), "{}", mail[0].subject);
}

async fn resolved_requests_close_after_the_reopening_days(backend: Backend) {
    let (_db, _files, registry) = registry(backend, DocumentSettings::default()).await;
    let admin = staff(&registry, "admin", Some(FederalRole::Admin), &[]).await;
    let session = registry.sign_in(esia_sign_in("1000299654", true, false)).await.expect("sign in");
    let member = consenting(&registry, &session).await;
    let form = SupportForm { text: "Как выгрузить отчёт в Excel?".into(), ..SupportForm::default() };
    let id = registry.submit_support_request(&member, form, vec![]).await.expect("filed");
    let revision = registry.support_request(&admin, id).await.expect("view").revision;
    registry.support_step(&admin, id, step("resolve", "Кнопка «XLSX» под таблицей", revision)).await.expect("resolve");
    assert_eq!(registry.close_resolved_support_requests("job").await.expect("job"), 0, "too early");
    registry.advance_clock(REOPEN_DAYS * 86_400 + 60);
    let view = registry.support_request(&member, id).await.expect("view");
    assert!(!view.reopenable);
    let reopen = registry.support_step(&member, id, step("reopen", "не помогло", view.revision)).await;
    assert!(matches!(reopen, Err(RegistryError::Conflict(_))), "{reopen:?}");
    assert_eq!(registry.close_resolved_support_requests("job").await.expect("job"), 1);
    let view = registry.support_request(&member, id).await.expect("view");
    assert_eq!(view.status.as_str(), "closed");
    assert!(view.messages.last().is_some_and(|m| m.body.contains("автоматически")));
}

async fn administrators_edit_help_articles_in_versions(backend: Backend) {
    let (_db, _files, registry) = registry(backend, DocumentSettings::default()).await;
    let admin = staff(&registry, "admin", Some(FederalRole::Admin), &[]).await;
    let session = registry.sign_in(esia_sign_in("1000299654", true, false)).await.expect("sign in");
    let member = consenting(&registry, &session).await;
    let shipped = registry.help_article("esia-errors").await.expect("shipped article");
    let edit = |version: i64, body: &str| ArticleForm {
        slug: "esia-errors".into(),
        title: shipped.title.clone(),
        topic: "access".into(),
        keywords: shipped.keywords.join(", "),
        body: body.into(),
        version,
    };
    let v = i64::from(shipped.version);
    registry.save_help_article(&admin, edit(v, "## ESIA-007053\n\nОбновите плагин Госуслуг.")).await.expect("saved");
    let edited = registry.help_article("esia-errors").await.expect("edited");
    assert_eq!(i64::from(edited.version), v + 1);
    assert!(edited.html().contains("плагин"));
    let articles = registry.help_articles().await.expect("articles");
    assert_eq!(articles.len(), frmo_registry::support::help::articles().len(), "replaced, not added");
    assert_eq!(search_in(&articles, "плагин госуслуг", 1)[0].slug, "esia-errors");

    let stale = registry.save_help_article(&admin, edit(v, "старая правка")).await;
    assert!(matches!(stale, Err(RegistryError::Conflict(_))), "{stale:?}");
    let refused = registry.save_help_article(&member, edit(v + 1, "правка участника")).await;
    assert!(matches!(refused, Err(RegistryError::Forbidden(DenyCode::RoleRequired))), "{refused:?}");
    let empty = ArticleForm { title: " ".into(), ..edit(v + 1, "") };
    match registry.save_help_article(&admin, empty).await {
        Err(RegistryError::Invalid(errors)) => {
            let fields: Vec<_> = errors.iter().map(|e| e.field).collect();
            assert_eq!(fields, ["title", "body"]);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(registry.store().help_articles().await.expect("stored").len(), 1, "refusals store nothing");

    let new = ArticleForm {
        slug: "fias-address".into(),
        title: "Адрес по ФИАС".into(),
        topic: "data".into(),
        keywords: "ФИАС, ГАР, адрес".into(),
        body: "Адрес выбирается из ГАР.".into(),
        version: 0,
    };
    registry.save_help_article(&admin, new.clone()).await.expect("new article");
    assert_eq!(registry.help_article("fias-address").await.expect("new").version, 1);
    assert!(matches!(registry.save_help_article(&admin, new).await, Err(RegistryError::Conflict(_))));
    let bad_slug = ArticleForm { slug: "Плохой адрес".into(), ..ArticleForm::default() };
    assert!(matches!(registry.save_help_article(&admin, bad_slug).await, Err(RegistryError::Invalid(_))));
    assert_eq!(registry.store().audit_of_kind("help_article", 10).await.expect("journal").len(), 2);
}

/// The request as stored (what the registry keeps to itself: how its topic was chosen, when it was
/// first answered).
async fn stored(registry: &Registry, id: i64) -> frmo_store::support::SupportRecord {
    registry.store().support_request(id).await.expect("read").expect("stored")
}

backend_tests!(
    a_request_is_classified_routed_answered_and_rated,
    bad_public_requests_store_nothing,
    administrators_edit_help_articles_in_versions,
    resolved_requests_close_after_the_reopening_days
);
