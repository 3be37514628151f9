//! The SQLite files are private, and a replaced ballot does not linger in them: run the
//! real binary on a fresh SQLite file, vote, vote again with the same code, and read the
//! files on disk.
mod common;

use std::{
    os::unix::fs::PermissionsExt,
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

use common::*;
use serde_json::json;

/// A proposal id that appears nowhere else in the database as the start of a list.
const FIRST_CHOICE: &str = "ZQX-FIRST-CHOICE-9";

fn sqlite_path(db: &TestDb) -> PathBuf {
    PathBuf::from(db.url.trim_start_matches("sqlite://").split('?').next().unwrap())
}

fn with_suffix(file: &Path, suffix: &str) -> PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())).permissions().mode() & 0o777
}

#[tokio::test]
async fn the_database_files_are_private_and_forget_a_replaced_ballot() {
    let db = TestDb::sqlite();
    let file = sqlite_path(&db);
    let files = [file.clone(), with_suffix(&file, "-wal"), with_suffix(&file, "-shm")];
    let mut server = Server::start(&db.url).await;
    let api = Api::new(&server);
    add_user(&db.url, "organiser@council.example", "organiser").await;
    let token = api.sign_in("organiser@council.example").await;
    let id = api
        .create_consultation(
            &token,
            &json!({
                "title": "Riverside budget",
                "proposals": [
                    {"id": FIRST_CHOICE, "kind": "saving", "title": "Close the library", "amount": 100},
                    {"id": "S1", "kind": "saving", "title": "Cut the grass less often", "amount": 100}
                ]
            }),
        )
        .await;
    let code = api.issue_codes(&token, &id, 1).await.remove(0);
    api.open(&token, &id).await;
    Api::expect(api.cast(&id, &code, &json!({"want": [FIRST_CHOICE]})).await, 201, "the first ballot");
    Api::expect(api.cast(&id, &code, &json!({"want": ["S1"]})).await, 200, "the same code votes again");

    // Every file of the database is for the service's user only.
    for path in &files {
        assert_eq!(mode(path), 0o600, "{} is readable by others", path.display());
    }
    // The first ballot's contents leave the files soon after they were replaced.
    let needle = format!("[\"{FIRST_CHOICE}\"");
    let started = Instant::now();
    let holding = loop {
        let holding: Vec<String> = files
            .iter()
            .filter(|p| std::fs::read(p).is_ok_and(|bytes| bytes.windows(needle.len()).any(|w| w == needle.as_bytes())))
            .map(|p| p.display().to_string())
            .collect();
        if holding.is_empty() || started.elapsed() > Duration::from_secs(15) {
            break holding;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(holding.is_empty(), "15 s after the ballot was replaced, its first version ({needle}) is still in {holding:?}");
    // The ballot that counts is intact.
    let stored = stored_ballots(&db.url, &id).await;
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0]["want"], json!(["S1"]));

    // A file that an older version left readable by everyone is narrowed at start-up.
    server.sigterm();
    assert!(server.wait_exit(Duration::from_secs(40)).await.is_some_and(|s| s.success()), "the server stops");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let migrate = tokio::process::Command::new(PBVOTE)
        .arg("migrate")
        .env("DATABASE_URL", &db.url)
        .env("PBVOTE_SECRET", SECRET)
        .output()
        .await
        .expect("run pbvote migrate");
    assert!(migrate.status.success(), "{}", String::from_utf8_lossy(&migrate.stderr));
    assert_eq!(mode(&file), 0o600, "an existing database file readable by others is narrowed to 0600");
}
