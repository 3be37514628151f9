//! Residents who register themselves by e-mail: the organiser turns it on, a resident gives
//! an address and gets one code there (a local SMTP sink stands in for the mail server),
//! one per address whatever its case; nothing is kept when the mail cannot go, no address
//! is stored, and retention deletes the addresses' hashes.
use pbvote::{config::MailSettings, domain::Role};
use serde_json::{Value, json};

use crate::{
    helpers::{TestApp, spawn_app, spawn_app_with, worked_example},
    smtp_sink::{SmtpSink, free_port, url_for},
};

const FROM: &str = "Riverside Council <vote@riverside.example>";

async fn app_mailing_to(port: u16) -> TestApp {
    spawn_app_with(|s| s.mail = Some(MailSettings::new(&url_for(port), FROM).unwrap())).await
}

fn register_path(id: &str) -> String {
    format!("/api/v1/consultations/{id}/registrations")
}

async fn switch(app: &TestApp, organiser: &str, id: &str, enabled: bool) -> Value {
    let path = format!("/api/v1/consultations/{id}/self-registration");
    app.put(&path, &json!({"enabled": enabled}), Some(organiser)).await.ok(200).clone()
}

/// An open consultation that gives out codes by e-mail; returns (organiser, id).
async fn open_with_self_registration(app: &TestApp) -> (String, String) {
    let organiser = app.organiser().await;
    let id = app.create_consultation(&organiser, &worked_example()).await;
    let shown = switch(app, &organiser, &id, true).await;
    assert_eq!(shown["self_registration"], true, "{shown}");
    app.open(&organiser, &id).await;
    (organiser, id)
}

