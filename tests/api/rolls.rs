//! Voter rolls: the council's CSV, previewed, with bad rows named by line and nothing
//! half-imported; one code per person, shown once, as letters and a mail-merge file; and no
//! answer or export that puts a name, address, reference or code beside a ballot.
use pbvote::domain::Role;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app, worked_example};

fn roll_path(id: &str) -> String {
    format!("/api/v1/consultations/{id}/roll")
}

async fn draft(app: &TestApp, token: &str) -> String {
    let mut body = worked_example();
    body["areas"] = json!(["North", "South"]);
    app.create_consultation(token, &body).await
}

#[tokio::test]
async fn bad_rows_are_listed_by_line_and_nothing_is_imported() {
    let app = spawn_app().await;
    let organiser = app.organiser().await;
    let id = draft(&app, &organiser).await;
    let csv = "reference,name,address,area,phone\n\
               R1,Ann Jones,\"1 High St, Riverside\",North,0100\n\
               R2,,2 Low St,North,\n\
               R3,Bo Li,3 Mill Lane,East,\n\
               R1,Cy Day,4 Park Rd,South,\n\
               R5,Di Eve,5 Wood Way,,\n";
    let preview = app.post(&roll_path(&id), &json!({"csv": csv, "preview": true}), Some(&organiser)).await;
    let preview = preview.ok(200);
    assert_eq!(preview["people"], 2);
    assert_eq!(preview["sample"][0]["name"], "Ann Jones");
    assert_eq!(preview["sample"][0]["address"], "1 High St, Riverside");
    let lines: Vec<u64> = preview["problems"].as_array().unwrap().iter().map(|p| p["line"].as_u64().unwrap()).collect();
    assert_eq!(lines, [3, 4, 5]);
    let refused = app.post(&roll_path(&id), &json!({"csv": csv}), Some(&organiser)).await;
    let detail = refused.problem_field(422, "csv")["detail"].as_str().unwrap().to_owned();
    assert!(detail.contains("line 3") && detail.contains("line 4") && detail.contains("line 5"), "{detail}");
    // Nothing was stored: no batch, no codes.
    let batches = app.get(&format!("/api/v1/consultations/{id}/code-batches"), Some(&organiser)).await;
    assert_eq!(batches.ok(200)["batches"].as_array().unwrap().len(), 0);
    assert_eq!(batches.body["letters"], 0);
    // A file without the columns is refused at line 1.
    let wrong = app.post(&roll_path(&id), &json!({"csv": "who,where\nAnn,Here\n", "preview": true}), Some(&organiser)).await;
    assert_eq!(wrong.ok(200)["problems"][0]["line"], 1);
}

#[tokio::test]
async fn each_person_gets_one_code_that_votes_and_a_letter_to_merge() {
    let app = spawn_app().await;
    let organiser = app.organiser().await;
    let id = draft(&app, &organiser).await;
    let csv = "name,address,reference,area\nAnn Jones,1 High St,R1,North\nBo Li,2 Low St,R2,South\n";
    let imported = app.post(&roll_path(&id), &json!({"csv": csv}), Some(&organiser)).await;
    let imported = imported.ok(201).clone();
    assert_eq!(imported["batch"]["kind"], "roll");
    assert_eq!(imported["batch"]["count"], 2);
    let letters = imported["letters"].as_array().unwrap();
    assert_eq!(letters[0]["name"], "Ann Jones");
    assert!(letters[0]["link"].as_str().unwrap().contains("/go#"));
    assert_ne!(letters[0]["code"], letters[1]["code"]);
    // The same reference again is refused, naming the line.
    let again = app
        .post(&roll_path(&id), &json!({"csv": "name,address,reference\nAnn Again,1 High St,R1\nCy Day,3 Mill Lane,R3\n"}), Some(&organiser))
        .await;
    assert!(
        again.problem_field(422, "csv")["detail"].as_str().unwrap().contains("line 2: reference \"R1\" is already on"),
        "{}",
        again.text
    );
    // The mail-merge file.
    let merged = app
        .send(
            app.client
                .post(format!("{}{}?format=csv", app.address, roll_path(&id)))
                .bearer_auth(&organiser)
                .json(&json!({"csv": "name,address,reference\nCy Day,\"3 Mill Lane, Riverside\",R3\n"})),
        )
        .await;
    assert_eq!(merged.status, 201, "{}", merged.text);
    assert_eq!(merged.content_type, "text/csv");
    let mut lines = merged.text.lines();
    assert_eq!(lines.next(), Some("reference,name,address,area,code,short_link"));
    let row = lines.next().unwrap();
    assert!(row.starts_with("R3,Cy Day,\"3 Mill Lane, Riverside\",,"), "{row}");
    // The codes vote.
    app.open(&organiser, &id).await;
    let code = letters[1]["code"].as_str().unwrap();
    app.cast(&id, &json!({"voter_code": code, "want": ["S1"], "area": "South"})).await.ok(201);
    let summary = app.get(&format!("/api/v1/consultations/{id}/code-batches"), Some(&organiser)).await;
    assert_eq!(summary.ok(200)["letters"], 3);
    // Only organisers import rolls.
    let commissioner = app.commissioner().await;
    app.post(&roll_path(&id), &json!({"csv": csv, "preview": true}), Some(&commissioner)).await.problem(403);
}

