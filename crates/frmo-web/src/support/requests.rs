//! Support in the cabinet and on the public site: the request form (with suggested help articles),
//! «Мои обращения», a request's page with its conversation and the steps the viewer may take, the
//! operators' queue, attachments, and the help centre (`/support`, articles, suggestions as JSON
//! for the form's script). Public routes are here too; cabinet routes are declared in
//! `cabinet::ROUTES`.

use askama::Template;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Json, Router};
use frmo_domain::access::{Action, Target};
use frmo_registry::RegistryError;
use frmo_registry::support::classifier::Topic;
use frmo_registry::support::help;
use frmo_registry::support::requests::{MAX_ATTACHMENTS, StepForm, SupportForm, SupportView, status_label};
use serde::Deserialize;
use serde_json::json;

use crate::AppState;
use crate::error::{PageError, render};
use crate::form::FormErrors;
use crate::i18n::filters;
use crate::identity::session::Viewer;
use crate::multipart::FileField;

/// The public routes of support and the help centre.
pub fn public_router() -> Router<AppState> {
    Router::new()
        .route("/support", get(help_centre))
        .route("/support/articles/{slug}", get(article))
        .route("/support/suggest", get(suggest))
        .route("/support/new", get(public_form).post(public_submit).layer(axum::extract::DefaultBodyLimit::disable()))
        .route("/static/support.js", get(script))
}

/// What the form is pre-filled with (from an error page: its code, request id and page).
#[derive(Deserialize, Default)]
pub(crate) struct Prefill {
    #[serde(default)]
    code: String,
    #[serde(default)]
    request: String,
    #[serde(default)]
    page: String,
    #[serde(default)]
    topic: String,
}

#[derive(Template)]
#[template(path = "support_form.html")]
struct FormPage {
    /// Signed in: the cabinet's navigation and form.
    user_name: Option<String>,
    csrf: String,
    action: &'static str,
    topics: Vec<(&'static str, &'static str)>,
    form: SupportForm,
    orgs: Vec<(String, String)>,
    errors: FormErrors,
    max_files: usize,
    max_size: String,
    suggestions: Vec<(String, String)>,
}

fn topics() -> Vec<(&'static str, &'static str)> {
    Topic::ALL.iter().map(|t| (t.as_str(), t.label())).collect()
}

fn max_size(state: &AppState) -> (u64, String) {
    let bytes = state.registry.documents_settings().map_or(10 * 1024 * 1024, |d| d.settings.max_bytes);
    (bytes, frmo_registry::documents::megabytes(bytes))
}

/// How many files the viewer may attach, and how large each (the anonymous: fewer, smaller).
fn attachment_limits(state: &AppState, viewer: &Viewer) -> (usize, u64) {
    let (bytes, _) = max_size(state);
    match viewer.session {
        Some(_) => (MAX_ATTACHMENTS, bytes),
        None => {
            let limits = state.registry.limits();
            (limits.anonymous_support_files, bytes.min(limits.anonymous_support_file_bytes))
        }
    }
}

async fn form_page(
    state: &AppState,
    viewer: &Viewer,
    form: SupportForm,
    errors: FormErrors,
    csrf: String,
) -> Result<FormPage, PageError> {
    let (user_name, orgs, action) = match &viewer.session {
        Some(session) => {
            let orgs = state.registry.my_organizations(session).await?;
            (
                Some(session.user.display_name.clone()),
                orgs.into_iter().map(|o| (o.oid, o.name)).collect(),
                "/cabinet/support",
            )
        }
        None => (None, Vec::new(), "/support/new"),
    };
    let (max_files, max_bytes) = attachment_limits(state, viewer);
    let articles = state.registry.help_articles().await?;
    let suggestions =
        help::search_in(&articles, &form.text, 3).iter().map(|a| (a.slug.clone(), a.title.clone())).collect();
    Ok(FormPage {
        user_name,
        csrf,
        action,
        topics: topics(),
        form,
        orgs,
        errors,
        max_files,
        max_size: frmo_registry::documents::megabytes(max_bytes),
        suggestions,
    })
}

