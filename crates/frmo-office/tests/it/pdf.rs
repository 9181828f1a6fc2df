//! PDF tables, checked with poppler: text comes back, the header repeats,
//! pages are numbered, the font is embedded.

use frmo_office::pdf::{self, Table};

use crate::tools;

fn staff_table(rows: usize, landscape: bool) -> Table {
    Table {
        title: "Медицинские работники организации".into(),
        subtitle: vec!["Период: 01.01.2024–31.12.2024".into(), "Сформировано 15.01.2025 10:30".into()],
        columns: vec![("№".into(), 0.5), ("ФИО".into(), 3.0), ("Должность".into(), 3.0), ("Дата приёма".into(), 1.5)],
        rows: (1..=rows)
            .map(|i| {
                vec![
                    i.to_string(),
                    format!("Иванова Мария Петровна {i}"),
                    "Врач-терапевт участковый".into(),
                    "01.09.2020".into(),
                ]
            })
            .collect(),
        landscape,
    }
}

fn render(table: &Table) -> (tempfile::TempDir, std::path::PathBuf) {
    let bytes = pdf::table(table).expect("renders");
    assert!(bytes.starts_with(b"%PDF-"));
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("table.pdf");
    std::fs::write(&path, bytes).expect("saved");
    (dir, path)
}

fn page_count(path: &std::path::Path) -> usize {
    let info = tools::poppler_tool("pdfinfo", &[], path);
    info.lines()
        .find_map(|line| line.strip_prefix("Pages:"))
        .and_then(|n| n.trim().parse().ok())
        .expect("pdfinfo prints Pages")
}

#[test]
fn three_pages_with_repeated_header_and_page_numbers() {
    if !tools::poppler() {
        return;
    }
    let table = staff_table(130, false);
    let (_dir, path) = render(&table);
    assert_eq!(page_count(&path), 3);

    let text = tools::poppler_tool("pdftotext", &["-layout"], &path);
    assert!(text.contains("Медицинские работники организации"), "{text}");
    assert!(text.contains("Период: 01.01.2024–31.12.2024"));
    assert!(text.contains("Иванова Мария Петровна 1 "));
    assert!(text.contains("Иванова Мария Петровна 130"));
    assert!(text.contains("Врач-терапевт участковый"));
    let pages: Vec<&str> = text.split('\u{c}').filter(|p| !p.trim().is_empty()).collect();
    assert_eq!(pages.len(), 3);
    for (index, page) in pages.iter().enumerate() {
        assert!(page.contains("ФИО") && page.contains("Дата приёма"), "page {index}: {page}");
        assert!(page.contains(&format!("Страница {} из 3", index + 1)), "page {index}: {page}");
    }
    // The title is on the first page only.
    assert!(!pages[1].contains("Медицинские работники организации"));

    let fonts = tools::poppler_tool("pdffonts", &[], &path);
    let line =
        fonts.lines().find(|line| line.contains("DejaVuSans")).unwrap_or_else(|| panic!("no DejaVuSans in\n{fonts}"));
    // name type encoding emb sub uni object ID
    let columns: Vec<&str> = line.split_whitespace().collect();
    assert!(columns[0].ends_with("+DejaVuSans"), "{line}");
    assert_eq!(
        columns.get(1..7),
        Some(&["CID", "TrueType", "Identity-H", "yes", "yes", "yes"][..]),
        "emb, sub and uni must all be yes: {line}"
    );
}

#[test]
fn long_text_is_wrapped_then_cut_with_an_ellipsis() {
    if !tools::poppler() {
        return;
    }
    let mut table = staff_table(1, true);
    table.rows[0][2] = "Государственное бюджетное учреждение здравоохранения ".repeat(40);
    let (_dir, path) = render(&table);
    let info = tools::poppler_tool("pdfinfo", &[], &path);
    assert!(info.contains("841.89 x 595.28"), "landscape A4: {info}");
    let text = tools::poppler_tool("pdftotext", &[], &path);
    assert!(text.contains('…'), "{text}");
    assert!(text.contains("Государственное бюджетное"));
}

#[test]
fn small_and_odd_tables_render() {
    let mut table = staff_table(0, false);
    assert!(pdf::table(&table).is_ok(), "no rows");
    table.rows = vec![vec![], vec!["только номер".into()], vec!["\t\u{1}\u{fffe}🙂 emoji и 中文".into()]];
    table.title = String::new();
    table.subtitle.clear();
    let bytes = pdf::table(&table).expect("renders");
    // The subset is small: the font file is 740 KB, a table needs a few dozen glyphs.
    assert!(bytes.len() < 60_000, "{}", bytes.len());
}
