//! Office formats for exports, imports and reports: XLSX workbooks (typed
//! writing, bounded reading of untrusted uploads) and PDF tables with an
//! embedded Cyrillic font.
//!
//! The same numbers go to CSV, XLSX and PDF, so the modules take plain data:
//! [`xlsx::Sheet`] with typed [`xlsx::Cell`]s, [`pdf::Table`] with
//! preformatted strings. Errors are one [`OfficeError`] with Russian messages.
//!
//! # Why these crates
//!
//! * Writing XLSX: `rust_xlsxwriter` without default features, plus
//!   `constant_memory` for [`xlsx::XlsxStream`]. Its tree is `zip` (deflate
//!   only) and `tempfile`, both small.
//! * Reading XLSX: our own parser over `zip` (already there for writing) and
//!   `quick-xml` (already in the workspace). `calamine` would bring a few
//!   more crates, but above all it builds a dense grid over the bounding box
//!   of the cells, so a 2 KB file with cells in `A1` and `XFD1048576` asks
//!   for ~550 GB and aborts the process (tafia/calamine#693); nor does it
//!   bound the unpacked size. Here every part goes through a byte budget and
//!   cells are stored only when they have a value.
//! * PDF: `pdf-writer` (low level, 4 small dependencies), `ttf-parser` for
//!   metrics and `subsetter` (no default features) so a document embeds only
//!   the glyphs it uses — a few dozen kilobytes instead of the 740 KB font.
//!   `printpdf` pulls in a layout engine and image codecs.

mod error;
pub mod pdf;
pub mod xlsx;

pub use error::{Detail, OfficeError};
