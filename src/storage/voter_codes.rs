//! Issued voter codes, stored only as keyed hashes.
use chrono::Utc;
use std::collections::HashMap;

use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
    sea_query::Expr,
};
use uuid::Uuid;

use super::{
    Db,
    audit::{self, Change},
    entities::{code_batches, consultations, roll_entries, services, users, voter_codes},
};
use crate::{
    audit::Actor,
    domain::Phase,
    errors::AppError,
    model::{CodeBatch, CodeSummary},
};

/// A code to store: its lookup hash and its short-link hash (see `security::keys`).
pub struct NewCode {
    pub code_hash: String,
    pub link_hash: String,
}

/// Store a batch of letter codes for a consultation that is a draft or open, all or none,
/// with the batch's record (who, when, how many) and its audit entry. A batch made after
/// voting opened is flagged; on a consultation that asks for approval its codes are held
/// (`kind = 'held'`: they cannot vote) until a commissioner approves it.
///
/// With `service`: service-user codes for that service instead (batch and codes of kind
/// `service-user`), which a provider hands to the service's users to give with their
/// ballot; only on a consultation whose `service_users` setting verifies.
pub async fn issue(db: &Db, consultation: Uuid, by: Actor, codes: Vec<NewCode>, service: Option<&str>) -> Result<CodeBatch, AppError> {
    let txn = db.begin_write().await?;
    if let Some(service) = service {
        check_service_users(&txn, consultation, service).await?;
    }
    let kind = if service.is_some() { "service-user" } else { "letter" };
    let batch = letters_in(&txn, consultation, by, kind, service, codes).await?;
    let made = batch_in(&txn, batch).await?;
    let change = Change::new(by, "voter-codes.issue", format!("code-batch:{batch}")).consultation(consultation);
    let after = serde_json::json!({"batch": batch, "kind": kind, "service": service, "count": made.count, "after_opening": made.after_opening, "needs_approval": made.needs_approval});
    audit::append(&txn, change.after(after)).await?;
    txn.commit().await?;
    Ok(made)
}

/// Service-user codes need a consultation that verifies service users, and one of its services.
async fn check_service_users(txn: &DatabaseTransaction, consultation: Uuid, service: &str) -> Result<(), AppError> {
    let row = consultations::Entity::find_by_id(consultation).one(txn).await?.ok_or_else(|| AppError::not_found("consultation"))?;
    if !crate::domain::ServiceUsers::parse(&row.service_users).is_ok_and(|s| s.verifies()) {
        return Err(AppError::conflict(
            Some("service"),
            "this consultation counts service users as they declare themselves: set settings.service_users to declared_or_verified or verified (while it is a draft) to make service-user codes",
        ));
    }
    let known = services::Entity::find()
        .filter(services::Column::ConsultationId.eq(consultation))
        .filter(services::Column::Code.eq(service))
        .count(txn)
        .await?;
    if known == 0 {
        return Err(AppError::invalid("service", format!("{service:?} is not one of this consultation's services")));
    }
    Ok(())
}

/// Inside a transaction: store letter codes (`kind` of batch `letter` or `roll`), or
/// service-user codes (`service-user`, with their `service`), for a consultation that is a
/// draft or open, with their batch; held for approval when made after opening on a
/// consultation that asks for it. Returns the batch's id.
pub(super) async fn letters_in(
    txn: &DatabaseTransaction,
    consultation: Uuid,
    by: Actor,
    kind: &str,
    service: Option<&str>,
    codes: Vec<NewCode>,
) -> Result<Uuid, AppError> {
    let row = consultations::Entity::find_by_id(consultation).one(txn).await?.ok_or_else(|| AppError::not_found("consultation"))?;
    if row.phase != Phase::Draft.as_str() && row.phase != Phase::Open.as_str() {
        return Err(AppError::wrong_phase(format!("voter codes can be made only before voting closes; the consultation is {}", row.phase)));
    }
    let after_opening = row.phase == Phase::Open.as_str();
    let needs_approval = after_opening && row.approve_late_codes;
    let batch = new_batch(txn, consultation, kind, None, codes.len(), by, after_opening, needs_approval, service).await?;
    let code_kind = match (needs_approval, service) {
        (true, _) => "held",
        // `service`, not `service-user`: the column holds 8 characters.
        (false, Some(_)) => "service",
        (false, None) => "letter",
    };
    insert_in(txn, consultation, codes, code_kind, None, None, service, batch).await?;
    Ok(batch)
}

/// One batch, with who made and approved it.
pub(super) async fn batch_by_id<C: ConnectionTrait>(conn: &C, id: Uuid) -> Result<CodeBatch, AppError> {
    batch_in(conn, id).await
}

