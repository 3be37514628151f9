//! Ballot secrecy against insiders (issue 13): nobody, staff included, learns a ballot.
//!
//! - The subtraction attack: a member of staff who holds voter codes of their own reads
//!   everything they can read, casts and replaces their own ballots, and reads again
//!   around one resident's ballot. Nothing they read while voting is open depends on what
//!   that resident voted.
//! - No public answer or export shows an area, channel or combination of services held by
//!   fewer than `min_group` ballots, and the export still recounts to the published result.
//! - Receipts: an old receipt answers exactly as a new one, and none is stored in plain text.
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};

/// A consultation with areas and two services; `min_group` 5 (the default).
fn consultation() -> Value {
    json!({
        "title": "Secrecy",
        "description": "Ballot secrecy against insiders",
        "areas": ["North", "South", "East"],
        "budget": {"savings_target": 80000, "development_budget": 30000},
        "settings": {"rank_depth": 3, "min_group": 5},
        "services": [{"id": "day-centre", "name": "Day centre"}, {"id": "library", "name": "Library"}],
        "proposals": [
            {"id": "S1", "kind": "saving", "title": "Close the day centre", "amount": 80000, "service": "day-centre"},
            {"id": "S2", "kind": "saving", "title": "Shorter library hours", "amount": 50000, "service": "library"},
            {"id": "S3", "kind": "saving", "title": "Dim street lights", "amount": 40000},
            {"id": "D1", "kind": "development", "title": "New youth club", "amount": 30000}
        ]
    })
}

/// Keys whose values differ from one run to the next for reasons that have nothing to do
/// with any ballot: ids, times, secrets given out.
const VOLATILE: &[&str] = &["id", "consultation_id", "created_at", "updated_at", "receipt", "received_on", "ballot_url", "expires_at"];

fn normalise(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter().map(|(k, v)| (k.clone(), if VOLATILE.contains(&k.as_str()) { json!("…") } else { normalise(v) })).collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(normalise).collect()),
        Value::String(s) => json!(s.replace(char::is_numeric, "#")),
        other => other.clone(),
    }
}

/// One world: an app, a consultation, the insider's tokens and codes, a resident's code.
struct World {
    app: TestApp,
    id: String,
    organiser: String,
    commissioner: String,
    /// The insider's own voter codes.
    own: Vec<String>,
    /// The insider's receipts so far.
    receipts: Vec<String>,
    resident: String,
}

impl World {
    async fn new() -> World {
        let app = spawn_app().await;
        let organiser = app.organiser().await;
        let commissioner = app.commissioner().await;
        let id = app.create_consultation(&organiser, &consultation()).await;
        let mut codes = app.issue_codes(&organiser, &id, 9).await;
        app.open(&organiser, &id).await;
        let resident = codes.pop().unwrap();
        World { app, id, organiser, commissioner, own: codes, receipts: Vec::new(), resident }
    }

    /// Everything a member of staff (either role) or the public can read about the
    /// consultation, normalised.
    async fn reading(&self) -> Value {
        self.reading_with(self.receipts.len()).await
    }

    /// [`Self::reading`] checking only the insider's first `receipts` receipts.
    async fn reading_with(&self, receipts: usize) -> Value {
        let id = &self.id;
        let mut out = serde_json::Map::new();
        let paths = [
            format!("/api/v1/consultations/{id}"),
            "/api/v1/consultations".to_owned(),
            "/api/v1/manage/consultations".to_owned(),
            format!("/api/v1/consultations/{id}/results"),
            format!("/api/v1/consultations/{id}/export"),
            format!("/api/v1/consultations/{id}/voter-codes/stats"),
        ];
        for (who, token) in [("organiser", Some(&self.organiser)), ("commissioner", Some(&self.commissioner)), ("public", None)] {
            for path in &paths {
                let r = self.app.get(path, token.map(|t| t.as_str())).await;
                out.insert(format!("{who} {}", path.replace(id.as_str(), "{id}")), json!({"status": r.status, "body": normalise(&r.body)}));
            }
        }
        for (i, receipt) in self.receipts.iter().take(receipts).enumerate() {
            let r = self.app.get(&format!("/api/v1/receipts/{receipt}"), None).await;
            out.insert(format!("own receipt {i}"), json!({"status": r.status, "body": normalise(&r.body)}));
        }
        Value::Object(out)
    }

    /// The insider casts (or replaces) the ballot of their own code `k`.
    async fn insider_casts(&mut self, k: usize, ballot: Value) {
        let mut ballot = ballot;
        ballot["voter_code"] = json!(self.own[k]);
        let r = self.app.cast(&self.id, &ballot).await;
        assert!(r.status == 200 || r.status == 201, "{}", r.text);
        self.receipts.push(r.body["receipt"].as_str().unwrap().to_owned());
    }

