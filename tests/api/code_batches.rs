//! Who made which codes: every batch is recorded; batches made after voting opened are
//! flagged; a consultation can hold such letters until a commissioner approves them. The
//! attack from the issue: an organiser mints codes on an open consultation and votes with
//! them.
use pbvote::domain::Role;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app, worked_example};

async fn issue(app: &TestApp, token: &str, id: &str, count: u32) -> Value {
    app.post(&format!("/api/v1/consultations/{id}/voter-codes"), &json!({"count": count}), Some(token)).await.ok(201).clone()
}

fn codes(issued: &Value) -> Vec<String> {
    issued["codes"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_owned()).collect()
}

async fn email(app: &TestApp, token: &str) -> String {
    app.get("/api/v1/auth/me", Some(token)).await.ok(200)["email"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn late_letters_wait_for_a_commissioners_approval() {
    let app = spawn_app().await;
    let organiser = app.organiser().await;
    let commissioner = app.commissioner().await;
    let id = app.create_consultation(&organiser, &worked_example()).await;
    let approval = app.put(&format!("/api/v1/consultations/{id}/code-approval"), &json!({"required": true}), Some(&organiser)).await;
    assert_eq!(approval.ok(200)["approval_required"], true);
    let before = issue(&app, &organiser, &id, 3).await;
    assert_eq!(before["batch"]["kind"], "letter");
    assert_eq!(before["batch"]["after_opening"], false);
    assert_eq!(before["batch"]["needs_approval"], false);
    assert_eq!(before["batch"]["made_by"], email(&app, &organiser).await.as_str());
    app.open(&organiser, &id).await;
    // Once open, nobody can stop asking for approval.
    app.put(&format!("/api/v1/consultations/{id}/code-approval"), &json!({"required": false}), Some(&organiser)).await.problem(409);

    // The attack: mint codes now and vote with them.
    let late = issue(&app, &organiser, &id, 2).await;
    assert_eq!(late["batch"]["after_opening"], true);
    assert_eq!(late["batch"]["needs_approval"], true);
    assert_eq!(late["batch"]["approved_at"], Value::Null);
    let late_codes = codes(&late);
    let refused = app.cast(&id, &json!({"voter_code": late_codes[0], "want": ["S1"]})).await;
    let problem = refused.problem_field(422, "voter_code");
    assert!(problem["detail"].as_str().unwrap().contains("approves"), "{problem}");
    // The codes made before opening work.
    app.cast(&id, &json!({"voter_code": codes(&before)[0], "want": ["S2"]})).await.ok(201);

    let summary = app.get(&format!("/api/v1/consultations/{id}/code-batches"), Some(&commissioner)).await;
    let summary = summary.ok(200);
    assert_eq!(summary["letters"], 5);
    assert_eq!(summary["after_opening"], 2);
    assert_eq!(summary["awaiting_approval"], 2);
    assert_eq!(summary["batches"].as_array().unwrap().len(), 2);
    let batch = late["batch"]["id"].as_str().unwrap();
    // Only a commissioner approves (the organiser who made them cannot).
    app.post_empty(&format!("/api/v1/code-batches/{batch}/approve"), Some(&organiser)).await.problem(403);
    let approved = app.post_empty(&format!("/api/v1/code-batches/{batch}/approve"), Some(&commissioner)).await;
    assert_eq!(approved.ok(200)["approved_by"], email(&app, &commissioner).await.as_str());
    app.post_empty(&format!("/api/v1/code-batches/{batch}/approve"), Some(&commissioner)).await.problem(409);
    app.cast(&id, &json!({"voter_code": late_codes[0], "want": ["S1"]})).await.ok(201);
    let first = before["batch"]["id"].as_str().unwrap();
    app.post_empty(&format!("/api/v1/code-batches/{first}/approve"), Some(&commissioner)).await.problem(409);

    // The audit record has both sides, with who.
    let admin = app.signed_in(Role::Admin).await;
    let audit = app.get("/api/v1/audit?limit=1000", Some(&admin)).await;
    let entries = audit.ok(200)["entries"].as_array().unwrap().clone();
    let approve = entries.iter().find(|e| e["action"] == "code-batch.approve").expect("the approval is recorded");
    assert_eq!(approve["actor"], email(&app, &commissioner).await.as_str());
    assert_eq!(approve["subject"], format!("code-batch:{batch}"));
    let issued: Vec<&Value> = entries.iter().filter(|e| e["action"] == "voter-codes.issue").collect();
    assert_eq!(issued.len(), 2);
    assert_eq!(issued[1]["after"]["after_opening"], true);

    // The result shows the codes against the ballots.
    app.post_empty(&format!("/api/v1/consultations/{id}/close"), Some(&organiser)).await.ok(200);
    let results = app.get(&format!("/api/v1/consultations/{id}/results"), Some(&commissioner)).await;
    let codes_shown = &results.ok(200)["codes"];
    assert_eq!(codes_shown["letters"], 5);
    assert_eq!(codes_shown["after_opening"], 2);
    assert_eq!(codes_shown["batches_after_opening"], 1);
    assert_eq!(codes_shown["awaiting_approval"], 0);
    assert_eq!(codes_shown["ballots"], 2);
    // Too late to approve anything once voting has closed.
    let held = issue_after_close_is_refused(&app, &organiser, &id).await;
    assert_eq!(held, 409);
}

async fn issue_after_close_is_refused(app: &TestApp, organiser: &str, id: &str) -> u16 {
    app.post(&format!("/api/v1/consultations/{id}/voter-codes"), &json!({"count": 1}), Some(organiser)).await.status
}

/// Without the setting, late batches work at once but are flagged; slips and letters
/// exchanged at a meeting's door are batches too, with their meeting.
#[tokio::test]
async fn every_batch_is_recorded_and_late_ones_are_flagged() {
    let app = spawn_app().await;
    let organiser = app.organiser().await;
    let id = app.create_consultation(&organiser, &worked_example()).await;
    let meeting =
        app.post(&format!("/api/v1/consultations/{id}/meetings"), &json!({"title": "Hall", "place": "Library"}), Some(&organiser)).await;
    let mid = meeting.ok(201)["id"].as_str().unwrap().to_owned();
    app.post(&format!("/api/v1/meetings/{mid}/slips"), &json!({"count": 4}), Some(&organiser)).await.ok(201);
    app.open(&organiser, &id).await;
    let late = issue(&app, &organiser, &id, 1).await;
    assert_eq!(late["batch"]["after_opening"], true);
    assert_eq!(late["batch"]["needs_approval"], false);
    app.cast(&id, &json!({"voter_code": codes(&late)[0], "want": ["S1"]})).await.ok(201);
    let letter = codes(&issue(&app, &organiser, &id, 1).await).remove(0);
    app.post(&format!("/api/v1/meetings/{mid}/exchange"), &json!({"letter_code": letter}), Some(&organiser)).await.ok(201);

    let summary = app.get(&format!("/api/v1/consultations/{id}/code-batches"), Some(&organiser)).await;
    let summary = summary.ok(200);
    let kinds: Vec<(&str, u64, bool)> = summary["batches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| (b["kind"].as_str().unwrap(), b["count"].as_u64().unwrap(), b["after_opening"].as_bool().unwrap()))
        .collect();
    assert_eq!(kinds, [("slip", 4, false), ("letter", 1, true), ("letter", 1, true), ("exchange", 1, true)]);
    for b in summary["batches"].as_array().unwrap() {
        if b["kind"] != "letter" {
            assert_eq!(b["meeting_id"], mid.as_str());
        }
    }
    assert_eq!(summary["letters"], 2);
    assert_eq!(summary["slips"], 5);
    assert_eq!(summary["after_opening"], 3);
    assert_eq!(summary["awaiting_approval"], 0);
    // While voting is open, not the exact number of ballots (issue 13: turnout in steps).
    assert!(summary["ballots"].is_null(), "{}", summary["ballots"]);
    app.post_empty(&format!("/api/v1/consultations/{id}/close"), Some(&organiser)).await.ok(200);
    let closed = app.get(&format!("/api/v1/consultations/{id}/code-batches"), Some(&organiser)).await;
    assert_eq!(closed.ok(200)["ballots"], 1);
}
