//! Boundaries of the rule: no ballots, empty ballots, everyone a user, φ at its
//! limits, zero amounts, zero target and budget, and ties everywhere.

mod common;

use common::{ballot, election};
use pbvote_tally::{Config, ProposalKind::*, Ratio, tally};

fn r(num: i128, den: i128) -> Ratio {
    Ratio::new(num, den).unwrap()
}

fn config() -> Config {
    Config { rank_depth: 3, ..Config::default() }
}

#[test]
fn zero_ballots() {
    let e = election(
        Config { savings_target: Some(100), development_budget: Some(50), ..config() },
        &["svc"],
        &[("S", Saving, 10, Some("svc")), ("D", Development, 10, None)],
        vec![],
    );
    let result = tally(&e).unwrap();
    let s = &result.summary;
    assert_eq!((s.ballots, s.savings_adopted, s.shortfall, s.target_reached), (0, 0, 100, false));
    assert_eq!((s.development_spent, s.development_left), (0, Some(50)));
    for p in &result.proposals {
        assert_eq!((p.score, p.users, p.user_weight), (Ratio::ZERO, 0, Ratio::ONE));
        assert!(!p.adopted && !p.plain_adopted && !p.protected);
        assert_eq!(p.explanation, "Not agreed. Nobody voted for it or against it, so its score is 0.");
    }
}

