//! Reading the first worksheet of an untrusted XLSX file as rows of text.
//!
//! The file is a ZIP of XML parts. We read only what the first sheet needs —
//! `_rels/.rels` → the workbook → its relationships → the shared strings, the
//! styles (to know which numbers are dates) and the sheet — and stream each
//! part through a byte budget, so a zip bomb stops at the limit instead of
//! filling memory. Cells are stored sparsely until they have a value, so a
//! sheet that claims `XFD1048576` costs nothing unless it fills it.
//!
//! Why one file of more than 600 lines: one streaming reader of one untrusted format, whose parts
//! (the package's relationships, shared strings, styles, the sheet) share one byte budget and one
//! error type; the unit tests, a third of it, check it against files written by other software.

use std::cell::Cell;
use std::collections::HashSet;
use std::io::{self, BufRead, BufReader, Cursor, Read};

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};
use zip::ZipArchive;

use super::serial::{self, NumKind};
use super::{MAX_COLUMNS, MAX_ROWS};
use crate::error::OfficeError;

/// Limits for [`read_rows_with_limits`]; [`read_rows`] uses the defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadLimits {
    /// The most bytes of XML unpacked from the ZIP, over all parts read
    /// (default 200 MiB).
    pub max_unpacked_bytes: u64,
    /// The most rows up to the last filled one (default 1,048,576, Excel's
    /// own limit).
    pub max_rows: usize,
    /// The most cells held in memory, counting empty cells to the left of
    /// filled ones, and the most shared strings (default 2,000,000: an
    /// import of 50,000 rows × 40 columns; padding costs 24 bytes a cell).
    pub max_cells: usize,
}

impl Default for ReadLimits {
    fn default() -> Self {
        Self { max_unpacked_bytes: 200 * 1024 * 1024, max_rows: MAX_ROWS as usize, max_cells: 5_000_000 }
    }
}

/// The first worksheet as rows of text, the way a person typed them:
///
/// * text as is (including leading zeros and spaces);
/// * numbers with a point and no trailing zeros: `42`, `0.5`, `-12.25`
///   (Excel's 15 significant digits, so `0.1+0.2` reads `0.3`);
/// * numbers in a date format as `dd.MM.yyyy` (`01.09.2020`), date-time
///   formats as `dd.MM.yyyy HH:mm`, time formats as `HH:mm` (seconds when
///   not zero);
/// * booleans as `ИСТИНА`/`ЛОЖЬ`, error values as shown (`#N/A`);
///   formulas as their last computed value.
///
/// Row `i` of the result is spreadsheet row `i + 1`; empty rows in between are
/// empty vectors, empty cells at the end of a row and empty rows at the end of
/// the sheet are dropped. "First" is the first visible sheet in tab order
/// (the first sheet at all if every sheet is hidden).
///
/// Never panics; broken, truncated, encrypted, legacy (`.xls`) and oversized
/// files give an [`OfficeError`] with a message for the user.
pub fn read_rows(bytes: &[u8]) -> Result<Vec<Vec<String>>, OfficeError> {
    read_rows_with_limits(bytes, &ReadLimits::default())
}

