//! Faults and recovery (issue 17): what a twelve-week consultation will meet, done to the
//! real `pbvote` binary while residents vote, and checked over HTTP and in the database.
//!
//! - [`restart`]: PostgreSQL stopped and started again under two instances (a throwaway
//!   cluster of the test's own, so no other test's server is disturbed).
//! - [`slow`]: a lock held for 10 s on PostgreSQL: answers come after `PBVOTE_DB_TIMEOUT`,
//!   memory stays bounded.
//! - [`disk_full`]: the SQLite file's disk (a small tmpfs) fills up mid-vote, then is freed.
//! - [`backup`]: `pbvote backup` mid-vote and `pbvote restore` (SQLite); `pg_dump` and
//!   `pg_restore` (PostgreSQL).
//! - [`upgrade`]: a new version's migration runs while the old version serves.
//! - [`streams`]: meeting streams on two instances through a PostgreSQL restart.
//!
//! The tests that need parts a newcomer may not have (PostgreSQL, root for a mount) are
//! `#[ignore]`d with the reason; `cargo test -- --include-ignored` (as .ci/run does) runs them.
#[path = "../common/mod.rs"]
mod common;

mod backup;
mod cluster;
mod disk_full;
mod restart;
mod slow;
mod streams;
mod upgrade;

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use common::*;
use serde_json::json;

/// The tests that time answers or measure memory run one at a time, so that they do not
/// share the two cores with each other.
async fn one_at_a_time() -> tokio::sync::MutexGuard<'static, ()> {
    static LOCK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    LOCK.lock().await
}

/// Resident set size of a process, in KiB (from /proc).
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status.lines().find_map(|l| l.strip_prefix("VmRSS:")).and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok()).unwrap_or(0)
}

/// What to make of a `503` when sorting the residents' outcomes.
#[derive(Clone, Copy, PartialEq)]
enum Refusal {
    /// The ballot was certainly not stored (a statement that failed or was cancelled).
    NotStored,
    /// It may have been (the connection broke around a commit): its fate is unknown.
    MaybeStored,
}

/// Sort the residents' submissions into a ledger. Every answer must be a `201` or a `503`
/// problem with `Retry-After` (never a 500, never another refusal). Returns the ledger and
/// the `503`s.
fn ledger_of(submissions: &[Submission], refusal: Refusal, context: &str) -> (Ledger, Vec<Answer>) {
    let mut ledger = Ledger::default();
    let mut refused = Vec::new();
    for s in submissions {
        match &s.outcome {
            Outcome::Answer(a) if a.status == 201 => ledger.add(std::slice::from_ref(s)),
            // A batch whose COMMIT was cut off by the restart but went through, written again
            // (storage/group_commit.rs): the code's ballot replaced by itself, stored once.
            Outcome::Answer(a) if a.status == 200 && refusal == Refusal::MaybeStored && a.body["replaced"] == json!(true) => {
                let receipt = a.body["receipt"].as_str().unwrap_or_else(|| panic!("{context}: 200 without a receipt: {}", a.text));
                ledger.acknowledged.push((receipt.to_owned(), s.key.clone()));
            }
            Outcome::Answer(a) if a.status == 503 => {
                assert_eq!(a.body["type"], json!("urn:pbvote:problem:unavailable"), "{context}: a 503 that is not a problem: {}", a.text);
                assert!(a.retry_after.is_some(), "{context}: a 503 without Retry-After: {}", a.text);
                if refusal == Refusal::MaybeStored {
                    ledger.unknown.push(s.key.clone());
                }
                refused.push(a.clone());
            }
            Outcome::Answer(a) => panic!("{context}: a resident got {} (only 201 or 503 are right here): {}", a.status, a.text),
            Outcome::NoAnswer(_) | Outcome::HalfAnswer { .. } => ledger.add(std::slice::from_ref(s)),
        }
    }
    (ledger, refused)
}

/// Cast the next unused code's ballot on `api`, as a resident would, and record it.
async fn cast_next(api: &Api, consultation: &str, codes: &CodeSource) -> Submission {
    let (code, i) = codes.take().expect("enough voter codes");
    let content = ballot_content(i);
    let started_at = Instant::now();
    let outcome = api.cast(consultation, &code, &content).await;
    Submission { code, key: content_key(&content), outcome, started_after_signal: false, finished_after_signal: false, started_at }
}

/// Wait until `load` has `n` acknowledgements (at most `limit`).
async fn wait_for_acks(loads: &[&Load], n: usize, limit: Duration, what: &str) {
    let started = Instant::now();
    while loads.iter().map(|l| l.acknowledged.load(std::sync::atomic::Ordering::SeqCst)).sum::<usize>() < n {
        assert!(started.elapsed() < limit, "{what}: fewer than {n} ballots acknowledged in {limit:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Keep casting on `api` until a ballot is acknowledged; returns how long that took and
/// every submission made on the way (they belong in the ledger).
async fn until_acknowledged(api: &Api, consultation: &str, codes: &CodeSource, limit: Duration) -> (Duration, Vec<Submission>) {
    let started = Instant::now();
    let mut tries = Vec::new();
    loop {
        let s = cast_next(api, consultation, codes).await;
        let acked = s.acknowledged_receipt().is_some();
        tries.push(s);
        if acked {
            return (started.elapsed(), tries);
        }
        assert!(started.elapsed() < limit, "no ballot acknowledged on {} within {limit:?}: {:?}", api.base, tries.last());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Several instances' residents, all casting from one pool of codes.
struct Residents {
    loads: Vec<Load>,
}

impl Residents {
    fn start(apis: &[&Api], consultation: &str, codes: &Arc<CodeSource>, each: usize) -> Residents {
        Residents { loads: apis.iter().map(|api| Load::start(api, consultation, codes.clone(), each, None)).collect() }
    }

    fn loads(&self) -> Vec<&Load> {
        self.loads.iter().collect()
    }

    fn snapshot(&self) -> Vec<Submission> {
        self.loads.iter().flat_map(|l| l.records.lock().unwrap().clone()).collect()
    }

    async fn finish(self) -> Vec<Submission> {
        let mut all = Vec::new();
        for load in self.loads {
            all.extend(load.finish(Duration::from_secs(30)).await);
        }
        all
    }
}
