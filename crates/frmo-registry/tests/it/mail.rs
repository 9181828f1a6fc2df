//! Notifications and the outbox on both backends, delivered to a real SMTP server (aiosmtpd):
//! a decision reaches its author in the cabinet and by e-mail, in Russian; temporary failures are
//! retried with back-off and delivered once; two workers never send the same message; a bad
//! address is given up.

use frmo_domain::access::Actor;
use frmo_registry::identity::local::NewLocalUser;
use frmo_registry::mail::{Delivery, Mailer};
use frmo_registry::moderation::requests::{Proposal, Verdict};
use frmo_registry::{Caller, Registry};
use frmo_testkit::smtp::SmtpSink;
use frmo_testkit::{Backend, backend_tests};

use super::identity::{consenting, esia_sign_in};
use super::{REAVIZ, demo};

fn mailer(sink: &SmtpSink) -> Mailer {
    Mailer::smtp("127.0.0.1", sink.port, "Реестр МО <noreply@frmo.example>").expect("mailer")
}

async fn operator(registry: &Registry) -> (i64, Caller) {
    let account = NewLocalUser {
        login: "op63",
        name: "Оператор",
        email: Some("op63@example.ru"),
        password: "пароль-оператора-01",
        role: None,
        regions: &[63],
    };
    let id = registry.add_local_user(&Actor::System, &account).await.expect("operator");
    let session = registry.start_session(id, "local", "{}").await.expect("session");
    (id, consenting(registry, &session).await)
}

async fn a_decision_reaches_its_author_in_the_cabinet_and_by_mail(backend: Backend) {
    let (_db, registry) = demo(backend, 0).await;
    let registry = registry.with_public_url("https://frmo.example/");
    let author = registry.sign_in(esia_sign_in("1000299654", true, false)).await.expect("sign in");
    let author_id = author.user_id;
    let author = consenting(&registry, &author).await;
    let (operator_id, operator) = operator(&registry).await;
    let card = registry.card(&Actor::Anonymous, &REAVIZ, None).await.expect("card");
    let contacts = frmo_domain::org::Contacts { phone: Some("+7 846 111-22-33".into()), ..Default::default() };
    let Proposal::Request(request) =
        registry.edit_contacts(&author, &REAVIZ, contacts, card.row.version_id, "новый номер").await.expect("request")
    else {
        panic!("moderated");
    };
    assert_eq!(registry.store().unread_notifications(operator_id).await.expect("count"), 1, "the operator is told");
    registry.decide_request(&operator, request.id, request.revision, Verdict::approve()).await.expect("approve");
    let notes = registry.store().notifications(author_id, 10).await.expect("notifications");
    assert_eq!(notes[0].title, format!("Заявка {} одобрена", request.number));
    assert_eq!(notes[0].link, format!("/cabinet/requests/{}", request.id));
    assert_eq!(registry.store().unread_notifications(author_id).await.expect("count"), 1);
    registry.store().read_notifications(author_id, registry.now()).await.expect("read");
    assert_eq!(registry.store().unread_notifications(author_id).await.expect("count"), 0);

    let sink = SmtpSink::start(0);
    let delivery = registry.deliver_mail(&mailer(&sink), 10).await.expect("deliver");
    assert_eq!(delivery, Delivery { sent: 2, retried: 0, given_up: 0 });
    let messages = sink.messages();
    let to_author = messages.iter().find(|m| m["envelope_to"][0] == "ivanova@example.ru").expect("the author's mail");
    assert_eq!(to_author["subject"], format!("Заявка {} одобрена", request.number));
    let body = to_author["body"].as_str().expect("body");
    assert!(body.contains(&format!("Открыть: https://frmo.example/cabinet/requests/{}", request.id)), "{body}");
    assert!(to_author["message_id"].as_str().is_some_and(|id| id.starts_with("<outbox-")));
    let to_operator = messages.iter().find(|m| m["envelope_to"][0] == "op63@example.ru").expect("the operator's mail");
    assert!(to_operator["subject"].as_str().is_some_and(|s| s.contains("на проверку")));
    // Nothing is sent twice.
    assert_eq!(registry.deliver_mail(&mailer(&sink), 10).await.expect("deliver"), Delivery::default());
    assert_eq!(sink.messages().len(), 2);
}

async fn temporary_failures_are_retried_with_back_off_and_delivered_once(backend: Backend) {
    let (_db, registry) = demo(backend, 0).await;
    registry.store().queue_mail("one@example.ru", "Проверка", "Текст письма", registry.now()).await.expect("queue");
    let sink = SmtpSink::start(2);
    let first = registry.deliver_mail(&mailer(&sink), 10).await.expect("deliver");
    assert_eq!(first, Delivery { sent: 0, retried: 1, given_up: 0 });
    // Not due yet: the back-off holds it.
    assert_eq!(registry.deliver_mail(&mailer(&sink), 10).await.expect("deliver"), Delivery::default());
    registry.advance_clock(31);
    assert_eq!(registry.deliver_mail(&mailer(&sink), 10).await.expect("deliver").retried, 1, "the second refusal");
    registry.advance_clock(31);
    assert_eq!(
        registry.deliver_mail(&mailer(&sink), 10).await.expect("deliver"),
        Delivery::default(),
        "waits a minute now"
    );
    registry.advance_clock(30);
    assert_eq!(registry.deliver_mail(&mailer(&sink), 10).await.expect("deliver").sent, 1);
    assert_eq!(sink.messages().len(), 1);
    assert_eq!(registry.store().mail_to("one@example.ru").await.expect("mail")[0].attempts, 3);
    assert_eq!(registry.store().mail_counts().await.expect("counts"), (0, 1, 0));
}

async fn two_workers_never_send_the_same_message(backend: Backend) {
    let (db, registry) = demo(backend, 0).await;
    for n in 0..30 {
        registry
            .store()
            .queue_mail(&format!("r{n}@example.ru"), "Проверка", "Текст", registry.now())
            .await
            .expect("queue");
    }
    // A second process on the same database.
    let other = Registry::open(db.store().await).await.expect("second registry");
    let sink = SmtpSink::start(0);
    let (a, b) = (mailer(&sink), mailer(&sink));
    let mut sent = 0;
    loop {
        let (x, y) = tokio::join!(registry.deliver_mail(&a, 4), other.deliver_mail(&b, 4));
        let round = x.expect("one").sent + y.expect("other").sent;
        if round == 0 {
            break;
        }
        sent += round;
    }
    assert_eq!(sent, 30);
    let mut recipients: Vec<String> =
        sink.messages().iter().map(|m| m["envelope_to"][0].as_str().unwrap_or_default().to_owned()).collect();
    assert_eq!(recipients.len(), 30);
    recipients.sort();
    recipients.dedup();
    assert_eq!(recipients.len(), 30, "no message went twice");
}

async fn a_bad_address_is_given_up(backend: Backend) {
    let (_db, registry) = demo(backend, 0).await;
    registry.store().queue_mail("не адрес", "Проверка", "Текст", registry.now()).await.expect("queue");
    let sink = SmtpSink::start(0);
    assert_eq!(registry.deliver_mail(&mailer(&sink), 10).await.expect("deliver").given_up, 1);
    assert_eq!(registry.store().mail_counts().await.expect("counts"), (0, 0, 1));
}

backend_tests!(
    a_decision_reaches_its_author_in_the_cabinet_and_by_mail,
    temporary_failures_are_retried_with_back_off_and_delivered_once,
    two_workers_never_send_the_same_message,
    a_bad_address_is_given_up,
);
