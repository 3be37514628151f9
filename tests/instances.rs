//! Several instances: two `pbvote serve` processes on different ports sharing one
//! PostgreSQL database, as behind a load balancer. PostgreSQL only (SQLite is one
//! process's file); ignored unless run with `--include-ignored` and `TEST_DATABASE_URL`.
//!
//! - Start-up: both processes start at the same moment on a fresh, empty database and
//!   both run the migrations (they take turns under an advisory lock); both come up
//!   ready. Repeated on three fresh databases.
//! - A session from signing in on A works on B (and signing out on B ends it on A).
//! - A consultation created on A is opened on B.
//! - Ballots cast on A and on B are all counted, in results read from either (and in the
//!   database while voting is open, in the exports once closed),
//!   which agree exactly; voter-code stats agree.
//! - A second ballot with the same code on the other instance replaces the first: one
//!   ballot counted, only the newer receipt valid. Ten ballots with one code sent to both
//!   at once: exactly one is a first ballot (201), one ballot counted, one receipt valid.
//! - Closing on B stops voting on A at once, although A cached the ballot paper while the
//!   consultation was open.
//!
//! Not here: "a meeting's projector on one instance shows a ballot cast on another within
//! one second" — that comes with the live-meeting work and belongs with its tests.
mod common;

use std::time::Duration;

