//! Verified service users (issue 16): a consultation says whose "I use this" counts towards
//! a service's protected say (`consultations.service_users`); a batch of service-user codes
//! is made for one service (`code_batches.service`, `voter_codes.service`), handed to its
//! provider, and a ballot cast together with such a code records that service as verified
//! (`ballots.verified`, a JSON array of service ids, beside the declared `uses`).
//!
//! One column per statement: SQLite's ALTER TABLE adds one at a time.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Consultations::Table)
                    .add_column(ColumnDef::new(Consultations::ServiceUsers).string_len(32).not_null().default("declared"))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(Table::alter().table(CodeBatches::Table).add_column(ColumnDef::new(CodeBatches::Service).text().null()).to_owned())
            .await?;
        manager
            .alter_table(Table::alter().table(VoterCodes::Table).add_column(ColumnDef::new(VoterCodes::Service).text().null()).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Ballots::Table)
                    .add_column(ColumnDef::new(Ballots::Verified).text().not_null().default("[]"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.alter_table(Table::alter().table(Ballots::Table).drop_column(Ballots::Verified).to_owned()).await?;
        manager.alter_table(Table::alter().table(VoterCodes::Table).drop_column(VoterCodes::Service).to_owned()).await?;
        manager.alter_table(Table::alter().table(CodeBatches::Table).drop_column(CodeBatches::Service).to_owned()).await?;
        manager.alter_table(Table::alter().table(Consultations::Table).drop_column(Consultations::ServiceUsers).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum Consultations {
    Table,
    ServiceUsers,
}

#[derive(DeriveIden)]
enum CodeBatches {
    Table,
    Service,
}

#[derive(DeriveIden)]
enum VoterCodes {
    Table,
    Service,
}

#[derive(DeriveIden)]
enum Ballots {
    Table,
    Verified,
}