/// [`read_rows`] with explicit limits.
pub fn read_rows_with_limits(bytes: &[u8], limits: &ReadLimits) -> Result<Vec<Vec<String>>, OfficeError> {
    /// The signature of an OLE compound file: `.xls`, or an encrypted `.xlsx`.
    const OLE_MAGIC: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    if bytes.starts_with(&OLE_MAGIC) {
        return Err(OfficeError::LegacyOrEncrypted);
    }
    let mut package = Package::open(bytes, limits.max_unpacked_bytes)?;

    let workbook_path = package
        .parse("_rels/.rels", |xml| parse_rels(xml, |rel| rel.kind.ends_with("/officeDocument")))?
        .and_then(|rels| rels.into_iter().next())
        .map_or_else(|| "xl/workbook.xml".to_owned(), |rel| resolve("", &rel.target));
    let workbook =
        package.parse(&workbook_path, parse_workbook)?.ok_or_else(|| OfficeError::not_xlsx("no workbook part"))?;
    let wanted: HashSet<&str> = workbook.sheets.iter().map(|s| s.rel_id.as_str()).collect();
    let rels = package
        .parse(&rels_path(&workbook_path), |xml| {
            parse_rels(xml, |rel| {
                wanted.contains(rel.id.as_str())
                    || rel.kind.ends_with("/sharedStrings")
                    || rel.kind.ends_with("/styles")
            })
        })?
        .unwrap_or_default();
    let dir = parent_dir(&workbook_path);
    let part_of =
        |suffix: &str| rels.iter().find(|rel| rel.kind.ends_with(suffix)).map(|rel| resolve(dir, &rel.target));

    let worksheets: Vec<(&SheetEntry, &Rel)> = workbook
        .sheets
        .iter()
        .filter_map(|sheet| {
            rels.iter().find(|rel| rel.id == sheet.rel_id && rel.kind.ends_with("/worksheet")).map(|rel| (sheet, rel))
        })
        .collect();
    let (_, sheet_rel) = worksheets
        .iter()
        .find(|(sheet, _)| !sheet.hidden)
        .or_else(|| worksheets.first())
        .ok_or(OfficeError::NoWorksheet)?;
    let sheet_path = resolve(dir, &sheet_rel.target);

    let strings = match part_of("/sharedStrings") {
        Some(path) => package.parse(&path, |xml| parse_shared_strings(xml, limits.max_cells))?.unwrap_or_default(),
        None => SharedStrings::default(),
    };
    let styles = match part_of("/styles") {
        Some(path) => package.parse(&path, parse_styles)?.unwrap_or_default(),
        None => Vec::new(),
    };
    let context = SheetContext { strings: &strings, styles: &styles, date1904: workbook.date1904, limits };
    let mut rows = package
        .parse(&sheet_path, |xml| parse_sheet(xml, &context))?
        .ok_or_else(|| OfficeError::not_xlsx(format!("missing worksheet part {sheet_path}")))?;

    for row in &mut rows {
        while row.last().is_some_and(String::is_empty) {
            row.pop();
        }
    }
    while rows.last().is_some_and(Vec::is_empty) {
        rows.pop();
    }
    Ok(rows)
}

/// The XML reader every part parser gets.
type Xml<'r> = Reader<Box<dyn BufRead + 'r>>;

/// The ZIP archive with the budget of unpacked bytes shared by all parts.
struct Package<'a> {
    archive: ZipArchive<Cursor<&'a [u8]>>,
    budget: Budget,
}

struct Budget {
    limit: u64,
    remaining: Cell<u64>,
    exceeded: Cell<bool>,
}

impl Budget {
    fn too_large(&self) -> OfficeError {
        OfficeError::TooLarge { limit_mb: self.limit.div_ceil(1024 * 1024) }
    }
}

impl<'a> Package<'a> {
    fn open(bytes: &'a [u8], max_unpacked_bytes: u64) -> Result<Self, OfficeError> {
        let archive = ZipArchive::new(Cursor::new(bytes)).map_err(OfficeError::not_xlsx)?;
        Ok(Self {
            archive,
            budget: Budget {
                limit: max_unpacked_bytes,
                remaining: Cell::new(max_unpacked_bytes),
                exceeded: Cell::new(false),
            },
        })
    }

