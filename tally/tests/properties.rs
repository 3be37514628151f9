//! The spec's properties, checked on random elections with proptest.
//!
//! The reference computations here (`reference`, `reference_weight`,
//! `reference_outcome`, `problems`) are written from the spec's text, not from
//! the crate's code, and use their own exact fractions ([`Q`]) rather than the
//! crate's `Ratio`, so that a misreading in the crate is not repeated here.

mod common;

use std::cmp::Ordering;
use std::collections::BTreeMap;

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;

use pbvote_tally::{
    Ballot, Channel, Config, Election, Proposal, ProposalKind, ProposalResult, Ratio, Service, TallyResult, disclosure, exchange, tally,
};

/// Proposal ids: distinct, some not ASCII, so that the final tie-break (bytewise)
/// differs from a case-insensitive, per-character-lowercased or UTF-16 order:
/// bytewise "Z" < "z" < "é" and "～" (U+FF5E) < "𝄞" (U+1D11E), which UTF-16 orders
/// the other way round.
const PROPOSAL_IDS: &[&str] = &["P0", "P1", "Z", "z", "é", "É", "Ω", "ß", "Ä", "a b", "～", "𝄞", "9", "p1"];
/// Service ids, likewise not all ASCII.
const SERVICE_IDS: &[&str] = &["day-centre", "café", "Bücherei"];
/// Areas, with one differing from another only in case, and an empty one.
const AREAS: &[&str] = &["North", "north", "Śródmieście", "Zabłocie", ""];
const CHANNELS: &[Channel] = &[Channel::Online, Channel::Meeting, Channel::Paper];
const CURRENCIES: &[&str] = &["GBP", "EUR", "PLN"];

/// Small random elections: few proposals, services and ballots so that ties,
/// protection, targets and budgets all come up often.
fn arb_election() -> impl Strategy<Value = Election> {
    let settings = (1u32..=4, 0u32..=90, 1u32..=10, 1u32..=4, 1u32..=100, proptest::option::of(0u64..250), proptest::option::of(0u64..250));
    let ids = Just(PROPOSAL_IDS.to_vec()).prop_shuffle();
    let currency = proptest::option::of(select(CURRENCIES));
    (settings, 0usize..=3, 1usize..=7, ids, currency).prop_flat_map(|(settings, n_services, n_proposals, ids, currency)| {
        let (depth, ..) = settings;
        let service_pick = 0..n_services.max(1);
        let proposals = vec((any::<bool>(), 0u64..100, proptest::option::of(service_pick.clone())), n_proposals);
        let ballots = vec(
            (
                vec(0..n_proposals, 0..=2 * depth as usize),
                0usize..=8,
                vec(service_pick, 0..=2),
                proptest::option::of(select(CHANNELS)),
                proptest::option::of(select(AREAS)),
            ),
            0..40,
        );
        let ids: Vec<String> = ids[..n_proposals].iter().map(|s| s.to_string()).collect();
        (Just(settings), Just(n_services), Just(ids), Just(currency), proposals, ballots).prop_map(build)
    })
}

type Settings = (u32, u32, u32, u32, u32, Option<u64>, Option<u64>);
/// (saving?, amount, service index)
type RawProposal = (bool, u64, Option<usize>);
/// (proposal picks, how many of them are wanted, service indices, channel, area)
type RawBallot = (Vec<usize>, usize, Vec<usize>, Option<Channel>, Option<&'static str>);

/// What the election strategy draws: settings, number of services, ids, currency,
/// proposals and ballots.
type RawElection<'a> = (Settings, usize, Vec<String>, Option<&'a str>, Vec<RawProposal>, Vec<RawBallot>);

fn build((settings, n_services, ids, currency, proposals, ballots): RawElection<'_>) -> Election {
    let (rank_depth, minority_share_percent, max_weight, min_group, protect_threshold_percent, savings_target, development_budget) =
        settings;
    let depth = rank_depth as usize;
    let services = (0..n_services).map(|s| Service { id: SERVICE_IDS[s].to_string(), name: Some(format!("Service {s}")) }).collect();
    let proposals = proposals
        .into_iter()
        .enumerate()
        .map(|(i, (saving, amount, service))| Proposal {
            id: ids[i].clone(),
            kind: if saving { ProposalKind::Saving } else { ProposalKind::Development },
            amount,
            service: service.filter(|_| n_services > 0).map(|s| SERVICE_IDS[s].to_string()),
            title: None,
        })
        .collect();
    let ballots = ballots
        .into_iter()
        .map(|(picks, split, uses, channel, area)| {
            let mut distinct: Vec<usize> = Vec::new();
            for p in picks {
                if !distinct.contains(&p) {
                    distinct.push(p);
                }
            }
            let want_len = (split % (depth + 1)).min(distinct.len());
            let dont_len = (distinct.len() - want_len).min(depth);
            let named = |range: &[usize]| range.iter().map(|&p| ids[p].clone()).collect();
            Ballot {
                want: named(&distinct[..want_len]),
                dont_want: named(&distinct[want_len..want_len + dont_len]),
                uses: if n_services == 0 { vec![] } else { uses.iter().map(|&s| SERVICE_IDS[s].to_string()).collect() },
                channel,
                area: area.map(str::to_string),
            }
        })
        .collect();
    Election {
        currency: currency.map(str::to_string),
        config: Config {
            rank_depth,
            minority_share_percent,
            max_weight,
            min_group,
            protect_threshold_percent,
            savings_target,
            development_budget,
        },
        services,
        proposals,
        ballots,
        withheld: None,
        note: None,
    }
}

fn count(e: &Election) -> TallyResult {
    tally(e).expect("generated elections are valid")
}

fn shuffle<T>(items: &mut [T], mut seed: u64) {
    for i in (1..items.len()).rev() {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        items.swap(i, (seed % (i as u64 + 1)) as usize);
    }
}

/// Renames every proposal and service id with `rename`.
fn renamed(e: &Election, rename: impl Fn(&str) -> String) -> Election {
    let mut e = e.clone();
    for s in &mut e.services {
        s.id = rename(&s.id);
    }
    for p in &mut e.proposals {
        p.id = rename(&p.id);
        p.service = p.service.as_deref().map(&rename);
    }
    for b in &mut e.ballots {
        for id in b.want.iter_mut().chain(b.dont_want.iter_mut()).chain(b.uses.iter_mut()) {
            *id = rename(id);
        }
    }
    e
}

