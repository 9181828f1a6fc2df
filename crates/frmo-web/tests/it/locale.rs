//! English as the second locale (#20, item 7). Every page of the browser sweep's list
//! (tests/e2e/pages.json) — public, error pages, and the cabinet's for each role that sees it — is
//! fetched in both languages. The English page says `<html lang="en">` and shows no Cyrillic
//! outside data (elements marked `lang="ru"`: names, addresses, directory values, what people
//! wrote); the Russian page says `<html lang="ru">` and shows none of the catalogue's English. The
//! ЕСИА stand is not the registry's UI (it stands in for Госуслуги) and is left out.

use std::collections::BTreeMap;

use frmo_testkit::{Backend, Browser, Page, TestApp, backend_tests, input_value, multipart};

use super::{REAVIZ_OID, esia_person};
use crate::REAVIZ_OGRN;

/// Pages of the list that are not the registry's own UI.
const NOT_OURS: [&str; 2] = ["/esia-stand/aas/oauth2/v2/ac", "/login/esia"];

fn page_list() -> serde_json::Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/e2e/pages.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("pages.json")).expect("pages.json is JSON")
}

/// Every English text of the catalogue (locales/en/*.toml).
fn catalogue() -> Vec<String> {
    let folder = concat!(env!("CARGO_MANIFEST_DIR"), "/locales/en");
    let mut english = Vec::new();
    for file in std::fs::read_dir(folder).expect("locales/en") {
        let text = std::fs::read_to_string(file.expect("a file").path()).expect("a catalogue file");
        let entries: BTreeMap<String, String> = toml::from_str(&text).expect("the catalogue parses");
        english.extend(entries.into_values());
    }
    english
}

fn is_cyrillic(c: char) -> bool {
    matches!(c, '\u{0400}'..='\u{04FF}')
}

const VOID: [&str; 14] =
    ["area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr", "!doctype"];

/// The text a person reads on a page (text nodes and the attributes read aloud or shown), leaving
/// out elements marked with a language other than the page's, what people typed into fields,
/// scripts, and the `<title>` (it names the page's data, an organization's name, where no element
/// can mark it; its words are the page's heading's, which is checked).
fn readable_text(html: &str, page_lang: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack: Vec<(String, bool)> = Vec::new();
    let mut rest = html;
    let other = |tag: &str| attribute(tag, "lang").is_some_and(|l| l != page_lang) && !tag.starts_with("<html");
    while !rest.is_empty() {
        let skipped = stack.last().is_some_and(|(_, skip)| *skip);
        let Some(open) = rest.find('<') else {
            if !skipped {
                out.push(rest.to_owned());
            }
            break;
        };
        if !skipped {
            out.push(rest[..open].to_owned());
        }
        rest = &rest[open..];
        if let Some(after) = rest.strip_prefix("<!--") {
            rest = after.split_once("-->").map_or("", |(_, r)| r);
            continue;
        }
        let end = rest.find('>').map_or(rest.len(), |e| e + 1);
        let tag = &rest[..end];
        rest = &rest[end..];
        let name: String =
            tag.trim_start_matches(['<', '/']).chars().take_while(|c| !c.is_whitespace() && *c != '>').collect();
        let name = name.to_ascii_lowercase();
        if tag.starts_with("</") {
            if let Some(at) = stack.iter().rposition(|(n, _)| *n == name) {
                stack.truncate(at);
            }
            continue;
        }
        let skip = skipped || other(tag) || ["script", "style", "textarea", "title"].contains(&name.as_str());
        if !skip {
            for attr in ["aria-label", "title", "placeholder", "alt"] {
                out.extend(attribute(tag, attr));
            }
            if name == "input" && attribute(tag, "type").is_some_and(|t| t == "submit" || t == "button") {
                out.extend(attribute(tag, "value"));
            }
        }
        if !VOID.contains(&name.as_str()) && !tag.ends_with("/>") {
            stack.push((name, skip));
        }
    }
    out.into_iter().map(|t| t.split_whitespace().collect::<Vec<_>>().join(" ")).filter(|t| !t.is_empty()).collect()
}

fn attribute(tag: &str, name: &str) -> Option<String> {
    let marker = format!(" {name}=\"");
    let start = tag.find(&marker)? + marker.len();
    Some(tag[start..start + tag[start..].find('"')?].to_owned())
}

