//! CSV as Russian offices exchange it: UTF-8 (a byte-order mark is accepted and written for Excel),
//! `;` or `,` between fields (told from the header line), quotes per RFC 4180, CRLF or LF.
//!
//! Every CSV the registry writes is safe to open in a spreadsheet (OWASP «CSV injection»): a text
//! cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return gets a `'` in front, so it is
//! shown as text and never run as a formula. A number (`-12.5`, `+7`, `1,5e3`) is not a formula and
//! stays as it is. The reader takes the `'` off again, so the registry's own files read back exactly.

use std::borrow::Cow;

/// What a spreadsheet takes as the start of a formula.
const FORMULA_START: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Whether `text` is a plain decimal number (sign, digits, one `.` or `,`, an exponent).
fn is_number(text: &str) -> bool {
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    let (mantissa, exponent) = match unsigned.split_once(['e', 'E']) {
        Some((m, e)) => (m, Some(e.strip_prefix(['+', '-']).unwrap_or(e))),
        None => (unsigned, None),
    };
    let (whole, fraction) = mantissa.split_once(['.', ',']).unwrap_or((mantissa, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    !(whole.is_empty() && fraction.is_empty())
        && digits(whole)
        && digits(fraction)
        && exponent.is_none_or(|e| !e.is_empty() && digits(e))
}

/// Whether a cell would be taken as a formula once one `'` in front of it is gone: it starts (after
/// any `'`) with a formula character, is not a number, and is longer than that one character (a
/// lone `-`, the journal's «nothing», holds no formula).
fn needs_guard(text: &str) -> bool {
    let bare = text.trim_start_matches('\'');
    bare.starts_with(FORMULA_START) && bare.len() > 1 && !is_number(bare)
}

/// A cell made safe for spreadsheets: `'` in front of text that would start a formula (and of text
/// that already starts with `'` before such a character, so that [`restore`] is its exact inverse).
pub fn neutralise(text: &str) -> Cow<'_, str> {
    if needs_guard(text) { Cow::Owned(format!("'{text}")) } else { Cow::Borrowed(text) }
}

/// A cell as it was before [`neutralise`].
pub fn restore(text: &str) -> &str {
    match text.strip_prefix('\'') {
        Some(rest) if needs_guard(rest) => rest,
        _ => text,
    }
}

/// One field, neutralised for spreadsheets, quoted when it holds the separator, a quote or a line
/// break.
pub fn field(text: &str) -> String {
    let text = neutralise(text);
    if text.contains([';', ',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.into_owned()
    }
}

/// One line of fields separated by `;`, ending with CRLF.
pub fn line<S: AsRef<str>>(fields: &[S]) -> String {
    let mut line = fields.iter().map(|f| field(f.as_ref())).collect::<Vec<_>>().join(";");
    line.push_str("\r\n");
    line
}

/// A malformed file: where, and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvError {
    pub line: usize,
    pub message: String,
}

/// The records of `text` with the line each starts on (1-based); blank lines are skipped.
pub fn parse(text: &str) -> Result<Vec<(usize, Vec<String>)>, CsvError> {
    let (mut reader, mut fields, mut records) = (Records::new(text), Vec::new(), Vec::new());
    while let Some(line) = reader.next_into(&mut fields)? {
        records.push((line, fields.iter().map(|f| f.to_string()).collect()));
    }
    Ok(records)
}

/// The records of a file, read one at a time, fields borrowed from the text where no quote had
/// to be unescaped: for big files, nothing is copied that the caller does not keep.
pub struct Records<'a> {
    reader: Reader<'a>,
}

impl<'a> Records<'a> {
    /// A whole file: a byte-order mark is skipped, the separator told from the first line.
    pub fn new(text: &'a str) -> Self {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let header = text.lines().next().unwrap_or("");
        let separator = if header.matches(';').count() >= header.matches(',').count() { b';' } else { b',' };
        Records { reader: Reader { text, at: 0, line: 1, separator } }
    }

    /// Reads the next record that is not a blank line into `fields` (cleared first); its line, or
    /// `None` at the end.
    pub fn next_into(&mut self, fields: &mut Vec<Cow<'a, str>>) -> Result<Option<usize>, CsvError> {
        let reader = &mut self.reader;
        while reader.at < reader.text.len() {
            let start = reader.line;
            fields.clear();
            reader.record(start, fields)?;
            if !(fields.len() == 1 && fields[0].trim().is_empty()) {
                for field in fields.iter_mut() {
                    if field.starts_with('\'') {
                        *field = match std::mem::take(field) {
                            Cow::Borrowed(text) => Cow::Borrowed(restore(text)),
                            Cow::Owned(text) => Cow::Owned(restore(&text).to_owned()),
                        };
                    }
                }
                return Ok(Some(start));
            }
        }
        Ok(None)
    }
}

/// How a field ended.
#[derive(PartialEq)]
enum End {
    Separator,
    Record,
}

/// A cursor over the text: the separators, quotes and line breaks it looks for are ASCII, so every
/// slice between them is whole UTF-8, and plain fields are copied in one piece.
struct Reader<'a> {
    text: &'a str,
    at: usize,
    line: usize,
    separator: u8,
}

impl<'a> Reader<'a> {
    fn record(&mut self, start: usize, fields: &mut Vec<Cow<'a, str>>) -> Result<(), CsvError> {
        loop {
            let (value, end) = self.field(start)?;
            fields.push(value);
            if end == End::Record {
                return Ok(());
            }
        }
    }

    fn error(&self, line: usize, message: &str) -> CsvError {
        CsvError { line, message: message.to_owned() }
    }

