//! `pbvote backup` and `pbvote restore` for SQLite.
//!
//! A backup is `VACUUM INTO` a new file: SQLite writes a consistent copy of the database as
//! of one moment — one read transaction, so every ballot committed before it began is in
//! the copy and nothing half-written is — while the server goes on serving (in WAL mode a
//! reader never blocks the writer, nor the writer it). It is written under a temporary
//! name, forced to disk, checked with `PRAGMA integrity_check` and only then renamed into
//! place, so a backup file that exists is whole.
//!
//! Restoring puts such a copy where `DATABASE_URL` points. It refuses to overwrite a database
//! that is there (with a running server, or a `-wal` file of another database beside it, the
//! result would be corrupt): the operator stops pbvote and moves the old files aside first.
//!
//! PostgreSQL is backed up with `pg_dump` and restored with `pg_restore`
//! (docs/reliability.md, "Backup and restore"); these functions say so.
use std::{
    path::{Path, PathBuf},
    str::FromStr,
    time::Duration,
};

use anyhow::Context;
use sea_orm::sqlx::{
    self, ConnectOptions, Connection, Row,
    sqlite::{SqliteConnectOptions, SqliteConnection},
};

use crate::config::{DatabaseKind, DatabaseSettings};

/// What a backup or restore holds, for the operator to compare.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contents {
    pub consultations: i64,
    pub ballots: i64,
}

const ON_POSTGRES: &str = "on PostgreSQL, back up with pg_dump and restore with pg_restore (docs/reliability.md, \"Backup and restore\"): \
     pg_dump --format=custom --file=pbvote.dump \"$DATABASE_URL\"";

/// Copy the database named by `settings` into a new file `to`, while it may be in use.
pub async fn backup(settings: &DatabaseSettings, to: &Path) -> anyhow::Result<Contents> {
    anyhow::ensure!(settings.kind == DatabaseKind::Sqlite, "{ON_POSTGRES}");
    let source = sqlite_file(&settings.url)?;
    anyhow::ensure!(source.is_file(), "there is no database at {} (DATABASE_URL)", source.display());
    anyhow::ensure!(!to.exists(), "{} already exists; give a new file name (a backup never overwrites)", to.display());
    let partial = with_suffix(to, ".partial");
    // Left by a backup that was interrupted: never a whole copy, so safe to replace.
    let _ = std::fs::remove_file(&partial);

    let mut conn = open(&source, false).await?;
    sqlx::query("VACUUM INTO ?")
        .bind(partial.to_string_lossy().into_owned())
        .execute(&mut conn)
        .await
        .with_context(|| format!("copying {} to {}", source.display(), partial.display()))?;
    conn.close().await.ok();

    let finish = async {
        std::fs::File::open(&partial)?.sync_all()?;
        let contents = check(&partial).await?;
        std::fs::rename(&partial, to)?;
        sync_dir(to)?;
        anyhow::Ok(contents)
    };
    match finish.await {
        Ok(contents) => Ok(contents),
        Err(error) => {
            let _ = std::fs::remove_file(&partial);
            Err(error.context(format!("finishing the backup {}", to.display())))
        }
    }
}

/// Put the backup `from` where `settings` points. The place must be free.
pub async fn restore(settings: &DatabaseSettings, from: &Path) -> anyhow::Result<Contents> {
    anyhow::ensure!(settings.kind == DatabaseKind::Sqlite, "{ON_POSTGRES}");
    let target = sqlite_file(&settings.url)?;
    anyhow::ensure!(from.is_file(), "there is no backup at {}", from.display());
    for file in [target.clone(), with_suffix(&target, "-wal"), with_suffix(&target, "-shm")] {
        anyhow::ensure!(
            !file.exists(),
            "{} already exists. Stop pbvote, move {} and its -wal and -shm files aside, then restore again (a restore never overwrites)",
            file.display(),
            target.display()
        );
    }
    let contents = check(from).await.with_context(|| format!("{} is not a whole pbvote backup", from.display()))?;
    let partial = with_suffix(&target, ".restoring");
    let _ = std::fs::remove_file(&partial);
    let copy = async {
        std::fs::copy(from, &partial)?;
        std::fs::File::open(&partial)?.sync_all()?;
        std::fs::rename(&partial, &target)?;
        sync_dir(&target)?;
        anyhow::Ok(())
    };
    if let Err(error) = copy.await {
        let _ = std::fs::remove_file(&partial);
        return Err(error.context(format!("restoring into {}", target.display())));
    }
    Ok(contents)
}

/// A whole pbvote database: integrity check passes and its tables are there.
async fn check(file: &Path) -> anyhow::Result<Contents> {
    let mut conn = open(file, true).await?;
    let integrity: String = sqlx::query("PRAGMA integrity_check").fetch_one(&mut conn).await?.try_get(0)?;
    anyhow::ensure!(integrity == "ok", "PRAGMA integrity_check: {integrity}");
    let migrations: i64 = sqlx::query("SELECT COUNT(*) FROM seaql_migrations")
        .fetch_one(&mut conn)
        .await
        .context("not a pbvote database (no migrations table)")?
        .try_get(0)?;
    anyhow::ensure!(migrations > 0, "not a pbvote database (no migrations applied)");
    let consultations: i64 = sqlx::query("SELECT COUNT(*) FROM consultations").fetch_one(&mut conn).await?.try_get(0)?;
    let ballots: i64 = sqlx::query("SELECT COUNT(*) FROM ballots").fetch_one(&mut conn).await?.try_get(0)?;
    conn.close().await.ok();
    Ok(Contents { consultations, ballots })
}

async fn open(file: &Path, read_only: bool) -> anyhow::Result<SqliteConnection> {
    SqliteConnectOptions::new()
        .filename(file)
        .read_only(read_only)
        .create_if_missing(false)
        // Wait for the server's write lock rather than fail (it holds it for milliseconds).
        .busy_timeout(Duration::from_secs(30))
        .connect()
        .await
        .with_context(|| format!("opening {}", file.display()))
}

/// The file a `sqlite:` URL names.
fn sqlite_file(url: &str) -> anyhow::Result<PathBuf> {
    let options = SqliteConnectOptions::from_str(url).with_context(|| format!("DATABASE_URL {url:?}"))?;
    Ok(options.get_filename().to_path_buf())
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Make a rename durable: fsync the directory that holds `path`.
fn sync_dir(path: &Path) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    std::fs::File::open(dir)?.sync_all()
}
