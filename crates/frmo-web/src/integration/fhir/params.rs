//! The query string of a FHIR search: every parameter is one the resource type supports (the
//! table [`SEARCH`], which the CapabilityStatement also lists), with a modifier it takes; anything
//! else is refused as an `OperationOutcome` 400, never ignored.

use frmo_registry::RegistryError;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::multipart::invalid;

/// How a parameter matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Token,
    String,
    Reference,
    Date,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Token => "token",
            Kind::String => "string",
            Kind::Reference => "reference",
            Kind::Date => "date",
        }
    }

    /// The modifiers a parameter of this kind takes.
    fn modifiers(self) -> &'static [&'static str] {
        match self {
            Kind::String => &["contains", "exact"],
            _ => &[],
        }
    }
}

/// A resource type's search parameters and what it may include.
pub struct TypeSearch {
    pub resource: &'static str,
    pub params: &'static [(&'static str, Kind, &'static str)],
    pub includes: &'static [&'static str],
    pub revincludes: &'static [&'static str],
}

const LAST_UPDATED: &str =
    "когда вступила в силу текущая версия карточки: [ge|gt|le|lt|eq|sa|eb]дата или момент; можно дважды";

/// Every resource type served, with what its search takes (the CapabilityStatement says the same).
pub const SEARCH: &[TypeSearch] = &[
    TypeSearch {
        resource: "Organization",
        params: &[
            ("_id", Kind::Token, "OID организации; несколько — через запятую"),
            ("_lastUpdated", Kind::Date, LAST_UPDATED),
            ("identifier", Kind::Token, "ИНН, ОГРН (ОГРНИП), КПП или OID: [system|]value"),
            ("name", Kind::String, "наименование; словоформы русского языка, как в поиске реестра"),
            ("type", Kind::Token, "тип организации (код справочника)"),
            ("active", Kind::Token, "true — не ликвидирована, false — ликвидирована"),
            ("address-state", Kind::String, "субъект РФ (regionId): наименование, его начало или код"),
            ("address-city", Kind::String, "населённый пункт юридического или фактического адреса"),
            ("address-postalcode", Kind::String, "почтовый индекс юридического или фактического адреса"),
            ("partof", Kind::Reference, "головная организация: её филиалы"),
        ],
        includes: &["Organization:partof"],
        revincludes: &[
            "Organization:partof",
            "Location:organization",
            "PractitionerRole:organization",
            "HealthcareService:organization",
        ],
    },
    TypeSearch {
        resource: "Location",
        params: &[
            ("_id", Kind::Token, "OID подразделения, отделения или организации, id здания"),
            ("organization", Kind::Reference, "организация (обязателен, если не указаны _id и partof)"),
            ("partof", Kind::Reference, "вышестоящее место"),
            ("name", Kind::String, "наименование"),
            ("type", Kind::Token, "facility или код типа подразделения"),
            ("status", Kind::Token, "active | inactive"),
            ("_lastUpdated", Kind::Date, LAST_UPDATED),
        ],
        includes: &["Location:organization", "Location:partof"],
        revincludes: &[],
    },
    TypeSearch {
        resource: "Practitioner",
        params: &[
            ("_id", Kind::Token, "номер записи работника"),
            ("organization", Kind::Reference, "организация (обязателен, если не указан _id)"),
            ("name", Kind::String, "фамилия, имя или отчество"),
            ("family", Kind::String, "фамилия"),
            ("given", Kind::String, "имя или отчество"),
            ("active", Kind::Token, "работает сейчас"),
        ],
        includes: &[],
        revincludes: &["PractitionerRole:practitioner"],
    },
    TypeSearch {
        resource: "PractitionerRole",
        params: &[
            ("_id", Kind::Token, "номер карточки трудоустройства"),
            ("organization", Kind::Reference, "организация"),
            ("practitioner", Kind::Reference, "работник"),
            ("role", Kind::Token, "должность (код справочника)"),
            ("specialty", Kind::Token, "специальность (код справочника)"),
            ("active", Kind::Token, "карточка открыта"),
        ],
        includes: &["PractitionerRole:practitioner", "PractitionerRole:organization", "PractitionerRole:location"],
        revincludes: &[],
    },
    TypeSearch {
        resource: "HealthcareService",
        params: &[
            ("_id", Kind::Token, "услуга (место осуществления деятельности по лицензии)"),
            ("organization", Kind::Reference, "организация (обязателен, если не указан _id)"),
            ("name", Kind::String, "наименование (содержит адрес места)"),
            ("active", Kind::Token, "лицензия действует"),
            ("_lastUpdated", Kind::Date, LAST_UPDATED),
        ],
        includes: &[],
        revincludes: &[],
    },
];

