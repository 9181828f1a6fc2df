//! Report periods: a month, a quarter, a year or custom dates, written as codes in URLs and on the
//! command line (`2026-11`, `2026-Q4`, `2026`, `2026-01-15..2026-02-20`) and as a form of parts.

use serde::Deserialize;
use time::{Date, Month};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeriodKind {
    Month,
    Quarter,
    Year,
    Custom,
}

impl PeriodKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PeriodKind::Month => "month",
            PeriodKind::Quarter => "quarter",
            PeriodKind::Year => "year",
            PeriodKind::Custom => "custom",
        }
    }
}

/// Days `from..=to` and how they were chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub kind: PeriodKind,
    pub from: Date,
    pub to: Date,
}

/// Month names, nominative (as a period is named).
pub const MONTHS: [&str; 12] = [
    "январь",
    "февраль",
    "март",
    "апрель",
    "май",
    "июнь",
    "июль",
    "август",
    "сентябрь",
    "октябрь",
    "ноябрь",
    "декабрь",
];
const QUARTERS: [&str; 4] = ["I", "II", "III", "IV"];
/// Years a report may cover.
const YEARS: std::ops::RangeInclusive<i32> = 1990..=2100;

fn year(text: &str) -> Result<i32, String> {
    text.parse()
        .ok()
        .filter(|y| YEARS.contains(y))
        .ok_or_else(|| format!("год «{text}» — ожидается число от 1990 до 2100"))
}

fn month_start(year: i32, month: u8) -> Result<Date, String> {
    Month::try_from(month)
        .ok()
        .and_then(|m| Date::from_calendar_date(year, m, 1).ok())
        .ok_or_else(|| format!("месяц «{month}» — ожидается число от 1 до 12"))
}

fn month_end(start: Date) -> Date {
    let days = start.month().length(start.year());
    start.replace_day(days).unwrap_or(start)
}

impl Period {
    pub fn month(year: i32, month: u8) -> Result<Self, String> {
        let from = month_start(year, month)?;
        Ok(Period { kind: PeriodKind::Month, from, to: month_end(from) })
    }

    pub fn quarter(year: i32, quarter: u8) -> Result<Self, String> {
        if !(1..=4).contains(&quarter) {
            return Err(format!("квартал «{quarter}» — ожидается 1, 2, 3 или 4"));
        }
        let from = month_start(year, (quarter - 1) * 3 + 1)?;
        let to = month_end(month_start(year, quarter * 3)?);
        Ok(Period { kind: PeriodKind::Quarter, from, to })
    }

    pub fn year(year: i32) -> Result<Self, String> {
        Ok(Period { kind: PeriodKind::Year, from: month_start(year, 1)?, to: month_end(month_start(year, 12)?) })
    }

    pub fn custom(from: Date, to: Date) -> Result<Self, String> {
        if from > to {
            return Err("начало периода позже его конца".into());
        }
        if !YEARS.contains(&from.year()) || !YEARS.contains(&to.year()) {
            return Err("даты периода должны быть между 1990 и 2100 годами".into());
        }
        Ok(Period { kind: PeriodKind::Custom, from, to })
    }

    /// The month containing `day`.
    pub fn month_of(day: Date) -> Self {
        let from = day.replace_day(1).unwrap_or(day);
        Period { kind: PeriodKind::Month, from, to: month_end(from) }
    }

    /// Reads a period code: `2026-11`, `2026-Q4`, `2026`, `2026-01-15..2026-02-20` (dates also as
    /// `15.01.2026`).
    pub fn parse(code: &str) -> Result<Self, String> {
        let code = code.trim();
        let wrong =
            || format!("«{code}» — ожидается месяц (2026-11), квартал (2026-Q4), год (2026) или даты через «..»");
        if let Some((from, to)) = code.split_once("..") {
            let date = |t: &str| {
                frmo_domain::date::read(t.trim()).ok_or_else(|| format!("дата «{}» — ожидается ДД.ММ.ГГГГ", t.trim()))
            };
            return Period::custom(date(from)?, date(to)?);
        }
        match code.split_once('-') {
            None if code.len() == 4 => Period::year(year(code)?),
            Some((y, q)) if q.starts_with(['Q', 'q', 'К', 'к']) => {
                let quarter = q.chars().skip(1).collect::<String>().parse().map_err(|_| wrong())?;
                Period::quarter(year(y)?, quarter)
            }
            Some((y, m)) if m.len() <= 2 => Period::month(year(y)?, m.parse().map_err(|_| wrong())?),
            _ => Err(wrong()),
        }
    }

    /// The months the period touches, `YYYY-MM`, in order.
    pub fn months(&self) -> Vec<String> {
        let mut months = Vec::new();
        let (mut year, mut month) = (self.from.year(), u8::from(self.from.month()));
        let last = (self.to.year(), u8::from(self.to.month()));
        while (year, month) <= last {
            months.push(format!("{year}-{month:02}"));
            (year, month) = if month == 12 { (year + 1, 1) } else { (year, month + 1) };
        }
        months
    }

