//! Settings, read from the environment (and command-line flags) once at start-up.
//!
//! Every setting is documented with its default in `.env.template`. The database is chosen
//! from the scheme of `DATABASE_URL`: `sqlite:` or `postgres:`/`postgresql:`; anything else
//! is refused with a clear message before anything starts.
use std::{net::SocketAddr, path::PathBuf, time::Duration};

/// Which database engine a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatabaseKind {
    Sqlite,
    Postgres,
}

#[derive(Debug, Clone)]
pub struct DatabaseSettings {
    pub url: String,
    pub kind: DatabaseKind,
    /// Most connections in the pool (PostgreSQL; SQLite readers).
    pub max_connections: u32,
}

impl DatabaseSettings {
    pub fn from_url(url: &str) -> anyhow::Result<Self> {
        let kind = database_kind(url)?;
        Ok(DatabaseSettings { url: url.to_owned(), kind, max_connections: 10 })
    }
}

/// The default database: a SQLite file `pbvote.db` in the working directory, created if
/// it is missing, so `cargo run` works on a fresh machine.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://pbvote.db?mode=rwc";
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";

pub fn database_kind(url: &str) -> anyhow::Result<DatabaseKind> {
    let scheme = url.split_once(':').map(|(s, _)| s).unwrap_or("");
    match scheme {
        "sqlite" => Ok(DatabaseKind::Sqlite),
        "postgres" | "postgresql" => Ok(DatabaseKind::Postgres),
        _ => anyhow::bail!(
            "DATABASE_URL must start with sqlite: or postgres:, got {:?} (for example {DEFAULT_DATABASE_URL} or postgres://user@localhost/pbvote)",
            if scheme.is_empty() { url } else { scheme }
        ),
    }
}

/// Everything the server needs to start.
#[derive(Debug, Clone)]
pub struct Settings {
    pub database: DatabaseSettings,
    pub bind: String,
    /// The key for voter-code and session hashes. See `security::keys`.
    pub secret: Secret,
    /// Where the static pages live.
    pub frontend_dir: PathBuf,
    /// The address residents type, used in voter-code letters (`{public_url}/vote.html?c=…`).
    /// `None`: derived from the bound address.
    pub public_url: Option<String>,
    /// How long a sign-in lasts.
    pub session_ttl: Duration,
    /// Requests larger than this are refused with 413.
    pub max_body_bytes: usize,
    /// How many reverse proxies stand in front of the server (0: none). With N, the client
    /// address is the N-th entry from the right of `X-Forwarded-For`, the one the outermost
    /// proxy appended; see `routes::client_address`.
    pub trusted_proxies: u8,
    pub limits: crate::rate_limit::Limits,
}

impl Settings {
    /// Settings for tests and embedding: a given database, a random port on loopback.
    pub fn for_database(url: &str, secret: Secret) -> anyhow::Result<Self> {
        Ok(Settings {
            database: DatabaseSettings::from_url(url)?,
            bind: "127.0.0.1:0".into(),
            secret,
            frontend_dir: default_frontend_dir(),
            public_url: None,
            session_ttl: Duration::from_secs(12 * 3600),
            max_body_bytes: 256 * 1024,
            trusted_proxies: 0,
            limits: crate::rate_limit::Limits::default(),
        })
    }

    pub fn bind_addr(&self) -> anyhow::Result<SocketAddr> {
        self.bind
            .parse()
            .map_err(|e| anyhow::anyhow!("PBVOTE_BIND must be host:port such as 127.0.0.1:8080, got {:?}: {e}", self.bind))
    }
}

/// `./frontend` when run from the repository, else the directory the binary was built from.
pub fn default_frontend_dir() -> PathBuf {
    let here = PathBuf::from("frontend");
    if here.join("index.html").exists() {
        here
    } else {
        PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/frontend"))
    }
}

/// A server secret that never shows in logs or `Debug` output.
#[derive(Clone)]
pub struct Secret(Vec<u8>);

impl Secret {
    pub fn new(bytes: impl Into<Vec<u8>>) -> anyhow::Result<Self> {
        let bytes = bytes.into();
        anyhow::ensure!(bytes.len() >= 32, "PBVOTE_SECRET must be at least 32 characters long");
        Ok(Secret(bytes))
    }

    pub fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(…)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_kind_follows_the_url_scheme() {
        assert_eq!(database_kind("sqlite://x.db").unwrap(), DatabaseKind::Sqlite);
        assert_eq!(database_kind("sqlite::memory:").unwrap(), DatabaseKind::Sqlite);
        assert_eq!(database_kind("postgres://u@h/db").unwrap(), DatabaseKind::Postgres);
        assert_eq!(database_kind("postgresql://u@h/db").unwrap(), DatabaseKind::Postgres);
        let err = database_kind("mysql://u@h/db").unwrap_err().to_string();
        assert!(err.contains("mysql"), "{err}");
        assert!(database_kind("pbvote.db").is_err());
    }

    #[test]
    fn short_secrets_are_refused() {
        assert!(Secret::new("short").is_err());
        assert!(Secret::new(vec![7u8; 32]).is_ok());
        assert_eq!(format!("{:?}", Secret::new(vec![7u8; 32]).unwrap()), "Secret(…)");
    }
}
