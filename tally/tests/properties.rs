//! The spec's properties, checked on random elections with proptest.

mod common;

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;

use pbvote_tally::{
    Ballot, Config, Election, Proposal, ProposalKind, Ratio, Service, TallyResult, exchange, tally,
};

/// Small random elections: few proposals, services and ballots so that ties,
/// protection, targets and budgets all come up often.
fn arb_election() -> impl Strategy<Value = Election> {
    let settings = (
        1u32..=4,
        0u32..=90,
        1u32..=10,
        1u32..=4,
        1u32..=100,
        proptest::option::of(0u64..250),
        proptest::option::of(0u64..250),
    );
    (settings, 0usize..=3, 1usize..=7).prop_flat_map(|(settings, n_services, n_proposals)| {
        let (depth, ..) = settings;
        let service_pick = 0..n_services.max(1);
        let proposals = vec(
            (
                any::<bool>(),
                0u64..100,
                proptest::option::of(service_pick.clone()),
            ),
            n_proposals,
        );
        let ballots = vec(
            (
                vec(0..n_proposals, 0..=2 * depth as usize),
                0usize..=8,
                vec(service_pick, 0..=2),
            ),
            0..40,
        );
        (Just(settings), Just(n_services), proposals, ballots).prop_map(build)
    })
}

type Settings = (u32, u32, u32, u32, u32, Option<u64>, Option<u64>);
/// (saving?, amount, service index)
type RawProposal = (bool, u64, Option<usize>);
/// (proposal picks, how many of them are wanted, service indices)
type RawBallot = (Vec<usize>, usize, Vec<usize>);

fn build(
    (settings, n_services, proposals, ballots): (Settings, usize, Vec<RawProposal>, Vec<RawBallot>),
) -> Election {
    let (
        rank_depth,
        minority_share_percent,
        max_weight,
        min_group,
        protect_threshold_percent,
        savings_target,
        development_budget,
    ) = settings;
    let depth = rank_depth as usize;
    let services = (0..n_services)
        .map(|s| Service {
            id: format!("svc{s}"),
            name: Some(format!("Service {s}")),
        })
        .collect();
    let proposals = proposals
        .into_iter()
        .enumerate()
        .map(|(i, (saving, amount, service))| Proposal {
            id: format!("P{i}"),
            kind: if saving {
                ProposalKind::Saving
            } else {
                ProposalKind::Development
            },
            amount,
            service: service
                .filter(|_| n_services > 0)
                .map(|s| format!("svc{s}")),
            title: None,
        })
        .collect();
    let ballots = ballots
        .into_iter()
        .map(|(picks, split, uses)| {
            let mut distinct: Vec<usize> = Vec::new();
            for p in picks {
                if !distinct.contains(&p) {
                    distinct.push(p);
                }
            }
            let want_len = (split % (depth + 1)).min(distinct.len());
            let dont_len = (distinct.len() - want_len).min(depth);
            let ids = |range: &[usize]| range.iter().map(|p| format!("P{p}")).collect();
            Ballot {
                want: ids(&distinct[..want_len]),
                dont_want: ids(&distinct[want_len..want_len + dont_len]),
                uses: if n_services == 0 {
                    vec![]
                } else {
                    uses.iter().map(|s| format!("svc{s}")).collect()
                },
                channel: None,
                area: None,
            }
        })
        .collect();
    Election {
        currency: None,
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

/// Renames every proposal and service id with `rename`; returns the map back.
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
        for id in b
            .want
            .iter_mut()
            .chain(b.dont_want.iter_mut())
            .chain(b.uses.iter_mut())
        {
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
                && ((a.score, a.want_mass, a.dont_want_mass)
                    == (b.score, b.want_mass, b.dont_want_mass)
                    || (a.plain_score, a.plain_want_mass, a.plain_dont_want_mass)
                        == (b.plain_score, b.plain_want_mass, b.plain_dont_want_mass))
        })
    })
}

/// ω(p) recomputed from the spec's formula, as (numerator, denominator).
fn reference_weight(config: &Config, ballots: u64, users: u64, has_service: bool) -> (i128, i128) {
    let others = ballots - users;
    if !has_service || users < u64::from(config.min_group) || others == 0 {
        return (1, 1);
    }
    let num = i128::from(config.minority_share_percent) * i128::from(others);
    let den = (100 - i128::from(config.minority_share_percent)) * i128::from(users);
    let w = i128::from(config.max_weight);
    if num <= den {
        (1, 1)
    } else if num >= w * den {
        (w, 1)
    } else {
        (num, den)
    }
}

