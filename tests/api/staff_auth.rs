//! Staff routes check the session token before they read the body: a made-up token gets
//! 401 whatever is sent with it, never a 400 or 422 that tells a stranger about the body.
use serde_json::Value;

use crate::helpers::spawn_app;

/// Every operation of the OpenAPI document that needs a bearer token and takes a body, as
/// (method, path with its parameters filled in).
fn staff_routes_with_a_body(doc: &Value) -> Vec<(String, String)> {
    let id = uuid::Uuid::new_v4().to_string();
    let mut routes = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let needs_token = operation["security"].as_array().is_some_and(|s| s.iter().any(|r| r.get("bearer").is_some()));
            let anyone = operation["security"].as_array().is_some_and(|s| s.iter().any(|r| r.as_object().is_some_and(|o| o.is_empty())));
            if needs_token && !anyone && operation.get("requestBody").is_some() {
                let concrete = path
                    .replace("{id}", &id)
                    .replace("{mid}", &id)
                    .replace("{user_id}", &id)
                    .replace("{entry}", &id)
                    .replace("{service_id}", "library")
                    .replace("{proposal_id}", "S1")
                    .replace("{serial}", "0042");
                assert!(!concrete.contains('{'), "a path parameter this test does not fill: {path}");
                routes.push((method.to_uppercase(), concrete));
            }
        }
    }
    routes
}

#[tokio::test]
async fn a_made_up_token_is_refused_before_the_body_is_read() {
    let app = spawn_app().await;
    let doc = app.get("/api/v1/openapi.json", None).await.ok(200).clone();
    let routes = staff_routes_with_a_body(&doc);
    assert!(routes.len() >= 7, "the document lists the staff routes that take a body: {routes:?}");
    // Bodies that would each be refused on their own: missing fields, an unknown field, not
    // JSON at all, not sent as JSON, and a declared length over the limit.
    let too_large = "x".repeat(300 * 1024);
    let bodies = [
        ("{}", "application/json"),
        (r#"{"no such field": 1}"#, "application/json"),
        ("{not json", "application/json"),
        ("count=1", "text/plain"),
        (too_large.as_str(), "application/json"),
    ];
    for (method, path) in &routes {
        for (body, content_type) in bodies {
            let request = app
                .client
                .request(method.parse().unwrap(), format!("{}{path}", app.address))
                .header("content-type", content_type)
                .bearer_auth("made-up-token-made-up-token-made-up")
                .body(body.to_owned());
            let answer = app.send(request).await;
            assert_eq!(
                answer.status,
                401,
                "{method} {path} with a made-up token and the body {:?}: {}",
                body.chars().take(30).collect::<String>(),
                answer.text
            );
            answer.problem(401);
        }
    }
}
