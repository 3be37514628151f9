//! Voter rolls: each person of an imported roll with the keyed hash of their code. Linked
//! to codes, never to ballots (see the migration and docs/privacy.md).
use chrono::Utc;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect, Set};
use uuid::Uuid;

use super::{
    Db,
    audit::{self, Change},
    entities::roll_entries,
    voter_codes::{NewCode, batch_by_id, letters_in},
};
use crate::{audit::Actor, errors::AppError, model::CodeBatch, rolls::RollRow};

/// The references already on the consultation's roll, of those given.
pub async fn taken_references(db: &Db, consultation: Uuid) -> Result<std::collections::HashSet<String>, AppError> {
    let taken: Vec<String> = roll_entries::Entity::find()
        .select_only()
        .column(roll_entries::Column::Reference)
        .filter(roll_entries::Column::ConsultationId.eq(consultation))
        .into_tuple()
        .all(&db.read)
        .await?;
    Ok(taken.into_iter().collect())
}

/// Import a roll: one code per person, the codes' batch (kind `roll`), the people and the
/// audit entry (how many, never who), all in one transaction — all or nothing.
pub async fn import(db: &Db, consultation: Uuid, by: Actor, people: Vec<(RollRow, NewCode)>) -> Result<CodeBatch, AppError> {
    let txn = db.begin_write().await?;
    let now = Utc::now();
    let entries: Vec<roll_entries::ActiveModel> = people
        .iter()
        .map(|(row, code)| roll_entries::ActiveModel {
            id: Set(Uuid::new_v4()),
            consultation_id: Set(consultation),
            batch_id: Set(Uuid::nil()),
            line: Set(i32::try_from(row.line).unwrap_or(i32::MAX)),
            name: Set(row.name.clone()),
            address: Set(row.address.clone()),
            reference: Set(row.reference.clone()),
            area: Set(row.area.clone()),
            code_hash: Set(code.code_hash.clone()),
            created_at: Set(now),
        })
        .collect();
    let codes = people.into_iter().map(|(_, code)| code).collect();
    let batch = letters_in(&txn, consultation, by, "roll", codes).await?;
    // Chunks keep each statement under SQLite's bound-parameter limit.
    for chunk in entries.chunks(500) {
        let chunk = chunk.iter().cloned().map(|mut e| {
            e.batch_id = Set(batch);
            e
        });
        roll_entries::Entity::insert_many(chunk).exec_without_returning(&txn).await.map_err(|e| match AppError::from(e) {
            AppError::Conflict { .. } => AppError::conflict(Some("csv"), "a reference in the file is already on this consultation's roll"),
            other => other,
        })?;
    }
    let made = batch_by_id(&txn, batch).await?;
    let change = Change::new(by, "roll.import", format!("code-batch:{batch}")).consultation(consultation);
    let after = serde_json::json!({"batch": batch, "people": made.count, "after_opening": made.after_opening, "needs_approval": made.needs_approval});
    audit::append(&txn, change.after(after)).await?;
    txn.commit().await?;
    Ok(made)
}
