//! Who made which codes.
//!
//! - `code_batches`: every batch of voter codes — letters, a meeting's admission slips, a slip
//!   given at the door for a letter — with who made it, when, how many, for which meeting,
//!   whether voting was already open, and (when the consultation asks for it) whether a
//!   commissioner has approved it yet.
//! - `voter_codes.batch_id`: the batch a code came in (codes made before this release have
//!   none).
//! - `consultations.approve_late_codes`: letters made after voting opened work only once a
//!   commissioner approves their batch (until then they are kept with `kind = 'held'`).
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CodeBatches::Table)
                    .if_not_exists()
                    .col(uuid(CodeBatches::Id).primary_key())
                    .col(uuid(CodeBatches::ConsultationId))
                    // letter | slip | exchange
                    .col(string_len(CodeBatches::Kind, 16))
                    .col(uuid_null(CodeBatches::MeetingId))
                    .col(integer(CodeBatches::Count))
                    .col(uuid_null(CodeBatches::MadeBy))
                    .col(timestamp_with_time_zone(CodeBatches::MadeAt))
                    .col(boolean(CodeBatches::AfterOpening))
                    .col(boolean(CodeBatches::NeedsApproval))
                    .col(uuid_null(CodeBatches::ApprovedBy))
                    .col(timestamp_with_time_zone_null(CodeBatches::ApprovedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(CodeBatches::Table, CodeBatches::ConsultationId)
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
                    .name("idx_code_batches_consultation")
                    .table(CodeBatches::Table)
                    .col(CodeBatches::ConsultationId)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(Table::alter().table(VoterCodes::Table).add_column(ColumnDef::new(VoterCodes::BatchId).uuid().null()).to_owned())
            .await?;
        manager
            .create_index(
                Index::create().if_not_exists().name("idx_voter_codes_batch").table(VoterCodes::Table).col(VoterCodes::BatchId).to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Consultations::Table)
                    .add_column(ColumnDef::new(Consultations::ApproveLateCodes).boolean().not_null().default(false))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_index(Index::drop().name("idx_voter_codes_batch").table(VoterCodes::Table).to_owned()).await?;
        manager.alter_table(Table::alter().table(VoterCodes::Table).drop_column(VoterCodes::BatchId).to_owned()).await?;
        manager.alter_table(Table::alter().table(Consultations::Table).drop_column(Consultations::ApproveLateCodes).to_owned()).await?;
        manager.drop_table(Table::drop().table(CodeBatches::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum CodeBatches {
    Table,
    Id,
    ConsultationId,
    Kind,
    MeetingId,
    Count,
    MadeBy,
    MadeAt,
    AfterOpening,
    NeedsApproval,
    ApprovedBy,
    ApprovedAt,
}

#[derive(DeriveIden)]
enum VoterCodes {
    Table,
    BatchId,
}

#[derive(DeriveIden)]
enum Consultations {
    Table,
    Id,
    ApproveLateCodes,
}
