//! The web UI's second locale (English) over one catalogue. Russian is the source language: the
//! templates and messages are written in Russian, and that text is the key of its English in
//! `locales/en/*.toml` (gettext's way: a Russian page is what it always was, and a string missing from
//! the catalogue shows up on an English page in Russian, where the locale test finds it). A key with
//! `{name}` parts is a pattern: «Найдено: {n}» translates «Найдено: 12» with the number carried over,
//! so messages made with values (the registry's errors among them) need no code of their own.
//!
//! The locale is chosen per request: `?lang=en|ru` (kept in the `frmo_lang` cookie for a year), else
//! the cookie, else Russian. It is a task-local of the request, so templates ask for it
//! (`{{ "…"|t }}`, `crate::i18n::lang()`) without every page carrying it.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::LazyLock;

use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::response::Response;

use crate::AppState;

/// The cookie that keeps the chosen language.
pub const COOKIE: &str = "frmo_lang";
const YEAR: i64 = 365 * 24 * 3600;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Locale {
    Ru,
    En,
}

impl Locale {
    pub fn parse(code: &str) -> Option<Locale> {
        match code {
            "ru" => Some(Locale::Ru),
            "en" => Some(Locale::En),
            _ => None,
        }
    }

    /// The code of `<html lang>`, the cookie and `?lang=`.
    pub fn code(self) -> &'static str {
        match self {
            Locale::Ru => "ru",
            Locale::En => "en",
        }
    }
}

/// `lang` of a query string (the last, when repeated).
fn asked_lang(query: &str) -> Option<&str> {
    query.split('&').filter_map(|pair| pair.strip_prefix("lang=")).next_back()
}

/// `lang` of a query string, and the query string without it.
fn split_lang(query: &str) -> (Option<&str>, String) {
    let rest: Vec<&str> = query.split('&').filter(|p| !p.is_empty() && !p.starts_with("lang=")).collect();
    (asked_lang(query), rest.join("&"))
}

/// Whether the language switch repeats the query (a search, a list's filters): not on the sign-in
/// pages, whose callbacks carry a provider's codes and words that the page must not echo.
fn keeps_query(path: &str, query: &str) -> bool {
    !query.is_empty() && query.len() <= 1000 && path != "/login" && !path.starts_with("/login/")
}

/// The address of the page for the switch: one leading slash (`//host` or `/\host` in a link would
/// lead off the site), and the query when it is kept.
fn here(path: &str, query: &str) -> String {
    let path = format!("/{}", path.trim_start_matches(['/', '\\']));
    if keeps_query(&path, query) { format!("{path}?{query}") } else { path }
}

/// The locale a request asks for: `?lang=` (which also sets the cookie), else the cookie, else
/// Russian.
pub(crate) struct Asked {
    /// Asked for in the query: the answer sets the cookie ([`answered`]).
    pub(crate) lang: Option<Locale>,
    pub(crate) locale: Locale,
}

impl Asked {
    pub(crate) fn of(request: &Request) -> Self {
        let lang = asked_lang(request.uri().query().unwrap_or_default()).and_then(Locale::parse);
        let kept = crate::identity::session::cookie(request.headers(), COOKIE).and_then(Locale::parse);
        Asked { lang, locale: lang.or(kept).unwrap_or(Locale::Ru) }
    }
}

/// Sets the cookie if a language was asked for, and marks pages as varying by it.
pub(crate) fn answered(state: &AppState, lang: Option<Locale>, response: &mut Response) {
    let headers = response.headers_mut();
    if let Some(asked) = lang {
        headers
            .append(header::SET_COOKIE, crate::identity::session::set_cookie(state, COOKIE, asked.code(), Some(YEAR)));
    }
    let html =
        headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("text/html"));
    if html {
        headers.append(header::VARY, HeaderValue::from_static("Cookie"));
    }
}

/// The locale of the request being answered (Russian outside a request).
pub fn locale() -> Locale {
    crate::frame::CURRENT.try_with(|c| c.locale).unwrap_or(Locale::Ru)
}

/// `<html lang>`.
pub fn lang() -> &'static str {
    locale().code()
}

/// The header's language switch: the same page in the other language.
pub struct Switch {
    pub href: String,
    pub label: &'static str,
    pub lang: &'static str,
}

pub fn switch() -> Switch {
    let here = crate::frame::CURRENT
        .try_with(|c| here(c.uri.path(), &split_lang(c.uri.query().unwrap_or_default()).1))
        .unwrap_or_else(|_| "/".to_owned());
    let (other, label) = match locale() {
        Locale::Ru => (Locale::En, "English"),
        Locale::En => (Locale::Ru, "Русский"),
    };
    let separator = if here.contains('?') { '&' } else { '?' };
    Switch { href: format!("{here}{separator}lang={}", other.code()), label, lang: other.code() }
}

