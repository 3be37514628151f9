//! Crash safety: a ballot the server acknowledged survives the server being killed.
//!
//! Eight residents cast ballots (each with its own voter code, each ballot's contents
//! recorded) at a real `pbvote serve` process. After a few hundred acknowledgements the
//! process is killed with SIGKILL — no shutdown, no flushing, mid-stream — and started
//! again on the same database. Then, over HTTP and by reading the database:
//!
//! - every ballot that got `201 Created` is there exactly once: its receipt checks out and
//!   the ballots stored hold its contents;
//! - acknowledged ≤ ballots ≤ acknowledged + in flight (those whose answer was lost);
//! - every stored ballot is one that was sent, whole (contents compared as a multiset);
//! - voter-code stats `used` = ballots = `results.summary.ballots`.
//!
//! Four kill/restart cycles per database. On SQLite the file is then checked with a
//! connection of our own: still in WAL mode, `PRAGMA integrity_check` = ok, no dangling
//! foreign keys. SQLite always; PostgreSQL with `--include-ignored` and
//! `TEST_DATABASE_URL` (e.g. postgres://postgres@127.0.0.1:5432/test).
mod common;

use std::{
    os::unix::process::ExitStatusExt,
    sync::Arc,
    time::{Duration, Instant},
};

use common::*;

/// Residents casting at once.
const RESIDENTS: usize = 8;
/// Acknowledged ballots before each SIGKILL (varied, so the kill lands at different points).
const KILL_AFTER: [usize; 4] = [220, 310, 260, 180];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_ballots_survive_sigkill_on_sqlite() {
    let db = TestDb::sqlite();
    within(Duration::from_secs(55), "the SQLite crash test", kill_and_restart_cycles(&db, "sqlite")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL: set TEST_DATABASE_URL and pass --include-ignored"]
async fn acknowledged_ballots_survive_sigkill_on_postgres() {
    let db = TestDb::required_postgres().await;
    within(Duration::from_secs(55), "the PostgreSQL crash test", kill_and_restart_cycles(&db, "postgres")).await;
}

async fn kill_and_restart_cycles(db: &TestDb, label: &str) {
    let started = Instant::now();
    let mut server = Server::start(&db.url).await;
    let api = Api::new(&server);
    let total_codes: usize = KILL_AFTER.iter().sum::<usize>() + 400;
    let setup = set_up_consultation(&db.url, &api, total_codes as u32).await;
    let codes = CodeSource::new(setup.codes.clone());
    let mut ledger = Ledger::default();

    for (cycle, &kill_after) in KILL_AFTER.iter().enumerate() {
        let cycle = cycle + 1;
        // A fresh client per server process: no connection outlives the process it was to.
        let api = Api::new(&server);
        let threshold = Arc::new(tokio::sync::Notify::new());
        let load = Load::start(&api, &setup.consultation, codes.clone(), RESIDENTS, Some((kill_after, threshold.clone())));
        within(Duration::from_secs(30), "reaching the kill threshold", threshold.notified()).await;
        load.mark_signalled();
        server.sigkill();
        let status = within(Duration::from_secs(10), "the killed process to exit", server.wait_exit(Duration::from_secs(10)))
            .await
            .expect("the process exits after SIGKILL");
        assert_eq!(status.signal(), Some(9), "cycle {cycle}: the process should have died of SIGKILL, got {status}");
        let submissions = load.finish(Duration::from_secs(15)).await;
        let before = (ledger.acknowledged.len(), ledger.unknown.len());
        ledger.add(&submissions);
        let acked_now = ledger.acknowledged.len() - before.0;
        let unknown_now = ledger.unknown.len() - before.1;
        assert!(
            ledger.rejected.is_empty(),
            "cycle {cycle}: the server refused ballots it should take: {:?}",
            &ledger.rejected[..ledger.rejected.len().min(5)]
        );
        assert!(acked_now >= kill_after, "cycle {cycle}: {acked_now} acknowledged, expected at least {kill_after}");

        // Restart on the same database and check everything acknowledged so far.
        server = Server::start(&db.url).await;
        let api = Api::new(&server);
        assert_eq!(api.ready().await, 200, "cycle {cycle}: /ready after restart");
        let ballots = verify_against_ledger(&api, db, &setup, &ledger, &format!("{label}, after kill {cycle}")).await;
        eprintln!(
            "{label} cycle {cycle}: {acked_now} acknowledged, {unknown_now} in flight when killed; \
             {ballots} ballots stored in total ({} acknowledged, {} in-flight ballots were committed before the kill); restart took {:?}",
            ledger.acknowledged.len(),
            ballots - ledger.acknowledged.len(),
            server.started_in,
        );
        assert!(server.panics().is_empty(), "cycle {cycle}: the restarted server panicked: {:?}", server.panics());
    }

    // After the last cycle: the server still takes ballots, and every code still used
    // exactly once (a new ballot with a code already used is a replacement, not a second
    // ballot).
    let api = Api::new(&server);
    let (code, index) = (setup.codes[codes.used()].clone(), codes.used() as u64);
    let fresh = Api::expect(api.cast(&setup.consultation, &code, &ballot_content(index)).await, 201, "a ballot after the crashes");
    let again = Api::expect(api.cast(&setup.consultation, &code, &ballot_content(index + 1)).await, 200, "replacing it");
    assert_eq!(again["replaced"], true);
    assert_eq!(api.receipt(fresh["receipt"].as_str().unwrap()).await.status, 200, "a replaced ballot's receipt still answers");
    let mut final_ledger = Ledger { acknowledged: ledger.acknowledged.clone(), unknown: ledger.unknown.clone(), ..Ledger::default() };
    final_ledger.acknowledged.push((again["receipt"].as_str().unwrap().to_owned(), content_key(&ballot_content(index + 1))));
    let ballots = verify_against_ledger(&api, db, &setup, &final_ledger, &format!("{label}, at the end")).await;
    if db.backend == Backend::Sqlite {
        let (journal, integrity, dangling) = sqlite_file_report(&db.url).await;
        assert_eq!(journal, "wal", "{label}: the database file's journal mode");
        assert_eq!(integrity, "ok", "{label}: PRAGMA integrity_check after {} kills", KILL_AFTER.len());
        assert_eq!(dangling, 0, "{label}: PRAGMA foreign_key_check found dangling references");
    }
    eprintln!(
        "{label}: {ballots} ballots after {} kills; {} acknowledged; whole test {:?}",
        KILL_AFTER.len(),
        final_ledger.acknowledged.len(),
        started.elapsed()
    );
}
