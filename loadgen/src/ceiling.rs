//! The SQLite store's ceiling: one-row insert transactions with the service's settings —
//! WAL, synchronous=FULL, foreign keys on, one writer connection shared by every task
//! (`src/storage/db.rs`) — into a fresh file, with a ballot-shaped row and the same indexes.
use std::{
    str::FromStr,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use sqlx::{
    Connection, Executor, SqlitePool,
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
};

use crate::{CeilingArgs, bounded, stats::Tally};

const SCHEMA: &str = "
CREATE TABLE ballots (
  id TEXT NOT NULL PRIMARY KEY, consultation_id TEXT NOT NULL, voter_key TEXT NOT NULL,
  want TEXT NOT NULL, dont_want TEXT NOT NULL, uses TEXT NOT NULL, channel TEXT NOT NULL, area TEXT,
  receipt TEXT NOT NULL UNIQUE, version INTEGER NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE UNIQUE INDEX uq_ballots_one_per_voter ON ballots (consultation_id, voter_key);
CREATE INDEX idx_ballots_consultation_version ON ballots (consultation_id, version);
";

pub async fn run(args: CeilingArgs) -> anyhow::Result<()> {
    anyhow::ensure!(!args.file.exists(), "{} exists; the ceiling needs a fresh file", args.file.display());
    let duration = bounded(args.duration)?;
    let options = SqliteConnectOptions::from_str(&format!("sqlite://{}?mode=rwc", args.file.display()))?
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(10));
    // One connection: the service's writer pool (src/storage/db.rs).
    let pool: SqlitePool =
        SqlitePoolOptions::new().max_connections(1).acquire_timeout(Duration::from_secs(30)).connect_with(options).await?;
    pool.execute(SCHEMA).await?;
    let consultation = uuid::Uuid::new_v4().to_string();
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = Vec::new();
    for _ in 0..args.concurrency.max(1) {
        let (pool, next, consultation) = (pool.clone(), next.clone(), consultation.clone());
        let (count, rows) = (args.count, args.rows_per_txn.max(1));
        tasks.push(tokio::spawn(async move {
            let mut tally = Tally::default();
            loop {
                if Instant::now() >= deadline {
                    break;
                }
                let first = next.fetch_add(rows, Ordering::Relaxed);
                if first >= count {
                    break;
                }
                let sent = Instant::now();
                let outcome: Result<(), sqlx::Error> = async {
                    let mut conn = pool.acquire().await?;
                    let mut txn = conn.begin().await?;
                    let now = "2026-01-01T00:00:00+00:00";
                    for i in first..(first + rows).min(count) {
                    sqlx::query(
                        "INSERT INTO ballots (id, consultation_id, voter_key, want, dont_want, uses, channel, area, receipt, version, created_at, updated_at) \
                         VALUES (?, ?, ?, ?, ?, ?, 'online', NULL, ?, 1, ?, ?)",
                    )
                    .bind(uuid::Uuid::new_v4().to_string())
                    .bind(&consultation)
                    .bind(format!("{i:064x}"))
                    .bind(r#"["S3","D1","S1"]"#)
                    .bind(r#"["S5"]"#)
                    .bind(r#"["svc-2"]"#)
                    .bind(format!("R-{i:016x}"))
                    .bind(now)
                    .bind(now)
                    .execute(&mut *txn)
                    .await?;
                    }
                    txn.commit().await?;
                    Ok(())
                }
                .await;
                match outcome {
                    // One latency sample per row (every row waited for the same commit).
                    Ok(()) => (first..(first + rows).min(count)).for_each(|_| tally.record(sent.elapsed(), 200)),
                    Err(err) => {
                        eprintln!("insert failed: {err}");
                        tally.record(sent.elapsed(), 500);
                    }
                }
            }
            tally
        }));
    }
    let mut all = Tally::default();
    for t in tasks {
        all.merge(&t.await?);
    }
    let elapsed = started.elapsed();
    pool.close().await;
    let kind = if args.rows_per_txn > 1 { "sqlite_ceiling_grouped" } else { "sqlite_ceiling" };
    all.report(kind, elapsed, &[("concurrency", args.concurrency.to_string()), ("rows_per_txn", args.rows_per_txn.max(1).to_string())]);
    Ok(())
}
