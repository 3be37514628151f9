//! Who may call what: every operation of the live OpenAPI document states its rule
//! (`x-access`, `x-roles`), and the server keeps it — with no token, with each role the
//! rule does not name, and with each role it names.
use pbvote::domain::Role;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app, worked_example};

const ROLES: [Role; 4] = [Role::Admin, Role::Organiser, Role::Commissioner, Role::Officer];

struct Fixtures {
    /// A consultation whose voting has closed (not published).
    closed: String,
    /// A draft.
    draft: String,
    /// A meeting (of an open consultation) with the officer assigned.
    meeting: String,
}

struct Operation {
    method: String,
    path: String,
    access: String,
    roles: Vec<String>,
}

fn operations(doc: &Value) -> Vec<Operation> {
    let mut ops = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let access = op["x-access"].as_str().unwrap_or("none").to_owned();
            let roles = op["x-roles"].as_array().map(|r| r.iter().map(|v| v.as_str().unwrap().to_owned()).collect()).unwrap_or_default();
            ops.push(Operation { method: method.to_uppercase(), path: path.clone(), access, roles });
        }
    }
    ops
}

fn concrete(op: &Operation, f: &Fixtures) -> String {
    let id = if op.access == "anyone-once-open" { &f.draft } else { &f.closed };
    let path = op
        .path
        .replace("{id}", id)
        .replace("{mid}", &f.meeting)
        .replace("{user_id}", &uuid::Uuid::new_v4().to_string())
        .replace("{service_id}", "day-centre")
        .replace("{proposal_id}", "S1")
        .replace("{serial}", "0042")
        .replace("{receipt}", "R-2222-2222-2222-2222")
        .replace("{code}", "K7QF2M")
        .replace("{file}", "results.csv")
        .replace("{batch}", &uuid::Uuid::new_v4().to_string())
        .replace("{entry}", &uuid::Uuid::new_v4().to_string());
    assert!(!path.contains('{'), "a path parameter this test does not fill: {}", op.path);
    path
}

/// The status only (a stream never ends, so its body is not read).
async fn status(app: &TestApp, op: &Operation, path: &str, token: Option<&str>) -> u16 {
    let mut request = app.client.request(op.method.parse().unwrap(), format!("{}{path}", app.address));
    if matches!(op.method.as_str(), "POST" | "PUT" | "PATCH") {
        request = request.json(&json!({}));
    }
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.expect("request sent").status().as_u16()
}

async fn fixtures(app: &TestApp, organiser: &str, officer_email: &str) -> Fixtures {
    let closed = app.create_consultation(organiser, &worked_example()).await;
    let codes = app.issue_codes(organiser, &closed, 1).await;
    app.open(organiser, &closed).await;
    app.cast(&closed, &json!({"voter_code": codes[0], "want": ["S1"]})).await.ok(201);
    app.post_empty(&format!("/api/v1/consultations/{closed}/close"), Some(organiser)).await.ok(200);
    let draft = app.create_consultation(organiser, &worked_example()).await;
    let open = app.create_consultation(organiser, &worked_example()).await;
    let meeting =
        app.post(&format!("/api/v1/consultations/{open}/meetings"), &json!({"title": "Hall", "place": "Town hall"}), Some(organiser)).await;
    let meeting = meeting.ok(201)["id"].as_str().unwrap().to_owned();
    app.open(organiser, &open).await;
    app.post(&format!("/api/v1/meetings/{meeting}/officers"), &json!({"email": officer_email}), Some(organiser)).await.ok(201);
    Fixtures { closed, draft, meeting }
}

