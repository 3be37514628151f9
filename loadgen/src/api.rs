//! Talking to pbvote: the loopback-only client, signing in, setting up a consultation and
//! reading its ballot paper.
use std::{
    io::Write,
    net::IpAddr,
    time::{Duration, Instant},
};

use anyhow::{Context, bail, ensure};
use reqwest::{Client, Url};
use serde_json::{Value, json};

use crate::SetupArgs;

/// The base URL, refused unless it is plain HTTP to a loopback address.
pub fn loopback_base(raw: &str) -> anyhow::Result<Url> {
    let url = Url::parse(raw).with_context(|| format!("--base {raw:?} is not a URL"))?;
    ensure!(url.scheme() == "http", "--base must be http:// (loopback only), got {raw:?}");
    let loopback = match url.host() {
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    };
    ensure!(loopback, "--base must be a loopback address (127.0.0.0/8, [::1] or localhost), got {raw:?}");
    Ok(url)
}

/// A client for many concurrent keep-alive connections, never through a proxy.
pub fn client(connections: usize) -> anyhow::Result<Client> {
    Ok(Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(connections.max(1))
        .tcp_nodelay(true)
        .timeout(Duration::from_secs(60))
        .build()?)
}

pub fn endpoint(base: &Url, path: &str) -> anyhow::Result<Url> {
    Ok(base.join(path)?)
}

async fn answer(resp: reqwest::Response, what: &str) -> anyhow::Result<Value> {
    let status = resp.status();
    let text = resp.text().await.unwrap_or_default();
    if !status.is_success() {
        bail!("{what}: HTTP {status}: {text}");
    }
    serde_json::from_str(&text).with_context(|| format!("{what}: answer is not JSON"))
}

pub async fn sign_in(client: &Client, base: &Url, email: &str, password: &str) -> anyhow::Result<String> {
    let resp = client.post(endpoint(base, "/api/v1/auth/sign-in")?).json(&json!({"email": email, "password": password})).send().await?;
    let body = answer(resp, "sign in").await?;
    body["token"].as_str().map(str::to_owned).context("sign in: no token in the answer")
}

/// The ballot paper as the loader needs it: proposal ids, service ids, areas, rank depth.
pub struct Paper {
    pub proposals: Vec<String>,
    pub services: Vec<String>,
    pub areas: Vec<String>,
    pub rank_depth: usize,
}

pub async fn paper(client: &Client, base: &Url, consultation: &str) -> anyhow::Result<Paper> {
    let resp = client.get(endpoint(base, &format!("/api/v1/consultations/{consultation}"))?).send().await?;
    let body = answer(resp, "read the ballot paper").await?;
    let ids = |key: &str| -> Vec<String> {
        body[key].as_array().map(|a| a.iter().filter_map(|x| x["id"].as_str().map(str::to_owned)).collect()).unwrap_or_default()
    };
    let areas = body["areas"].as_array().map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_owned)).collect()).unwrap_or_default();
    let rank_depth = body["settings"]["rank_depth"].as_u64().unwrap_or(5) as usize;
    let paper = Paper { proposals: ids("proposals"), services: ids("services"), areas, rank_depth };
    ensure!(!paper.proposals.is_empty(), "the consultation has no proposals");
    Ok(paper)
}

/// Read codes from a file (one a line), skipping `skip` and keeping at most `count`.
pub fn read_codes(path: &std::path::Path, skip: usize, count: Option<usize>) -> anyhow::Result<Vec<String>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let codes: Vec<String> =
        text.lines().map(str::trim).filter(|l| !l.is_empty()).skip(skip).take(count.unwrap_or(usize::MAX)).map(str::to_owned).collect();
    ensure!(!codes.is_empty(), "no voter codes left in {} after skipping {skip}", path.display());
    Ok(codes)
}