/// Every stored byte that could hold the address: the SQLite files, or every table's rows
/// on PostgreSQL.
async fn database_holds(app: &TestApp, needle: &str) -> bool {
    if let Some(file) = &app.sqlite_file {
        let mut found = false;
        for suffix in ["", "-wal"] {
            let path = format!("{}{suffix}", file.display());
            if let Ok(bytes) = std::fs::read(&path) {
                found |= bytes.windows(needle.len()).any(|w| w.eq_ignore_ascii_case(needle.as_bytes()));
            }
        }
        return found;
    }
    use sea_orm::{ConnectionTrait, Statement};
    let conn = sea_orm::Database::connect(&app.database_url).await.unwrap();
    let backend = conn.get_database_backend();
    let tables = conn
        .query_all_raw(Statement::from_string(backend, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"))
        .await
        .unwrap();
    let mut found = false;
    for t in tables {
        let name: String = t.try_get("", "table_name").unwrap();
        let rows = conn.query_all_raw(Statement::from_string(backend, format!("SELECT t::text AS row FROM \"{name}\" t"))).await.unwrap();
        for r in rows {
            let row: String = r.try_get("", "row").unwrap_or_default();
            found |= row.to_lowercase().contains(&needle.to_lowercase());
        }
    }
    conn.close().await.ok();
    found
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    use sea_orm::{ConnectionTrait, Statement};
    let conn = sea_orm::Database::connect(&app.database_url).await.unwrap();
    let row = conn.query_one_raw(Statement::from_string(conn.get_database_backend(), sql)).await.unwrap().unwrap();
    let n: i64 = row.try_get_by_index(0).unwrap();
    conn.close().await.ok();
    n
}

#[tokio::test]
async fn a_resident_gets_one_code_by_email_and_votes_with_it() {
    let sink = SmtpSink::start().await;
    let app = app_mailing_to(sink.port).await;
    let admin = app.signed_in(Role::Admin).await;
    let (organiser, id) = open_with_self_registration(&app).await;
    assert_eq!(app.get(&format!("/api/v1/consultations/{id}"), None).await.ok(200)["self_registration"], true);

    let sent = app.post(&register_path(&id), &json!({"email": "  Ann.Jones@Example.ORG "}), None).await;
    let sent = sent.ok(201).clone();
    assert_eq!(sent["consultation_id"], id.as_str());
    assert_eq!(sent.as_object().unwrap().len(), 2, "the answer holds no code: {sent}");
    let mails = sink.mails();
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].to, ["Ann.Jones@example.org"], "sent to the address as given, domain lower-cased");
    assert_eq!(mails[0].from, "vote@riverside.example");
    let text = mails[0].text();
    assert!(text.contains(&format!("/vote.html?c={id}")), "{text}");
    assert!(text.contains("/go#"), "{text}");
    let code = mails[0].code().expect("a voter code in the mail");
    assert!(!sent.to_string().contains(&code));

    // The code votes like any letter's.
    app.cast(&id, &json!({"voter_code": code, "want": ["S1"]})).await.ok(201);

    // The same address in another case: refused, and no second mail.
    let again = app.post(&register_path(&id), &json!({"email": "ann.jones@example.org"}), None).await;
    let detail = again.problem_field(409, "email")["detail"].as_str().unwrap().to_owned();
    assert!(detail.contains("already sent") && detail.contains("spam"), "{detail}");
    assert_eq!(sink.mails().len(), 1, "no second code");

    // Another address gets its own code.
    app.post(&register_path(&id), &json!({"email": "bo@example.org"}), None).await.ok(201);
    assert_eq!(sink.mails().len(), 2);
    assert_ne!(sink.mails()[1].code(), Some(code.clone()));

    // Counted with the other codes, in one batch of kind e-mail made by the organiser.
    let batches = app.get(&format!("/api/v1/consultations/{id}/code-batches"), Some(&organiser)).await.ok(200).clone();
    assert_eq!(batches["email"], 2, "{batches}");
    let email_batches: Vec<&Value> = batches["batches"].as_array().unwrap().iter().filter(|b| b["kind"] == "e-mail").collect();
    assert_eq!(email_batches.len(), 1, "{batches}");
    assert_eq!(email_batches[0]["count"], 2);
    assert!(email_batches[0]["made_by"].as_str().unwrap().starts_with("organiser-"), "{}", email_batches[0]);
    let stats = app.get(&format!("/api/v1/consultations/{id}/voter-codes/stats"), Some(&organiser)).await.ok(200).clone();
    assert_eq!(stats["issued"], 2);
    app.post_empty(&format!("/api/v1/consultations/{id}/close"), Some(&organiser)).await.ok(200);
    let results = app.get(&format!("/api/v1/consultations/{id}/results"), Some(&organiser)).await.ok(200).clone();
    assert_eq!(results["codes"]["email"], 2, "{}", results["codes"]);

    // The organiser's setting is in the audit record; residents' registrations are not.
    let audit = app.get("/api/v1/audit?limit=1000", Some(&admin)).await.ok(200).clone();
    let entries = audit["entries"].as_array().unwrap();
    let setting = entries.iter().find(|e| e["action"] == "consultation.self-registration").expect("the setting is audited");
    assert_eq!(setting["after"]["self_registration"], true);
    assert_eq!(
        entries.iter().filter(|e| e["consultation_id"] == id.as_str()).count(),
        4,
        "create, setting, open, close, and nothing per resident: {audit}"
    );
    assert!(!audit.to_string().to_lowercase().contains("ann.jones"));

    // No address is stored anywhere, in any case.
    for needle in ["ann.jones@example.org", "ann.jones", "bo@example.org"] {
        assert!(!database_holds(&app, needle).await, "{needle} is in the database");
    }
    assert!(!database_holds(&app, &code).await && !database_holds(&app, &code.replace('-', "")).await, "the code is stored");
}

#[tokio::test]
async fn bad_addresses_are_refused_naming_email_and_nothing_is_sent() {
    let sink = SmtpSink::start().await;
    let app = app_mailing_to(sink.port).await;
    let (_, id) = open_with_self_registration(&app).await;
    for bad in ["", "ann", "ann@example", "ann jones@example.org", "ann@@example.org", "ann@example.org\r\nBcc: eve@example.org"] {
        let refused = app.post(&register_path(&id), &json!({"email": bad}), None).await;
        refused.problem_field(422, "email");
    }
    app.post(&register_path(&id), &json!({"mail": "ann@example.org"}), None).await.problem_field(422, "mail");
    app.post(&register_path(&id), &json!({"email": 7}), None).await.problem_field(422, "email");
    app.post_raw(&register_path(&id), "email=ann@example.org", "application/x-www-form-urlencoded", None).await.problem(400);
    assert!(sink.mails().is_empty());
    assert_eq!(count(&app, "SELECT COUNT(*) FROM registrations").await, 0);
}

