//! The report catalogue: each report a [`Definition`] (its groupings and chart) and a query over
//! the store, run for a [`Period`] within the actor's scope — a member sees its organizations, a
//! regional operator its regions, administrators and auditors the whole register. A run gives a
//! [`Report`]: titled columns, typed rows, totals and a chart, which `output` renders as a table
//! with an SVG chart, CSV, XLSX and PDF from the same values.

pub mod jobs;
pub mod output;
mod period;

use std::collections::BTreeMap;

use frmo_domain::access::{Action, Actor, Target};
use frmo_domain::date::iso;
use frmo_domain::document::DocumentKind;
use frmo_domain::error::ValidationError;
use frmo_domain::ident::RegionCode;
use frmo_domain::org::OrgStatus;
use frmo_domain::reference;
use frmo_domain::worker::format_rate;
use frmo_store::reports::{OrganizationKey, Scope};
use serde::Deserialize;
use time::{Date, OffsetDateTime};

pub use period::{MONTHS, Period, PeriodKind};

use crate::Caller;
use crate::{Registry, RegistryError, Result};

/// How a report draws its chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChartKind {
    Bars,
    Lines,
}

/// A report of the catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Definition {
    /// Its name in URLs and on the command line.
    pub name: &'static str,
    pub title: &'static str,
    pub description: &'static str,
    /// The groupings offered (`value`, label); the first is the default. Empty: none.
    pub groups: &'static [(&'static str, &'static str)],
    pub chart: ChartKind,
}

pub const CATALOGUE: &[Definition] = &[
    Definition {
        name: "organizations",
        title: "Медицинские организации",
        description: "Число организаций на начало и конец периода, открытые и закрытые за период — по регионам, типам, видам или статусу.",
        groups: &[
            ("region", "по регионам"),
            ("type", "по типам организаций"),
            ("agency_kind", "по видам медицинских организаций"),
            ("status", "по статусу"),
        ],
        chart: ChartKind::Bars,
    },
    Definition {
        name: "opened-closed",
        title: "Открытые и закрытые организации",
        description: "Сколько организаций открыто и закрыто в каждом месяце периода (по датам создания и закрытия в карточке).",
        groups: &[],
        chart: ChartKind::Lines,
    },
    Definition {
        name: "documents-expiring",
        title: "Истекающие лицензии и документы",
        description: "Действующие документы организаций, срок которых заканчивается в периоде.",
        groups: &[],
        chart: ChartKind::Bars,
    },
    Definition {
        name: "beds",
        title: "Коечный фонд",
        description: "Койки на конец периода по профилям коек или по регионам (подразделения, не ликвидированные к этой дате).",
        groups: &[("profile", "по профилям коек"), ("region", "по регионам")],
        chart: ChartKind::Bars,
    },
    Definition {
        name: "staff",
        title: "Кадры",
        description: "На конец периода: ставки по штатному расписанию, занятые ставки, работники и вакансии по должностям; или работники с действующими сертификатами и аккредитациями по специальностям.",
        groups: &[("position", "по должностям"), ("specialty", "по специальностям")],
        chart: ChartKind::Bars,
    },
    Definition {
        name: "moderation",
        title: "Модерация заявок",
        description: "Заявки, поданные в периоде: рассмотренные в срок и с опозданием, ожидающие и просроченные, среднее время рассмотрения — по регионам; или число заявок по статусам.",
        groups: &[("region", "по регионам"), ("status", "по статусам")],
        chart: ChartKind::Bars,
    },
    Definition {
        name: "support",
        title: "Обращения в поддержку",
        description: "Обращения, поданные в периоде: сколько, решено, первый ответ в срок и с опозданием, среднее время до первого ответа и до решения в рабочих часах, оценки — по темам, регионам или статусам.",
        groups: &[("topic", "по темам"), ("region", "по регионам"), ("status", "по статусам")],
        chart: ChartKind::Bars,
    },
];

impl Definition {
    /// «Медицинские организации по регионам»: the title with the grouping's label.
    pub fn title_of(&self, group: &str) -> String {
        let label = self.groups.iter().find(|g| g.0 == group).map(|g| format!(" {}", g.1));
        format!("{}{}", self.title, label.unwrap_or_default())
    }

