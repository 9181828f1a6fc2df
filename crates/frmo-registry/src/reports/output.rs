//! A [`Report`] in every format, all from the same [`Datum`]s: CSV for Excel (UTF-8 with a BOM, `;`,
//! decimal commas) and plain RFC 4180 (`,`, ISO dates, decimal points), XLSX (typed cells, frozen
//! header, autofilter, a sheet of parameters), PDF (A4, DejaVu Sans embedded, title, period,
//! generation time, page numbers) and an SVG chart readable without colour.

use std::fmt::Write as _;

use frmo_office::xlsx::{Cell, Column, Sheet};

use super::{ChartKind, Datum, Report};
use crate::Result;

/// CSV flavours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CsvFlavour {
    /// For Excel with a Russian locale: BOM, `;`, `1,25`, `31.12.2026`.
    Excel,
    /// RFC 4180 for programs: no BOM, `,`, `1.25`, `2026-12-31`.
    Rfc4180,
}

/// The header, the rows and the totals: what every format prints.
fn lines(report: &Report) -> impl Iterator<Item = &Vec<Datum>> {
    report.rows.iter().chain(report.totals.as_ref())
}

pub fn csv(report: &Report, flavour: CsvFlavour) -> Vec<u8> {
    let mut out = String::new();
    let separator = match flavour {
        CsvFlavour::Excel => {
            out.push('\u{feff}');
            ";"
        }
        CsvFlavour::Rfc4180 => ",",
    };
    // The registry's CSV quoting (it quotes either separator, which both readers accept).
    let mut line = |fields: Vec<String>| {
        out.push_str(&fields.iter().map(|f| crate::csv::field(f)).collect::<Vec<_>>().join(separator));
        out.push_str("\r\n");
    };
    line(report.columns.clone());
    for row in lines(report) {
        line(
            row.iter()
                .map(|datum| match (flavour, datum) {
                    (CsvFlavour::Rfc4180, Datum::Rate(h)) => format!("{}.{:02}", h / 100, h.rem_euclid(100)),
                    (CsvFlavour::Rfc4180, Datum::Date(d)) => frmo_domain::date::iso(*d),
                    _ => datum.display(),
                })
                .collect(),
        );
    }
    out.into_bytes()
}

fn cell(datum: &Datum) -> Cell {
    match datum {
        Datum::Text(t) => Cell::Text(t.clone()),
        Datum::Int(n) => Cell::Integer(*n),
        Datum::Rate(h) => Cell::Number(*h as f64 / 100.0),
        Datum::Date(d) => Cell::Date(*d),
    }
}

pub fn xlsx(report: &Report) -> Result<Vec<u8>> {
    let widths = column_widths(report);
    let data = Sheet {
        name: "Отчёт".into(),
        columns: report.columns.iter().zip(&widths).map(|(title, w)| Column::new(title.clone(), *w)).collect(),
        rows: lines(report).map(|row| row.iter().map(cell).collect()).collect(),
    };
    let mut about = vec![vec![Cell::Text("Отчёт".into()), Cell::Text(report.title())]];
    about.extend(report.subtitle().into_iter().filter_map(|line| {
        let (key, value) = line.split_once(": ").or_else(|| line.split_once(' '))?;
        Some(vec![Cell::Text(key.to_owned()), Cell::Text(value.to_owned())])
    }));
    let parameters = Sheet {
        name: "Параметры".into(),
        columns: vec![Column::new("Параметр", 22.0), Column::new("Значение", 70.0)],
        rows: about,
    };
    frmo_office::xlsx::write(&[data, parameters]).map_err(crate::workers::office_error)
}

/// Column widths in characters: the longest text of each column, within bounds.
fn column_widths(report: &Report) -> Vec<f64> {
    (0..report.columns.len())
        .map(|i| {
            let longest = lines(report)
                .filter_map(|row| row.get(i))
                .map(|d| d.display().chars().count())
                .chain([report.columns[i].chars().count().min(30)])
                .max()
                .unwrap_or(10);
            (longest as f64 + 2.0).clamp(8.0, 60.0)
        })
        .collect()
}

pub fn pdf(report: &Report) -> Result<Vec<u8>> {
    let widths = column_widths(report);
    let table = frmo_office::pdf::Table {
        title: report.title(),
        subtitle: report.subtitle(),
        columns: report.columns.iter().zip(&widths).map(|(title, w)| (title.clone(), *w as f32)).collect(),
        rows: lines(report).map(|row| row.iter().map(Datum::display).collect()).collect(),
        landscape: report.columns.len() > 4,
    };
    frmo_office::pdf::table(&table).map_err(crate::workers::office_error)
}

/// Fill patterns of the series: solid, hatched, dotted — told apart without colour.
const PATTERNS: [&str; 3] = ["url(#solid)", "url(#hatch)", "url(#dots)"];
/// Line styles of the series.
const DASHES: [&str; 3] = ["none", "6 4", "2 3"];
/// Rows a chart draws at most (the table has them all).
const CHART_ROWS: usize = 60;

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn shorten(text: &str, chars: usize) -> String {
    if text.chars().count() <= chars {
        text.to_owned()
    } else {
        format!("{}…", text.chars().take(chars - 1).collect::<String>())
    }
}

