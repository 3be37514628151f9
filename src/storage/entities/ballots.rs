use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "ballots")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub consultation_id: Uuid,
    /// Keyed hash of the voter code, under a different label from `voter_codes.code_hash`.
    pub voter_key: String,
    /// JSON arrays of proposal / service ids.
    pub want: String,
    pub dont_want: String,
    pub uses: String,
    /// JSON array of the services verified by service-user codes given with this ballot.
    pub verified: String,
    pub channel: String,
    pub area: Option<String>,
    /// The meeting a meeting or paper ballot was cast at.
    pub meeting_id: Option<Uuid>,
    /// 1 for a first ballot, +1 each time the same code votes again.
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
