//! Paper ballots, typed in by officers at a meeting.
//!
//! Each paper carries a serial (its own number, or the slip it came with). Every entry an
//! officer makes is kept in `paper_entries` with the officer and the time, and none is ever
//! deleted (a reset marks them): that is the meeting's record of its paper. The ballot
//! counted is in `ballots`, like any other, keyed by the paper.
//!
//! An entry's `status`:
//! - `entered`: typed once (single entry) and counted;
//! - `pending`: the first of two entries (double entry), not counted yet;
//! - `matched`: two officers' entries agreed, counted;
//! - `mismatched`: two officers' entries differ: not counted until a third officer settles;
//! - `settled`: a third officer's entry that settles a mismatch, counted;
//! - `corrected`: a correction, counted;
//! - `replaced`: superseded by a later entry (a correction or a settlement);
//! - `reset`: the meeting was reset.
use chrono::Utc;
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set, sea_query::Expr};
use uuid::Uuid;

use super::{
    Db,
    audit::{self, Change},
    ballots::{self, BallotToStore},
    consultations,
    entities::{meetings, paper_entries, users, voter_codes},
    from_json_list, to_json_list,
};
use crate::{
    audit::Actor,
    domain::{Channel, PaperSerial},
    errors::AppError,
    model::{PaperEntry, User},
};

/// A paper ballot as an officer typed it (already checked against the ballot paper).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaperBallot {
    pub serial: PaperSerial,
    pub want: Vec<String>,
    pub dont_want: Vec<String>,
    /// Sorted, each once.
    pub uses: Vec<String>,
    pub area: Option<String>,
}

/// The ballot a paper counts as: its key (the slip's own, when the serial is a slip of
/// this meeting, so that a slip votes once whether on a phone or on paper) and, then, the
/// slip's lookup hash (to mark it used).
pub struct PaperKey {
    pub ballot_key: String,
    pub slip_hash: Option<String>,
}

/// What became of an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Entered {
    /// Counted (single entry, a correction, or a settlement).
    Counted,
    /// Double entry: waiting for a second officer to type the same paper.
    AwaitingSecondEntry,
    /// Double entry: the second entry agreed with the first; counted.
    Matched,
    /// Double entry: the second entry differs from the first; a third officer must settle.
    Mismatched,
}

/// Statuses of entries that are not superseded.
const LIVE: &[&str] = &["entered", "pending", "matched", "mismatched", "settled", "corrected"];
/// Statuses of entries that are counted.
const COUNTED: &[&str] = &["entered", "matched", "settled", "corrected"];

/// How a paper is entered: a first entry, a correction of a counted one, or a settlement
/// of a mismatch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Enter,
    Correct,
    Settle,
}

/// Lock the meeting for a paper entry: it must be voting, and its consultation open.
async fn lock_meeting(txn: &DatabaseTransaction, meeting: Uuid) -> Result<meetings::Model, AppError> {
    let row = meetings::Entity::find_by_id(meeting).one(txn).await?.ok_or_else(|| AppError::not_found("meeting"))?;
    consultations::lock_open_for_voting(txn, row.consultation_id, Utc::now()).await?;
    super::meetings::lock_voting(txn, meeting, row.consultation_id).await?;
    Ok(row)
}

async fn live_entries(txn: &DatabaseTransaction, meeting: Uuid, serial: &PaperSerial) -> Result<Vec<paper_entries::Model>, AppError> {
    Ok(paper_entries::Entity::find()
        .filter(paper_entries::Column::MeetingId.eq(meeting))
        .filter(paper_entries::Column::Serial.eq(serial.as_str()))
        .filter(paper_entries::Column::Status.is_in(LIVE.iter().copied()))
        .order_by_asc(paper_entries::Column::EnteredAt)
        .all(txn)
        .await?)
}

fn same_contents(row: &paper_entries::Model, ballot: &PaperBallot) -> bool {
    row.want == to_json_list(&ballot.want)
        && row.dont_want == to_json_list(&ballot.dont_want)
        && row.uses == to_json_list(&ballot.uses)
        && row.area == ballot.area
}

async fn set_status(txn: &DatabaseTransaction, ids: &[Uuid], status: &str) -> Result<(), AppError> {
    paper_entries::Entity::update_many()
        .col_expr(paper_entries::Column::Status, Expr::value(status))
        .filter(paper_entries::Column::Id.is_in(ids.iter().copied()))
        .exec(txn)
        .await?;
    Ok(())
}

