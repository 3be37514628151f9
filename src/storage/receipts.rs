//! Receipts: every one ever given, as a keyed hash with the day its ballot arrived.
//!
//! A receipt proves that a ballot arrived, and nothing else: it is not linked to the ballot
//! (no column joins them, and only the day is kept, not the time), and a receipt whose
//! ballot was later replaced by the same voter answers exactly as the latest one does. So a
//! vote buyer who collects receipts cannot tell who voted again, and whoever reads the
//! database cannot check a receipt without the server key.
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QuerySelect, Set};
use uuid::Uuid;

use super::{
    Db,
    entities::{consultations, receipts},
};
use crate::{errors::AppError, security::Keys};

/// Record a receipt, inside the transaction that stores its ballot.
pub(super) async fn add(txn: &DatabaseTransaction, consultation: Uuid, receipt_hash: &str, at: DateTime<Utc>) -> Result<(), AppError> {
    receipts::Entity::insert(receipts::ActiveModel {
        receipt_hash: Set(receipt_hash.to_owned()),
        consultation_id: Set(consultation),
        received_on: Set(at.date_naive()),
    })
    .exec_without_returning(txn)
    .await?;
    Ok(())
}

/// What a receipt proves: that a ballot arrived for this consultation on this day.
pub struct ReceiptCheck {
    pub consultation_id: Uuid,
    pub consultation_title: String,
    pub received_on: NaiveDate,
}

/// Find a receipt by its keyed hash. Unknown receipts are 404.
pub async fn check(db: &Db, receipt_hash: &str) -> Result<ReceiptCheck, AppError> {
    let (consultation_id, received_on) = receipts::Entity::find_by_id(receipt_hash.to_owned())
        .select_only()
        .column(receipts::Column::ConsultationId)
        .column(receipts::Column::ReceivedOn)
        .into_tuple::<(Uuid, NaiveDate)>()
        .one(&db.read)
        .await?
        .ok_or_else(|| AppError::not_found("receipt"))?;
    let title = consultations::Entity::find_by_id(consultation_id)
        .select_only()
        .column(consultations::Column::Title)
        .into_tuple::<String>()
        .one(&db.read)
        .await?
        .unwrap_or_default();
    Ok(ReceiptCheck { consultation_id, consultation_title: title, received_on })
}

/// Receipts that the migration moved out of the ballots table are stored as `plain:R-…`
/// (the migration does not know the server key): replace each by its keyed hash. Runs at
/// start-up, before the server answers, in one transaction; does nothing once done.
pub async fn hash_moved_receipts(db: &Db, keys: &Keys) -> Result<u64, AppError> {
    const PREFIX: &str = "plain:";
    let txn = db.begin_write().await?;
    let moved: Vec<String> = receipts::Entity::find()
        .select_only()
        .column(receipts::Column::ReceiptHash)
        .filter(receipts::Column::ReceiptHash.starts_with(PREFIX))
        .into_tuple()
        .all(&txn)
        .await?;
    for old in &moved {
        let hash = crate::domain::Receipt::parse(&old[PREFIX.len()..])
            .map(|receipt| keys.receipt_hash(&receipt))
            .map_err(|e| AppError::internal(format!("a moved receipt is not a receipt: {e}")))?;
        receipts::Entity::update_many()
            .col_expr(receipts::Column::ReceiptHash, sea_orm::sea_query::Expr::value(hash))
            .filter(receipts::Column::ReceiptHash.eq(old.as_str()))
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    if !moved.is_empty() && db.kind() == crate::config::DatabaseKind::Sqlite {
        // The plain receipts are still in the file's free pages (the old ballots table) and
        // in the WAL: rewrite the file and empty the WAL, once, so none is left on disk.
        use sea_orm::ConnectionTrait;
        for sql in ["PRAGMA wal_checkpoint(TRUNCATE)", "VACUUM", "PRAGMA wal_checkpoint(TRUNCATE)"] {
            db.write.execute_unprepared(sql).await?;
        }
    }
    Ok(moved.len() as u64)
}
