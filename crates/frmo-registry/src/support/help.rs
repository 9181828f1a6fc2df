//! The help centre: articles written in Markdown and shipped as data (`data/help/*.md`, each with
//! a front matter: slug, title, version, updated, topic, keywords), searched with the register's
//! Russian normaliser (stems, ё→е) and suggested while a request is typed. An article's version
//! and date are shown with it; changing an article is a commit that raises its version.

use std::collections::HashMap;
use std::sync::LazyLock;

use frmo_domain::access::{Action, Target};
use frmo_domain::error::ValidationError;
use frmo_store::search::normalize::terms;
use frmo_store::support::HelpArticleRecord;

use crate::Caller;
use crate::{Registry, RegistryError, Result};

const SOURCES: &[&str] = &[
    include_str!("../../data/help/esia-access.md"),
    include_str!("../../data/help/confirmed-account.md"),
    include_str!("../../data/help/esia-errors.md"),
    include_str!("../../data/help/organization-not-found.md"),
    include_str!("../../data/help/rejected-change.md"),
    include_str!("../../data/help/document-formats.md"),
    include_str!("../../data/help/support-deadlines.md"),
];

/// An article of the help centre.
#[derive(Debug, Clone)]
pub struct Article {
    pub slug: String,
    pub title: String,
    pub version: u32,
    pub updated: String,
    /// The support topic it answers (`access`, `data`, …).
    pub topic: String,
    pub keywords: Vec<String>,
    /// The Markdown text.
    pub body: String,
    /// Normalised terms with their weight: title 3, keywords 2, text 1.
    weights: HashMap<String, u32>,
}

impl Article {
    /// The text as HTML (escaped; headings, lists, tables, bold, code, links).
    pub fn html(&self) -> String {
        markdown(&self.body)
    }

    /// The first paragraph, as plain text (for lists of results).
    pub fn summary(&self) -> String {
        let first = self.body.split("\n\n").find(|p| !p.trim_start().starts_with('#')).unwrap_or_default();
        first.replace(['*', '`'], "").trim().to_owned()
    }
}

/// Parses one article; an error names what is missing.
pub fn parse_article(source: &str) -> Result<Article, String> {
    let rest = source.strip_prefix("---\n").ok_or("нет заголовка (---)")?;
    let (head, body) = rest.split_once("\n---\n").ok_or("заголовок не закрыт (---)")?;
    let mut fields: HashMap<&str, &str> = HashMap::new();
    for line in head.lines() {
        if let Some((key, value)) = line.split_once(':') {
            fields.insert(key.trim(), value.trim());
        }
    }
    let field = |name: &str| fields.get(name).map(|v| (*v).to_owned()).ok_or(format!("нет поля {name}"));
    let slug = field("slug")?;
    let title = field("title")?;
    let version = field("version")?.parse().map_err(|_| "version — не число".to_owned())?;
    let keywords: Vec<String> = field("keywords")
        .unwrap_or_default()
        .split(',')
        .map(|k| k.trim().to_owned())
        .filter(|k| !k.is_empty())
        .collect();
    let mut weights: HashMap<String, u32> = HashMap::new();
    let mut add = |text: &str, weight: u32| {
        for term in terms(text) {
            let entry = weights.entry(term).or_default();
            *entry = (*entry).max(weight);
        }
    };
    add(body, 1);
    add(&keywords.join(" "), 2);
    add(&title, 3);
    Ok(Article {
        slug,
        title,
        version,
        updated: field("updated").unwrap_or_default(),
        topic: field("topic").unwrap_or_default(),
        keywords,
        body: body.trim().to_owned(),
        weights,
    })
}

static ARTICLES: LazyLock<Vec<Article>> = LazyLock::new(|| {
    SOURCES
        .iter()
        .filter_map(|source| match parse_article(source) {
            Ok(article) => Some(article),
            Err(error) => {
                tracing::error!(%error, "a help article does not parse");
                None
            }
        })
        .collect()
});

/// Every article, in the shipped order.
pub fn articles() -> &'static [Article] {
    &ARTICLES
}

pub fn article(slug: &str) -> Option<&'static Article> {
    ARTICLES.iter().find(|a| a.slug == slug)
}

/// Shipped articles matching a query, best first (see [`search_in`]).
pub fn search(query: &str, limit: usize) -> Vec<&'static Article> {
    search_in(&ARTICLES, query, limit)
}