/// Enter, correct or settle a paper ballot, all in one transaction with its record entry.
pub async fn enter(
    db: &Db,
    meeting: Uuid,
    officer: &User,
    key: PaperKey,
    ballot: PaperBallot,
    action: Action,
) -> Result<Entered, AppError> {
    let txn = db.begin_write().await?;
    let m = lock_meeting(&txn, meeting).await?;
    let live = live_entries(&txn, meeting, &ballot.serial).await?;
    let serial = ballot.serial.as_str();
    let counted_now = live.iter().any(|e| COUNTED.contains(&e.status.as_str()));
    let mismatched: Vec<&paper_entries::Model> = live.iter().filter(|e| e.status == "mismatched").collect();
    let (status, outcome, count) = match action {
        Action::Correct => {
            if !counted_now {
                return Err(AppError::conflict(Some("serial"), format!("paper {serial} has no counted entry to correct")));
            }
            set_status(&txn, &live.iter().map(|e| e.id).collect::<Vec<_>>(), "replaced").await?;
            ("corrected", Entered::Counted, true)
        }
        Action::Settle => {
            if mismatched.is_empty() {
                return Err(AppError::conflict(Some("serial"), format!("paper {serial} has no two entries that differ")));
            }
            if mismatched.iter().any(|e| e.officer_id == officer.id) {
                return Err(AppError::forbidden("a third officer, who entered neither of the two entries, must settle this paper"));
            }
            set_status(&txn, &mismatched.iter().map(|e| e.id).collect::<Vec<_>>(), "replaced").await?;
            ("settled", Entered::Counted, true)
        }
        Action::Enter if !m.double_entry => {
            if !live.is_empty() {
                return Err(AppError::conflict(Some("serial"), format!("paper {serial} has already been entered; correct it instead")));
            }
            ("entered", Entered::Counted, true)
        }
        Action::Enter => match live.as_slice() {
            [] => ("pending", Entered::AwaitingSecondEntry, false),
            [first] if first.status == "pending" && first.officer_id == officer.id => {
                return Err(AppError::conflict(
                    Some("serial"),
                    format!("you entered paper {serial} already: a second officer must enter it"),
                ));
            }
            [first] if first.status == "pending" => {
                if same_contents(first, &ballot) {
                    set_status(&txn, &[first.id], "matched").await?;
                    ("matched", Entered::Matched, true)
                } else {
                    set_status(&txn, &[first.id], "mismatched").await?;
                    ("mismatched", Entered::Mismatched, false)
                }
            }
            _ if !mismatched.is_empty() => {
                return Err(AppError::conflict(
                    Some("serial"),
                    format!("paper {serial} was entered twice differently: a third officer must settle it"),
                ));
            }
            _ => {
                return Err(AppError::conflict(
                    Some("serial"),
                    format!("paper {serial} has already been entered twice and agreed; correct it instead"),
                ));
            }
        },
    };
    let now = Utc::now();
    paper_entries::Entity::insert(paper_entries::ActiveModel {
        id: Set(Uuid::new_v4()),
        meeting_id: Set(meeting),
        serial: Set(serial.to_owned()),
        officer_id: Set(officer.id),
        want: Set(to_json_list(&ballot.want)),
        dont_want: Set(to_json_list(&ballot.dont_want)),
        uses: Set(to_json_list(&ballot.uses)),
        area: Set(ballot.area.clone()),
        status: Set(status.to_owned()),
        entered_at: Set(now),
    })
    .exec_without_returning(&txn)
    .await?;
    if count {
        let stored = BallotToStore {
            want: ballot.want,
            dont_want: ballot.dont_want,
            uses: ballot.uses,
            channel: Channel::Paper,
            area: ballot.area,
            receipt_hash: String::new(),
            meeting: None,
            service_user_code_hash: None,
        };
        // A paper ballot carries no service-user code: it keeps what its ballot had.
        ballots::upsert_in(&txn, m.consultation_id, &key.ballot_key, &stored, Some(meeting), None, now).await?;
        if let Some(slip) = &key.slip_hash {
            voter_codes::Entity::update_many()
                .col_expr(voter_codes::Column::Used, Expr::value(true))
                .filter(voter_codes::Column::CodeHash.eq(slip.as_str()))
                .exec(&txn)
                .await?;
        }
    }
    // The audit record says who entered which paper and what became of it; never what the
    // paper says (a resident's ballot is not a staff action).
    let what = match action {
        Action::Enter => "paper.enter",
        Action::Correct => "paper.correct",
        Action::Settle => "paper.settle",
    };
    let change = Change::new(Actor::Staff(officer.id), what, format!("meeting:{meeting}")).consultation(m.consultation_id);
    audit::append(&txn, change.after(serde_json::json!({"serial": serial, "status": status}))).await?;
    super::notify::in_transaction(&txn, meeting).await?;
    txn.commit().await?;
    db.announce_after_commit(meeting);
    Ok(outcome)
}

/// Serials whose two entries differ and are not settled yet.
pub(super) async fn open_mismatches(txn: &DatabaseTransaction, meeting: Uuid) -> Result<Vec<String>, AppError> {
    open_mismatches_read(txn, meeting).await
}

pub(super) async fn open_mismatches_read<C: ConnectionTrait>(conn: &C, meeting: Uuid) -> Result<Vec<String>, AppError> {
    let mut serials: Vec<String> = paper_entries::Entity::find()
        .select_only()
        .column(paper_entries::Column::Serial)
        .filter(paper_entries::Column::MeetingId.eq(meeting))
        .filter(paper_entries::Column::Status.eq("mismatched"))
        .into_tuple()
        .all(conn)
        .await?;
    serials.sort();
    serials.dedup();
    Ok(serials)
}

/// Every paper entry of a meeting, in the order typed, with the officer's e-mail.
pub async fn entries(db: &Db, meeting: Uuid) -> Result<Vec<PaperEntry>, AppError> {
    let rows = paper_entries::Entity::find()
        .filter(paper_entries::Column::MeetingId.eq(meeting))
        .order_by_asc(paper_entries::Column::EnteredAt)
        .all(&db.read)
        .await?;
    let emails: Vec<(Uuid, String)> = users::Entity::find()
        .select_only()
        .column(users::Column::Id)
        .column(users::Column::Email)
        .filter(users::Column::Id.is_in(rows.iter().map(|r| r.officer_id).collect::<Vec<_>>()))
        .into_tuple()
        .all(&db.read)
        .await?;
    rows.into_iter()
        .map(|r| {
            Ok(PaperEntry {
                serial: r.serial,
                officer: emails.iter().find(|(id, _)| *id == r.officer_id).map(|(_, e)| e.clone()).unwrap_or_default(),
                status: r.status,
                entered_at: r.entered_at,
                want: from_json_list(&r.want)?,
                dont_want: from_json_list(&r.dont_want)?,
                uses: from_json_list(&r.uses)?,
                area: r.area,
            })
        })
        .collect()
}