/// docs/privacy.md: the roll is linked to codes, never to ballots. Nothing anyone can read
/// about the result puts a name, address, reference or code beside a ballot.
#[tokio::test]
async fn no_answer_or_export_puts_the_roll_beside_a_ballot() {
    let app = spawn_app().await;
    let organiser = app.organiser().await;
    let commissioner = app.commissioner().await;
    let admin = app.signed_in(Role::Admin).await;
    let id = draft(&app, &organiser).await;
    let mut csv = String::from("name,address,reference,area\n");
    for i in 0..12 {
        csv.push_str(&format!("Zebedee Quartermain{i},{i} Xylophone Crescent,REFQ{i:03},{}\n", if i % 2 == 0 { "North" } else { "South" }));
    }
    let imported = app.post(&roll_path(&id), &json!({"csv": csv}), Some(&organiser)).await.ok(201).clone();
    let letters = imported["letters"].as_array().unwrap().clone();
    app.open(&organiser, &id).await;
    for (i, letter) in letters.iter().enumerate() {
        let ballot = json!({"voter_code": letter["code"], "want": if i % 3 == 0 { json!(["S1", "D1"]) } else { json!(["S2"]) }, "area": letter["area"]});
        app.cast(&id, &ballot).await.ok(201);
    }
    app.post_empty(&format!("/api/v1/consultations/{id}/close"), Some(&organiser)).await.ok(200);
    let mut texts: Vec<(String, String)> = Vec::new();
    for path in [
        format!("/api/v1/consultations/{id}/results"),
        format!("/api/v1/consultations/{id}/export"),
        format!("/api/v1/consultations/{id}/breakdowns"),
        format!("/api/v1/consultations/{id}/decisions"),
        format!("/api/v1/consultations/{id}/files/results.csv"),
        format!("/api/v1/consultations/{id}/files/breakdowns.csv"),
        format!("/api/v1/consultations/{id}/files/decisions.csv"),
        format!("/api/v1/consultations/{id}/files/ballots.pb"),
        format!("/api/v1/consultations/{id}/code-batches"),
        format!("/api/v1/consultations/{id}/voter-codes/stats"),
    ] {
        let answer = app.get(&path, Some(&commissioner)).await;
        assert_eq!(answer.status, 200, "{path}: {}", answer.text);
        texts.push((path, answer.text.clone()));
    }
    for path in ["/api/v1/audit?limit=1000", "/api/v1/audit/export"] {
        texts.push((path.to_owned(), app.get(path, Some(&admin)).await.text));
    }
    app.post_empty(&format!("/api/v1/consultations/{id}/publish"), Some(&organiser)).await.ok(200);
    for path in [format!("/published/{id}"), format!("/api/v1/consultations/{id}/results"), format!("/api/v1/consultations/{id}/export")] {
        texts.push((path.clone(), app.get(&path, None).await.text));
    }
    for letter in &letters {
        let code = letter["code"].as_str().unwrap();
        let secrets: [&str; 5] = [
            letter["name"].as_str().unwrap(),
            letter["address"].as_str().unwrap(),
            letter["reference"].as_str().unwrap(),
            code,
            &code.replace('-', ""),
        ];
        for (path, text) in &texts {
            for secret in &secrets {
                assert!(!text.contains(secret), "{path} holds {secret:?}");
            }
        }
    }
    // And the words of the roll appear nowhere at all.
    for (path, text) in &texts {
        for word in ["Zebedee", "Quartermain", "Xylophone", "REFQ"] {
            assert!(!text.contains(word), "{path} holds {word}");
        }
    }
    let _: Value = serde_json::from_str(&texts[0].1).unwrap();
}

