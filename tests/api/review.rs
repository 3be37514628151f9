//! Commissioners' review and publishing (issue 15): breakdowns, who got nothing,
//! representativeness, decisions with reasons, the rule lock and fingerprint, the files, the
//! public record, updates, the council's own pages.
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app, worked_example, worked_example_ballots};

/// The worked example, with areas and a second service, voted and closed. Returns (organiser,
/// commissioner, id, receipts).
async fn closed_worked_example(app: &TestApp) -> (String, String, String, Vec<String>) {
    let organiser = app.organiser().await;
    let mut body = worked_example();
    body["areas"] = json!(["North", "South", "East"]);
    let id = app.create_consultation(&organiser, &body).await;
    let codes = app.issue_codes(&organiser, &id, 100).await;
    app.open(&organiser, &id).await;
    let mut receipts = Vec::new();
    for (i, (code, mut ballot)) in codes.iter().zip(worked_example_ballots()).enumerate() {
        ballot["voter_code"] = json!(code);
        // East is named by two ballots only.
        ballot["area"] = json!(if i < 2 {
            "East"
        } else if i % 2 == 0 {
            "North"
        } else {
            "South"
        });
        receipts.push(app.cast(&id, &ballot).await.ok(201)["receipt"].as_str().unwrap().to_owned());
    }
    app.post_empty(&format!("/api/v1/consultations/{id}/close"), Some(&organiser)).await.ok(200);
    let commissioner = app.commissioner().await;
    (organiser, commissioner, id, receipts)
}

async fn decide(app: &TestApp, token: &str, id: &str, body: Value) -> crate::helpers::Response {
    app.post(&format!("/api/v1/consultations/{id}/decisions"), &body, Some(token)).await
}

#[tokio::test]
async fn decisions_need_a_reason_where_they_depart_from_the_result_and_history_is_never_rewritten() {
    let app = spawn_app().await;
    let organiser = app.organiser().await;
    let open = app.create_consultation(&organiser, &worked_example()).await;
    app.open(&organiser, &open).await;
    let commissioner = app.commissioner().await;
    decide(&app, &commissioner, &open, json!({"proposal": "S2", "decision": "adopt"})).await.problem(409);
    let (organiser, commissioner, id, _) = closed_worked_example(&app).await;
    let forbidden = decide(&app, &organiser, &id, json!({"proposal": "S2", "decision": "adopt"})).await;
    // Plain English: "only commissioners can …", never "only commissioner can …".
    assert_eq!(forbidden.problem(403)["detail"], "only commissioners can record decisions");
    // S1 is protected: every decision on it needs a reason.
    let refused = decide(&app, &commissioner, &id, json!({"proposal": "S1", "decision": "reject"})).await;
    assert!(refused.problem_field(422, "reason")["detail"].as_str().unwrap().contains("protected"));
    decide(
        &app,
        &commissioner,
        &id,
        json!({"proposal": "S1", "decision": "reject", "reason": "The day centre stays open, as its users asked."}),
    )
    .await
    .ok(201);
    // S2 was agreed by the count: adopting it needs no reason; rejecting it does.
    assert_eq!(decide(&app, &commissioner, &id, json!({"proposal": "S2", "decision": "adopt"})).await.ok(201)["departs"], false);
    decide(&app, &commissioner, &id, json!({"proposal": "S3", "decision": "reject"})).await.problem_field(422, "reason");
    decide(&app, &commissioner, &id, json!({"proposal": "S3", "decision": "defer"})).await.problem_field(422, "reason");
    // Amending needs the amount, and departs from the result.
    decide(&app, &commissioner, &id, json!({"proposal": "D1", "decision": "amend"})).await.problem_field(422, "amount");
    decide(&app, &commissioner, &id, json!({"proposal": "D1", "decision": "adopt", "amount": 100})).await.problem_field(422, "amount");
    decide(&app, &commissioner, &id, json!({"proposal": "D1", "decision": "amend", "amount": 20000})).await.problem_field(422, "reason");
    let amended =
        decide(&app, &commissioner, &id, json!({"proposal": "D1", "decision": "amend", "amount": 20000, "reason": "A smaller club."}))
            .await;
    assert_eq!((amended.ok(201)["departs"].as_bool(), amended.body["amount"].as_u64()), (Some(true), Some(20000)));
    decide(&app, &commissioner, &id, json!({"proposal": "S9", "decision": "adopt"})).await.problem_field(422, "proposal");
    decide(&app, &commissioner, &id, json!({"proposal": "S2", "decision": "maybe"})).await.problem_field(422, "decision");
    // A change of mind is a new entry; the history keeps the old one.
    decide(&app, &commissioner, &id, json!({"proposal": "S3", "decision": "adopt"})).await.ok(201);
    decide(&app, &commissioner, &id, json!({"proposal": "S2", "decision": "reject", "reason": "Parks matter more than we thought."}))
        .await
        .ok(201);
    let view = app.get(&format!("/api/v1/consultations/{id}/decisions"), Some(&commissioner)).await.ok(200).clone();
    let history: Vec<(&str, &str)> =
        view["history"].as_array().unwrap().iter().map(|d| (d["proposal"].as_str().unwrap(), d["decision"].as_str().unwrap())).collect();
    assert_eq!(history, [("S1", "reject"), ("S2", "adopt"), ("D1", "amend"), ("S3", "adopt"), ("S2", "reject")]);
    let current: Vec<(&str, &str)> =
        view["current"].as_array().unwrap().iter().map(|d| (d["proposal"].as_str().unwrap(), d["decision"].as_str().unwrap())).collect();
    assert_eq!(current, [("S1", "reject"), ("S2", "reject"), ("S3", "adopt"), ("D1", "amend")]);
    assert!(view["history"][0]["decided_by"].as_str().unwrap().starts_with("commissioner-"));
    // The budget as decided: S3 (40,000) saved against 80,000; D1 amended to 20,000 of 30,000.
    assert_eq!(view["budget"]["savings_decided"], 40000);
    assert_eq!(view["budget"]["savings_shortfall"], 40000);
    assert_eq!(view["budget"]["spending_decided"], 20000);
    assert_eq!(view["budget"]["undecided"], 0);
}

