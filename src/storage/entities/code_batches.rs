use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "code_batches")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub consultation_id: Uuid,
    /// letter | roll | slip | exchange | service-user | e-mail
    pub kind: String,
    pub meeting_id: Option<Uuid>,
    pub count: i32,
    /// The account that made it; `None` for the `pbvote` command (the demo).
    pub made_by: Option<Uuid>,
    pub made_at: DateTimeUtc,
    pub after_opening: bool,
    pub needs_approval: bool,
    pub approved_by: Option<Uuid>,
    pub approved_at: Option<DateTimeUtc>,
    /// A batch of service-user codes: the service they verify.
    pub service: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
