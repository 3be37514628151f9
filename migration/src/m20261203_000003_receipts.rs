//! Receipts leave the ballot: a table of their keyed hashes, apart from the ballots.
//!
//! Before, a ballot row held its receipt in plain text, and a replaced ballot's old receipt
//! stopped working — so a vote buyer who collected receipts could tell who had voted again.
//! Now every receipt ever given stays valid and answers the same ("a ballot with this
//! receipt arrived on that day"), the table holds only a keyed hash of it and the day (no
//! time, so a receipt cannot be matched to a ballot row by its time), and nothing links a
//! receipt to a ballot.
//!
//! The server key is not known here, so existing receipts are moved as `plain:R-…` and
//! hashed by the server before it serves (`storage::receipts::hash_moved_receipts`).
//! This is a contract step: instances of the previous version must be stopped first (they
//! write `ballots.receipt`, which is dropped).
use sea_orm_migration::{prelude::*, schema::*, sea_orm::DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Receipts::Table)
                    .if_not_exists()
                    .col(string_len(Receipts::ReceiptHash, 64).primary_key())
                    .col(uuid(Receipts::ConsultationId))
                    .col(date(Receipts::ReceivedOn))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Receipts::Table, Receipts::ConsultationId)
                            .to(Consultations::Table, Consultations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        let backend = manager.get_database_backend();
        match backend {
            DbBackend::Postgres => {
                db.execute_unprepared(
                    "INSERT INTO receipts (receipt_hash, consultation_id, received_on) \
                     SELECT 'plain:' || receipt, consultation_id, (updated_at AT TIME ZONE 'UTC')::date FROM ballots",
                )
                .await?;
                db.execute_unprepared("ALTER TABLE ballots DROP COLUMN receipt").await?;
            }
            _ => {
                db.execute_unprepared(
                    "INSERT INTO receipts (receipt_hash, consultation_id, received_on) \
                     SELECT 'plain:' || receipt, consultation_id, substr(updated_at, 1, 10) FROM ballots",
                )
                .await?;
                // SQLite cannot drop a UNIQUE column: rebuild the table without it.
                db.execute_unprepared(
                    "CREATE TABLE ballots_new (\
                        id uuid_text NOT NULL PRIMARY KEY, \
                        consultation_id uuid_text NOT NULL, \
                        voter_key varchar(64) NOT NULL, \
                        want text NOT NULL, \
                        dont_want text NOT NULL, \
                        uses text NOT NULL, \
                        channel varchar(16) NOT NULL, \
                        area varchar(100), \
                        version integer NOT NULL, \
                        created_at timestamp_with_timezone_text NOT NULL, \
                        updated_at timestamp_with_timezone_text NOT NULL, \
                        FOREIGN KEY (consultation_id) REFERENCES consultations (id) ON DELETE CASCADE)",
                )
                .await?;
                db.execute_unprepared(
                    "INSERT INTO ballots_new (id, consultation_id, voter_key, want, dont_want, uses, channel, area, version, created_at, updated_at) \
                     SELECT id, consultation_id, voter_key, want, dont_want, uses, channel, area, version, created_at, updated_at FROM ballots",
                )
                .await?;
                db.execute_unprepared("DROP TABLE ballots").await?;
                db.execute_unprepared("ALTER TABLE ballots_new RENAME TO ballots").await?;
                db.execute_unprepared("CREATE UNIQUE INDEX uq_ballots_one_per_voter ON ballots (consultation_id, voter_key)").await?;
                db.execute_unprepared("CREATE INDEX idx_ballots_consultation_version ON ballots (consultation_id, version)").await?;
            }
        }
        Ok(())
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Err(DbErr::Migration("receipts cannot be put back into ballots: only their keyed hashes are kept".into()))
    }
}

#[derive(DeriveIden)]
enum Receipts {
    Table,
    ReceiptHash,
    ConsultationId,
    ReceivedOn,
}

#[derive(DeriveIden)]
enum Consultations {
    Table,
    Id,
}