/// 100,000 people in one import (the time is printed for docs/performance.md; nothing is
/// asserted about it).
#[tokio::test]
async fn a_roll_of_100000_people_imports_in_one_go() {
    const N: usize = 100_000;
    let app = spawn_app().await;
    let organiser = app.organiser().await;
    let id = app.create_consultation(&organiser, &worked_example()).await;
    let mut csv = String::with_capacity(N * 60);
    csv.push_str("reference,name,address,area\n");
    for i in 0..N {
        csv.push_str(&format!("E{i:07},Resident Number {i},\"{i} Long Road, Riverside\",\n"));
    }
    println!("roll file: {} bytes", csv.len());
    let started = std::time::Instant::now();
    let preview = app.post(&roll_path(&id), &json!({"csv": csv, "preview": true}), Some(&organiser)).await;
    let previewed = started.elapsed();
    assert_eq!(preview.ok(200)["people"], N as u64);
    let started = std::time::Instant::now();
    let request =
        app.client.post(format!("{}{}?format=csv", app.address, roll_path(&id))).bearer_auth(&organiser).json(&json!({"csv": csv}));
    let imported = app.send(request).await;
    let took = started.elapsed();
    assert_eq!(imported.status, 201, "{}", &imported.text[..imported.text.len().min(500)]);
    assert_eq!(imported.text.lines().count(), N + 1);
    println!("100,000-row roll: preview {} ms, import with the mail-merge file {} ms", previewed.as_millis(), took.as_millis());
    let summary = app.get(&format!("/api/v1/consultations/{id}/code-batches"), Some(&organiser)).await;
    assert_eq!(summary.ok(200)["letters"], N as u64);
}

/// A returned letter: its code is revoked and the ballot cast with it leaves the count; the
/// person gets a new code. Without the letter's code the old code only stops working.
#[tokio::test]
async fn a_revoked_code_stops_and_its_ballot_leaves_the_count() {
    let app = spawn_app().await;
    let organiser = app.organiser().await;
    let admin = app.signed_in(Role::Admin).await;
    let id = draft(&app, &organiser).await;
    let csv = "name,address,reference\nAnn Jones,1 High St,R1\nBo Li,2 Low St,R2\nCy Day,3 Mill Lane,R3\n";
    let imported = app.post(&roll_path(&id), &json!({"csv": csv}), Some(&organiser)).await.ok(201).clone();
    let code = |i: usize| imported["letters"][i]["code"].as_str().unwrap().to_owned();
    app.open(&organiser, &id).await;
    for i in 0..3 {
        app.cast(&id, &json!({"voter_code": code(i), "want": ["S1"]})).await.ok(201);
    }
    assert_eq!(ballots(&app, &id, &organiser).await, 3);
    let ann = app.get(&format!("{}?reference=R1", roll_path(&id)), Some(&organiser)).await.ok(200).clone();
    assert_eq!(ann["voted"], true);
    let entry = ann["id"].as_str().unwrap();
    let revoke = format!("/api/v1/roll-entries/{entry}/revoke");
    app.post(&revoke, &json!({"reason": "letter returned", "letter_code": code(1)}), Some(&organiser))
        .await
        .problem_field(422, "letter_code");
    app.post(&revoke, &json!({"reason": " ", "letter_code": code(0)}), Some(&organiser)).await.problem_field(422, "reason");
    let done = app
        .post(&revoke, &json!({"reason": "letter returned: moved away", "letter_code": code(0), "replace": true}), Some(&organiser))
        .await;
    let done = done.ok(200).clone();
    assert_eq!(done["ballot_removed"], true);
    assert_eq!(ballots(&app, &id, &organiser).await, 2, "the ballot left the count");
    let refused = app.cast(&id, &json!({"voter_code": code(0), "want": ["S2"]})).await;
    assert!(refused.problem_field(422, "voter_code")["detail"].as_str().unwrap().contains("withdrawn"));
    let new_code = done["letter"]["code"].as_str().unwrap();
    assert_eq!(done["letter"]["name"], "Ann Jones");
    assert_eq!(done["batch"]["after_opening"], true);
    app.cast(&id, &json!({"voter_code": new_code, "want": ["S2"]})).await.ok(201);
    assert_eq!(ballots(&app, &id, &organiser).await, 3);
    // Without the letter's code: the code stops, its ballot cannot be found and stays.
    let bo = app.get(&format!("{}?reference=R2", roll_path(&id)), Some(&organiser)).await.ok(200)["id"].as_str().unwrap().to_owned();
    let done = app.post(&format!("/api/v1/roll-entries/{bo}/revoke"), &json!({"reason": "reported stolen"}), Some(&organiser)).await;
    assert_eq!(done.ok(200)["ballot_removed"], false);
    assert_eq!(done.body["entry"]["revoked"], true);
    app.cast(&id, &json!({"voter_code": code(1), "want": ["S2"]})).await.problem_field(422, "voter_code");
    app.post(&format!("/api/v1/roll-entries/{bo}/revoke"), &json!({"reason": "again"}), Some(&organiser)).await.problem(409);
    // Recorded, without names.
    let audit = app.get("/api/v1/audit?limit=1000", Some(&admin)).await.ok(200).clone();
    let revokes: Vec<&Value> = audit["entries"].as_array().unwrap().iter().filter(|e| e["action"] == "roll.revoke").collect();
    assert_eq!(revokes.len(), 2);
    assert_eq!(revokes[0]["after"]["ballot_removed"], true);
    assert!(!audit.to_string().contains("Ann Jones"));
    // Not once voting has closed.
    app.post_empty(&format!("/api/v1/consultations/{id}/close"), Some(&organiser)).await.ok(200);
    let cy = app.get(&format!("{}?reference=R3", roll_path(&id)), Some(&organiser)).await.ok(200)["id"].as_str().unwrap().to_owned();
    app.post(&format!("/api/v1/roll-entries/{cy}/revoke"), &json!({"reason": "late"}), Some(&organiser)).await.problem(409);
    // The codes given out stand against the roll's size, in the results and the public record.
    let results = app.get(&format!("/api/v1/consultations/{id}/results"), Some(&organiser)).await.ok(200).clone();
    assert_eq!(results["codes"]["roll"], 3, "{}", results["codes"]);
    assert_eq!(results["codes"]["ballots"], 3, "{}", results["codes"]);
    let commissioner = app.commissioner().await;
    app.post_empty(&format!("/api/v1/consultations/{id}/publish"), Some(&commissioner)).await.ok(200);
    let page = app.get(&format!("/published/{id}"), None).await.text.clone();
    assert!(page.contains("People on the voter roll: <strong>3</strong>."), "the roll's size is on the public record");
    assert!(!page.contains("Ann Jones"), "no name on the public record");
}

