//! Accounts from the console: an admin invites, changes, disables and re-enables staff and
//! issues password resets, each by a one-time link (72 hours); two-step sign-in with an
//! authenticator app (RFC 6238), which PBVOTE_REQUIRE_TOTP_FOR_ADMINS makes compulsory.
use pbvote::domain::Role;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app, spawn_app_with};

const SIGN_IN: &str = "/api/v1/auth/sign-in";

fn token_of(link: &str) -> String {
    link.split_once('#').expect("the token is after #").1.to_owned()
}

async fn invite(app: &TestApp, admin: &str, email: &str, role: &str) -> Value {
    app.post("/api/v1/accounts", &json!({"email": email, "role": role}), Some(admin)).await.ok(201).clone()
}

async fn sign_in(app: &TestApp, email: &str, password: &str) -> crate::helpers::Response {
    app.post(SIGN_IN, &json!({"email": email, "password": password}), None).await
}

/// The code an authenticator app shows now, from the secret the setup page shows.
fn code_now(secret_base32: &str) -> String {
    let bytes = totp_rs::Secret::Encoded(secret_base32.to_owned()).to_bytes().expect("base32");
    pbvote::security::totp::current(&bytes).expect("a code")
}

#[tokio::test]
async fn an_invited_officer_sets_a_password_once_and_signs_in() {
    let app = spawn_app().await;
    let admin = app.signed_in(Role::Admin).await;
    let invited = invite(&app, &admin, "Olu@Council.example", "officer").await;
    assert_eq!(invited["account"]["email"], "olu@council.example");
    assert_eq!(invited["account"]["role"], "officer");
    assert_eq!(invited["account"]["password_set"], false);
    let link = invited["link"].as_str().unwrap();
    assert!(link.starts_with(&format!("{}/console/welcome.html#", app.address)), "{link}");
    let expires = chrono::DateTime::parse_from_rfc3339(invited["expires_at"].as_str().unwrap()).unwrap();
    let hours = (expires.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_minutes() as f64 / 60.0;
    assert!((71.9..=72.0).contains(&hours), "{hours}");
    // No password works before one is set.
    sign_in(&app, "olu@council.example", "!").await.problem(401);
    let token = token_of(link);
    let looked = app.post("/api/v1/invitations/look", &json!({"token": token}), None).await;
    assert_eq!(looked.ok(200)["email"], "olu@council.example");
    assert_eq!(looked.body["purpose"], "invite");
    app.post("/api/v1/invitations/accept", &json!({"token": token, "password": "short"}), None).await.problem_field(422, "password");
    app.post("/api/v1/invitations/accept", &json!({"token": token, "password": "officer's own password"}), None).await.ok(200);
    // Once only.
    app.post("/api/v1/invitations/accept", &json!({"token": token, "password": "someone else's password"}), None).await.problem(404);
    app.post("/api/v1/invitations/look", &json!({"token": "x"}), None).await.problem_field(422, "token");
    let signed = sign_in(&app, "olu@council.example", "officer's own password").await;
    assert_eq!(signed.ok(200)["user"]["role"], "officer");
    let accounts = app.get("/api/v1/accounts", Some(&admin)).await;
    let olu = accounts.ok(200).as_array().unwrap().iter().find(|a| a["email"] == "olu@council.example").unwrap().clone();
    assert_eq!(olu["password_set"], true);
    // Taken addresses and bad roles are refused, naming the field.
    app.post("/api/v1/accounts", &json!({"email": "olu@council.example", "role": "officer"}), Some(&admin))
        .await
        .problem_field(409, "email");
    app.post("/api/v1/accounts", &json!({"email": "not an address", "role": "officer"}), Some(&admin)).await.problem_field(422, "email");
    assert_eq!(app.post("/api/v1/accounts", &json!({"email": "x@council.example", "role": "mayor"}), Some(&admin)).await.status, 422);
    // Each step is in the audit record.
    let audit = app.get("/api/v1/audit?limit=1000", Some(&admin)).await;
    let actions: Vec<String> =
        audit.ok(200)["entries"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap().to_owned()).collect();
    assert!(actions.contains(&"account.invite".to_owned()) && actions.contains(&"account.password-set".to_owned()), "{actions:?}");
}

#[tokio::test]
async fn an_expired_link_does_not_work() {
    let app = spawn_app().await;
    let admin = app.signed_in(Role::Admin).await;
    let invited = invite(&app, &admin, "late@council.example", "organiser").await;
    let conn = sea_orm::Database::connect(&app.database_url).await.unwrap();
    conn.execute_unprepared("UPDATE invitations SET expires_at = '2020-01-01 00:00:00+00:00'").await.unwrap();
    conn.close().await.unwrap();
    let token = token_of(invited["link"].as_str().unwrap());
    app.post("/api/v1/invitations/accept", &json!({"token": token, "password": "a password in time"}), None).await.problem(404);
}

#[tokio::test]
async fn disabling_stops_sessions_at_once_and_roles_change_at_once() {
    let app = spawn_app().await;
    let admin = app.signed_in(Role::Admin).await;
    let email = "sam@council.example";
    app.add_account(email, "sam's long password", Role::Officer).await;
    let session = sign_in(&app, email, "sam's long password").await.ok(200)["token"].as_str().unwrap().to_owned();
    let id = app.get("/api/v1/auth/me", Some(&session)).await.ok(200)["id"].as_str().unwrap().to_owned();
    app.post("/api/v1/consultations", &json!({"title": "Not yet"}), Some(&session)).await.problem(403);
    // A new role takes effect on the very next request.
    let changed = app.patch(&format!("/api/v1/accounts/{id}"), &json!({"role": "organiser"}), Some(&admin)).await;
    assert_eq!(changed.ok(200)["role"], "organiser");
    app.post("/api/v1/consultations", &json!({"title": "Now"}), Some(&session)).await.ok(201);
    // Disabled: the session stops at once, and signing in is refused.
    let disabled = app.patch(&format!("/api/v1/accounts/{id}"), &json!({"disabled": true}), Some(&admin)).await;
    assert!(disabled.ok(200)["disabled_at"].is_string());
    app.get("/api/v1/auth/me", Some(&session)).await.problem(401);
    sign_in(&app, email, "sam's long password").await.problem(401);
    // Enabled again: signing in works (the old session stays ended).
    app.patch(&format!("/api/v1/accounts/{id}"), &json!({"disabled": false}), Some(&admin)).await.ok(200);
    app.get("/api/v1/auth/me", Some(&session)).await.problem(401);
    sign_in(&app, email, "sam's long password").await.ok(200);
    // An admin cannot lock themselves out; an empty change names a field.
    let me = app.get("/api/v1/auth/me", Some(&admin)).await.ok(200)["id"].as_str().unwrap().to_owned();
    app.patch(&format!("/api/v1/accounts/{me}"), &json!({"disabled": true}), Some(&admin)).await.problem(409);
    app.patch(&format!("/api/v1/accounts/{id}"), &json!({}), Some(&admin)).await.problem_field(422, "role");
    app.patch(&format!("/api/v1/accounts/{}", uuid::Uuid::new_v4()), &json!({"disabled": true}), Some(&admin)).await.problem(404);
}

#[tokio::test]
async fn an_admin_issued_reset_replaces_the_password_and_ends_sessions() {
    let app = spawn_app().await;
    let admin = app.signed_in(Role::Admin).await;
    let email = "kim@council.example";
    app.add_account(email, "kim's old password", Role::Commissioner).await;
    let session = sign_in(&app, email, "kim's old password").await.ok(200)["token"].as_str().unwrap().to_owned();
    let id = app.get("/api/v1/auth/me", Some(&session)).await.ok(200)["id"].as_str().unwrap().to_owned();
    let first = app.post_empty(&format!("/api/v1/accounts/{id}/reset"), Some(&admin)).await.ok(201).clone();
    let second = app.post_empty(&format!("/api/v1/accounts/{id}/reset"), Some(&admin)).await.ok(201).clone();
    // The newer link replaces the older; until it is used the old password still works.
    app.post("/api/v1/invitations/look", &json!({"token": token_of(first["link"].as_str().unwrap())}), None).await.problem(404);
    let token = token_of(second["link"].as_str().unwrap());
    assert_eq!(app.post("/api/v1/invitations/look", &json!({"token": token}), None).await.ok(200)["purpose"], "reset");
    app.get("/api/v1/auth/me", Some(&session)).await.ok(200);
    app.post("/api/v1/invitations/accept", &json!({"token": token, "password": "kim's new password"}), None).await.ok(200);
    app.get("/api/v1/auth/me", Some(&session)).await.problem(401);
    sign_in(&app, email, "kim's old password").await.problem(401);
    sign_in(&app, email, "kim's new password").await.ok(200);
}

#[tokio::test]
async fn two_step_sign_in_needs_the_apps_code() {
    let app = spawn_app().await;
    let email = "tess@council.example";
    app.add_account(email, "tess's long password", Role::Organiser).await;
    let session = sign_in(&app, email, "tess's long password").await.ok(200)["token"].as_str().unwrap().to_owned();
    app.post("/api/v1/auth/totp/confirm", &json!({"code": "123456"}), Some(&session)).await.problem(409);
    let setup = app.post_empty("/api/v1/auth/totp/setup", Some(&session)).await.ok(200).clone();
    let secret = setup["secret"].as_str().unwrap();
    assert!(setup["otpauth_url"].as_str().unwrap().starts_with("otpauth://totp/"));
    assert!(setup["qr"].as_str().unwrap().starts_with("data:image/svg+xml"), "{}", setup["qr"]);
    // Not on until a code is confirmed.
    sign_in(&app, email, "tess's long password").await.ok(200);
    let wrong = format!("{:06}", (code_now(secret).parse::<u32>().unwrap() + 500_000) % 1_000_000);
    app.post("/api/v1/auth/totp/confirm", &json!({"code": wrong}), Some(&session)).await.problem_field(422, "code");
    let confirmed = app.post("/api/v1/auth/totp/confirm", &json!({"code": code_now(secret)}), Some(&session)).await;
    assert_eq!(confirmed.ok(200)["totp"], true);
    // The secret is not in the database in the clear.
    if let Some(file) = &app.sqlite_file {
        let bytes = std::fs::read(file).unwrap();
        assert!(!bytes.windows(secret.len()).any(|w| w == secret.as_bytes()), "the base32 secret is in the file");
    }
    let without = sign_in(&app, email, "tess's long password").await;
    assert_eq!(without.problem_field(401, "totp")["type"], "urn:pbvote:problem:totp-required");
    let bad = app.post(SIGN_IN, &json!({"email": email, "password": "tess's long password", "totp": wrong}), None).await;
    assert!(bad.problem_field(401, "totp")["detail"].as_str().unwrap().contains("not right"));
    // A wrong password with a right code is still a wrong password.
    let code = code_now(secret);
    app.post(SIGN_IN, &json!({"email": email, "password": "not her password", "totp": code}), None).await.problem(401);
    let used = code_now(secret);
    let good = app.post(SIGN_IN, &json!({"email": email, "password": "tess's long password", "totp": used}), None).await;
    assert_eq!(good.ok(200)["user"]["totp"], true);
    // Each code works once: seen over a shoulder, it cannot sign in again within its window.
    let replayed = app.post(SIGN_IN, &json!({"email": email, "password": "tess's long password", "totp": used}), None).await;
    assert!(replayed.problem_field(401, "totp")["detail"].as_str().unwrap().contains("used already"));
}

#[tokio::test]
async fn admins_must_set_up_two_step_sign_in_when_it_is_required() {
    let app = spawn_app_with(|s| s.require_totp_for_admins = true).await;
    let admin = app.signed_in(Role::Admin).await;
    let refused = app.get("/api/v1/accounts", Some(&admin)).await;
    assert!(refused.problem(403)["detail"].as_str().unwrap().contains("two-step"));
    app.get("/api/v1/auth/me", Some(&admin)).await.ok(200);
    let secret = app.post_empty("/api/v1/auth/totp/setup", Some(&admin)).await.ok(200)["secret"].as_str().unwrap().to_owned();
    app.post("/api/v1/auth/totp/confirm", &json!({"code": code_now(&secret)}), Some(&admin)).await.ok(200);
    app.get("/api/v1/accounts", Some(&admin)).await.ok(200);
    // Other roles are not held to it.
    let organiser = app.organiser().await;
    app.post("/api/v1/consultations", &json!({"title": "Fine"}), Some(&organiser)).await.ok(201);
}
