//! Searching the register: the raw parameters people and systems send, their parsing into a typed
//! query (bad input stops here, naming the field), and the search itself — exact identifier hits
//! first, then names ranked by relevance, filtered by region, type, kind, status and date.

use frmo_domain::access::{Action, Actor};
use frmo_domain::error::ValidationError;
use frmo_domain::ident::{DepartmentOid, Inn, Kpp, Ogrn, Ogrnip, OrgOid, RegionCode, SubdivisionOid};
use frmo_domain::org::OrgStatus;
use frmo_domain::reference;
use frmo_store::search::head::key_of;
use frmo_store::search::index::{Cursor, IndexQuery};
use frmo_store::search::normalize;
use frmo_store::{Identifier, ListItem, micros};
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

use crate::{Registry, RegistryError, Result, end_of_day};

pub const DEFAULT_LIMIT: usize = 20;
pub const MAX_LIMIT: usize = 100;

/// Search parameters as they arrive (query string of the page or the API). Every field is text so
/// that a wrong value becomes a field-level message rather than a rejected request. Serialising
/// gives the query string back (absent fields are left out), for "next page" links.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct SearchParams {
    pub q: Option<String>,
    pub inn: Option<String>,
    pub ogrn: Option<String>,
    pub kpp: Option<String>,
    pub oid: Option<String>,
    pub region: Option<String>,
    #[serde(rename = "type")]
    pub org_type: Option<String>,
    pub kind: Option<String>,
    pub status: Option<String>,
    pub as_of: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<String>,
}

/// A parsed search.
#[derive(Debug, Clone, Default)]
pub struct SearchQuery {
    pub text: Option<String>,
    pub inn: Option<Inn>,
    /// ОГРН or ОГРНИП, both searched in one column.
    pub ogrn: Option<String>,
    pub kpp: Option<Kpp>,
    pub oid: Option<OrgOid>,
    pub region: Option<RegionCode>,
    pub org_type: Option<u32>,
    pub agency_kind: Option<u32>,
    pub status: Option<OrgStatus>,
    /// Organizations with this status are left out.
    pub not_status: Option<OrgStatus>,
    /// Only cards whose version took effect in `[from, to)`.
    pub valid_from: Option<(OffsetDateTime, OffsetDateTime)>,
    /// Only branches of this organization.
    pub parent: Option<OrgOid>,
    /// Only organizations with an address in a matching town, or with a matching postal code.
    pub town: Option<TextMatch>,
    pub postal_code: Option<TextMatch>,
    pub as_of: Option<Date>,
    pub cursor: Option<Cursor>,
    pub limit: usize,
}

/// How a string parameter matches, as FHIR's string search: the value's beginning (the default),
/// anywhere in it, or the whole value exactly; the first two ignore case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TextMatch {
    Prefix(String),
    Contains(String),
    Exact(String),
}

impl From<TextMatch> for frmo_store::search::head::TextMatch {
    fn from(wanted: TextMatch) -> Self {
        use frmo_store::search::head::TextMatch as Index;
        match wanted {
            TextMatch::Prefix(text) => Index::Prefix(text),
            TextMatch::Contains(text) => Index::Contains(text),
            TextMatch::Exact(text) => Index::Exact(text),
        }
    }
}

/// One line of a result list: a version of an organization's card, by the columns it is looked
/// up with.
#[derive(Debug, Clone, PartialEq)]
pub struct ListedOrganization {
    pub version_id: i64,
    pub oid: String,
    pub name_short: String,
    pub name_full: String,
    pub inn: String,
    pub ogrn: Option<String>,
    pub kpp: Option<String>,
    pub region: u8,
    pub org_type: u32,
    pub agency_kind: u32,
    pub status: OrgStatus,
    pub address: String,
}

impl From<ListItem> for ListedOrganization {
    fn from(item: ListItem) -> Self {
        let ListItem {
            version_id,
            oid,
            name_short,
            name_full,
            inn,
            ogrn,
            kpp,
            region,
            org_type,
            agency_kind,
            status,
            address,
        } = item;
        ListedOrganization {
            version_id,
            oid,
            name_short,
            name_full,
            inn,
            ogrn,
            kpp,
            region,
            org_type,
            agency_kind,
            status,
            address,
        }
    }
}

/// One page of results.
#[derive(Debug, Clone)]
pub struct SearchPage {
    pub items: Vec<ListedOrganization>,
    pub total: usize,
    pub next_cursor: Option<String>,
}

