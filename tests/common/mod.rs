//! Shared by the black-box reliability tests (`crash_safety`, `graceful_shutdown`,
//! `instances`): they run the real `pbvote` binary as child processes and talk to it over
//! HTTP, exactly as a deployment would, and kill it with real signals.
//!
//! - [`TestDb`]: a fresh database per test — a SQLite file in a temporary directory, or a
//!   new database `pbvote_t_<uuid>` on the PostgreSQL server named by `TEST_DATABASE_URL`
//!   (dropped again when the test ends).
//! - [`Server`]: one `pbvote serve` child on a free port; killed when dropped, so no test
//!   leaves a process behind.
//! - [`Api`]: the handful of HTTP calls the tests need.
//! - [`Load`]: several concurrent residents casting distinct ballots with distinct codes,
//!   recording what each sent and what (if anything) came back.
#![allow(dead_code)]

use std::{
    collections::BTreeMap,
    process::{ExitStatus, Stdio},
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use serde_json::{Value, json};
use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
    process::{Child, Command},
};

/// The binary under test, built by Cargo for these integration tests.
pub const PBVOTE: &str = env!("CARGO_BIN_EXE_pbvote");

/// The key for voter-code and session hashes. It must be the same across restarts (and
/// across instances), or issued codes and sessions would stop matching.
pub const SECRET: &str = "reliability-tests-secret-0123456789-abcdefghij";

/// How long a server may take to print its "listening" line (migrations included).
pub const START_TIMEOUT: Duration = Duration::from_secs(30);

pub const PASSWORD: &str = "a long reliability-test password";

// ---------------------------------------------------------------------------------------
// Databases

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A fresh, empty database for one test.
pub struct TestDb {
    pub url: String,
    pub backend: Backend,
    /// The SQLite file's directory (removed on drop).
    _dir: Option<tempfile::TempDir>,
    /// (admin URL, database name) of a PostgreSQL test database (dropped on drop).
    pg: Option<(String, String)>,
}

impl TestDb {
    /// A SQLite file in a new temporary directory.
    pub fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("pbvote.db");
        TestDb { url: format!("sqlite://{}?mode=rwc", file.display()), backend: Backend::Sqlite, _dir: Some(dir), pg: None }
    }

    /// A new database on the server named by `TEST_DATABASE_URL`, or `None` when it is
    /// not set.
    pub async fn postgres() -> Option<TestDb> {
        let admin = std::env::var("TEST_DATABASE_URL").ok().filter(|u| !u.is_empty())?;
        use sea_orm::ConnectionTrait;
        let name = format!("pbvote_t_{}", uuid::Uuid::new_v4().simple());
        let conn = sea_orm::Database::connect(&admin).await.expect("TEST_DATABASE_URL must be reachable");
        conn.execute_unprepared(&format!("CREATE DATABASE {name}")).await.expect("create test database");
        conn.close().await.ok();
        let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
        Some(TestDb { url: format!("{base}/{name}"), backend: Backend::Postgres, _dir: None, pg: Some((admin, name)) })
    }

    /// A database made elsewhere (a throwaway PostgreSQL cluster, a restored backup): the
    /// test cleans it up itself.
    pub fn existing(url: &str, backend: Backend) -> TestDb {
        TestDb { url: url.to_owned(), backend, _dir: None, pg: None }
    }

    /// Whichever the environment asks for: PostgreSQL when `TEST_DATABASE_URL` is set,
    /// else SQLite.
    pub async fn fresh() -> TestDb {
        match TestDb::postgres().await {
            Some(db) => db,
            None => TestDb::sqlite(),
        }
    }

    /// A new PostgreSQL database for a test that needs one. Such tests are marked
    /// `#[ignore = "needs PostgreSQL …"]`, so plain `cargo test` lists them as ignored, with
    /// the reason, instead of passing them unseen; run with `--include-ignored`, a missing
    /// `TEST_DATABASE_URL` is a failure that says what to set.
    pub async fn required_postgres() -> TestDb {
        match TestDb::postgres().await {
            Some(db) => db,
            None => panic!(
                "this test needs PostgreSQL: set TEST_DATABASE_URL (e.g. TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test; \
                 the role needs CREATEDB), or run without --include-ignored to leave it out"
            ),
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        // Best effort: drop the PostgreSQL test database so test runs do not pile up
        // databases. A thread with its own runtime, because Drop cannot await.
        if let Some((admin, name)) = self.pg.take() {
            let _ = std::thread::spawn(move || {
                let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else { return };
                rt.block_on(async {
                    use sea_orm::ConnectionTrait;
                    if let Ok(conn) = sea_orm::Database::connect(&admin).await {
                        let _ = conn.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await;
                        let _ = conn.close().await;
                    }
                });
            })
            .join();
        }
    }
}