#[tokio::test]
async fn registration_is_refused_when_off_in_draft_and_once_closed() {
    let sink = SmtpSink::start().await;
    let app = app_mailing_to(sink.port).await;
    let organiser = app.organiser().await;
    let id = app.create_consultation(&organiser, &worked_example()).await;
    // A draft does not exist for residents.
    app.post(&register_path(&id), &json!({"email": "ann@example.org"}), None).await.problem(404);
    app.open(&organiser, &id).await;
    let off = app.post(&register_path(&id), &json!({"email": "ann@example.org"}), None).await;
    assert!(off.problem(409)["detail"].as_str().unwrap().contains("does not give out voter codes by e-mail"), "{}", off.text);
    // Turned on while open, then off again.
    switch(&app, &organiser, &id, true).await;
    app.post(&register_path(&id), &json!({"email": "ann@example.org"}), None).await.ok(201);
    assert_eq!(switch(&app, &organiser, &id, false).await["self_registration"], false);
    app.post(&register_path(&id), &json!({"email": "bo@example.org"}), None).await.problem(409);
    // Only organisers change it; not once voting has closed.
    let commissioner = app.commissioner().await;
    let path = format!("/api/v1/consultations/{id}/self-registration");
    app.put(&path, &json!({"enabled": true}), Some(&commissioner)).await.problem(403);
    app.put(&path, &json!({"enabled": true}), None).await.problem(401);
    app.post_empty(&format!("/api/v1/consultations/{id}/close"), Some(&organiser)).await.ok(200);
    app.put(&path, &json!({"enabled": true}), Some(&organiser)).await.problem(409);
    app.post(&register_path(&id), &json!({"email": "cy@example.org"}), None).await.problem(409);
    app.post(&register_path(&uuid::Uuid::new_v4().to_string()), &json!({"email": "cy@example.org"}), None).await.problem(404);
    assert_eq!(sink.mails().len(), 1);
}

#[tokio::test]
async fn without_email_set_up_it_cannot_be_turned_on() {
    let app = spawn_app().await;
    let organiser = app.organiser().await;
    let id = app.create_consultation(&organiser, &worked_example()).await;
    let path = format!("/api/v1/consultations/{id}/self-registration");
    let refused = app.put(&path, &json!({"enabled": true}), Some(&organiser)).await;
    assert!(refused.problem_field(422, "enabled")["detail"].as_str().unwrap().contains("PBVOTE_SMTP_URL"), "{}", refused.text);
    // Turning it off always works.
    app.put(&path, &json!({"enabled": false}), Some(&organiser)).await.ok(200);
    app.open(&organiser, &id).await;
    app.post(&register_path(&id), &json!({"email": "ann@example.org"}), None).await.problem(409);
}

#[tokio::test]
async fn when_the_mail_server_is_down_nothing_is_kept_and_asking_again_works() {
    let port = free_port();
    let app = app_mailing_to(port).await;
    let (organiser, id) = open_with_self_registration(&app).await;
    let down = app.post(&register_path(&id), &json!({"email": "ann@example.org"}), None).await;
    let detail = down.problem(503)["detail"].as_str().unwrap().to_owned();
    assert!(detail.contains("no code was made") && detail.contains("try again"), "{detail}");
    assert!(down.headers.get("retry-after").is_some());
    assert_eq!(count(&app, "SELECT COUNT(*) FROM registrations").await, 0, "no address kept");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM voter_codes").await, 0, "no code kept");
    let batches = app.get(&format!("/api/v1/consultations/{id}/code-batches"), Some(&organiser)).await.ok(200).clone();
    assert_eq!(batches["email"], 0);
    // The mail server is back: the same address gets its code.
    let sink = SmtpSink::on(port).await;
    app.post(&register_path(&id), &json!({"email": "ann@example.org"}), None).await.ok(201);
    let mails = sink.mails();
    assert_eq!(mails.len(), 1);
    app.cast(&id, &json!({"voter_code": mails[0].code().unwrap(), "want": ["S2"]})).await.ok(201);
}

#[tokio::test]
async fn registrations_are_limited_per_client() {
    let sink = SmtpSink::start().await;
    let app = spawn_app_with(|s| {
        s.mail = Some(MailSettings::new(&sink.url(), FROM).unwrap());
        s.limits.registrations_per_client.max = 2;
    })
    .await;
    let (_, id) = open_with_self_registration(&app).await;
    app.post(&register_path(&id), &json!({"email": "a@example.org"}), None).await.ok(201);
    app.post(&register_path(&id), &json!({"email": "not an address"}), None).await.problem(422);
    let limited = app.post(&register_path(&id), &json!({"email": "c@example.org"}), None).await;
    limited.problem(429);
    assert!(limited.headers.get("retry-after").is_some());
    assert_eq!(sink.mails().len(), 1);
}

