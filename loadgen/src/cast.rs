//! Casting ballots: distinct voter codes, a fixed number of requests in flight, bounded by
//! a count (the codes given) and a duration.
use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use rand::{Rng, SeedableRng, rngs::StdRng, seq::SliceRandom};
use reqwest::{Client, Url};
use serde_json::json;

use crate::{
    CastArgs,
    api::{self, Paper},
    bounded,
    stats::Tally,
};

/// A plausible ballot: a few WANTs and DON'T WANTs in random order, a service or two, an area.
pub(crate) fn ballot(rng: &mut StdRng, paper: &Paper, code: &str) -> String {
    let mut ids: Vec<&String> = paper.proposals.iter().collect();
    ids.shuffle(rng);
    let depth = paper.rank_depth.max(1);
    let want_n = rng.random_range(0..=depth.min(ids.len()));
    let want: Vec<&String> = ids[..want_n].to_vec();
    let rest = &ids[want_n..];
    let dont_n = rng.random_range(0..=depth.min(rest.len()).min(3));
    let dont_want: Vec<&String> = rest[..dont_n].to_vec();
    let uses: Vec<&String> = paper.services.iter().filter(|_| rng.random_bool(0.2)).collect();
    let area =
        if paper.areas.is_empty() || rng.random_bool(0.3) { None } else { Some(&paper.areas[rng.random_range(0..paper.areas.len())]) };
    json!({"voter_code": code, "want": want, "dont_want": dont_want, "uses": uses, "area": area}).to_string()
}

pub struct CastLoad {
    pub client: Client,
    pub base: Url,
    pub consultation: String,
    pub paper: Arc<Paper>,
    pub codes: Arc<Vec<String>>,
    pub concurrency: usize,
    pub duration: Duration,
    pub seed: u64,
    pub progress: Option<Duration>,
    /// Set by someone else to stop early (the results reader, when it is done).
    pub stop: Arc<AtomicBool>,
}

/// Cast until the codes run out, the duration ends or `stop` is set; returns what was seen
/// and how long it took.
pub async fn cast_load(load: CastLoad) -> anyhow::Result<(Tally, Duration)> {
    let url = api::endpoint(&load.base, &format!("/api/v1/consultations/{}/ballots", load.consultation))?;
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let deadline = started + load.duration;
    let mut workers = Vec::new();
    for w in 0..load.concurrency.max(1) {
        let (client, url, paper, codes, next, stop) =
            (load.client.clone(), url.clone(), load.paper.clone(), load.codes.clone(), next.clone(), load.stop.clone());
        let seed = load.seed.wrapping_mul(1_000_003).wrapping_add(w as u64);
        workers.push(tokio::spawn(async move {
            let mut rng = StdRng::seed_from_u64(seed);
            let mut tally = Tally::default();
            loop {
                if stop.load(Ordering::Relaxed) || Instant::now() >= deadline {
                    break;
                }
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(code) = codes.get(i) else { break };
                let body = ballot(&mut rng, &paper, code);
                let sent = Instant::now();
                let outcome = client.post(url.clone()).header("Content-Type", "application/json").body(body).send().await;
                match outcome {
                    Ok(resp) => {
                        let status = resp.status().as_u16();
                        // Read the whole answer so the connection can be reused.
                        let _ = resp.bytes().await;
                        tally.record(sent.elapsed(), status);
                    }
                    Err(err) => tally.failed(&err),
                }
            }
            tally
        }));
    }
    let progress = load.progress.map(|every| {
        let next = next.clone();
        let total = load.codes.len();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.tick().await;
            loop {
                tick.tick().await;
                let done = next.load(Ordering::Relaxed).min(total);
                eprintln!(
                    "  … {done} ballots sent in {:.0} s ({:.0}/s)",
                    started.elapsed().as_secs_f64(),
                    done as f64 / started.elapsed().as_secs_f64()
                );
            }
        })
    });
    let mut all = Tally::default();
    for worker in workers {
        all.merge(&worker.await?);
    }
    let elapsed = started.elapsed();
    if let Some(p) = progress {
        p.abort();
    }
    Ok((all, elapsed))
}

pub async fn run(args: CastArgs) -> anyhow::Result<()> {
    let base = api::loopback_base(&args.target.base)?;
    let load = args.load;
    let codes = api::read_codes(&load.codes, load.skip, load.count)?;
    let client = api::client(load.concurrency)?;
    let paper = api::paper(&client, &base, &args.consultation).await?;
    eprintln!(
        "casting up to {} ballots for at most {:.0} s with {} in flight ({} proposals, rank depth {})",
        codes.len(),
        load.duration,
        load.concurrency,
        paper.proposals.len(),
        paper.rank_depth
    );
    let (tally, elapsed) = cast_load(CastLoad {
        client,
        base,
        consultation: args.consultation,
        paper: Arc::new(paper),
        codes: Arc::new(codes),
        concurrency: load.concurrency,
        duration: bounded(load.duration)?,
        seed: load.seed,
        progress: (load.progress > 0.0).then(|| Duration::from_secs_f64(load.progress)),
        stop: Arc::default(),
    })
    .await?;
    tally.report("cast", elapsed, &[("concurrency", load.concurrency.to_string())]);
    Ok(())
}