fn prefilled(prefill: Prefill) -> SupportForm {
    let short = |s: String| s.chars().filter(|c| !c.is_control()).take(300).collect::<String>();
    SupportForm {
        topic: prefill.topic,
        error_code: short(prefill.code),
        error_request: short(prefill.request),
        page: short(prefill.page),
        ..SupportForm::default()
    }
}

/// `GET /support/new`: the public form (a signed-in person is sent to the cabinet's).
async fn public_form(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    Query(prefill): Query<Prefill>,
) -> Result<Response, PageError> {
    if viewer.session.is_some() {
        let query = serde_urlencoded(&prefill);
        return Ok(Redirect::to(&format!("/cabinet/support/new?{query}")).into_response());
    }
    let (csrf, cookie) = crate::identity::auth::form_token(&state, &headers);
    let page = form_page(&state, &viewer, prefilled(prefill), FormErrors::none(), csrf).await?;
    let mut response = render(&page);
    if let Some(cookie) = cookie {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    Ok(response)
}

fn serde_urlencoded(prefill: &Prefill) -> String {
    let encode = |s: &str| {
        s.bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect::<String>()
    };
    format!(
        "code={}&request={}&page={}&topic={}",
        encode(&prefill.code),
        encode(&prefill.request),
        encode(&prefill.page),
        encode(&prefill.topic)
    )
}

/// `GET /cabinet/support/new`
pub(crate) async fn cabinet_form(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(prefill): Query<Prefill>,
) -> Result<Response, PageError> {
    viewer.authorize(&state, Action::AskSupport, Target::None).await?;
    let csrf = viewer.csrf().to_owned();
    Ok(render(&form_page(&state, &viewer, prefilled(prefill), FormErrors::none(), csrf).await?))
}

/// Reads the multipart form (fields, then up to five files) and files the request.
async fn submit(
    state: &AppState,
    viewer: &Viewer,
    request: Request,
) -> Result<Result<i64, (SupportForm, FormErrors)>, PageError> {
    let (_, limit) = attachment_limits(state, viewer);
    let files = [FileField { name: "files", label: "Вложения", limit }];
    let received = match crate::multipart::read(state, viewer, None, request, &files).await {
        Ok(received) => received,
        Err(error) => return Ok(Err((SupportForm::default(), support_form_errors(error)?))),
    };
    let mut form = SupportForm::default();
    for (name, value) in received.fields {
        match name.as_str() {
            "topic" => form.topic = value,
            "text" => form.text = value,
            "email" => form.email = value,
            "org" => form.org_oid = value,
            "page" => form.page = value,
            "code" => form.error_code = value,
            "request" => form.error_request = value,
            _ => {}
        }
    }
    let attachments = received.files.into_iter().map(|(_, staged)| staged).collect();
    match state.registry.submit_support_request(&viewer.actor(), form.clone(), attachments, &viewer.request_id).await {
        Ok(id) => Ok(Ok(id)),
        Err(error) => Ok(Err((form, support_form_errors(error)?))),
    }
}

/// The support form's problems, next to its fields (the text's field is `support-text`).
fn support_form_errors(error: RegistryError) -> Result<FormErrors, RegistryError> {
    let errors = FormErrors::from_registry(error, "", &["text", "topic", "org", "email", "files"])?;
    Ok(errors.renamed("text", "support-text"))
}

/// `POST /support/new` (multipart): the public form.
async fn public_submit(State(state): State<AppState>, viewer: Viewer, request: Request) -> Result<Response, PageError> {
    if viewer.session.is_some() {
        return cabinet_submit(State(state), viewer, request).await;
    }
    match submit(&state, &viewer, request).await? {
        Ok(id) => {
            let number = state.registry.support_request_number(id).await?.unwrap_or_default();
            let page = crate::identity::auth::MessagePage {
                title: "Обращение принято",
                paragraphs: vec![
                    format!("Номер обращения: {number}."),
                    "Подтверждение и ответ придут на указанную электронную почту.".into(),
                ],
                code: None,
                request_id: "",
                back_href: "/support",
                back_label: "В центр помощи",
            };
            Ok(render(&page))
        }
        Err((form, errors)) => {
            let csrf = viewer.form_cookie.clone().unwrap_or_default();
            let page = form_page(&state, &viewer, form, errors, csrf).await?;
            Ok((StatusCode::BAD_REQUEST, render(&page)).into_response())
        }
    }
}

/// `POST /cabinet/support` (multipart)
pub(crate) async fn cabinet_submit(
    State(state): State<AppState>,
    viewer: Viewer,
    request: Request,
) -> Result<Response, PageError> {
    viewer.authorize(&state, Action::AskSupport, Target::None).await?;
    match submit(&state, &viewer, request).await? {
        Ok(id) => Ok(Redirect::to(&crate::notice::to(&format!("/cabinet/support/{id}"), "sent")).into_response()),
        Err((form, errors)) => {
            let csrf = viewer.csrf().to_owned();
            let page = form_page(&state, &viewer, form, errors, csrf).await?;
            Ok((StatusCode::BAD_REQUEST, render(&page)).into_response())
        }
    }
}

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
    let excerpt: String = view.record.body.chars().take(80).collect();
    Row {
        id: view.record.id,
        number: view.number.clone(),
        topic: view.topic_label,
        queue: view.queue_label,
        status: view.status_label,
        created: frmo_registry::support::format_time(view.record.created_at),
        due: frmo_registry::support::format_time(view.record.due_at),
        overdue: view.overdue,
        excerpt: if view.record.body.chars().count() > 80 { format!("{excerpt}…") } else { excerpt },
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
    let views = state.registry.my_support_requests(&session.actor(), &viewer.request_id).await?;
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
        .support_queue(&session.actor(), &viewer.request_id)
        .await?
        .into_iter()
        .filter(|v| filter.queue.is_empty() || v.record.queue == filter.queue)
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
    let view = state.registry.support_request(&session.actor(), id, &viewer.request_id).await?;
    let messages = view
        .messages
        .iter()
        .map(|m| {
            (
                frmo_registry::support::format_time(m.at),
                m.actor.clone(),
                m.staff,
                m.body.clone(),
                m.status.as_deref().map_or("", status_label),
            )
        })
        .collect();
    let due = frmo_registry::support::format_time(view.record.due_at);
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
        created: frmo_registry::support::format_time(view.record.created_at),
        due,
        open: !matches!(view.record.status.as_str(), "resolved" | "closed"),
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
    let session = viewer.require(&state).await?;
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
    match state.registry.support_step(&session.actor(), number, form, &viewer.request_id).await {
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
    let session = viewer.require(&state).await?;
    viewer.authorize(&state, Action::AskSupport, Target::None).await?;
    let file = ticket(&file)?;
    let (found, bytes) =
        state.registry.support_attachment(&session.actor(), ticket(&id)?, file, &viewer.request_id).await?;
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

#[derive(Deserialize, Default)]
struct HelpQuery {
    #[serde(default)]
    q: String,
}

#[derive(Template)]
#[template(path = "help.html")]
struct HelpPage {
    q: String,
    results: Vec<(String, String, String)>,
    searched: bool,
    may_edit: bool,
}

/// `GET /support`: the help centre with its search.
async fn help_centre(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<HelpQuery>,
) -> Result<Response, PageError> {
    let q: String = query.q.chars().take(200).collect();
    let articles = state.registry.help_articles().await?;
    let found: Vec<&help::Article> =
        if q.trim().is_empty() { articles.iter().collect() } else { help::search_in(&articles, &q, 20) };
    let page = HelpPage {
        searched: !q.trim().is_empty(),
        results: found.iter().map(|a| (a.slug.clone(), a.title.clone(), a.summary())).collect(),
        q,
        may_edit: state.registry.may_at_all(&viewer.actor(), Action::Administer),
    };
    Ok(render(&page))
}

#[derive(Template)]
#[template(path = "help_article.html")]
struct ArticlePage {
    slug: String,
    title: String,
    version: u32,
    updated: String,
    html: String,
    topic: String,
    may_edit: bool,
}

/// `GET /support/articles/{slug}`
async fn article(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(slug): Path<String>,
) -> Result<Response, PageError> {
    let article = state.registry.help_article(&slug).await?;
    Ok(render(&ArticlePage {
        html: article.html(),
        slug: article.slug,
        title: article.title,
        version: article.version,
        updated: article.updated,
        topic: article.topic,
        may_edit: state.registry.may_at_all(&viewer.actor(), Action::Administer),
    }))
}

/// `GET /support/suggest?q=…`: articles for a request being typed (JSON).
async fn suggest(State(state): State<AppState>, Query(query): Query<HelpQuery>) -> Result<Response, PageError> {
    let q: String = query.q.chars().take(2000).collect();
    let articles = state.registry.help_articles().await?;
    let items: Vec<_> = help::search_in(&articles, &q, 3)
        .iter()
        .map(|a| json!({"slug": a.slug, "title": a.title, "href": format!("/support/articles/{}", a.slug)}))
        .collect();
    Ok(Json(json!({ "articles": items })).into_response())
}

#[derive(Template)]
#[template(path = "help_edit.html")]
struct EditPage {
    user_name: String,
    csrf: String,
    form: help::ArticleForm,
    new: bool,
    topics: Vec<(&'static str, &'static str)>,
    errors: FormErrors,
}

async fn edit_page(
    state: &AppState,
    viewer: &Viewer,
    form: help::ArticleForm,
    new: bool,
    errors: FormErrors,
) -> Result<Response, PageError> {
    let session = viewer.require(state).await?;
    let status = errors.status();
    let page = EditPage {
        user_name: session.user.display_name.clone(),
        csrf: viewer.csrf().to_owned(),
        form,
        new,
        topics: topics(),
        errors,
    };
    Ok((status, render(&page)).into_response())
}

/// `GET /cabinet/help/{slug}/edit` (`new` for a new article): administrators edit the help centre.
pub(crate) async fn edit_article(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(slug): Path<String>,
) -> Result<Response, PageError> {
    viewer.require(&state).await?;
    viewer.authorize(&state, Action::Administer, Target::None).await?;
    if slug == "new" {
        return edit_page(&state, &viewer, help::ArticleForm::default(), true, FormErrors::none()).await;
    }
    let article = state.registry.help_article(&slug).await?;
    let form = help::ArticleForm {
        slug: article.slug,
        title: article.title,
        topic: article.topic,
        keywords: article.keywords.join(", "),
        body: article.body,
        version: i64::from(article.version),
    };
    edit_page(&state, &viewer, form, false, FormErrors::none()).await
}

#[derive(Deserialize)]
pub(crate) struct ArticleInput {
    csrf: String,
    #[serde(default)]
    slug: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    topic: String,
    #[serde(default)]
    keywords: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    version: String,
}

/// `POST /cabinet/help/{slug}` (`new` for a new article): saves a new version.
pub(crate) async fn save_article(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(slug): Path<String>,
    Form(input): Form<ArticleInput>,
) -> Result<Response, PageError> {
    let session = viewer.require(&state).await?;
    viewer.authorize(&state, Action::Administer, Target::None).await?;
    viewer.check_csrf(&input.csrf)?;
    let new = slug == "new";
    let form = help::ArticleForm {
        slug: if new { input.slug } else { slug },
        title: input.title,
        topic: input.topic,
        keywords: input.keywords,
        body: input.body,
        version: input.version.trim().parse().unwrap_or_default(),
    };
    match state.registry.save_help_article(&session.actor(), form.clone(), &viewer.request_id).await {
        Ok(slug) => Ok(Redirect::to(&format!("/support/articles/{slug}")).into_response()),
        Err(error) => {
            let first = if new { "slug" } else { "title" };
            let errors = FormErrors::from_registry(error, "", &[first, "title", "topic", "keywords", "body"])?;
            edit_page(&state, &viewer, form, new, errors).await
        }
    }
}

/// The form's script: suggests articles while the request is typed (the form works without it).
async fn script() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")],
        include_str!("../../static/support.js"),
    )
}
