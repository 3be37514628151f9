//! Publishing ballots so that anyone can recount them, without exposing anyone in a small
//! group.
//!
//! A file of ballots is what lets anyone check a result. But each ballot also says where
//! its voter lives (`area`), how they voted (`channel`) and which services they use, and
//! someone who knows those facts about a neighbour can find the neighbour's ballot when few
//! ballots share them — and which services a person uses can be health data. So before
//! ballots leave the server, [`anonymise`] makes sure that, with `m` the consultation's
//! `min_group` (the size below which the count itself gives a group no special weight):
//!
//! 1. every area and every channel named in the file is named by at least `m` ballots;
//! 2. every listed ballot shares its channel, area and exact set of services with at least
//!    `m - 1` other listed ballots — where it would not, first its area and channel are left
//!    out, and if that is not enough it is taken out of the list and added to the
//!    `withheld` sums ([`Withheld`]) instead;
//! 3. the withheld sums stand for no ballots or for at least `m`, and for each service
//!    either none or at least `m` of them are its users and none or at least `m` are not
//!    (so no user's or non-user's points can be read off the sums) — where needed, more
//!    ballots are withheld, taken from the largest groups first;
//! 4. a service that fewer than `m` voters use at all has, in the sums, no split of points
//!    into its users' and everyone else's, and no count of users rejecting a cut: with
//!    fewer than `m` users the count gives them no weight and no protection, so the split
//!    cannot change the result, and it would show how that small group voted.
//!
//! The count is linear in the sums, so the file recounts to exactly the same scores,
//! ranks, decisions and explanations as the ballots it came from; only the breakdown by
//! channel and area differs (it counts withheld ballots apart, and left-out areas as no
//! area). Everything is deterministic: the same ballots, in any order, give the same file.
use std::collections::HashMap;

use crate::count::Count;
use crate::error::TallyError;
use crate::model::{Ballot, BallotPaper, Channel, Election};
use crate::withheld::Withheld;

/// Ballots ready to publish (see the module documentation).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Anonymised {
    /// The ballots that are listed, sorted by content (which carries no trace of who voted
    /// or when), with `uses` sorted and each service once.
    pub ballots: Vec<Ballot>,
    /// The ballots given as sums, if any.
    pub withheld: Option<Withheld>,
    /// Listed ballots whose area or channel was left out because too few shared it.
    pub generalised: u64,
}

/// Makes `ballots` safe to publish under `paper`'s `min_group` (see the module
/// documentation). Every ballot must be valid on the paper; the error names the first that
/// is not. With `min_group` 1 nothing is withheld or left out.
pub fn anonymise(paper: &BallotPaper, mut ballots: Vec<Ballot>) -> Result<Anonymised, TallyError> {
    for (index, ballot) in ballots.iter_mut().enumerate() {
        paper.check_ballot(&ballot.want, &ballot.dont_want, &ballot.uses).map_err(|error| TallyError::Ballot { index, error })?;
        ballot.uses.sort_unstable();
        ballot.uses.dedup();
    }
    ballots.sort_unstable();
    let m = paper.config().min_group as usize;
    if m <= 1 {
        return Ok(Anonymised { ballots, withheld: None, generalised: 0 });
    }
    let uses: Vec<Vec<usize>> =
        ballots.iter().map(|b| b.uses.iter().filter_map(|id| paper.service_index(id)).map(|s| s as usize).collect()).collect();
    let mut state = State { m, ballots, uses, pooled: Vec::new(), services: paper.services().len() };
    state.pooled = vec![false; state.ballots.len()];
    let original: Vec<(Option<Channel>, Option<String>)> = state.ballots.iter().map(|b| (b.channel, b.area.clone())).collect();
    // Each pass either leaves out an area or channel, or withholds more ballots, and
    // neither is ever undone, so this ends (at worst with every ballot withheld).
    while state.leave_out_rare_values() || state.settle_small_groups() || state.balance_withheld() {}

    let total_users = state.total_users();
    let mut sums = Count::new(paper);
    let mut listed = Vec::with_capacity(state.ballots.len());
    let mut generalised = 0;
    for (i, ballot) in state.ballots.into_iter().enumerate() {
        if state.pooled[i] {
            // Valid: checked above.
            sums.add_ids(&ballot.want, &ballot.dont_want, &ballot.uses, None, None)
                .map_err(|error| TallyError::Ballot { index: i, error })?;
        } else {
            if (ballot.channel, &ballot.area) != (original[i].0, &original[i].1) {
                generalised += 1;
            }
            listed.push(ballot);
        }
    }
    let withheld = (sums.ballots() > 0).then(|| sums.as_withheld(&|s| total_users[s as usize] >= m));
    Ok(Anonymised { ballots: listed, withheld, generalised })
}