/// Ballots stored, read from the database: while voting is open no answer gives the exact
/// number (the code batches say `null`), so that nobody can tell when one person voted.
async fn ballots(app: &TestApp, id: &str, organiser: &str) -> u64 {
    let shown = app.get(&format!("/api/v1/consultations/{id}/code-batches"), Some(organiser)).await.ok(200)["ballots"].clone();
    assert!(shown.is_null(), "the exact number of ballots while voting is open: {shown}");
    pbvote::storage::ballots::change_marker(&app.db, id.parse().unwrap()).await.unwrap().0 as u64
}

/// Retention: `pbvote retention apply --days N` (what the server does every 10 minutes
/// with PBVOTE_RETENTION_DAYS) deletes the roll of a consultation published N days ago and
/// keeps the result.
#[tokio::test]
async fn rolls_are_deleted_after_the_retention_period_and_the_result_is_kept() {
    let app = spawn_app().await;
    let organiser = app.organiser().await;
    let admin = app.signed_in(Role::Admin).await;
    let id = draft(&app, &organiser).await;
    let csv = "name,address,reference\nAnn Jones,1 High St,R1\nBo Li,2 Low St,R2\nCy Day,3 Mill Lane,R3\n";
    let imported = app.post(&roll_path(&id), &json!({"csv": csv}), Some(&organiser)).await.ok(201).clone();
    app.open(&organiser, &id).await;
    for letter in imported["letters"].as_array().unwrap() {
        app.cast(&id, &json!({"voter_code": letter["code"], "want": ["S1"]})).await.ok(201);
    }
    app.post_empty(&format!("/api/v1/consultations/{id}/close"), Some(&organiser)).await.ok(200);
    app.post_empty(&format!("/api/v1/consultations/{id}/publish"), Some(&organiser)).await.ok(200);
    let before = app.get(&format!("/api/v1/consultations/{id}/results"), None).await.ok(200).clone();
    let apply = || app.apply_retention(30);
    assert!(apply().contains("deleted 0 people"), "just published: kept");
    app.get(&format!("{}?reference=R1", roll_path(&id)), Some(&organiser)).await.ok(200);
    let conn = sea_orm::Database::connect(&app.database_url).await.unwrap();
    use sea_orm::ConnectionTrait;
    conn.execute_unprepared("UPDATE consultations SET published_at = '2020-01-01 00:00:00+00:00' WHERE phase = 'published'").await.unwrap();
    conn.close().await.unwrap();
    assert!(apply().contains("deleted 3 people"));
    app.get(&format!("{}?reference=R1", roll_path(&id)), Some(&organiser)).await.problem(404);
    let after = app.get(&format!("/api/v1/consultations/{id}/results"), None).await.ok(200).clone();
    assert_eq!(before["proposals"], after["proposals"], "the result is kept");
    assert_eq!(before["summary"]["ballots"], after["summary"]["ballots"]);
    let audit = app.get("/api/v1/audit?limit=1000", Some(&admin)).await.ok(200).clone();
    let purge = audit["entries"].as_array().unwrap().iter().find(|e| e["action"] == "retention.delete-roll").expect("recorded").clone();
    assert_eq!(purge["after"]["people_deleted"], 3);
    if let Some(file) = &app.sqlite_file {
        let bytes = std::fs::read(file).unwrap();
        assert!(!bytes.windows(9).any(|w| w == b"Ann Jones"), "the name is gone from the file (secure_delete)");
    }
}
