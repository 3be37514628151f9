use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, SqliteTransactionMode, Statement,
    TransactionOptions, TransactionTrait,
    sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous},
};

use uuid::Uuid;

use super::{
    group_commit::BallotQueue,
    notify::{Change, Changes},
    wal_checkpoint::Checkpointer,
};
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
/// `secure_delete=ON` zeroes what a change or a delete leaves behind in the file, and a
/// replaced ballot is soon checkpointed out of the WAL ([`super::wal_checkpoint`]). The file,
/// its `-wal` and its `-shm` are readable by the service's own user only (0600).
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
    /// SQLite: empties the write-ahead log after ballots are replaced.
    pub(super) checkpointer: Option<Checkpointer>,
    /// Meetings that changed, heard from this instance and (on PostgreSQL) every other.
    changes: Changes,
}

impl Db {
    pub async fn connect(settings: &DatabaseSettings) -> anyhow::Result<Self> {
        match settings.kind {
            DatabaseKind::Sqlite => {
                #[cfg(unix)]
                private_sqlite_files(&settings.url)?;
                let write = Database::connect(sqlite_options(&settings.url, 1, settings.timeout)).await?;
                let read = Database::connect(sqlite_options(&settings.url, settings.max_connections.clamp(1, 8), settings.timeout)).await?;
                let checkpointer = Some(Checkpointer::start(write.clone(), settings.timeout));
                let changes = Changes::default();
                Ok(Db {
                    read,
                    write,
                    kind: DatabaseKind::Sqlite,
                    url: settings.url.clone(),
                    timeout: settings.timeout,
                    ballot_queue: None,
                    checkpointer,
                    changes,
                }
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
                let changes = Changes::default();
                super::notify::listen(settings.url.clone(), changes.clone());
                Ok(Db {
                    read: pool.clone(),
                    write: pool,
                    kind: DatabaseKind::Postgres,
                    url: settings.url.clone(),
                    timeout: settings.timeout,
                    ballot_queue: None,
                    checkpointer: None,
                    changes,
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

    /// Meetings that changed (see [`super::notify`]).
    pub fn changes(&self) -> &Changes {
        &self.changes
    }

    /// After a commit that changed `meeting`: on SQLite, tell this instance (on PostgreSQL
    /// the transaction's NOTIFY does it, for every instance).
    pub(super) fn announce_after_commit(&self, meeting: Uuid) {
        if self.kind == DatabaseKind::Sqlite {
            self.changes.announce(Change::Meeting(meeting));
        }
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
        self.migrate_with::<Migrator>().await
    }

    /// [`Db::migrate`] with another list of migrations: a later version's (the upgrade test
    /// runs the service with the migrations of a "next version" this way).
    ///
    /// Migrations that the database has but `M` does not know were applied by a newer
    /// version that is being rolled out beside this one. Its migrations only add to the
    /// schema (expand, then contract a release later: docs/reliability.md), so this version
    /// starts and serves on it; it refuses only a database that lacks one of its own
    /// migrations while holding newer ones, which no order of upgrades produces.
    pub async fn migrate_with<M: MigratorTrait>(&self) -> anyhow::Result<()> {
        match self.kind {
            DatabaseKind::Sqlite => up_known::<M>(&self.write).await?,
            DatabaseKind::Postgres => {
                // A dedicated one-connection pool so the lock and the migrations share a session.
                let mut options = ConnectOptions::new(&self.url);
                options.max_connections(1).sqlx_logging(false);
                let conn = Database::connect(options).await?;
                let lock = Statement::from_string(DbBackend::Postgres, "SELECT pg_advisory_lock(7243911)");
                conn.execute_raw(lock).await?;
                let outcome = up_known::<M>(&conn).await;
                let unlock = Statement::from_string(DbBackend::Postgres, "SELECT pg_advisory_unlock(7243911)");
                conn.execute_raw(unlock).await?;
                conn.close().await?;
                outcome?;
            }
        }
        Ok(())
    }

    /// Whether the database answers and every migration of this version is applied (for
    /// `/ready`). Migrations of a newer version do not make it unready (see
    /// [`Db::migrate_with`]). Answers within two seconds: a load balancer asking while the
    /// database is down hears "not ready" before its own check times out.
    pub async fn is_ready(&self) -> bool {
        let known = Migrator::migrations().iter().map(|m| m.name().to_owned()).collect::<Vec<_>>();
        match tokio::time::timeout(Duration::from_secs(2), applied_migrations(&self.read)).await {
            Ok(Ok(applied)) => known.iter().all(|name| applied.contains(name)),
            Ok(Err(error)) => {
                tracing::warn!(%error, "not ready: cannot read the applied migrations");
                false
            }
            Err(_) => {
                tracing::warn!("not ready: the database did not answer within 2 s");
                false
            }
        }
    }

    pub async fn close(self) {
        let _ = self.read.close().await;
        if self.kind == DatabaseKind::Sqlite {
            let _ = self.write.close().await;
        }
    }
}

/// The SQLite file holds the ballots: like the key file, it is for the service's own user
/// only. A file `mode=rwc` is to create is made here with mode 0600 before SQLite opens it
/// (SQLite gives the `-wal` and `-shm` files the main file's mode); an existing file, `-wal`
/// or `-shm` that others may read is narrowed to 0600.
#[cfg(unix)]
fn private_sqlite_files(url: &str) -> anyhow::Result<()> {
    use std::{
        os::unix::fs::{OpenOptionsExt, PermissionsExt},
        str::FromStr,
    };

    use sea_orm::sqlx::sqlite::SqliteConnectOptions;

    let params = url.split_once('?').map_or("", |(_, q)| q);
    let in_memory = url.contains(":memory:") || params.split('&').any(|p| p == "mode=memory");
    if in_memory {
        return Ok(());
    }
    let options = SqliteConnectOptions::from_str(url).map_err(|e| anyhow::anyhow!("DATABASE_URL is not a SQLite address: {e}"))?;
    let file = options.get_filename().to_owned();
    if params.split('&').any(|p| p == "mode=rwc") && !file.exists() {
        let created = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&file);
        match created {
            // Another instance may have made it a moment ago; it is narrowed below if need be.
            Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => {
                anyhow::bail!("cannot create the database file {}: {e}", file.display())
            }
            _ => {}
        }
    }
    for suffix in ["", "-wal", "-shm"] {
        let mut path = file.clone().into_os_string();
        path.push(suffix);
        let path = std::path::PathBuf::from(path);
        if let Ok(meta) = std::fs::metadata(&path)
            && meta.permissions().mode() & 0o077 != 0
        {
            // A file this user may write but does not own cannot be narrowed: say so, and
            // carry on as before rather than refuse to start.
            match std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)) {
                Ok(()) => tracing::info!(path = %path.display(), "made the database file readable by this user only (0600)"),
                Err(error) => {
                    tracing::warn!(path = %path.display(), %error, "the database file is readable by others and cannot be narrowed to 0600")
                }
            }
        }
    }
    Ok(())
}

/// The names of the migrations recorded in the database (none before the first).
async fn applied_migrations(conn: &impl ConnectionTrait) -> Result<std::collections::HashSet<String>, DbErr> {
    let backend = conn.get_database_backend();
    let exists = match backend {
        DbBackend::Sqlite => "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'seaql_migrations'",
        _ => "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'seaql_migrations'",
    };
    let found: i64 = match conn.query_one_raw(Statement::from_string(backend, exists)).await? {
        Some(row) => row.try_get_by_index(0)?,
        None => 0,
    };
    if found == 0 {
        return Ok(Default::default());
    }
    let rows = conn.query_all_raw(Statement::from_string(backend, "SELECT version FROM seaql_migrations")).await?;
    rows.iter().map(|row| row.try_get_by_index::<String>(0)).collect()
}

/// Apply `M`'s pending migrations, tolerating newer ones already applied (see
/// [`Db::migrate_with`]).
async fn up_known<M: MigratorTrait>(conn: &DatabaseConnection) -> anyhow::Result<()> {
    let applied = applied_migrations(conn).await?;
    let known: Vec<String> = M::migrations().iter().map(|m| m.name().to_owned()).collect();
    let mut newer: Vec<&String> = applied.iter().filter(|name| !known.contains(name)).collect();
    if newer.is_empty() {
        // The usual case: sea-orm's own bookkeeping.
        return Ok(M::up(conn, None).await?);
    }
    newer.sort();
    let missing: Vec<&String> = known.iter().filter(|name| !applied.contains(*name)).collect();
    anyhow::ensure!(
        missing.is_empty(),
        "the database has migrations of a newer version ({}) but lacks this version's {}; start the newer version instead",
        newer.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", "),
        missing.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
    );
    tracing::warn!(
        newer = %newer.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", "),
        "the database has migrations of a newer version; serving on it (an upgrade is under way)"
    );
    Ok(())
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
            o.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .foreign_keys(true)
                .pragma("secure_delete", "ON")
                .busy_timeout(timeout)
        })
        .map_sqlx_sqlite_pool_opts(|pool| pool.after_release(|conn, _| Box::pin(sqlite_connection_is_reusable(conn))));
    options
}
