//! XLSX: round trips, files from openpyxl, files for openpyxl, hostile input.

use std::io::{Cursor, Write};

use frmo_office::OfficeError;
use frmo_office::xlsx::{self, Cell, Column, ReadLimits, Sheet, XlsxStream};
use time::macros::date;
use zip::write::SimpleFileOptions;

use crate::tools;

fn staff_sheet() -> Sheet {
    Sheet {
        name: "Сотрудники".into(),
        columns: vec![
            Column::new("ФИО", 40.0),
            Column::new("СНИЛС", 16.0),
            Column::new("Ставка", 8.0),
            Column::new("Стаж", 6.0),
            Column::new("Дата приёма", 12.0),
            Column::new("Комментарий", 30.0),
        ],
        rows: vec![
            vec![
                "Иванова Мария Петровна".into(),
                "123-456-789 01".into(),
                Cell::Number(0.5),
                Cell::Integer(12),
                Cell::Date(date!(2020 - 09 - 01)),
                Cell::Empty,
            ],
            vec![],
            vec![
                "  с пробелами ".into(),
                Cell::Empty,
                Cell::Number(1.25),
                Cell::Integer(-3),
                Cell::Date(date!(1900 - 01 - 01)),
                "_x0041_ и <теги> & «кавычки»".into(),
            ],
            vec![
                Cell::Empty,
                Cell::Text(String::new()),
                Cell::Number(0.1 + 0.2),
                Cell::Integer(123_456_789_012),
                Cell::Date(date!(9999 - 12 - 31)),
                "строка\nвторая".into(),
            ],
            vec![Cell::Integer(1_234_567_890_123_456_789)],
        ],
    }
}

fn expected_staff_rows() -> Vec<Vec<String>> {
    let row = |cells: &[&str]| cells.iter().map(|c| (*c).to_owned()).collect::<Vec<_>>();
    vec![
        row(&["ФИО", "СНИЛС", "Ставка", "Стаж", "Дата приёма", "Комментарий"]),
        row(&["Иванова Мария Петровна", "123-456-789 01", "0.5", "12", "01.09.2020"]),
        vec![],
        row(&["  с пробелами ", "", "1.25", "-3", "01.01.1900", "_x0041_ и <теги> & «кавычки»"]),
        row(&["", "", "0.3", "123456789012", "31.12.9999", "строка\nвторая"]),
        row(&["1234567890123456789"]),
    ]
}

fn second_sheet() -> Sheet {
    Sheet { name: "Второй".into(), columns: vec![Column::new("X", 10.0)], rows: vec![vec![Cell::Integer(1)]] }
}

#[test]
fn round_trip_in_memory() {
    let bytes = xlsx::write(&[staff_sheet(), second_sheet()]).expect("writes");
    assert_eq!(xlsx::read_rows(&bytes).expect("reads"), expected_staff_rows());
}

#[test]
fn round_trip_streaming() {
    let mut bytes = Vec::new();
    xlsx::write_to(&mut bytes, &[staff_sheet(), second_sheet()]).expect("writes");
    assert_eq!(xlsx::read_rows(&bytes).expect("reads"), expected_staff_rows());
}

#[test]
fn streaming_many_rows() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut book = XlsxStream::with_tempdir(dir.path()).expect("stream");
    book.start_sheet("Отчёт", &[Column::new("Организация", 40.0), Column::new("Коек", 8.0)]).expect("sheet");
    let rows = 50_000_i64;
    for i in 0..rows {
        book.push_row(&[Cell::Text(format!("ГБУЗ № {i}")), Cell::Integer(i)]).expect("row");
    }
    let path = dir.path().join("report.xlsx");
    book.finish(std::fs::File::create(&path).expect("file")).expect("finish");
    let read = xlsx::read_rows(&std::fs::read(&path).expect("read file")).expect("reads");
    assert_eq!(read.len(), rows as usize + 1);
    assert_eq!(read[rows as usize], ["ГБУЗ № 49999", "49999"]);
}

#[test]
fn push_before_start_is_an_error() {
    let mut book = XlsxStream::new();
    assert!(book.push_row(&[Cell::Integer(1)]).is_err());
}

