//! Ballots: casting (one per voter code, the last one counts), receipts, and reading them
//! back for the count.
use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QuerySelect, Set,
    sea_query::{Expr, ExprTrait, OnConflict},
};
use uuid::Uuid;

use super::{
    Db, consultations,
    entities::{ballots, voter_codes},
    from_json_list, to_json_list,
};
use crate::{domain::Channel, errors::AppError, model::CountedBallot};

/// A ballot ready to store: already checked against the ballot paper.
pub struct BallotToStore {
    pub want: Vec<String>,
    pub dont_want: Vec<String>,
    pub uses: Vec<String>,
    pub channel: Channel,
    pub area: Option<String>,
    /// The keyed hash of the receipt the resident will be given (stored apart from the
    /// ballot, see `storage::receipts`).
    pub receipt_hash: String,
    /// Cast on a phone in a meeting's hall: which meeting, and the keyed hash that records
    /// the code as admitted to it.
    pub meeting: Option<MeetingCast>,
    /// The lookup hash of a service-user code given with the ballot: the ballot then counts
    /// as a verified user of that code's service (see [`verify_in`]).
    pub service_user_code_hash: Option<String>,
}

/// A ballot cast at a meeting (see [`BallotToStore::meeting`]).
pub struct MeetingCast {
    pub meeting: Uuid,
    pub join_hash: String,
}

/// What the resident is told.
pub struct Stored {
    pub received_at: DateTime<Utc>,
    pub replaced: bool,
}

pub fn channel_str(channel: Channel) -> &'static str {
    match channel {
        Channel::Online => "online",
        Channel::Meeting => "meeting",
        Channel::Paper => "paper",
    }
}

fn parse_channel(s: &str) -> Channel {
    match s {
        "meeting" => Channel::Meeting,
        "paper" => Channel::Paper,
        _ => Channel::Online,
    }
}

/// Store a ballot: check voting is open now, check the code was issued for this
/// consultation, then insert — or, if this code has voted before, replace — the ballot.
/// The unique index on (consultation, voter_key) makes "one ballot per code" hold even when
/// many submissions with one code race: the losers update the winner's row. Ballots that
/// arrive together share a transaction (see [`super::group_commit`]); this returns once
/// the ballot is committed.
pub async fn cast(db: &Db, consultation: Uuid, code_hash: &str, voter_key: &str, ballot: BallotToStore) -> Result<Stored, AppError> {
    match &db.ballot_queue {
        Some(queue) => queue.cast(consultation, code_hash, voter_key, ballot).await,
        None => cast_now(db, consultation, code_hash, voter_key, ballot).await,
    }
}

/// The one-ballot path: one statement on PostgreSQL, one transaction on SQLite.
pub(super) async fn cast_now(
    db: &Db,
    consultation: Uuid,
    code_hash: &str,
    voter_key: &str,
    ballot: BallotToStore,
) -> Result<Stored, AppError> {
    // The one-statement path knows online ballots with letters only, and no service-user code.
    if db.kind() == crate::config::DatabaseKind::Postgres && ballot.meeting.is_none() && ballot.service_user_code_hash.is_none() {
        return cast_pg(db, consultation, code_hash, voter_key, ballot).await;
    }
    cast_txn(db, consultation, code_hash, voter_key, ballot).await
}

/// PostgreSQL: the whole cast as one statement, one round trip, no explicit transaction.
/// The CTE share-locks the consultation row only if voting is open now (so a concurrent
/// "close" waits, as before), marks the code used only if it belongs to this open
/// consultation (and is a letter that was not exchanged for a meeting's slip), and inserts
/// or replaces the ballot only if the code was found. No row back means one of the checks
/// failed: the slow path below then says which.
const CAST_PG: &str = r#"
WITH open AS (
    SELECT id FROM consultations
    WHERE id = $1 AND phase = 'open' AND (opens_at IS NULL OR opens_at <= $2) AND (closes_at IS NULL OR closes_at > $2)
    FOR SHARE
), code AS (
    UPDATE voter_codes SET used = TRUE
    WHERE code_hash = $3 AND consultation_id IN (SELECT id FROM open) AND kind = 'letter' AND exchanged_at IS NULL
    RETURNING consultation_id
), receipt AS (
    INSERT INTO receipts (receipt_hash, consultation_id, received_on) SELECT $11, consultation_id, $12 FROM code
    -- There already when a batch whose COMMIT was cut off is written again (group_commit.rs).
    ON CONFLICT (receipt_hash) DO NOTHING
)
INSERT INTO ballots (id, consultation_id, voter_key, want, dont_want, uses, channel, area, version, created_at, updated_at)
SELECT $4, consultation_id, $5, $6, $7, $8, $9, $10, 1, $2, $2 FROM code
ON CONFLICT (consultation_id, voter_key) DO UPDATE SET
    want = EXCLUDED.want, dont_want = EXCLUDED.dont_want, uses = EXCLUDED.uses, channel = EXCLUDED.channel,
    area = EXCLUDED.area, meeting_id = NULL, updated_at = EXCLUDED.updated_at, version = ballots.version + 1