    /// Runs `parse` over the part at `path`; `None` if there is no such part.
    fn parse<T>(
        &mut self,
        path: &str,
        parse: impl FnOnce(&mut Xml<'_>) -> Result<T, OfficeError>,
    ) -> Result<Option<T>, OfficeError> {
        let Some(index) = self.find(path) else {
            return Ok(None);
        };
        let file = self.archive.by_index(index).map_err(OfficeError::not_xlsx)?;
        // The declared size may lie, so the reader counts as well; this only
        // refuses early what would fail later anyway.
        if file.size() > self.budget.remaining.get() {
            return Err(self.budget.too_large());
        }
        let limited = Limited { inner: file, budget: &self.budget };
        let mut xml: Xml<'_> = Reader::from_reader(Box::new(BufReader::new(limited)));
        let result = parse(&mut xml);
        drop(xml);
        match result {
            Err(_) if self.budget.exceeded.get() => Err(self.budget.too_large()),
            other => other.map(Some),
        }
    }

    /// The index of the entry named `path`, tolerating the case and slash
    /// variations some writers produce.
    fn find(&self, path: &str) -> Option<usize> {
        if let Some(index) = self.archive.index_for_name(path) {
            return Some(index);
        }
        let name = self.archive.file_names().find_map(|name| {
            let name = name.ok()?;
            let normal = name.replace('\\', "/");
            normal.trim_start_matches('/').eq_ignore_ascii_case(path).then(|| name.into_owned())
        })?;
        self.archive.index_for_name(&name)
    }
}

/// A reader that fails once the shared budget of unpacked bytes is spent.
struct Limited<'b, R> {
    inner: R,
    budget: &'b Budget,
}

impl<R: Read> Read for Limited<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let remaining = self.budget.remaining.get();
        match remaining.checked_sub(n as u64) {
            Some(left) => {
                self.budget.remaining.set(left);
                Ok(n)
            }
            None => {
                self.budget.exceeded.set(true);
                Err(io::Error::other("unpacked size limit exceeded"))
            }
        }
    }
}

fn next<'b>(xml: &mut Xml<'_>, buf: &'b mut Vec<u8>) -> Result<Event<'b>, OfficeError> {
    buf.clear();
    xml.read_event_into(buf).map_err(OfficeError::not_xlsx)
}

/// The value of the attribute with local name `name` (any namespace prefix).
fn attr(element: &BytesStart<'_>, name: &[u8]) -> Result<Option<String>, OfficeError> {
    for attribute in element.attributes() {
        let attribute = attribute.map_err(OfficeError::not_xlsx)?;
        if attribute.key.local_name().as_ref() == name {
            let value =
                attribute.normalized_value(quick_xml::XmlVersion::Implicit1_0).map_err(OfficeError::not_xlsx)?;
            return Ok(Some(value.into_owned()));
        }
    }
    Ok(None)
}

/// Appends character data (text, CDATA, entity and character references).
fn push_text(out: &mut String, event: &Event<'_>) -> Result<(), OfficeError> {
    match event {
        Event::Text(text) => out.push_str(&text.xml10_content().map_err(OfficeError::not_xlsx)?),
        Event::CData(data) => out.push_str(&data.decode().map_err(OfficeError::not_xlsx)?),
        Event::GeneralRef(reference) => {
            if let Some(c) = reference.resolve_char_ref().map_err(OfficeError::not_xlsx)? {
                out.push(c);
            } else {
                let name = reference.decode().map_err(OfficeError::not_xlsx)?;
                let value = quick_xml::escape::resolve_predefined_entity(&name)
                    .ok_or_else(|| OfficeError::not_xlsx(format!("unknown entity &{name};")))?;
                out.push_str(value);
            }
        }
        _ => {}
    }
    Ok(())
}

/// Undoes the `_xHHHH_` escapes OOXML uses for characters XML cannot hold
/// (Excel writes a carriage return as `_x000D_` and a literal `_x` as `_x005F_x`).
fn unescape_ooxml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find("_x") {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        let decoded = tail
            .get(2..6)
            .filter(|hex| hex.bytes().all(|b| b.is_ascii_hexdigit()))
            .filter(|_| tail.as_bytes().get(6) == Some(&b'_'))
            .and_then(|hex| u32::from_str_radix(hex, 16).ok())
            .and_then(char::from_u32);
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &tail[7..];
            }
            None => {
                out.push_str("_x");
                rest = &tail[2..];
            }
        }
    }
    out.push_str(rest);
    out
}

