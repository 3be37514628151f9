//! Rate limits on guessing: wrong voter codes per client, and sign-ins (every attempt per
//! client; wrong passwords per e-mail address and client, and per e-mail address).
//!
//! Counters live in the database (`storage::rate_limits`), so every instance counts the
//! same events. A counter's name is `kind:` and a keyed hash of what it counts
//! ([`crate::security::Keys::rate_limit_bucket`]): fixed length, and no e-mail or client
//! address in the table.
//!
//! Failures are counted after they have been evaluated, so on its own the shared counter
//! cannot stop a burst sent in parallel (each would be evaluated before any was counted).
//! Each instance therefore also keeps, per bucket, the count it last saw and the number of
//! evaluations *in flight*, and starts an evaluation only while `seen + in_flight < max`;
//! beyond that a request waits (briefly) for one in flight to finish, and once `seen`
//! reaches `max` it is refused until the window ends. So one instance evaluates at most
//! `max` failures per window, and N instances at most N × `max` — without a database
//! write for a request that does not fail (a good voter code costs no more than a lock).
use std::{
    collections::HashMap,
    net::IpAddr,
    sync::{Arc, Mutex},
    time::Duration,
};

use chrono::Utc;
use tokio::sync::Notify;

use crate::{
    errors::AppError,
    security::Keys,
    storage::{self, Db},
};

/// At most `max` events per `window_seconds` in one bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub max: u32,
    pub window_seconds: i64,
}

#[derive(Debug, Clone)]
pub struct Limits {
    /// Wrong voter codes from one client.
    pub code_failures_per_client: Limit,
    /// Wrong passwords for one e-mail address from one client.
    pub sign_in_failures_per_email_and_client: Limit,
    /// Wrong passwords for one e-mail address from all clients together: a higher cap
    /// against guessing from many addresses. Reaching it locks the account out for the
    /// rest of the window, so it is well above what one client may try.
    pub sign_in_failures_per_email: Limit,
    /// Sign-in attempts of any kind from one client.
    pub sign_ins_per_client: Limit,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            // Generous: a meeting hall may put hundreds of phones behind one address, and
            // 60-bit codes cannot be guessed at this rate anyway; the limit stops floods.
            code_failures_per_client: Limit { max: 100, window_seconds: 600 },
            sign_in_failures_per_email_and_client: Limit { max: 10, window_seconds: 300 },
            sign_in_failures_per_email: Limit { max: 100, window_seconds: 300 },
            sign_ins_per_client: Limit { max: 50, window_seconds: 300 },
        }
    }
}

impl Limits {
    pub fn check(&self) -> anyhow::Result<()> {
        for (name, limit) in [
            ("code_failures_per_client", self.code_failures_per_client),
            ("sign_in_failures_per_email_and_client", self.sign_in_failures_per_email_and_client),
            ("sign_in_failures_per_email", self.sign_in_failures_per_email),
            ("sign_ins_per_client", self.sign_ins_per_client),
        ] {
            anyhow::ensure!(limit.max >= 1, "the rate limit {name} must allow at least 1 event");
            anyhow::ensure!(
                (1..=86_400).contains(&limit.window_seconds),
                "the rate limit {name} must have a window of 1 second to 1 day, got {}",
                limit.window_seconds
            );
        }
        Ok(())
    }
}

/// Buckets an instance remembers before it forgets finished ones.
const MAX_BUCKETS: usize = 100_000;

/// How long a request waits for an evaluation slot before it is refused.
const SLOT_WAIT: Duration = Duration::from_secs(5);

/// The bucket of a client address: the address itself, except that IPv6 addresses are
/// grouped by their /64 (an IPv6 user usually holds a whole /64, and could otherwise pick
/// a fresh bucket for every request). IPv4-mapped IPv6 addresses count as IPv4.
pub fn client_group(address: &str) -> String {
    match address.parse::<IpAddr>() {
        Ok(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
        Ok(IpAddr::V4(v4)) => v4.to_string(),
        Err(_) => address.to_owned(),
    }
}

/// The stored name of the counter for `identifier` in `kind` (what [`RateLimiter`] writes).
pub fn bucket_key(keys: &Keys, kind: &str, identifier: &str) -> String {
    keys.rate_limit_bucket(kind, identifier)
}

/// What this instance knows of one bucket.
struct Bucket {
    window_start: i64,
    window_end: i64,
    /// The count in the shared counter, as last seen by this instance.
    seen: u32,
    /// Evaluations started here and not yet finished (and, if failed, counted).
    in_flight: u32,
    /// Woken when an evaluation finishes or `seen` changes.
    changed: Arc<Notify>,
}

type Buckets = Arc<Mutex<HashMap<String, Bucket>>>;

#[derive(Clone)]
pub struct RateLimiter {
    db: Db,
    keys: Keys,
    pub limits: Limits,
    /// `kind:identifier` → what this instance knows of it.
    buckets: Buckets,
}

fn window(limit: Limit, now: i64) -> (i64, i64) {
    let length = limit.window_seconds.max(1);
    let start = now - now.rem_euclid(length);
    (start, start + length)
}

fn lock(buckets: &Buckets) -> Result<std::sync::MutexGuard<'_, HashMap<String, Bucket>>, AppError> {
    buckets.lock().map_err(|_| AppError::internal("rate limiter poisoned"))
}