    pub fn find(name: &str) -> Option<&'static Definition> {
        CATALOGUE.iter().find(|d| d.name == name)
    }

    /// The grouping `requested`, or the default; `None` when the report has no such grouping.
    pub fn group(&self, requested: Option<&str>) -> Option<&'static str> {
        match requested.filter(|g| !g.is_empty()) {
            None => Some(self.groups.first().map_or("", |g| g.0)),
            Some(g) => self.groups.iter().find(|(value, _)| *value == g).map(|g| g.0),
        }
    }
}

/// A value in a report: what every format prints and what XLSX types.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Datum {
    Text(String),
    Int(i64),
    /// A staff rate in hundredths (1,25 ставки).
    Rate(i64),
    Date(Date),
}

impl Datum {
    /// As printed on screen, in the PDF and in the Russian CSV: `1,25`, `31.12.2026`.
    pub fn display(&self) -> String {
        match self {
            Datum::Text(t) => t.clone(),
            Datum::Int(n) => n.to_string(),
            Datum::Rate(h) => format_rate(*h),
            Datum::Date(d) => frmo_domain::date::format(*d),
        }
    }

    pub fn is_number(&self) -> bool {
        matches!(self, Datum::Int(_) | Datum::Rate(_))
    }

    /// The number a chart draws.
    pub fn value(&self) -> Option<f64> {
        match self {
            Datum::Int(n) => Some(*n as f64),
            Datum::Rate(h) => Some(*h as f64 / 100.0),
            _ => None,
        }
    }
}

/// A report as run: everything every output format needs.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub definition: &'static Definition,
    /// The grouping used (empty when the report has none).
    pub group: &'static str,
    pub period: Period,
    /// Whose data: «вся Российская Федерация», the regions, or the organizations.
    pub scope: String,
    pub generated_at: OffsetDateTime,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Datum>>,
    /// Sums of the numeric columns (text columns empty), when adding them up makes sense.
    pub totals: Option<Vec<Datum>>,
    /// Columns the chart draws against the first column's labels.
    pub chart_series: Vec<usize>,
}

impl Report {
    pub fn title(&self) -> String {
        self.definition.title_of(self.group)
    }

    /// The lines under the title: period, scope, generation time (Moscow).
    pub fn subtitle(&self) -> Vec<String> {
        let at = self.generated_at.to_offset(crate::moderation::requests::MOSCOW);
        vec![
            format!("Период: {}", self.period.label()),
            format!("Данные: {}", self.scope),
            format!(
                "Сформировано {} в {:02}:{:02} (МСК)",
                frmo_domain::date::format(at.date()),
                at.hour(),
                at.minute()
            ),
        ]
    }

    /// A file name: `organizations-2026-11.xlsx`.
    pub fn file_name(&self, extension: &str) -> String {
        format!("{}-{}.{extension}", self.definition.name, self.period.code().replace("..", "_"))
    }
}

/// What the caller asks for: the report, its period and grouping.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ReportParams {
    pub period: Option<String>,
    /// The parts of the period form, when `period` is not given.
    #[serde(flatten)]
    pub form: period::PeriodForm,
    pub group: Option<String>,
}

impl ReportParams {
    /// The period asked for, or the current month.
    pub fn period(&self, today: Date) -> Result<Period> {
        match self.period.as_deref().filter(|p| !p.is_empty()) {
            Some(code) => Period::parse(code),
            None => self.form.period(today),
        }
        .map_err(|message| RegistryError::invalid(ValidationError::new("period", "Период", message)))
    }
}

fn directory_name(directory: &str, code: i64) -> String {
    u32::try_from(code)
        .ok()
        .and_then(|id| reference::get(directory).and_then(|d| d.name_of(id)))
        .map_or_else(|| format!("код {code}"), str::to_owned)
}

/// The columns of the support report, by its grouping.
const SUPPORT_TAIL: [&str; 8] = [
    "Обращений",
    "Решено и закрыто",
    "Ответ в срок",
    "Ответ с опозданием или просрочено",
    "Среднее время до первого ответа, раб. ч",
    "Среднее время до решения, раб. ч",
    "Оценок",
    "Средняя оценка",
];
const fn support_columns(first: &'static str) -> [&'static str; 9] {
    let t = SUPPORT_TAIL;
    [first, t[0], t[1], t[2], t[3], t[4], t[5], t[6], t[7]]
}
const SUPPORT_BY_TOPIC: [&str; 9] = support_columns("Тема");
const SUPPORT_BY_REGION: [&str; 9] = support_columns("Регион");
const SUPPORT_BY_STATUS: [&str; 9] = support_columns("Статус");

