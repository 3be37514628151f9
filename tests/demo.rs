//! The README's first command, `pbvote serve --demo`, always works in the same folder: once
//! the demo consultation has been closed, the next start makes a fresh open one beside it
//! (the closed one is kept) and prints where to vote in it.
mod common;

use std::{path::Path, process::Stdio, time::Duration};

use common::*;
use serde_json::json;
use tokio::io::{AsyncBufReadExt, BufReader};

/// `pbvote serve --demo` run in `dir` with nothing set but a free port: the default SQLite
/// file and key file land in `dir`, as for a newcomer.
struct Demo {
    child: tokio::process::Child,
    base: String,
    consultation: String,
    vote_at: String,
    codes: Vec<String>,
    /// (email, password) of accounts made on this start.
    accounts: Vec<(String, String)>,
    earlier: Vec<String>,
}

impl Demo {
    async fn start(dir: &Path) -> Demo {
        let mut command = tokio::process::Command::new(PBVOTE);
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("PBVOTE_") || key == "DATABASE_URL" {
                command.env_remove(&key);
            }
        }
        let mut child = command
            .args(["serve", "--demo"])
            .env("PBVOTE_BIND", "127.0.0.1:0")
            .env("PBVOTE_LOG", "warn")
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("start pbvote serve --demo");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut stderr = BufReader::new(child.stderr.take().unwrap()).lines();
        let mut printed = Vec::new();
        let listening = tokio::time::timeout(START_TIMEOUT, async {
            while let Ok(Some(line)) = lines.next_line().await {
                printed.push(line.clone());
                if let Some(address) = line.strip_prefix("pbvote listening on ") {
                    return Some(address.trim().to_owned());
                }
            }
            None
        })
        .await
        .ok()
        .flatten();
        let Some(base) = listening else {
            let mut errors = Vec::new();
            while let Ok(Ok(Some(line))) = tokio::time::timeout(Duration::from_secs(2), stderr.next_line()).await {
                errors.push(line);
            }
            panic!("pbvote serve --demo did not start.\nIt printed: {printed:#?}\nand on stderr: {errors:#?}");
        };
        // Keep draining both pipes so the server never blocks on them.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        tokio::spawn(async move { while let Ok(Some(_)) = stderr.next_line().await {} });
        let after = |prefix: &str| printed.iter().filter_map(|l| l.strip_prefix(prefix)).map(|v| v.trim().to_owned()).collect::<Vec<_>>();
        let accounts = after("demo account: ")
            .iter()
            .map(|l| {
                let (email, password) = l.split_once(" password: ").expect("demo account: EMAIL password: PASSWORD");
                (email.to_owned(), password.to_owned())
            })
            .collect();
        Demo {
            child,
            base,
            consultation: after("demo consultation: ").pop().expect("the demo consultation is printed"),
            vote_at: after("vote at: ").pop().expect("where to vote is printed"),
            codes: after("demo voter code: "),
            accounts,
            earlier: after("earlier demo consultation (voting closed, kept): "),
        }
    }

    async fn stop(mut self) {
        let pid = self.child.id().expect("running");
        let status = std::process::Command::new("kill").args(["-TERM", &pid.to_string()]).status().unwrap();
        assert!(status.success());
        let exited = tokio::time::timeout(Duration::from_secs(40), self.child.wait()).await.expect("the demo stops on SIGTERM").unwrap();
        assert!(exited.success(), "{exited}");
    }
}

#[tokio::test]
async fn serve_demo_starts_again_after_the_demo_was_closed() {
    let dir = tempfile::tempdir().unwrap();
    let first = Demo::start(dir.path()).await;
    assert_eq!(first.codes.len(), 10, "ten voter codes are printed");
    assert!(first.vote_at.ends_with(&format!("/vote.html?c={}", first.consultation)), "{}", first.vote_at);
    let (email, password) = first.accounts.iter().find(|(e, _)| e.starts_with("organiser")).cloned().expect("the organiser's password");
    let api = Api::at(&first.base);
    let signed_in = Api::expect(
        api.post("/api/v1/auth/sign-in", &json!({"email": email, "password": password}), None).await,
        200,
        "sign in with the demo account",
    );
    let token = signed_in["token"].as_str().unwrap().to_owned();
    api.close(&token, &first.consultation).await;
    let closed = first.consultation.clone();
    first.stop().await;

    // The same command in the same folder.
    let second = Demo::start(dir.path()).await;
    assert_ne!(second.consultation, closed, "a fresh demo consultation");
    assert_eq!(second.earlier, vec![closed.clone()], "the closed one is named, and kept");
    assert!(second.vote_at.ends_with(&format!("/vote.html?c={}", second.consultation)), "{}", second.vote_at);
    let api = Api::at(&second.base);
    let ballot = api.cast(&second.consultation, &second.codes[0], &json!({"want": ["S1"], "dont_want": ["D1"]})).await;
    Api::expect(ballot, 201, "a ballot in the fresh demo");
    let kept = Api::expect(api.get(&format!("/api/v1/consultations/{closed}"), None).await, 200, "the closed demo");
    assert_eq!(kept["phase"], "closed");
    let fresh = second.consultation.clone();
    second.stop().await;

    // While the fresh demo is open, starting again reuses it.
    let third = Demo::start(dir.path()).await;
    assert_eq!(third.consultation, fresh, "the open demo is reused");
    third.stop().await;
}
