//! Dates as Russian documents and forms write them: `dd.MM.yyyy` out, `yyyy-MM-dd` (HTML date
//! inputs, ISO) or `dd.MM.yyyy` in.

use time::Date;

use crate::error::ValidationError;

/// `dd.MM.yyyy`, as Russian documents and НСИ write dates.
pub fn format(date: Date) -> String {
    format!("{:02}.{:02}.{}", date.day(), u8::from(date.month()), date.year())
}

/// A moment as people in Russia read it: Moscow time (UTC+3, no daylight saving since 2014), marked
/// «МСК» — every time the registry shows is one of these.
pub fn moscow_time(unix: i64) -> String {
    let moscow = time::UtcOffset::from_hms(3, 0, 0).unwrap_or(time::UtcOffset::UTC);
    let at =
        time::OffsetDateTime::from_unix_timestamp(unix).unwrap_or(time::OffsetDateTime::UNIX_EPOCH).to_offset(moscow);
    format!("{} {:02}:{:02} МСК", format(at.date()), at.hour(), at.minute())
}

/// `yyyy-MM-dd`, as the database keeps dates (text order is date order).
pub fn iso(date: Date) -> String {
    format!("{:04}-{:02}-{:02}", date.year(), u8::from(date.month()), date.day())
}

/// A date in either spelling, or `None` (values the registry wrote itself).
pub fn read(text: &str) -> Option<Date> {
    parse("date", "Дата", text).ok()
}

/// Accepts `yyyy-MM-dd` and `dd.MM.yyyy`; the error names `field`.
pub fn parse(field: &'static str, label: &'static str, text: &str) -> Result<Date, ValidationError> {
    let iso = time::macros::format_description!("[year]-[month]-[day]");
    let russian = time::macros::format_description!("[day].[month].[year]");
    let text = text.trim();
    Date::parse(text, iso)
        .or_else(|_| Date::parse(text, russian))
        .map_err(|_| ValidationError::new(field, label, "ожидается дата в виде ГГГГ-ММ-ДД или ДД.ММ.ГГГГ"))
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    #[test]
    fn both_spellings_read_and_one_is_written() {
        assert_eq!(parse("d", "Дата", "2024-03-01"), Ok(date!(2024 - 03 - 01)));
        assert_eq!(parse("d", "Дата", " 01.03.2024 "), Ok(date!(2024 - 03 - 01)));
        assert_eq!(parse("d", "Дата", "31.02.2024").map_err(|e| e.field), Err("d"));
        assert_eq!(format(date!(2024 - 03 - 01)), "01.03.2024");
        assert_eq!(iso(date!(2024 - 03 - 01)), "2024-03-01");
    }
}
