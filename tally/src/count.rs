//! The counting rule (spec: "Counting", steps 1–6).
//!
//! 1. Position i in a list of depth R earns R - i + 1 points.
//! 2. On a proposal touching service σ, a ballot that uses σ weighs
//!    ω = min(W, max(1, φ·n_o / ((100-φ)·n_u))), so that the n_u users together
//!    have (up to the cap W) a φ share of the say; ω = 1 without a service, with
//!    fewer than m users, or with no non-users.
//! 3. N(p) = (A(p) - B(p)) / R, want mass minus don't-want mass, weighted;
//!    the plain N⁰ uses weight 1 throughout.
//! 4. A saving whose users (at least m of them) reject it at θ% or more is protected.
//! 5. Rank within each kind by N desc, A desc, B asc, id bytewise asc.
//! 6. Adopt savings in rank order (skipping protected and N <= 0) until the
//!    target is reached; adopt developments in rank order (skipping N <= 0)
//!    while they fit the budget, skipping any that no longer fit.
//!
//! Ballots are never stored. Because a proposal has at most one service, the
//! weight is constant across the users' ballots on it, so it is enough to keep,
//! per proposal, integer point sums split into "from its users" and "from
//! everyone": A(p) = ω·A_users + A_others is then one exact multiplication at
//! the end. That makes `add` O(entries on the ballot) and memory O(proposals).

use std::cmp::Ordering;
use std::collections::BTreeMap;

use crate::config::Config;
use crate::error::{BallotError, BallotErrorKind, BallotField, TallyError};
use crate::explain::{Explained, Outcome, explain};
use crate::model::{Ballot, BallotPaper, Channel, InternedLists, NO_SERVICE, ProposalKind};
use crate::rational::Ratio;
use crate::result::{AreaCount, Breakdown, ChannelCounts, ProposalResult, Summary, TallyResult};
use crate::withheld::{Withheld, WithheldSums};

/// Most ballots one count accepts. Every intermediate product of the exact
/// arithmetic is below 2·10⁵·n³ (points <= 20, weight terms <= 100·n), which
/// stays inside i128 for n up to this bound with room to spare.
pub const MAX_BALLOTS: u64 = u32::MAX as u64;

/// Integer point sums for one proposal.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Sums {
    pub want_points: u64,
    pub want_points_users: u64,
    pub dont_points: u64,
    pub dont_points_users: u64,
    pub want_count: u64,
    pub dont_count: u64,
    /// Ballots of users of the proposal's service that put it in `dont_want`.
    pub rejecting_users: u64,
}

/// The sums of one proposal, for the breakdowns.
pub(crate) type ProposalSums = Sums;

/// Accumulates ballots against one [`BallotPaper`] and counts them.
///
/// The order in which ballots are added does not matter (sums commute), which
/// is the spec's anonymity property by construction.
#[derive(Clone, Debug)]
pub struct Count<'p> {
    paper: &'p BallotPaper,
    ballots: u64,
    sums: Vec<Sums>,
    /// n_u for each service.
    users: Vec<u64>,
    /// `service_seen[s] == ballots` while adding a ballot that uses s; makes
    /// "does this ballot use σ" O(1) and counts a repeated `uses` entry once.
    service_seen: Vec<u64>,
    scratch: InternedLists,
    channels: ChannelCounts,
    areas: BTreeMap<String, u64>,
    no_area: u64,
    /// Ballots added as sums (a file's `withheld` block), with no channel or area.
    withheld: u64,
}

impl<'p> Count<'p> {
    pub fn new(paper: &'p BallotPaper) -> Self {
        Count {
            paper,
            ballots: 0,
            sums: vec![Sums::default(); paper.proposals().len()],
            users: vec![0; paper.services().len()],
            service_seen: vec![0; paper.services().len()],
            scratch: InternedLists::default(),
            channels: ChannelCounts::default(),
            areas: BTreeMap::new(),
            no_area: 0,
            withheld: 0,
        }
    }

