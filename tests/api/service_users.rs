//! Verified service users (issue 16): a service provider hands out service-user codes; a
//! ballot given with one counts as a verified user of that service. The organiser chooses
//! whether residents' own "I use this" counts too, and the results show declared and
//! verified users side by side. A service-user code is not a vote, and verifies one ballot.
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app, worked_example};

async fn service_user_codes(app: &TestApp, token: &str, id: &str, service: &str, count: u32) -> Value {
    let path = format!("/api/v1/consultations/{id}/voter-codes");
    app.post(&path, &json!({"count": count, "service": service}), Some(token)).await.ok(201).clone()
}

fn codes(issued: &Value) -> Vec<String> {
    issued["codes"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_owned()).collect()
}

/// A draft of the worked example with `service_users` set.
async fn draft(app: &TestApp, token: &str, service_users: &str) -> String {
    let mut body = worked_example();
    body["settings"]["service_users"] = json!(service_users);
    app.create_consultation(token, &body).await
}

/// The day centre's cut S1, voted on by 5 users holding service-user codes who all reject
/// it, and 6 residents who say they use the day centre (no code) and want it. Returns the
/// result after close.
async fn day_centre_vote(app: &TestApp, service_users: &str) -> Value {
    let organiser = app.organiser().await;
    let commissioner = app.commissioner().await;
    let id = draft(app, &organiser, service_users).await;
    let letters = app.issue_codes(&organiser, &id, 11).await;
    let cards = codes(&service_user_codes(app, &organiser, &id, "day-centre", 5).await);
    app.open(&organiser, &id).await;
    for (letter, card) in letters.iter().zip(&cards) {
        let ballot = json!({"voter_code": letter, "dont_want": ["S1"], "want": ["S2"], "service_user_code": card});
        app.cast(&id, &ballot).await.ok(201);
    }
    for letter in &letters[5..] {
        app.cast(&id, &json!({"voter_code": letter, "want": ["S1", "S2"], "uses": ["day-centre"]})).await.ok(201);
    }
    app.post_empty(&format!("/api/v1/consultations/{id}/close"), Some(&organiser)).await.ok(200);
    app.get(&format!("/api/v1/consultations/{id}/results"), Some(&commissioner)).await.ok(200).clone()
}

fn proposal<'a>(result: &'a Value, id: &str) -> &'a Value {
    result["proposals"].as_array().unwrap().iter().find(|p| p["id"] == id).unwrap()
}

fn day_centre(result: &Value) -> &Value {
    &result["service_users"]["services"][0]
}

#[tokio::test]
async fn only_verified_users_protect_a_service_when_the_organiser_says_so() {
    let app = spawn_app().await;
    // Verified only: the 5 card holders are the day centre's users, all reject S1: protected.
    let verified = day_centre_vote(&app, "verified").await;
    assert_eq!(verified["service_users"]["counted_as"], "verified");
    assert_eq!(day_centre(&verified)["id"], "day-centre");
    assert_eq!(day_centre(&verified)["declared"], 6);
    assert_eq!(day_centre(&verified)["verified"], 5);
    assert_eq!(day_centre(&verified)["counted"], 5);
    assert_eq!(proposal(&verified, "S1")["users"], 5);
    assert_eq!(proposal(&verified, "S1")["protected"], true, "{verified}");
    assert!(verified["note"].as_str().unwrap().contains("verified users"), "{}", verified["note"]);
    // The public record says who counted, with the numbers side by side.
    let id = verified["consultation"]["id"].as_str().unwrap().to_owned();
    let commissioner = app.commissioner().await;
    let decision = json!({"proposal": "S1", "decision": "reject", "reason": "Its verified users rejected it."});
    app.post(&format!("/api/v1/consultations/{id}/decisions"), &decision, Some(&commissioner)).await.ok(201);
    app.post_empty(&format!("/api/v1/consultations/{id}/publish"), Some(&commissioner)).await.ok(200);
    let page = app.get(&format!("/published/{id}"), None).await;
    assert!(page.text.contains("Only people who gave a service-user code"), "{}", page.text);
    assert!(page.text.contains("6 said they use it, 5 gave a service-user code, 5 counted as users"), "{}", page.text);

    // Declared or verified: 11 users, 5 of them reject S1 (under half): not protected.
    let both = day_centre_vote(&app, "declared_or_verified").await;
    assert_eq!(both["service_users"]["counted_as"], "declared_or_verified");
    assert_eq!(day_centre(&both)["declared"], 6);
    assert_eq!(day_centre(&both)["verified"], 5);
    assert_eq!(day_centre(&both)["counted"], 11);
    assert_eq!(proposal(&both, "S1")["users"], 11);
    assert_eq!(proposal(&both, "S1")["protected"], false, "{both}");
}

