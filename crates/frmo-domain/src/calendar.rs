//! Business days by the Russian production calendar: review deadlines of requests and support
//! tickets are counted in them. Years from the decrees are data (`data/production-calendar.txt`,
//! replaceable by configuration); any other year follows article 112 of the Labour Code and is
//! reported as provisional.

use std::collections::{BTreeMap, BTreeSet};

use time::{Date, Duration, Month, Weekday};

/// The calendar shipped with frmo (2025 and 2026 from the decrees; later years by article 112).
pub const SHIPPED: &str = include_str!("../data/production-calendar.txt");

/// Non-working holidays of article 112 (month, day).
const HOLIDAYS: &[(u8, u8)] = &[
    (1, 1),
    (1, 2),
    (1, 3),
    (1, 4),
    (1, 5),
    (1, 6),
    (1, 7),
    (1, 8),
    (2, 23),
    (3, 8),
    (5, 1),
    (5, 9),
    (6, 12),
    (11, 4),
];

#[derive(Debug, Clone, PartialEq, Eq)]
struct Year {
    off: BTreeSet<Date>,
    working: BTreeSet<Date>,
    source: String,
}

/// A production calendar: which days are working days.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductionCalendar {
    years: BTreeMap<i32, Year>,
}

/// A line of a calendar file that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("производственный календарь, строка {line}: {message}")]
pub struct CalendarError {
    pub line: usize,
    pub message: String,
}

fn is_weekend(date: Date) -> bool {
    matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday)
}

fn month_day(year: i32, text: &str) -> Option<Date> {
    let (month, day) = text.split_once('-')?;
    let month = Month::try_from(month.parse::<u8>().ok()?).ok()?;
    Date::from_calendar_date(year, month, day.parse().ok()?).ok()
}

/// A year by article 112 alone.
fn by_article_112(year: i32) -> Year {
    let holidays: BTreeSet<Date> = HOLIDAYS
        .iter()
        .filter_map(|&(m, d)| Date::from_calendar_date(year, Month::try_from(m).ok()?, d).ok())
        .collect();
    let mut off = holidays.clone();
    for &holiday in &holidays {
        if holiday.month() == Month::January || !is_weekend(holiday) {
            continue;
        }
        let mut day = holiday;
        while is_weekend(day) || off.contains(&day) {
            day += Duration::DAY;
        }
        off.insert(day);
    }
    Year {
        off, working: BTreeSet::new(), source: "ст. 112 ТК РФ (постановление о переносах не внесено)".into()
    }
}

impl Default for ProductionCalendar {
    fn default() -> Self {
        #[allow(clippy::expect_used)] // the shipped file is checked by a test
        Self::parse(SHIPPED).expect("the shipped production calendar parses")
    }
}

impl ProductionCalendar {
    /// Reads a calendar file (format: see `data/production-calendar.txt`).
    pub fn parse(text: &str) -> Result<Self, CalendarError> {
        let mut years = BTreeMap::new();
        for (index, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let error = |message: String| CalendarError { line: index + 1, message };
            let fields: Vec<&str> = line.split('|').map(str::trim).collect();
            let [year, off, working, source] = fields.as_slice() else {
                return Err(error("ожидается «год | нерабочие дни | рабочие выходные | источник»".into()));
            };
            let year: i32 = year
                .parse()
                .ok()
                .filter(|y| (2000..=2100).contains(y))
                .ok_or_else(|| error(format!("год «{year}»")))?;
            let dates = |list: &str| -> Result<BTreeSet<Date>, CalendarError> {
                list.split_whitespace()
                    .map(|text| month_day(year, text).ok_or_else(|| error(format!("дата «{text}» (ожидается ММ-ДД)"))))
                    .collect()
            };
            let (off, working) = (dates(off)?, dates(working)?);
            if let Some(day) = working.iter().find(|d| !is_weekend(**d)) {
                return Err(error(format!("{day} — не выходной день, его не нужно объявлять рабочим")));
            }
            if source.is_empty() {
                return Err(error("не указан источник (постановление)".into()));
            }
            if years.insert(year, Year { off, working, source: (*source).to_owned() }).is_some() {
                return Err(error(format!("год {year} указан дважды")));
            }
        }
        Ok(ProductionCalendar { years })
    }

    /// Whether people work on `date`.
    pub fn is_working_day(&self, date: Date) -> bool {
        match self.years.get(&date.year()) {
            Some(year) => year.working.contains(&date) || !(is_weekend(date) || year.off.contains(&date)),
            None => !(is_weekend(date) || by_article_112(date.year()).off.contains(&date)),
        }
    }

    /// The decree a year follows, and whether the year is provisional (article 112 only).
    pub fn source(&self, year: i32) -> (String, bool) {
        match self.years.get(&year) {
            Some(y) => (y.source.clone(), false),
            None => (by_article_112(year).source, true),
        }
    }

