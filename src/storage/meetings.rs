//! Meetings: their phases, slips, officers, the admitted count and the meeting's record.
//!
//! Every change to a meeting is one transaction that also writes the meeting's record
//! (`meeting_events`: who, what, why) and, on PostgreSQL, a NOTIFY so every instance's
//! projectors hear of it (see [`super::notify`]). Phase changes lock the meeting's row
//! first (`UPDATE … WHERE phase = …`), so two organisers pressing "close" at once, or a
//! close and a ballot, cannot interleave: a ballot cast at a meeting holds a share lock on
//! the row ([`lock_voting`]) until it commits.
use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
    sea_query::{Expr, ExprTrait, OnConflict},
};
use serde_json::json;
use uuid::Uuid;

pub use super::voter_codes::NewCode;
use super::{
    Db,
    audit::{self, Change},
    ballots, consultations,
    entities::{
        ballots as ballot_rows, meeting_events, meeting_joins, meeting_officers, meeting_results, meetings, paper_entries, users,
        voter_codes,
    },
};
use crate::{
    audit::Actor,
    domain::{JoinCode, MeetingPhase, Phase, Role, Title},
    errors::AppError,
    model::{CountedBallot, Meeting, MeetingEvent, Reconciliation, User},
};

/// A meeting's own fields, as an organiser enters them (already parsed).
#[derive(Debug, Clone)]
pub struct MeetingFields {
    pub title: Title,
    pub place: Title,
    pub starts_at: Option<DateTime<Utc>>,
    /// Paper ballots are entered twice, by two officers, and must agree.
    pub double_entry: bool,
}