/// Everything about a proposal except its id and what ties decide.
fn tie_free_figures(r: &TallyResult) -> Vec<String> {
    r.proposals
        .iter()
        .map(|p| {
            format!(
                "{:?} {} {} {} {} {} {} {} {} {} {}",
                p.kind,
                p.score,
                p.plain_score,
                p.want_mass,
                p.dont_want_mass,
                p.want_count,
                p.dont_want_count,
                p.users,
                p.user_weight,
                p.protected,
                p.amount
            )
        })
        .collect()
}

/// Whether two proposals of one kind tie on (N, A, B), protected or plain.
fn has_ties(r: &TallyResult) -> bool {
    let ps = &r.proposals;
    ps.iter().enumerate().any(|(i, a)| {
        ps[i + 1..].iter().any(|b| {
            a.kind == b.kind
                && ((a.score, a.want_mass, a.dont_want_mass) == (b.score, b.want_mass, b.dont_want_mass)
                    || (a.plain_score, a.plain_want_mass, a.plain_dont_want_mass)
                        == (b.plain_score, b.plain_want_mass, b.plain_dont_want_mass))
        })
    })
}

/// An exact fraction for the reference computations, kept apart from the
/// crate's `Ratio`: numbers here are small, so plain i128 cross-multiplication
/// cannot overflow.
#[derive(Clone, Copy, Debug)]
struct Q {
    num: i128,
    den: i128,
}

impl Q {
    fn new(num: i128, den: i128) -> Q {
        assert!(den != 0);
        let sign = if den < 0 { -1 } else { 1 };
        let (mut a, mut b) = (num.abs(), den.abs());
        while b != 0 {
            (a, b) = (b, a % b);
        }
        let g = a.max(1);
        Q { num: sign * num / g, den: sign * den / g }
    }

    fn int(n: impl Into<i128>) -> Q {
        Q::new(n.into(), 1)
    }

    fn of(r: Ratio) -> Q {
        Q::new(r.numer(), r.denom())
    }

    fn add(self, o: Q) -> Q {
        Q::new(self.num * o.den + o.num * self.den, self.den * o.den)
    }

    fn sub(self, o: Q) -> Q {
        Q::new(self.num * o.den - o.num * self.den, self.den * o.den)
    }

    fn mul(self, o: Q) -> Q {
        Q::new(self.num * o.num, self.den * o.den)
    }

    fn div(self, o: Q) -> Q {
        Q::new(self.num * o.den, self.den * o.num)
    }

    fn cmp(self, o: Q) -> Ordering {
        (self.num * o.den).cmp(&(o.num * self.den))
    }

    /// The same number as the crate's `r`, compared by cross-multiplying.
    fn equals(self, r: Ratio) -> bool {
        self.num * r.denom() == r.numer() * self.den
    }

    fn is_positive(self) -> bool {
        self.num > 0
    }
}

/// ω(p) from the spec's intent: the users, counted ω times each, hold the share
/// φ of the say, ω·n_u / (ω·n_u + n_o) = φ/100, which solves to
/// ω = (φ/100)·n_o / ((1 − φ/100)·n_u); then kept between 1 and W, written as the
/// middle value of the three (for 1 <= W that is min(W, max(1, ω))).
fn reference_weight(config: &Config, ballots: u64, users: u64, has_service: bool) -> Q {
    let others = ballots - users;
    if !has_service || users < u64::from(config.min_group) || others == 0 {
        return Q::int(1);
    }
    let share = Q::new(config.minority_share_percent.into(), 100);
    let solved = share.mul(Q::int(others)).div(Q::int(1).sub(share).mul(Q::int(users)));
    let mut three = [Q::int(1), solved, Q::int(config.max_weight)];
    three.sort_by(|a, b| a.cmp(*b));
    three[1]
}

/// One proposal's figures, recomputed ballot by ballot.
#[derive(Clone, Copy, Debug)]
struct Figures {
    users: u64,
    weight: Q,
    want: Q,
    dont: Q,
    score: Q,
    plain_want: i128,
    plain_dont: i128,
    plain_score: Q,
    want_count: u64,
    dont_count: u64,
    rejecting: u64,
    protected: bool,
}

fn reference(e: &Election) -> Vec<Figures> {
    let depth = i128::from(e.config.rank_depth);
    let n = e.ballots.len() as u64;
    e.proposals
        .iter()
        .map(|p| {
            let uses_service = |b: &Ballot| p.service.as_ref().is_some_and(|s| b.uses.contains(s));
            let users = e.ballots.iter().filter(|b| uses_service(b)).count() as u64;
            let weight = reference_weight(&e.config, n, users, p.service.is_some());
            let mut f = Figures {
                users,
                weight,
                want: Q::int(0),
                dont: Q::int(0),
                score: Q::int(0),
                plain_want: 0,
                plain_dont: 0,
                plain_score: Q::int(0),
                want_count: 0,
                dont_count: 0,
                rejecting: 0,
                protected: false,
            };
            for ballot in &e.ballots {
                let w = if uses_service(ballot) { weight } else { Q::int(1) };
                // Position i (1-based) earns R - i + 1 points.
                if let Some(i) = ballot.want.iter().position(|id| *id == p.id) {
                    let points = depth - (i as i128 + 1) + 1;
                    f.want = f.want.add(w.mul(Q::int(points)));
                    f.plain_want += points;
                    f.want_count += 1;
                }
                if let Some(i) = ballot.dont_want.iter().position(|id| *id == p.id) {
                    let points = depth - (i as i128 + 1) + 1;
                    f.dont = f.dont.add(w.mul(Q::int(points)));
                    f.plain_dont += points;
                    f.dont_count += 1;
                    f.rejecting += u64::from(uses_service(ballot));
                }
            }
            f.score = f.want.sub(f.dont).div(Q::int(depth));
            f.plain_score = Q::new(f.plain_want - f.plain_dont, depth);
            // At least θ% of the users reject it: rejecting / users >= θ / 100.
            f.protected = p.kind == ProposalKind::Saving
                && p.service.is_some()
                && users >= u64::from(e.config.min_group)
                && Q::new(f.rejecting.into(), users.into()).cmp(Q::new(e.config.protect_threshold_percent.into(), 100)) != Ordering::Less;
            f
        })
        .collect()
}

/// Step 5 as the spec words it: `x` comes before `y` when its N is higher; on equal
/// N when its A is higher; then when its B is lower; then when its id is smaller
/// byte by byte.
fn comes_before(x: (Q, Q, Q, &str), y: (Q, Q, Q, &str)) -> bool {
    match x.0.cmp(y.0) {
        Ordering::Greater => return true,
        Ordering::Less => return false,
        Ordering::Equal => {}
    }
    match x.1.cmp(y.1) {
        Ordering::Greater => return true,
        Ordering::Less => return false,
        Ordering::Equal => {}
    }
    match x.2.cmp(y.2) {
        Ordering::Less => return true,
        Ordering::Greater => return false,
        Ordering::Equal => {}
    }
    x.3.as_bytes() < y.3.as_bytes()
}