/// Record a batch of codes inside the transaction that stores them; returns its id.
#[allow(clippy::too_many_arguments)]
pub(super) async fn new_batch<C: ConnectionTrait>(
    conn: &C,
    consultation: Uuid,
    kind: &str,
    meeting: Option<Uuid>,
    count: usize,
    by: Actor,
    after_opening: bool,
    needs_approval: bool,
    service: Option<&str>,
) -> Result<Uuid, AppError> {
    let id = Uuid::new_v4();
    code_batches::Entity::insert(code_batches::ActiveModel {
        id: Set(id),
        consultation_id: Set(consultation),
        kind: Set(kind.to_owned()),
        meeting_id: Set(meeting),
        count: Set(i32::try_from(count).map_err(|_| AppError::internal("batch too large"))?),
        made_by: Set(match by {
            Actor::Staff(user) => Some(user),
            Actor::Command(_) => None,
        }),
        made_at: Set(Utc::now()),
        after_opening: Set(after_opening),
        needs_approval: Set(needs_approval),
        approved_by: Set(None),
        approved_at: Set(None),
        service: Set(service.map(str::to_owned)),
    })
    .exec_without_returning(conn)
    .await?;
    Ok(id)
}

/// Insert codes of one kind (`letter`, `held`, `service-user` with its service, or `slip`
/// with its meeting and, for a slip a letter was exchanged for, the letter's ballot key) and
/// their batch, inside a transaction.
#[allow(clippy::too_many_arguments)]
pub(super) async fn insert_in(
    txn: &DatabaseTransaction,
    consultation: Uuid,
    codes: Vec<NewCode>,
    kind: &str,
    meeting: Option<Uuid>,
    ballot_key: Option<String>,
    service: Option<&str>,
    batch: Uuid,
) -> Result<(), AppError> {
    let now = Utc::now();
    // Chunks keep each statement under SQLite's bound-parameter limit.
    for chunk in codes.chunks(500) {
        voter_codes::Entity::insert_many(chunk.iter().map(|code| voter_codes::ActiveModel {
            code_hash: Set(code.code_hash.clone()),
            consultation_id: Set(consultation),
            used: Set(false),
            issued_at: Set(now),
            kind: Set(kind.to_owned()),
            meeting_id: Set(meeting),
            ballot_key: Set(ballot_key.clone()),
            exchanged_at: Set(None),
            // A service-user code has no short link: a link opens the ballot with its code in
            // the voting-code box, where a service-user code does not belong.
            link_hash: Set(if service.is_some() { None } else { Some(code.link_hash.clone()) }),
            batch_id: Set(Some(batch)),
            service: Set(service.map(str::to_owned)),
        }))
        .exec(txn)
        .await?;
    }
    Ok(())
}

async fn emails<C: ConnectionTrait>(conn: &C, ids: Vec<Uuid>) -> Result<HashMap<Uuid, String>, AppError> {
    let rows: Vec<(Uuid, String)> = users::Entity::find()
        .select_only()
        .column(users::Column::Id)
        .column(users::Column::Email)
        .filter(users::Column::Id.is_in(ids))
        .into_tuple()
        .all(conn)
        .await?;
    Ok(rows.into_iter().collect())
}

async fn to_batches<C: ConnectionTrait>(conn: &C, rows: Vec<code_batches::Model>) -> Result<Vec<CodeBatch>, AppError> {
    let ids = rows.iter().flat_map(|r| [r.made_by, r.approved_by]).flatten().collect();
    let emails = emails(conn, ids).await?;
    let name = |id: Option<Uuid>| id.map(|id| emails.get(&id).cloned().unwrap_or_else(|| format!("account {id}")));
    Ok(rows
        .into_iter()
        .map(|r| CodeBatch {
            id: r.id,
            consultation_id: r.consultation_id,
            kind: r.kind,
            meeting_id: r.meeting_id,
            count: r.count.max(0) as u32,
            made_by: name(r.made_by).unwrap_or_else(|| "pbvote (command line)".into()),
            made_at: r.made_at,
            after_opening: r.after_opening,
            needs_approval: r.needs_approval,
            approved_by: name(r.approved_by),
            approved_at: r.approved_at,
            service: r.service,
        })
        .collect())
}

async fn batch_in<C: ConnectionTrait>(conn: &C, id: Uuid) -> Result<CodeBatch, AppError> {
    let row = code_batches::Entity::find_by_id(id).one(conn).await?.ok_or_else(|| AppError::not_found("code batch"))?;
    to_batches(conn, vec![row]).await?.pop().ok_or_else(|| AppError::not_found("code batch"))
}

