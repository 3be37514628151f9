//! Voter rolls: each person of an imported roll with the keyed hash of their code. Linked
//! to codes, never to ballots (see the migration and docs/privacy.md).
use chrono::Utc;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect, Set, sea_query::Expr};
use uuid::Uuid;

use super::{
    Db,
    audit::{self, Change},
    entities::{ballots, consultations, roll_entries, voter_codes},
    voter_codes::{NewCode, batch_by_id, letters_in},
};
use crate::{
    audit::Actor,
    domain::Phase,
    errors::AppError,
    model::{CodeBatch, RollEntry},
    rolls::RollRow,
};

fn to_entry(row: roll_entries::Model, code: Option<voter_codes::Model>) -> RollEntry {
    RollEntry {
        id: row.id,
        line: row.line.max(0) as u64,
        reference: row.reference,
        name: row.name,
        address: row.address,
        area: row.area,
        revoked: code.as_ref().is_some_and(|c| c.kind == "revoked"),
        voted: code.is_some_and(|c| c.used),
    }
}

/// A person of the consultation's roll, by the council's reference.
pub async fn find(db: &Db, consultation: Uuid, reference: &str) -> Result<RollEntry, AppError> {
    let row = roll_entries::Entity::find()
        .filter(roll_entries::Column::ConsultationId.eq(consultation))
        .filter(roll_entries::Column::Reference.eq(reference))
        .one(&db.read)
        .await?
        .ok_or_else(|| AppError::not_found("person on the roll with this reference"))?;
    let code = voter_codes::Entity::find_by_id(row.code_hash.clone()).one(&db.read).await?;
    Ok(to_entry(row, code))
}

/// The consultation a roll entry belongs to.
pub async fn consultation_of(db: &Db, entry: Uuid) -> Result<Uuid, AppError> {
    roll_entries::Entity::find_by_id(entry)
        .select_only()
        .column(roll_entries::Column::ConsultationId)
        .into_tuple()
        .one(&db.read)
        .await?
        .ok_or_else(|| AppError::not_found("person on the roll"))
}

/// What a revocation did.
pub struct Revoked {
    pub entry: RollEntry,
    /// Whether the person's ballot was found (with the letter's code) and taken out.
    pub ballot_removed: bool,
    /// The replacement's batch, when a new code was made.
    pub batch: Option<CodeBatch>,
}