/// What step 6 decides for one view (protected or plain).
#[derive(Debug, Default, PartialEq)]
struct Outcome {
    /// For each proposal: its rank within its kind, and whether it is adopted.
    rank: Vec<u32>,
    adopted: Vec<bool>,
    savings: u64,
    spent: u64,
}

/// Ranks each kind with [`comes_before`] (a rank is 1 + the number of its kind
/// that come before it), then adopts in rank order as step 6 says.
fn reference_outcome(e: &Election, figures: &[Figures], protected_view: bool) -> Outcome {
    let key = |p: usize| {
        let f = &figures[p];
        let id = e.proposals[p].id.as_str();
        if protected_view { (f.score, f.want, f.dont, id) } else { (f.plain_score, Q::int(f.plain_want), Q::int(f.plain_dont), id) }
    };
    let n = e.proposals.len();
    let mut out = Outcome { rank: vec![0; n], adopted: vec![false; n], ..Outcome::default() };
    for p in 0..n {
        let ahead =
            (0..n).filter(|&q| q != p && e.proposals[q].kind == e.proposals[p].kind).filter(|&q| comes_before(key(q), key(p))).count();
        out.rank[p] = ahead as u32 + 1;
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by_key(|&p| out.rank[p]);
    for p in order {
        let proposal = &e.proposals[p];
        let score = key(p).0;
        let skipped = !score.is_positive() || (protected_view && figures[p].protected);
        if skipped {
            continue;
        }
        match proposal.kind {
            ProposalKind::Saving => {
                let below_target = e.config.savings_target.is_none_or(|t| out.savings < t);
                if below_target {
                    out.adopted[p] = true;
                    out.savings += proposal.amount;
                }
            }
            ProposalKind::Development => {
                let fits = e.config.development_budget.is_none_or(|d| out.spent + proposal.amount <= d);
                if fits {
                    out.adopted[p] = true;
                    out.spent += proposal.amount;
                }
            }
        }
    }
    out
}

/// Ballots by channel (online, meeting, paper, none) and by area, areas in
/// byte order and ballots without one last.
fn reference_breakdown(e: &Election) -> ([u64; 4], Vec<(Option<String>, u64)>) {
    let mut channels = [0u64; 4];
    let mut areas: BTreeMap<Vec<u8>, u64> = BTreeMap::new();
    let mut no_area = 0;
    for b in &e.ballots {
        let slot = match b.channel {
            Some(Channel::Online) => 0,
            Some(Channel::Meeting) => 1,
            Some(Channel::Paper) => 2,
            None => 3,
        };
        channels[slot] += 1;
        match &b.area {
            Some(area) => *areas.entry(area.as_bytes().to_vec()).or_default() += 1,
            None => no_area += 1,
        }
    }
    let mut by_area: Vec<(Option<String>, u64)> = areas.into_iter().map(|(area, n)| (Some(String::from_utf8(area).unwrap()), n)).collect();
    if no_area > 0 {
        by_area.push((None, no_area));
    }
    (channels, by_area)
}

/// Checks that one view's ranks, taken in order within each kind, follow step 5.
fn check_ranking(
    r: &TallyResult,
    view: &str,
    rank: impl Fn(&ProposalResult) -> u32,
    key: impl Fn(&ProposalResult) -> (Q, Q, Q),
) -> Result<(), TestCaseError> {
    for kind in [ProposalKind::Saving, ProposalKind::Development] {
        let mut ranked: Vec<&ProposalResult> = r.proposals.iter().filter(|p| p.kind == kind).collect();
        ranked.sort_by_key(|p| rank(p));
        let ranks: Vec<u32> = ranked.iter().map(|p| rank(p)).collect();
        let expected: Vec<u32> = (1..=ranked.len() as u32).collect();
        prop_assert_eq!(ranks, expected, "{} ranks of {:?} are 1, 2, 3, ...", view, kind);
        for pair in ranked.windows(2) {
            let (x, y) = (pair[0], pair[1]);
            let (kx, ky) = (key(x), key(y));
            prop_assert!(
                comes_before((kx.0, kx.1, kx.2, &x.id), (ky.0, ky.1, ky.2, &y.id)),
                "{} view: {:?} (rank {}) should not come before {:?} (rank {}): {:?} vs {:?}",
                view,
                x.id,
                rank(x),
                y.id,
                rank(y),
                kx,
                ky
            );
        }
    }
    Ok(())
}

/// Every place where `e` breaks a rule, in the order the crate checks them, as
/// error paths: the spec's rules, plus the crate's own documented choices where
/// the spec is silent (ids not empty, the amounts' total within u64, the currency
/// three capital letters).
fn problems(e: &Election) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(code) = &e.currency
        && !(code.len() == 3 && code.chars().all(|c| c.is_ascii_uppercase()))
    {
        out.push("currency".to_string());
    }
    let c = &e.config;
    let settings = [
        ("rank_depth", (1..=20).contains(&c.rank_depth)),
        ("minority_share_percent", c.minority_share_percent <= 90),
        ("max_weight", c.max_weight >= 1),
        ("min_group", c.min_group >= 1),
        ("protect_threshold_percent", (1..=100).contains(&c.protect_threshold_percent)),
    ];
    for (name, ok) in settings {
        if !ok {
            out.push(format!("config.{name}"));
        }
    }
    for (i, s) in e.services.iter().enumerate() {
        if s.id.is_empty() || e.services[..i].iter().any(|t| t.id == s.id) {
            out.push(format!("services[{i}].id"));
        }
    }
    let mut total: Option<u64> = Some(0);
    let mut overflowed = false;
    for (i, p) in e.proposals.iter().enumerate() {
        if p.id.is_empty() || e.proposals[..i].iter().any(|q| q.id == p.id) {
            out.push(format!("proposals[{i}].id"));
        }
        if let Some(s) = &p.service
            && !e.services.iter().any(|t| &t.id == s)
        {
            out.push(format!("proposals[{i}].service"));
        }
        total = total.and_then(|t| t.checked_add(p.amount));
        if total.is_none() && !overflowed {
            overflowed = true;
            out.push(format!("proposals[{i}].amount"));
        }
    }
    let depth = c.rank_depth as usize;
    let is_proposal = |id: &String| e.proposals.iter().any(|p| &p.id == id);
    for (i, b) in e.ballots.iter().enumerate() {
        for (name, list) in [("want", &b.want), ("dont_want", &b.dont_want)] {
            if list.len() > depth {
                out.push(format!("ballots[{i}].{name}"));
            }
        }
        let mut listed: Vec<&String> = Vec::new();
        for (name, list) in [("want", &b.want), ("dont_want", &b.dont_want)] {
            for (j, id) in list.iter().enumerate() {
                if !is_proposal(id) || listed.contains(&id) {
                    out.push(format!("ballots[{i}].{name}[{j}]"));
                }
                listed.push(id);
            }
        }
        for (j, id) in b.uses.iter().enumerate() {
            if !e.services.iter().any(|s| &s.id == id) {
                out.push(format!("ballots[{i}].uses[{j}]"));
            }
        }
    }
    out
}