// ---------------------------------------------------------------------------------------
// The pbvote process

/// A `pbvote` command with a clean environment: only the settings the test gives.
fn pbvote_command(database_url: &str) -> Command {
    let mut cmd = Command::new(PBVOTE);
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("PBVOTE_") {
            cmd.env_remove(&key);
        }
    }
    cmd.env("DATABASE_URL", database_url)
        .env("PBVOTE_SECRET", SECRET)
        .env("PBVOTE_LOG", "warn")
        .env("PBVOTE_LOG_FORMAT", "text")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .kill_on_drop(true);
    cmd
}

/// `pbvote user add --email EMAIL --role ROLE --password-stdin`, the password on stdin.
pub async fn add_user(database_url: &str, email: &str, role: &str) {
    let mut child = pbvote_command(database_url)
        .args(["user", "add", "--email", email, "--role", role, "--password-stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run pbvote user add");
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(format!("{PASSWORD}\n").as_bytes()).await.unwrap();
    drop(stdin);
    let output = tokio::time::timeout(Duration::from_secs(60), child.wait_with_output())
        .await
        .expect("pbvote user add finishes within 60 s")
        .unwrap();
    assert!(
        output.status.success(),
        "pbvote user add --email {email} --role {role} failed ({}): {}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A running `pbvote serve`.
pub struct Server {
    child: Child,
    pub pid: u32,
    pub port: u16,
    /// `http://127.0.0.1:PORT`
    pub base: String,
    /// Everything the process wrote (stdout and stderr), for failure messages.
    log: Arc<Mutex<Vec<String>>>,
    pub started_in: Duration,
}

impl Server {
    /// Start `pbvote serve` on a free port and wait for `pbvote listening on http://…`.
    pub async fn start(database_url: &str) -> Server {
        let spawned = Server::spawn(database_url);
        spawned.ready().await
    }

    /// Spawn the process without waiting for it (to start several at the same moment).
    pub fn spawn(database_url: &str) -> Spawned {
        Server::spawn_with(database_url, 0, &[])
    }

    /// Spawn on `port` (0: any free one) with extra `PBVOTE_*` settings.
    pub fn spawn_with(database_url: &str, port: u16, settings: &[(&str, &str)]) -> Spawned {
        let started = Instant::now();
        let mut command = pbvote_command(database_url);
        command.arg("serve").env("PBVOTE_BIND", format!("127.0.0.1:{port}"));
        for (key, value) in settings {
            command.env(key, value);
        }
        let mut child = command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("spawn pbvote serve");
        let pid = child.id().expect("child pid");
        let log = Arc::new(Mutex::new(Vec::new()));
        // stderr: keep draining it for the whole life of the process, so a full pipe can
        // never block the server.
        let stderr = child.stderr.take().unwrap();
        let err_log = log.clone();
        tokio::spawn(async move {
            let mut lines = BufReader::new(stderr).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                err_log.lock().unwrap().push(format!("[stderr] {line}"));
            }
        });
        let stdout = child.stdout.take().unwrap();
        let (port_tx, port_rx) = tokio::sync::oneshot::channel();
        let out_log = log.clone();
        tokio::spawn(async move {
            let mut port_tx = Some(port_tx);
            let mut lines = BufReader::new(stdout).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some(rest) = line.strip_prefix("pbvote listening on http://127.0.0.1:")
                    && let (Ok(port), Some(tx)) = (rest.trim().parse::<u16>(), port_tx.take())
                {
                    let _ = tx.send(port);
                }
                out_log.lock().unwrap().push(format!("[stdout] {line}"));
            }
        });
        Spawned { child: Some(child), pid, port_rx: Some(port_rx), log, started }
    }

    pub fn log(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }

    /// Lines of the log that look like a crash of our own making (a panic).
    pub fn panics(&self) -> Vec<String> {
        self.log.lock().unwrap().iter().filter(|l| l.contains("panicked")).cloned().collect()
    }

    /// SIGKILL: the process dies at once, with no chance to tidy up.
    pub fn sigkill(&mut self) {
        self.child.start_kill().expect("send SIGKILL");
    }

    /// SIGTERM: ask the process to stop gracefully.
    pub fn sigterm(&self) {
        self.signal("TERM");
    }

    /// Send a signal by name (`TERM`, `INT`, …) with kill(1).
    pub fn signal(&self, name: &str) {
        let status = std::process::Command::new("kill")
            .args([&format!("-{name}"), &self.pid.to_string()])
            .status()
            .unwrap_or_else(|e| panic!("run kill -{name}: {e}"));
        assert!(status.success(), "kill -{name} {} failed", self.pid);
    }

    /// Wait for the process to end; `None` if it is still running after `limit`.
    pub async fn wait_exit(&mut self, limit: Duration) -> Option<ExitStatus> {
        tokio::time::timeout(limit, self.child.wait()).await.ok().map(|r| r.expect("wait for pbvote"))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // Never leave a server behind, even when a test fails half-way.
        let _ = self.child.start_kill();
        let _ = self.child.try_wait();
    }
}

/// A server process that has been spawned but may not be listening yet.
pub struct Spawned {
    child: Option<Child>,
    pid: u32,
    port_rx: Option<tokio::sync::oneshot::Receiver<u16>>,
    log: Arc<Mutex<Vec<String>>>,
    started: Instant,
}

impl Spawned {
    /// Wait (at most [`START_TIMEOUT`]) for the "listening" line.
    pub async fn ready(mut self) -> Server {
        let rx = self.port_rx.take().unwrap();
        let mut child = self.child.take().unwrap();
        match tokio::time::timeout(START_TIMEOUT, rx).await {
            Ok(Ok(port)) => Server {
                child,
                pid: self.pid,
                port,
                base: format!("http://127.0.0.1:{port}"),
                log: self.log.clone(),
                started_in: self.started.elapsed(),
            },
            outcome => {
                let _ = child.start_kill();
                let status = child.try_wait().ok().flatten();
                // Give the log readers a moment to catch the last lines.
                tokio::time::sleep(Duration::from_millis(200)).await;
                panic!(
                    "pbvote serve did not print its listening line ({}; exit status {status:?}). Its output:\n{}",
                    if outcome.is_err() { "timed out" } else { "stdout closed" },
                    self.log.lock().unwrap().join("\n")
                );
            }
        }
    }
}

impl Drop for Spawned {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.start_kill();
        }
    }
}

