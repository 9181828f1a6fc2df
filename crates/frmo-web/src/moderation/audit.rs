//! The audit pages: the journal of access denials, and the whole journal as CSV for auditors.

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Response};

use crate::AppState;
use crate::error::{PageError, render};
use crate::format_time;
use crate::i18n::filters;
use crate::identity::session::Viewer;

#[derive(Template)]
#[template(path = "denials.html")]
struct DenialsPage {
    user_name: String,
    csrf: String,
    denials: Vec<(String, String, String, String, String, String)>,
    pager: crate::pager::Pager,
}

/// The newest denials the page lists, in pages (older ones are in the journal's CSV).
const DENIALS_LISTED: i64 = 2000;

pub(super) async fn denials(
    State(state): State<AppState>,
    viewer: Viewer,
    raw: axum::extract::RawQuery,
) -> Result<Response, PageError> {
    let session = viewer.require(&state).await?;
    let list = state.registry.denials(&viewer.caller, DENIALS_LISTED).await?;
    let pager =
        crate::pager::Pager::of_query(list.len(), "/cabinet/audit/denials", raw.0.as_deref(), crate::pager::PAGE_SIZE);
    let page = DenialsPage {
        user_name: session.user.display_name.clone(),
        csrf: viewer.csrf().to_owned(),
        denials: pager
            .slice(list)
            .into_iter()
            .map(|d| {
                (
                    format_time(d.at),
                    d.user_id.map_or_else(|| "аноним".into(), |id| id.to_string()),
                    d.action,
                    d.target,
                    d.code,
                    d.request_id,
                )
            })
            .collect(),
        pager,
    };
    Ok(render(&page))
}

/// The whole audit journal as CSV (`;`, UTF-8), streamed a page at a time; the export is journaled.
pub(super) async fn journal_csv(State(state): State<AppState>, viewer: Viewer) -> Result<Response, PageError> {
    viewer.require(&state).await?;
    state.registry.begin_journal_export(&viewer.caller).await?;
    let (sink, pages) = tokio::sync::mpsc::channel(4);
    let registry = state.registry.clone();
    tokio::spawn(async move { registry.export_journal(sink).await });
    let body = futures_util::stream::unfold(pages, |mut pages| async move {
        let page = pages.recv().await?;
        let chunk = page.map_err(|error| {
            tracing::error!(%error, "audit journal export failed");
            std::io::Error::other("export failed")
        });
        Some((chunk, pages))
    });
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (axum::http::header::CONTENT_DISPOSITION, "attachment; filename=\"audit-journal.csv\""),
        ],
        axum::body::Body::from_stream(body),
    )
        .into_response())
}
