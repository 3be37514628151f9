//! Group commit for ballots: ballots that arrive together are written in one transaction.
//!
//! Why: most of what a ballot costs the database is paid per transaction, not per row. On
//! PostgreSQL it is the round trip, the statement's parse and plan, and the commit record;
//! on SQLite it is the fsync of the WAL that `synchronous=FULL` makes every commit wait for.
//! Writing the ballots that are waiting at one moment as one transaction shares that cost
//! among them (docs/performance.md has the measurements).
//!
//! How: [`BallotQueue::cast`] puts a ballot in a queue and waits for its answer. A writer
//! task takes the first waiting ballot and every other one already waiting (up to
//! [`MAX_BATCH`]), writes them, answers them, and goes back for the next batch, which has
//! gathered meanwhile. Nothing waits for company: a ballot that arrives alone
//! is written alone at once, so a quiet consultation is exactly as fast as before and a
//! busy one gets bigger batches.
//!
//! What does not change:
//! - **Durability.** A resident is answered only after the commit that holds their ballot
//!   has returned, so an acknowledged ballot is on disk as before (tests/crash_safety.rs).
//! - **Each ballot keeps its own outcome.** On PostgreSQL the batch is one statement that
//!   writes only the ballots whose checks pass; any ballot it did not write goes through the
//!   one-ballot path, which says why (voting closed, not a code of this consultation). On
//!   SQLite each ballot runs under its own `SAVEPOINT`, so a refused ballot does not undo
//!   the others. If a whole batch fails (a deadlock, a lost connection), every ballot in it
//!   is tried again on its own (within its deadline). A connection lost during `COMMIT` may
//!   have committed the batch after all: the ballot written again then finds its receipt
//!   there and replaces itself with the same contents, so it is counted once and its
//!   resident hears it arrived (`200`), rather than a conflict.
//! - **One ballot per code.** Two submissions with the same code never share a batch (the
//!   later one waits for the next), and the unique index decides as before.
use std::{
    collections::{HashSet, VecDeque},
    time::Instant,
};

use chrono::Utc;
use sea_orm::{ConnectionTrait, DbBackend, Statement, TransactionTrait};
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use super::{
    Db,
    ballots::{self, BallotToStore, Stored},
    to_json_list,
};
use crate::{config::DatabaseKind, errors::AppError, metrics::METRICS};

/// The most ballots written in one transaction. Large enough that a burst of a few hundred
/// ballots a second needs only a handful of commits, small enough that one statement stays
/// short (a batch holds its voter-code rows locked until it commits).
const MAX_BATCH: usize = 64;

/// Ballots waiting for a writer before `cast` itself waits (back-pressure, not a limit on
/// voters: each waiting request holds one slot).
const QUEUE_SLOTS: usize = 4096;

/// One ballot waiting to be written, and where to send its outcome.
struct Job {
    consultation: Uuid,
    code_hash: String,
    voter_key: String,
    ballot: BallotToStore,
    reply: oneshot::Sender<Result<Stored, AppError>>,
    /// When the resident has waited `PBVOTE_DB_TIMEOUT`: a ballot not yet being written by
    /// then is answered `503` and not written, so a slow or unreachable database makes
    /// answers come sooner rather than ballots pile up in the queue.
    deadline: Instant,
}

impl Job {
    /// Answer `503` without writing, if the deadline has passed; else hand the job back.
    fn unless_expired(self) -> Option<Job> {
        if Instant::now() < self.deadline {
            return Some(self);
        }
        let _ = self.reply.send(Err(AppError::Unavailable {
            detail: "the database is too slow to answer just now, so your ballot was not stored; please send it again in a moment".into(),
        }));
        None
    }
}

/// The sending end of the ballot queue. Cloning it is cheap; the writer stops when the last
/// clone is dropped.
#[derive(Clone, Debug)]
pub(super) struct BallotQueue {
    jobs: mpsc::Sender<Job>,
    checkpointer: Option<super::wal_checkpoint::Checkpointer>,
    timeout: std::time::Duration,
}

impl BallotQueue {
    /// Start the writer task. `db` is a handle without a queue, which the writer uses.
    pub(super) fn start(db: Db) -> Self {
        let (jobs, queue) = mpsc::channel(QUEUE_SLOTS);
        let checkpointer = db.checkpointer.clone();
        let timeout = db.timeout;
        tokio::spawn(write_batches(db, queue));
        BallotQueue { jobs, checkpointer, timeout }
    }

