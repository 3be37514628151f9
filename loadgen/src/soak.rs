//! A soak: mixed load at fixed rates for a long time against several instances, with each
//! instance's memory sampled as it goes.
//!
//! - ballots at `--ballots-per-second`, cycling through the codes of an open consultation
//!   (a code's first ballot is `201`, later ones replace it, `200`), so a long run needs no
//!   more codes than a real consultation has;
//! - result reads of a closed consultation at `--reads-per-second`, as a signed-in
//!   commissioner (results exist only once voting has closed);
//! - sign-ins at `--sign-ins-per-second`;
//!
//! each request to the next instance in turn. Rates are kept by a 10 ms clock, open loop:
//! requests are sent when due, whether or not earlier ones have been answered, up to
//! `--max-in-flight`; a request due beyond that is counted as shed, never queued. Every
//! `--sample-seconds` the resident memory of each `--pid` is appended to `--memory-out`
//! (CSV: seconds since start, pid, RSS in KiB).
use std::{
    collections::BTreeMap,
    io::Write,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use anyhow::ensure;
use rand::{SeedableRng, rngs::StdRng};
use reqwest::{Client, Url};
use serde_json::json;
use tokio::sync::Semaphore;

use crate::{
    SoakArgs,
    api::{self, Paper},
    stats::Tally,
};

/// The longest soak, whatever the flags say.
const MAX_SOAK: Duration = Duration::from_secs(2 * 3600);

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Kind {
    Ballot,
    Results,
    SignIn,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Ballot => "soak_ballots",
            Kind::Results => "soak_results",
            Kind::SignIn => "soak_sign_ins",
        }
    }
}

struct Shared {
    client: Client,
    bases: Vec<Url>,
    open: String,
    closed: String,
    paper: Paper,
    codes: Vec<String>,
    token: String,
    email: String,
    password: String,
    next_base: AtomicU64,
    next_code: AtomicU64,
    tallies: Mutex<BTreeMap<Kind, Tally>>,
    shed: Mutex<BTreeMap<Kind, u64>>,
}

impl Shared {
    fn base(&self) -> &Url {
        let i = self.next_base.fetch_add(1, Ordering::Relaxed) as usize;
        &self.bases[i % self.bases.len()]
    }

    async fn one(&self, kind: Kind, seed: u64) {
        let base = self.base().clone();
        let request = match kind {
            Kind::Ballot => {
                let i = self.next_code.fetch_add(1, Ordering::Relaxed) as usize;
                let code = &self.codes[i % self.codes.len()];
                let mut rng = StdRng::seed_from_u64(seed);
                let body = crate::cast::ballot(&mut rng, &self.paper, code);
                let Ok(url) = api::endpoint(&base, &format!("/api/v1/consultations/{}/ballots", self.open)) else { return };
                self.client.post(url).header("Content-Type", "application/json").body(body)
            }
            Kind::Results => {
                let Ok(url) = api::endpoint(&base, &format!("/api/v1/consultations/{}/results", self.closed)) else { return };
                self.client.get(url).bearer_auth(&self.token)
            }
            Kind::SignIn => {
                let Ok(url) = api::endpoint(&base, "/api/v1/auth/sign-in") else { return };
                self.client.post(url).json(&json!({"email": self.email, "password": self.password}))
            }
        };
        let sent = Instant::now();
        match request.send().await {
            Ok(resp) => {
                let status = resp.status().as_u16();
                // Read the whole answer so the connection can be reused.
                let _ = resp.bytes().await;
                let took = sent.elapsed();
                self.tallies.lock().unwrap().entry(kind).or_default().record(took, status);
            }
            Err(err) => self.tallies.lock().unwrap().entry(kind).or_default().failed(&err),
        }
    }
}

fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status.lines().find_map(|l| l.strip_prefix("VmRSS:")).and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

