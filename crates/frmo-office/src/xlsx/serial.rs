//! Excel's numbers as a person sees them: date serials, which number formats
//! are dates or times, and the shortest decimal text of a stored double.

use time::{Date, Duration, macros::date};

/// Day 0 of the 1900 date system, counted so that serial 61 is 01.03.1900.
const EPOCH_1900: Date = date!(1899 - 12 - 30);
/// Day 0 of the 1904 date system (old Mac workbooks).
const EPOCH_1904: Date = date!(1904 - 01 - 01);
/// Excel keeps Lotus 1-2-3's non-existent 29.02.1900 as serial 60, so every
/// date before 01.03.1900 is one less than a plain day count.
const LOTUS_LEAP_DAY: i64 = 60;
const FIRST_AFTER_LEAP_DAY: Date = date!(1900 - 03 - 01);
/// The serial of 01.01.10000, one past the last date Excel shows.
const MAX_SERIAL: f64 = 2_958_466.0;

/// The Excel serial (1900 date system) of a date, or `None` outside the years
/// Excel supports (1900–9999).
pub(crate) fn date_to_serial(d: Date) -> Option<f64> {
    if !(1900..=9999).contains(&d.year()) {
        return None;
    }
    let days = (d - EPOCH_1900).whole_days();
    let days = if d < FIRST_AFTER_LEAP_DAY { days - 1 } else { days };
    Some(days as f64)
}

/// How a number format shows a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NumKind {
    /// A plain number (General, 0.00, percentages, currencies, text `@`…).
    Plain,
    /// A date without a time of day.
    Date,
    /// A date and a time of day.
    DateTime,
    /// A time of day.
    Time,
    /// A duration in hours (`[h]:mm`), which may exceed 24.
    Elapsed,
}

/// The kind of a built-in number format (ids Excel does not store in
/// `styles.xml`).
pub(crate) fn builtin_kind(id: u32) -> NumKind {
    match id {
        14..=17 | 27..=31 | 34..=36 | 50..=58 => NumKind::Date,
        22 => NumKind::DateTime,
        18..=21 | 32 | 33 | 45 | 47 => NumKind::Time,
        46 => NumKind::Elapsed,
        _ => NumKind::Plain,
    }
}

/// The kind of a custom format code such as `dd.mm.yyyy;@` or `[h]:mm`.
///
/// Only the first section (positive numbers) counts; quoted text, escaped
/// characters, colours and locale tags are skipped, so `0" дн."` or
/// `[Red]0.00` stay plain numbers.
pub(crate) fn code_kind(code: &str) -> NumKind {
    let (mut date, mut time, mut month_or_minute, mut elapsed) = (false, false, false, false);
    let mut chars = code.chars();
    while let Some(c) = chars.next() {
        match c {
            ';' => break,
            '"' => {
                for q in chars.by_ref() {
                    if q == '"' {
                        break;
                    }
                }
            }
            '\\' | '_' | '*' => {
                chars.next();
            }
            '[' => {
                let mut inner = String::new();
                for b in chars.by_ref() {
                    if b == ']' {
                        break;
                    }
                    inner.push(b.to_ascii_lowercase());
                }
                if !inner.is_empty() && inner.chars().all(|b| matches!(b, 'h' | 'm' | 's')) {
                    elapsed = true;
                }
            }
            'd' | 'D' | 'y' | 'Y' => date = true,
            'h' | 'H' | 's' | 'S' => time = true,
            'm' | 'M' => month_or_minute = true,
            _ => {}
        }
    }
    match (date, time || elapsed) {
        (true, true) => NumKind::DateTime,
        (true, false) => NumKind::Date,
        (false, true) if elapsed => NumKind::Elapsed,
        (false, true) => NumKind::Time,
        // "mmmm" alone is a month name.
        (false, false) if month_or_minute => NumKind::Date,
        (false, false) => NumKind::Plain,
    }
}

/// A date/time serial shown as a Russian user sees it: `dd.MM.yyyy`,
/// `dd.MM.yyyy HH:mm[:ss]`, `HH:mm[:ss]`. `None` if the serial is not a
/// date Excel can show (negative, 0 for a date, after 9999); the caller
/// then falls back to the plain number.
pub(crate) fn serial_text(serial: f64, kind: NumKind, date1904: bool) -> Option<String> {
    if !serial.is_finite() || !(0.0..MAX_SERIAL).contains(&serial) {
        return None;
    }
    // Round to whole seconds: serials are doubles and 0.5 of a second either
    // way is noise in what was typed.
    let total_secs = (serial * 86_400.0).round() as i64;
    let days = total_secs.div_euclid(86_400);
    let secs = total_secs.rem_euclid(86_400);
    let clock = |hours: i64| {
        let (m, s) = ((secs / 60) % 60, secs % 60);
        if s == 0 { format!("{hours:02}:{m:02}") } else { format!("{hours:02}:{m:02}:{s:02}") }
    };
    match kind {
        NumKind::Plain => None,
        NumKind::Time => Some(clock(secs / 3600)),
        NumKind::Elapsed => Some(clock(total_secs / 3600)),
        NumKind::Date => serial_date(days, date1904),
        NumKind::DateTime => {
            let date = serial_date(days, date1904)?;
            Some(if secs == 0 { date } else { format!("{date} {}", clock(secs / 3600)) })
        }
    }
}