/// Retention (`pbvote retention apply`, what PBVOTE_RETENTION_DAYS does every 10 minutes)
/// deletes the addresses' hashes with the voter roll, N days after publishing.
#[tokio::test]
async fn retention_deletes_the_email_hashes() {
    let sink = SmtpSink::start().await;
    let app = app_mailing_to(sink.port).await;
    let admin = app.signed_in(Role::Admin).await;
    let (organiser, id) = open_with_self_registration(&app).await;
    for email in ["ann@example.org", "bo@example.org"] {
        app.post(&register_path(&id), &json!({"email": email}), None).await.ok(201);
    }
    for mail in sink.mails() {
        app.cast(&id, &json!({"voter_code": mail.code().unwrap(), "want": ["S1"]})).await.ok(201);
    }
    app.post_empty(&format!("/api/v1/consultations/{id}/close"), Some(&organiser)).await.ok(200);
    app.post_empty(&format!("/api/v1/consultations/{id}/publish"), Some(&organiser)).await.ok(200);
    let page = app.get(&format!("/published/{id}"), None).await.text.clone();
    assert!(page.contains("2 by e-mail"), "the public record counts the codes sent by e-mail");
    assert!(!page.to_lowercase().contains("ann@example.org"));
    let apply = || app.apply_retention(30);
    assert!(apply().contains("and 0 e-mail addresses"), "just published: kept");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM registrations").await, 2);
    let conn = sea_orm::Database::connect(&app.database_url).await.unwrap();
    use sea_orm::ConnectionTrait;
    conn.execute_unprepared("UPDATE consultations SET published_at = '2020-01-01 00:00:00+00:00' WHERE phase = 'published'").await.unwrap();
    conn.close().await.unwrap();
    let said = apply();
    assert!(said.contains("and 2 e-mail addresses"), "{said}");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM registrations").await, 0);
    let results = app.get(&format!("/api/v1/consultations/{id}/results"), None).await.ok(200).clone();
    assert_eq!(results["summary"]["ballots"], 2, "the ballots are kept");
    let audit = app.get("/api/v1/audit?limit=1000", Some(&admin)).await.ok(200).clone();
    let purge = audit["entries"].as_array().unwrap().iter().find(|e| e["action"] == "retention.delete-roll").expect("recorded").clone();
    assert_eq!(purge["after"]["email_addresses_deleted"], 2);
}

/// Requests for one address at the same moment: the unique index lets one code be stored.
/// Each that passed the first check may have e-mailed a code; only the stored one votes.
#[tokio::test]
async fn simultaneous_requests_for_one_address_store_one_code() {
    let sink = SmtpSink::start().await;
    let app = app_mailing_to(sink.port).await;
    let (_, id) = open_with_self_registration(&app).await;
    let path = register_path(&id);
    let bodies: Vec<Value> = (0..8).map(|i| json!({"email": if i % 2 == 0 { "Cy@Example.org" } else { "cy@example.org" }})).collect();
    let answers = futures::future::join_all(bodies.iter().map(|body| app.post(&path, body, None))).await;
    let created = answers.iter().filter(|a| a.status == 201).count();
    assert_eq!(created, 1, "{:?}", answers.iter().map(|a| (a.status, a.text.clone())).collect::<Vec<_>>());
    for refused in answers.iter().filter(|a| a.status != 201) {
        refused.problem_field(409, "email");
    }
    assert_eq!(count(&app, "SELECT COUNT(*) FROM registrations").await, 1);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM voter_codes").await, 1);
    let mut voted = 0;
    for mail in sink.mails() {
        let cast = app.cast(&id, &json!({"voter_code": mail.code().unwrap(), "want": ["S1"]})).await;
        if cast.status == 201 {
            voted += 1;
        } else {
            cast.problem(422);
        }
    }
    assert_eq!(voted, 1, "one code votes, however many mails went");
}

/// A mail server that refuses the address for good: the resident is told to check it
/// (`422` naming `email`), and nothing is kept.
#[tokio::test]
async fn an_address_the_mail_server_refuses_is_named_and_nothing_is_kept() {
    let sink = SmtpSink::refusing_recipients().await;
    let app = app_mailing_to(sink.port).await;
    let (_, id) = open_with_self_registration(&app).await;
    let refused = app.post(&register_path(&id), &json!({"email": "nobody@example.org"}), None).await;
    assert!(refused.problem_field(422, "email")["detail"].as_str().unwrap().contains("could not deliver"), "{}", refused.text);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM registrations").await, 0);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM voter_codes").await, 0);
    assert!(sink.mails().is_empty());
}
