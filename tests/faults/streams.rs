//! Meeting streams through a PostgreSQL restart (issue 14): two instances on a cluster of the
//! test's own, a projector's stream on each, the server stopped and started again. The
//! streams stay open (or the browser's EventSource reconnects), the listening connection
//! comes back by itself, and the counts are exact afterwards: a ballot cast through A is
//! seen on B's stream within a second, with the full count.
use super::{cluster::Cluster, *};

/// A minimal Server-Sent Events client (what a projector's EventSource does).
struct Stream {
    response: reqwest::Response,
    buffer: String,
}

impl Stream {
    async fn open(base: &str, path: &str) -> Stream {
        let response = client().get(format!("{base}{path}")).header("accept", "text/event-stream").send().await.expect("stream opened");
        assert_eq!(response.status().as_u16(), 200, "stream {path}");
        Stream { response, buffer: String::new() }
    }

    /// Read events until one's data satisfies `done`, within `limit`; `None` if it does not
    /// come or the stream ends.
    async fn until(&mut self, limit: Duration, done: impl Fn(&serde_json::Value) -> bool) -> Option<serde_json::Value> {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            while let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                if let Some(data) = block.lines().find_map(|l| l.strip_prefix("data: ")) {
                    let state: serde_json::Value = serde_json::from_str(data).expect("event data is JSON");
                    if done(&state) {
                        return Some(state);
                    }
                }
            }
            let chunk = tokio::time::timeout_at(deadline, self.response.chunk()).await.ok()?.ok()??;
            self.buffer.push_str(&String::from_utf8_lossy(&chunk));
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL's server programs (initdb, pg_ctl) for a cluster of its own: pass --include-ignored"]
async fn meeting_streams_recover_from_a_postgres_restart_with_exact_counts() {
    let _alone = one_at_a_time().await;
    let cluster = tokio::task::block_in_place(Cluster::start);
    within(Duration::from_secs(120), "the stream restart test", streams_through_a_restart(&cluster)).await;
}

async fn streams_through_a_restart(cluster: &Cluster) {
    let db = TestDb::existing(&cluster.url(), Backend::Postgres);
    let settings = [("PBVOTE_DB_TIMEOUT", "2")];
    let (a, b) = tokio::join!(Server::spawn_with(&db.url, 0, &settings).ready(), Server::spawn_with(&db.url, 0, &settings).ready());
    let (api_a, api_b) = (Api::new(&a), Api::new(&b));
    let setup = set_up_consultation(&db.url, &api_a, 10).await;
    let id = &setup.consultation;
    let meeting = Api::expect(
        api_a
            .post(&format!("/api/v1/consultations/{id}/meetings"), &json!({"title": "Hall", "place": "Town hall"}), Some(&setup.organiser))
            .await,
        201,
        "add a meeting",
    );
    let mid = meeting["id"].as_str().unwrap().to_owned();
    let slips = Api::expect(
        api_a.post(&format!("/api/v1/meetings/{mid}/slips"), &json!({"count": 10}), Some(&setup.organiser)).await,
        201,
        "print slips",
    );
    let slips: Vec<String> = slips["slips"].as_array().unwrap().iter().map(|s| s["code"].as_str().unwrap().to_owned()).collect();
    Api::expect(api_a.post(&format!("/api/v1/meetings/{mid}/open"), &json!({}), Some(&setup.organiser)).await, 200, "open the meeting");
    let cast = |api: &Api, code: &str| {
        let (api, code, mid) = (api.clone(), code.to_owned(), mid.clone());
        async move { api.post(&format!("/api/v1/meetings/{mid}/ballots"), &json!({"voter_code": code, "want": ["S1"]}), None).await }
    };
    let path = format!("/api/v1/meetings/{mid}/stream");
    let mut on_b = Stream::open(&api_b.url(""), &path).await;
    for code in &slips[..3] {
        Api::expect(cast(&api_a, code).await, 201, "a ballot before the restart");
    }
    on_b.until(Duration::from_secs(2), |s| s["voted"] == 3).await.expect("three ballots on B's stream before the restart");

    // PostgreSQL goes away for two seconds and comes back.
    tokio::task::block_in_place(|| cluster.stop());
    tokio::time::sleep(Duration::from_secs(2)).await;
    tokio::task::block_in_place(|| cluster.start_again());

    // Ballots through A again (retrying while the instances find the database again).
    let back = Instant::now();
    for (counted, code) in (4..).zip(&slips[3..6]) {
        loop {
            match cast(&api_a, code).await {
                Outcome::Answer(answer) if answer.status == 201 => break,
                Outcome::Answer(answer) if answer.status == 503 => {}
                other => panic!("a ballot after the restart: {other:?}"),
            }
            assert!(back.elapsed() < Duration::from_secs(10), "instance A took no ballot within 10 s of the database's return");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        // B's stream — the same connection, or a new one as a browser would open — has the
        // exact count within a second of the ballot.
        let seen = on_b.until(Duration::from_secs(1), |s| s["voted"] == counted).await;
        if seen.is_none() {
            let mut again = Stream::open(&api_b.url(""), &path).await;
            again.until(Duration::from_secs(1), |s| s["voted"] == counted).await.unwrap_or_else(|| {
                panic!("ballot {counted} (cast on A after the restart) not on B's stream within a second, old or new connection")
            });
            on_b = again;
        }
    }
    // A stream opened now on A agrees with the database.
    let mut on_a = Stream::open(&api_a.url(""), &path).await;
    let state = on_a.until(Duration::from_secs(2), |_| true).await.expect("a state at once");
    assert_eq!(state["voted"], 6, "the count after the restart is exact");
    for (name, server) in [("A", &a), ("B", &b)] {
        assert!(server.panics().is_empty(), "instance {name} panicked: {:?}", server.panics());
    }
}
