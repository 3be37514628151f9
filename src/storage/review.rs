//! After voting: what was counted (kept), the commissioners' decisions (append only) and the
//! updates on what became of them.
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set, sea_query::OnConflict};
use uuid::Uuid;

use super::{
    Db,
    audit::{self, Change},
    entities::{consultations, decisions, stored_results, updates, users},
};
use crate::{
    audit::Actor,
    domain::Phase,
    errors::AppError,
    model::{Decision, DecisionKind, Update, UpdateStatus},
};

/// Everything counted from a closed consultation's ballots, as served.
#[derive(Debug, Clone)]
pub struct StoredResult {
    pub marker: (i64, i64),
    pub result: String,
    pub breakdowns: String,
    pub satisfaction: String,
    pub election: String,
    pub pabulib: String,
    pub counted_at: DateTime<Utc>,
}

/// The kept count of a consultation, if any.
pub async fn stored_result(db: &Db, consultation: Uuid) -> Result<Option<StoredResult>, AppError> {
    Ok(stored_results::Entity::find_by_id(consultation).one(&db.read).await?.map(|r| StoredResult {
        marker: (r.marker_ballots, r.marker_versions),
        result: r.result,
        breakdowns: r.breakdowns,
        satisfaction: r.satisfaction,
        election: r.election,
        pabulib: r.pabulib,
        counted_at: r.counted_at,
    }))
}

/// Keep a count (replacing an older one).
pub async fn store_result(db: &Db, consultation: Uuid, stored: &StoredResult) -> Result<(), AppError> {
    use stored_results::Column as C;
    stored_results::Entity::insert(stored_results::ActiveModel {
        consultation_id: Set(consultation),
        marker_ballots: Set(stored.marker.0),
        marker_versions: Set(stored.marker.1),
        result: Set(stored.result.clone()),
        breakdowns: Set(stored.breakdowns.clone()),
        satisfaction: Set(stored.satisfaction.clone()),
        election: Set(stored.election.clone()),
        pabulib: Set(stored.pabulib.clone()),
        counted_at: Set(stored.counted_at),
    })
    .on_conflict(
        OnConflict::column(C::ConsultationId)
            .update_columns([
                C::MarkerBallots,
                C::MarkerVersions,
                C::Result,
                C::Breakdowns,
                C::Satisfaction,
                C::Election,
                C::Pabulib,
                C::CountedAt,
            ])
            .to_owned(),
    )
    .exec_without_returning(&db.write)
    .await?;
    Ok(())
}

/// A decision ready to record (already checked by the service).
pub struct NewDecision {
    pub proposal: String,
    pub kind: DecisionKind,
    pub amount: Option<u64>,
    pub reason: String,
    pub departs: bool,
}

/// Record a decision on a consultation whose voting has closed. Nothing is ever changed or
/// deleted: a new decision on the same proposal is a new row.
pub async fn add_decision(db: &Db, consultation: Uuid, by: Uuid, decision: NewDecision) -> Result<Decision, AppError> {
    let txn = db.begin_write().await?;
    let phase = consultations::Entity::find_by_id(consultation)
        .select_only()
        .column(consultations::Column::Phase)
        .into_tuple::<String>()
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::not_found("consultation"))?;
    if phase != Phase::Closed.as_str() && phase != Phase::Published.as_str() {
        return Err(AppError::wrong_phase("decisions are recorded once voting has closed"));
    }
    let row = decisions::ActiveModel {
        id: Set(Uuid::new_v4()),
        consultation_id: Set(consultation),
        proposal_code: Set(decision.proposal),
        decision: Set(decision.kind.as_str().to_owned()),
        amount: Set(decision.amount.map(|a| a as i64)),
        reason: Set(decision.reason),
        departs: Set(decision.departs),
        decided_by: Set(by),
        decided_at: Set(Utc::now()),
    };
    let id = row.id.clone().unwrap();
    let recorded = serde_json::json!({
        "proposal": row.proposal_code.clone().unwrap(), "decision": row.decision.clone().unwrap(), "amount": row.amount.clone().unwrap(),
        "reason": row.reason.clone().unwrap(), "departs": row.departs.clone().unwrap(),
    });
    decisions::Entity::insert(row).exec_without_returning(&txn).await?;
    let change = Change::new(Actor::Staff(by), "decision.add", format!("consultation:{consultation}")).consultation(consultation);
    audit::append(&txn, change.after(recorded)).await?;
    txn.commit().await?;
    decisions(db, consultation).await?.into_iter().find(|d| d.id == id).ok_or_else(|| AppError::internal("a decision just recorded"))
}

