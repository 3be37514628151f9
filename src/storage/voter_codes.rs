//! Issued voter codes, stored only as keyed hashes.
use chrono::Utc;
use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect, Set};
use uuid::Uuid;

use super::{
    Db,
    audit::{self, Change},
    entities::{consultations, voter_codes},
};
use crate::{audit::Actor, domain::Phase, errors::AppError};

/// A code to store: its lookup hash and its short-link hash (see `security::keys`).
pub struct NewCode {
    pub code_hash: String,
    pub link_hash: String,
}

/// Store a batch of letter codes for a consultation that is a draft or open, all or none.
pub async fn issue(db: &Db, consultation: Uuid, by: Actor, codes: Vec<NewCode>) -> Result<(), AppError> {
    let txn = db.begin_write().await?;
    let row = consultations::Entity::find_by_id(consultation).one(&txn).await?.ok_or_else(|| AppError::not_found("consultation"))?;
    if row.phase != Phase::Draft.as_str() && row.phase != Phase::Open.as_str() {
        return Err(AppError::wrong_phase(format!("voter codes can be made only before voting closes; the consultation is {}", row.phase)));
    }
    let count = codes.len();
    insert_in(&txn, consultation, codes, "letter", None, None).await?;
    let change = Change::new(by, "voter-codes.issue", format!("consultation:{consultation}")).consultation(consultation);
    audit::append(&txn, change.after(serde_json::json!({"kind": "letter", "count": count, "phase": row.phase}))).await?;
    txn.commit().await?;
    Ok(())
}

/// Insert codes of one kind (`letter` or `slip`, with its meeting and, for a slip a letter
/// was exchanged for, the letter's ballot key) inside a transaction.
pub(super) async fn insert_in(
    txn: &DatabaseTransaction,
    consultation: Uuid,
    codes: Vec<NewCode>,
    kind: &str,
    meeting: Option<Uuid>,
    ballot_key: Option<String>,
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
            link_hash: Set(Some(code.link_hash.clone())),
        }))
        .exec(txn)
        .await?;
    }
    Ok(())
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
        .filter(voter_codes::Column::Kind.eq("letter"))
        .count(&db.read)
        .await?;
    let (ballots, _) = super::ballots::change_marker(db, consultation).await?;
    Ok((issued, ballots as u64))
}
