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
pub mod review;
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
    use sea_orm::{RuntimeErr, sqlx};
    match err {
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) | DbErr::Conn(RuntimeErr::SqlxError(e)) => {
            matches!(&**e, sqlx::Error::Database(d) if d.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some()
                && matches!(d.code().as_deref(), Some("5" | "517" | "6" | "262")))
        }
        _ => false,
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
