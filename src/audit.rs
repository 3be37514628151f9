//! The audit record's hash chain: what an entry holds, how its hash is made, and how the
//! chain is checked. (Storing and reading it is `storage::audit`.)
//!
//! Every staff action writes one entry, in the same transaction as the action. Entries are
//! numbered 1, 2, 3… without gaps; each carries the SHA-256 of the entry before it
//! (`prev_hash`; the first carries 64 zeros) and its own `hash`, the SHA-256 of its fields
//! and `prev_hash`. Changing an entry changes its hash; recomputing that hash breaks the
//! next entry's link; deleting one leaves a gap; deleting the newest ones leaves the chain
//! shorter than the head (the last number and hash, kept beside it) says.
use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// The `prev_hash` of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Who did something.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    /// A signed-in account.
    Staff(Uuid),
    /// The `pbvote` command (making the first admin, loading the demo).
    Command(&'static str),
}

/// One entry of the record. `before` and `after` are JSON text, kept exactly as hashed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
    pub seq: u64,
    pub at: DateTime<Utc>,
    /// The account, or `null` for the `pbvote` command.
    pub actor_id: Option<Uuid>,
    /// The account's e-mail address at the time, or the command.
    pub actor: String,
    /// What was done, e.g. `consultation.open`, `voter-codes.issue`, `account.disable`.
    pub action: String,
    /// What it was done to, e.g. `consultation:0b6d…`, `meeting:…`, `account:…`.
    pub subject: String,
    pub consultation_id: Option<Uuid>,
    pub before: Option<String>,
    pub after: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

/// An entry's time as hashed: RFC 3339, UTC, microseconds (what both databases keep).
pub fn time_text(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// Now, to the microsecond (so the time read back is the time hashed).
pub fn now() -> DateTime<Utc> {
    let now = Utc::now();
    DateTime::from_timestamp_micros(now.timestamp_micros()).unwrap_or(now)
}

impl AuditEntry {
    /// SHA-256 (64 lower-case hex digits) of the entry's fields and `prev_hash`, as one
    /// JSON array in a fixed order.
    pub fn compute_hash(&self) -> String {
        let fields = serde_json::json!([
            self.seq,
            time_text(self.at),
            self.actor_id,
            self.actor,
            self.action,
            self.subject,
            self.consultation_id,
            self.before,
            self.after,
            self.prev_hash,
        ]);
        hex(&Sha256::digest(fields.to_string().as_bytes()))
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Where the chain is broken: the first entry that does not check, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Broken {
    /// The number of the first entry that does not check.
    pub seq: u64,
    pub reason: String,
}

impl std::fmt::Display for Broken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "entry {}: {}", self.seq, self.reason)
    }
}

/// Checks entries one at a time, in order of their numbers.
pub struct Checker {
    next: u64,
    prev_hash: String,
}

impl Default for Checker {
    fn default() -> Self {
        Checker { next: 1, prev_hash: GENESIS.to_owned() }
    }
}

impl Checker {
    pub fn check(&mut self, entry: &AuditEntry) -> Result<(), Broken> {
        if entry.seq != self.next {
            return Err(Broken {
                seq: self.next,
                reason: format!("is missing (the next entry there is {}): entries were deleted", entry.seq),
            });
        }
        if entry.prev_hash != self.prev_hash {
            return Err(Broken {
                seq: entry.seq,
                reason: format!("does not follow entry {}: the previous hash it carries is not that entry's", entry.seq - 1),
            });
        }
        if entry.compute_hash() != entry.hash {
            return Err(Broken { seq: entry.seq, reason: "was changed: its hash does not match what it records".into() });
        }
        self.next += 1;
        self.prev_hash = entry.hash.clone();
        Ok(())
    }

    /// After the last entry: the head (the last number and hash written) must be where the
    /// chain ended. Returns how many entries were checked.
    pub fn finish(self, head_seq: u64, head_hash: &str) -> Result<u64, Broken> {
        let checked = self.next - 1;
        if checked < head_seq {
            return Err(Broken {
                seq: self.next,
                reason: format!("is missing: {head_seq} entries were written, the record ends at {checked}"),
            });
        }
        if checked == head_seq && self.prev_hash != head_hash {
            return Err(Broken {
                seq: checked,
                reason: "is not the entry last written: its hash differs from the one kept as the head".into(),
            });
        }
        Ok(checked)
    }
}

