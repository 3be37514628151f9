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
//! evaluations *in flight*, and starts an evaluation only while `seen + in_flight` is below
//! the bucket's allowance; beyond that a request waits for one in flight to finish (it is
//! not refused: evaluations take milliseconds), and once `seen` reaches the allowance it is
//! refused until the window ends. So one instance evaluates at most the allowance in failures
//! per window, and N instances at most N times it — without a database write for a request
//! that does not fail (a good voter code costs no more than a lock).
//!
//! The allowance is the limit, plus one *credit* for each success that can happen only once
//! per real credential — a voter code's first ballot ([`Attempt::earned_credit`]) — from that
//! client in the window. So a meeting hall, whose residents cast many first ballots from one
//! address, may mistype as many codes as it likes beyond the limit, one per ballot cast,
//! while a guesser, who has no codes, gets the limit; and no guesser can earn more credits
//! in a whole consultation than it holds real codes. Credits are kept by the instance that
//! saw them and added to a shared counter of their own once a second
//! ([`RateLimiter::add_credits`], one statement for all clients), again so that a good ballot
//! costs no database write; an instance reads the shared credits when a client reaches the
//! allowance it knows of, before refusing it. It counts the credits earned on it at once and
//! the shared ones as last read, taking the larger (never the sum, since the shared ones may
//! include its own), so the allowance it applies never exceeds the credits really earned; a
//! credit lost (an instance stopped within the second) only makes the limit stricter. The
//! arithmetic behind the limits is in docs/privacy.md ("Guessing").
use std::{
    collections::{BTreeMap, HashMap},
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
    /// Wrong voter codes from one client, beyond one per first ballot cast from it (see the
    /// module's documentation).
    pub code_failures_per_client: Limit,
    /// Wrong passwords for one e-mail address from one client.
    pub sign_in_failures_per_email_and_client: Limit,
    /// Wrong passwords for one e-mail address from all clients together: a higher cap
    /// against guessing from many addresses. Reaching it locks the account out for the
    /// rest of the window, so it is well above what one client may try.
    pub sign_in_failures_per_email: Limit,
    /// Sign-in attempts of any kind from one client.
    pub sign_ins_per_client: Limit,
    /// Requests for a voter code by e-mail from one client (each may send one e-mail).
    pub registrations_per_client: Limit,
}

/// Wrong voter codes a client may send per window, beyond one per first ballot it casts
/// (`PBVOTE_CODE_FAILURE_LIMIT`). Set from the arithmetic in docs/privacy.md ("Guessing"):
/// at this rate a guesser behind one address has about a 1 in 317,000 chance of finding any
/// of 300,000 codes (60 bits each) in a 12-week consultation, while a hall of 1,000 phones
/// behind one address could mistype every code once without being refused.
pub const DEFAULT_CODE_FAILURE_LIMIT: u32 = 1_000;
/// The window of the limit on wrong voter codes: 10 minutes.
pub const CODE_FAILURE_WINDOW_SECONDS: i64 = 600;
/// Wrong passwords for one e-mail address from one client per window (`PBVOTE_SIGN_IN_LIMIT`);
/// every sign-in attempt from one client counts against five times as many, and wrong
/// passwords for one e-mail address from clients without a known device against ten times
/// as many (`PBVOTE_SIGN_IN_ACCOUNT_LIMIT`).
pub const DEFAULT_SIGN_IN_LIMIT: u32 = 10;
/// The window of the sign-in limits: 5 minutes.
pub const SIGN_IN_WINDOW_SECONDS: i64 = 300;
/// Requests for a voter code by e-mail from one client address per window
/// (`PBVOTE_REGISTRATION_LIMIT`): each may send one e-mail, so this bounds the mail one
/// address can make pbvote send, while a library's public computers still serve a queue.
pub const DEFAULT_REGISTRATION_LIMIT: u32 = 30;
/// The window of the limit on registrations: an hour.
pub const REGISTRATION_WINDOW_SECONDS: i64 = 3600;

