//! The guessing limits against the crowds they must never block: a meeting hall, a library or
//! a mobile network puts many residents behind one address, and an owner's account is
//! attacked from many addresses. The arithmetic behind the limits is in docs/privacy.md
//! ("Guessing").
use futures::StreamExt;
use pbvote::rate_limit::{Limit, Limits};
use serde_json::{Value, json};

use crate::helpers::{Response, TestApp, open_consultation, spawn_app, spawn_app_with, spawn_two_instances};

const SIGN_IN: &str = "/api/v1/auth/sign-in";

/// A well-formed voter code that was never issued (issued codes are random; these all start
/// `2222`, and two of 60 random bits matching is not going to happen).
fn wrong_code(i: usize) -> String {
    const ALPHABET: &[u8; 32] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
    let mut n = i;
    let tail: String = (0..8)
        .map(|_| {
            let c = ALPHABET[n % 32] as char;
            n /= 32;
            c
        })
        .collect();
    format!("2222-{}-{}", &tail[..4], &tail[4..])
}

/// Send `ballots` (voter codes) to consultation `id`, at most `at_once` at a time, and return
/// each code's answer in the order given.
async fn send_all(app: &TestApp, id: &str, ballots: &[String], at_once: usize) -> Vec<Response> {
    let url = format!("{}/api/v1/consultations/{id}/ballots", app.address);
    futures::stream::iter(ballots.iter().map(|code| app.send(app.client.post(&url).json(&json!({"voter_code": code, "want": ["S1"]})))))
        .buffered(at_once)
        .collect()
        .await
}

fn is_wrong_code(answer: &Response) -> bool {
    answer.status == 422 && answer.body["type"] == "urn:pbvote:problem:invalid-voter-code"
}

/// The statuses that are not `expected`, with the codes' positions, for a readable failure.
fn unexpected(answers: &[Response], expected: impl Fn(usize, &Response) -> bool) -> Vec<(usize, u16)> {
    answers.iter().enumerate().filter(|(i, a)| !expected(*i, a)).map(|(i, a)| (i, a.status)).collect()
}

/// A meeting hall: 1,000 phones behind one address send valid codes, 100 at a time, and 50
/// people mistype theirs on the way (every 21st request). The base limit is set to 25 here —
/// half the hall's mistypes — so it is the allowance each first ballot earns that keeps the
/// hall voting. The in-flight bound starts at 25 checks too, and must only make good codes
/// wait, never refuse them. Then the same hall at the default limits, everything sent at
/// once: 50 wrong codes are far below the 1,000 a client may send per 10 minutes, and 1,050
/// checks at once only wait for a slot.
#[tokio::test]
async fn a_hall_of_1000_phones_with_50_mistypes_is_never_blocked() {
    let app = spawn_app_with(|s| s.limits.code_failures_per_client = Limit { max: 25, window_seconds: 600 }).await;
    let (_, id, codes) = open_consultation(&app, 1000).await;
    let mut good = codes.iter();
    let wrong = |i: usize| i % 21 == 20;
    let hall: Vec<String> =
        (0..1050).map(|i| if wrong(i) { wrong_code(i) } else { good.next().expect("1,000 good codes").clone() }).collect();
    let answers = send_all(&app, &id, &hall, 100).await;
    let refused = unexpected(&answers, |i, a| if wrong(i) { is_wrong_code(a) } else { a.status == 201 });
    assert!(refused.is_empty(), "answers other than 201 for good codes and 422 for wrong ones: {refused:?}");

    let app = spawn_app().await;
    let (_, id, codes) = open_consultation(&app, 1000).await;
    let hall: Vec<String> = codes.iter().cloned().chain((0..50).map(wrong_code)).collect();
    let answers = send_all(&app, &id, &hall, hall.len()).await;
    let refused = unexpected(&answers, |i, a| if i >= 1000 { is_wrong_code(a) } else { a.status == 201 });
    assert!(refused.is_empty(), "at the defaults, answers other than 201 for good codes and 422 for wrong ones: {refused:?}");
}

/// The defaults are the ones docs/privacy.md, .env.template and `pbvote serve --help` give.
#[test]
fn the_default_limits_are_the_documented_ones() {
    let limits = Limits::default();
    assert_eq!(limits.code_failures_per_client, Limit { max: 1000, window_seconds: 600 });
    assert_eq!(limits.sign_in_failures_per_email_and_client, Limit { max: 10, window_seconds: 300 });
    assert_eq!(limits.sign_in_failures_per_email, Limit { max: 100, window_seconds: 300 });
    assert_eq!(limits.sign_ins_per_client, Limit { max: 50, window_seconds: 300 });
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let template = std::fs::read_to_string(root.join(".env.template")).unwrap();
    for line in ["#PBVOTE_CODE_FAILURE_LIMIT=1000", "#PBVOTE_SIGN_IN_LIMIT=10", "#PBVOTE_SIGN_IN_ACCOUNT_LIMIT=100"] {
        assert!(template.lines().any(|l| l == line), ".env.template has {line}");
    }
    let privacy = std::fs::read_to_string(root.join("docs/privacy.md")).unwrap();
    for words in ["default 1,000 per 10", "default 10 per 5 minutes", "default 100 per 5", "300,000"] {
        assert!(privacy.contains(words), "docs/privacy.md says {words:?}");
    }
}