/// A region as reports name it: `63 Самарская область`.
pub(crate) fn region_label(code: i64) -> String {
    region_name(code)
}

fn region_name(code: i64) -> String {
    u8::try_from(code)
        .ok()
        .and_then(RegionCode::from_code)
        .map_or_else(|| format!("регион {code}"), |r| format!("{:02} {}", r.code(), r.name()))
}

fn status_name(status: &str) -> String {
    OrgStatus::ALL.iter().find(|s| s.as_str() == status).map_or_else(|| status.to_owned(), |s| s.label().to_owned())
}

/// Sums of the numeric columns, «Итого» in the first.
fn totals(rows: &[Vec<Datum>], width: usize) -> Vec<Datum> {
    (0..width)
        .map(|i| match i {
            0 => Datum::Text("Итого".into()),
            _ => match rows.first().map(|r| &r[i]) {
                Some(Datum::Rate(_)) => {
                    Datum::Rate(rows.iter().map(|r| if let Datum::Rate(h) = r[i] { h } else { 0 }).sum())
                }
                Some(Datum::Int(_)) => {
                    Datum::Int(rows.iter().map(|r| if let Datum::Int(n) = r[i] { n } else { 0 }).sum())
                }
                _ => Datum::Text(String::new()),
            },
        })
        .collect()
}