proptest! {
    // No regression files: the crate keeps no generated files in the repository.
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, .. ProptestConfig::default() })]

    /// Step 2–3 recomputed ballot by ballot, straight from the spec.
    #[test]
    fn masses_and_scores_match_a_ballot_by_ballot_reference(e in arb_election()) {
        let result = count(&e);
        let depth = i128::from(e.config.rank_depth);
        for (p, out) in e.proposals.iter().zip(&result.proposals) {
            let uses_service = |b: &Ballot| p.service.as_ref().is_some_and(|s| b.uses.contains(s));
            let users = e.ballots.iter().filter(|b| uses_service(b)).count() as u64;
            let (a, b) = reference_weight(&e.config, e.ballots.len() as u64, users, p.service.is_some());
            let mut want = 0i128;
            let mut dont = 0i128;
            let mut rejecting = 0u64;
            for ballot in &e.ballots {
                let w = if uses_service(ballot) { a } else { b };
                if let Some(i) = ballot.want.iter().position(|id| *id == p.id) {
                    want += w * (depth - i as i128);
                }
                if let Some(i) = ballot.dont_want.iter().position(|id| *id == p.id) {
                    dont += w * (depth - i as i128);
                    rejecting += u64::from(uses_service(ballot));
                }
            }
            prop_assert_eq!(out.users, users);
            prop_assert_eq!(out.user_weight, Ratio::new(a, b).unwrap());
            prop_assert_eq!(out.want_mass, Ratio::new(want, b).unwrap());
            prop_assert_eq!(out.dont_want_mass, Ratio::new(dont, b).unwrap());
            prop_assert_eq!(out.score, Ratio::new(want - dont, b * depth).unwrap());
            let protected = p.kind == ProposalKind::Saving && p.service.is_some()
                && users >= u64::from(e.config.min_group)
                && 100 * rejecting >= u64::from(e.config.protect_threshold_percent) * users;
            prop_assert_eq!(out.protected, protected);
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
        // Reverse the order of proposal ids: P0 -> Z9, P1 -> Z8, ...
        let n = e.proposals.len();
        let reversed = renamed(&e, |id| match id.strip_prefix('P') {
            Some(i) => format!("Z{}", n - 1 - i.parse::<usize>().unwrap()),
            None => id.to_string(),
        });
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
    fn weights_stay_in_bounds_and_grow_with_phi_and_w(e in arb_election(), more_share in 0u32..=90, more_weight in 0u32..=10) {
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
        }
        let mut raised = e.clone();
        raised.config.minority_share_percent = e.config.minority_share_percent.max(more_share);
        raised.config.max_weight = e.config.max_weight + more_weight;
        let r2 = count(&raised);
        for (a, b) in r.proposals.iter().zip(&r2.proposals) {
            prop_assert!(b.user_weight >= a.user_weight);
        }
    }

    #[test]
    fn adoption_follows_the_rule(e in arb_election()) {
        let r = count(&e);
        let s = &r.summary;
        for (protected_view, adopted_sum, spent) in [(true, s.savings_adopted, s.development_spent), (false, s.plain_savings_adopted, s.plain_development_spent)] {
            let adopted = |p: &pbvote_tally::ProposalResult| if protected_view { p.adopted } else { p.plain_adopted };
            let score = |p: &pbvote_tally::ProposalResult| if protected_view { p.score } else { p.plain_score };
            let rank = |p: &pbvote_tally::ProposalResult| if protected_view { p.rank } else { p.plain_rank };
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
        let json = count(&e).to_json();
        prop_assert_eq!(&json, &count(&e).to_json());
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

    #[test]
    fn never_panics_on_inconsistent_elections(
        ids in vec("[A-C]{0,2}", 0..6),
        ballots in vec((vec("[A-C]{0,2}", 0..4), vec("[A-C]{0,2}", 0..4), vec("[a-c]{0,1}", 0..3)), 0..10),
        depth in 0u32..25, share in 0u32..101, w in 0u32..3, m in 0u32..3, theta in 0u32..102,
    ) {
        let e = Election {
            currency: None,
            config: Config { rank_depth: depth, minority_share_percent: share, max_weight: w, min_group: m, protect_threshold_percent: theta, savings_target: Some(5), development_budget: Some(5) },
            services: vec![Service { id: "a".into(), name: None }, Service { id: "b".into(), name: None }],
            proposals: ids.iter().enumerate().map(|(i, id)| Proposal {
                id: id.clone(), kind: if i % 2 == 0 { ProposalKind::Saving } else { ProposalKind::Development },
                amount: u64::MAX / 4, service: (i % 3 == 0).then(|| "a".to_string()), title: None,
            }).collect(),
            ballots: ballots.into_iter().map(|(want, dont_want, uses)| Ballot { want, dont_want, uses, channel: None, area: None }).collect(),
        };
        match tally(&e) {
            Ok(r) => prop_assert_eq!(r.summary.ballots as usize, e.ballots.len()),
            Err(err) => prop_assert!(!err.to_string().is_empty()),
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
