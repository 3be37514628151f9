//! Backup while residents vote, restore into a fresh place, count.
//!
//! SQLite: `pbvote backup FILE` runs beside the serving process while eight residents vote;
//! `pbvote restore FILE` puts it in a new directory; a server started there (with the same
//! key) checks every receipt acknowledged before the backup began, holds every such ballot
//! and nothing that was not sent, and — once voting is closed on it — counts exactly the
//! ballots the copy holds. A server with another key cannot check the copy's receipts or
//! codes: the key is part of the backup. Neither command overwrites anything.
//!
//! PostgreSQL: the documented `pg_dump --format=custom` mid-vote, `pg_restore` into a new
//! database, and pbvote accepts it (ready, same checks).
use std::{
    collections::BTreeMap,
    path::Path,
    process::Output,
    time::{Duration, Instant},
};

use serde_json::json;

use super::*;

async fn run(program: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = tokio::process::Command::new(program);
    cmd.args(args).kill_on_drop(true);
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("PBVOTE_") {
            cmd.env_remove(&key);
        }
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    tokio::time::timeout(Duration::from_secs(60), cmd.output())
        .await
        .unwrap_or_else(|_| panic!("{program} {args:?} took more than 60 s"))
        .unwrap_or_else(|e| panic!("run {program}: {e}"))
}

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

/// Residents vote; `take_backup` runs once `n` ballots are acknowledged. Returns the
/// setup, the receipts and contents acknowledged before the backup began, and every
/// submission sent before it ended.
async fn vote_and_back_up<F, Fut>(db: &TestDb, api: &Api, take_backup: F) -> (Setup, Vec<(String, String)>, Vec<Submission>)
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let setup = set_up_consultation(&db.url, api, 4000).await;
    let codes = CodeSource::new(setup.codes.clone());
    let residents = Residents::start(&[api], &setup.consultation, &codes, 8);
    wait_for_acks(&residents.loads(), 300, Duration::from_secs(30), "before the backup").await;
    let began = Instant::now();
    // Acknowledged before the backup began: answered before this moment.
    let before: Vec<(String, String)> =
        residents.snapshot().iter().filter_map(|s| s.acknowledged_receipt().map(|r| (r.to_owned(), s.key.clone()))).collect();
    take_backup().await;
    eprintln!("backup took {:?} while residents voted", began.elapsed());
    let sent_by_end = residents.snapshot();
    let after = residents.finish().await;
    assert!(after.len() > sent_by_end.len(), "residents kept voting during the backup");
    (setup, before, sent_by_end)
}

