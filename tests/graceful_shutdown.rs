//! Graceful shutdown: SIGTERM (what systemd, Docker and Kubernetes send) with ballots in
//! flight.
//!
//! Eight residents cast ballots at a real `pbvote serve`; one more resident is half-way
//! through sending a ballot (headers and half the body) on a raw TCP connection. Then the
//! process gets SIGTERM. The residents carry on for a moment, the slow one sends the
//! rest of its ballot *after* the signal, then everyone stops and the clients hang up.
//!
//! - The process exits by itself with status 0, before actix's 30 s shutdown timeout
//!   would force it.
//! - The request that was half-way in when the signal came gets a whole `201` with a
//!   receipt: the server finishes what it accepted.
//! - Every answer anyone got is whole, well-formed JSON (no half responses); connection
//!   errors (requests the server never took) are counted and reported, not hidden.
//! - A new connection after the signal is refused (a load balancer sees the instance go).
//! - After a restart, every acknowledged ballot is there (receipts, stored ballots, code stats),
//!   and nothing else but ballots whose answer was lost.
//!
//! SQLite always; PostgreSQL with `TEST_DATABASE_URL` and `--include-ignored`.
mod common;

use std::{
    io::{Read, Write},
    net::TcpStream,
    sync::atomic::Ordering,
    time::{Duration, Instant},
};

use common::*;
use serde_json::Value;

const RESIDENTS: usize = 8;
/// Ballots acknowledged before the signal.
const WARM_UP: usize = 150;
/// How long the residents go on casting after the signal.
const AFTER_SIGNAL: Duration = Duration::from_millis(300);
/// A request sent less than this before the signal may not have reached the server by then
/// (on loopback one takes well under a millisecond to arrive; this leaves room for a busy
/// machine).
const JUST_BEFORE: Duration = Duration::from_millis(50);
/// actix-web's shutdown timeout as set in src/startup.rs.
const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(30);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_finishes_requests_in_flight_on_sqlite() {
    let db = TestDb::sqlite();
    within(Duration::from_secs(55), "the SQLite graceful-shutdown test", sigterm_with_ballots_in_flight(&db, "sqlite", "TERM")).await;
}

