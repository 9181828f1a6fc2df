//! Change requests in the cabinet: «Мои заявки», a request's page (what changes, why, its history
//! and deadline), withdrawal by its author, the operator's queue and decision form.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use frmo_domain::access::{Action, Target, decide};
use frmo_domain::ident::RegionCode;
use frmo_domain::status::RequestStatus;
use frmo_registry::RegistryError;
use frmo_registry::moderation::requests::{RequestView, Verdict, parse_request_number};
use frmo_registry::register::organization_oid;
use serde::Deserialize;
use serde_json::Value;

use crate::AppState;
use crate::error::{PageError, render};
use crate::form::FormErrors;
use crate::format_time;
use crate::i18n::filters;
use crate::identity::session::Viewer;
use crate::notice;
use crate::pager::{PAGE_SIZE, Pager};

/// Russian names of the card fields people change most.
pub(crate) fn field_label(field: &str) -> &str {
    match field {
        "nameFull" => "Полное наименование",
        "nameShort" => "Краткое наименование",
        "inn" => "ИНН",
        "ogrn" => "ОГРН",
        "ogrnip" => "ОГРНИП",
        "kpp" => "КПП",
        "organizationTypeId" => "Тип организации",
        "regionId" => "Регион",
        "legalAddress" => "Юридический адрес",
        "actualAddress" => "Фактический адрес",
        "contacts" => "Контакты",
        "headFullName" => "Руководитель",
        "departments" => "Отделения",
        "buildings" => "Здания",
        "licences" => "Лицензии",
        "status" => "Статус",
        "phone" => "телефон",
        "email" => "электронная почта",
        "site" => "сайт",
        "text" => "адрес",
        "postIndex" => "индекс",
        "fiasId" => "ФИАС",
        "latitude" => "широта",
        "longtitude" => "долгота",
        other => other,
    }
}

/// A value of a changed field, as a line of text.
pub(crate) fn shown(value: &Value) -> String {
    match value {
        Value::Null => "—".into(),
        Value::String(text) => text.clone(),
        Value::Array(items) => format!("{} шт.", items.len()),
        Value::Object(fields) => fields
            .iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| format!("{}: {}", field_label(k), shown(v)))
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    }
}

pub(crate) fn date(day: Option<time::Date>) -> String {
    day.and_then(|d| d.format(time::macros::format_description!("[day].[month].[year]")).ok()).unwrap_or_default()
}

/// A line of a list of requests.
struct Row {
    id: i64,
    number: String,
    org_oid: String,
    title: String,
    /// What changes: the fields' names, or «новая организация».
    fields: String,
    status: &'static str,
    /// `submitted`, `returned`…: the tag's colour.
    status_code: &'static str,
    due: String,
    overdue: bool,
    business_days: String,
}

fn row(view: &RequestView) -> Row {
    let fields = if view.kind == frmo_registry::moderation::applications::INCLUSION {
        "новая организация".to_owned()
    } else {
        view.changes.iter().map(|c| field_label(c["field"].as_str().unwrap_or_default())).collect::<Vec<_>>().join(", ")
    };
    Row {
        id: view.id,
        number: view.number.clone(),
        org_oid: view.org_oid.clone(),
        title: view.title.clone(),
        fields,
        status: view.status.label(),
        status_code: view.status.as_str(),
        due: date(view.due_on),
        overdue: view.overdue,
        business_days: view.business_days.map(|d| d.to_string()).unwrap_or_default(),
    }
}

#[derive(Template)]
#[template(path = "requests.html")]
struct ListPage {
    user_name: String,
    csrf: String,
    title: &'static str,
    empty: &'static str,
    rows: Vec<Row>,
    /// The operator's queue: its filters (region, overdue only).
    queue: Option<(String, bool)>,
    pager: Pager,
}

