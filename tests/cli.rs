//! The `pbvote` command, run as a user runs it.
use std::{
    io::Write,
    process::{Command, Stdio},
};

fn pbvote() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pbvote"));
    cmd.env_remove("DATABASE_URL").env_remove("PBVOTE_SECRET").env("PBVOTE_LOG", "warn");
    cmd
}

fn run_with_stdin(mut cmd: Command, stdin: &[u8]) -> std::process::Output {
    let mut child = cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap()
}

const WORKED_EXAMPLE: &str = r#"{
  "config": {"rank_depth": 3, "minority_share_percent": 50, "max_weight": 10, "min_group": 5,
             "protect_threshold_percent": 50, "savings_target": 80000, "development_budget": 30000},
  "services": [{"id": "day-centre", "name": "Day centre"}],
  "proposals": [
    {"id": "S1", "kind": "saving", "amount": 80000, "service": "day-centre"},
    {"id": "S2", "kind": "saving", "amount": 50000},
    {"id": "S3", "kind": "saving", "amount": 40000},
    {"id": "D1", "kind": "development", "amount": 30000}],
  "ballots": BALLOTS
}"#;

fn worked_example() -> String {
    let mut ballots = Vec::new();
    ballots.extend(std::iter::repeat_n(r#"{"want": ["S1", "S3", "S2"]}"#, 60));
    ballots.extend(std::iter::repeat_n(r#"{"want": ["S3", "D1", "S2"]}"#, 30));
    ballots.extend(std::iter::repeat_n(r#"{"want": ["S2", "D1"], "dont_want": ["S1", "S3"], "uses": ["day-centre"]}"#, 10));
    WORKED_EXAMPLE.replace("BALLOTS", &format!("[{}]", ballots.join(",")))
}

#[test]
fn help_lists_the_commands_and_settings() {
    let out = pbvote().arg("--help").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for word in ["serve", "migrate", "user", "tally", "DATABASE_URL", "PBVOTE_LOG"] {
        assert!(text.contains(word), "--help mentions {word}:\n{text}");
    }
    let serve = String::from_utf8(pbvote().args(["serve", "--help"]).output().unwrap().stdout).unwrap();
    for word in ["PBVOTE_BIND", "--demo", "PBVOTE_SECRET", "PBVOTE_PUBLIC_URL"] {
        assert!(serve.contains(word), "serve --help mentions {word}:\n{serve}");
    }
}

#[test]
fn tally_counts_a_file_and_standard_input_the_same_way() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("example.json");
    std::fs::write(&file, worked_example()).unwrap();
    let from_file = pbvote().arg("tally").arg(&file).output().unwrap();
    assert!(from_file.status.success(), "{}", String::from_utf8_lossy(&from_file.stderr));
    let result: serde_json::Value = serde_json::from_slice(&from_file.stdout).unwrap();
    let s1 = &result["proposals"][0];
    assert_eq!(s1["id"], "S1");
    assert_eq!(s1["protected"], true);
    assert_eq!(s1["adopted"], false);
    assert_eq!(s1["plain_adopted"], true);
    assert_eq!(result["summary"]["savings_adopted"], 90000);

    let mut cmd = pbvote();
    cmd.args(["tally", "-"]);
    let from_stdin = run_with_stdin(cmd, worked_example().as_bytes());
    assert!(from_stdin.status.success());
    assert_eq!(from_stdin.stdout, from_file.stdout, "byte-identical output");
}

#[test]
fn tally_refuses_bad_files_with_a_message_naming_the_problem() {
    let cases: [(&str, &str); 4] = [
        ("{not json", "line 1"),
        (r#"{"proposals": [{"id": "S1", "kind": "saving", "amount": 1}], "ballots": [{"want": ["S1", "S1"]}]}"#, "ballots[0]"),
        (r#"{"proposals": [{"id": "S1", "kind": "saving", "amount": -5}], "ballots": []}"#, "proposals[0].amount"),
        (r#"{"config": {"rank_depth": 0}, "proposals": [], "ballots": []}"#, "rank_depth"),
    ];
    for (input, expected) in cases {
        let mut cmd = pbvote();
        cmd.args(["tally", "-"]);
        let out = run_with_stdin(cmd, input.as_bytes());
        assert!(!out.status.success(), "{input}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(expected), "{input}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
    let missing = pbvote().args(["tally", "/no/such/file.json"]).output().unwrap();
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("/no/such/file.json"));
}

#[test]
fn tally_reproduces_krakow_2024_through_the_cli() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/real");
    let (Ok(input), Ok(published)) = (std::fs::read(dir.join("krakow-2024.json")), std::fs::read(dir.join("krakow-2024.published.json")))
    else {
        // CI says the data must be there (as for the tally crate's real-data tests).
        let required = std::env::var_os("PBVOTE_REQUIRE_SHARED_DATA").is_some_and(|v| !v.is_empty() && v != "0");
        assert!(!required, "{}/krakow-2024*.json not found, and PBVOTE_REQUIRE_SHARED_DATA says it is required", dir.display());
        eprintln!("skipped: ../shared/data/real/krakow-2024*.json not found (PBVOTE_REQUIRE_SHARED_DATA=1 makes this a failure)");
        return;
    };
    let mut cmd = pbvote();
    cmd.args(["tally", "-"]);
    let out = run_with_stdin(cmd, &input);
    assert!(out.status.success());
    let result: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let published: serde_json::Value = serde_json::from_slice(&published).unwrap();
    assert_eq!(result["summary"]["ballots"], 65101);
    for p in result["proposals"].as_array().unwrap() {
        let expected = &published[p["id"].as_str().unwrap()];
        assert_eq!(p["want_count"], expected["votes"], "{}", p["id"]);
        assert_eq!(p["want_mass"], expected["score"], "{}", p["id"]);
        assert_eq!(p["plain_adopted"], expected["selected"], "{}", p["id"]);
    }
}

#[test]
fn user_add_and_migrate_work_and_bad_urls_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("cli.db").display());
    let migrate = pbvote().env("DATABASE_URL", &url).arg("migrate").output().unwrap();
    assert!(migrate.status.success(), "{}", String::from_utf8_lossy(&migrate.stderr));

    let mut add = pbvote();
    add.env("DATABASE_URL", &url).args(["user", "add", "--email", "Ann@Council.example", "--role", "organiser", "--password-stdin"]);
    let out = run_with_stdin(add, b"a long enough password\n");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("added ann@council.example (organiser)"));

    let mut again = pbvote();
    again.env("DATABASE_URL", &url).args(["user", "add", "--email", "ann@council.example", "--role", "commissioner", "--password-stdin"]);
    let out = run_with_stdin(again, b"another long password\n");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("already exists"));

    let mut short = pbvote();
    short.env("DATABASE_URL", &url).args(["user", "add", "--email", "bo@council.example", "--role", "organiser", "--password-stdin"]);
    let out = run_with_stdin(short, b"short\n");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("at least 10 characters"));

    let bad = pbvote().env("DATABASE_URL", "mysql://root@localhost/x").arg("migrate").output().unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("mysql"));
}

/// Numeric settings out of range are refused before anything starts, naming the setting
/// (a huge PBVOTE_SESSION_HOURS used to overflow at start or panic at every sign-in).
#[test]
fn out_of_range_numeric_settings_are_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("cli.db").display());
    for (setting, value) in [
        ("PBVOTE_SESSION_HOURS", "1000000000000"),
        ("PBVOTE_SESSION_HOURS", "100000000000000000"),
        ("PBVOTE_SESSION_HOURS", "0"),
        ("PBVOTE_SESSION_HOURS", "8761"),
        ("PBVOTE_CODE_FAILURE_LIMIT", "0"),
        ("PBVOTE_SIGN_IN_LIMIT", "0"),
        ("PBVOTE_SIGN_IN_LIMIT", "99999999999"),
        ("PBVOTE_SIGN_IN_ACCOUNT_LIMIT", "0"),
        ("PBVOTE_DB_CONNECTIONS", "0"),
        ("PBVOTE_DB_CONNECTIONS", "100000"),
        ("PBVOTE_METRICS_TOKEN", "short"),
    ] {
        let mut child = pbvote()
            .env("DATABASE_URL", &url)
            .env("PBVOTE_BIND", "127.0.0.1:0")
            .env("PBVOTE_KEY_FILE", dir.path().join("pbvote.key"))
            .env(setting, value)
            .arg("serve")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // A server that starts would run until killed: give it a moment, then stop it.
        let started = std::time::Instant::now();
        while child.try_wait().unwrap().is_none() && started.elapsed() < std::time::Duration::from_secs(10) {
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("{setting}={value} was accepted: the server started");
        }
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2).filter(|_| setting != "PBVOTE_METRICS_TOKEN").or(Some(1)), "{setting}={value}: {stderr}");
        assert!(!stderr.contains("panicked"), "{setting}={value}: {stderr}");
        assert!(
            stderr.contains(setting) || stderr.contains(&setting.trim_start_matches("PBVOTE_").to_lowercase().replace('_', "-")),
            "{setting}={value}: {stderr}"
        );
    }
}

