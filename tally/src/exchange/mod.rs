//! The exchange format: one JSON document in, one JSON document out, so that
//! anyone can recount a published result offline.
//!
//! Input:
//!
//! ```json
//! {"currency": "GBP",
//!  "config": {"rank_depth": 3, "savings_target": 80000},
//!  "services": [{"id": "day-centre", "name": "Day centre"}],
//!  "proposals": [{"id": "S1", "kind": "saving", "amount": 80000, "service": "day-centre"}],
//!  "ballots": [{"want": ["S1"], "dont_want": [], "uses": ["day-centre"], "channel": "online", "area": "North"}]}
//! ```
//!
//! `proposals` and `ballots` are required; a missing `config` or any of its
//! fields takes the default; missing `services`, `want`, `dont_want`, `uses`
//! are empty; `null` in any of these optional places (and in `savings_target`,
//! `development_budget`, a service's `name`, a proposal's `service` and `title`,
//! a ballot's `channel` and `area`) counts as missing; unknown fields (titles,
//! names, notes) are ignored. `currency`, optional, is an ISO 4217 code (three
//! capital letters) in which the explanations write amounts (`£800.00` rather
//! than `80,000`); the count does not depend on it. `withheld`, optional, holds ballots
//! given as sums rather than listed ([`crate::Withheld`]; written by
//! [`crate::disclosure::anonymise`] for files that are published); they count as the
//! ballots they stand for. `note`, optional, is text for people; the count ignores it.
//! Output is [`TallyResult`] as JSON.

mod de;

use crate::count::Count;
use crate::error::TallyError;
use crate::model::{BallotPaper, Election};
use crate::result::TallyResult;

use de::{ElectionSeed, Path, RawElection};
use serde::de::DeserializeSeed;

/// Parses an exchange document. Errors name the place, e.g.
/// `proposals[2].kind: unknown variant `pool`, expected `saving` or `development` (line 1, column 312)`.
/// Only the form is checked here; [`crate::tally`] checks the content.
pub fn parse(input: &[u8]) -> Result<Election, TallyError> {
    parse_raw(input, false).map(RawElection::into_election)
}

/// Parses and counts an exchange document: the fast path the CLI uses. When
/// `config`, `services` and `proposals` come before `ballots`, each ballot is
/// counted as it is read, its ids interned straight from the input buffer;
/// otherwise the ballots are buffered (still borrowed) and counted after.
/// Either way the result equals `tally(&parse(input)?)`.
pub fn count(input: &[u8]) -> Result<TallyResult, TallyError> {
    let raw = parse_raw(input, true)?;
    if let Some(result) = raw.counted {
        return Ok(result);
    }
    let paper = BallotPaper::new(raw.config, raw.services, raw.proposals)?;
    let currency = raw.currency;
    let mut count = Count::new(&paper);
    for (index, ballot) in raw.ballots.iter().enumerate() {
        count
            .add_ids(ballot.want, ballot.dont_want, ballot.uses, ballot.channel, ballot.area)
            .map_err(|error| TallyError::Ballot { index, error })?;
    }
    if let Some(withheld) = &raw.withheld {
        count.add_withheld(withheld)?;
    }
    Ok(count.result_in(currency.as_deref()))
}

/// Writes an election in the exchange format (compact JSON).
pub fn to_json(election: &Election) -> String {
    // Plain data: serialisation cannot fail.
    serde_json::to_string(election).unwrap_or_default()
}

fn parse_raw(input: &[u8], count: bool) -> Result<RawElection<'_>, TallyError> {
    // Checking UTF-8 once up front lets serde_json skip checking every string.
    let text = std::str::from_utf8(input).map_err(|e| not_utf8(input, e.valid_up_to()))?;
    let path = Path::default();
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let parsed = ElectionSeed { path: &path, count }.deserialize(&mut deserializer);
    match parsed.and_then(|raw| deserializer.end().map(|()| raw)) {
        Ok(raw) => Ok(raw),
        Err(e) => Err(path.take_failure().unwrap_or_else(|| json_error(&e, path.render()))),
    }
}

/// serde_json's message without its " at line L column C" tail (kept separately).
fn json_error(e: &serde_json::Error, path: String) -> TallyError {
    let full = e.to_string();
    let tail = format!(" at line {} column {}", e.line(), e.column());
    let message = full.strip_suffix(&tail).unwrap_or(&full).to_string();
    let message = match e.classify() {
        serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
            format!("invalid JSON: {message}")
        }
        _ => message,
    };
    TallyError::Json { path, message, line: e.line(), column: e.column() }
}

/// Position of the first byte that is not UTF-8, counted like serde_json
/// (1-based line; column = bytes since the line's start).
fn not_utf8(input: &[u8], at: usize) -> TallyError {
    let before = &input[..at];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let column = at - before.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1) + 1;
    TallyError::Json {
        path: String::new(),
        message: format!("invalid JSON: the input is not valid UTF-8 (at byte offset {at})"),
        line,
        column,
    }
}
