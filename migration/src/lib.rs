//! Database schema migrations for pbvote.
//!
//! They run at start-up (`pbvote serve`) and on demand (`pbvote migrate`). Each migration
//! uses sea-orm-migration's portable schema helpers so the same code creates the same
//! tables on SQLite and PostgreSQL. Never edit a migration that has shipped: add a new one.
pub use sea_orm_migration::prelude::*;

mod m20261125_000001_initial;
mod m20261125_000002_rate_limits;
mod m20261203_000003_receipts;
mod m20261203_000004_device_tokens;
mod m20261203_000005_meetings;
mod m20261203_000006_review;
mod m20261203_000007_audit;
mod m20261203_000008_code_batches;
mod m20261203_000009_accounts;
mod m20261203_000010_rolls;
mod m20261203_000011_published_at;
mod m20261203_000012_service_users;
mod m20261203_000013_self_registration;
mod m20261203_000014_totp_last_step;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261125_000001_initial::Migration),
            Box::new(m20261125_000002_rate_limits::Migration),
            Box::new(m20261203_000003_receipts::Migration),
            Box::new(m20261203_000004_device_tokens::Migration),
            Box::new(m20261203_000005_meetings::Migration),
            Box::new(m20261203_000006_review::Migration),
            Box::new(m20261203_000007_audit::Migration),
            Box::new(m20261203_000008_code_batches::Migration),
            Box::new(m20261203_000009_accounts::Migration),
            Box::new(m20261203_000010_rolls::Migration),
            Box::new(m20261203_000011_published_at::Migration),
            Box::new(m20261203_000012_service_users::Migration),
            Box::new(m20261203_000013_self_registration::Migration),
            Box::new(m20261203_000014_totp_last_step::Migration),
        ]
    }
}
