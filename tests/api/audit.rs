//! The audit record: every staff action, in the action's own transaction, hash-chained;
//! `pbvote audit verify` names the first entry someone changed in the database.
use pbvote::{
    audit::{AuditEntry, GENESIS},
    domain::Role,
};
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app, worked_example};

async fn audit(app: &TestApp, admin: &str) -> Vec<Value> {
    let page = app.get("/api/v1/audit?limit=1000", Some(admin)).await;
    page.ok(200)["entries"].as_array().unwrap().clone()
}

/// `pbvote audit verify` on the app's database: (exit status, what it printed).
fn verify_command(app: &TestApp) -> (i32, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_pbvote"))
        .env("DATABASE_URL", &app.database_url)
        .env("PBVOTE_LOG", "warn")
        .args(["audit", "verify"])
        .output()
        .expect("pbvote runs");
    (out.status.code().unwrap_or(-1), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

#[tokio::test]
async fn staff_actions_are_recorded_in_order_and_ballots_are_not() {
    let app = spawn_app().await;
    let admin = app.signed_in(Role::Admin).await;
    let organiser = app.organiser().await;
    let me = app.get("/api/v1/auth/me", Some(&organiser)).await.ok(200)["email"].as_str().unwrap().to_owned();
    let id = app.create_consultation(&organiser, &worked_example()).await;
    app.patch(&format!("/api/v1/consultations/{id}"), &json!({"title": "Renamed"}), Some(&organiser)).await.ok(200);
    let codes = app.issue_codes(&organiser, &id, 2).await;
    app.open(&organiser, &id).await;
    let before_ballot = audit(&app, &admin).await.len();
    let cast = app.cast(&id, &json!({"voter_code": codes[0], "want": ["S3", "D1"], "uses": ["day-centre"]})).await;
    let receipt = cast.ok(201)["receipt"].as_str().unwrap().to_owned();
    assert_eq!(audit(&app, &admin).await.len(), before_ballot, "a resident's ballot is not a staff action");
    app.post_empty(&format!("/api/v1/consultations/{id}/close"), Some(&organiser)).await.ok(200);

    let entries = audit(&app, &admin).await;
    let mine: Vec<&Value> = entries.iter().filter(|e| e["consultation_id"] == id.as_str()).collect();
    let actions: Vec<&str> = mine.iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["consultation.create", "consultation.update", "voter-codes.issue", "consultation.open", "consultation.close"]);
    for e in &mine {
        assert_eq!(e["actor"], me.as_str());
        let subject = e["subject"].as_str().unwrap();
        if e["action"] == "voter-codes.issue" {
            assert_eq!(subject, format!("code-batch:{}", e["after"]["batch"].as_str().unwrap()));
        } else {
            assert_eq!(subject, format!("consultation:{id}"));
        }
    }
    assert_eq!(mine[1]["before"]["title"], "Worked example");
    assert_eq!(mine[1]["after"]["title"], "Renamed");
    assert_eq!(mine[2]["after"]["count"], 2);
    assert_eq!((mine[3]["before"]["phase"].as_str(), mine[3]["after"]["phase"].as_str()), (Some("draft"), Some("open")));
    // Numbered without gaps, each linked to the one before.
    for (i, e) in entries.iter().enumerate() {
        assert_eq!(e["seq"], i as u64 + 1);
        let prev = if i == 0 { GENESIS.to_owned() } else { entries[i - 1]["hash"].as_str().unwrap().to_owned() };
        assert_eq!(e["prev_hash"], prev.as_str());
    }
    let checked = app.get("/api/v1/audit/verify", Some(&admin)).await;
    assert_eq!(checked.ok(200)["intact"], true);
    assert_eq!(checked.body["entries"], entries.len() as u64);

    let export = app.get("/api/v1/audit/export", Some(&admin)).await;
    assert_eq!(export.status, 200);
    assert_eq!(export.content_type, "text/csv");
    assert_eq!(export.text.lines().count(), entries.len() + 1);
    assert!(export.text.starts_with("seq,at,actor_id,actor,action,subject,consultation_id,before,after,prev_hash,hash\r\n"));
    // Nothing of the ballot, its code or its receipt.
    for secret in [codes[0].as_str(), codes[0].replace('-', "").as_str(), receipt.as_str(), "\"want\""] {
        assert!(!export.text.contains(secret), "the export holds {secret}");
    }
    let paged = app.get(&format!("/api/v1/audit?after={}&limit=2", entries.len() - 3), Some(&admin)).await;
    let seqs: Vec<u64> = paged.ok(200)["entries"].as_array().unwrap().iter().map(|e| e["seq"].as_u64().unwrap()).collect();
    assert_eq!(seqs, [entries.len() as u64 - 2, entries.len() as u64 - 1]);
    app.get("/api/v1/audit?limit=0", Some(&admin)).await.problem_field(422, "limit");
    let (status, said) = verify_command(&app);
    assert_eq!(status, 0, "{said}");
    assert!(said.contains(&format!("audit record intact: {} entries checked", entries.len())), "{said}");
    // Sign-ins and sign-outs are staff actions too (a failed one is not: anyone can make it).
    let signed_in = |email: &str| entries.iter().filter(|e| e["action"] == "auth.sign-in" && e["actor"] == email).count();
    assert_eq!(signed_in(&me), 1, "{entries:?}");
    app.post("/api/v1/auth/sign-in", &json!({"email": me, "password": "wrong password, long enough"}), None).await.problem(401);
    app.post_empty("/api/v1/auth/sign-out", Some(&organiser)).await.ok(204);
    let later = audit(&app, &admin).await;
    let out: Vec<&Value> = later.iter().filter(|e| e["action"] == "auth.sign-out").collect();
    assert_eq!(out.len(), 1);
    assert_eq!(out[0]["actor"], me.as_str());
    assert_eq!(
        later.iter().filter(|e| e["action"] == "auth.sign-in" && e["actor"] == me.as_str()).count(),
        1,
        "a failed sign-in is not recorded"
    );
}

/// An action that fails leaves no entry: the entry is in the action's transaction.
#[tokio::test]
async fn a_refused_action_leaves_no_entry() {
    let app = spawn_app().await;
    let admin = app.signed_in(Role::Admin).await;
    let organiser = app.organiser().await;
    let id = app.create_consultation(&organiser, &json!({"title": "Empty"})).await;
    let before = audit(&app, &admin).await.len();
    // No proposals: opening is refused inside the transaction that would record it.
    app.post_empty(&format!("/api/v1/consultations/{id}/open"), Some(&organiser)).await.problem(409);
    app.post(
        &format!("/api/v1/consultations/{id}/proposals"),
        &json!({"kind": "saving", "title": "Dup", "summary": "A cut", "amount": 5, "id": "S1"}),
        Some(&organiser),
    )
    .await
    .ok(201);
    app.post(
        &format!("/api/v1/consultations/{id}/proposals"),
        &json!({"kind": "saving", "title": "Dup", "summary": "A cut", "amount": 5, "id": "S1"}),
        Some(&organiser),
    )
    .await
    .problem(409);
    let after = audit(&app, &admin).await;
    assert_eq!(after.len(), before + 1);
    assert_eq!(after.last().unwrap()["action"], "proposal.add");
}

/// The service cannot change an entry (triggers refuse it); someone who gets round them
/// (disabling the triggers, as the database's owner can) is caught by the chain, which
/// names the entry.
async fn tampering_is_found(app: &TestApp) {
    let organiser = app.organiser().await;
    for _ in 0..3 {
        app.create_consultation(&organiser, &worked_example()).await;
    }
    let conn = sea_orm::Database::connect(&app.database_url).await.unwrap();
    let postgres = conn.get_database_backend() == sea_orm::DbBackend::Postgres;
    let forged = r#"UPDATE audit_log SET after = '{"title":"Something else"}' WHERE seq = 3"#;
    let refused = conn.execute_unprepared(forged).await;
    assert!(refused.is_err(), "the audit record refuses UPDATE");
    assert!(conn.execute_unprepared("DELETE FROM audit_log WHERE seq = 2").await.is_err(), "and DELETE");
    let (status, said) = verify_command(app);
    assert_eq!(status, 0, "{said}");
    if postgres {
        conn.execute_unprepared("ALTER TABLE audit_log DISABLE TRIGGER USER").await.unwrap();
    } else {
        conn.execute_unprepared("DROP TRIGGER audit_log_no_update").await.unwrap();
    }
    conn.execute_unprepared(forged).await.unwrap();
    let (status, said) = verify_command(app);
    assert_ne!(status, 0, "verify fails: {said}");
    assert!(said.contains("entry 3: was changed"), "it names the entry: {said}");
    let admin = app.signed_in(Role::Admin).await;
    let checked = app.get("/api/v1/audit/verify", Some(&admin)).await;
    assert_eq!(checked.ok(200)["intact"], false);
    assert_eq!(checked.body["broken"]["seq"], 3);
    conn.close().await.unwrap();
}

#[tokio::test]
async fn tampering_is_found_on_sqlite() {
    let app = spawn_app().await;
    tampering_is_found(&app).await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL: set TEST_DATABASE_URL and pass --include-ignored"]
async fn tampering_is_found_on_postgres() {
    assert!(
        std::env::var("TEST_DATABASE_URL").is_ok_and(|u| u.starts_with("postgres")),
        "set TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test"
    );
    let app = spawn_app().await;
    tampering_is_found(&app).await;
}

/// A chain of 10,000 entries checks (the time goes to docs/performance.md; no assertion on
/// it). The entries are written straight into the table, chained as the service chains them.
#[tokio::test]
async fn ten_thousand_entries_verify() {
    const N: u64 = 10_000;
    let app = spawn_app().await;
    let conn = sea_orm::Database::connect(&app.database_url).await.unwrap();
    let mut prev = GENESIS.to_owned();
    let mut rows = Vec::new();
    for seq in 1..=N {
        let mut e = AuditEntry {
            seq,
            at: pbvote::audit::now(),
            actor_id: None,
            actor: "pbvote (load)".into(),
            action: "consultation.update".into(),
            subject: format!("consultation:{}", uuid::Uuid::nil()),
            consultation_id: None,
            before: Some(json!({"title": format!("Title {seq}")}).to_string()),
            after: Some(json!({"title": format!("Title {}", seq + 1)}).to_string()),
            prev_hash: prev.clone(),
            hash: String::new(),
        };
        e.hash = e.compute_hash();
        prev = e.hash.clone();
        rows.push(e);
    }
    let ts = |e: &AuditEntry| e.at.format("%Y-%m-%d %H:%M:%S%.6f+00:00").to_string();
    for chunk in rows.chunks(500) {
        let values: Vec<String> = chunk
            .iter()
            .map(|e| {
                format!(
                    "({}, '{}', NULL, '{}', '{}', '{}', NULL, '{}', '{}', '{}', '{}')",
                    e.seq,
                    ts(e),
                    e.actor,
                    e.action,
                    e.subject,
                    e.before.as_ref().unwrap(),
                    e.after.as_ref().unwrap(),
                    e.prev_hash,
                    e.hash
                )
            })
            .collect();
        conn.execute_unprepared(&format!(
            "INSERT INTO audit_log (seq, at, actor_id, actor, action, subject, consultation_id, before, after, prev_hash, hash) VALUES {}",
            values.join(", ")
        ))
        .await
        .unwrap();
    }
    conn.execute_unprepared(&format!("UPDATE audit_head SET seq = {N}, hash = '{prev}' WHERE id = 1")).await.unwrap();
    conn.close().await.unwrap();
    let started = std::time::Instant::now();
    let (status, said) = verify_command(&app);
    println!("pbvote audit verify, {N} entries: {said} (the whole command: {} ms)", started.elapsed().as_millis());
    assert_eq!(status, 0, "{said}");
    assert!(said.contains(&format!("intact: {N} entries checked")), "{said}");
    // The service goes on appending to the chain it finds.
    let organiser = app.organiser().await;
    app.create_consultation(&organiser, &worked_example()).await;
    let (status, said) = verify_command(&app);
    assert_eq!(status, 0, "{said}");
    // The organiser's account, their sign-in, and the consultation.
    assert!(said.contains(&format!("intact: {} entries checked", N + 3)), "{said}");
}
