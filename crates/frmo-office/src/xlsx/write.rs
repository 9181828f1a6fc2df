//! Writing workbooks: whole sheets in memory ([`write`]) or row by row with
//! constant memory ([`XlsxStream`], [`write_to`]).

use std::collections::HashSet;
use std::io::Write;
use std::path::Path;

use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};

use super::{Cell, Column, MAX_COLUMNS, MAX_ROWS, Sheet, column_name, serial};
use crate::error::{Detail, OfficeError};

/// Excel's limit on the length of a cell's text, in characters.
const MAX_TEXT_CHARS: usize = 32_767;
/// The largest whole number Excel shows exactly (15 significant digits).
const MAX_EXACT_INTEGER: i64 = 999_999_999_999_999;
/// Excel's widest column.
const MAX_COLUMN_WIDTH: f64 = 255.0;

/// Writes a workbook into memory.
///
/// Memory: `rust_xlsxwriter` keeps every cell of every sheet until the file
/// is assembled (roughly 200 bytes per cell), plus the sheets themselves and
/// the finished file. Fine for registry exports of tens of thousands of rows;
/// for reports with hundreds of thousands of rows use [`XlsxStream`].
pub fn write(sheets: &[Sheet]) -> Result<Vec<u8>, OfficeError> {
    let mut book = Book::new(Workbook::new());
    for sheet in sheets {
        let worksheet = book.workbook.add_worksheet();
        let mut state = SheetState::start(worksheet, &sheet.name, &sheet.columns, &book.formats, &mut book.names)?;
        for row in &sheet.rows {
            state.push_row(worksheet, row, &book.formats)?;
        }
        state.finish(worksheet)?;
    }
    book.workbook.save_to_buffer().map_err(write_error)
}

/// Writes a workbook to `out` in constant memory: see [`XlsxStream`].
pub fn write_to<W: Write + Send>(out: W, sheets: &[Sheet]) -> Result<(), OfficeError> {
    let mut stream = XlsxStream::new();
    for sheet in sheets {
        stream.start_sheet(&sheet.name, &sheet.columns)?;
        for row in &sheet.rows {
            stream.push_row(row)?;
        }
    }
    stream.finish(out)
}

/// A workbook written row by row, for exports too large to hold in memory.
///
/// ```no_run
/// # use frmo_office::xlsx::{Cell, Column, XlsxStream};
/// # fn main() -> Result<(), frmo_office::OfficeError> {
/// let mut book = XlsxStream::new();
/// book.start_sheet("Отчёт", &[Column::new("Организация", 40.0), Column::new("Коек", 10.0)])?;
/// for i in 0..1_000_000_i64 {
///     book.push_row(&[Cell::Text(format!("ГБУЗ № {i}")), Cell::Integer(i)])?;
/// }
/// book.finish(std::fs::File::create("report.xlsx")?)?;
/// # Ok(()) }
/// ```
///
/// Memory: each sheet keeps only its current row in memory (`rust_xlsxwriter`'s
/// "constant memory" mode); finished rows go to a temporary file per sheet
/// (in [`std::env::temp_dir`] unless [`XlsxStream::with_tempdir`] says
/// otherwise), which [`XlsxStream::finish`] compresses into `out`. Strings are
/// stored inline in the cells rather than in a shared table, so files with
/// many repeated strings come out somewhat larger than with [`write()`]. Rows
/// must be pushed in order; sheets are written one after another.
pub struct XlsxStream {
    book: Book,
    current: Option<(usize, SheetState)>,
    sheets: usize,
}

impl XlsxStream {
    /// A new, empty workbook. Temporary files go to the system's temporary
    /// directory.
    pub fn new() -> Self {
        Self { book: Book::new(Workbook::new()), current: None, sheets: 0 }
    }

    /// A new, empty workbook whose temporary files go to `dir`.
    pub fn with_tempdir(dir: impl AsRef<Path>) -> Result<Self, OfficeError> {
        let mut stream = Self::new();
        stream.book.workbook.set_tempdir(dir).map_err(write_error)?;
        Ok(stream)
    }

    /// Finishes the current sheet, if any, and starts a new one with a header
    /// row made from `columns`.
    pub fn start_sheet(&mut self, name: &str, columns: &[Column]) -> Result<(), OfficeError> {
        self.finish_sheet()?;
        let worksheet = self.book.workbook.add_worksheet_with_constant_memory().map_err(write_error)?;
        let state = SheetState::start(worksheet, name, columns, &self.book.formats, &mut self.book.names)?;
        self.current = Some((self.sheets, state));
        self.sheets += 1;
        Ok(())
    }

