//! Support requests after they are sent: «Мои обращения», the operators' queue, a request's page
//! with its conversation and the steps the viewer may take, and its attachments.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use frmo_domain::access::{Action, Target};
use frmo_domain::status::SupportStatus;
use frmo_registry::RegistryError;
use frmo_registry::support::requests::{StepForm, SupportView};
use serde::Deserialize;

use super::form::topics;
use crate::AppState;
use crate::error::{PageError, render};
use crate::form::FormErrors;
use crate::i18n::filters;
use crate::identity::session::Viewer;

/// A line of a list of requests.
struct Row {
    id: i64,
    number: String,
    topic: &'static str,
    queue: &'static str,
    status: &'static str,
    created: String,
    due: String,
    overdue: bool,
    excerpt: String,
}

fn row(view: &SupportView) -> Row {
    let excerpt: String = view.body.chars().take(80).collect();
    Row {
        id: view.id,
        number: view.number.clone(),
        topic: view.topic_label,
        queue: view.queue_label,
        status: view.status_label,
        created: frmo_registry::support::format_time(view.created_at),
        due: frmo_registry::support::format_time(view.due_at),
        overdue: view.overdue,
        excerpt: if view.body.chars().count() > 80 { format!("{excerpt}…") } else { excerpt },
    }
}

#[derive(Template)]
#[template(path = "support_list.html")]
struct ListPage {
    user_name: String,
    csrf: String,
    title: &'static str,
    queue: bool,
    /// The queue's filters: the queue chosen, overdue only.
    filter: (String, bool),
    rows: Vec<Row>,
    may_handle: bool,
}

/// `GET /cabinet/support`: «Мои обращения».
pub(crate) async fn my_requests(State(state): State<AppState>, viewer: Viewer) -> Result<Response, PageError> {
    let session = viewer.require(&state).await?;
    let views = state.registry.my_support_requests(&viewer.caller).await?;
    let may_handle = state.registry.may_at_all(&session.actor(), Action::HandleSupport);
    let page = ListPage {
        user_name: session.user.display_name.clone(),
        csrf: viewer.csrf().to_owned(),
        title: "Мои обращения",
        queue: false,
        filter: (String::new(), false),
        rows: views.iter().map(row).collect(),
        may_handle,
    };
    Ok(render(&page))
}

#[derive(Deserialize, Default)]
pub(crate) struct QueueFilter {
    /// `desk`, `region`, `admin` or empty for all.
    #[serde(default)]
    queue: String,
    #[serde(default)]
    overdue: String,
}

/// `GET /cabinet/support/queue`: the requests the viewer handles, the nearest deadline first;
/// `?queue=` one queue, `?overdue=1` only those past their deadline.
pub(crate) async fn queue(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(filter): Query<QueueFilter>,
) -> Result<Response, PageError> {
    let session = viewer.require(&state).await?;
    let views: Vec<SupportView> = state
        .registry
        .support_queue(&viewer.caller)
        .await?
        .into_iter()
        .filter(|v| filter.queue.is_empty() || v.queue == filter.queue)
        .filter(|v| filter.overdue.is_empty() || v.overdue)
        .collect();
    let page = ListPage {
        user_name: session.user.display_name.clone(),
        csrf: viewer.csrf().to_owned(),
        title: "Очередь обращений",
        queue: true,
        filter: (filter.queue.clone(), !filter.overdue.is_empty()),
        rows: views.iter().map(row).collect(),
        may_handle: true,
    };
    Ok(render(&page))
}

