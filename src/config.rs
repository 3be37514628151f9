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
    /// How long a request waits for the database — for a connection, a lock, a statement —
    /// before it is answered `503` (`PBVOTE_DB_TIMEOUT`). See docs/reliability.md.
    pub timeout: Duration,
}

impl DatabaseSettings {
    pub fn from_url(url: &str) -> anyhow::Result<Self> {
        let kind = database_kind(url)?;
        Ok(DatabaseSettings { url: url.to_owned(), kind, max_connections: 10, timeout: Duration::from_secs(DEFAULT_DB_TIMEOUT_SECONDS) })
    }
}

/// `PBVOTE_DB_TIMEOUT`'s default: long enough for any statement pbvote runs on a healthy
/// database (the slowest, reading 150,000 ballots for a count, takes well under a second),
/// short enough that a resident hears "try again" before giving up on the page.
pub const DEFAULT_DB_TIMEOUT_SECONDS: u64 = 5;
/// The longest `PBVOTE_DB_TIMEOUT` allows.
pub const MAX_DB_TIMEOUT_SECONDS: u64 = 300;

/// The default database: a SQLite file `pbvote.db` in the working directory, created if
/// it is missing, so `cargo run` works on a fresh machine.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://pbvote.db?mode=rwc";
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";
/// The most database connections per instance `PBVOTE_DB_CONNECTIONS` allows.
pub const MAX_DB_CONNECTIONS: u32 = 1000;

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
    /// A request body must arrive whole within this time from when it is first read, or the
    /// answer is 408 and the connection is closed (a body sent a byte at a time would
    /// otherwise hold a connection and a worker's attention for ever).
    pub body_timeout: Duration,
    /// How many reverse proxies stand in front of the server (0: none). With N, the client
    /// address is the N-th entry from the right of `X-Forwarded-For`, the one the outermost
    /// proxy appended; see `routes::client_address`.
    pub trusted_proxies: u8,
    pub limits: crate::rate_limit::Limits,
    /// A bearer token for `/metrics` (`PBVOTE_METRICS_TOKEN`). Set: every request for the
    /// metrics must carry it. Unset: the metrics are served to requests that did not come
    /// through a trusted proxy only; see `routes::observability`.
    pub metrics_token: Option<Secret>,
    /// Who runs the consultations: shown on every page.
    pub council: Council,
    /// `PBVOTE_REQUIRE_TOTP_FOR_ADMINS`: an admin without two-step sign-in may do nothing
    /// but set it up.
    pub require_totp_for_admins: bool,
    /// `PBVOTE_RETENTION_DAYS`: delete voter rolls and the hashes of residents' e-mail
    /// addresses this many days after a consultation is published (checked every 10
    /// minutes); `None` keeps them.
    pub retention_days: Option<u32>,
    /// `PBVOTE_SMTP_URL` and `PBVOTE_MAIL_FROM`: how residents who register themselves get
    /// their code by e-mail. `None`: e-mail is not set up, and no consultation can turn
    /// self-registration on.
    pub mail: Option<MailSettings>,
}

/// Where e-mail goes out (`PBVOTE_SMTP_URL`, which may hold a password) and whom it is from
/// (`PBVOTE_MAIL_FROM`). Checked at start-up by `mail::Mailer::new`.
#[derive(Clone)]
pub struct MailSettings {
    pub smtp_url: SmtpUrl,
    pub from: String,
}

impl MailSettings {
    pub fn new(smtp_url: &str, from: &str) -> anyhow::Result<Self> {
        anyhow::ensure!(!smtp_url.trim().is_empty(), "PBVOTE_SMTP_URL is empty");
        anyhow::ensure!(!from.trim().is_empty(), "PBVOTE_MAIL_FROM is empty");
        Ok(MailSettings { smtp_url: SmtpUrl(smtp_url.trim().to_owned()), from: from.trim().to_owned() })
    }
}

impl std::fmt::Debug for MailSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailSettings").field("smtp_url", &self.smtp_url).field("from", &self.from).finish()
    }
}

/// An SMTP URL, which may hold a password: never shown in logs or `Debug` output.
#[derive(Clone)]
pub struct SmtpUrl(String);

impl SmtpUrl {
    pub fn expose_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for SmtpUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SmtpUrl(…)")
    }
}

/// The council every page names, with its logo, privacy notice and contact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Council {
    /// `PBVOTE_COUNCIL_NAME`
    pub name: String,
    /// `PBVOTE_COUNCIL_LOGO`: an SVG, PNG or JPEG file, served at `/council/logo`.
    pub logo: Option<PathBuf>,
    /// `PBVOTE_PRIVACY_URL`: the council's privacy notice for the consultation.
    pub privacy_url: Option<String>,
    /// `PBVOTE_CONTACT`: how to reach the people running it (an e-mail address, a phone
    /// number or an address).
    pub contact: Option<String>,
}

/// The content type of a logo file, from its extension: SVG, PNG or JPEG only.
pub fn logo_content_type(path: &std::path::Path) -> Option<&'static str> {
    match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
        "svg" => Some("image/svg+xml"),
        "png" => Some("image/png"),
        "jpg" | "jpeg" => Some("image/jpeg"),
        _ => None,
    }
}

impl Default for Council {
    fn default() -> Self {
        Council { name: "Your council".into(), logo: None, privacy_url: None, contact: None }
    }
}