/// The chart's text alternative: what it shows and its largest values.
pub fn chart_summary(report: &Report) -> String {
    let mut summary = format!("Диаграмма: {}, {}.", report.title().to_lowercase(), report.period.label());
    for &series in &report.chart_series {
        let best = report
            .rows
            .iter()
            .filter_map(|r| Some((r[0].display(), r.get(series)?.value()?)))
            .max_by(|a, b| a.1.total_cmp(&b.1));
        if let Some((label, _)) = best.filter(|(_, value)| *value > 0.0) {
            let value =
                report.rows.iter().find(|r| r[0].display() == label).map(|r| r[series].display()).unwrap_or_default();
            let _ = write!(summary, " Наибольшее значение «{}» — {label}: {value}.", report.columns[series]);
        }
    }
    summary
}

/// An SVG chart of the report's chart series against its first column, or `None` when the
/// report has no chart or no rows. Horizontal bars (long labels stay readable) with each value
/// printed beside its bar, or lines with marked and labelled points; series differ by pattern or
/// dash as well as shade, and a legend names them.
pub fn svg(report: &Report) -> Option<String> {
    if report.chart_series.is_empty() || report.rows.is_empty() {
        return None;
    }
    let rows: Vec<&Vec<Datum>> = report.rows.iter().take(CHART_ROWS).collect();
    let series = &report.chart_series;
    let max =
        rows.iter().flat_map(|r| series.iter().filter_map(|&s| r.get(s)?.value())).fold(0.0f64, f64::max).max(1.0);
    let title = escape(&report.title());
    let summary = escape(&chart_summary(report));
    let mut svg = String::new();
    let legend_height = 22.0;
    match report.definition.chart {
        ChartKind::Bars => {
            let (label_width, plot_width, bar, gap) = (260.0, 420.0, 12.0, 8.0);
            let band = bar * series.len() as f64 + gap;
            let height = legend_height + band * rows.len() as f64 + 10.0;
            let width = label_width + plot_width + 80.0;
            header(&mut svg, width, height, &title, &summary);
            legend(&mut svg, report, true);
            for (i, row) in rows.iter().enumerate() {
                let top = legend_height + band * i as f64;
                let label = escape(&shorten(&row[0].display(), 40));
                let _ = write!(
                    svg,
                    r#"<text x="{}" y="{:.1}" text-anchor="end">{label}</text>"#,
                    label_width - 6.0,
                    top + band / 2.0
                );
                for (k, &s) in series.iter().enumerate() {
                    let Some(datum) = row.get(s) else { continue };
                    let value = datum.value().unwrap_or(0.0);
                    let length = (value / max * plot_width).max(if value > 0.0 { 1.0 } else { 0.0 });
                    let y = top + bar * k as f64;
                    let _ = write!(
                        svg,
                        r##"<rect x="{label_width}" y="{y:.1}" width="{length:.1}" height="{:.1}" fill="{}" stroke="#222" stroke-width="0.6"><title>{}: {}</title></rect><text x="{:.1}" y="{:.1}" font-size="11">{}</text>"##,
                        bar - 2.0,
                        PATTERNS[k % PATTERNS.len()],
                        escape(&report.columns[s]),
                        escape(&datum.display()),
                        label_width + length + 4.0,
                        y + bar - 3.0,
                        escape(&datum.display()),
                    );
                }
            }
        }
        ChartKind::Lines => {
            let (left, plot_width, plot_height) = (90.0, 600.0, 220.0);
            let height = legend_height + plot_height + 60.0;
            header(&mut svg, left + plot_width + 40.0, height, &title, &summary);
            legend(&mut svg, report, false);
            let bottom = legend_height + 10.0 + plot_height;
            let step = if rows.len() > 1 { plot_width / (rows.len() - 1) as f64 } else { 0.0 };
            let x = |i: usize| left + 20.0 + step * i as f64;
            let y = |v: f64| bottom - v / max * plot_height;
            let _ = write!(
                svg,
                r##"<line x1="{left}" y1="{bottom}" x2="{:.1}" y2="{bottom}" stroke="#222"/>"##,
                left + plot_width + 30.0
            );
            for (i, row) in rows.iter().enumerate() {
                let _ = write!(
                    svg,
                    r#"<text x="{:.1}" y="{:.1}" text-anchor="end" transform="rotate(-35 {:.1} {:.1})">{}</text>"#,
                    x(i),
                    bottom + 14.0,
                    x(i),
                    bottom + 14.0,
                    escape(&shorten(&row[0].display(), 16))
                );
            }
            for (k, &s) in series.iter().enumerate() {
                let points: Vec<(f64, f64, String)> = rows
                    .iter()
                    .enumerate()
                    .filter_map(|(i, r)| Some((x(i), y(r.get(s)?.value()?), r[s].display())))
                    .collect();
                let path = points.iter().map(|(px, py, _)| format!("{px:.1},{py:.1}")).collect::<Vec<_>>().join(" ");
                let _ = write!(
                    svg,
                    r##"<polyline points="{path}" fill="none" stroke="#222" stroke-width="2" stroke-dasharray="{}"/>"##,
                    DASHES[k % DASHES.len()]
                );
                for (px, py, value) in &points {
                    let marker = if k % 2 == 0 {
                        format!(r##"<circle cx="{px:.1}" cy="{py:.1}" r="3.5" fill="#222"/>"##)
                    } else {
                        format!(
                            r##"<rect x="{:.1}" y="{:.1}" width="7" height="7" fill="#fff" stroke="#222"/>"##,
                            px - 3.5,
                            py - 3.5
                        )
                    };
                    let _ = write!(
                        svg,
                        r#"{marker}<text x="{px:.1}" y="{:.1}" text-anchor="middle" font-size="11">{}</text>"#,
                        py - 7.0,
                        escape(value)
                    );
                }
            }
        }
    }
    svg.push_str("</svg>");
    Some(svg)
}

fn header(svg: &mut String, width: f64, height: f64, title: &str, summary: &str) {
    let _ = write!(
        svg,
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0} {height:.0}" width="{width:.0}" height="{height:.0}" role="img" aria-labelledby="chart-title chart-desc" class="chart" font-family="DejaVu Sans, sans-serif" font-size="12"><title id="chart-title">{title}</title><desc id="chart-desc">{summary}</desc><defs><pattern id="solid" width="4" height="4" patternUnits="userSpaceOnUse"><rect width="4" height="4" fill="#4a5a70"/></pattern><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#fff"/><line x1="0" y1="0" x2="0" y2="6" stroke="#222" stroke-width="2.5"/></pattern><pattern id="dots" width="5" height="5" patternUnits="userSpaceOnUse"><rect width="5" height="5" fill="#e8e8e8"/><circle cx="2.5" cy="2.5" r="1.3" fill="#222"/></pattern></defs>"##
    );
}

