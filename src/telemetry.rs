//! Logging: `PBVOTE_LOG` sets the filter (default `info`), `PBVOTE_LOG_FORMAT=json` gives
//! one JSON object per line for log collectors. Logs go to stderr; stdout is for output.
use tracing_subscriber::{EnvFilter, fmt};

pub fn init(filter: &str, json: bool) {
    let filter = EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let _ = if json { builder.json().try_init() } else { builder.try_init() };
}