/// Articles matching a query, best first: each query term found in an article adds its weight
/// there, scaled by how rare the term is among articles. The last word also matches as a prefix
/// (it may be half-typed). At most `limit`.
pub fn search_in<'a>(articles: &'a [Article], query: &str, limit: usize) -> Vec<&'a Article> {
    let words = terms(query);
    if words.is_empty() {
        return Vec::new();
    }
    let last_typed = query.trim_end().len() == query.len() && !query.ends_with(char::is_whitespace);
    let total = articles.len().max(1) as f64;
    let mut scored: Vec<(f64, usize)> = Vec::new();
    for (i, article) in articles.iter().enumerate() {
        let mut score = 0.0;
        for (n, word) in words.iter().enumerate() {
            let prefix = last_typed && n + 1 == words.len() && word.chars().count() >= 3;
            let matches = |a: &Article| {
                a.weights.get(word).copied().or_else(|| {
                    prefix
                        .then(|| a.weights.iter().filter(|(t, _)| t.starts_with(word.as_str())).map(|(_, w)| *w).max())
                        .flatten()
                })
            };
            if let Some(weight) = matches(article) {
                let with = articles.iter().filter(|a| matches(a).is_some()).count().max(1) as f64;
                score += f64::from(weight) * (1.0 + (total / with).ln());
            }
        }
        if score > 0.0 {
            scored.push((score, i));
        }
    }
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    scored.into_iter().take(limit).map(|(_, i)| &articles[i]).collect()
}

/// An article as an administrator edits it.
#[derive(Debug, Clone, Default)]
pub struct ArticleForm {
    pub slug: String,
    pub title: String,
    pub topic: String,
    pub keywords: String,
    pub body: String,
    /// The version the editor started from (0 for a new article).
    pub version: i64,
}

/// The stored text of an article: the front matter and the Markdown, as the shipped files.
pub fn source(form: &ArticleForm, version: i64, updated: &str) -> String {
    let line = |text: &str| text.replace(['\r', '\n'], " ").trim().to_owned();
    format!(
        "---\nslug: {}\ntitle: {}\nversion: {version}\nupdated: {updated}\ntopic: {}\nkeywords: {}\n---\n{}\n",
        line(&form.slug),
        line(&form.title),
        line(&form.topic),
        line(&form.keywords),
        form.body.replace("\r\n", "\n").trim()
    )
}

