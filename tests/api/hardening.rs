//! Abuse limits, headers and request parsing that a service on the internet needs.
use pbvote::rate_limit::Limit;
use serde_json::json;

use crate::helpers::{open_consultation, spawn_app, spawn_app_with, spawn_two_instances};

const SIGN_IN: &str = "/api/v1/auth/sign-in";

/// The rate-limit counter of a bucket, read from the database (the current window, plus the
/// previous one in case the window turned during the test).
async fn counted(app: &crate::helpers::TestApp, bucket: &str, window_seconds: i64, since: i64) -> u32 {
    let now = chrono::Utc::now().timestamp();
    let mut total = 0;
    let mut start = since - since.rem_euclid(window_seconds);
    while start <= now {
        total += pbvote::storage::rate_limits::hits(&app.db, bucket, start).await.unwrap();
        start += window_seconds;
    }
    total
}

/// Rate-limit counters must fit their column whatever the e-mail address (up to the 254
/// characters `Email` allows): a long one used to overflow `varchar(200)` on PostgreSQL.
#[tokio::test]
async fn a_long_e_mail_address_signs_in_like_any_other() {
    let app = spawn_app().await;
    let long = format!("{}@{}.example", "a".repeat(64), ["b".repeat(60), "c".repeat(60), "d".repeat(50)].join("."));
    assert!(long.len() > 190, "{}", long.len());
    let response = app.post(SIGN_IN, &json!({"email": long, "password": "not the password"}), None).await;
    response.problem(401);
    // And an address made up behind a proxy is bounded too.
    let proxied = spawn_app_with(|s| s.trusted_proxies = 1).await;
    let request = proxied
        .client
        .post(format!("{}{SIGN_IN}", proxied.address))
        .header("X-Forwarded-For", "x".repeat(300))
        .json(&json!({"email": long, "password": "not the password"}));
    proxied.send(request).await.problem(401);
}

/// If an attempt cannot be counted, it is refused, never let through uncounted.
#[tokio::test]
async fn attempts_that_cannot_be_counted_are_refused() {
    let app = spawn_app().await;
    let (_, id, _) = open_consultation(&app, 1).await;
    let Some(file) = app.sqlite_file.clone() else { return }; // needs direct access to the file
    use sea_orm::ConnectionTrait;
    let conn = sea_orm::Database::connect(format!("sqlite://{}", file.display())).await.unwrap();
    conn.execute_unprepared("DROP TABLE rate_limits").await.unwrap();
    conn.close().await.unwrap();
    let sign_in = app.post(SIGN_IN, &json!({"email": "ann@council.example", "password": "guess guess guess"}), None).await;
    assert!(sign_in.status >= 500, "{}: {}", sign_in.status, sign_in.text);
    sign_in.problem(sign_in.status);
    let ballot = app.cast(&id, &json!({"voter_code": "2222-3333-4444", "want": ["S1"]})).await;
    assert!(ballot.status >= 500, "{}: {}", ballot.status, ballot.text);
    ballot.problem(ballot.status);
}

/// Many wrong codes at once from one address must not all be checked: the limit used to be
/// counted only after each check, so 200 in parallel were all evaluated against a limit of 5.
#[tokio::test]
async fn parallel_wrong_codes_are_bounded_by_the_limit() {
    let limit = Limit { max: 5, window_seconds: 600 };
    let app = spawn_app_with(|s| s.limits.code_failures_per_client = limit).await;
    let (_, id, codes) = open_consultation(&app, 1).await;
    let since = chrono::Utc::now().timestamp();
    let url = format!("{}/api/v1/consultations/{id}/ballots", app.address);
    let attempts = (0..200).map(|i| {
        let digit = |n: usize| b"23456789ABCDEFGH"[n % 16] as char;
        let code = format!("2222-3333-44{}{}", digit(i), digit(i / 16));
        app.send(app.client.post(&url).json(&json!({"voter_code": code, "want": ["S1"]})))
    });
    let answers = futures::future::join_all(attempts).await;
    let wrong = answers.iter().filter(|a| a.status == 422 && a.body["type"] == "urn:pbvote:problem:invalid-voter-code").count();
    let limited = answers.iter().filter(|a| a.status == 429).count();
    assert_eq!(wrong + limited, 200, "{:?}", answers.iter().map(|a| a.status).collect::<Vec<_>>());
    assert!(wrong <= 5, "{wrong} wrong codes were answered as such");
    let bucket =
        pbvote::rate_limit::bucket_key(&pbvote::security::Keys::new(crate::helpers::test_secret()), "voter-code-failures", "127.0.0.1");
    let evaluated = counted(&app, &bucket, limit.window_seconds, since).await;
    assert!(evaluated <= limit.max, "{evaluated} wrong codes were checked against a limit of {}", limit.max);
    assert!(evaluated >= 1);
    // The client stays blocked, even with a good code.
    app.cast(&id, &json!({"voter_code": codes[0], "want": ["S1"]})).await.problem(429);
}