#[tokio::test]
async fn the_published_file_recounts_to_the_result_with_verified_uses() {
    let app = spawn_app().await;
    let result = day_centre_vote(&app, "verified").await;
    let id = result["consultation"]["id"].as_str().unwrap().to_owned();
    let commissioner = app.commissioner().await;
    let export = app.get(&format!("/api/v1/consultations/{id}/export"), Some(&commissioner)).await.ok(200).clone();
    // The file holds the uses that counted: none of the 6 declarations without a code.
    let ballots = export["ballots"].as_array().unwrap();
    let users = ballots.iter().filter(|b| b["uses"].as_array().is_some_and(|u| !u.is_empty())).count();
    let withheld_users = export["withheld"]["users"]["day-centre"].as_u64().unwrap_or(0) as usize;
    assert_eq!(users + withheld_users, 5, "{export}");
    let recount = pbvote::tally::exchange::count(export.to_string().as_bytes()).unwrap();
    let s1 = recount.proposals.iter().find(|p| p.id == "S1").unwrap();
    assert!(s1.protected);
    assert_eq!(s1.users, 5);
}

#[tokio::test]
async fn a_service_user_code_verifies_one_ballot_and_is_not_a_vote() {
    let app = spawn_app().await;
    let organiser = app.organiser().await;
    let id = draft(&app, &organiser, "declared_or_verified").await;
    let letters = app.issue_codes(&organiser, &id, 3).await;
    let issued = service_user_codes(&app, &organiser, &id, "day-centre", 2).await;
    assert_eq!(issued["batch"]["kind"], "service-user");
    assert_eq!(issued["batch"]["service"], "day-centre");
    assert_eq!(issued["links"], json!([]), "a service-user code has no short link to the ballot");
    let cards = codes(&issued);
    app.open(&organiser, &id).await;

    // Not a vote on its own.
    let alone = app.cast(&id, &json!({"voter_code": cards[0], "want": ["S1"]})).await;
    assert!(alone.problem_field(422, "voter_code")["detail"].as_str().unwrap().contains("service-user code"));
    // A voting code in the service-user box.
    let swapped = app.cast(&id, &json!({"voter_code": letters[0], "service_user_code": letters[1]})).await;
    swapped.problem_field(422, "service_user_code");
    // A code that was never made, and one that does not parse.
    app.cast(&id, &json!({"voter_code": letters[0], "service_user_code": "AAAA-AAAA-AAAA"})).await.problem_field(422, "service_user_code");
    app.cast(&id, &json!({"voter_code": letters[0], "service_user_code": "nonsense"})).await.problem_field(422, "service_user_code");

    // First use: accepted. The same ballot may give it again when it changes its vote.
    app.cast(&id, &json!({"voter_code": letters[0], "want": ["S2"], "service_user_code": cards[0]})).await.ok(201);
    let again = app.cast(&id, &json!({"voter_code": letters[0], "want": ["S3"], "service_user_code": cards[0]})).await;
    assert_eq!(again.ok(200)["replaced"], true);
    // Another ballot cannot use it: refused, and that ballot is not stored.
    let other = app.cast(&id, &json!({"voter_code": letters[1], "want": ["S1"], "service_user_code": cards[0]})).await;
    assert!(other.problem_field(409, "service_user_code")["detail"].as_str().unwrap().contains("already"));
    // A replacement without the code keeps the verification; none of this is visible while open.
    app.cast(&id, &json!({"voter_code": letters[0], "want": ["S2"]})).await.ok(200);
    app.cast(&id, &json!({"voter_code": letters[2], "want": ["S2"], "service_user_code": cards[1]})).await.ok(201);

    let summary = app.get(&format!("/api/v1/consultations/{id}/code-batches"), Some(&organiser)).await;
    let summary = summary.ok(200);
    assert_eq!(summary["letters"], 3);
    assert_eq!(summary["service_user_codes"], 2);

    app.post_empty(&format!("/api/v1/consultations/{id}/close"), Some(&organiser)).await.ok(200);
    let commissioner = app.commissioner().await;
    let result = app.get(&format!("/api/v1/consultations/{id}/results"), Some(&commissioner)).await.ok(200).clone();
    assert_eq!(result["summary"]["ballots"], 2, "the refused ballot was not stored: {}", result["summary"]);
    // 2 verified users: fewer than min_group (5), so shown as null.
    assert_eq!(day_centre(&result)["verified"], Value::Null);
    assert_eq!(result["service_users"]["fewer_than"], 5);
    assert_eq!(proposal(&result, "S1")["users"], 2, "both ballots stay verified users of the day centre");
}

