use sea_orm::entity::prelude::*;

/// Every receipt ever given, as a keyed hash, with the day its ballot arrived. Nothing links
/// a receipt to a ballot.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "receipts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub receipt_hash: String,
    pub consultation_id: Uuid,
    pub received_on: Date,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