// ---------------------------------------------------------------------------------------
// HTTP

/// A complete HTTP answer.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub body: Value,
    pub text: String,
    /// The `Retry-After` header, if any.
    pub retry_after: Option<String>,
}

/// What came back for one request.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// A whole answer whose body is well-formed JSON.
    Answer(Answer),
    /// The request failed before any answer arrived (refused, reset, timed out): the
    /// server may or may not have acted on it.
    NoAnswer(String),
    /// The status line arrived but the body did not arrive whole, or is not JSON.
    HalfAnswer { status: u16, error: String },
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().timeout(Duration::from_secs(45)).build().expect("http client")
}

/// Send a request and classify what came back.
pub async fn send(request: reqwest::RequestBuilder) -> Outcome {
    let response = match request.send().await {
        Ok(r) => r,
        Err(e) => return Outcome::NoAnswer(format!("{e:?}")),
    };
    let status = response.status().as_u16();
    let retry_after = response.headers().get("retry-after").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let text = match response.text().await {
        Ok(t) => t,
        Err(e) => return Outcome::HalfAnswer { status, error: format!("body: {e:?}") },
    };
    match serde_json::from_str::<Value>(&text) {
        Ok(body) => Outcome::Answer(Answer { status, body, text, retry_after }),
        Err(e) => Outcome::HalfAnswer { status, error: format!("not JSON ({e}): {text:?}") },
    }
}

