use sea_orm::entity::prelude::*;

/// What was counted from a closed consultation's ballots, kept to be served as it is.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "stored_results")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub consultation_id: Uuid,
    pub marker_ballots: i64,
    pub marker_versions: i64,
    /// JSON texts, as served.
    pub result: String,
    pub breakdowns: String,
    pub satisfaction: String,
    /// The published exchange file and the pabulib file.
    pub election: String,
    pub pabulib: String,
    pub counted_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