/// How long a request body may take to arrive (`PBVOTE_BODY_TIMEOUT_SECONDS`), by default
/// and at most. 256 KiB (the body limit) at 10 s needs about 26 KB/s.
pub const DEFAULT_BODY_TIMEOUT_SECONDS: u64 = 10;
pub const MAX_BODY_TIMEOUT_SECONDS: u64 = 300;

/// The longest sign-in `PBVOTE_SESSION_HOURS` allows: a year.
pub const MAX_SESSION_HOURS: u64 = 8760;

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
            body_timeout: Duration::from_secs(DEFAULT_BODY_TIMEOUT_SECONDS),
            trusted_proxies: 0,
            limits: crate::rate_limit::Limits::default(),
            metrics_token: None,
            council: Council::default(),
            require_totp_for_admins: false,
            retention_days: None,
            mail: None,
        })
    }

    /// Refuse settings that cannot work (or would overflow later), with a message naming
    /// the setting. The command line bounds each setting already; this also covers settings
    /// made in code.
    pub fn check(&self) -> anyhow::Result<()> {
        let hours = self.session_ttl.as_secs() / 3600;
        anyhow::ensure!(
            self.session_ttl >= Duration::from_secs(3600) && self.session_ttl <= Duration::from_secs(MAX_SESSION_HOURS * 3600),
            "the session length (PBVOTE_SESSION_HOURS) must be 1 to {MAX_SESSION_HOURS} hours, got {hours}"
        );
        anyhow::ensure!(
            (1..=MAX_DB_CONNECTIONS).contains(&self.database.max_connections),
            "PBVOTE_DB_CONNECTIONS must be 1 to {MAX_DB_CONNECTIONS}, got {}",
            self.database.max_connections
        );
        anyhow::ensure!(
            self.database.timeout >= Duration::from_secs(1) && self.database.timeout <= Duration::from_secs(MAX_DB_TIMEOUT_SECONDS),
            "PBVOTE_DB_TIMEOUT must be 1 to {MAX_DB_TIMEOUT_SECONDS} seconds, got {}",
            self.database.timeout.as_secs()
        );
        anyhow::ensure!(self.max_body_bytes >= 1024, "the body limit must be at least 1 KiB");
        anyhow::ensure!(
            self.body_timeout >= Duration::from_secs(1) && self.body_timeout <= Duration::from_secs(MAX_BODY_TIMEOUT_SECONDS),
            "PBVOTE_BODY_TIMEOUT_SECONDS must be 1 to {MAX_BODY_TIMEOUT_SECONDS}"
        );
        anyhow::ensure!(self.trusted_proxies <= 10, "PBVOTE_TRUST_PROXY must be at most 10 proxies");
        if let Some(mail) = &self.mail {
            crate::mail::Mailer::new(mail)?;
        }
        self.limits.check()
    }

    pub fn bind_addr(&self) -> anyhow::Result<SocketAddr> {
        self.bind.parse().map_err(|e| anyhow::anyhow!("PBVOTE_BIND must be host:port such as 127.0.0.1:8080, got {:?}: {e}", self.bind))
    }
}

/// `./frontend` when run from the repository, else the directory the binary was built from.
pub fn default_frontend_dir() -> PathBuf {
    let here = PathBuf::from("frontend");
    if here.join("index.html").exists() { here } else { PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/frontend")) }
}

/// A server secret that never shows in logs or `Debug` output.
#[derive(Clone)]
pub struct Secret(Vec<u8>);

impl Secret {
    pub fn new(bytes: impl Into<Vec<u8>>) -> anyhow::Result<Self> {
        Self::named("PBVOTE_SECRET", bytes)
    }

    /// A secret of at least 32 bytes; `setting` names it in the error.
    pub fn named(setting: &str, bytes: impl Into<Vec<u8>>) -> anyhow::Result<Self> {
        let bytes = bytes.into();
        anyhow::ensure!(bytes.len() >= 32, "{setting} must be at least 32 characters long");
        Ok(Secret(bytes))
    }

    /// Whether `candidate` is this secret, in time that does not depend on where they differ.
    pub fn matches(&self, candidate: &[u8]) -> bool {
        use sha2::{Digest, Sha256};
        // Compare digests, so the time does not depend on the lengths either.
        let (a, b) = (Sha256::digest(&self.0), Sha256::digest(candidate));
        a.iter().zip(b.iter()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
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
        assert!(Secret::named("PBVOTE_METRICS_TOKEN", "short").unwrap_err().to_string().contains("PBVOTE_METRICS_TOKEN"));
    }

    #[test]
    fn secrets_match_only_themselves() {
        let secret = Secret::new(vec![7u8; 32]).unwrap();
        assert!(secret.matches(&[7u8; 32]));
        assert!(!secret.matches(&[7u8; 31]));
        assert!(!secret.matches(b""));
    }

    #[test]
    fn out_of_range_settings_are_refused() {
        let mut settings = Settings::for_database("sqlite::memory:", Secret::new(vec![7u8; 32]).unwrap()).unwrap();
        assert!(settings.check().is_ok());
        settings.session_ttl = Duration::from_secs(1_000_000_000_000 * 3600);
        assert!(settings.check().unwrap_err().to_string().contains("PBVOTE_SESSION_HOURS"));
        settings.session_ttl = Duration::from_secs(3600);
        settings.database.max_connections = 0;
        assert!(settings.check().unwrap_err().to_string().contains("PBVOTE_DB_CONNECTIONS"));
        settings.database.max_connections = 10;
        settings.limits.code_failures_per_client.max = 0;
        assert!(settings.check().is_err());
    }
}