    /// Queue a ballot and wait until it is committed (or refused).
    pub(super) async fn cast(
        &self,
        consultation: Uuid,
        code_hash: &str,
        voter_key: &str,
        ballot: BallotToStore,
    ) -> Result<Stored, AppError> {
        let (reply, answer) = oneshot::channel();
        let deadline = Instant::now() + self.timeout;
        let job = Job { consultation, code_hash: code_hash.to_owned(), voter_key: voter_key.to_owned(), ballot, reply, deadline };
        self.jobs.send(job).await.map_err(|_| AppError::Unavailable { detail: "the service is shutting down; please try again".into() })?;
        let stored = answer.await.map_err(|_| AppError::internal("the ballot writer stopped before answering"))?;
        if let (Ok(Stored { replaced: true, .. }), Some(checkpointer)) = (&stored, &self.checkpointer) {
            checkpointer.ballot_replaced();
        }
        stored
    }
}

/// The writer. One is enough, and better than several: measured on PostgreSQL with 16
/// ballots in flight on 2 cores, one writer took 6,000–6,800 ballots/s, two 6,000–6,700/s
/// and four 5,800/s, because more writers only make smaller batches. With one writer two
/// batches also never wait for each other's row locks. (SQLite has one writer connection
/// anyway.)
async fn write_batches(db: Db, mut queue: mpsc::Receiver<Job>) {
    // Ballots that met an earlier ballot with the same code in their batch: they go first
    // into the next one, in the order they arrived.
    let mut held: VecDeque<Job> = VecDeque::new();
    loop {
        let mut batch = Batch::default();
        for job in std::mem::take(&mut held) {
            held.extend(batch.offer(job));
        }
        if batch.jobs.is_empty() {
            let Some(job) = queue.recv().await else { return };
            held.extend(batch.offer(job));
        }
        while batch.jobs.len() < MAX_BATCH {
            let Ok(job) = queue.try_recv() else { break };
            held.extend(batch.offer(job));
        }
        let batch: Vec<Job> = batch.jobs.into_iter().filter_map(Job::unless_expired).collect();
        if batch.is_empty() {
            continue;
        }
        let started = Instant::now();
        METRICS.ballot_batch_size.observe(batch.len() as f64);
        write_batch(&db, batch).await;
        METRICS.ballot_batch_seconds.observe(started.elapsed().as_secs_f64());
    }
}

/// The ballots of one transaction: at most [`MAX_BATCH`], no two with the same code.
#[derive(Default)]
struct Batch {
    jobs: Vec<Job>,
    codes: HashSet<String>,
}

impl Batch {
    /// Take `job`, or hand it back if the batch is full or already holds its code.
    fn offer(&mut self, job: Job) -> Option<Job> {
        if self.jobs.len() < MAX_BATCH && self.codes.insert(job.voter_key.clone()) {
            self.jobs.push(job);
            None
        } else {
            Some(job)
        }
    }
}

async fn write_batch(db: &Db, batch: Vec<Job>) {
    // One ballot alone: the one-ballot path is the same work without the batch machinery.
    if batch.len() == 1 {
        return one_by_one(db, batch).await;
    }
    match db.kind() {
        DatabaseKind::Postgres => write_batch_pg(db, batch).await,
        DatabaseKind::Sqlite => write_batch_sqlite(db, batch).await,
    }
}

/// Every check and write of [`ballots::cast_pg`], for many ballots in one statement: the
/// ballots come in as one JSON array. Only ballots whose consultation is open now and
/// whose code belongs to it are written; `RETURNING` says which (by voter key: a batch
/// never holds two ballots with one code).
const CAST_BATCH_PG: &str = r#"
WITH input AS (
    SELECT * FROM jsonb_to_recordset($1::jsonb) AS t(
        consultation_id uuid, code_hash text, id uuid, voter_key text, want text, dont_want text,
        uses text, channel text, area text, receipt_hash text)
), open AS (
    SELECT id FROM consultations
    WHERE id IN (SELECT consultation_id FROM input) AND phase = 'open'
      AND (opens_at IS NULL OR opens_at <= $2) AND (closes_at IS NULL OR closes_at > $2)
    FOR SHARE
), code AS (
    UPDATE voter_codes SET used = TRUE
    FROM input
    WHERE voter_codes.code_hash = input.code_hash AND voter_codes.consultation_id = input.consultation_id
      AND voter_codes.kind = 'letter' AND voter_codes.exchanged_at IS NULL
      AND input.consultation_id IN (SELECT id FROM open)
    RETURNING input.code_hash
), receipt AS (
    INSERT INTO receipts (receipt_hash, consultation_id, received_on)
    SELECT receipt_hash, consultation_id, $3 FROM input WHERE code_hash IN (SELECT code_hash FROM code)
    -- There already when a batch whose COMMIT was cut off is written again (group_commit.rs).
    ON CONFLICT (receipt_hash) DO NOTHING
)
INSERT INTO ballots (id, consultation_id, voter_key, want, dont_want, uses, channel, area, version, created_at, updated_at)
SELECT id, consultation_id, voter_key, want, dont_want, uses, channel, area, 1, $2, $2
FROM input WHERE code_hash IN (SELECT code_hash FROM code)
ON CONFLICT (consultation_id, voter_key) DO UPDATE SET
    want = EXCLUDED.want, dont_want = EXCLUDED.dont_want, uses = EXCLUDED.uses, channel = EXCLUDED.channel,
    area = EXCLUDED.area, meeting_id = NULL, updated_at = EXCLUDED.updated_at, version = ballots.version + 1
