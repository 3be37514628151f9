//! A hall meeting under load: phones with slips vote through one or more instances while
//! stream clients (projectors, phones, consoles) follow the meeting, measured from the
//! outside as a hall would see it.
//!
//! 1. Sign in, create and open a consultation, add a meeting, print `--phones` slips, open
//!    voting in the meeting.
//! 2. Connect `--watchers` stream clients, spread over the instances, and wait until each
//!    has its first event.
//! 3. Every phone joins and casts a ballot (through the instances in turn), `--concurrency`
//!    at a time: latency of each acknowledgement.
//! 4. The time from the last acknowledgement until every watcher has seen the full count
//!    (measured by the stream clients, not by polling).
//! 5. Every watcher dropped and reconnected at once: the time until each has the current
//!    state.
//! 6. Close the meeting and reveal its result: the time each takes.
//!
//! With `--pids`, each server's resident memory (VmRSS) is read before and after the
//! watchers connect, to give the memory per connected client.
use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use anyhow::{Context, ensure};
use reqwest::{Client, Url};
use serde_json::{Value, json};
use tokio::sync::Semaphore;

use crate::{MeetingArgs, api, stats::Tally};

/// A stream client: reads events until `until` says stop; returns when it first saw a
/// state for which `done` holds, relative to `since`.
async fn watch(client: Client, url: Url, done: impl Fn(&Value) -> bool, deadline: Instant) -> anyhow::Result<Instant> {
    let mut response = client.get(url).header("accept", "text/event-stream").send().await?;
    ensure!(response.status().is_success(), "stream: HTTP {}", response.status());
    let mut buffer = String::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let chunk = tokio::time::timeout(left, response.chunk()).await.context("the stream did not reach the state in time")??;
        let Some(chunk) = chunk else { anyhow::bail!("the stream ended") };
        buffer.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buffer.find("\n\n") {
            let block: String = buffer.drain(..end + 2).collect();
            if let Some(data) = block.lines().find_map(|l| l.strip_prefix("data: ")) {
                let state: Value = serde_json::from_str(data)?;
                if done(&state) {
                    return Ok(Instant::now());
                }
            }
        }
    }
}

/// Resident memory of a process in kB, from /proc.
fn rss_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status.lines().find_map(|l| l.strip_prefix("VmRSS:")).and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

fn percentile(sorted: &[Duration], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 * q).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i].as_secs_f64() * 1000.0
}