#[tokio::test]
async fn breakdowns_who_got_nothing_and_representativeness_show_no_small_group() {
    let app = spawn_app().await;
    let (organiser, commissioner, id, _) = closed_worked_example(&app).await;
    app.put(
        &format!("/api/v1/consultations/{id}/population"),
        &json!({"areas": {"North": 1000, "South": 1000, "East": 8000}, "services": {"day-centre": 40}}),
        Some(&organiser),
    )
    .await
    .ok(200);
    app.put(&format!("/api/v1/consultations/{id}/population"), &json!({"areas": {"Mars": 1}}), Some(&organiser))
        .await
        .problem_field(422, "areas.Mars");
    let view = app.get(&format!("/api/v1/consultations/{id}/breakdowns"), Some(&commissioner)).await.ok(200).clone();
    let b = &view["breakdowns"];
    let m = 5;
    for key in ["by_channel", "by_area"] {
        let groups = b[key].as_array().unwrap();
        assert_eq!(groups.iter().map(|g| g["ballots"].as_u64().unwrap()).sum::<u64>(), 100);
        assert!(groups.iter().all(|g| g["ballots"].as_u64().unwrap() >= m), "{key}: {groups:?}");
    }
    assert!(!b.to_string().contains("East"), "East (two ballots) is not a group");
    let s1 = b["by_users"].as_array().unwrap().iter().find(|s| s["id"] == "S1").unwrap();
    assert_eq!((s1["users"]["ballots"].as_u64(), s1["others"]["ballots"].as_u64()), (Some(10), Some(90)));
    assert_eq!(s1["users"]["rejecting"], 10);
    // Who got nothing: everyone, then the groups, worst served first.
    let everyone = &view["satisfaction"]["everyone"];
    assert_eq!(everyone["ballots"], 100);
    assert!(everyone["wish_granted"]["percent"].as_f64().unwrap() > 0.0);
    let groups = view["satisfaction"]["groups"].as_array().unwrap();
    let worst = |g: &Value| {
        ["wish_granted", "first_dont_want_spared"].iter().filter_map(|k| g[*k]["percent"].as_f64()).fold(f64::INFINITY, f64::min)
    };
    assert!(groups.windows(2).all(|w| worst(&w[0]) <= worst(&w[1])), "worst served first");
    assert!(groups.iter().any(|g| g["kind"] == "users" && g["label"] == "day-centre"));
    // East has 80 % of the people but at most 4 of 100 ballots: under-represented.
    let rep = &view["representativeness"];
    let east = rep["areas"].as_array().unwrap().iter().find(|a| a["area"] == "East").unwrap();
    assert_eq!(
        (east["ballots"].clone(), east["fewer_than"].as_u64(), east["under_represented"].as_bool()),
        (Value::Null, Some(5), Some(true))
    );
    let north = rep["areas"].as_array().unwrap().iter().find(|a| a["area"] == "North").unwrap();
    assert_eq!(north["under_represented"], false);
    assert_eq!(rep["services"][0]["users_who_voted"], 10);
    assert_eq!(rep["services"][0]["turnout_percent"], 25.0);
    // Not public before publication; nothing at all while voting is open.
    app.get(&format!("/api/v1/consultations/{id}/breakdowns"), None).await.problem(401);
}