RETURNING version
"#;

async fn cast_pg(db: &Db, consultation: Uuid, code_hash: &str, voter_key: &str, ballot: BallotToStore) -> Result<Stored, AppError> {
    use sea_orm::{ConnectionTrait, DbBackend, Statement, Value};
    let now = Utc::now();
    let values: Vec<Value> = vec![
        consultation.into(),
        now.into(),
        code_hash.to_owned().into(),
        Uuid::new_v4().into(),
        voter_key.to_owned().into(),
        to_json_list(&ballot.want).into(),
        to_json_list(&ballot.dont_want).into(),
        to_json_list(&ballot.uses).into(),
        channel_str(ballot.channel).to_owned().into(),
        ballot.area.clone().into(),
        ballot.receipt_hash.clone().into(),
        now.date_naive().into(),
    ];
    let row = db.write.query_one_raw(Statement::from_sql_and_values(DbBackend::Postgres, CAST_PG, values)).await?;
    match row {
        Some(row) => {
            let version: i32 = row.try_get_by_index(0)?;
            Ok(Stored { received_at: now, replaced: version > 1 })
        }
        // Not open, or not a code of this consultation: the transaction says which.
        None => cast_txn(db, consultation, code_hash, voter_key, ballot).await,
    }
}

async fn cast_txn(db: &Db, consultation: Uuid, code_hash: &str, voter_key: &str, ballot: BallotToStore) -> Result<Stored, AppError> {
    let now = Utc::now();
    let txn = db.begin_write().await?;
    let version = cast_in(&txn, consultation, code_hash, voter_key, &ballot, now).await?;
    txn.commit().await?;
    if let Some(cast) = &ballot.meeting {
        db.announce_after_commit(cast.meeting);
    }
    Ok(Stored { received_at: now, replaced: version > 1 })
}

/// Which ballot a code may cast, and where: a letter online or in a meeting's hall (one
/// ballot either way, the latest counts), unless it was exchanged for a slip at a meeting's
/// door; a slip only in its own meeting's hall, as the ballot of the letter it was exchanged
/// for if it was. Returns the key of the ballot the code casts.
fn ballot_key_for<'a>(code: &'a voter_codes::Model, voter_key: &'a str, meeting: Option<Uuid>) -> Result<&'a str, AppError> {
    match (code.kind.as_str(), meeting) {
        ("slip", None) => Err(AppError::invalid(
            "voter_code",
            "this code is an admission slip for a meeting: use it on the meeting's page in the hall, while the meeting votes",
        )),
        ("slip", Some(m)) if code.meeting_id != Some(m) => {
            Err(AppError::invalid("voter_code", "this admission slip is for another meeting"))
        }
        ("slip", Some(_)) => Ok(code.ballot_key.as_deref().unwrap_or(voter_key)),
        ("held", _) => Err(AppError::invalid("voter_code", super::meetings::HELD)),
        ("service", _) => Err(AppError::invalid(
            "voter_code",
            "this is a service-user code: it shows you use a service, but it is not a vote. Put the code from your voting letter here, and this one in the box for a service-user code",
        )),
        ("revoked", _) => Err(AppError::invalid("voter_code", super::meetings::REVOKED)),
        (_, _) if code.exchanged_at.is_some() => Err(AppError::invalid(
            "voter_code",
            "this letter was exchanged for an admission slip at a meeting: vote with the slip in the hall",
        )),
        (_, _) => Ok(voter_key),
    }
}

