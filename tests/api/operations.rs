use pbvote::rate_limit::Limit;
use serde_json::json;

use crate::helpers::{open_consultation, spawn_app, spawn_app_with};

#[tokio::test]
async fn metrics_count_ballots_and_requests_carry_an_id() {
    let app = spawn_app().await;
    let (_, id, codes) = open_consultation(&app, 1).await;
    app.cast(&id, &json!({"voter_code": codes[0], "want": ["S1"]})).await.ok(201);
    app.cast(&id, &json!({"voter_code": codes[0], "want": ["S9"]})).await.problem(422);
    let response = app.client.get(format!("{}/metrics", app.address)).send().await.unwrap();
    assert!(response.headers().get("x-request-id").is_some_and(|v| !v.is_empty()));
    let text = response.text().await.unwrap();
    // Metrics are per process; other tests in this binary add to them, so look for lines.
    assert!(text.contains("pbvote_ballots_accepted_total{outcome=\"created\"}"), "{text}");
    assert!(text.contains("pbvote_ballots_rejected_total{reason=\"invalid-field\"}"), "{text}");
    assert!(text.contains("pbvote_http_request_duration_seconds_bucket"), "{text}");
    assert!(text.contains("route=\"/api/v1/consultations/{id}/ballots\""), "{text}");
}

#[tokio::test]
async fn wrong_voter_codes_are_rate_limited() {
    let app = spawn_app_with(|s| s.limits.code_failures_per_client = Limit { max: 3, window_seconds: 600 }).await;
    let (_, id, codes) = open_consultation(&app, 1).await;
    for _ in 0..3 {
        app.cast(&id, &json!({"voter_code": "2222-3333-4444"})).await.problem_field(422, "voter_code");
    }
    let limited = app
        .send(app.client.post(format!("{}/api/v1/consultations/{id}/ballots", app.address)).json(&json!({"voter_code": "2222-3333-4444"})))
        .await;
    limited.problem(429);
    // The client is now blocked for the window, even with a good code.
    app.cast(&id, &json!({"voter_code": codes[0]})).await.problem(429);
    let raw = app
        .client
        .post(format!("{}/api/v1/consultations/{id}/ballots", app.address))
        .json(&json!({"voter_code": codes[0]}))
        .send()
        .await
        .unwrap();
    let retry: u64 = raw.headers().get("retry-after").unwrap().to_str().unwrap().parse().unwrap();
    assert!((1..=600).contains(&retry));
}

/// Behind one proxy (`PBVOTE_TRUST_PROXY=true`), the proxy appends the address it saw to
/// whatever X-Forwarded-For the client sent. A guesser who makes up a new address for every
/// request must still land in one bucket; a resident the proxy saw elsewhere must not.
#[tokio::test]
async fn behind_a_proxy_made_up_forwarded_addresses_do_not_escape_the_limit() {
    let app = spawn_app_with(|s| {
        s.trusted_proxies = 1;
        s.limits.code_failures_per_client = Limit { max: 3, window_seconds: 600 };
    })
    .await;
    let (_, id, codes) = open_consultation(&app, 1).await;
    let url = format!("{}/api/v1/consultations/{id}/ballots", app.address);
    // What the proxy sends for the guesser: the client's own header, then the real address.
    let from_guesser = |made_up: usize| {
        app.client
            .post(&url)
            .header("X-Forwarded-For", format!("10.9.{}.{}, 198.51.100.7", made_up / 250, made_up % 250))
            .header("Forwarded", format!("for=10.8.0.{made_up}"))
            .json(&json!({"voter_code": "2222-3333-4444"}))
    };
    for attempt in 0..3 {
        app.send(from_guesser(attempt)).await.problem_field(422, "voter_code");
    }
    app.send(from_guesser(3)).await.problem(429);
    app.send(from_guesser(4)).await.problem(429);
    // Another resident, seen by the proxy at another address, votes as normal.
    let resident = app.client.post(&url).header("X-Forwarded-For", "203.0.113.20").json(&json!({"voter_code": codes[0]}));
    app.send(resident).await.ok(201);
}

#[tokio::test]
async fn wrong_passwords_are_rate_limited_per_account_and_address() {
    let app = spawn_app_with(|s| s.limits.sign_in_failures_per_email_and_client = Limit { max: 2, window_seconds: 300 }).await;
    for _ in 0..2 {
        app.post("/api/v1/auth/sign-in", &json!({"email": "ann@council.example", "password": "guess guess guess"}), None)
            .await
            .problem(401);
    }
    app.post("/api/v1/auth/sign-in", &json!({"email": "ann@council.example", "password": "guess guess guess"}), None).await.problem(429);
    // Another account is not affected.
    app.post("/api/v1/auth/sign-in", &json!({"email": "bo@council.example", "password": "guess guess guess"}), None).await.problem(401);
}