struct Rel {
    id: String,
    kind: String,
    target: String,
}

/// The relationships of a part, keeping those `keep` wants (a rels part is
/// untrusted too: keeping everything would let it fill memory).
fn parse_rels(xml: &mut Xml<'_>, keep: impl Fn(&Rel) -> bool) -> Result<Vec<Rel>, OfficeError> {
    let mut rels = Vec::new();
    let mut buf = Vec::new();
    loop {
        match next(xml, &mut buf)? {
            Event::Start(e) | Event::Empty(e) if e.local_name().as_ref() == b"Relationship" => {
                if attr(&e, b"TargetMode")?.is_some_and(|m| m.eq_ignore_ascii_case("External")) {
                    continue;
                }
                let rel = Rel {
                    id: attr(&e, b"Id")?.unwrap_or_default(),
                    kind: attr(&e, b"Type")?.unwrap_or_default(),
                    target: attr(&e, b"Target")?.unwrap_or_default(),
                };
                if keep(&rel) {
                    rels.push(rel);
                }
            }
            Event::Eof => return Ok(rels),
            _ => {}
        }
    }
}

struct SheetEntry {
    rel_id: String,
    hidden: bool,
}

struct WorkbookInfo {
    sheets: Vec<SheetEntry>,
    date1904: bool,
}

/// Sheets in tab order (the first thousand; the first visible one is what we
/// need) and the date system.
fn parse_workbook(xml: &mut Xml<'_>) -> Result<WorkbookInfo, OfficeError> {
    const MAX_SHEETS: usize = 1000;
    let mut info = WorkbookInfo { sheets: Vec::new(), date1904: false };
    let mut buf = Vec::new();
    loop {
        match next(xml, &mut buf)? {
            Event::Start(e) | Event::Empty(e) => match e.local_name().as_ref() {
                b"workbookPr" => {
                    info.date1904 = attr(&e, b"date1904")?.is_some_and(|v| v == "1" || v.eq_ignore_ascii_case("true"));
                }
                b"sheet" if info.sheets.len() < MAX_SHEETS => {
                    let Some(rel_id) = attr(&e, b"id")? else {
                        continue;
                    };
                    let hidden = attr(&e, b"state")?.is_some_and(|s| s != "visible");
                    info.sheets.push(SheetEntry { rel_id, hidden });
                }
                _ => {}
            },
            Event::Eof => return Ok(info),
            _ => {}
        }
    }
}

/// The shared string table: all strings in one buffer, with end offsets.
#[derive(Default)]
struct SharedStrings {
    text: String,
    ends: Vec<usize>,
}

impl SharedStrings {
    fn get(&self, index: usize) -> Option<&str> {
        let end = *self.ends.get(index)?;
        let start = match index {
            0 => 0,
            i => *self.ends.get(i - 1)?,
        };
        self.text.get(start..end)
    }

    fn push(&mut self, s: &str, max: usize) -> Result<(), OfficeError> {
        if self.ends.len() >= max {
            return Err(OfficeError::TooManyCells { limit: max });
        }
        self.text.push_str(&unescape_ooxml(s));
        self.ends.push(self.text.len());
        Ok(())
    }
}

