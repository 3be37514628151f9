//! The two real Kraków 2024 elections: every project's published votes, points
//! and funding decision must come out of the plain count exactly.
//!
//! The data lives outside the repository (`shared/data/real/`, or
//! `$PBVOTE_SHARED_DIR/data/real`). Without it these tests skip with a message;
//! with `PBVOTE_REQUIRE_SHARED_DATA=1` (as CI sets) they fail instead.

mod common;

use std::collections::BTreeMap;

use pbvote_tally::{exchange, tally};
use serde::Deserialize;

#[derive(Deserialize)]
struct Published {
    votes: u64,
    score: u64,
    selected: bool,
}

fn check(name: &str) {
    let (Some(input), Some(published)) = (common::read_real(&format!("{name}.json")), common::read_real(&format!("{name}.published.json")))
    else {
        return;
    };
    let published: BTreeMap<String, Published> = serde_json::from_slice(&published).unwrap();
    let result = exchange::count(&input).unwrap();
    assert_eq!(result.proposals.len(), published.len(), "{name}: one published entry per project");
    for p in &result.proposals {
        let expected = &published[&p.id];
        assert_eq!(p.want_count, expected.votes, "{name} {}: votes", p.id);
        assert_eq!(p.want_mass.numer(), i128::from(expected.score), "{name} {}: score", p.id);
        assert!(p.want_mass.is_integer());
        assert_eq!(p.plain_adopted, expected.selected, "{name} {}: selected", p.id);
        // No services and no DON'T WANT votes: protection changes nothing.
        assert_eq!(p.adopted, p.plain_adopted, "{name} {}", p.id);
        assert_eq!(p.score, p.plain_score);
        assert_eq!(p.rank, p.plain_rank);
        assert!(!p.protected);
    }
    let s = &result.summary;
    assert_eq!(s.development_spent, s.plain_development_spent);
    assert_eq!(s.development_left, s.plain_development_left);
    // The slow path (owned strings) gives byte-identical output.
    let election = exchange::parse(&input).unwrap();
    assert_eq!(tally(&election).unwrap().to_json(), result.to_json());
}

#[test]
fn krakow_2024_reproduces_published_result() {
    check("krakow-2024");
}

#[test]
fn krakow_2024_bienczyce_reproduces_published_result() {
    check("krakow-2024-bienczyce");
}

#[test]
fn krakow_ballot_count_matches_readme() {
    let Some(input) = common::read_real("krakow-2024.json") else {
        return;
    };
    let result = exchange::count(&input).unwrap();
    assert_eq!(result.summary.ballots, 65_101);
    assert_eq!(result.proposals.len(), 119);
    let Some(input) = common::read_real("krakow-2024-bienczyce.json") else {
        return;
    };
    let result = exchange::count(&input).unwrap();
    assert_eq!((result.summary.ballots, result.proposals.len()), (1_741, 22));
}
