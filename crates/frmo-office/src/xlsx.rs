//! XLSX workbooks: writing typed sheets and reading the first worksheet back
//! as text.
//!
//! Writing goes through `rust_xlsxwriter`; reading is a small streaming parser
//! over `zip` + `quick-xml` with hard limits (see [`ReadLimits`]), because an
//! uploaded file is untrusted input and a general-purpose reader builds a dense
//! grid from whatever dimensions the file claims.
//!
//! Every written sheet has a bold header row (row 1), frozen below the header,
//! an autofilter over the header and data, and the given column widths. Cells
//! are typed: numbers are numbers, dates are Excel dates shown as
//! `dd.mm.yyyy`.

mod read;
mod serial;
mod write;

pub use read::{ReadLimits, read_rows, read_rows_with_limits};
pub use write::{XlsxStream, write, write_to};

/// One worksheet to write: a header row from `columns`, then `rows`.
#[derive(Debug, Clone, PartialEq)]
pub struct Sheet {
    /// The tab name: 1–31 characters, none of `[]:*?/\`, no apostrophe at
    /// either end, unique within the workbook (case-insensitively).
    pub name: String,
    /// Header titles and widths, left to right.
    pub columns: Vec<Column>,
    /// Data rows, written from row 2 on. A row may be shorter than `columns`.
    pub rows: Vec<Vec<Cell>>,
}

/// A column: its header title and width.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// Header text (row 1).
    pub title: String,
    /// Width in Excel's units (the width of one "0" in the default font);
    /// Excel's default is 8.43. Zero, negative or non-finite widths keep the
    /// default.
    pub width: f64,
}

impl Column {
    /// A column with a title and a width.
    pub fn new(title: impl Into<String>, width: f64) -> Self {
        Self { title: title.into(), width }
    }
}

/// A typed cell value.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Nothing is written.
    Empty,
    /// A string (up to 32,767 characters, Excel's limit). An empty string is
    /// written as an empty cell.
    Text(String),
    /// A number in the `General` format. NaN and infinities are refused.
    Number(f64),
    /// A whole number, shown in full (format `0`, so a 12-digit ИНН is not
    /// turned into `1,23457E+11`). Numbers beyond ±999 999 999 999 999 do not
    /// survive Excel's 15 significant digits and are written as text instead.
    Integer(i64),
    /// A date, stored as an Excel date serial in the `dd.mm.yyyy` format.
    /// Excel supports 01.01.1900–31.12.9999.
    Date(time::Date),
}

impl From<&str> for Cell {
    fn from(value: &str) -> Self {
        Self::Text(value.to_owned())
    }
}

impl From<String> for Cell {
    fn from(value: String) -> Self {
        Self::Text(value)
    }
}

impl From<f64> for Cell {
    fn from(value: f64) -> Self {
        Self::Number(value)
    }
}

impl From<i64> for Cell {
    fn from(value: i64) -> Self {
        Self::Integer(value)
    }
}

impl From<time::Date> for Cell {
    fn from(value: time::Date) -> Self {
        Self::Date(value)
    }
}

impl<T: Into<Cell>> From<Option<T>> for Cell {
    fn from(value: Option<T>) -> Self {
        value.map_or(Self::Empty, Into::into)
    }
}

/// Excel's worksheet limits.
pub(crate) const MAX_ROWS: u32 = 1_048_576;
pub(crate) const MAX_COLUMNS: u16 = 16_384;

/// Column letters for a 0-based column index: 0 → "A", 27 → "AB".
pub(crate) fn column_name(index: usize) -> String {
    let mut n = index + 1;
    let mut letters = Vec::new();
    while n > 0 {
        let rem = (n - 1) % 26;
        letters.push(char::from(b'A' + rem as u8));
        n = (n - 1) / 26;
    }
    letters.iter().rev().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_names() {
        assert_eq!(column_name(0), "A");
        assert_eq!(column_name(25), "Z");
        assert_eq!(column_name(26), "AA");
        assert_eq!(column_name(27), "AB");
        assert_eq!(column_name(16_383), "XFD");
    }

    #[test]
    fn cell_conversions() {
        assert_eq!(Cell::from("а"), Cell::Text("а".into()));
        assert_eq!(Cell::from(Some(5_i64)), Cell::Integer(5));
        assert_eq!(Cell::from(None::<f64>), Cell::Empty);
    }
}
