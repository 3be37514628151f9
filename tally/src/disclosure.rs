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
use crate::model::{Ballot, BallotPaper, Channel, Election, InternedLists};
use crate::withheld::Withheld;

/// Ballots ready to publish (see the module documentation).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Anonymised {
    /// The ballots that are listed, sorted by content (which carries no trace of who voted
    /// or when: by their lists, comparing ids by their place on the paper, then channel and
    /// area), with `uses` in the paper's order of services and each service once.
    pub ballots: Vec<Ballot>,
    /// The ballots given as sums, if any.
    pub withheld: Option<Withheld>,
    /// Listed ballots whose area or channel was left out because too few shared it.
    pub generalised: u64,
    /// The withheld ballots themselves, whole. **Never publish these**: they are here so
    /// that the service can count figures over groups of at least `min_group` that include
    /// them (e.g. how many of the withheld ballots had a wish granted).
    pub pooled: Vec<Ballot>,
}

/// Makes `ballots` safe to publish under `paper`'s `min_group` (see the module
/// documentation). Every ballot must be valid on the paper; the error names the first that
/// is not. With `min_group` 1 nothing is withheld or left out.
pub fn anonymise(paper: &BallotPaper, ballots: Vec<Ballot>) -> Result<Anonymised, TallyError> {
    // Check each ballot, and sort them by content, comparing ids by their place on the
    // paper (numbers, not strings: this is most of the time taken for a large vote).
    let mut keyed = Vec::with_capacity(ballots.len());
    let mut lists = InternedLists::default();
    for (index, mut ballot) in ballots.into_iter().enumerate() {
        paper.intern(&ballot.want, &ballot.dont_want, &ballot.uses, &mut lists).map_err(|error| TallyError::Ballot { index, error })?;
        let mut uses = lists.uses.clone();
        uses.sort_unstable();
        uses.dedup();
        ballot.uses = uses.iter().map(|&s| paper.services()[s as usize].id.clone()).collect();
        let key = (lists.want.clone(), lists.dont_want.clone(), uses);
        keyed.push((key, ballot));
    }
    keyed.sort_unstable_by(|(x, a), (y, b)| x.cmp(y).then_with(|| (a.channel, &a.area).cmp(&(b.channel, &b.area))));
    let ballots: Vec<Ballot> = keyed.into_iter().map(|(_, ballot)| ballot).collect();
    let m = paper.config().min_group as usize;
    if m <= 1 {
        return Ok(Anonymised { ballots, withheld: None, generalised: 0, pooled: Vec::new() });
    }
    let mut state = State::new(m, paper, &ballots);
    // Each pass either leaves out an area or channel, or withholds more ballots, and
    // neither is ever undone, so this ends (at worst with every ballot withheld).
    while state.leave_out_rare_values() || state.settle_small_groups() || state.balance_withheld() {}

    let total_users = state.total_users.clone();
    let mut sums = Count::new(paper);
    let mut listed = Vec::with_capacity(ballots.len());
    let mut pooled = Vec::new();
    let mut generalised = 0;
    for (i, mut ballot) in ballots.into_iter().enumerate() {
        let seen = state.seen[i];
        if seen.pooled {
            // Valid: checked above.
            sums.add_ids(&ballot.want, &ballot.dont_want, &ballot.uses, None, None)
                .map_err(|error| TallyError::Ballot { index: i, error })?;
            pooled.push(ballot);
            continue;
        }
        if seen.area.is_none() && ballot.area.is_some() || seen.channel.is_none() && ballot.channel.is_some() {
            generalised += 1;
        }
        if seen.area.is_none() {
            ballot.area = None;
        }
        if seen.channel.is_none() {
            ballot.channel = None;
        }
        listed.push(ballot);
    }
    let withheld = (sums.ballots() > 0).then(|| sums.as_withheld(&|s| total_users[s as usize] >= m));
    Ok(Anonymised { ballots: listed, withheld, generalised, pooled })
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

/// What a reader of the file sees of one ballot besides its lists, as small numbers, and
/// whether it is withheld.
#[derive(Clone, Copy)]
struct Seen {
    channel: Option<Channel>,
    /// Index into the distinct areas.
    area: Option<u32>,
    /// Index into the distinct sets of services used.
    uses: u32,
    pooled: bool,
}

impl Seen {
    /// The group a listed ballot is in, as one number.
    fn key(&self) -> u64 {
        let channel = self.channel.map_or(0, |c| c as u64 + 1);
        let area = self.area.map_or(0, |a| u64::from(a) + 1);
        (channel << 62) | (area << 31) | u64::from(self.uses)
    }
}

/// The working state of [`anonymise`].
struct State {
    m: usize,
    /// One per ballot, in the (sorted) order of the ballots.
    seen: Vec<Seen>,
    /// The services of each distinct set, as indices.
    sets: Vec<Vec<usize>>,
    /// How many distinct areas there are.
    areas: usize,
    /// Per service, how many ballots use it (withheld or not).
    total_users: Vec<usize>,
}

impl State {
    fn new(m: usize, paper: &BallotPaper, ballots: &[Ballot]) -> State {
        let mut areas: HashMap<&str, u32> = HashMap::new();
        let mut set_index: HashMap<&[String], u32> = HashMap::new();
        let mut sets = Vec::new();
        let seen = ballots
            .iter()
            .map(|b| {
                let area = b.area.as_deref().map(|a| {
                    let next = areas.len() as u32;
                    *areas.entry(a).or_insert(next)
                });
                let uses = *set_index.entry(b.uses.as_slice()).or_insert_with(|| {
                    sets.push(b.uses.iter().filter_map(|id| paper.service_index(id)).map(|s| s as usize).collect());
                    (sets.len() - 1) as u32
                });
                Seen { channel: b.channel, area, uses, pooled: false }
            })
            .collect::<Vec<Seen>>();
        let mut total_users = vec![0; paper.services().len()];
        for s in &seen {
            for &service in &sets[s.uses as usize] {
                total_users[service] += 1;
            }
        }
        State { m, seen, sets, areas: areas.len(), total_users }
    }

    fn uses(&self, i: usize, service: usize) -> bool {
        self.sets[self.seen[i].uses as usize].contains(&service)
    }

    /// Rule 1: leave out each area and channel that fewer than `m` listed ballots name.
    fn leave_out_rare_values(&mut self) -> bool {
        let mut areas = vec![0usize; self.areas];
        let mut channels = [0usize; 3];
        for seen in self.seen.iter().filter(|s| !s.pooled) {
            if let Some(area) = seen.area {
                areas[area as usize] += 1;
            }
            if let Some(channel) = seen.channel {
                channels[channel as usize] += 1;
            }
        }
        let m = self.m;
        let mut changed = false;
        for seen in self.seen.iter_mut().filter(|s| !s.pooled) {
            if seen.area.is_some_and(|a| areas[a as usize] < m) {
                seen.area = None;
                changed = true;
            }
            if seen.channel.is_some_and(|c| channels[c as usize] < m) {
                seen.channel = None;
                changed = true;
            }
        }
        changed
    }

    /// The listed ballots by what a reader sees of them besides their lists.
    fn groups(&self) -> HashMap<u64, Vec<usize>> {
        let mut groups: HashMap<u64, Vec<usize>> = HashMap::new();
        for (i, seen) in self.seen.iter().enumerate().filter(|(_, s)| !s.pooled) {
            groups.entry(seen.key()).or_default().push(i);
        }
        groups
    }

    /// Rule 2: a group of fewer than `m` loses its area and channel; one that has neither
    /// already is withheld.
    fn settle_small_groups(&mut self) -> bool {
        let mut changed = false;
        for members in self.groups().into_values().filter(|members| members.len() < self.m) {
            for i in members {
                let seen = &mut self.seen[i];
                if seen.channel.is_some() || seen.area.is_some() {
                    seen.channel = None;
                    seen.area = None;
                } else {
                    seen.pooled = true;
                }
            }
            changed = true;
        }
        changed
    }

    /// Rule 3: no small number of ballots, users or non-users in the withheld sums.
    fn balance_withheld(&mut self) -> bool {
        let m = self.m;
        let n = self.seen.len();
        let pool: Vec<usize> = (0..n).filter(|&i| self.seen[i].pooled).collect();
        if pool.is_empty() {
            return false;
        }
        for (s, &users) in self.total_users.iter().enumerate() {
            let pool_users = pool.iter().filter(|&&i| self.uses(i, s)).count();
            let pool_others = pool.len() - pool_users;
            if users >= m && (1..m).contains(&pool_users) {
                return self.withhold_more(m - pool_users, |state, i| state.uses(i, s));
            }
            if n - users >= m && (1..m).contains(&pool_others) {
                return self.withhold_more(m - pool_others, |state, i| !state.uses(i, s));
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
        // Members are in file order; a group's first member orders groups of one size.
        let mut groups: Vec<Vec<usize>> = self.groups().into_values().collect();
        groups.sort_unstable_by(|a, b| b.len().cmp(&a.len()).then(a[0].cmp(&b[0])));
        let chosen: Vec<usize> = groups.iter().flatten().copied().filter(|&i| fits(self, i)).take(need).collect();
        for &i in &chosen {
            self.seen[i].pooled = true;
        }
        !chosen.is_empty()
    }
}
