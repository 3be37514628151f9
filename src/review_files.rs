//! The downloads of a closed consultation as CSV, and the SHA-256 each is published with,
//! so anyone can check they hold the same file.
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::{
    errors::AppError,
    model::{Consultation, Decision},
};

/// The SHA-256 of a file's bytes, as 64 hex digits.
pub fn sha256(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

fn writer() -> csv::Writer<Vec<u8>> {
    csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(Vec::new())
}

fn finish(w: csv::Writer<Vec<u8>>) -> Result<String, AppError> {
    let bytes = w.into_inner().map_err(|e| AppError::internal(format!("csv: {e}")))?;
    String::from_utf8(bytes).map_err(|e| AppError::internal(format!("csv: {e}")))
}

fn err(e: csv::Error) -> AppError {
    AppError::internal(format!("csv: {e}"))
}

fn text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The ranked result, one proposal a row, protected and plain side by side.
pub fn results_csv(consultation: &Consultation, result: &Value) -> Result<String, AppError> {
    let mut w = writer();
    w.write_record([
        "id",
        "title",
        "kind",
        "amount",
        "service",
        "rank",
        "score",
        "adopted",
        "protected",
        "plain_rank",
        "plain_score",
        "plain_adopted",
        "want_count",
        "dont_want_count",
        "users",
        "user_weight",
        "explanation",
    ])
    .map_err(err)?;
    let mut proposals: Vec<&Value> = result["proposals"].as_array().map(|a| a.iter().collect()).unwrap_or_default();
    proposals.sort_by_key(|p| (text(&p["kind"]), p["rank"].as_u64().unwrap_or(0)));
    for p in proposals {
        let title =
            consultation.proposals.iter().find(|x| Value::String(x.id.clone()) == p["id"]).map(|x| x.title.clone()).unwrap_or_default();
        let row: Vec<String> = [
            text(&p["id"]),
            title,
            text(&p["kind"]),
            text(&p["amount"]),
            text(&p["service"]),
            text(&p["rank"]),
            text(&p["score"]),
            text(&p["adopted"]),
            text(&p["protected"]),
            text(&p["plain_rank"]),
            text(&p["plain_score"]),
            text(&p["plain_adopted"]),
            text(&p["want_count"]),
            text(&p["dont_want_count"]),
            text(&p["users"]),
            text(&p["user_weight"]),
            text(&p["explanation"]),
        ]
        .into();
        w.write_record(&row).map_err(err)?;
    }
    finish(w)
}

/// The breakdowns: one row per group and proposal (a group left out for being too small
/// has "fewer than N" and no numbers).
pub fn breakdowns_csv(consultation: &Consultation, breakdowns: &Value) -> Result<String, AppError> {
    let mut w = writer();
    w.write_record([
        "by",
        "group",
        "ballots",
        "proposal",
        "title",
        "want_count",
        "dont_want_count",
        "want_points",
        "dont_want_points",
        "plain_score",
    ])
    .map_err(err)?;
    let title = |id: &Value| {
        consultation.proposals.iter().find(|x| Value::String(x.id.clone()) == *id).map(|x| x.title.clone()).unwrap_or_default()
    };
    for (by, key) in [("channel", "by_channel"), ("area", "by_area")] {
        for g in breakdowns[key].as_array().into_iter().flatten() {
            let label = if g["label"].is_null() { "none given".to_owned() } else { text(&g["label"]) };
            for c in g["proposals"].as_array().into_iter().flatten() {
                w.write_record([
                    by.to_owned(),
                    label.clone(),
                    text(&g["ballots"]),
                    text(&c["id"]),
                    title(&c["id"]),
                    text(&c["want_count"]),
                    text(&c["dont_want_count"]),
                    text(&c["want_points"]),
                    text(&c["dont_want_points"]),
                    text(&c["plain_score"]),
                ])
                .map_err(err)?;
            }
        }
    }
    let m = breakdowns["min_group"].as_u64().unwrap_or(1);
    for split in breakdowns["by_users"].as_array().into_iter().flatten() {
        for (label, side) in [("users", &split["users"]), ("non-users", &split["others"])] {
            let group = format!("{label} of {}", text(&split["service"]));
            if side.is_null() {
                w.write_record([
                    "service",
                    &group,
                    &format!("fewer than {m}"),
                    &text(&split["id"]),
                    &title(&split["id"]),
                    "",
                    "",
                    "",
                    "",
                    "",
                ])
                .map_err(err)?;
            } else {
                w.write_record([
                    "service".to_owned(),
                    group,
                    text(&side["ballots"]),
                    text(&split["id"]),
                    title(&split["id"]),
                    String::new(),
                    String::new(),
                    text(&side["want_points"]),
                    text(&side["dont_want_points"]),
                    text(&side["plain_score"]),
                ])
                .map_err(err)?;
            }
        }
    }
    finish(w)
}

/// Every decision, oldest first, with its reason.
pub fn decisions_csv(consultation: &Consultation, decisions: &[Decision]) -> Result<String, AppError> {
    let mut w = writer();
    w.write_record(["decided_at", "proposal", "title", "decision", "amount", "departs_from_the_result", "reason"]).map_err(err)?;
    for d in decisions {
        let title = consultation.proposals.iter().find(|p| p.id == d.proposal).map(|p| p.title.clone()).unwrap_or_default();
        w.write_record([
            d.decided_at.to_rfc3339(),
            d.proposal.clone(),
            title,
            d.decision.as_str().to_owned(),
            d.amount.map(|a| a.to_string()).unwrap_or_default(),
            d.departs.to_string(),
            d.reason.clone(),
        ])
        .map_err(err)?;
    }
    finish(w)
}