    pub fn paper(&self) -> &'p BallotPaper {
        self.paper
    }

    /// Ballots added so far.
    pub fn ballots(&self) -> u64 {
        self.ballots
    }

    /// The sums of proposal `p` (an index into the paper's proposals).
    pub(crate) fn proposal_sums(&self, p: usize) -> ProposalSums {
        self.sums[p]
    }

    /// n_u of service `s` (an index into the paper's services).
    pub(crate) fn users_of(&self, s: u32) -> u64 {
        self.users[s as usize]
    }

    /// Validates the ballot (see [`BallotPaper::check_ballot`]) and, if valid,
    /// records it. An invalid ballot leaves the count unchanged.
    pub fn add(&mut self, ballot: &Ballot) -> Result<(), BallotError> {
        self.add_ids(&ballot.want, &ballot.dont_want, &ballot.uses, ballot.channel, ballot.area.as_deref())
    }

    /// [`Self::add`] for ballots held in any string form (`String`, `&str`, `Cow<str>`).
    pub fn add_ids<S: AsRef<str>>(
        &mut self,
        want: &[S],
        dont_want: &[S],
        uses: &[S],
        channel: Option<Channel>,
        area: Option<&str>,
    ) -> Result<(), BallotError> {
        self.check_capacity()?;
        let mut lists = std::mem::take(&mut self.scratch);
        let checked = self.paper.intern(want, dont_want, uses, &mut lists);
        if checked.is_ok() {
            self.record(&lists.want, &lists.dont_want, &lists.uses, channel, area);
        }
        self.scratch = lists;
        checked
    }

    /// [`Self::add`] for a ballot already given as indices into
    /// [`BallotPaper::proposals`] and [`BallotPaper::services`] (see
    /// [`BallotPaper::proposal_index`]); the same rules are checked.
    pub fn add_indexed(
        &mut self,
        want: &[u32],
        dont_want: &[u32],
        uses: &[u32],
        channel: Option<Channel>,
        area: Option<&str>,
    ) -> Result<(), BallotError> {
        self.check_capacity()?;
        self.paper.check_indexed(want, dont_want, uses)?;
        self.record(want, dont_want, uses, channel, area);
        Ok(())
    }

    /// Adds ballots given as sums (a file's `withheld` block, see [`crate::disclosure`]),
    /// after checking that the sums are ones such ballots could give. The count is the
    /// same as if the ballots had been added one by one; the breakdown counts them as
    /// `withheld`, with no channel or area.
    pub fn add_withheld(&mut self, withheld: &Withheld) -> Result<(), TallyError> {
        let checked = withheld.check(self.paper)?;
        if self.ballots.checked_add(checked.ballots).is_none_or(|total| total > MAX_BALLOTS) {
            return Err(TallyError::invalid("withheld.ballots", format!("a count takes at most {MAX_BALLOTS} ballots")));
        }
        self.ballots += checked.ballots;
        self.withheld += checked.ballots;
        for (s, users) in checked.users {
            self.users[s as usize] += users;
        }
        for (p, w) in checked.proposals {
            let sums = &mut self.sums[p as usize];
            sums.want_count += w.want_count;
            sums.want_points += w.want_points;
            sums.want_points_users += w.want_points_users;
            sums.dont_count += w.dont_want_count;
            sums.dont_points += w.dont_want_points;
            sums.dont_points_users += w.dont_want_points_users;
            sums.rejecting_users += w.rejecting_users;
        }
        // (`service_seen` needs nothing: the next ballot's stamp, the new ballot count, is
        // still above every stamp written so far.)
        Ok(())
    }

    /// The ballots added so far as one `withheld` block (ballots added as sums included).
    /// With `split_users` false for a service, its users' points are kept only in the
    /// totals (as if nobody used it) and no user is counted as rejecting: right only
    /// where that cannot change the count, i.e. where the service has fewer than
    /// `min_group` users in the whole count.
    pub(crate) fn as_withheld(&self, split_users: &dyn Fn(u32) -> bool) -> Withheld {
        let paper = self.paper;
        let services = paper.proposal_service();
        let users =
            paper.services().iter().zip(&self.users).filter(|(_, n)| **n > 0).map(|(service, &n)| (service.id.clone(), n)).collect();
        let proposals = paper
            .proposals()
            .iter()
            .zip(&self.sums)
            .enumerate()
            .filter(|(_, (_, sums))| sums.want_count + sums.dont_count > 0)
            .map(|(p, (proposal, sums))| {
                let split = services[p] != NO_SERVICE && split_users(services[p]);
                let user = |n: u64| if split { n } else { 0 };
                let entry = WithheldSums {
                    want_count: sums.want_count,
                    want_points: sums.want_points,
                    want_points_users: user(sums.want_points_users),
                    dont_want_count: sums.dont_count,
                    dont_want_points: sums.dont_points,
                    dont_want_points_users: user(sums.dont_points_users),
                    rejecting_users: user(sums.rejecting_users),
                };
                (proposal.id.clone(), entry)
            })
            .collect();
        Withheld { ballots: self.ballots, users, proposals }
    }

    fn check_capacity(&self) -> Result<(), BallotError> {
        if self.ballots >= MAX_BALLOTS {
            return Err(BallotError::new(BallotField::Ballot, None, BallotErrorKind::TooManyBallots { max: MAX_BALLOTS }));
        }
        Ok(())
    }

    /// Adds a valid, interned ballot to the sums.
    fn record(&mut self, want: &[u32], dont_want: &[u32], uses: &[u32], channel: Option<Channel>, area: Option<&str>) {
        self.ballots += 1;
        let stamp = self.ballots;
        for &s in uses {
            let seen = &mut self.service_seen[s as usize];
            if *seen != stamp {
                *seen = stamp;
                self.users[s as usize] += 1;
            }
        }
        let depth = u64::from(self.paper.config().rank_depth);
        let services = self.paper.proposal_service();
        for (i, &p) in want.iter().enumerate() {
            let points = depth - i as u64;
            let user = self.is_user(services[p as usize], stamp);
            let sums = &mut self.sums[p as usize];
            sums.want_points += points;
            sums.want_count += 1;
            if user {
                sums.want_points_users += points;
            }
        }
        for (i, &p) in dont_want.iter().enumerate() {
            let points = depth - i as u64;
            let user = self.is_user(services[p as usize], stamp);
            let sums = &mut self.sums[p as usize];
            sums.dont_points += points;
            sums.dont_count += 1;
            if user {
                sums.dont_points_users += points;
                sums.rejecting_users += 1;
            }
        }
        match channel {
            Some(Channel::Online) => self.channels.online += 1,
            Some(Channel::Meeting) => self.channels.meeting += 1,
            Some(Channel::Paper) => self.channels.paper += 1,
            None => self.channels.unspecified += 1,
        }
        match area {
            None => self.no_area += 1,
            Some(area) => match self.areas.get_mut(area) {
                Some(n) => *n += 1,
                None => {
                    self.areas.insert(area.to_owned(), 1);
                }
            },
        }
    }

    #[inline]
    fn is_user(&self, service: u32, stamp: u64) -> bool {
        service != NO_SERVICE && self.service_seen[service as usize] == stamp
    }

    /// Counts the ballots added so far. Cheap (O(P log P) for P proposals), so it
    /// can be called repeatedly as ballots arrive. The explanations write amounts
    /// as plain grouped numbers (`80,000`); see [`Count::result_in`].
    pub fn result(&self) -> TallyResult {
        self.result_in(None)
    }

    /// Like [`Count::result`], with the explanations writing amounts in `currency`
    /// (an ISO 4217 code such as `GBP`: `£800`) by [`crate::money::format`], or as
    /// plain grouped numbers when it is `None`.
    pub fn result_in(&self, currency: Option<&str>) -> TallyResult {
        self.result_with_money(&|minor_units| crate::money::write(currency, minor_units))
    }

    /// Like [`Count::result`], writing amounts in the explanations with `money` (given
    /// minor units), e.g. `|p| format!("£{}.{:02}", p / 100, p % 100)`.
    pub fn result_with_money(&self, write_money: &dyn Fn(u64) -> String) -> TallyResult {
        let paper = self.paper;
        let config = paper.config();
        let proposals = paper.proposals();
        let scored: Vec<Scored> = (0..proposals.len()).map(|p| self.score(p)).collect();

        let mut outcomes = vec![Outcome::NotPositive; proposals.len()];
        let mut plain_outcomes = vec![Outcome::NotPositive; proposals.len()];
        let mut ranks = vec![0u32; proposals.len()];
        let mut plain_ranks = vec![0u32; proposals.len()];
        let mut in_kind = [0usize; 2];
        let mut money = Money::default();
        let mut plain_money = Money::default();

        for kind in [ProposalKind::Saving, ProposalKind::Development] {
            let members: Vec<usize> = (0..proposals.len()).filter(|&p| proposals[p].kind == kind).collect();
            in_kind[kind as usize] = members.len();

            let mut order = members.clone();
            order
                .sort_by(|&x, &y| rank_order(&scored[x].protected_view(), &scored[y].protected_view(), &proposals[x].id, &proposals[y].id));
            let mut plain_order = members;
            plain_order.sort_by(|&x, &y| rank_order(&scored[x].plain_view(), &scored[y].plain_view(), &proposals[x].id, &proposals[y].id));
            for (r, &p) in order.iter().enumerate() {
                ranks[p] = r as u32 + 1;
            }
            for (r, &p) in plain_order.iter().enumerate() {
                plain_ranks[p] = r as u32 + 1;
            }
            let amount = |p: usize| proposals[p].amount;
            adopt(kind, config, &order, amount, |p| (scored[p].score, scored[p].protected), &mut outcomes, &mut money);
            adopt(kind, config, &plain_order, amount, |p| (scored[p].plain_score, false), &mut plain_outcomes, &mut plain_money);
        }

        let results = proposals
            .iter()
            .enumerate()
            .map(|(p, proposal)| {
                let s = &scored[p];
                let adopted = outcomes[p].is_adopted();
                let plain_adopted = plain_outcomes[p].is_adopted();
                let service = proposal.service.as_deref().and_then(|id| paper.service_index(id).map(|i| &paper.services()[i as usize]));
                let explanation = explain(&Explained {
                    kind: proposal.kind,
                    amount: proposal.amount,
                    rank: ranks[p],
                    of: in_kind[proposal.kind as usize],
                    score: s.score,
                    outcome: outcomes[p],
                    plain_adopted,
                    users: s.users,
                    rejecting_users: s.sums.rejecting_users,
                    service_name: service.map(|sv| sv.name.as_deref().unwrap_or(&sv.id)),
                    voted: s.sums.want_count + s.sums.dont_count > 0,
                    config,
                    money: write_money,
                });
                ProposalResult {
                    id: proposal.id.clone(),
                    kind: proposal.kind,
                    rank: ranks[p],
                    score: s.score,
                    plain_score: s.plain_score,
                    want_mass: s.want_mass,
                    dont_want_mass: s.dont_want_mass,
                    want_count: s.sums.want_count,
                    dont_want_count: s.sums.dont_count,
                    users: s.users,
                    user_weight: s.weight,
                    protected: s.protected,
                    adopted,
                    plain_adopted,
                    explanation,
                    plain_rank: plain_ranks[p],
                    amount: proposal.amount,
                    service: proposal.service.clone(),
                    rejecting_users: s.shown_rejecting_users(config),
                    plain_want_mass: s.sums.want_points,
                    plain_dont_want_mass: s.sums.dont_points,
                }
            })
            .collect();

        let target_gap = |adopted: u64| config.savings_target.map_or(0, |t| t.saturating_sub(adopted));
        let mut by_area: Vec<AreaCount> =
            self.areas.iter().map(|(area, &ballots)| AreaCount { area: Some(area.clone()), ballots }).collect();
        if self.no_area > 0 {
            by_area.push(AreaCount { area: None, ballots: self.no_area });
        }
        let summary = Summary {
            ballots: self.ballots,
            savings_adopted: money.savings,
            target_reached: config.savings_target.is_none_or(|t| money.savings >= t),
            shortfall: target_gap(money.savings),
            development_spent: money.spent,
            development_left: config.development_budget.map(|d| d - money.spent),
            plain_savings_adopted: plain_money.savings,
            plain_target_reached: config.savings_target.is_none_or(|t| plain_money.savings >= t),
            plain_shortfall: target_gap(plain_money.savings),
            plain_development_spent: plain_money.spent,
            plain_development_left: config.development_budget.map(|d| d - plain_money.spent),
            protected: scored.iter().filter(|s| s.protected).count() as u64,
            config: config.clone(),
            breakdown: Breakdown { by_channel: self.channels, by_area, withheld: self.withheld },
        };
        TallyResult { summary, proposals: results }
    }

    /// Steps 2–4 for proposal `p`.
    fn score(&self, p: usize) -> Scored {
        let config = self.paper.config();
        let proposal = &self.paper.proposals()[p];
        let sums = self.sums[p];
        let service = self.paper.proposal_service()[p];
        let users = if service == NO_SERVICE { 0 } else { self.users[service as usize] };
        let weight = user_weight(config, self.ballots, users, service != NO_SERVICE);
        let (a, b) = (weight.numer(), weight.denom());
        let depth = i128::from(config.rank_depth);

        let want_users = i128::from(sums.want_points_users);
        let want_others = i128::from(sums.want_points) - want_users;
        let dont_users = i128::from(sums.dont_points_users);
        let dont_others = i128::from(sums.dont_points) - dont_users;
        // A = (a·A_u + b·A_o) / b, B likewise, N = (A - B) / R: all over the
        // weight's denominator b, so one multiplication per term and no rounding.
        let want_mass = Ratio::reduced(a * want_users + b * want_others, b);
        let dont_want_mass = Ratio::reduced(a * dont_users + b * dont_others, b);
        let score = Ratio::reduced(a * (want_users - dont_users) + b * (want_others - dont_others), b * depth);
        let plain_score = Ratio::reduced(i128::from(sums.want_points) - i128::from(sums.dont_points), depth);

        let min_group = u64::from(config.min_group);
        let protected = proposal.kind == ProposalKind::Saving
            && service != NO_SERVICE
            && users >= min_group
            && 100 * u128::from(sums.rejecting_users) >= u128::from(config.protect_threshold_percent) * u128::from(users);

        Scored { sums, users, weight, want_mass, dont_want_mass, score, plain_score, protected }
    }
}