use common::*;
use futures::StreamExt;
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL: set TEST_DATABASE_URL and pass --include-ignored"]
async fn two_instances_start_at_once_on_a_fresh_database() {
    within(Duration::from_secs(55), "the concurrent start-up test", async {
        for round in 1..=3 {
            let db = TestDb::required_postgres().await;
            // Spawned back to back: both run the migrations against an empty database.
            let (a, b) = (Server::spawn(&db.url), Server::spawn(&db.url));
            let (a, b) = tokio::join!(a.ready(), b.ready());
            for (name, server) in [("A", &a), ("B", &b)] {
                assert_eq!(Api::new(server).ready().await, 200, "round {round}: instance {name} is not ready. Log:\n{}", server.log());
                assert!(server.panics().is_empty(), "round {round}: instance {name} panicked: {:?}", server.panics());
            }
            eprintln!("round {round}: A up in {:?}, B up in {:?}", a.started_in, b.started_in);
            drop((a, b));
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL: set TEST_DATABASE_URL and pass --include-ignored"]
async fn two_instances_share_one_database() {
    let db = TestDb::required_postgres().await;
    within(Duration::from_secs(55), "the two-instance test", share_one_database(&db)).await;
}

async fn share_one_database(db: &TestDb) {
    let (a, b) = (Server::spawn(&db.url), Server::spawn(&db.url));
    let (a, b) = tokio::join!(a.ready(), b.ready());
    assert_ne!(a.port, b.port);
    let (api_a, api_b) = (Api::new(&a), Api::new(&b));

    // Accounts from the command line; sign in on A, use the session on B.
    let tag = uuid::Uuid::new_v4().simple().to_string();
    let organiser_email = format!("organiser-{tag}@council.example");
    let commissioner_email = format!("commissioner-{tag}@council.example");
    add_user(&db.url, &organiser_email, "organiser").await;
    add_user(&db.url, &commissioner_email, "commissioner").await;
    let organiser = api_a.sign_in(&organiser_email).await;
    let me = Api::expect(api_b.get("/api/v1/auth/me", Some(&organiser)).await, 200, "a session from A, on B");
    assert_eq!(me["email"], json!(organiser_email));
    assert_eq!(me["role"], json!("organiser"));
    let commissioner = api_b.sign_in(&commissioner_email).await;

    // Created on A, codes issued on A, opened on B.
    let id = api_a.create_consultation(&organiser, &worked_example()).await;
    let codes = api_a.issue_codes(&organiser, &id, 60).await;
    let draft_on_b = Api::expect(api_b.get(&format!("/api/v1/consultations/{id}"), Some(&organiser)).await, 200, "the draft, on B");
    assert_eq!(draft_on_b["phase"], json!("draft"));
    api_b.open(&organiser, &id).await;
    let on_a = Api::expect(api_a.get(&format!("/api/v1/consultations/{id}"), None).await, 200, "the consultation, on A");
    assert_eq!(on_a["phase"], json!("open"), "A sees that B opened it");

    // 40 ballots, even ones on A and odd ones on B, eight at a time.
    let sent: Vec<(usize, Value)> = (0..40).map(|i| (i, ballot_content(i as u64))).collect();
    let answers: Vec<(usize, Outcome)> = futures::stream::iter(sent.iter().cloned().map(|(i, content)| {
        let api = if i % 2 == 0 { api_a.clone() } else { api_b.clone() };
        let (id, code) = (id.clone(), codes[i].clone());
        async move { (i, api.cast(&id, &code, &content).await) }
    }))
    .buffer_unordered(8)
    .collect()
    .await;
    let mut receipts = Vec::new();
    for (i, outcome) in answers {
        let body = Api::expect(outcome, 201, &format!("ballot {i} on {}", if i % 2 == 0 { "A" } else { "B" }));
        receipts.push(body["receipt"].as_str().unwrap().to_owned());
    }
    // Each receipt checks out on the other instance too.
    for r in &receipts {
        assert_eq!(api_a.receipt(r).await.status, 200, "receipt {r} on A");
        assert_eq!(api_b.receipt(r).await.status, 200, "receipt {r} on B");
    }
    let mut expected: Vec<String> = sent.iter().map(|(_, c)| content_key(c)).collect();
    agree(&api_a, &api_b, db, &commissioner, &id, &expected, 60, "40 ballots on A and B").await;

    // The same code on the other instance replaces the first ballot.
    let (code, first, second) = (&codes[40], ballot_content(100), ballot_content(101));
    assert_ne!(content_key(&first), content_key(&second));
    let r1 = Api::expect(api_a.cast(&id, code, &first).await, 201, "first ballot with a code, on A");
    let r2 = Api::expect(api_b.cast(&id, code, &second).await, 200, "second ballot with that code, on B");
    assert_eq!(r1["replaced"], json!(false));
    assert_eq!(r2["replaced"], json!(true));
    let (r1, r2) = (r1["receipt"].as_str().unwrap(), r2["receipt"].as_str().unwrap());
    for api in [&api_a, &api_b] {
        // A receipt proves arrival; both answer alike, so neither tells anyone who voted again.
        let (old, new) = (api.receipt(r1).await, api.receipt(r2).await);
        assert_eq!((old.status, new.status), (200, 200), "both receipts answer: {} / {}", old.text, new.text);
        assert_eq!(old.body["received_on"], new.body["received_on"]);
    }
    expected.push(content_key(&second));
    agree(&api_a, &api_b, db, &commissioner, &id, &expected, 60, "after a replacement across instances").await;

    // Ten ballots with one code, five to each instance, all at once.
    let code = &codes[41];
    let racing: Vec<Value> = (0..10).map(|k| ballot_content(200 + k)).collect();
    let answers = futures::future::join_all(racing.iter().enumerate().map(|(k, content)| {
        let api = if k % 2 == 0 { api_a.clone() } else { api_b.clone() };
        let (id, code, content) = (id.clone(), code.clone(), content.clone());
        async move { (k, api.cast(&id, &code, &content).await) }
    }))
    .await;
    let mut firsts = 0;
    let mut race_receipts = Vec::new();
    for (k, outcome) in answers {
        match outcome {
            Outcome::Answer(a) if a.status == 201 || a.status == 200 => {
                assert_eq!(a.body["replaced"], json!(a.status == 200), "{}", a.text);
                if a.status == 201 {
                    firsts += 1;
                }
                race_receipts.push((k, a.body["receipt"].as_str().unwrap().to_owned()));
            }
            other => panic!("racing ballot {k}: {other:?}"),
        }
    }
    assert_eq!(firsts, 1, "exactly one of the racing ballots is a first ballot");
    for (k, r) in &race_receipts {
        assert_eq!(api_a.receipt(r).await.status, 200, "racing receipt {k} answers");
    }
    // Which one is stored: exactly one of the ten.
    let stored: Vec<String> = stored_ballots(&db.url, &id).await.iter().map(content_key).collect();
    let winners: Vec<usize> = (0..racing.len()).filter(|&k| stored.contains(&content_key(&racing[k]))).collect();
    assert_eq!(winners.len(), 1, "exactly one racing ballot is stored, got {winners:?}");
    expected.push(content_key(&racing[winners[0]]));
    agree(&api_a, &api_b, db, &commissioner, &id, &expected, 60, "after ten racing ballots with one code").await;

    // Signing out on B ends the session on A.
    let session = api_a.sign_in(&organiser_email).await;
    Api::expect(api_a.get("/api/v1/auth/me", Some(&session)).await, 200, "a fresh session");
    match api_b.post_empty("/api/v1/auth/sign-out", Some(&session)).await {
        Outcome::Answer(a) if a.status == 204 => {}
        // 204 has no body, which is not JSON: `send` reports it as a "half answer".
        Outcome::HalfAnswer { status: 204, .. } => {}
        other => panic!("sign out on B: {other:?}"),
    }
    Api::expect(api_a.get("/api/v1/auth/me", Some(&session)).await, 401, "a session ended on B, used on A");

    // Closing on B stops voting on A straight away (A has the paper cached from when the
    // consultation was open).
    api_b.close(&organiser, &id).await;
    let refused = Api::expect(api_a.cast(&id, &codes[42], &ballot_content(300)).await, 409, "a ballot on A after B closed");
    assert_eq!(refused["type"], json!("urn:pbvote:problem:wrong-phase"), "{refused}");
    agree(&api_a, &api_b, db, &commissioner, &id, &expected, 60, "after closing").await;

    for (name, server) in [("A", &a), ("B", &b)] {
        assert!(server.panics().is_empty(), "instance {name} panicked: {:?}", server.panics());
    }
    eprintln!("two instances: {} ballots counted alike on both", expected.len());
}

/// Results and voter-code stats read from A and from B are the same, and the ballots
/// are exactly `expected` (as a multiset): in the database while voting is open (when
/// both refuse the per-ballot export), and in the export of either once it has closed.
#[allow(clippy::too_many_arguments)]
async fn agree(a: &Api, b: &Api, db: &TestDb, token: &str, id: &str, expected: &[String], issued: u64, when: &str) {
    let open =
        Api::expect(a.get(&format!("/api/v1/consultations/{id}"), Some(token)).await, 200, "the consultation")["phase"] == json!("open");
    let ballots: Vec<Value> = if open {
        // No result and no export while voting is open, on either instance.
        for api in [a, b] {
            for what in ["results", "export"] {
                let refused = api.get(&format!("/api/v1/consultations/{id}/{what}"), Some(token)).await;
                assert!(matches!(&refused, Outcome::Answer(x) if x.status == 409), "{when}: the {what} while open: {refused:?}");
            }
        }
        stored_ballots(&db.url, id).await
    } else {
        let (results_a, results_b) = (a.results(token, id).await, b.results(token, id).await);
        assert_eq!(results_a, results_b, "{when}: results on A and B differ");
        assert_eq!(results_a["summary"]["ballots"], json!(expected.len()), "{when}: ballots counted");
        let (export_a, export_b) = (a.export(token, id).await, b.export(token, id).await);
        assert_eq!(export_a, export_b, "{when}: exports on A and B differ");
        export_a["ballots"].as_array().unwrap().clone()
    };
    let found: Vec<String> = ballots.iter().map(content_key).collect();
    assert_eq!(multiset(&found), multiset(expected), "{when}: the ballots are not the ones cast");
    let (stats_a, stats_b) = (a.code_stats(token, id).await, b.code_stats(token, id).await);
    assert_eq!(stats_a, stats_b, "{when}: voter-code stats on A and B differ");
    assert_eq!(stats_a, (issued, expected.len() as u64), "{when}: voter-code stats (issued, used)");
}
