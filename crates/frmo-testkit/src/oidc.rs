//! A real, certified OpenID provider for tests: the npm package `oidc-provider` (pinned in
//! tests/oidc/package.json), started by tests/oidc/provider.mjs as a child process, and a
//! "browser" that logs in through its development login and consent pages, as a person would.
//!
//! Needs `node` on the PATH (or in `$NODE`) and `npm ci` run in tests/oidc. Its accounts are
//! `ivanov` (verified e-mail) and `petrova`; its clients are `frmo` (secret `frmo-secret`,
//! HTTP Basic), `frmo-post` (`frmo-post-secret`, form body), `frmo-public` (PKCE only) and
//! `frmo-es256` (`frmo-es256-secret`, ES256 id_tokens).

#![allow(clippy::unwrap_used, clippy::panic)] // test support: a failure here is a failed test

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use reqwest::{StatusCode, Url, redirect};

use crate::process::{ReadyChild, free_port};

/// A running provider.mjs; killed when dropped.
pub struct OpenIdProvider {
    _child: ReadyChild,
    pub issuer: String,
    /// The redirect URI registered for every client.
    pub redirect_uri: String,
}

impl OpenIdProvider {
    /// Starts provider.mjs with its clients registered for `redirect_uri`.
    ///
    /// About one start in twenty-odd of Node.js 20 here stalls before the provider is built
    /// (measured: a loop of 20 starts, one silent for over 20 s; the others ready in 0.4–0.7 s),
    /// so a start that is not ready in 15 s is killed and tried again, up to three times.
    pub fn start(redirect_uri: &str) -> Self {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/oidc");
        assert!(
            dir.join("node_modules/oidc-provider/package.json").is_file(),
            "the test OpenID provider is not installed: run `npm ci` in {} (tests/oidc of the repository)",
            dir.display()
        );
        let node = std::env::var("NODE").unwrap_or_else(|_| "node".into());
        for attempt in 1..=3 {
            let port = free_port();
            let mut command = Command::new(&node);
            command.arg("provider.mjs").arg(port.to_string()).current_dir(&dir).env("REDIRECT_URI", redirect_uri);
            match ReadyChild::spawn("oidc-provider", command, Duration::from_secs(15)) {
                Some(child) => {
                    let issuer = format!("http://127.0.0.1:{port}");
                    return Self { _child: child, issuer, redirect_uri: redirect_uri.to_owned() };
                }
                None => eprintln!("oidc-provider: not ready after 15 s (attempt {attempt} of 3), starting again"),
            }
        }
        panic!("provider.mjs did not print \"ready\" in three attempts (its stderr is above)");
    }
}

// ---------------------------------------------------------------------------
// The browser
// ---------------------------------------------------------------------------

struct Cookie {
    name: String,
    value: String,
    path: String,
}

/// Walks the provider's own login and consent pages: follows redirects and submits forms itself,
/// keeping cookies by (name, path).
pub struct ProviderBrowser {
    http: reqwest::Client,
    cookies: Vec<Cookie>,
    /// The kinds of pages seen (the `prompt` of each submitted form).
    pub pages: Vec<String>,
}

impl Default for ProviderBrowser {
    fn default() -> Self {
        Self::new()
    }
}

impl ProviderBrowser {
    pub fn new() -> Self {
        let http = reqwest::Client::builder().redirect(redirect::Policy::none()).build().unwrap();
        Self { http, cookies: Vec::new(), pages: Vec::new() }
    }