/// ω(p) = min(W, max(1, φ·n_o / ((100-φ)·n_u))), and 1 when the proposal has no
/// service, when n_u < m, or when n_o = 0 (spec step 2).
pub(crate) fn user_weight(config: &Config, ballots: u64, users: u64, has_service: bool) -> Ratio {
    let others = ballots - users;
    if !has_service || users < u64::from(config.min_group) || others == 0 {
        return Ratio::ONE;
    }
    let share = i128::from(config.minority_share_percent);
    let numerator = share * i128::from(others);
    // φ <= 90 and n_u >= m >= 1, so the denominator is positive.
    let denominator = (100 - share) * i128::from(users);
    let cap = i128::from(config.max_weight);
    if numerator <= denominator {
        Ratio::ONE
    } else if numerator >= cap * denominator {
        Ratio::from_integer(cap)
    } else {
        Ratio::reduced(numerator, denominator)
    }
}

/// A proposal's exact figures, before ranking.
struct Scored {
    sums: Sums,
    users: u64,
    weight: Ratio,
    want_mass: Ratio,
    dont_want_mass: Ratio,
    score: Ratio,
    plain_score: Ratio,
    protected: bool,
}

/// The three figures ranking looks at, before the id.
struct RankKey {
    score: Ratio,
    want: Ratio,
    dont_want: Ratio,
}