#[tokio::test]
async fn the_rules_are_locked_once_voting_opens_and_their_fingerprint_follows_them() {
    let app = spawn_app().await;
    let organiser = app.organiser().await;
    let id = app.create_consultation(&organiser, &worked_example()).await;
    async fn fingerprint_of(app: &TestApp, token: &str, id: &str) -> String {
        app.get(&format!("/api/v1/consultations/{id}"), Some(token)).await.ok(200)["fingerprint"].as_str().unwrap().to_owned()
    }
    let first = fingerprint_of(&app, &organiser, &id).await;
    assert_eq!(first.len(), 64);
    assert_eq!(fingerprint_of(&app, &organiser, &id).await, first, "stable");
    // Any setting, amount or title changes it.
    for (path, body) in [
        (format!("/api/v1/consultations/{id}"), json!({"settings": {"min_group": 6}})),
        (format!("/api/v1/consultations/{id}"), json!({"budget": {"savings_target": 80001}})),
        (format!("/api/v1/consultations/{id}/proposals/S2"), json!({"kind": "saving", "title": "Cut park grass monthly", "amount": 50001})),
    ] {
        let before = fingerprint_of(&app, &organiser, &id).await;
        let r = if path.ends_with("S2") {
            app.put(&path, &body, Some(&organiser)).await
        } else {
            app.patch(&path, &body, Some(&organiser)).await
        };
        r.ok(200);
        assert_ne!(fingerprint_of(&app, &organiser, &id).await, before, "{path} {body}");
    }
    // Once open: no setting and no proposal can change.
    app.open(&organiser, &id).await;
    let locked = fingerprint_of(&app, &organiser, &id).await;
    app.patch(&format!("/api/v1/consultations/{id}"), &json!({"settings": {"min_group": 7}}), Some(&organiser)).await.problem(409);
    app.post(&format!("/api/v1/consultations/{id}/proposals"), &json!({"kind": "saving", "title": "Late", "amount": 1}), Some(&organiser))
        .await
        .problem(409);
    app.delete(&format!("/api/v1/consultations/{id}/proposals/S3"), Some(&organiser)).await.problem(409);
    let code = app.issue_codes(&organiser, &id, 1).await;
    app.cast(&id, &json!({"voter_code": code[0], "want": ["S1"]})).await.ok(201);
    app.post_empty(&format!("/api/v1/consultations/{id}/close"), Some(&organiser)).await.ok(200);
    // The results, the file of ballots and the consultation carry the same fingerprint.
    let results = app.get(&format!("/api/v1/consultations/{id}/results"), Some(&organiser)).await.ok(200).clone();
    assert_eq!(results["fingerprint"], json!(locked));
    assert_eq!(results["consultation"]["fingerprint"], json!(locked));
    let export = app.get(&format!("/api/v1/consultations/{id}/export"), Some(&organiser)).await.text;
    let election = pbvote::tally::exchange::parse(export.as_bytes()).unwrap();
    assert_eq!(election.rules_fingerprint(), locked, "anyone can recompute it from the file");
}