/// A page of a list of requests at `path` with the query `raw` (its filters and `page`).
fn list(
    viewer: &Viewer,
    user_name: &str,
    (title, empty): (&'static str, &'static str),
    views: &[RequestView],
    (path, raw): (&str, Option<&str>),
) -> ListPage {
    let pager = Pager::of_query(views.len(), path, raw, PAGE_SIZE);
    ListPage {
        user_name: user_name.to_owned(),
        csrf: viewer.csrf().to_owned(),
        title,
        empty,
        rows: views[pager.range()].iter().map(row).collect(),
        queue: None,
        pager,
    }
}

#[derive(Deserialize, Default)]
pub(crate) struct QueueFilter {
    #[serde(default)]
    region: String,
    #[serde(default)]
    overdue: String,
}

#[derive(Template)]
#[template(path = "history.html")]
struct HistoryPage {
    user_name: String,
    csrf: String,
    oid: String,
    name: String,
    entries: Vec<HistoryLine>,
    pager: Pager,
}

struct HistoryLine {
    at: String,
    who: String,
    kind: &'static str,
    what: String,
    why: String,
    request: Option<(i64, String)>,
    fields: Vec<(String, String, String)>,
}

/// «История изменений» of an organization.
pub(crate) async fn history(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(oid): Path<String>,
    raw: axum::extract::RawQuery,
) -> Result<Response, PageError> {
    let oid = organization_oid(&oid)?;
    let session = viewer.require(&state).await?;
    let entries = state.registry.organization_history(&viewer.caller, &oid).await?;
    let card = state.registry.card(&frmo_domain::access::Actor::System, &oid, None).await?;
    let path = format!("/cabinet/organizations/{oid}/history");
    let pager = Pager::of_query(entries.len(), &path, raw.0.as_deref(), PAGE_SIZE);
    let page = HistoryPage {
        user_name: session.user.display_name.clone(),
        csrf: viewer.csrf().to_owned(),
        name: card.organization.name_short,
        oid: oid.to_string(),
        entries: pager
            .slice(entries)
            .into_iter()
            .map(|e| HistoryLine {
                at: format_time(e.at),
                who: e.who,
                kind: match e.kind.as_str() {
                    "change" => "изменение",
                    "decision" => "решение по заявке",
                    "request" => "заявка",
                    _ => "доступ",
                },
                what: e.what,
                why: e.why,
                request: e.request.and_then(|n| parse_request_number(&n).map(|id| (id, n))),
                fields: e
                    .fields
                    .iter()
                    .map(|f| {
                        (
                            field_label(f["field"].as_str().unwrap_or_default()).to_owned(),
                            shown(&f["before"]),
                            shown(&f["after"]),
                        )
                    })
                    .collect(),
            })
            .collect(),
        pager,
    };
    Ok(render(&page))
}

#[derive(Template)]
#[template(path = "review_statistics.html")]
struct StatisticsPage {
    user_name: String,
    csrf: String,
    since: String,
    regions: Vec<frmo_registry::moderation::requests::ReviewFigures>,
    operators: Vec<frmo_registry::moderation::requests::ReviewFigures>,
}

#[derive(Deserialize)]
pub(crate) struct SinceQuery {
    since: Option<String>,
}

/// Review times per region and operator since a date (default: the first of January).
pub(crate) async fn statistics(
    State(state): State<AppState>,
    viewer: Viewer,
    axum::extract::Query(query): axum::extract::Query<SinceQuery>,
) -> Result<Response, PageError> {
    let session = viewer.require(&state).await?;
    let today = time::OffsetDateTime::from_unix_timestamp(state.registry.now()).map_or(time::Date::MIN, |t| t.date());
    let since = match query.since.as_deref().filter(|s| !s.is_empty()) {
        None => today.replace_month(time::Month::January).and_then(|d| d.replace_day(1)).unwrap_or(today),
        Some(text) => {
            time::Date::parse(text, time::macros::format_description!("[year]-[month]-[day]")).map_err(|_| {
                RegistryError::invalid(frmo_domain::error::ValidationError::new(
                    "since",
                    "С даты",
                    "ожидается ГГГГ-ММ-ДД",
                ))
            })?
        }
    };
    let stats = state.registry.review_statistics(&viewer.caller, since).await?;
    let page = StatisticsPage {
        user_name: session.user.display_name.clone(),
        csrf: viewer.csrf().to_owned(),
        since: since.to_string(),
        regions: stats.by_region,
        operators: stats.by_operator,
    };
    Ok(render(&page))
}

