//! The `pbvote` command line: `serve` (the default), `migrate`, `user add`, `audit verify`,
//! `backup`, `restore` and `tally`.
use std::{io::Read, path::PathBuf, process::ExitCode, time::Duration};

use clap::{Args, Parser, Subcommand};

use crate::{
    audit::Actor,
    config::{
        DEFAULT_BIND, DEFAULT_BODY_TIMEOUT_SECONDS, DEFAULT_DATABASE_URL, DEFAULT_DB_TIMEOUT_SECONDS, DatabaseSettings,
        MAX_BODY_TIMEOUT_SECONDS, MAX_DB_CONNECTIONS, MAX_DB_TIMEOUT_SECONDS, MAX_SESSION_HOURS, Secret, Settings, default_frontend_dir,
    },
    domain::{Email, Password, Role},
    rate_limit::{DEFAULT_CODE_FAILURE_LIMIT, DEFAULT_SIGN_IN_LIMIT},
    security::hash_password,
    startup::Application,
    storage::{self, Db},
};

#[derive(Parser, Debug)]
#[command(
    name = "pbvote",
    version,
    about = "Participatory budgeting: residents rank what they WANT and DON'T WANT; the users of a service have a protected say.",
    long_about = "Participatory budgeting: residents rank what they WANT and DON'T WANT; the users of a service have a protected say.\n\nWith no command, `pbvote` serves the web app (`pbvote serve`). Settings come from the environment (see .env.template); flags override them."
)]
pub struct Cli {
    #[command(flatten)]
    pub common: CommonArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Args, Debug, Clone)]
pub struct CommonArgs {
    /// Database: sqlite://FILE?mode=rwc or postgres://USER@HOST/DB.
    #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL, global = true)]
    pub database_url: String,
    /// Log filter, e.g. info, debug, pbvote=debug,actix_web=warn.
    #[arg(long, env = "PBVOTE_LOG", default_value = "info", global = true)]
    pub log: String,
    /// Log format: text or json.
    #[arg(long, env = "PBVOTE_LOG_FORMAT", default_value = "text", global = true)]
    pub log_format: String,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Serve the web pages and the API (the default command).
    Serve(Box<ServeArgs>),
    /// Apply database migrations and exit.
    Migrate,
    /// Manage staff accounts (admin, organiser, commissioner, officer). Make the first admin
    /// here; admins manage the rest from the console.
    #[command(subcommand)]
    User(UserCommand),
    /// The audit record of staff actions (docs/privacy.md).
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Retention of personal data after publishing (docs/privacy.md).
    #[command(subcommand)]
    Retention(RetentionCommand),
    /// Count an election file in the exchange format (docs/tally.md) and print the result as JSON.
    Tally(TallyArgs),
    /// Copy the SQLite database into a new FILE while pbvote keeps serving (a consistent copy
    /// as of one moment). Keep the key as well, stored apart from the backup: PBVOTE_SECRET or
    /// the key file (pbvote.key) — without it the copy's voter codes and receipts cannot be
    /// checked. On PostgreSQL use pg_dump (docs/reliability.md).
    Backup {
        /// The new backup file (never overwritten).
        file: PathBuf,
    },
    /// Put a backup made by `pbvote backup` where DATABASE_URL points, which must be free:
    /// stop pbvote and move the old database files aside first. Then start pbvote with the key
    /// the backup was made with. On PostgreSQL use pg_restore (docs/reliability.md).
    Restore {
        /// The backup file.
        file: PathBuf,
    },
}