    async fn resident_casts(&self, ballot: &Value) {
        let mut ballot = ballot.clone();
        ballot["voter_code"] = json!(self.resident);
        self.app.cast(&self.id, &ballot).await.ok(201);
    }
}

/// The attack from the issue, scripted, and more: whatever the insider does with codes of
/// their own, what they (or anyone) can read while voting is open is the same whichever
/// ballot the resident cast; and readings taken around the resident's ballot, with the
/// insider replacing their own ballot in between, are equal.
#[tokio::test]
async fn nothing_read_while_voting_is_open_depends_on_a_residents_ballot() {
    let residents_ballots = [
        json!({"want": ["S1", "S3"], "area": "North"}),
        json!({"dont_want": ["S1", "S2", "S3"], "want": ["D1"], "uses": ["day-centre", "library"], "area": "East"}),
    ];
    let mut readings: Vec<Vec<Value>> = Vec::new();
    for resident in &residents_ballots {
        let mut world = World::new().await;
        let mut seen = Vec::new();
        // The insider's own ballot, replaced until nothing more can change…
        world.insider_casts(0, json!({})).await;
        for _ in 0..5 {
            world.insider_casts(0, json!({})).await;
        }
        let known = world.receipts.len();
        let before = world.reading().await;
        seen.push(before.clone());
        // …one resident votes…
        world.resident_casts(resident).await;
        let after = world.reading().await;
        assert_eq!(after, before, "a reading changed with one resident's ballot");
        // …and the insider replaces their own ballot step − 1 times, then reads again.
        for _ in 0..4 {
            world.insider_casts(0, json!({"want": ["S3"]})).await;
        }
        let again = world.reading_with(known).await;
        assert_eq!(again, before, "a reading changed after the insider's replacements");
        seen.push(again);
        // Whatever else the insider does with their codes (new ballots, taking the turnout
        // past a step), nothing they read depends on the resident's ballot.
        for k in 1..world.own.len() {
            world.insider_casts(k, json!({"want": ["D1"], "uses": ["library"], "area": "South"})).await;
            seen.push(world.reading().await);
        }
        world.insider_casts(0, json!({"dont_want": ["S1"], "uses": ["day-centre"], "area": "East"})).await;
        seen.push(world.reading().await);
        // Turnout did move in steps: 9 ballots show as 5.
        let stats = world.app.get(&format!("/api/v1/consultations/{}/voter-codes/stats", world.id), Some(&world.organiser)).await;
        assert_eq!((stats.ok(200)["used"].as_u64(), stats.body["step"].as_u64()), (Some(5), Some(5)));
        // Results and the export exist only once voting has closed.
        let results = world.app.get(&format!("/api/v1/consultations/{}/results", world.id), Some(&world.commissioner)).await;
        results.problem(409);
        readings.push(seen);
    }
    assert_eq!(readings[0].len(), readings[1].len());
    for (i, (x, y)) in readings[0].iter().zip(&readings[1]).enumerate() {
        assert_eq!(x, y, "reading {i} differs with the resident's ballot");
    }
}