/// [`anonymise`] for a whole election: the same paper, the ballots made safe to publish,
/// and a `note` saying in plain English what was done. An election that already has a
/// `withheld` block is refused (anonymise the ballots it came from instead).
pub fn anonymise_election(election: &Election) -> Result<Election, TallyError> {
    if election.withheld.is_some() {
        return Err(TallyError::invalid("withheld", "this file has already been anonymised"));
    }
    let paper = BallotPaper::new(election.config.clone(), election.services.clone(), election.proposals.clone())?;
    let anonymised = anonymise(&paper, election.ballots.clone())?;
    let note = note(election.config.min_group, &anonymised);
    Ok(Election {
        currency: election.currency.clone(),
        config: election.config.clone(),
        services: election.services.clone(),
        proposals: election.proposals.clone(),
        ballots: anonymised.ballots,
        withheld: anonymised.withheld,
        note: Some(note),
    })
}

/// What [`anonymise`] did, for the people who read the file.
pub fn note(min_group: u32, anonymised: &Anonymised) -> String {
    let withheld = anonymised.withheld.as_ref().map_or(0, |w| w.ballots);
    let mut text = format!(
        "No ballot in this file can be picked out by its area, channel or services: each area and channel named is \
         named by at least {min_group} ballots, and each listed ballot shares its channel, area and services with at \
         least {} others.",
        min_group.saturating_sub(1)
    );
    if anonymised.generalised > 0 {
        text.push_str(&format!(
            " {} {} no area or channel here because too few ballots shared {}.",
            anonymised.generalised,
            if anonymised.generalised == 1 { "ballot has" } else { "ballots have" },
            if anonymised.generalised == 1 { "its" } else { "theirs" }
        ));
    }
    if withheld > 0 {
        text.push_str(&format!(
            " {withheld} {} not listed but added up in \"withheld\", because too few ballots shared {} services (or to \
             keep those sums from showing a small group); they count exactly as the ballots did.",
            if withheld == 1 { "ballot is" } else { "ballots are" },
            if withheld == 1 { "its" } else { "their" }
        ));
    }
    text.push_str(" Recounting this file gives the published result.");
    text
}

/// The working state of [`anonymise`].
struct State {
    m: usize,
    /// Sorted by content; `channel` and `area` may be left out as we go.
    ballots: Vec<Ballot>,
    /// Each ballot's services, as indices.
    uses: Vec<Vec<usize>>,
    /// Taken out of the list, into the withheld sums.
    pooled: Vec<bool>,
    services: usize,
}

/// A group of listed ballots that look the same to a reader of the file.
type GroupKey<'a> = (Option<Channel>, Option<&'a str>, &'a [String]);