/// A catalogue key with `{name}` parts: literal pieces between named holes.
struct Pattern {
    /// `pieces[0]`, then for each hole its name and the literal after it.
    head: String,
    holes: Vec<(String, String)>,
    english: String,
}

impl Pattern {
    fn parse(key: &str, english: &str) -> Option<Pattern> {
        let mut pieces = key.split('{');
        let head = pieces.next()?.to_owned();
        let mut holes = Vec::new();
        for piece in pieces {
            let (name, literal) = piece.split_once('}')?;
            holes.push((name.to_owned(), literal.to_owned()));
        }
        Some(Pattern { head, holes, english: english.to_owned() })
    }

    /// How much of a text the pattern fixes: the more specific pattern wins.
    fn weight(&self) -> usize {
        self.head.len() + self.holes.iter().map(|(_, l)| l.len()).sum::<usize>()
    }

    /// The values of the holes, if `text` has this shape (each hole at least one character).
    fn capture<'t>(&self, text: &'t str) -> Option<Vec<(&str, &'t str)>> {
        let mut rest = text.strip_prefix(self.head.as_str())?;
        let mut values = Vec::with_capacity(self.holes.len());
        for (i, (name, literal)) in self.holes.iter().enumerate() {
            let last = i + 1 == self.holes.len();
            let end = if last {
                rest.strip_suffix(literal.as_str()).map(str::len).filter(|&end| end > 0)?
            } else {
                let first = rest.chars().next()?.len_utf8();
                rest[first..].find(literal.as_str())? + first
            };
            values.push((name.as_str(), rest.get(..end)?));
            rest = &rest[end + literal.len()..];
        }
        Some(values)
    }
}

/// The English catalogue: exact texts and patterns.
struct Catalogue {
    exact: HashMap<String, String>,
    patterns: Vec<Pattern>,
}

impl Catalogue {
    /// The catalogue of its files, `(name, text)`; a key in two files is an error.
    fn parse(files: &[(&str, &str)]) -> Result<Catalogue, String> {
        let mut entries: HashMap<String, String> = HashMap::new();
        for (name, source) in files {
            let file: HashMap<String, String> = toml::from_str(source).map_err(|e| format!("{name}: {e}"))?;
            for (key, english) in file {
                if entries.insert(key.clone(), english).is_some() {
                    return Err(format!("{name}: «{key}» is in another file too"));
                }
            }
        }
        let mut exact = HashMap::new();
        let mut patterns = Vec::new();
        for (key, english) in entries {
            if key.contains('{') {
                let pattern = Pattern::parse(&key, &english).ok_or_else(|| format!("unclosed {{ in «{key}»"))?;
                if pattern.weight() == 0 {
                    return Err(format!("«{key}» has no text of its own"));
                }
                patterns.push(pattern);
            } else {
                exact.insert(key, english);
            }
        }
        patterns.sort_by_key(|p| std::cmp::Reverse(p.weight()));
        Ok(Catalogue { exact, patterns })
    }

    /// `text` in English: the pieces of the translation, each either fixed text or a value. A text
    /// not in the catalogue that joins messages («Телефон: от 10 до 15 цифр» — a field's label and
    /// its problem; «…; …» — problems of one field; «…, …» — a list of labels) is translated part
    /// by part, when every part is in the catalogue.
    fn english<'t>(&'t self, text: &'t str) -> Option<Vec<Piece<'t>>> {
        if let Some(english) = self.exact.get(text) {
            return Some(vec![Piece::Text(english)]);
        }
        if let Some(pieces) = self.pattern(text) {
            return Some(pieces);
        }
        for separator in ["; ", ": ", ", "] {
            if let Some((head, tail)) = text.split_once(separator) {
                let mut pieces = self.english(head)?;
                pieces.push(Piece::Text(separator));
                pieces.extend(self.english(tail)?);
                return Some(pieces);
            }
        }
        None
    }

    fn pattern<'t>(&'t self, text: &'t str) -> Option<Vec<Piece<'t>>> {
        let (pattern, values) = self.patterns.iter().find_map(|p| Some((p, p.capture(text)?)))?;
        let mut pieces = Vec::new();
        let mut rest = pattern.english.as_str();
        while let Some((before, after)) = rest.split_once('{') {
            let (name, tail) = after.split_once('}')?;
            pieces.push(Piece::Text(before));
            pieces.push(Piece::Value(values.iter().find(|(n, _)| *n == name)?.1));
            rest = tail;
        }
        pieces.push(Piece::Text(rest));
        Some(pieces)
    }
}