#[tokio::test]
async fn the_files_carry_their_sha256_and_hold_no_small_cell() {
    let app = spawn_app().await;
    let (_, commissioner, id, _) = closed_worked_example(&app).await;
    decide(&app, &commissioner, &id, json!({"proposal": "S1", "decision": "reject", "reason": "Kept open."})).await.ok(201);
    for (file, starts) in [
        ("results.csv", "id,title,kind,amount"),
        ("breakdowns.csv", "by,group,ballots,proposal"),
        ("decisions.csv", "decided_at,proposal,title,decision"),
        ("ballots.pb", "META\nkey;value\n"),
    ] {
        let r = app.get(&format!("/api/v1/consultations/{id}/files/{file}"), Some(&commissioner)).await;
        assert_eq!(r.status, 200, "{file}: {}", r.text);
        assert!(r.text.starts_with(starts), "{file}: {}", &r.text[..r.text.len().min(80)]);
        let sha = r.headers.get("x-content-sha256").unwrap().to_str().unwrap().to_owned();
        assert_eq!(sha, pbvote::review_files::sha256(&r.text), "{file}");
        assert!(!r.text.contains("East"), "{file} names East (two ballots)");
    }
    let results = app.get(&format!("/api/v1/consultations/{id}/files/results.csv"), Some(&commissioner)).await;
    assert_eq!(results.text.lines().count(), 5, "a header and four proposals");
    let pb = app.get(&format!("/api/v1/consultations/{id}/files/ballots.pb"), Some(&commissioner)).await.text.clone();
    // East's two ballots are given only as sums (with three more, so the sums hold five):
    // the pabulib file lists the other 95.
    assert!(
        pb.contains("num_votes;95\n") && pb.contains("vote_type;ordinal\n") && pb.contains("\nS1;80000;Close the day centre;saving\n"),
        "{pb}"
    );
    assert!(pb.contains("5 ballots given only as sums"), "{pb}");
    app.get(&format!("/api/v1/consultations/{id}/files/other.txt"), Some(&commissioner)).await.problem(404);
    app.get(&format!("/api/v1/consultations/{id}/files/results.csv"), None).await.problem(401);
}