/// Good codes from one address (a meeting hall) are not refused because many arrive at once.
#[tokio::test]
async fn many_good_codes_at_once_from_one_address_all_count() {
    let app = spawn_app_with(|s| s.limits.code_failures_per_client = Limit { max: 3, window_seconds: 600 }).await;
    let (_, id, codes) = open_consultation(&app, 30).await;
    let url = format!("{}/api/v1/consultations/{id}/ballots", app.address);
    let ballots = codes.iter().map(|code| app.send(app.client.post(&url).json(&json!({"voter_code": code, "want": ["S1"]}))));
    for answer in futures::future::join_all(ballots).await {
        answer.ok(201);
    }
}

/// An IPv6 user usually holds a whole /64: addresses in one /64 share a bucket.
#[tokio::test]
async fn ipv6_addresses_in_one_slash_64_share_a_limit() {
    let app = spawn_app_with(|s| {
        s.trusted_proxies = 1;
        s.limits.code_failures_per_client = Limit { max: 3, window_seconds: 600 };
    })
    .await;
    let (_, id, codes) = open_consultation(&app, 1).await;
    let url = format!("{}/api/v1/consultations/{id}/ballots", app.address);
    let from = |address: &str| app.client.post(&url).header("X-Forwarded-For", address).json(&json!({"voter_code": "2222-3333-4444"}));
    for host in 1..=3 {
        app.send(from(&format!("2001:db8:1:2::{host:x}"))).await.problem_field(422, "voter_code");
    }
    app.send(from("2001:db8:1:2:ffff:1:2:3")).await.problem(429);
    // Another /64 is another client.
    let other = app.client.post(&url).header("X-Forwarded-For", "2001:db8:1:3::1").json(&json!({"voter_code": codes[0]}));
    app.send(other).await.ok(201);
}

/// Failures lock out an (e-mail, client) pair, not the account: a burst of wrong passwords
/// from elsewhere (below the much higher per-account cap) does not stop the owner.
#[tokio::test]
async fn wrong_passwords_from_elsewhere_do_not_lock_the_owner_out() {
    let app = spawn_app_with(|s| s.trusted_proxies = 1).await;
    let email = "owner@council.example";
    let password = "the owner's long password";
    app.add_account(email, password, pbvote::domain::Role::Organiser).await;
    let attempt = |from: &str, password: &str| {
        app.client
            .post(format!("{}{SIGN_IN}", app.address))
            .header("X-Forwarded-For", from)
            .json(&json!({"email": email, "password": password}))
    };
    // 15 wrong passwords (more than the default 10 per address) from three addresses.
    for i in 0..15 {
        let answer = app.send(attempt(&format!("198.51.100.{}", i % 3), "a guess, a guess")).await;
        answer.problem(401);
    }
    // The owner, at another address, still gets in.
    let owner = app.send(attempt("203.0.113.5", password)).await;
    owner.ok(200);
}

