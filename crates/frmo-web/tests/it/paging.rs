//! Long lists come in pages with numbers, «Предыдущая» and «Следующая»; the links keep the list's
//! filters.

use frmo_domain::ident::checksum::snils_check;
use frmo_registry::Caller;
use frmo_registry::workers::WorkerForm;
use frmo_testkit::{Backend, Browser, TestApp, backend_tests};

use super::{REAVIZ, REAVIZ_OGRN, REAVIZ_OID, esia_person};

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
    let report =
        app.registry.import_workers(&Caller::new(session.actor(), "test"), &REAVIZ, rows).await.expect("import");
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

/// The `href`s of the links with this `rel` or text, unescaped.
fn hrefs(body: &str, marker: &str) -> Vec<String> {
    body.split("<a href=\"")
        .skip(1)
        .filter(|tail| tail.split("</a>").next().is_some_and(|link| link.contains(marker)))
        .map(|tail| tail.split('"').next().unwrap_or_default().replace("&#38;", "&"))
        .collect()
}

async fn search_results_have_page_numbers_and_a_way_back(backend: Backend) {
    let app = TestApp::demo(backend, 150).await;
    let (_, api) = app.get_json("/api/v1/organizations?status=active&limit=2").await;
    let total = api["total"].as_u64().expect("total") as usize;
    assert!(total > 6, "enough active organizations: {total}");
    let pages = total.div_ceil(2);
    let (status, first) = app.get_text("/?status=active&limit=2").await;
    assert_eq!(status, 200);
    assert!(first.contains(&format!("Найдено организаций: {total} · страница 1 из {pages}")), "{first}");
    assert!(hrefs(&first, "Предыдущая").is_empty(), "nothing before the first page");
    let next = hrefs(&first, "rel=\"next\"").pop().expect("a next page");
    assert!(next.starts_with("/?status=active&limit=2&cursor=") && !next.contains("back="), "{next}");

    let (_, second) = app.get_text(&next).await;
    assert!(second.contains(&format!("страница 2 из {pages}")), "{second}");
    assert_eq!(hrefs(&second, "Предыдущая"), ["/?status=active&limit=2"], "back to the first page");
    let third_href = hrefs(&second, "rel=\"next\"").pop().expect("a third page");
    assert!(third_href.contains("&back="), "the way back is carried: {third_href}");
    let (_, third) = app.get_text(&third_href).await;
    assert!(third.contains(&format!("страница 3 из {pages}")), "{third}");
    assert_eq!(hrefs(&third, "Предыдущая"), [next], "back to the second page, by its cursor");
    assert!(
        hrefs(&third, "Страница </span>1").contains(&"/?status=active&limit=2".to_owned()),
        "page 1 is a number too"
    );
    let first_names = |body: &str| body.matches("<a href=\"/organizations/").count();
    assert_eq!((first_names(&first), first_names(&second), first_names(&third)), (2, 2, 2));
}

backend_tests!(the_workers_list_has_page_numbers, search_results_have_page_numbers_and_a_way_back);