/// The checks and writes of one ballot, inside a transaction (or a savepoint) the caller
/// commits. Returns the ballot's version: 1 for a first ballot, more for a replacement.
pub(super) async fn cast_in(
    txn: &DatabaseTransaction,
    consultation: Uuid,
    code_hash: &str,
    voter_key: &str,
    ballot: &BallotToStore,
    now: DateTime<Utc>,
) -> Result<i32, AppError> {
    consultations::lock_open_for_voting(txn, consultation, now).await?;
    let code = voter_codes::Entity::find_by_id(code_hash.to_owned())
        .one(txn)
        .await?
        .filter(|c| c.consultation_id == consultation)
        .ok_or(AppError::InvalidVoterCode)?;
    let key = ballot_key_for(&code, voter_key, ballot.meeting.as_ref().map(|m| m.meeting))?;
    if let Some(cast) = &ballot.meeting {
        super::meetings::lock_voting(txn, cast.meeting, consultation).await?;
        super::meetings::record_join(txn, cast.meeting, &cast.join_hash, &code.kind).await?;
        super::notify::in_transaction(txn, cast.meeting).await?;
    }
    let verified = match &ballot.service_user_code_hash {
        Some(hash) => Some(verify_in(txn, consultation, key, hash).await?),
        None => None,
    };
    let version = upsert_in(txn, consultation, key, ballot, ballot.meeting.as_ref().map(|m| m.meeting), verified.as_deref(), now).await?;
    if !code.used {
        voter_codes::Entity::update_many()
            .col_expr(voter_codes::Column::Used, Expr::value(true))
            .filter(voter_codes::Column::CodeHash.eq(code_hash))
            .exec(txn)
            .await?;
    }
    super::receipts::add(txn, consultation, &ballot.receipt_hash, now).await?;
    Ok(version)
}

/// Check a service-user code given with the ballot whose key is `key`, and spend it. Returns
/// the services the ballot is then verified for: those it already had (a replacement keeps
/// them) and this code's. A code verifies one ballot only; the database decides that (the
/// code is spent by a conditional update inside the ballot's transaction), so two ballots
/// racing with one code cannot both be verified. The same ballot may give its code again
/// (a resident who changes their vote and types it once more).
async fn verify_in(txn: &DatabaseTransaction, consultation: Uuid, key: &str, code_hash: &str) -> Result<Vec<String>, AppError> {
    let code = voter_codes::Entity::find_by_id(code_hash.to_owned())
        .one(txn)
        .await?
        .filter(|c| c.consultation_id == consultation)
        .ok_or(AppError::InvalidServiceUserCode)?;
    let service = match (code.kind.as_str(), code.service) {
        ("service", Some(service)) => service,
        ("held", Some(_)) => return Err(AppError::invalid("service_user_code", super::meetings::HELD)),
        ("revoked", _) => return Err(AppError::invalid("service_user_code", super::meetings::REVOKED)),
        _ => {
            return Err(AppError::invalid(
                "service_user_code",
                "this is a voting code, not a service-user code: put it in the box for your voting code",
            ));
        }
    };
    let earlier: Option<String> = ballots::Entity::find()
        .select_only()
        .column(ballots::Column::Verified)
        .filter(ballots::Column::ConsultationId.eq(consultation))
        .filter(ballots::Column::VoterKey.eq(key))
        .into_tuple()
        .one(txn)
        .await?;
    let mut verified = match earlier {
        Some(list) => from_json_list(&list)?,
        None => Vec::new(),
    };
    if verified.contains(&service) {
        // This ballot was verified for this service before (by this code or another one of
        // the same service): nothing to spend.
        return Ok(verified);
    }
    let spent = voter_codes::Entity::update_many()
        .col_expr(voter_codes::Column::Used, Expr::value(true))
        .filter(voter_codes::Column::CodeHash.eq(code_hash))
        .filter(voter_codes::Column::Used.eq(false))
        .exec(txn)
        .await?;
    if spent.rows_affected != 1 {
        return Err(AppError::conflict(
            Some("service_user_code"),
            "this service-user code has already been given with another ballot; each one counts once. Leave the box empty to vote without it",
        ));
    }
    verified.push(service);
    verified.sort_unstable();
    Ok(verified)
}