/// Only the card's structure a beds report reads (serde skips the rest).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BedsCard {
    region_id: i64,
    #[serde(default)]
    departments: Vec<BedsDepartment>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BedsDepartment {
    #[serde(default)]
    liquidation_date: Option<String>,
    #[serde(default)]
    hospital_subdivisions: Vec<BedsSubdivision>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BedsSubdivision {
    #[serde(default)]
    liquidation_date: Option<String>,
    #[serde(default)]
    beds: Vec<frmo_domain::org::BedCount>,
}

impl Registry {
    /// The part of the register `actor` may report on, and its description.
    async fn report_scope(&self, caller: &Caller) -> Result<(Scope, String)> {
        self.authorize(caller, Action::ReadReports, Target::None).await?;
        Ok(match caller.actor() {
            Actor::User(person) if person.federal_role.is_none() => {
                if !person.operator_regions.is_empty() {
                    let names: Vec<_> = person.operator_regions.iter().map(|r| region_name(i64::from(*r))).collect();
                    (
                        Scope { regions: Some(person.operator_regions.clone()), oids: None },
                        format!("регионы: {}", names.join(", ")),
                    )
                } else {
                    let oids: Vec<String> = person.memberships.iter().map(|m| m.org_oid.clone()).collect();
                    let mut names = Vec::new();
                    for oid in &oids {
                        let card = match crate::register::organization_oid(oid) {
                            Ok(parsed) => self.card(&Actor::System, &parsed, None).await,
                            Err(error) => Err(error),
                        };
                        names.push(card.map_or_else(|_| oid.clone(), |c| c.organization.name_short));
                    }
                    (Scope { regions: None, oids: Some(oids) }, format!("организации: {}", names.join(", ")))
                }
            }
            // Administrators, auditors and the deployment itself (anonymous actors are refused above).
            _ => (Scope::default(), "вся Российская Федерация".to_owned()),
        })
    }

    /// Runs report `name` for `actor`.
    /// The report, grouping and period `params` ask for, checked (nothing is read).
    pub fn report_request(
        &self,
        name: &str,
        params: &ReportParams,
    ) -> Result<(&'static Definition, &'static str, Period)> {
        let definition =
            Definition::find(name).ok_or_else(|| RegistryError::NotFound(format!("Нет отчёта «{name}».")))?;
        let group = definition.group(params.group.as_deref()).ok_or_else(|| {
            RegistryError::invalid(ValidationError::new("group", "Группировка", "у этого отчёта нет такой группировки"))
        })?;
        Ok((definition, group, params.period(self.today())?))
    }

    pub async fn run_report(&self, caller: &Caller, name: &str, params: &ReportParams) -> Result<Report> {
        let (scope, scope_label) = self.report_scope(caller).await?;
        let (definition, group, period) = self.report_request(name, params)?;
        let (from, to) = (iso(period.from), iso(period.to));
        let text = Datum::Text;
        let (columns, rows, summed, series): (&[&str], Vec<Vec<Datum>>, bool, Vec<usize>) = match (name, group) {
            ("organizations", group) => {
                let key = match group {
                    "type" => OrganizationKey::OrganizationType,
                    "agency_kind" => OrganizationKey::AgencyKind,
                    "status" => OrganizationKey::Status,
                    _ => OrganizationKey::Region,
                };
                let rows = self
                    .store
                    .organization_counts(&scope, key, &from, &to)
                    .await?
                    .into_iter()
                    .map(|c| {
                        let code: i64 = c.key.parse().unwrap_or_default();
                        let label = match key {
                            OrganizationKey::Region => region_name(code),
                            OrganizationKey::OrganizationType => directory_name("organization_types", code),
                            OrganizationKey::AgencyKind => directory_name("agency_kinds", code),
                            OrganizationKey::Status => status_name(&c.key),
                        };
                        vec![
                            text(label),
                            Datum::Int(c.at_start),
                            Datum::Int(c.opened),
                            Datum::Int(c.closed),
                            Datum::Int(c.at_end),
                        ]
                    })
                    .collect();
                (&["Группа", "На начало периода", "Открыто", "Закрыто", "На конец периода"], rows, true, vec![4])
            }
            ("opened-closed", _) => {
                let counted = self.store.organization_months(&scope, &from, &to).await?;
                // Every month of the period, the quiet ones as zeros: a line chart's axis is time.
                let rows = period
                    .months()
                    .into_iter()
                    .map(|month| {
                        let found = counted.iter().find(|m| m.month == month);
                        let (opened, closed) = found.map_or((0, 0), |m| (m.opened, m.closed));
                        vec![text(period::month_label(&month)), Datum::Int(opened), Datum::Int(closed)]
                    })
                    .collect();
                (&["Месяц", "Открыто", "Закрыто"], rows, true, vec![1, 2])
            }
            ("documents-expiring", _) => {
                let documents = self.store.expiring_documents(&scope, &from, &to).await?;
                let rows = documents
                    .into_iter()
                    .map(|d| {
                        let kind = u32::try_from(d.kind).ok().and_then(DocumentKind::by_code);
                        let until = frmo_domain::date::read(&d.valid_until);
                        vec![
                            text(kind.map_or_else(|| format!("код {}", d.kind), |k| k.name.to_owned())),
                            text(d.number),
                            until.map_or_else(|| text(d.valid_until.clone()), Datum::Date),
                            text(d.name_short),
                            text(d.oid),
                            text(region_name(d.region)),
                        ]
                    })
                    .collect();
                (&["Документ", "Номер", "Действует до", "Организация", "OID", "Регион"], rows, false, vec![])
            }
            ("beds", group) => {
                let rows = self.beds(&scope, &to, group == "region").await?;
                (&[if group == "region" { "Регион" } else { "Профиль коек" }, "Коек"], rows, true, vec![1])
            }
            ("staff", "specialty") => {
                let rows = self
                    .store
                    .staff_by_specialty(&scope, &to)
                    .await?
                    .into_iter()
                    .map(|s| vec![text(directory_name("specialties", s.code)), Datum::Int(s.people)])
                    .collect();
                (&["Специальность", "Работников с действующим допуском"], rows, true, vec![1])
            }
            ("staff", _) => {
                let rows = self
                    .store
                    .staff_by_position(&scope, &to)
                    .await?
                    .into_iter()
                    .map(|s| {
                        vec![
                            text(directory_name("positions", s.code)),
                            Datum::Rate(s.declared),
                            Datum::Rate(s.busy),
                            Datum::Int(s.people),
                            Datum::Rate((s.declared - s.busy).max(0)),
                        ]
                    })
                    .collect();
                (
                    &["Должность", "Ставок по штату", "Занято ставок", "Работников", "Вакантных ставок"],
                    rows,
                    true,
                    vec![1, 2],
                )
            }
            ("moderation", group) => {
                let rows = self.moderation_rows(&scope, &period, group == "status").await?;
                if group == "status" {
                    (&["Статус", "Заявок"], rows, true, vec![1])
                } else {
                    (
                        &[
                            "Регион",
                            "Рассмотрено",
                            "Из них с опозданием",
                            "Ожидают решения",
                            "Из них просрочено",
                            "Среднее время рассмотрения, раб. дн.",
                        ],
                        rows,
                        false,
                        vec![1, 2, 4],
                    )
                }
            }
            ("support", group) => {
                let rows = self.support_rows(&scope, &period, group).await?;
                let columns: &'static [&'static str] = match group {
                    "region" => &SUPPORT_BY_REGION,
                    "status" => &SUPPORT_BY_STATUS,
                    _ => &SUPPORT_BY_TOPIC,
                };
                (columns, rows, false, vec![1, 2, 4])
            }
            _ => return Err(RegistryError::NotFound(format!("Нет отчёта «{name}»."))),
        };
        let totals = summed.then(|| totals(&rows, columns.len()));
        Ok(Report {
            definition,
            group,
            period,
            scope: scope_label,
            generated_at: OffsetDateTime::from_unix_timestamp(self.now()).unwrap_or(OffsetDateTime::UNIX_EPOCH),
            columns: columns.iter().map(|c| (*c).to_owned()).collect(),
            rows,
            totals,
            chart_series: series,
        })
    }

    /// Beds on `day` (ISO) by bed profile or by region: read from the cards in batches.
    async fn beds(&self, scope: &Scope, day: &str, by_region: bool) -> Result<Vec<Vec<Datum>>> {
        let alive = |liquidated: &Option<String>| liquidated.as_deref().is_none_or(|d| d > day);
        let mut beds = BTreeMap::<i64, i64>::new();
        let mut after = 0;
        loop {
            // The whole register goes through the export's scan (its own connection, no mmap);
            // a region's or an organization's part through the scoped query.
            let batch: Vec<(i64, String)> = if *scope == Scope::default() {
                self.store.current_cards_after(after, 2_000).await?
            } else {
                self.store.scoped_cards_after(scope, after, 2_000).await?
            };
            let Some(&(last, _)) = batch.last() else { break };
            for (_, card) in &batch {
                let card: BedsCard = serde_json::from_str(card).map_err(frmo_store::StoreError::from)?;
                let region = &card.region_id;
                for department in card.departments.iter().filter(|d| alive(&d.liquidation_date)) {
                    for subdivision in department.hospital_subdivisions.iter().filter(|s| alive(&s.liquidation_date)) {
                        for bed in &subdivision.beds {
                            let key = if by_region { *region } else { i64::from(bed.bed_profile_id) };
                            *beds.entry(key).or_default() += i64::from(bed.bed_count);
                        }
                    }
                }
            }
            after = last;
        }
        Ok(beds
            .into_iter()
            .map(|(key, count)| {
                let label = if by_region { region_name(key) } else { directory_name("bed_profiles", key) };
                vec![Datum::Text(label), Datum::Int(count)]
            })
            .collect())
    }

    /// Requests submitted in the period: review figures per region, or counts per status.
    async fn moderation_rows(&self, scope: &Scope, period: &Period, by_status: bool) -> Result<Vec<Vec<Datum>>> {
        let from = period.from.midnight().assume_offset(crate::moderation::requests::MOSCOW).unix_timestamp();
        let until = crate::end_of_day(period.to).unix_timestamp();
        let regions = scope.regions.clone().unwrap_or_default();
        let records: Vec<_> = self
            .store
            .requests_submitted_since(from, &regions)
            .await?
            .into_iter()
            .filter(|r| r.submitted_at.is_some_and(|at| at <= until))
            .filter(|r| scope.oids.as_ref().is_none_or(|oids| oids.contains(&r.org_oid)))
            .collect();
        if by_status {
            let mut counts = BTreeMap::<String, i64>::new();
            for record in &records {
                *counts.entry(record.status.label().to_owned()).or_default() += 1;
            }
            return Ok(counts.into_iter().map(|(status, n)| vec![Datum::Text(status), Datum::Int(n)]).collect());
        }
        let (by_region, _) = self.review_figures(records).await?;
        Ok(by_region
            .into_iter()
            .map(|f| {
                let region = f.key.parse().unwrap_or_default();
                vec![
                    Datum::Text(region_name(region)),
                    Datum::Int(f.decided as i64),
                    Datum::Int(f.decided_late as i64),
                    Datum::Int(f.waiting as i64),
                    Datum::Int(f.overdue as i64),
                    Datum::Rate((f.average_days * 100.0).round() as i64),
                ]
            })
            .collect())
    }
}
