//! Who said what: each proposal's WANT / DON'T WANT counts, points and plain score by
//! channel, by area, and by users and non-users of the service it touches — counted from a
//! published file ([`crate::disclosure`]), so anyone can work them out from that file.
//!
//! A cell built from fewer than `min_group` ballots is not given as a number: it is `None`
//! ("fewer than N"). The file already has no area or channel named by fewer, so only the
//! users / non-users split can be small; where either side is, both are left out (the
//! total is published, so one would give the other away by subtraction).
use serde::Serialize;

use crate::config::Config;
use crate::count::Count;
use crate::error::TallyError;
use crate::model::{BallotPaper, Channel, Election};
use crate::rational::Ratio;

/// The breakdowns of a published file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Breakdowns {
    /// The smallest group shown.
    pub min_group: u32,
    /// One group per channel named in the file, then `unspecified` (no channel given or
    /// left out), then `withheld` (ballots given as sums): groups with no ballots are left out.
    pub by_channel: Vec<Group>,
    /// One group per area, in bytewise order, then `null` (no area), then `withheld`.
    pub by_area: Vec<Group>,
    /// Per proposal that touches a service: its users' and everyone else's figures.
    pub by_users: Vec<UsersSplit>,
}

/// The ballots that share a channel (or an area), and what they gave each proposal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Group {
    /// The channel or area; `null` for none; `"withheld"` with `withheld: true`.
    pub label: Option<String>,
    /// The ballots given as sums in the file (no channel or area).
    pub withheld: bool,
    pub ballots: u64,
    /// In the paper's order of proposals.
    pub proposals: Vec<Cell>,
}

/// What some ballots gave one proposal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Cell {
    pub id: String,
    pub want_count: u64,
    pub dont_want_count: u64,
    pub want_points: u64,
    pub dont_want_points: u64,
    /// (want points − don't-want points) / R: the plain score of these ballots alone.
    pub plain_score: Ratio,
}

/// A proposal's users and non-users; each side `None` where it would show fewer than
/// `min_group` ballots.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct UsersSplit {
    pub id: String,
    pub service: String,
    pub users: Option<Side>,
    pub others: Option<Side>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Side {
    pub ballots: u64,
    pub want_points: u64,
    pub dont_want_points: u64,
    pub plain_score: Ratio,
    /// Of these ballots, how many put it in `dont_want` (users only: the ones that can
    /// protect a cut).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rejecting: Option<u64>,
}

fn cell(id: &str, config: &Config, sums: &crate::count::ProposalSums) -> Cell {
    Cell {
        id: id.to_owned(),
        want_count: sums.want_count,
        dont_want_count: sums.dont_count,
        want_points: sums.want_points,
        dont_want_points: sums.dont_points,
        plain_score: Ratio::reduced(i128::from(sums.want_points) - i128::from(sums.dont_points), i128::from(config.rank_depth)),
    }
}

/// The breakdowns of `election` (a file as `disclosure::anonymise` writes it; any file
/// works, but only such a file keeps every area and channel group at `min_group` or more).
pub fn breakdowns(election: &Election) -> Result<Breakdowns, TallyError> {
    let paper = BallotPaper::new(election.config.clone(), election.services.clone(), election.proposals.clone())?;
    let config = paper.config();
    let m = u64::from(config.min_group.max(1));
    let group = |label: Option<String>, withheld: bool, count: &Count<'_>| Group {
        label,
        withheld,
        ballots: count.ballots(),
        proposals: paper.proposals().iter().enumerate().map(|(p, x)| cell(&x.id, config, &count.proposal_sums(p))).collect(),
    };
    // One count per channel and per area.
    let mut channels: Vec<(Option<Channel>, Count<'_>)> = Vec::new();
    let mut areas: Vec<(Option<String>, Count<'_>)> = Vec::new();
    let mut all = Count::new(&paper);
    for (index, ballot) in election.ballots.iter().enumerate() {
        let add = |count: &mut Count<'_>| count.add_ids(&ballot.want, &ballot.dont_want, &ballot.uses, None, None);
        add(&mut all).map_err(|error| TallyError::Ballot { index, error })?;
        let c = match channels.iter().position(|(c, _)| *c == ballot.channel) {
            Some(i) => i,
            None => {
                channels.push((ballot.channel, Count::new(&paper)));
                channels.len() - 1
            }
        };
        add(&mut channels[c].1).map_err(|error| TallyError::Ballot { index, error })?;
        let a = match areas.iter().position(|(a, _)| *a == ballot.area) {
            Some(i) => i,
            None => {
                areas.push((ballot.area.clone(), Count::new(&paper)));
                areas.len() - 1
            }
        };
        add(&mut areas[a].1).map_err(|error| TallyError::Ballot { index, error })?;
    }
    let mut withheld = Count::new(&paper);
    if let Some(w) = &election.withheld {
        withheld.add_withheld(w)?;
        all.add_withheld(w)?;
    }
    channels.sort_by_key(|(c, _)| c.map_or(u8::MAX, |c| c as u8));
    areas.sort_by(|(a, _), (b, _)| match (a, b) {
        (Some(a), Some(b)) => a.as_bytes().cmp(b.as_bytes()),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => std::cmp::Ordering::Equal,
    });
    let mut by_channel: Vec<Group> =
        channels.iter().map(|(c, count)| group(Some(c.map_or("unspecified", |c| c.as_str()).to_owned()), false, count)).collect();
    let mut by_area: Vec<Group> = areas.iter().map(|(a, count)| group(a.clone(), false, count)).collect();
    if withheld.ballots() > 0 {
        by_channel.push(group(Some("withheld".into()), true, &withheld));
        by_area.push(group(Some("withheld".into()), true, &withheld));
    }
    // Users and non-users, from everything (listed and withheld).
    let services = paper.proposal_service();
    let total = all.ballots();
    let depth = i128::from(config.rank_depth);
    let by_users = paper
        .proposals()
        .iter()
        .enumerate()
        .filter(|(p, _)| services[*p] != crate::model::NO_SERVICE)
        .map(|(p, proposal)| {
            let sums = all.proposal_sums(p);
            let users = all.users_of(services[p]);
            let others = total - users;
            let shown = users >= m && others >= m;
            let side = |ballots: u64, want: u64, dont: u64, rejecting: Option<u64>| Side {
                ballots,
                want_points: want,
                dont_want_points: dont,
                plain_score: Ratio::reduced(i128::from(want) - i128::from(dont), depth),
                rejecting,
            };
            UsersSplit {
                id: proposal.id.clone(),
                service: proposal.service.clone().unwrap_or_default(),
                users: shown.then(|| side(users, sums.want_points_users, sums.dont_points_users, Some(sums.rejecting_users))),
                others: shown
                    .then(|| side(others, sums.want_points - sums.want_points_users, sums.dont_points - sums.dont_points_users, None)),
            }
        })
        .collect();
    Ok(Breakdowns { min_group: config.min_group, by_channel, by_area, by_users })
}