#[tokio::test]
async fn every_operation_keeps_the_rule_the_document_states() {
    let app = spawn_app().await;
    let mut tokens = Vec::new();
    let officer_email = format!("officer-{}@council.example", uuid::Uuid::new_v4().simple());
    for role in ROLES {
        let token = if role == Role::Officer {
            app.add_account(&officer_email, "a long test password", role).await;
            let signed = app.post("/api/v1/auth/sign-in", &json!({"email": officer_email, "password": "a long test password"}), None).await;
            signed.ok(200)["token"].as_str().unwrap().to_owned()
        } else {
            app.signed_in(role).await
        };
        tokens.push((role.as_str().to_owned(), token));
    }
    let organiser = tokens.iter().find(|(r, _)| r == "organiser").unwrap().1.clone();
    let f = fixtures(&app, &organiser, &officer_email).await;
    let doc = app.get("/api/v1/openapi.json", None).await.ok(200).clone();
    let mut ops = operations(&doc);
    assert!(ops.len() >= 60, "the document lists every route: {}", ops.len());
    // Signing out ends the token the rest of the walk uses: last.
    ops.sort_by_key(|op| op.path == "/api/v1/auth/sign-out");
    let all: Vec<String> = ROLES.iter().map(|r| r.as_str().to_owned()).collect();

    // Refusals first (nothing refused changes anything).
    for op in &ops {
        let name = format!("{} {}", op.method, op.path);
        assert!(
            ["anyone", "anyone-once-open", "anyone-once-published", "signed-in", "roles"].contains(&op.access.as_str()),
            "{name} has no rule in src/routes/access.rs (x-access {:?})",
            op.access
        );
        assert!(!op.roles.is_empty(), "{name} names its roles");
        let description = doc["paths"][&op.path][op.method.to_lowercase()]["description"].as_str().unwrap_or("");
        assert!(description.contains("Who may call it:"), "{name} says who may call it: {description:?}");
        let path = concrete(op, &f);
        let anonymous = status(&app, op, &path, None).await;
        match op.access.as_str() {
            "anyone" => assert!(anonymous != 401 && anonymous != 403, "{name} without a token: {anonymous}"),
            "anyone-once-open" => assert_eq!(anonymous, 404, "{name}: a draft without a token"),
            _ => assert_eq!(anonymous, 401, "{name} without a token"),
        }
        for (role, token) in &tokens {
            if op.roles.contains(role) {
                continue;
            }
            let got = status(&app, op, &path, Some(token)).await;
            let expected = if op.access == "anyone-once-open" { 404 } else { 403 };
            assert_eq!(got, expected, "{name} as {role}");
        }
        if ["anyone", "signed-in"].contains(&op.access.as_str()) {
            assert_eq!(op.roles, all, "{name}: every role");
        }
    }
    // Then each role the rule names.
    for op in &ops {
        let path = concrete(op, &f);
        for (role, token) in &tokens {
            if !op.roles.contains(role) {
                continue;
            }
            let got = status(&app, op, &path, Some(token)).await;
            assert!(got != 401 && got != 403 && got < 500, "{} {} as {role}: {got}", op.method, op.path);
            if op.access == "anyone-once-open" {
                assert_eq!(got, 200, "{} {}: a draft as {role}", op.method, op.path);
            }
        }
    }
}

/// A refusal says which roles may, in a problem document.
#[tokio::test]
async fn a_wrong_role_is_told_who_may() {
    let app = spawn_app().await;
    let admin = app.signed_in(Role::Admin).await;
    let refused = app.post("/api/v1/consultations", &json!({"title": "Not mine"}), Some(&admin)).await;
    let problem = refused.problem(403);
    assert_eq!(problem["type"], "urn:pbvote:problem:forbidden");
    assert_eq!(problem["detail"], "only organisers can create consultations");
    let organiser = app.organiser().await;
    let refused = app.get("/api/v1/accounts", Some(&organiser)).await;
    assert_eq!(refused.problem(403)["detail"], "only admins can manage accounts");
    let accounts = app.get("/api/v1/accounts", Some(&admin)).await;
    let roles: Vec<&str> = accounts.ok(200).as_array().unwrap().iter().map(|u| u["role"].as_str().unwrap()).collect();
    assert_eq!(roles.len(), 2);
    assert!(roles.contains(&"admin") && roles.contains(&"organiser"), "{roles:?}");
}