fn to_meeting(row: meetings::Model) -> Result<Meeting, AppError> {
    Ok(Meeting {
        id: row.id,
        consultation_id: row.consultation_id,
        title: row.title,
        place: row.place,
        starts_at: row.starts_at,
        phase: MeetingPhase::parse(&row.phase).map_err(|e| AppError::internal(format!("stored meeting phase: {e}")))?,
        join_code: row.join_code,
        focus: row.focus,
        double_entry: row.double_entry,
        revealed: row.revealed,
        generation: u32::try_from(row.generation).unwrap_or(0),
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

/// Write an entry of the meeting's record.
async fn record<C: ConnectionTrait>(
    conn: &C,
    meeting: Uuid,
    user: Option<Uuid>,
    kind: &str,
    detail: serde_json::Value,
) -> Result<(), AppError> {
    meeting_events::Entity::insert(meeting_events::ActiveModel {
        id: Set(Uuid::new_v4()),
        meeting_id: Set(meeting),
        at: Set(Utc::now()),
        user_id: Set(user),
        kind: Set(kind.to_owned()),
        detail: Set(detail.to_string()),
    })
    .exec_without_returning(conn)
    .await?;
    // A staff action is in the audit record too, with the meeting as it now is.
    if let Some(user) = user {
        let now = get_in(conn, meeting).await?;
        let action = format!("meeting.{kind}");
        let change = Change::new(Actor::Staff(user), &action, format!("meeting:{meeting}")).consultation(now.consultation_id);
        audit::append(conn, change.after(json!({"detail": detail, "meeting": now}))).await?;
    }
    Ok(())
}

/// Add a meeting to a consultation that is a draft or open.
pub async fn create(db: &Db, consultation: Uuid, fields: MeetingFields, by: &User) -> Result<Meeting, AppError> {
    let txn = db.begin_write().await?;
    let c = consultations::get_in(&txn, consultation).await?;
    if !matches!(c.phase, Phase::Draft | Phase::Open) {
        return Err(AppError::wrong_phase(format!(
            "meetings can be added only before voting closes; the consultation is {}",
            c.phase.as_str()
        )));
    }
    let now = Utc::now();
    let id = Uuid::new_v4();
    // Join codes are short: on the rare clash, draw again.
    let mut join_code = JoinCode::generate();
    for _ in 0..10 {
        let taken = meetings::Entity::find().filter(meetings::Column::JoinCode.eq(join_code.as_str())).count(&txn).await?;
        if taken == 0 {
            break;
        }
        join_code = JoinCode::generate();
    }
    meetings::Entity::insert(meetings::ActiveModel {
        id: Set(id),
        consultation_id: Set(consultation),
        title: Set(fields.title.into_string()),
        place: Set(fields.place.into_string()),
        starts_at: Set(fields.starts_at),
        phase: Set(MeetingPhase::Planned.as_str().to_owned()),
        join_code: Set(join_code.as_str().to_owned()),
        focus: Set(None),
        double_entry: Set(fields.double_entry),
        revealed: Set(false),
        generation: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
    })
    .exec_without_returning(&txn)
    .await?;
    record(&txn, id, Some(by.id), "created", json!({})).await?;
    let meeting = get_in(&txn, id).await?;
    txn.commit().await?;
    Ok(meeting)
}

async fn get_in<C: ConnectionTrait>(conn: &C, id: Uuid) -> Result<Meeting, AppError> {
    to_meeting(meetings::Entity::find_by_id(id).one(conn).await?.ok_or_else(|| AppError::not_found("meeting"))?)
}

pub async fn get(db: &Db, id: Uuid) -> Result<Meeting, AppError> {
    get_in(&db.read, id).await
}

/// The meeting with this join code.
pub async fn by_join_code(db: &Db, code: &JoinCode) -> Result<Meeting, AppError> {
    let row = meetings::Entity::find().filter(meetings::Column::JoinCode.eq(code.as_str())).one(&db.read).await?;
    to_meeting(row.ok_or_else(|| AppError::not_found("meeting"))?)
}

/// A consultation's meetings, earliest first.
pub async fn list(db: &Db, consultation: Uuid) -> Result<Vec<Meeting>, AppError> {
    meetings::Entity::find()
        .filter(meetings::Column::ConsultationId.eq(consultation))
        .order_by_asc(meetings::Column::StartsAt)
        .order_by_asc(meetings::Column::CreatedAt)
        .all(&db.read)
        .await?
        .into_iter()
        .map(to_meeting)
        .collect()
}

/// Lock the meeting's row for a change and check its phase is one of `allowed`.
async fn lock_in_phase(txn: &DatabaseTransaction, id: Uuid, allowed: &[MeetingPhase], action: &str) -> Result<Meeting, AppError> {
    // Touching the row takes its lock (on SQLite the one writer already serialises).
    meetings::Entity::update_many()
        .col_expr(meetings::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(meetings::Column::Id.eq(id))
        .exec(txn)
        .await?;
    let meeting = get_in(txn, id).await?;
    if !allowed.contains(&meeting.phase) {
        let names: Vec<&str> = allowed.iter().map(|p| p.as_str()).collect();
        return Err(AppError::wrong_phase(format!(
            "a meeting can {action} only when it is {}; this one is {}",
            names.join(" or "),
            meeting.phase.as_str()
        )));
    }
    Ok(meeting)
}

async fn set_phase(txn: &DatabaseTransaction, id: Uuid, phase: MeetingPhase) -> Result<(), AppError> {
    meetings::Entity::update_many()
        .col_expr(meetings::Column::Phase, Expr::value(phase.as_str()))
        .filter(meetings::Column::Id.eq(id))
        .exec(txn)
        .await?;
    Ok(())
}

/// Commit a change to a meeting and tell every instance.
async fn commit_change(db: &Db, txn: DatabaseTransaction, id: Uuid) -> Result<Meeting, AppError> {
    super::notify::in_transaction(&txn, id).await?;
    let meeting = get_in(&txn, id).await?;
    txn.commit().await?;
    db.announce_after_commit(id);
    Ok(meeting)
}

/// Change a planned meeting's title, place, start or double entry.
pub async fn update(db: &Db, id: Uuid, fields: MeetingFields, by: &User) -> Result<Meeting, AppError> {
    let txn = db.begin_write().await?;
    let before = lock_in_phase(&txn, id, &[MeetingPhase::Planned], "be changed").await?;
    meetings::Entity::update_many()
        .col_expr(meetings::Column::Title, Expr::value(fields.title.into_string()))
        .col_expr(meetings::Column::Place, Expr::value(fields.place.into_string()))
        .col_expr(meetings::Column::StartsAt, Expr::value(fields.starts_at))
        .col_expr(meetings::Column::DoubleEntry, Expr::value(fields.double_entry))
        .filter(meetings::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    let before = json!({"title": before.title, "place": before.place, "starts_at": before.starts_at, "double_entry": before.double_entry});
    record(&txn, id, Some(by.id), "changed", json!({"before": before})).await?;
    commit_change(db, txn, id).await
}

/// `planned → voting`, while the consultation is open.
pub async fn open_voting(db: &Db, id: Uuid, by: &User) -> Result<Meeting, AppError> {
    let txn = db.begin_write().await?;
    let meeting = lock_in_phase(&txn, id, &[MeetingPhase::Planned], "start voting").await?;
    consultations::lock_open_for_voting(&txn, meeting.consultation_id, Utc::now()).await.map_err(|e| match e {
        AppError::WrongPhase { detail } => AppError::wrong_phase(format!("the consultation is not open to votes: {detail}")),
        other => other,
    })?;
    set_phase(&txn, id, MeetingPhase::Voting).await?;
    record(&txn, id, Some(by.id), "voting-opened", json!({})).await?;
    commit_change(db, txn, id).await
}

/// `voting → closed`: the meeting's ballots are counted once, by `count`, and the result
/// kept. Refused while double-entry mismatches are open, unless `override_reason` says why.
pub async fn close(
    db: &Db,
    id: Uuid,
    by: &User,
    override_reason: Option<String>,
    count: impl FnOnce(Vec<CountedBallot>) -> Result<String, AppError>,
) -> Result<Meeting, AppError> {
    let txn = db.begin_write().await?;
    lock_in_phase(&txn, id, &[MeetingPhase::Voting], "close").await?;
    let open = super::paper::open_mismatches(&txn, id).await?;
    if !open.is_empty() {
        match &override_reason {
            None => {
                return Err(AppError::conflict(
                    Some("override_reason"),
                    format!(
                        "{} paper ballot{} entered twice differently ({}): a third officer must settle {}, or give a reason to close anyway",
                        open.len(),
                        if open.len() == 1 { " was" } else { "s were" },
                        open.join(", "),
                        if open.len() == 1 { "it" } else { "them" }
                    ),
                ));
            }
            Some(reason) => {
                record(&txn, id, Some(by.id), "closed-with-mismatches", json!({"reason": reason, "serials": open})).await?;
            }
        }
    }
    let ballots = meeting_ballots(&txn, id).await?;
    let counted = ballots.len();
    let result = count(ballots)?;
    meeting_results::Entity::insert(meeting_results::ActiveModel { meeting_id: Set(id), result: Set(result), counted_at: Set(Utc::now()) })
        .on_conflict(
            OnConflict::column(meeting_results::Column::MeetingId)
                .update_columns([meeting_results::Column::Result, meeting_results::Column::CountedAt])
                .to_owned(),
        )
        .exec_without_returning(&txn)
        .await?;
    set_phase(&txn, id, MeetingPhase::Closed).await?;
    record(&txn, id, Some(by.id), "closed", json!({"ballots": counted})).await?;
    commit_change(db, txn, id).await
}

/// Show a closed meeting's result on its projector and to its phones.
pub async fn reveal(db: &Db, id: Uuid, by: &User) -> Result<Meeting, AppError> {
    let txn = db.begin_write().await?;
    lock_in_phase(&txn, id, &[MeetingPhase::Closed], "reveal its result").await?;
    meetings::Entity::update_many()
        .col_expr(meetings::Column::Revealed, Expr::value(true))
        .filter(meetings::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    record(&txn, id, Some(by.id), "revealed", json!({})).await?;
    commit_change(db, txn, id).await
}

/// Back to `planned`, deleting the meeting's ballots (phones and paper) and its admissions;
/// the paper entries stay in the record, marked as reset. Not after close.
pub async fn reset(db: &Db, id: Uuid, by: &User, reason: &str) -> Result<(u64, Meeting), AppError> {
    let txn = db.begin_write().await?;
    lock_in_phase(&txn, id, &[MeetingPhase::Planned, MeetingPhase::Voting], "be reset").await?;
    let deleted = ballot_rows::Entity::delete_many().filter(ballot_rows::Column::MeetingId.eq(id)).exec(&txn).await?.rows_affected;
    meeting_joins::Entity::delete_many().filter(meeting_joins::Column::MeetingId.eq(id)).exec(&txn).await?;
    paper_entries::Entity::update_many()
        .col_expr(paper_entries::Column::Status, Expr::value("reset"))
        .filter(paper_entries::Column::MeetingId.eq(id))
        .exec(&txn)
        .await?;
    // The slips of this meeting may vote again after the reset.
    voter_codes::Entity::update_many()
        .col_expr(voter_codes::Column::Used, Expr::value(false))
        .filter(voter_codes::Column::MeetingId.eq(id))
        .exec(&txn)
        .await?;
    meetings::Entity::update_many()
        .col_expr(meetings::Column::Phase, Expr::value(MeetingPhase::Planned.as_str()))
        .col_expr(meetings::Column::Focus, Expr::value(Option::<String>::None))
        .col_expr(meetings::Column::Generation, Expr::col(meetings::Column::Generation).add(1))
        .filter(meetings::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    record(&txn, id, Some(by.id), "reset", json!({"reason": reason, "ballots_deleted": deleted})).await?;
    let meeting = commit_change(db, txn, id).await?;
    Ok((deleted, meeting))
}

/// Put a proposal (or nothing) in focus on the projector.
pub async fn set_focus(db: &Db, id: Uuid, proposal: Option<String>, by: &User) -> Result<Meeting, AppError> {
    let txn = db.begin_write().await?;
    lock_in_phase(&txn, id, &[MeetingPhase::Planned, MeetingPhase::Voting, MeetingPhase::Closed], "show a proposal").await?;
    meetings::Entity::update_many()
        .col_expr(meetings::Column::Focus, Expr::value(proposal.clone()))
        .filter(meetings::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    record(&txn, id, Some(by.id), "focus", json!({"proposal": proposal})).await?;
    commit_change(db, txn, id).await
}

/// Inside a ballot's transaction: the meeting is this consultation's and is voting now. On
/// PostgreSQL the row is share-locked until the ballot commits, so a close waits for it.
pub(super) async fn lock_voting(txn: &DatabaseTransaction, meeting: Uuid, consultation: Uuid) -> Result<(), AppError> {
    let mut query = meetings::Entity::find_by_id(meeting);
    if txn.get_database_backend() == sea_orm::DbBackend::Postgres {
        query = query.lock_shared();
    }
    let row = query.one(txn).await?.filter(|m| m.consultation_id == consultation).ok_or_else(|| AppError::not_found("meeting"))?;
    match row.phase.as_str() {
        "voting" => Ok(()),
        "planned" => Err(AppError::wrong_phase("voting in this meeting has not started yet; wait for the chair to open it")),
        _ => Err(AppError::wrong_phase("voting in this meeting has closed")),
    }
}

/// Count a code as admitted to the meeting (once).
pub(super) async fn record_join(txn: &DatabaseTransaction, meeting: Uuid, join_hash: &str, kind: &str) -> Result<(), AppError> {
    meeting_joins::Entity::insert(meeting_joins::ActiveModel {
        meeting_id: Set(meeting),
        join_hash: Set(join_hash.to_owned()),
        kind: Set(kind.to_owned()),
    })
    .on_conflict(OnConflict::columns([meeting_joins::Column::MeetingId, meeting_joins::Column::JoinHash]).do_nothing().to_owned())
    .exec_without_returning(txn)
    .await?;
    Ok(())
}

/// Why a letter whose batch waits for approval cannot vote yet.
pub(super) const HELD: &str =
    "this code was made after voting opened and works once a commissioner approves its batch; please try again later or ask the council";

/// Why a revoked code cannot vote.
pub(super) const REVOKED: &str = "this code was withdrawn by the council; if you were sent a new letter, use the code on that one";

/// What a code opening the meeting's page is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Joined {
    Slip,
    Letter,
}

/// A phone opens the meeting's page with a code: check the code may vote here (a slip of
/// this meeting, or a letter of its consultation that was not exchanged) and count it as
/// admitted. The meeting must not be closed.
pub async fn join(db: &Db, meeting: Uuid, code_hash: &str, join_hash: &str) -> Result<Joined, AppError> {
    let txn = db.begin_write().await?;
    let m = get_in(&txn, meeting).await?;
    if m.phase == MeetingPhase::Closed {
        return Err(AppError::wrong_phase("this meeting has closed"));
    }
    let code = voter_codes::Entity::find_by_id(code_hash.to_owned())
        .one(&txn)
        .await?
        .filter(|c| c.consultation_id == m.consultation_id)
        .ok_or(AppError::InvalidVoterCode)?;
    let joined = match code.kind.as_str() {
        "slip" if code.meeting_id == Some(meeting) => Joined::Slip,
        "slip" => return Err(AppError::invalid("voter_code", "this admission slip is for another meeting")),
        "held" => return Err(AppError::invalid("voter_code", HELD)),
        "revoked" => return Err(AppError::invalid("voter_code", REVOKED)),
        _ if code.exchanged_at.is_some() => {
            return Err(AppError::invalid("voter_code", "this letter was exchanged for an admission slip: vote with the slip"));
        }
        _ => Joined::Letter,
    };
    record_join(&txn, meeting, join_hash, &code.kind).await?;
    super::notify::in_transaction(&txn, meeting).await?;
    txn.commit().await?;
    db.announce_after_commit(meeting);
    Ok(joined)
}

/// Whether the consultation's voting has opened (codes made now are flagged).
async fn consultation_open(txn: &DatabaseTransaction, consultation: Uuid) -> Result<bool, AppError> {
    Ok(consultations::get_in(txn, consultation).await?.phase != Phase::Draft)
}

/// Store a sheet of admission slips for a meeting that has not closed.
pub async fn issue_slips(db: &Db, meeting: Uuid, slips: Vec<NewCode>, by: &User) -> Result<Meeting, AppError> {
    let txn = db.begin_write().await?;
    let m = lock_in_phase(&txn, meeting, &[MeetingPhase::Planned, MeetingPhase::Voting], "have slips printed").await?;
    let count = slips.len();
    let after_opening = consultation_open(&txn, m.consultation_id).await?;
    let batch = super::voter_codes::new_batch(
        &txn,
        m.consultation_id,
        "slip",
        Some(meeting),
        count,
        Actor::Staff(by.id),
        after_opening,
        false,
        None,
    )
    .await?;
    super::voter_codes::insert_in(&txn, m.consultation_id, slips, "slip", Some(meeting), None, None, batch).await?;
    record(&txn, meeting, Some(by.id), "slips-printed", json!({"count": count})).await?;
    commit_change(db, txn, meeting).await
}

/// At the door: a resident's letter is exchanged for a slip. The slip then casts the
/// letter's ballot (replacing any ballot the letter cast online: the hall's ballot is the
/// later one), and the letter votes no more online.
pub async fn exchange(db: &Db, meeting: Uuid, letter_hash: &str, letter_key: &str, slip: NewCode, by: &User) -> Result<(), AppError> {
    let txn = db.begin_write().await?;
    let m = lock_in_phase(&txn, meeting, &[MeetingPhase::Planned, MeetingPhase::Voting], "exchange letters for slips").await?;
    let letter = voter_codes::Entity::find_by_id(letter_hash.to_owned())
        .one(&txn)
        .await?
        .filter(|c| c.consultation_id == m.consultation_id && c.kind == "letter")
        .ok_or_else(|| AppError::invalid("letter_code", "this is not a voter code from a letter for this consultation"))?;
    if letter.exchanged_at.is_some() {
        return Err(AppError::conflict(Some("letter_code"), "this letter was already exchanged for a slip"));
    }
    voter_codes::Entity::update_many()
        .col_expr(voter_codes::Column::ExchangedAt, Expr::value(Some(meeting)))
        .filter(voter_codes::Column::CodeHash.eq(letter_hash))
        .exec(&txn)
        .await?;
    let after_opening = consultation_open(&txn, m.consultation_id).await?;
    let batch = super::voter_codes::new_batch(
        &txn,
        m.consultation_id,
        "exchange",
        Some(meeting),
        1,
        Actor::Staff(by.id),
        after_opening,
        false,
        None,
    )
    .await?;
    super::voter_codes::insert_in(&txn, m.consultation_id, vec![slip], "slip", Some(meeting), Some(letter_key.to_owned()), None, batch)
        .await?;
    record(&txn, meeting, Some(by.id), "letter-exchanged", json!({})).await?;
    commit_change(db, txn, meeting).await?;
    Ok(())
}

/// Assign an officer (by e-mail) to enter paper ballots at the meeting.
pub async fn assign_officer(db: &Db, meeting: Uuid, email: &crate::domain::Email, by: &User) -> Result<User, AppError> {
    let txn = db.begin_write().await?;
    get_in(&txn, meeting).await?;
    let row = users::Entity::find()
        .filter(users::Column::Email.eq(email.as_str()))
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::invalid("email", "no account has this e-mail address"))?;
    if row.role != Role::Officer.as_str() {
        return Err(AppError::invalid("email", format!("this account is an {} account, not an officer's", row.role)));
    }
    meeting_officers::Entity::insert(meeting_officers::ActiveModel { meeting_id: Set(meeting), user_id: Set(row.id) })
        .on_conflict(OnConflict::columns([meeting_officers::Column::MeetingId, meeting_officers::Column::UserId]).do_nothing().to_owned())
        .exec_without_returning(&txn)
        .await?;
    record(&txn, meeting, Some(by.id), "officer-assigned", json!({"officer": row.email})).await?;
    txn.commit().await?;
    Ok(User { id: row.id, email: row.email, role: Role::Officer, totp: row.totp_secret.is_some() })
}

pub async fn remove_officer(db: &Db, meeting: Uuid, officer: Uuid, by: &User) -> Result<(), AppError> {
    let txn = db.begin_write().await?;
    let removed = meeting_officers::Entity::delete_many()
        .filter(meeting_officers::Column::MeetingId.eq(meeting))
        .filter(meeting_officers::Column::UserId.eq(officer))
        .exec(&txn)
        .await?
        .rows_affected;
    if removed == 0 {
        return Err(AppError::not_found("officer of this meeting"));
    }
    record(&txn, meeting, Some(by.id), "officer-removed", json!({"officer": officer})).await?;
    txn.commit().await?;
    Ok(())
}

/// The officers assigned to a meeting.
pub async fn officers(db: &Db, meeting: Uuid) -> Result<Vec<User>, AppError> {
    let ids: Vec<Uuid> = meeting_officers::Entity::find()
        .select_only()
        .column(meeting_officers::Column::UserId)
        .filter(meeting_officers::Column::MeetingId.eq(meeting))
        .into_tuple()
        .all(&db.read)
        .await?;
    let rows = users::Entity::find().filter(users::Column::Id.is_in(ids)).order_by_asc(users::Column::Email).all(&db.read).await?;
    Ok(rows.into_iter().map(|r| User { id: r.id, email: r.email, role: Role::Officer, totp: r.totp_secret.is_some() }).collect())
}

/// The meetings an officer is assigned to, earliest first.
pub async fn assigned(db: &Db, user: Uuid) -> Result<Vec<Meeting>, AppError> {
    let ids: Vec<Uuid> = meeting_officers::Entity::find()
        .select_only()
        .column(meeting_officers::Column::MeetingId)
        .filter(meeting_officers::Column::UserId.eq(user))
        .into_tuple()
        .all(&db.read)
        .await?;
    meetings::Entity::find()
        .filter(meetings::Column::Id.is_in(ids))
        .order_by_asc(meetings::Column::StartsAt)
        .order_by_asc(meetings::Column::CreatedAt)
        .all(&db.read)
        .await?
        .into_iter()
        .map(to_meeting)
        .collect()
}

/// Whether `user` is assigned to the meeting.
pub async fn is_officer(db: &Db, meeting: Uuid, user: Uuid) -> Result<bool, AppError> {
    Ok(meeting_officers::Entity::find()
        .filter(meeting_officers::Column::MeetingId.eq(meeting))
        .filter(meeting_officers::Column::UserId.eq(user))
        .count(&db.read)
        .await?
        > 0)
}

/// The meeting's ballots (phones and paper), as the count sees them.
async fn meeting_ballots(txn: &DatabaseTransaction, meeting: Uuid) -> Result<Vec<CountedBallot>, AppError> {
    let rows = ballot_rows::Entity::find()
        .select_only()
        .column(ballot_rows::Column::Want)
        .column(ballot_rows::Column::DontWant)
        .column(ballot_rows::Column::Uses)
        .column(ballot_rows::Column::Verified)
        .column(ballot_rows::Column::Channel)
        .column(ballot_rows::Column::Area)
        .column(ballot_rows::Column::Version)
        .filter(ballot_rows::Column::MeetingId.eq(meeting))
        .into_tuple()
        .all(txn)
        .await?;
    Ok(ballots::decode_counted(ballots::CountedRows::from_rows(rows))?.0)
}

/// What the projector shows of a meeting, read fresh.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveCounts {
    pub meeting: Meeting,
    /// Codes that opened the meeting's page on a phone, and paper ballots entered.
    pub admitted: u64,
    pub phone_ballots: u64,
    pub paper_ballots: u64,
    /// The meeting's result, once revealed (JSON as the API shows it).
    pub result: Option<String>,
}

pub async fn live(db: &Db, id: Uuid) -> Result<LiveCounts, AppError> {
    let meeting = get_in(&db.read, id).await?;
    let joined = meeting_joins::Entity::find().filter(meeting_joins::Column::MeetingId.eq(id)).count(&db.read).await?;
    let (phone_ballots, paper_ballots) = ballot_counts(&db.read, id).await?;
    let result = if meeting.revealed { stored_result(db, id).await? } else { None };
    Ok(LiveCounts { admitted: joined + paper_ballots, phone_ballots, paper_ballots, result, meeting })
}

/// (phone, paper) ballots of a meeting.
async fn ballot_counts<C: ConnectionTrait>(conn: &C, meeting: Uuid) -> Result<(u64, u64), AppError> {
    let rows: Vec<(String, i64)> = ballot_rows::Entity::find()
        .select_only()
        .column(ballot_rows::Column::Channel)
        .expr_as(Expr::col(ballot_rows::Column::Id).count(), "n")
        .filter(ballot_rows::Column::MeetingId.eq(meeting))
        .group_by(ballot_rows::Column::Channel)
        .into_tuple()
        .all(conn)
        .await?;
    let of = |channel: &str| rows.iter().find(|(c, _)| c == channel).map_or(0, |(_, n)| *n as u64);
    Ok((of("meeting"), of("paper")))
}

/// The result counted at close, if the meeting has closed.
pub async fn stored_result(db: &Db, id: Uuid) -> Result<Option<String>, AppError> {
    Ok(meeting_results::Entity::find_by_id(id).one(&db.read).await?.map(|r| r.result))
}

/// The closing reconciliation and the meeting's record.
pub async fn reconciliation(db: &Db, id: Uuid) -> Result<(Reconciliation, Vec<MeetingEvent>), AppError> {
    let conn = &db.read;
    get_in(conn, id).await?;
    let slips = voter_codes::Entity::find().filter(voter_codes::Column::MeetingId.eq(id)).filter(voter_codes::Column::Kind.eq("slip"));
    let slips_printed = slips.clone().count(conn).await?;
    let slips_used = slips.filter(voter_codes::Column::Used.eq(true)).count(conn).await?;
    let letters_exchanged = voter_codes::Entity::find().filter(voter_codes::Column::ExchangedAt.eq(id)).count(conn).await?;
    let joins = meeting_joins::Entity::find().filter(meeting_joins::Column::MeetingId.eq(id));
    let letters_in_hall = joins.clone().filter(meeting_joins::Column::Kind.eq("letter")).count(conn).await?;
    let phones_admitted = joins.count(conn).await?;
    let (phone_ballots, paper_ballots) = ballot_counts(conn, id).await?;
    let open_mismatches = super::paper::open_mismatches_read(conn, id).await?.len() as u64;
    let events = meeting_events::Entity::find()
        .filter(meeting_events::Column::MeetingId.eq(id))
        .order_by_asc(meeting_events::Column::At)
        .all(conn)
        .await?;
    let emails: Vec<(Uuid, String)> = users::Entity::find()
        .select_only()
        .column(users::Column::Id)
        .column(users::Column::Email)
        .filter(users::Column::Id.is_in(events.iter().filter_map(|e| e.user_id).collect::<Vec<_>>()))
        .into_tuple()
        .all(conn)
        .await?;
    let events = events
        .into_iter()
        .map(|e| MeetingEvent {
            at: e.at,
            by: e.user_id.and_then(|u| emails.iter().find(|(id, _)| *id == u).map(|(_, email)| email.clone())),
            kind: e.kind,
            detail: serde_json::from_str(&e.detail).unwrap_or(serde_json::Value::Null),
        })
        .collect();
    Ok((
        Reconciliation {
            slips_printed,
            slips_used,
            letters_exchanged,
            letters_used_in_hall: letters_in_hall,
            phones_admitted,
            phone_ballots,
            paper_ballots,
            open_mismatches,
            ballots_counted: phone_ballots + paper_ballots,
        },
        events,
    ))
}