    /// The code [`Period::parse`] reads back.
    pub fn code(&self) -> String {
        match self.kind {
            PeriodKind::Month => format!("{}-{:02}", self.from.year(), u8::from(self.from.month())),
            PeriodKind::Quarter => format!("{}-Q{}", self.from.year(), (u8::from(self.from.month()) - 1) / 3 + 1),
            PeriodKind::Year => self.from.year().to_string(),
            PeriodKind::Custom => {
                format!("{}..{}", frmo_domain::date::iso(self.from), frmo_domain::date::iso(self.to))
            }
        }
    }

    /// «ноябрь 2026», «IV квартал 2026», «2026 год», «15.01.2026 — 20.02.2026».
    pub fn label(&self) -> String {
        let month = usize::from(u8::from(self.from.month())) - 1;
        match self.kind {
            PeriodKind::Month => format!("{} {}", MONTHS[month], self.from.year()),
            PeriodKind::Quarter => format!("{} квартал {}", QUARTERS[month / 3], self.from.year()),
            PeriodKind::Year => format!("{} год", self.from.year()),
            PeriodKind::Custom => {
                format!("{} — {}", frmo_domain::date::format(self.from), frmo_domain::date::format(self.to))
            }
        }
    }
}

/// «ноябрь 2026» of `2026-11`.
pub(crate) fn month_label(month: &str) -> String {
    let parsed =
        month.split_once('-').and_then(|(y, m)| Some(Period::month(y.parse().ok()?, m.parse().ok()?).ok()?.label()));
    parsed.unwrap_or_else(|| month.to_owned())
}

/// The period form's fields: a kind and the parts it needs.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PeriodForm {
    pub kind: Option<String>,
    pub year: Option<String>,
    pub month: Option<String>,
    pub quarter: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
}

impl PeriodForm {
    /// The period the form describes; an empty form is the month of `today`.
    pub fn period(&self, today: Date) -> Result<Period, String> {
        fn part(value: &Option<String>) -> Option<&str> {
            value.as_deref().map(str::trim).filter(|v| !v.is_empty())
        }
        let year_of = || part(&self.year).map_or(Ok(today.year()), year);
        let number = |value: &Option<String>, what: &str| -> Result<u8, String> {
            let text = part(value).ok_or_else(|| format!("не указан {what}"))?;
            text.parse().map_err(|_| format!("{what} «{text}» — ожидается число"))
        };
        match part(&self.kind) {
            None => Ok(Period::month_of(today)),
            Some("month") => Period::month(year_of()?, number(&self.month, "месяц")?),
            Some("quarter") => Period::quarter(year_of()?, number(&self.quarter, "квартал")?),
            Some("year") => Period::year(year_of()?),
            Some("custom") => {
                let date = |value: &Option<String>, what: &str| {
                    let text = part(value).ok_or_else(|| format!("не указана дата {what}"))?;
                    frmo_domain::date::read(text).ok_or_else(|| format!("дата {what} «{text}» — ожидается ДД.ММ.ГГГГ"))
                };
                Period::custom(date(&self.from, "начала")?, date(&self.to, "конца")?)
            }
            Some(other) => Err(format!("вид периода «{other}» — ожидается месяц, квартал, год или произвольный")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn codes_read_back() {
        for code in ["2026-11", "2026-Q4", "2026", "2026-01-15..2026-02-20", "2024-02"] {
            let period = Period::parse(code).expect(code);
            assert_eq!(Period::parse(&period.code()).expect("again"), period, "{code}");
        }
        assert_eq!(Period::parse("2024-02").expect("feb").to, date!(2024 - 02 - 29));
        let q = Period::parse("2026-Q2").expect("q2");
        assert_eq!((q.from, q.to), (date!(2026 - 04 - 01), date!(2026 - 06 - 30)));
        assert_eq!(q.label(), "II квартал 2026");
        assert_eq!(q.months(), ["2026-04", "2026-05", "2026-06"]);
        assert_eq!(Period::parse("2025-12-31..2026-01-01").expect("custom").months(), ["2025-12", "2026-01"]);
        assert_eq!(Period::parse("01.03.2026..31.03.2026").expect("custom").label(), "01.03.2026 — 31.03.2026");
    }

    #[test]
    fn wrong_periods_say_what_is_expected() {
        for (code, expected) in [
            ("2026-13", "месяц «13»"),
            ("2026-Q5", "квартал «5»"),
            ("1200", "год «1200»"),
            ("2026-03-31..2026-03-01", "позже"),
            ("весна", "ожидается месяц"),
            ("2026-01-01..завтра", "дата «завтра»"),
        ] {
            let error = Period::parse(code).expect_err(code);
            assert!(error.contains(expected), "{code}: {error}");
        }
    }

    #[test]
    fn the_form_falls_back_to_the_current_month() {
        let today = date!(2026 - 11 - 23);
        assert_eq!(PeriodForm::default().period(today).expect("default"), Period::month_of(today));
        let form = PeriodForm { kind: Some("quarter".into()), quarter: Some("3".into()), ..PeriodForm::default() };
        assert_eq!(form.period(today).expect("q3").code(), "2026-Q3");
        let form = PeriodForm { kind: Some("custom".into()), from: Some("2026-01-01".into()), ..PeriodForm::default() };
        assert!(form.period(today).expect_err("no end").contains("конца"));
    }
}