fn refused(until: i64, now: i64) -> AppError {
    AppError::RateLimited { retry_after_seconds: (until - now).max(1) as u64 }
}

impl RateLimiter {
    pub fn new(db: Db, keys: Keys, limits: Limits) -> Self {
        RateLimiter { db, keys, limits, buckets: Arc::default() }
    }

    /// The entry for `name` in the current window (a new one, or one reset for a new window).
    fn entry<'a>(map: &'a mut HashMap<String, Bucket>, name: &str, limit: Limit, now: i64) -> &'a mut Bucket {
        if map.len() > MAX_BUCKETS {
            map.retain(|_, b| b.in_flight > 0 || b.window_end > now);
            if map.len() > MAX_BUCKETS / 2 {
                // A flood of distinct clients: forget what this instance saw (the shared
                // counters still count; a forgotten client may get up to `max` more checks
                // here) rather than scan a full map on every request.
                map.retain(|_, b| b.in_flight > 0);
            }
        }
        let (start, end) = window(limit, now);
        let bucket = map.entry(name.to_owned()).or_insert_with(|| Bucket {
            window_start: start,
            window_end: end,
            seen: 0,
            in_flight: 0,
            changed: Arc::default(),
        });
        if bucket.window_start != start {
            bucket.window_start = start;
            bucket.window_end = end;
            bucket.seen = 0;
        }
        bucket
    }

    /// Note a count read from or written to the shared counter.
    fn saw(&self, name: &str, limit: Limit, window_start: i64, hits: u32) -> Result<(), AppError> {
        let now = Utc::now().timestamp();
        let mut map = lock(&self.buckets)?;
        let bucket = Self::entry(&mut map, name, limit, now);
        if bucket.window_start == window_start && hits > bucket.seen {
            bucket.seen = hits;
            bucket.changed.notify_waiters();
        }
        Ok(())
    }

    /// Count one event (e.g. any sign-in attempt) in the shared counter, and refuse it if it
    /// goes over the limit. A bucket this instance already knows is full is refused without
    /// asking the database.
    pub async fn record(&self, kind: &str, identifier: &str, limit: Limit) -> Result<(), AppError> {
        let name = format!("{kind}:{identifier}");
        let now = Utc::now().timestamp();
        let (start, end) = window(limit, now);
        {
            let mut map = lock(&self.buckets)?;
            let bucket = Self::entry(&mut map, &name, limit, now);
            if bucket.seen >= limit.max {
                return Err(refused(end, now));
            }
        }
        let hits = storage::rate_limits::hit(&self.db, &self.keys.rate_limit_bucket(kind, identifier), start).await?;
        self.saw(&name, limit, start, hits)?;
        if hits > limit.max {
            return Err(refused(end, now));
        }
        Ok(())
    }

    /// Start evaluating something that may fail and then counts against `limit` (a voter
    /// code, a password). Refused while the bucket is full; waits while the failures seen
    /// plus the evaluations in flight on this instance would reach the limit. With `shared`,
    /// the shared counter is read first, so failures counted by other instances refuse at
    /// once (one read; use it where a read per request is affordable).
    ///
    /// Call [`Attempt::failed`] if the evaluation failed; dropping the attempt ends it.
    pub async fn begin(&self, kind: &'static str, identifier: &str, limit: Limit, shared: bool) -> Result<Attempt<'_>, AppError> {
        let name = format!("{kind}:{identifier}");
        if shared {
            let start = window(limit, Utc::now().timestamp()).0;
            let hits = storage::rate_limits::hits(&self.db, &self.keys.rate_limit_bucket(kind, identifier), start).await?;
            self.saw(&name, limit, start, hits)?;
        }
        let deadline = tokio::time::Instant::now() + SLOT_WAIT;
        loop {
            let changed = {
                let now = Utc::now().timestamp();
                let mut map = lock(&self.buckets)?;
                let bucket = Self::entry(&mut map, &name, limit, now);
                if bucket.seen >= limit.max {
                    return Err(refused(bucket.window_end, now));
                }
                if bucket.seen.saturating_add(bucket.in_flight) < limit.max {
                    bucket.in_flight += 1;
                    return Ok(Attempt {
                        limiter: self,
                        kind,
                        name,
                        limit,
                        window_start: bucket.window_start,
                        window_end: bucket.window_end,
                    });
                }
                bucket.changed.clone()
            };
            // Wait for an evaluation in flight to finish (or for a new window).
            let notified = changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            // The lock was released before `enable`; check again that nothing changed.
            {
                let now = Utc::now().timestamp();
                let mut map = lock(&self.buckets)?;
                let bucket = Self::entry(&mut map, &name, limit, now);
                if bucket.seen >= limit.max || bucket.seen.saturating_add(bucket.in_flight) < limit.max {
                    continue;
                }
            }
            let until_next_second = Duration::from_millis(1000 - u64::from(Utc::now().timestamp_subsec_millis().min(999)));
            let wake = (tokio::time::Instant::now() + until_next_second).min(deadline);
            tokio::select! {
                _ = &mut notified => {}
                _ = tokio::time::sleep_until(wake) => {}
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(AppError::RateLimited { retry_after_seconds: 1 });
            }
        }
    }
}