pub(crate) async fn my_requests(
    State(state): State<AppState>,
    viewer: Viewer,
    axum::extract::RawQuery(raw): axum::extract::RawQuery,
) -> Result<Response, PageError> {
    let session = viewer.require(&state).await?;
    let views = state.registry.my_requests(&session.actor()).await?;
    let titles = ("Мои заявки", "Вы ещё не подавали заявок.");
    Ok(render(&list(&viewer, &session.user.display_name, titles, &views, ("/cabinet/requests", raw.as_deref()))))
}

/// The operator's queue, filtered by region (`?region=63`) and to overdue requests (`?overdue=1`).
pub(crate) async fn queue(
    State(state): State<AppState>,
    viewer: Viewer,
    axum::extract::RawQuery(raw): axum::extract::RawQuery,
) -> Result<Response, PageError> {
    let session = viewer.require(&state).await?;
    let filter: QueueFilter = crate::query::parse(axum::extract::RawQuery(raw.clone()))?;
    let mut views = state.registry.moderation_queue(&viewer.caller).await?;
    let region = filter.region.trim();
    if !region.is_empty() {
        let code = RegionCode::parse(region).map_err(RegistryError::invalid)?;
        views.retain(|v| v.region == code.code());
    }
    let overdue = !filter.overdue.is_empty();
    if overdue {
        views.retain(|v| v.overdue);
    }
    let titles = ("Заявки на проверку", "Заявок на проверке нет.");
    let at = ("/cabinet/moderation", raw.as_deref());
    let mut page = list(&viewer, &session.user.display_name, titles, &views, at);
    page.queue = Some((region.to_owned(), overdue));
    Ok(render(&page))
}

#[derive(Template)]
#[template(path = "request.html")]
struct RequestPage {
    user_name: String,
    csrf: String,
    view: RequestView,
    changes: Vec<(String, String, String)>,
    /// An application's requisites (label, value).
    requisites: Vec<(String, String)>,
    events: Vec<(String, String, String, String)>,
    submitted: String,
    due: String,
    may_withdraw: bool,
    may_decide: bool,
    /// A returned change request, to its author: the form that corrects and resends it, filled
    /// with what was proposed or typed (label, field, value).
    resubmit: Vec<(&'static str, &'static str, String)>,
    /// The resubmission's reason: the request's, or what was typed.
    resubmit_reason: String,
    /// The refused form's problems, and the decision typed (verdict, comment).
    errors: FormErrors,
    verdict: String,
    comment: String,
    done: Option<notice::Confirmation>,
}

/// What the last form on a request did.
#[derive(Default)]
struct Outcome {
    errors: FormErrors,
    /// The decision form refused: verdict and comment as typed.
    decision: Option<(String, String)>,
    /// The resubmission refused: the form as typed.
    resubmit: Option<crate::identity::organization::CardForm>,
    /// The confirmation asked for (`?done=`), shown if the request's state bears it out.
    done_code: String,
}

/// The decision form's fields (a problem of none of them, e.g. a stale revision, links to the first).
const DECISION_FIELDS: [&str; 2] = ["verdict", "comment"];