/// The API of one server, for one test.
#[derive(Clone)]
pub struct Api {
    pub base: String,
    pub client: reqwest::Client,
}

impl Api {
    pub fn new(server: &Server) -> Api {
        Api::at(&server.base)
    }

    /// The API at `base` (e.g. a reverse proxy in front of the servers).
    pub fn at(base: &str) -> Api {
        Api { base: base.to_owned(), client: client() }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn auth(request: reqwest::RequestBuilder, token: Option<&str>) -> reqwest::RequestBuilder {
        match token {
            Some(t) => request.bearer_auth(t),
            None => request,
        }
    }

    /// A request that must get a whole JSON answer with `status`.
    #[track_caller]
    pub fn expect(outcome: Outcome, status: u16, what: &str) -> Value {
        match outcome {
            Outcome::Answer(a) if a.status == status => a.body,
            other => panic!("{what}: expected {status}, got {other:?}"),
        }
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Outcome {
        send(Self::auth(self.client.get(self.url(path)), token)).await
    }

    pub async fn post(&self, path: &str, body: &Value, token: Option<&str>) -> Outcome {
        send(Self::auth(self.client.post(self.url(path)).json(body), token)).await
    }

    pub async fn post_empty(&self, path: &str, token: Option<&str>) -> Outcome {
        send(Self::auth(self.client.post(self.url(path)), token)).await
    }

    pub async fn sign_in(&self, email: &str) -> String {
        let body =
            Self::expect(self.post("/api/v1/auth/sign-in", &json!({"email": email, "password": PASSWORD}), None).await, 200, "sign in");
        body["token"].as_str().expect("token").to_owned()
    }

    pub async fn create_consultation(&self, token: &str, body: &Value) -> String {
        let created = Self::expect(self.post("/api/v1/consultations", body, Some(token)).await, 201, "create consultation");
        created["id"].as_str().expect("id").to_owned()
    }

    pub async fn issue_codes(&self, token: &str, id: &str, count: u32) -> Vec<String> {
        let body = Self::expect(
            self.post(&format!("/api/v1/consultations/{id}/voter-codes"), &json!({"count": count}), Some(token)).await,
            201,
            "issue voter codes",
        );
        body["codes"].as_array().expect("codes").iter().map(|c| c.as_str().unwrap().to_owned()).collect()
    }

    pub async fn open(&self, token: &str, id: &str) {
        Self::expect(self.post_empty(&format!("/api/v1/consultations/{id}/open"), Some(token)).await, 200, "open");
    }

    pub async fn close(&self, token: &str, id: &str) {
        Self::expect(self.post_empty(&format!("/api/v1/consultations/{id}/close"), Some(token)).await, 200, "close");
    }

    /// Cast `content` with `code`.
    pub async fn cast(&self, id: &str, code: &str, content: &Value) -> Outcome {
        let mut ballot = content.clone();
        ballot["voter_code"] = json!(code);
        self.post(&format!("/api/v1/consultations/{id}/ballots"), &ballot, None).await
    }

    /// `GET /api/v1/receipts/{r}`: 200 (with the body) or another status.
    pub async fn receipt(&self, receipt: &str) -> Answer {
        match self.get(&format!("/api/v1/receipts/{receipt}"), None).await {
            Outcome::Answer(a) => a,
            other => panic!("receipt {receipt}: no whole answer: {other:?}"),
        }
    }

    pub async fn results(&self, token: &str, id: &str) -> Value {
        Self::expect(self.get(&format!("/api/v1/consultations/{id}/results"), Some(token)).await, 200, "results")
    }

    pub async fn export(&self, token: &str, id: &str) -> Value {
        Self::expect(self.get(&format!("/api/v1/consultations/{id}/export"), Some(token)).await, 200, "export")
    }

    /// `(issued, used)`
    pub async fn code_stats(&self, token: &str, id: &str) -> (u64, u64) {
        let body =
            Self::expect(self.get(&format!("/api/v1/consultations/{id}/voter-codes/stats"), Some(token)).await, 200, "voter-code stats");
        (body["issued"].as_u64().expect("issued"), body["used"].as_u64().expect("used"))
    }

    pub async fn ready(&self) -> u16 {
        match self.get("/ready", None).await {
            Outcome::Answer(a) => a.status,
            Outcome::HalfAnswer { status, .. } => status,
            Outcome::NoAnswer(e) => panic!("/ready: {e}"),
        }
    }
}

// ---------------------------------------------------------------------------------------
// The consultation and its ballots

/// The spec's worked example (as in tests/api/helpers.rs) with two areas: R = 3, four
/// proposals, one service; but min_group 1.
pub fn worked_example() -> Value {
    json!({
        "title": "Worked example (reliability)",
        "description": "The example of the counting rule",
        "budget": {"savings_target": 80000, "development_budget": 30000},
        // min_group 1: results while voting is open then move in steps of one ballot (are
        // exact), so these tests can hold every reading to the ballots stored.
        "settings": {"rank_depth": 3, "minority_share_percent": 50, "max_weight": 10, "min_group": 1, "protect_threshold_percent": 50},
        "areas": ["North", "South"],
        "services": [{"id": "day-centre", "name": "Day centre"}],
        "proposals": [
            {"id": "S1", "kind": "saving", "title": "Close the day centre", "amount": 80000, "service": "day-centre"},
            {"id": "S2", "kind": "saving", "title": "Cut park grass monthly", "amount": 50000},
            {"id": "S3", "kind": "saving", "title": "Dim street lights 1am to 5am", "amount": 40000},
            {"id": "D1", "kind": "development", "title": "New youth club", "amount": 30000}
        ]
    })
}

/// A signed-in organiser and commissioner, and an open worked-example consultation with
/// `codes` voter codes.
pub struct Setup {
    pub organiser: String,
    pub commissioner: String,
    pub consultation: String,
    pub codes: Vec<String>,
    pub organiser_email: String,
    pub commissioner_email: String,
}

/// Add the accounts with `pbvote user add` (the real command line), sign in over HTTP,
/// create the worked example, issue codes and open it.
pub async fn set_up_consultation(database_url: &str, api: &Api, codes: u32) -> Setup {
    let tag = uuid::Uuid::new_v4().simple().to_string();
    let organiser_email = format!("organiser-{tag}@council.example");
    let commissioner_email = format!("commissioner-{tag}@council.example");
    add_user(database_url, &organiser_email, "organiser").await;
    add_user(database_url, &commissioner_email, "commissioner").await;
    let organiser = api.sign_in(&organiser_email).await;
    let commissioner = api.sign_in(&commissioner_email).await;
    let consultation = api.create_consultation(&organiser, &worked_example()).await;
    let codes = api.issue_codes(&organiser, &consultation, codes).await;
    api.open(&organiser, &consultation).await;
    Setup { organiser, commissioner, consultation, codes, organiser_email, commissioner_email }
}

fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// The `i`-th ballot's contents: a valid ballot for [`worked_example`], varied (several
/// hundred different ballots) and the same on every run.
pub fn ballot_content(i: u64) -> Value {
    let r = splitmix64(i);
    let mut ids = ["S1", "S2", "S3", "D1"];
    // Fisher–Yates with bits of r.
    let mut bits = r;
    for k in (1..ids.len()).rev() {
        let j = (bits % (k as u64 + 1)) as usize;
        bits /= k as u64 + 1;
        ids.swap(k, j);
    }
    let n_want = ((r >> 12) % 4) as usize; // 0..=3 (rank_depth 3)
    let n_dont = (((r >> 16) % (5 - n_want as u64)) as usize).min(3);
    let want: Vec<&str> = ids[..n_want].to_vec();
    let dont_want: Vec<&str> = ids[n_want..n_want + n_dont].to_vec();
    let uses: Vec<&str> = if (r >> 20) & 1 == 1 { vec!["day-centre"] } else { vec![] };
    let area = match (r >> 24) % 3 {
        0 => Value::Null,
        1 => json!("North"),
        _ => json!("South"),
    };
    let mut ballot = json!({"want": want, "dont_want": dont_want, "uses": uses});
    if !area.is_null() {
        ballot["area"] = area;
    }
    ballot
}

/// A ballot's contents as a comparable key: want, dont_want, uses and area (missing
/// lists are empty, a missing area is null). Works for both what we sent and what the
/// export returns.
pub fn content_key(ballot: &Value) -> String {
    let list = |name: &str| ballot.get(name).cloned().filter(|v| !v.is_null()).unwrap_or_else(|| json!([]));
    let area = ballot.get("area").cloned().unwrap_or(Value::Null);
    json!([list("want"), list("dont_want"), list("uses"), area]).to_string()
}

/// Count keys into a multiset.
pub fn multiset<'a>(keys: impl IntoIterator<Item = &'a String>) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for k in keys {
        *m.entry(k.clone()).or_insert(0) += 1;
    }
    m
}