#[tokio::test]
async fn the_public_record_reads_without_javascript_and_checks_receipts() {
    let app = spawn_app().await;
    let (organiser, commissioner, id, receipts) = closed_worked_example(&app).await;
    // Not public before publication.
    let hidden = app.get(&format!("/published/{id}"), None).await;
    assert_eq!((hidden.status, hidden.content_type.as_str()), (404, "application/problem+json"));
    decide(
        &app,
        &commissioner,
        &id,
        json!({"proposal": "S1", "decision": "reject", "reason": "The day centre stays open, as its users asked."}),
    )
    .await
    .ok(201);
    decide(&app, &commissioner, &id, json!({"proposal": "S2", "decision": "reject", "reason": "Parks matter to everyone."})).await.ok(201);
    app.post_empty(&format!("/api/v1/consultations/{id}/publish"), Some(&commissioner)).await.ok(200);
    // Updates come after publication.
    app.post(
        &format!("/api/v1/consultations/{id}/updates"),
        &json!({"proposal": "D1", "status": "started", "progress": 30, "note": "Builders are in."}),
        Some(&commissioner),
    )
    .await
    .ok(201);
    app.post(
        &format!("/api/v1/consultations/{id}/updates"),
        &json!({"proposal": "S3", "status": "done", "saved": {"year": 2027, "amount": 41000}}),
        Some(&commissioner),
    )
    .await
    .ok(201);
    app.post(
        &format!("/api/v1/consultations/{id}/updates"),
        &json!({"proposal": "D1", "status": "done", "saved": {"year": 2027, "amount": 1}}),
        Some(&commissioner),
    )
    .await
    .problem_field(422, "saved");
    app.post(
        &format!("/api/v1/consultations/{id}/updates"),
        &json!({"proposal": "D1", "status": "done", "progress": 101}),
        Some(&commissioner),
    )
    .await
    .problem_field(422, "progress");
    app.post(&format!("/api/v1/consultations/{id}/updates"), &json!({"proposal": "D1", "status": "done"}), Some(&organiser))
        .await
        .problem(403);

    let list = app.get("/published/", None).await;
    assert_eq!((list.status, list.content_type.as_str()), (200, "text/html"));
    assert!(list.text.contains(&format!("/published/{id}")) && list.text.contains("Decisions last recorded on"));
    let page = app.get(&format!("/published/{id}"), None).await;
    assert_eq!((page.status, page.content_type.as_str()), (200, "text/html"));
    let html = &page.text;
    for section in ["We asked", "You said", "We did", "What has happened since", "Check the count yourself", "Check your receipt"] {
        assert!(html.contains(section), "the page has {section}");
    }
    assert!(!html.contains("<script"), "the record needs no script");
    assert!(html.contains("Close the day centre") && html.contains("The day centre stays open, as its users asked."));
    assert!(html.contains("This decision differs from the result of the vote."), "S2 was agreed by the count and rejected");
    assert!(html.contains("Builders are in.") && html.contains("£410 saved in 2027"));
    assert!(html.contains("What protection changed"));
    // The codes given out, against which the votes can be read.
    assert!(
        html.contains("Voter codes given out: <strong>100</strong> (100 by letter, 0 at meetings); 0 of them made after voting opened."),
        "the codes given out are on the page"
    );
    assert!(!html.contains("commissioner-"), "no member of staff is named");
    assert!(!html.contains(">East"), "East (two ballots) is not shown");
    let results = app.get(&format!("/api/v1/consultations/{id}/results"), None).await.ok(200).clone();
    let short = pbvote::results::short_fingerprint(results["fingerprint"].as_str().unwrap());
    assert!(html.contains(&short), "the fingerprint {short} is on the page");
    let export = app.get(&format!("/api/v1/consultations/{id}/export"), None).await.text.clone();
    assert!(html.contains(&pbvote::review_files::sha256(&export)), "the ballots file's SHA-256 is on the page");
    // Receipts, without JavaScript: every receipt answers, the first as the last.
    for receipt in [&receipts[0], &receipts[99]] {
        let checked = app.get(&format!("/published/{id}?receipt={receipt}"), None).await;
        assert!(checked.text.contains("arrived and is in this count"), "{receipt}");
    }
    assert!(app.get(&format!("/published/{id}?receipt=R-2222-2222-2222-2222"), None).await.text.contains("could not find"));
    assert!(app.get(&format!("/published/{id}?receipt=nonsense"), None).await.text.contains("That is not a receipt"));
}

/// The recount the public record promises: the ballots file linked from the page (checked
/// against the SHA-256 printed beside it), counted by the `pbvote tally` program, gives what
/// the server published for every proposal, explanations included.
#[tokio::test]
async fn the_published_ballots_file_recounts_with_the_pbvote_program_to_the_published_result() {
    let app = spawn_app().await;
    let (_, commissioner, id, _) = closed_worked_example(&app).await;
    app.post_empty(&format!("/api/v1/consultations/{id}/publish"), Some(&commissioner)).await.ok(200);
    let html = app.get(&format!("/published/{id}"), None).await.text.clone();
    // The link under "Check the count yourself" and the SHA-256 printed under it.
    let files = &html[html.find("class=\"files\"").expect("the files list")..];
    let href = files.split("href=\"").nth(1).and_then(|rest| rest.split('"').next()).expect("a link to the ballots file");
    let sha = files.split("class=\"sha\">").nth(1).and_then(|rest| rest.split('<').next()).expect("its SHA-256");
    let file = app.get(&href.replace("&amp;", "&"), None).await;
    assert_eq!(file.status, 200, "{href}");
    assert_eq!(pbvote::review_files::sha256(&file.text), sha, "the file is the one the page names");

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ballots.json");
    std::fs::write(&path, &file.text).unwrap();
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_pbvote"))
        .arg("tally")
        .arg(&path)
        .env_remove("DATABASE_URL")
        .env("PBVOTE_LOG", "warn")
        .output()
        .expect("run pbvote tally");
    assert!(run.status.success(), "pbvote tally failed: {}", String::from_utf8_lossy(&run.stderr));
    let recount: Value = serde_json::from_slice(&run.stdout).expect("pbvote tally prints JSON");
    let published = app.get(&format!("/api/v1/consultations/{id}/results"), None).await.ok(200).clone();
    assert_eq!(recount["summary"], published["summary"]);
    let recounted = recount["proposals"].as_array().unwrap();
    assert_eq!(recounted.len(), published["proposals"].as_array().unwrap().len());
    for p in recounted {
        let served = published["proposals"].as_array().unwrap().iter().find(|q| q["id"] == p["id"]).unwrap();
        assert!(p["explanation"].as_str().is_some_and(|e| !e.is_empty()), "an explanation for {}", p["id"]);
        for (key, value) in p.as_object().unwrap() {
            assert_eq!(&served[key], value, "{key} of {}", p["id"]);
        }
    }
}

