use serde_json::Value;

use crate::helpers::spawn_app;

/// Every documented operation answers (with anything but "no such route"), and the
/// document lists the operations a client needs.
#[tokio::test]
async fn the_openapi_document_matches_the_routes() {
    let app = spawn_app().await;
    let doc = app.get("/api/v1/openapi.json", None).await.ok(200).clone();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    let mut operations = Vec::new();
    for (path, item) in paths {
        for method in item.as_object().unwrap().keys() {
            operations.push((method.to_uppercase(), path.clone()));
        }
    }
    for expected in [
        ("POST", "/api/v1/auth/sign-in"),
        ("GET", "/api/v1/consultations"),
        ("POST", "/api/v1/consultations"),
        ("GET", "/api/v1/consultations/{id}"),
        ("PATCH", "/api/v1/consultations/{id}"),
        ("POST", "/api/v1/consultations/{id}/open"),
        ("POST", "/api/v1/consultations/{id}/ballots"),
        ("POST", "/api/v1/consultations/{id}/voter-codes"),
        ("GET", "/api/v1/consultations/{id}/results"),
        ("GET", "/api/v1/consultations/{id}/export"),
        ("GET", "/api/v1/receipts/{receipt}"),
        ("GET", "/health"),
        ("GET", "/ready"),
    ] {
        assert!(operations.iter().any(|(m, p)| m == expected.0 && p == expected.1), "{expected:?} is documented");
    }
    let id = uuid::Uuid::new_v4().to_string();
    for (method, path) in &operations {
        let concrete = path
            .replace("{id}", &id)
            .replace("{service_id}", "x")
            .replace("{proposal_id}", "x")
            .replace("{receipt}", "R-2222-2222-2222-2222");
        let request = app.client.request(method.parse().unwrap(), format!("{}{}", app.address, concrete));
        let response = app.send(request).await;
        let detail = response.body["detail"].as_str().unwrap_or("");
        assert!(!detail.contains("no such API route"), "{method} {path} is documented but not routed");
        assert!(response.status < 500, "{method} {path} answered {}", response.status);
    }
    // Every path parameter is described.
    for (path, item) in paths {
        for op in item.as_object().unwrap().values() {
            let documented: Vec<&str> = op["parameters"].as_array().map(|ps| ps.iter().filter_map(|p| p["name"].as_str()).collect()).unwrap_or_default();
            for segment in path.split('/').filter(|s| s.starts_with('{')) {
                let name = segment.trim_matches(|c| c == '{' || c == '}');
                assert!(documented.contains(&name), "{path}: parameter {name} is documented");
            }
        }
    }
    let _: &Value = &doc["components"]["securitySchemes"]["bearer"];
    assert_eq!(doc["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
    assert_eq!(app.get("/api/docs", None).await.status, 200);
}