/// `<sst><si><t>…</t></si><si><r><t>…</t></r><rPh>…</rPh></si>…`: the text of
/// each `si` without phonetic runs.
fn parse_shared_strings(xml: &mut Xml<'_>, max: usize) -> Result<SharedStrings, OfficeError> {
    let mut strings = SharedStrings::default();
    let mut current = String::new();
    let (mut in_si, mut in_t, mut phonetic) = (false, false, 0_u32);
    let mut buf = Vec::new();
    loop {
        let event = next(xml, &mut buf)?;
        match &event {
            Event::Start(e) => match e.local_name().as_ref() {
                b"si" => {
                    in_si = true;
                    current.clear();
                }
                b"rPh" => phonetic += 1,
                b"t" if in_si && phonetic == 0 => in_t = true,
                _ => {}
            },
            Event::Empty(e) if e.local_name().as_ref() == b"si" => strings.push("", max)?,
            Event::End(e) => match e.local_name().as_ref() {
                b"si" => {
                    strings.push(&current, max)?;
                    in_si = false;
                }
                b"rPh" => phonetic = phonetic.saturating_sub(1),
                b"t" => in_t = false,
                _ => {}
            },
            Event::Eof => return Ok(strings),
            other if in_t => push_text(&mut current, other)?,
            _ => {}
        }
    }
}

/// The number format kind of each cell style (`cellXfs`), by style index.
fn parse_styles(xml: &mut Xml<'_>) -> Result<Vec<NumKind>, OfficeError> {
    let mut custom: Vec<(u32, NumKind)> = Vec::new();
    let mut xf_formats: Vec<u32> = Vec::new();
    let (mut in_num_fmts, mut in_cell_xfs) = (false, false);
    let mut buf = Vec::new();
    loop {
        let event = next(xml, &mut buf)?;
        let (element, is_start) = match &event {
            Event::Start(e) => (e, true),
            Event::Empty(e) => (e, false),
            Event::End(e) => {
                match e.local_name().as_ref() {
                    b"numFmts" => in_num_fmts = false,
                    b"cellXfs" => in_cell_xfs = false,
                    _ => {}
                }
                continue;
            }
            Event::Eof => break,
            _ => continue,
        };
        match element.local_name().as_ref() {
            b"numFmts" => in_num_fmts = is_start,
            b"cellXfs" => in_cell_xfs = is_start,
            b"numFmt" if in_num_fmts => {
                let id = attr(element, b"numFmtId")?.and_then(|v| v.trim().parse().ok());
                let code = attr(element, b"formatCode")?.unwrap_or_default();
                if let Some(id) = id {
                    custom.push((id, serial::code_kind(&code)));
                }
            }
            b"xf" if in_cell_xfs => {
                let id = attr(element, b"numFmtId")?.and_then(|v| v.trim().parse().ok()).unwrap_or(0);
                xf_formats.push(id);
            }
            _ => {}
        }
    }
    Ok(xf_formats
        .into_iter()
        .map(|id| {
            custom
                .iter()
                .find(|(custom_id, _)| *custom_id == id)
                .map_or_else(|| serial::builtin_kind(id), |(_, kind)| *kind)
        })
        .collect())
}

struct SheetContext<'c> {
    strings: &'c SharedStrings,
    styles: &'c [NumKind],
    date1904: bool,
    limits: &'c ReadLimits,
}

/// A `<c>` element being read.
struct PendingCell {
    row: u32,
    col: u32,
    kind: Option<String>,
    style: usize,
    value: String,
    inline: String,
}

/// Which text of the current cell the parser is collecting.
#[derive(PartialEq, Eq)]
enum Capture {
    Nothing,
    Value,
    Inline,
}

/// The rows of a worksheet (`sheetData`), sparse until a cell has a value.
struct Grid<'l> {
    rows: Vec<Vec<String>>,
    cells: usize,
    limits: &'l ReadLimits,
}

impl Grid<'_> {
    fn set(&mut self, row: u32, col: u32, text: String) -> Result<(), OfficeError> {
        if text.is_empty() {
            return Ok(());
        }
        let (row, col) = (row as usize, col as usize);
        if row >= self.limits.max_rows {
            return Err(OfficeError::TooManyRows { limit: self.limits.max_rows });
        }
        if self.rows.len() <= row {
            self.rows.resize_with(row + 1, Vec::new);
        }
        let Some(line) = self.rows.get_mut(row) else {
            return Ok(());
        };
        if line.len() <= col {
            self.cells += col + 1 - line.len();
            if self.cells > self.limits.max_cells {
                return Err(OfficeError::TooManyCells { limit: self.limits.max_cells });
            }
            line.resize(col + 1, String::new());
        }
        if let Some(slot) = line.get_mut(col) {
            *slot = text;
        }
        Ok(())
    }
}

