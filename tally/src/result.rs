//! The result of a count, as the spec's output JSON.
//!
//! Exact values are kept as [`Ratio`]s so that the server can store or
//! re-serialise them; serialising writes them as JSON numbers rounded to 6
//! decimals. Field order is fixed, so the same input gives byte-identical JSON.

use serde::Serialize;

use crate::config::Config;
use crate::model::ProposalKind;
use crate::rational::Ratio;

/// Everything the count decided: a summary and one entry per proposal, in input order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TallyResult {
    pub summary: Summary,
    pub proposals: Vec<ProposalResult>,
}

impl TallyResult {
    /// The result as compact JSON (the exchange format's output).
    pub fn to_json(&self) -> String {
        // Serialising plain structs of numbers, strings and bools cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The result as indented JSON, for people to read.
    pub fn to_json_pretty(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// The entry for proposal `id`, if any.
    pub fn proposal(&self, id: &str) -> Option<&ProposalResult> {
        self.proposals.iter().find(|p| p.id == id)
    }
}

/// Totals. Money is in minor units. `plain_*` are the same figures under the
/// plain (unweighted, unprotected) count, shown so everyone can see what
/// protection changed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Ballots counted, empty ones included.
    pub ballots: u64,
    /// Sum of the amounts of the savings adopted.
    pub savings_adopted: u64,
    /// Whether the savings adopted reach the target (true when there is no target).
    pub target_reached: bool,
    /// `max(0, target - savings_adopted)`; 0 when there is no target.
    pub shortfall: u64,
    /// Sum of the amounts of the developments adopted.
    pub development_spent: u64,
    /// `budget - development_spent`; `None` (JSON null) when there is no budget.
    pub development_left: Option<u64>,
    pub plain_savings_adopted: u64,
    pub plain_target_reached: bool,
    pub plain_shortfall: u64,
    pub plain_development_spent: u64,
    pub plain_development_left: Option<u64>,
    /// Savings the tally would not adopt because their users rejected them;
    /// each needs a recorded decision by the commissioners.
    pub protected: u64,
    /// The settings the count used (defaults filled in).
    pub config: Config,
    /// Ballots by channel and by area. The tally ignores both.
    pub breakdown: Breakdown,
}

/// Ballot counts by how they were cast and where the voter lives.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Breakdown {
    pub by_channel: ChannelCounts,
    /// Areas in bytewise order of name, then ballots with no area (`area: null`) last.
    /// Areas with no ballots are not listed.
    pub by_area: Vec<AreaCount>,
    /// Ballots counted from a file's `withheld` block (sums, not listed): they are in
    /// neither of the lists above. See docs/tally.md.
    pub withheld: u64,
}

/// Ballots per channel; `unspecified` counts ballots that gave none.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ChannelCounts {
    pub online: u64,
    pub meeting: u64,
    pub paper: u64,
    pub unspecified: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AreaCount {
    pub area: Option<String>,
    pub ballots: u64,
}

/// One proposal's figures and fate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ProposalResult {
    pub id: String,
    pub kind: ProposalKind,
    /// Position within its kind under the protected count (1 = best).
    pub rank: u32,
    /// N(p) = (A - B) / R with users weighted.
    pub score: Ratio,
    /// N⁰(p): the same with every weight 1.
    pub plain_score: Ratio,
    /// A(p): weighted points from `want` lists.
    pub want_mass: Ratio,
    /// B(p): weighted points from `dont_want` lists.
    pub dont_want_mass: Ratio,
    /// Ballots listing it in `want`.
    pub want_count: u64,
    /// Ballots listing it in `dont_want`.
    pub dont_want_count: u64,
    /// n_u: ballots declaring they use its service (0 if it touches none).
    pub users: u64,
    /// ω(p): weight of a user's ballot on this proposal.
    pub user_weight: Ratio,
    /// A saving most of whose users rejected it: never adopted by the tally.
    pub protected: bool,
    pub adopted: bool,
    pub plain_adopted: bool,
    /// One plain-English line saying why it was or was not adopted.
    pub explanation: String,
    // Fields beyond the spec's list (the format allows extra fields).
    /// Position within its kind under the plain count.
    pub plain_rank: u32,
    pub amount: u64,
    pub service: Option<String>,
    /// Users whose ballot put it in `dont_want`; 0 when fewer than `min_group` use its
    /// service (they cannot protect it then, and the figure would show how a small group
    /// voted).
    pub rejecting_users: u64,
    /// A⁰(p) and B⁰(p): unweighted points.
    pub plain_want_mass: u64,
    pub plain_dont_want_mass: u64,
}