/// An evaluation in flight (see [`RateLimiter::begin`]).
pub struct Attempt<'a> {
    limiter: &'a RateLimiter,
    kind: &'static str,
    /// `kind:identifier`.
    name: String,
    limit: Limit,
    window_start: i64,
    window_end: i64,
}

impl Attempt<'_> {
    /// The evaluation failed: count it in the shared counter. If the counter has gone over
    /// the limit (failures on other instances), the failure is refused as such. A failure
    /// that cannot be counted is an error, never let through uncounted.
    pub async fn failed(self) -> Result<(), AppError> {
        let identifier = &self.name[self.kind.len() + 1..];
        let key = self.limiter.keys.rate_limit_bucket(self.kind, identifier);
        let hits = storage::rate_limits::hit(&self.limiter.db, &key, self.window_start).await?;
        self.limiter.saw(&self.name, self.limit, self.window_start, hits)?;
        if hits > self.limit.max {
            return Err(refused(self.window_end, Utc::now().timestamp()));
        }
        Ok(())
    }
}

impl Drop for Attempt<'_> {
    fn drop(&mut self) {
        let Ok(mut map) = self.limiter.buckets.lock() else { return };
        if let Some(bucket) = map.get_mut(&self.name) {
            bucket.in_flight = bucket.in_flight.saturating_sub(1);
            bucket.changed.notify_waiters();
            // Nothing to remember: keep the map small (every good ballot passes through here).
            if bucket.in_flight == 0 && bucket.seen == 0 {
                map.remove(&self.name);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_are_aligned() {
        let limit = Limit { max: 1, window_seconds: 600 };
        assert_eq!(window(limit, 1_200), (1_200, 1_800));
        assert_eq!(window(limit, 1_799), (1_200, 1_800));
    }

    #[test]
    fn ipv6_clients_are_grouped_by_slash_64() {
        assert_eq!(client_group("2001:db8:1:2::1"), "2001:db8:1:2::/64");
        assert_eq!(client_group("2001:db8:1:2:ffff:1:2:3"), "2001:db8:1:2::/64");
        assert_ne!(client_group("2001:db8:1:3::1"), client_group("2001:db8:1:2::1"));
        assert_eq!(client_group("::ffff:203.0.113.9"), "203.0.113.9");
        assert_eq!(client_group("203.0.113.9"), "203.0.113.9");
        assert_eq!(client_group("unknown"), "unknown");
    }

    #[test]
    fn bucket_names_have_a_fixed_length_and_hide_what_they_count() {
        let keys = Keys::new(crate::config::Secret::new(vec![7u8; 32]).unwrap());
        let email = format!("{}@example.org", "a".repeat(240));
        let name = bucket_key(&keys, "sign-in-account-failures", &email);
        assert_eq!(name.len(), "sign-in-account-failures:".len() + 64);
        assert!(!name.contains("example"));
        assert_ne!(name, bucket_key(&keys, "sign-in-account-failures", "b@example.org"));
        assert_ne!(name, bucket_key(&keys, "voter-code-failures", &email));
    }
}
