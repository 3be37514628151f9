use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "paper_entries")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub meeting_id: Uuid,
    pub serial: String,
    pub officer_id: Uuid,
    /// JSON arrays of proposal / service ids.
    pub want: String,
    pub dont_want: String,
    pub uses: String,
    pub area: Option<String>,
    /// entered | replaced | matched | mismatched | settled
    pub status: String,
    pub entered_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
