//! The report catalogue in the cabinet: the list, a report's page (period and grouping form, table,
//! SVG chart with its text alternative, downloads) and the same reports as JSON in the API.

use askama::Template;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use frmo_domain::access::{Action, Target};
use frmo_registry::RegistryError;
use frmo_registry::reports::output::{self, CsvFlavour};
use frmo_registry::reports::{CATALOGUE, Definition, MONTHS, Period, PeriodKind, Report, ReportParams};
use serde::Deserialize;
use serde_json::json;

use crate::AppState;
use crate::error::{ApiError, PageError, render};
use crate::i18n::filters;
use crate::identity::session::Viewer;
use crate::query::ApiQuery;
use crate::register::api::ApiPath;

#[derive(Template)]
#[template(path = "reports.html")]
struct CataloguePage {
    user_name: String,
    csrf: String,
    reports: &'static [Definition],
}

/// `GET /cabinet/reports`
pub(crate) async fn catalogue(State(state): State<AppState>, viewer: Viewer) -> Result<Response, PageError> {
    viewer.authorize(&state, Action::ReadReports, Target::None).await?;
    let session = viewer.require(&state).await?;
    Ok(render(&CataloguePage {
        user_name: session.user.display_name.clone(),
        csrf: viewer.csrf().to_owned(),
        reports: CATALOGUE,
    }))
}

/// A choice in a `<select>`.
struct Choice {
    value: String,
    label: String,
    selected: bool,
}

#[derive(Template)]
#[template(path = "report.html")]
struct ReportPage {
    user_name: String,
    csrf: String,
    definition: &'static Definition,
    groups: Vec<Choice>,
    kinds: Vec<Choice>,
    months: Vec<Choice>,
    quarters: Vec<Choice>,
    year: String,
    from: String,
    to: String,
    /// A period or grouping refused: the problems, the form keeping what was typed.
    errors: crate::form::FormErrors,
    report: Option<Report>,
    /// The query string of the downloads (`period=…&group=…`).
    download_query: String,
    chart: Option<String>,
    chart_summary: String,
}

fn choices<'a>(items: impl IntoIterator<Item = (String, &'a str)>, selected: &str) -> Vec<Choice> {
    items
        .into_iter()
        .map(|(value, label)| Choice { selected: value == selected, value, label: label.to_owned() })
        .collect()
}

fn find(name: &str) -> Result<&'static Definition, RegistryError> {
    Definition::find(name).ok_or_else(|| RegistryError::NotFound(format!("Нет отчёта «{name}».")))
}

