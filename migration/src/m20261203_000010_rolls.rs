//! Voter rolls: the people a council writes to, one code each.
//!
//! `roll_entries`: one row per person of an imported roll (name, address, the council's
//! reference, area, and the line of the file it came from), with the keyed hash of their
//! code (`code_hash`, as in `voter_codes`) and the batch it was made in. A roll is linked to
//! codes, never to ballots: a ballot carries a keyed hash of the code under another label,
//! which cannot be computed from `code_hash` (docs/privacy.md).
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(RollEntries::Table)
                    .if_not_exists()
                    .col(uuid(RollEntries::Id).primary_key())
                    .col(uuid(RollEntries::ConsultationId))
                    .col(uuid(RollEntries::BatchId))
                    .col(integer(RollEntries::Line))
                    .col(text(RollEntries::Name))
                    .col(text(RollEntries::Address))
                    .col(string_len(RollEntries::Reference, 100))
                    .col(string_len_null(RollEntries::Area, 200))
                    .col(string_len_uniq(RollEntries::CodeHash, 64))
                    .col(timestamp_with_time_zone(RollEntries::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(RollEntries::Table, RollEntries::ConsultationId)
                            .to(Consultations::Table, Consultations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .if_not_exists()
                    .unique()
                    .name("idx_roll_entries_reference")
                    .table(RollEntries::Table)
                    .col(RollEntries::ConsultationId)
                    .col(RollEntries::Reference)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(RollEntries::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum RollEntries {
    Table,
    Id,
    ConsultationId,
    BatchId,
    Line,
    Name,
    Address,
    Reference,
    Area,
    CodeHash,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Consultations {
    Table,
    Id,
}