/// Parameters every search and history takes.
pub const CONTROL: &[&str] = &["_count", "_cursor", "_summary", "_format", "_include", "_revinclude", "_since"];

/// Results per page when `_count` is not given, and the most a page holds.
pub const DEFAULT_COUNT: usize = 20;
pub const MAX_COUNT: usize = 100;

/// What `_summary` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Summary {
    #[default]
    False,
    True,
    Count,
}

/// One search parameter as given.
#[derive(Debug, Clone)]
pub struct Param {
    pub name: &'static str,
    pub modifier: Option<String>,
    pub value: String,
}

/// A parsed query string.
#[derive(Debug, Clone, Default)]
pub struct Params {
    pub list: Vec<Param>,
    pub count: Option<usize>,
    pub cursor: Option<String>,
    pub summary: Summary,
    pub include: Vec<String>,
    pub revinclude: Vec<String>,
    pub since: Option<String>,
}

impl Params {
    /// Every value of a parameter that may repeat (dates: a range).
    pub fn all(&self, name: &str) -> impl Iterator<Item = &Param> {
        self.list.iter().filter(move |p| p.name == name)
    }

    pub fn get(&self, name: &str) -> Option<&Param> {
        self.list.iter().find(|p| p.name == name)
    }

    pub fn value(&self, name: &str) -> Option<&str> {
        self.get(name).map(|p| p.value.as_str())
    }

    pub fn count(&self) -> usize {
        self.count.unwrap_or(DEFAULT_COUNT)
    }

    /// The parameters as a query string (for paging links), without the cursor.
    pub fn query_string(&self) -> String {
        let mut pairs: Vec<(String, String)> = self
            .list
            .iter()
            .map(|p| {
                (p.modifier.as_ref().map_or_else(|| p.name.to_owned(), |m| format!("{}:{m}", p.name)), p.value.clone())
            })
            .collect();
        pairs.extend(self.include.iter().map(|i| ("_include".to_owned(), i.clone())));
        pairs.extend(self.revinclude.iter().map(|i| ("_revinclude".to_owned(), i.clone())));
        if let Some(since) = &self.since {
            pairs.push(("_since".into(), since.clone()));
        }
        match self.summary {
            Summary::True => pairs.push(("_summary".into(), "true".into())),
            Summary::Count => pairs.push(("_summary".into(), "count".into())),
            Summary::False => {}
        }
        pairs.push(("_count".into(), self.count().to_string()));
        serde_urlencoded::to_string(&pairs).unwrap_or_default()
    }
}

fn refuse(message: String) -> RegistryError {
    invalid("query", "Параметр запроса", message)
}

/// Parses the query string of a search of `resource` (`None`: a history, which takes only the
/// control parameters).
pub fn parse(raw: Option<&str>, resource: Option<&str>) -> Result<Params, RegistryError> {
    let search = resource.and_then(|r| SEARCH.iter().find(|s| s.resource == r));
    let pairs: Vec<(String, String)> = match raw {
        None => Vec::new(),
        Some(raw) => serde_urlencoded::from_str(raw)
            .map_err(|_| refuse("строка запроса не разобрана: ожидается текст в UTF-8".into()))?,
    };
    let mut params = Params::default();
    for (key, value) in pairs {
        let (name, modifier) = match key.split_once(':') {
            Some((name, modifier)) => (name.to_owned(), Some(modifier.to_owned())),
            None => (key.clone(), None),
        };
        if CONTROL.contains(&name.as_str()) && modifier.is_none() {
            control(&mut params, &name, value, search)?;
            continue;
        }
        let known = search.and_then(|s| s.params.iter().find(|(n, _, _)| *n == name));
        let Some((name, kind, _)) = known else {
            return Err(refuse(format!(
                "параметр «{key}» не поддерживается{}; список — в /fhir/r4/metadata",
                resource.map_or_else(String::new, |r| format!(" для {r}"))
            )));
        };
        if let Some(modifier) = &modifier
            && !kind.modifiers().contains(&modifier.as_str())
        {
            return Err(refuse(format!("модификатор «:{modifier}» у параметра «{name}» не поддерживается")));
        }
        if params.get(name).is_some() && *kind != Kind::Date {
            return Err(refuse(format!("параметр «{name}» указан несколько раз; укажите его один раз")));
        }
        if value.trim().is_empty() {
            return Err(refuse(format!("параметр «{name}» без значения")));
        }
        params.list.push(Param { name, modifier, value: value.trim().to_owned() });
    }
    Ok(params)
}

