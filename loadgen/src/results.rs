//! Reading results as a commissioner, alone or while ballots pour in.
use std::{
    sync::{Arc, atomic::Ordering},
    time::{Duration, Instant},
};

use anyhow::Context;

use crate::{
    ResultsArgs, api, bounded,
    cast::{CastLoad, cast_load},
    stats::Tally,
};

pub async fn run(args: ResultsArgs) -> anyhow::Result<()> {
    let base = api::loopback_base(&args.target.base)?;
    anyhow::ensure!(args.reads >= 1, "--reads: at least 1");
    let duration = bounded(args.duration)?;
    let client = api::client(args.cast_concurrency + 2)?;
    let token = api::sign_in(&client, &base, &args.email, &args.password).await?;
    let url = api::endpoint(&base, &args.path.replace("{id}", &args.consultation))?;

    // Optionally, keep casting ballots in the background for as long as the reads go on.
    let caster = match &args.cast_codes {
        Some(path) => {
            let codes = api::read_codes(path, args.cast_skip, args.cast_count)?;
            let paper = api::paper(&client, &base, &args.consultation).await?;
            let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
            eprintln!("casting with {} in flight ({} codes available) while reading", args.cast_concurrency, codes.len());
            let load = CastLoad {
                client: client.clone(),
                base: base.clone(),
                consultation: args.consultation.clone(),
                paper: Arc::new(paper),
                codes: Arc::new(codes),
                concurrency: args.cast_concurrency,
                // A little longer than the reads may take; `stop` ends it when they are done.
                duration: duration + Duration::from_secs(5),
                seed: args.cast_seed,
                progress: None,
                stop: stop.clone(),
            };
            let handle = tokio::spawn(cast_load(load));
            // Let the casting reach a steady state before the first read.
            tokio::time::sleep(Duration::from_secs(2)).await;
            Some((handle, stop))
        }
        None => None,
    };

    let mut tally = Tally::default();
    let mut first: Option<(f64, u64)> = None;
    let mut ballots_seen = (u64::MAX, 0u64);
    let mut bytes = 0usize;
    let started = Instant::now();
    let deadline = started + duration;
    for _ in 0..args.reads {
        if Instant::now() >= deadline {
            break;
        }
        let sent = Instant::now();
        match client.get(url.clone()).bearer_auth(&token).send().await {
            Ok(resp) => {
                let status = resp.status().as_u16();
                let body = resp.bytes().await.context("reading the results")?;
                let took = sent.elapsed();
                tally.record(took, status);
                bytes = body.len();
                if status == 200 {
                    // The results say how many ballots they count; other answers (a page, the
                    // breakdowns) are timed without looking inside.
                    let n = serde_json::from_slice::<serde_json::Value>(&body)
                        .ok()
                        .and_then(|value| value["summary"]["ballots"].as_u64())
                        .unwrap_or(0);
                    ballots_seen = (ballots_seen.0.min(n), ballots_seen.1.max(n));
                    if first.is_none() {
                        first = Some((took.as_secs_f64() * 1000.0, n));
                    }
                }
            }
            Err(err) => tally.failed(&err),
        }
        if args.interval_ms > 0 {
            tokio::time::sleep(Duration::from_millis(args.interval_ms)).await;
        }
    }
    let elapsed = started.elapsed();
    let kind = if caster.is_some() { "results_under_load" } else { "results" };
    let (first_ms, first_n) = first.unwrap_or((f64::NAN, 0));
    println!(
        "first read {first_ms:.1} ms ({first_n} ballots); {} bytes an answer; ballots seen {}..{}",
        bytes,
        if ballots_seen.0 == u64::MAX { 0 } else { ballots_seen.0 },
        ballots_seen.1
    );
    tally.report(
        kind,
        elapsed,
        &[
            ("first_ms", format!("{first_ms:.3}")),
            ("ballots_min", (if ballots_seen.0 == u64::MAX { 0 } else { ballots_seen.0 }).to_string()),
            ("ballots_max", ballots_seen.1.to_string()),
            ("interval_ms", args.interval_ms.to_string()),
        ],
    );
    if let Some((handle, stop)) = caster {
        stop.store(true, Ordering::Relaxed);
        let (cast_tally, cast_elapsed) = handle.await??;
        cast_tally.report("cast_during_reads", cast_elapsed, &[("concurrency", args.cast_concurrency.to_string())]);
    }
    Ok(())
}