#[test]
fn control_characters_survive_the_round_trip() {
    let text = "табуляция\tи\u{1}, перевод\r\nстроки, _x000D_ как текст";
    let sheet =
        Sheet { name: "Лист".into(), columns: vec![Column::new(text, 10.0)], rows: vec![vec![text.into()]] };
    for bytes in [xlsx::write(std::slice::from_ref(&sheet)).expect("writes"), {
        let mut out = Vec::new();
        xlsx::write_to(&mut out, &[sheet]).expect("writes");
        out
    }] {
        assert_eq!(xlsx::read_rows(&bytes).expect("reads"), [[text], [text]]);
    }
}

#[test]
fn empty_workbook_is_valid() {
    let bytes = xlsx::write(&[]).expect("writes");
    assert_eq!(xlsx::read_rows(&bytes).expect("reads"), Vec::<Vec<String>>::new());
}

#[test]
fn values_excel_cannot_hold_are_refused_in_russian() {
    let sheet = |cell: Cell| Sheet {
        name: "Лист".into(),
        columns: vec![Column::new("A", 10.0), Column::new("B", 10.0)],
        rows: vec![vec![Cell::Empty, cell]],
    };
    let err = xlsx::write(&[sheet(Cell::Number(f64::NAN))]).expect_err("NaN");
    assert_eq!(err.to_string(), "лист «Лист», строка 2, столбец B: значение не является конечным числом");
    let err = xlsx::write(&[sheet(Cell::Date(date!(1899 - 12 - 31)))]).expect_err("date");
    assert!(err.to_string().contains("31.12.1899 вне диапазона Excel"), "{err}");
    let err = xlsx::write(&[sheet(Cell::Text("я".repeat(32_768)))]).expect_err("long");
    assert!(err.to_string().contains("32 767"), "{err}");
    let err = xlsx::write(&[Sheet { name: "a:b".into(), ..sheet(Cell::Empty) }]).expect_err("name");
    assert!(matches!(err, OfficeError::SheetName { .. }));
    assert!(xlsx::write(&[sheet(Cell::Text("я".repeat(32_767)))]).is_ok());
}

#[test]
fn reads_a_workbook_made_by_openpyxl() {
    if !tools::openpyxl() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("openpyxl.xlsx");
    tools::python(
        r##"
import datetime, sys, openpyxl
wb = openpyxl.Workbook()
data = wb.active
data.title = "Данные"
hidden = wb.create_sheet("Служебный", 0)
hidden["A1"] = "не читать"
hidden.sheet_state = "hidden"
wb.active = 1
data.append(["Дата", "Число", "Текст", "Целое"])
data.append([datetime.date(2020, 9, 1), 12.5, "Привет, мир", 42])
# Row 3 stays empty.
data["A4"] = datetime.datetime(2021, 3, 15, 8, 30)
data["B4"] = True
data["C4"] = "  0012 "
data["D4"] = 0.1 + 0.2
data["A5"] = 44075
data["A5"].number_format = "DD.MM.YYYY;@"
data["B5"] = 1234567.891
data["B5"].number_format = "#,##0.00"
data["C5"] = "=1+1"
data["E6"] = "последний"
wb.save(sys.argv[1])
"##,
        &[&path],
    );
    let rows = xlsx::read_rows(&std::fs::read(&path).expect("file")).expect("reads");
    let expected: Vec<Vec<&str>> = vec![
        vec!["Дата", "Число", "Текст", "Целое"],
        vec!["01.09.2020", "12.5", "Привет, мир", "42"],
        vec![],
        vec!["15.03.2021 08:30", "ИСТИНА", "  0012 ", "0.3"],
        // A formula openpyxl wrote has no cached value: an empty cell.
        vec!["01.09.2020", "1234567.891"],
        vec!["", "", "", "", "последний"],
    ];
    assert_eq!(rows, expected);
}

