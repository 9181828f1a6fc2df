//! The bare baseline of `scripts/bench` (issue #22): the least a server does to answer the same
//! requests over the same database, so frmo's figures can be printed as ratios measured in the same
//! run on the same machine. A minimal axum server: `/healthz` answers `ok`; `/card/{oid}` reads the
//! current card of one organization by its key — the statement frmo's store runs — and returns its
//! JSON as stored. No middleware, no access check, no journal, no error pages.
//!
//! `frmo-bare DATABASE_URL BIND` (`sqlite://PATH` or `postgres://…`; `127.0.0.1:0` picks a port);
//! prints `frmo-bare: listening on http://ADDRESS` when it is ready.

use std::cell::RefCell;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

const SQLITE_CARD: &str = "SELECT card FROM organization_versions WHERE oid = ?1 AND valid_to IS NULL";
const POSTGRES_CARD: &str = "SELECT card::text FROM organization_versions WHERE oid = $1 AND valid_to IS NULL";
/// PostgreSQL connections, used in turn (each pipelines the queries sent to it).
const POSTGRES_CONNECTIONS: usize = 8;

enum Db {
    /// Each blocking thread opens its own read connection to the file, once.
    Sqlite(Arc<str>),
    Postgres(Vec<(tokio_postgres::Client, tokio_postgres::Statement)>, AtomicUsize),
}

thread_local! {
    static CONNECTION: RefCell<Option<rusqlite::Connection>> = const { RefCell::new(None) };
}

impl Db {
    async fn open(url: &str) -> Result<Db, String> {
        if let Some(path) = url.strip_prefix("sqlite://") {
            return Ok(Db::Sqlite(Arc::from(path)));
        }
        let mut clients = Vec::new();
        for _ in 0..POSTGRES_CONNECTIONS {
            let (client, connection) =
                tokio_postgres::connect(url, tokio_postgres::NoTls).await.map_err(|e| e.to_string())?;
            tokio::spawn(connection);
            let statement = client.prepare(POSTGRES_CARD).await.map_err(|e| e.to_string())?;
            clients.push((client, statement));
        }
        Ok(Db::Postgres(clients, AtomicUsize::new(0)))
    }

    async fn card(&self, oid: String) -> Result<Option<String>, String> {
        match self {
            Db::Sqlite(path) => {
                let path = path.clone();
                tokio::task::spawn_blocking(move || {
                    CONNECTION.with_borrow_mut(|slot| {
                        if slot.is_none() {
                            let flags =
                                rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX;
                            *slot =
                                Some(rusqlite::Connection::open_with_flags(&*path, flags).map_err(|e| e.to_string())?);
                        }
                        let connection = slot.as_ref().ok_or("no connection")?;
                        let mut statement = connection.prepare_cached(SQLITE_CARD).map_err(|e| e.to_string())?;
                        let mut rows = statement.query([&oid]).map_err(|e| e.to_string())?;
                        match rows.next().map_err(|e| e.to_string())? {
                            Some(row) => row.get(0).map(Some).map_err(|e| e.to_string()),
                            None => Ok(None),
                        }
                    })
                })
                .await
                .map_err(|e| e.to_string())?
            }
            Db::Postgres(clients, next) => {
                let (client, statement) = &clients[next.fetch_add(1, Ordering::Relaxed) % clients.len()];
                let row = client.query_opt(statement, &[&oid]).await.map_err(|e| e.to_string())?;
                Ok(row.map(|r| r.get(0)))
            }
        }
    }
}

async fn card(State(db): State<Arc<Db>>, Path(oid): Path<String>) -> Response {
    match db.card(oid).await {
        Ok(Some(card)) => ([(header::CONTENT_TYPE, "application/json")], card).into_response(),
        Ok(None) => StatusCode::NOT_FOUND.into_response(),
        Err(error) => (StatusCode::INTERNAL_SERVER_ERROR, error).into_response(),
    }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [url, bind] = args.as_slice() else {
        eprintln!("usage: frmo-bare DATABASE_URL BIND");
        return std::process::ExitCode::from(2);
    };
    let db = match Db::open(url).await {
        Ok(db) => Arc::new(db),
        Err(error) => {
            eprintln!("frmo-bare: {error}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let app =
        axum::Router::new().route("/healthz", get(|| async { "ok" })).route("/card/{oid}", get(card)).with_state(db);
    let listener = match tokio::net::TcpListener::bind(bind).await {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!("frmo-bare: {bind}: {error}");
            return std::process::ExitCode::FAILURE;
        }
    };
    if let Ok(address) = listener.local_addr() {
        println!("frmo-bare: listening on http://{address}");
    }
    match axum::serve(listener, app).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("frmo-bare: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}
