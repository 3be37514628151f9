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
            let documented: Vec<&str> =
                op["parameters"].as_array().map(|ps| ps.iter().filter_map(|p| p["name"].as_str()).collect()).unwrap_or_default();
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

/// The bounds the document gives for request fields are the server's own: at each bound
/// the value is accepted, one step past it is refused with 422 naming the field. (The
/// schema attributes are literals beside the domain types' constants; this keeps the two
/// from drifting apart.)
#[tokio::test]
async fn the_documented_bounds_are_the_bounds_the_server_keeps() {
    use serde_json::json;
    let app = spawn_app().await;
    let token = app.organiser().await;
    let doc = app.get("/api/v1/openapi.json", None).await.ok(200).clone();
    // Service-user codes on: `IssueCodesRequest.service` names the longest service id probed.
    let draft = app.create_consultation(&token, &json!({"title": "Bounds", "settings": {"service_users": "declared_or_verified"}})).await;
    let (proposals, services, codes) = (
        format!("/api/v1/consultations/{draft}/proposals"),
        format!("/api/v1/consultations/{draft}/services"),
        format!("/api/v1/consultations/{draft}/voter-codes"),
    );
    // (where to send it, the schema, a valid body, where in the body the schema's object is)
    let cases = [
        ("/api/v1/consultations", "CreateConsultationRequest", json!({"title": "Bounds"}), None),
        ("/api/v1/consultations", "SettingsRequest", json!({"title": "Bounds", "settings": {}}), Some("settings")),
        ("/api/v1/consultations", "BudgetRequest", json!({"title": "Bounds", "budget": {}}), Some("budget")),
        // Services first: the longest service id probed is the one the proposals then name.
        (services.as_str(), "ServiceRequest", json!({"name": "A service"}), None),
        (proposals.as_str(), "ProposalRequest", json!({"kind": "saving", "title": "A saving", "amount": 1}), None),
        (codes.as_str(), "IssueCodesRequest", json!({"count": 1}), None),
    ];
    let mut checked = 0;
    for (path, schema, base, within) in cases {
        let properties = doc["components"]["schemas"][schema]["properties"].as_object().unwrap_or_else(|| panic!("{schema} is documented"));
        for (name, property) in properties {
            let field = within.map_or(name.clone(), |w| format!("{w}.{name}"));
            let mut probes: Vec<(Value, bool)> = Vec::new();
            if let Some(max) = property["maxLength"].as_u64() {
                probes.push((json!("x".repeat(max as usize)), true));
                probes.push((json!("x".repeat(max as usize + 1)), false));
            }
            if property["minLength"].as_u64() == Some(1) {
                probes.push((json!(""), false));
            }
            if let Some(max) = property["maximum"].as_i64() {
                probes.push((json!(max), true));
                probes.push((json!(max as i128 + 1), false));
            }
            if let Some(min) = property["minimum"].as_i64() {
                probes.push((json!(min), true));
                probes.push((json!(min - 1), false));
            }
            for (value, allowed) in probes {
                let mut body = base.clone();
                let target = match within {
                    Some(w) => &mut body[w],
                    None => &mut body,
                };
                target[name.as_str()] = value.clone();
                let answer = app.post(path, &body, Some(&token)).await;
                let shown = value.to_string().chars().take(40).collect::<String>();
                if allowed {
                    assert!(
                        answer.status < 300,
                        "{schema}.{name} = {shown} is within the documented bounds but was refused: {}",
                        answer.text
                    );
                } else {
                    assert_eq!(answer.status, 422, "{schema}.{name} = {shown} is outside the documented bounds: {}", answer.text);
                    assert_eq!(answer.body["field"], json!(field), "{schema}.{name} = {shown}: {}", answer.text);
                }
                checked += 1;
            }
        }
    }
    assert!(checked >= 40, "only {checked} probes: the request schemas lost their bounds?");
}