#[test]
fn openpyxl_reads_what_we_write() {
    if !tools::openpyxl() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let check = r#"
import datetime, sys, openpyxl
wb = openpyxl.load_workbook(sys.argv[1])
assert wb.sheetnames == ["Сотрудники", "Второй"], wb.sheetnames
ws = wb["Сотрудники"]
assert ws.freeze_panes == "A2", ws.freeze_panes
assert ws.auto_filter.ref == "A1:F6", ws.auto_filter.ref
assert ws["A1"].value == "ФИО" and ws["A1"].font.b, (ws["A1"].value, ws["A1"].font.b)
assert ws["A2"].value == "Иванова Мария Петровна"
assert ws["C2"].value == 0.5 and isinstance(ws["C2"].value, float), repr(ws["C2"].value)
assert ws["D2"].value == 12 and ws["D2"].data_type == "n", repr(ws["D2"].value)
assert ws["D2"].number_format == "0", ws["D2"].number_format
assert ws["E2"].value == datetime.datetime(2020, 9, 1), repr(ws["E2"].value)
assert ws["E2"].number_format == "dd.mm.yyyy", ws["E2"].number_format
assert ws["E4"].value == datetime.datetime(1900, 1, 1), repr(ws["E4"].value)
assert ws["E5"].value == datetime.datetime(9999, 12, 31), repr(ws["E5"].value)
assert ws["D5"].value == 123456789012, repr(ws["D5"].value)
assert ws["A6"].value == "1234567890123456789", repr(ws["A6"].value)
assert ws["F5"].value == "строка\nвторая", repr(ws["F5"].value)
# openpyxl does not undo the _x005F_ escape that keeps a literal "_x0041_" (Excel does).
assert ws["F4"].value.replace("_x005F_", "_") == "_x0041_ и <теги> & «кавычки»", repr(ws["F4"].value)
assert ws["B3"].value is None and ws["A3"].value is None
assert abs(ws.column_dimensions["A"].width - 40.0) < 1.0, ws.column_dimensions["A"].width
print("ok")
"#;
    for streaming in [false, true] {
        let path = dir.path().join(format!("ours-{streaming}.xlsx"));
        let bytes = if streaming {
            let mut out = Vec::new();
            xlsx::write_to(&mut out, &[staff_sheet(), second_sheet()]).expect("writes");
            out
        } else {
            xlsx::write(&[staff_sheet(), second_sheet()]).expect("writes")
        };
        std::fs::write(&path, bytes).expect("saved");
        assert_eq!(tools::python(check, &[&path]).trim(), "ok", "streaming: {streaming}");
    }
}

// ---------------------------------------------------------------- hostile input

fn zip_of(parts: &[(&str, &[u8])]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .compression_level(Some(1))
        .large_file(true);
    for (name, data) in parts {
        zip.start_file(*name, options).expect("start");
        zip.write_all(data).expect("write");
    }
    zip.finish().expect("finish").into_inner()
}

const CONTENT_TYPES: &[u8] = br#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>"#;
const ROOT_RELS: &[u8] = br#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;
const WORKBOOK: &[u8] = br#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="A" sheetId="1" r:id="rId1"/></sheets></workbook>"#;
const WORKBOOK_RELS: &[u8] = br#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#;

/// A minimal hand-made workbook around the given sheet XML.
fn workbook_with_sheet(sheet: &[u8]) -> Vec<u8> {
    zip_of(&[
        ("[Content_Types].xml", CONTENT_TYPES),
        ("_rels/.rels", ROOT_RELS),
        ("xl/workbook.xml", WORKBOOK),
        ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS),
        ("xl/worksheets/sheet1.xml", sheet),
    ])
}

fn sheet_xml(rows: &str) -> Vec<u8> {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><x:sheetData>{rows}</x:sheetData></x:worksheet>"#
    )
    .into_bytes()
}

#[test]
fn minimal_prefixed_workbook_without_styles_or_strings() {
    let bytes = workbook_with_sheet(&sheet_xml(
        r#"<x:row r="2"><x:c r="B2" t="inlineStr"><x:is><x:t>Текст &amp; &#1046;</x:t></x:is></x:c><x:c><x:v>7</x:v></x:c></x:row><x:row><x:c t="e"><x:v>#N/A</x:v></x:c></x:row>"#,
    ));
    assert_eq!(
        xlsx::read_rows(&bytes).expect("reads"),
        vec![vec![], vec!["".to_owned(), "Текст & Ж".into(), "7".into()], vec!["#N/A".to_owned()]]
    );
}

