//! Open data: the published versions of НСИ 1461 with their files and change lists (public), the
//! same in the API with the incremental feed, and the administrator's «Опубликовать» button.

use askama::Template;
use axum::Json;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use frmo_domain::access::{Action, Target};
use frmo_registry::RegistryError;
use frmo_registry::register::nsi::{FIELDS, json_record};
use frmo_registry::register::publication::{Change, Publication, change_label};
use frmo_registry::reports::jobs::JobSpec;
use serde::Deserialize;
use serde_json::json;

use crate::AppState;
use crate::error::{ApiError, PageError, render};
use crate::i18n::filters;
use crate::identity::session::Viewer;
use crate::multipart::invalid;
use crate::query::ApiQuery;
use crate::register::api::ApiPath;

/// A published version as the page shows it.
struct VersionRow {
    version: i64,
    published: String,
    records: i64,
    added: i64,
    changed: i64,
    closed: i64,
    files: Vec<FileRow>,
}

struct FileRow {
    name: String,
    format: String,
    size_kb: u64,
    sha256: String,
}

fn version_row(p: &Publication) -> VersionRow {
    let v = &p.version;
    VersionRow {
        version: v.version,
        published: published_label(v.published_at),
        records: v.records,
        added: v.added,
        changed: v.changed,
        closed: v.closed,
        files: p
            .files
            .iter()
            .map(|f| FileRow {
                name: f.name.clone(),
                format: f.format.to_uppercase(),
                size_kb: f.size.div_ceil(1024),
                sha256: f.sha256.clone(),
            })
            .collect(),
    }
}

#[derive(Template)]
#[template(path = "open_data.html")]
struct OpenDataPage {
    versions: Vec<VersionRow>,
    /// The administrator's form token (empty: no publish button).
    publish_csrf: String,
}

fn published_label(at: i64) -> String {
    frmo_domain::date::moscow_time(at)
}

/// `GET /open-data`
pub async fn page(State(state): State<AppState>, viewer: Viewer) -> Result<Response, PageError> {
    let publications = state.registry.nsi_publications().await?;
    let admin = state.registry.may_at_all(viewer.actor(), Action::Administer) && viewer.session.is_some();
    let versions = publications.iter().map(version_row).collect();
    Ok(render(&OpenDataPage { versions, publish_csrf: if admin { viewer.csrf().to_owned() } else { String::new() } }))
}

pub(crate) fn version_number(text: &str) -> Result<i64, RegistryError> {
    text.parse().map_err(|_| RegistryError::NotFound(format!("Версии «{text}» справочника нет.")))
}

/// `GET /open-data/1461/{version}/files/{name}`
pub async fn file(
    State(state): State<AppState>,
    Path((version, name)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let download = state.registry.nsi_file(version_number(&version)?, &name).await?;
    Ok(crate::documents::stream(download))
}

#[derive(Template)]
#[template(path = "open_data_changes.html")]
struct ChangesPage {
    version: VersionRow,
    /// OID, short name, what happened.
    changes: Vec<(String, String, &'static str)>,
}

/// `GET /open-data/1461/{version}`: what the version changed.
pub async fn changes(State(state): State<AppState>, Path(version): Path<String>) -> Result<Response, PageError> {
    let (publication, changes) = state.registry.nsi_version_changes(version_number(&version)?).await?;
    let changes = changes
        .into_iter()
        .map(|c| (c.oid, c.record.get(4).cloned().unwrap_or_default(), change_label(&c.change)))
        .collect();
    Ok(render(&ChangesPage { version: version_row(&publication), changes }))
}

fn publication_json(p: &Publication) -> serde_json::Value {
    let v = &p.version;
    json!({
        "version": v.version,
        "publishedAt": v.published_at,
        "records": v.records,
        "added": v.added,
        "changed": v.changed,
        "closed": v.closed,
        "files": p.files.iter().map(|f| json!({
            "format": f.format,
            "name": f.name,
            "size": f.size,
            "sha256": f.sha256,
            "url": format!("/open-data/1461/{}/files/{}", v.version, f.name),
        })).collect::<Vec<_>>(),
    })
}

/// The changes as JSON: each with its 1461 record, fields in the loaders' order.
fn changes_json(publication: &Publication, changes: &[Change], since: Option<i64>) -> Result<Response, ApiError> {
    let mut body = Vec::with_capacity(256 + changes.len() * 1200);
    let head = json!({ "version": publication.version.version, "since": since, "fields": FIELDS.as_slice() });
    let head = head.to_string();
    body.extend_from_slice(&head.as_bytes()[..head.len() - 1]);
    body.extend_from_slice(b",\"changes\":[");
    for (i, change) in changes.iter().enumerate() {
        if i > 0 {
            body.push(b',');
        }
        body.extend_from_slice(
            json!({ "oid": change.oid, "change": change.change }).to_string().trim_end_matches('}').as_bytes(),
        );
        body.extend_from_slice(b",\"record\":");
        body.extend_from_slice(&json_record(&change.record)?);
        body.push(b'}');
    }
    body.extend_from_slice(b"]}");
    Ok(([(axum::http::header::CONTENT_TYPE, "application/json")], body).into_response())
}

/// `GET /api/v1/nsi/1461/versions`
pub async fn api_versions(State(state): State<AppState>) -> Result<Response, ApiError> {
    let publications = state.registry.nsi_publications().await?;
    Ok(Json(json!({ "identifier": "1.2.643.5.1.13.13.11.1461", "versions": publications.iter().map(publication_json).collect::<Vec<_>>() })).into_response())
}

/// `GET /api/v1/nsi/1461/versions/{version}/changes`
pub async fn api_version_changes(
    State(state): State<AppState>,
    ApiPath(version): ApiPath<String>,
) -> Result<Response, ApiError> {
    let (publication, changes) = state.registry.nsi_version_changes(version_number(&version)?).await?;
    changes_json(&publication, &changes, Some(publication.version.version - 1))
}

#[derive(Default, Deserialize)]
pub struct FeedQuery {
    since: Option<String>,
}

/// `GET /api/v1/nsi/1461/changes?since=N`: the incremental feed.
pub async fn api_feed(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<FeedQuery>,
) -> Result<Response, ApiError> {
    let since = match query.since.as_deref().map(str::trim) {
        None => {
            return Err(invalid(
                "since",
                "С версии",
                "обязательный параметр: номер версии, после которой нужны изменения",
            )
            .into());
        }
        Some(since) => since.parse().ok().filter(|n| *n >= 1).ok_or_else(|| {
            invalid("since", "С версии", format!("«{since}» — ожидается номер версии, целое число от 1"))
        })?,
    };
    let (latest, changes) = state.registry.nsi_feed(since).await?;
    changes_json(&latest, &changes, Some(since))
}

#[derive(Deserialize)]
pub struct PublishForm {
    #[serde(default)]
    csrf: String,
}

/// `POST /cabinet/open-data/publish`: an administrator publishes a new version (in the background).
pub async fn publish(
    State(state): State<AppState>,
    viewer: Viewer,
    axum::Form(form): axum::Form<PublishForm>,
) -> Result<Response, PageError> {
    viewer.authorize(&state, Action::Administer, Target::None).await?;
    viewer.check_csrf(&form.csrf)?;
    let id = state.registry.start_job(&viewer.caller, JobSpec::Publish).await?;
    Ok(Redirect::to(&format!("/cabinet/jobs/{id}")).into_response())
}
