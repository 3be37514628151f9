//! Fixed-window counters shared by every instance through the database.
use sea_orm::{
    EntityTrait, Set,
    sea_query::{Alias, Expr, ExprTrait, OnConflict},
};

use super::{Db, entities::rate_limits};
use crate::errors::AppError;

/// Count one hit in `bucket` for the window that starts at `window_start` (Unix seconds),
/// in one atomic upsert, and return the hits in that window so far.
pub async fn hit(db: &Db, bucket: &str, window_start: i64) -> Result<u32, AppError> {
    add(db, bucket, window_start, 1).await
}

/// Add `count` hits to `bucket` for the window that starts at `window_start`, in one atomic
/// upsert, and return the hits in that window so far.
pub async fn add(db: &Db, bucket: &str, window_start: i64, count: u32) -> Result<u32, AppError> {
    let count = stored_count(count);
    let row = rate_limits::ActiveModel { bucket: Set(bucket.to_owned()), window_start: Set(window_start), hits: Set(count) };
    let stored =
        rate_limits::Entity::insert(row).on_conflict(add_in_window(window_start, Expr::val(count))).exec_with_returning(&db.write).await?;
    Ok(Ord::max(stored.hits, 0) as u32)
}

/// Add to many buckets at once, all for the window that starts at `window_start`: one
/// statement per 500 buckets, whatever their number. Each bucket may appear once.
pub async fn add_many(db: &Db, window_start: i64, counts: &[(String, u32)]) -> Result<(), AppError> {
    for chunk in counts.chunks(500) {
        let rows = chunk.iter().map(|(bucket, count)| rate_limits::ActiveModel {
            bucket: Set(bucket.clone()),
            window_start: Set(window_start),
            hits: Set(stored_count(*count)),
        });
        // The row that would have been inserted is `excluded`, in SQLite as in PostgreSQL.
        let proposed = Expr::col((Alias::new("excluded"), rate_limits::Column::Hits));
        rate_limits::Entity::insert_many(rows).on_conflict(add_in_window(window_start, proposed)).exec_without_returning(&db.write).await?;
    }
    Ok(())
}

/// On a clash with a stored bucket: add `count` if it holds the same window, else start the
/// window afresh at `count`.
fn add_in_window(window_start: i64, count: Expr) -> OnConflict {
    let same_window = Expr::col((rate_limits::Entity, rate_limits::Column::WindowStart)).eq(window_start);
    OnConflict::column(rate_limits::Column::Bucket)
        .value(
            rate_limits::Column::Hits,
            Expr::case(same_window, Expr::col((rate_limits::Entity, rate_limits::Column::Hits)).add(count.clone())).finally(count),
        )
        .value(rate_limits::Column::WindowStart, window_start)
        .to_owned()
}

/// The column is a 32-bit integer; no window comes near that many hits.
fn stored_count(count: u32) -> i32 {
    i32::try_from(count).unwrap_or(i32::MAX)
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