RETURNING voter_key, version
"#;

async fn write_batch_pg(db: &Db, batch: Vec<Job>) {
    // The one statement knows online ballots with letters only; meeting ballots, and ballots
    // given with a service-user code, are written one by one (few, and slower anyway).
    let (singles, batch): (Vec<Job>, Vec<Job>) =
        batch.into_iter().partition(|job| job.ballot.meeting.is_some() || job.ballot.service_user_code_hash.is_some());
    if !singles.is_empty() {
        let db = db.clone();
        tokio::spawn(async move { one_by_one(&db, singles).await });
    }
    if batch.is_empty() {
        return;
    }
    let now = Utc::now();
    let input: Vec<serde_json::Value> = batch
        .iter()
        .map(|job| {
            serde_json::json!({
                "consultation_id": job.consultation,
                "code_hash": job.code_hash,
                "id": Uuid::new_v4(),
                "voter_key": job.voter_key,
                "want": to_json_list(&job.ballot.want),
                "dont_want": to_json_list(&job.ballot.dont_want),
                "uses": to_json_list(&job.ballot.uses),
                "channel": ballots::channel_str(job.ballot.channel),
                "area": job.ballot.area,
                "receipt_hash": job.ballot.receipt_hash,
            })
        })
        .collect();
    let statement = Statement::from_sql_and_values(
        DbBackend::Postgres,
        CAST_BATCH_PG,
        [serde_json::Value::Array(input).into(), now.into(), now.date_naive().into()],
    );
    let written: Result<Vec<(String, i32)>, AppError> = async {
        let rows = db.write.query_all_raw(statement).await?;
        rows.iter().map(|row| Ok((row.try_get_by_index(0)?, row.try_get_by_index(1)?))).collect()
    }
    .await;
    let written = match written {
        Ok(written) => written,
        Err(error) => {
            // Nothing of the batch was written (one statement is one transaction): try each
            // ballot on its own, so each gets its own answer.
            tracing::warn!(%error, ballots = batch.len(), "a batch of ballots failed; writing them one by one");
            return one_by_one(db, batch).await;
        }
    };
    let mut not_written = Vec::new();
    for job in batch {
        match written.iter().find(|(key, _)| *key == job.voter_key) {
            Some((_, version)) => {
                let _ = job.reply.send(Ok(Stored { received_at: now, replaced: *version > 1 }));
            }
            None => not_written.push(job),
        }
    }
    // A check failed for these: the one-ballot path says which. Off the writer, so that a
    // run of wrong codes does not hold up the next batch.
    if !not_written.is_empty() {
        let db = db.clone();
        tokio::spawn(async move { one_by_one(&db, not_written).await });
    }
}

/// SQLite: one `BEGIN IMMEDIATE … COMMIT` for the batch, a `SAVEPOINT` per ballot.
async fn write_batch_sqlite(db: &Db, batch: Vec<Job>) {
    let outcome: Result<Vec<Result<Stored, AppError>>, AppError> = async {
        let txn = db.begin_write().await?;
        let mut outcomes = Vec::with_capacity(batch.len());
        for job in &batch {
            let savepoint = txn.begin().await?;
            let now = Utc::now();
            match ballots::cast_in(&savepoint, job.consultation, &job.code_hash, &job.voter_key, &job.ballot, now).await {
                Ok(version) => {
                    savepoint.commit().await?;
                    outcomes.push(Ok(Stored { received_at: now, replaced: version > 1 }));
                }
                Err(error) => {
                    savepoint.rollback().await?;
                    outcomes.push(Err(error));
                }
            }
        }
        txn.commit().await?;
        Ok(outcomes)
    }
    .await;
    match outcome {
        Ok(outcomes) => {
            for (job, outcome) in batch.into_iter().zip(outcomes) {
                if let (Some(cast), Ok(_)) = (&job.ballot.meeting, &outcome) {
                    db.announce_after_commit(cast.meeting);
                }
                let _ = job.reply.send(outcome);
            }
        }
        Err(error) => {
            // Nothing of the batch was committed: try each ballot on its own.
            tracing::warn!(%error, ballots = batch.len(), "a batch of ballots failed; writing them one by one");
            one_by_one(db, batch).await;
        }
    }
}

/// Write each ballot in its own transaction, through the one-ballot path (those still
/// within their deadline: after a batch that failed slowly, the rest are answered at once).
async fn one_by_one(db: &Db, batch: Vec<Job>) {
    for job in batch.into_iter().filter_map(Job::unless_expired) {
        let outcome = ballots::cast_now(db, job.consultation, &job.code_hash, &job.voter_key, job.ballot).await;
        let _ = job.reply.send(outcome);
    }
}
