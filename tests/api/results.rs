use serde_json::{Value, json};

use crate::helpers::{open_consultation, spawn_app, worked_example, worked_example_ballots};

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

    // Not public until published.
    app.get(&format!("/api/v1/consultations/{id}/results"), None).await.problem(401);
    let commissioner = app.commissioner().await;
    let results = app.get(&format!("/api/v1/consultations/{id}/results"), Some(&commissioner)).await.ok(200).clone();

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

    // No per-ballot export while voting is open (two a moment apart would show each new
    // ballot whole); once closed, it recounts to the same result with the CLI's function.
    let export_path = format!("/api/v1/consultations/{id}/export");
    app.get(&export_path, Some(&commissioner)).await.problem(409);
    app.post_empty(&format!("/api/v1/consultations/{id}/close"), Some(&organiser)).await.ok(200);
    let closed = app.get(&format!("/api/v1/consultations/{id}/results"), Some(&commissioner)).await.ok(200).clone();
    assert_eq!(
        (&closed["summary"], &closed["proposals"]),
        (&results["summary"], &results["proposals"]),
        "the 100 ballots were all counted while open"
    );
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

/// While voting is open, two readings of the result never differ by fewer than
/// `min_group` ballot changes (5 here), so no one ballot can be picked out by subtracting
/// one reading from the next. Once voting closes the result is exact.
#[tokio::test]
async fn while_voting_is_open_results_move_in_steps_of_min_group() {
    let app = spawn_app().await;
    let (organiser, id, codes) = open_consultation(&app, 12).await;
    let commissioner = app.commissioner().await;
    let path = format!("/api/v1/consultations/{id}/results");
    let read = || async { app.get(&path, Some(&commissioner)).await.ok(200).clone() };
    let shown = |r: &Value| (r["summary"]["ballots"].as_u64().unwrap(), r["counted_as_of"]["exact"].as_bool().unwrap());
    // A slow recount (a debug build on PostgreSQL) may be served for a moment while a
    // fresher one runs: wait, within bounds, for the reading that counts everything.
    let read_exact = || async {
        for _ in 0..100 {
            let r = read().await;
            if r["counted_as_of"]["exact"] == true {
                return r;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("no exact result within 5 s")
    };
    let cast = |i: usize, want: &'static str| {
        let ballot = json!({"voter_code": codes[i], "want": [want]});
        let app = &app;
        let id = id.clone();
        async move { app.cast(&id, &ballot).await.status }
    };

    // Before anything: nothing counted, and that is exact.
    assert_eq!(shown(&read_exact().await), (0, true));
    assert_eq!(read().await["counted_as_of"]["step"], 5);
    for i in 0..4 {
        assert!([200, 201].contains(&cast(i, "S1").await));
        let r = read().await;
        assert_eq!(shown(&r), (0, false), "after {} ballots", i + 1);
        assert!(r["proposals"].as_array().unwrap().iter().all(|p| p["want_count"] == 0), "no ballot shows through");
    }
    cast(4, "S1").await;
    let five = read_exact().await;
    assert_eq!(shown(&five), (5, true));
    assert_eq!(proposal(&five, "S1")["want_count"], 5);
    // Three new ballots and one replacement: four changes, not yet a step.
    for i in 5..8 {
        cast(i, "S2").await;
    }
    assert_eq!(cast(0, "S3").await, 200);
    let still = read().await;
    assert_eq!(shown(&still), (5, false));
    assert_eq!((proposal(&still, "S1")["want_count"].as_u64(), proposal(&still, "S2")["want_count"].as_u64()), (Some(5), Some(0)));
    // The fifth change makes a step: everything so far is counted.
    cast(8, "S2").await;
    let nine = read_exact().await;
    assert_eq!(shown(&nine), (9, true));
    assert_eq!(["S1", "S2", "S3"].map(|p| proposal(&nine, p)["want_count"].as_u64().unwrap()), [4, 4, 1]);
    // Closed: exact, whatever the step.
    cast(9, "D1").await;
    app.post_empty(&format!("/api/v1/consultations/{id}/close"), Some(&organiser)).await.ok(200);
    let closed = read().await;
    assert_eq!(shown(&closed), (10, true));
    assert_eq!(closed["counted_as_of"]["step"], 1);
    assert_eq!(proposal(&closed, "D1")["want_count"], 1);
}