pub async fn run(args: MeetingArgs) -> anyhow::Result<()> {
    let bases: Vec<Url> = args.base.split(',').map(api::loopback_base).collect::<Result<_, _>>()?;
    ensure!(!bases.is_empty(), "--base: at least one server");
    ensure!((1..=5000).contains(&args.phones), "--phones: 1 to 5,000");
    ensure!(args.watchers <= 5000, "--watchers: at most 5,000");
    let client = api::client(args.concurrency + args.watchers + 8)?;
    let token = api::sign_in(&client, &bases[0], &args.email, &args.password).await?;
    let auth = format!("Bearer {token}");
    let post = |path: String, body: Value| {
        let (client, auth, base) = (client.clone(), auth.clone(), bases[0].clone());
        async move {
            let resp = client.post(api::endpoint(&base, &path)?).header("Authorization", auth).json(&body).send().await?;
            let status = resp.status();
            let text = resp.text().await?;
            ensure!(status.is_success(), "POST {path}: HTTP {status}: {text}");
            Ok::<Value, anyhow::Error>(serde_json::from_str(&text)?)
        }
    };

    // 1. The consultation and the meeting.
    let consultation = post(
        "/api/v1/consultations".into(),
        json!({
            "title": format!("Meeting load {}", uuid::Uuid::new_v4()), "currency": "GBP",
            "budget": {"savings_target": 2_000_000, "development_budget": 500_000},
            "areas": ["North", "South"],
            "services": [{"id": "day-centre", "name": "Day centre"}, {"id": "library", "name": "Library"}],
            "proposals": [
                {"id": "S1", "kind": "saving", "title": "Close the day centre", "amount": 1_000_000, "service": "day-centre"},
                {"id": "S2", "kind": "saving", "title": "Shorter library hours", "amount": 600_000, "service": "library"},
                {"id": "S3", "kind": "saving", "title": "Dim street lights", "amount": 800_000},
                {"id": "D1", "kind": "development", "title": "Youth club", "amount": 300_000},
                {"id": "D2", "kind": "development", "title": "Bus shelter", "amount": 200_000}
            ]
        }),
    )
    .await?;
    let cid = consultation["id"].as_str().context("consultation id")?.to_owned();
    post(format!("/api/v1/consultations/{cid}/open"), json!({})).await?;
    let meeting =
        post(format!("/api/v1/consultations/{cid}/meetings"), json!({"title": "Load test meeting", "place": "Loopback hall"})).await?;
    let mid = meeting["id"].as_str().context("meeting id")?.to_owned();
    let mut slips = Vec::with_capacity(args.phones);
    while slips.len() < args.phones {
        let n = (args.phones - slips.len()).min(2000);
        let sheet = post(format!("/api/v1/meetings/{mid}/slips"), json!({"count": n})).await?;
        slips.extend(sheet["slips"].as_array().context("slips")?.iter().filter_map(|s| s["code"].as_str().map(str::to_owned)));
    }
    post(format!("/api/v1/meetings/{mid}/open"), json!({})).await?;
    eprintln!("meeting {mid} of consultation {cid} is voting; {} slips; {} instance(s)", slips.len(), bases.len());
    let stream_url = |i: usize| api::endpoint(&bases[i % bases.len()], &format!("/api/v1/meetings/{mid}/stream"));

    // 2. The watchers.
    let rss_before: Vec<Option<u64>> = args.pids.iter().map(|&p| rss_kb(p)).collect();
    let phones = args.phones as u64;
    let connect_deadline = Instant::now() + Duration::from_secs(60);
    let (ready_tx, mut ready_rx) = tokio::sync::mpsc::channel::<()>(args.watchers.max(1));
    let mut watchers = Vec::with_capacity(args.watchers);
    for i in 0..args.watchers {
        let (client, url, ready) = (client.clone(), stream_url(i)?, ready_tx.clone());
        watchers.push(tokio::spawn(async move {
            // First event: connected. Then: the full count.
            let mut response = client.get(url).header("accept", "text/event-stream").send().await?;
            ensure!(response.status().is_success(), "stream: HTTP {}", response.status());
            let mut buffer = String::new();
            let mut first = true;
            let deadline = Instant::now() + Duration::from_secs(300);
            loop {
                let left = deadline.saturating_duration_since(Instant::now());
                let chunk = tokio::time::timeout(left, response.chunk()).await.context("no full count within 300 s")??;
                let Some(chunk) = chunk else { anyhow::bail!("the stream ended") };
                buffer.push_str(&String::from_utf8_lossy(&chunk));
                while let Some(end) = buffer.find("\n\n") {
                    let block: String = buffer.drain(..end + 2).collect();
                    if let Some(data) = block.lines().find_map(|l| l.strip_prefix("data: ")) {
                        let state: Value = serde_json::from_str(data)?;
                        if first {
                            first = false;
                            let _ = ready.send(()).await;
                        }
                        if state["voted"].as_u64() == Some(phones) {
                            return Ok::<Instant, anyhow::Error>(Instant::now());
                        }
                    }
                }
            }
        }));
    }
    drop(ready_tx);
    for _ in 0..args.watchers {
        tokio::time::timeout(connect_deadline.saturating_duration_since(Instant::now()), ready_rx.recv())
            .await
            .context("the watchers did not all connect within 60 s")?;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss_after: Vec<Option<u64>> = args.pids.iter().map(|&p| rss_kb(p)).collect();
    eprintln!("{} watchers connected", args.watchers);

    // 3. The phones.
    let gate = Arc::new(Semaphore::new(args.concurrency.max(1)));
    let within = if args.within == 0.0 { 0.0 } else { crate::bounded(args.within)?.as_secs_f64() };
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(slips.len());
    for (i, code) in slips.iter().enumerate() {
        let (client, gate, base, mid, code) = (client.clone(), gate.clone(), bases[i % bases.len()].clone(), mid.clone(), code.clone());
        let start_at = started + Duration::from_secs_f64(within * i as f64 / slips.len() as f64);
        tasks.push(tokio::spawn(async move {
            tokio::time::sleep_until(start_at.into()).await;
            let _slot = gate.acquire_owned().await?;
            let join = api::endpoint(&base, &format!("/api/v1/meetings/{mid}/join"))?;
            client.post(join).json(&json!({"voter_code": code})).send().await?.error_for_status()?;
            let cast = api::endpoint(&base, &format!("/api/v1/meetings/{mid}/ballots"))?;
            let wants = [["S1", "D1"], ["S3", "D2"], ["D1", "S2"]];
            let ballot = json!({"voter_code": code, "want": wants[i % 3], "area": if i % 2 == 0 { "North" } else { "South" }});
            let sent = Instant::now();
            let result = client.post(cast).json(&ballot).send().await;
            Ok::<(Duration, Result<u16, reqwest::Error>, Instant), anyhow::Error>((
                sent.elapsed(),
                result.map(|r| r.status().as_u16()),
                Instant::now(),
            ))
        }));
    }
    let mut tally = Tally::default();
    let mut last_ack = started;
    for task in tasks {
        let (took, status, at) = task.await??;
        match status {
            Ok(status) => {
                tally.record(took, status);
                if (200..300).contains(&status) {
                    last_ack = last_ack.max(at);
                }
            }
            Err(e) => tally.failed(&e),
        }
    }
    let voting_took = started.elapsed();
    tally.report("meeting_ballots", voting_took, &[("instances", bases.len().to_string()), ("within_s", format!("{within}"))]);

    // 4. Every watcher sees the full count.
    let mut seen_after = Vec::with_capacity(watchers.len());
    for w in watchers {
        let at = w.await??;
        seen_after.push(at.saturating_duration_since(last_ack));
    }
    seen_after.sort();
    println!(
        "watchers: {} saw all {phones} ballots; after the last acknowledgement: p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms",
        seen_after.len(),
        percentile(&seen_after, 0.5),
        percentile(&seen_after, 0.99),
        percentile(&seen_after, 1.0)
    );
    println!(
        "RESULT kind=meeting_projector watchers={} p50={:.1} p99={:.1} max={:.1}",
        seen_after.len(),
        percentile(&seen_after, 0.5),
        percentile(&seen_after, 0.99),
        percentile(&seen_after, 1.0)
    );
    for (i, pid) in args.pids.iter().enumerate() {
        if let (Some(before), Some(after)) = (rss_before[i], rss_after[i]) {
            let per_instance = args.watchers.div_ceil(bases.len().max(1)).max(1) as f64;
            println!(
                "RESULT kind=stream_memory pid={pid} rss_before_kb={before} rss_after_kb={after} per_client_kb={:.1}",
                (after as f64 - before as f64) / per_instance
            );
        }
    }

    // 5. All dropped and reconnected at once (the watchers above have ended: their streams
    // are dropped). Each must have the current state, the full count, within 2 s.
    let storm = Instant::now();
    let mut reconnects = Vec::with_capacity(args.watchers);
    for i in 0..args.watchers {
        let (client, url) = (client.clone(), stream_url(i)?);
        reconnects.push(tokio::spawn(watch(client, url, move |s| s["voted"].as_u64() == Some(phones), storm + Duration::from_secs(60))));
    }
    let mut reconnected = Vec::with_capacity(reconnects.len());
    for r in reconnects {
        reconnected.push(r.await??.saturating_duration_since(storm));
    }
    reconnected.sort();
    println!(
        "reconnect: {} clients at once; current state after p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms",
        reconnected.len(),
        percentile(&reconnected, 0.5),
        percentile(&reconnected, 0.99),
        percentile(&reconnected, 1.0)
    );
    println!(
        "RESULT kind=meeting_reconnect clients={} p50={:.1} p99={:.1} max={:.1}",
        reconnected.len(),
        percentile(&reconnected, 0.5),
        percentile(&reconnected, 0.99),
        percentile(&reconnected, 1.0)
    );

    // 6. Close and reveal.
    let t = Instant::now();
    post(format!("/api/v1/meetings/{mid}/close"), json!({})).await?;
    let close_ms = t.elapsed().as_secs_f64() * 1000.0;
    let t = Instant::now();
    post(format!("/api/v1/meetings/{mid}/reveal"), json!({})).await?;
    let reveal_ms = t.elapsed().as_secs_f64() * 1000.0;
    let result = client.get(api::endpoint(&bases[0], &format!("/api/v1/meetings/{mid}/result"))?).send().await?.json::<Value>().await?;
    ensure!(
        result["ballots"].as_u64() == Some(tally.ok()),
        "the meeting's result counts {} ballots, {} were acknowledged",
        result["ballots"],
        tally.ok()
    );
    println!("close {close_ms:.0} ms, reveal {reveal_ms:.0} ms, {} ballots in the meeting's result", result["ballots"]);
    println!("RESULT kind=meeting_close ballots={} close_ms={close_ms:.1} reveal_ms={reveal_ms:.1}", result["ballots"]);
    Ok(())
}
