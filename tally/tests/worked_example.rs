//! The spec's worked example, every number checked, plain and protected.

mod common;

use pbvote_tally::{ProposalKind, Ratio, exchange, tally};
use serde_json::Value;

fn r(num: i128, den: i128) -> Ratio {
    Ratio::new(num, den).unwrap()
}

#[test]
fn plain_count_closes_the_day_centre() {
    let result = tally(&common::worked_example()).unwrap();
    let p = |id| result.proposal(id).unwrap();
    assert_eq!(p("S1").plain_score, r(50, 1)); // (180 - 30) / 3
    assert_eq!(p("S2").plain_score, r(40, 1)); // (60 + 30 + 30) / 3
    assert_eq!(p("S3").plain_score, r(190, 3)); // (120 + 90 - 20) / 3
    assert_eq!(p("D1").plain_score, r(80, 3)); // (60 + 20) / 3
    // Savings in plain order S3, S1, S2: S3 then S1 reach the target.
    assert_eq!([p("S3").plain_rank, p("S1").plain_rank, p("S2").plain_rank], [1, 2, 3]);
    assert!(p("S3").plain_adopted && p("S1").plain_adopted && !p("S2").plain_adopted);
    assert!(p("D1").plain_adopted);
    let s = &result.summary;
    assert_eq!(s.plain_savings_adopted, 120_000);
    assert!(s.plain_target_reached);
    assert_eq!(s.plain_shortfall, 0);
    assert_eq!(s.plain_development_spent, 30_000);
    assert_eq!(s.plain_development_left, Some(0));
}

#[test]
fn protected_count_keeps_the_day_centre_open_and_meets_the_target() {
    let result = tally(&common::worked_example()).unwrap();
    let p = |id| result.proposal(id).unwrap();
    let s1 = p("S1");
    assert_eq!(s1.users, 10);
    assert_eq!(s1.user_weight, r(9, 1)); // 50·90 / (50·10)
    assert_eq!(s1.want_mass, r(180, 1));
    assert_eq!(s1.dont_want_mass, r(270, 1)); // 9·10·3
    assert_eq!(s1.score, r(-30, 1));
    assert_eq!(s1.rejecting_users, 10);
    assert!(s1.protected && !s1.adopted && s1.plain_adopted);
    assert_eq!((s1.want_count, s1.dont_want_count), (60, 10));

    let s2 = p("S2");
    assert_eq!((s2.users, s2.user_weight, s2.score), (0, Ratio::ONE, r(40, 1)));
    assert_eq!((s2.want_mass, s2.dont_want_mass), (r(120, 1), Ratio::ZERO));
    assert_eq!((s2.want_count, s2.dont_want_count), (100, 0));
    let s3 = p("S3");
    assert_eq!((s3.score, s3.want_mass, s3.dont_want_mass), (r(190, 3), r(210, 1), r(20, 1)));
    assert_eq!((s3.want_count, s3.dont_want_count), (90, 10));
    let d1 = p("D1");
    assert_eq!((d1.score, d1.want_mass, d1.want_count), (r(80, 3), r(80, 1), 40));

    assert_eq!([s3.rank, s2.rank, s1.rank, d1.rank], [1, 2, 3, 1]);
    assert!(s3.adopted && s2.adopted && !s1.adopted && d1.adopted);
    assert!(!s2.protected && !s3.protected && !d1.protected);
    assert!(result.proposals.iter().all(|p| p.kind == ProposalKind::Development || p.id.starts_with('S')));

    let s = &result.summary;
    assert_eq!(s.ballots, 100);
    assert_eq!(s.savings_adopted, 90_000);
    assert!(s.target_reached);
    assert_eq!(s.shortfall, 0);
    assert_eq!(s.development_spent, 30_000);
    assert_eq!(s.development_left, Some(0));
    assert_eq!(s.protected, 1);
    assert_eq!(s.breakdown.by_channel.unspecified, 100);
}

#[test]
fn explanations_read_aloud() {
    let result = tally(&common::worked_example()).unwrap();
    let e = |id| result.proposal(id).unwrap().explanation.clone();
    assert_eq!(
        e("S1"),
        "Not agreed, because it is protected and its score is below zero. 10 of the 10 people who use Day centre rejected this \
         cut; its score is \u{2212}30, so it would not have been agreed anyway. It needs a recorded decision by the commissioners. \
         A simple majority count would have agreed it."
    );
    assert_eq!(
        e("S2"),
        "Agreed. It ranked 2nd of 3 savings. The savings agreed before it came to 40,000, so the savings \
         target of 80,000 was not yet met. A simple majority count would not have agreed it."
    );
    assert_eq!(
        e("S3"),
        "Agreed. It ranked 1st of 3 savings. Nothing had been saved before it, so the savings target of \
         80,000 was not yet met."
    );
    assert_eq!(
        e("D1"),
        "Agreed. It was the only proposal for new spending. It costs 30,000, which fitted in the 30,000 \
         left in the budget for new spending."
    );
}

