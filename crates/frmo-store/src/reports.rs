//! Aggregates for the report catalogue. Each query is one [`dialects!`] statement (the two
//! spellings differ only in how a JSON list parameter is read), filtered by a [`Scope`] passed as
//! two JSON-array parameters, so nothing is ever spliced into SQL.

use crate::sql::{Value, dialects, json_smallints, json_texts, take_text as text};
use crate::{Result, Store};

/// What part of the register a report covers: `None` is "no restriction".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    pub regions: Option<Vec<u8>>,
    pub oids: Option<Vec<String>>,
}

impl Scope {
    /// The two parameters every scoped statement takes first: `$1` regions, `$2` OIDs.
    fn values(&self) -> Result<Vec<Value>> {
        let list = |json: Option<String>| json.map_or(Value::Null, Value::Text);
        Ok(vec![
            list(self.regions.as_ref().map(serde_json::to_string).transpose()?),
            list(self.oids.as_ref().map(serde_json::to_string).transpose()?),
        ])
    }
}

/// The scope's filter on a region and an OID column, a named piece of [`dialects!`]: `$1` regions,
/// `$2` OIDs, each a JSON array or NULL for "no restriction".
macro_rules! scope {
    ($dialect:ident $region:literal $oid:literal) => {
        concat!(
            "(CAST($1 AS TEXT) IS NULL OR ",
            $region,
            " IN (",
            json_smallints!($dialect "$1"),
            ")) AND (CAST($2 AS TEXT) IS NULL OR ",
            $oid,
            " IN (",
            json_texts!($dialect "$2"),
            "))"
        )
    };
}

/// Organizations grouped by one column, counted at the period's edges: `$3` first day, `$4` last
/// day (ISO dates; the card's `createDate`/`deleteDate` are ISO too, so text order is date order).
/// The dates are generated columns read through a partial covering index (migration 0011).
macro_rules! organization_counts {
    ($key:literal) => {
        dialects![
            "SELECT ",
            $key,
            ", COUNT(CASE WHEN c < $3 AND (d IS NULL OR d >= $3) THEN 1 END), ",
            "COUNT(CASE WHEN c BETWEEN $3 AND $4 THEN 1 END), ",
            "COUNT(CASE WHEN d BETWEEN $3 AND $4 THEN 1 END), ",
            "COUNT(CASE WHEN c <= $4 AND (d IS NULL OR d > $4) THEN 1 END) FROM (SELECT ",
            $key,
            ", create_date AS c, delete_date AS d FROM organization_versions WHERE valid_to IS NULL AND ",
            {scope "region" "oid"},
            ") AS o GROUP BY ",
            $key,
            " ORDER BY ",
            $key
        ]
    };
}

/// The column organizations are grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrganizationKey {
    Region,
    OrganizationType,
    AgencyKind,
    Status,
}

/// One group of [`Store::organization_counts`]: the key (a code, or the status text) and counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrganizationCounts {
    pub key: String,
    pub at_start: i64,
    pub opened: i64,
    pub closed: i64,
    pub at_end: i64,
}

/// Opened and closed organizations of one month (`YYYY-MM`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonthCounts {
    pub month: String,
    pub opened: i64,
    pub closed: i64,
}

/// A current document whose validity ends in the period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpiringDocument {
    pub oid: String,
    pub name_short: String,
    pub region: i64,
    pub kind: i64,
    pub number: String,
    pub valid_until: String,
}

/// Rates (hundredths) and people per position, or people per specialty.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StaffCounts {
    pub code: i64,
    pub declared: i64,
    pub busy: i64,
    pub people: i64,
}

/// Organizations per month of a date column within `$3..=$4`.
macro_rules! per_month {
    ($column:literal) => {
        dialects![
            "SELECT substr(m, 1, 7), COUNT(*) FROM (SELECT ",
            $column,
            " AS m FROM organization_versions WHERE valid_to IS NULL AND ",
            {scope "region" "oid"},
            ") AS o WHERE m BETWEEN $3 AND $4 GROUP BY 1 ORDER BY 1"
        ]
    };
}

