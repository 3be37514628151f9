//! Errors: invalid input is reported, never silently repaired.
//!
//! Two audiences. [`BallotError`] is what the server shows a resident whose
//! ballot was refused, so its `Display` is plain English. [`TallyError`] is for
//! whoever supplied a whole election (an officer, the CLI, a test), so its
//! `Display` names the exact place in the input, e.g.
//! `ballots[12].want[3]: unknown proposal "X"`.

use std::fmt;

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

/// Which list of a ballot an error is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BallotField {
    Want,
    DontWant,
    Uses,
    /// The ballot as a whole (only for [`BallotErrorKind::TooManyBallots`]).
    Ballot,
}

impl BallotField {
    /// The field's name in the exchange format: `want`, `dont_want`, `uses`, `ballot`.
    pub fn as_str(self) -> &'static str {
        match self {
            BallotField::Want => "want",
            BallotField::DontWant => "dont_want",
            BallotField::Uses => "uses",
            BallotField::Ballot => "ballot",
        }
    }

    /// How a resident would call the list.
    fn label(self) -> &'static str {
        match self {
            BallotField::Want => "\"want\"",
            BallotField::DontWant => "\"don't want\"",
            BallotField::Uses => "\"services you use\"",
            BallotField::Ballot => "the ballot",
        }
    }
}

impl fmt::Display for BallotField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What is wrong with a ballot.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum BallotErrorKind {
    /// The list has more entries than `rank_depth` allows.
    TooLong { max: u32, got: usize },
    /// A proposal appears twice, within one list or across `want` and `dont_want`.
    Repeated { id: String },
    /// An id in `want` or `dont_want` names no proposal.
    UnknownProposal { id: String },
    /// An id in `uses` names no service.
    UnknownService { id: String },
    /// The count already holds [`crate::MAX_BALLOTS`] ballots, the most for
    /// which its exact arithmetic is guaranteed not to overflow.
    TooManyBallots { max: u64 },
}

impl BallotErrorKind {
    /// A stable machine-readable code: `too_long`, `repeated`, `unknown_proposal`,
    /// `unknown_service`, `too_many_ballots`.
    pub fn code(&self) -> &'static str {
        match self {
            BallotErrorKind::TooLong { .. } => "too_long",
            BallotErrorKind::Repeated { .. } => "repeated",
            BallotErrorKind::UnknownProposal { .. } => "unknown_proposal",
            BallotErrorKind::UnknownService { .. } => "unknown_service",
            BallotErrorKind::TooManyBallots { .. } => "too_many_ballots",
        }
    }
}

/// A ballot that breaks the rules: which list, which entry (0-based, `None`
/// when the whole list is at fault) and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct BallotError {
    pub field: BallotField,
    pub index: Option<usize>,
    pub kind: BallotErrorKind,
}

impl BallotError {
    pub(crate) fn new(field: BallotField, index: Option<usize>, kind: BallotErrorKind) -> Self {
        BallotError { field, index, kind }
    }

    /// The technical form used inside [`TallyError`]: `want[3]: unknown proposal "X"`.
    pub fn technical(&self) -> String {
        let place = match self.index {
            Some(i) => format!("{}[{i}]", self.field),
            None => self.field.to_string(),
        };
        let what = match &self.kind {
            BallotErrorKind::TooLong { max, got } => {
                format!("has {got} entries; config.rank_depth allows at most {max}")
            }
            BallotErrorKind::Repeated { id } => format!("{} appears twice", quoted(id)),
            BallotErrorKind::UnknownProposal { id } => format!("unknown proposal {}", quoted(id)),
            BallotErrorKind::UnknownService { id } => format!("unknown service {}", quoted(id)),
            BallotErrorKind::TooManyBallots { max } => {
                format!("the count already holds {max} ballots, the most it can count exactly")
            }
        };
        format!("{place}: {what}")
    }
}

/// Plain English for the voter, e.g. `"want" has 7 choices; at most 5 are allowed`.
impl fmt::Display for BallotError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let label = self.field.label();
        match &self.kind {
            BallotErrorKind::TooLong { max, got } => {
                let verb = if *max == 1 { "is" } else { "are" };
                write!(f, "{label} has {got} choices; at most {max} {verb} allowed")
            }
            BallotErrorKind::Repeated { id } => {
                write!(f, "{} is chosen more than once; each proposal may appear only once, in \"want\" or in \"don't want\"", quoted(id))
            }
            BallotErrorKind::UnknownProposal { id } => match self.index {
                Some(i) => write!(f, "choice {} in {label} ({}) is not a proposal in this consultation", i + 1, quoted(id)),
                None => write!(f, "{} is not a proposal in this consultation", quoted(id)),
            },
            BallotErrorKind::UnknownService { id } => {
                write!(f, "{} is not a service in this consultation", quoted(id))
            }
            BallotErrorKind::TooManyBallots { .. } => f.write_str("the count is full and cannot take more ballots"),
        }
    }
}