// ---------------------------------------------------------------------------------------
// Load: many residents at once

/// One ballot submission and what came of it.
#[derive(Debug, Clone)]
pub struct Submission {
    pub code: String,
    pub key: String,
    pub outcome: Outcome,
    /// Whether the request was started after the test had sent its signal.
    pub started_after_signal: bool,
    /// Whether the answer (or the error) came after the test had sent its signal.
    pub finished_after_signal: bool,
    /// When the request was started.
    pub started_at: Instant,
}

impl Submission {
    /// The receipt, if the server acknowledged the ballot as a first ballot (201).
    pub fn acknowledged_receipt(&self) -> Option<&str> {
        match &self.outcome {
            Outcome::Answer(a) if a.status == 201 => a.body["receipt"].as_str(),
            _ => None,
        }
    }
}

/// Concurrent residents: each takes the next unused code and the next ballot contents,
/// casts, records the outcome, and goes again until told to stop.
pub struct Load {
    pub records: Arc<Mutex<Vec<Submission>>>,
    pub acknowledged: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    pub signalled: Arc<AtomicBool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

/// Where the next code comes from: shared across the cycles of a test, so a code is
/// never used twice (a code whose ballot's fate is unknown is never retried).
pub struct CodeSource {
    codes: Vec<String>,
    next: AtomicUsize,
}

impl CodeSource {
    pub fn new(codes: Vec<String>) -> Arc<CodeSource> {
        Arc::new(CodeSource { codes, next: AtomicUsize::new(0) })
    }