macro_rules! expiring_documents {
    () => {
        dialects![
            "SELECT d.oid, v.name_short, v.region, d.kind, d.number, d.valid_until FROM documents d ",
            "JOIN organization_versions v ON v.oid = d.oid AND v.valid_to IS NULL ",
            "WHERE d.replaced_at IS NULL AND d.valid_until BETWEEN $3 AND $4 AND ",
            {scope "v.region" "d.oid"},
            " ORDER BY d.valid_until, v.name_short, d.number"
        ]
    };
}

macro_rules! declared_rates {
    () => {
        dialects![
            "SELECT s.position, CAST(SUM(s.rate) AS BIGINT) FROM staffing s JOIN organizations o ON o.oid = s.oid WHERE ",
            {scope "o.region" "s.oid"},
            " GROUP BY s.position"
        ]
    };
}

/// Open employment cards on the day `$3`, per position: rates and distinct people (by СНИЛС: a
/// person employed by several organizations counts once).
macro_rules! busy_rates {
    () => {
        dialects![
            "SELECT c.position, CAST(SUM(c.rate) AS BIGINT), COUNT(DISTINCT p.snils) FROM employment_cards c ",
            "JOIN persons p ON p.id = c.person_id JOIN organizations o ON o.oid = c.oid WHERE c.begin_date <= $3 AND (c.end_date IS NULL OR c.end_date > $3) AND ",
            {scope "o.region" "c.oid"},
            " GROUP BY c.position"
        ]
    };
}

/// People (by СНИЛС) employed on the day `$3` whose credential of a specialty is valid that day.
macro_rules! specialists {
    () => {
        dialects![
            "SELECT w.specialty, COUNT(DISTINCT p.snils) FROM worker_credentials w JOIN persons p ON p.id = w.person_id ",
            "JOIN employment_cards c ON c.person_id = w.person_id JOIN organizations o ON o.oid = c.oid ",
            "WHERE w.issued_on <= $3 AND w.valid_until >= $3 AND c.begin_date <= $3 AND (c.end_date IS NULL OR c.end_date > $3) AND ",
            {scope "o.region" "c.oid"},
            " GROUP BY w.specialty"
        ]
    };
}

/// Current cards in scope after a row id, for reports that read the card's structure (beds).
macro_rules! cards_after {
    () => {
        dialects![
            "SELECT id, card FROM organization_versions WHERE valid_to IS NULL AND id > $3 AND ",
            {scope "region" "oid"},
            " ORDER BY id LIMIT $4"
        ]
    };
}

fn int(row: &[Value], i: usize) -> i64 {
    row.get(i).and_then(Value::int).unwrap_or_default()
}

impl Store {
    async fn scoped(
        &self,
        sql: (&'static str, &'static str),
        scope: &Scope,
        more: Vec<Value>,
    ) -> Result<Vec<Vec<Value>>> {
        let mut values = scope.values()?;
        values.extend(more);
        self.query(self.dialect(sql), values).await
    }

    /// Current organizations in scope grouped by `key`: at the start of the period `from..=to`
    /// (ISO dates), opened and closed in it, and at its end — by the card's `createDate` and
    /// `deleteDate`.
    pub async fn organization_counts(
        &self,
        scope: &Scope,
        key: OrganizationKey,
        from: &str,
        to: &str,
    ) -> Result<Vec<OrganizationCounts>> {
        let sql = match key {
            OrganizationKey::Region => organization_counts!("region"),
            OrganizationKey::OrganizationType => organization_counts!("org_type"),
            OrganizationKey::AgencyKind => organization_counts!("agency_kind"),
            OrganizationKey::Status => organization_counts!("status"),
        };
        let rows = self.scoped(sql, scope, vec![from.into(), to.into()]).await?;
        Ok(rows
            .into_iter()
            .map(|mut r| OrganizationCounts {
                key: match &r[0] {
                    Value::Int(v) => v.to_string(),
                    _ => text(&mut r, 0).unwrap_or_default(),
                },
                at_start: int(&r, 1),
                opened: int(&r, 2),
                closed: int(&r, 3),
                at_end: int(&r, 4),
            })
            .collect())
    }