/// `GET /cabinet/reports/{name}?kind=…&year=…&month=…&quarter=…&from=…&to=…&group=…` (or
/// `period=2026-Q4`). A wrong period shows the form again with the reason.
pub(crate) async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(name): Path<String>,
    Query(params): Query<ReportParams>,
) -> Result<Response, PageError> {
    let session = viewer.require(&state).await?;
    let (report, errors) = match state.registry.run_report(&viewer.caller, &name, &params).await {
        Ok(report) => (Some(report), crate::form::FormErrors::none()),
        Err(error @ RegistryError::Invalid(_)) => {
            (None, crate::form::FormErrors::from_registry(error, "", &["kind", "group"])?)
        }
        Err(other) => return Err(other.into()),
    };
    // A refused form shows what was typed; otherwise the period shown.
    let typed = |field: &Option<String>, shown: String| match field {
        Some(value) if !errors.is_empty() => value.clone(),
        _ => shown,
    };
    let definition = find(&name)?;
    let today = time::OffsetDateTime::from_unix_timestamp(state.registry.now()).map_or(time::Date::MIN, |t| t.date());
    let period = report.as_ref().map_or_else(|| Period::month_of(today), |r| r.period);
    let group = report.as_ref().map_or_else(|| params.group.clone().unwrap_or_default(), |r| r.group.to_owned());
    let month = u8::from(period.from.month());
    let form = &params.form;
    let page = ReportPage {
        user_name: session.user.display_name.clone(),
        csrf: viewer.csrf().to_owned(),
        definition,
        groups: choices(definition.groups.iter().map(|(v, l)| ((*v).to_owned(), *l)), &group),
        kinds: choices(
            [
                (PeriodKind::Month, "месяц"),
                (PeriodKind::Quarter, "квартал"),
                (PeriodKind::Year, "год"),
                (PeriodKind::Custom, "произвольный"),
            ]
            .map(|(k, l)| (k.as_str().to_owned(), l)),
            &typed(&form.kind, period.kind.as_str().to_owned()),
        ),
        months: choices((1..=12).map(|m| (m.to_string(), MONTHS[m - 1])), &typed(&form.month, month.to_string())),
        quarters: choices(
            [("1", "I"), ("2", "II"), ("3", "III"), ("4", "IV")].map(|(v, l)| (v.to_owned(), l)),
            &typed(&form.quarter, ((month - 1) / 3 + 1).to_string()),
        ),
        year: typed(&form.year, period.from.year().to_string()),
        from: typed(&form.from, frmo_domain::date::iso(period.from)),
        to: typed(&form.to, frmo_domain::date::iso(period.to)),
        download_query: format!("period={}&group={}", period.code(), group),
        chart: report.as_ref().and_then(output::svg),
        chart_summary: report.as_ref().map(output::chart_summary).unwrap_or_default(),
        report,
        errors,
    };
    let mut response = render(&page);
    if !page.errors.is_empty() {
        *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(response)
}

#[derive(Deserialize)]
pub(crate) struct DownloadQuery {
    format: Option<String>,
    #[serde(flatten)]
    params: ReportParams,
}

/// `GET /cabinet/reports/{name}/download?format=xlsx|pdf|csv|csv-rfc&period=…&group=…`
pub(crate) async fn download(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(name): Path<String>,
    Query(query): Query<DownloadQuery>,
) -> Result<Response, PageError> {
    let report = state.registry.run_report(&viewer.caller, &name, &query.params).await?;
    let (body, media_type, extension) = match query.format.as_deref().unwrap_or("xlsx") {
        "csv" => (output::csv(&report, CsvFlavour::Excel), "text/csv; charset=utf-8", "csv"),
        "csv-rfc" => (output::csv(&report, CsvFlavour::Rfc4180), "text/csv; charset=utf-8; header=present", "csv"),
        "xlsx" => (output::xlsx(&report)?, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
        "pdf" => (output::pdf(&report)?, "application/pdf", "pdf"),
        other => {
            return Err(RegistryError::invalid(frmo_domain::error::ValidationError::new(
                "format",
                "Формат",
                format!("«{other}» — ожидается csv, csv-rfc, xlsx или pdf"),
            ))
            .into());
        }
    };
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(media_type));
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{}\"", report.file_name(extension))) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    Ok(response)
}

/// `GET /api/v1/reports`: the catalogue.
pub(crate) async fn api_catalogue(State(state): State<AppState>, viewer: Viewer) -> Result<Response, ApiError> {
    viewer.authorize(&state, Action::ReadReports, Target::None).await?;
    let reports: Vec<_> = CATALOGUE
        .iter()
        .map(|d| {
            json!({
                "name": d.name,
                "title": d.title,
                "description": d.description,
                "groups": d.groups.iter().map(|(value, label)| json!({"value": value, "label": label})).collect::<Vec<_>>(),
            })
        })
        .collect();
    Ok(Json(json!({ "reports": reports })).into_response())
}

/// The API's report parameters: the period as a code (the page's period form is not part of it).
#[derive(Default, Deserialize)]
pub(crate) struct ApiReportParams {
    period: Option<String>,
    group: Option<String>,
}

/// `GET /api/v1/reports/{name}?period=…&group=…`: a report's values, typed.
pub(crate) async fn api_report(
    State(state): State<AppState>,
    viewer: Viewer,
    ApiPath(name): ApiPath<String>,
    ApiQuery(ApiReportParams { period, group }): ApiQuery<ApiReportParams>,
) -> Result<Response, ApiError> {
    let params = ReportParams { period, group, ..ReportParams::default() };
    let report = state.registry.run_report(&viewer.caller, &name, &params).await?;
    Ok(Json(output::json(&report)).into_response())
}
