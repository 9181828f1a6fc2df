//! Configuration: defaults → `frmo.toml` (or `--config FILE`) → `FRMO_*` environment. A wrong
//! value stops start-up with a message naming it.

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};
use std::path::Path;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Directory for the embedded database and documents.
    pub data_dir: String,
    /// `sqlite://PATH` or `postgres://…`; empty means `sqlite://<data_dir>/frmo.db`.
    pub database_url: String,
    /// Listen address.
    pub bind: String,
    /// Log filter (tracing syntax), e.g. `info` or `frmo=debug`.
    pub log: String,
    /// Logs as JSON lines.
    pub log_json: bool,
    /// Generated organizations in the demo register (besides the real ones).
    pub demo_orgs: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            data_dir: "./data".into(),
            database_url: String::new(),
            bind: "127.0.0.1:8080".into(),
            log: "info".into(),
            log_json: false,
            demo_orgs: 2000,
        }
    }
}

impl Config {
    pub fn load(file: Option<&Path>) -> Result<Self, String> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        match file {
            Some(path) if !path.exists() => return Err(format!("файл {} не найден", path.display())),
            Some(path) => figment = figment.merge(Toml::file(path)),
            None => figment = figment.merge(Toml::file("frmo.toml")),
        }
        figment = figment.merge(Env::prefixed("FRMO_").only(&[
            "data_dir",
            "database_url",
            "bind",
            "log",
            "log_json",
            "demo_orgs",
        ]));
        let mut config: Config = figment.extract().map_err(|e| describe(&e))?;
        if config.database_url.is_empty() {
            config.database_url = format!("sqlite://{}/frmo.db", config.data_dir.trim_end_matches('/'));
        }
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), String> {
        let url = &self.database_url;
        let known = ["sqlite://", "sqlite:", "postgres://", "postgresql://"];
        if !known.iter().any(|p| url.starts_with(p)) {
            return Err(format!(
                "database_url (FRMO_DATABASE_URL): ожидается sqlite://ПУТЬ или postgres://…, получено «{}»",
                self.redacted_database_url()
            ));
        }
        if self.bind.parse::<std::net::SocketAddr>().is_err() {
            return Err(format!("bind (FRMO_BIND): ожидается адрес вида 127.0.0.1:8080, получено «{}»", self.bind));
        }
        if tracing_subscriber::EnvFilter::try_new(&self.log).is_err() {
            return Err(format!("log (FRMO_LOG): неверный фильтр журнала «{}»", self.log));
        }
        Ok(())
    }

    /// The database URL without its password, for messages and logs.
    pub fn redacted_database_url(&self) -> String {
        match (self.database_url.find("://"), self.database_url.rfind('@')) {
            (Some(scheme), Some(at)) if at > scheme => {
                let credentials = &self.database_url[scheme + 3..at];
                let user = credentials.split(':').next().unwrap_or("");
                format!("{}{user}:***{}", &self.database_url[..scheme + 3], &self.database_url[at..])
            }
            _ => self.database_url.clone(),
        }
    }
}

/// Names the setting (and where it came from) in a figment error.
fn describe(error: &figment::Error) -> String {
    error
        .clone()
        .into_iter()
        .map(|e| {
            let key = e.path.join(".");
            let source = e.metadata.as_ref().map(|m| m.name.to_string()).unwrap_or_default();
            format!("{key}: {} ({source})", e.kind)
        })
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_passwords() {
        let config = Config { database_url: "postgres://frmo:secret@db:5432/frmo".into(), ..Config::default() };
        assert_eq!(config.redacted_database_url(), "postgres://frmo:***@db:5432/frmo");
    }
}
