//! Rate limits on guessing: failed voter codes per client address, and sign-in attempts
//! per e-mail address and per client address.
//!
//! Counters live in the database (`storage::rate_limits`), so every instance counts the
//! same attempts. Each instance also remembers which buckets are full until their window
//! ends, so a blocked client costs no database work.
use std::{collections::HashMap, sync::{Arc, Mutex}};

use chrono::Utc;

use crate::{errors::AppError, storage::{self, Db}};

/// At most `max` events per `window_seconds` in one bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub max: u32,
    pub window_seconds: i64,
}

#[derive(Debug, Clone)]
pub struct Limits {
    /// Wrong voter codes from one client address.
    pub code_failures_per_client: Limit,
    /// Sign-in attempts for one e-mail address.
    pub sign_ins_per_email: Limit,
    /// Sign-in attempts from one client address.
    pub sign_ins_per_client: Limit,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            // Generous: a meeting hall may put hundreds of phones behind one address, and
            // 60-bit codes cannot be guessed at this rate anyway; the limit stops floods.
            code_failures_per_client: Limit { max: 100, window_seconds: 600 },
            sign_ins_per_email: Limit { max: 10, window_seconds: 300 },
            sign_ins_per_client: Limit { max: 50, window_seconds: 300 },
        }
    }
}

#[derive(Clone)]
pub struct RateLimiter {
    db: Db,
    pub limits: Limits,
    /// bucket → Unix second at which its window ends.
    blocked: Arc<Mutex<HashMap<String, i64>>>,
}

impl RateLimiter {
    pub fn new(db: Db, limits: Limits) -> Self {
        RateLimiter { db, limits, blocked: Arc::default() }
    }

    fn window(limit: Limit, now: i64) -> (i64, i64) {
        let start = now - now.rem_euclid(limit.window_seconds.max(1));
        (start, start + limit.window_seconds.max(1))
    }

    /// Refuse at once if this instance already knows the bucket is full.
    pub fn check_known(&self, bucket: &str) -> Result<(), AppError> {
        let now = Utc::now().timestamp();
        let mut blocked = self.blocked.lock().map_err(|_| AppError::internal("rate limiter poisoned"))?;
        match blocked.get(bucket) {
            Some(&until) if until > now => Err(AppError::RateLimited { retry_after_seconds: (until - now) as u64 }),
            Some(_) => {
                blocked.remove(bucket);
                Ok(())
            }
            None => Ok(()),
        }
    }

    /// Count one event in the shared counter; refuse if it goes over the limit.
    pub async fn record(&self, bucket: &str, limit: Limit) -> Result<(), AppError> {
        let now = Utc::now().timestamp();
        let (start, end) = Self::window(limit, now);
        let hits = storage::rate_limits::hit(&self.db, bucket, start).await?;
        if hits > limit.max {
            let mut blocked = self.blocked.lock().map_err(|_| AppError::internal("rate limiter poisoned"))?;
            if blocked.len() > 100_000 {
                blocked.retain(|_, until| *until > now);
            }
            blocked.insert(bucket.to_owned(), end);
            return Err(AppError::RateLimited { retry_after_seconds: (end - now).max(1) as u64 });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_are_aligned() {
        let limit = Limit { max: 1, window_seconds: 600 };
        assert_eq!(RateLimiter::window(limit, 1_200), (1_200, 1_800));
        assert_eq!(RateLimiter::window(limit, 1_799), (1_200, 1_800));
    }
}
