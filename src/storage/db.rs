use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, SqliteTransactionMode, Statement,
    TransactionOptions, TransactionTrait,
    sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous},
};

use super::group_commit::BallotQueue;
use crate::config::{DatabaseKind, DatabaseSettings};

/// The service's database handles.
///
/// On SQLite there are two pools over the same file: one connection that does every write
/// (SQLite allows one writer at a time; queueing writers in the pool is fairer and faster
/// than letting them collide and retry) and a few for reads, which WAL mode lets run
/// beside the writer. On PostgreSQL both are the same pool.
///
/// SQLite durability: `journal_mode=WAL` with `synchronous=FULL` — a transaction is on
/// disk (the WAL is fsynced) before its COMMIT returns, so a ballot we acknowledged
/// survives a crash or power cut. `NORMAL` would be faster but may lose the last commits
/// on power loss. `foreign_keys=ON` makes SQLite enforce the schema's references.
#[derive(Clone, Debug)]
pub struct Db {
    pub(super) read: DatabaseConnection,
    pub(super) write: DatabaseConnection,
    kind: DatabaseKind,
    url: String,
    /// `PBVOTE_DB_TIMEOUT`: the longest a request waits for the database.
    pub(super) timeout: Duration,
    /// Where ballots wait to be written together ([`super::group_commit`]); `None` in the
    /// handle the writers themselves use.
    pub(super) ballot_queue: Option<BallotQueue>,
}

impl Db {
    pub async fn connect(settings: &DatabaseSettings) -> anyhow::Result<Self> {
        match settings.kind {
            DatabaseKind::Sqlite => {
                let write = Database::connect(sqlite_options(&settings.url, 1, settings.timeout)).await?;
                let read = Database::connect(sqlite_options(&settings.url, settings.max_connections.clamp(1, 8), settings.timeout)).await?;
                Ok(Db { read, write, kind: DatabaseKind::Sqlite, url: settings.url.clone(), timeout: settings.timeout, ballot_queue: None }
                    .with_ballot_queue())
            }
            DatabaseKind::Postgres => {
                let mut options = ConnectOptions::new(&settings.url);
                // Waiting for a connection and running a statement (lock waits included) are
                // both bounded by the timeout, so a slow or stuck database turns into 503s
                // rather than requests piling up. The statement timeout is a startup option
                // of each connection; migrations use a connection of their own without it.
                let statement_timeout = format!("{}ms", settings.timeout.as_millis());
                options
                    .max_connections(settings.max_connections)
                    .min_connections(1)
                    .acquire_timeout(settings.timeout)
                    .sqlx_logging(false)
                    .map_sqlx_postgres_opts(move |o| o.options([("statement_timeout", statement_timeout.as_str())]));
                let pool = Database::connect(options).await?;
                Ok(Db {
                    read: pool.clone(),
                    write: pool,
                    kind: DatabaseKind::Postgres,
                    url: settings.url.clone(),
                    timeout: settings.timeout,
                    ballot_queue: None,
                }
                .with_ballot_queue())
            }
        }
    }

    fn with_ballot_queue(self) -> Self {
        let queue = BallotQueue::start(self.clone());
        Db { ballot_queue: Some(queue), ..self }
    }

    pub fn kind(&self) -> DatabaseKind {
        self.kind
    }

    /// Begin a transaction that will write. On SQLite it is `BEGIN IMMEDIATE`, taking the
    /// write lock at the start: a deferred transaction that reads and then writes cannot
    /// wait for the lock (SQLite fails it at once with "database is locked"), whereas an
    /// immediate one waits out the busy timeout like any other writer.
    pub(super) async fn begin_write(&self) -> Result<DatabaseTransaction, DbErr> {
        match self.kind {
            DatabaseKind::Sqlite => {
                self.write
                    .begin_with_options(TransactionOptions {
                        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                        ..Default::default()
                    })
                    .await
            }
            DatabaseKind::Postgres => self.write.begin().await,
        }
    }

    /// Apply every pending migration. Safe to run from several instances at once on
    /// PostgreSQL: they take turns under an advisory lock.
    pub async fn migrate(&self) -> anyhow::Result<()> {
        match self.kind {
            DatabaseKind::Sqlite => Migrator::up(&self.write, None).await?,
            DatabaseKind::Postgres => {
                // A dedicated one-connection pool so the lock and the migrations share a session.
                let mut options = ConnectOptions::new(&self.url);
                options.max_connections(1).sqlx_logging(false);
                let conn = Database::connect(options).await?;
                let lock = Statement::from_string(DbBackend::Postgres, "SELECT pg_advisory_lock(7243911)");
                conn.execute_raw(lock).await?;
                let outcome = Migrator::up(&conn, None).await;
                let unlock = Statement::from_string(DbBackend::Postgres, "SELECT pg_advisory_unlock(7243911)");
                conn.execute_raw(unlock).await?;
                conn.close().await?;
                outcome?;
            }
        }
        Ok(())
    }

    /// Whether the database answers and no migration is pending (for `/ready`).
    pub async fn is_ready(&self) -> bool {
        match Migrator::get_pending_migrations(&self.read).await {
            Ok(pending) => pending.is_empty(),
            Err(_) => false,
        }
    }

    pub async fn close(self) {
        let _ = self.read.close().await;
        if self.kind == DatabaseKind::Sqlite {
            let _ = self.write.close().await;
        }
    }
}

/// Whether a SQLite connection coming back to the pool may be used again.
///
/// When a statement fails with "disk full" (or an I/O error), SQLite may roll back the whole
/// transaction by itself. sqlx's count of open transactions and savepoints on the connection
/// then no longer matches SQLite's: the rollbacks sqlx sends fail ("no such savepoint"), its
/// count stays above zero, and later transactions on that connection no longer commit as
/// they should: the disk-full test (tests/faults) saw ballots answered as stored and then
/// missing. Every pbvote transaction has ended by the time its connection returns, so a
/// count above zero (after the queued rollback has run) means the connection is out of
/// step: it is closed, and the pool opens a fresh one.
async fn sqlite_connection_is_reusable(conn: &mut sea_orm::sqlx::SqliteConnection) -> Result<bool, sea_orm::sqlx::Error> {
    use sea_orm::sqlx::Connection;
    conn.ping().await?;
    let out_of_step = conn.is_in_transaction();
    if out_of_step {
        tracing::warn!("a SQLite connection came back inside a transaction (after a failed write); closing it");
    }
    Ok(!out_of_step)
}

fn sqlite_options(url: &str, connections: u32, timeout: Duration) -> ConnectOptions {
    let mut options = ConnectOptions::new(url);
    options
        .max_connections(connections)
        .min_connections(1)
        .acquire_timeout(timeout)
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(move |o| {
            o.journal_mode(SqliteJournalMode::Wal).synchronous(SqliteSynchronous::Full).foreign_keys(true).busy_timeout(timeout)
        })
        .map_sqlx_sqlite_pool_opts(|pool| pool.after_release(|conn, _| Box::pin(sqlite_connection_is_reusable(conn))));
    options
}
