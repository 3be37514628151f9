use serde_json::{Value, json};

use crate::helpers::{open_consultation, spawn_app};

#[tokio::test]
async fn a_resident_votes_gets_a_receipt_and_can_change_their_mind() {
    let app = spawn_app().await;
    let (organiser, id, codes) = open_consultation(&app, 3).await;
    // Any case, spaces instead of dashes.
    let typed = codes[0].to_lowercase().replace('-', " ");
    let first = app
        .cast(&id, &json!({"voter_code": typed, "want": ["S3", "D1"], "dont_want": ["S1"], "uses": ["day-centre"], "area": "North"}))
        .await;
    let first = first.ok(201).clone();
    assert_eq!(first["replaced"], false);
    let receipt = first["receipt"].as_str().unwrap();
    assert!(receipt.starts_with("R-") && receipt.len() == 21, "{receipt}");
    let checked = app.get(&format!("/api/v1/receipts/{receipt}"), None).await;
    assert_eq!(checked.ok(200)["consultation_title"], "Worked example");

    let second = app.cast(&id, &json!({"voter_code": codes[0], "want": ["S2"]})).await;
    assert_eq!(second.ok(200)["replaced"], true);
    let new_receipt = second.body["receipt"].as_str().unwrap();
    assert_ne!(new_receipt, receipt);
    // Both receipts still answer: a receipt proves arrival, not which ballot counts.
    app.get(&format!("/api/v1/receipts/{receipt}"), None).await.ok(200);
    app.get(&format!("/api/v1/receipts/{new_receipt}"), None).await.ok(200);
    app.get("/api/v1/receipts/R-2222-2222-2222-2222", None).await.problem(404);
    app.get("/api/v1/receipts/nonsense", None).await.problem_field(422, "receipt");

    // The last ballot counts, once.
    app.post_empty(&format!("/api/v1/consultations/{id}/close"), Some(&organiser)).await.ok(200);
    let token = app.commissioner().await;
    let results = app.get(&format!("/api/v1/consultations/{id}/results"), Some(&token)).await;
    let results = results.ok(200);
    assert_eq!(results["summary"]["ballots"], 1);
    let s2 = results["proposals"].as_array().unwrap().iter().find(|p| p["id"] == "S2").unwrap();
    assert_eq!(s2["want_count"], 1);
    let s3 = results["proposals"].as_array().unwrap().iter().find(|p| p["id"] == "S3").unwrap();
    assert_eq!(s3["want_count"], 0, "the replaced ballot no longer counts");
}

#[tokio::test]
async fn bad_ballots_are_refused_with_the_field_named() {
    let app = spawn_app().await;
    let (organiser, id, codes) = open_consultation(&app, 1).await;
    let code = &codes[0];
    let cases = [
        (json!({"voter_code": code, "want": ["S1", "S2", "S3", "D1"]}), "want"),
        (json!({"voter_code": code, "want": ["S1", "S1"]}), "want"),
        (json!({"voter_code": code, "want": ["S1"], "dont_want": ["S1"]}), "dont_want"),
        (json!({"voter_code": code, "want": ["S9"]}), "want"),
        (json!({"voter_code": code, "dont_want": ["S9"]}), "dont_want"),
        (json!({"voter_code": code, "uses": ["swimming-pool"]}), "uses"),
        (json!({"voter_code": code, "area": "Mars"}), "area"),
        (json!({"voter_code": "", "want": ["S1"]}), "voter_code"),
        (json!({"voter_code": "K7QF-M2XD", "want": ["S1"]}), "voter_code"),
        (json!({"voter_code": code, "want": "S1"}), "want"),
        (json!({"want": ["S1"]}), "voter_code"),
    ];
    for (ballot, field) in cases {
        app.cast(&id, &ballot).await.problem_field(422, field);
    }
    let wrong_code = app.cast(&id, &json!({"voter_code": "2222-2222-2222", "want": ["S1"]})).await;
    assert_eq!(wrong_code.problem_field(422, "voter_code")["type"], "urn:pbvote:problem:invalid-voter-code");
    let too_many = app.cast(&id, &json!({"voter_code": code, "want": vec!["S1"; 500]})).await;
    too_many.problem_field(422, "want");
    // An empty ballot is valid: the resident took part and expressed no preference.
    app.cast(&id, &json!({"voter_code": code})).await.ok(201);
    // Nothing was stored by any of the refused ones: once closed, the code's one ballot
    // is the only one (while open the turnout moves in steps of min_group, 5 here).
    let token = app.commissioner().await;
    let stats = format!("/api/v1/consultations/{id}/voter-codes/stats");
    let open = app.get(&stats, Some(&token)).await.ok(200).clone();
    assert_eq!((open["used"].as_u64(), open["step"].as_u64(), open["exact"].as_bool()), (Some(0), Some(5), Some(false)));
    app.post_empty(&format!("/api/v1/consultations/{id}/close"), Some(&organiser)).await.ok(200);
    let closed = app.get(&stats, Some(&token)).await.ok(200).clone();
    assert_eq!((closed["used"].as_u64(), closed["step"].as_u64(), closed["exact"].as_bool()), (Some(1), Some(1), Some(true)));
    let results = app.get(&format!("/api/v1/consultations/{id}/results"), Some(&token)).await;
    assert_eq!(results.ok(200)["summary"]["ballots"], 1);
    assert!(results.body["proposals"].as_array().unwrap().iter().all(|p| p["want_count"] == 0 && p["dont_want_count"] == 0));
}