/// A guesser alone behind an address is stopped at the default limit: 1,000 wrong codes in
/// 10 minutes are checked, the next is refused, and so is a good code from that address for
/// the rest of the window.
#[tokio::test]
async fn a_guesser_is_stopped_at_the_default_limit() {
    let app = spawn_app().await;
    let (_, id, codes) = open_consultation(&app, 1).await;
    let guesses: Vec<String> = (0..1000).map(wrong_code).collect();
    let answers = send_all(&app, &id, &guesses, 20).await;
    let refused = unexpected(&answers, |_, a| is_wrong_code(a));
    assert!(refused.is_empty(), "the first 1,000 wrong codes are checked: {refused:?}");
    let over = send_all(&app, &id, &[wrong_code(1000)], 1).await;
    over[0].problem(429);
    let retry: u64 = over[0].headers.get("retry-after").unwrap().to_str().unwrap().parse().unwrap();
    assert!((1..=600).contains(&retry), "{retry}");
    app.cast(&id, &json!({"voter_code": codes[0], "want": ["S1"]})).await.problem(429);
}

/// A guesser's own codes buy one wrong code each, once: a first ballot earns the allowance,
/// a replaced ballot does not.
#[tokio::test]
async fn first_ballots_raise_the_allowance_by_one_each_and_replacements_do_not() {
    let app = spawn_app_with(|s| s.limits.code_failures_per_client = Limit { max: 3, window_seconds: 600 }).await;
    let (_, id, codes) = open_consultation(&app, 3).await;
    app.cast(&id, &json!({"voter_code": codes[0], "want": ["S1"]})).await.ok(201);
    app.cast(&id, &json!({"voter_code": codes[1], "want": ["S1"]})).await.ok(201);
    for _ in 0..3 {
        app.cast(&id, &json!({"voter_code": codes[0], "want": ["S2"]})).await.ok(200);
    }
    // 3 + 2 first ballots: five wrong codes are checked, the sixth is refused.
    let answers = send_all(&app, &id, &(0..6).map(wrong_code).collect::<Vec<_>>(), 1).await;
    let statuses: Vec<u16> = answers.iter().map(|a| a.status).collect();
    assert_eq!(statuses, [422, 422, 422, 422, 422, 429]);
    // Refused for the window now, good codes too (a first ballot earns nothing while refused).
    app.cast(&id, &json!({"voter_code": codes[2], "want": ["S1"]})).await.problem(429);
}