/// Ctrl-C (SIGINT) is as graceful as SIGTERM (actix alone would force-stop on it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_finishes_requests_in_flight_on_sqlite() {
    let db = TestDb::sqlite();
    within(Duration::from_secs(55), "the SQLite Ctrl-C test", sigterm_with_ballots_in_flight(&db, "sqlite, SIGINT", "INT")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL: set TEST_DATABASE_URL and pass --include-ignored"]
async fn sigterm_finishes_requests_in_flight_on_postgres() {
    let db = TestDb::required_postgres().await;
    within(Duration::from_secs(55), "the PostgreSQL graceful-shutdown test", sigterm_with_ballots_in_flight(&db, "postgres", "TERM")).await;
}

/// A ballot sent by hand over TCP: the request line, headers and the first half of the
/// body now; the rest when told. Returns the raw response.
struct SlowBallot {
    go: std::sync::mpsc::Sender<()>,
    half_sent: tokio::sync::oneshot::Receiver<()>,
    done: tokio::task::JoinHandle<std::io::Result<Vec<u8>>>,
}

fn slow_ballot(port: u16, consultation: &str, code: &str, content: &Value) -> SlowBallot {
    let mut ballot = content.clone();
    ballot["voter_code"] = serde_json::json!(code);
    let body = serde_json::to_vec(&ballot).unwrap();
    let head = format!(
        "POST /api/v1/consultations/{consultation}/ballots HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let (go, go_rx) = std::sync::mpsc::channel::<()>();
    let (half_tx, half_sent) = tokio::sync::oneshot::channel();
    let done = tokio::task::spawn_blocking(move || {
        let mut stream = TcpStream::connect(("127.0.0.1", port))?;
        stream.set_read_timeout(Some(Duration::from_secs(40)))?;
        let (first, rest) = body.split_at(body.len() / 2);
        stream.write_all(head.as_bytes())?;
        stream.write_all(first)?;
        stream.flush()?;
        let _ = half_tx.send(());
        go_rx.recv().map_err(|_| std::io::Error::other("never told to go"))?;
        stream.write_all(rest)?;
        stream.flush()?;
        let mut response = Vec::new();
        stream.read_to_end(&mut response)?;
        Ok(response)
    });
    SlowBallot { go, half_sent, done }
}

/// Split a raw HTTP/1.1 response into status and body, checking that the body is exactly
/// as long as Content-Length says (a cut-off answer fails here).
fn parse_raw_response(raw: &[u8]) -> Result<(u16, Value), String> {
    let text = String::from_utf8_lossy(raw);
    let (head, body) = text.split_once("\r\n\r\n").ok_or_else(|| format!("no end of headers in {text:?}"))?;
    let status: u16 = head
        .lines()
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("no status line in {text:?}"))?;
    let length: usize = head
        .lines()
        .find_map(|l| l.split_once(':').filter(|(k, _)| k.eq_ignore_ascii_case("content-length")).map(|(_, v)| v.trim().to_owned()))
        .ok_or_else(|| format!("no content-length in {head:?}"))?
        .parse()
        .map_err(|e| format!("bad content-length: {e}"))?;
    if body.len() != length {
        return Err(format!("body is {} bytes, content-length says {length}: {text:?}", body.len()));
    }
    let json = serde_json::from_str(body).map_err(|e| format!("body is not JSON ({e}): {body:?}"))?;
    Ok((status, json))
}

async fn sigterm_with_ballots_in_flight(db: &TestDb, label: &str, signal: &str) {
    let mut server = Server::start(&db.url).await;
    let api = Api::new(&server);
    let setup = set_up_consultation(&db.url, &api, 1500).await;
    // The last code is kept for the slow resident.
    let slow_code = setup.codes.last().unwrap().clone();
    let slow_content = ballot_content(1_000_000);
    let codes = CodeSource::new(setup.codes[..setup.codes.len() - 1].to_vec());

    let warm = std::sync::Arc::new(tokio::sync::Notify::new());
    let load = Load::start(&api, &setup.consultation, codes.clone(), RESIDENTS, Some((WARM_UP, warm.clone())));
    within(Duration::from_secs(30), "the warm-up ballots", warm.notified()).await;

    // The slow resident: connected, headers and half the body sent, before the signal.
    let slow = slow_ballot(server.port, &setup.consultation, &slow_code, &slow_content);
    within(Duration::from_secs(10), "the slow resident's first half", slow.half_sent).await.expect("half sent");
    tokio::time::sleep(Duration::from_millis(200)).await; // the server has surely taken the connection

    let acked_before_signal = load.acknowledged.load(Ordering::SeqCst);
    // Requests are "before the signal" if started before this mark; the signal itself
    // lands a little later (kill(1) has to run).
    let marked_at = Instant::now();
    load.mark_signalled();
    let signalled_at = Instant::now();
    server.signal(signal);

    // Residents carry on a moment on their open connections; a newcomer tries a new one.
    tokio::time::sleep(AFTER_SIGNAL).await;
    let newcomer = TcpStream::connect_timeout(&format!("127.0.0.1:{}", server.port).parse().unwrap(), Duration::from_secs(2));
    // The slow resident finishes sending its ballot, after the signal.
    slow.go.send(()).expect("slow resident still there");
    let submissions = load.finish(Duration::from_secs(20)).await;
    let slow_raw = within(Duration::from_secs(40), "the slow resident's answer", slow.done).await.unwrap();
    drop(api); // hang up every idle keep-alive connection

    let status = server.wait_exit(SHUTDOWN_TIMEOUT + Duration::from_secs(5)).await;
    let exit_after = signalled_at.elapsed();
    let status = status.unwrap_or_else(|| panic!("{label}: still running {exit_after:?} after SIGTERM. Log:\n{}", server.log()));
    assert_eq!(status.code(), Some(0), "{label}: exit status after SIGTERM: {status}. Log:\n{}", server.log());
    assert!(exit_after < SHUTDOWN_TIMEOUT, "{label}: took {exit_after:?} to stop: the shutdown timeout forced it");
    assert!(server.panics().is_empty(), "{label}: panics: {:?}", server.panics());

    // The newcomer after the signal: refused, not taken.
    assert!(newcomer.is_err(), "{label}: a new connection {AFTER_SIGNAL:?} after SIGTERM was accepted");

    // The half-sent ballot got a whole 201 with a receipt.
    let slow_raw = slow_raw.unwrap_or_else(|e| panic!("{label}: the request in flight at SIGTERM got no answer: {e}"));
    let (slow_status, slow_body) =
        parse_raw_response(&slow_raw).unwrap_or_else(|e| panic!("{label}: the request in flight at SIGTERM got a broken answer: {e}"));
    assert_eq!(slow_status, 201, "{label}: the request in flight at SIGTERM: {slow_body}");
    let slow_receipt = slow_body["receipt"].as_str().expect("receipt").to_owned();

    // Every answer is whole JSON; count what happened.
    let (mut answers_before, mut answers_after, mut errors_before, mut errors_after) = (0, 0, 0, 0);
    // Sent in the last moment before the signal: it may reach the server only after the
    // signal, on a connection that was idle, which the server then closes (the race of
    // every keep-alive connection; a proxy retries, see tests/behind_proxy.rs).
    let (mut errors_just_before, in_the_last_moment) =
        (0, |s: &Submission| marked_at.saturating_duration_since(s.started_at) < JUST_BEFORE);
    let mut in_flight_answered = 0; // started before the signal, answered after it
    for s in &submissions {
        match (&s.outcome, s.started_after_signal) {
            (Outcome::Answer(a), after) => {
                if !after && s.finished_after_signal {
                    in_flight_answered += 1;
                }
                assert_eq!(a.status, 201, "{label}: an answer other than 201: {}", a.text);
                let receipt = a.body["receipt"].as_str().unwrap_or_else(|| panic!("{label}: 201 without a receipt: {}", a.text));
                assert!(receipt.starts_with("R-") && receipt.len() == 21, "{label}: odd receipt {receipt}");
                assert_eq!(a.body["consultation_id"], serde_json::json!(setup.consultation), "{label}: {}", a.text);
                if after { answers_after += 1 } else { answers_before += 1 }
            }
            (Outcome::HalfAnswer { status, error }, _) => panic!("{label}: a half answer ({status}): {error}"),
            (Outcome::NoAnswer(_), false) if in_the_last_moment(s) => errors_just_before += 1,
            (Outcome::NoAnswer(_), false) => errors_before += 1,
            (Outcome::NoAnswer(_), true) => errors_after += 1,
        }
    }
    eprintln!(
        "{label}: {acked_before_signal} acknowledged before SIGTERM; requests started before it: {answers_before} answered \
         ({in_flight_answered} of them in flight at the signal), {errors_before} connection errors \
         (and {errors_just_before} sent in the last {JUST_BEFORE:?}); \
         started after it: {answers_after} answered, {errors_after} connection errors; the half-sent request: 201; exit status 0 {exit_after:?} after the signal"
    );
    // Requests the residents had started before the signal went over connections the
    // server had already accepted (the client's pool was warm), and had reached it, so
    // each must have been answered — none dropped.
    assert_eq!(errors_before, 0, "{label}: requests started before SIGTERM (over {JUST_BEFORE:?} before it) got no answer");

    // Restart: everything acknowledged is there.
    let mut ledger = Ledger::default();
    ledger.add(&submissions);
    ledger.acknowledged.push((slow_receipt, content_key(&slow_content)));
    assert!(ledger.rejected.is_empty() && ledger.half.is_empty());
    let server = Server::start(&db.url).await;
    let api = Api::new(&server);
    let ballots = verify_against_ledger(&api, db, &setup, &ledger, &format!("{label}, after SIGTERM and restart")).await;
    if db.backend == Backend::Sqlite {
        let (journal, integrity, dangling) = sqlite_file_report(&db.url).await;
        assert_eq!((journal.as_str(), integrity.as_str(), dangling), ("wal", "ok", 0), "{label}: the SQLite file after SIGTERM");
    }
    eprintln!(
        "{label}: after restart {ballots} ballots ({} acknowledged, {} of unknown fate)",
        ledger.acknowledged.len(),
        ledger.unknown.len()
    );
}
