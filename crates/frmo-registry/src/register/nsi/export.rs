//! Writing the publication: the register read from the store a batch of current cards at a time
//! (the next batch is fetched while this one is written), each card read only as far as its 1461
//! fields, the bytes written straight into one buffer per batch.
//!
//! XML shape (documented in docs/architecture.md): `<?xml version="1.0" encoding="UTF-8"?>`, root
//! `<records directory="1.2.643.5.1.13.13.11.1461">`, one `<record>` per organization with one child
//! element per field of [`FIELDS`], in that order, named as the field (`<oid>…</oid>`, `<oldOid/>`
//! when empty). Characters XML 1.0 cannot carry (control characters other than tab and line breaks)
//! are left out.

use std::borrow::Cow;
use std::io::Write;

use frmo_office::xlsx::{Cell, Column, XlsxStream};

use super::{CardHead, DECIMAL_FIELDS, FIELDS, Format, INTEGER_FIELDS, record};
use crate::{Registry, RegistryError, Result};

/// Cards read from the store per round trip.
const BATCH: i64 = 2_000;

/// Data rows on one worksheet (Excel's limit, less the header).
const SHEET_ROWS: u64 = 1_048_575;

fn io(error: std::io::Error) -> RegistryError {
    RegistryError::Store(frmo_store::StoreError::Io(error))
}

fn office(error: frmo_office::OfficeError) -> RegistryError {
    RegistryError::Store(frmo_store::StoreError::Unexpected(error.to_string()))
}

/// One `;`-separated CSV field (RFC 4180 quotes when needed), written without an intermediate string.
/// Text that a spreadsheet would run as a formula is neutralised as in every CSV of the registry
/// ([`crate::csv::neutralise`]): numbers (coordinates, codes) stay numbers; the registry's НСИ import
/// takes the guard off again.
fn csv_field(out: &mut Vec<u8>, text: &str) {
    let text = crate::csv::neutralise(text);
    if text.contains([';', ',', '"', '\n', '\r']) {
        out.push(b'"');
        for part in text.split('"').enumerate() {
            if part.0 > 0 {
                out.extend_from_slice(b"\"\"");
            }
            out.extend_from_slice(part.1.as_bytes());
        }
        out.push(b'"');
    } else {
        out.extend_from_slice(text.as_bytes());
    }
}