impl State {
    fn listed(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.ballots.len()).filter(|&i| !self.pooled[i])
    }

    fn total_users(&self) -> Vec<usize> {
        let mut users = vec![0; self.services];
        for uses in &self.uses {
            for &s in uses {
                users[s] += 1;
            }
        }
        users
    }

    /// Rule 1: leave out each area and channel that fewer than `m` listed ballots name.
    fn leave_out_rare_values(&mut self) -> bool {
        let mut areas: HashMap<&str, usize> = HashMap::new();
        let mut channels: HashMap<Channel, usize> = HashMap::new();
        for i in self.listed() {
            if let Some(area) = &self.ballots[i].area {
                *areas.entry(area).or_default() += 1;
            }
            if let Some(channel) = self.ballots[i].channel {
                *channels.entry(channel).or_default() += 1;
            }
        }
        let rare_area: Vec<bool> =
            self.ballots.iter().map(|b| b.area.as_deref().is_some_and(|a| areas.get(a).is_some_and(|&n| n < self.m))).collect();
        let rare_channel: Vec<bool> =
            self.ballots.iter().map(|b| b.channel.is_some_and(|c| channels.get(&c).is_some_and(|&n| n < self.m))).collect();
        let mut changed = false;
        for i in 0..self.ballots.len() {
            if self.pooled[i] {
                continue;
            }
            if rare_area[i] {
                self.ballots[i].area = None;
                changed = true;
            }
            if rare_channel[i] {
                self.ballots[i].channel = None;
                changed = true;
            }
        }
        changed
    }

    /// The listed ballots by what a reader sees of them besides their lists.
    fn groups(&self) -> HashMap<GroupKey<'_>, Vec<usize>> {
        let mut groups: HashMap<GroupKey<'_>, Vec<usize>> = HashMap::new();
        for i in self.listed() {
            let b = &self.ballots[i];
            groups.entry((b.channel, b.area.as_deref(), b.uses.as_slice())).or_default().push(i);
        }
        groups
    }

    /// Rule 2: a group of fewer than `m` loses its area and channel; one that has neither
    /// already is withheld.
    fn settle_small_groups(&mut self) -> bool {
        let (mut leave_out, mut withhold) = (Vec::new(), Vec::new());
        for ((channel, area, _), members) in self.groups() {
            if members.len() >= self.m {
                continue;
            }
            if channel.is_some() || area.is_some() { leave_out.extend(members) } else { withhold.extend(members) }
        }
        for &i in &leave_out {
            self.ballots[i].channel = None;
            self.ballots[i].area = None;
        }
        for &i in &withhold {
            self.pooled[i] = true;
        }
        !(leave_out.is_empty() && withhold.is_empty())
    }

    /// Rule 3: no small number of ballots, users or non-users in the withheld sums.
    fn balance_withheld(&mut self) -> bool {
        let m = self.m;
        let n = self.ballots.len();
        let pool: Vec<usize> = (0..n).filter(|&i| self.pooled[i]).collect();
        if pool.is_empty() {
            return false;
        }
        let total_users = self.total_users();
        for (s, &users) in total_users.iter().enumerate() {
            let pool_users = pool.iter().filter(|&&i| self.uses[i].contains(&s)).count();
            let pool_others = pool.len() - pool_users;
            if users >= m && (1..m).contains(&pool_users) {
                return self.withhold_more(m - pool_users, |state, i| state.uses[i].contains(&s));
            }
            if n - users >= m && (1..m).contains(&pool_others) {
                return self.withhold_more(m - pool_others, |state, i| !state.uses[i].contains(&s));
            }
        }
        if pool.len() < m {
            return self.withhold_more(m - pool.len(), |_, _| true);
        }
        false
    }

    /// Withhold up to `need` more listed ballots that `fits`, from the largest groups first
    /// (so the fewest groups fall below `m`); in file order within a group. Whether any
    /// was withheld.
    fn withhold_more(&mut self, need: usize, fits: impl Fn(&State, usize) -> bool) -> bool {
        let mut candidates: Vec<(usize, usize)> = Vec::new();
        for members in self.groups().into_values() {
            let size = members.len();
            candidates.extend(members.into_iter().filter(|&i| fits(self, i)).map(|i| (size, i)));
        }
        candidates.sort_unstable_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        let chosen: Vec<usize> = candidates.into_iter().take(need).map(|(_, i)| i).collect();
        for &i in &chosen {
            self.pooled[i] = true;
        }
        !chosen.is_empty()
    }
}
