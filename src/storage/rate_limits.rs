//! Fixed-window counters shared by every instance through the database.
use sea_orm::{
    EntityTrait, Set,
    sea_query::{Expr, ExprTrait, OnConflict},
};

use super::{Db, entities::rate_limits};
use crate::errors::AppError;

/// Count one hit in `bucket` for the window that starts at `window_start` (Unix seconds),
/// in one atomic upsert, and return the hits in that window so far.
pub async fn hit(db: &Db, bucket: &str, window_start: i64) -> Result<u32, AppError> {
    let row = rate_limits::ActiveModel { bucket: Set(bucket.to_owned()), window_start: Set(window_start), hits: Set(1) };
    let same_window = Expr::col((rate_limits::Entity, rate_limits::Column::WindowStart)).eq(window_start);
    let stored = rate_limits::Entity::insert(row)
        .on_conflict(
            OnConflict::column(rate_limits::Column::Bucket)
                .value(
                    rate_limits::Column::Hits,
                    Expr::case(same_window, Expr::col((rate_limits::Entity, rate_limits::Column::Hits)).add(1)).finally(1),
                )
                .value(rate_limits::Column::WindowStart, window_start)
                .to_owned(),
        )
        .exec_with_returning(&db.write)
        .await?;
    Ok(Ord::max(stored.hits, 0) as u32)
}

/// Hits in `bucket` during the window starting at `window_start` (0 if none).
pub async fn hits(db: &Db, bucket: &str, window_start: i64) -> Result<u32, AppError> {
    let row = rate_limits::Entity::find_by_id(bucket.to_owned()).one(&db.read).await?;
    Ok(row.filter(|r| r.window_start == window_start).map_or(0, |r| Ord::max(r.hits, 0) as u32))
}

/// Forget counters whose window started before `before` (Unix seconds).
pub async fn purge(db: &Db, before: i64) -> Result<u64, AppError> {
    use sea_orm::{ColumnTrait, QueryFilter};
    let result = rate_limits::Entity::delete_many().filter(rate_limits::Column::WindowStart.lt(before)).exec(&db.write).await?;
    Ok(result.rows_affected)
}
