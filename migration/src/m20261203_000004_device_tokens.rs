//! Known devices for sign-in. A browser that signs in to an account is given a random device
//! token; sent with a later sign-in to that account, it lifts the per-account cap on wrong
//! passwords, so that strangers' failures cannot lock the owner out. The token is kept only
//! as a keyed hash (HMAC under the server key), with the account and an expiry.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(DeviceTokens::Table)
                    .if_not_exists()
                    .col(string_len(DeviceTokens::TokenHash, 64).primary_key())
                    .col(uuid(DeviceTokens::UserId))
                    .col(timestamp_with_time_zone(DeviceTokens::CreatedAt))
                    .col(timestamp_with_time_zone(DeviceTokens::ExpiresAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(DeviceTokens::Table, DeviceTokens::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // An account's devices, newest first, are looked up to forget the oldest.
        manager
            .create_index(
                Index::create()
                    .if_not_exists()
                    .name("idx_device_tokens_user")
                    .table(DeviceTokens::Table)
                    .col(DeviceTokens::UserId)
                    .col(DeviceTokens::CreatedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(DeviceTokens::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum DeviceTokens {
    Table,
    TokenHash,
    UserId,
    CreatedAt,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}