    /// Appends a data row to the current sheet (an error before
    /// [`XlsxStream::start_sheet`]).
    pub fn push_row(&mut self, row: &[Cell]) -> Result<(), OfficeError> {
        let Some((index, state)) = self.current.as_mut() else {
            return Err(OfficeError::XlsxWrite(Detail::new("push_row called before start_sheet")));
        };
        let worksheet = self.book.workbook.worksheet_from_index(*index).map_err(write_error)?;
        state.push_row(worksheet, row, &self.book.formats)
    }

    /// Finishes the last sheet and writes the workbook to `out`. A workbook
    /// without sheets gets one empty sheet, as Excel requires.
    pub fn finish<W: Write + Send>(mut self, out: W) -> Result<(), OfficeError> {
        self.finish_sheet()?;
        self.book.workbook.save_to_writer(out).map_err(write_error)
    }

    fn finish_sheet(&mut self) -> Result<(), OfficeError> {
        if let Some((index, state)) = self.current.take() {
            let worksheet = self.book.workbook.worksheet_from_index(index).map_err(write_error)?;
            state.finish(worksheet)?;
        }
        Ok(())
    }
}

impl Default for XlsxStream {
    fn default() -> Self {
        Self::new()
    }
}

/// A workbook with the shared formats and the sheet names used so far.
struct Book {
    workbook: Workbook,
    formats: Formats,
    names: HashSet<String>,
}

impl Book {
    fn new(workbook: Workbook) -> Self {
        Self { workbook, formats: Formats::new(), names: HashSet::new() }
    }
}

struct Formats {
    header: Format,
    date: Format,
    integer: Format,
}

impl Formats {
    fn new() -> Self {
        Self {
            header: Format::new().set_bold(),
            date: Format::new().set_num_format("dd.mm.yyyy"),
            integer: Format::new().set_num_format("0"),
        }
    }
}

/// What a sheet being written needs to remember.
struct SheetState {
    name: String,
    columns: u16,
    /// The 0-based index of the next row to write (row 0 is the header).
    next_row: u32,
}

impl SheetState {
    /// Validates the name, writes the header, freezes it and sets widths.
    fn start(
        worksheet: &mut Worksheet,
        name: &str,
        columns: &[Column],
        formats: &Formats,
        names: &mut HashSet<String>,
    ) -> Result<Self, OfficeError> {
        validate_sheet_name(name, names)?;
        worksheet.set_name(name).map_err(write_error)?;
        let count =
            u16::try_from(columns.len()).ok().filter(|&c| c <= MAX_COLUMNS).ok_or_else(|| too_many_columns(name))?;
        for (col, column) in (0_u16..).zip(columns) {
            check_text(name, 0, col, &column.title)?;
            worksheet.write_string_with_format(0, col, &column.title, &formats.header).map_err(write_error)?;
            if column.width.is_finite() && column.width > 0.0 {
                worksheet.set_column_width(col, column.width.min(MAX_COLUMN_WIDTH)).map_err(write_error)?;
            }
        }
        worksheet.set_freeze_panes(1, 0).map_err(write_error)?;
        Ok(Self { name: name.to_owned(), columns: count, next_row: 1 })
    }

    fn push_row(&mut self, worksheet: &mut Worksheet, cells: &[Cell], formats: &Formats) -> Result<(), OfficeError> {
        let row = self.next_row;
        if row >= MAX_ROWS {
            return Err(OfficeError::SheetTooLarge {
                sheet: self.name.clone(),
                reason: format!("больше {} строк данных — столько не помещается на лист Excel", MAX_ROWS - 1),
            });
        }
        if cells.len() > usize::from(MAX_COLUMNS) {
            return Err(too_many_columns(&self.name));
        }
        for (col, cell) in (0_u16..).zip(cells) {
            self.write_cell(worksheet, row, col, cell, formats)?;
        }
        self.next_row += 1;
        Ok(())
    }