#[tokio::test]
async fn codes_only_work_in_their_own_consultation_and_only_while_open() {
    let app = spawn_app().await;
    let (token, id, codes) = open_consultation(&app, 1).await;
    let (_, other, _) = open_consultation(&app, 1).await;
    app.cast(&other, &json!({"voter_code": codes[0]})).await.problem_field(422, "voter_code");

    let draft = app.create_consultation(&token, &crate::helpers::worked_example()).await;
    let draft_codes = app.issue_codes(&token, &draft, 1).await;
    app.cast(&draft, &json!({"voter_code": draft_codes[0]})).await.problem(409);

    app.post_empty(&format!("/api/v1/consultations/{id}/close"), Some(&token)).await.ok(200);
    let closed = app.cast(&id, &json!({"voter_code": codes[0], "want": ["S1"]})).await;
    assert!(closed.problem(409)["detail"].as_str().unwrap().contains("closed"));
    app.cast(&uuid::Uuid::new_v4().to_string(), &json!({"voter_code": codes[0]})).await.problem(404);
}

#[tokio::test]
async fn fifty_concurrent_submissions_with_one_code_leave_one_ballot() {
    let app = spawn_app().await;
    let (organiser, id, codes) = open_consultation(&app, 1).await;
    let wants = [["S1", "S2"], ["S3", "D1"], ["S2", "S3"], ["D1", "S1"], ["S3", "S2"]];
    let submissions = (0..50).map(|i| {
        let ballot = json!({"voter_code": codes[0], "want": wants[i % wants.len()]});
        let app = &app;
        let id = &id;
        async move { app.cast(id, &ballot).await }
    });
    let responses = futures::future::join_all(submissions).await;
    let mut created = 0;
    for r in &responses {
        assert!(r.status == 201 || r.status == 200, "{} {}", r.status, r.text);
        if r.status == 201 {
            created += 1;
        }
    }
    assert_eq!(created, 1, "exactly one submission created the ballot; the others replaced it");
    app.post_empty(&format!("/api/v1/consultations/{id}/close"), Some(&organiser)).await.ok(200);
    let token = app.commissioner().await;
    let results = app.get(&format!("/api/v1/consultations/{id}/results"), Some(&token)).await;
    assert_eq!(results.ok(200)["summary"]["ballots"], 1);
    let stats = app.get(&format!("/api/v1/consultations/{id}/voter-codes/stats"), Some(&token)).await;
    assert_eq!(stats.ok(200)["used"], 1);
    assert_eq!(stats.body["issued"], 1);
    // Every receipt given answers, and each is different.
    let receipts: std::collections::HashSet<&str> = responses.iter().map(|r| r.body["receipt"].as_str().unwrap()).collect();
    assert_eq!(receipts.len(), 50);
    for receipt in receipts {
        app.get(&format!("/api/v1/receipts/{receipt}"), None).await.ok(200);
    }
}

/// Ballots that arrive together are written together (group commit), but each one is
/// answered on its own: good ones stored, wrong codes and closed consultations refused,
/// repeated codes replaced — whatever else shares its transaction.
#[tokio::test]
async fn ballots_arriving_together_each_get_their_own_answer() {
    let app = spawn_app().await;
    let (token, a, a_codes) = open_consultation(&app, 40).await;
    let (_, b, b_codes) = open_consultation(&app, 10).await;
    let (_, closed, closed_codes) = open_consultation(&app, 5).await;
    app.post_empty(&format!("/api/v1/consultations/{closed}/close"), Some(&token)).await.ok(200);
    let wants = [["S1", "S2"], ["S3", "D1"], ["S2", "S3"]];

    // (consultation, ballot, the status it must get)
    let mut casts: Vec<(String, Value, u16)> = Vec::new();
    for (i, code) in a_codes.iter().enumerate() {
        casts.push((a.clone(), json!({"voter_code": code, "want": wants[i % 3]}), 201));
    }
    for code in &b_codes {
        casts.push((b.clone(), json!({"voter_code": code, "dont_want": ["S1"], "uses": ["day-centre"]}), 201));
    }
    for code in &b_codes[..5] {
        // B's codes are not A's.
        casts.push((a.clone(), json!({"voter_code": code, "want": ["S1"]}), 422));
    }
    for code in &closed_codes {
        casts.push((closed.clone(), json!({"voter_code": code, "want": ["S1"]}), 409));
    }
    let responses = futures::future::join_all(casts.iter().map(|(id, ballot, _)| app.cast(id, ballot))).await;
    for ((id, ballot, expected), response) in casts.iter().zip(&responses) {
        assert_eq!(response.status, *expected, "{id} {ballot}: {}", response.text);
    }

    for id in [&a, &b] {
        app.post_empty(&format!("/api/v1/consultations/{id}/close"), Some(&token)).await.ok(200);
    }
    let commissioner = app.commissioner().await;
    let count = |id: &str| {
        let app = &app;
        let path = format!("/api/v1/consultations/{id}/results");
        let token = commissioner.clone();
        async move { app.get(&path, Some(&token)).await.ok(200)["summary"]["ballots"].as_u64().unwrap() }
    };
    assert_eq!(count(&a).await, 40);
    assert_eq!(count(&b).await, 10);
    assert_eq!(count(&closed).await, 0);
    // Every stored ballot has its own working receipt.
    let receipts: std::collections::HashSet<&str> =
        responses.iter().filter(|r| r.status == 201).map(|r| r.body["receipt"].as_str().unwrap()).collect();
    assert_eq!(receipts.len(), 50);
    for receipt in receipts.iter().take(5) {
        app.get(&format!("/api/v1/receipts/{receipt}"), None).await.ok(200);
    }
}

