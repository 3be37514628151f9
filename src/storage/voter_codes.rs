//! Issued voter codes, stored only as keyed hashes.
use chrono::Utc;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};
use uuid::Uuid;

use super::{
    Db,
    entities::{consultations, voter_codes},
};
use crate::{domain::Phase, errors::AppError};

/// Store a batch of code hashes for a consultation that is a draft or open, all or none.
pub async fn issue(db: &Db, consultation: Uuid, hashes: Vec<String>) -> Result<(), AppError> {
    let txn = db.begin_write().await?;
    let row = consultations::Entity::find_by_id(consultation).one(&txn).await?.ok_or_else(|| AppError::not_found("consultation"))?;
    if row.phase != Phase::Draft.as_str() && row.phase != Phase::Open.as_str() {
        return Err(AppError::wrong_phase(format!("voter codes can be made only before voting closes; the consultation is {}", row.phase)));
    }
    let now = Utc::now();
    // Chunks keep each statement under SQLite's bound-parameter limit.
    for chunk in hashes.chunks(500) {
        voter_codes::Entity::insert_many(chunk.iter().map(|hash| voter_codes::ActiveModel {
            code_hash: Set(hash.clone()),
            consultation_id: Set(consultation),
            used: Set(false),
            issued_at: Set(now),
        }))
        .exec(&txn)
        .await?;
    }
    txn.commit().await?;
    Ok(())
}

/// How many codes were issued and how many have voted.
pub async fn stats(db: &Db, consultation: Uuid) -> Result<(u64, u64), AppError> {
    let issued = voter_codes::Entity::find().filter(voter_codes::Column::ConsultationId.eq(consultation)).count(&db.read).await?;
    let used = voter_codes::Entity::find()
        .filter(voter_codes::Column::ConsultationId.eq(consultation))
        .filter(voter_codes::Column::Used.eq(true))
        .count(&db.read)
        .await?;
    Ok((issued, used))
}
