//! Consultations with their services and proposals: the organiser's side.
//!
//! Edits are allowed only while a consultation is a draft. Each edit first "touches" the
//! consultation row with `UPDATE … WHERE phase = 'draft'` inside its transaction: that
//! both checks the phase and, on PostgreSQL, locks the row, so an edit and a concurrent
//! "open" cannot interleave.
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    Set, sea_query::Expr,
};
use uuid::Uuid;

use super::{
    Db,
    audit::{self, Change},
    entities::{consultations, proposals, services},
    from_json_list, money_from_db, money_to_db, to_json_list,
};
use crate::{
    audit::Actor,
    domain::{Amount, BoundedText, Currency, Phase, ProposalKind, ServiceUsers, ShortId, Title},
    errors::AppError,
    model::{Budget, Consultation, ConsultationListItem, Population, Proposal, Service, TallySettings},
};

/// A service as an organiser enters it (already parsed).
#[derive(Debug, Clone)]
pub struct ServiceInput {
    pub id: ShortId,
    pub name: Title,
    pub description: BoundedText,
}

/// A proposal as an organiser enters it (already parsed).
#[derive(Debug, Clone)]
pub struct ProposalInput {
    pub id: ShortId,
    pub kind: ProposalKind,
    pub title: Title,
    pub summary: BoundedText,
    pub details: BoundedText,
    pub amount: Amount,
    pub service: Option<ShortId>,
}

/// The consultation's own fields (already parsed and checked together).
#[derive(Debug, Clone)]
pub struct ConsultationFields {
    pub title: Title,
    pub description: BoundedText,
    pub currency: Currency,
    pub budget: Budget,
    pub settings: TallySettings,
    pub areas: Vec<String>,
    pub opens_at: Option<DateTime<Utc>>,
    pub closes_at: Option<DateTime<Utc>>,
}

fn kind_str(kind: ProposalKind) -> &'static str {
    match kind {
        ProposalKind::Saving => "saving",
        ProposalKind::Development => "development",
    }
}

fn parse_kind(s: &str) -> Result<ProposalKind, AppError> {
    match s {
        "saving" => Ok(ProposalKind::Saving),
        "development" => Ok(ProposalKind::Development),
        other => Err(AppError::internal(format!("stored proposal kind {other:?}"))),
    }
}

fn parse_phase(s: &str) -> Result<Phase, AppError> {
    Phase::parse(s).map_err(|e| AppError::internal(format!("stored phase: {e}")))
}

fn setting(v: i32) -> u32 {
    v.max(0) as u32
}

fn assemble(row: consultations::Model, services: Vec<services::Model>, proposals: Vec<proposals::Model>) -> Result<Consultation, AppError> {
    let mut consultation = assemble_fields(row, services, proposals)?;
    consultation.fingerprint = consultation.rules_fingerprint();
    Ok(consultation)
}