fn control(params: &mut Params, name: &str, value: String, search: Option<&TypeSearch>) -> Result<(), RegistryError> {
    match name {
        "_count" => match value.trim().parse::<usize>() {
            // FHIR's "the total only".
            Ok(0) => params.summary = Summary::Count,
            Ok(n) if (1..=MAX_COUNT).contains(&n) => params.count = Some(n),
            _ => return Err(refuse(format!("_count: ожидается число от 0 до {MAX_COUNT}"))),
        },
        "_cursor" => params.cursor = Some(value),
        "_since" if search.is_none() => params.since = Some(value),
        "_summary" => {
            params.summary = match value.as_str() {
                "true" => Summary::True,
                "false" => Summary::False,
                "count" => Summary::Count,
                _ => return Err(refuse("_summary: поддерживаются true, false и count".into())),
            }
        }
        "_format" if ["json", "application/json", "application/fhir+json"].contains(&value.as_str()) => {}
        "_format" => return Err(refuse("_format: реестр отвечает только в JSON (json, application/fhir+json)".into())),
        "_include" | "_revinclude" => {
            let allowed = search.map_or(&[][..], |s| if name == "_include" { s.includes } else { s.revincludes });
            if !allowed.contains(&value.as_str()) {
                return Err(refuse(format!(
                    "{name}={value} не поддерживается; допустимо: {}",
                    if allowed.is_empty() { "ничего".to_owned() } else { allowed.join(", ") }
                )));
            }
            let list = if name == "_include" { &mut params.include } else { &mut params.revinclude };
            list.push(value);
        }
        _ => return Err(refuse(format!("параметр «{name}» здесь не поддерживается"))),
    }
    Ok(())
}

/// The id of a reference parameter: `Type/id`, an absolute URL ending so, or a bare id.
pub fn reference_id<'a>(value: &'a str, resource: &str) -> Result<&'a str, RegistryError> {
    let tail = value.rsplit_once(&format!("{resource}/")).map_or(value, |(_, id)| id);
    if tail.contains('/') || tail.is_empty() {
        return Err(refuse(format!("«{value}»: ожидается ссылка вида {resource}/id")));
    }
    Ok(tail)
}

/// `true` or `false`.
pub fn boolean(value: &str, name: &str) -> Result<bool, RegistryError> {
    match value {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(refuse(format!("{name}: ожидается true или false"))),
    }
}

/// A date parameter (`ge2024-01-01`, `lt2026-03-01T10:00:00Z`, `2025-05-05`) narrowing `range`
/// (`[from, to)`): a date stands for its whole day (UTC), an instant for itself.
pub fn narrow(
    range: (OffsetDateTime, OffsetDateTime),
    value: &str,
    name: &str,
) -> Result<(OffsetDateTime, OffsetDateTime), RegistryError> {
    let (prefix, text) = match value.get(..2) {
        Some(p) if ["eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap"].contains(&p) => (p, &value[2..]),
        _ => ("eq", value),
    };
    let wrong = || {
        refuse(format!("{name}: ожидается [ge|gt|le|lt|eq|sa|eb]дата (2026-01-31) или момент (2026-01-31T10:00:00Z)"))
    };
    let (start, end) = match OffsetDateTime::parse(text, &Rfc3339) {
        Ok(at) => (at, at + time::Duration::microseconds(1)),
        Err(_) => {
            let day = time::Date::parse(text, time::macros::format_description!("[year]-[month]-[day]"))
                .map_err(|_| wrong())?;
            let start = day.midnight().assume_utc();
            (start, start + time::Duration::days(1))
        }
    };
    let (from, to) = range;
    Ok(match prefix {
        "eq" => (from.max(start), to.min(end)),
        "gt" | "sa" => (from.max(end), to),
        "ge" => (from.max(start), to),
        "lt" | "eb" => (from, to.min(start)),
        "le" => (from, to.min(end)),
        _ => return Err(refuse(format!("{name}: префикс «{prefix}» не поддерживается"))),
    })
}