/// The JSON value at an error path such as `ballots[3].want[1]`, if the document has one.
fn at_path<'v>(doc: &'v serde_json::Value, path: &str) -> Option<&'v serde_json::Value> {
    let mut here = doc;
    for part in path.split('.') {
        let (key, indices) = part.split_at(part.find('[').unwrap_or(part.len()));
        here = here.get(key)?;
        for index in indices.split('[').skip(1) {
            here = here.get(index.strip_suffix(']')?.parse::<usize>().ok()?)?;
        }
    }
    Some(here)
}

proptest! {
    // No regression files: the crate keeps no generated files in the repository.
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, .. ProptestConfig::default() })]

    /// Steps 1–6 recomputed ballot by ballot from the spec, protected and plain.
    #[test]
    fn the_count_matches_a_ballot_by_ballot_reference(e in arb_election()) {
        let result = count(&e);
        let figures = reference(&e);
        for ((p, out), f) in e.proposals.iter().zip(&result.proposals).zip(&figures) {
            prop_assert_eq!(&out.id, &p.id, "proposals in input order");
            prop_assert_eq!(out.users, f.users, "users of {}", p.id);
            prop_assert!(f.weight.equals(out.user_weight), "weight of {}: {:?} vs {}", p.id, f.weight, out.user_weight);
            prop_assert!(f.want.equals(out.want_mass), "A of {}", p.id);
            prop_assert!(f.dont.equals(out.dont_want_mass), "B of {}", p.id);
            prop_assert!(f.score.equals(out.score), "N of {}", p.id);
            prop_assert_eq!(i128::from(out.plain_want_mass), f.plain_want, "plain A of {}", p.id);
            prop_assert_eq!(i128::from(out.plain_dont_want_mass), f.plain_dont, "plain B of {}", p.id);
            prop_assert!(f.plain_score.equals(out.plain_score), "plain N of {}: {:?} vs {}", p.id, f.plain_score, out.plain_score);
            prop_assert_eq!(out.want_count, f.want_count, "want_count of {}", p.id);
            prop_assert_eq!(out.dont_want_count, f.dont_count, "dont_want_count of {}", p.id);
            let shown = if f.users >= u64::from(e.config.min_group) { f.rejecting } else { 0 };
            prop_assert_eq!(out.rejecting_users, shown, "rejecting users of {}", p.id);
            prop_assert_eq!(out.protected, f.protected, "protection of {}", p.id);
        }
        let protected = reference_outcome(&e, &figures, true);
        let plain = reference_outcome(&e, &figures, false);
        let s = &result.summary;
        for (i, out) in result.proposals.iter().enumerate() {
            prop_assert_eq!((out.rank, out.adopted), (protected.rank[i], protected.adopted[i]), "protected fate of {}", out.id);
            prop_assert_eq!((out.plain_rank, out.plain_adopted), (plain.rank[i], plain.adopted[i]), "plain fate of {}", out.id);
        }
        let c = &e.config;
        prop_assert_eq!(s.ballots, e.ballots.len() as u64);
        prop_assert_eq!((s.savings_adopted, s.development_spent), (protected.savings, protected.spent));
        prop_assert_eq!((s.plain_savings_adopted, s.plain_development_spent), (plain.savings, plain.spent));
        for (reached, shortfall, left, sums) in [
            (s.target_reached, s.shortfall, s.development_left, &protected),
            (s.plain_target_reached, s.plain_shortfall, s.plain_development_left, &plain),
        ] {
            prop_assert_eq!(reached, c.savings_target.is_none_or(|t| sums.savings >= t));
            prop_assert_eq!(shortfall, c.savings_target.map_or(0, |t| t.saturating_sub(sums.savings)));
            prop_assert_eq!(left, c.development_budget.map(|d| d - sums.spent));
        }
        prop_assert_eq!(s.protected, figures.iter().filter(|f| f.protected).count() as u64);
        let (channels, areas) = reference_breakdown(&e);
        let by = &s.breakdown.by_channel;
        prop_assert_eq!([by.online, by.meeting, by.paper, by.unspecified], channels);
        let got: Vec<(Option<String>, u64)> = s.breakdown.by_area.iter().map(|a| (a.area.clone(), a.ballots)).collect();
        prop_assert_eq!(got, areas);
    }

    /// Step 5 on the output alone: within each kind, rank r + 1 never comes
    /// before rank r by (N desc, A desc, B asc, id bytewise asc), both views.
    #[test]
    fn ranks_follow_score_then_masses_then_id_bytes(e in arb_election()) {
        let r = count(&e);
        check_ranking(&r, "protected", |p| p.rank, |p| (Q::of(p.score), Q::of(p.want_mass), Q::of(p.dont_want_mass)))?;
        check_ranking(&r, "plain", |p| p.plain_rank, |p| (Q::of(p.plain_score), Q::int(p.plain_want_mass), Q::int(p.plain_dont_want_mass)))?;
    }

    /// The explanation agrees with the figures: it says "Agreed" exactly when
    /// the proposal is agreed, "protected" exactly when it is, and mentions the
    /// simple majority exactly when that count decided otherwise.
    #[test]
    fn explanations_agree_with_the_outcome(e in arb_election()) {
        for p in &count(&e).proposals {
            let text = &p.explanation;
            prop_assert_eq!(text.starts_with("Agreed."), p.adopted, "{}", text);
            prop_assert_eq!(text.starts_with("Not agreed"), !p.adopted, "{}", text);
            prop_assert_eq!(text.contains("because it is protected"), p.protected, "{}", text);
            let majority = if p.plain_adopted { "A simple majority count would have agreed it." } else { "A simple majority count would not have agreed it." };
            prop_assert_eq!(text.ends_with(majority), p.adopted != p.plain_adopted, "{}", text);
            prop_assert!(!text.contains("adopted") && !text.contains("development"), "the plain words: {}", text);
        }
    }

    #[test]
    fn without_services_protected_equals_plain(e in arb_election()) {
        let mut no_services = e.clone();
        no_services.services.clear();
        no_services.proposals.iter_mut().for_each(|p| p.service = None);
        no_services.ballots.iter_mut().for_each(|b| b.uses.clear());
        let mut no_uses = e;
        no_uses.ballots.iter_mut().for_each(|b| b.uses.clear());
        for e in [no_services, no_uses] {
            let r = count(&e);
            for p in &r.proposals {
                prop_assert_eq!(p.score, p.plain_score);
                prop_assert_eq!(p.rank, p.plain_rank);
                prop_assert_eq!(p.adopted, p.plain_adopted);
                prop_assert!(!p.protected);
                prop_assert_eq!(p.user_weight, Ratio::ONE);
                prop_assert_eq!(p.want_mass, Ratio::from_integer(i128::from(p.plain_want_mass)));
            }
            let s = &r.summary;
            prop_assert_eq!(s.savings_adopted, s.plain_savings_adopted);
            prop_assert_eq!(s.development_spent, s.plain_development_spent);
            prop_assert_eq!(s.target_reached, s.plain_target_reached);
        }
    }

    #[test]
    fn reordering_ballots_changes_nothing(e in arb_election(), seed in 1u64..) {
        let mut shuffled = e.clone();
        shuffle(&mut shuffled.ballots, seed);
        prop_assert_eq!(count(&e).to_json(), count(&shuffled).to_json());
    }

    #[test]
    fn renaming_preserving_order_changes_nothing_but_ids(e in arb_election()) {
        // A common prefix keeps the bytewise order of ids.
        let original = count(&e);
        let mut back = count(&renamed(&e, |id| format!("x-{id}")));
        for p in &mut back.proposals {
            p.id = p.id.strip_prefix("x-").unwrap().to_string();
            p.service = p.service.as_deref().map(|s| s.strip_prefix("x-").unwrap().to_string());
        }
        prop_assert_eq!(original.to_json(), back.to_json());
    }

    #[test]
    fn renaming_changes_only_the_tie_break(e in arb_election()) {
        // Give the proposals each other's ids, in reverse byte order: the smallest
        // id goes to the proposal that had the largest, and so on.
        let mut ids: Vec<String> = e.proposals.iter().map(|p| p.id.clone()).collect();
        ids.sort();
        let reversal: BTreeMap<String, String> = ids.iter().cloned().zip(ids.iter().rev().cloned()).collect();
        let reversed = renamed(&e, |id| reversal.get(id).cloned().unwrap_or_else(|| id.to_string()));
        let (a, b) = (count(&e), count(&reversed));
        prop_assert_eq!(tie_free_figures(&a), tie_free_figures(&b));
        if !has_ties(&a) {
            let fate = |r: &TallyResult| r.proposals.iter().map(|p| (p.rank, p.plain_rank, p.adopted, p.plain_adopted)).collect::<Vec<_>>();
            prop_assert_eq!(fate(&a), fate(&b));
            prop_assert_eq!(&a.summary, &b.summary);
        }
    }

    #[test]
    fn moving_up_a_want_list_never_lowers_the_score(e in arb_election(), pick in any::<prop::sample::Index>(), at in any::<prop::sample::Index>()) {
        let eligible: Vec<usize> = (0..e.ballots.len()).filter(|&i| e.ballots[i].want.len() >= 2).collect();
        prop_assume!(!eligible.is_empty());
        let i = eligible[pick.index(eligible.len())];
        let want = &e.ballots[i].want;
        let j = 1 + at.index(want.len() - 1);
        let moved = want[j].clone();
        let mut better = e.clone();
        better.ballots[i].want.swap(j - 1, j);
        let (before, after) = (count(&e), count(&better));
        let (x, y) = (before.proposal(&moved).unwrap(), after.proposal(&moved).unwrap());
        prop_assert!(y.score >= x.score && y.plain_score >= x.plain_score);
    }

    #[test]
    fn leaving_a_dont_want_list_never_lowers_the_score(e in arb_election(), pick in any::<prop::sample::Index>(), at in any::<prop::sample::Index>()) {
        let eligible: Vec<usize> = (0..e.ballots.len()).filter(|&i| !e.ballots[i].dont_want.is_empty()).collect();
        prop_assume!(!eligible.is_empty());
        let i = eligible[pick.index(eligible.len())];
        let j = at.index(e.ballots[i].dont_want.len());
        let mut kinder = e.clone();
        let removed = kinder.ballots[i].dont_want.remove(j);
        let (before, after) = (count(&e), count(&kinder));
        let (x, y) = (before.proposal(&removed).unwrap(), after.proposal(&removed).unwrap());
        prop_assert!(y.score >= x.score && y.plain_score >= x.plain_score);
    }

    #[test]
    fn weights_stay_in_bounds_and_grow_with_phi_and_with_w(e in arb_election(), more_share in 0u32..=90, more_weight in 0u32..=10) {
        let r = count(&e);
        let n = r.summary.ballots;
        let cap = Ratio::from_integer(i128::from(e.config.max_weight));
        for p in &r.proposals {
            prop_assert!(Ratio::ONE <= p.user_weight && p.user_weight <= cap);
            if p.users < u64::from(e.config.min_group) {
                prop_assert_eq!(p.user_weight, Ratio::ONE, "a small group is never weighted up");
                prop_assert!(!p.protected, "a small group never protects");
            }
            if 100 * p.users >= u64::from(e.config.minority_share_percent) * n {
                prop_assert_eq!(p.user_weight, Ratio::ONE, "users already have their share");
            }
            // Between the bounds the users hold exactly the share φ of the say.
            let w = Q::of(p.user_weight);
            if Ratio::ONE < p.user_weight && p.user_weight < cap {
                let users = w.mul(Q::int(p.users));
                let share = users.div(users.add(Q::int(n - p.users)));
                prop_assert_eq!(share.cmp(Q::new(e.config.minority_share_percent.into(), 100)), Ordering::Equal);
            }
        }
        let higher_share = e.config.minority_share_percent.max(more_share);
        let higher_cap = e.config.max_weight + more_weight;
        let raise = |share: u32, max_weight: u32| {
            let mut raised = e.clone();
            raised.config.minority_share_percent = share;
            raised.config.max_weight = max_weight;
            count(&raised)
        };
        for (what, raised) in [
            ("φ alone", raise(higher_share, e.config.max_weight)),
            ("W alone", raise(e.config.minority_share_percent, higher_cap)),
            ("φ and W", raise(higher_share, higher_cap)),
        ] {
            for (a, b) in r.proposals.iter().zip(&raised.proposals) {
                prop_assert!(b.user_weight >= a.user_weight, "raising {} lowered the weight of {}: {} -> {}", what, a.id, a.user_weight, b.user_weight);
            }
        }
    }

    #[test]
    fn adoption_follows_the_rule(e in arb_election()) {
        let r = count(&e);
        let s = &r.summary;
        for (protected_view, adopted_sum, spent) in [(true, s.savings_adopted, s.development_spent), (false, s.plain_savings_adopted, s.plain_development_spent)] {
            let adopted = |p: &ProposalResult| if protected_view { p.adopted } else { p.plain_adopted };
            let score = |p: &ProposalResult| if protected_view { p.score } else { p.plain_score };
            let rank = |p: &ProposalResult| if protected_view { p.rank } else { p.plain_rank };
            // Replay step 6 from the output's ranks.
            for kind in [ProposalKind::Saving, ProposalKind::Development] {
                let mut order: Vec<_> = r.proposals.iter().filter(|p| p.kind == kind).collect();
                order.sort_by_key(|p| rank(p));
                prop_assert!(order.iter().enumerate().all(|(i, p)| rank(p) as usize == i + 1));
                let mut sum = 0u64;
                for p in order {
                    let skip = (protected_view && p.protected) || score(p) <= Ratio::ZERO;
                    let expect = !skip && match kind {
                        ProposalKind::Saving => e.config.savings_target.is_none_or(|t| sum < t),
                        ProposalKind::Development => e.config.development_budget.is_none_or(|d| sum + p.amount <= d),
                    };
                    prop_assert_eq!(adopted(p), expect, "{} in {} view", p.id, if protected_view { "protected" } else { "plain" });
                    if expect { sum += p.amount; }
                    if adopted(p) && kind == ProposalKind::Saving {
                        prop_assert!(!(protected_view && p.protected) && score(p) > Ratio::ZERO);
                    }
                }
                match kind {
                    ProposalKind::Saving => prop_assert_eq!(sum, adopted_sum),
                    ProposalKind::Development => {
                        prop_assert_eq!(sum, spent);
                        prop_assert!(e.config.development_budget.is_none_or(|d| spent <= d));
                    }
                }
            }
        }
        prop_assert_eq!(s.target_reached, e.config.savings_target.is_none_or(|t| s.savings_adopted >= t));
        prop_assert_eq!(s.shortfall, e.config.savings_target.map_or(0, |t| t.saturating_sub(s.savings_adopted)));
        prop_assert_eq!(s.development_left, e.config.development_budget.map(|d| d - s.development_spent));
    }

    #[test]
    fn deterministic_and_the_same_through_every_entry_point(e in arb_election()) {
        // Two separate counts, serialised separately, compact and indented.
        let (first, second) = (count(&e), count(&e.clone()));
        let json = first.to_json();
        prop_assert_eq!(&json, &second.to_json());
        prop_assert_eq!(first.to_json_pretty(), second.to_json_pretty());
        // Streamed: config, services, proposals come before ballots.
        let text = exchange::to_json(&e);
        prop_assert_eq!(&exchange::parse(text.as_bytes()).unwrap(), &e);
        prop_assert_eq!(&exchange::count(text.as_bytes()).unwrap().to_json(), &json);
        // Buffered: serde_json::Value sorts keys, so "ballots" comes first.
        let sorted = serde_json::to_string(&serde_json::to_value(&e).unwrap()).unwrap();
        prop_assert!(sorted.starts_with(r#"{"ballots""#), "keys not sorted");
        prop_assert_eq!(&exchange::count(sorted.as_bytes()).unwrap().to_json(), &json);
        // Through the plain serde impl too.
        let via_serde: Election = serde_json::from_str(&text).unwrap();
        prop_assert_eq!(&via_serde, &e);
    }

    #[test]
    fn never_panics_on_arbitrary_bytes(bytes in vec(any::<u8>(), 0..400)) {
        let _ = exchange::count(&bytes);
        let _ = exchange::parse(&bytes);
    }

    #[test]
    fn never_panics_on_json_like_input(tokens in vec(select(JSON_TOKENS), 0..80)) {
        let text = tokens.concat();
        let _ = exchange::count(text.as_bytes());
        if let Ok(e) = exchange::parse(text.as_bytes()) {
            let _ = tally(&e);
        }
    }

    #[test]
    fn never_panics_on_damaged_documents(e in arb_election(), cut in any::<prop::sample::Index>(), len in 0usize..20, insert in select(JSON_TOKENS)) {
        let text = exchange::to_json(&e);
        let at = cut.index(text.len() + 1);
        let end = (at + len).min(text.len());
        let damaged = [&text.as_bytes()[..at], insert.as_bytes(), &text.as_bytes()[end..]].concat();
        let _ = exchange::count(&damaged);
    }

    /// Elections that may break any rule: counted exactly when they break none,
    /// otherwise refused with an error naming the first problem (in the order
    /// the crate checks), at a place that exists in the input.
    #[test]
    fn invalid_elections_are_refused_at_their_first_problem(
        e in arb_election(),
        damages in vec(arb_damage(), 0..=2),
    ) {
        let mut e = e;
        for damage in &damages {
            damage.apply(&mut e);
        }
        let problems = problems(&e);
        match tally(&e) {
            Ok(r) => {
                prop_assert!(problems.is_empty(), "counted despite {:?}", problems);
                prop_assert_eq!(r.summary.ballots as usize, e.ballots.len());
            }
            Err(err) => {
                let path = err.path();
                prop_assert_eq!(Some(&path), problems.first(), "{} (all problems: {:?})", err, problems);
                prop_assert!(err.to_string().starts_with(&format!("{path}: ")), "{}", err);
                let doc = serde_json::to_value(&e).unwrap();
                prop_assert!(at_path(&doc, &path).is_some(), "{} is not a place in the input", path);
            }
        }
    }
}

/// One way of breaking a valid election (see [`problems`] for the rules).
/// Indices pick a service, proposal or ballot; a damage with nothing to pick from does nothing.
#[derive(Clone, Debug)]
enum Damage {
    /// A setting out of its range: (which setting, a value).
    Setting(usize, u32),
    Currency(&'static str),
    EmptyServiceId(prop::sample::Index),
    DuplicateServiceId(prop::sample::Index, prop::sample::Index),
    EmptyProposalId(prop::sample::Index),
    DuplicateProposalId(prop::sample::Index, prop::sample::Index),
    UnknownService(prop::sample::Index),
    /// Every amount u64::MAX / 2, so that three of them overflow.
    HugeAmounts,
    /// A ballot's list (want or dont_want) one longer than R, with fresh unknown ids.
    TooLong(prop::sample::Index, bool),
    /// An id that names nothing, put in want, dont_want or uses.
    UnknownId(prop::sample::Index, usize),
    /// A ballot's first listed proposal listed again, in want or dont_want.
    Repeated(prop::sample::Index, bool),
}

fn arb_damage() -> impl Strategy<Value = Damage> {
    use prop::sample::Index;
    prop_oneof![
        (0usize..5, select(&[0u32, 21, 91, 100, 101, 1000][..])).prop_map(|(f, v)| Damage::Setting(f, v)),
        select(&["gbp", "EU", "€UR", "", "POUND"][..]).prop_map(Damage::Currency),
        any::<Index>().prop_map(Damage::EmptyServiceId),
        (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Damage::DuplicateServiceId(a, b)),
        any::<Index>().prop_map(Damage::EmptyProposalId),
        (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Damage::DuplicateProposalId(a, b)),
        any::<Index>().prop_map(Damage::UnknownService),
        Just(Damage::HugeAmounts),
        (any::<Index>(), any::<bool>()).prop_map(|(b, w)| Damage::TooLong(b, w)),
        (any::<Index>(), 0usize..3).prop_map(|(b, l)| Damage::UnknownId(b, l)),
        (any::<Index>(), any::<bool>()).prop_map(|(b, w)| Damage::Repeated(b, w)),
    ]
}

impl Damage {
    fn apply(&self, e: &mut Election) {
        let pick = |i: &prop::sample::Index, len: usize| (len > 0).then(|| i.index(len));
        match self {
            Damage::Setting(field, value) => {
                let c = &mut e.config;
                // Only values outside the range count: a value inside it changes nothing wrong.
                match field {
                    0 if !(1..=20).contains(value) => c.rank_depth = *value,
                    1 if *value > 90 => c.minority_share_percent = *value,
                    2 => c.max_weight = 0,
                    3 => c.min_group = 0,
                    4 if *value == 0 || *value > 100 => c.protect_threshold_percent = *value,
                    _ => {}
                }
            }
            Damage::Currency(code) => e.currency = Some(code.to_string()),
            Damage::EmptyServiceId(i) => {
                if let Some(i) = pick(i, e.services.len()) {
                    e.services[i].id.clear();
                }
            }
            Damage::DuplicateServiceId(a, b) => {
                if let (Some(a), Some(b)) = (pick(a, e.services.len()), pick(b, e.services.len())) {
                    e.services[b].id = e.services[a].id.clone();
                }
            }
            Damage::EmptyProposalId(i) => {
                if let Some(i) = pick(i, e.proposals.len()) {
                    e.proposals[i].id.clear();
                }
            }
            Damage::DuplicateProposalId(a, b) => {
                if let (Some(a), Some(b)) = (pick(a, e.proposals.len()), pick(b, e.proposals.len())) {
                    e.proposals[b].id = e.proposals[a].id.clone();
                }
            }
            Damage::UnknownService(i) => {
                if let Some(i) = pick(i, e.proposals.len()) {
                    e.proposals[i].service = Some("pool".into());
                }
            }
            Damage::HugeAmounts => e.proposals.iter_mut().for_each(|p| p.amount = u64::MAX / 2),
            Damage::TooLong(b, want) => {
                if let Some(b) = pick(b, e.ballots.len()) {
                    let depth = e.config.rank_depth as usize;
                    let ballot = &mut e.ballots[b];
                    let list = if *want { &mut ballot.want } else { &mut ballot.dont_want };
                    while list.len() <= depth {
                        let fresh = format!("X{}", list.len());
                        list.push(fresh);
                    }
                }
            }
            Damage::UnknownId(b, which) => {
                if let Some(b) = pick(b, e.ballots.len()) {
                    let ballot = &mut e.ballots[b];
                    match which {
                        0 => ballot.want.insert(0, "X".into()),
                        1 => ballot.dont_want.push("X".into()),
                        _ => ballot.uses.push("X".into()),
                    }
                }
            }
            Damage::Repeated(b, want) => {
                if let Some(b) = pick(b, e.ballots.len()) {
                    let ballot = &mut e.ballots[b];
                    if let Some(first) = ballot.want.first().or(ballot.dont_want.first()).cloned() {
                        if *want { ballot.want.push(first) } else { ballot.dont_want.push(first) }
                    }
                }
            }
        }
    }
}

const JSON_TOKENS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    ",",
    ":",
    " ",
    "\n",
    "\"",
    "\"proposals\"",
    "\"ballots\"",
    "\"config\"",
    "\"services\"",
    "\"want\"",
    "\"dont_want\"",
    "\"uses\"",
    "\"channel\"",
    "\"area\"",
    "\"id\"",
    "\"kind\"",
    "\"amount\"",
    "\"service\"",
    "\"saving\"",
    "\"development\"",
    "\"rank_depth\"",
    "\"max_weight\"",
    "\"savings_target\"",
    "\"online\"",
    "\"withheld\"",
    "\"ballots\":3",
    "\"proposals\":{\"P0\":{\"want_count\":1,\"want_points\":2}}",
    "\"users\":{\"day-centre\":2}",
    "\"P0\"",
    "\"svc0\"",
    "\"\\u00e9\"",
    "\"\\ud800\"",
    "-1",
    "0",
    "7",
    "1.5",
    "1e400",
    "18446744073709551616",
    "null",
    "true",
    "false",
    "\\",
];

// ---------------------------------------------------------------------------------------
// Publishing ballots (`disclosure::anonymise`): the file recounts to the same result, and
// nothing in it picks out a group smaller than `min_group`.

/// What a reader of a published file sees of a ballot besides its lists.
type GroupKey<'a> = (Option<Channel>, Option<&'a str>, Vec<String>);