/// The fields the cabinet's change form edits: label, form field, where the proposal keeps it.
const EDITABLE: [(&str, &str, &[&str]); 8] = [
    ("Полное наименование", "name_full", &["nameFull"]),
    ("Сокращённое наименование", "name_short", &["nameShort"]),
    ("Руководитель (ФИО)", "head_full_name", &["headFullName"]),
    ("Юридический адрес", "legal_address", &["legalAddress", "text"]),
    ("Фактический адрес", "actual_address", &["actualAddress", "text"]),
    ("Телефон", "phone", &["contacts", "phone"]),
    ("Электронная почта", "email", &["contacts", "email"]),
    ("Сайт", "site", &["contacts", "site"]),
];

fn request_id(text: &str) -> Result<i64, PageError> {
    parse_request_number(text).ok_or_else(|| RegistryError::NotFound(format!("Заявка «{text}» не найдена.")).into())
}

async fn request_view(state: &AppState, viewer: &Viewer, id: i64, outcome: Outcome) -> Result<Response, PageError> {
    let session = viewer.require(state).await?;
    let actor = session.actor();
    let view = state.registry.request_view(&viewer.caller, id).await?;
    let target = Target::Organization { oid: &view.org_oid, region: view.region };
    let open = view.status.is_open();
    let page = RequestPage {
        user_name: session.user.display_name.clone(),
        csrf: viewer.csrf().to_owned(),
        changes: view
            .changes
            .iter()
            .map(|c| {
                (
                    field_label(c["field"].as_str().unwrap_or_default()).to_owned(),
                    shown(&c["before"]),
                    shown(&c["after"]),
                )
            })
            .collect(),
        events: view
            .events
            .iter()
            .map(|e| {
                let label = e.status.label().to_owned();
                (format_time(e.at), e.actor.clone(), label, e.comment.clone().unwrap_or_default())
            })
            .collect(),
        requisites: view
            .proposal
            .as_object()
            .filter(|_| view.kind == frmo_registry::moderation::applications::INCLUSION)
            .map(|card| {
                [
                    "nameFull",
                    "nameShort",
                    "inn",
                    "ogrn",
                    "ogrnip",
                    "kpp",
                    "regionId",
                    "legalAddress",
                    "contacts",
                    "headFullName",
                ]
                .iter()
                .filter_map(|field| card.get(*field).map(|v| (field_label(field).to_owned(), shown(v))))
                .collect()
            })
            .unwrap_or_default(),
        submitted: view.submitted_at.map(format_time).unwrap_or_default(),
        due: date(view.due_on),
        may_withdraw: open && session.user.id == view.author_id,
        resubmit: if view.status == RequestStatus::Returned
            && view.kind != frmo_registry::moderation::applications::INCLUSION
            && session.user.id == view.author_id
        {
            resubmit_fields(&view.proposal, outcome.resubmit.as_ref())
        } else {
            Vec::new()
        },
        resubmit_reason: outcome.resubmit.as_ref().map_or_else(|| view.reason.clone(), |typed| typed.reason.clone()),
        may_decide: view.status == RequestStatus::Submitted && decide(&actor, Action::Moderate, target).is_allowed(),
        done: notice::of_request(&view, &outcome.done_code, state.registry.moderation().review_days),
        view,
        verdict: outcome.decision.as_ref().map(|d| d.0.clone()).unwrap_or_default(),
        comment: outcome.decision.map(|d| d.1).unwrap_or_default(),
        errors: outcome.errors,
    };
    Ok((page.errors.status(), render(&page)).into_response())
}

/// The resubmission form's fields: what was typed, else what the request proposed.
fn resubmit_fields(
    proposal: &Value,
    typed: Option<&crate::identity::organization::CardForm>,
) -> Vec<(&'static str, &'static str, String)> {
    EDITABLE
        .iter()
        .map(|(label, field, path)| {
            let value = match typed {
                Some(form) => form.typed(field),
                None => path
                    .iter()
                    .try_fold(proposal, |v, key| v.get(key))
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
            };
            (*label, *field, value)
        })
        .collect()
}