/// E-mail settings that cannot work are refused at start, naming the setting: an SMTP URL
/// without a sender (or the other way round), a URL that is not SMTP, a sender that is not an
/// address, a registration limit of 0.
#[test]
fn mail_settings_that_cannot_work_are_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("cli.db").display());
    let cases: [(&[(&str, &str)], &str); 5] = [
        (&[("PBVOTE_SMTP_URL", "smtp://127.0.0.1:25")], "PBVOTE_MAIL_FROM"),
        (&[("PBVOTE_MAIL_FROM", "vote@council.example")], "PBVOTE_SMTP_URL"),
        (&[("PBVOTE_SMTP_URL", "ftp://127.0.0.1"), ("PBVOTE_MAIL_FROM", "vote@council.example")], "PBVOTE_SMTP_URL"),
        (&[("PBVOTE_SMTP_URL", "smtp://127.0.0.1:25"), ("PBVOTE_MAIL_FROM", "the council")], "PBVOTE_MAIL_FROM"),
        (&[("PBVOTE_REGISTRATION_LIMIT", "0")], "registration-limit"),
    ];
    for (settings, named) in cases {
        let mut cmd = pbvote();
        cmd.env("DATABASE_URL", &url).env("PBVOTE_BIND", "127.0.0.1:0").env("PBVOTE_KEY_FILE", dir.path().join("pbvote.key"));
        for (k, v) in settings {
            cmd.env(k, v);
        }
        let mut child = cmd.arg("serve").stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
        let started = std::time::Instant::now();
        while child.try_wait().unwrap().is_none() && started.elapsed() < std::time::Duration::from_secs(10) {
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("{settings:?} was accepted: the server started");
        }
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{settings:?}: {stderr}");
        assert!(stderr.contains(named), "{settings:?} names {named}: {stderr}");
        assert!(!stderr.contains("panicked"), "{settings:?}: {stderr}");
    }
}