/// Insert the ballot with key `key`, or replace the one that has it. Returns its version.
/// `verified`: the services it is verified for, to store; `None` keeps a replaced ballot's.
pub(super) async fn upsert_in(
    txn: &DatabaseTransaction,
    consultation: Uuid,
    key: &str,
    ballot: &BallotToStore,
    meeting: Option<Uuid>,
    verified: Option<&[String]>,
    now: DateTime<Utc>,
) -> Result<i32, AppError> {
    let row = ballots::ActiveModel {
        id: Set(Uuid::new_v4()),
        consultation_id: Set(consultation),
        voter_key: Set(key.to_owned()),
        want: Set(to_json_list(&ballot.want)),
        dont_want: Set(to_json_list(&ballot.dont_want)),
        uses: Set(to_json_list(&ballot.uses)),
        verified: Set(to_json_list(verified.unwrap_or_default())),
        channel: Set(channel_str(ballot.channel).to_owned()),
        area: Set(ballot.area.clone()),
        meeting_id: Set(meeting),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
    };
    let mut replace = vec![
        ballots::Column::Want,
        ballots::Column::DontWant,
        ballots::Column::Uses,
        ballots::Column::Channel,
        ballots::Column::Area,
        ballots::Column::MeetingId,
        ballots::Column::UpdatedAt,
    ];
    if verified.is_some() {
        replace.push(ballots::Column::Verified);
    }
    let stored = ballots::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([ballots::Column::ConsultationId, ballots::Column::VoterKey])
                .update_columns(replace)
                .value(ballots::Column::Version, Expr::col((ballots::Entity, ballots::Column::Version)).add(1))
                .to_owned(),
        )
        .exec_with_returning(txn)
        .await?;
    Ok(stored.version)
}

/// Every counted ballot of a consultation: contents only — no voter key, receipt or time.
/// The count does not depend on their order, and the export sorts them by content.
pub async fn counted(db: &Db, consultation: Uuid) -> Result<Vec<CountedBallot>, AppError> {
    Ok(decode_counted(counted_rows(db, consultation).await?)?.0)
}

/// The stored text of the counted ballots, to decode with [`decode_counted`] (which is
/// CPU work: run it off the async threads for a large consultation).
pub struct CountedRows(Vec<CountedRow>);

/// (want, dont_want, uses, verified, channel, area, version), as stored.
type CountedRow = (String, String, String, String, String, Option<String>, i32);

impl CountedRows {
    /// Rows read elsewhere.
    pub(super) fn from_rows(rows: Vec<CountedRow>) -> Self {
        CountedRows(rows)
    }
}

pub async fn counted_rows(db: &Db, consultation: Uuid) -> Result<CountedRows, AppError> {
    let rows = ballots::Entity::find()
        .select_only()
        .column(ballots::Column::Want)
        .column(ballots::Column::DontWant)
        .column(ballots::Column::Uses)
        .column(ballots::Column::Verified)
        .column(ballots::Column::Channel)
        .column(ballots::Column::Area)
        .column(ballots::Column::Version)
        .filter(ballots::Column::ConsultationId.eq(consultation))
        .into_tuple()
        .all(&db.read)
        .await?;
    Ok(CountedRows(rows))
}

/// The ballots, and the [`change_marker`] of exactly these rows (read by the same
/// statement, so it says what was counted even if more ballots arrived meanwhile).
pub fn decode_counted(rows: CountedRows) -> Result<(Vec<CountedBallot>, (i64, i64)), AppError> {
    let marker = (rows.0.len() as i64, rows.0.iter().map(|row| i64::from(row.6)).sum());
    let ballots = rows
        .0
        .into_iter()
        .map(|(want, dont_want, uses, verified, channel, area, _version)| {
            Ok(CountedBallot {
                want: from_json_list(&want)?,
                dont_want: from_json_list(&dont_want)?,
                uses: from_json_list(&uses)?,
                verified: from_json_list(&verified)?,
                channel: parse_channel(&channel),
                area,
            })
        })
        .collect::<Result<Vec<_>, AppError>>()?;
    Ok((ballots, marker))
}

/// A value that changes whenever a consultation's ballots change: (number of ballots,
/// sum of their versions). A new ballot raises the first, a replacement the second, and
/// once voting has closed (the only time results are counted) neither ever falls — the one
/// deletion, revoking a code with its ballot, is refused from then — so a reader can never
/// see an old pair after a newer one, whatever order concurrent transactions commit in
/// (unlike a maximum timestamp).
pub async fn change_marker(db: &Db, consultation: Uuid) -> Result<(i64, i64), AppError> {
    let row: Option<(i64, Option<i64>)> = ballots::Entity::find()
        .select_only()
        // COUNT(*), not COUNT(id): both columns read here are in the index on
        // (consultation_id, version), so neither engine visits the table's rows.
        .expr_as(Expr::cust("COUNT(*)"), "n")
        .expr_as(Expr::cust("CAST(SUM(version) AS BIGINT)"), "v")
        .filter(ballots::Column::ConsultationId.eq(consultation))
        .into_tuple()
        .one(&db.read)
        .await?;
    Ok(row.map_or((0, 0), |(n, v)| (n, v.unwrap_or(0))))
}