fn parse_sheet(xml: &mut Xml<'_>, context: &SheetContext<'_>) -> Result<Vec<Vec<String>>, OfficeError> {
    let mut grid = Grid { rows: Vec::new(), cells: 0, limits: context.limits };
    let mut in_sheet_data = false;
    // 0-based position of the current row, the next row without `r`, and the
    // next cell without `r`.
    let (mut row, mut next_row, mut next_col) = (0_u32, 0_u32, 0_u32);
    let mut cell: Option<PendingCell> = None;
    let mut capture = Capture::Nothing;
    let (mut in_inline, mut phonetic) = (false, 0_u32);
    let mut buf = Vec::new();
    loop {
        let event = next(xml, &mut buf)?;
        match &event {
            Event::Start(e) | Event::Empty(e) => {
                let is_start = matches!(event, Event::Start(_));
                match e.local_name().as_ref() {
                    b"sheetData" => in_sheet_data = is_start,
                    b"row" if in_sheet_data => {
                        row = match attr(e, b"r")? {
                            Some(r) => parse_row_number(&r)?,
                            None => next_row,
                        };
                        next_row = checked_next(row)?;
                        next_col = 0;
                    }
                    b"c" if in_sheet_data => {
                        let (cell_row, col) = match attr(e, b"r")? {
                            Some(r) => parse_cell_ref(&r)?,
                            None => (row, next_col),
                        };
                        if col >= u32::from(MAX_COLUMNS) {
                            return Err(OfficeError::not_xlsx("column beyond XFD"));
                        }
                        next_col = col + 1;
                        if is_start {
                            let style = attr(e, b"s")?.and_then(|s| s.trim().parse().ok()).unwrap_or(0);
                            cell = Some(PendingCell {
                                row: cell_row,
                                col,
                                kind: attr(e, b"t")?,
                                style,
                                value: String::new(),
                                inline: String::new(),
                            });
                        }
                    }
                    b"v" if is_start && cell.is_some() => capture = Capture::Value,
                    b"is" if is_start && cell.is_some() => in_inline = true,
                    b"rPh" if is_start && cell.is_some() => phonetic += 1,
                    b"t" if is_start && in_inline && phonetic == 0 => capture = Capture::Inline,
                    _ => {}
                }
            }
            Event::End(e) => match e.local_name().as_ref() {
                // Nothing after the cell data matters.
                b"sheetData" => break,
                b"v" | b"t" => capture = Capture::Nothing,
                b"is" => in_inline = false,
                b"rPh" => phonetic = phonetic.saturating_sub(1),
                b"c" => {
                    if let Some(done) = cell.take() {
                        let text = cell_text(&done, context)?;
                        grid.set(done.row, done.col, text)?;
                    }
                    capture = Capture::Nothing;
                    in_inline = false;
                    phonetic = 0;
                }
                _ => {}
            },
            Event::Eof => break,
            other => {
                if let Some(pending) = cell.as_mut() {
                    match capture {
                        Capture::Value => push_text(&mut pending.value, other)?,
                        Capture::Inline => push_text(&mut pending.inline, other)?,
                        Capture::Nothing => {}
                    }
                }
            }
        }
    }
    Ok(grid.rows)
}

/// A 1-based row number from `r`, as a 0-based index.
fn parse_row_number(r: &str) -> Result<u32, OfficeError> {
    r.trim()
        .parse::<u32>()
        .ok()
        .filter(|n| (1..=MAX_ROWS).contains(n))
        .map(|n| n - 1)
        .ok_or_else(|| OfficeError::not_xlsx(format!("bad row number {r:?}")))
}

