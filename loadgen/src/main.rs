//! `pbvote-loadgen`: a bounded load generator for pbvote, for loopback only.
//!
//! - `setup`: sign in as an organiser, create a consultation (12 proposals, 4 services),
//!   issue voter codes in batches of at most 10,000, open it, write the codes to a file;
//! - `cast`: cast ballots with distinct codes at a given concurrency, bounded by a count
//!   and a duration, and print ballots/s, latency percentiles and errors by status;
//! - `results`: read `GET /api/v1/consultations/{id}/results` as a commissioner, alone or
//!   while another client keeps casting ballots, and print latency percentiles;
//! - `sqlite-ceiling`: one-row insert transactions into a temporary SQLite file with the
//!   service's settings (WAL, synchronous=FULL, one writer connection): the store's ceiling;
//! - `meeting`: a hall meeting under load — phones with slips vote through one or more
//!   instances while stream clients follow it; how soon the projectors see the count, a
//!   reconnect storm, close and reveal (see `meeting.rs`).
//! - `soak`: ballots, result reads and sign-ins at fixed rates against several instances
//!   for up to two hours, sampling each instance's memory (bench/soak.sh).
//!
//! Every run is bounded in count and time, and every target must be a loopback address.
mod api;
mod cast;
mod ceiling;
mod meeting;
mod results;
mod soak;
mod stats;

use std::{path::PathBuf, time::Duration};

use clap::{Args, Parser, Subcommand};

/// Hard upper bound on any one run, whatever the flags say.
pub const MAX_RUN: Duration = Duration::from_secs(900);

#[derive(Parser)]
#[command(name = "pbvote-loadgen", version, about = "Bounded load generator for pbvote (loopback only)")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create and open a consultation through the API and write its voter codes to a file.
    Setup(SetupArgs),
    /// Cast ballots with distinct voter codes at a fixed concurrency.
    Cast(CastArgs),
    /// Read the results as a commissioner, alone or while ballots are being cast.
    Results(ResultsArgs),
    /// One-row insert transactions into a fresh SQLite file with the service's settings.
    SqliteCeiling(CeilingArgs),
    /// A hall meeting: phones with slips vote while stream clients follow it.
    Meeting(MeetingArgs),
    /// Ballots, result reads and sign-ins at fixed rates against several instances, for a
    /// long time, sampling each instance's memory.
    Soak(SoakArgs),
}

#[derive(Args)]
pub struct MeetingArgs {
    /// The servers, comma-separated (phones and stream clients are spread over them), e.g.
    /// http://127.0.0.1:8080,http://127.0.0.1:8081 (loopback addresses only).
    #[arg(long)]
    pub base: String,
    /// Organiser account.
    #[arg(long)]
    pub email: String,
    #[arg(long)]
    pub password: String,
    /// Phones, each with its own slip, each casting one ballot.
    #[arg(long, default_value_t = 1000)]
    pub phones: usize,
    /// Stream clients following the meeting (projectors, phones, consoles).
    #[arg(long, default_value_t = 1000)]
    pub watchers: usize,
    /// Most phones voting at once.
    #[arg(long, default_value_t = 50)]
    pub concurrency: usize,
    /// Spread the phones' votes evenly over this many seconds, as a hall votes (0: each as
    /// soon as one of the `--concurrency` slots is free, which measures the ceiling).
    #[arg(long, default_value_t = 0.0)]
    pub within: f64,
    /// Server process ids, comma-separated, to read their memory before and after the
    /// stream clients connect.
    #[arg(long, value_delimiter = ',')]
    pub pids: Vec<u32>,
}

#[derive(Args, Clone)]
pub struct Target {
    /// The server, e.g. http://127.0.0.1:8080 (loopback addresses only).
    #[arg(long)]
    pub base: String,
}

#[derive(Args)]
pub struct SetupArgs {
    #[command(flatten)]
    pub target: Target,
    /// Organiser account (create it with `pbvote user add --role organiser --password-stdin`).
    #[arg(long)]
    pub email: String,
    #[arg(long)]
    pub password: String,
    /// How many voter codes to issue (in batches of at most 10,000).
    #[arg(long, default_value_t = 1000)]
    pub codes: usize,
    /// Where to write the codes, one a line.
    #[arg(long)]
    pub out: PathBuf,
    /// Number of proposals (split about 2:1 savings : developments).
    #[arg(long, default_value_t = 12)]
    pub proposals: usize,
    /// Number of services the proposals touch.
    #[arg(long, default_value_t = 4)]
    pub services: usize,
    /// Number of areas on the ballot: 4 gives North, South, East and West; any other number
    /// "Area 1", "Area 2", …
    #[arg(long, default_value_t = 4)]
    pub areas: usize,
}