async fn emails(db: &Db, ids: Vec<Uuid>) -> Result<Vec<(Uuid, String)>, AppError> {
    Ok(users::Entity::find()
        .select_only()
        .column(users::Column::Id)
        .column(users::Column::Email)
        .filter(users::Column::Id.is_in(ids))
        .into_tuple()
        .all(&db.read)
        .await?)
}

/// Every decision on a consultation, oldest first (the latest per proposal is the decision).
pub async fn decisions(db: &Db, consultation: Uuid) -> Result<Vec<Decision>, AppError> {
    let rows = decisions::Entity::find()
        .filter(decisions::Column::ConsultationId.eq(consultation))
        .order_by_asc(decisions::Column::DecidedAt)
        .order_by_asc(decisions::Column::Id)
        .all(&db.read)
        .await?;
    let emails = emails(db, rows.iter().map(|r| r.decided_by).collect()).await?;
    rows.into_iter()
        .map(|r| {
            Ok(Decision {
                id: r.id,
                proposal: r.proposal_code,
                decision: DecisionKind::parse(&r.decision).map_err(|e| AppError::internal(format!("stored decision: {e}")))?,
                amount: r.amount.map(|a| a.max(0) as u64),
                reason: r.reason,
                departs: r.departs,
                decided_by: emails.iter().find(|(id, _)| *id == r.decided_by).map(|(_, e)| e.clone()),
                decided_at: r.decided_at,
            })
        })
        .collect()
}

/// An update ready to record.
pub struct NewUpdate {
    pub proposal: String,
    pub status: UpdateStatus,
    pub progress: Option<u8>,
    pub note: String,
    pub saved: Option<(i32, u64)>,
}

/// Record a dated milestone on a published consultation's proposal.
pub async fn add_update(db: &Db, consultation: Uuid, by: Uuid, update: NewUpdate) -> Result<Update, AppError> {
    let txn = db.begin_write().await?;
    let phase = consultations::Entity::find_by_id(consultation)
        .select_only()
        .column(consultations::Column::Phase)
        .into_tuple::<String>()
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::not_found("consultation"))?;
    if phase != Phase::Published.as_str() {
        return Err(AppError::wrong_phase("updates are posted once the result is published"));
    }
    let id = Uuid::new_v4();
    let posted = serde_json::json!({
        "proposal": update.proposal, "status": update.status.as_str(), "progress": update.progress, "note": update.note,
        "saved_year": update.saved.map(|(y, _)| y), "saved_amount": update.saved.map(|(_, a)| a),
    });
    updates::Entity::insert(updates::ActiveModel {
        id: Set(id),
        consultation_id: Set(consultation),
        proposal_code: Set(update.proposal),
        status: Set(update.status.as_str().to_owned()),
        progress: Set(update.progress.map(i32::from)),
        note: Set(update.note),
        saved_year: Set(update.saved.map(|(y, _)| y)),
        saved_amount: Set(update.saved.map(|(_, a)| a as i64)),
        posted_by: Set(by),
        posted_at: Set(Utc::now()),
    })
    .exec_without_returning(&txn)
    .await?;
    let change = Change::new(Actor::Staff(by), "update.post", format!("consultation:{consultation}")).consultation(consultation);
    audit::append(&txn, change.after(posted)).await?;
    txn.commit().await?;
    updates(db, consultation).await?.into_iter().find(|u| u.id == id).ok_or_else(|| AppError::internal("an update just posted"))
}

/// Every update of a consultation, oldest first.
pub async fn updates(db: &Db, consultation: Uuid) -> Result<Vec<Update>, AppError> {
    let rows = updates::Entity::find()
        .filter(updates::Column::ConsultationId.eq(consultation))
        .order_by_asc(updates::Column::PostedAt)
        .order_by_asc(updates::Column::Id)
        .all(&db.read)
        .await?;
    rows.into_iter()
        .map(|r| {
            Ok(Update {
                id: r.id,
                proposal: r.proposal_code,
                status: UpdateStatus::parse(&r.status).map_err(|e| AppError::internal(format!("stored update: {e}")))?,
                progress: r.progress.map(|p| p.clamp(0, 100) as u8),
                note: r.note,
                saved_year: r.saved_year,
                saved_amount: r.saved_amount.map(|a| a.max(0) as u64),
                posted_at: r.posted_at,
            })
        })
        .collect()
}