#[test]
fn garbage_is_an_error_not_a_panic() {
    let message = "файл XLSX повреждён или не является книгой Excel";
    for bytes in [&b""[..], b"PK", b"hello, world", &[0xFF; 4096], b"PK\x03\x04garbage"] {
        let err = xlsx::read_rows(bytes).expect_err("garbage");
        assert_eq!(err.to_string(), message);
    }
}

#[test]
fn legacy_xls_is_recognised() {
    let mut bytes = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    bytes.resize(4096, 0);
    assert!(matches!(xlsx::read_rows(&bytes), Err(OfficeError::LegacyOrEncrypted)));
}

#[test]
fn truncated_files_are_errors() {
    let bytes = xlsx::write(&[staff_sheet()]).expect("writes");
    for cut in (0..bytes.len()).step_by(97) {
        assert!(xlsx::read_rows(&bytes[..cut]).is_err(), "cut at {cut}");
    }
}

#[test]
fn a_zip_that_is_not_a_workbook() {
    let bytes = zip_of(&[("readme.txt", b"not a workbook")]);
    assert!(matches!(xlsx::read_rows(&bytes), Err(OfficeError::NotXlsx(_))));
    // A workbook whose only sheet is a chartsheet has nothing to read.
    let rels = String::from_utf8_lossy(WORKBOOK_RELS).replace("/worksheet\"", "/chartsheet\"");
    let bytes = zip_of(&[
        ("_rels/.rels", ROOT_RELS),
        ("xl/workbook.xml", WORKBOOK),
        ("xl/_rels/workbook.xml.rels", rels.as_bytes()),
    ]);
    assert!(matches!(xlsx::read_rows(&bytes), Err(OfficeError::NoWorksheet)));
}

#[test]
fn zip_bomb_is_refused() {
    // 300 MB of rows that compress a hundredfold, written in
    // chunks so the test itself stays small.
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .compression_level(Some(1))
        .large_file(true);
    for (name, data) in
        [("_rels/.rels", ROOT_RELS), ("xl/workbook.xml", WORKBOOK), ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)]
    {
        zip.start_file(name, options).expect("start");
        zip.write_all(data).expect("write");
    }
    zip.start_file("xl/worksheets/sheet1.xml", options).expect("start");
    let sheet = sheet_xml("");
    let (head, tail) = sheet.split_at(sheet.len() - "</x:sheetData></x:worksheet>".len());
    zip.write_all(head).expect("write");
    let chunk = "<row/>".repeat(1024 * 1024 / 6);
    for _ in 0..300 {
        zip.write_all(chunk.as_bytes()).expect("write");
    }
    zip.write_all(tail).expect("write");
    let bytes = zip.finish().expect("finish").into_inner();
    assert!(bytes.len() < 4 * 1024 * 1024, "{}", bytes.len());

    let err = xlsx::read_rows(&bytes).expect_err("bomb");
    assert!(matches!(err, OfficeError::TooLarge { limit_mb: 200 }), "{err:?}");
    assert_eq!(err.to_string(), "файл XLSX слишком большой: в распакованном виде больше 200 МБ");
}

#[test]
fn sizes_that_lie_are_still_bounded() {
    // The declared sizes say 100 bytes; the data unpacks to 1 MB.
    let sheet = sheet_xml(&"<row/>".repeat(200_000));
    let mut bytes = workbook_with_sheet(&sheet);
    let actual = u32::try_from(sheet.len()).expect("small");
    let mut patched = 0;
    for at in 0..bytes.len().saturating_sub(4) {
        if bytes[at..at + 4] == actual.to_le_bytes() {
            bytes[at..at + 4].copy_from_slice(&100_u32.to_le_bytes());
            patched += 1;
        }
    }
    assert!(patched >= 1);
    let limits = ReadLimits { max_unpacked_bytes: 64 * 1024, ..ReadLimits::default() };
    // The zip crate stops at the declared size (and the budget would stop it
    // at 64 KiB otherwise): an error either way, never 1 MB in memory.
    assert!(xlsx::read_rows_with_limits(&bytes, &limits).is_err());
}