/// Areas, channels and combinations of services that fewer than `min_group` ballots share
/// appear in no public answer or export, and no breakdown cell is smaller than that; the
/// export still recounts, with `pbvote tally`'s function, to exactly what is published.
#[tokio::test]
async fn no_public_answer_or_export_shows_a_small_group() {
    let app = spawn_app().await;
    let organiser = app.organiser().await;
    let id = app.create_consultation(&organiser, &consultation()).await;
    let ballots: Vec<Value> = [
        (12, json!({"want": ["S3", "D1"], "area": "North"})),
        (6, json!({"want": ["S2"], "dont_want": ["S1"], "uses": ["day-centre"], "area": "South"})),
        (3, json!({"dont_want": ["S2", "S1"], "uses": ["library"], "area": "South"})),
        // One resident in East who uses both: must not be findable.
        (1, json!({"want": ["D1"], "dont_want": ["S1", "S2", "S3"], "uses": ["day-centre", "library"], "area": "East"})),
        (5, json!({"want": ["S1"]})),
    ]
    .into_iter()
    .flat_map(|(n, b)| std::iter::repeat_n(b, n))
    .collect();
    let codes = app.issue_codes(&organiser, &id, ballots.len() as u32).await;
    app.open(&organiser, &id).await;
    for (code, mut ballot) in codes.iter().zip(ballots.clone()) {
        ballot["voter_code"] = json!(code);
        app.cast(&id, &ballot).await.ok(201);
    }
    app.post_empty(&format!("/api/v1/consultations/{id}/close"), Some(&organiser)).await.ok(200);
    let commissioner = app.commissioner().await;
    app.post_empty(&format!("/api/v1/consultations/{id}/publish"), Some(&commissioner)).await.ok(200);

    let m = 5;
    for token in [None, Some(commissioner.as_str())] {
        let results = app.get(&format!("/api/v1/consultations/{id}/results"), token).await.ok(200).clone();
        let export = app.get(&format!("/api/v1/consultations/{id}/export"), token).await.ok(200).clone();
        // Breakdown cells: none smaller than min_group.
        let breakdown = &results["summary"]["breakdown"];
        for cell in breakdown["by_area"].as_array().unwrap() {
            assert!(cell["ballots"].as_u64().unwrap() >= m, "a small area cell: {breakdown}");
        }
        for (channel, n) in breakdown["by_channel"].as_object().unwrap() {
            let n = n.as_u64().unwrap();
            assert!(n == 0 || n >= m, "a small channel cell {channel}: {breakdown}");
        }
        let withheld = breakdown["withheld"].as_u64().unwrap();
        assert!(withheld == 0 || withheld >= m, "{breakdown}");
        assert!(!results.to_string().contains("East"), "East, named by one ballot, is in the results");
        // The export: no rare area, and every listed ballot shares channel, area and
        // services with at least min_group − 1 others.
        assert!(!export.to_string().contains("East"), "East, named by one ballot, is in the export");
        let mut groups = std::collections::BTreeMap::<String, u64>::new();
        for b in export["ballots"].as_array().unwrap() {
            *groups.entry(format!("{} {} {}", b["channel"], b["area"], b["uses"])).or_default() += 1;
        }
        for (group, n) in &groups {
            assert!(*n >= m, "only {n} ballots in group {group}");
        }
        assert!(
            !export["ballots"].as_array().unwrap().iter().any(|b| b["uses"] == json!(["day-centre", "library"])),
            "the one ballot using both services is listed"
        );
        assert_eq!(export["withheld"]["ballots"].as_u64().unwrap() + export["ballots"].as_array().unwrap().len() as u64, 27);
        assert!(export["note"].as_str().unwrap().contains("withheld"), "{}", export["note"]);
        // The recount of the export is the published result.
        let recount = serde_json::to_value(pbvote::tally::exchange::count(export.to_string().as_bytes()).unwrap()).unwrap();
        assert_eq!(recount["summary"], results["summary"]);
        for p in recount["proposals"].as_array().unwrap() {
            let served = results["proposals"].as_array().unwrap().iter().find(|q| q["id"] == p["id"]).unwrap();
            for (key, value) in p.as_object().unwrap() {
                assert_eq!(&served[key], value, "{key} of {}", p["id"]);
            }
        }
    }
    // And the scores are those of the ballots as cast: counting them directly agrees.
    let paper: pbvote::tally::Election = serde_json::from_value(json!({
        "currency": "GBP",
        "config": {"rank_depth": 3, "min_group": 5, "savings_target": 80000, "development_budget": 30000},
        "services": [{"id": "day-centre"}, {"id": "library"}],
        "proposals": consultation()["proposals"],
        "ballots": ballots,
    }))
    .unwrap();
    let direct = serde_json::to_value(pbvote::tally::tally(&paper).unwrap()).unwrap();
    let published = app.get(&format!("/api/v1/consultations/{id}/results"), None).await.ok(200).clone();
    for p in direct["proposals"].as_array().unwrap() {
        let served = published["proposals"].as_array().unwrap().iter().find(|q| q["id"] == p["id"]).unwrap();
        for key in ["score", "plain_score", "rank", "adopted", "plain_adopted", "protected", "users", "user_weight", "want_count"] {
            assert_eq!(&served[key], &p[key], "{key} of {}", p["id"]);
        }
    }
}

