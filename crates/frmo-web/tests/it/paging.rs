//! Long lists come in pages with numbers, «Предыдущая» and «Следующая»; the links keep the list's
//! filters.

use frmo_domain::ident::checksum::snils_check;
use frmo_registry::workers::WorkerForm;
use frmo_testkit::{Backend, Browser, TestApp, backend_tests};

use super::{REAVIZ_OGRN, REAVIZ_OID, esia_person};

fn worker(n: u32) -> WorkerForm {
    let body = 4_000_000 + n;
    // Names are letters only: two letters of the alphabet tell the workers apart.
    let letters: Vec<char> = "абвгдежзиклмнопрстуфхцчшэюя".chars().collect();
    let letter = |i: u32| letters[i as usize % letters.len()];
    WorkerForm {
        snils: format!("{body:09}{:02}", snils_check(body)),
        last_name: format!("Работник{}{}", letter(n / 27), letter(n)),
        first_name: "Иван".into(),
        sex: "м".into(),
        birth_date: "1980-01-01".into(),
        department: "Терапевтическое отделение".into(),
        position: "42".into(),
        position_type: "1".into(),
        rate: "1".into(),
        begin_date: "2020-09-01".into(),
        ..WorkerForm::default()
    }
}

async fn the_workers_list_has_page_numbers(backend: Backend) {
    let app = TestApp::demo(backend, 0).await;
    let chief = esia_person(&app, "6001", "Иванова Мария Петровна", None, true, Some((REAVIZ_OGRN, true))).await;
    let session = app.registry.session(&chief.token).await.expect("lookup").expect("session");
    let rows = (1..=120).map(|n| (n as usize, worker(n))).collect();
    let report = app.registry.import_workers(&session.actor(), REAVIZ_OID, rows, "test").await.expect("import");
    assert!(report.applied, "{:?}", report.errors.first());
    let mut browser = Browser::new(&app);
    browser.cookies.insert("frmo_session".into(), chief.token);
    let list = format!("/cabinet/organizations/{REAVIZ_OID}/workers");

    let filter = serde_urlencoded::to_string([("department", "Терапевтическое отделение")]).expect("query");
    let first = browser.get(&format!("{list}?{filter}")).await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert!(first.body.contains("Найдено: 120 · страница 1 из 3"), "{}", first.body);
    assert!(first.body.contains("<nav class=\"pager\" aria-label=\"Страницы списка\""), "{}", first.body);
    assert!(!first.body.contains("rel=\"prev\""), "no «Предыдущая» on the first page");
    let second = format!("{list}?{filter}&#38;page=2");
    assert!(
        first.body.contains(&format!("href=\"{second}\" rel=\"next\">Следующая")),
        "the filter is kept: {}",
        first.body
    );
    assert!(first.body.contains("aria-current=\"page\""));

    let last = browser.get(&format!("{list}?page=3")).await;
    assert!(last.body.contains("страница 3 из 3") && last.body.contains("rel=\"prev\">«&nbsp;Предыдущая"));
    assert!(!last.body.contains("rel=\"next\""), "no «Следующая» on the last page");
    let names = |body: &str| body.matches(">Работник").count();
    assert_eq!((names(&first.body), names(&last.body)), (50, 20), "50 a page, the rest on the last");
    let beyond = browser.get(&format!("{list}?page=99")).await;
    assert!(beyond.body.contains("страница 3 из 3"), "a page past the end shows the last");
}

backend_tests!(the_workers_list_has_page_numbers);