    /// Organizations opened and closed per month of `from..=to`, months without either left out.
    pub async fn organization_months(&self, scope: &Scope, from: &str, to: &str) -> Result<Vec<MonthCounts>> {
        let period = || vec![Value::from(from), Value::from(to)];
        let opened = self.scoped(per_month!("create_date"), scope, period()).await?;
        let closed = self.scoped(per_month!("delete_date"), scope, period()).await?;
        let mut months = std::collections::BTreeMap::<String, MonthCounts>::new();
        for (rows, is_opened) in [(opened, true), (closed, false)] {
            for mut r in rows {
                let n = int(&r, 1);
                let month = text(&mut r, 0).unwrap_or_default();
                let entry = months.entry(month.clone()).or_insert(MonthCounts { month, opened: 0, closed: 0 });
                if is_opened {
                    entry.opened = n;
                } else {
                    entry.closed = n;
                }
            }
        }
        Ok(months.into_values().collect())
    }

    /// Current (not replaced) documents in scope valid until a day of `from..=to`.
    pub async fn expiring_documents(&self, scope: &Scope, from: &str, to: &str) -> Result<Vec<ExpiringDocument>> {
        let sql = expiring_documents!();
        let rows = self.scoped(sql, scope, vec![from.into(), to.into()]).await?;
        Ok(rows
            .into_iter()
            .map(|mut r| ExpiringDocument {
                oid: text(&mut r, 0).unwrap_or_default(),
                name_short: text(&mut r, 1).unwrap_or_default(),
                region: int(&r, 2),
                kind: int(&r, 3),
                number: text(&mut r, 4).unwrap_or_default(),
                valid_until: text(&mut r, 5).unwrap_or_default(),
            })
            .collect())
    }

    /// Per position: declared rates (the staffing tables), rates busy and people employed on `day`.
    pub async fn staff_by_position(&self, scope: &Scope, day: &str) -> Result<Vec<StaffCounts>> {
        let declared = self.scoped(declared_rates!(), scope, vec![]).await?;
        let busy = self.scoped(busy_rates!(), scope, vec![day.into()]).await?;
        let mut positions = std::collections::BTreeMap::<i64, StaffCounts>::new();
        for r in declared {
            positions
                .entry(int(&r, 0))
                .or_insert(StaffCounts { code: int(&r, 0), ..StaffCounts::default() })
                .declared = int(&r, 1);
        }
        for r in busy {
            let entry =
                positions.entry(int(&r, 0)).or_insert(StaffCounts { code: int(&r, 0), ..StaffCounts::default() });
            entry.busy = int(&r, 1);
            entry.people = int(&r, 2);
        }
        Ok(positions.into_values().collect())
    }

    /// Per specialty: people employed on `day` whose credential in it is valid that day.
    pub async fn staff_by_specialty(&self, scope: &Scope, day: &str) -> Result<Vec<StaffCounts>> {
        let rows = self.scoped(specialists!(), scope, vec![day.into()]).await?;
        Ok(rows.iter().map(|r| StaffCounts { code: int(r, 0), people: int(r, 1), ..StaffCounts::default() }).collect())
    }

    /// Current cards in scope with row ids after `after`: `(id, card JSON)`.
    pub async fn scoped_cards_after(&self, scope: &Scope, after: i64, limit: i64) -> Result<Vec<(i64, String)>> {
        let sql = cards_after!();
        let rows = self.scoped(sql, scope, vec![after.into(), limit.into()]).await?;
        Ok(rows.into_iter().map(|mut r| (int(&r, 0), text(&mut r, 1).unwrap_or_default())).collect())
    }
}