#[derive(Args, Debug, Default)]
pub struct ServeArgs {
    /// Address to listen on (port 0: any free port).
    #[arg(long, env = "PBVOTE_BIND", default_value = DEFAULT_BIND)]
    pub bind: String,
    /// Load a demo consultation (open for voting) and print voter codes for it.
    #[arg(long)]
    pub demo: bool,
    /// Key for voter-code and ballot hashes (at least 32 characters). If unset, a key is
    /// kept in PBVOTE_KEY_FILE, created on first run.
    #[arg(long, env = "PBVOTE_SECRET", hide_env_values = true)]
    pub secret: Option<String>,
    /// Where the key is kept when PBVOTE_SECRET is not set.
    #[arg(long, env = "PBVOTE_KEY_FILE", default_value = "pbvote.key")]
    pub key_file: PathBuf,
    /// Directory of the static pages.
    #[arg(long, env = "PBVOTE_FRONTEND_DIR")]
    pub frontend_dir: Option<PathBuf>,
    /// The address residents see (used in voter-code letters), e.g. https://vote.example.gov.uk.
    #[arg(long, env = "PBVOTE_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// How many hours a sign-in lasts (1 to 8760, a year).
    #[arg(long, env = "PBVOTE_SESSION_HOURS", default_value_t = 12, value_parser = clap::value_parser!(u64).range(1..=MAX_SESSION_HOURS))]
    pub session_hours: u64,
    /// Reverse proxies in front of the server: false (none), true (one), or how many. The
    /// client address for rate limits is then the one the outermost proxy appended to
    /// X-Forwarded-For. Set it only behind proxies that append to that header.
    #[arg(long, env = "PBVOTE_TRUST_PROXY", default_value = "false", value_parser = parse_trusted_proxies)]
    pub trust_proxy: u8,
    /// Wrong voter codes allowed from one client address (IPv6: one /64) per 10 minutes, all
    /// instances together, plus one for each code that cast its first ballot from that address
    /// in those 10 minutes (so a meeting hall behind one address is never blocked by its
    /// mistypes). At 1000, a guesser at one address has about a 1 in 317,000 chance of
    /// finding any of 300,000 codes in 12 weeks (docs/privacy.md, "Guessing").
    #[arg(long, env = "PBVOTE_CODE_FAILURE_LIMIT", default_value_t = DEFAULT_CODE_FAILURE_LIMIT, value_parser = clap::value_parser!(u32).range(1..=MAX_LIMIT))]
    pub code_failure_limit: u32,
    /// Wrong passwords allowed for one e-mail address from one client address per 5 minutes
    /// (and with one known-device token); every sign-in attempt from one client address
    /// counts against five times as many.
    #[arg(long, env = "PBVOTE_SIGN_IN_LIMIT", default_value_t = DEFAULT_SIGN_IN_LIMIT, value_parser = clap::value_parser!(u32).range(1..=MAX_LIMIT))]
    pub sign_in_limit: u32,
    /// Wrong passwords allowed for one e-mail address from all client addresses together per
    /// 5 minutes; past it the account is refused until the window ends, except to a browser
    /// that has signed in to it before (a known device: its device token lifts this cap).
    /// Default: ten times PBVOTE_SIGN_IN_LIMIT.
    #[arg(long, env = "PBVOTE_SIGN_IN_ACCOUNT_LIMIT", value_parser = clap::value_parser!(u32).range(1..=MAX_LIMIT))]
    pub sign_in_account_limit: Option<u32>,
    /// Seconds a request body may take to arrive whole (1 to 300); a slower one is refused
    /// with 408 and its connection closed.
    #[arg(long, env = "PBVOTE_BODY_TIMEOUT_SECONDS", default_value_t = DEFAULT_BODY_TIMEOUT_SECONDS, value_parser = clap::value_parser!(u64).range(1..=MAX_BODY_TIMEOUT_SECONDS))]
    pub body_timeout_seconds: u64,
    /// Most database connections per instance (1 to 1000).
    #[arg(long, env = "PBVOTE_DB_CONNECTIONS", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=MAX_DB_CONNECTIONS as i64))]
    pub db_connections: u32,
    /// Seconds a request waits for the database (a connection, a lock, a statement) before it
    /// is answered 503 with Retry-After, 1 to 300. A ballot is answered within about twice this.
    #[arg(long, env = "PBVOTE_DB_TIMEOUT", default_value_t = DEFAULT_DB_TIMEOUT_SECONDS, value_parser = clap::value_parser!(u64).range(1..=MAX_DB_TIMEOUT_SECONDS))]
    pub db_timeout: u64,
    /// A bearer token (at least 32 characters) that /metrics then requires of every request.
    /// Unset: /metrics answers only requests that did not come through a trusted proxy.
    #[arg(long, env = "PBVOTE_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,
    /// The council's name, shown on every page (with --demo and unset: a demo council).
    #[arg(long, env = "PBVOTE_COUNCIL_NAME")]
    pub council_name: Option<String>,
    /// The council's logo: an SVG, PNG or JPEG file, shown on every page.
    #[arg(long, env = "PBVOTE_COUNCIL_LOGO")]
    pub council_logo: Option<PathBuf>,
    /// The address of the council's privacy notice for consultations, linked from every page.
    #[arg(long, env = "PBVOTE_PRIVACY_URL")]
    pub privacy_url: Option<String>,
    /// How residents reach the people running the consultation (an e-mail address, a phone
    /// number or a postal address), shown on every page.
    #[arg(long, env = "PBVOTE_CONTACT")]
    pub contact: Option<String>,
    /// Admins must use two-step sign-in (a code from an authenticator app): an admin account
    /// without it can only set it up (true or false).
    #[arg(long, env = "PBVOTE_REQUIRE_TOTP_FOR_ADMINS", default_value_t = false, action = clap::ArgAction::Set)]
    pub require_totp_for_admins: bool,
    /// Delete the voter rolls (names, addresses, references) and the hashes of residents'
    /// e-mail addresses of consultations published this many days ago (1 to 3650), keeping
    /// the anonymised ballots and the published record.
    /// Unset: keep them. Checked every 10 minutes (and by `pbvote retention apply`).
    #[arg(long, env = "PBVOTE_RETENTION_DAYS", value_parser = clap::value_parser!(u32).range(1..=3650))]
    pub retention_days: Option<u32>,
    /// The mail server for residents who ask for a code by e-mail: smtps://user:password@host
    /// (TLS, port 465), smtp://user:password@host:587 (STARTTLS when offered; ?tls=required
    /// insists, ?tls=none never tries). Unset: e-mail is not set up and self-registration
    /// cannot be turned on.
    #[arg(long, env = "PBVOTE_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,
    /// Whom those e-mails are from, e.g. "Riverside Council <vote@riverside.gov.uk>" (needed
    /// with PBVOTE_SMTP_URL).
    #[arg(long, env = "PBVOTE_MAIL_FROM")]
    pub mail_from: Option<String>,
    /// Requests for a code by e-mail allowed from one client address (IPv6: one /64) per
    /// hour, all instances together.
    #[arg(long, env = "PBVOTE_REGISTRATION_LIMIT", default_value_t = crate::rate_limit::DEFAULT_REGISTRATION_LIMIT, value_parser = clap::value_parser!(u32).range(1..=MAX_LIMIT))]
    pub registration_limit: u32,
}