#[test]
fn empty_ballots_take_part_without_preference() {
    let e = election(config(), &[], &[("S", Saving, 10, None)], vec![ballot(&[], &[], &[]); 4]);
    let result = tally(&e).unwrap();
    assert_eq!(result.summary.ballots, 4);
    assert_eq!(result.proposals[0].score, Ratio::ZERO);
    // No target: every saving with N > 0 would be adopted; this one has N = 0.
    assert!(result.summary.target_reached);
    assert_eq!(result.summary.shortfall, 0);
    assert_eq!(result.summary.development_left, None);
    assert!(result.to_json().contains(r#""development_left":null"#));
}

#[test]
fn everyone_a_user_means_weight_one_but_protection_still_applies() {
    // n_o = 0: nobody to balance against, so ω = 1; but the users reject the cut.
    let ballots = vec![ballot(&["S"], &[], &["svc"]), ballot(&[], &["S"], &["svc"]), ballot(&[], &["S"], &["svc"])];
    let e = election(Config { min_group: 1, ..config() }, &["svc"], &[("S", Saving, 10, Some("svc"))], ballots);
    let p = tally(&e).unwrap().proposals.remove(0);
    assert_eq!((p.users, p.user_weight, p.rejecting_users), (3, Ratio::ONE, 2));
    assert!(p.protected && !p.adopted && !p.plain_adopted);
    assert_eq!(
        p.explanation,
        "Not agreed, because it is protected and its score is below zero. 2 of the 3 people who use svc rejected this cut; its score is \
         \u{2212}1, so it would not have been agreed anyway. It needs a recorded decision by the commissioners."
    );
}

fn weighted(share: u32, max_weight: u32, users: usize, others: usize) -> Ratio {
    let mut ballots = vec![ballot(&[], &["S"], &["svc"]); users];
    ballots.extend(vec![ballot(&["S"], &[], &[]); others]);
    let config = Config { minority_share_percent: share, max_weight, min_group: 1, ..config() };
    let e = election(config, &["svc"], &[("S", Saving, 10, Some("svc"))], ballots);
    tally(&e).unwrap().proposals[0].user_weight
}

#[test]
fn weight_formula_at_the_limits_of_phi() {
    assert_eq!(weighted(0, 10, 2, 98), Ratio::ONE, "φ = 0 never weights up");
    assert_eq!(weighted(90, 10, 20, 80), r(10, 1), "φ = 90: 90·80 / (10·20) = 36, capped at W");
    assert_eq!(weighted(90, 100, 20, 80), r(36, 1));
    assert_eq!(weighted(50, 10, 7, 13), r(13, 7), "a fraction stays exact");
    assert_eq!(weighted(50, 10, 13, 7), Ratio::ONE, "users already more than half");
    assert_eq!(weighted(50, 1, 1, 99), Ratio::ONE, "W = 1 disables weighting");
}

#[test]
fn fractional_weights_are_printed_to_six_places() {
    let mut ballots = vec![ballot(&[], &["S"], &["svc"]); 7];
    ballots.extend(vec![ballot(&["S"], &[], &[]); 13]);
    let config = Config { min_group: 1, ..config() };
    let e = election(config, &["svc"], &[("S", Saving, 10, Some("svc"))], ballots);
    let result = tally(&e).unwrap();
    let p = &result.proposals[0];
    // B = 13/7 · 7 · 3 = 39, A = 13 · 3 = 39: a dead heat, N = 0.
    assert_eq!((p.want_mass, p.dont_want_mass, p.score), (r(39, 1), r(39, 1), Ratio::ZERO));
    assert!(result.to_json().contains(r#""user_weight":1.857143"#));
    assert_eq!(
        p.explanation,
        "Not agreed, because it is protected and its score is 0. 7 of the 7 people who use svc rejected this cut; support and \
         opposition were equally strong, so it would not have been agreed anyway. It needs a recorded decision by the \
         commissioners. A simple majority count would have agreed it."
    );
}

#[test]
fn min_group_boundary() {
    // m = 5: four users are neither weighted up nor protected; five are both.
    for (users, expect_weighted) in [(4usize, false), (5, true)] {
        let mut ballots = vec![ballot(&[], &["S"], &["svc"]); users];
        ballots.extend(vec![ballot(&["S"], &[], &[]); 95]);
        let e = election(config(), &["svc"], &[("S", Saving, 10, Some("svc"))], ballots);
        let p = tally(&e).unwrap().proposals.remove(0);
        assert_eq!(p.user_weight != Ratio::ONE, expect_weighted, "{users} users");
        assert_eq!(p.protected, expect_weighted, "{users} users");
    }
}

#[test]
fn protection_threshold_is_inclusive() {
    // 10 users, θ = 50: 5 rejecting protects, 4 does not.
    for (rejecting, protected) in [(5usize, true), (4, false)] {
        let mut ballots = vec![ballot(&[], &["S"], &["svc"]); rejecting];
        ballots.extend(vec![ballot(&["S"], &[], &["svc"]); 10 - rejecting]);
        ballots.extend(vec![ballot(&["S"], &[], &[]); 90]);
        let e = election(config(), &["svc"], &[("S", Saving, 10, Some("svc"))], ballots);
        assert_eq!(tally(&e).unwrap().proposals[0].protected, protected);
    }
    // θ = 100: every user must reject.
    let mut ballots = vec![ballot(&[], &["S"], &["svc"]); 9];
    ballots.push(ballot(&[], &[], &["svc"]));
    let e = election(Config { protect_threshold_percent: 100, ..config() }, &["svc"], &[("S", Saving, 10, Some("svc"))], ballots);
    assert!(!tally(&e).unwrap().proposals[0].protected);
}

#[test]
fn developments_are_never_protected() {
    let ballots = vec![ballot(&[], &["D"], &["svc"]); 10];
    let e = election(config(), &["svc"], &[("D", Development, 10, Some("svc"))], ballots);
    assert!(!tally(&e).unwrap().proposals[0].protected);
}

#[test]
fn zero_target_adopts_no_saving_and_is_reached() {
    let e = election(Config { savings_target: Some(0), ..config() }, &[], &[("S", Saving, 10, None)], vec![ballot(&["S"], &[], &[])]);
    let result = tally(&e).unwrap();
    assert!(!result.proposals[0].adopted);
    assert!(result.summary.target_reached);
    assert_eq!(result.summary.shortfall, 0);
    assert_eq!(
        result.proposals[0].explanation,
        "Not agreed. It was the only saving. The savings target of 0 was already met without any savings."
    );
}

#[test]
fn zero_amounts_and_zero_budget() {
    let e = election(
        Config { development_budget: Some(0), savings_target: Some(5), ..config() },
        &[],
        &[("D0", Development, 0, None), ("D1", Development, 1, None), ("S0", Saving, 0, None), ("S5", Saving, 5, None)],
        vec![ballot(&["D1", "D0", "S0"], &[], &[]), ballot(&["S5"], &[], &[])],
    );
    let result = tally(&e).unwrap();
    let adopted = |id| result.proposal(id).unwrap().adopted;
    assert!(adopted("D0") && !adopted("D1"), "only the free development fits a zero budget");
    assert_eq!(result.proposal("D1").unwrap().explanation, "Not agreed. It costs 1, but only 0 was left in the budget for new spending.");
    // S5 (N = 3) first, reaches the target; S0 (N = 1) comes after it.
    assert!(adopted("S5") && !adopted("S0"));
    assert_eq!((result.summary.development_spent, result.summary.development_left), (0, Some(0)));
}

#[test]
fn a_zero_amount_saving_never_reaches_a_target() {
    let e = election(
        Config { savings_target: Some(10), ..config() },
        &[],
        &[("S0", Saving, 0, None), ("S9", Saving, 9, None)],
        vec![ballot(&["S0", "S9"], &[], &[])],
    );
    let result = tally(&e).unwrap();
    assert!(result.proposals.iter().all(|p| p.adopted));
    assert_eq!((result.summary.savings_adopted, result.summary.shortfall, result.summary.target_reached), (9, 1, false));
}

#[test]
fn greedy_budget_skips_what_no_longer_fits() {
    let e = election(
        Config { development_budget: Some(100), ..config() },
        &[],
        &[("Big", Development, 80, None), ("Huge", Development, 50, None), ("Small", Development, 20, None)],
        vec![ballot(&["Big", "Huge", "Small"], &[], &[])],
    );
    let result = tally(&e).unwrap();
    let adopted: Vec<_> = result.proposals.iter().map(|p| p.adopted).collect();
    assert_eq!(adopted, [true, false, true]);
    assert_eq!(result.summary.development_left, Some(0));
    assert_eq!(
        result.proposal("Huge").unwrap().explanation,
        "Not agreed. It costs 50, but only 20 was left in the budget for new spending."
    );
}

#[test]
fn ties_everywhere_break_by_id_bytewise() {
    // Same votes for all: N, A, B tie, so ids decide: "B" < "S10" < "S2" < "a" bytewise.
    let ids = ["a", "S2", "S10", "B"];
    let proposals: Vec<_> = ids.iter().map(|&id| (id, Saving, 1, None)).collect();
    let ballots = vec![ballot(&["a"], &[], &[]), ballot(&["S2"], &[], &[]), ballot(&["S10"], &[], &[]), ballot(&["B"], &[], &[])];
    let e = election(Config { savings_target: Some(2), ..config() }, &[], &proposals, ballots);
    let result = tally(&e).unwrap();
    let ranks: Vec<_> = result.proposals.iter().map(|p| (p.id.as_str(), p.rank, p.plain_rank, p.adopted)).collect();
    assert_eq!(ranks, [("a", 4, 4, false), ("S2", 3, 3, false), ("S10", 2, 2, true), ("B", 1, 1, true)]);
}

#[test]
fn ties_on_score_break_by_want_mass_then_dont_want_mass() {
    // All three have N = 1 (R = 3): X from A = 3, Y from A = 6, B = 3, Z from A = 3 too.
    let proposals = [("X", Saving, 1, None), ("Y", Saving, 1, None), ("Z", Saving, 1, None)];
    let ballots = vec![
        ballot(&["X"], &[], &[]),
        ballot(&["Y"], &[], &[]),
        ballot(&["Y"], &[], &[]),
        ballot(&[], &["Y"], &[]),
        ballot(&["Z"], &[], &[]),
    ];
    let e = election(config(), &[], &proposals, ballots);
    let result = tally(&e).unwrap();
    let ranks: Vec<_> = result.proposals.iter().map(|p| p.rank).collect();
    assert_eq!(ranks, [2, 1, 3], "Y wins on want mass; X before Z on id");
}

#[test]
fn no_target_adopts_every_positive_unprotected_saving() {
    let proposals = [("S1", Saving, 1, None), ("S2", Saving, 1, None), ("S3", Saving, 1, None)];
    let ballots = vec![ballot(&["S1", "S2"], &["S3"], &[])];
    let result = tally(&election(config(), &[], &proposals, ballots)).unwrap();
    let adopted: Vec<_> = result.proposals.iter().map(|p| p.adopted).collect();
    assert_eq!(adopted, [true, true, false]);
    assert_eq!(result.summary.savings_adopted, 2);
    assert!(result.summary.target_reached);
    assert_eq!(result.proposals[2].explanation, "Not agreed. Opposition to it was stronger than support, so its score is \u{2212}1.");
    assert!(
        result.proposals[0].explanation.starts_with("Agreed. It ranked 1st of 3 savings, with a score of 1. No savings target was set")
    );
}

#[test]
fn breakdown_by_channel_and_area_is_sorted() {
    use pbvote_tally::Channel;
    let mut ballots = vec![ballot(&[], &[], &[]); 5];
    ballots[0].channel = Some(Channel::Paper);
    ballots[1].channel = Some(Channel::Meeting);
    ballots[1].area = Some("South".into());
    ballots[2].area = Some("North".into());
    ballots[3].area = Some("South".into());
    let result = tally(&election(config(), &[], &[], ballots)).unwrap();
    let b = &result.summary.breakdown;
    assert_eq!((b.by_channel.online, b.by_channel.meeting, b.by_channel.paper, b.by_channel.unspecified), (0, 1, 1, 3));
    let areas: Vec<_> = b.by_area.iter().map(|a| (a.area.as_deref(), a.ballots)).collect();
    assert_eq!(areas, [(Some("North"), 1), (Some("South"), 2), (None, 2)]);
}

#[test]
fn explanations_for_a_lone_user_a_dead_heat_and_a_target_met_before() {
    let e = election(
        Config { min_group: 1, savings_target: Some(10), ..config() },
        &["svc"],
        &[("S1", Saving, 10, None), ("S2", Saving, 5, None), ("S3", Saving, 5, Some("svc")), ("S4", Saving, 5, None)],
        vec![ballot(&["S1", "S2"], &["S3"], &["svc"]), ballot(&["S4"], &[], &[]), ballot(&[], &["S4"], &[])],
    );
    let result = tally(&e).unwrap();
    let text = |id| result.proposal(id).unwrap().explanation.as_str();
    assert_eq!(
        text("S1"),
        "Agreed. It ranked 1st of 4 savings. Nothing had been saved before it, so the savings target of 10 was not yet met."
    );
    assert_eq!(
        text("S2"),
        "Not agreed. It ranked 2nd of 4 savings. The savings agreed before it came to 10, which already met the savings target of 10."
    );
    assert_eq!(
        text("S3"),
        "Not agreed, because it is protected and its score is below zero. The only person who uses svc rejected this cut; its \
         score is \u{2212}2, so it would not have been agreed anyway. It needs a recorded decision by the commissioners."
    );
    assert_eq!(text("S4"), "Not agreed. Support and opposition were equally strong, so its score is 0.");
}

#[test]
fn a_score_just_below_zero_is_not_read_as_zero() {
    // 7 users and 13 others: ω = 13/7. Users put 6 points against D, others 11 for
    // it: N = (11 - 13/7·6) / 3 = -1/21, which is 0.0 to one decimal place.
    let mut ballots = vec![ballot(&[], &["D"], &["svc"]); 2];
    ballots.extend(vec![ballot(&[], &[], &["svc"]); 5]);
    ballots.extend(vec![ballot(&["D"], &[], &[]); 3]);
    ballots.push(ballot(&["X", "D"], &[], &[]));
    ballots.extend(vec![ballot(&[], &[], &[]); 9]);
    let e = election(config(), &["svc"], &[("D", Development, 5, Some("svc")), ("X", Development, 5, None)], ballots);
    let result = tally(&e).unwrap();
    let d = result.proposal("D").unwrap();
    assert_eq!((d.user_weight, d.score), (r(13, 7), r(-1, 21)));
    assert_eq!(
        d.explanation,
        "Not agreed. Opposition to it was stronger than support, so its score is just below 0. \
         A simple majority count would have agreed it."
    );
}

#[test]
fn a_cut_all_its_few_users_rejected_says_why_they_could_not_protect_it() {
    // Three users (fewer than m = 5) all reject S; ten others want it.
    let mut ballots = vec![ballot(&[], &["S"], &["svc"]); 3];
    ballots.extend(vec![ballot(&["S"], &[], &[]); 10]);
    let e = election(config(), &["svc"], &[("S", Saving, 10, Some("svc"))], ballots);
    let p = tally(&e).unwrap().proposals.remove(0);
    assert!(p.adopted && !p.protected);
    assert_eq!(p.rejecting_users, 0, "how the small group voted is not shown");
    assert!(
        p.explanation
            .ends_with("Only 3 people said they use svc: at least 5 are needed before their say counts for more or can stop a cut."),
        "{}",
        p.explanation
    );
}
