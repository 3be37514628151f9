//! Ballots: casting (one per voter code, the last one counts), receipts, and reading them
//! back for the count.
use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
    sea_query::{Expr, ExprTrait, OnConflict},
};
use uuid::Uuid;

use super::{
    Db, consultations,
    entities::{ballots, consultations as consultation_rows, voter_codes},
    from_json_list, to_json_list,
};
use crate::{domain::{Channel, Receipt}, errors::AppError, model::CountedBallot};

/// A ballot ready to store: already checked against the ballot paper.
pub struct BallotToStore {
    pub want: Vec<String>,
    pub dont_want: Vec<String>,
    pub uses: Vec<String>,
    pub channel: Channel,
    pub area: Option<String>,
}

/// What the resident is told.
pub struct Stored {
    pub receipt: Receipt,
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

/// Store a ballot in one transaction: check voting is open now, check the code was issued
/// for this consultation, then insert — or, if this code has voted before, replace — the
/// ballot. The unique index on (consultation, voter_key) makes "one ballot per code" hold
/// even when many submissions with one code race: the losers update the winner's row.
pub async fn cast(db: &Db, consultation: Uuid, code_hash: &str, voter_key: &str, ballot: BallotToStore) -> Result<Stored, AppError> {
    let now = Utc::now();
    let receipt = Receipt::generate();
    let txn = db.begin_write().await?;
    consultations::lock_open_for_voting(&txn, consultation, now).await?;
    let code = voter_codes::Entity::find_by_id(code_hash.to_owned())
        .one(&txn)
        .await?
        .filter(|c| c.consultation_id == consultation)
        .ok_or(AppError::InvalidVoterCode)?;
    let row = ballots::ActiveModel {
        id: Set(Uuid::new_v4()),
        consultation_id: Set(consultation),
        voter_key: Set(voter_key.to_owned()),
        want: Set(to_json_list(&ballot.want)),
        dont_want: Set(to_json_list(&ballot.dont_want)),
        uses: Set(to_json_list(&ballot.uses)),
        channel: Set(channel_str(ballot.channel).to_owned()),
        area: Set(ballot.area),
        receipt: Set(receipt.as_str().to_owned()),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
    };
    let stored = ballots::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([ballots::Column::ConsultationId, ballots::Column::VoterKey])
                .update_columns([
                    ballots::Column::Want,
                    ballots::Column::DontWant,
                    ballots::Column::Uses,
                    ballots::Column::Channel,
                    ballots::Column::Area,
                    ballots::Column::Receipt,
                    ballots::Column::UpdatedAt,
                ])
                .value(ballots::Column::Version, Expr::col((ballots::Entity, ballots::Column::Version)).add(1))
                .to_owned(),
        )
        .exec_with_returning(&txn)
        .await?;
    if !code.used {
        voter_codes::Entity::update_many()
            .col_expr(voter_codes::Column::Used, Expr::value(true))
            .filter(voter_codes::Column::CodeHash.eq(code_hash))
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(Stored { receipt, received_at: now, replaced: stored.version > 1 })
}

/// What a receipt proves: which consultation, and when the ballot arrived.
pub struct ReceiptCheck {
    pub consultation_id: Uuid,
    pub consultation_title: String,
    pub received_at: DateTime<Utc>,
}

pub async fn check_receipt(db: &Db, receipt: &Receipt) -> Result<ReceiptCheck, AppError> {
    let (consultation_id, received_at) = ballots::Entity::find()
        .select_only()
        .column(ballots::Column::ConsultationId)
        .column(ballots::Column::UpdatedAt)
        .filter(ballots::Column::Receipt.eq(receipt.as_str()))
        .into_tuple::<(Uuid, DateTime<Utc>)>()
        .one(&db.read)
        .await?
        .ok_or_else(|| AppError::not_found("receipt (it may have been replaced by a later ballot with the same voter code)"))?;
    let title = consultation_rows::Entity::find_by_id(consultation_id)
        .select_only()
        .column(consultation_rows::Column::Title)
        .into_tuple::<String>()
        .one(&db.read)
        .await?
        .unwrap_or_default();
    Ok(ReceiptCheck { consultation_id, consultation_title: title, received_at })
}

/// Every counted ballot of a consultation: contents only — no voter key, receipt or time —
/// in an order that says nothing about who voted when (sorted by the random row id).
pub async fn counted(db: &Db, consultation: Uuid) -> Result<Vec<CountedBallot>, AppError> {
    let rows: Vec<(String, String, String, String, Option<String>)> = ballots::Entity::find()
        .select_only()
        .column(ballots::Column::Want)
        .column(ballots::Column::DontWant)
        .column(ballots::Column::Uses)
        .column(ballots::Column::Channel)
        .column(ballots::Column::Area)
        .filter(ballots::Column::ConsultationId.eq(consultation))
        .order_by_asc(ballots::Column::Id)
        .into_tuple()
        .all(&db.read)
        .await?;
    rows.into_iter()
        .map(|(want, dont_want, uses, channel, area)| {
            Ok(CountedBallot {
                want: from_json_list(&want)?,
                dont_want: from_json_list(&dont_want)?,
                uses: from_json_list(&uses)?,
                channel: parse_channel(&channel),
                area,
            })
        })
        .collect()
}

/// A value that changes whenever a consultation's ballots change: (number of ballots,
/// sum of their versions). A new ballot raises the first, a replacement the second, and
/// neither ever falls, so a reader can never see an old pair after a newer one, whatever
/// order concurrent transactions commit in (unlike a maximum timestamp).
pub async fn change_marker(db: &Db, consultation: Uuid) -> Result<(i64, i64), AppError> {
    let row: Option<(i64, Option<i64>)> = ballots::Entity::find()
        .select_only()
        .expr_as(Expr::col(ballots::Column::Id).count(), "n")
        .expr_as(Expr::cust("CAST(SUM(version) AS BIGINT)"), "v")
        .filter(ballots::Column::ConsultationId.eq(consultation))
        .into_tuple()
        .one(&db.read)
        .await?;
    Ok(row.map_or((0, 0), |(n, v)| (n, v.unwrap_or(0))))
}