#[tokio::test]
async fn sign_in_failures_are_limited_per_address_and_per_account() {
    let app = spawn_app_with(|s| {
        s.trusted_proxies = 1;
        s.limits.sign_in_failures_per_email_and_client = Limit { max: 3, window_seconds: 300 };
        s.limits.sign_in_failures_per_email = Limit { max: 8, window_seconds: 300 };
        s.limits.sign_ins_per_client = Limit { max: 6, window_seconds: 300 };
    })
    .await;
    let token_owner = "a long test password";
    let email = "ann@council.example";
    app.add_account(email, token_owner, pbvote::domain::Role::Organiser).await;
    let attempt = |from: &str, email: &str, password: &str| {
        app.client
            .post(format!("{}{SIGN_IN}", app.address))
            .header("X-Forwarded-For", from)
            .json(&json!({"email": email, "password": password}))
    };
    // Three failures from one address lock that address out of this account…
    for _ in 0..3 {
        app.send(attempt("198.51.100.1", email, "guess guess guess")).await.problem(401);
    }
    app.send(attempt("198.51.100.1", email, token_owner)).await.problem(429);
    // …but not out of others (and it has made 4 of its 6 attempts).
    app.send(attempt("198.51.100.1", "bo@council.example", "guess guess guess")).await.problem(401);
    app.send(attempt("198.51.100.1", "cy@council.example", "guess guess guess")).await.problem(401);
    // Every attempt from one address counts: the seventh is refused whatever it names.
    app.send(attempt("198.51.100.1", "di@council.example", "guess guess guess")).await.problem(429);
    // The owner elsewhere still gets in.
    app.send(attempt("203.0.113.5", email, token_owner)).await.ok(200);
    // Past the per-account cap (8 failures from anywhere), the account is refused everywhere.
    for from in ["198.51.100.2", "198.51.100.2", "198.51.100.2", "198.51.100.3", "198.51.100.3"] {
        app.send(attempt(from, email, "guess guess guess")).await.problem(401);
    }
    let capped = app.send(attempt("203.0.113.6", email, token_owner)).await;
    capped.problem(429);
    assert!(capped.headers.get("retry-after").is_some());
}

/// The sign-in limits hold across two instances behind a load balancer.
#[tokio::test]
async fn sign_in_limits_are_shared_by_two_instances() {
    let (a, b) = spawn_two_instances(|s| {
        s.trusted_proxies = 1;
        s.limits.sign_in_failures_per_email_and_client = Limit { max: 3, window_seconds: 300 };
    })
    .await;
    let email = "ann@council.example";
    let password = "a long test password";
    a.add_account(email, password, pbvote::domain::Role::Organiser).await;
    let attempt = |app: &crate::helpers::TestApp, from: &str, password: &str| {
        app.client
            .post(format!("{}{SIGN_IN}", app.address))
            .header("X-Forwarded-For", from)
            .json(&json!({"email": email, "password": password}))
    };
    a.send(attempt(&a, "198.51.100.1", "guess guess guess")).await.problem(401);
    b.send(attempt(&b, "198.51.100.1", "guess guess guess")).await.problem(401);
    a.send(attempt(&a, "198.51.100.1", "guess guess guess")).await.problem(401);
    // The fourth try from that address is refused on either instance, even with the password.
    b.send(attempt(&b, "198.51.100.1", password)).await.problem(429);
    a.send(attempt(&a, "198.51.100.1", password)).await.problem(429);
    // From elsewhere, both instances let the owner in; the session works on both.
    let token = b.send(attempt(&b, "203.0.113.5", password)).await.ok(200)["token"].as_str().unwrap().to_owned();
    a.get("/api/v1/auth/me", Some(&token)).await.ok(200);
}

/// A made-up HTTP method or path must not create a metrics series of its own.
#[tokio::test]
async fn metrics_labels_are_bounded() {
    let app = spawn_app().await;
    for i in 0..20 {
        let method = reqwest::Method::from_bytes(format!("MADEUP{i}").as_bytes()).unwrap();
        app.send(app.client.request(method, format!("{}/api/v1/consultations", app.address))).await;
        app.get(&format!("/no-such-page-{i}.html"), None).await;
        app.get(&format!("/api/v1/no-such-route-{i}"), None).await;
        app.get(&format!("/api/v1/consultations/{}", uuid::Uuid::new_v4()), None).await;
    }
    let metrics = app.client.get(format!("{}/metrics", app.address)).send().await.unwrap().text().await.unwrap();
    assert!(!metrics.contains("MADEUP"), "a made-up method is a label");
    assert!(!metrics.contains("no-such-"), "a made-up path is a label");
    assert!(metrics.contains("method=\"other\""), "{metrics}");
    let methods: std::collections::BTreeSet<&str> = metrics.split("method=\"").skip(1).filter_map(|rest| rest.split('"').next()).collect();
    for method in &methods {
        assert!(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "other"].contains(method), "{method}");
    }
}

