//! Text that residents read shows what it says: no direction overrides, no invisible
//! characters, no words that mix look-alike letters of different scripts. Honest text in
//! any script (Welsh accents, Cyrillic, Japanese…) is accepted as it is.
use serde_json::{Value, json};

use crate::helpers::spawn_app;

/// A consultation body with one service and one proposal, each text field given.
fn body(title: &str, area: &str, service_name: &str, proposal_title: &str, summary: &str) -> Value {
    json!({
        "title": title,
        "description": "Tell us what you think.",
        "areas": ["North", area],
        "services": [{"id": "library", "name": service_name, "description": "Books and computers."}],
        "proposals": [{"id": "S1", "kind": "saving", "title": proposal_title, "summary": summary, "amount": 1000, "service": "library"}]
    })
}

const GOOD: [&str; 5] = ["Riverside budget", "South", "Library", "Close the library", "It would close."];

#[tokio::test]
async fn deceptive_text_is_refused_naming_the_field() {
    let app = spawn_app().await;
    let token = app.organiser().await;
    let with = |i: usize, text: &str| {
        let mut parts = GOOD;
        parts[i] = text;
        body(parts[0], parts[1], parts[2], parts[3], parts[4])
    };
    let cases = [
        // A right-to-left override shows "Close the yrarbil" reversed.
        (with(0, "Close the \u{202E}yrarbil"), "title", "U+202E"),
        (with(0, "Riverside \u{2067}budget\u{2069}"), "title", "U+2067"),
        (with(0, "Riverside\u{200F} budget"), "title", "U+200F"),
        (with(1, "So\u{200B}uth"), "areas[1]", "U+200B"),
        (with(1, "South\u{FEFF}"), "areas[1]", "U+FEFF"),
        // A Cyrillic "а" in a Latin word.
        (with(2, "Libr\u{0430}ry"), "services[0].name", "Latin and Cyrillic"),
        (with(3, "Close the libr\u{00AD}ary"), "proposals[0].title", "U+00AD"),
        (with(4, "It would\u{2060} close."), "proposals[0].summary", "U+2060"),
        (with(4, "It would close.\tSoon."), "proposals[0].summary", "tab"),
    ];
    for (request, field, named) in cases {
        let answer = app.post("/api/v1/consultations", &request, Some(&token)).await;
        let problem = answer.problem_field(422, field);
        assert!(problem["detail"].as_str().unwrap().contains(named), "{field}: {}", answer.text);
    }
    let listed = app.get("/api/v1/manage/consultations", Some(&token)).await;
    assert_eq!(listed.ok(200).as_array().unwrap().len(), 0, "nothing was stored: {}", listed.text);

    // The same rules for every route that takes display text.
    let id = app.create_consultation(&token, &json!({"title": "Riverside budget"})).await;
    let base = format!("/api/v1/consultations/{id}");
    let patch = app.patch(&base, &json!({"description": "Vote \u{202D}now"}), Some(&token)).await;
    patch.problem_field(422, "description");
    let patch = app.patch(&base, &json!({"areas": ["Nort\u{0570}"]}), Some(&token)).await;
    patch.problem_field(422, "areas[0]");
    let service = app.post(&format!("{base}/services"), &json!({"name": "Parks\u{200D}"}), Some(&token)).await;
    service.problem_field(422, "name");
    let service =
        app.post(&format!("{base}/services"), &json!({"name": "Parks", "description": "Grass\u{2028}cutting"}), Some(&token)).await;
    service.problem_field(422, "description");
    let proposal = json!({"kind": "development", "title": "New \u{0441}afe", "amount": 5, "details": "More text."});
    app.post(&format!("{base}/proposals"), &proposal, Some(&token)).await.problem_field(422, "title");
    let proposal = json!({"kind": "development", "title": "New cafe", "amount": 5, "details": "Open \u{E0041}late"});
    app.post(&format!("{base}/proposals"), &proposal, Some(&token)).await.problem_field(422, "details");
}

#[tokio::test]
async fn honest_text_in_any_script_is_kept_as_it_is() {
    let app = spawn_app().await;
    let token = app.organiser().await;
    let request = body(
        "Cyllideb Cyngor Gwynedd 2027: ŵyn, ŷd a chân",
        "Київ-Північ",
        "Llyfrgell / Бібліотека",
        "図書館を閉める",
        "Persian: می\u{200C}خواهم. Polish: zażółć gęślą jaźń.",
    );
    let created = app.post("/api/v1/consultations", &request, Some(&token)).await;
    let created = created.ok(201);
    assert_eq!(created["title"], request["title"]);
    assert_eq!(created["areas"], request["areas"]);
    assert_eq!(created["services"][0]["name"], request["services"][0]["name"]);
    assert_eq!(created["proposals"][0]["title"], request["proposals"][0]["title"]);
    assert_eq!(created["proposals"][0]["summary"], request["proposals"][0]["summary"]);
}
