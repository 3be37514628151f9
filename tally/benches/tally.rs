//! Counting speed.
//!
//! - synthetic elections (60 proposals, 10 services, rank depth 5) of 1,000,000
//!   and 150,000 ballots, built before timing by a seeded xorshift so every run
//!   counts the same ballots:
//!   - `count_only`: ballots already interned to indices (`Count::add_indexed`) + `result`;
//!   - `add_and_count`: ballots as strings (`Count::add`, validating and interning) + `result`;
//!   - `result_only`: `result` on a full count;
//! - `publishing/anonymise`: `disclosure::anonymise` (what the server does once per closed
//!   consultation before counting and exporting) on 150,000 ballots in ten areas, one of
//!   them small, and the three channels;
//! - `krakow_2024/parse_and_count`: `exchange::count` on the real file, if present.
//!
//! Run: `CARGO_TARGET_DIR=/work/target-tally cargo bench -p pbvote-tally`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use pbvote_tally::{Ballot, BallotPaper, Channel, Config, Count, Proposal, ProposalKind, Service, disclosure, exchange};

const PROPOSALS: u32 = 60;
const SERVICES: u32 = 10;
const DEPTH: u32 = 5;

/// xorshift64*: tiny, seeded, good enough to spread votes around.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u32) -> u32 {
        (self.next() % u64::from(n)) as u32
    }
}

fn paper() -> BallotPaper {
    let services = (0..SERVICES).map(|s| Service { id: format!("service-{s}"), name: None }).collect();
    let proposals = (0..PROPOSALS)
        .map(|p| Proposal {
            id: format!("P{p:02}"),
            kind: if p % 3 == 2 { ProposalKind::Development } else { ProposalKind::Saving },
            amount: 10_000 + u64::from(p) * 1_000,
            service: (p % 4 != 0).then(|| format!("service-{}", p % SERVICES)),
            title: None,
        })
        .collect();
    let config = Config { rank_depth: DEPTH, savings_target: Some(500_000), development_budget: Some(300_000), ..Config::default() };
    BallotPaper::new(config, services, proposals).expect("valid paper")
}

/// Ballots as flat index lists: `ids[ends[i-1]..ends[i]]` holds want, dont_want, uses of ballot i.
struct Interned {
    ids: Vec<u32>,
    /// Per ballot: end of want, end of dont_want, end of uses (into `ids`).
    ends: Vec<[u32; 3]>,
}

fn generate(ballots: usize, seed: u64) -> Interned {
    let mut rng = XorShift(seed);
    let mut ids = Vec::with_capacity(ballots * 7);
    let mut ends = Vec::with_capacity(ballots);
    let mut chosen = Vec::with_capacity(2 * DEPTH as usize);
    for _ in 0..ballots {
        let want = rng.below(DEPTH + 1);
        let dont_want = rng.below(3);
        chosen.clear();
        while chosen.len() < (want + dont_want) as usize {
            // Skew towards low ids so that scores differ.
            let p = rng.below(PROPOSALS).min(rng.below(PROPOSALS));
            if !chosen.contains(&p) {
                chosen.push(p);
            }
        }
        ids.extend_from_slice(&chosen[..want as usize]);
        let want_end = ids.len() as u32;
        ids.extend_from_slice(&chosen[want as usize..]);
        let dont_end = ids.len() as u32;
        // About a third of voters use one service, a few use two.
        match rng.below(12) {
            0..=3 => ids.push(rng.below(SERVICES)),
            4 => ids.extend([rng.below(5), 5 + rng.below(5)]),
            _ => {}
        }
        ends.push([want_end, dont_end, ids.len() as u32]);
    }
    Interned { ids, ends }
}

impl Interned {
    fn for_each(&self, mut f: impl FnMut(&[u32], &[u32], &[u32])) {
        let mut start = 0usize;
        for &[w, d, u] in &self.ends {
            let (w, d, u) = (w as usize, d as usize, u as usize);
            f(&self.ids[start..w], &self.ids[w..d], &self.ids[d..u]);
            start = u;
        }
    }