/// The range every `_lastUpdated` of the query leaves (`None` when none is given).
pub fn last_updated(params: &Params) -> Result<Option<(OffsetDateTime, OffsetDateTime)>, RegistryError> {
    if params.get("_lastUpdated").is_none() {
        return Ok(None);
    }
    let mut range = (
        OffsetDateTime::UNIX_EPOCH - time::Duration::days(365_000),
        OffsetDateTime::now_utc() + time::Duration::days(365_000),
    );
    for p in params.all("_lastUpdated") {
        range = narrow(range, &p.value, "_lastUpdated")?;
    }
    Ok(Some(range))
}

/// Whether `at` is in a `_lastUpdated` range (or none is given).
pub fn updated_within(range: Option<(OffsetDateTime, OffsetDateTime)>, at: OffsetDateTime) -> bool {
    range.is_none_or(|(from, to)| from <= at && at < to)
}

/// A string parameter as the index matches it.
pub fn text_match(param: &Param) -> frmo_registry::register::search::TextMatch {
    use frmo_registry::register::search::TextMatch;
    match param.modifier.as_deref() {
        Some("exact") => TextMatch::Exact(param.value.clone()),
        Some("contains") => TextMatch::Contains(param.value.clone()),
        _ => TextMatch::Prefix(param.value.clone()),
    }
}

/// The code of a token `[system|]code`.
pub fn token_code(value: &str) -> &str {
    value.rsplit_once('|').map_or(value, |(_, code)| code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_parameters_and_modifiers_are_refused() {
        assert!(parse(Some("name=x&nonsense=1"), Some("Organization")).is_err());
        assert!(parse(Some("name:below=x"), Some("Organization")).is_err());
        assert!(parse(Some("type:contains=x"), Some("Organization")).is_err());
        assert!(parse(Some("_include=Location:partof"), Some("Organization")).is_err());
        assert!(parse(Some("_count=101"), Some("Organization")).is_err());
        assert!(parse(Some("_since=2020-01-01"), Some("Organization")).is_err());
        let params = parse(Some("name:contains=%D0%B1&_count=5&_summary=count"), Some("Organization")).expect("valid");
        assert_eq!(params.get("name").and_then(|p| p.modifier.as_deref()), Some("contains"));
        assert_eq!((params.count(), params.summary), (5, Summary::Count));
        assert!(params.query_string().contains("name%3Acontains=%D0%B1"));
    }

    #[test]
    fn date_prefixes_narrow_a_range() {
        let all = (OffsetDateTime::UNIX_EPOCH, OffsetDateTime::UNIX_EPOCH + time::Duration::days(100_000));
        let day = |d: &str| OffsetDateTime::parse(&format!("{d}T00:00:00Z"), &Rfc3339).expect("date");
        let range = narrow(all, "ge2024-01-01", "_lastUpdated").and_then(|r| narrow(r, "lt2024-02-01", "x"));
        assert_eq!(range.ok(), Some((day("2024-01-01"), day("2024-02-01"))));
        assert_eq!(narrow(all, "2024-01-01", "x").ok(), Some((day("2024-01-01"), day("2024-01-02"))));
        assert_eq!(narrow(all, "gt2024-01-01", "x").ok().map(|r| r.0), Some(day("2024-01-02")));
        assert!(narrow(all, "ne2024-01-01", "x").is_err());
        assert!(narrow(all, "yesterday", "x").is_err());
    }

    #[test]
    fn references_and_tokens() {
        assert_eq!(reference_id("Organization/1.2.3", "Organization").ok(), Some("1.2.3"));
        assert_eq!(reference_id("http://h/fhir/r4/Organization/1.2.3", "Organization").ok(), Some("1.2.3"));
        assert_eq!(reference_id("1.2.3", "Organization").ok(), Some("1.2.3"));
        assert!(reference_id("Location/1/x", "Location").is_err());
        assert_eq!(token_code("urn:oid:1.2|42"), "42");
    }
}