fn present(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

pub use frmo_domain::date::{format as format_date, parse as parse_date};

fn directory_code(
    value: Option<&str>,
    field: &'static str,
    label: &'static str,
    directory: &str,
) -> Result<Option<u32>, ValidationError> {
    let Some(value) = value else { return Ok(None) };
    let code: u32 =
        value.parse().map_err(|_| ValidationError::new(field, label, "ожидается числовой код справочника"))?;
    if reference::get(directory).is_some_and(|d| d.contains(code)) {
        Ok(Some(code))
    } else {
        Err(ValidationError::new(field, label, "нет такого значения в справочнике"))
    }
}

impl SearchParams {
    /// Drops fields sent empty (an untouched form field), so links carry only what was chosen.
    pub fn clear_empty(&mut self) {
        let fields = [
            &mut self.q,
            &mut self.inn,
            &mut self.ogrn,
            &mut self.kpp,
            &mut self.oid,
            &mut self.region,
            &mut self.org_type,
            &mut self.kind,
            &mut self.status,
            &mut self.as_of,
            &mut self.cursor,
            &mut self.limit,
        ];
        for field in fields {
            if field.as_deref().is_some_and(|v| v.trim().is_empty()) {
                *field = None;
            }
        }
    }

    /// Parses every parameter and reports every wrong one.
    pub fn parse(&self) -> Result<SearchQuery, Vec<ValidationError>> {
        let mut errors = Vec::new();
        let mut check = |result: Result<(), ValidationError>| {
            if let Err(error) = result {
                errors.push(error);
            }
        };
        let mut query =
            SearchQuery { text: present(&self.q).map(str::to_owned), limit: DEFAULT_LIMIT, ..Default::default() };
        if let Some(text) = &query.text
            && text.chars().count() > 200
        {
            check(Err(ValidationError::new("q", "Поиск", "не длиннее 200 символов")));
        }
        if let Some(text) = &query.text {
            for token in text.split_whitespace() {
                check(identifier_in_text(token.trim_matches(|c: char| !c.is_alphanumeric() && c != '.')));
            }
        }
        check(present(&self.inn).map(Inn::parse).transpose().map(|v| query.inn = v));
        check(
            present(&self.ogrn)
                .map(|v| {
                    if v.len() == 15 {
                        Ogrnip::parse(v).map(|o| o.as_str().to_owned())
                    } else {
                        Ogrn::parse(v).map(|o| o.as_str().to_owned())
                    }
                })
                .transpose()
                .map(|v| query.ogrn = v),
        );
        check(present(&self.kpp).map(Kpp::parse).transpose().map(|v| query.kpp = v));
        check(present(&self.oid).map(OrgOid::parse).transpose().map(|v| query.oid = v));
        check(present(&self.region).map(RegionCode::parse).transpose().map(|v| query.region = v));
        check(
            directory_code(present(&self.org_type), "type", "Тип организации", "organization_types")
                .map(|v| query.org_type = v),
        );
        check(
            directory_code(present(&self.kind), "kind", "Вид медицинской организации", "agency_kinds")
                .map(|v| query.agency_kind = v),
        );
        check(present(&self.status).map(OrgStatus::parse).transpose().map(|v| query.status = v));
        check(present(&self.as_of).map(|v| parse_date("as_of", "Дата", v)).transpose().map(|v| query.as_of = v));
        check(
            present(&self.cursor)
                .map(|v| {
                    Cursor::decode(v).ok_or_else(|| {
                        ValidationError::new("cursor", "Курсор", "неверное значение; начните поиск с первой страницы")
                    })
                })
                .transpose()
                .map(|v| query.cursor = v),
        );
        check(
            present(&self.limit)
                .map(|v| match v.parse::<usize>() {
                    Ok(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
                    _ => Err(ValidationError::new(
                        "limit",
                        "Размер страницы",
                        format!("ожидается число от 1 до {MAX_LIMIT}"),
                    )),
                })
                .transpose()
                .map(|v| query.limit = v.unwrap_or(DEFAULT_LIMIT)),
        );
        if errors.is_empty() { Ok(query) } else { Err(errors) }
    }
}

/// A word of the search box that has the shape of an identifier (10 or 12 digits: ИНН; 13: ОГРН;
/// 15: ОГРНИП; 9: КПП; `1.2.643.…`: OID) must be a valid one: a wrong check digit is told, as the
/// API's own parameters do, instead of a silent «Найдено: 0».
fn identifier_in_text(token: &str) -> Result<(), ValidationError> {
    let digits = !token.is_empty() && token.chars().all(|c| c.is_ascii_digit());
    let checked = match token.len() {
        10 | 12 if digits => Inn::parse(token).map(drop),
        13 if digits => Ogrn::parse(token).map(drop),
        15 if digits => Ogrnip::parse(token).map(drop),
        9 if digits => Kpp::parse(token).map(drop),
        // A department's or subdivision's OID is a word to search for, not a wrong organization OID.
        _ if token.starts_with("1.2.643.") => OrgOid::parse(token).map(drop).or_else(|e| {
            let part = DepartmentOid::parse(token).is_ok() || SubdivisionOid::parse(token).is_ok();
            if part { Ok(()) } else { Err(e) }
        }),
        _ => Ok(()),
    };
    checked.map_err(|e| ValidationError::new("q", "Поиск", format!("«{token}» — это {}: {}", e.label, e.message)))
}

/// What a word of the text query is: an identifier to look up exactly, or a word of a name.
fn classify(token: &str) -> Option<Identifier> {
    if OrgOid::parse(token).is_ok() {
        return Some(Identifier::Oid);
    }
    let digits = token.chars().all(|c| c.is_ascii_digit());
    match token.len() {
        10 | 12 if digits => Some(Identifier::Inn),
        13 | 15 if digits => Some(Identifier::Ogrn),
        9 if Kpp::parse(token).is_ok() => Some(Identifier::Kpp),
        _ => None,
    }
}

impl Registry {
    /// The result rows of the first `count` versions ever written (the demo's ЕСИА stand acts for
    /// the first organizations of the demo register).
    pub async fn first_versions(&self, count: i64) -> Result<Vec<ListedOrganization>> {
        let ids: Vec<i64> = (1..=count).collect();
        Ok(self.store.list_items(&ids).await?.into_iter().map(ListedOrganization::from).collect())
    }

    pub async fn search(&self, actor: &Actor, query: &SearchQuery) -> Result<SearchPage> {
        Self::check(actor, Action::ReadPublicRegister)?;
        let at = query.as_of.map_or_else(OffsetDateTime::now_utc, end_of_day);

        let mut index_query = IndexQuery {
            region: query.region.map(|r| r.code()),
            org_type: query.org_type,
            agency_kind: query.agency_kind,
            status: query.status,
            not_status: query.not_status,
            valid_from: query.valid_from.map(|(from, to)| (micros(from), micros(to))),
            parent: query.parent.as_ref().map(key_of),
            town: query.town.clone().map(Into::into),
            postal_code: query.postal_code.clone().map(Into::into),
            at: micros(at),
            after: query.cursor,
            limit: query.limit,
            ..IndexQuery::default()
        };

        if let Some(text) = &query.text {
            index_query.text = true;
            let mut words = Vec::new();
            for token in text.split_whitespace() {
                let token = token.trim_matches(|c: char| !c.is_alphanumeric());
                match classify(token) {
                    Some(identifier) => index_query.exact.extend(self.store.versions_with(identifier, token).await?),
                    None => words.push(token),
                }
            }
            index_query.terms = normalize::terms(&words.join(" "));
        }

        let explicit = [
            (Identifier::Inn, query.inn.as_ref().map(Inn::as_str)),
            (Identifier::Ogrn, query.ogrn.as_deref()),
            (Identifier::Kpp, query.kpp.as_ref().map(Kpp::as_str)),
            (Identifier::Oid, query.oid.as_ref().map(OrgOid::as_str)),
        ];
        for (identifier, value) in explicit {
            if let Some(value) = value {
                let mut found = self.store.versions_with(identifier, value).await?;
                let restrict = match index_query.restrict.take() {
                    None => found,
                    Some(before) => {
                        found.retain(|id| before.contains(id));
                        found
                    }
                };
                index_query.restrict = Some(restrict);
            }
        }

        let hits = self.index.search(&index_query);
        let ids: Vec<i64> = hits.hits.iter().map(|h| h.version_id).collect();
        let items = self.list_items(actor, &ids).await?;
        Ok(SearchPage { items, total: hits.total, next_cursor: hits.next.map(|c| c.encode()) })
    }

    /// The result rows of these versions, in the order given: those already read from the
    /// registry's cache (a version never changes), the rest from the store — for the anonymous,
    /// from a read replica when there is one.
    async fn list_items(&self, actor: &Actor, ids: &[i64]) -> Result<Vec<ListedOrganization>> {
        let (mut items, missing) = self.listed.get_many(ids);
        if !missing.is_empty() {
            let read = match actor {
                Actor::Anonymous => self.store.public_list_items(&missing).await?,
                _ => self.store.list_items(&missing).await?,
            };
            let read: Vec<ListedOrganization> = read.into_iter().map(ListedOrganization::from).collect();
            for item in &read {
                self.listed.keep(item.version_id, item.clone());
            }
            items.extend(read);
            items.sort_by_key(|item| ids.iter().position(|&id| id == item.version_id));
        }
        Ok(items)
    }
}

impl From<Vec<ValidationError>> for RegistryError {
    fn from(errors: Vec<ValidationError>) -> Self {
        RegistryError::Invalid(errors)
    }
}
