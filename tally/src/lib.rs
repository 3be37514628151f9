//! # pbvote-tally: the counting rule
//!
//! Residents say which proposals they WANT and which they DON'T WANT, each list
//! ranked, and which services they use. In one sentence: **on a proposal that
//! touches a service, the people who use that service have as much say,
//! together, as everyone else together** (up to a cap), and a cut that most of
//! its users reject is never adopted without a recorded decision by the
//! commissioners. A plain majority count is produced beside it so everyone can
//! see what protection changed. The rule is specified in the project's shared
//! `spec/tally.md`; `docs/tally.md` explains it for council and developers.
//!
//! This crate is pure: data in, result out. No I/O, no clocks, no randomness,
//! no floating point in any decision (weights are exact fractions, compared by
//! cross-multiplying integers), so the same input always gives byte-identical
//! output.
//!
//! ```
//! use pbvote_tally::{tally, Ballot, Config, Election, Proposal, ProposalKind};
//!
//! let election = Election {
//!     currency: Some("GBP".into()),
//!     config: Config::default(),
//!     services: vec![],
//!     proposals: vec![Proposal {
//!         id: "D1".into(), kind: ProposalKind::Development, amount: 30_000,
//!         service: None, title: Some("New youth club".into()),
//!     }],
//!     ballots: vec![Ballot { want: vec!["D1".into()], ..Ballot::default() }],
//!     withheld: None,
//!     note: None,
//! };
//! let result = tally(&election).unwrap();
//! assert!(result.proposals[0].adopted);
//! assert_eq!(result.proposals[0].score.to_string(), "1");
//! assert_eq!(
//!     result.proposals[0].explanation,
//!     "Agreed. It was the only proposal for new spending, with a score of 1. \
//!      No budget for new spending was set, so every proposal for new spending \
//!      with more support than opposition is agreed."
//! );
//! ```
//!
//! The server validates each submission with [`BallotPaper::check_ballot`] and
//! counts with [`Count`]; the CLI recounts a file with [`exchange::count`].

pub mod breakdown;
mod config;
mod count;
pub mod disclosure;
mod error;
pub mod exchange;
mod explain;
mod model;
pub mod money;
pub mod pabulib;
mod rational;
mod result;
mod withheld;

pub use config::Config;
pub use count::{Count, MAX_BALLOTS};
pub use error::{BallotError, BallotErrorKind, BallotField, TallyError};
pub use model::{Ballot, BallotPaper, Channel, Election, Proposal, ProposalKind, Service};
pub use rational::Ratio;
pub use result::{AreaCount, Breakdown, ChannelCounts, ProposalResult, Summary, TallyResult};
pub use withheld::{Withheld, WithheldSums};

/// Validates and counts a whole election. Errors name the place in the input,
/// e.g. `ballots[12].want[3]: unknown proposal "X"`. The explanations write
/// amounts in the election's `currency` when it has one.
pub fn tally(election: &Election) -> Result<TallyResult, TallyError> {
    let currency = election.currency.as_deref();
    if let Some(code) = currency {
        money::check_currency(code)?;
    }
    let paper = BallotPaper::new(election.config.clone(), election.services.clone(), election.proposals.clone())?;
    let mut count = Count::new(&paper);
    for (index, ballot) in election.ballots.iter().enumerate() {
        count.add(ballot).map_err(|error| TallyError::Ballot { index, error })?;
    }
    if let Some(withheld) = &election.withheld {
        count.add_withheld(withheld)?;
    }
    Ok(count.result_in(currency))
}