pub async fn run(args: SoakArgs) -> anyhow::Result<()> {
    ensure!(!args.base.is_empty(), "--base: at least one instance");
    let bases = args.base.iter().map(|b| api::loopback_base(b)).collect::<anyhow::Result<Vec<_>>>()?;
    ensure!(args.duration.is_finite() && args.duration > 0.0, "--duration must be a positive number of seconds");
    let duration = Duration::from_secs_f64(args.duration).min(MAX_SOAK);
    let rates = [(Kind::Ballot, args.ballots_per_second), (Kind::Results, args.reads_per_second), (Kind::SignIn, args.sign_ins_per_second)];
    for (kind, rate) in rates {
        ensure!(rate.is_finite() && (0.0..=100_000.0).contains(&rate), "{}: a rate from 0 to 100,000 per second", kind.name());
    }
    // Idle connections are dropped after 2 s, before the server's keep-alive (5 s) closes
    // them: reusing one the server is closing at that moment fails the request ("connection
    // closed before message completed", counted as `closed`).
    let client = Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(args.max_in_flight.max(1))
        .pool_idle_timeout(Duration::from_secs(2))
        .tcp_nodelay(true)
        .timeout(Duration::from_secs(60))
        .build()?;
    let codes = api::read_codes(&args.codes, 0, None)?;
    let paper = api::paper(&client, &bases[0], &args.consultation).await?;
    let token = api::sign_in(&client, &bases[0], &args.email, &args.password).await?;
    let shared = Arc::new(Shared {
        client,
        bases,
        open: args.consultation.clone(),
        closed: args.closed.clone(),
        paper,
        codes,
        token,
        email: args.email.clone(),
        password: args.password.clone(),
        next_base: AtomicU64::new(0),
        next_code: AtomicU64::new(0),
        tallies: Mutex::new(BTreeMap::new()),
        shed: Mutex::new(BTreeMap::new()),
    });
    let in_flight = Arc::new(Semaphore::new(args.max_in_flight.max(1)));
    let mut memory = match &args.memory_out {
        Some(path) => {
            let mut f = std::fs::File::create(path)?;
            writeln!(f, "seconds,pid,rss_kib")?;
            Some(f)
        }
        None => None,
    };
    println!(
        "soak: {:.0} ballots/s, {:.1} result reads/s, {:.1} sign-ins/s for {:.0} s against {} instance(s), at most {} in flight",
        args.ballots_per_second,
        args.reads_per_second,
        args.sign_ins_per_second,
        duration.as_secs_f64(),
        shared.bases.len(),
        args.max_in_flight
    );

    let started = Instant::now();
    let mut sent: BTreeMap<Kind, u64> = BTreeMap::new();
    let mut clock = tokio::time::interval(Duration::from_millis(10));
    clock.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let sample_every = Duration::from_secs_f64(args.sample_seconds.max(1.0));
    let mut next_sample = Duration::ZERO;
    let progress_every = Duration::from_secs(60);
    let mut next_progress = progress_every;
    let mut seed = args.seed;
    while started.elapsed() < duration {
        clock.tick().await;
        let elapsed = started.elapsed();
        for (kind, rate) in rates {
            let due = (rate * elapsed.as_secs_f64()) as u64;
            let done = sent.entry(kind).or_default();
            while *done < due {
                *done += 1;
                match in_flight.clone().try_acquire_owned() {
                    Ok(permit) => {
                        let shared = shared.clone();
                        seed = seed.wrapping_add(1);
                        let s = seed;
                        tokio::spawn(async move {
                            shared.one(kind, s).await;
                            drop(permit);
                        });
                    }
                    Err(_) => *shared.shed.lock().unwrap().entry(kind).or_default() += 1,
                }
            }
        }
        if elapsed >= next_sample {
            next_sample += sample_every;
            if let Some(f) = memory.as_mut() {
                for pid in &args.pid {
                    writeln!(f, "{:.0},{pid},{}", elapsed.as_secs_f64(), rss_kib(*pid).unwrap_or(0))?;
                }
                f.flush()?;
            }
        }
        if elapsed >= next_progress {
            next_progress += progress_every;
            let t = shared.tallies.lock().unwrap();
            let line: Vec<String> = t.iter().map(|(k, v)| format!("{} ok={} errors={}", k.name(), v.ok(), v.error_list())).collect();
            let rss: Vec<String> = args.pid.iter().map(|p| format!("{p}:{}KiB", rss_kib(*p).unwrap_or(0))).collect();
            println!("progress t={:.0}s {} rss {}", elapsed.as_secs_f64(), line.join(" "), rss.join(" "));
        }
    }
    // Let the last requests finish (bounded).
    let _ = tokio::time::timeout(Duration::from_secs(60), in_flight.acquire_many(args.max_in_flight.max(1) as u32)).await;
    let took = started.elapsed().as_secs_f64();
    let tallies = shared.tallies.lock().unwrap();
    let shed = shared.shed.lock().unwrap();
    for (kind, _) in rates {
        let empty = Tally::default();
        let t = tallies.get(&kind).unwrap_or(&empty);
        // For ballots: 201 a code's first ballot, 200 one that replaced it.
        println!(
            "RESULT kind={} ok={} rate={:.1} p50={:.3} p90={:.3} p99={:.3} max={:.3} status201={} status200={} shed={} errors={}",
            kind.name(),
            t.ok(),
            t.ok() as f64 / took,
            t.ms(0.5),
            t.ms(0.9),
            t.ms(0.99),
            t.max_ms(),
            t.statuses.get(&201).copied().unwrap_or(0),
            t.statuses.get(&200).copied().unwrap_or(0),
            shed.get(&kind).copied().unwrap_or(0),
            t.error_list()
        );
    }
    Ok(())
}