/// A receipt proves that a ballot arrived, and no more: an old receipt whose ballot was
/// replaced answers exactly as the latest one and as another resident's receipt; and
/// receipts are stored only as keyed hashes.
#[tokio::test]
async fn an_old_receipt_answers_the_same_whether_or_not_its_ballot_was_replaced() {
    let app = spawn_app().await;
    let organiser = app.organiser().await;
    let id = app.create_consultation(&organiser, &consultation()).await;
    let codes = app.issue_codes(&organiser, &id, 2).await;
    app.open(&organiser, &id).await;
    let cast = |code: &str, ballot: Value| {
        let mut ballot = ballot;
        ballot["voter_code"] = json!(code);
        let (app, id) = (&app, &id);
        async move { app.cast(id, &ballot).await.body["receipt"].as_str().unwrap().to_owned() }
    };
    let kept = cast(&codes[0], json!({"want": ["S1"]})).await;
    let replaced = cast(&codes[1], json!({"want": ["S2"]})).await;
    let latest = cast(&codes[1], json!({"dont_want": ["S2"]})).await;
    let answer = |receipt: String| {
        let app = &app;
        async move {
            let r = app.get(&format!("/api/v1/receipts/{receipt}"), None).await;
            let mut body = r.ok(200).clone();
            assert_eq!(body["receipt"], json!(receipt));
            body["receipt"] = json!("…");
            (r.status, body, r.headers.get("content-length").cloned())
        }
    };
    let (a, b, c) = (answer(kept.clone()).await, answer(replaced.clone()).await, answer(latest.clone()).await);
    assert_eq!(a, b, "a replaced ballot's receipt answers differently from a kept one");
    assert_eq!(b, c, "a replaced ballot's receipt answers differently from the latest one");
    assert!(a.1.get("received_at").is_none(), "only the day is given: {}", a.1);
    // After close too.
    app.post_empty(&format!("/api/v1/consultations/{id}/close"), Some(&organiser)).await.ok(200);
    assert_eq!(answer(replaced.clone()).await, answer(kept.clone()).await);

    if let Some(file) = &app.sqlite_file {
        let mut bytes = std::fs::read(file).unwrap_or_default();
        bytes.extend(std::fs::read(file.with_extension("db-wal")).unwrap_or_default());
        let text = String::from_utf8_lossy(&bytes);
        for receipt in [&kept, &replaced, &latest] {
            assert!(!text.contains(receipt.as_str()), "receipt {receipt} is stored in plain text");
            assert!(!text.contains(&receipt.replace('-', "")), "receipt {receipt} is stored in plain text");
        }
    }
}

/// Receipts stored in plain text by the previous version are hashed when the new version
/// starts: they keep working, and are no longer in the database in plain text.
#[tokio::test]
async fn receipts_from_before_the_upgrade_keep_working_and_are_hashed() {
    use migration::MigratorTrait;
    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    let dir = tempfile::tempdir().unwrap();
    let (url, sqlite_file) = crate::helpers::fresh_database_url(dir.path()).await;
    // The database as the previous version left it: the first two migrations, a ballot
    // with its receipt in the ballots table.
    let conn = sea_orm::Database::connect(&url).await.unwrap();
    migration::Migrator::up(&conn, Some(2)).await.unwrap();
    let backend = conn.get_database_backend();
    let (c, b) = (uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
    let receipt = "R-7KQF-M2XD-9PRT-ABCD";
    let now = chrono::Utc::now();
    let statements: Vec<(&str, Vec<sea_orm::Value>)> = vec![
        (
            "INSERT INTO consultations (id, title, description, phase, currency, rank_depth, minority_share_percent, max_weight, \
             min_group, protect_threshold_percent, areas, created_at, updated_at) VALUES ($1, 'Before', '', 'open', 'GBP', 3, 50, 10, 5, 50, '[]', $2, $2)",
            vec![c.into(), now.into()],
        ),
        (
            "INSERT INTO ballots (id, consultation_id, voter_key, want, dont_want, uses, channel, area, receipt, version, created_at, updated_at) \
             VALUES ($1, $2, 'k', '[]', '[]', '[]', 'online', NULL, $3, 1, $4, $4)",
            vec![b.into(), c.into(), receipt.into(), now.into()],
        ),
    ];
    for (sql, values) in statements {
        // `$1` on PostgreSQL, `?1` (numbered, so a repeated one binds the same value) on SQLite.
        let sql = if backend == DbBackend::Sqlite { sql.replace('$', "?") } else { sql.to_owned() };
        conn.execute_raw(Statement::from_sql_and_values(backend, sql, values)).await.unwrap();
    }
    conn.close().await.unwrap();

    let app = crate::helpers::start_on(&url).await;
    let answer = app.get(&format!("/api/v1/receipts/{receipt}"), None).await;
    assert_eq!(answer.ok(200)["consultation_title"], "Before");
    assert_eq!(answer.body["received_on"], json!(now.date_naive()));
    if let Some(file) = sqlite_file {
        let mut bytes = std::fs::read(&file).unwrap_or_default();
        bytes.extend(std::fs::read(file.with_extension("db-wal")).unwrap_or_default());
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains(receipt) && !text.contains("plain:"), "a moved receipt was left in the file in plain text");
    }
}
