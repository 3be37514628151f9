//! A replaced ballot does not linger in SQLite's files.
//!
//! In WAL mode a change is appended to `pbvote.db-wal` and copied into `pbvote.db` at a
//! checkpoint; the log keeps every earlier version of a page until it is restarted. So after
//! a resident votes again, their first ballot would stay readable in the log (and, without
//! `secure_delete`, in the free space of the database file) long after it stopped counting.
//!
//! [`Checkpointer::ballot_replaced`] asks for a `PRAGMA wal_checkpoint(TRUNCATE)`: it copies
//! the log into the database file and empties the log. Its cost is bounded: at most one
//! checkpoint per [`MIN_INTERVAL`] however many ballots are replaced, each on the one writer
//! connection (ballots wait for it as for any write), waiting at most [`READER_WAIT`] for
//! readers to finish with the old pages; one that could not finish is tried again a moment
//! later. `secure_delete` (set on every connection, `db::sqlite_options`) zeroes what a
//! change leaves behind in the database file.
use std::{sync::Arc, time::Duration};

use sea_orm::{DatabaseConnection, sqlx};
use tokio::sync::Notify;

/// At most one checkpoint per second.
const MIN_INTERVAL: Duration = Duration::from_secs(1);

/// How long a checkpoint waits for readers of older pages before it tries again later.
const READER_WAIT: Duration = Duration::from_millis(250);

/// Asks the checkpoint task for a checkpoint. Cheap to clone.
#[derive(Clone, Debug)]
pub(super) struct Checkpointer {
    wanted: Arc<Notify>,
}

impl Checkpointer {
    /// Start the task on the writer pool `write`, whose connections wait `busy_timeout` for
    /// a lock. It checkpoints once at once (a log an earlier run left behind), then whenever
    /// asked; it stops when the pool is closed.
    pub(super) fn start(write: DatabaseConnection, busy_timeout: Duration) -> Self {
        let wanted = Arc::new(Notify::new());
        let asked = wanted.clone();
        tokio::spawn(async move {
            loop {
                asked.notified().await;
                loop {
                    match checkpoint(&write, busy_timeout).await {
                        Ok(true) => break,
                        Ok(false) => tracing::debug!("readers still use the write-ahead log; checkpointing again shortly"),
                        Err(sqlx::Error::PoolClosed) => return,
                        Err(error) => {
                            tracing::warn!(%error, "could not checkpoint the write-ahead log; trying after the next replaced ballot");
                            break;
                        }
                    }
                    tokio::time::sleep(MIN_INTERVAL).await;
                }
                tokio::time::sleep(MIN_INTERVAL).await;
            }
        });
        wanted.notify_one();
        Checkpointer { wanted }
    }

    /// A ballot was replaced: its old contents should leave the log soon.
    pub(super) fn ballot_replaced(&self) {
        // One stored permit at most: requests during a checkpoint make one more, not many.
        self.wanted.notify_one();
    }
}

/// Checkpoint now, on SQLite (after deleting personal data: retention), best effort: whether
/// the log was emptied. PostgreSQL: nothing to do here (see docs/privacy.md).
pub(super) async fn now(db: &super::Db) -> bool {
    if db.kind() != crate::config::DatabaseKind::Sqlite {
        return true;
    }
    checkpoint(&db.write, db.timeout).await.unwrap_or(false)
}

/// `PRAGMA wal_checkpoint(TRUNCATE)` on the writer connection, waiting at most
/// [`READER_WAIT`] for readers. Whether it copied the whole log and emptied it.
async fn checkpoint(write: &DatabaseConnection, busy_timeout: Duration) -> Result<bool, sqlx::Error> {
    let mut connection = write.get_sqlite_connection_pool().acquire().await?;
    // A number we made, not text from outside.
    let patience = |wait: Duration| sqlx::AssertSqlSafe(format!("PRAGMA busy_timeout = {}", wait.as_millis()));
    sqlx::query(patience(READER_WAIT)).execute(&mut *connection).await?;
    let outcome: Result<(i64, i64, i64), sqlx::Error> = sqlx::query_as("PRAGMA wal_checkpoint(TRUNCATE)").fetch_one(&mut *connection).await;
    // The writers' own patience back, whatever the checkpoint did.
    sqlx::query(patience(busy_timeout)).execute(&mut *connection).await?;
    match outcome {
        // (busy, frames in the log, frames copied): busy 0 means it finished.
        Ok((busy, _, _)) => Ok(busy == 0),
        Err(sqlx::Error::Database(e)) if matches!(e.code().as_deref(), Some("5" | "6")) => Ok(false),
        Err(e) => Err(e),
    }
}
