//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

use pbvote_tally::{Ballot, Config, Election, Proposal, ProposalKind, Service};

/// The spec's worked example, exactly as written there.
pub fn worked_example() -> Election {
    let proposal = |id: &str, kind, amount, service: Option<&str>| Proposal {
        id: id.into(),
        kind,
        amount,
        service: service.map(Into::into),
        title: None,
    };
    let ballot = |want: &[&str], dont_want: &[&str], uses: &[&str]| Ballot {
        want: want.iter().map(|s| s.to_string()).collect(),
        dont_want: dont_want.iter().map(|s| s.to_string()).collect(),
        uses: uses.iter().map(|s| s.to_string()).collect(),
        channel: None,
        area: None,
    };
    let mut ballots = Vec::new();
    ballots.extend(std::iter::repeat_n(ballot(&["S1", "S3", "S2"], &[], &[]), 60));
    ballots.extend(std::iter::repeat_n(ballot(&["S3", "D1", "S2"], &[], &[]), 30));
    ballots.extend(std::iter::repeat_n(ballot(&["S2", "D1"], &["S1", "S3"], &["day-centre"]), 10));
    Election {
        currency: None,
        config: Config {
            rank_depth: 3,
            minority_share_percent: 50,
            max_weight: 10,
            min_group: 5,
            protect_threshold_percent: 50,
            savings_target: Some(80_000),
            development_budget: Some(30_000),
        },
        services: vec![Service { id: "day-centre".into(), name: Some("Day centre".into()) }],
        proposals: vec![
            proposal("S1", ProposalKind::Saving, 80_000, Some("day-centre")),
            proposal("S2", ProposalKind::Saving, 50_000, None),
            proposal("S3", ProposalKind::Saving, 40_000, None),
            proposal("D1", ProposalKind::Development, 30_000, None),
        ],
        ballots,
        withheld: None,
        note: None,
    }
}

/// `shared/data/real/`: `$PBVOTE_SHARED_DIR/data/real` if set, else beside the workspace.
pub fn real_data_dir() -> PathBuf {
    match std::env::var_os("PBVOTE_SHARED_DIR") {
        Some(dir) => PathBuf::from(dir).join("data").join("real"),
        None => PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/data/real/")),
    }
}

/// Set (to anything but empty or `0`) where the real data must be there, as in CI: a
/// missing file then fails the test instead of skipping it, so that a moved or
/// unmounted `shared/` folder cannot turn the real-election checks off unnoticed.
pub const REQUIRE_SHARED_DATA: &str = "PBVOTE_REQUIRE_SHARED_DATA";

/// Reads a file of the real data. If it is missing: panics when
/// [`REQUIRE_SHARED_DATA`] is set, otherwise prints why the test is skipped and
/// returns None (a newcomer's `cargo test` without `shared/` still passes).
pub fn read_real(name: &str) -> Option<Vec<u8>> {
    let path = real_data_dir().join(name);
    let required = std::env::var_os(REQUIRE_SHARED_DATA).is_some_and(|v| !v.is_empty() && v != "0");
    match std::fs::read(&path) {
        Ok(bytes) => Some(bytes),
        Err(e) if required => panic!(
            "{} not found ({e}), and {REQUIRE_SHARED_DATA} says the real data is required; \
             set PBVOTE_SHARED_DIR to the shared/ folder",
            path.display()
        ),
        Err(e) => {
            eprintln!(
                "skipped: {} not found ({e}); set PBVOTE_SHARED_DIR to the shared/ folder \
                 ({REQUIRE_SHARED_DATA}=1 makes this a failure)",
                path.display()
            );
            None
        }
    }
}

/// A ballot from string slices.
pub fn ballot(want: &[&str], dont_want: &[&str], uses: &[&str]) -> Ballot {
    let v = |ids: &[&str]| ids.iter().map(|s| s.to_string()).collect();
    Ballot { want: v(want), dont_want: v(dont_want), uses: v(uses), channel: None, area: None }
}

/// A small election: services by id; proposals as (id, kind, amount, service).
pub fn election(
    config: Config,
    services: &[&str],
    proposals: &[(&str, ProposalKind, u64, Option<&str>)],
    ballots: Vec<Ballot>,
) -> Election {
    Election {
        currency: None,
        config,
        services: services.iter().map(|id| Service { id: id.to_string(), name: None }).collect(),
        proposals: proposals
            .iter()
            .map(|&(id, kind, amount, service)| Proposal { id: id.into(), kind, amount, service: service.map(Into::into), title: None })
            .collect(),
        ballots,
        withheld: None,
        note: None,
    }
}
