//! What the server writes to its text log, read from the real binary's output:
//!
//! - a client cannot add fields of its own to a log line through a header (the User-Agent
//!   is not logged, and what is logged from the request is escaped);
//! - a refused ballot's log line names the problem, never the ballot's contents, beside the
//!   client's address;
//! - a resident's e-mail address (asking for a code by e-mail) is never logged, whether the
//!   mail goes, cannot go, or the address is refused.
mod common;
#[path = "api/smtp_sink.rs"]
mod smtp_sink;

use std::time::Duration;

use common::*;
use serde_json::json;

#[tokio::test]
async fn clients_cannot_write_into_the_log_and_refused_ballots_are_not_logged() {
    let db = TestDb::sqlite();
    let server = Server::spawn_with(&db.url, 0, &[("PBVOTE_LOG", "info"), ("PBVOTE_LOG_FORMAT", "text")]).ready().await;
    let api = Api::new(&server);
    let setup = set_up_consultation(&db.url, &api, 2).await;

    // A made-up field, hidden in a header value and in the path.
    let forged = "curl/8.0 http.status_code=200 forged_by_client=yes\tuser=admin";
    let answer = api
        .client
        .get(api.url("/api/v1/consultations/00000000-0000-0000-0000-000000000000?x=%20forged_in_query=yes"))
        .header("User-Agent", forged)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status().as_u16(), 404);

    // Ballots refused for their contents: a proposal id that is not on the paper (the
    // problem's detail names it), a service that is not, an area that is not.
    let secret = "ZQX-SECRET-CHOICE";
    for ballot in [json!({"want": ["S1", secret]}), json!({"want": ["S1"], "uses": [secret]}), json!({"want": ["S2"], "area": secret})] {
        let refused = api.cast(&setup.consultation, &setup.codes[0], &ballot).await;
        let Outcome::Answer(refused) = refused else { panic!("no answer: {refused:?}") };
        assert_eq!(refused.status, 422, "{}", refused.text);
        assert!(refused.text.contains(secret), "the resident is told which choice was wrong: {}", refused.text);
    }

    // Let the log lines arrive.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let log = without_colours(&server.log());
    for made_up in ["forged_by_client=yes", "forged_in_query=yes", "user=admin"] {
        // A field of its own: after a space or tab, as the log separates fields.
        let forged: Vec<&str> = log.lines().filter(|l| l.contains(&format!(" {made_up}")) || l.contains(&format!("\t{made_up}"))).collect();
        assert!(forged.is_empty(), "a client wrote {made_up:?} into the log as a field of its own: {forged:#?}");
    }
    assert!(!log.contains("curl/8.0"), "the User-Agent is not logged:\n{log}");
    let leaked: Vec<&str> = log.lines().filter(|l| l.contains(secret)).collect();
    assert!(leaked.is_empty(), "refused ballots' contents are in the log: {leaked:#?}");
    // The refusals are still logged, by kind, so an operator sees them.
    let refusals: Vec<&str> = log.lines().filter(|l| l.contains("/ballots") && l.contains("invalid-field")).collect();
    assert_eq!(refusals.len(), 3, "each refused ballot has a log line naming the problem:\n{log}");
    assert!(log.lines().any(|l| l.contains("not-found") && l.contains("404")), "the 404 is logged:\n{log}");
}

#[tokio::test]
async fn residents_email_addresses_are_not_logged() {
    let db = TestDb::sqlite();
    let port = smtp_sink::free_port();
    let smtp = smtp_sink::url_for(port);
    let settings =
        [("PBVOTE_LOG", "debug"), ("PBVOTE_LOG_FORMAT", "text"), ("PBVOTE_SMTP_URL", &smtp), ("PBVOTE_MAIL_FROM", "vote@council.example")];
    let server = Server::spawn_with(&db.url, 0, &settings).ready().await;
    let api = Api::new(&server);
    let setup = set_up_consultation(&db.url, &api, 1).await;
    let switched = api
        .client
        .put(api.url(&format!("/api/v1/consultations/{}/self-registration", setup.consultation)))
        .bearer_auth(&setup.organiser)
        .json(&json!({"enabled": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(switched.status().as_u16(), 200);
    let register = |email: &'static str| {
        let request =
            api.client.post(api.url(&format!("/api/v1/consultations/{}/registrations", setup.consultation))).json(&json!({"email": email}));
        async move { request.send().await.unwrap().status().as_u16() }
    };
    // The mail server is down, then up; the address again; a refused one.
    assert_eq!(register("Leak.Probe@Example.ORG").await, 503);
    let sink = smtp_sink::SmtpSink::on(port).await;
    assert_eq!(register("Leak.Probe@Example.ORG").await, 201);
    assert_eq!(register("leak.probe@example.org").await, 409);
    assert_eq!(register("leak probe@example.org").await, 422);
    assert_eq!(sink.mails().len(), 1);

    tokio::time::sleep(Duration::from_millis(500)).await;
    let log = without_colours(&server.log()).to_lowercase();
    assert!(log.contains("an e-mail could not be sent"), "the failure is logged, by its kind:\n{log}");
    let leaked: Vec<&str> =
        log.lines().filter(|l| l.contains("leak.probe") || l.contains("leak probe") || l.contains("leak%20probe")).collect();
    assert!(leaked.is_empty(), "a resident's e-mail address is in the log: {leaked:#?}");
}

/// The log without its terminal colour codes (`ESC [ … m`).
fn without_colours(log: &str) -> String {
    let mut out = String::with_capacity(log.len());
    let mut chars = log.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c == 'm' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}