    /// The next unused (code, its index), or `None` when all are used.
    pub fn take(&self) -> Option<(String, u64)> {
        let i = self.next.fetch_add(1, Ordering::SeqCst);
        self.codes.get(i).map(|c| (c.clone(), i as u64))
    }

    pub fn used(&self) -> usize {
        self.next.load(Ordering::SeqCst).min(self.codes.len())
    }
}

impl Load {
    /// Start `residents` concurrent submitters against `api`. When `on_ack_count` is
    /// given, `notify` fires once as soon as that many ballots have been acknowledged.
    pub fn start(
        api: &Api,
        consultation: &str,
        codes: Arc<CodeSource>,
        residents: usize,
        notify_at: Option<(usize, Arc<tokio::sync::Notify>)>,
    ) -> Load {
        let records = Arc::new(Mutex::new(Vec::new()));
        let acknowledged = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let signalled = Arc::new(AtomicBool::new(false));
        let mut tasks = Vec::new();
        for _ in 0..residents {
            let api = api.clone();
            let consultation = consultation.to_owned();
            let codes = codes.clone();
            let records = records.clone();
            let acknowledged = acknowledged.clone();
            let stop = stop.clone();
            let signalled = signalled.clone();
            let notify_at = notify_at.clone();
            tasks.push(tokio::spawn(async move {
                while !stop.load(Ordering::SeqCst) {
                    let Some((code, i)) = codes.take() else { break };
                    let content = ballot_content(i);
                    let started_after_signal = signalled.load(Ordering::SeqCst);
                    let started_at = Instant::now();
                    let outcome = api.cast(&consultation, &code, &content).await;
                    let finished_after_signal = signalled.load(Ordering::SeqCst);
                    let acked = matches!(&outcome, Outcome::Answer(a) if a.status == 201);
                    let failed = !matches!(&outcome, Outcome::Answer(_));
                    records.lock().unwrap().push(Submission {
                        code,
                        key: content_key(&content),
                        outcome,
                        started_after_signal,
                        finished_after_signal,
                        started_at,
                    });
                    if acked {
                        let n = acknowledged.fetch_add(1, Ordering::SeqCst) + 1;
                        if let Some((at, notify)) = &notify_at
                            && n == *at
                        {
                            notify.notify_one();
                        }
                    }
                    if failed && signalled.load(Ordering::SeqCst) {
                        // The server is going away: this resident gives up.
                        break;
                    }
                }
            }));
        }
        Load { records, acknowledged, stop, signalled, tasks }
    }

