//! Residents who register themselves by e-mail: one code per address.
//!
//! `registrations` holds only a keyed hash of each normalised address with the day, unique
//! per consultation (the database enforces one code per address), and names no code. The
//! codes are ordinary letter codes (`voter_codes`, keyed hashes only) in the consultation's
//! one batch of kind `e-mail`, whose count grows. Residents' actions, like ballots, are not
//! in the audit record; the organiser's setting is.
use chrono::{NaiveDate, Utc};
use sea_orm::{
    ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QuerySelect, Set,
    sea_query::{Expr, ExprTrait},
};
use uuid::Uuid;

use super::{
    Db,
    entities::{code_batches, consultations, registrations},
    voter_codes::{NewCode, insert_in, new_batch},
};
use crate::{audit::Actor, domain::Phase, errors::AppError};

/// The kind of the batch that e-mailed codes are recorded in.
pub const EMAIL_BATCH: &str = "e-mail";

/// The consultation's batch of e-mailed codes, made now (by `by`, with no codes yet) if it
/// has none. Inside the caller's transaction.
pub(super) async fn email_batch_in(txn: &DatabaseTransaction, consultation: Uuid, by: Actor) -> Result<Uuid, AppError> {
    let found: Option<Uuid> = code_batches::Entity::find()
        .select_only()
        .column(code_batches::Column::Id)
        .filter(code_batches::Column::ConsultationId.eq(consultation))
        .filter(code_batches::Column::Kind.eq(EMAIL_BATCH))
        .into_tuple()
        .one(txn)
        .await?;
    match found {
        Some(id) => Ok(id),
        // Codes sent by e-mail are made only while voting is open: after opening, by nature.
        // They need no approval: the organiser's turning it on (audited) is the decision.
        None => new_batch(txn, consultation, EMAIL_BATCH, None, 0, by, true, false, None).await,
    }
}

/// Whether a registration may go ahead now: voting is open, self-registration is on, and
/// this address has not been sent a code. Read before the e-mail is sent (and checked again
/// when the code is stored).
pub async fn check(db: &Db, consultation: Uuid, email_hash: &str) -> Result<(), AppError> {
    let row = consultations::Entity::find_by_id(consultation).one(&db.read).await?.ok_or_else(|| AppError::not_found("consultation"))?;
    refuse_unless_open(&row)?;
    if let Some(on) = registered_on(&db.read, consultation, email_hash).await? {
        return Err(already(on));
    }
    Ok(())
}

fn refuse_unless_open(row: &consultations::Model) -> Result<(), AppError> {
    // A draft does not exist for the public (as everywhere else).
    if row.phase == Phase::Draft.as_str() {
        return Err(AppError::not_found("consultation"));
    }
    if row.phase != Phase::Open.as_str() {
        return Err(AppError::wrong_phase("voting has closed, so no more codes are given out"));
    }
    let now = Utc::now();
    if row.opens_at.is_some_and(|at| now < at) {
        return Err(AppError::wrong_phase("voting has not started yet; codes are given out once it has"));
    }
    if row.closes_at.is_some_and(|at| now >= at) {
        return Err(AppError::wrong_phase("voting has closed, so no more codes are given out"));
    }
    if !row.self_registration {
        return Err(AppError::conflict(
            None,
            "this consultation does not give out voter codes by e-mail: your code comes by letter, or ask the council",
        ));
    }
    Ok(())
}

async fn registered_on<C: sea_orm::ConnectionTrait>(conn: &C, consultation: Uuid, email_hash: &str) -> Result<Option<NaiveDate>, AppError> {
    Ok(registrations::Entity::find()
        .select_only()
        .column(registrations::Column::RegisteredOn)
        .filter(registrations::Column::ConsultationId.eq(consultation))
        .filter(registrations::Column::EmailHash.eq(email_hash))
        .into_tuple()
        .one(conn)
        .await?)
}

fn already(on: NaiveDate) -> AppError {
    AppError::conflict(
        Some("email"),
        format!(
            "a code was already sent to this address on {}. Look for it in your e-mail, including the spam or junk folder; \
             if you cannot find it, contact the council. Each address gets one code, so that nobody votes twice",
            on.format("%-d %B %Y")
        ),
    )
}

/// Store a registration and its code, all or nothing: the address's hash (the unique index
/// refuses a second), the code (an ordinary letter code) in the consultation's `e-mail`
/// batch, and the batch's count. Voting must still be open and self-registration still on.
pub async fn record(db: &Db, consultation: Uuid, email_hash: &str, code: NewCode) -> Result<(), AppError> {
    let txn = db.begin_write().await?;
    super::consultations::lock_open_for_voting(&txn, consultation, Utc::now()).await?;
    let row = consultations::Entity::find_by_id(consultation).one(&txn).await?.ok_or_else(|| AppError::not_found("consultation"))?;
    refuse_unless_open(&row)?;
    let today = Utc::now().date_naive();
    let inserted = registrations::Entity::insert(registrations::ActiveModel {
        id: Set(Uuid::new_v4()),
        consultation_id: Set(consultation),
        email_hash: Set(email_hash.to_owned()),
        registered_on: Set(today),
    })
    .exec_without_returning(&txn)
    .await;
    match inserted.map_err(AppError::from) {
        Ok(_) => {}
        // Another request for the same address got there first. (PostgreSQL refuses every
        // further statement in a transaction after an error: end it, then read.)
        Err(AppError::Conflict { .. }) => {
            txn.rollback().await?;
            let on = registered_on(&db.read, consultation, email_hash).await?.unwrap_or(today);
            return Err(already(on));
        }
        Err(other) => return Err(other),
    }
    let batch = email_batch_in(&txn, consultation, Actor::Command("pbvote (self-registration)")).await?;
    insert_in(&txn, consultation, vec![code], "letter", None, None, None, batch).await?;
    code_batches::Entity::update_many()
        .col_expr(code_batches::Column::Count, Expr::col(code_batches::Column::Count).add(1))
        .filter(code_batches::Column::Id.eq(batch))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(())
}

/// Retention, inside the caller's transaction: delete a consultation's registrations (the
/// addresses' hashes). Returns how many.
pub(super) async fn delete_in(txn: &DatabaseTransaction, consultation: Uuid) -> Result<u64, AppError> {
    Ok(registrations::Entity::delete_many().filter(registrations::Column::ConsultationId.eq(consultation)).exec(txn).await?.rows_affected)
}