#[derive(Template)]
#[template(path = "support_request.html")]
struct RequestPage {
    user_name: String,
    csrf: String,
    view: SupportView,
    created: String,
    due: String,
    messages: Vec<(String, String, bool, String, &'static str)>,
    topics: Vec<(&'static str, &'static str)>,
    /// A refused step: its problems, and the field's id with the text typed in it.
    errors: FormErrors,
    typed: (&'static str, String),
    done: Option<crate::notice::Confirmation>,
    open: bool,
}

/// What the last step on a request did.
#[derive(Default)]
struct StepOutcome {
    errors: FormErrors,
    typed: (&'static str, String),
    /// `?done=sent`: the request was just filed.
    sent: bool,
}

fn ticket(text: &str) -> Result<i64, RegistryError> {
    text.parse().map_err(|_| RegistryError::NotFound(format!("Обращение «{text}» не найдено")))
}

async fn request_page(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
    outcome: StepOutcome,
) -> Result<Response, PageError> {
    let session = viewer.require(state).await?;
    viewer.authorize(state, Action::AskSupport, Target::None).await?;
    let id = ticket(id)?;
    let view = state.registry.support_request(&viewer.caller, id).await?;
    let messages = view
        .messages
        .iter()
        .map(|m| {
            (
                frmo_registry::support::format_time(m.at),
                m.actor.clone(),
                m.staff,
                m.body.clone(),
                m.status.map_or("", SupportStatus::label),
            )
        })
        .collect();
    let due = frmo_registry::support::format_time(view.due_at);
    let done = (outcome.sent && view.author).then(|| {
        let mut done = crate::notice::Confirmation::new("support-sent", "Обращение отправлено", &[])
            .reference("Номер обращения", view.number.clone());
        done.next = vec![
            format!("Обращение {} принято в очередь «{}». Ответ — до {due} (МСК).", view.number, view.queue_label),
            "Уведомление об ответе придёт в кабинет и на электронную почту.".to_owned(),
        ];
        done
    });
    let page = RequestPage {
        user_name: session.user.display_name.clone(),
        csrf: viewer.csrf().to_owned(),
        created: frmo_registry::support::format_time(view.created_at),
        due,
        open: view.status.is_open(),
        view,
        messages,
        topics: topics(),
        errors: outcome.errors,
        typed: outcome.typed,
        done,
    };
    Ok((page.errors.status(), render(&page)).into_response())
}

/// `GET /cabinet/support/{ticket}`
pub(crate) async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    raw: axum::extract::RawQuery,
) -> Result<Response, PageError> {
    let query: crate::notice::DoneQuery = crate::query::parse(raw)?;
    let outcome = StepOutcome { sent: query.done.as_deref() == Some("sent"), ..StepOutcome::default() };
    request_page(&state, &viewer, &id, outcome).await
}

/// The field a step's form writes in, by the step: where its problems are shown.
fn step_field(action: &str) -> &'static str {
    match action {
        "reply" => "reply-text",
        "rate" => "rate-text",
        "reopen" => "reopen-text",
        "reclassify" => "new-topic",
        _ => "answer-text",
    }
}

#[derive(Deserialize)]
pub(crate) struct StepInput {
    csrf: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    topic: String,
    #[serde(default)]
    rating: String,
    #[serde(default)]
    revision: String,
}

/// `POST /cabinet/support/{ticket}/step`: an answer, reply, status change, re-classification or
/// rating; errors are shown on the request's page.
pub(crate) async fn step(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Form(input): Form<StepInput>,
) -> Result<Response, PageError> {
    viewer.require(&state).await?;
    viewer.authorize(&state, Action::AskSupport, Target::None).await?;
    viewer.check_csrf(&input.csrf)?;
    let number = ticket(&id)?;
    let field = step_field(&input.action);
    let typed = (field, input.text.clone());
    let form = StepForm {
        action: input.action,
        text: input.text,
        topic: input.topic,
        rating: input.rating,
        revision: input.revision.trim().parse().unwrap_or_default(),
    };
    match state.registry.support_step(&viewer.caller, number, form).await {
        Ok(_) => Ok(Redirect::to(&format!("/cabinet/support/{number}")).into_response()),
        Err(error) => {
            // Every problem of a step is about its one field, whatever the registry names it.
            let errors = FormErrors::from_registry(error, "", &[field])?;
            request_page(&state, &viewer, &id, StepOutcome { errors, typed, sent: false }).await
        }
    }
}

/// `GET /cabinet/support/{ticket}/files/{file}`
pub(crate) async fn attachment(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, file)): Path<(String, String)>,
) -> Result<Response, PageError> {
    viewer.require(&state).await?;
    viewer.authorize(&state, Action::AskSupport, Target::None).await?;
    let file = ticket(&file)?;
    let (found, bytes) = state.registry.support_attachment(&viewer.caller, ticket(&id)?, file).await?;
    let media = match found.format.as_str() {
        "pdf" => "application/pdf",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "jpg" => "image/jpeg",
        "png" => "image/png",
        _ => "application/octet-stream",
    };
    let ascii: String =
        found.name.chars().map(|c| if c.is_ascii_alphanumeric() || ".-_".contains(c) { c } else { '_' }).collect();
    let mut headers = HeaderMap::new();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(media));
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{ascii}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    Ok((headers, bytes).into_response())
}