#[test]
fn unpacked_budget_is_shared_by_all_parts() {
    let sheet = sheet_xml(&r#"<row><c t="s"><v>0</v></c></row>"#.repeat(1000));
    let bytes = workbook_with_sheet(&sheet);
    let exact = (sheet.len() + WORKBOOK.len() + WORKBOOK_RELS.len() + ROOT_RELS.len()) as u64;
    let limits = |max_unpacked_bytes| ReadLimits { max_unpacked_bytes, ..ReadLimits::default() };
    // No shared strings part: index 0 is out of range, but only after the
    // budget allowed the sheet through.
    assert!(matches!(xlsx::read_rows_with_limits(&bytes, &limits(exact - 1)), Err(OfficeError::TooLarge { .. })));
    assert!(matches!(xlsx::read_rows_with_limits(&bytes, &limits(exact)), Err(OfficeError::NotXlsx(_))));
}

#[test]
fn far_away_cells_respect_row_and_cell_limits() {
    let bytes = workbook_with_sheet(&sheet_xml(r#"<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>"#));
    let rows = xlsx::read_rows(&bytes).expect("reads within default limits");
    assert_eq!(rows.len(), 1_048_576);
    assert_eq!(rows[1_048_575].len(), 16_384);
    let small = ReadLimits { max_rows: 1000, ..ReadLimits::default() };
    assert!(matches!(xlsx::read_rows_with_limits(&bytes, &small), Err(OfficeError::TooManyRows { limit: 1000 })));
    let few = ReadLimits { max_cells: 100, ..ReadLimits::default() };
    assert!(matches!(xlsx::read_rows_with_limits(&bytes, &few), Err(OfficeError::TooManyCells { limit: 100 })));
    // Beyond Excel's grid is a broken file.
    for cell in [r#"<c r="XFE1"><v>1</v></c>"#, r#"<c r="A1048577"><v>1</v></c>"#] {
        let bytes = workbook_with_sheet(&sheet_xml(&format!("<row>{cell}</row>")));
        assert!(matches!(xlsx::read_rows(&bytes), Err(OfficeError::NotXlsx(_))));
    }
}

/// A tiny deterministic generator for the mutation tests.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) as usize) % n.max(1)
    }
}

#[test]
fn mutated_files_never_panic() {
    let original = xlsx::write(&[staff_sheet()]).expect("writes");
    let mut rng = Lcg(7);
    // Damaged ZIP bytes (mostly caught by CRCs and the ZIP structure).
    for _ in 0..300 {
        let mut bytes = original.clone();
        for _ in 0..=rng.below(4) {
            let at = rng.below(bytes.len());
            bytes[at] = rng.below(256) as u8;
        }
        let _ = xlsx::read_rows(&bytes);
    }
    // Damaged XML inside a valid ZIP: every part, cut and scribbled on.
    let mut archive = zip::ZipArchive::new(Cursor::new(&original)).expect("zip");
    let mut parts: Vec<(String, Vec<u8>)> = Vec::new();
    for i in 0..archive.len() {
        let mut file = archive.by_index(i).expect("entry");
        let mut data = Vec::new();
        std::io::Read::read_to_end(&mut file, &mut data).expect("read");
        parts.push((file.name().expect("name").into_owned(), data));
    }
    let noise: &[&[u8]] = &[
        b"<",
        b">",
        b"\"",
        b"&",
        b"&#0;",
        b"&#xFFFFFF;",
        b"r=\"ZZZZ9\"",
        b"</c>",
        b"<v>",
        b"t=\"s\"",
        b"\xFF",
        b"<row r=\"0\">",
        b"s=\"99999999999999999999\"",
    ];
    for round in 0..400 {
        let target = rng.below(parts.len());
        let mut mutated = parts.clone();
        let data = &mut mutated[target].1;
        if round % 2 == 0 {
            data.truncate(rng.below(data.len()));
        } else {
            for _ in 0..=rng.below(3) {
                let at = rng.below(data.len());
                let insert = noise[rng.below(noise.len())];
                data.splice(at..at, insert.iter().copied());
            }
        }
        let refs: Vec<(&str, &[u8])> = mutated.iter().map(|(n, d)| (n.as_str(), d.as_slice())).collect();
        let _ = xlsx::read_rows(&zip_of(&refs));
    }
}
