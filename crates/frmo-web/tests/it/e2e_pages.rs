//! The browser tests' page list (tests/e2e/pages.json) covers every page of the cabinet: each GET
//! route of the cabinet's tables (`frmo_web::routes::cabinet()`) that is not the JSON API is swept
//! for accessibility and layout, or is a file download named with what it is. A route added later
//! fails here until it is listed.

use std::collections::BTreeSet;

fn page_list() -> serde_json::Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/e2e/pages.json");
    let text = std::fs::read_to_string(path).expect("tests/e2e/pages.json");
    serde_json::from_str(&text).expect("tests/e2e/pages.json is JSON")
}

#[test]
fn every_cabinet_page_is_in_the_browser_sweep() {
    let list = page_list();
    let swept: BTreeSet<&str> =
        list["cabinet"].as_array().expect("cabinet").iter().map(|p| p["route"].as_str().expect("route")).collect();
    let downloads: BTreeSet<&str> =
        list["downloads"].as_object().expect("downloads").keys().map(String::as_str).collect();
    let pages: BTreeSet<&str> =
        frmo_web::routes::cabinet().filter(|r| r.method == "GET" && !r.api).map(|r| r.path).collect();

    let missing: Vec<_> = pages.iter().filter(|p| !swept.contains(*p) && !downloads.contains(*p)).collect();
    assert!(missing.is_empty(), "GET routes of the cabinet missing from tests/e2e/pages.json: {missing:?}");
    let stale: Vec<_> = swept.union(&downloads).filter(|p| !pages.contains(*p)).collect();
    assert!(stale.is_empty(), "tests/e2e/pages.json lists routes the cabinet does not have: {stale:?}");
    let both: Vec<_> = swept.intersection(&downloads).collect();
    assert!(both.is_empty(), "listed both as a page and as a download: {both:?}");
    for page in list["cabinet"].as_array().expect("cabinet") {
        let roles = page["roles"].as_array().map_or(0, Vec::len);
        assert!(roles > 0, "{} is swept for no role", page["route"]);
    }
}