/// `dd.MM.yyyy` for a day number.
fn serial_date(days: i64, date1904: bool) -> Option<String> {
    let date = if date1904 {
        EPOCH_1904.checked_add(Duration::days(days))?
    } else {
        match days {
            0 => return None,
            LOTUS_LEAP_DAY => return Some("29.02.1900".to_owned()),
            d if d < LOTUS_LEAP_DAY => EPOCH_1900.checked_add(Duration::days(d + 1))?,
            d => EPOCH_1900.checked_add(Duration::days(d))?,
        }
    };
    if date.year() > 9999 {
        return None;
    }
    Some(dmy(date))
}

/// `dd.MM.yyyy`.
pub(crate) fn dmy(date: Date) -> String {
    format!("{:02}.{:02}.{:04}", date.day(), u8::from(date.month()), date.year())
}

/// A stored double as a person typed it: Excel keeps 15 significant digits,
/// so `0.30000000000000004` is `0.3`; whole numbers have no `.0`; the decimal
/// separator is a point.
pub(crate) fn number_text(x: f64) -> String {
    if !x.is_finite() {
        return x.to_string();
    }
    let rounded: f64 = format!("{x:.14e}").parse().unwrap_or(x);
    if rounded == rounded.trunc() && rounded.abs() < 1e15 {
        format!("{}", rounded as i64)
    } else {
        format!("{rounded}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serials_match_excel() {
        assert_eq!(date_to_serial(date!(1900 - 01 - 01)), Some(1.0));
        assert_eq!(date_to_serial(date!(1900 - 02 - 28)), Some(59.0));
        assert_eq!(date_to_serial(date!(1900 - 03 - 01)), Some(61.0));
        assert_eq!(date_to_serial(date!(2020 - 09 - 01)), Some(44075.0));
        assert_eq!(date_to_serial(date!(9999 - 12 - 31)), Some(2_958_465.0));
        assert_eq!(date_to_serial(date!(1899 - 12 - 31)), None);
    }

    #[test]
    fn serials_read_back() {
        let d = |s: f64| serial_text(s, NumKind::Date, false);
        assert_eq!(d(1.0).as_deref(), Some("01.01.1900"));
        assert_eq!(d(59.0).as_deref(), Some("28.02.1900"));
        assert_eq!(d(60.0).as_deref(), Some("29.02.1900"));
        assert_eq!(d(61.0).as_deref(), Some("01.03.1900"));
        assert_eq!(d(44075.0).as_deref(), Some("01.09.2020"));
        assert_eq!(d(44075.75).as_deref(), Some("01.09.2020"));
        assert_eq!(d(2_958_465.0).as_deref(), Some("31.12.9999"));
        assert_eq!(d(2_958_466.0), None);
        assert_eq!(d(0.0), None);
        assert_eq!(d(-1.0), None);
        assert_eq!(d(f64::NAN), None);
        assert_eq!(d(1e300), None);
        assert_eq!(serial_text(0.0, NumKind::Date, true).as_deref(), Some("01.01.1904"));
        assert_eq!(serial_text(44075.5, NumKind::DateTime, false).as_deref(), Some("01.09.2020 12:00"));
        assert_eq!(serial_text(44075.0, NumKind::DateTime, false).as_deref(), Some("01.09.2020"));
        assert_eq!(serial_text(0.5 + 1.0 / 86_400.0, NumKind::Time, false).as_deref(), Some("12:00:01"));
        assert_eq!(serial_text(1.5, NumKind::Elapsed, false).as_deref(), Some("36:00"));
    }

    #[test]
    fn format_codes() {
        assert_eq!(code_kind("dd.mm.yyyy"), NumKind::Date);
        assert_eq!(code_kind("DD.MM.YYYY;@"), NumKind::Date);
        assert_eq!(code_kind("[$-419]d mmmm yyyy"), NumKind::Date);
        assert_eq!(code_kind("mmmm"), NumKind::Date);
        assert_eq!(code_kind("dd.mm.yyyy hh:mm"), NumKind::DateTime);
        assert_eq!(code_kind("h:mm:ss AM/PM"), NumKind::Time);
        assert_eq!(code_kind("[h]:mm"), NumKind::Elapsed);
        assert_eq!(code_kind("General"), NumKind::Plain);
        assert_eq!(code_kind("0.00"), NumKind::Plain);
        assert_eq!(code_kind("[Red]0.00"), NumKind::Plain);
        assert_eq!(code_kind("0\" дней\""), NumKind::Plain);
        assert_eq!(code_kind("#,##0.00 [$₽-419]"), NumKind::Plain);
        assert_eq!(code_kind("0.00E+00"), NumKind::Plain);
        assert_eq!(code_kind("@"), NumKind::Plain);
        assert_eq!(code_kind(""), NumKind::Plain);
        assert_eq!(builtin_kind(14), NumKind::Date);
        assert_eq!(builtin_kind(0), NumKind::Plain);
    }

    #[test]
    fn numbers_as_typed() {
        assert_eq!(number_text(42.0), "42");
        assert_eq!(number_text(-0.0), "0");
        assert_eq!(number_text(0.5), "0.5");
        assert_eq!(number_text(0.1 + 0.2), "0.3");
        assert_eq!(number_text(123_456_789_012.0), "123456789012");
        assert_eq!(number_text(-12.25), "-12.25");
        assert_eq!(number_text(1e-7), "0.0000001");
        assert_eq!(number_text(1e20), "100000000000000000000");
    }
}
