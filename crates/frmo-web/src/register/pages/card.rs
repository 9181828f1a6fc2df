//! `GET /organizations/{oid}` — the organization card: requisites, addresses, structure
//! (departments → subdivisions → beds), buildings and licences, as of any date.

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use frmo_domain::access::Actor;
use frmo_domain::org::{LicensedWork, OrgStatus, Organization};
use frmo_domain::reference;
use frmo_registry::RegistryError;
use frmo_registry::register::search::{format_date, parse_date};
use serde::Deserialize;
use time::Date;

use crate::AppState;
use crate::error::{PageError, render};
use crate::i18n::filters;
use crate::query;

#[derive(Default, Deserialize)]
pub struct CardParams {
    as_of: Option<String>,
}

#[derive(Template)]
#[template(path = "card.html")]
pub struct CardPage {
    pub org: Organization,
    pub as_of: String,
    pub as_of_label: Option<String>,
    pub valid_from: String,
    /// The current public documents (licences); shown on the current card only.
    pub documents: Vec<frmo_registry::documents::DocumentView>,
    /// Asked for a date before the organization was in the register: said so, above its current card.
    pub before_existence: Option<String>,
}

/// The `as_of` parameter, if given.
fn as_of(params: &CardParams) -> Result<Option<Date>, RegistryError> {
    params
        .as_of
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(|v| parse_date("as_of", "Дата", v))
        .transpose()
        .map_err(RegistryError::invalid)
}

/// `GET /organizations/{oid}/card.pdf[?as_of=]`: the card to print or keep.
pub async fn pdf(State(state): State<AppState>, Path(oid): Path<String>, raw: RawQuery) -> Result<Response, PageError> {
    let params: CardParams = query::parse(raw)?;
    let as_of = as_of(&params)?;
    let bytes = state.registry.card_pdf(&Actor::Anonymous, &frmo_registry::register::public_oid(&oid)?, as_of).await?;
    let name = format!(
        "attachment; filename=\"card-{}.pdf\"",
        oid.replace(|c: char| !c.is_ascii_alphanumeric() && c != '.', "")
    );
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, "application/pdf".to_owned()),
            (axum::http::header::CONTENT_DISPOSITION, name),
        ],
        bytes,
    )
        .into_response())
}

pub async fn page(
    State(state): State<AppState>,
    Path(oid): Path<String>,
    raw: RawQuery,
) -> Result<Response, PageError> {
    let params: CardParams = query::parse(raw)?;
    let as_of = as_of(&params)?;
    let oid = frmo_registry::register::public_oid(&oid)?;
    let (card, as_of, before_existence) = match state.registry.card(&Actor::Anonymous, &oid, as_of).await {
        Ok(card) => (card, as_of, None),
        // A date before the organization's first version: its current card, with the date said.
        Err(RegistryError::NotFound(_)) if let Some(day) = as_of => {
            let card = state.registry.card(&Actor::Anonymous, &oid, None).await?;
            let since = format_date(card.row.valid_from.date());
            let note = format!(
                "На {} организации в реестре ещё не было: её запись действует с {since}. Ниже — текущая карточка.",
                format_date(day)
            );
            (card, None, Some(note))
        }
        Err(other) => return Err(other.into()),
    };
    let documents =
        if as_of.is_none() { state.registry.public_documents(&card.organization.oid).await? } else { Vec::new() };
    let page = CardPage {
        documents,
        as_of: as_of.map(|d| d.to_string()).unwrap_or_default(),
        as_of_label: as_of.map(format_date),
        valid_from: format_date(card.row.valid_from.date()),
        org: card.organization,
        before_existence,
    };
    Ok(render(&page))
}

impl CardPage {
    pub fn name_in(&self, directory: &str, id: &u32) -> String {
        reference::get(directory).and_then(|d| d.name_of(*id)).map_or_else(|| id.to_string(), str::to_owned)
    }

    pub fn date(&self, date: &Date) -> String {
        format_date(*date)
    }

    pub fn active(&self) -> bool {
        self.org.status == OrgStatus::Active
    }

    pub fn works(&self) -> Vec<(usize, &LicensedWork)> {
        fn walk<'a>(works: &'a [LicensedWork], depth: usize, out: &mut Vec<(usize, &'a LicensedWork)>) {
            for work in works {
                out.push((depth, work));
                walk(&work.children, depth + 1, out);
            }
        }
        let mut out = Vec::new();
        for licence in &self.org.licences {
            for place in &licence.places {
                walk(&place.works, 0, &mut out);
            }
        }
        out
    }
}
