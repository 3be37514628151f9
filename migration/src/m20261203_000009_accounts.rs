//! Staff accounts managed from the console.
//!
//! - `users.disabled_at`: a disabled account cannot sign in, and its sessions stop at once.
//! - `users.totp_secret`, `users.totp_pending`: two-step sign-in (RFC 6238). The secret is
//!   kept sealed under the server key (see `security::keys`), never in the clear; `pending`
//!   is one being set up, until its first code is confirmed.
//! - `invitations`: one-time links (an invitation to a new account, or a password reset
//!   an admin issued), kept only as keyed hashes, valid 72 hours.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for def in [
            ColumnDef::new(Users::DisabledAt).timestamp_with_time_zone().null().to_owned(),
            ColumnDef::new(Users::TotpSecret).string_len(200).null().to_owned(),
            ColumnDef::new(Users::TotpPending).string_len(200).null().to_owned(),
        ] {
            manager.alter_table(Table::alter().table(Users::Table).add_column(def).to_owned()).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(Invitations::Table)
                    .if_not_exists()
                    .col(string_len(Invitations::TokenHash, 64).primary_key())
                    .col(uuid(Invitations::UserId))
                    // invite | reset
                    .col(string_len(Invitations::Purpose, 8))
                    .col(uuid_null(Invitations::CreatedBy))
                    .col(timestamp_with_time_zone(Invitations::CreatedAt))
                    .col(timestamp_with_time_zone(Invitations::ExpiresAt))
                    .col(timestamp_with_time_zone_null(Invitations::UsedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Invitations::Table, Invitations::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create().if_not_exists().name("idx_invitations_user").table(Invitations::Table).col(Invitations::UserId).to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Invitations::Table).to_owned()).await?;
        for column in [Users::DisabledAt, Users::TotpSecret, Users::TotpPending] {
            manager.alter_table(Table::alter().table(Users::Table).drop_column(column).to_owned()).await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    DisabledAt,
    TotpSecret,
    TotpPending,
}

#[derive(DeriveIden)]
enum Invitations {
    Table,
    TokenHash,
    UserId,
    Purpose,
    CreatedBy,
    CreatedAt,
    ExpiresAt,
    UsedAt,
}