    /// Logs in as `login` starting from the authorization URL; returns the callback URL the
    /// provider redirects to (a URL starting with `redirect_uri`), without visiting it.
    pub async fn log_in(&mut self, authorization_url: &str, login: &str, redirect_uri: &str) -> Url {
        let mut url = Url::parse(authorization_url).unwrap();
        let mut response = self.send(self.http.get(url.clone()), &url).await;
        for _ in 0..20 {
            let status = response.status();
            if status.is_redirection() {
                let location = response.headers()[LOCATION].to_str().unwrap();
                url = url.join(location).unwrap();
                if url.as_str().starts_with(redirect_uri) {
                    return url;
                }
                response = self.send(self.http.get(url.clone()), &url).await;
            } else if status == StatusCode::OK {
                let html = response.text().await.unwrap();
                let (action, mut fields) = parse_form(&html).unwrap_or_else(|| panic!("no form at {url}: {html}"));
                for (name, value) in &mut fields {
                    match name.as_str() {
                        "login" => *value = login.into(),
                        "password" => *value = "любой пароль".into(),
                        "prompt" => self.pages.push(value.clone()),
                        _ => {}
                    }
                }
                url = url.join(&action).unwrap();
                let body = serde_urlencoded::to_string(&fields).unwrap();
                let request =
                    self.http.post(url.clone()).header("content-type", "application/x-www-form-urlencoded").body(body);
                response = self.send(request, &url).await;
            } else {
                panic!("{url} answered {status}: {}", response.text().await.unwrap_or_default());
            }
        }
        panic!("the login did not reach {redirect_uri} in 20 steps (pages seen: {:?})", self.pages);
    }

    async fn send(&mut self, request: reqwest::RequestBuilder, url: &Url) -> reqwest::Response {
        let cookies: Vec<String> = self
            .cookies
            .iter()
            .filter(|cookie| path_matches(&cookie.path, url.path()))
            .map(|cookie| format!("{}={}", cookie.name, cookie.value))
            .collect();
        let request = if cookies.is_empty() { request } else { request.header(COOKIE, cookies.join("; ")) };
        let response = request.send().await.unwrap();
        for header in response.headers().get_all(SET_COOKIE) {
            self.store(header.to_str().unwrap(), url);
        }
        response
    }

    fn store(&mut self, set_cookie: &str, url: &Url) {
        let mut parts = set_cookie.split(';').map(str::trim);
        let (name, value) = parts.next().unwrap().split_once('=').unwrap();
        let mut path = match url.path().rfind('/') {
            Some(0) | None => "/".to_owned(),
            Some(slash) => url.path()[..slash].to_owned(),
        };
        let mut removed = value.is_empty();
        for attribute in parts {
            let (key, val) = attribute.split_once('=').unwrap_or((attribute, ""));
            match key.to_ascii_lowercase().as_str() {
                "path" => path = val.to_owned(),
                "max-age" => removed |= val.parse::<i64>().is_ok_and(|age| age <= 0),
                "expires" => removed |= val.contains("1970"),
                _ => {}
            }
        }
        self.cookies.retain(|cookie| !(cookie.name == name && cookie.path == path));
        if !removed {
            self.cookies.push(Cookie { name: name.into(), value: value.into(), path });
        }
    }
}

fn path_matches(cookie_path: &str, request_path: &str) -> bool {
    request_path == cookie_path
        || (request_path.starts_with(cookie_path)
            && (cookie_path.ends_with('/') || request_path.as_bytes().get(cookie_path.len()) == Some(&b'/')))
}

/// The action and the named inputs of the first form of a page.
fn parse_form(html: &str) -> Option<(String, Vec<(String, String)>)> {
    let form = &html[html.find("<form")?..];
    let form = &form[..form.find("</form>")?];
    let action = attribute(&form[..form.find('>')?], "action")?;
    let fields = form
        .split("<input")
        .skip(1)
        .filter_map(|input| {
            let tag = &input[..input.find('>')?];
            Some((attribute(tag, "name")?, attribute(tag, "value").unwrap_or_default()))
        })
        .collect();
    Some((action, fields))
}

fn attribute(tag: &str, name: &str) -> Option<String> {
    let start = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    let value = &tag[start..start + tag[start..].find('"')?];
    Some(
        value
            .replace("&quot;", "\"")
            .replace("&#39;", "'")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&"),
    )
}