impl Default for Limits {
    fn default() -> Self {
        Limits {
            code_failures_per_client: Limit { max: DEFAULT_CODE_FAILURE_LIMIT, window_seconds: CODE_FAILURE_WINDOW_SECONDS },
            sign_in_failures_per_email_and_client: Limit { max: DEFAULT_SIGN_IN_LIMIT, window_seconds: SIGN_IN_WINDOW_SECONDS },
            sign_in_failures_per_email: Limit { max: DEFAULT_SIGN_IN_LIMIT * 10, window_seconds: SIGN_IN_WINDOW_SECONDS },
            sign_ins_per_client: Limit { max: DEFAULT_SIGN_IN_LIMIT * 5, window_seconds: SIGN_IN_WINDOW_SECONDS },
            registrations_per_client: Limit { max: DEFAULT_REGISTRATION_LIMIT, window_seconds: REGISTRATION_WINDOW_SECONDS },
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
            ("registrations_per_client", self.registrations_per_client),
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

/// How long a request waits for an evaluation slot. Evaluations take milliseconds, so a wait
/// this long means they are not finishing (the database is stuck): the answer is then 503,
/// never a 429 for a code that may be good.
const SLOT_WAIT: Duration = Duration::from_secs(30);

/// How often an instance reads a client's shared credits while it would refuse that client.
const CREDITS_RECHECK: Duration = Duration::from_secs(1);

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

/// The stored name of the shared credits of the counter for `identifier` in `kind`.
pub fn credits_key(keys: &Keys, kind: &str, identifier: &str) -> String {
    keys.rate_limit_bucket("credits", &format!("{kind}:{identifier}"))
}

/// What this instance knows of one bucket.
struct Bucket {
    window_start: i64,
    window_end: i64,
    /// The count in the shared counter, as last seen by this instance.
    seen: u32,
    /// The shared credits, as last read by this instance (all instances' credits added by then).
    credits_read: u32,
    /// Credits earned on this instance in this window, added to the shared ones or not.
    credits_earned: u32,
    /// Of those, the ones not yet added to the shared credits.
    credits_pending: u32,
    /// When this instance last read the shared credits before refusing.
    credits_read_at: Option<tokio::time::Instant>,
    /// Evaluations started here and not yet finished (and, if failed, counted).
    in_flight: u32,
    /// Woken when an evaluation finishes or `seen` or the credits change.
    changed: Arc<Notify>,
}

impl Bucket {
    /// Events allowed in this window, as far as this instance knows: the limit and the
    /// credits. Both the shared credits it has read and the ones earned here are at most the
    /// true number (the first may include some of the second), so the larger of them is too:
    /// never more credits than really happened, and none earned here missing meanwhile.
    fn allowance(&self, limit: Limit) -> u32 {
        limit.max.saturating_add(self.credits_read.max(self.credits_earned))
    }

    /// Nothing to remember: the bucket can be forgotten (the shared counters keep the rest).
    fn idle(&self) -> bool {
        self.in_flight == 0 && self.seen == 0 && self.credits_pending == 0
    }
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
                // here, and loses the credits not yet added, which only makes it stricter)
                // rather than scan a full map on every request.
                map.retain(|_, b| b.in_flight > 0);
            }
        }
        let (start, end) = window(limit, now);
        let bucket = map.entry(name.to_owned()).or_insert_with(|| Bucket {
            window_start: start,
            window_end: end,
            seen: 0,
            credits_read: 0,
            credits_earned: 0,
            credits_pending: 0,
            credits_read_at: None,
            in_flight: 0,
            changed: Arc::default(),
        });
        if bucket.window_start != start {
            bucket.window_start = start;
            bucket.window_end = end;
            bucket.seen = 0;
            bucket.credits_read = 0;
            bucket.credits_earned = 0;
            bucket.credits_pending = 0;
            bucket.credits_read_at = None;
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

    /// The allowance of `name` in the window starting at `window_start`, as far as this
    /// instance knows (just the limit if that window has ended).
    fn allowance(&self, name: &str, limit: Limit, window_start: i64) -> Result<u32, AppError> {
        let mut map = lock(&self.buckets)?;
        let bucket = Self::entry(&mut map, name, limit, Utc::now().timestamp());
        Ok(if bucket.window_start == window_start { bucket.allowance(limit) } else { limit.max })
    }

    /// Bring this instance's view of the shared credits of `name` up to date: add the credits
    /// it has earned and not yet added (or, if none, read them).
    async fn read_credits(&self, name: &str, limit: Limit) -> Result<(), AppError> {
        let (window_start, pending) = {
            let mut map = lock(&self.buckets)?;
            let bucket = Self::entry(&mut map, name, limit, Utc::now().timestamp());
            (bucket.window_start, std::mem::take(&mut bucket.credits_pending))
        };
        let key = self.keys.rate_limit_bucket("credits", name);
        let credits = if pending > 0 {
            storage::rate_limits::add(&self.db, &key, window_start, pending).await
        } else {
            storage::rate_limits::hits(&self.db, &key, window_start).await
        };
        let mut map = lock(&self.buckets)?;
        let bucket = Self::entry(&mut map, name, limit, Utc::now().timestamp());
        if bucket.window_start == window_start {
            match &credits {
                Ok(credits) if *credits > bucket.credits_read => {
                    bucket.credits_read = *credits;
                    bucket.changed.notify_waiters();
                }
                Ok(_) => {}
                Err(_) => bucket.credits_pending = bucket.credits_pending.saturating_add(pending),
            }
        }
        credits.map(|_| ())
    }

    /// Add the credits this instance has earned to the shared counters: one statement per
    /// window for all clients together, so that a good ballot costs no database write of its
    /// own. `startup` runs it every second.
    pub async fn add_credits(&self) -> Result<(), AppError> {
        let now = Utc::now().timestamp();
        let mut by_window: BTreeMap<i64, Vec<(String, u32)>> = BTreeMap::new();
        for (name, bucket) in lock(&self.buckets)?.iter_mut() {
            // Credits of a window that has ended no longer count for anything.
            if bucket.credits_pending > 0 && bucket.window_end > now {
                by_window.entry(bucket.window_start).or_default().push((name.clone(), std::mem::take(&mut bucket.credits_pending)));
            }
        }
        for (window_start, credits) in by_window {
            let keyed: Vec<(String, u32)> = credits.iter().map(|(name, n)| (self.keys.rate_limit_bucket("credits", name), *n)).collect();
            let added = storage::rate_limits::add_many(&self.db, window_start, &keyed).await;
            let mut map = lock(&self.buckets)?;
            for (name, n) in credits {
                let Some(bucket) = map.get_mut(&name).filter(|b| b.window_start == window_start) else { continue };
                if added.is_err() {
                    bucket.credits_pending = bucket.credits_pending.saturating_add(n);
                }
                if bucket.idle() {
                    map.remove(&name);
                }
            }
            added?;
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

    /// Start evaluating something that may fail and then counts against `limit` (a
    /// password). Refused while the bucket is full; waits while the failures seen plus the
    /// evaluations in flight on this instance would reach the limit. With `shared`, the
    /// shared counter is read first, so failures counted by other instances refuse at once
    /// (one read; use it where a read per request is affordable).
    ///
    /// Call [`Attempt::failed`] if the evaluation failed; dropping the attempt ends it.
    pub async fn begin(&self, kind: &'static str, identifier: &str, limit: Limit, shared: bool) -> Result<Attempt<'_>, AppError> {
        self.start(kind, identifier, limit, shared, false).await
    }

    /// Like [`RateLimiter::begin`] (without reading the shared counter first), for a counter
    /// whose allowance grows with credits ([`Attempt::earned_credit`]): a voter code.
    pub async fn begin_credited(&self, kind: &'static str, identifier: &str, limit: Limit) -> Result<Attempt<'_>, AppError> {
        self.start(kind, identifier, limit, false, true).await
    }

    async fn start(
        &self,
        kind: &'static str,
        identifier: &str,
        limit: Limit,
        shared: bool,
        credited: bool,
    ) -> Result<Attempt<'_>, AppError> {
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
                let allowance = bucket.allowance(limit);
                if bucket.seen >= allowance {
                    // Full as far as this instance knows; but credits earned since, here or on
                    // other instances, may have raised the allowance: look (once a second).
                    let look = credited && bucket.credits_read_at.is_none_or(|at| at.elapsed() >= CREDITS_RECHECK);
                    if !look {
                        return Err(refused(bucket.window_end, now));
                    }
                    bucket.credits_read_at = Some(tokio::time::Instant::now());
                    None
                } else if bucket.seen.saturating_add(bucket.in_flight) < allowance {
                    bucket.in_flight += 1;
                    return Ok(Attempt {
                        limiter: self,
                        kind,
                        name,
                        limit,
                        credited,
                        window_start: bucket.window_start,
                        window_end: bucket.window_end,
                    });
                } else {
                    Some(bucket.changed.clone())
                }
            };
            let Some(changed) = changed else {
                self.read_credits(&name, limit).await?;
                continue;
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
                let allowance = bucket.allowance(limit);
                if bucket.seen >= allowance || bucket.seen.saturating_add(bucket.in_flight) < allowance {
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
                tracing::warn!(kind, "no check in flight finished within {} seconds", SLOT_WAIT.as_secs());
                return Err(AppError::Unavailable { detail: "the service is busy; please try again in a minute".into() });
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
    /// Whether the allowance grows with credits.
    credited: bool,
    window_start: i64,
    window_end: i64,
}

impl Attempt<'_> {
    /// The evaluation failed: count it in the shared counter. If the counter has gone over
    /// the allowance (failures on other instances), the failure is refused as such — after
    /// reading the shared credits, which other instances may have raised. A failure that
    /// cannot be counted is an error, never let through uncounted.
    pub async fn failed(self) -> Result<(), AppError> {
        let identifier = &self.name[self.kind.len() + 1..];
        let key = self.limiter.keys.rate_limit_bucket(self.kind, identifier);
        let hits = storage::rate_limits::hit(&self.limiter.db, &key, self.window_start).await?;
        self.limiter.saw(&self.name, self.limit, self.window_start, hits)?;
        if self.credited && hits > self.limiter.allowance(&self.name, self.limit, self.window_start)? {
            self.limiter.read_credits(&self.name, self.limit).await?;
        }
        if hits > self.limiter.allowance(&self.name, self.limit, self.window_start)? {
            return Err(refused(self.window_end, Utc::now().timestamp()));
        }
        Ok(())
    }

    /// The evaluation succeeded in a way that happens only once per real credential (a voter
    /// code's first ballot): the client's allowance grows by one for this window. Only for
    /// attempts begun with [`RateLimiter::begin_credited`]. Never fails: the ballot is stored
    /// by now, and a credit lost only makes the limit stricter.
    pub fn earned_credit(self) {
        if !self.credited {
            return;
        }
        let Ok(mut map) = self.limiter.buckets.lock() else { return };
        let bucket = RateLimiter::entry(&mut map, &self.name, self.limit, Utc::now().timestamp());
        if bucket.window_start == self.window_start {
            bucket.credits_earned = bucket.credits_earned.saturating_add(1);
            bucket.credits_pending = bucket.credits_pending.saturating_add(1);
            bucket.changed.notify_waiters();
        }
        // Unlocked before `self` is dropped, which locks again.
        drop(map);
    }
}

impl Drop for Attempt<'_> {
    fn drop(&mut self) {
        let Ok(mut map) = self.limiter.buckets.lock() else { return };
        if let Some(bucket) = map.get_mut(&self.name) {
            bucket.in_flight = bucket.in_flight.saturating_sub(1);
            bucket.changed.notify_waiters();
            // Nothing to remember: keep the map small (every good ballot passes through here).
            if bucket.idle() {
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