pub async fn setup(args: SetupArgs) -> anyhow::Result<()> {
    let base = loopback_base(&args.target.base)?;
    ensure!(args.codes <= 2_000_000, "--codes: at most 2,000,000");
    ensure!((2..=300).contains(&args.proposals), "--proposals: 2 to 300");
    ensure!((1..=100).contains(&args.services), "--services: 1 to 100");
    let client = client(4)?;
    let started = Instant::now();
    let token = sign_in(&client, &base, &args.email, &args.password).await?;
    let auth = format!("Bearer {token}");

    let services: Vec<Value> = (0..args.services)
        .map(|s| json!({"id": format!("svc-{}", s + 1), "name": format!("Service {}", s + 1), "description": "A service used by some residents."}))
        .collect();
    let developments = (args.proposals / 3).max(1);
    let savings = args.proposals - developments;
    let mut proposals = Vec::new();
    for i in 0..savings {
        proposals.push(json!({
            "id": format!("S{}", i + 1), "kind": "saving", "title": format!("Saving {}", i + 1),
            "summary": "Save money by changing a service.", "amount": 1_000_000 + 250_000 * i as i64,
            "service": format!("svc-{}", i % args.services + 1),
        }));
    }
    for i in 0..developments {
        let service = if i % 2 == 0 { Value::String(format!("svc-{}", i % args.services + 1)) } else { Value::Null };
        proposals.push(json!({
            "id": format!("D{}", i + 1), "kind": "development", "title": format!("Development {}", i + 1),
            "summary": "Spend money on something new.", "amount": 500_000 + 100_000 * i as i64, "service": service,
        }));
    }
    let areas: Vec<String> = if args.areas == 4 {
        ["North", "South", "East", "West"].map(String::from).to_vec()
    } else {
        (1..=args.areas).map(|i| format!("Area {i}")).collect()
    };
    let savings_total: i64 = proposals.iter().filter(|p| p["kind"] == "saving").map(|p| p["amount"].as_i64().unwrap_or(0)).sum();
    let body = json!({
        "title": format!("Load test {}", uuid::Uuid::new_v4()),
        "description": "Made by pbvote-loadgen.",
        "currency": "GBP",
        "budget": {"overall_budget": 10_000_000_000i64, "savings_target": savings_total / 2, "development_budget": 1_500_000},
        "areas": areas,
        "services": services,
        "proposals": proposals,
    });
    let resp = client.post(endpoint(&base, "/api/v1/consultations")?).header("Authorization", &auth).json(&body).send().await?;
    let created = answer(resp, "create the consultation").await?;
    let id = created["id"].as_str().context("no id in the created consultation")?.to_owned();
    eprintln!("created consultation {id} ({} proposals, {} services)", args.proposals, args.services);

    let mut out =
        std::io::BufWriter::new(std::fs::File::create(&args.out).with_context(|| format!("cannot create {}", args.out.display()))?);
    let mut issued = 0;
    let codes_started = Instant::now();
    while issued < args.codes {
        let batch = (args.codes - issued).min(10_000);
        let resp = client
            .post(endpoint(&base, &format!("/api/v1/consultations/{id}/voter-codes"))?)
            .header("Authorization", &auth)
            .json(&json!({"count": batch}))
            .send()
            .await?;
        let answer = answer(resp, "issue voter codes").await?;
        let codes = answer["codes"].as_array().context("no codes in the answer")?;
        ensure!(codes.len() == batch, "asked for {batch} codes, got {}", codes.len());
        for code in codes {
            writeln!(out, "{}", code.as_str().context("a code is not a string")?)?;
        }
        issued += batch;
        if issued % 50_000 == 0 || issued == args.codes {
            eprintln!("issued {issued} codes");
        }
    }
    out.flush()?;
    let codes_took = codes_started.elapsed();

    let resp = client.post(endpoint(&base, &format!("/api/v1/consultations/{id}/open"))?).header("Authorization", &auth).send().await?;
    answer(resp, "open the consultation").await?;
    println!("consultation {id} is open; {issued} voter codes in {} (issued in {:.2} s)", args.out.display(), codes_took.as_secs_f64());
    println!(
        "RESULT kind=setup consultation={id} codes={issued} codes_secs={:.3} secs={:.3}",
        codes_took.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