/// What is wrong with a page in one language.
fn problems(label: &str, lang: &str, html: &str, english: &[&str]) -> Vec<String> {
    let mut found = Vec::new();
    if !html.contains(&format!("<html lang=\"{lang}\">")) {
        found.push(format!("{label} [{lang}]: <html lang> is not {lang}"));
    }
    for text in readable_text(html, lang) {
        if lang == "en" && text.chars().any(is_cyrillic) {
            found.push(format!("{label} [en]: «{text}»"));
        }
        if lang == "ru"
            && let Some(e) = english.iter().find(|e| text.contains(**e))
        {
            found.push(format!("{label} [ru]: English «{e}» in «{text}»"));
        }
    }
    found
}

/// A route of the list as a path: `{oid}` filled in, other parameters matched on the page.
fn matches_route(route: &str, href: &str) -> bool {
    let href = href.split(['?', '#']).next().unwrap_or_default();
    let (want, got): (Vec<&str>, Vec<&str>) = (route.split('/').collect(), href.split('/').collect());
    want.len() == got.len()
        && want.iter().zip(&got).all(|(w, g)| match *w {
            "{slug}" => g.starts_with(|c: char| c.is_ascii_lowercase()),
            w if w.starts_with('{') => g.starts_with(|c: char| c.is_ascii_digit()),
            w => w == *g,
        })
}

fn links(html: &str) -> impl Iterator<Item = String> + '_ {
    html.split("href=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .map(|h| h.replace("&amp;", "&").replace("&#38;", "&"))
}

/// The path of an entry: fixed, or the first link on the `via` page with the route's shape.
async fn resolve(browser: &mut Browser, list: &serde_json::Value, entry: &serde_json::Value) -> Option<String> {
    let fill = |p: &str| p.replace("{oid}", REAVIZ_OID);
    let route = entry["path"].as_str().or(entry["route"].as_str()).expect("route or path");
    let Some(via) = entry["via"].as_array() else { return Some(fill(route)) };
    let from = via[0].as_str().expect("via page");
    let parent =
        list["cabinet"].as_array().expect("cabinet").iter().find(|e| e["route"] == from && e["via"].is_array());
    let start = match parent {
        Some(parent) => Box::pin(resolve(browser, list, parent)).await?,
        None => fill(from),
    };
    let page = browser.get(&start).await;
    let route = fill(route);
    links(&page.body).find(|href| matches_route(&route, href))
}

async fn both_languages(browser: &mut Browser, path: &str, status: u64, english: &[&str]) -> Vec<String> {
    let mut found = Vec::new();
    for lang in ["ru", "en"] {
        browser.cookies.insert("frmo_lang".into(), lang.into());
        let page: Page = browser.get(path).await;
        if u64::from(page.status) != status {
            found.push(format!("{path} [{lang}]: HTTP {}, expected {status}", page.status));
        }
        found.extend(problems(path, lang, &page.body, english));
    }
    found
}

/// What the sweep's walks leave behind: a change request, a worker, a support request, an export.
async fn arrange(app: &TestApp, chief: &mut Browser, operator: &mut Browser) {
    let card = chief.get(&format!("/cabinet/organizations/{REAVIZ_OID}")).await;
    let (csrf, version) =
        (input_value(&card.body, "csrf").expect("csrf"), input_value(&card.body, "version").expect("v"));
    let contacts =
        [("csrf", csrf.as_str()), ("version", &version), ("phone", "+7 846 111-22-33"), ("reason", "новый номер")];
    let sent = chief.post(&format!("/cabinet/organizations/{REAVIZ_OID}/card"), &contacts).await;
    assert_eq!(sent.status, 303, "{}", sent.body);
    let snils = format!("{:09}{:02}", 7_000_001, frmo_domain::ident::checksum::snils_check(7_000_001));
    let worker = [
        ("csrf", csrf.as_str()),
        ("snils", &snils),
        ("last_name", "Петрова"),
        ("first_name", "Анна"),
        ("sex", "ж"),
        ("birth_date", "1985-04-12"),
        ("department", "Терапевтическое отделение"),
        ("position", "42"),
        ("position_type", "1"),
        ("rate", "1"),
        ("begin_date", "2020-09-01"),
    ];
    let saved = chief.post(&format!("/cabinet/organizations/{REAVIZ_OID}/workers"), &worker).await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let cookie = chief.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ");
    let (kind, body) = multipart(&[("csrf", &csrf), ("text", "Не загружается файл работников")], &[]);
    let response = app
        .client
        .post(format!("{}/cabinet/support", app.base))
        .header("cookie", cookie)
        .header("content-type", kind)
        .body(body)
        .send()
        .await
        .expect("POST");
    assert_eq!(response.status().as_u16(), 303, "{}", response.text().await.unwrap_or_default());
    let reports = operator.get("/cabinet/reports").await;
    let csrf = input_value(&reports.body, "csrf").expect("csrf");
    let job = operator.post("/cabinet/jobs", &[("csrf", &csrf), ("kind", "register"), ("format", "csv")]).await;
    assert_eq!(job.status, 303, "{}", job.body);
}