enum Piece<'t> {
    Text(&'t str),
    Value(&'t str),
}

/// The English catalogue's files: the templates' words, the web layer's messages, the registry's.
const SHIPPED: [(&str, &str); 3] = [
    ("pages.toml", include_str!("../locales/en/pages.toml")),
    ("web.toml", include_str!("../locales/en/web.toml")),
    ("registry.toml", include_str!("../locales/en/registry.toml")),
];

static ENGLISH: LazyLock<Catalogue> =
    LazyLock::new(|| Catalogue::parse(&SHIPPED).unwrap_or_else(|e| panic!("locales/en/{e}")));

fn is_cyrillic(c: char) -> bool {
    matches!(c, '\u{0400}'..='\u{04FF}')
}

/// `text` in the request's locale, as plain text (untranslated text stays as it is).
pub fn t(text: &str) -> Cow<'_, str> {
    if locale() == Locale::Ru {
        return Cow::Borrowed(text);
    }
    match ENGLISH.english(text) {
        Some(pieces) => Cow::Owned(
            pieces
                .iter()
                .map(|p| match p {
                    Piece::Text(s) => Cow::Borrowed(*s),
                    Piece::Value(s) => t(s),
                })
                .collect(),
        ),
        None => Cow::Borrowed(text),
    }
}

/// `text` in the request's locale as HTML: escaped, and a Russian value inside an English sentence
/// (a name, an address) marked `<span lang="ru">`, as data in another language is.
pub fn html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let english = (locale() == Locale::En).then(|| ENGLISH.english(text)).flatten();
    let Some(pieces) = english else {
        escape_into(&mut out, text);
        return out;
    };
    for piece in pieces {
        match piece {
            // A value that is itself a message («06.12.2026 10:00 МСК») is translated in turn.
            Piece::Value(value) if value.chars().any(is_cyrillic) => match ENGLISH.english(value) {
                Some(_) => out.push_str(&html(value)),
                None => out.push_str(&data_html(value)),
            },
            Piece::Text(s) => english_into(&mut out, s),
            Piece::Value(s) => escape_into(&mut out, s),
        }
    }
    out
}

/// English text as HTML, a Russian word it quotes (“м”: what a person types) marked `lang="ru"`.
fn english_into(out: &mut String, text: &str) {
    let mut rest = text;
    while let Some((before, after)) = rest.split_once('“') {
        escape_into(out, before);
        out.push('“');
        let (quoted, tail) = after.split_once('”').unwrap_or((after, ""));
        if quoted.chars().any(is_cyrillic) {
            out.push_str(&data_html(quoted));
        } else {
            escape_into(out, quoted);
        }
        if after.contains('”') {
            out.push('”');
        }
        rest = tail;
    }
    escape_into(out, rest);
}

/// Data in Russian as HTML: marked `lang="ru"` on an English page when it has Cyrillic in it.
pub fn data_html(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 24);
    let marked = locale() == Locale::En && value.chars().any(is_cyrillic);
    if marked {
        out.push_str("<span lang=\"ru\">");
    }
    escape_into(&mut out, value);
    if marked {
        out.push_str("</span>");
    }
    out
}

/// ` lang="ru"` on an English page, for an element holding Russian data where a `<span>` cannot go
/// (an `<option>`, a `<textarea>`): `<option{{ crate::i18n::lang_ru()|safe }}>`.
pub fn lang_ru() -> &'static str {
    if locale() == Locale::En { " lang=\"ru\"" } else { "" }
}

fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            c => out.push(c),
        }
    }
}

/// The templates' filter: `{{ "Поиск организаций"|t }}`, `{{ message|t }}`. Each module that
/// defines templates brings it in with `use crate::i18n::filters;`.
pub mod filters {
    use askama::filters::Safe;

    /// A value that may be a word of the UI (a status, «Итого») or data (a region, a name): its
    /// English when the catalogue has it, else marked as Russian data (report cells, job errors).
    #[askama::filter_fn]
    pub fn t_or_data(value: impl std::fmt::Display, _: &dyn askama::Values) -> askama::Result<Safe<String>> {
        let value = value.to_string();
        let known = super::locale() == super::Locale::En && super::ENGLISH.english(&value).is_some();
        Ok(Safe(if known { super::html(&value) } else { super::data_html(&value) }))
    }

    /// `t` for text where no markup goes (`<title>`): values are not marked.
    #[askama::filter_fn]
    pub fn t_text(text: impl std::fmt::Display, _: &dyn askama::Values) -> askama::Result<String> {
        Ok(super::t(&text.to_string()).into_owned())
    }