/// The largest value the rate-limit settings take.
const MAX_LIMIT: i64 = 100_000_000;

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Add an account. The password is asked for, or read from standard input.
    Add {
        #[arg(long)]
        email: String,
        #[arg(long, value_enum)]
        role: Role,
        /// Read the password from standard input instead of asking.
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum AuditCommand {
    /// Check the audit record's hash chain. Prints how many entries checked, or names the first
    /// entry that does not (and exits with status 1).
    Verify,
}

#[derive(Subcommand, Debug)]
pub enum RetentionCommand {
    /// Delete now the voter rolls, and the hashes of residents' e-mail addresses, of
    /// consultations published at least DAYS days ago (what `pbvote serve` does every 10
    /// minutes when PBVOTE_RETENTION_DAYS is set).
    Apply {
        /// Days after publishing (1 to 3650).
        #[arg(long, env = "PBVOTE_RETENTION_DAYS", value_parser = clap::value_parser!(u32).range(1..=3650))]
        days: u32,
    },
}

#[derive(Args, Debug)]
pub struct TallyArgs {
    /// The election file, or - for standard input.
    pub file: PathBuf,
    /// Indent the output for people to read.
    #[arg(long)]
    pub pretty: bool,
}

/// `PBVOTE_TRUST_PROXY`: `false`/`true` as before, or the number of proxies (at most 10).
fn parse_trusted_proxies(value: &str) -> Result<u8, String> {
    match value.trim().to_ascii_lowercase().as_str() {
        "false" | "no" | "off" => Ok(0),
        "true" | "yes" | "on" => Ok(1),
        n => match n.parse::<u8>() {
            Ok(n) if n <= 10 => Ok(n),
            _ => Err(format!("expected false, true or a number of proxies from 0 to 10, got {value:?}")),
        },
    }
}

pub async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli).await {
        Ok(code) => code,
        Err(err) => {
            eprintln!("pbvote: {err:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let command = cli.command.unwrap_or_else(|| Command::Serve(Box::new(ServeArgs::parse_from_env())));
    if let Command::Tally(args) = &command {
        return tally_file(args);
    }
    crate::telemetry::init(&cli.common.log, cli.common.log_format == "json");
    let database = DatabaseSettings::from_url(&cli.common.database_url)?;
    match command {
        Command::Serve(args) => serve(database, *args).await,
        Command::Migrate => {
            let db = Db::connect(&database).await?;
            db.migrate().await?;
            println!("migrations applied");
            Ok(ExitCode::SUCCESS)
        }
        Command::User(UserCommand::Add { email, role, password_stdin }) => {
            let email = Email::parse(&email).map_err(|e| anyhow::anyhow!("--email {e}"))?;
            let raw = if password_stdin {
                let mut s = String::new();
                std::io::stdin().read_to_string(&mut s)?;
                s.trim_end_matches(['\n', '\r']).to_owned()
            } else {
                let first = rpassword::prompt_password("Password: ")?;
                let again = rpassword::prompt_password("Password again: ")?;
                anyhow::ensure!(first == again, "the two passwords differ");
                first
            };
            let password = Password::parse(&raw).map_err(|e| anyhow::anyhow!("the password {e}"))?;
            let db = Db::connect(&database).await?;
            db.migrate().await?;
            let user = storage::accounts::create_user(&db, Actor::Command("pbvote user add"), &email, hash_password(&password)?, role)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("added {} ({})", user.email, user.role.as_str());
            Ok(ExitCode::SUCCESS)
        }
        Command::Audit(AuditCommand::Verify) => {
            let db = Db::connect(&database).await?;
            db.migrate().await?;
            let started = std::time::Instant::now();
            let checked = storage::audit::verify(&db).await.map_err(|e| anyhow::anyhow!("{e}"))?;
            let took = started.elapsed();
            match checked {
                Ok(n) => {
                    println!("audit record intact: {n} entries checked in {} ms", took.as_millis());
                    Ok(ExitCode::SUCCESS)
                }
                Err(broken) => {
                    println!("audit record BROKEN at {broken}");
                    Ok(ExitCode::FAILURE)
                }
            }
        }
        Command::Retention(RetentionCommand::Apply { days }) => {
            let db = Db::connect(&database).await?;
            db.migrate().await?;
            let deleted = storage::rolls::purge_published(&db, chrono::Utc::now(), days).await.map_err(|e| anyhow::anyhow!("{e}"))?;
            println!(
                "retention: deleted {} people from the voter rolls, and {} e-mail addresses of residents who asked for a code, of consultations published at least {days} days ago",
                deleted.people, deleted.email_addresses
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Backup { file } => {
            let contents = storage::backup::backup(&database, &file).await?;
            println!(
                "backed up to {}: {} consultations, {} ballots. Keep PBVOTE_SECRET or the key file as well, stored apart from the backup: without the key its voter codes and receipts cannot be checked.",
                file.display(),
                contents.consultations,
                contents.ballots
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Restore { file } => {
            let contents = storage::backup::restore(&database, &file).await?;
            println!(
                "restored {}: {} consultations, {} ballots. Start pbvote with the PBVOTE_SECRET or key file it was backed up with.",
                file.display(),
                contents.consultations,
                contents.ballots
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Tally(_) => unreachable!("handled above"),
    }
}

impl ServeArgs {
    /// `pbvote` with no command: serve with settings from the environment.
    fn parse_from_env() -> Self {
        #[derive(Parser)]
        struct Only {
            #[command(flatten)]
            serve: ServeArgs,
        }
        Only::parse_from(["pbvote"]).serve
    }
}

async fn serve(mut database: DatabaseSettings, args: ServeArgs) -> anyhow::Result<ExitCode> {
    database.max_connections = args.db_connections;
    let council = council(&args)?;
    database.timeout = Duration::from_secs(args.db_timeout);
    let secret = match args.secret {
        Some(s) => Secret::new(s.into_bytes())?,
        None => crate::security::load_or_create_key_file(&args.key_file)?,
    };
    let metrics_token = args.metrics_token.map(|t| Secret::named("PBVOTE_METRICS_TOKEN", t.into_bytes())).transpose()?;
    let mail = match (args.smtp_url.filter(|u| !u.is_empty()), args.mail_from.filter(|f| !f.is_empty())) {
        (Some(url), Some(from)) => Some(crate::config::MailSettings::new(&url, &from)?),
        (None, None) => None,
        (Some(_), None) => anyhow::bail!("PBVOTE_SMTP_URL is set but PBVOTE_MAIL_FROM is not: say whom the e-mails are from"),
        (None, Some(_)) => anyhow::bail!("PBVOTE_MAIL_FROM is set but PBVOTE_SMTP_URL is not: say which mail server sends them"),
    };
    use crate::rate_limit::{CODE_FAILURE_WINDOW_SECONDS, Limit, Limits, REGISTRATION_WINDOW_SECONDS, SIGN_IN_WINDOW_SECONDS};
    let settings = Settings {
        database,
        bind: args.bind,
        secret,
        frontend_dir: args.frontend_dir.unwrap_or_else(default_frontend_dir),
        public_url: args.public_url,
        // Bounded by clap (at most 8760), so this cannot overflow.
        session_ttl: Duration::from_secs(args.session_hours * 3600),
        max_body_bytes: 256 * 1024,
        body_timeout: Duration::from_secs(args.body_timeout_seconds),
        trusted_proxies: args.trust_proxy,
        limits: Limits {
            code_failures_per_client: Limit { max: args.code_failure_limit, window_seconds: CODE_FAILURE_WINDOW_SECONDS },
            sign_in_failures_per_email_and_client: Limit { max: args.sign_in_limit, window_seconds: SIGN_IN_WINDOW_SECONDS },
            sign_in_failures_per_email: Limit {
                max: args.sign_in_account_limit.unwrap_or(args.sign_in_limit.saturating_mul(10)),
                window_seconds: SIGN_IN_WINDOW_SECONDS,
            },
            sign_ins_per_client: Limit { max: args.sign_in_limit.saturating_mul(5), window_seconds: SIGN_IN_WINDOW_SECONDS },
            registrations_per_client: Limit { max: args.registration_limit, window_seconds: REGISTRATION_WINDOW_SECONDS },
        },
        metrics_token,
        council,
        require_totp_for_admins: args.require_totp_for_admins,
        retention_days: args.retention_days,
        mail,
    };
    let bind_host = settings.bind_addr()?.ip();
    let app = Application::build(settings).await?;
    let address = format!("http://{}:{}", bind_host, app.port());
    if args.demo {
        let demo = crate::demo::load(app.context()).await.map_err(|e| anyhow::anyhow!("loading the demo: {e}"))?;
        for earlier in &demo.earlier {
            println!("earlier demo consultation (voting closed, kept): {earlier}");
        }
        println!("demo consultation: {}", demo.consultation_id);
        println!("vote at: {address}/vote.html?c={}", demo.consultation_id);
        for code in &demo.voter_codes {
            println!("demo voter code: {code}");
        }
        for (email, password) in &demo.accounts {
            println!("demo account: {email} password: {password}");
        }
    }
    // Watch for a stop signal before saying "listening", so a stop sent at once is graceful.
    let running = app.run_until_stopped();
    println!("pbvote listening on {address}");
    tracing::info!(%address, "listening");
    running.await?;
    tracing::info!("stopped");
    Ok(ExitCode::SUCCESS)
}

/// The council the pages name; the demo's own when `--demo` runs without one.
fn council(args: &ServeArgs) -> anyhow::Result<crate::config::Council> {
    if let Some(logo) = &args.council_logo {
        anyhow::ensure!(
            crate::config::logo_content_type(logo).is_some(),
            "PBVOTE_COUNCIL_LOGO must be an .svg, .png, .jpg or .jpeg file, got {}",
            logo.display()
        );
        anyhow::ensure!(logo.is_file(), "PBVOTE_COUNCIL_LOGO: no such file {}", logo.display());
    }
    let demo = args.demo && args.council_name.is_none();
    Ok(crate::config::Council {
        name: args.council_name.clone().unwrap_or_else(|| if demo { crate::demo::COUNCIL.into() } else { "Your council".into() }),
        logo: args.council_logo.clone().or_else(|| demo.then(|| crate::config::default_frontend_dir().join("assets/demo-logo.svg"))),
        privacy_url: args.privacy_url.clone().or_else(|| demo.then(|| "/privacy.html".to_owned())),
        contact: args.contact.clone().or_else(|| demo.then(|| crate::demo::CONTACT.to_owned())),
    })
}

/// `pbvote tally FILE`: the same counting function as the server, on a file.
fn tally_file(args: &TallyArgs) -> anyhow::Result<ExitCode> {
    let input = if args.file.as_os_str() == "-" {
        let mut buf = Vec::new();
        std::io::stdin().read_to_end(&mut buf)?;
        buf
    } else {
        std::fs::read(&args.file).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", args.file.display()))?
    };
    match crate::tally::exchange::count(&input) {
        Ok(result) => {
            let out = if args.pretty { result.to_json_pretty() } else { result.to_json() };
            println!("{out}");
            Ok(ExitCode::SUCCESS)
        }
        Err(err) => {
            eprintln!("pbvote tally: {}: {err}", args.file.display());
            Ok(ExitCode::from(2))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::parse_trusted_proxies;

    #[test]
    fn trust_proxy_takes_a_boolean_or_a_count() {
        assert_eq!(parse_trusted_proxies("false"), Ok(0));
        assert_eq!(parse_trusted_proxies("true"), Ok(1));
        assert_eq!(parse_trusted_proxies("TRUE"), Ok(1));
        assert_eq!(parse_trusted_proxies("2"), Ok(2));
        assert!(parse_trusted_proxies("11").unwrap_err().contains("0 to 10"));
        assert!(parse_trusted_proxies("maybe").is_err());
    }
}
