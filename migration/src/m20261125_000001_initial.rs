//! The core schema: accounts, consultations with their services and proposals, voter codes
//! and ballots.
//!
//! Privacy is designed into the tables: a voter code is stored only as a keyed hash, and a
//! ballot carries a *different* keyed hash of the same code (`voter_key`), so the rows of
//! `voter_codes` (which may one day be tied to a voter roll) cannot be joined to the rows
//! of `ballots` without the code itself. `voter_codes.used` is a flag, not a timestamp,
//! so timing cannot join them either.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .if_not_exists()
                    .col(uuid(Users::Id).primary_key())
                    .col(string_len_uniq(Users::Email, 254))
                    .col(string(Users::PasswordHash))
                    .col(string_len(Users::Role, 20))
                    .col(timestamp_with_time_zone(Users::CreatedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Sessions::Table)
                    .if_not_exists()
                    .col(string_len(Sessions::TokenHash, 64).primary_key())
                    .col(uuid(Sessions::UserId))
                    .col(timestamp_with_time_zone(Sessions::CreatedAt))
                    .col(timestamp_with_time_zone(Sessions::ExpiresAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Sessions::Table, Sessions::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Consultations::Table)
                    .if_not_exists()
                    .col(uuid(Consultations::Id).primary_key())
                    .col(string_len(Consultations::Title, 200))
                    .col(text(Consultations::Description))
                    .col(string_len(Consultations::Phase, 16))
                    .col(string_len(Consultations::Currency, 3))
                    .col(big_integer_null(Consultations::OverallBudget))
                    .col(big_integer_null(Consultations::SavingsTarget))
                    .col(big_integer_null(Consultations::DevelopmentBudget))
                    .col(integer(Consultations::RankDepth))
                    .col(integer(Consultations::MinoritySharePercent))
                    .col(integer(Consultations::MaxWeight))
                    .col(integer(Consultations::MinGroup))
                    .col(integer(Consultations::ProtectThresholdPercent))
                    .col(text(Consultations::Areas))
                    .col(timestamp_with_time_zone_null(Consultations::OpensAt))
                    .col(timestamp_with_time_zone_null(Consultations::ClosesAt))
                    .col(timestamp_with_time_zone(Consultations::CreatedAt))
                    .col(timestamp_with_time_zone(Consultations::UpdatedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Services::Table)
                    .if_not_exists()
                    .col(uuid(Services::ConsultationId))
                    .col(string_len(Services::Code, 40))
                    .col(string_len(Services::Name, 200))
                    .col(text(Services::Description))
                    .col(integer(Services::Position))
                    .primary_key(Index::create().col(Services::ConsultationId).col(Services::Code))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Services::Table, Services::ConsultationId)
                            .to(Consultations::Table, Consultations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Proposals::Table)
                    .if_not_exists()
                    .col(uuid(Proposals::ConsultationId))
                    .col(string_len(Proposals::Code, 40))
                    .col(string_len(Proposals::Kind, 16))
                    .col(string_len(Proposals::Title, 200))
                    .col(text(Proposals::Summary))
                    .col(text(Proposals::Details))
                    .col(big_integer(Proposals::Amount))
                    .col(string_len_null(Proposals::ServiceCode, 40))
                    .col(integer(Proposals::Position))
                    .primary_key(Index::create().col(Proposals::ConsultationId).col(Proposals::Code))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Proposals::Table, Proposals::ConsultationId)
                            .to(Consultations::Table, Consultations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        // A proposal may only name a service of its own consultation, and a
                        // service cannot be deleted while a proposal still touches it.
                        ForeignKey::create()
                            .from_tbl(Proposals::Table)
                            .from_col(Proposals::ConsultationId)
                            .from_col(Proposals::ServiceCode)
                            .to_tbl(Services::Table)
                            .to_col(Services::ConsultationId)
                            .to_col(Services::Code)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(VoterCodes::Table)
                    .if_not_exists()
                    .col(string_len(VoterCodes::CodeHash, 64).primary_key())
                    .col(uuid(VoterCodes::ConsultationId))
                    .col(boolean(VoterCodes::Used))
                    .col(timestamp_with_time_zone(VoterCodes::IssuedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(VoterCodes::Table, VoterCodes::ConsultationId)
                            .to(Consultations::Table, Consultations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create().name("idx_voter_codes_consultation").table(VoterCodes::Table).col(VoterCodes::ConsultationId).to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Ballots::Table)
                    .if_not_exists()
                    .col(uuid(Ballots::Id).primary_key())
                    .col(uuid(Ballots::ConsultationId))
                    .col(string_len(Ballots::VoterKey, 64))
                    .col(text(Ballots::Want))
                    .col(text(Ballots::DontWant))
                    .col(text(Ballots::Uses))
                    .col(string_len(Ballots::Channel, 16))
                    .col(string_len_null(Ballots::Area, 100))
                    .col(string_len_uniq(Ballots::Receipt, 40))
                    .col(integer(Ballots::Version))
                    .col(timestamp_with_time_zone(Ballots::CreatedAt))
                    .col(timestamp_with_time_zone(Ballots::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Ballots::Table, Ballots::ConsultationId)
                            .to(Consultations::Table, Consultations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // One person, one ballot: the database itself refuses a second row for a code.
        manager
            .create_index(
                Index::create()
                    .name("uq_ballots_one_per_voter")
                    .table(Ballots::Table)
                    .col(Ballots::ConsultationId)
                    .col(Ballots::VoterKey)
                    .unique()
                    .to_owned(),
            )
            .await?;
        // Lets the results cache tell cheaply whether anything changed: COUNT and SUM(version)
        // both only ever grow, whatever order transactions commit in.
        manager
            .create_index(
                Index::create()
                    .name("idx_ballots_consultation_version")
                    .table(Ballots::Table)
                    .col(Ballots::ConsultationId)
                    .col(Ballots::Version)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Ballots::Table.into_iden(),
            VoterCodes::Table.into_iden(),
            Proposals::Table.into_iden(),
            Services::Table.into_iden(),
            Consultations::Table.into_iden(),
            Sessions::Table.into_iden(),
            Users::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Email,
    PasswordHash,
    Role,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    TokenHash,
    UserId,
    CreatedAt,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum Consultations {
    Table,
    Id,
    Title,
    Description,
    Phase,
    Currency,
    OverallBudget,
    SavingsTarget,
    DevelopmentBudget,
    RankDepth,
    MinoritySharePercent,
    MaxWeight,
    MinGroup,
    ProtectThresholdPercent,
    Areas,
    OpensAt,
    ClosesAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Services {
    Table,
    ConsultationId,
    Code,
    Name,
    Description,
    Position,
}

#[derive(DeriveIden)]
enum Proposals {
    Table,
    ConsultationId,
    Code,
    Kind,
    Title,
    Summary,
    Details,
    Amount,
    ServiceCode,
    Position,
}

#[derive(DeriveIden)]
enum VoterCodes {
    Table,
    CodeHash,
    ConsultationId,
    Used,
    IssuedAt,
}

#[derive(DeriveIden)]
enum Ballots {
    Table,
    Id,
    ConsultationId,
    VoterKey,
    Want,
    DontWant,
    Uses,
    Channel,
    Area,
    Receipt,
    Version,
    CreatedAt,
    UpdatedAt,
}