#[tokio::test]
async fn service_user_codes_need_the_setting_and_a_service() {
    let app = spawn_app().await;
    let organiser = app.organiser().await;
    let declared = draft(&app, &organiser, "declared").await;
    let path = format!("/api/v1/consultations/{declared}/voter-codes");
    let refused = app.post(&path, &json!({"count": 2, "service": "day-centre"}), Some(&organiser)).await;
    assert!(refused.problem_field(409, "service")["detail"].as_str().unwrap().contains("service_users"));
    // A ballot with a service-user code on such a consultation is refused, naming the box.
    let letters = app.issue_codes(&organiser, &declared, 1).await;
    app.open(&organiser, &declared).await;
    let ballot = json!({"voter_code": letters[0], "service_user_code": "AAAA-AAAA-AAAA"});
    app.cast(&declared, &ballot).await.problem_field(422, "service_user_code");
    // An empty box is no code at all.
    app.cast(&declared, &json!({"voter_code": letters[0], "service_user_code": " "})).await.ok(201);

    let verified = draft(&app, &organiser, "verified").await;
    let path = format!("/api/v1/consultations/{verified}/voter-codes");
    app.post(&path, &json!({"count": 2, "service": "library"}), Some(&organiser)).await.problem_field(422, "service");
    // The setting parses, names its field, and is fixed once voting opens.
    let bad =
        app.patch(&format!("/api/v1/consultations/{verified}"), &json!({"settings": {"service_users": "some"}}), Some(&organiser)).await;
    assert_eq!(bad.status / 100, 4, "{}", bad.text);
    assert!(bad.body["field"].as_str().unwrap_or("").contains("service_users"), "{}", bad.text);
    let changed = app
        .patch(
            &format!("/api/v1/consultations/{verified}"),
            &json!({"settings": {"service_users": "declared_or_verified"}}),
            Some(&organiser),
        )
        .await;
    assert_eq!(changed.ok(200)["settings"]["service_users"], "declared_or_verified");
    app.open(&organiser, &verified).await;
    let late = app
        .patch(&format!("/api/v1/consultations/{verified}"), &json!({"settings": {"service_users": "verified"}}), Some(&organiser))
        .await;
    late.problem(409);
}

#[tokio::test]
async fn late_service_user_codes_wait_for_approval_like_letters() {
    let app = spawn_app().await;
    let organiser = app.organiser().await;
    let commissioner = app.commissioner().await;
    let id = draft(&app, &organiser, "verified").await;
    app.put(&format!("/api/v1/consultations/{id}/code-approval"), &json!({"required": true}), Some(&organiser)).await.ok(200);
    let letters = app.issue_codes(&organiser, &id, 1).await;
    app.open(&organiser, &id).await;
    let late = service_user_codes(&app, &organiser, &id, "day-centre", 1).await;
    assert_eq!(late["batch"]["needs_approval"], true);
    let card = &codes(&late)[0];
    let held = app.cast(&id, &json!({"voter_code": letters[0], "service_user_code": card})).await;
    assert!(held.problem_field(422, "service_user_code")["detail"].as_str().unwrap().contains("approves"));
    let batch = late["batch"]["id"].as_str().unwrap();
    app.post_empty(&format!("/api/v1/code-batches/{batch}/approve"), Some(&commissioner)).await.ok(200);
    app.cast(&id, &json!({"voter_code": letters[0], "service_user_code": card})).await.ok(201);
    // Approved, it is still a service-user code, not a vote.
    app.cast(&id, &json!({"voter_code": card})).await.problem_field(422, "voter_code");
}

#[tokio::test]
async fn ballots_racing_with_one_service_user_code_verify_only_one() {
    let app = spawn_app().await;
    let organiser = app.organiser().await;
    let id = draft(&app, &organiser, "verified").await;
    let letters = app.issue_codes(&organiser, &id, 12).await;
    let card = codes(&service_user_codes(&app, &organiser, &id, "day-centre", 1).await).remove(0);
    app.open(&organiser, &id).await;
    let ballots: Vec<Value> =
        letters.iter().map(|letter| json!({"voter_code": letter, "dont_want": ["S1"], "service_user_code": card})).collect();
    let answers = futures::future::join_all(ballots.iter().map(|ballot| app.cast(&id, ballot))).await;
    let statuses: Vec<u16> = answers.iter().map(|a| a.status).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 409).count(), letters.len() - 1, "{statuses:?}");
}
