use sea_orm::entity::prelude::*;

/// A dated milestone of a decided proposal.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "updates")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub consultation_id: Uuid,
    pub proposal_code: String,
    /// planned | started | done | stopped
    pub status: String,
    pub progress: Option<i32>,
    pub note: String,
    pub saved_year: Option<i32>,
    pub saved_amount: Option<i64>,
    pub posted_by: Uuid,
    pub posted_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