impl std::error::Error for BallotError {}

/// `{"field": "want", "index": 3, "error": "unknown_proposal", "id": "X", "message": "..."}`
/// so that the server can hand it to a client as is.
impl Serialize for BallotError {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("field", &self.field)?;
        map.serialize_entry("index", &self.index)?;
        map.serialize_entry("error", self.kind.code())?;
        match &self.kind {
            BallotErrorKind::TooLong { max, got } => {
                map.serialize_entry("max", max)?;
                map.serialize_entry("got", got)?;
            }
            BallotErrorKind::Repeated { id } | BallotErrorKind::UnknownProposal { id } | BallotErrorKind::UnknownService { id } => {
                map.serialize_entry("id", id)?
            }
            BallotErrorKind::TooManyBallots { max } => map.serialize_entry("max", max)?,
        }
        map.serialize_entry("message", &self.to_string())?;
        map.end()
    }
}

/// Why an election could not be counted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TallyError {
    /// The input is not valid JSON, or a value has the wrong type or form.
    /// `path` is where in the document (`proposals[2].amount`, empty for the top
    /// level); `line` and `column` are 1-based as reported by the JSON parser.
    Json { path: String, message: String, line: usize, column: usize },
    /// The document is well-formed but breaks a rule, e.g. a duplicate proposal
    /// id or a setting out of range. `path` names the offending field.
    Invalid { path: String, message: String },
    /// Ballot number `index` (0-based, in input order) is invalid.
    Ballot { index: usize, error: BallotError },
}

impl TallyError {
    pub(crate) fn invalid(path: impl Into<String>, message: impl Into<String>) -> Self {
        TallyError::Invalid { path: path.into(), message: message.into() }
    }

    /// Where in the input the problem is, in the form `ballots[12].want[3]`.
    pub fn path(&self) -> String {
        match self {
            TallyError::Json { path, .. } | TallyError::Invalid { path, .. } => path.clone(),
            TallyError::Ballot { index, error } => match error.index {
                Some(i) => format!("ballots[{index}].{}[{i}]", error.field),
                None if error.field == BallotField::Ballot => format!("ballots[{index}]"),
                None => format!("ballots[{index}].{}", error.field),
            },
        }
    }
}

impl fmt::Display for TallyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TallyError::Json { path, message, line, column } => {
                if path.is_empty() {
                    write!(f, "{message} (line {line}, column {column})")
                } else {
                    write!(f, "{path}: {message} (line {line}, column {column})")
                }
            }
            TallyError::Invalid { path, message } => write!(f, "{path}: {message}"),
            TallyError::Ballot { index, error } => {
                write!(f, "ballots[{index}].{}", error.technical())
            }
        }
    }
}

impl std::error::Error for TallyError {}

/// An id as it appears in a message: JSON-quoted, so odd characters stay visible.
pub(crate) fn quoted(id: &str) -> String {
    serde_json::to_string(id).unwrap_or_else(|_| format!("\"{id}\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resident_and_technical_messages() {
        let e = BallotError::new(BallotField::Want, None, BallotErrorKind::TooLong { max: 5, got: 7 });
        assert_eq!(e.to_string(), "\"want\" has 7 choices; at most 5 are allowed");
        let e = BallotError::new(BallotField::Want, Some(3), BallotErrorKind::UnknownProposal { id: "X".into() });
        let t = TallyError::Ballot { index: 12, error: e.clone() };
        assert_eq!(t.to_string(), "ballots[12].want[3]: unknown proposal \"X\"");
        assert_eq!(t.path(), "ballots[12].want[3]");
        assert_eq!(e.to_string(), "choice 4 in \"want\" (\"X\") is not a proposal in this consultation");
        let json = serde_json::to_string(&e).unwrap();
        assert!(json.starts_with(r#"{"field":"want","index":3,"error":"unknown_proposal","id":"X","message":"#));
    }
}
