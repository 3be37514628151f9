//! Everything that touches the database. Only this module imports `sea_orm`.
//!
//! - [`db`]: connecting (SQLite or PostgreSQL from the URL), durability settings, migrations.
//! - [`entities`]: the tables, and nothing else.
//! - one module per subject with the queries the service runs: [`accounts`],
//!   [`consultations`], [`voter_codes`], [`ballots`], [`receipts`].
//! - [`group_commit`]: ballots that arrive together are written in one transaction.
//! - [`wal_checkpoint`]: on SQLite, a replaced ballot is soon gone from the write-ahead log.
//! - [`meetings`], [`paper`]: live meetings, their slips, records and paper ballots;
//!   [`notify`]: how every instance hears that a meeting changed.
//!
//! Every operation that writes more than one row runs in one transaction, so a request
//! either happens completely or not at all. Database errors become [`AppError`] here, once.
pub mod accounts;
pub mod audit;
pub mod backup;
pub mod ballots;
pub mod consultations;
mod db;
mod entities;
mod group_commit;
pub mod meetings;
pub mod notify;
pub mod paper;
pub mod rate_limits;
pub mod receipts;
pub mod registrations;
pub mod review;
pub mod rolls;
pub mod voter_codes;
mod wal_checkpoint;

pub use db::Db;

use sea_orm::{DbErr, SqlErr};

use crate::errors::AppError;

impl From<DbErr> for AppError {
    fn from(err: DbErr) -> Self {
        match err.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(detail)) => {
                tracing::debug!(%detail, "unique constraint");
                return AppError::conflict(None, "that already exists");
            }
            Some(SqlErr::ForeignKeyConstraintViolation(detail)) => {
                tracing::debug!(%detail, "foreign key constraint");
                return AppError::conflict(None, "that is still referred to, or refers to something that does not exist");
            }
            _ => {}
        }
        if is_busy(&err) {
            tracing::warn!(error = %err, "database busy");
            return AppError::Unavailable { detail: "the database is busy; please try again in a moment".into() };
        }
        if let Some(trouble) = trouble(&err) {
            return trouble.into_error(&err);
        }
        match err {
            DbErr::RecordNotFound(what) => AppError::not_found(what),
            DbErr::ConnectionAcquire(e) => {
                tracing::error!(error = %e, "database connection");
                AppError::Unavailable { detail: "the database is busy or unreachable; please try again".into() }
            }
            DbErr::Conn(e) => {
                tracing::error!(error = %e, "database connection");
                AppError::Unavailable { detail: "the database is unreachable; please try again".into() }
            }
            other => AppError::internal(format!("database: {other}")),
        }
    }
}

/// SQLite's "database is locked" / "busy" (codes 5, 517, 6): a wait that ran out, not a bug.
fn is_busy(err: &DbErr) -> bool {
    matches!(sqlx_error(err), Some(sea_orm::sqlx::Error::Database(d)) if d.try_downcast_ref::<sea_orm::sqlx::sqlite::SqliteError>().is_some()
        && matches!(d.code().as_deref(), Some("5" | "517" | "6" | "262")))
}

/// The sqlx error inside a database error, if there is one.
fn sqlx_error(err: &DbErr) -> Option<&sea_orm::sqlx::Error> {
    use sea_orm::RuntimeErr;
    match err {
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) | DbErr::Conn(RuntimeErr::SqlxError(e)) => Some(e),
        _ => None,
    }
}

/// Trouble with the database itself rather than with the request: the answer is `503` with
/// `Retry-After` (never a 500), and the request can be sent again once it has passed.
enum Trouble {
    /// The connection broke or could not be made (PostgreSQL restarting, the network).
    Unreachable,
    /// The statement ran out of `PBVOTE_DB_TIMEOUT` (a lock held too long, an overloaded
    /// server), or lost a deadlock or serialisation race.
    Slow,
    /// The disk is full (SQLite's file system, or PostgreSQL's).
    DiskFull,
    /// The disk failed to read or write.
    DiskError,
}

impl Trouble {
    fn into_error(self, err: &DbErr) -> AppError {
        let detail = match self {
            Trouble::Unreachable => {
                tracing::error!(error = %err, "the database is unreachable");
                "the database cannot be reached just now; please try again in a moment (sending a ballot again is safe: only the latest ballot for a code counts)"
            }
            Trouble::Slow => {
                tracing::error!(error = %err, "the database did not answer in time");
                "the database is too slow to answer just now; nothing was changed by this request; please try again in a moment"
            }
            Trouble::DiskFull => {
                tracing::error!(error = %err, "the database's disk is full: free some space; nothing is written until then");
                "the server's disk is full, so nothing can be stored just now; nothing was changed by this request, and everything stored before is safe; please try again later"
            }
            Trouble::DiskError => {
                tracing::error!(error = %err, "the database's disk failed to read or write");
                "the server could not read or write its disk; nothing was changed by this request; please try again later"
            }
        };
        AppError::Unavailable { detail: detail.into() }
    }
}

fn trouble(err: &DbErr) -> Option<Trouble> {
    use sea_orm::sqlx::Error;
    match sqlx_error(err)? {
        Error::Io(_) | Error::Tls(_) | Error::PoolTimedOut | Error::PoolClosed | Error::WorkerCrashed | Error::Protocol(_) => {
            Some(Trouble::Unreachable)
        }
        Error::Database(d) => {
            let code = d.code()?;
            if d.try_downcast_ref::<sea_orm::sqlx::sqlite::SqliteError>().is_some() {
                // Primary result code in the low byte: 13 SQLITE_FULL, 10 SQLITE_IOERR.
                return match code.parse::<i32>().ok()? & 0xff {
                    13 => Some(Trouble::DiskFull),
                    10 => Some(Trouble::DiskError),
                    _ => None,
                };
            }
            // PostgreSQL's SQLSTATE: 08 connection exceptions; 57P01-57P03 the server
            // shutting down, crashed or starting; 53 out of resources (53100 disk full);
            // 57014 a statement cancelled by statement_timeout; 55P03 a lock wait cut short;
            // 40001 / 40P01 serialisation failure and deadlock.
            match code.as_ref() {
                "53100" => Some(Trouble::DiskFull),
                "58030" => Some(Trouble::DiskError),
                c if c.starts_with("08") || c.starts_with("57P") || c.starts_with("53") => Some(Trouble::Unreachable),
                "57014" | "55P03" | "40001" | "40P01" => Some(Trouble::Slow),
                _ => None,
            }
        }
        _ => None,
    }
}

/// Lists are stored as JSON text so the same column works on SQLite and PostgreSQL.
fn to_json_list(items: &[String]) -> String {
    serde_json::to_string(items).expect("a list of strings always serialises")
}

fn from_json_list(text: &str) -> Result<Vec<String>, AppError> {
    serde_json::from_str(text).map_err(|e| AppError::internal(format!("stored list is not JSON: {e}")))
}

/// Money columns are `BIGINT`; domain amounts are at most 10^15, so the casts are exact.
fn money_to_db(value: Option<u64>) -> Option<i64> {
    value.map(|v| v as i64)
}

fn money_from_db(value: Option<i64>) -> Option<u64> {
    value.map(|v| v.max(0) as u64)
}
