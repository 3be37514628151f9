use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "meetings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub consultation_id: Uuid,
    pub title: String,
    pub place: String,
    pub starts_at: Option<DateTimeUtc>,
    /// planned | voting | closed
    pub phase: String,
    #[sea_orm(unique)]
    pub join_code: String,
    pub focus: Option<String>,
    pub double_entry: bool,
    pub revealed: bool,
    /// +1 at each reset.
    pub generation: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
