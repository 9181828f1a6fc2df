//! The support request form, on the public site and in the cabinet (with suggested help articles,
//! attachments, and a pre-fill from an error page).

use askama::Template;
use axum::extract::{Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use frmo_domain::access::{Action, Target};
use frmo_registry::RegistryError;
use frmo_registry::support::classifier::Topic;
use frmo_registry::support::help;
use frmo_registry::support::requests::{MAX_ATTACHMENTS, SupportForm};
use serde::Deserialize;

use crate::AppState;
use crate::error::{PageError, render};
use crate::form::FormErrors;
use crate::i18n::filters;
use crate::identity::session::Viewer;
use crate::multipart::FileField;

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

pub(super) fn topics() -> Vec<(&'static str, &'static str)> {
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
pub(super) async fn public_form(
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
    match state.registry.submit_support_request(&viewer.caller, form.clone(), attachments).await {
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
pub(super) async fn public_submit(
    State(state): State<AppState>,
    viewer: Viewer,
    request: Request,
) -> Result<Response, PageError> {
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