    /// Data in Russian (a name, an address, a directory's value, what a person wrote): on an English
    /// page it is marked `<span lang="ru">`, on a Russian one it is the text as it is.
    #[askama::filter_fn]
    pub fn data(value: impl std::fmt::Display, _: &dyn askama::Values) -> askama::Result<Safe<String>> {
        Ok(Safe(super::data_html(&value.to_string())))
    }

    #[askama::filter_fn]
    pub fn t(text: impl std::fmt::Display, _: &dyn askama::Values) -> askama::Result<Safe<String>> {
        Ok(Safe(super::html(&text.to_string())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn english(text: &str) -> Option<String> {
        let catalogue = Catalogue::parse(&[(
            "test.toml",
            r#""Найдено: {n}" = "Found: {n}"
"Заявка {number} отправлена до {due}." = "Request {number} sent, due {due}."
"Заявка {number} отправлена до {due}. Ещё {n}" = "Request {number} sent, due {due}. {n} more"
"Поиск" = "Search"
"Телефон" = "Phone"
"от 10 до 15 цифр" = "10 to 15 digits""#,
        )])
        .expect("catalogue");
        let pieces = catalogue.english(text)?;
        Some(
            pieces
                .iter()
                .map(|p| match p {
                    Piece::Text(s) => (*s).to_owned(),
                    Piece::Value(v) => format!("[{v}]"),
                })
                .collect(),
        )
    }

    #[test]
    fn exact_texts_and_patterns_translate_with_their_values() {
        assert_eq!(english("Поиск").as_deref(), Some("Search"));
        assert_eq!(english("Найдено: 12").as_deref(), Some("Found: [12]"));
        assert_eq!(
            english("Заявка З-1 отправлена до 01.02.2027.").as_deref(),
            Some("Request [З-1] sent, due [01.02.2027].")
        );
        assert_eq!(
            english("Заявка З-1 отправлена до 01.02.2027. Ещё 3").as_deref(),
            Some("Request [З-1] sent, due [01.02.2027]. [3] more")
        );
        assert_eq!(english("Найдено: "), None, "a hole is never empty");
        assert_eq!(english("Телефон: от 10 до 15 цифр; Поиск").as_deref(), Some("Phone: 10 to 15 digits; Search"));
        assert_eq!(english("Телефон: не заполнен"), None, "every part or nothing");
        assert_eq!(english("Поиск организаций"), None);
    }

    #[test]
    fn the_lang_parameter_is_taken_out_of_the_address() {
        assert_eq!(split_lang("q=a&lang=en&page=2"), (Some("en"), "q=a&page=2".to_owned()));
        assert_eq!(split_lang(""), (None, String::new()));
        assert!(keeps_query("/", "q=a") && !keeps_query("/", ""));
        assert!(!keeps_query("/login/esia/callback", "error=x"), "a provider's words are not echoed");
        assert_eq!(here("/", "q=a"), "/?q=a");
        assert_eq!(here("//evil.example/x", ""), "/evil.example/x", "the switch never leads off the site");
        assert_eq!(here("/\\evil.example", ""), "/evil.example");
    }

    #[test]
    fn the_shipped_catalogue_parses_and_its_patterns_name_their_holes() {
        let catalogue = Catalogue::parse(&SHIPPED).expect("locales/en");
        for pattern in &catalogue.patterns {
            let names: Vec<&str> = pattern.holes.iter().map(|(n, _)| n.as_str()).collect();
            let mut rest = pattern.english.as_str();
            while let Some((_, after)) = rest.split_once('{') {
                let (name, tail) = after.split_once('}').expect("closed hole");
                assert!(names.contains(&name), "«{}» uses {{{name}}}, which its key lacks", pattern.english);
                rest = tail;
            }
        }
        // Russian words an English text quotes (“м”, what a person types) are not its own words.
        let unquoted = |text: &str| {
            text.split('“').map(|part| part.split_once('”').map_or(part, |(_, rest)| rest)).collect::<String>()
        };
        for english in catalogue.exact.values() {
            assert!(!unquoted(english).chars().any(is_cyrillic), "Cyrillic in the English «{english}»");
        }
    }

    #[test]
    fn quoted_russian_in_english_is_marked() {
        let mut out = String::new();
        let current = crate::frame::Current {
            locale: Locale::En,
            uri: axum::http::Uri::from_static("/"),
            id: HeaderValue::from_static("-"),
        };
        crate::frame::CURRENT.sync_scope(current, || english_into(&mut out, "“м” or “f” <"));
        assert_eq!(out, "“<span lang=\"ru\">м</span>” or “f” &lt;");
    }

    #[test]
    fn outside_a_request_the_text_is_russian_and_escaped() {
        assert_eq!(t("Поиск"), "Поиск");
        assert_eq!(html("<Поиск>"), "&lt;Поиск&gt;");
    }
}