    /// The day `days` business days after `start` (the day of `start` itself does not count).
    pub fn add_business_days(&self, start: Date, days: u32) -> Date {
        let mut date = start;
        let mut left = days;
        while left > 0 {
            date += Duration::DAY;
            if self.is_working_day(date) {
                left -= 1;
            }
        }
        date
    }

    /// Business days after `from` up to and including `to` (0 when `to` is not later).
    pub fn business_days_between(&self, from: Date, to: Date) -> u32 {
        let mut count = 0;
        let mut date = from;
        while date < to {
            date += Duration::DAY;
            if self.is_working_day(date) {
                count += 1;
            }
        }
        count
    }

    /// Working days in a year.
    pub fn working_days_in(&self, year: i32) -> u32 {
        let (Ok(first), Ok(last)) =
            (Date::from_calendar_date(year, Month::January, 1), Date::from_calendar_date(year, Month::December, 31))
        else {
            return 0;
        };
        self.business_days_between(first - Duration::DAY, last)
    }
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    #[test]
    fn the_shipped_years_have_the_official_number_of_working_days() {
        let calendar = ProductionCalendar::default();
        // 2025: 247 working days (Постановление № 1335; Минтруд's calendar: 247 working, 118 days off).
        assert_eq!(calendar.working_days_in(2025), 247);
        // 2026: 247 as well, January 15 of them, the first quarter 55.
        assert_eq!(calendar.working_days_in(2026), 247);
        assert_eq!(calendar.business_days_between(date!(2025 - 12 - 31), date!(2026 - 01 - 31)), 15);
        assert_eq!(calendar.business_days_between(date!(2025 - 12 - 31), date!(2026 - 03 - 31)), 55);
        assert!(!calendar.source(2025).1 && !calendar.source(2026).1);
        assert!(calendar.source(2027).1, "2027 is provisional until its decree is added");
    }

    #[test]
    fn transfers_and_working_saturdays_count() {
        let calendar = ProductionCalendar::default();
        assert!(calendar.is_working_day(date!(2025 - 11 - 01)), "Saturday 1 November 2025 was a working day");
        assert!(!calendar.is_working_day(date!(2025 - 11 - 03)), "its day off moved to Monday 3 November");
        assert!(!calendar.is_working_day(date!(2025 - 06 - 13)), "8 March (Saturday) moved to Friday 13 June");
        assert!(!calendar.is_working_day(date!(2026 - 01 - 09)));
        assert!(!calendar.is_working_day(date!(2026 - 03 - 09)), "8 March 2026 is a Sunday: Monday off");
        assert!(calendar.is_working_day(date!(2026 - 11 - 05)));
    }

    #[test]
    fn article_112_moves_a_weekend_holiday_to_the_next_working_day() {
        let calendar = ProductionCalendar::default();
        // 2027: 1 May is a Saturday, 9 May a Sunday, 12 June a Saturday.
        assert!(!calendar.is_working_day(date!(2027 - 05 - 03)));
        assert!(!calendar.is_working_day(date!(2027 - 05 - 10)));
        assert!(!calendar.is_working_day(date!(2027 - 06 - 14)));
        assert!(calendar.is_working_day(date!(2027 - 05 - 04)));
        // January holidays on a weekend move only by decree.
        assert!(calendar.is_working_day(date!(2027 - 01 - 11)));
    }

    #[test]
    fn deadlines_skip_holidays() {
        let calendar = ProductionCalendar::default();
        // Submitted on Tuesday 29 April 2025: 30 Apr, 5, 6, 7, 12 May are the five business days.
        assert_eq!(calendar.add_business_days(date!(2025 - 04 - 29), 5), date!(2025 - 05 - 12));
        assert_eq!(calendar.business_days_between(date!(2025 - 04 - 29), date!(2025 - 05 - 12)), 5);
        // Submitted on Friday 26 December 2025: 29, 30 Dec, then 12, 13, 14 Jan 2026.
        assert_eq!(calendar.add_business_days(date!(2025 - 12 - 26), 5), date!(2026 - 01 - 14));
        assert_eq!(calendar.business_days_between(date!(2025 - 05 - 12), date!(2025 - 05 - 12)), 0);
    }

    #[test]
    fn a_bad_calendar_file_names_its_line() {
        let error = ProductionCalendar::parse("# comment\n2025 | 13-01 | | decree\n").expect_err("bad month");
        assert_eq!(error.line, 2);
        assert!(error.to_string().contains("13-01"), "{error}");
        let error = ProductionCalendar::parse("2025 | | 11-03 | decree\n").expect_err("a Monday");
        assert!(error.to_string().contains("не выходной"), "{error}");
        let error = ProductionCalendar::parse("2025 | 01-01\n").expect_err("fields");
        assert_eq!(error.line, 1);
        assert!(ProductionCalendar::parse("2025 | | | \n").is_err(), "a source is required");
    }
}