fn assemble_fields(
    row: consultations::Model,
    services: Vec<services::Model>,
    proposals: Vec<proposals::Model>,
) -> Result<Consultation, AppError> {
    Ok(Consultation {
        id: row.id,
        title: row.title,
        description: row.description,
        phase: parse_phase(&row.phase)?,
        currency: row.currency,
        budget: Budget {
            overall_budget: money_from_db(row.overall_budget),
            savings_target: money_from_db(row.savings_target),
            development_budget: money_from_db(row.development_budget),
        },
        settings: TallySettings {
            rank_depth: setting(row.rank_depth),
            minority_share_percent: setting(row.minority_share_percent),
            max_weight: setting(row.max_weight),
            min_group: setting(row.min_group),
            protect_threshold_percent: setting(row.protect_threshold_percent),
            service_users: ServiceUsers::parse(&row.service_users).map_err(|e| AppError::internal(format!("stored service_users: {e}")))?,
        },
        areas: from_json_list(&row.areas)?,
        opens_at: row.opens_at,
        closes_at: row.closes_at,
        services: services.into_iter().map(|s| Service { id: s.code, name: s.name, description: s.description }).collect(),
        proposals: proposals
            .into_iter()
            .map(|p| {
                Ok(Proposal {
                    id: p.code,
                    kind: parse_kind(&p.kind)?,
                    title: p.title,
                    summary: p.summary,
                    details: p.details,
                    amount: p.amount.max(0) as u64,
                    service: p.service_code,
                })
            })
            .collect::<Result<_, AppError>>()?,
        population: Population {
            areas: serde_json::from_str(&row.area_population).map_err(|e| AppError::internal(format!("stored area population: {e}")))?,
            services: serde_json::from_str(&row.service_population)
                .map_err(|e| AppError::internal(format!("stored service population: {e}")))?,
        },
        fingerprint: String::new(),
        self_registration: row.self_registration,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

async fn load<C: ConnectionTrait>(conn: &C, id: Uuid) -> Result<Consultation, AppError> {
    let row = consultations::Entity::find_by_id(id).one(conn).await?.ok_or_else(|| AppError::not_found("consultation"))?;
    let services = services::Entity::find()
        .filter(services::Column::ConsultationId.eq(id))
        .order_by_asc(services::Column::Position)
        .order_by_asc(services::Column::Code)
        .all(conn)
        .await?;
    let proposals = proposals::Entity::find()
        .filter(proposals::Column::ConsultationId.eq(id))
        .order_by_asc(proposals::Column::Position)
        .order_by_asc(proposals::Column::Code)
        .all(conn)
        .await?;
    assemble(row, services, proposals)
}

/// One consultation with its ballot paper, read inside a transaction.
pub(super) async fn get_in(txn: &DatabaseTransaction, id: Uuid) -> Result<Consultation, AppError> {
    load(txn, id).await
}

/// One consultation with its ballot paper.
pub async fn get(db: &Db, id: Uuid) -> Result<Consultation, AppError> {
    load(&db.read, id).await
}

fn fields_active_model(fields: &ConsultationFields, row: &mut consultations::ActiveModel) {
    row.title = Set(fields.title.as_str().to_owned());
    row.description = Set(fields.description.clone().into_string());
    row.currency = Set(fields.currency.as_str().to_owned());
    row.overall_budget = Set(money_to_db(fields.budget.overall_budget));
    row.savings_target = Set(money_to_db(fields.budget.savings_target));
    row.development_budget = Set(money_to_db(fields.budget.development_budget));
    row.rank_depth = Set(fields.settings.rank_depth as i32);
    row.minority_share_percent = Set(fields.settings.minority_share_percent as i32);
    row.max_weight = Set(fields.settings.max_weight.min(i32::MAX as u32) as i32);
    row.min_group = Set(fields.settings.min_group.min(i32::MAX as u32) as i32);
    row.protect_threshold_percent = Set(fields.settings.protect_threshold_percent as i32);
    row.service_users = Set(fields.settings.service_users.as_str().to_owned());
    row.areas = Set(to_json_list(&fields.areas));
    row.opens_at = Set(fields.opens_at);
    row.closes_at = Set(fields.closes_at);
}

async fn insert_service(txn: &DatabaseTransaction, consultation: Uuid, s: &ServiceInput, position: i32) -> Result<(), AppError> {
    services::ActiveModel {
        consultation_id: Set(consultation),
        code: Set(s.id.as_str().to_owned()),
        name: Set(s.name.as_str().to_owned()),
        description: Set(s.description.clone().into_string()),
        position: Set(position),
    }
    .insert(txn)
    .await?;
    Ok(())
}

async fn insert_proposal(txn: &DatabaseTransaction, consultation: Uuid, p: &ProposalInput, position: i32) -> Result<(), AppError> {
    proposal_active_model(consultation, p, position).insert(txn).await?;
    Ok(())
}

fn proposal_active_model(consultation: Uuid, p: &ProposalInput, position: i32) -> proposals::ActiveModel {
    proposals::ActiveModel {
        consultation_id: Set(consultation),
        code: Set(p.id.as_str().to_owned()),
        kind: Set(kind_str(p.kind).to_owned()),
        title: Set(p.title.as_str().to_owned()),
        summary: Set(p.summary.clone().into_string()),
        details: Set(p.details.clone().into_string()),
        amount: Set(p.amount.minor_units() as i64),
        service_code: Set(p.service.as_ref().map(|s| s.as_str().to_owned())),
        position: Set(position),
    }
}

/// Create a draft with its services and proposals, all or nothing.
pub async fn create(
    db: &Db,
    by: Actor,
    fields: &ConsultationFields,
    services: &[ServiceInput],
    proposals: &[ProposalInput],
) -> Result<Consultation, AppError> {
    let id = Uuid::new_v4();
    let now = Utc::now();
    let txn = db.begin_write().await?;
    let mut row = consultations::ActiveModel {
        id: Set(id),
        phase: Set(Phase::Draft.as_str().to_owned()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    fields_active_model(fields, &mut row);
    row.insert(&txn).await?;
    for (i, s) in services.iter().enumerate() {
        insert_service(&txn, id, s, i as i32).await.map_err(|e| e.within(&format!("services[{i}]")))?;
    }
    for (i, p) in proposals.iter().enumerate() {
        insert_proposal(&txn, id, p, i as i32).await.map_err(|e| e.within(&format!("proposals[{i}]")))?;
    }
    let created = load(&txn, id).await?;
    audit::append(&txn, Change::new(by, "consultation.create", format!("consultation:{id}")).consultation(id).after(&created)).await?;
    txn.commit().await?;
    Ok(created)
}

/// Lists for the home page (public phases) or for staff (all), newest first.
pub async fn list(db: &Db, include_drafts: bool) -> Result<Vec<ConsultationListItem>, AppError> {
    let mut query = consultations::Entity::find().order_by_desc(consultations::Column::UpdatedAt);
    if !include_drafts {
        query = query.filter(consultations::Column::Phase.ne(Phase::Draft.as_str()));
    }
    query
        .all(&db.read)
        .await?
        .into_iter()
        .map(|r| {
            Ok(ConsultationListItem {
                phase: parse_phase(&r.phase)?,
                id: r.id,
                title: r.title,
                description: r.description,
                opens_at: r.opens_at,
                closes_at: r.closes_at,
                updated_at: r.updated_at,
            })
        })
        .collect()
}

/// Inside a transaction: check the consultation is in `phase` and mark it updated.
/// On PostgreSQL the UPDATE also locks the row until the transaction ends.
async fn touch_in_phase(txn: &DatabaseTransaction, id: Uuid, phase: Phase, action: &str) -> Result<(), AppError> {
    let result = consultations::Entity::update_many()
        .col_expr(consultations::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(consultations::Column::Id.eq(id))
        .filter(consultations::Column::Phase.eq(phase.as_str()))
        .exec(txn)
        .await?;
    if result.rows_affected == 1 {
        return Ok(());
    }
    let current = consultations::Entity::find_by_id(id)
        .select_only()
        .column(consultations::Column::Phase)
        .into_tuple::<String>()
        .one(txn)
        .await?
        .ok_or_else(|| AppError::not_found("consultation"))?;
    Err(AppError::wrong_phase(format!("{action} is possible only while the consultation is {}; it is {}", phase.as_str(), current)))
}

/// Run `edit` on a draft in one transaction and return the consultation as it then is.
/// The audit record gets the draft before and after, in the same transaction.
async fn edit_draft<F>(db: &Db, id: Uuid, by: Actor, action: &str, edit: F) -> Result<Consultation, AppError>
where
    F: for<'t> FnOnce(&'t DatabaseTransaction) -> futures_util::future::BoxFuture<'t, Result<(), AppError>>,
{
    let txn = db.begin_write().await?;
    touch_in_phase(&txn, id, Phase::Draft, "editing").await?;
    let before = load(&txn, id).await?;
    edit(&txn).await?;
    let after = load(&txn, id).await?;
    audit::append(&txn, Change::new(by, action, format!("consultation:{id}")).consultation(id).before(&before).after(&after)).await?;
    txn.commit().await?;
    Ok(after)
}

/// Change a draft's own fields. `make` builds them from the draft as it is inside the
/// edit's transaction (after the "touch"), so two concurrent changes of different fields
/// both stick, instead of the later one writing back what it read before the other.
pub async fn update_fields<F>(db: &Db, id: Uuid, by: Actor, make: F) -> Result<Consultation, AppError>
where
    F: FnOnce(&Consultation) -> Result<ConsultationFields, AppError> + Send + 'static,
{
    edit_draft(db, id, by, "consultation.update", move |txn| {
        Box::pin(async move {
            let fields = make(&load(txn, id).await?)?;
            let mut row = consultations::ActiveModel { id: Set(id), ..Default::default() };
            fields_active_model(&fields, &mut row);
            row.update(txn).await?;
            Ok(())
        })
    })
    .await
}

async fn next_position<C: ConnectionTrait>(conn: &C, table_is_services: bool, id: Uuid) -> Result<i32, AppError> {
    let max: Option<Option<i32>> = if table_is_services {
        services::Entity::find()
            .select_only()
            .column_as(services::Column::Position.max(), "m")
            .filter(services::Column::ConsultationId.eq(id))
            .into_tuple()
            .one(conn)
            .await?
    } else {
        proposals::Entity::find()
            .select_only()
            .column_as(proposals::Column::Position.max(), "m")
            .filter(proposals::Column::ConsultationId.eq(id))
            .into_tuple()
            .one(conn)
            .await?
    };
    Ok(max.flatten().map_or(0, |m| m + 1))
}

/// The ids already used by a draft's services (or proposals), read inside the edit's
/// transaction: after the "touch", so two concurrent adds see each other.
async fn taken_ids(txn: &DatabaseTransaction, table_is_services: bool, id: Uuid) -> Result<Vec<String>, AppError> {
    Ok(if table_is_services {
        services::Entity::find()
            .select_only()
            .column(services::Column::Code)
            .filter(services::Column::ConsultationId.eq(id))
            .into_tuple()
            .all(txn)
            .await?
    } else {
        proposals::Entity::find()
            .select_only()
            .column(proposals::Column::Code)
            .filter(proposals::Column::ConsultationId.eq(id))
            .into_tuple()
            .all(txn)
            .await?
    })
}

/// Add a service. `make` builds it from the ids already taken (to pick a free one when
/// the organiser gave none); at most `max` services.
pub async fn add_service<F>(db: &Db, id: Uuid, by: Actor, max: usize, make: F) -> Result<Consultation, AppError>
where
    F: FnOnce(&[String]) -> Result<ServiceInput, AppError> + Send + 'static,
{
    edit_draft(db, id, by, "service.add", move |txn| {
        Box::pin(async move {
            let taken = taken_ids(txn, true, id).await?;
            if taken.len() >= max {
                return Err(AppError::invalid("services", format!("at most {max} services")));
            }
            let service = make(&taken)?;
            let position = next_position(txn, true, id).await?;
            insert_service(txn, id, &service, position).await.map_err(|e| match e {
                AppError::Conflict { .. } => {
                    AppError::conflict(Some("id"), format!("there is already a service with the id {:?}", service.id.as_str()))
                }
                other => other,
            })
        })
    })
    .await
}

pub async fn replace_service(db: &Db, id: Uuid, by: Actor, service: ServiceInput) -> Result<Consultation, AppError> {
    edit_draft(db, id, by, "service.replace", move |txn| {
        Box::pin(async move {
            let result = services::Entity::update_many()
                .col_expr(services::Column::Name, Expr::value(service.name.as_str()))
                .col_expr(services::Column::Description, Expr::value(service.description.clone().into_string()))
                .filter(services::Column::ConsultationId.eq(id))
                .filter(services::Column::Code.eq(service.id.as_str()))
                .exec(txn)
                .await?;
            if result.rows_affected == 0 {
                return Err(AppError::not_found("service"));
            }
            Ok(())
        })
    })
    .await
}

pub async fn delete_service(db: &Db, id: Uuid, by: Actor, service: ShortId) -> Result<Consultation, AppError> {
    edit_draft(db, id, by, "service.delete", move |txn| {
        Box::pin(async move {
            let in_use = proposals::Entity::find()
                .filter(proposals::Column::ConsultationId.eq(id))
                .filter(proposals::Column::ServiceCode.eq(service.as_str()))
                .count(txn)
                .await?;
            if in_use > 0 {
                return Err(AppError::conflict(None, format!("{in_use} proposal(s) touch this service; change or delete them first")));
            }
            let result = services::Entity::delete_many()
                .filter(services::Column::ConsultationId.eq(id))
                .filter(services::Column::Code.eq(service.as_str()))
                .exec(txn)
                .await?;
            if result.rows_affected == 0 {
                return Err(AppError::not_found("service"));
            }
            Ok(())
        })
    })
    .await
}

async fn service_exists<C: ConnectionTrait>(conn: &C, id: Uuid, service: &Option<ShortId>) -> Result<(), AppError> {
    if let Some(code) = service {
        let found = services::Entity::find_by_id((id, code.as_str().to_owned())).one(conn).await?;
        if found.is_none() {
            return Err(AppError::invalid("service", format!("there is no service with the id {:?}", code.as_str())));
        }
    }
    Ok(())
}

/// Add a proposal. `make` builds it from the ids already taken (to number it when the
/// organiser gave no id); at most `max` proposals.
pub async fn add_proposal<F>(db: &Db, id: Uuid, by: Actor, max: usize, make: F) -> Result<Consultation, AppError>
where
    F: FnOnce(&[String]) -> Result<ProposalInput, AppError> + Send + 'static,
{
    edit_draft(db, id, by, "proposal.add", move |txn| {
        Box::pin(async move {
            let taken = taken_ids(txn, false, id).await?;
            if taken.len() >= max {
                return Err(AppError::invalid("proposals", format!("at most {max} proposals")));
            }
            let proposal = make(&taken)?;
            service_exists(txn, id, &proposal.service).await?;
            let position = next_position(txn, false, id).await?;
            insert_proposal(txn, id, &proposal, position).await.map_err(|e| match e {
                AppError::Conflict { .. } => {
                    AppError::conflict(Some("id"), format!("there is already a proposal with the id {:?}", proposal.id.as_str()))
                }
                other => other,
            })
        })
    })
    .await
}

pub async fn replace_proposal(db: &Db, id: Uuid, by: Actor, proposal: ProposalInput) -> Result<Consultation, AppError> {
    edit_draft(db, id, by, "proposal.replace", move |txn| {
        Box::pin(async move {
            service_exists(txn, id, &proposal.service).await?;
            let existing = proposals::Entity::find_by_id((id, proposal.id.as_str().to_owned()))
                .one(txn)
                .await?
                .ok_or_else(|| AppError::not_found("proposal"))?;
            proposal_active_model(id, &proposal, existing.position).reset_all().update(txn).await?;
            Ok(())
        })
    })
    .await
}

pub async fn delete_proposal(db: &Db, id: Uuid, by: Actor, proposal: ShortId) -> Result<Consultation, AppError> {
    edit_draft(db, id, by, "proposal.delete", move |txn| {
        Box::pin(async move {
            let result = proposals::Entity::delete_by_id((id, proposal.as_str().to_owned())).exec(txn).await?;
            if result.rows_affected == 0 {
                return Err(AppError::not_found("proposal"));
            }
            Ok(())
        })
    })
    .await
}

/// Move a consultation one step along draft → open → closed → published.
/// `check` sees the consultation as it is inside the transaction and may refuse.
pub async fn advance_phase(
    db: &Db,
    id: Uuid,
    by: Actor,
    to: Phase,
    check: impl FnOnce(&Consultation) -> Result<(), AppError>,
) -> Result<Consultation, AppError> {
    let txn = db.begin_write().await?;
    // Lock the row before reading anything, so `check` sees the paper as it will be
    // opened: an edit in flight (which holds the row since its "touch") commits first and
    // is then visible, and one that comes later waits and finds the new phase. Reading
    // first and locking with the phase UPDATE would check a paper an edit was changing.
    // (SQLite's one writer with BEGIN IMMEDIATE already serialises the two.)
    if txn.get_database_backend() == sea_orm::DbBackend::Postgres {
        consultations::Entity::find_by_id(id)
            .select_only()
            .column(consultations::Column::Id)
            .lock_exclusive()
            .into_tuple::<Uuid>()
            .one(&txn)
            .await?;
    }
    let current = load(&txn, id).await?;
    current.phase.advance(to).map_err(AppError::wrong_phase)?;
    check(&current)?;
    let mut update = consultations::Entity::update_many()
        .col_expr(consultations::Column::Phase, Expr::value(to.as_str()))
        .col_expr(consultations::Column::UpdatedAt, Expr::value(Utc::now()));
    if to == Phase::Published {
        update = update.col_expr(consultations::Column::PublishedAt, Expr::value(Some(Utc::now())));
    }
    let result =
        update.filter(consultations::Column::Id.eq(id)).filter(consultations::Column::Phase.eq(current.phase.as_str())).exec(&txn).await?;
    if result.rows_affected != 1 {
        return Err(AppError::wrong_phase("the consultation changed phase at the same moment; please reload"));
    }
    let after = load(&txn, id).await?;
    let action = format!(
        "consultation.{}",
        match to {
            Phase::Draft => "draft",
            Phase::Open => "open",
            Phase::Closed => "close",
            Phase::Published => "publish",
        }
    );
    let change = Change::new(by, &action, format!("consultation:{id}")).consultation(id);
    audit::append(&txn, change.before(serde_json::json!({"phase": current.phase})).after(serde_json::json!({"phase": to}))).await?;
    txn.commit().await?;
    Ok(after)
}

/// Inside a transaction, check the consultation is open to ballots at this moment; on
/// PostgreSQL hold a share lock on its row so a concurrent "close" waits for this ballot.
pub(super) async fn lock_open_for_voting(txn: &DatabaseTransaction, id: Uuid, now: DateTime<Utc>) -> Result<(), AppError> {
    let mut query = consultations::Entity::find_by_id(id);
    if txn.get_database_backend() == sea_orm::DbBackend::Postgres {
        query = query.lock_shared();
    }
    let row = query.one(txn).await?.ok_or_else(|| AppError::not_found("consultation"))?;
    // The phase and times are all `voting_is_open` needs; services and proposals are not read.
    assemble(row, vec![], vec![])?.voting_is_open(now).map_err(AppError::wrong_phase)
}

/// Whether letters made after voting opens need a commissioner's approval (a draft only:
/// once voting opens, nobody can turn it off).
pub async fn set_code_approval(db: &Db, id: Uuid, by: Actor, required: bool) -> Result<(), AppError> {
    let txn = db.begin_write().await?;
    touch_in_phase(&txn, id, Phase::Draft, "changing whether late codes need approval").await?;
    let before =
        consultations::Entity::find_by_id(id).one(&txn).await?.ok_or_else(|| AppError::not_found("consultation"))?.approve_late_codes;
    consultations::Entity::update_many()
        .col_expr(consultations::Column::ApproveLateCodes, Expr::value(required))
        .filter(consultations::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    let change = Change::new(by, "consultation.code-approval", format!("consultation:{id}")).consultation(id);
    let (before, after) = (serde_json::json!({"approve_late_codes": before}), serde_json::json!({"approve_late_codes": required}));
    audit::append(&txn, change.before(before).after(after)).await?;
    txn.commit().await?;
    Ok(())
}

/// Record who lives in each area and uses each service (any phase: it is not part of the
/// count, only shown beside it).
pub async fn set_population(db: &Db, id: Uuid, by: Actor, population: &Population) -> Result<Consultation, AppError> {
    let txn = db.begin_write().await?;
    let before = load(&txn, id).await?.population;
    let found = consultations::Entity::update_many()
        .col_expr(consultations::Column::AreaPopulation, Expr::value(to_json(&population.areas)))
        .col_expr(consultations::Column::ServicePopulation, Expr::value(to_json(&population.services)))
        .filter(consultations::Column::Id.eq(id))
        .exec(&txn)
        .await?
        .rows_affected;
    if found == 0 {
        return Err(AppError::not_found("consultation"));
    }
    let after = load(&txn, id).await?;
    let change = Change::new(by, "consultation.population", format!("consultation:{id}")).consultation(id);
    audit::append(&txn, change.before(&before).after(&after.population)).await?;
    txn.commit().await?;
    Ok(after)
}

fn to_json(map: &std::collections::BTreeMap<String, u64>) -> String {
    serde_json::to_string(map).unwrap_or_else(|_| "{}".into())
}

/// Turn residents' self-registration by e-mail on or off, in draft or while voting is open.
/// Turning it on the first time records the consultation's one batch of kind `e-mail`,
/// made by the organiser who turned it on, whose count grows as residents register. In one
/// transaction with the audit entry.
pub async fn set_self_registration(db: &Db, id: Uuid, by: Actor, enabled: bool) -> Result<Consultation, AppError> {
    let txn = db.begin_write().await?;
    let row = consultations::Entity::find_by_id(id).one(&txn).await?.ok_or_else(|| AppError::not_found("consultation"))?;
    if row.phase != Phase::Draft.as_str() && row.phase != Phase::Open.as_str() {
        return Err(AppError::wrong_phase(format!(
            "self-registration can be changed only before voting closes; the consultation is {}",
            row.phase
        )));
    }
    consultations::Entity::update_many()
        .col_expr(consultations::Column::SelfRegistration, Expr::value(enabled))
        .col_expr(consultations::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(consultations::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    let batch = if enabled { Some(super::registrations::email_batch_in(&txn, id, by).await?) } else { None };
    let change = Change::new(by, "consultation.self-registration", format!("consultation:{id}")).consultation(id);
    let (before, after) = (
        serde_json::json!({"self_registration": row.self_registration}),
        serde_json::json!({"self_registration": enabled, "batch": batch}),
    );
    audit::append(&txn, change.before(before).after(after)).await?;
    let after = load(&txn, id).await?;
    txn.commit().await?;
    Ok(after)
}
