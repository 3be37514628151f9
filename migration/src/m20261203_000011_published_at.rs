//! `consultations.published_at`: when the result was published, from which the retention
//! period (`PBVOTE_RETENTION_DAYS`) is counted. Consultations published before this release
//! count from their last change (`updated_at`).
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
                    .add_column(ColumnDef::new(Consultations::PublishedAt).timestamp_with_time_zone().null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.alter_table(Table::alter().table(Consultations::Table).drop_column(Consultations::PublishedAt).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum Consultations {
    Table,
    PublishedAt,
}