/// The allowance is shared like the failures: first ballots on one instance count on the
/// other (each instance adds its own to the shared counter every second).
#[tokio::test]
async fn first_ballots_on_one_instance_raise_the_allowance_on_another() {
    let limit = Limit { max: 2, window_seconds: 600 };
    let (a, b) = spawn_two_instances(|s| s.limits.code_failures_per_client = limit).await;
    let (_, id, codes) = open_consultation(&a, 3).await;
    for code in &codes {
        a.cast(&id, &json!({"voter_code": code, "want": ["S1"]})).await.ok(201);
    }
    // Wait (at most 10 s) until instance A has added them to the shared counter.
    let keys = pbvote::security::Keys::new(crate::helpers::test_secret());
    let credits = pbvote::rate_limit::credits_key(&keys, "voter-code-failures", "127.0.0.1");
    let window_start = |now: i64| now - now.rem_euclid(limit.window_seconds);
    let started = std::time::Instant::now();
    loop {
        let now = chrono::Utc::now().timestamp();
        if pbvote::storage::rate_limits::hits(&a.db, &credits, window_start(now)).await.unwrap() >= 3 {
            break;
        }
        assert!(started.elapsed() < std::time::Duration::from_secs(10), "the first ballots reach the shared counter");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let answers = send_all(&b, &id, &(0..6).map(wrong_code).collect::<Vec<_>>(), 1).await;
    let statuses: Vec<u16> = answers.iter().map(|a| a.status).collect();
    assert_eq!(statuses, [422, 422, 422, 422, 422, 429], "2 + 3 wrong codes are checked on B");
    a.cast(&id, &json!({"voter_code": wrong_code(9)})).await.problem(429);
}

fn sign_in_from(app: &TestApp, from: &str, email: &str, password: &str, device: Option<&str>) -> reqwest::RequestBuilder {
    let mut body = json!({"email": email, "password": password});
    if let Some(device) = device {
        body["device_token"] = Value::from(device);
    }
    app.client.post(format!("{}{SIGN_IN}", app.address)).header("X-Forwarded-For", from).json(&body)
}

/// A stranger with many addresses exhausts the per-account cap on wrong passwords; the owner,
/// signing in from a browser that has signed in before (its device token), still gets in.
/// Anyone without that account's valid device token stays refused until the window ends.
#[tokio::test]
async fn the_owner_signs_in_from_a_known_device_while_strangers_exhaust_the_account_cap() {
    let app = spawn_app_with(|s| {
        s.trusted_proxies = 1;
        s.limits.sign_in_failures_per_email_and_client = Limit { max: 3, window_seconds: 300 };
        s.limits.sign_in_failures_per_email = Limit { max: 8, window_seconds: 300 };
    })
    .await;
    let (email, password) = ("owner@council.example", "the owner's long password");
    app.add_account(email, password, pbvote::domain::Role::Organiser).await;
    app.add_account("other@council.example", "another long password", pbvote::domain::Role::Organiser).await;
    // The owner signs in at the office: that browser is now a known device.
    let office = app.send(sign_in_from(&app, "203.0.113.5", email, password, None)).await;
    let device = office.ok(200)["device_token"].as_str().expect("a device token").to_owned();
    assert_eq!(device.len(), 64);
    assert_ne!(device, office.body["token"].as_str().unwrap());
    // Another account's device token is no use for this one.
    let other = app.send(sign_in_from(&app, "203.0.113.9", "other@council.example", "another long password", None)).await;
    let other_device = other.ok(200)["device_token"].as_str().unwrap().to_owned();

    // A stranger: two wrong passwords from each of four addresses, 8 in all — the cap.
    for i in 0..8 {
        app.send(sign_in_from(&app, &format!("198.51.100.{}", i / 2), email, "a guess, a guess", None)).await.problem(401);
    }
    // Now nobody gets in without a known device, not even with the password…
    let capped = app.send(sign_in_from(&app, "203.0.113.6", email, password, None)).await;
    capped.problem(429);
    assert!(capped.headers.get("retry-after").is_some());
    let made_up = "ab".repeat(32);
    app.send(sign_in_from(&app, "203.0.113.6", email, password, Some(&made_up))).await.problem(429);
    app.send(sign_in_from(&app, "203.0.113.6", email, password, Some(&other_device))).await.problem(429);
    // …but the owner's known device does, from any address, and gets a fresh device token.
    let home = app.send(sign_in_from(&app, "192.0.2.44", email, password, Some(&device))).await;
    let renewed = home.ok(200)["device_token"].as_str().unwrap().to_owned();
    assert_ne!(renewed, device, "the device token is renewed at each sign-in");
    let token = home.body["token"].as_str().unwrap();
    assert_eq!(app.get("/api/v1/auth/me", Some(token)).await.ok(200)["email"], email);
    // The old device token has been replaced, so it no longer lifts the cap.
    app.send(sign_in_from(&app, "192.0.2.45", email, password, Some(&device))).await.problem(429);

    // Wrong passwords sent with a known device still count, per device token: someone who
    // took the token from the browser gets 3 (this test's PBVOTE_SIGN_IN_LIMIT) tries, from
    // however many addresses; then the token lifts the cap no more.
    for i in 0..3 {
        app.send(sign_in_from(&app, &format!("198.51.100.{}", 50 + i), email, "a guess, a guess", Some(&renewed))).await.problem(401);
    }
    app.send(sign_in_from(&app, "198.51.100.60", email, password, Some(&renewed))).await.problem(429);

    // A device token is kept only as a keyed hash.
    if let Some(file) = &app.sqlite_file {
        let bytes = [std::fs::read(file).unwrap_or_default(), std::fs::read(file.with_extension("db-wal")).unwrap_or_default()].concat();
        let text = String::from_utf8_lossy(&bytes);
        for token in [&device, &renewed, &other_device] {
            assert!(!text.contains(token.as_str()), "a device token is stored in plain text");
        }
    }
}

/// A device token that is not one the server could have made is refused, naming the field.
#[tokio::test]
async fn a_malformed_device_token_is_refused_naming_the_field() {
    let app = spawn_app().await;
    app.add_account("ann@council.example", "a long test password", pbvote::domain::Role::Organiser).await;
    for bad in [json!("not a token"), json!("x".repeat(500)), json!(42)] {
        let body = json!({"email": "ann@council.example", "password": "a long test password", "device_token": bad});
        let answer = app.post(SIGN_IN, &body, None).await;
        assert!(answer.status == 422 || answer.status == 400, "{}: {}", answer.status, answer.text);
        assert_eq!(answer.body["field"], "device_token", "{}", answer.text);
    }
    // A well-formed token the server does not know (expired, or made up) is no error: the
    // sign-in is simply not from a known device.
    let unknown = json!({"email": "ann@council.example", "password": "a long test password", "device_token": "ab".repeat(32)});
    app.post(SIGN_IN, &unknown, None).await.ok(200);
}