#[tokio::test]
async fn a_shortfall_is_shown_with_the_savings_that_would_close_it() {
    let app = spawn_app().await;
    let organiser = app.organiser().await;
    let mut body = worked_example();
    body["budget"]["savings_target"] = json!(150000);
    body["settings"]["min_group"] = json!(1);
    let id = app.create_consultation(&organiser, &body).await;
    let codes = app.issue_codes(&organiser, &id, 100).await;
    app.open(&organiser, &id).await;
    for (code, mut ballot) in codes.iter().zip(worked_example_ballots()) {
        ballot["voter_code"] = json!(code);
        app.cast(&id, &ballot).await.ok(201);
    }
    app.post_empty(&format!("/api/v1/consultations/{id}/close"), Some(&organiser)).await.ok(200);
    let results = app.get(&format!("/api/v1/consultations/{id}/results"), Some(&organiser)).await.ok(200).clone();
    // S3 and S2 are agreed (90,000); S1 is protected: 60,000 short, and S1 would close it.
    assert_eq!(results["summary"]["shortfall"], 60000);
    let closing = results["closing_the_shortfall"].as_array().unwrap();
    assert_eq!(closing.len(), 1);
    assert_eq!(
        (closing[0]["id"].as_str(), closing[0]["protected"].as_bool(), closing[0]["savings_then"].as_u64()),
        (Some("S1"), Some(true), Some(170000))
    );
}

#[tokio::test]
async fn the_council_is_named_on_every_page_and_an_unknown_address_gets_a_page_of_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let logo = dir.path().join("logo.svg");
    std::fs::write(&logo, "<svg xmlns=\"http://www.w3.org/2000/svg\"/>").unwrap();
    let app = crate::helpers::spawn_app_with(|s| {
        s.council = pbvote::config::Council {
            name: "Riverside Borough Council".into(),
            logo: Some(logo.clone()),
            privacy_url: Some("https://riverside.example/privacy".into()),
            contact: Some("budget@riverside.example".into()),
        };
    })
    .await;
    let council = app.get("/api/v1/council", None).await.ok(200).clone();
    assert_eq!(
        council,
        json!({"name": "Riverside Borough Council", "logo_url": "/council/logo", "privacy_url": "https://riverside.example/privacy", "contact": "budget@riverside.example"})
    );
    let logo = app.get("/council/logo", None).await;
    assert_eq!((logo.status, logo.content_type.as_str()), (200, "image/svg+xml"));
    let list = app.get("/published/", None).await;
    assert!(
        list.text.contains("Riverside Borough Council")
            && list.text.contains("https://riverside.example/privacy")
            && list.text.contains("budget@riverside.example")
    );
    let missing = app.get("/no-such-page.html", None).await;
    assert_eq!((missing.status, missing.content_type.as_str()), (404, "text/html"));
    assert!(missing.text.contains("Page not found"));
    // The council's frame is there without JavaScript too.
    assert!(
        missing.text.contains("<span class=\"site-name__council\">Riverside Borough Council</span>")
            && missing.text.contains("https://riverside.example/privacy")
            && missing.text.contains("budget@riverside.example"),
        "{}",
        missing.text
    );
    // API addresses still answer with a problem document.
    app.get("/api/v1/no-such-route", None).await.problem(404);
}