#[tokio::test]
async fn voter_codes_come_as_json_or_csv_and_are_stored_only_as_hashes() {
    let app = spawn_app().await;
    let token = app.organiser().await;
    let id = app.create_consultation(&token, &crate::helpers::worked_example()).await;
    let issued = app.post(&format!("/api/v1/consultations/{id}/voter-codes"), &json!({"count": 5}), Some(&token)).await;
    let issued = issued.ok(201).clone();
    let codes: Vec<String> = issued["codes"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_owned()).collect();
    assert_eq!(codes.len(), 5);
    for code in &codes {
        assert!(pbvote::domain::VoterCode::parse(code).is_ok(), "{code}");
        assert_eq!(code.len(), 14);
    }
    assert!(issued["ballot_url"].as_str().unwrap().ends_with(&format!("/vote.html?c={id}")));

    let csv = app
        .send(
            app.client
                .post(format!("{}/api/v1/consultations/{id}/voter-codes?format=csv", app.address))
                .bearer_auth(&token)
                .json(&json!({"count": 3})),
        )
        .await;
    assert_eq!(csv.status, 201);
    assert_eq!(csv.content_type, "text/csv");
    let lines: Vec<&str> = csv.text.lines().collect();
    assert_eq!(lines[0], "code,ballot_url");
    assert_eq!(lines.len(), 4);
    assert!(lines[1].contains("/vote.html?c="));

    app.post(&format!("/api/v1/consultations/{id}/voter-codes"), &json!({"count": 0}), Some(&token)).await.problem_field(422, "count");
    app.post(&format!("/api/v1/consultations/{id}/voter-codes"), &json!({"count": 10001}), Some(&token)).await.problem_field(422, "count");
    app.post(&format!("/api/v1/consultations/{id}/voter-codes"), &json!({"count": 1}), None).await.problem(401);
    let stats = app.get(&format!("/api/v1/consultations/{id}/voter-codes/stats"), Some(&token)).await;
    assert_eq!(stats.ok(200)["issued"], 8);

    if let Some(file) = &app.sqlite_file {
        let mut bytes = std::fs::read(file).unwrap_or_default();
        bytes.extend(std::fs::read(file.with_extension("db-wal")).unwrap_or_default());
        let text = String::from_utf8_lossy(&bytes);
        for code in &codes {
            let canonical = code.replace('-', "");
            assert!(!text.contains(&canonical) && !text.contains(code.as_str()), "code {code} is stored in plain text");
        }
    }
}

/// The services a resident uses are a set: however they were sent (any order, repeated),
/// they are stored and exported the same way, so they cannot be used to mark a ballot.
#[tokio::test]
async fn the_services_used_are_stored_as_a_set() {
    let app = spawn_app().await;
    let token = app.organiser().await;
    let body = json!({
        "title": "Two services", "settings": {"rank_depth": 2, "min_group": 1},
        "services": [{"id": "pool", "name": "Pool"}, {"id": "library", "name": "Library"}],
        "proposals": [{"id": "S1", "kind": "saving", "title": "Shorter hours", "amount": 100}]
    });
    let id = app.create_consultation(&token, &body).await;
    let codes = app.issue_codes(&token, &id, 2).await;
    app.open(&token, &id).await;
    app.cast(&id, &json!({"voter_code": codes[0], "uses": ["pool", "library", "pool"]})).await.ok(201);
    app.cast(&id, &json!({"voter_code": codes[1], "uses": ["library", "pool"]})).await.ok(201);
    app.post_empty(&format!("/api/v1/consultations/{id}/close"), Some(&token)).await.ok(200);
    let export = app.get(&format!("/api/v1/consultations/{id}/export"), Some(&token)).await;
    let uses: Vec<&Value> = export.ok(200)["ballots"].as_array().unwrap().iter().map(|b| &b["uses"]).collect();
    // One order for everyone: the order of the services on the paper.
    assert_eq!(uses, [&json!(["pool", "library"]), &json!(["pool", "library"])]);
}