    fn field(&mut self, start: usize) -> Result<(Cow<'a, str>, End), CsvError> {
        let bytes = self.text.as_bytes();
        if bytes.get(self.at) != Some(&b'"') {
            let rest = &bytes[self.at..];
            let stop = memchr::memchr3(self.separator, b'\n', b'\r', rest).map_or(bytes.len(), |i| self.at + i);
            let value = &self.text[self.at..stop];
            if value.contains('"') {
                return Err(self.error(self.line, "кавычка внутри поля без кавычек"));
            }
            self.at = stop;
            return Ok((Cow::Borrowed(value), self.terminator()));
        }
        self.at += 1;
        let mut value = Cow::Borrowed("");
        loop {
            let rest = &bytes[self.at..];
            let Some(quote) = memchr::memchr(b'"', rest) else {
                return Err(self.error(start, "кавычка не закрыта до конца файла"));
            };
            let piece = &self.text[self.at..self.at + quote];
            self.line += memchr::memchr_iter(b'\n', piece.as_bytes()).count();
            self.at += quote + 1;
            if bytes.get(self.at) == Some(&b'"') {
                // An escaped quote: the value is no longer a slice of the text.
                let value = value.to_mut();
                value.push_str(piece);
                value.push('"');
                self.at += 1;
                continue;
            }
            match &mut value {
                Cow::Borrowed("") => value = Cow::Borrowed(piece),
                value => value.to_mut().push_str(piece),
            }
            return match bytes.get(self.at) {
                None => Ok((value, End::Record)),
                Some(&b) if b == self.separator || b == b'\n' || b == b'\r' => Ok((value, self.terminator())),
                Some(_) => Err(self.error(self.line, "текст после закрывающей кавычки")),
            };
        }
    }

    /// Steps over what ends a field: a separator, a line break (CRLF, LF or CR) or the end.
    fn terminator(&mut self) -> End {
        let bytes = self.text.as_bytes();
        match bytes.get(self.at) {
            Some(&b) if b == self.separator => {
                self.at += 1;
                End::Separator
            }
            Some(b'\r') if bytes.get(self.at + 1) == Some(&b'\n') => {
                self.at += 2;
                self.line += 1;
                End::Record
            }
            Some(b'\n' | b'\r') => {
                self.at += 1;
                self.line += 1;
                End::Record
            }
            _ => {
                self.at = bytes.len();
                End::Record
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_round_trip_through_quotes_and_separators() {
        let text = "\u{feff}a;b;c\r\n1;\"x;y\";\"он сказал \"\"да\"\"\"\r\n\r\n2;\"две\nстроки\";3\n";
        let records = parse(text).expect("parses");
        assert_eq!(records.len(), 3);
        assert_eq!(records[1], (2, vec!["1".into(), "x;y".into(), "он сказал \"да\"".into()]));
        assert_eq!(records[2], (4, vec!["2".into(), "две\nстроки".into(), "3".into()]));
        assert_eq!(line(&["x;y", "\"", "plain"]), "\"x;y\";\"\"\"\";plain\r\n");
        assert_eq!(parse("a,b\n1,2").expect("commas")[1].1, vec!["1", "2"]);
    }

    #[test]
    fn broken_quotes_name_the_line() {
        assert_eq!(parse("a;b\n1;\"open").map_err(|e| e.line), Err(2));
        assert_eq!(parse("a;b\n1;x\"y").map_err(|e| e.line), Err(2));
        assert_eq!(parse("a;b\n1;\"x\"y").map_err(|e| e.line), Err(2));
    }

    #[test]
    fn formula_cells_are_neutralised_and_numbers_stay_numbers() {
        for formula in ["=HYPERLINK(\"http://x\";\"y\")", "+7 (846) 333-54-51", "-1+1", "@SUM(A1)", "\tx", "\rx", "--"]
        {
            assert_eq!(neutralise(formula), format!("'{formula}"), "{formula:?}");
            assert_eq!(restore(&neutralise(formula)), formula);
        }
        for plain in ["-12.5", "+7", "-53,2", "1e-3", "-0.5E+2", "Иванов", "", "'quoted", "a=b", "-", "'-"] {
            assert_eq!(neutralise(plain), plain, "{plain:?}");
            assert_eq!(restore(plain), plain);
        }
        // A cell that already starts with `'` before a formula character keeps its own `'`.
        assert_eq!(neutralise("'=1"), "''=1");
        assert_eq!(restore("''=1"), "'=1");
        assert_eq!(line(&["=1+2", "-12.5", "x;=y"]), "'=1+2;-12.5;\"x;=y\"\r\n");
        assert_eq!(parse(&line(&["=1+2", "-12.5", "'@x"])).expect("parses")[0].1, vec!["=1+2", "-12.5", "'@x"]);
    }

    proptest::proptest! {
        /// Whatever the fields hold (separators, quotes, line breaks, Cyrillic), writing them with
        /// `line` and reading them back gives the same records on the same lines.
        #[test]
        fn written_records_read_back(
            records in proptest::collection::vec(
                proptest::collection::vec("[a-zа-я0-9 ;,.\"\r\n'=+@\t-]{0,6}", 3..4),
                1..6,
            )
        ) {
            let mut text = String::from("a;b;c\r\n");
            let mut expected = vec![(1, vec!["a".to_owned(), "b".to_owned(), "c".to_owned()])];
            let mut next = 2;
            for fields in &records {
                let written = line(fields);
                expected.push((next, fields.clone()));
                // Line breaks inside quotes count as lines when they are LF.
                next += 1 + fields.iter().map(|f| f.matches('\n').count()).sum::<usize>();
                text.push_str(&written);
            }
            // A record of one blank field is a blank line, which the reader skips.
            expected.retain(|(_, fields)| !(fields.len() == 1 && fields[0].trim().is_empty()));
            proptest::prop_assert_eq!(parse(&text).expect("parses"), expected);
        }
    }
}