    fn write_cell(
        &self,
        worksheet: &mut Worksheet,
        row: u32,
        col: u16,
        cell: &Cell,
        formats: &Formats,
    ) -> Result<(), OfficeError> {
        let written = match cell {
            Cell::Empty => return Ok(()),
            Cell::Text(text) if text.is_empty() => return Ok(()),
            Cell::Text(text) => {
                check_text(&self.name, row, col, text)?;
                worksheet.write_string(row, col, text)
            }
            Cell::Number(x) => {
                if !x.is_finite() {
                    return Err(self.cell_error(row, col, "значение не является конечным числом"));
                }
                worksheet.write_number(row, col, *x)
            }
            Cell::Integer(n) if (-MAX_EXACT_INTEGER..=MAX_EXACT_INTEGER).contains(n) => {
                worksheet.write_number_with_format(row, col, *n as f64, &formats.integer)
            }
            Cell::Integer(n) => worksheet.write_string(row, col, n.to_string()),
            Cell::Date(date) => {
                let Some(serial) = serial::date_to_serial(*date) else {
                    return Err(self.cell_error(
                        row,
                        col,
                        &format!("дата {} вне диапазона Excel (01.01.1900–31.12.9999)", serial::dmy(*date)),
                    ));
                };
                worksheet.write_number_with_format(row, col, serial, &formats.date)
            }
        };
        written.map(|_| ()).map_err(write_error)
    }

    /// Sets the autofilter over the header and every written row.
    fn finish(self, worksheet: &mut Worksheet) -> Result<(), OfficeError> {
        if self.columns > 0 {
            worksheet.autofilter(0, 0, self.next_row - 1, self.columns - 1).map_err(write_error)?;
        }
        Ok(())
    }

    fn cell_error(&self, row: u32, col: u16, reason: &str) -> OfficeError {
        cell_error(&self.name, row, col, reason)
    }
}

fn cell_error(sheet: &str, row: u32, col: u16, reason: &str) -> OfficeError {
    OfficeError::Cell {
        sheet: sheet.to_owned(),
        row: u64::from(row) + 1,
        column: column_name(usize::from(col)),
        reason: reason.to_owned(),
    }
}

fn check_text(sheet: &str, row: u32, col: u16, text: &str) -> Result<(), OfficeError> {
    // Cheap bound first: a string of at most MAX_TEXT_CHARS bytes has at most
    // that many characters.
    if text.len() > MAX_TEXT_CHARS && text.chars().count() > MAX_TEXT_CHARS {
        return Err(cell_error(
            sheet,
            row,
            col,
            "текст длиннее 32 767 символов — столько не помещается в ячейку Excel",
        ));
    }
    Ok(())
}

fn too_many_columns(sheet: &str) -> OfficeError {
    OfficeError::SheetTooLarge {
        sheet: sheet.to_owned(),
        reason: format!("больше {MAX_COLUMNS} столбцов — столько не помещается на лист Excel"),
    }
}

/// Excel's rules for tab names, checked here to explain them in Russian.
fn validate_sheet_name(name: &str, used: &mut HashSet<String>) -> Result<(), OfficeError> {
    let refuse = |reason| Err(OfficeError::SheetName { name: name.to_owned(), reason });
    if name.trim().is_empty() {
        return refuse("имя пустое");
    }
    if name.encode_utf16().count() > 31 {
        return refuse("длиннее 31 символа");
    }
    if name.contains(['*', '?', ':', '[', ']', '\\', '/']) {
        return refuse("содержит один из символов [ ] : * ? / \\");
    }
    if name.starts_with('\'') || name.ends_with('\'') {
        return refuse("начинается или заканчивается апострофом");
    }
    if name.eq_ignore_ascii_case("history") {
        return refuse("это имя Excel резервирует для себя");
    }
    if !used.insert(name.to_lowercase()) {
        return refuse("лист с таким именем уже есть");
    }
    Ok(())
}

fn write_error(e: XlsxError) -> OfficeError {
    match e {
        XlsxError::IoError(io) => OfficeError::Io(io),
        other => OfficeError::XlsxWrite(Detail::new(other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sheet_names() {
        let mut used = HashSet::new();
        assert!(validate_sheet_name("Сотрудники", &mut used).is_ok());
        let dup = validate_sheet_name("сотрудники", &mut used);
        assert!(matches!(dup, Err(OfficeError::SheetName { .. })));
        for bad in ["", "  ", "a/b", "'x", "History", &"я".repeat(32)] {
            assert!(validate_sheet_name(bad, &mut used).is_err(), "{bad:?}");
        }
        assert!(validate_sheet_name(&"я".repeat(31), &mut used).is_ok());
    }
}