impl Scored {
    /// Users rejecting it, as the result shows them: only when at least `min_group` use
    /// its service. Below that they cannot protect it, and the figure would show how a
    /// small group voted (and a published file could not keep it hidden).
    fn shown_rejecting_users(&self, config: &Config) -> u64 {
        if self.users >= u64::from(config.min_group) { self.sums.rejecting_users } else { 0 }
    }

    fn protected_view(&self) -> RankKey {
        RankKey { score: self.score, want: self.want_mass, dont_want: self.dont_want_mass }
    }

    fn plain_view(&self) -> RankKey {
        RankKey {
            score: self.plain_score,
            want: Ratio::from_integer(i128::from(self.sums.want_points)),
            dont_want: Ratio::from_integer(i128::from(self.sums.dont_points)),
        }
    }
}

/// Step 5: N descending, A descending, B ascending, id ascending (bytewise).
fn rank_order(x: &RankKey, y: &RankKey, x_id: &str, y_id: &str) -> Ordering {
    y.score
        .cmp(&x.score)
        .then_with(|| y.want.cmp(&x.want))
        .then_with(|| x.dont_want.cmp(&y.dont_want))
        .then_with(|| x_id.as_bytes().cmp(y_id.as_bytes()))
}

/// Money adopted so far in one count (protected or plain).
#[derive(Default)]
struct Money {
    savings: u64,
    spent: u64,
}