/// Revoke a person's code while voting has not closed: it votes no more, and — when the
/// letter's code is given (`letter`: its lookup hash and ballot key; the roll holds only the
/// lookup hash, so nothing else can find the ballot) — the ballot cast with it leaves the
/// count. With `replacement`, the person gets a new code (a batch of its own). One
/// transaction, with the audit entry.
pub async fn revoke(
    db: &Db,
    by: Actor,
    entry: Uuid,
    letter: Option<(String, String)>,
    reason: &str,
    replacement: Option<NewCode>,
) -> Result<Revoked, AppError> {
    let txn = db.begin_write().await?;
    let row = roll_entries::Entity::find_by_id(entry).one(&txn).await?.ok_or_else(|| AppError::not_found("person on the roll"))?;
    let consultation = row.consultation_id;
    let phase: String = consultations::Entity::find_by_id(consultation)
        .select_only()
        .column(consultations::Column::Phase)
        .into_tuple()
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::not_found("consultation"))?;
    if phase != Phase::Draft.as_str() && phase != Phase::Open.as_str() {
        return Err(AppError::wrong_phase("codes can be revoked only before voting closes: the count is final"));
    }
    let code = voter_codes::Entity::find_by_id(row.code_hash.clone()).one(&txn).await?.ok_or_else(|| AppError::not_found("code"))?;
    if code.kind == "revoked" {
        return Err(AppError::conflict(None, "this person's code is already revoked"));
    }
    let mut ballot_removed = false;
    if let Some((lookup, voter_key)) = &letter {
        if *lookup != row.code_hash {
            return Err(AppError::invalid("letter_code", "is not the code this person was sent"));
        }
        let deleted = ballots::Entity::delete_many()
            .filter(ballots::Column::ConsultationId.eq(consultation))
            .filter(ballots::Column::VoterKey.eq(voter_key.clone()))
            .exec(&txn)
            .await?;
        ballot_removed = deleted.rows_affected > 0;
        // A slip given for this letter at a meeting's door votes as the letter: it goes too.
        voter_codes::Entity::update_many()
            .col_expr(voter_codes::Column::Kind, Expr::value("revoked"))
            .filter(voter_codes::Column::ConsultationId.eq(consultation))
            .filter(voter_codes::Column::BallotKey.eq(voter_key.clone()))
            .exec(&txn)
            .await?;
    }
    voter_codes::Entity::update_many()
        .col_expr(voter_codes::Column::Kind, Expr::value("revoked"))
        .filter(voter_codes::Column::CodeHash.eq(row.code_hash.clone()))
        .exec(&txn)
        .await?;
    let mut batch = None;
    if let Some(new) = replacement {
        let new_hash = new.code_hash.clone();
        let id = letters_in(&txn, consultation, by, "roll", None, vec![new]).await?;
        roll_entries::Entity::update_many()
            .col_expr(roll_entries::Column::CodeHash, Expr::value(new_hash))
            .col_expr(roll_entries::Column::BatchId, Expr::value(id))
            .filter(roll_entries::Column::Id.eq(entry))
            .exec(&txn)
            .await?;
        batch = Some(batch_by_id(&txn, id).await?);
    }
    let change = Change::new(by, "roll.revoke", format!("roll-entry:{entry}")).consultation(consultation);
    let after = serde_json::json!({
        "reason": reason, "ballot_removed": ballot_removed, "letter_code_given": letter.is_some(),
        "replacement_batch": batch.as_ref().map(|b| b.id),
    });
    audit::append(&txn, change.before(serde_json::json!({"revoked": false})).after(after)).await?;
    let now_row = roll_entries::Entity::find_by_id(entry).one(&txn).await?.ok_or_else(|| AppError::not_found("person on the roll"))?;
    let now_code = voter_codes::Entity::find_by_id(now_row.code_hash.clone()).one(&txn).await?;
    txn.commit().await?;
    Ok(Revoked { entry: to_entry(now_row, now_code), ballot_removed, batch })
}

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
    let batch = letters_in(&txn, consultation, by, "roll", None, codes).await?;
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

/// What retention deleted.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Purged {
    /// People on voter rolls (names, addresses, references, areas).
    pub people: u64,
    /// Residents' e-mail addresses (their keyed hashes) kept to allow one code per address.
    pub email_addresses: u64,
}

/// Retention: delete the voter rolls (names, addresses, references, areas) and the
/// registrations by e-mail (the addresses' keyed hashes) of every consultation published at
/// least `days` days before `now`, keeping the anonymised ballots, the codes' hashes and the
/// published record. One transaction per consultation, each with its audit entry (how many,
/// never who).
pub async fn purge_published(db: &Db, now: chrono::DateTime<Utc>, days: u32) -> Result<Purged, AppError> {
    let cutoff = now - chrono::Duration::days(i64::from(days));
    let published = consultations::Entity::find().filter(consultations::Column::Phase.eq(Phase::Published.as_str())).all(&db.read).await?;
    let mut purged = Purged::default();
    for c in published.into_iter().filter(|c| c.published_at.unwrap_or(c.updated_at) <= cutoff) {
        let txn = db.begin_write().await?;
        let people =
            roll_entries::Entity::delete_many().filter(roll_entries::Column::ConsultationId.eq(c.id)).exec(&txn).await?.rows_affected;
        let email_addresses = super::registrations::delete_in(&txn, c.id).await?;
        if people > 0 || email_addresses > 0 {
            let change = Change::new(Actor::Command("pbvote (retention)"), "retention.delete-roll", format!("consultation:{}", c.id))
                .consultation(c.id);
            let after = serde_json::json!({"people_deleted": people, "email_addresses_deleted": email_addresses, "retention_days": days});
            audit::append(&txn, change.after(after)).await?;
        }
        txn.commit().await?;
        purged.people += people;
        purged.email_addresses += email_addresses;
    }
    // secure_delete has zeroed the rows in the database; empty the log of them too.
    if purged != Purged::default() && !super::wal_checkpoint::now(db).await {
        tracing::warn!("the voter rolls were deleted, but the write-ahead log could not be emptied yet; it will be at the next checkpoint");
    }
    Ok(purged)
}
