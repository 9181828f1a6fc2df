//! CSV as Russian offices exchange it: UTF-8 (a byte-order mark is accepted and written for Excel),
//! `;` or `,` between fields (told from the header line), quotes per RFC 4180, CRLF or LF.

/// One field, quoted when it holds the separator, a quote or a line break.
pub fn field(text: &str) -> String {
    if text.contains([';', ',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
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
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let header = text.lines().next().unwrap_or("");
    let separator = if header.matches(';').count() >= header.matches(',').count() { ';' } else { ',' };
    let mut records = Vec::new();
    let mut chars = text.chars().peekable();
    let (mut line, mut start) = (1usize, 1usize);
    let mut record: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    let mut was_quoted = false;
    let finish = |record: &mut Vec<String>, current: &mut String, records: &mut Vec<(usize, Vec<String>)>, start| {
        record.push(std::mem::take(current));
        let fields = std::mem::take(record);
        if !(fields.len() == 1 && fields[0].trim().is_empty()) {
            records.push((start, fields));
        }
    };
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    current.push('"');
                }
                '"' => quoted = false,
                '\n' => {
                    line += 1;
                    current.push('\n');
                }
                _ => current.push(c),
            }
            continue;
        }
        match c {
            '"' if current.is_empty() && !was_quoted => {
                quoted = true;
                was_quoted = true;
            }
            '"' => {
                return Err(CsvError {
                    line, message: "кавычка внутри поля без кавычек".into()
                });
            }
            c if c == separator => {
                record.push(std::mem::take(&mut current));
                was_quoted = false;
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' | '\r' => {
                finish(&mut record, &mut current, &mut records, start);
                was_quoted = false;
                line += 1;
                start = line;
            }
            _ if was_quoted => {
                return Err(CsvError {
                    line, message: "текст после закрывающей кавычки".into()
                });
            }
            _ => current.push(c),
        }
    }
    if quoted {
        return Err(CsvError {
            line: start, message: "кавычка не закрыта до конца файла".into()
        });
    }
    if !current.is_empty() || !record.is_empty() {
        finish(&mut record, &mut current, &mut records, start);
    }
    Ok(records)
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
}
