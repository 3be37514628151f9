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
    /// letter | slip | service (a service-user code: given with a ballot, not a ballot of its
    /// own) | held (a letter or service-user code whose batch waits for a commissioner's approval) | revoked
    pub kind: String,
    /// A slip's meeting.
    pub meeting_id: Option<Uuid>,
    /// A slip a letter was exchanged for: the letter's ballot key (one ballot for both).
    pub ballot_key: Option<String>,
    /// A letter exchanged for a slip: the meeting (it votes no more online).
    pub exchanged_at: Option<Uuid>,
    /// Keyed hash of the code alone (short links).
    #[sea_orm(unique)]
    pub link_hash: Option<String>,
    /// The batch it was made in (none for codes made before batches were recorded).
    pub batch_id: Option<Uuid>,
    /// A service-user code (or one held for approval): the service it verifies.
    pub service: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