/// A consultation's code batches, oldest first, and its codes against its ballots.
pub async fn summary(db: &Db, consultation: Uuid) -> Result<CodeSummary, AppError> {
    let row = consultations::Entity::find_by_id(consultation).one(&db.read).await?.ok_or_else(|| AppError::not_found("consultation"))?;
    let rows = code_batches::Entity::find()
        .filter(code_batches::Column::ConsultationId.eq(consultation))
        .order_by_asc(code_batches::Column::MadeAt)
        .all(&db.read)
        .await?;
    let batches = to_batches(&db.read, rows).await?;
    let sum = |f: &dyn Fn(&CodeBatch) -> bool| batches.iter().filter(|b| f(b)).map(|b| u64::from(b.count)).sum::<u64>();
    let letters = sum(&|b| b.kind == "letter" || b.kind == "roll");
    let service_user_codes = sum(&|b| b.kind == "service-user");
    let slips = sum(&|b| b.kind == "slip" || b.kind == "exchange");
    let email = sum(&|b| b.kind == super::registrations::EMAIL_BATCH);
    let after_opening = sum(&|b| b.after_opening);
    let awaiting_approval = sum(&|b| b.waiting());
    let unrecorded = voter_codes::Entity::find()
        .filter(voter_codes::Column::ConsultationId.eq(consultation))
        .filter(voter_codes::Column::BatchId.is_null())
        .count(&db.read)
        .await?;
    let roll = roll_entries::Entity::find().filter(roll_entries::Column::ConsultationId.eq(consultation)).count(&db.read).await?;
    // The exact number only once voting has closed (while open: turnout in steps, elsewhere).
    let closed = row.phase != Phase::Draft.as_str() && row.phase != Phase::Open.as_str();
    let ballots = if closed { Some(super::ballots::change_marker(db, consultation).await?.0 as u64) } else { None };
    Ok(CodeSummary {
        approval_required: row.approve_late_codes,
        letters,
        slips,
        service_user_codes,
        after_opening,
        awaiting_approval,
        unrecorded,
        roll,
        email,
        ballots,
        batches,
    })
}

/// A commissioner approves a batch of letters made after voting opened: its codes work from
/// now on. Only before voting closes, and only once.
pub async fn approve(db: &Db, batch: Uuid, by: Actor) -> Result<CodeBatch, AppError> {
    let txn = db.begin_write().await?;
    let row = code_batches::Entity::find_by_id(batch).one(&txn).await?.ok_or_else(|| AppError::not_found("code batch"))?;
    if !row.needs_approval {
        return Err(AppError::conflict(None, "this batch needs no approval: its codes already work"));
    }
    if row.approved_at.is_some() {
        return Err(AppError::conflict(None, "this batch is already approved"));
    }
    let phase: String = consultations::Entity::find_by_id(row.consultation_id)
        .select_only()
        .column(consultations::Column::Phase)
        .into_tuple()
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::not_found("consultation"))?;
    if phase != Phase::Open.as_str() {
        return Err(AppError::wrong_phase(format!("codes can be approved only while voting is open; the consultation is {phase}")));
    }
    let now = Utc::now();
    let approved = code_batches::Entity::update_many()
        .col_expr(
            code_batches::Column::ApprovedBy,
            Expr::value(match by {
                Actor::Staff(user) => Some(user),
                Actor::Command(_) => None,
            }),
        )
        .col_expr(code_batches::Column::ApprovedAt, Expr::value(Some(now)))
        .filter(code_batches::Column::Id.eq(batch))
        .filter(code_batches::Column::ApprovedAt.is_null())
        .exec(&txn)
        .await?;
    if approved.rows_affected != 1 {
        return Err(AppError::conflict(None, "this batch is already approved"));
    }
    // Held letters become letters; held service-user codes, service-user codes.
    voter_codes::Entity::update_many()
        .col_expr(voter_codes::Column::Kind, Expr::value(if row.service.is_some() { "service" } else { "letter" }))
        .filter(voter_codes::Column::BatchId.eq(batch))
        .filter(voter_codes::Column::Kind.eq("held"))
        .exec(&txn)
        .await?;
    let change = Change::new(by, "code-batch.approve", format!("code-batch:{batch}")).consultation(row.consultation_id);
    audit::append(
        &txn,
        change.before(serde_json::json!({"approved": false})).after(serde_json::json!({"approved": true, "count": row.count})),
    )
    .await?;
    let made = batch_in(&txn, batch).await?;
    txn.commit().await?;
    Ok(made)
}

/// Where a code from a short link votes: its consultation and, for a slip, its meeting.
pub async fn find_by_link(db: &Db, link_hash: &str) -> Result<(Uuid, Option<Uuid>), AppError> {
    voter_codes::Entity::find()
        .select_only()
        .column(voter_codes::Column::ConsultationId)
        .column(voter_codes::Column::MeetingId)
        .filter(voter_codes::Column::LinkHash.eq(link_hash))
        .into_tuple()
        .one(&db.read)
        .await?
        .ok_or(AppError::InvalidVoterCode)
}

/// How many letter codes were issued, and how many ballots are stored (the turnout, every
/// channel: letters online and in a hall, slips, paper).
pub async fn stats(db: &Db, consultation: Uuid) -> Result<(u64, u64), AppError> {
    let issued = voter_codes::Entity::find()
        .filter(voter_codes::Column::ConsultationId.eq(consultation))
        .filter(voter_codes::Column::Kind.is_in(["letter", "held"]))
        .filter(voter_codes::Column::Service.is_null())
        .count(&db.read)
        .await?;
    let (ballots, _) = super::ballots::change_marker(db, consultation).await?;
    Ok((issued, ballots as u64))
}
