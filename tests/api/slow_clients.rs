//! A client that sends its body a byte at a time does not hold a connection for ever: the
//! whole body must arrive within `PBVOTE_BODY_TIMEOUT_SECONDS`, or the answer is 408 and
//! the connection is closed.
use std::time::{Duration, Instant};

use serde_json::json;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

use crate::helpers::{open_consultation, spawn_app_with};

#[tokio::test]
async fn a_body_trickled_a_byte_at_a_time_gets_408_and_the_connection_closes() {
    let app = spawn_app_with(|s| s.body_timeout = Duration::from_secs(1)).await;
    let (_, id, codes) = open_consultation(&app, 1).await;
    let body = json!({"voter_code": codes[0], "want": ["S1"]}).to_string();
    let head = format!(
        "POST /api/v1/consultations/{id}/ballots HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    let stream = TcpStream::connect(app.address.trim_start_matches("http://")).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    writer.write_all(head.as_bytes()).await.unwrap();
    // One byte every 200 ms: the whole body would take about ten seconds.
    let started = Instant::now();
    let trickle = tokio::spawn(async move {
        let mut sent = 0;
        for byte in body.as_bytes() {
            if writer.write_all(&[*byte]).await.is_err() {
                break;
            }
            sent += 1;
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        sent
    });
    // Everything the server says, up to the moment it closes the connection.
    let mut answer = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(8), reader.read_to_end(&mut answer)).await;
    let answer = String::from_utf8_lossy(&answer).into_owned();
    assert!(closed.is_ok(), "the server kept the connection open for 8 s of a trickled body; it said: {answer:?}");
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.to_ascii_lowercase().contains("content-type: application/problem+json"), "{answer}");
    assert!(answer.contains("urn:pbvote:problem:request-timeout"), "{answer}");
    assert!(answer.to_ascii_lowercase().contains("connection: close"), "the answer says the connection closes: {answer}");
    assert!(started.elapsed() < Duration::from_secs(5), "the 408 came after {:?}", started.elapsed());
    trickle.abort();
    // Nothing of the ballot was stored, and the code still works.
    let ballot = app.cast(&id, &json!({"voter_code": codes[0], "want": ["S1"]})).await;
    ballot.ok(201);
}