/// A cell as a spreadsheet shows it, never as a formula: text that begins with `=`, `+`,
/// `-`, `@`, a tab or a carriage return gets a leading `'` (OWASP's advice for CSV).
fn cell(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{text}") } else { text.to_owned() }
}

/// The record as CSV, one entry a row, with both hashes so a copy can be checked.
pub fn csv(entries: &[AuditEntry]) -> Result<String, csv::Error> {
    let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(Vec::new());
    w.write_record(["seq", "at", "actor_id", "actor", "action", "subject", "consultation_id", "before", "after", "prev_hash", "hash"])?;
    for e in entries {
        w.write_record([
            e.seq.to_string(),
            time_text(e.at),
            e.actor_id.map(|id| id.to_string()).unwrap_or_default(),
            cell(&e.actor),
            cell(&e.action),
            cell(&e.subject),
            e.consultation_id.map(|id| id.to_string()).unwrap_or_default(),
            cell(e.before.as_deref().unwrap_or("")),
            cell(e.after.as_deref().unwrap_or("")),
            e.prev_hash.clone(),
            e.hash.clone(),
        ])?;
    }
    let bytes = w.into_inner().map_err(|e| csv::Error::from(e.into_error()))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: u64) -> Vec<AuditEntry> {
        let mut prev = GENESIS.to_owned();
        (1..=n)
            .map(|seq| {
                let mut e = AuditEntry {
                    seq,
                    at: now(),
                    actor_id: Some(Uuid::nil()),
                    actor: "ann@council.example".into(),
                    action: "consultation.open".into(),
                    subject: format!("consultation:{seq}"),
                    consultation_id: None,
                    before: Some(r#"{"phase":"draft"}"#.into()),
                    after: Some(r#"{"phase":"open"}"#.into()),
                    prev_hash: prev.clone(),
                    hash: String::new(),
                };
                e.hash = e.compute_hash();
                prev = e.hash.clone();
                e
            })
            .collect()
    }

    fn verify(entries: &[AuditEntry], head: u64, head_hash: &str) -> Result<u64, Broken> {
        let mut checker = Checker::default();
        for e in entries {
            checker.check(e)?;
        }
        checker.finish(head, head_hash)
    }

    #[test]
    fn an_untouched_chain_checks() {
        let c = chain(5);
        assert_eq!(verify(&c, 5, &c[4].hash), Ok(5));
        assert_eq!(verify(&[], 0, GENESIS), Ok(0));
    }

    #[test]
    fn each_kind_of_tampering_names_the_entry() {
        let c = chain(5);
        let head = c[4].hash.clone();
        let mut changed = c.clone();
        changed[2].after = Some(r#"{"phase":"closed"}"#.into());
        assert_eq!(verify(&changed, 5, &head).unwrap_err().seq, 3);
        // Recomputing the changed entry's hash breaks the link of the next.
        changed[2].hash = changed[2].compute_hash();
        let broken = verify(&changed, 5, &head).unwrap_err();
        assert_eq!(broken.seq, 4);
        assert!(broken.reason.contains("does not follow entry 3"), "{broken}");
        let mut gap = c.clone();
        gap.remove(1);
        assert_eq!(verify(&gap, 5, &head).unwrap_err().seq, 2);
        let shortened = &c[..3];
        assert_eq!(verify(shortened, 5, &head).unwrap_err().seq, 4);
        let mut moved = c.clone();
        moved[0].at += chrono::Duration::seconds(1);
        assert_eq!(verify(&moved, 5, &head).unwrap_err().seq, 1);
    }

    #[test]
    fn the_csv_has_a_row_an_entry_and_no_formulas() {
        let mut c = chain(2);
        c[1].actor = "=HYPERLINK(\"x\")".into();
        let text = csv(&c).unwrap();
        assert_eq!(text.lines().count(), 3);
        assert!(text.contains("'=HYPERLINK"), "{text}");
        assert!(text.contains(&c[1].hash));
    }
}