async fn every_page_reads_in_both_languages(backend: Backend) {
    let app = TestApp::demo(backend, 20).await;
    let chief = esia_person(&app, "7001", "Петров Пётр Петрович", None, true, Some((REAVIZ_OGRN, true))).await;
    let mut browsers: BTreeMap<&str, Browser> = BTreeMap::new();
    let signed_in = |token: String| {
        let mut browser = Browser::new(&app);
        browser.cookies.insert("frmo_session".into(), token);
        browser
    };
    browsers.insert("chief", signed_in(chief.token));
    browsers.insert("member", app.as_member(REAVIZ_OID).await.browser(&app));
    browsers.insert("operator", app.as_operator(63).await.browser(&app));
    browsers.insert("admin", app.as_admin().await.browser(&app));
    browsers.insert("auditor", app.as_auditor().await.browser(&app));
    let mut operator = browsers.remove("operator").expect("operator");
    arrange(&app, browsers.get_mut("chief").expect("chief"), &mut operator).await;
    browsers.insert("operator", operator);

    let catalogue = catalogue();
    let english: Vec<&str> =
        catalogue.iter().map(String::as_str).filter(|e| e.split_whitespace().count() >= 3).collect();
    let list = page_list();
    let mut found = Vec::new();
    let mut visited = 0;
    let mut anonymous = app.anonymous();
    for entry in list["public"].as_array().expect("public") {
        let path = entry["path"].as_str().expect("path");
        if NOT_OURS.contains(&path) {
            continue;
        }
        let Some(path) = resolve(&mut anonymous, &list, entry).await else {
            assert!(entry["optional"].as_bool().unwrap_or(false), "no link for {entry}");
            continue;
        };
        found.extend(both_languages(&mut anonymous, &path, entry["status"].as_u64().unwrap_or(200), &english).await);
        visited += 1;
    }
    for entry in list["cabinet"].as_array().expect("cabinet") {
        for role in entry["roles"].as_array().expect("roles").iter().map(|r| r.as_str().expect("role")) {
            let browser = browsers.get_mut(role).unwrap_or_else(|| panic!("no browser for {role}"));
            let path = resolve(browser, &list, entry).await.unwrap_or_else(|| panic!("{role}: no link for {entry}"));
            let status = entry["status"].as_u64().unwrap_or(200);
            let label = format!("{role} {path}");
            found.extend(
                both_languages(browser, &path, status, &english).await.into_iter().map(|p| format!("{label}: {p}")),
            );
            visited += 1;
        }
    }
    assert!(visited > 40, "only {visited} pages visited");
    assert!(found.is_empty(), "{} problems:\n{}", found.len(), found.join("\n"));
}

/// The English page of `path`, with its problems.
async fn english(browser: &mut Browser, path: &str) -> Vec<String> {
    browser.cookies.insert("frmo_lang".into(), "en".into());
    let page = browser.get(path).await;
    let mut found = problems(path, "en", &page.body, &[]);
    if page.status >= 500 {
        found.push(format!("{path}: HTTP {}", page.status));
    }
    found
}