fn valid_slug(slug: &str) -> bool {
    (3..=60).contains(&slug.len()) && slug.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

impl Registry {
    /// The help centre: the shipped articles, each replaced by a newer version an administrator
    /// saved, and the articles written in the registry, in that order.
    pub async fn help_articles(&self) -> Result<Vec<Article>> {
        let mut list: Vec<Article> = ARTICLES.clone();
        for record in self.store.help_articles().await? {
            let Ok(article) = parse_article(&record.source) else {
                tracing::warn!(slug = %record.slug, "a stored help article does not parse");
                continue;
            };
            match list.iter_mut().find(|a| a.slug == article.slug) {
                Some(shipped) if i64::from(shipped.version) < record.version => *shipped = article,
                Some(_) => {}
                None => list.push(article),
            }
        }
        Ok(list)
    }

    pub async fn help_article(&self, slug: &str) -> Result<Article> {
        self.help_articles()
            .await?
            .into_iter()
            .find(|a| a.slug == slug)
            .ok_or_else(|| RegistryError::NotFound(format!("Статья «{slug}» не найдена")))
    }

    /// Saves a new version of an article (or a new article, `form.version` 0): administrators
    /// only, checked field by field, journaled; `Conflict` when someone saved a newer version.
    pub async fn save_help_article(&self, caller: &Caller, form: ArticleForm) -> Result<String> {
        self.authorize(caller, Action::Administer, Target::None).await?;
        let mut errors = Vec::new();
        let slug = form.slug.trim().to_owned();
        if !valid_slug(&slug) {
            errors.push(ValidationError::new(
                "slug",
                "Адрес статьи",
                "от 3 до 60 строчных латинских букв, цифр и дефисов",
            ));
        }
        match form.title.trim().chars().count() {
            0 => errors.push(ValidationError::new("title", "Заголовок", "не заполнен")),
            201.. => errors.push(ValidationError::new("title", "Заголовок", "не длиннее 200 символов")),
            _ => {}
        }
        match form.body.trim().chars().count() {
            0 => errors.push(ValidationError::new("body", "Текст статьи", "не заполнен")),
            50_001.. => errors.push(ValidationError::new("body", "Текст статьи", "не длиннее 50 000 символов")),
            _ => {}
        }
        if !form.topic.trim().is_empty() && super::classifier::Topic::parse(form.topic.trim()).is_none() {
            errors.push(ValidationError::new("topic", "Тема", "выберите тему из списка"));
        }
        if form.keywords.chars().count() > 500 {
            errors.push(ValidationError::new("keywords", "Ключевые слова", "не длиннее 500 символов"));
        }
        if !errors.is_empty() {
            return Err(RegistryError::Invalid(errors));
        }
        let current =
            self.help_articles().await?.into_iter().find(|a| a.slug == slug).map_or(0, |a| i64::from(a.version));
        if current != form.version {
            return Err(RegistryError::Conflict(if form.version == 0 {
                format!("Статья с адресом «{slug}» уже есть; выберите другой адрес.")
            } else {
                "Статью уже изменили; откройте её снова и повторите правку.".into()
            }));
        }
        let version = current + 1;
        let updated = frmo_domain::date::iso(self.today());
        let text = source(&ArticleForm { slug: slug.clone(), ..form }, version, &updated);
        parse_article(&text).map_err(|e| RegistryError::invalid(ValidationError::new("body", "Текст статьи", e)))?;
        let detail = serde_json::json!({"slug": slug, "version": version});
        let audit = vec![self.entry(caller, "help_article", &format!("help:{slug}"), detail).await];
        let (user_id, _) = self.actor_label(caller.actor()).await;
        let record =
            HelpArticleRecord { slug: slug.clone(), version, source: text, author_id: user_id, created_at: self.now() };
        self.store.add_help_article(&record, audit).await?;
        Ok(slug)
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Whether a link may be followed from an article: `http(s)://` with a host, or a relative
/// address (a path of this site, `#…`, `?…`) — never another scheme (`javascript:`, `data:`,
/// `vbscript:`…), a protocol-relative `//host` (nor `/\host`, which browsers read the same), or an
/// address with spaces, control characters or backslashes that browsers would quietly repair.
fn safe_href(href: &str) -> bool {
    if href.is_empty() || href.chars().any(|c| c.is_whitespace() || c.is_control() || c == '\\') {
        return false;
    }
    let lower = href.to_ascii_lowercase();
    if let Some(rest) = lower.strip_prefix("https://").or_else(|| lower.strip_prefix("http://")) {
        return rest.split(['/', '?', '#']).next().is_some_and(|host| !host.is_empty());
    }
    if href.starts_with("//") {
        return false;
    }
    // Relative: no scheme, that is no `:` before the first `/`, `?` or `#`.
    let head = href.split(['/', '?', '#']).next().unwrap_or_default();
    !head.contains(':')
}

/// Inline Markdown of one escaped line: `code`, **bold**, [text](link) (links by [`safe_href`]).
fn inline(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find(['`', '*', '[']) {
        out.push_str(&escape(&rest[..at]));
        let tail = &rest[at..];
        if let Some(code) = tail.strip_prefix('`').and_then(|t| t.split_once('`')) {
            out.push_str(&format!("<code>{}</code>", escape(code.0)));
            rest = code.1;
        } else if let Some(bold) = tail.strip_prefix("**").and_then(|t| t.split_once("**")) {
            out.push_str(&format!("<strong>{}</strong>", escape(bold.0)));
            rest = bold.1;
        } else if let Some((label, after)) = tail.strip_prefix('[').and_then(|t| t.split_once("](")) {
            match after.split_once(')') {
                Some((href, after)) if safe_href(href) => {
                    out.push_str(&format!("<a href=\"{}\">{}</a>", escape(href), escape(label)));
                    rest = after;
                }
                _ => {
                    out.push_str(&escape(&tail[..1]));
                    rest = &tail[1..];
                }
            }
        } else {
            out.push_str(&escape(&tail[..1]));
            rest = &tail[1..];
        }
    }
    out.push_str(&escape(rest));
    out
}

/// The Markdown the articles use, as HTML: `##` headings, paragraphs, `-` and `1.` lists, pipe
/// tables, and the inline forms of [`inline`]. Everything else is text (escaped).
pub fn markdown(source: &str) -> String {
    let mut html = String::new();
    for block in source.split("\n\n").map(str::trim).filter(|b| !b.is_empty()) {
        let lines: Vec<&str> = block.lines().map(str::trim).collect();
        if let Some(heading) = block.strip_prefix("### ") {
            html.push_str(&format!("<h4>{}</h4>\n", inline(heading)));
        } else if let Some(heading) = block.strip_prefix("## ").or_else(|| block.strip_prefix("# ")) {
            html.push_str(&format!("<h2>{}</h2>\n", inline(heading)));
        } else if lines.iter().all(|l| l.starts_with("- ")) {
            html.push_str("<ul>");
            for line in lines {
                html.push_str(&format!("<li>{}</li>", inline(&line[2..])));
            }
            html.push_str("</ul>\n");
        } else if lines
            .iter()
            .all(|l| l.split_once(". ").is_some_and(|(n, _)| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit())))
        {
            html.push_str("<ol>");
            for line in lines {
                let item = line.split_once(". ").map(|(_, t)| t).unwrap_or_default();
                html.push_str(&format!("<li>{}</li>", inline(item)));
            }
            html.push_str("</ol>\n");
        } else if lines.len() >= 2 && lines.iter().all(|l| l.starts_with('|')) {
            let cells = |line: &str| line.trim_matches('|').split('|').map(|c| c.trim().to_owned()).collect::<Vec<_>>();
            html.push_str("<table><tr>");
            for cell in cells(lines[0]) {
                html.push_str(&format!("<th>{}</th>", inline(&cell)));
            }
            html.push_str("</tr>");
            for line in lines.iter().skip(2) {
                html.push_str("<tr>");
                for cell in cells(line) {
                    html.push_str(&format!("<td>{}</td>", inline(&cell)));
                }
                html.push_str("</tr>");
            }
            html.push_str("</table>\n");
        } else {
            html.push_str(&format!("<p>{}</p>\n", lines.iter().map(|l| inline(l)).collect::<Vec<_>>().join(" ")));
        }
    }
    html
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_article_parses() {
        for source in SOURCES {
            let article = parse_article(source).expect("article");
            assert!(article.version >= 1 && !article.title.is_empty() && !article.body.is_empty());
        }
        assert_eq!(articles().len(), SOURCES.len());
        assert!(parse_article("no front matter").is_err());
    }

    #[test]
    fn search_finds_word_forms_codes_and_half_typed_words() {
        let first = |q: &str| search(q, 3).first().map(|a| a.slug.clone());
        assert_eq!(first("ошибка ESIA-007053 при входе").as_deref(), Some("esia-errors"));
        assert_eq!(first("учётную запись не подтвердили").as_deref(), Some("confirmed-account"));
        assert_eq!(first("нашей организации нет в реестре").as_deref(), Some("organization-not-found"));
        assert_eq!(first("заявку отклонили").as_deref(), Some("rejected-change"));
        assert_eq!(first("какой размер файла можно загрузить").as_deref(), Some("document-formats"));
        assert_eq!(first("не могу войти через госуслуги, нет моей организации").as_deref(), Some("esia-access"));
        // While typing: «подтвержд» is half a word.
        assert!(search("учётная запись подтвержд", 3).iter().any(|a| a.slug == "confirmed-account"));
        assert!(search("и в на", 3).is_empty());
    }

    #[test]
    fn markdown_is_escaped_and_structured() {
        let html = markdown(
            "## Заголовок\n\nТекст <script> и **жирный** `код` [ссылка](/support)\n\n- один\n- два\n\n1. первый\n2. второй\n\n| A | B |\n|---|---|\n| 1 | 2 |\n\n[плохая](javascript:alert(1))",
        );
        assert!(html.contains("<h2>Заголовок</h2>"));
        assert!(html.contains("&lt;script&gt;") && !html.contains("<script>"));
        assert!(html.contains("<strong>жирный</strong>") && html.contains("<code>код</code>"));
        assert!(html.contains("<a href=\"/support\">ссылка</a>"));
        assert!(html.contains("<ul><li>один</li><li>два</li></ul>"));
        assert!(html.contains("<ol><li>первый</li><li>второй</li></ol>"));
        assert!(html.contains("<th>A</th>") && html.contains("<td>2</td>"));
        assert!(!html.contains("href=\"javascript"));
    }

    #[test]
    fn links_go_only_to_http_and_relative_addresses() {
        for good in ["/support", "https://minzdrav.gov.ru/x?y=1#z", "http://example.ru", "faq/limits", "#top", "?q=1"] {
            assert!(safe_href(good), "{good}");
            assert!(markdown(&format!("[a]({good})")).contains("<a href="), "{good}");
        }
        for bad in [
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            "data:text/html;base64,PHNjcmlwdD4=",
            "vbscript:msgbox",
            "mailto:x@example.ru",
            "//evil.example/x",
            "/\\evil.example",
            "java\tscript:alert(1)",
            " javascript:alert(1)",
            "https://",
            "https:/evil",
            "",
        ] {
            assert!(!safe_href(bad), "{bad:?}");
            assert!(!markdown(&format!("[a]({bad})")).contains("<a "), "{bad:?}");
        }
    }
}