#[derive(Args, Clone)]
pub struct Load {
    /// File of voter codes, one a line (as written by `setup`).
    #[arg(long)]
    pub codes: PathBuf,
    /// Skip this many codes at the start of the file (so runs use distinct codes).
    #[arg(long, default_value_t = 0)]
    pub skip: usize,
    /// Most ballots to cast (default: every code after --skip).
    #[arg(long)]
    pub count: Option<usize>,
    /// Most seconds to cast for.
    #[arg(long, default_value_t = 30.0)]
    pub duration: f64,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 16)]
    pub concurrency: usize,
    /// Seed for the ballot contents.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Print progress every this many seconds (0: never).
    #[arg(long, default_value_t = 10.0)]
    pub progress: f64,
}

#[derive(Args)]
pub struct CastArgs {
    #[command(flatten)]
    pub target: Target,
    #[arg(long)]
    pub consultation: String,
    #[command(flatten)]
    pub load: Load,
}

#[derive(Args)]
pub struct ResultsArgs {
    #[command(flatten)]
    pub target: Target,
    #[arg(long)]
    pub consultation: String,
    /// Commissioner (or organiser) account.
    #[arg(long)]
    pub email: String,
    #[arg(long)]
    pub password: String,
    /// What to read: a path on the server, `{id}` standing for the consultation (e.g.
    /// `/api/v1/consultations/{id}/breakdowns` or `/published/{id}`).
    #[arg(long, default_value = "/api/v1/consultations/{id}/results")]
    pub path: String,
    /// Most reads.
    #[arg(long, default_value_t = 100)]
    pub reads: usize,
    /// Most seconds of reading.
    #[arg(long, default_value_t = 30.0)]
    pub duration: f64,
    /// Pause between one read's answer and the next request, in milliseconds (0: back to back).
    #[arg(long, default_value_t = 0)]
    pub interval_ms: u64,
    /// Cast ballots meanwhile with codes from this file (see `cast` for the other flags).
    #[arg(long)]
    pub cast_codes: Option<PathBuf>,
    #[arg(long, default_value_t = 0)]
    pub cast_skip: usize,
    #[arg(long)]
    pub cast_count: Option<usize>,
    #[arg(long, default_value_t = 16)]
    pub cast_concurrency: usize,
    #[arg(long, default_value_t = 11)]
    pub cast_seed: u64,
}

#[derive(Args)]
pub struct CeilingArgs {
    /// The SQLite file to create (it must not exist).
    #[arg(long)]
    pub file: PathBuf,
    /// Tasks inserting at once (they share one writer connection, as in the service).
    #[arg(long, default_value_t = 16)]
    pub concurrency: usize,
    /// Most rows.
    #[arg(long, default_value_t = 200_000)]
    pub count: usize,
    /// Most seconds.
    #[arg(long, default_value_t = 10.0)]
    pub duration: f64,
    /// Rows per transaction (1: one commit, one fsync, per row, as the service does; more
    /// shows what grouping ballots into one commit would buy).
    #[arg(long, default_value_t = 1)]
    pub rows_per_txn: usize,
}

#[derive(Args)]
pub struct SoakArgs {
    /// An instance, e.g. http://127.0.0.1:8080 (loopback only); give one --base per instance.
    #[arg(long, required = true)]
    pub base: Vec<String>,
    /// The open consultation to vote in.
    #[arg(long)]
    pub consultation: String,
    /// Its voter codes, one a line; cycled through (a code's later ballots replace its first).
    #[arg(long)]
    pub codes: PathBuf,
    /// A closed consultation whose results are read.
    #[arg(long)]
    pub closed: String,
    /// The account that reads the results and signs in (a commissioner).
    #[arg(long)]
    pub email: String,
    #[arg(long)]
    pub password: String,
    #[arg(long, default_value_t = 100.0)]
    pub ballots_per_second: f64,
    #[arg(long, default_value_t = 5.0)]
    pub reads_per_second: f64,
    #[arg(long, default_value_t = 1.0)]
    pub sign_ins_per_second: f64,
    /// Seconds to run (at most two hours).
    #[arg(long, default_value_t = 1800.0)]
    pub duration: f64,
    /// Requests in flight at most; one due beyond that is counted as shed.
    #[arg(long, default_value_t = 512)]
    pub max_in_flight: usize,
    /// Process ids whose memory (VmRSS) to sample.
    #[arg(long)]
    pub pid: Vec<u32>,
    /// Seconds between memory samples.
    #[arg(long, default_value_t = 10.0)]
    pub sample_seconds: f64,
    /// Where to write the samples (CSV: seconds,pid,rss_kib).
    #[arg(long)]
    pub memory_out: Option<PathBuf>,
    #[arg(long, default_value_t = 5)]
    pub seed: u64,
}

pub fn bounded(seconds: f64) -> anyhow::Result<Duration> {
    anyhow::ensure!(seconds.is_finite() && seconds > 0.0, "a duration must be a positive number of seconds");
    Ok(Duration::from_secs_f64(seconds).min(MAX_RUN))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Setup(args) => api::setup(args).await,
        Command::Cast(args) => cast::run(args).await,
        Command::Results(args) => results::run(args).await,
        Command::SqliteCeiling(args) => ceiling::run(args).await,
        Command::Meeting(args) => meeting::run(args).await,
        Command::Soak(args) => soak::run(args).await,
    }
}