/// Only `application/json` and `application/…+json` count as JSON: `text/plain` (which a
/// cross-site form or fetch may send without a preflight) does not, whatever its parameters.
#[tokio::test]
async fn only_json_media_types_are_read_as_json() {
    let app = spawn_app().await;
    let body = r#"{"email": "ann@council.example", "password": "guess guess guess"}"#;
    for refused in [
        "text/plain;a=+json",
        "text/plain; charset=utf-8; x=application/json",
        "application/x-www-form-urlencoded; +json",
        "text/json",
        "application/+json",
        "multipart/form-data+json",
    ] {
        let answer = app.post_raw(SIGN_IN, body, refused, None).await;
        assert_eq!(answer.problem(400)["type"], "urn:pbvote:problem:malformed-request", "{refused}");
    }
    for accepted in ["application/json", "Application/JSON; charset=utf-8", "application/merge-patch+json", " application/json "] {
        app.post_raw(SIGN_IN, body, accepted, None).await.problem(401);
    }
}

#[tokio::test]
async fn duplicate_keys_name_the_field() {
    let app = spawn_app().await;
    let token = app.organiser().await;
    let raw = |body: &'static str| app.post_raw("/api/v1/consultations", body, "application/json", Some(&token));
    let answer = raw(r#"{"title": "x", "title": "y"}"#).await;
    assert!(answer.problem_field(422, "title")["detail"].as_str().unwrap().contains("twice"), "{}", answer.text);
    let nested = raw(r#"{"title": "x", "proposals": [{"kind": "saving", "title": "a", "amount": 1, "amount": 2}]}"#).await;
    nested.problem_field(422, "proposals[0].amount");
    // Nothing was written.
    let all = app.get("/api/v1/manage/consultations", Some(&token)).await;
    assert_eq!(all.ok(200).as_array().map(Vec::len), Some(0), "{}", all.text);
}

#[tokio::test]
async fn numbers_and_shapes_get_clear_messages() {
    let app = spawn_app().await;
    let token = app.organiser().await;
    let raw = |body: &'static str| app.post_raw("/api/v1/consultations", body, "application/json", Some(&token));
    let huge = raw(r#"{"title": "x", "proposals": [{"kind": "saving", "title": "a", "amount": 99999999999999999999}]}"#).await;
    let detail = huge.problem_field(422, "proposals[0].amount")["detail"].as_str().unwrap().to_owned();
    assert!(detail.contains("whole number") && !detail.contains("floating"), "{detail}");
    let fraction = raw(r#"{"title": "x", "proposals": [{"kind": "saving", "title": "a", "amount": 12.5}]}"#).await;
    let detail = fraction.problem_field(422, "proposals[0].amount")["detail"].as_str().unwrap().to_owned();
    assert!(detail.contains("whole number"), "{detail}");
    let codes = app
        .post_raw(
            &format!("/api/v1/consultations/{}/voter-codes", uuid::Uuid::new_v4()),
            r#"{"count": -1}"#,
            "application/json",
            Some(&token),
        )
        .await;
    let detail = codes.problem_field(422, "count")["detail"].as_str().unwrap().to_owned();
    assert!(detail.contains("whole number"), "{detail}");
    for body in [r#"["x"]"#, "[1, 2]", r#""a string""#, "42", "null"] {
        let answer = app.post_raw(SIGN_IN, body, "application/json", None).await;
        let detail = answer.problem(400)["detail"].as_str().unwrap().to_owned();
        assert!(detail.contains("must be a JSON object"), "{body}: {detail}");
    }
    // An array in the order of the fields is not a sign-in either.
    let answer = app.post_raw(SIGN_IN, r#"["ann@council.example", "guess guess guess"]"#, "application/json", None).await;
    answer.problem(400);
    let answer = app.post_raw(SIGN_IN, "{not json", "application/json", None).await;
    assert!(answer.problem(400)["detail"].as_str().unwrap().contains("not valid JSON"));
}

/// Letter URLs follow the client's X-Forwarded-Host/-Proto only behind a trusted proxy.
#[tokio::test]
async fn letter_urls_ignore_forwarded_headers_unless_a_proxy_is_trusted() {
    for (trusted, expected) in [(0u8, None), (1, Some("https://vote.example.gov.uk"))] {
        let app = spawn_app_with(|s| s.trusted_proxies = trusted).await;
        let token = app.organiser().await;
        let id = app.create_consultation(&token, &crate::helpers::worked_example()).await;
        let request = app
            .client
            .post(format!("{}/api/v1/consultations/{id}/voter-codes", app.address))
            .bearer_auth(&token)
            .header("X-Forwarded-Host", "vote.example.gov.uk")
            .header("X-Forwarded-Proto", "https")
            .header("Forwarded", "host=evil.example;proto=https")
            .json(&json!({"count": 1}));
        let answer = app.send(request).await;
        let url = answer.ok(201)["ballot_url"].as_str().unwrap().to_owned();
        let base = expected.map(str::to_owned).unwrap_or_else(|| app.address.clone());
        assert_eq!(url, format!("{base}/vote.html?c={id}"), "trusted proxies: {trusted}");
    }
    // PBVOTE_PUBLIC_URL wins over everything.
    let app = spawn_app_with(|s| {
        s.trusted_proxies = 1;
        s.public_url = Some("https://pb.council.example/".into());
    })
    .await;
    let token = app.organiser().await;
    let id = app.create_consultation(&token, &crate::helpers::worked_example()).await;
    let request = app
        .client
        .post(format!("{}/api/v1/consultations/{id}/voter-codes", app.address))
        .bearer_auth(&token)
        .header("X-Forwarded-Host", "evil.example")
        .json(&json!({"count": 1}));
    let url = app.send(request).await.ok(201)["ballot_url"].as_str().unwrap().to_owned();
    assert_eq!(url, format!("https://pb.council.example/vote.html?c={id}"));
}

#[tokio::test]
async fn private_answers_are_not_stored_by_caches() {
    let app = spawn_app().await;
    let email = "ann@council.example";
    let password = "a long test password";
    app.add_account(email, password, pbvote::domain::Role::Organiser).await;
    let signed_in = app.post(SIGN_IN, &json!({"email": email, "password": password}), None).await;
    let token = signed_in.ok(200)["token"].as_str().unwrap().to_owned();
    let no_store = |r: &crate::helpers::Response| r.headers.get("cache-control").and_then(|v| v.to_str().ok()).map(str::to_owned);
    assert_eq!(no_store(&signed_in).as_deref(), Some("no-store"), "sign-in");
    let me = app.get("/api/v1/auth/me", Some(&token)).await;
    me.ok(200);
    assert_eq!(no_store(&me).as_deref(), Some("no-store"), "me");
    let id = app.create_consultation(&token, &crate::helpers::worked_example()).await;
    for path in [
        format!("/api/v1/consultations/{id}"),
        format!("/api/v1/consultations/{id}/voter-codes/stats"),
        format!("/api/v1/consultations/{id}/export"),
    ] {
        let answer = app.get(&path, Some(&token)).await;
        assert_eq!(no_store(&answer).as_deref(), Some("no-store"), "{path}: {}", answer.status);
    }
}

/// The API reference runs under the same strict policy as every page: no inline script.
#[tokio::test]
async fn the_api_reference_needs_no_inline_script() {
    let app = spawn_app().await;
    let page = app.get("/api/docs", None).await;
    assert_eq!(page.status, 200);
    let policy =
        |r: &crate::helpers::Response| r.headers.get("content-security-policy").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let home = app.get("/", None).await;
    assert!(!policy(&page).contains("unsafe-inline"), "{}", policy(&page));
    assert_eq!(policy(&page), policy(&home));
    assert!(!page.text.contains("<script>") && !page.text.contains("<style>"), "inline script or style");
    for asset in ["/api/docs/reference.js", "/api/docs/reference.css"] {
        assert!(page.text.contains(asset), "{asset} is linked");
        let answer = app.get(asset, None).await;
        assert_eq!(answer.status, 200, "{asset}");
        assert!(!answer.text.is_empty());
    }
}

/// HEAD works wherever GET does, with GET's headers and no body (RFC 9110 §9.3.2).
#[tokio::test]
async fn head_works_wherever_get_does() {
    let app = spawn_app().await;
    let (token, id, _) = open_consultation(&app, 1).await;
    for path in [
        "/health".to_owned(),
        "/ready".to_owned(),
        "/metrics".to_owned(),
        "/api/v1/openapi.json".to_owned(),
        "/api/docs".to_owned(),
        "/api/v1/consultations".to_owned(),
        format!("/api/v1/consultations/{id}"),
        format!("/api/v1/consultations/{id}/results"),
        "/".to_owned(),
        "/vote.html".to_owned(),
    ] {
        let get = app.send(app.client.get(format!("{}{path}", app.address)).bearer_auth(&token)).await;
        let head = app.send(app.client.head(format!("{}{path}", app.address)).bearer_auth(&token)).await;
        assert_eq!(head.status, get.status, "HEAD {path}: {}", head.text);
        assert!(head.text.is_empty(), "HEAD {path} has a body");
        assert_eq!(head.content_type, get.content_type, "HEAD {path}");
        for header in ["cache-control", "content-security-policy", "allow"] {
            assert_eq!(head.headers.get(header), get.headers.get(header), "HEAD {path}: {header}");
        }
    }
    // A path that answers only POST still refuses HEAD, and lists what it answers.
    let head = app.send(app.client.head(format!("{}/api/v1/consultations/{id}/ballots", app.address))).await;
    assert_eq!(head.status, 405);
    assert_eq!(head.headers.get("allow").and_then(|v| v.to_str().ok()), Some("POST"));
    let post = app.post_empty("/health", None).await;
    assert_eq!(post.headers.get("allow").and_then(|v| v.to_str().ok()), Some("GET, HEAD"));
}

/// Behind a proxy, `/metrics` is not for the public: requests that came through the proxy
/// are refused unless they carry PBVOTE_METRICS_TOKEN; a scraper on the instance's own
/// network (no X-Forwarded-For) still reads it.
#[tokio::test]
async fn metrics_are_not_served_through_the_proxy() {
    let app = spawn_app_with(|s| s.trusted_proxies = 1).await;
    let metrics = format!("{}/metrics", app.address);
    let through_proxy = app.send(app.client.get(&metrics).header("X-Forwarded-For", "203.0.113.9")).await;
    through_proxy.problem(403);
    assert!(!through_proxy.text.contains("pbvote_"));
    app.send(app.client.get(&metrics)).await.ok(200);

    let app = spawn_app_with(|s| {
        s.trusted_proxies = 1;
        s.metrics_token = Some(pbvote::config::Secret::new("metrics-token-metrics-token-metrics-token").unwrap());
    })
    .await;
    let metrics = format!("{}/metrics", app.address);
    app.send(app.client.get(&metrics).header("X-Forwarded-For", "203.0.113.9")).await.problem(401);
    app.send(app.client.get(&metrics).header("X-Forwarded-For", "203.0.113.9").bearer_auth("wrong")).await.problem(401);
    app.send(app.client.get(&metrics)).await.problem(401);
    let ok = app
        .send(app.client.get(&metrics).header("X-Forwarded-For", "203.0.113.9").bearer_auth("metrics-token-metrics-token-metrics-token"))
        .await;
    assert!(ok.ok(200).is_null() && ok.text.contains("pbvote_"), "{}", ok.text);
}

/// Settings that would overflow are refused when the app is built, not at the first sign-in.
#[tokio::test]
async fn an_absurd_session_length_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let (url, _) = crate::helpers::fresh_database_url(dir.path()).await;
    let mut settings = pbvote::config::Settings::for_database(&url, crate::helpers::test_secret()).unwrap();
    settings.session_ttl = std::time::Duration::from_secs(1_000_000_000_000 * 3600);
    let error = pbvote::startup::Application::build(settings).await.err().expect("refused").to_string();
    assert!(error.contains("session"), "{error}");
}
