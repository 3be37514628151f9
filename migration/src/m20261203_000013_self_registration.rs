//! Residents who register themselves by e-mail (issue 16).
//!
//! - `consultations.self_registration`: whether residents may ask for a code by e-mail
//!   (off unless an organiser turns it on).
//! - `registrations`: one row per e-mail address that was sent a code, holding only a keyed
//!   hash of the normalised address (`email_hash`, never the address) and the day. The
//!   unique index on `(consultation_id, email_hash)` is what enforces one code per address.
//!   The row names no code: it cannot be joined to `voter_codes`, let alone to a ballot.
//!   Deleted by retention with the voter roll (docs/privacy.md).
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Consultations::Table)
                    .add_column(ColumnDef::new(Consultations::SelfRegistration).boolean().not_null().default(false))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Registrations::Table)
                    .if_not_exists()
                    .col(uuid(Registrations::Id).primary_key())
                    .col(uuid(Registrations::ConsultationId))
                    .col(string_len(Registrations::EmailHash, 64))
                    .col(date(Registrations::RegisteredOn))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Registrations::Table, Registrations::ConsultationId)
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
                    .name("idx_registrations_email")
                    .table(Registrations::Table)
                    .col(Registrations::ConsultationId)
                    .col(Registrations::EmailHash)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Registrations::Table).to_owned()).await?;
        manager.alter_table(Table::alter().table(Consultations::Table).drop_column(Consultations::SelfRegistration).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum Registrations {
    Table,
    Id,
    ConsultationId,
    EmailHash,
    RegisteredOn,
}

#[derive(DeriveIden)]
enum Consultations {
    Table,
    Id,
    SelfRegistration,
}