fn legend(svg: &mut String, report: &Report, bars: bool) {
    let mut x = 10.0;
    for (k, &s) in report.chart_series.iter().enumerate() {
        let name = escape(&report.columns[s]);
        if bars {
            let _ = write!(
                svg,
                r##"<rect x="{x:.1}" y="4" width="14" height="12" fill="{}" stroke="#222" stroke-width="0.6"/>"##,
                PATTERNS[k % PATTERNS.len()]
            );
        } else {
            let _ = write!(
                svg,
                r##"<line x1="{x:.1}" y1="10" x2="{:.1}" y2="10" stroke="#222" stroke-width="2" stroke-dasharray="{}"/>"##,
                x + 14.0,
                DASHES[k % DASHES.len()]
            );
        }
        let _ = write!(svg, r#"<text x="{:.1}" y="15">{name}</text>"#, x + 20.0);
        x += 30.0 + 7.0 * report.columns[s].chars().count() as f64;
    }
}

fn datum_json(datum: &Datum) -> serde_json::Value {
    match datum {
        Datum::Text(t) => serde_json::json!(t),
        Datum::Int(n) => serde_json::json!(n),
        Datum::Rate(h) => serde_json::json!(*h as f64 / 100.0),
        Datum::Date(d) => serde_json::json!(frmo_domain::date::iso(*d)),
    }
}

/// The report as JSON for the API and the command line: numbers as numbers, dates ISO.
pub fn json(report: &Report) -> serde_json::Value {
    let row = |row: &Vec<Datum>| row.iter().map(datum_json).collect::<Vec<_>>();
    serde_json::json!({
        "name": report.definition.name,
        "title": report.title(),
        "group": report.group,
        "period": {
            "code": report.period.code(),
            "label": report.period.label(),
            "from": frmo_domain::date::iso(report.period.from),
            "to": frmo_domain::date::iso(report.period.to),
        },
        "scope": report.scope,
        "generatedAt": report.generated_at.unix_timestamp(),
        "columns": report.columns,
        "rows": report.rows.iter().map(row).collect::<Vec<_>>(),
        "totals": report.totals.as_ref().map(row),
    })
}

/// The report as a plain-text table for a terminal: title, subtitle, aligned columns (numbers to
/// the right).
pub fn text(report: &Report) -> String {
    let widths: Vec<usize> = (0..report.columns.len())
        .map(|i| {
            lines(report)
                .filter_map(|r| r.get(i))
                .map(|d| d.display().chars().count())
                .chain([report.columns[i].chars().count()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = format!("{}\n{}\n\n", report.title(), report.subtitle().join("\n"));
    let mut line = |cells: Vec<(String, bool)>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|((text, right), width)| {
                let pad = " ".repeat(width.saturating_sub(text.chars().count()));
                if *right { format!("{pad}{text}") } else { format!("{text}{pad}") }
            })
            .collect();
        out.push_str(padded.join("  ").trim_end());
        out.push('\n');
    };
    line(report.columns.iter().map(|c| (c.clone(), false)).collect());
    for row in lines(report) {
        line(row.iter().map(|d| (d.display(), d.is_number())).collect());
    }
    out
}