    fn to_ballots(&self, paper: &BallotPaper) -> Vec<Ballot> {
        let proposal = |&p: &u32| paper.proposals()[p as usize].id.clone();
        let service = |&s: &u32| paper.services()[s as usize].id.clone();
        let mut out = Vec::with_capacity(self.ends.len());
        self.for_each(|w, d, u| {
            out.push(Ballot {
                want: w.iter().map(proposal).collect(),
                dont_want: d.iter().map(proposal).collect(),
                uses: u.iter().map(service).collect(),
                channel: Some(Channel::Online),
                area: None,
            })
        });
        out
    }
}

fn count_interned<'p>(paper: &'p BallotPaper, ballots: &Interned) -> Count<'p> {
    let mut count = Count::new(paper);
    ballots.for_each(|w, d, u| count.add_indexed(w, d, u, Some(Channel::Online), None).expect("valid ballot"));
    count
}

fn synthetic(c: &mut Criterion) {
    let paper = paper();
    for (label, n) in [("synthetic_1m", 1_000_000usize), ("synthetic_150k", 150_000)] {
        let interned = generate(n, 0x5EED_0000 + n as u64);
        let ballots = interned.to_ballots(&paper);
        let mut group = c.benchmark_group(label);
        group.sample_size(10).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(6));
        group.throughput(Throughput::Elements(n as u64));
        group.bench_function(BenchmarkId::new("count_only", n), |b| b.iter(|| black_box(count_interned(&paper, &interned).result())));
        group.bench_function(BenchmarkId::new("add_and_count", n), |b| {
            b.iter(|| {
                let mut count = Count::new(&paper);
                for ballot in &ballots {
                    count.add(ballot).expect("valid ballot");
                }
                black_box(count.result())
            })
        });
        let full = count_interned(&paper, &interned);
        group.bench_function(BenchmarkId::new("result_only", n), |b| b.iter(|| black_box(full.result())));
        group.finish();
    }
}

fn publishing(c: &mut Criterion) {
    let paper = paper();
    let n = 150_000usize;
    let mut ballots = generate(n, 0x5EED_0001).to_ballots(&paper);
    let mut rng = XorShift(7);
    for ballot in &mut ballots {
        // Ten areas; "area-9" is small (about 1 in 2,000 ballots).
        let area = match rng.below(2000) {
            0 => 9,
            _ => rng.below(9),
        };
        ballot.area = Some(format!("area-{area}"));
        ballot.channel = Some([Channel::Online, Channel::Online, Channel::Meeting, Channel::Paper][rng.below(4) as usize]);
    }
    let mut group = c.benchmark_group("publishing");
    group.sample_size(10).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(8));
    group.throughput(Throughput::Elements(n as u64));
    group.bench_function(BenchmarkId::new("anonymise", n), |b| {
        b.iter_batched(
            || ballots.clone(),
            |ballots| black_box(disclosure::anonymise(&paper, ballots).expect("valid")),
            criterion::BatchSize::LargeInput,
        )
    });
    group.finish();
}

fn krakow(c: &mut Criterion) {
    let dir = match std::env::var_os("PBVOTE_SHARED_DIR") {
        Some(dir) => std::path::PathBuf::from(dir).join("data/real"),
        None => std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/data/real")),
    };
    let path = dir.join("krakow-2024.json");
    let Ok(input) = std::fs::read(&path) else {
        eprintln!("skipped: {} not found", path.display());
        return;
    };
    let mut group = c.benchmark_group("krakow_2024");
    group.sample_size(20).measurement_time(Duration::from_secs(4));
    group.throughput(Throughput::Bytes(input.len() as u64));
    group.bench_function("parse_and_count", |b| b.iter(|| black_box(exchange::count(black_box(&input)).expect("counts"))));
    group.bench_function("parse_owned", |b| b.iter(|| black_box(exchange::parse(black_box(&input)).expect("parses"))));
    group.finish();
}

criterion_group!(benches, synthetic, publishing, krakow);
criterion_main!(benches);
