use sea_orm::entity::prelude::*;

/// A commissioner's decision on a proposal. Rows are never changed: the latest per proposal
/// is the decision.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "decisions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub consultation_id: Uuid,
    pub proposal_code: String,
    /// adopt | reject | defer | amend
    pub decision: String,
    pub amount: Option<i64>,
    pub reason: String,
    pub departs: bool,
    pub decided_by: Uuid,
    pub decided_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