#[test]
fn explanations_write_money_in_the_currency_when_it_is_known() {
    let mut election = common::worked_example();
    election.currency = Some("GBP".into());
    let result = tally(&election).unwrap();
    let e = |id| result.proposal(id).unwrap().explanation.clone();
    assert_eq!(
        e("S2"),
        "Agreed. It ranked 2nd of 3 savings. The savings agreed before it came to £400, so the savings \
         target of £800 was not yet met. A simple majority count would not have agreed it."
    );
    assert_eq!(
        e("D1"),
        "Agreed. It was the only proposal for new spending. It costs £300, which fitted in the £300 \
         left in the budget for new spending."
    );
    // Only the explanations change: every figure is the same.
    let mut without = tally(&common::worked_example()).unwrap();
    for (p, q) in without.proposals.iter_mut().zip(&result.proposals) {
        p.explanation.clone_from(&q.explanation);
    }
    assert_eq!(without, result);
    // The file path agrees, wherever the currency comes in the document.
    let text = exchange::to_json(&election);
    assert!(text.starts_with(r#"{"currency":"GBP","config""#), "{text}");
    assert_eq!(exchange::count(text.as_bytes()).unwrap(), result);
    let without_currency = exchange::to_json(&common::worked_example());
    let last = format!("{},\"currency\":\"GBP\"}}", without_currency.strip_suffix('}').unwrap());
    assert_eq!(exchange::count(last.as_bytes()).unwrap(), result);
    assert_eq!(exchange::parse(last.as_bytes()).unwrap(), election);
}

#[test]
fn output_json_has_the_spec_fields_and_six_decimal_numbers() {
    let json = tally(&common::worked_example()).unwrap().to_json();
    assert!(json.contains(r#""score":63.333333"#), "{json}");
    assert!(json.contains(r#""score":26.666667"#), "{json}");
    assert!(json.contains(r#""plain_score":50,"#), "{json}");
    assert!(json.contains(r#""score":-30,"#), "{json}");
    assert!(json.contains(r#""user_weight":9,"#), "{json}");
    let value: Value = serde_json::from_str(&json).unwrap();
    let summary = &value["summary"];
    for field in ["ballots", "savings_adopted", "target_reached", "shortfall", "development_spent", "development_left"] {
        assert!(summary.get(field).is_some(), "summary.{field} missing");
    }
    let ids: Vec<&str> = value["proposals"].as_array().unwrap().iter().map(|p| p["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["S1", "S2", "S3", "D1"], "proposals in input order");
    for p in value["proposals"].as_array().unwrap() {
        for field in [
            "id",
            "kind",
            "rank",
            "score",
            "plain_score",
            "want_mass",
            "dont_want_mass",
            "want_count",
            "dont_want_count",
            "users",
            "user_weight",
            "protected",
            "adopted",
            "plain_adopted",
            "explanation",
        ] {
            assert!(p.get(field).is_some(), "proposal field {field} missing");
        }
    }
    assert_eq!(value["proposals"][2]["score"].as_f64(), Some(63.333333));
}

#[test]
fn exchange_round_trip_counts_the_same() {
    let election = common::worked_example();
    let text = exchange::to_json(&election);
    assert_eq!(exchange::parse(text.as_bytes()).unwrap(), election);
    assert_eq!(exchange::count(text.as_bytes()).unwrap(), tally(&election).unwrap());
}

#[test]
fn spec_exchange_snippet_parses_with_defaults() {
    let doc = br#"{
      "config": {"rank_depth": 3, "minority_share_percent": 50, "max_weight": 10,
                 "min_group": 5, "protect_threshold_percent": 50,
                 "savings_target": 80000, "development_budget": 30000},
      "services": [{"id": "day-centre", "name": "Day centre"}],
      "proposals": [{"id": "S1", "kind": "saving", "amount": 80000, "service": "day-centre",
                     "title": "Close the day centre"}, {"id": "S3", "kind": "saving", "amount": 1}],
      "ballots": [{"want": ["S3"], "dont_want": ["S1"], "uses": ["day-centre"],
                   "channel": "online", "area": "North"}, {}]
    }"#;
    let result = exchange::count(doc).unwrap();
    assert_eq!(result.summary.ballots, 2);
    assert_eq!(result.summary.breakdown.by_channel.online, 1);
    assert_eq!(result.summary.breakdown.by_channel.unspecified, 1);
    let areas: Vec<_> = result.summary.breakdown.by_area.iter().map(|a| (a.area.as_deref(), a.ballots)).collect();
    assert_eq!(areas, [(Some("North"), 1), (None, 1)]);
    let minimal = exchange::parse(br#"{"proposals": [], "ballots": []}"#).unwrap();
    assert_eq!(minimal.config, pbvote_tally::Config::default());
}
