//! The directories page: which directories are the real НСИ ones and which are local (their OIDs
//! of our own arc), before and after a real НСИ download is installed.

use frmo_domain::access::Actor;
use frmo_registry::register::directories::DirectoryImport;
use frmo_testkit::{Backend, Browser, TestApp, backend_tests};

/// The row of directory `id` in the page's table.
fn row<'a>(body: &'a str, id: &str) -> &'a str {
    let start = body.find(&format!("id=\"directory-{id}\"")).unwrap_or_else(|| panic!("row {id}"));
    let rest = &body[start..];
    &rest[..rest.find("</tr>").unwrap_or(rest.len())]
}

async fn the_page_says_which_directories_are_local(backend: Backend) {
    let app = TestApp::demo(backend, 0).await;
    let mut visitor = Browser::new(&app);
    let page = visitor.get("/directories").await;
    assert_eq!(page.status, 200);
    let positions = row(&page.body, "positions");
    assert!(positions.contains("2.25.107144191076073659911032091918575417182.1.1"), "{positions}");
    assert!(
        positions.contains("локальный, заменяет справочник НСИ <code>1.2.643.5.1.13.13.11.1002</code>"),
        "{positions}"
    );
    assert!(row(&page.body, "employment_types").contains("<td class=\"kind\">справочник НСИ</td>"));
    assert!(row(&page.body, "regions").contains("1.2.643.5.1.13.13.99.2.206"));
    for local in ["specialties", "qualification_categories", "organization_types", "bed_profiles", "dismissal_reasons"]
    {
        assert!(row(&page.body, local).contains("локальный"), "{local}");
    }
    assert!(page.body.contains("<td class=\"num\">4</td><td>врач-терапевт</td>"));

    let download = r#"{"list": [[{"column": "ID", "value": "109"}, {"column": "NAME", "value": "Врач-терапевт"}]]}"#;
    let import = DirectoryImport {
        bytes: download.as_bytes().to_vec(),
        file_name: "1.2.643.5.1.13.13.11.1002_9.12.json".into(),
        ..DirectoryImport::default()
    };
    app.registry.import_directory(&Actor::System, import).await.expect("no worker holds a position");
    let page = visitor.get("/directories").await;
    let positions = row(&page.body, "positions");
    assert!(positions.contains("<code>1.2.643.5.1.13.13.11.1002</code>") && positions.contains("справочник НСИ"));
    assert!(positions.contains("<td>9.12</td>") && !positions.contains("локальный"), "{positions}");
    assert!(page.body.contains("<td class=\"num\">109</td><td>Врач-терапевт</td>"));
    frmo_domain::reference::uninstall_all();
}

backend_tests!(the_page_says_which_directories_are_local);