/// What the sweep does not open: the confirmation after each action, and forms refused with the
/// registry's messages.
async fn confirmations_and_refused_forms_read_in_english(backend: Backend) {
    let app = TestApp::demo(backend, 0).await;
    let chief = esia_person(&app, "7002", "Петров Пётр Петрович", None, true, Some((REAVIZ_OGRN, true))).await;
    let mut chief_browser = Browser::new(&app);
    chief_browser.cookies.insert("frmo_session".into(), chief.token);
    let mut operator = app.as_operator(63).await.browser(&app);
    arrange(&app, &mut chief_browser, &mut operator).await;
    let org = format!("/cabinet/organizations/{REAVIZ_OID}");
    let mut found = Vec::new();
    let mut anonymous = app.anonymous();
    for path in ["/login?done=logout", "/login?done=logout-everywhere"] {
        found.extend(english(&mut anonymous, path).await);
    }
    let confirmations = [
        "/cabinet?done=consent".to_owned(),
        "/cabinet/profile?done=consent-withdrawn".to_owned(),
        format!("{org}?done=card"),
        format!("{org}?done=invited"),
        format!("{org}?done=members"),
        format!("{org}/documents?done=document"),
        format!("{org}/workers?done=import"),
        format!("{org}/workers?done=staffing"),
        "/cabinet/requests/1?done=sent".to_owned(),
        "/cabinet/support/1?done=sent".to_owned(),
    ];
    for path in &confirmations {
        found.extend(english(&mut chief_browser, path).await);
    }
    found.extend(english(&mut operator, "/cabinet/requests/1?done=decision").await);

    // Refused forms: the registry's messages, on the form.
    chief_browser.cookies.insert("frmo_lang".into(), "en".into());
    let card = chief_browser.get(&org).await;
    let (csrf, version) =
        (input_value(&card.body, "csrf").expect("csrf"), input_value(&card.body, "version").expect("v"));
    let no_reason = [("csrf", csrf.as_str()), ("version", &version), ("phone", "12"), ("site", "ftp://x")];
    let refused = chief_browser.post(&format!("{org}/card"), &no_reason).await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    found.extend(problems("refused card change", "en", &refused.body, &[]));
    let bad_worker = [("csrf", csrf.as_str()), ("snils", "112-233-445 96"), ("last_name", ""), ("sex", "x")];
    let refused = chief_browser.post(&format!("{org}/workers"), &bad_worker).await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    found.extend(problems("refused worker", "en", &refused.body, &[]));
    anonymous.cookies.insert("frmo_lang".into(), "en".into());
    let login = anonymous.get("/login").await;
    let token = input_value(&login.body, "csrf").expect("form token");
    let wrong = [("csrf", token.as_str()), ("login", "nobody"), ("password", "wrong-password")];
    let refused = anonymous.post("/login/local", &wrong).await;
    found.extend(problems("refused sign-in", "en", &refused.body, &[]));
    assert!(found.is_empty(), "{} problems:\n{}", found.len(), found.join("\n"));
}

async fn the_language_is_chosen_by_a_link_and_kept(backend: Backend) {
    let app = TestApp::demo(backend, 0).await;
    let mut browser = app.anonymous();
    let home = browser.get("/?q=больница").await;
    assert!(home.body.contains("<html lang=\"ru\">"), "Russian by default");
    let switch = links(&home.body).find(|h| h.contains("lang=en")).expect("a link to English");
    assert!(switch.starts_with("/?q=") && switch.ends_with("&lang=en"), "the same page in English: {switch}");
    let english = browser.get(&switch).await;
    assert!(english.body.contains("<html lang=\"en\">") && english.body.contains("Search organizations"));
    assert!(english.set_cookies.iter().any(|c| c.starts_with("frmo_lang=en;") && c.contains("Max-Age=")));
    let kept = browser.get("/directories").await;
    assert!(kept.body.contains("<html lang=\"en\">"), "the cookie keeps English");
    assert!(kept.body.contains(">Русский</a>"), "and the switch leads back");
    let back = browser.get("/directories?lang=ru").await;
    assert!(back.body.contains("<html lang=\"ru\">") && back.body.contains("Справочники реестра"));
}

backend_tests!(
    every_page_reads_in_both_languages,
    confirmations_and_refused_forms_read_in_english,
    the_language_is_chosen_by_a_link_and_kept
);
