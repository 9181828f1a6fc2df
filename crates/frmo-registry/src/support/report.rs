//! The support statistics of the report catalogue: requests filed in a period by topic, region or
//! status — how many, resolved, answered within the deadline and late, and the average business
//! hours to the first answer and to resolution, with the average rating. A member sees the
//! requests about their organizations, an operator those of their regions, administrators all.

use std::collections::BTreeMap;

use frmo_domain::calendar::ProductionCalendar;
use frmo_store::reports::Scope;
use frmo_store::support::SupportRecord;
use time::{Duration, OffsetDateTime, Time};

use super::classifier::Topic;
use crate::moderation::requests::MOSCOW;
use crate::reports::{Datum, Period};
use crate::{Registry, Result};

/// Business seconds (09:00–18:00 Moscow on working days) between two moments.
pub fn business_seconds_between(calendar: &ProductionCalendar, from: i64, to: i64) -> i64 {
    if to <= from {
        return 0;
    }
    let at =
        |unix: i64| OffsetDateTime::from_unix_timestamp(unix).unwrap_or(OffsetDateTime::UNIX_EPOCH).to_offset(MOSCOW);
    let (start, end) = (at(from), at(to));
    let mut day = start.date();
    let mut total = 0;
    while day <= end.date() {
        if calendar.is_working_day(day) {
            let open = day.with_time(Time::from_hms(9, 0, 0).unwrap_or(Time::MIDNIGHT)).assume_offset(MOSCOW);
            let close = day.with_time(Time::from_hms(18, 0, 0).unwrap_or(Time::MIDNIGHT)).assume_offset(MOSCOW);
            let (a, b) = (open.max(start), close.min(end));
            if b > a {
                total += (b - a).whole_seconds();
            }
        }
        match day.next_day() {
            Some(next) => day = next,
            None => break,
        }
    }
    total
}

fn in_scope(scope: &Scope, record: &SupportRecord) -> bool {
    match (&scope.regions, &scope.oids) {
        (Some(regions), _) => record.region.is_some_and(|r| regions.contains(&r)),
        (None, Some(oids)) => oids.contains(&record.org_oid),
        (None, None) => true,
    }
}

#[derive(Default)]
struct Figures {
    filed: i64,
    resolved: i64,
    in_time: i64,
    late: i64,
    to_answer: (i64, i64),
    to_resolve: (i64, i64),
    ratings: (i64, i64),
}

/// Hundredths of an hour from a sum of seconds over a count.
fn average_hours((seconds, count): (i64, i64)) -> Datum {
    Datum::Rate(if count == 0 { 0 } else { seconds * 100 / 3600 / count })
}

impl Registry {
    /// The rows of the `support` report: by `group` (`topic`, `region` or `status`).
    pub(crate) async fn support_rows(&self, scope: &Scope, period: &Period, group: &str) -> Result<Vec<Vec<Datum>>> {
        let start = period.from.with_time(Time::MIDNIGHT).assume_offset(MOSCOW).unix_timestamp();
        let end = (period.to.with_time(Time::MIDNIGHT).assume_offset(MOSCOW) + Duration::days(1)).unix_timestamp();
        let now = self.now();
        let calendar = &self.moderation.calendar;
        let mut groups: BTreeMap<String, Figures> = BTreeMap::new();
        for record in self.store.support_requests_between(start, end).await?.into_iter().filter(|r| in_scope(scope, r))
        {
            let key = match group {
                "region" => record
                    .region
                    .map_or_else(|| "без региона".to_owned(), |r| crate::reports::region_label(i64::from(r))),
                "status" => record.status.label().to_owned(),
                _ => Topic::parse(&record.topic).map_or_else(|| record.topic.clone(), |t| t.label().to_owned()),
            };
            let figures = groups.entry(key).or_default();
            figures.filed += 1;
            match record.first_answer_at {
                Some(at) if at <= record.due_at => figures.in_time += 1,
                Some(_) => figures.late += 1,
                None if now > record.due_at && record.status.is_open() => figures.late += 1,
                None => {}
            }
            if let Some(at) = record.first_answer_at {
                figures.to_answer.0 += business_seconds_between(calendar, record.created_at, at);
                figures.to_answer.1 += 1;
            }
            if let Some(at) = record.resolved_at {
                figures.to_resolve.0 += business_seconds_between(calendar, record.created_at, at);
                figures.to_resolve.1 += 1;
            }
            if !record.status.is_open() {
                figures.resolved += 1;
            }
            if let Some(rating) = record.rating {
                figures.ratings.0 += rating;
                figures.ratings.1 += 1;
            }
        }
        Ok(groups
            .into_iter()
            .map(|(key, f)| {
                vec![
                    Datum::Text(key),
                    Datum::Int(f.filed),
                    Datum::Int(f.resolved),
                    Datum::Int(f.in_time),
                    Datum::Int(f.late),
                    average_hours(f.to_answer),
                    average_hours(f.to_resolve),
                    Datum::Int(f.ratings.1),
                    Datum::Rate(if f.ratings.1 == 0 { 0 } else { f.ratings.0 * 100 / f.ratings.1 }),
                ]
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn business_seconds_count_working_hours_only() {
        let calendar = ProductionCalendar::default();
        let at = |t: OffsetDateTime| t.unix_timestamp();
        // Friday 17:00 → Monday 10:00: one hour on Friday, one on Monday.
        let hours =
            business_seconds_between(&calendar, at(datetime!(2026-11-20 17:00 +3)), at(datetime!(2026-11-23 10:00 +3)));
        assert_eq!(hours, 2 * 3600);
        assert_eq!(business_seconds_between(&calendar, 10, 5), 0);
        let from = at(datetime!(2026-11-03 17:00 +3));
        let due = super::super::requests::add_business_hours(&calendar, from, 5);
        assert_eq!(business_seconds_between(&calendar, from, due), 5 * 3600);
    }
}