/// The restored copy holds every ballot acknowledged before the backup began, and only
/// ballots that were sent before it ended; a server on it (same key) checks the receipts and
/// counts exactly the ballots it holds once voting is closed.
async fn check_restored(restored: &TestDb, setup: &Setup, before: &[(String, String)], sent: &[Submission]) -> usize {
    let server = Server::start(&restored.url).await;
    let api = Api::new(&server);
    assert_eq!(api.ready().await, 200, "a server on the restored database is not ready:\n{}", server.log());
    for (r, _) in before {
        let answer = api.receipt(r).await;
        assert_eq!(answer.status, 200, "receipt {r}, acknowledged before the backup, on the restored copy: {}", answer.text);
    }
    let stored: Vec<String> = stored_ballots(&restored.url, &setup.consultation).await.iter().map(content_key).collect();
    let stored_set = multiset(&stored);
    for (key, n) in multiset(before.iter().map(|(_, k)| k)) {
        let got = stored_set.get(&key).copied().unwrap_or(0);
        assert!(got >= n, "{n} ballot(s) {key} acknowledged before the backup, {got} in the copy");
    }
    let sent_set: BTreeMap<String, usize> = multiset(sent.iter().map(|s| &s.key));
    for (key, got) in &stored_set {
        assert!(sent_set.get(key).copied().unwrap_or(0) >= *got, "{got} ballot(s) {key} in the copy, fewer sent");
    }
    let organiser = api.sign_in(&setup.organiser_email).await;
    let (_, used) = api.code_stats(&organiser, &setup.consultation).await;
    assert_eq!(used as usize, stored.len(), "voter codes used vs ballots in the copy");
    api.close(&organiser, &setup.consultation).await;
    let results = api.results(&organiser, &setup.consultation).await;
    assert_eq!(results["summary"]["ballots"], json!(stored.len()), "the restored copy's count");
    eprintln!("restored copy: {} ballots acknowledged before the backup began; {} in the copy, all counted", before.len(), stored.len());
    assert!(server.panics().is_empty(), "{:?}", server.panics());
    stored.len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_backup_mid_vote_restores_every_acknowledged_ballot() {
    let db = TestDb::sqlite();
    within(Duration::from_secs(90), "the SQLite backup test", sqlite_backup(&db)).await;
}

async fn sqlite_backup(db: &TestDb) {
    let server = Server::start(&db.url).await;
    let api = Api::new(&server);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pbvote-backup.db");
    let file_arg = file.display().to_string();
    let (setup, before, sent) = vote_and_back_up(db, &api, || async {
        let out = run(PBVOTE, &["backup", &file_arg], &[("DATABASE_URL", &db.url)]).await;
        assert!(out.status.success(), "pbvote backup: {}", text(&out));
        assert!(text(&out).contains("PBVOTE_SECRET"), "pbvote backup says to keep the key: {}", text(&out));
    })
    .await;
    drop(server);

    // Never overwrites: a second backup to the same file is refused.
    let again = run(PBVOTE, &["backup", &file_arg], &[("DATABASE_URL", &db.url)]).await;
    assert!(!again.status.success() && text(&again).contains("already exists"), "{}", text(&again));

    // Restore into a fresh place.
    let place = tempfile::tempdir().unwrap();
    let restored = TestDb::existing(&format!("sqlite://{}?mode=rwc", place.path().join("pbvote.db").display()), Backend::Sqlite);
    let out = run(PBVOTE, &["restore", &file_arg], &[("DATABASE_URL", &restored.url)]).await;
    assert!(out.status.success(), "pbvote restore: {}", text(&out));
    // …and never over a database that is there.
    let over = run(PBVOTE, &["restore", &file_arg], &[("DATABASE_URL", &restored.url)]).await;
    assert!(!over.status.success() && text(&over).contains("already exists"), "{}", text(&over));
    let n = check_restored(&restored, &setup, &before, &sent).await;
    assert!(text(&out).contains(&format!("{n} ballots")), "pbvote restore reports what it restored: {}", text(&out));

    // The key is part of the backup: with another key the copy's receipts cannot be checked.
    let other_place = tempfile::tempdir().unwrap();
    let other = format!("sqlite://{}?mode=rwc", other_place.path().join("pbvote.db").display());
    let out = run(PBVOTE, &["restore", &file_arg], &[("DATABASE_URL", &other)]).await;
    assert!(out.status.success(), "{}", text(&out));
    let stranger = Server::spawn_with(&other, 0, &[("PBVOTE_SECRET", "another-key-0123456789-0123456789-0123456789")]).ready().await;
    let answer = Api::new(&stranger).receipt(&before[0].0).await;
    assert_eq!(answer.status, 404, "a receipt checked with another key: {}", answer.text);
    let (journal, integrity, _) = sqlite_file_report(&restored.url).await;
    assert_eq!((journal.as_str(), integrity.as_str()), ("wal", "ok"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL and pg_dump: set TEST_DATABASE_URL and pass --include-ignored"]
async fn postgres_pg_dump_mid_vote_restores_into_a_database_pbvote_accepts() {
    let db = TestDb::required_postgres().await;
    within(Duration::from_secs(90), "the PostgreSQL backup test", postgres_backup(&db)).await;
}

async fn postgres_backup(db: &TestDb) {
    let server = Server::start(&db.url).await;
    let api = Api::new(&server);
    let dir = tempfile::tempdir().unwrap();
    let dump = dir.path().join("pbvote.dump");
    let dump_arg = dump.display().to_string();
    // As docs/reliability.md says: pg_dump --format=custom --file=FILE "$DATABASE_URL".
    let (setup, before, sent) = vote_and_back_up(db, &api, || async {
        let out = run("pg_dump", &["--format=custom", "--file", &dump_arg, &db.url], &[]).await;
        assert!(out.status.success(), "pg_dump: {}", text(&out));
    })
    .await;
    drop(server);

    // A fresh database, and pg_restore into it (as docs/reliability.md says).
    let restored = TestDb::required_postgres().await;
    let out = run("pg_restore", &["--no-owner", "--exit-on-error", "--dbname", &restored.url, &dump_arg], &[]).await;
    assert!(out.status.success(), "pg_restore: {}", text(&out));
    check_restored(&restored, &setup, &before, &sent).await;
    assert!(Path::new(&dump).is_file());
}
