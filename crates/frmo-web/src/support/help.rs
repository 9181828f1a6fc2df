//! The help centre: `/support` with its search, the articles, suggestions as JSON for the form's
//! script, and the administrators' article editor.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Form, Json};
use frmo_domain::access::{Action, Target};
use frmo_registry::support::help;
use serde::Deserialize;
use serde_json::json;

use super::form::topics;
use crate::AppState;
use crate::error::{PageError, render};
use crate::form::FormErrors;
use crate::i18n::filters;
use crate::identity::session::Viewer;

#[derive(Deserialize, Default)]
pub(super) struct HelpQuery {
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
pub(super) async fn help_centre(
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
        may_edit: state.registry.may_at_all(viewer.actor(), Action::Administer),
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
pub(super) async fn article(
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
        may_edit: state.registry.may_at_all(viewer.actor(), Action::Administer),
    }))
}

/// `GET /support/suggest?q=…`: articles for a request being typed (JSON).
pub(super) async fn suggest(
    State(state): State<AppState>,
    Query(query): Query<HelpQuery>,
) -> Result<Response, PageError> {
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
    viewer.require(&state).await?;
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
    match state.registry.save_help_article(&viewer.caller, form.clone()).await {
        Ok(slug) => Ok(Redirect::to(&format!("/support/articles/{slug}")).into_response()),
        Err(error) => {
            let first = if new { "slug" } else { "title" };
            let errors = FormErrors::from_registry(error, "", &[first, "title", "topic", "keywords", "body"])?;
            edit_page(&state, &viewer, form, new, errors).await
        }
    }
}

/// The form's script: suggests articles while the request is typed (the form works without it).
pub(super) async fn script() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")],
        include_str!("../../static/support.js"),
    )
}