fn checked_next(row: u32) -> Result<u32, OfficeError> {
    row.checked_add(1).filter(|&next| next <= MAX_ROWS).ok_or_else(|| OfficeError::not_xlsx("row beyond 1048576"))
}

/// `"AB12"` → (row 11, column 27), both 0-based.
fn parse_cell_ref(r: &str) -> Result<(u32, u32), OfficeError> {
    let bad = || OfficeError::not_xlsx(format!("bad cell reference {r:?}"));
    let r = r.trim();
    let split = r.find(|c: char| !c.is_ascii_alphabetic()).unwrap_or(r.len());
    let (letters, digits) = r.split_at(split);
    if letters.is_empty() || letters.len() > 3 {
        return Err(bad());
    }
    let col = letters.bytes().fold(0_u32, |acc, b| acc * 26 + u32::from(b.to_ascii_uppercase() - b'A') + 1) - 1;
    Ok((parse_row_number(digits).map_err(|_| bad())?, col))
}

/// The text of a finished cell; empty if it has no value.
fn cell_text(cell: &PendingCell, context: &SheetContext<'_>) -> Result<String, OfficeError> {
    let value = cell.value.trim();
    let text = match cell.kind.as_deref() {
        Some("s") => {
            if value.is_empty() {
                return Ok(String::new());
            }
            let index: usize =
                value.parse().map_err(|_| OfficeError::not_xlsx(format!("bad shared string index {value:?}")))?;
            context
                .strings
                .get(index)
                .ok_or_else(|| OfficeError::not_xlsx("shared string index out of range"))?
                .to_owned()
        }
        Some("inlineStr") if cell.inline.is_empty() => unescape_ooxml(&cell.value),
        Some("inlineStr") => unescape_ooxml(&cell.inline),
        Some("str") => unescape_ooxml(&cell.value),
        Some("b") => match value {
            "1" | "true" => "ИСТИНА".to_owned(),
            "0" | "false" => "ЛОЖЬ".to_owned(),
            other => other.to_owned(),
        },
        Some("e") => value.to_owned(),
        Some("d") => iso_text(value).unwrap_or_else(|| value.to_owned()),
        _ => number_cell_text(value, cell.style, context),
    };
    Ok(text)
}

fn number_cell_text(value: &str, style: usize, context: &SheetContext<'_>) -> String {
    if value.is_empty() {
        return String::new();
    }
    // `f64::from_str` also takes "inf" and "NaN", which no writer stores.
    let Some(x) = value.parse::<f64>().ok().filter(|x| x.is_finite()) else {
        return value.to_owned();
    };
    let kind = context.styles.get(style).copied().unwrap_or(NumKind::Plain);
    serial::serial_text(x, kind, context.date1904).unwrap_or_else(|| serial::number_text(x))
}

/// An ISO 8601 cell (`t="d"`): `2020-09-01` or `2020-09-01T08:30:00`.
fn iso_text(value: &str) -> Option<String> {
    let number = |range: std::ops::Range<usize>| -> Option<u32> {
        let part = value.get(range)?;
        part.bytes().all(|b| b.is_ascii_digit()).then(|| part.parse().ok())?
    };
    if value.get(4..5)? != "-" || value.get(7..8)? != "-" {
        return None;
    }
    let month = time::Month::try_from(u8::try_from(number(5..7)?).ok()?).ok()?;
    let date =
        time::Date::from_calendar_date(i32::try_from(number(0..4)?).ok()?, month, u8::try_from(number(8..10)?).ok()?)
            .ok()?;
    let time = value.get(10..).unwrap_or_default();
    if time.is_empty() {
        return Some(serial::dmy(date));
    }
    if !time.starts_with('T') {
        return None;
    }
    let (h, m) = (number(11..13)?, number(14..16)?);
    let s = number(17..19).unwrap_or(0);
    Some(match (h, m, s) {
        (0, 0, 0) => serial::dmy(date),
        (h, m, 0) => format!("{} {h:02}:{m:02}", serial::dmy(date)),
        (h, m, s) => format!("{} {h:02}:{m:02}:{s:02}", serial::dmy(date)),
    })
}

