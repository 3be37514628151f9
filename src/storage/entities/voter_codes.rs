use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "voter_codes")]
pub struct Model {
    /// Keyed hash of the code (never the code itself).
    #[sea_orm(primary_key, auto_increment = false)]
    pub code_hash: String,
    pub consultation_id: Uuid,
    pub used: bool,
    pub issued_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
