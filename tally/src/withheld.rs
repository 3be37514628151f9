//! Ballots a file sums instead of listing.
//!
//! A published file of ballots lets anyone recount the result, but a ballot whose area,
//! channel or combination of services used is shared by only a few others can be picked
//! out by someone who knows those facts about a neighbour (and which services someone uses
//! can be health data). [`crate::disclosure::anonymise`] therefore takes such ballots out of
//! the list and adds them up here instead: per proposal, the sums the count needs (points
//! and listings, from users of its service and from everyone), and per service the number
//! of users. The count is linear in these sums, so a file with a `withheld` block recounts
//! to exactly the same scores, ranks and decisions as the ballots it came from.
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{TallyError, quoted};
use crate::model::BallotPaper;

/// The sums of ballots that are counted but not listed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Withheld {
    /// How many ballots these sums stand for.
    pub ballots: u64,
    /// Per service id: how many of these ballots use it (services none of them use are
    /// left out).
    #[serde(default)]
    pub users: BTreeMap<String, u64>,
    /// Per proposal id: what these ballots gave it (proposals none of them listed are left
    /// out).
    #[serde(default)]
    pub proposals: BTreeMap<String, WithheldSums>,
}

/// What the withheld ballots gave one proposal. Points are as in the spec: position `i`
/// (1-based) in a list of depth R earns `R - i + 1`. `*_users` count only ballots that use
/// the proposal's service (0 for a proposal without one).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WithheldSums {
    /// Ballots listing it in `want`.
    #[serde(default)]
    pub want_count: u64,
    #[serde(default)]
    pub want_points: u64,
    #[serde(default)]
    pub want_points_users: u64,
    /// Ballots listing it in `dont_want`.
    #[serde(default)]
    pub dont_want_count: u64,
    #[serde(default)]
    pub dont_want_points: u64,
    #[serde(default)]
    pub dont_want_points_users: u64,
    /// Users of its service whose ballot put it in `dont_want`.
    #[serde(default)]
    pub rejecting_users: u64,
}

/// A withheld block checked against a paper: ids interned, every figure possible for
/// `ballots` ballots of that paper.
pub(crate) struct CheckedWithheld {
    pub ballots: u64,
    /// (service index, users)
    pub users: Vec<(u32, u64)>,
    /// (proposal index, sums)
    pub proposals: Vec<(u32, WithheldSums)>,
}

impl Withheld {
    /// Whether the block stands for no ballots at all.
    pub fn is_empty(&self) -> bool {
        self.ballots == 0 && self.users.is_empty() && self.proposals.is_empty()
    }

    /// Checks that every id is on the paper and that every figure is one that `ballots`
    /// valid ballots could give; errors name the field, e.g.
    /// `withheld.proposals.S1.want_points_users`.
    pub(crate) fn check(&self, paper: &BallotPaper) -> Result<CheckedWithheld, TallyError> {
        let n = self.ballots;
        let depth = u64::from(paper.config().rank_depth);
        let at = |rest: String| format!("withheld.{rest}");
        let mut users = Vec::with_capacity(self.users.len());
        let mut users_of = vec![0u64; paper.services().len()];
        for (id, &count) in &self.users {
            let s = paper
                .service_index(id)
                .ok_or_else(|| TallyError::invalid(at(format!("users.{id}")), format!("unknown service {}", quoted(id))))?;
            if count > n {
                return Err(TallyError::invalid(at(format!("users.{id}")), format!("{count} users is more than the {n} ballots withheld")));
            }
            users_of[s as usize] = count;
            users.push((s, count));
        }
        let mut proposals = Vec::with_capacity(self.proposals.len());
        let services = paper.proposal_service();
        for (id, sums) in &self.proposals {
            let field = |name: &str| at(format!("proposals.{id}.{name}"));
            let p = paper
                .proposal_index(id)
                .ok_or_else(|| TallyError::invalid(at(format!("proposals.{id}")), format!("unknown proposal {}", quoted(id))))?;
            let service = services[p as usize];
            let users = if service == crate::model::NO_SERVICE { 0 } else { users_of[service as usize] };
            let rules: [(&str, u64, u64, &str); 8] = [
                ("want_count", sums.want_count, n, "the ballots withheld"),
                ("dont_want_count", sums.dont_want_count, n - sums.want_count.min(n), "the ballots withheld that did not want it"),
                ("want_points", sums.want_points, sums.want_count.saturating_mul(depth), "rank_depth times want_count"),
                ("dont_want_points", sums.dont_want_points, sums.dont_want_count.saturating_mul(depth), "rank_depth times dont_want_count"),
                (
                    "want_points_users",
                    sums.want_points_users,
                    sums.want_points.min(users.saturating_mul(depth)),
                    "want_points, or rank_depth times its users",
                ),
                (
                    "dont_want_points_users",
                    sums.dont_want_points_users,
                    sums.dont_want_points.min(users.saturating_mul(depth)),
                    "dont_want_points, or rank_depth times its users",
                ),
                ("rejecting_users", sums.rejecting_users, sums.dont_want_count.min(users), "dont_want_count, or its users withheld"),
                // Every listing earns at least one point.
                ("want_count", sums.want_count, sums.want_points, "want_points"),
            ];
            for (name, value, most, what) in rules {
                if value > most {
                    return Err(TallyError::invalid(field(name), format!("{value} is more than {what} ({most})")));
                }
            }
            if sums.dont_want_count > sums.dont_want_points {
                return Err(TallyError::invalid(
                    field("dont_want_count"),
                    format!("{} is more than dont_want_points ({})", sums.dont_want_count, sums.dont_want_points),
                ));
            }
            // A user's listing earns at least one point too.
            if sums.rejecting_users > sums.dont_want_points_users {
                return Err(TallyError::invalid(
                    field("rejecting_users"),
                    format!("{} is more than dont_want_points_users ({})", sums.rejecting_users, sums.dont_want_points_users),
                ));
            }
            proposals.push((p, *sums));
        }
        Ok(CheckedWithheld { ballots: n, users, proposals })
    }
}