/// Two instances behind a load balancer share sessions, ballots and rate limits.
#[tokio::test]
async fn two_instances_share_sessions_ballots_and_rate_limits() {
    let (a, b) = crate::helpers::spawn_two_instances(|s| s.limits.code_failures_per_client = Limit { max: 4, window_seconds: 600 }).await;
    let (token, id, codes) = open_consultation(&a, 2).await;
    // A sign-in on one instance works on the other.
    assert_eq!(b.get("/api/v1/auth/me", Some(&token)).await.ok(200)["role"], "organiser");
    // A ballot cast on B is counted in results read from A, and replaced through A.
    b.cast(&id, &json!({"voter_code": codes[0], "want": ["S1"]})).await.ok(201);
    a.cast(&id, &json!({"voter_code": codes[0], "want": ["S2"]})).await.ok(200);
    b.cast(&id, &json!({"voter_code": codes[1], "want": ["S2"]})).await.ok(201);
    // Wrong codes count across both: two on each reach the limit of four; the two first
    // ballots from this address (not the replacement) allow two more; the seventh is refused,
    // on either instance.
    for app in [&a, &b, &a, &b, &b, &b] {
        app.cast(&id, &json!({"voter_code": "2222-3333-4444"})).await.problem_field(422, "voter_code");
    }
    b.cast(&id, &json!({"voter_code": "2222-3333-4444"})).await.problem(429);
    a.cast(&id, &json!({"voter_code": "2222-3333-4444"})).await.problem(429);
    let commissioner = a.commissioner().await;
    // (Closed first: while voting is open there are no results.)
    let closed_on_b = b.post_empty(&format!("/api/v1/consultations/{id}/close"), Some(&token)).await;
    closed_on_b.ok(200);
    for app in [&a, &b] {
        let results = app.get(&format!("/api/v1/consultations/{id}/results"), Some(&commissioner)).await.ok(200).clone();
        assert_eq!(results["summary"]["ballots"], 2);
        let s2 = results["proposals"].as_array().unwrap().iter().find(|p| p["id"] == "S2").unwrap().clone();
        assert_eq!(s2["want_count"], 2);
    }
    // Signing out on A ends the session on B.
    a.post_empty("/api/v1/auth/sign-out", Some(&token)).await.ok(204);
    b.get("/api/v1/auth/me", Some(&token)).await.problem(401);
    let _ = token;
}

/// A path that exists asked with the wrong method: 405, the methods it does answer in `Allow`,
/// as a problem document. A path that does not exist: 404.
#[tokio::test]
async fn wrong_methods_get_405_with_allow() {
    let app = spawn_app().await;
    let client = reqwest::Client::new();
    let id = uuid::Uuid::new_v4();
    for (method, path, allow) in [
        (reqwest::Method::POST, "/health".to_owned(), "GET, HEAD"),
        (reqwest::Method::DELETE, "/ready".to_owned(), "GET, HEAD"),
        (reqwest::Method::DELETE, "/api/v1/consultations".to_owned(), "GET, HEAD, POST"),
        (reqwest::Method::PUT, format!("/api/v1/consultations/{id}"), "GET, HEAD, PATCH"),
        (reqwest::Method::GET, format!("/api/v1/consultations/{id}/ballots"), "POST"),
        (reqwest::Method::POST, "/api/v1/openapi.json".to_owned(), "GET, HEAD"),
    ] {
        let response = app.send(client.request(method.clone(), format!("{}{path}", app.address))).await;
        assert_eq!(response.status, 405, "{method} {path}: {}", response.text);
        assert_eq!(response.headers.get("allow").and_then(|v| v.to_str().ok()), Some(allow), "{method} {path}");
        assert_eq!(response.body["type"], "urn:pbvote:problem:method-not-allowed", "{method} {path}");
    }
    let missing = app.get("/api/v1/no-such-thing", None).await;
    assert_eq!(missing.problem(404)["type"], "urn:pbvote:problem:not-found");
    // The routes themselves still answer.
    app.get("/health", None).await.ok(200);
    app.get("/api/v1/consultations", None).await.ok(200);
}