/// Step 6 for one kind, in rank order. `figures(p)` gives N(p) and whether p is
/// protected. Sums cannot overflow: the paper checked that all amounts together fit in u64.
fn adopt(
    kind: ProposalKind,
    config: &Config,
    order: &[usize],
    amount: impl Fn(usize) -> u64,
    figures: impl Fn(usize) -> (Ratio, bool),
    outcomes: &mut [Outcome],
    money: &mut Money,
) {
    for &p in order {
        let (score, protected) = figures(p);
        outcomes[p] = if protected {
            Outcome::Protected
        } else if !score.is_positive() {
            Outcome::NotPositive
        } else {
            match kind {
                ProposalKind::Saving => {
                    let before = money.savings;
                    match config.savings_target {
                        Some(target) if before >= target => Outcome::TargetReached { adopted_before: before },
                        _ => {
                            money.savings += amount(p);
                            Outcome::Adopted { before }
                        }
                    }
                }
                ProposalKind::Development => match config.development_budget {
                    Some(budget) => {
                        let left = budget - money.spent;
                        if amount(p) <= left {
                            money.spent += amount(p);
                            Outcome::Adopted { before: left }
                        } else {
                            Outcome::DoesNotFit { left }
                        }
                    }
                    None => {
                        let before = money.spent;
                        money.spent += amount(p);
                        Outcome::Adopted { before }
                    }
                },
            }
        };
    }
}
