//! `users.totp_last_step`: the 30-second step of the last authenticator code that signed the
//! account in. A code is accepted only for a later step, so a code seen over someone's
//! shoulder (or in a proxy's log) cannot sign in again within its 90-second window.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(Table::alter().table(Users::Table).add_column(ColumnDef::new(Users::TotpLastStep).big_integer().null()).to_owned())
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.alter_table(Table::alter().table(Users::Table).drop_column(Users::TotpLastStep).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum Users {
    Table,
    TotpLastStep,
}
