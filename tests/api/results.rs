use serde_json::{Value, json};

use crate::helpers::{spawn_app, worked_example, worked_example_ballots};

fn proposal<'a>(results: &'a Value, id: &str) -> &'a Value {
    results["proposals"].as_array().unwrap().iter().find(|p| p["id"] == id).unwrap()
}

#[tokio::test]
async fn the_worked_example_through_the_api_protects_the_day_centre() {
    let app = spawn_app().await;
    let organiser = app.organiser().await;
    let id = app.create_consultation(&organiser, &worked_example()).await;
    let codes = app.issue_codes(&organiser, &id, 100).await;
    app.open(&organiser, &id).await;
    for (code, mut ballot) in codes.iter().zip(worked_example_ballots()) {
        ballot["voter_code"] = json!(code);
        app.cast(&id, &ballot).await.ok(201);
    }

    // Nothing but turnout while voting is open, for staff too; not public until published.
    let commissioner = app.commissioner().await;
    let results_path = format!("/api/v1/consultations/{id}/results");
    let export_path = format!("/api/v1/consultations/{id}/export");
    let early = app.get(&results_path, Some(&commissioner)).await;
    assert!(early.problem(409)["detail"].as_str().unwrap().contains("when voting closes"), "{}", early.text);
    app.get(&export_path, Some(&commissioner)).await.problem(409);
    app.post_empty(&format!("/api/v1/consultations/{id}/close"), Some(&organiser)).await.ok(200);
    app.get(&results_path, None).await.problem(401);
    let results = app.get(&results_path, Some(&commissioner)).await.ok(200).clone();

    let s1 = proposal(&results, "S1");
    assert_eq!(s1["plain_score"], json!(50));
    assert_eq!(s1["score"], json!(-30));
    assert_eq!(s1["user_weight"], json!(9));
    assert_eq!(s1["users"], json!(10));
    assert_eq!(s1["protected"], true);
    assert_eq!(s1["adopted"], false);
    assert_eq!(s1["plain_adopted"], true);
    assert_eq!(s1["title"], "Close the day centre");
    assert_eq!(s1["service_name"], "Day centre");
    assert!(s1["explanation"].as_str().unwrap().to_lowercase().contains("protected"));
    let d1_text = proposal(&results, "D1")["explanation"].as_str().unwrap().to_owned();
    assert!(d1_text.contains("£300") && !d1_text.contains("£300.00"), "money in the currency: {d1_text}");
    let s2 = proposal(&results, "S2");
    assert_eq!(s2["adopted"], true);
    assert_eq!(s2["plain_adopted"], false);
    let s3 = proposal(&results, "S3");
    assert_eq!(s3["score"].as_f64().unwrap(), 63.333333);
    assert_eq!(s3["adopted"], true);
    let d1 = proposal(&results, "D1");
    assert_eq!(d1["score"].as_f64().unwrap(), 26.666667);
    assert_eq!(d1["adopted"], true);
    assert_eq!(d1["plain_adopted"], true);
    assert_eq!(results["summary"]["ballots"], 100);
    assert_eq!(results["summary"]["savings_adopted"], 90000);
    assert_eq!(results["summary"]["target_reached"], true);
    assert_eq!(results["summary"]["development_spent"], 30000);
    assert_eq!(results["summary"]["development_left"], 0);
    assert_eq!(results["summary"]["breakdown"]["by_channel"]["online"], 100);

    // The export recounts to the same result with the CLI's function.
    let export = app.get(&export_path, Some(&commissioner)).await.ok(200).clone();
    assert_eq!(export["ballots"].as_array().unwrap().len(), 100);
    for ballot in export["ballots"].as_array().unwrap() {
        assert!(ballot.get("voter_key").is_none() && ballot.get("receipt").is_none() && ballot.get("created_at").is_none());
    }
    let recount = pbvote::tally::exchange::count(export.to_string().as_bytes()).unwrap();
    let recounted = serde_json::to_value(&recount).unwrap();
    assert_eq!(recounted["summary"], results["summary"]);
    for p in recounted["proposals"].as_array().unwrap() {
        let served = proposal(&results, p["id"].as_str().unwrap());
        for (key, value) in p.as_object().unwrap() {
            // Explanations too: the export carries the currency, so money reads the same.
            assert_eq!(&served[key], value, "{key} of {}", p["id"]);
        }
    }

    // Published: everyone may read it.
    app.post_empty(&format!("/api/v1/consultations/{id}/publish"), Some(&commissioner)).await.ok(200);
    let public = app.get(&format!("/api/v1/consultations/{id}/results"), None).await;
    assert_eq!(proposal(public.ok(200), "S1")["protected"], true);
}

#[tokio::test]
async fn drafts_have_no_results() {
    let app = spawn_app().await;
    let organiser = app.organiser().await;
    let id = app.create_consultation(&organiser, &worked_example()).await;
    app.get(&format!("/api/v1/consultations/{id}/results"), Some(&organiser)).await.problem(409);
    app.get(&format!("/api/v1/consultations/{id}/results"), None).await.problem(404);
    app.get(&format!("/api/v1/consultations/{id}/export"), None).await.problem(404);
}