/// A target relative to `base_dir` (or absolute from the package root), with
/// `.` and `..` resolved.
fn resolve(base_dir: &str, target: &str) -> String {
    let full = match target.strip_prefix('/') {
        Some(absolute) => absolute.to_owned(),
        None => format!("{base_dir}{target}"),
    };
    let mut parts: Vec<&str> = Vec::new();
    for segment in full.split(['/', '\\']) {
        match segment {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    parts.join("/")
}

/// `"xl/workbook.xml"` → `"xl/"`.
fn parent_dir(path: &str) -> &str {
    path.rfind('/').map_or("", |i| &path[..=i])
}

/// `"xl/workbook.xml"` → `"xl/_rels/workbook.xml.rels"`.
fn rels_path(part: &str) -> String {
    let dir = parent_dir(part);
    format!("{dir}_rels/{}.rels", &part[dir.len()..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cell_refs() {
        assert_eq!(parse_cell_ref("A1").ok(), Some((0, 0)));
        assert_eq!(parse_cell_ref("ab12").ok(), Some((11, 27)));
        assert_eq!(parse_cell_ref("XFD1048576").ok(), Some((1_048_575, 16_383)));
        for bad in ["", "1", "A", "A0", "ABCD1", "A1048577", "A-1", "Ж1", "A1x"] {
            assert!(parse_cell_ref(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn paths() {
        assert_eq!(resolve("xl/", "worksheets/sheet1.xml"), "xl/worksheets/sheet1.xml");
        assert_eq!(resolve("xl/", "/xl/worksheets/sheet1.xml"), "xl/worksheets/sheet1.xml");
        assert_eq!(resolve("xl/sub/", "../styles.xml"), "xl/styles.xml");
        assert_eq!(resolve("", "../../x"), "x");
        assert_eq!(rels_path("xl/workbook.xml"), "xl/_rels/workbook.xml.rels");
        assert_eq!(rels_path("workbook.xml"), "_rels/workbook.xml.rels");
    }

    #[test]
    fn ooxml_escapes() {
        assert_eq!(unescape_ooxml("a_x000D_b"), "a\rb");
        assert_eq!(unescape_ooxml("_x005F_x0041_"), "_x0041_");
        assert_eq!(unescape_ooxml("_x"), "_x");
        assert_eq!(unescape_ooxml("_xD800_"), "_xD800_");
        assert_eq!(unescape_ooxml("_xЖЖЖЖ_"), "_xЖЖЖЖ_");
        assert_eq!(unescape_ooxml("без экранов"), "без экранов");
    }

    #[test]
    fn budget_stops_reading() {
        let budget = Budget { limit: 10, remaining: Cell::new(10), exceeded: Cell::new(false) };
        let mut first = Limited { inner: &b"123456"[..], budget: &budget };
        let mut sink = Vec::new();
        assert_eq!(first.read_to_end(&mut sink).ok(), Some(6));
        let mut second = Limited { inner: &b"123456"[..], budget: &budget };
        assert!(second.read_to_end(&mut sink).is_err());
        assert!(budget.exceeded.get());
        assert!(matches!(budget.too_large(), OfficeError::TooLarge { limit_mb: 1 }));
    }

    #[test]
    fn iso_dates() {
        assert_eq!(iso_text("2020-09-01").as_deref(), Some("01.09.2020"));
        assert_eq!(iso_text("2020-09-01T00:00:00").as_deref(), Some("01.09.2020"));
        assert_eq!(iso_text("2020-09-01T08:30:00Z").as_deref(), Some("01.09.2020 08:30"));
        assert_eq!(iso_text("2020-02-30"), None);
        assert_eq!(iso_text("2020-9-1"), None);
        assert_eq!(iso_text("сегодня"), None);
    }
}
