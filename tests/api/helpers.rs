//! `spawn_app()` starts the real server on a random port with a fresh database — a SQLite
//! file in a temporary directory, or, when `TEST_DATABASE_URL` names a PostgreSQL server,
//! a new database on it — and `TestApp` talks to it over HTTP like any client.
use pbvote::{
    config::{Secret, Settings},
    domain::{Email, Password, Role},
    security::hash_password,
    startup::Application,
    storage::{self, Db},
};
use serde_json::{Value, json};

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub db: Db,
    /// The database it runs on (for `pbvote` commands and direct SQL).
    pub database_url: String,
    /// The SQLite file, when the test runs on SQLite (kept alive with the directory).
    pub sqlite_file: Option<std::path::PathBuf>,
    _dir: Option<tempfile::TempDir>,
}

pub struct Response {
    pub status: u16,
    pub body: Value,
    pub text: String,
    pub content_type: String,
    pub headers: reqwest::header::HeaderMap,
}

impl Response {
    /// Assert this is a problem document with `status`, and return it.
    #[track_caller]
    pub fn problem(&self, status: u16) -> &Value {
        assert_eq!(self.status, status, "expected {status}, got {}: {}", self.status, self.text);
        assert_eq!(self.content_type, "application/problem+json", "{}", self.text);
        assert_eq!(self.body["status"], status, "{}", self.text);
        assert!(self.body["type"].as_str().unwrap_or("").starts_with("urn:pbvote:problem:"), "{}", self.text);
        assert!(!self.body["detail"].as_str().unwrap_or("").is_empty(), "{}", self.text);
        &self.body
    }

    #[track_caller]
    pub fn problem_field(&self, status: u16, field: &str) -> &Value {
        let problem = self.problem(status);
        assert_eq!(problem["field"], field, "{}", self.text);
        problem
    }

    #[track_caller]
    pub fn ok(&self, status: u16) -> &Value {
        assert_eq!(self.status, status, "expected {status}, got {}: {}", self.status, self.text);
        &self.body
    }
}

pub fn test_secret() -> Secret {
    Secret::new(b"test-secret-test-secret-test-secret!!".to_vec()).unwrap()
}

