use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "consultations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub title: String,
    pub description: String,
    pub phase: String,
    pub currency: String,
    pub overall_budget: Option<i64>,
    pub savings_target: Option<i64>,
    pub development_budget: Option<i64>,
    pub rank_depth: i32,
    pub minority_share_percent: i32,
    pub max_weight: i32,
    pub min_group: i32,
    pub protect_threshold_percent: i32,
    /// JSON array of area names.
    pub areas: String,
    pub opens_at: Option<DateTimeUtc>,
    pub closes_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// JSON objects, name → number: who lives where and uses what (for turnout against
    /// population; never part of the count).
    pub area_population: String,
    pub service_population: String,
    /// Letters made after voting opened work only once a commissioner approves their batch.
    pub approve_late_codes: bool,
    /// Whose "I use this" counts: declared | declared_or_verified | verified.
    pub service_users: String,
    /// When the result was published (retention counts from it).
    pub published_at: Option<DateTimeUtc>,
    /// Residents may ask for a code by e-mail (`registrations`).
    pub self_registration: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
