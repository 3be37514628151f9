//! Commissioners' review and publishing.
//!
//! - `consultations` gain `area_population` and `service_population` (JSON objects, name →
//!   number): what the organiser knows of who lives where and uses what, to show turnout
//!   against population. pbvote shows; it does not weight.
//! - `decisions`: the commissioners' decision on each proposal, with the reason. Append
//!   only: a change is a new row; the latest per proposal is the decision, the rest its
//!   history.
//! - `updates`: later milestones per adopted proposal (status, progress, a note) and, for
//!   savings, the money actually saved in a year.
//! - `stored_results`: everything counted from a closed consultation's ballots, kept so
//!   that results, breakdowns, the public page and the downloads are served without
//!   counting again (also after a restart), with the change marker they were counted at.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for def in [
            ColumnDef::new(Consultations::AreaPopulation).text().not_null().default("{}").to_owned(),
            ColumnDef::new(Consultations::ServicePopulation).text().not_null().default("{}").to_owned(),
        ] {
            manager.alter_table(Table::alter().table(Consultations::Table).add_column(def).to_owned()).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(Decisions::Table)
                    .if_not_exists()
                    .col(uuid(Decisions::Id).primary_key())
                    .col(uuid(Decisions::ConsultationId))
                    .col(string_len(Decisions::ProposalCode, 40))
                    // adopt | reject | defer | amend
                    .col(string_len(Decisions::Decision, 8))
                    .col(big_integer_null(Decisions::Amount))
                    .col(text(Decisions::Reason))
                    .col(boolean(Decisions::Departs))
                    .col(uuid(Decisions::DecidedBy))
                    .col(timestamp_with_time_zone(Decisions::DecidedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Decisions::Table, Decisions::ConsultationId)
                            .to(Consultations::Table, Consultations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create().name("idx_decisions_consultation").table(Decisions::Table).col(Decisions::ConsultationId).to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Updates::Table)
                    .if_not_exists()
                    .col(uuid(Updates::Id).primary_key())
                    .col(uuid(Updates::ConsultationId))
                    .col(string_len(Updates::ProposalCode, 40))
                    // planned | started | done | stopped
                    .col(string_len(Updates::Status, 16))
                    .col(integer_null(Updates::Progress))
                    .col(text(Updates::Note))
                    .col(integer_null(Updates::SavedYear))
                    .col(big_integer_null(Updates::SavedAmount))
                    .col(uuid(Updates::PostedBy))
                    .col(timestamp_with_time_zone(Updates::PostedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Updates::Table, Updates::ConsultationId)
                            .to(Consultations::Table, Consultations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(Index::create().name("idx_updates_consultation").table(Updates::Table).col(Updates::ConsultationId).to_owned())
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(StoredResults::Table)
                    .if_not_exists()
                    .col(uuid(StoredResults::ConsultationId).primary_key())
                    .col(big_integer(StoredResults::MarkerBallots))
                    .col(big_integer(StoredResults::MarkerVersions))
                    .col(text(StoredResults::Result))
                    .col(text(StoredResults::Breakdowns))
                    .col(text(StoredResults::Satisfaction))
                    .col(text(StoredResults::Election))
                    .col(text(StoredResults::Pabulib))
                    .col(timestamp_with_time_zone(StoredResults::CountedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(StoredResults::Table, StoredResults::ConsultationId)
                            .to(Consultations::Table, Consultations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [StoredResults::Table.into_iden(), Updates::Table.into_iden(), Decisions::Table.into_iden()] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Consultations {
    Table,
    Id,
    AreaPopulation,
    ServicePopulation,
}

#[derive(DeriveIden)]
enum Decisions {
    Table,
    Id,
    ConsultationId,
    ProposalCode,
    Decision,
    Amount,
    Reason,
    /// Whether it departs from the computed result (it then needed a reason).
    Departs,
    DecidedBy,
    DecidedAt,
}

#[derive(DeriveIden)]
enum Updates {
    Table,
    Id,
    ConsultationId,
    ProposalCode,
    Status,
    Progress,
    Note,
    SavedYear,
    SavedAmount,
    PostedBy,
    PostedAt,
}

#[derive(DeriveIden)]
enum StoredResults {
    Table,
    ConsultationId,
    MarkerBallots,
    MarkerVersions,
    Result,
    Breakdowns,
    Satisfaction,
    Election,
    Pabulib,
    CountedAt,
}