/// A fresh database URL: a SQLite file in `dir`, or a new PostgreSQL database.
pub async fn fresh_database_url(dir: &std::path::Path) -> (String, Option<std::path::PathBuf>) {
    match std::env::var("TEST_DATABASE_URL") {
        Ok(admin) if !admin.is_empty() => {
            use sea_orm::ConnectionTrait;
            let name = format!("pbvote_t_{}", uuid::Uuid::new_v4().simple());
            let conn = sea_orm::Database::connect(&admin).await.expect("TEST_DATABASE_URL must be reachable");
            conn.execute_unprepared(&format!("CREATE DATABASE {name}")).await.expect("create test database");
            conn.close().await.ok();
            let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
            (format!("{base}/{name}"), None)
        }
        _ => {
            let file = dir.join("pbvote.db");
            (format!("sqlite://{}?mode=rwc", file.display()), Some(file))
        }
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Like `spawn_app`, with settings changed first (e.g. lower rate limits).
pub async fn spawn_app_with(change: impl FnOnce(&mut Settings)) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let (url, sqlite_file) = fresh_database_url(dir.path()).await;
    let mut app = start(&url, change).await;
    app.sqlite_file = sqlite_file;
    app._dir = Some(dir);
    app
}

/// Two instances of the service on one fresh database, as behind a load balancer.
pub async fn spawn_two_instances(change: impl Fn(&mut Settings)) -> (TestApp, TestApp) {
    let dir = tempfile::tempdir().expect("temp dir");
    let (url, sqlite_file) = fresh_database_url(dir.path()).await;
    let mut first = start(&url, &change).await;
    let second = start(&url, &change).await;
    first.sqlite_file = sqlite_file;
    first._dir = Some(dir);
    (first, second)
}

/// The service on a database that already exists (e.g. one a test prepared).
pub async fn start_on(url: &str) -> TestApp {
    start(url, |_| {}).await
}

async fn start(url: &str, change: impl FnOnce(&mut Settings)) -> TestApp {
    let mut settings = Settings::for_database(url, test_secret()).expect("settings");
    change(&mut settings);
    let app = Application::build(settings).await.expect("the app starts");
    let address = format!("http://127.0.0.1:{}", app.port());
    let db = app.context().db.clone();
    tokio::spawn(app.run_until_stopped());
    TestApp { address, client: reqwest::Client::new(), db, database_url: url.to_owned(), sqlite_file: None, _dir: None }
}

impl TestApp {
    pub async fn send(&self, request: reqwest::RequestBuilder) -> Response {
        let response = request.send().await.expect("request sent");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let content_type =
            response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").split(';').next().unwrap_or("").to_owned();
        let text = response.text().await.unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Response { status, body, text, content_type, headers }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    fn with_token(request: reqwest::RequestBuilder, token: Option<&str>) -> reqwest::RequestBuilder {
        match token {
            Some(t) => request.bearer_auth(t),
            None => request,
        }
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Response {
        self.send(Self::with_token(self.client.get(self.url(path)), token)).await
    }

    pub async fn post(&self, path: &str, body: &Value, token: Option<&str>) -> Response {
        self.send(Self::with_token(self.client.post(self.url(path)).json(body), token)).await
    }

    pub async fn post_empty(&self, path: &str, token: Option<&str>) -> Response {
        self.send(Self::with_token(self.client.post(self.url(path)), token)).await
    }

    pub async fn post_raw(&self, path: &str, body: impl Into<reqwest::Body>, content_type: &str, token: Option<&str>) -> Response {
        self.send(Self::with_token(self.client.post(self.url(path)).header("content-type", content_type).body(body), token)).await
    }

    pub async fn put(&self, path: &str, body: &Value, token: Option<&str>) -> Response {
        self.send(Self::with_token(self.client.put(self.url(path)).json(body), token)).await
    }

    pub async fn patch(&self, path: &str, body: &Value, token: Option<&str>) -> Response {
        self.send(Self::with_token(self.client.patch(self.url(path)).json(body), token)).await
    }

    pub async fn delete(&self, path: &str, token: Option<&str>) -> Response {
        self.send(Self::with_token(self.client.delete(self.url(path)), token)).await
    }

    /// Make an account directly in the database, as `pbvote user add` does.
    pub async fn add_account(&self, email: &str, password: &str, role: Role) {
        storage::accounts::create_user(
            &self.db,
            pbvote::audit::Actor::Command("test"),
            &Email::parse(email).unwrap(),
            hash_password(&Password::parse(password).unwrap()).unwrap(),
            role,
        )
        .await
        .unwrap();
    }

    /// Make an account and sign in over HTTP. Returns the token.
    pub async fn signed_in(&self, role: Role) -> String {
        let email = format!("{}-{}@council.example", role.as_str(), uuid::Uuid::new_v4().simple());
        let password = "a long test password";
        self.add_account(&email, password, role).await;
        let response = self.post("/api/v1/auth/sign-in", &json!({"email": email, "password": password}), None).await;
        response.ok(200)["token"].as_str().unwrap().to_owned()
    }

    pub async fn organiser(&self) -> String {
        self.signed_in(Role::Organiser).await
    }

    pub async fn commissioner(&self) -> String {
        self.signed_in(Role::Commissioner).await
    }

    /// Create a draft; returns its id.
    pub async fn create_consultation(&self, token: &str, body: &Value) -> String {
        let response = self.post("/api/v1/consultations", body, Some(token)).await;
        response.ok(201)["id"].as_str().unwrap().to_owned()
    }

    pub async fn open(&self, token: &str, id: &str) {
        self.post_empty(&format!("/api/v1/consultations/{id}/open"), Some(token)).await.ok(200);
    }

    /// `pbvote retention apply --days {days}` on this app's database: what it printed. It must
    /// succeed.
    pub fn apply_retention(&self, days: u32) -> String {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_pbvote"))
            .env("DATABASE_URL", &self.database_url)
            .env("PBVOTE_LOG", "warn")
            .args(["retention", "apply", "--days", &days.to_string()])
            .output()
            .expect("pbvote runs");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub async fn issue_codes(&self, token: &str, id: &str, count: u32) -> Vec<String> {
        let response = self.post(&format!("/api/v1/consultations/{id}/voter-codes"), &json!({"count": count}), Some(token)).await;
        response.ok(201)["codes"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_owned()).collect()
    }

    pub async fn cast(&self, id: &str, ballot: &Value) -> Response {
        self.post(&format!("/api/v1/consultations/{id}/ballots"), ballot, None).await
    }
}

/// The spec's worked example as a consultation body (R = 3, target 80,000, budget 30,000).
pub fn worked_example() -> Value {
    json!({
        "title": "Worked example",
        "description": "The example of the counting rule",
        "budget": {"savings_target": 80000, "development_budget": 30000},
        "settings": {"rank_depth": 3, "minority_share_percent": 50, "max_weight": 10, "min_group": 5, "protect_threshold_percent": 50},
        "services": [{"id": "day-centre", "name": "Day centre"}],
        "proposals": [
            {"id": "S1", "kind": "saving", "title": "Close the day centre", "amount": 80000, "service": "day-centre"},
            {"id": "S2", "kind": "saving", "title": "Cut park grass monthly", "amount": 50000},
            {"id": "S3", "kind": "saving", "title": "Dim street lights 1am to 5am", "amount": 40000},
            {"id": "D1", "kind": "development", "title": "New youth club", "amount": 30000}
        ]
    })
}

/// The worked example's 100 ballots: 60, 30 and 10 voters.
pub fn worked_example_ballots() -> Vec<Value> {
    let mut ballots = Vec::new();
    for _ in 0..60 {
        ballots.push(json!({"want": ["S1", "S3", "S2"]}));
    }
    for _ in 0..30 {
        ballots.push(json!({"want": ["S3", "D1", "S2"]}));
    }
    for _ in 0..10 {
        ballots.push(json!({"want": ["S2", "D1"], "dont_want": ["S1", "S3"], "uses": ["day-centre"]}));
    }
    ballots
}

/// A small open consultation with a day centre, for ballot tests. Returns (organiser token, id, codes).
pub async fn open_consultation(app: &TestApp, codes: u32) -> (String, String, Vec<String>) {
    let token = app.organiser().await;
    let mut body = worked_example();
    body["areas"] = json!(["North", "South"]);
    let id = app.create_consultation(&token, &body).await;
    let codes = app.issue_codes(&token, &id, codes).await;
    app.open(&token, &id).await;
    (token, id, codes)
}

/// A Server-Sent Events client, as a projector or a phone follows a meeting.
pub struct EventStream {
    response: reqwest::Response,
    buffer: String,
    /// The id of the last event read.
    pub last_id: Option<String>,
}

/// One event: its id and its data as JSON.
#[derive(Debug, Clone)]
#[allow(dead_code)] // the id is for tests that check event ids
pub struct Event {
    pub id: Option<String>,
    pub data: Value,
}

/// The events read while waiting for one that matched.
pub struct Seen {
    pub events: Vec<Event>,
}

impl Seen {
    pub fn last(&self) -> &Value {
        &self.events.last().expect("at least the matching event").data
    }
}

impl EventStream {
    pub async fn open(app: &TestApp, path: &str, last_event_id: Option<&str>) -> EventStream {
        let mut request = app.client.get(format!("{}{path}", app.address)).header("accept", "text/event-stream");
        if let Some(id) = last_event_id {
            request = request.header("last-event-id", id);
        }
        let response = request.send().await.expect("stream opened");
        assert_eq!(response.status().as_u16(), 200, "stream {path}");
        let content_type = response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
        assert!(content_type.starts_with("text/event-stream"), "{content_type}");
        EventStream { response, buffer: String::new(), last_id: None }
    }

    /// The next event within `limit` (keep-alive comments skipped), or `None`.
    pub async fn next(&mut self, limit: std::time::Duration) -> Option<Event> {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let mut id = None;
                let mut data = String::new();
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("id: ") {
                        id = Some(v.to_owned());
                    } else if let Some(v) = line.strip_prefix("data: ") {
                        data.push_str(v);
                    }
                }
                if data.is_empty() {
                    continue;
                }
                self.last_id = id.clone().or(self.last_id.take());
                return Some(Event { id, data: serde_json::from_str(&data).expect("event data is JSON") });
            }
            let chunk = tokio::time::timeout_at(deadline, self.response.chunk()).await.ok()?.ok()??;
            self.buffer.push_str(&String::from_utf8_lossy(&chunk));
        }
    }

    /// Read events until one's data satisfies `done`, within `limit`.
    pub async fn until(&mut self, limit: std::time::Duration, done: impl Fn(&Value) -> bool) -> Option<Seen> {
        let deadline = tokio::time::Instant::now() + limit;
        let mut events = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let event = self.next(left).await?;
            let matched = done(&event.data);
            events.push(event);
            if matched {
                return Some(Seen { events });
            }
        }
    }
}
