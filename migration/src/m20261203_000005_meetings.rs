//! Live meetings: a hall votes on phones (with admission slips or their own letters) and on
//! paper (entered by officers), and a projector follows it.
//!
//! - `meetings`: one per hall meeting of a consultation, with its own phases
//!   (`planned → voting → closed`; a reset goes back to `planned`), its short `join_code`
//!   (for the join link on the projector, which alone gives no vote), the proposal in focus,
//!   whether paper ballots are entered twice, and whether its result has been revealed.
//! - `voter_codes` gain `kind` (`letter` or `slip`), the slip's `meeting_id`, for a slip a
//!   letter was exchanged for at the door its `ballot_key` (the letter's ballot key, so the
//!   two are one ballot), for such a letter `exchanged_at` (the meeting; it votes no more
//!   online), and `link_hash` (a keyed hash of the code alone, for short links).
//! - `ballots` gain `meeting_id` (meeting and paper ballots).
//! - `meeting_officers`: which officers enter paper ballots at which meeting.
//! - `paper_entries`: every paper ballot an officer typed, corrections and double entries
//!   included (the meeting's record); none is ever deleted but by a reset.
//! - `meeting_events`: the meeting's record of staff actions (opened, closed, reset with
//!   who and why, overrides, reveals).
//! - `meeting_joins`: keyed hashes of the codes that joined the meeting on a phone (the
//!   "admitted" count), under their own label so they join no other table.
//! - `meeting_results`: the meeting's result counted once, at close (never recounted, so no
//!   later reading can be subtracted from it).
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Meetings::Table)
                    .if_not_exists()
                    .col(uuid(Meetings::Id).primary_key())
                    .col(uuid(Meetings::ConsultationId))
                    .col(string_len(Meetings::Title, 200))
                    .col(string_len(Meetings::Place, 200))
                    .col(timestamp_with_time_zone_null(Meetings::StartsAt))
                    .col(string_len(Meetings::Phase, 16))
                    .col(string_len_uniq(Meetings::JoinCode, 16))
                    .col(string_len_null(Meetings::Focus, 40))
                    .col(boolean(Meetings::DoubleEntry))
                    .col(boolean(Meetings::Revealed))
                    .col(integer(Meetings::Generation))
                    .col(timestamp_with_time_zone(Meetings::CreatedAt))
                    .col(timestamp_with_time_zone(Meetings::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Meetings::Table, Meetings::ConsultationId)
                            .to(Consultations::Table, Consultations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(Index::create().name("idx_meetings_consultation").table(Meetings::Table).col(Meetings::ConsultationId).to_owned())
            .await?;

        // SQLite adds one column per statement.
        for def in [
            ColumnDef::new(VoterCodes::Kind).string_len(8).not_null().default("letter").to_owned(),
            ColumnDef::new(VoterCodes::MeetingId).uuid().null().to_owned(),
            ColumnDef::new(VoterCodes::BallotKey).string_len(64).null().to_owned(),
            ColumnDef::new(VoterCodes::ExchangedAt).uuid().null().to_owned(),
            ColumnDef::new(VoterCodes::LinkHash).string_len(64).null().to_owned(),
        ] {
            manager.alter_table(Table::alter().table(VoterCodes::Table).add_column(def).to_owned()).await?;
        }
        manager
            .create_index(
                Index::create().name("uq_voter_codes_link_hash").table(VoterCodes::Table).col(VoterCodes::LinkHash).unique().to_owned(),
            )
            .await?;
        manager
            .create_index(Index::create().name("idx_voter_codes_meeting").table(VoterCodes::Table).col(VoterCodes::MeetingId).to_owned())
            .await?;

        manager
            .alter_table(
                Table::alter().table(Ballots::Table).add_column(ColumnDef::new(Ballots::MeetingId).uuid().null().to_owned()).to_owned(),
            )
            .await?;
        manager.create_index(Index::create().name("idx_ballots_meeting").table(Ballots::Table).col(Ballots::MeetingId).to_owned()).await?;

        manager
            .create_table(
                Table::create()
                    .table(MeetingOfficers::Table)
                    .if_not_exists()
                    .col(uuid(MeetingOfficers::MeetingId))
                    .col(uuid(MeetingOfficers::UserId))
                    .primary_key(Index::create().col(MeetingOfficers::MeetingId).col(MeetingOfficers::UserId))
                    .foreign_key(
                        ForeignKey::create()
                            .from(MeetingOfficers::Table, MeetingOfficers::MeetingId)
                            .to(Meetings::Table, Meetings::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(MeetingOfficers::Table, MeetingOfficers::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(PaperEntries::Table)
                    .if_not_exists()
                    .col(uuid(PaperEntries::Id).primary_key())
                    .col(uuid(PaperEntries::MeetingId))
                    .col(string_len(PaperEntries::Serial, 40))
                    .col(uuid(PaperEntries::OfficerId))
                    .col(text(PaperEntries::Want))
                    .col(text(PaperEntries::DontWant))
                    .col(text(PaperEntries::Uses))
                    .col(string_len_null(PaperEntries::Area, 100))
                    // entered | replaced | matched | mismatched | settled
                    .col(string_len(PaperEntries::Status, 16))
                    .col(timestamp_with_time_zone(PaperEntries::EnteredAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(PaperEntries::Table, PaperEntries::MeetingId)
                            .to(Meetings::Table, Meetings::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_paper_entries_serial")
                    .table(PaperEntries::Table)
                    .col(PaperEntries::MeetingId)
                    .col(PaperEntries::Serial)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(MeetingEvents::Table)
                    .if_not_exists()
                    .col(uuid(MeetingEvents::Id).primary_key())
                    .col(uuid(MeetingEvents::MeetingId))
                    .col(timestamp_with_time_zone(MeetingEvents::At))
                    .col(uuid_null(MeetingEvents::UserId))
                    .col(string_len(MeetingEvents::Kind, 32))
                    .col(text(MeetingEvents::Detail))
                    .foreign_key(
                        ForeignKey::create()
                            .from(MeetingEvents::Table, MeetingEvents::MeetingId)
                            .to(Meetings::Table, Meetings::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create().name("idx_meeting_events_meeting").table(MeetingEvents::Table).col(MeetingEvents::MeetingId).to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(MeetingJoins::Table)
                    .if_not_exists()
                    .col(uuid(MeetingJoins::MeetingId))
                    .col(string_len(MeetingJoins::JoinHash, 64))
                    // slip | letter
                    .col(string_len(MeetingJoins::Kind, 8))
                    .primary_key(Index::create().col(MeetingJoins::MeetingId).col(MeetingJoins::JoinHash))
                    .foreign_key(
                        ForeignKey::create()
                            .from(MeetingJoins::Table, MeetingJoins::MeetingId)
                            .to(Meetings::Table, Meetings::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(MeetingResults::Table)
                    .if_not_exists()
                    .col(uuid(MeetingResults::MeetingId).primary_key())
                    .col(text(MeetingResults::Result))
                    .col(timestamp_with_time_zone(MeetingResults::CountedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(MeetingResults::Table, MeetingResults::MeetingId)
                            .to(Meetings::Table, Meetings::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            MeetingResults::Table.into_iden(),
            MeetingJoins::Table.into_iden(),
            MeetingEvents::Table.into_iden(),
            PaperEntries::Table.into_iden(),
            MeetingOfficers::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Err(DbErr::Migration("the meeting columns of voter_codes and ballots are not removed".into()))
    }
}

#[derive(DeriveIden)]
enum Meetings {
    Table,
    Id,
    ConsultationId,
    Title,
    Place,
    StartsAt,
    Phase,
    JoinCode,
    Focus,
    DoubleEntry,
    Revealed,
    /// Goes up by one at each reset, so a stream client can tell a reset from a count
    /// that went backwards.
    Generation,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Consultations {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum VoterCodes {
    Table,
    Kind,
    MeetingId,
    BallotKey,
    ExchangedAt,
    LinkHash,
}

#[derive(DeriveIden)]
enum Ballots {
    Table,
    MeetingId,
}

#[derive(DeriveIden)]
enum MeetingOfficers {
    Table,
    MeetingId,
    UserId,
}

#[derive(DeriveIden)]
enum PaperEntries {
    Table,
    Id,
    MeetingId,
    Serial,
    OfficerId,
    Want,
    DontWant,
    Uses,
    Area,
    Status,
    EnteredAt,
}

#[derive(DeriveIden)]
enum MeetingEvents {
    Table,
    Id,
    MeetingId,
    At,
    UserId,
    Kind,
    Detail,
}

#[derive(DeriveIden)]
enum MeetingJoins {
    Table,
    MeetingId,
    JoinHash,
    Kind,
}

#[derive(DeriveIden)]
enum MeetingResults {
    Table,
    MeetingId,
    Result,
    CountedAt,
}
