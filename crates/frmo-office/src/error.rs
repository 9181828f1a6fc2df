//! The error type of the crate.
//!
//! Policy: every message is in Russian and can be shown to the person who
//! uploaded or requested the file as is. Technical details (what exactly the
//! ZIP or XML parser said) go into [`std::error::Error::source`] as a
//! [`Detail`], so logs that print the cause chain keep them while the user
//! sees one clear sentence.

use std::fmt;

/// Everything that can go wrong while writing or reading office files.
#[derive(Debug, thiserror::Error)]
pub enum OfficeError {
    /// The bytes are not a readable XLSX workbook (not a ZIP, a truncated
    /// file, a ZIP without a workbook, broken XML, a bad checksum…).
    #[error("файл XLSX повреждён или не является книгой Excel")]
    NotXlsx(#[source] Detail),
    /// An OLE compound file: either the old binary XLS format or an XLSX
    /// encrypted with a password (Excel wraps those in the same container).
    #[error(
        "файл сохранён в старом формате XLS (Excel 97–2003) или защищён паролем; \
         сохраните его как «Книга Excel (*.xlsx)» без пароля"
    )]
    LegacyOrEncrypted,
    /// The workbook has no worksheet to read.
    #[error("в книге Excel нет ни одного листа с данными")]
    NoWorksheet,
    /// The unpacked parts of the workbook exceed the limit (a zip bomb or
    /// simply a file far larger than any import needs).
    #[error("файл XLSX слишком большой: в распакованном виде больше {limit_mb} МБ")]
    TooLarge {
        /// The limit in megabytes.
        limit_mb: u64,
    },
    /// More rows than the limit allows.
    #[error("в листе слишком много строк: больше {limit}")]
    TooManyRows {
        /// The row limit.
        limit: usize,
    },
    /// More cells than the limit allows (empty cells between filled ones count).
    #[error("в листе слишком много ячеек: больше {limit}")]
    TooManyCells {
        /// The cell limit.
        limit: usize,
    },
    /// A sheet name Excel would refuse.
    #[error("недопустимое имя листа «{name}»: {reason}")]
    SheetName {
        /// The name as given.
        name: String,
        /// Why it is refused.
        reason: &'static str,
    },
    /// A value that cannot be stored in an XLSX cell.
    #[error("лист «{sheet}», строка {row}, столбец {column}: {reason}")]
    Cell {
        /// Sheet name.
        sheet: String,
        /// 1-based spreadsheet row (the header is row 1).
        row: u64,
        /// Column letters, e.g. "B".
        column: String,
        /// What is wrong, in Russian.
        reason: String,
    },
    /// The sheet has more rows or columns than an Excel worksheet can hold.
    #[error("лист «{sheet}»: {reason}")]
    SheetTooLarge {
        /// Sheet name.
        sheet: String,
        /// What is exceeded, in Russian.
        reason: String,
    },
    /// The PDF table is malformed (no columns, a row wider than the header…).
    #[error("таблица для PDF задана неверно: {0}")]
    PdfTable(String),
    /// The XLSX writer failed for a reason not covered above.
    #[error("не удалось сформировать файл XLSX")]
    XlsxWrite(#[source] Detail),
    /// The PDF writer failed (font subsetting, compression).
    #[error("не удалось сформировать файл PDF")]
    PdfWrite(#[source] Detail),
    /// Writing the output failed.
    #[error("ошибка записи файла: {0}")]
    Io(#[from] std::io::Error),
}

/// A technical explanation kept for logs (English, from the underlying library).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detail(pub String);

impl Detail {
    pub(crate) fn new(detail: impl fmt::Display) -> Self {
        Self(detail.to_string())
    }
}

impl fmt::Display for Detail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Detail {}

impl OfficeError {
    /// A broken workbook, with a technical detail for the logs.
    pub(crate) fn not_xlsx(detail: impl fmt::Display) -> Self {
        Self::NotXlsx(Detail::new(detail))
    }
}