/// The result without its breakdown (which anonymising changes on purpose).
fn without_breakdown(mut r: TallyResult) -> TallyResult {
    r.summary.breakdown = Default::default();
    r
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, .. ProptestConfig::default() })]

    #[test]
    fn an_anonymised_file_recounts_to_the_same_result(e in arb_election()) {
        let public = disclosure::anonymise_election(&e).unwrap();
        let original = count(&e);
        let recounted = count(&public);
        prop_assert_eq!(without_breakdown(recounted.clone()), without_breakdown(original.clone()));
        prop_assert_eq!(recounted.summary.ballots, e.ballots.len() as u64);
        // Through the file, streamed and buffered, and back.
        let text = exchange::to_json(&public);
        prop_assert_eq!(&exchange::parse(text.as_bytes()).unwrap(), &public);
        prop_assert_eq!(exchange::count(text.as_bytes()).unwrap(), recounted.clone());
        let sorted = serde_json::to_string(&serde_json::to_value(&public).unwrap()).unwrap();
        prop_assert_eq!(exchange::count(sorted.as_bytes()).unwrap(), recounted);
    }

    #[test]
    fn an_anonymised_file_picks_out_no_small_group(e in arb_election()) {
        let m = e.config.min_group as usize;
        let public = disclosure::anonymise_election(&e).unwrap();
        let n = e.ballots.len();
        let mut areas: BTreeMap<&str, usize> = BTreeMap::new();
        let mut channels: BTreeMap<&str, usize> = BTreeMap::new();
        let mut groups: BTreeMap<GroupKey<'_>, usize> = BTreeMap::new();
        for b in &public.ballots {
            if let Some(a) = &b.area { *areas.entry(a).or_default() += 1; }
            if let Some(c) = b.channel { *channels.entry(c.as_str()).or_default() += 1; }
            let place = |id: &String| e.services.iter().position(|s| &s.id == id);
            let mut uses = b.uses.clone();
            uses.sort_by_key(place);
            uses.dedup();
            prop_assert_eq!(&uses, &b.uses, "uses is written as a set, in the paper's order");
            *groups.entry((b.channel, b.area.as_deref(), uses)).or_default() += 1;
        }
        for (area, k) in &areas { prop_assert!(*k >= m, "area {:?} named by {} < {}", area, k, m); }
        for (channel, k) in &channels { prop_assert!(*k >= m, "channel {} named by {} < {}", channel, k, m); }
        for (key, k) in &groups { prop_assert!(*k >= m, "group {:?} has {} < {}", key, k, m); }
        let withheld = public.withheld.clone().unwrap_or_default();
        prop_assert_eq!(withheld.ballots as usize + public.ballots.len(), n);
        prop_assert!(withheld.ballots == 0 || withheld.ballots as usize >= m || withheld.ballots as usize == n);
        for service in &e.services {
            let total = e.ballots.iter().filter(|b| b.uses.contains(&service.id)).count();
            let users = withheld.users.get(&service.id).copied().unwrap_or(0) as usize;
            let others = withheld.ballots as usize - users;
            if total >= m {
                prop_assert!(users == 0 || users >= m, "{} withheld users of {}", users, service.id);
            } else {
                // Too few to weigh or protect: their points are not split off.
                for p in e.proposals.iter().filter(|p| p.service.as_ref() == Some(&service.id)) {
                    if let Some(sums) = withheld.proposals.get(&p.id) {
                        prop_assert_eq!((sums.want_points_users, sums.dont_want_points_users, sums.rejecting_users), (0, 0, 0));
                    }
                }
            }
            if n - total >= m {
                prop_assert!(others == 0 || others >= m, "{} withheld non-users of {}", others, service.id);
            }
        }
    }

    #[test]
    fn anonymising_does_not_depend_on_the_order_of_ballots(e in arb_election(), seed in 1u64..) {
        let mut shuffled = e.clone();
        shuffle(&mut shuffled.ballots, seed);
        prop_assert_eq!(disclosure::anonymise_election(&shuffled).unwrap(), disclosure::anonymise_election(&e).unwrap());
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, .. ProptestConfig::default() })]

    /// Every breakdown adds up to the published result, and no users / non-users side of
    /// fewer than min_group ballots is given.
    #[test]
    fn breakdowns_add_up_to_the_result_and_hide_small_sides(e in arb_election()) {
        let public = disclosure::anonymise_election(&e).unwrap();
        let result = count(&public);
        let b = pbvote_tally::breakdown::breakdowns(&public).unwrap();
        let m = u64::from(e.config.min_group.max(1));
        for groups in [&b.by_channel, &b.by_area] {
            prop_assert_eq!(groups.iter().map(|g| g.ballots).sum::<u64>(), result.summary.ballots);
            for (p, r) in result.proposals.iter().enumerate() {
                prop_assert_eq!(groups.iter().map(|g| g.proposals[p].want_count).sum::<u64>(), r.want_count);
                prop_assert_eq!(groups.iter().map(|g| g.proposals[p].dont_want_points).sum::<u64>(), r.plain_dont_want_mass);
            }
            for g in groups.iter() {
                prop_assert!(g.ballots >= m || g.ballots == result.summary.ballots, "a group of {} < {}", g.ballots, m);
            }
        }
        for split in &b.by_users {
            let r = result.proposal(&split.id).unwrap();
            match (&split.users, &split.others) {
                (Some(u), Some(o)) => {
                    prop_assert!(u.ballots >= m && o.ballots >= m);
                    prop_assert_eq!(u.ballots, r.users);
                    prop_assert_eq!(u.ballots + o.ballots, result.summary.ballots);
                    prop_assert_eq!(u.want_points + o.want_points, r.plain_want_mass);
                }
                (None, None) => prop_assert!(r.users < m || result.summary.ballots - r.users < m),
                _ => prop_assert!(false, "one side shown without the other"),
            }
        }
    }

    /// The rules' fingerprint changes with any rule and never with the ballots.
    #[test]
    fn the_fingerprint_follows_the_rules_not_the_ballots(e in arb_election(), more in 1u64..1000) {
        let fingerprint = e.rules_fingerprint();
        prop_assert_eq!(fingerprint.len(), 64);
        let mut ballots_changed = e.clone();
        ballots_changed.ballots.clear();
        prop_assert_eq!(&ballots_changed.rules_fingerprint(), &fingerprint);
        let mut amount = e.clone();
        amount.proposals[0].amount += more;
        prop_assert_ne!(&amount.rules_fingerprint(), &fingerprint);
        let mut setting = e.clone();
        setting.config.min_group += 1;
        prop_assert_ne!(&setting.rules_fingerprint(), &fingerprint);
        let mut title = e.clone();
        title.proposals[0].title = Some(format!("{:?} changed", title.proposals[0].title));
        prop_assert_ne!(&title.rules_fingerprint(), &fingerprint);
    }
}