pub(crate) async fn request_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    raw: axum::extract::RawQuery,
) -> Result<Response, PageError> {
    let id = request_id(&id)?;
    let query: notice::DoneQuery = crate::query::parse(raw)?;
    let code = query.done.unwrap_or_default();
    request_view(&state, &viewer, id, Outcome { done_code: code, ..Outcome::default() }).await
}

/// After a form on a request: its page with the confirmation `done` (303), or the page again with
/// what went wrong (`outcome` holds what was typed; `fields` are the form's, `prefix` its ids').
async fn after(
    state: &AppState,
    viewer: &Viewer,
    id: i64,
    result: Result<RequestView, RegistryError>,
    done: &str,
    (prefix, fields, outcome): (&str, &[&str], Outcome),
) -> Result<Response, PageError> {
    match result {
        Ok(_) => Ok(Redirect::to(&notice::to(&format!("/cabinet/requests/{id}"), done)).into_response()),
        Err(error) => {
            let errors = FormErrors::from_registry(error, prefix, fields)?;
            request_view(state, viewer, id, Outcome { errors, ..outcome }).await
        }
    }
}

#[derive(Deserialize)]
pub(crate) struct WithdrawForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    revision: String,
}

pub(crate) async fn withdraw(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Form(form): Form<WithdrawForm>,
) -> Result<Response, PageError> {
    viewer.require(&state).await?;
    viewer.check_csrf(&form.csrf)?;
    let id = request_id(&id)?;
    let revision = form.revision.trim().parse().unwrap_or(0);
    let result = state.registry.withdraw_request(&viewer.caller, id, revision).await;
    after(&state, &viewer, id, result, "withdrawn", ("", &["withdraw"], Outcome::default())).await
}

/// `POST /cabinet/requests/{id}/resubmit`: the author corrects a returned request and sends it again.
pub(crate) async fn resubmit(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Form(form): Form<crate::identity::organization::CardForm>,
) -> Result<Response, PageError> {
    viewer.require(&state).await?;
    viewer.check_csrf(&form.csrf)?;
    let id = request_id(&id)?;
    let result = state.registry.resubmit_request(&viewer.caller, id, form.version, form.edit(), &form.reason).await;
    let fields: Vec<&str> = EDITABLE.iter().map(|(_, field, _)| *field).chain(["reason"]).collect();
    let outcome = Outcome { resubmit: Some(form), ..Outcome::default() };
    after(&state, &viewer, id, result, "sent", ("re-", &fields, outcome)).await
}

#[derive(Deserialize)]
pub(crate) struct DecisionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    revision: String,
    #[serde(default)]
    verdict: String,
    #[serde(default)]
    comment: String,
}

pub(crate) async fn decision(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Form(form): Form<DecisionForm>,
) -> Result<Response, PageError> {
    viewer.require(&state).await?;
    viewer.check_csrf(&form.csrf)?;
    let id = request_id(&id)?;
    let typed = Outcome { decision: Some((form.verdict.clone(), form.comment.clone())), ..Outcome::default() };
    let comment = form.comment;
    let verdict = match form.verdict.as_str() {
        "approve" => Verdict::Approve { comment },
        "reject" => Verdict::Reject { reason: comment },
        "return" => Verdict::Return { comment },
        _ => {
            let error = frmo_domain::error::ValidationError::new(
                "verdict",
                "Решение",
                "выберите: одобрить, отклонить или вернуть",
            );
            let refused = Err(RegistryError::invalid(error));
            return after(&state, &viewer, id, refused, "decision", ("", &DECISION_FIELDS, typed)).await;
        }
    };
    let revision = form.revision.trim().parse().unwrap_or(0);
    let result = state.registry.decide_request(&viewer.caller, id, revision, verdict).await;
    after(&state, &viewer, id, result, "decision", ("", &DECISION_FIELDS, typed)).await
}