    /// Mark that the test has signalled the server (later requests are flagged).
    pub fn mark_signalled(&self) {
        self.signalled.store(true, Ordering::SeqCst);
    }

    /// Ask the residents to stop after their current request, and wait for them.
    pub async fn finish(self, limit: Duration) -> Vec<Submission> {
        self.stop.store(true, Ordering::SeqCst);
        let all = futures::future::join_all(self.tasks);
        tokio::time::timeout(limit, all).await.expect("the residents finish in time");

        self.records.lock().unwrap().clone()
    }
}

/// What a test knows about the ballots it sent, over all cycles.
#[derive(Default)]
pub struct Ledger {
    /// (receipt, content key) of each acknowledged first ballot.
    pub acknowledged: Vec<(String, String)>,
    /// Content keys of ballots whose fate is unknown (no whole answer).
    pub unknown: Vec<String>,
    /// Answers other than 201 (there should be none).
    pub rejected: Vec<Submission>,
    /// Answers that started but did not arrive whole.
    pub half: Vec<Submission>,
}

impl Ledger {
    pub fn add(&mut self, submissions: &[Submission]) {
        for s in submissions {
            match &s.outcome {
                Outcome::Answer(a) if a.status == 201 => {
                    let receipt = a.body["receipt"].as_str().unwrap_or_else(|| panic!("201 without a receipt: {}", a.text));
                    self.acknowledged.push((receipt.to_owned(), s.key.clone()));
                }
                Outcome::Answer(_) => self.rejected.push(s.clone()),
                Outcome::NoAnswer(_) => self.unknown.push(s.key.clone()),
                Outcome::HalfAnswer { .. } => {
                    self.unknown.push(s.key.clone());
                    self.half.push(s.clone());
                }
            }
        }
    }
}

/// What the server holds, checked against the ledger. Returns the number of ballots.
///
/// - every acknowledged receipt checks out (`GET /api/v1/receipts/{r}` → 200, right
///   consultation);
/// - the ballots stored in the database (read with a connection of our own) contain every
///   acknowledged ballot's contents (as a multiset), and nothing that was not sent: for
///   every content, acknowledged ≤ stored ≤ acknowledged + unknown;
/// - acknowledged ≤ ballots ≤ acknowledged + unknown;
/// - voter-code stats: `used` = ballots (exact: the setup's `min_group` is 1);
/// - results and the per-ballot export are refused while voting is open.
pub async fn verify_against_ledger(api: &Api, db: &TestDb, setup: &Setup, ledger: &Ledger, context: &str) -> usize {
    // Receipts, eight at a time.
    use futures::StreamExt;
    let checks = futures::stream::iter(ledger.acknowledged.iter().map(|(r, _)| {
        let api = api.clone();
        let r = r.clone();
        async move { (r.clone(), api.receipt(&r).await) }
    }))
    .buffer_unordered(8)
    .collect::<Vec<_>>()
    .await;
    let missing: Vec<_> = checks.iter().filter(|(_, a)| a.status != 200).map(|(r, a)| format!("{r}: {} {}", a.status, a.text)).collect();
    assert!(
        missing.is_empty(),
        "{context}: {} acknowledged receipts do not check out: {:?}",
        missing.len(),
        &missing[..missing.len().min(10)]
    );
    for (r, a) in &checks {
        assert_eq!(a.body["consultation_id"], json!(setup.consultation), "{context}: receipt {r} names another consultation: {}", a.text);
        assert_eq!(a.body["receipt"], json!(r), "{context}: {}", a.text);
    }

    let refused = api.get(&format!("/api/v1/consultations/{}/export", setup.consultation), Some(&setup.commissioner)).await;
    assert!(matches!(&refused, Outcome::Answer(a) if a.status == 409), "{context}: the export while voting is open: {refused:?}");
    let stored = stored_ballots(&db.url, &setup.consultation).await;
    let exported = &stored;
    for b in exported {
        assert_eq!(b["channel"], json!("online"), "{context}: stored ballot with an odd channel: {b}");
    }
    let exported_keys: Vec<String> = exported.iter().map(content_key).collect();
    let exported_set = multiset(&exported_keys);
    let acked_set = multiset(ledger.acknowledged.iter().map(|(_, k)| k));
    let unknown_set = multiset(&ledger.unknown);
    for (key, &n) in &acked_set {
        let got = exported_set.get(key).copied().unwrap_or(0);
        assert!(got >= n, "{context}: {n} acknowledged ballot(s) {key} but only {got} stored");
    }
    for (key, &got) in &exported_set {
        let allowed = acked_set.get(key).copied().unwrap_or(0) + unknown_set.get(key).copied().unwrap_or(0);
        assert!(
            got <= allowed,
            "{context}: {got} stored ballot(s) {key}, but only {allowed} such were sent (a ballot nobody cast, or half-written)"
        );
    }
    let ballots = exported.len();
    let acked = ledger.acknowledged.len();
    let unknown = ledger.unknown.len();
    assert!(
        ballots >= acked && ballots <= acked + unknown,
        "{context}: {ballots} ballots stored; acknowledged {acked}, unknown fate {unknown}"
    );

    let (issued, used) = api.code_stats(&setup.commissioner, &setup.consultation).await;
    assert_eq!(issued as usize, setup.codes.len(), "{context}: issued codes");
    assert_eq!(used as usize, ballots, "{context}: voter codes marked used vs ballots stored");
    let refused = api.get(&format!("/api/v1/consultations/{}/results", setup.consultation), Some(&setup.commissioner)).await;
    assert!(matches!(&refused, Outcome::Answer(a) if a.status == 409), "{context}: results while voting is open: {refused:?}");
    ballots
}

/// The ballots stored for a consultation, read from the database itself (with the
/// service's own storage code, over a connection of our own): their contents as JSON
/// (want, dont_want, uses, channel, area), in no particular order.
pub async fn stored_ballots(database_url: &str, consultation: &str) -> Vec<Value> {
    let settings = pbvote::config::DatabaseSettings::from_url(database_url).expect("database url");
    let db = pbvote::storage::Db::connect(&settings).await.expect("open the database");
    let id: uuid::Uuid = consultation.parse().expect("a consultation id");
    let ballots = pbvote::storage::ballots::counted(&db, id).await.expect("read the stored ballots");
    ballots
        .into_iter()
        .map(|b| {
            let mut v = json!({"want": b.want, "dont_want": b.dont_want, "uses": b.uses, "channel": b.channel.as_str()});
            if let Some(area) = b.area {
                v["area"] = json!(area);
            }
            v
        })
        .collect()
}

/// Look inside a SQLite database file with a connection of our own (which sets no
/// journal mode, so it reports the file's): the journal mode pbvote left in the file,
/// `PRAGMA integrity_check` and the number of rows `PRAGMA foreign_key_check` reports.
pub async fn sqlite_file_report(url: &str) -> (String, String, usize) {
    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    let conn = sea_orm::Database::connect(url).await.expect("open the SQLite file");
    let one = |sql: &str| Statement::from_string(DbBackend::Sqlite, sql.to_owned());
    let journal: String = conn.query_one_raw(one("PRAGMA journal_mode")).await.unwrap().unwrap().try_get_by_index(0).unwrap();
    let integrity: Vec<String> =
        conn.query_all_raw(one("PRAGMA integrity_check")).await.unwrap().iter().map(|r| r.try_get_by_index::<String>(0).unwrap()).collect();
    let dangling = conn.query_all_raw(one("PRAGMA foreign_key_check")).await.unwrap().len();
    conn.close().await.ok();
    (journal.to_lowercase(), integrity.join("; "), dangling)
}

/// Panic if `f` takes longer than `limit` (every test is bounded in time).
pub async fn within<T>(limit: Duration, what: &str, f: impl std::future::Future<Output = T>) -> T {
    match tokio::time::timeout(limit, f).await {
        Ok(v) => v,
        Err(_) => panic!("{what} took longer than {limit:?}"),
    }
}
