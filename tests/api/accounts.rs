use chrono::{Duration, Utc};
use pbvote::{domain::Role, security::SessionToken, storage};
use serde_json::json;

use crate::helpers::spawn_app;

#[tokio::test]
async fn health_and_ready_answer() {
    let app = spawn_app().await;
    assert_eq!(app.get("/health", None).await.ok(200)["status"], "ok");
    assert_eq!(app.get("/ready", None).await.ok(200)["status"], "ready");
}

#[tokio::test]
async fn sign_in_me_and_sign_out() {
    let app = spawn_app().await;
    let token = app.organiser().await;
    let me = app.get("/api/v1/auth/me", Some(&token)).await;
    assert_eq!(me.ok(200)["role"], "organiser");
    assert!(me.body["email"].as_str().unwrap().ends_with("@council.example"));

    app.post_empty("/api/v1/auth/sign-out", Some(&token)).await.ok(204);
    app.get("/api/v1/auth/me", Some(&token)).await.problem(401);
}

#[tokio::test]
async fn wrong_passwords_and_unknown_accounts_get_the_same_401() {
    let app = spawn_app().await;
    let _ = app.organiser().await;
    let unknown = app.post("/api/v1/auth/sign-in", &json!({"email": "nobody@council.example", "password": "whatever it is"}), None).await;
    assert!(unknown.problem(401)["detail"].as_str().unwrap().contains("password is wrong"));
    let bad_email = app.post("/api/v1/auth/sign-in", &json!({"email": "not an email", "password": "x"}), None).await;
    bad_email.problem_field(422, "email");
    let missing = app.post("/api/v1/auth/sign-in", &json!({"email": "a@b.example"}), None).await;
    missing.problem_field(422, "password");
}

#[tokio::test]
async fn staff_routes_refuse_missing_wrong_and_expired_tokens() {
    let app = spawn_app().await;
    app.get("/api/v1/manage/consultations", None).await.problem(401);
    app.get("/api/v1/manage/consultations", Some("not-a-token")).await.problem(401);

    // An expired session, written straight into the database.
    let token = app.organiser().await;
    let me = app.get("/api/v1/auth/me", Some(&token)).await.ok(200).clone();
    let user_id = uuid::Uuid::parse_str(me["id"].as_str().unwrap()).unwrap();
    let expired = SessionToken::generate();
    storage::accounts::create_session(&app.db, user_id, expired.hash(), Utc::now() - Duration::minutes(1), false).await.unwrap();
    app.get("/api/v1/manage/consultations", Some(expired.expose())).await.problem(401);
    app.post("/api/v1/consultations", &json!({"title": "x"}), Some(expired.expose())).await.problem(401);
    // The live one still works.
    app.get("/api/v1/manage/consultations", Some(&token)).await.ok(200);
}

#[tokio::test]
async fn roles_are_enforced() {
    let app = spawn_app().await;
    let commissioner = app.signed_in(Role::Commissioner).await;
    let response = app.post("/api/v1/consultations", &json!({"title": "Budget"}), Some(&commissioner)).await;
    assert!(response.problem(403)["detail"].as_str().unwrap().contains("organiser"));
}

#[tokio::test]
async fn passwords_are_stored_as_argon2id() {
    let app = spawn_app().await;
    let _ = app.organiser().await;
    let Some(file) = &app.sqlite_file else { return };
    let bytes = std::fs::read(file).unwrap_or_default();
    let wal = std::fs::read(file.with_extension("db-wal")).unwrap_or_default();
    let all = [bytes, wal].concat();
    let text = String::from_utf8_lossy(&all);
    assert!(text.contains("$argon2id$"), "password hash is argon2id");
    assert!(!text.contains("a long test password"), "the password itself is not stored");
}