/// XML 1.0 character data: `&`, `<`, `>` escaped, characters XML cannot carry left out.
fn xml_text(out: &mut Vec<u8>, text: &str) {
    let plain = |c: char| !matches!(c, '&' | '<' | '>') && (c >= ' ' || matches!(c, '\t' | '\n' | '\r'));
    if text.chars().all(plain) {
        out.extend_from_slice(text.as_bytes());
        return;
    }
    for c in text.chars() {
        match c {
            '&' => out.extend_from_slice(b"&amp;"),
            '<' => out.extend_from_slice(b"&lt;"),
            '>' => out.extend_from_slice(b"&gt;"),
            // Kept as a reference, or a parser would turn a CR LF inside a value into LF.
            '\r' => out.extend_from_slice(b"&#13;"),
            c if c >= ' ' || c == '\t' || c == '\n' => {
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
            _ => {}
        }
    }
}

/// The typed XLSX cell of a field's text: numbers, dates and coordinates typed, the rest text
/// (ИНН, КПП, ОГРН and postal codes stay text: leading zeros matter).
fn xlsx_cell(field: &str, value: Cow<'_, str>) -> Cell {
    if value.is_empty() {
        return Cell::Empty;
    }
    match field {
        _ if INTEGER_FIELDS.contains(&field) => {
            value.parse::<i64>().map_or_else(|_| Cell::Text(value.into_owned()), Cell::Integer)
        }
        "deleteDate" | "createDate" | "modifyDate" => match frmo_domain::date::read(&value) {
            Some(date) if date.year() >= 1900 => Cell::Date(date),
            _ => Cell::Text(value.into_owned()),
        },
        _ if DECIMAL_FIELDS.contains(&field) => {
            value.parse::<f64>().map_or_else(|_| Cell::Text(value.into_owned()), Cell::Number)
        }
        _ => Cell::Text(value.into_owned()),
    }
}

/// Where records go: a text format into a byte buffer, or the workbook.
enum Sink {
    Text(Format),
    Xlsx { book: Box<XlsxStream>, sheet_rows: u64, sheets: u32 },
}

fn columns() -> Vec<Column> {
    FIELDS
        .iter()
        .map(|f| {
            let width = match *f {
                "nameFull" => 60.0,
                "nameShort" | "moDeptName" | "founder" | "organizationType" | "moAgencyKind" => 36.0,
                "oid" | "oldOid" | "parentId" | "regionName" | "addrRegionName" | "medicalSubjectName" => 28.0,
                _ => 14.0,
            };
            Column::new(*f, width)
        })
        .collect()
}

impl Sink {
    fn start(format: Format, out: &mut impl Write) -> Result<Self> {
        match format {
            Format::Json => out.write_all(b"{\"records\":[").map_err(io)?,
            Format::Csv => out.write_all(crate::csv::line(&FIELDS).as_bytes()).map_err(io)?,
            Format::Xml => out
                .write_all(
                    b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<records directory=\"1.2.643.5.1.13.13.11.1461\">\n",
                )
                .map_err(io)?,
            Format::Xlsx => {
                let mut book = Box::new(XlsxStream::new());
                book.start_sheet("НСИ 1461", &columns()).map_err(office)?;
                return Ok(Sink::Xlsx { book, sheet_rows: 0, sheets: 1 });
            }
        }
        Ok(Sink::Text(format))
    }

    /// Adds one record (`first`: no record before it) to `chunk` or the workbook.
    fn push(&mut self, values: [Cow<'_, str>; 48], first: bool, chunk: &mut Vec<u8>) -> Result<()> {
        match self {
            Sink::Text(Format::Json) => {
                if !first {
                    chunk.push(b',');
                }
                write_json_record(chunk, &values)?;
            }
            Sink::Text(Format::Xml) => {
                chunk.extend_from_slice(b"<record>");
                for (field, value) in FIELDS.iter().zip(&values) {
                    chunk.push(b'<');
                    chunk.extend_from_slice(field.as_bytes());
                    if value.is_empty() {
                        chunk.extend_from_slice(b"/>");
                    } else {
                        chunk.push(b'>');
                        xml_text(chunk, value);
                        chunk.extend_from_slice(b"</");
                        chunk.extend_from_slice(field.as_bytes());
                        chunk.push(b'>');
                    }
                }
                chunk.extend_from_slice(b"</record>\n");
            }
            Sink::Text(_) => {
                for (i, value) in values.iter().enumerate() {
                    if i > 0 {
                        chunk.push(b';');
                    }
                    csv_field(chunk, value);
                }
                chunk.extend_from_slice(b"\r\n");
            }
            Sink::Xlsx { book, sheet_rows, sheets } => {
                if *sheet_rows == SHEET_ROWS {
                    *sheets += 1;
                    book.start_sheet(&format!("НСИ 1461 ({sheets})"), &columns()).map_err(office)?;
                    *sheet_rows = 0;
                }
                let cells: Vec<Cell> =
                    FIELDS.iter().zip(values).map(|(field, value)| xlsx_cell(field, value)).collect();
                book.push_row(&cells).map_err(office)?;
                *sheet_rows += 1;
            }
        }
        Ok(())
    }

    fn finish(self, out: &mut (impl Write + Send)) -> Result<()> {
        match self {
            Sink::Text(Format::Json) => out.write_all(b"]}").map_err(io)?,
            Sink::Text(Format::Xml) => out.write_all(b"</records>\n").map_err(io)?,
            Sink::Text(_) => {}
            Sink::Xlsx { book, .. } => book.finish(&mut *out).map_err(office)?,
        }
        out.flush().map_err(io)
    }
}

/// Whether a value is written as a JSON number: a code, an id or a coordinate that reads as one
/// (as the record makes them: digits, a sign, a point — never an exponent, `NaN` or `inf`).
fn json_number(field: &str, value: &str) -> bool {
    let numeric = value.bytes().all(|b| b.is_ascii_digit() || b == b'-' || b == b'.');
    numeric
        && if INTEGER_FIELDS.contains(&field) {
            value.parse::<i64>().is_ok()
        } else {
            DECIMAL_FIELDS.contains(&field) && value.parse::<f64>().is_ok_and(f64::is_finite)
        }
}

/// One record as a JSON object, fields in the loaders' order (a JSON map would sort them); codes,
/// ids and coordinates as JSON numbers, the rest (ИНН, dates, an empty text) as strings. A number
/// the card does not have is left out rather than written `""` or `null`: public loaders call
/// `int()` on every such key they find (one on `fiasVersion`, `addrRegionId`, `territoryCode`).
fn write_json_record<S: AsRef<str>>(chunk: &mut Vec<u8>, values: &[S]) -> Result<()> {
    chunk.push(b'{');
    let mut first = true;
    for (field, value) in FIELDS.iter().zip(values) {
        let value = value.as_ref();
        if value.is_empty() && (INTEGER_FIELDS.contains(field) || DECIMAL_FIELDS.contains(field)) {
            continue;
        }
        if !std::mem::take(&mut first) {
            chunk.push(b',');
        }
        chunk.push(b'"');
        chunk.extend_from_slice(field.as_bytes());
        chunk.extend_from_slice(b"\":");
        if json_number(field, value) {
            chunk.extend_from_slice(value.as_bytes());
        } else {
            serde_json::to_writer(&mut *chunk, value).map_err(frmo_store::StoreError::from)?;
        }
    }
    chunk.push(b'}');
    Ok(())
}

/// One 1461 record (values in [`FIELDS`] order) as a JSON object, for the change feed.
pub fn json_record<S: AsRef<str>>(values: &[S]) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(1024);
    write_json_record(&mut out, values)?;
    Ok(out)
}

impl Registry {
    /// Writes the current register (every organization, closed ones with their `deleteDate`) as
    /// НСИ 1461 to `out`, in the order organizations entered their current versions, calling
    /// `progress` with the number written after each batch. Returns how many records were written.
    pub async fn export_nsi(
        &self,
        format: Format,
        out: &mut (impl Write + Send),
        mut progress: impl FnMut(u64),
    ) -> Result<u64> {
        let mut sink = Sink::start(format, out)?;
        let mut written = 0u64;
        let mut batch = self.store.current_cards_after(0, BATCH).await?;
        let mut chunk = Vec::new();
        while let Some(last) = batch.last().map(|(id, _)| *id) {
            // Read the next batch on the store's side while this one is written.
            let store = self.store.clone();
            let next = tokio::spawn(async move { store.current_cards_after(last, BATCH).await });
            chunk.clear();
            for (_, card) in &batch {
                let head: CardHead<'_> = serde_json::from_str(card).map_err(frmo_store::StoreError::from)?;
                sink.push(record(&head), written == 0, &mut chunk)?;
                written += 1;
            }
            out.write_all(&chunk).map_err(io)?;
            progress(written);
            batch = next.await.map_err(frmo_store::StoreError::from)??;
        }
        sink.finish(out)?;
        Ok(written)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_and_escaped() {
        let mut csv = Vec::new();
        csv_field(&mut csv, "ООО «Ромашка; и \"Ко\"»");
        assert_eq!(String::from_utf8_lossy(&csv), "\"ООО «Ромашка; и \"\"Ко\"\"»\"");
        // Text that would start a formula is neutralised; a negative coordinate stays a number.
        for (value, written) in [("=HYPERLINK(1)", "'=HYPERLINK(1)"), ("-12.5", "-12.5"), ("-53,25", "\"-53,25\"")] {
            let mut csv = Vec::new();
            csv_field(&mut csv, value);
            assert_eq!(String::from_utf8_lossy(&csv), written);
        }
        let mut xml = Vec::new();
        xml_text(&mut xml, "A & B <C>\u{1}\r\n");
        assert_eq!(String::from_utf8_lossy(&xml), "A &amp; B &lt;C&gt;&#13;\n");
        assert_eq!(xlsx_cell("createDate", "01.03.2024".into()), Cell::Date(time::macros::date!(2024 - 03 - 01)));
        assert_eq!(xlsx_cell("inn", "0140000057".into()), Cell::Text("0140000057".into()));
        assert_eq!(xlsx_cell("latitude", "55.75".into()), Cell::Number(55.75));
        assert_eq!(xlsx_cell("organizationType", "1".into()), Cell::Integer(1));
    }
}
