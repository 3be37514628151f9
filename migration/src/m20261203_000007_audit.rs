//! The audit record: every staff action, append-only, each entry carrying the SHA-256 of
//! the one before (a hash chain; `pbvote audit verify` checks it).
//!
//! - `audit_log`: one row per action, numbered from 1 without gaps (`seq`); who (`actor_id`
//!   and the account's e-mail address at the time), what (`action`, `subject`, the
//!   consultation if any), when, the state before and after as JSON text, `prev_hash` and
//!   `hash`. Triggers refuse `UPDATE` and `DELETE` (and, on PostgreSQL, `TRUNCATE`), so the
//!   service itself cannot change it; someone who disables them is caught by the chain.
//! - `audit_head`: one row, the last entry's number and hash. Every append locks it (on
//!   PostgreSQL `SELECT … FOR UPDATE`; SQLite has one writer), so entries are numbered in
//!   the order their transactions commit, and deleting the newest entries shows too.
use sea_orm_migration::{prelude::*, schema::*, sea_orm::DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The hash before the first entry.
const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AuditLog::Table)
                    .if_not_exists()
                    .col(big_integer(AuditLog::Seq).primary_key())
                    .col(timestamp_with_time_zone(AuditLog::At))
                    .col(uuid_null(AuditLog::ActorId))
                    .col(string_len(AuditLog::Actor, 254))
                    .col(string_len(AuditLog::Action, 64))
                    .col(string_len(AuditLog::Subject, 200))
                    .col(uuid_null(AuditLog::ConsultationId))
                    .col(text_null(AuditLog::Before))
                    .col(text_null(AuditLog::After))
                    .col(string_len(AuditLog::PrevHash, 64))
                    .col(string_len(AuditLog::Hash, 64))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .if_not_exists()
                    .name("idx_audit_log_consultation")
                    .table(AuditLog::Table)
                    .col(AuditLog::ConsultationId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AuditHead::Table)
                    .if_not_exists()
                    .col(integer(AuditHead::Id).primary_key())
                    .col(big_integer(AuditHead::Seq))
                    .col(string_len(AuditHead::Hash, 64))
                    .to_owned(),
            )
            .await?;
        manager
            .exec_stmt(
                Query::insert()
                    .into_table(AuditHead::Table)
                    .columns([AuditHead::Id, AuditHead::Seq, AuditHead::Hash])
                    .values_panic([1.into(), 0i64.into(), GENESIS.into()])
                    .on_conflict(OnConflict::column(AuditHead::Id).do_nothing().to_owned())
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        match manager.get_database_backend() {
            DbBackend::Postgres => {
                db.execute_unprepared(
                    "CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ \
                     BEGIN RAISE EXCEPTION 'the audit record is append-only'; END $$",
                )
                .await?;
                db.execute_unprepared("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log").await?;
                db.execute_unprepared(
                    "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log \
                     FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()",
                )
                .await?;
                db.execute_unprepared("DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log").await?;
                db.execute_unprepared(
                    "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log \
                     FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()",
                )
                .await?;
            }
            _ => {
                for (name, event) in [("audit_log_no_update", "UPDATE"), ("audit_log_no_delete", "DELETE")] {
                    db.execute_unprepared(&format!(
                        "CREATE TRIGGER IF NOT EXISTS {name} BEFORE {event} ON audit_log \
                         BEGIN SELECT RAISE(ABORT, 'the audit record is append-only'); END"
                    ))
                    .await?;
                }
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(AuditHead::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(AuditLog::Table).to_owned()).await?;
        if manager.get_database_backend() == DbBackend::Postgres {
            manager.get_connection().execute_unprepared("DROP FUNCTION IF EXISTS audit_log_append_only()").await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    Seq,
    At,
    ActorId,
    Actor,
    Action,
    Subject,
    ConsultationId,
    Before,
    After,
    PrevHash,
    Hash,
}

#[derive(DeriveIden)]
enum AuditHead {
    Table,
    Id,
    Seq,
    Hash,
}
